// The report form's run and delivery settings: retries, overlap, timeout, how long files are
// kept, what an empty result does, a condition (row count or first value), the rows shown in
// the mail, delivering only a changed file, and a webhook. Channels are
// write-only: the form shows the stored ones as "set" and sends channels only when the person
// types a new webhook (or removes the stored ones), since an update replaces them all.

import { field, h } from "./dom.js";

const OVERLAP = [["skip", "Skip it (recorded Skipped)"], ["queue", "Queue it until the previous run ended"], ["allow", "Run alongside"]];
const EMPTY_RESULT = [["send", "Deliver it anyway"], ["skip", "Deliver nothing"], ["fail", "Fail the run"]];
const CONDITION_METRICS = [["row_count", "row count"], ["first_value", "first value (first column of the first row)"]];
const CONDITION_OPS = [["", "(always deliver)"], [">", "is more than"], [">=", "is at least"], ["<", "is less than"], ["<=", "is at most"], ["==", "equals"], ["!=", "is not"]];

const options = (pairs, selected) =>
  pairs.map(([value, label]) => h("option", { value, selected: value === selected }, label));
const numberInput = (id, value, min, placeholder = null) =>
  h("input", { id, type: "number", inputmode: "numeric", min, step: 1, value: value ?? "", placeholder });

/** The settings' fieldsets and `read(isNew)`, the body fields they give. */
export function reportSettings(report) {
  const condition = report.deliver_if?.[0] ?? { metric: "row_count", op: "", value: "" };
  const kept = report.deliver_if?.slice(1) ?? [];  // more conditions (set by the API) stay as they are
  const stored = report.channels ?? [];
  const controls = {
    max_retries: numberInput("max_retries", report.max_retries ?? 0, 0),
    retry_delay_seconds: numberInput("retry_delay_seconds", report.retry_delay_seconds ?? 60, 1),
    overlap: h("select", { id: "overlap" }, options(OVERLAP, report.overlap ?? "skip")),
    timeout_seconds: numberInput("timeout_seconds", report.timeout_seconds, 1, "the deployment's"),
    retention_days: numberInput("retention_days", report.retention_days, 1, "the deployment's"),
    empty_result: h("select", { id: "empty_result" }, options(EMPTY_RESULT, report.empty_result ?? "send")),
    condition_metric: h("select", { id: "deliver_if_metric" }, options(CONDITION_METRICS, condition.metric)),
    only_if_changed: h("input", { id: "only_if_changed", type: "checkbox", checked: report.only_if_changed ?? false, "aria-describedby": "only_if_changed-hint" }),
    condition_op: h("select", { id: "deliver_if", "aria-describedby": "deliver_if-error" }, options(CONDITION_OPS, condition.op)),
    condition_value: h("input", { id: "deliver_if_value", type: "text", maxlength: 200, value: condition.value ?? "" }),
    inline_rows: h("input", { id: "inline_rows", type: "number", inputmode: "numeric", min: 0, max: 100, step: 1, value: report.inline_rows ?? 0 }),
    webhook_url: h("input", { id: "webhook_url", type: "url", maxlength: 2048, autocomplete: "off", placeholder: "https:// address of the receiver" }),
    webhook_secret: h("input", { id: "webhook_secret", type: "password", maxlength: 256, autocomplete: "new-password" }),
    remove_channels: h("input", { id: "remove_channels", type: "checkbox" }),
    failure_notice_recipients: h("input", { id: "failure_notice_recipients", type: "checkbox", checked: report.failure_notice_recipients ?? false }),
  };
  const node = [
    h("fieldset", { class: "settings" }, h("legend", {}, "Running"),
      h("div", { class: "row three" },
        field("Retries", controls.max_retries, "Tries again after a transient failure (connection lost, deadlock…)."),
        field("Retry delay (seconds)", controls.retry_delay_seconds, "Before the first retry; doubles each time."),
        field("Timeout (seconds)", controls.timeout_seconds, "Empty: the deployment's statement timeout.")),
      h("div", { class: "row" },
        field("Overlap", controls.overlap, "A scheduled run while the previous one is still running."),
        field("Keep files for (days)", controls.retention_days, "Empty: the deployment's retention."))),
    h("fieldset", { class: "settings", id: "delivery" }, h("legend", {}, "Delivery"),
      h("div", { class: "row" },
        field("When empty", controls.empty_result, "A successful run that returned no rows."),
        field("Rows in the mail", controls.inline_rows, "The first rows shown as a table in the mail (0–100; 0: none).")),
      h("div", { class: "condition" },
        field("Deliver only if", controls.condition_metric),
        field("Condition", controls.condition_op),
        field("Condition value", controls.condition_value,
          [
            "A first value compares as a number when both are numbers, else as text.",
            kept.length ? `${kept.length} more condition(s) set through the API stay as they are.` : null,
          ].filter(Boolean).join(" "))),
      h("div", { class: "check" }, controls.only_if_changed,
        h("label", { for: "only_if_changed" }, "Only when changed"),
        h("span", { class: "hint", id: "only_if_changed-hint" }, "A file identical to the last one delivered is not delivered again.")),
      h("div", { class: "check" }, controls.failure_notice_recipients,
        h("label", { for: "failure_notice_recipients" }, "Tell the recipients too when runs start failing (the owner always hears)")),
      h("fieldset", { class: "parameter", id: "channels", "aria-describedby": "channels-error" },
        h("legend", {}, "Webhooks"),
        stored.length
          ? h("ul", { class: "plain small stored-channels", "data-testid": "stored-channels" }, stored.map((channel) =>
            h("li", {}, `${channel.type} · ${channel.label} · `, writeOnlyWords(channel))))
          : h("p", { class: "hint" }, "No webhook or chat channel."),
        stored.length ? h("div", { class: "check" }, controls.remove_channels, h("label", { for: "remove_channels" }, "Remove the channels above")) : null,
        h("div", { class: "row" },
          field(stored.length ? "New webhook URL" : "Webhook URL", controls.webhook_url,
            stored.length ? "Typing one replaces the channels above (their URLs and secrets cannot be shown)." : "POSTs each run as JSON."),
          field("Webhook secret", controls.webhook_secret, "At least 16 characters; signs each delivery (X-ReportFlow-Signature).")),
        h("p", { class: "field-error", id: "channels-error", hidden: true }))),
  ];
  const read = () => readSettings(controls, kept);
  return { node, read, fieldNames: Object.values(controls).map((control) => control.id).concat("channels") };
}

function writeOnlyWords(channel) {
  return ["url", "secret", "webhook_url", "token"].filter((name) => channel[name] === "set")
    .map((name) => `${name.replace("_", " ")} set`).join(", ");
}

const numberOrNull = (text) => {
  const trimmed = text.trim();
  if (!trimmed) return null;
  return /^\d+$/.test(trimmed) ? Number(trimmed) : trimmed;  // anything else: the API's 422 names it
};

const NUMBER = /^-?(\d+\.?\d*|\.\d+)([eE][-+]?\d+)?$/;

function readCondition(controls) {
  const metric = controls.condition_metric.value;
  const text = controls.condition_value.value.trim();
  if (metric === "row_count") return { metric, op: controls.condition_op.value, value: numberOrNull(text) ?? 0 };
  return { metric, op: controls.condition_op.value, value: NUMBER.test(text) ? Number(text) : controls.condition_value.value };
}

function readSettings(controls, kept) {
  const body = {
    max_retries: numberOrNull(controls.max_retries.value) ?? 0,
    retry_delay_seconds: numberOrNull(controls.retry_delay_seconds.value) ?? 60,
    overlap: controls.overlap.value,
    timeout_seconds: numberOrNull(controls.timeout_seconds.value),
    retention_days: numberOrNull(controls.retention_days.value),
    empty_result: controls.empty_result.value,
    only_if_changed: controls.only_if_changed.checked,
    inline_rows: numberOrNull(controls.inline_rows.value) ?? 0,
    deliver_if: [...(controls.condition_op.value ? [readCondition(controls)] : []), ...kept],
    failure_notice_recipients: controls.failure_notice_recipients.checked,
  };
  const url = controls.webhook_url.value.trim();
  const secret = controls.webhook_secret.value;
  if (url || secret) body.channels = [{ type: "webhook", url, secret }];
  else if (controls.remove_channels.checked) body.channels = [];
  return body;
}
