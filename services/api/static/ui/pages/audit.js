// The audit log (admins): who created, changed, ran or deleted what, newest first.

import { query, request, segment } from "../api.js";
import { fill, h, table } from "../dom.js";
import { formatTime } from "../format.js";

const PAGE = 50;

export async function auditPage(context) {
  const body = h("div");
  const show = async (offset) => {
    const { data: entries, headers } = await request("GET", query("api/audit", { limit: PAGE, offset }));
    if (context.signal.aborted) return;
    const total = Number(headers.get("X-Total-Count") ?? entries.length);
    fill(body,
      entries.length
        ? table("Audit log", ["When", "Who", "Action", "Subject", "Details"], entries.map((entry) => [
          formatTime(entry.occurred_at),
          entry.actor_email ?? "—",
          h("code", {}, entry.action),
          subject(entry),
          h("code", { class: "details-json" }, JSON.stringify(entry.details)),
        ]), "audit")
        : h("p", { class: "empty" }, "Nothing has happened yet."),
      h("div", { class: "pager" },
        offset > 0 ? h("button", { type: "button", class: "button secondary small", onclick: () => show(Math.max(0, offset - PAGE)) }, "Newer") : null,
        total > offset + PAGE ? h("button", { type: "button", class: "button secondary small", onclick: () => show(offset + PAGE) }, "Older") : null,
        h("span", { class: "muted small" }, `${total} entries`)));
  };
  await show(0);
  return [h("h1", {}, "Audit log"), body];
}

/** A report the entry is about links to its page (which says so if it was deleted since). */
function subject(entry) {
  if (entry.subject_type === "report" && entry.subject_id) {
    return ["report ", h("a", { href: `#/reports/${segment(entry.subject_id)}` }, entry.subject_id)];
  }
  return `${entry.subject_type} ${entry.subject_id ?? ""}`;
}
