// The reports list: what each report does, when it runs next, how its last run went.

import { get, segment } from "../api.js";
import { h, fill, table } from "../dom.js";
import { formatBytes, formatCount, formatTime, relativeTime, viewerZone } from "../format.js";
import { scheduleInWords } from "../schedule.js";
import { canCreateReports } from "../session.js";
import { KNOWN_STATUSES, NEVER_RUN, statusBadge, statusInfo } from "../statuses.js";

export async function reportsPage({ me }) {
  const reports = await get("api/reports");
  const words = await Promise.all(reports.map((report) => scheduleInWords(report.schedule_cron, report.timezone)));
  const rows = reports.map((report, index) => ({ report, schedule: words[index], row: reportRow(report, words[index]) }));

  const heading = h(
    "div",
    { class: "page-head" },
    h("h1", {}, "Reports"),
    canCreateReports(me) ? h("a", { class: "button", href: "#/reports/new" }, "New report") : null,
  );
  if (reports.length === 0) {
    return [heading, emptyState(me)];
  }
  const search = h("input", { id: "report-filter", type: "search", placeholder: "Name, owner, description…" });
  const status = h("select", { id: "status-filter" }, statusOptions(reports));
  const shown = h("p", { class: "muted", "aria-live": "polite" });
  const body = h("div");
  const update = () => {
    const text = search.value.trim().toLowerCase();
    const wanted = status.value;
    const matching = rows.filter(({ report, schedule }) =>
      (!text || haystack(report, schedule).includes(text)) &&
      (!wanted || (report.last_run?.status ?? NEVER_RUN) === wanted));
    shown.textContent = `${matching.length} of ${rows.length} reports`;
    fill(body, matching.length
      ? table("Reports", ["Name", "Owner", "Schedule", "Next run", "Last run"], matching.map(({ row }) => row), "reports")
      : h("p", { class: "empty" }, "No report matches this filter."));
  };
  search.addEventListener("input", update);
  status.addEventListener("change", update);
  update();
  const filters = h(
    "div",
    { class: "filters", role: "search" },
    h("div", { class: "field inline" }, h("label", { for: "report-filter" }, "Filter"), search),
    h("div", { class: "field inline" }, h("label", { for: "status-filter" }, "Last run status"), status),
    shown,
  );
  return [heading, filters, body];
}

function emptyState(me) {
  return h(
    "div",
    { class: "empty card" },
    h("h2", {}, "No reports yet"),
    h("p", {}, "A report is a SQL query, a schedule and the people who get its file."),
    canCreateReports(me)
      ? h("p", {}, h("a", { href: "#/reports/new" }, "Create the first report"))
      : h("p", { class: "muted" }, "An editor or an admin can create one."),
  );
}

function statusOptions(reports) {
  const seen = new Set(reports.map((report) => report.last_run?.status ?? NEVER_RUN));
  const statuses = [...new Set([...KNOWN_STATUSES, ...seen])].filter((s) => s !== NEVER_RUN);
  return [
    h("option", { value: "" }, "Any"),
    ...statuses.map((s) => h("option", { value: s }, statusInfo(s).label)),
    h("option", { value: NEVER_RUN }, "Never run"),
  ];
}

function haystack(report, schedule) {
  return [report.name, report.description, report.owner_email, schedule].filter(Boolean).join(" ").toLowerCase();
}

function reportRow(report, schedule) {
  const zone = viewerZone();
  const next = report.next_run_at;
  const last = report.last_run;
  return h(
    "tr",
    { "data-report-id": report.id },
    h("td", {}, h("a", { href: `#/reports/${segment(report.id)}`, class: "report-name" }, report.name),
      report.is_active ? null : h("span", { class: "tag" }, "paused")),
    h("td", {}, report.owner_email ?? "—"),
    h("td", {}, schedule, report.schedule_cron ? h("div", { class: "muted small" }, report.schedule_cron) : null),
    h("td", {}, next
      ? [h("div", {}, `${formatTime(next, report.timezone)} (${report.timezone})`),
         report.timezone === zone ? null : h("div", { class: "muted small" }, `${formatTime(next, zone)} your time`),
         h("div", { class: "muted small" }, relativeTime(next))]
      : h("span", { class: "muted" }, !report.is_active ? "paused" : "—")),
    h("td", {}, statusBadge(last?.status),
      last ? h("div", { class: "muted small" },
        [last.finished_at ? formatTime(last.finished_at, zone) : "not finished",
         last.row_count != null ? `${formatCount(last.row_count)} rows` : null,
         last.byte_size != null ? formatBytes(last.byte_size) : null].filter(Boolean).join(" · ")) : null),
  );
}
