// The web UI's entry: sign-in, the header, and a hash router that draws one page at a time.

import { ApiError, csrf, get, onUnauthenticated, post } from "./api.js";
import { fill, h } from "./dom.js";
import { alertsPage } from "./pages/alerts.js";
import { auditPage } from "./pages/audit.js";
import { loginPage } from "./pages/login.js";
import { reportForm } from "./pages/report_form.js";
import { reportPage } from "./pages/report_page.js";
import { reportsPage } from "./pages/reports_list.js";
import { tokensPage } from "./pages/tokens.js";
import { displayName, isAdmin, session } from "./session.js";

const ID = "([0-9a-fA-F-]{36})";
// [pattern of the hash, page, admins only]; a new page is one line here.
const ROUTES = [
  [/^#?\/?$/, reportsPage],
  [/^#\/reports\/new$/, (context) => reportForm(context, null)],
  [new RegExp(`^#/reports/${ID}$`), reportPage],
  [new RegExp(`^#/reports/${ID}/edit$`), reportForm],
  [/^#\/tokens$/, tokensPage],
  [/^#\/alerts$/, alertsPage],
  [/^#\/audit$/, auditPage, true],
];

const main = document.getElementById("main");
let pageLife = new AbortController();

async function start() {
  onUnauthenticated(showSignIn);
  window.addEventListener("hashchange", render);
  if (!csrf.get()) return showSignIn();  // without its CSRF token a session can only read
  try {
    session.me = await get("api/me");
  } catch {
    return showSignIn();
  }
  render();
}

function showSignIn() {
  pageLife.abort();
  session.me = null;
  csrf.clear();
  drawHeader();
  fill(main, loginPage(signedIn));
  document.title = "Sign in · ReportFlow";
  main.querySelector("input")?.focus();
}

function signedIn(answer) {
  csrf.set(answer.csrf_token);
  session.me = answer.user;
  render();
}

async function signOut() {
  try {
    await post("api/auth/logout");
  } catch (error) {
    if (!(error instanceof ApiError)) throw error;
  }
  showSignIn();
}

function drawHeader() {
  const me = session.me;
  const nav = document.getElementById("nav");
  const account = document.getElementById("account");
  if (!me) {
    fill(nav);
    fill(account);
    return;
  }
  const current = location.hash || "#/";
  const link = (href, text, active) =>
    h("a", { href, "aria-current": active ? "page" : null }, text);
  fill(
    nav,
    link("#/", "Reports", current === "#/" || current.startsWith("#/reports")),
    link("#/alerts", "Alerts", current === "#/alerts"),
    link("#/tokens", "API tokens", current === "#/tokens"),
    isAdmin(me) ? link("#/audit", "Audit log", current === "#/audit") : null,
  );
  fill(
    account,
    h("span", { class: "who", "data-testid": "signed-in-as" }, displayName(me)),
    h("span", { class: `role role-${me.role}`, "data-testid": "role" }, me.role),
    h("button", { type: "button", class: "button secondary small", onclick: signOut }, "Sign out"),
  );
}

async function render() {
  if (!session.me) return showSignIn();
  pageLife.abort();
  pageLife = new AbortController();
  drawHeader();
  const hash = location.hash || "#/";
  const match = ROUTES.map(([pattern, page, adminOnly]) => [hash.match(pattern), page, adminOnly])
    .find(([found]) => found);
  const context = { me: session.me, signal: pageLife.signal, main };
  try {
    if (!match) throw new Error("There is no such page.");
    const [found, page, adminOnly] = match;
    if (adminOnly && !isAdmin(session.me)) throw new Error("This page is for admins.");
    const content = await page(context, ...found.slice(1));
    if (context.signal.aborted) return;
    fill(main, content);
  } catch (error) {
    if (context.signal.aborted) return;
    fill(main, h("h1", {}, "Something went wrong"), h("p", { class: "error", role: "alert" }, error.message),
      h("p", {}, h("a", { href: "#/" }, "Back to the reports")));
  }
  const heading = main.querySelector("h1");
  document.title = `${heading ? heading.textContent : "ReportFlow"} · ReportFlow`;
  main.focus({ preventScroll: true });
}

start();
