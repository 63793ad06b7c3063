// Alerts (docs/alerts.md): what the watchdog noticed, open ones first; admins see the system's too.

import { query, request, segment } from "../api.js";
import { fill, h, table } from "../dom.js";
import { formatTime } from "../format.js";

const PAGE = 50;

export async function alertsPage(context) {
  const body = h("div");
  let onlyOpen = true;
  const show = async (offset) => {
    const params = { limit: PAGE, offset, ...(onlyOpen ? { open: true } : {}) };
    const { data: alerts, headers } = await request("GET", query("api/alerts", params));
    if (context.signal.aborted) return;
    const total = Number(headers.get("X-Total-Count") ?? alerts.length);
    fill(body,
      h("label", { class: "muted small" },
        h("input", { type: "checkbox", checked: onlyOpen, onchange: (event) => { onlyOpen = event.target.checked; show(0); } }),
        " Open alerts only"),
      alerts.length
        ? table("Alerts", ["Since", "Kind", "Report", "Target", "Resolved", "Details"], alerts.map((alert) => [
          formatTime(alert.since),
          h("code", {}, alert.kind),
          alert.report_id ? h("a", { href: `#/reports/${segment(alert.report_id)}` }, alert.report_id) : "system",
          alert.target ?? "—",
          alert.resolved_at ? formatTime(alert.resolved_at) : h("strong", {}, "open"),
          h("code", { class: "details-json" }, JSON.stringify(alert.details)),
        ]), "alerts")
        : h("p", { class: "empty" }, onlyOpen ? "No open alerts: nothing needs attention." : "No alerts yet."),
      h("div", { class: "pager" },
        offset > 0 ? h("button", { type: "button", class: "button secondary small", onclick: () => show(Math.max(0, offset - PAGE)) }, "Newer") : null,
        total > offset + PAGE ? h("button", { type: "button", class: "button secondary small", onclick: () => show(offset + PAGE) }, "Older") : null,
        h("span", { class: "muted small" }, `${total} alerts`)));
  };
  await show(0);
  return [h("h1", {}, "Alerts"), body];
}
