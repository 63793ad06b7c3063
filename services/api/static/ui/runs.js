// A report's runs: the live status of one run, and the history table. Fields a newer server
// adds (rows_exported, bytes_written, parameters) show when present; a new action on a run
// (Cancel) is one more entry in runActions.

import { get, post, query, request, segment } from "./api.js";
import { fill, h, table } from "./dom.js";
import { durationBetween, formatBytes, formatCount, formatDuration, formatTime } from "./format.js";
import { deliveryBadge, isActive, statusBadge } from "./statuses.js";

const POLL_MS = 1000;
export const HISTORY_PAGE = 20;

export const rowsOf = (run) => run.row_count ?? run.rows_exported ?? null;
export const bytesOf = (run) => run.byte_size ?? run.bytes_written ?? null;

export function downloadLink(run) {
  if (!run.download_url) return null;
  return h("a", { href: `api/runs/${segment(run.id)}/download`, class: "download", download: "" }, "Download");
}

/** The buttons and links a run offers; `allowed` is whether the viewer may change the report. */
export function runActions(run, allowed = false) {
  const actions = [downloadLink(run)];
  // A Cancel button joins here, for those `allowed`, while isActive(run.status).
  return actions.filter(Boolean);
}

/** One line about a run as it goes: "Running · 1,200 rows so far". */
export function runSummary(run) {
  const rows = rowsOf(run);
  const parts = [];
  if (isActive(run.status) && rows !== null) parts.push(`${formatCount(rows)} rows so far`);
  if (!isActive(run.status)) {
    if (rows !== null) parts.push(`${formatCount(rows)} rows`);
    if (bytesOf(run) !== null) parts.push(formatBytes(bytesOf(run)));
    const took = durationBetween(run.started_at, run.finished_at);
    if (took !== null) parts.push(`in ${formatDuration(took)}`);
  }
  return parts.join(" · ");
}

/** Draws `run` into `panel` and keeps asking until it is final; `onFinished(run)` then. */
export async function followRun(run, panel, { signal, allowed, onFinished }) {
  let current = run;
  panel.dataset.runId = run.id;  // a newer run followed in the same panel ends this loop
  const superseded = () => signal.aborted || panel.dataset.runId !== run.id;
  for (;;) {
    drawLiveRun(panel, current, allowed);
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

function drawLiveRun(panel, run, allowed) {
  fill(
    panel,
    h("span", { class: "muted" }, "Latest run: "),
    statusBadge(run.status),
    h("span", { class: "small" }, ` ${runSummary(run)} `),
    ...runActions(run, allowed),
    run.error_message ? h("pre", { class: "run-error", role: "alert" }, run.error_message) : null,
  );
}

/** The history table of a report, newest first, with each run's notifications. */
export async function runHistory(reportId, { offset = 0, allowed = false } = {}) {
  const { data: runs, headers } = await getPage(reportId, offset);
  const notifications = await Promise.all(
    runs.map((run) => get(`api/runs/${segment(run.id)}/notifications`).catch(() => null)),
  );
  const total = Number(headers.get("X-Total-Count") ?? runs.length);
  if (!runs.length) return { node: h("p", { class: "empty" }, "No runs yet."), total };
  const rows = runs.flatMap((run, index) => historyRows(run, notifications[index], allowed));
  const node = table("Run history", ["When", "Trigger", "Status", "Duration", "Rows", "Size", "File", "Notified"], rows, "runs");
  return { node, total };
}

function getPage(reportId, offset) {
  return request("GET", query(`api/reports/${segment(reportId)}/runs`, { limit: HISTORY_PAGE, offset }));
}

function historyRows(run, notifications, allowed) {
  const row = h(
    "tr",
    { "data-run-id": run.id, "data-status": run.status },
    h("td", {}, formatTime(run.queued_at), run.scheduled_for ? h("div", { class: "muted small" }, `slot ${formatTime(run.scheduled_for)}`) : null),
    h("td", {}, triggerWords(run.trigger)),
    h("td", {}, statusBadge(run.status), run.attempt > 1 ? h("div", { class: "muted small" }, `attempt ${run.attempt}`) : null),
    h("td", {}, formatDuration(durationBetween(run.started_at, run.finished_at))),
    h("td", { class: "number" }, formatCount(rowsOf(run))),
    h("td", { class: "number" }, formatBytes(bytesOf(run))),
    h("td", {}, runActions(run, allowed)),
    h("td", {}, notificationList(notifications)),
  );
  const details = [
    run.error_message ? h("pre", { class: "run-error" }, run.error_message) : null,
    run.notes ? h("p", { class: "small" }, run.notes) : null,
    run.parameters && Object.keys(run.parameters).length
      ? h("p", { class: "small" }, `Parameters: ${JSON.stringify(run.parameters)}`) : null,
  ].filter(Boolean);
  if (!details.length) return [row];
  return [row, h("tr", { class: "details" }, h("td", { colspan: 8 }, details))];
}

function triggerWords(trigger) {
  return { MANUAL: "Run now", SCHEDULE: "Schedule" }[trigger] ?? String(trigger ?? "—");
}

function notificationList(notifications) {
  if (notifications === null) return h("span", { class: "muted" }, "unknown");
  const mails = notifications.filter((item) => item.channel !== "LOG");
  if (!mails.length) return h("span", { class: "muted" }, notifications.length ? "nobody (logged)" : "—");
  return h("ul", { class: "plain small" }, mails.map((item) =>
    h("li", {}, `${item.recipient}: `, deliveryBadge(item.status),
      item.error_message ? h("div", { class: "muted" }, item.error_message) : null)));
}

/** Queues a manual run; the answer is the QUEUED run. */
export const startRun = (reportId) => post(`api/reports/${segment(reportId)}/run`);
