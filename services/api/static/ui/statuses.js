// How a run's status looks. A status this page does not know yet (a newer server) still
// renders, as its own word in a neutral colour, and is treated as final.

import { h } from "./dom.js";

const KNOWN = {
  QUEUED: { label: "Queued", tone: "waiting", active: true },
  RUNNING: { label: "Running", tone: "running", active: true },
  SUCCESS: { label: "Success", tone: "ok" },
  FAILED: { label: "Failed", tone: "bad" },
  CANCELLED: { label: "Cancelled", tone: "cancelled" },
  SKIPPED: { label: "Skipped", tone: "skipped" },
};

// A notification's outcome (notification_log.status), in the same colours.
const DELIVERY = {
  PENDING: { label: "Pending", tone: "waiting" },
  SENT: { label: "Sent", tone: "ok" },
  FAILED: { label: "Failed", tone: "bad" },
  SKIPPED: { label: "Skipped", tone: "muted" },
};

export const KNOWN_STATUSES = Object.keys(KNOWN);
export const NEVER_RUN = "NEVER";

export function statusInfo(status, known = KNOWN) {
  if (!status) return { label: "Never run", tone: "none" };
  const text = String(status);
  const words = text.replaceAll("_", " ").toLowerCase();
  return known[text] ?? { label: words.charAt(0).toUpperCase() + words.slice(1), tone: "other" };
}

/** Still waiting or running: the page keeps asking for news. */
export function isActive(status) {
  return Boolean(KNOWN[status]?.active);
}

export function statusBadge(status, known = KNOWN) {
  const info = statusInfo(status, known);
  return h(
    "span",
    { class: `status status-${info.tone}`, "data-status": status ?? NEVER_RUN },
    info.label,
  );
}

export function deliveryBadge(status) {
  return statusBadge(status, DELIVERY);
}
