// Numbers, sizes, durations and times in words a person reads at a glance.

const SIZE_UNITS = ["B", "KB", "MB", "GB", "TB"];

export function viewerZone() {
  return Intl.DateTimeFormat().resolvedOptions().timeZone || "UTC";
}

/** "1.4 MB"; "—" when unknown. */
export function formatBytes(bytes) {
  if (bytes === null || bytes === undefined) return "—";
  let value = Number(bytes);
  let unit = 0;
  while (value >= 1000 && unit < SIZE_UNITS.length - 1) {
    value /= 1000;
    unit += 1;
  }
  // A no-break space: "903 B" never breaks between number and unit.
  const number = unit === 0 ? String(value) : value.toFixed(value < 10 ? 1 : 0);
  return `${number}\u00a0${SIZE_UNITS[unit]}`;
}

export function formatCount(count) {
  return count === null || count === undefined ? "—" : Number(count).toLocaleString("en");
}

/** "850 ms", "12.3 s", "4 min 05 s", "2 h 03 min". */
export function formatDuration(milliseconds) {
  if (milliseconds === null || milliseconds === undefined || Number.isNaN(milliseconds)) return "—";
  if (milliseconds < 1000) return `${Math.max(0, Math.round(milliseconds))} ms`;
  const seconds = milliseconds / 1000;
  if (seconds < 60) return `${seconds.toFixed(1)} s`;
  const minutes = Math.floor(seconds / 60);
  if (minutes < 60) return `${minutes} min ${String(Math.round(seconds % 60)).padStart(2, "0")} s`;
  return `${Math.floor(minutes / 60)} h ${String(minutes % 60).padStart(2, "0")} min`;
}

/** Between two ISO times; null when either is missing. */
export function durationBetween(start, end) {
  if (!start || !end) return null;
  return new Date(end) - new Date(start);
}

/** "Mon 30 Nov 2026, 08:00" in `zone` (the viewer's when omitted); "—" for none. */
export function formatTime(iso, zone = undefined) {
  if (!iso) return "—";
  const options = {
    weekday: "short",
    day: "numeric",
    month: "short",
    year: "numeric",
    hour: "2-digit",
    minute: "2-digit",
    hourCycle: "h23",
  };
  try {
    return new Intl.DateTimeFormat("en-GB", { ...options, timeZone: zone }).format(new Date(iso));
  } catch {
    // A zone this browser does not know: the viewer's own, which is always known.
    return new Intl.DateTimeFormat("en-GB", options).format(new Date(iso));
  }
}

/** "3 min ago", "in 2 h": for the list, next to the exact time. */
export function relativeTime(iso, now = Date.now()) {
  if (!iso) return "";
  const seconds = Math.round((new Date(iso) - now) / 1000);
  const format = new Intl.RelativeTimeFormat("en", { numeric: "auto" });
  const steps = [
    [60, "second"],
    [3600, "minute"],
    [86400, "hour"],
    [Infinity, "day"],
  ];
  let divisor = 1;
  for (const [limit, unit] of steps) {
    if (Math.abs(seconds) < limit) return format.format(Math.round(seconds / divisor), unit);
    divisor = limit;
  }
  return "";
}
