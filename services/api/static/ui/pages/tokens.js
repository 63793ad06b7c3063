// API tokens for scripts and curl: create one (its secret shown once), revoke one.

import { del, get, post, segment } from "../api.js";
import { confirmAction } from "../confirm.js";
import { field, fill, h, setFieldError, table } from "../dom.js";
import { formatTime } from "../format.js";
import { isAdmin } from "../session.js";

export async function tokensPage(context) {
  const list = h("div", { id: "token-list" });
  const created = h("div", { "aria-live": "polite" });
  // An admin sees everyone's tokens: name each account by its e-mail.
  const emails = new Map(isAdmin(context.me)
    ? (await get("api/users")).map((user) => [user.id, user.email]) : []);
  const redraw = async () => fill(list, tokenTable(await get("api/tokens"), context.me, emails, redraw));

  const name = h("input", { id: "token-name", maxlength: 100, required: true, autocomplete: "off" });
  const days = h("input", { id: "token-days", type: "number", min: 1, max: 3650, inputmode: "numeric" });
  const form = h("form", { class: "card" },
    h("h2", {}, "New token"),
    h("div", { class: "row" }, field("Token name", name, "What it is for, e.g. “nightly export script”."),
      field("Expires after (days)", days, "Empty: never expires.")),
    h("div", { class: "actions" }, h("button", { type: "submit", class: "button" }, "Create token")));
  form.addEventListener("submit", async (event) => {
    event.preventDefault();
    setFieldError(form, "token-name", null);
    setFieldError(form, "token-days", null);
    try {
      const token = await post("api/tokens", { name: name.value.trim(), expires_in_days: days.value ? Number(days.value) : null });
      form.reset();
      fill(created, shownOnce(token));
      await redraw();
    } catch (error) {
      setFieldError(form, error.fields?.expires_in_days ? "token-days" : "token-name",
        error.fields?.expires_in_days ?? error.fields?.name ?? error.message);
    }
  });
  await redraw();
  return [
    h("h1", {}, "API tokens"),
    h("p", { class: "muted" }, "Send a token as ", h("code", {}, "Authorization: Bearer <token>"), " from scripts and curl."),
    created, form,
    h("h2", {}, isAdmin(context.me) ? "Everyone's tokens" : "Your tokens"), list,
  ];
}

function shownOnce(token) {
  const secret = h("input", { id: "new-token", readonly: true, class: "code", value: token.token, "aria-describedby": "new-token-note" });
  const copy = h("button", { type: "button", class: "button secondary small", onclick: async () => {
    secret.select();
    try { await navigator.clipboard.writeText(token.token); copy.textContent = "Copied"; } catch { copy.textContent = "Press Ctrl+C"; }
  } }, "Copy");
  return h("div", { class: "card notice" },
    h("label", { for: "new-token" }, `Token “${token.name}”`), h("div", { class: "inline-row" }, secret, copy),
    h("p", { id: "new-token-note", class: "small" }, "Copy it now: it is shown only this once (only its digest is stored)."));
}

function tokenTable(tokens, me, emails, redraw) {
  if (!tokens.length) return h("p", { class: "empty" }, "No tokens.");
  return table("API tokens", ["Name", "Account", "Created", "Last used", "Expires", ""], tokens.map((token) => [
    token.name,
    token.user_id === me.id ? "you" : emails.get(token.user_id) ?? token.user_id,
    formatTime(token.created_at),
    token.last_used_at ? formatTime(token.last_used_at) : "never",
    token.expires_at ? formatTime(token.expires_at) : "never",
    h("button", { type: "button", class: "button danger small", "aria-label": `Revoke ${token.name}`, onclick: async () => {
      if (!(await confirmAction(`Revoke the token “${token.name}”? Scripts using it stop working at once.`, "Revoke"))) return;
      await del(`api/tokens/${segment(token.id)}`);
      await redraw();
    } }, "Revoke"),
  ]));
}
