// One report: its definition, Run now with live status, pause/resume, delete, run history.

import { del, get, put, segment } from "../api.js";
import { confirmAction } from "../confirm.js";
import { fill, h } from "../dom.js";
import { formatTime, viewerZone } from "../format.js";
import { valueText } from "../parameter_values.js";
import { runWithParameters } from "../run_dialog.js";
import { followRun, HISTORY_PAGE, runHistory, startRun } from "../runs.js";
import { scheduleInWords } from "../schedule.js";
import { canChangeReport } from "../session.js";
import { versionHistory } from "../versions.js";

export async function reportPage(context, reportId) {
  const report = await get(`api/reports/${segment(reportId)}`);
  const allowed = canChangeReport(context.me, report);
  const schedule = await scheduleInWords(report.schedule_cron, report.timezone);
  const live = h("div", { class: "live-run", id: "live-run", "aria-live": "polite" });
  const history = h("div", { id: "run-history" });
  const problem = h("p", { class: "error", role: "alert", hidden: true });
  let offset = 0;

  const showHistory = async () => {
    const { node, total } = await runHistory(report.id, { offset, allowed, onChanged: () => showHistory() });
    if (context.signal.aborted) return;
    const pager = h("div", { class: "pager" },
      offset > 0 ? h("button", { type: "button", class: "button secondary small", onclick: () => { offset = Math.max(0, offset - HISTORY_PAGE); showHistory(); } }, "Newer runs") : null,
      total > offset + HISTORY_PAGE ? h("button", { type: "button", class: "button secondary small", onclick: () => { offset += HISTORY_PAGE; showHistory(); } }, "Older runs") : null,
      h("span", { class: "muted small" }, `${total} run${total === 1 ? "" : "s"}`));
    fill(history, node, pager);
  };
  const fail = (error) => { problem.textContent = error.message; problem.hidden = false; };

  const actions = allowed ? h("div", { class: "actions" },
    h("button", { type: "button", class: "button", id: "run-now", onclick: async (event) => {
      event.currentTarget.disabled = true;
      problem.hidden = true;
      const button = event.currentTarget;
      try {
        const run = report.parameters.length
          ? await runWithParameters(report.parameters, (values) => startRun(report.id, values))
          : await startRun(report.id);
        if (!run) return;  // the parameter form was cancelled
        showHistory();
        await followRun(run, live, { signal: context.signal, allowed, onFinished: showHistory, onChanged: showHistory });
      } catch (error) { fail(error); } finally { button.disabled = false; }
    } }, "Run now"),
    h("a", { class: "button secondary", href: `#/reports/${segment(report.id)}/edit` }, "Edit"),
    h("button", { type: "button", class: "button secondary", id: "toggle-active", onclick: async () => {
      try {
        await put(`api/reports/${segment(report.id)}`, { is_active: !report.is_active });
        dispatchEvent(new HashChangeEvent("hashchange"));
      } catch (error) { fail(error); }
    } }, report.is_active ? "Disable" : "Enable"),
    h("button", { type: "button", class: "button danger", id: "delete-report", onclick: async () => {
      if (!(await confirmAction(`Delete the report “${report.name}” and its run history? Files already written stay on disk.`, "Delete"))) return;
      try {
        await del(`api/reports/${segment(report.id)}`);
        location.hash = "#/";
      } catch (error) { fail(error); }
    } }, "Delete"),
  ) : null;

  await showHistory();
  const reload = () => dispatchEvent(new HashChangeEvent("hashchange"));
  const versions = h("div", { id: "versions" }, await versionHistory(report, { allowed, onRestored: reload, onProblem: fail }));
  if (report.last_run) {
    // The latest run in the live line; one still going is followed until it ends.
    get(`api/runs/${segment(report.last_run.id)}`)
      .then((run) => followRun(run, live, { signal: context.signal, allowed, onFinished: showHistory, onChanged: showHistory }))
      .catch(() => {});
  }
  return [
    h("p", { class: "crumbs" }, h("a", { href: "#/" }, "Reports"), " / "),
    h("div", { class: "page-head" },
      h("h1", { class: "report-title" }, report.name),
      h("span", { class: `tag ${report.is_active ? "tag-on" : ""}`, "data-testid": "active-state" }, report.is_active ? "active" : "paused")),
    report.description ? h("p", { class: "description" }, report.description) : null,
    actions,
    problem,
    live,
    h("section", { class: "card" }, h("h2", {}, "Definition"), definition(report, schedule)),
    h("section", {}, h("h2", {}, "Run history"), history),
    h("section", { class: "card" }, h("h2", {}, "History of changes"), versions),
  ];
}

function definition(report, schedule) {
  const zone = viewerZone();
  const next = report.next_run_at;
  const item = (term, ...value) => [h("dt", {}, term), h("dd", {}, ...value)];
  return h("dl", { class: "definition" },
    item("Owner", report.owner_email ?? "—"),
    item("Schedule", schedule, report.schedule_cron ? h("span", { class: "muted" }, ` (${report.schedule_cron})`) : null),
    item("Time zone", report.timezone),
    item("Next run", next
      ? [`${formatTime(next, report.timezone)} (${report.timezone})`, report.timezone === zone ? null : h("div", { class: "muted" }, `${formatTime(next, zone)} your time (${zone})`)]
      : (report.is_active ? "—" : "paused")),
    item("Format", report.output_format, report.compression !== "none" ? `, ${report.compression}` : ""),
    item("Recipients", report.recipients.length ? h("ul", { class: "plain" }, report.recipients.map((r) => h("li", {}, r))) : "nobody"),
    item("Notify on", report.notify_on),
    item("Formula guard", report.csv_formula_guard ? "on" : "off"),
    item("Retries", report.max_retries ? `${report.max_retries}, first after ${report.retry_delay_seconds} s (then doubling)` : "none"),
    item("Overlap", report.overlap),
    item("Timeout", report.timeout_seconds ? `${report.timeout_seconds} s` : "the deployment's"),
    item("Keep files for", report.retention_days ? `${report.retention_days} days` : "the deployment's retention"),
    item("When empty", report.empty_result),
    item("Only when changed", report.only_if_changed ? "yes: an unchanged file is not delivered" : "no"),
    item("Deliver only if", report.deliver_if.length ? report.deliver_if.map((c) => `${c.metric.replace("_", " ")} ${c.op} ${typeof c.value === "string" ? JSON.stringify(c.value) : c.value}`).join(" and ") : "always"),
    item("Rows in the mail", report.inline_rows ? `the first ${report.inline_rows}` : "none"),
    item("Failure notices", report.failure_notice_recipients ? "owner and recipients" : "owner"),
    item("Channels", report.channels.length ? h("ul", { class: "plain" }, report.channels.map((c) => h("li", {}, `${c.type} · ${c.label}`))) : "none"),
    ...[["Subject template", report.subject_template], ["Body template", report.body_template], ["File name template", report.file_name_template]]
      .filter(([, template]) => template).map(([term, template]) => item(term, h("code", { class: "pre-wrap" }, template))),
    report.parameters.length ? item("Parameters", h("ul", { class: "plain" }, report.parameters.map((p) =>
      h("li", {}, h("code", {}, p.name), ` (${p.type})`, p.default === null ? " — no default" : ` = ${valueText(p.default)}`)))) : null,
    item("SQL query", h("pre", { class: "code", "data-testid": "sql-query" }, report.sql_query)),
  );
}
