// A schedule in words, from the API's preview (cached per cron and zone).

import { get, query } from "./api.js";

const previews = new Map();

/** The preview ({description, rules, next_runs}); rejects with the ApiError of a bad schedule. */
export function schedulePreview(cron, timezone, count = 5) {
  const key = `${cron}\u0000${timezone}\u0000${count}`;
  if (!previews.has(key)) {
    const pending = get(query("api/schedule/preview", { cron, timezone, count }));
    pending.catch(() => previews.delete(key));
    previews.set(key, pending);
  }
  return previews.get(key);
}

/** "At 08:00, only on Monday" or "Manual only". */
export async function scheduleInWords(cron, timezone) {
  if (!cron) return "Manual only";
  try {
    return (await schedulePreview(cron, timezone, 1)).description;
  } catch {
    return cron;
  }
}
