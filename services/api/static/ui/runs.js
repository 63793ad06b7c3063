// A report's runs: the live status of one run, and the history table, with what may be done
// to a run (download, cancel, resend) and how it went (progress, attempts, parameters).

import { get, post, query, request, segment } from "./api.js";
import { confirmAction } from "./confirm.js";
import { fill, h, table } from "./dom.js";
import { durationBetween, formatBytes, formatCount, formatDuration, formatTime } from "./format.js";
import { deliveryBadge, isActive, statusBadge } from "./statuses.js";

const POLL_MS = 1000;
export const HISTORY_PAGE = 20;

export const rowsOf = (run) => run.row_count ?? run.rows_exported ?? null;
export const bytesOf = (run) => run.byte_size ?? run.bytes_written ?? null;

export function downloadLink(run) {
  if (run.expired_at) {
    return h("span", { class: "muted small expired", title: `Removed ${formatTime(run.expired_at)} (retention)` }, "expired");
  }
  if (!run.download_url) return null;
  return h("a", { href: `api/runs/${segment(run.id)}/download`, class: "download", download: "" }, "Download");
}

/** The buttons and links a run offers; `allowed` is whether the viewer may change the report,
 * `onChanged()` redraws what an action changed (the history, its notifications). */
export function runActions(run, allowed = false, onChanged = () => {}) {
  const actions = [downloadLink(run)];
  if (allowed && isActive(run.status) && !run.cancel_requested_at) actions.push(cancelButton(run, onChanged));
  if (allowed && isActive(run.status) && run.cancel_requested_at) actions.push(h("span", { class: "muted small" }, "cancelling…"));
  if (allowed && run.status === "SUCCESS" && run.output_path && !run.expired_at) actions.push(resendButton(run, onChanged));
  return actions.filter(Boolean);
}

function cancelButton(run, onChanged) {
  return h("button", { type: "button", class: "button danger small", "data-action": "cancel", onclick: async (event) => {
    const button = event.currentTarget;
    button.disabled = true;
    try {
      await post(`api/runs/${segment(run.id)}/cancel`);
    } catch (error) {
      reportProblem(button, error);  // 409: it ended meanwhile; the next redraw shows how
    }
    onChanged();
  } }, "Cancel");
}

function resendButton(run, onChanged) {
  return h("button", { type: "button", class: "button secondary small", "data-action": "resend", onclick: async (event) => {
    const button = event.currentTarget;
    if (!(await confirmAction("Send this run's file again to the report's recipients and channels? The query does not run again.", "Resend"))) return;
    button.disabled = true;
    try {
      await post(`api/runs/${segment(run.id)}/resend`);
      button.replaceWith(h("span", { class: "ok small", role: "status" }, "Resend queued"));
      onChanged();
    } catch (error) {
      reportProblem(button, error);
      button.disabled = false;
    }
  } }, "Resend");
}

function reportProblem(button, error) {
  button.parentElement?.append(h("span", { class: "field-error small", role: "alert" }, error.message));
}

/** One line about a run as it goes: "12,000 rows so far · 1.4 MB · 8.0 s". */
export function runSummary(run, now = Date.now()) {
  const rows = rowsOf(run);
  const parts = [];
  if (isActive(run.status)) {
    if (rows !== null) parts.push(`${formatCount(rows)} rows so far`);
    if (run.status === "RUNNING" && run.bytes_written !== null && run.bytes_written !== undefined) parts.push(formatBytes(run.bytes_written));
    if (run.status === "RUNNING" && run.started_at) parts.push(`${formatDuration(now - new Date(run.started_at))} elapsed`);
  }
  if (!isActive(run.status)) {
    if (rows !== null) parts.push(`${formatCount(rows)} rows`);
    if (bytesOf(run) !== null) parts.push(formatBytes(bytesOf(run)));
    const took = durationBetween(run.started_at, run.finished_at);
    if (took !== null) parts.push(`in ${formatDuration(took)}`);
  }
  return parts.join(" · ");
}

/** Draws `run` into `panel` and keeps asking until it is final; `onFinished(run)` then. */
export async function followRun(run, panel, { signal, allowed, onFinished, onChanged = () => {} }) {
  let current = run;
  panel.dataset.runId = run.id;  // a newer run followed in the same panel ends this loop
  const superseded = () => signal.aborted || panel.dataset.runId !== run.id;
  for (;;) {
    drawLiveRun(panel, current, allowed, onChanged);
    if (!isActive(current.status) || signal.aborted) break;
    await new Promise((resolve) => setTimeout(resolve, POLL_MS));
    if (superseded()) return;
    try {
      current = await get(`api/runs/${segment(current.id)}`);
    } catch (error) {
      if (!superseded()) fill(panel, h("p", { class: "error", role: "alert" }, `Lost track of the run: ${error.message}`));
      return;
    }
    if (superseded()) return;
  }
  if (!signal.aborted) onFinished(current);
}

function drawLiveRun(panel, run, allowed, onChanged) {
  fill(
    panel,
    h("span", { class: "muted" }, "Latest run: "),
    statusBadge(run.status),
    h("span", { class: "small", "data-testid": "run-progress" }, ` ${runSummary(run)} `),
    ...runActions(run, allowed, onChanged),
    run.error_message ? h("pre", { class: "run-error", role: "alert" }, run.error_message) : null,
  );
}

/** The history table of a report, newest first, with each run's notifications. */
export async function runHistory(reportId, { offset = 0, allowed = false, onChanged = () => {} } = {}) {
  const { data: runs, headers } = await getPage(reportId, offset);
  const notifications = await Promise.all(
    runs.map((run) => get(`api/runs/${segment(run.id)}/notifications`).catch(() => null)),
  );
  const total = Number(headers.get("X-Total-Count") ?? runs.length);
  if (!runs.length) return { node: h("p", { class: "empty" }, "No runs yet."), total };
  const rows = runs.flatMap((run, index) => historyRows(run, notifications[index], allowed, onChanged));
  const node = table("Run history", ["When", "Trigger", "Status", "Duration", "Rows", "Size", "File", "Notified"], rows, "runs");
  return { node, total };
}

function getPage(reportId, offset) {
  return request("GET", query(`api/reports/${segment(reportId)}/runs`, { limit: HISTORY_PAGE, offset }));
}

function historyRows(run, notifications, allowed, onChanged) {
  const row = h(
    "tr",
    { "data-run-id": run.id, "data-status": run.status },
    h("td", {}, formatTime(run.queued_at), run.scheduled_for ? h("div", { class: "muted small" }, `slot ${formatTime(run.scheduled_for)}`) : null),
    h("td", {}, triggerWords(run.trigger)),
    h("td", {}, statusBadge(run.status), attemptList(run.attempts ?? [])),
    h("td", {}, formatDuration(durationBetween(run.started_at, run.finished_at))),
    h("td", { class: "number" }, formatCount(rowsOf(run))),
    h("td", { class: "number" }, formatBytes(bytesOf(run))),
    h("td", { class: "run-actions" }, runActions(run, allowed, onChanged)),
    h("td", {}, notificationList(notifications)),
  );
  const details = [
    run.error_message ? h("pre", { class: "run-error" }, run.error_message) : null,
    run.notes ? h("p", { class: "small" }, run.notes) : null,
    run.parameters && Object.keys(run.parameters).length
      ? parameterList(run.parameters) : null,
  ].filter(Boolean);
  if (!details.length) return [row];
  return [row, h("tr", { class: "details" }, h("td", { colspan: 8 }, details))];
}

/** Every attempt of a run (retries, recoveries), in a disclosure under its status. */
function attemptList(attempts) {
  if (!attempts.length) return null;
  const words = `${attempts.length} attempt${attempts.length === 1 ? "" : "s"}`;
  return h("details", { class: "attempts small" },
    h("summary", {}, words),
    h("ol", {}, attempts.map((attempt) => h("li", { "data-attempt": attempt.number },
      `${formatTime(attempt.started_at)}`,
      attempt.finished_at ? ` · ${formatDuration(durationBetween(attempt.started_at, attempt.finished_at))}` : " · running",
      attempt.error ? h("div", { class: "run-error" }, attempt.error) : null))));
}

/** The values a run used, one "name = value" each. */
function parameterList(parameters) {
  return h("p", { class: "small run-parameters", "data-testid": "run-parameters" }, "Parameters: ",
    Object.entries(parameters).map(([name, value], index) => [index ? ", " : "", h("code", {}, name), ` = ${JSON.stringify(value)}`]));
}

function triggerWords(trigger) {
  return { MANUAL: "Run now", SCHEDULE: "Schedule" }[trigger] ?? String(trigger ?? "—");
}

function notificationList(notifications) {
  if (notifications === null) return h("span", { class: "muted" }, "unknown");
  const mails = notifications.filter((item) => item.channel !== "LOG");
  if (!mails.length) return h("span", { class: "muted" }, notifications.length ? "nobody (logged)" : "—");
  return h("ul", { class: "plain small" }, mails.map((item) =>
    h("li", { "data-resend": item.resend_id ? "true" : null }, `${item.recipient}${item.resend_id ? " (resent)" : ""}: `, deliveryBadge(item.status),
      item.error_message ? h("div", { class: "muted" }, item.error_message) : null)));
}

/** Queues a manual run, with values for its parameters when given; the answer is the QUEUED run. */
export const startRun = (reportId, parameters = null) =>
  post(`api/reports/${segment(reportId)}/run`, parameters ? { parameters } : undefined);
