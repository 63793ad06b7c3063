// Create or edit a report. The schedule is described and the SQL checked as you type;
// the server decides (a 422 names the field, shown next to it).

import { ApiError, get, post, put, segment } from "../api.js";
import { debounce, field, fill, h, setFieldError } from "../dom.js";
import { formatTime } from "../format.js";
import { messageTemplates } from "../message_templates.js";
import { parameterEditor } from "../parameter_editor.js";
import { reportSettings } from "../report_settings.js";
import { schedulePreview } from "../schedule.js";
import { canChangeReport, canCreateReports } from "../session.js";

const FORMATS = ["CSV", "JSON", "JSONL", "XLSX"];
const COMPRESSIONS = [["none", "None"], ["gzip", "gzip (text formats)"]];
const NOTIFY_ON = [["ALWAYS", "Every run"], ["FAILURE", "Failed runs"], ["SUCCESS", "Successful runs"], ["NEVER", "Never"]];
const BLANK = {
  name: "", description: "", sql_query: "", schedule_cron: "", timezone: "UTC",
  recipients: [], output_format: "CSV", compression: "none", notify_on: "ALWAYS",
  is_active: true, csv_formula_guard: false, parameters: [],
};

const options = (pairs, selected) =>
  pairs.map(([value, label]) => h("option", { value, selected: value === selected }, label));

export async function reportForm(context, reportId) {
  const report = reportId ? await get(`api/reports/${segment(reportId)}`) : BLANK;
  if (reportId ? !canChangeReport(context.me, report) : !canCreateReports(context.me)) {
    throw new Error(reportId
      ? "Only the report's owner or an admin may edit it."
      : "Only editors and admins create reports.");
  }
  const controls = buildControls(report);
  const parameters = await parameterEditor(report.parameters ?? []);
  const settings = reportSettings(report);
  const templates = messageTemplates(report, reportId);
  const zones = h("datalist", { id: "timezone-list" });
  get("api/timezones").then((names) => fill(zones, names.map((name) => h("option", { value: name }))), () => {});

  const scheduleOutput = h("div", { class: "preview", id: "schedule-preview", "aria-live": "polite" });
  const sqlOutput = h("div", { class: "preview", id: "sql-check", "aria-live": "polite" });
  const problem = h("p", { class: "error", role: "alert", hidden: true });
  const save = h("button", { type: "submit", class: "button" }, "Save");
  const cancelHref = reportId ? `#/reports/${segment(reportId)}` : "#/";

  const form = h(
    "form",
    { class: "card report-form", novalidate: true },
    h("h1", {}, reportId ? `Edit ${report.name}` : "New report"),
    field("Name", controls.name),
    field("Description", controls.description),
    field("SQL query", controls.sql_query, "One SELECT; it runs read-only on the data source."),
    sqlOutput,
    parameters.node,
    h("div", { class: "row" },
      h("div", {}, field("Schedule", controls.schedule_cron, "Cron: minute hour day month weekday, e.g. 0 8 * * 1. Empty: run by hand only.")),
      h("div", {}, field("Time zone", controls.timezone, "Type to search, e.g. Europe/Berlin."), zones)),
    scheduleOutput,
    field("Recipients", controls.recipients, "E-mail addresses, one a line (or separated by commas)."),
    h("div", { class: "row three" },
      field("Format", controls.output_format),
      field("Compression", controls.compression),
      field("Notify on", controls.notify_on)),
    h("div", { class: "checks" },
      checkbox("Active", controls.is_active),
      checkbox("Formula guard: quote cells a spreadsheet would run", controls.csv_formula_guard)),
    settings.node,
    templates.node,
    problem,
    h("div", { class: "actions" }, save, h("a", { class: "button secondary", href: cancelHref }, "Cancel")),
  );

  const describe = debounce(() => describeSchedule(controls, scheduleOutput, form, context.signal), 250);
  controls.schedule_cron.addEventListener("input", describe);
  controls.timezone.addEventListener("input", describe);
  controls.timezone.addEventListener("change", describe);
  controls.sql_query.addEventListener("input", debounce(() => checkSql(controls, sqlOutput, form, context.signal), 600));
  describeSchedule(controls, scheduleOutput, form, context.signal);

  form.addEventListener("submit", async (event) => {
    event.preventDefault();
    save.disabled = true;
    problem.hidden = true;
    for (const name of [...Object.keys(controls), "parameters", ...settings.fieldNames, ...templates.fieldNames]) setFieldError(form, name, null);
    try {
      const body = { ...readForm(controls), parameters: parameters.read(), ...settings.read(), ...templates.read() };
      const saved = reportId
        ? await put(`api/reports/${segment(reportId)}`, body)
        : await post("api/reports", body);
      location.hash = `#/reports/${segment(saved.id)}`;
    } catch (error) {
      if (!(error instanceof ApiError)) throw error;
      showErrors(form, problem, error);
    } finally {
      save.disabled = false;
    }
  });
  return form;
}

function buildControls(report) {
  return {
    name: h("input", { id: "name", required: true, maxlength: 200, value: report.name, autocomplete: "off" }),
    description: h("textarea", { id: "description", rows: 2, maxlength: 10000, value: report.description ?? "" }),
    sql_query: h("textarea", { id: "sql_query", rows: 8, required: true, spellcheck: "false", class: "code", value: report.sql_query }),
    schedule_cron: h("input", { id: "schedule_cron", class: "code", maxlength: 100, value: report.schedule_cron ?? "", autocomplete: "off", placeholder: "0 8 * * 1" }),
    timezone: h("input", { id: "timezone", list: "timezone-list", maxlength: 64, value: report.timezone, autocomplete: "off" }),
    recipients: h("textarea", { id: "recipients", rows: 3, value: report.recipients.join("\n") }),
    output_format: h("select", { id: "output_format" }, options(FORMATS.map((f) => [f, f]), report.output_format)),
    compression: h("select", { id: "compression" }, options(COMPRESSIONS, report.compression)),
    notify_on: h("select", { id: "notify_on" }, options(NOTIFY_ON, report.notify_on)),
    is_active: h("input", { id: "is_active", type: "checkbox", checked: report.is_active }),
    csv_formula_guard: h("input", { id: "csv_formula_guard", type: "checkbox", checked: report.csv_formula_guard }),
  };
}

function checkbox(label, control) {
  return h("div", { class: "check" }, control, h("label", { for: control.id }, label));
}

/** The request body; every field is sent, so an edit is the form as shown. */
function readForm(controls) {
  return {
    name: controls.name.value.trim(),
    description: controls.description.value.trim() || null,
    sql_query: controls.sql_query.value,
    schedule_cron: controls.schedule_cron.value.trim() || null,
    timezone: controls.timezone.value.trim() || "UTC",
    recipients: controls.recipients.value.split(/[\n,;]/).map((r) => r.trim()).filter(Boolean),
    output_format: controls.output_format.value,
    compression: controls.compression.value,
    notify_on: controls.notify_on.value,
    is_active: controls.is_active.checked,
    csv_formula_guard: controls.csv_formula_guard.checked,
  };
}

function showErrors(form, problem, error) {
  const unplaced = [];
  for (const [name, message] of Object.entries(error.fields)) {
    if (!setFieldError(form, name, message)) unplaced.push(`${name}: ${message}`);
  }
  if (!Object.keys(error.fields).length) unplaced.push(error.message);
  problem.textContent = unplaced.length ? unplaced.join("; ") : "Please correct the fields marked below.";
  problem.hidden = false;
  form.querySelector("[aria-invalid=true]")?.focus();
}

async function describeSchedule(controls, output, form, signal) {
  const cron = controls.schedule_cron.value.trim();
  const zone = controls.timezone.value.trim() || "UTC";
  setFieldError(form, "schedule_cron", null);
  setFieldError(form, "timezone", null);
  if (!cron) {
    fill(output, h("p", { class: "muted" }, "No schedule: the report runs only when someone presses Run now."));
    return;
  }
  try {
    const preview = await schedulePreview(cron, zone, 5);
    if (signal.aborted || controls.schedule_cron.value.trim() !== cron) return;
    fill(
      output,
      h("p", { class: "schedule-words", "data-testid": "schedule-description" }, preview.description, ` (${zone})`),
      h("p", { class: "muted small" }, preview.rules),
      h("p", { class: "small" }, "Next runs:"),
      h("ol", { class: "next-runs small" }, preview.next_runs.map((time) => h("li", {}, formatTime(time, zone)))),
    );
  } catch (error) {
    if (signal.aborted) return;
    fill(output);
    const fieldName = error.fields?.timezone ? "timezone" : "schedule_cron";
    setFieldError(form, fieldName, error.fields?.cron ?? error.fields?.timezone ?? error.message);
  }
}

async function checkSql(controls, output, form, signal) {
  const sql = controls.sql_query.value.trim();
  setFieldError(form, "sql_query", null);
  if (!sql) return fill(output);
  if (sql.includes("{{")) {
    // The check prepares the SQL alone; its {{ parameters }} are checked with their types on Save.
    return fill(output, h("p", { class: "muted small" }, "The query uses parameters: it is checked with them when you save."));
  }
  fill(output, h("p", { class: "muted small" }, "Checking the query…"));
  try {
    await post("api/sql/check", { sql_query: sql });
    if (signal.aborted || controls.sql_query.value.trim() !== sql) return;
    fill(output, h("p", { class: "ok small", "data-testid": "sql-ok" }, "✓ The data source accepts this query."));
  } catch (error) {
    if (signal.aborted || controls.sql_query.value.trim() !== sql) return;
    fill(output);
    setFieldError(form, "sql_query", error.fields?.sql_query ?? error.message);
  }
}
