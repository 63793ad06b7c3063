// The report form's message templates (subject, body, file name) and a "Preview message"
// button that renders the unsaved templates for the report's last run, or sample values.
// The preview is shown as text only; a template the server cannot render is named under it.

import { ApiError, post, segment } from "./api.js";
import { field, fill, h, setFieldError } from "./dom.js";

const FIELDS = ["subject_template", "body_template", "file_name_template"];
const VARIABLES_HINT = "Variables: report_name, description, status, rows, size, error, scheduled_for, run_time, parameters.x, macros.last_week_start …";

/** The fieldset, `read()` (the body fields) and the field names, for the report form. */
export function messageTemplates(report, reportId) {
  const controls = {
    subject_template: h("input", { id: "subject_template", maxlength: 500, class: "code", value: report.subject_template ?? "", autocomplete: "off", placeholder: "Sales, week {{ macros.last_week_start | date('%V') }}" }),
    body_template: h("textarea", { id: "body_template", rows: 3, maxlength: 10000, class: "code", value: report.body_template ?? "" }),
    file_name_template: h("input", { id: "file_name_template", maxlength: 255, class: "code", value: report.file_name_template ?? "", autocomplete: "off", placeholder: "sales_{{ macros.last_week_start }}" }),
  };
  const output = h("div", { class: "preview", id: "message-preview", "aria-live": "polite" });
  const button = h("button", { type: "button", class: "button secondary", disabled: !reportId }, "Preview message");
  const read = () => Object.fromEntries(FIELDS.map((name) => [name, controls[name].value.trim() ? controls[name].value : null]));
  const node = h("fieldset", { class: "settings", id: "message" }, h("legend", {}, "Message"),
    field("Subject template", controls.subject_template, "Empty: the default subject. " + VARIABLES_HINT),
    field("Body template", controls.body_template, "Empty: the run's facts. Shown as text."),
    field("File name template", controls.file_name_template, "Without extension; the format adds it. Empty: <Report_Name>_<date_time>."),
    h("div", { class: "actions" }, button,
      reportId ? null : h("span", { class: "hint" }, "Save the report first to preview its message.")),
    output);
  button.addEventListener("click", () => preview(reportId, read(), node, output));
  return { node, read, fieldNames: FIELDS };
}

async function preview(reportId, templates, container, output) {
  for (const name of FIELDS) setFieldError(container, name, null);
  fill(output, h("p", { class: "muted small" }, "Rendering…"));
  try {
    const shown = await post(`api/reports/${segment(reportId)}/preview-message`, templates);
    const source = shown.source === "last_run" ? "the last run" : "sample values";
    fill(output, h("dl", { class: "small", "data-testid": "message-preview" },
      h("dt", {}, "Subject"), h("dd", { "data-testid": "preview-subject" }, shown.subject ?? "(default)"),
      h("dt", {}, "Body"), h("dd", { "data-testid": "preview-body", class: "pre-wrap" }, shown.body ?? "(default)"),
      h("dt", {}, "File name"), h("dd", { "data-testid": "preview-file-name" }, shown.file_name ?? "(default)")),
      h("p", { class: "muted small" }, `Rendered for ${source}.`));
  } catch (error) {
    if (!(error instanceof ApiError)) throw error;
    fill(output);
    const named = Object.entries(error.fields ?? {});
    for (const [name, message] of named) setFieldError(container, name, message);
    if (!named.length) fill(output, h("p", { class: "error small" }, error.message));
  }
}
