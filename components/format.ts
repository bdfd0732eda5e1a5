/**
 * Display formatting for the dashboard: pure functions, no business figures. Numbers use a fixed
 * English locale so separators are stable ("1,234") whatever the browser says.
 */

const countFormat = new Intl.NumberFormat("en-US", { maximumFractionDigits: 0 });
const decimalFormat = new Intl.NumberFormat("en-US", { maximumFractionDigits: 1 });

/** Placeholder for a value the source did not report. */
export const MISSING = "—";

/** 1234 → "1,234". */
export function formatCount(value: number | bigint | null | undefined): string {
  if (value === null || value === undefined) return MISSING;
  if (typeof value === "number" && !Number.isFinite(value)) return MISSING;
  return countFormat.format(value);
}

const UNITS = ["B", "KiB", "MiB", "GiB", "TiB", "PiB", "EiB"] as const;

/** `value` in units of 1024^`start`, scaled to the largest unit that keeps it ≥ 1. */
function scaleBinary(value: number, start: number): string {
  if (!Number.isFinite(value)) return MISSING;
  let unit = start;
  let scaled = value;
  while (Math.abs(scaled) >= 1024 && unit < UNITS.length - 1) {
    scaled /= 1024;
    unit += 1;
  }
  // Round first, so 1023.96 MiB shows as "1 GiB" rather than "1,024 MiB".
  if (Math.abs(Number(scaled.toFixed(1))) >= 1024 && unit < UNITS.length - 1) {
    scaled /= 1024;
    unit += 1;
  }
  const digits = unit === 0 ? countFormat : decimalFormat;
  return `${digits.format(scaled)} ${UNITS[unit]}`;
}

/** Memory or disk in MiB: 8192 → "8 GiB", 512 → "512 MiB", 1536 → "1.5 GiB". */
export function formatMiB(mib: number | null | undefined): string {
  if (mib === null || mib === undefined) return MISSING;
  return scaleBinary(mib, 2);
}

/** A size in bytes: 536870912 → "512 MiB", 512 → "512 B". Accepts bigint (superjson). */
export function formatBytes(bytes: number | bigint | null | undefined): string {
  if (bytes === null || bytes === undefined) return MISSING;
  return scaleBinary(Number(bytes), 0);
}

/** A container memory limit: 0 means no limit, shown as "unbounded" (never "0"). */
export function formatMemoryLimit(bytes: number | bigint | null | undefined): string {
  if (bytes === null || bytes === undefined) return MISSING;
  if (Number(bytes) <= 0) return "unbounded";
  return formatBytes(bytes);
}

/** A container CPU limit in billionths of a CPU: 0 → "unbounded", 1.5e9 → "1.5 CPUs". */
export function formatNanoCpus(nanoCpus: number | bigint | null | undefined): string {
  if (nanoCpus === null || nanoCpus === undefined) return MISSING;
  const cpus = Number(nanoCpus) / 1e9;
  if (cpus <= 0) return "unbounded";
  return `${decimalFormat.format(cpus)} ${cpus === 1 ? "CPU" : "CPUs"}`;
}

const MINUTE = 60;
const HOUR = 60 * MINUTE;
const DAY = 24 * HOUR;

/**
 * "just now", "5 min ago", "3 h ago", "2 days ago" (or "in 5 min" for a future time). `now` is a
 * parameter so the function stays pure; null means it never happened.
 */
export function formatRelativeTime(
  date: Date | string | number | null | undefined,
  now: Date | number = Date.now(),
): string {
  if (date === null || date === undefined) return "never";
  const time = new Date(date).getTime();
  const reference = typeof now === "number" ? now : now.getTime();
  if (!Number.isFinite(time)) return MISSING;
  const seconds = Math.round((reference - time) / 1000);
  const future = seconds < 0;
  const age = Math.abs(seconds);
  if (age < 45) return "just now";
  let text: string;
  if (age < HOUR) text = `${Math.max(1, Math.round(age / MINUTE))} min`;
  else if (age < DAY) text = `${Math.round(age / HOUR)} h`;
  else if (age < 60 * DAY) {
    const days = Math.round(age / DAY);
    text = `${days} ${days === 1 ? "day" : "days"}`;
  } else if (age < 365 * DAY) {
    const months = Math.round(age / (30 * DAY));
    text = `${months} ${months === 1 ? "month" : "months"}`;
  } else {
    const years = Math.round(age / (365 * DAY));
    text = `${years} ${years === 1 ? "year" : "years"}`;
  }
  return future ? `in ${text}` : `${text} ago`;
}

/** The exact time, for title attributes: "2025-11-23 22:48:05" in the viewer's time zone. */
export function formatDateTime(date: Date | string | number | null | undefined): string {
  if (date === null || date === undefined) return MISSING;
  const d = new Date(date);
  if (!Number.isFinite(d.getTime())) return MISSING;
  const pad = (n: number) => String(n).padStart(2, "0");
  return (
    `${d.getFullYear()}-${pad(d.getMonth() + 1)}-${pad(d.getDate())} ` +
    `${pad(d.getHours())}:${pad(d.getMinutes())}:${pad(d.getSeconds())}`
  );
}

/** A run duration: 850 → "850 ms", 12_300 → "12.3 s", 125_000 → "2 min 5 s". */
export function formatDuration(ms: number | null | undefined): string {
  if (ms === null || ms === undefined || !Number.isFinite(ms)) return MISSING;
  if (ms < 1000) return `${Math.round(ms)} ms`;
  const seconds = ms / 1000;
  if (seconds < 60) return `${decimalFormat.format(seconds)} s`;
  const total = Math.round(seconds);
  const hours = Math.floor(total / HOUR);
  const minutes = Math.floor((total % HOUR) / MINUTE);
  const rest = total % MINUTE;
  if (hours > 0) return minutes > 0 ? `${hours} h ${minutes} min` : `${hours} h`;
  return rest > 0 ? `${minutes} min ${rest} s` : `${minutes} min`;
}

/** A collection interval in seconds: 900 → "15 min", 3600 → "1 h", 5400 → "1 h 30 min", 86400 → "1 day". */
export function formatInterval(seconds: number | null | undefined): string {
  if (seconds === null || seconds === undefined || !Number.isFinite(seconds)) return MISSING;
  if (seconds < MINUTE) return `${Math.round(seconds)} s`;
  if (seconds % DAY === 0) {
    const days = seconds / DAY;
    return `${days} ${days === 1 ? "day" : "days"}`;
  }
  const hours = Math.floor(seconds / HOUR);
  const minutes = Math.round((seconds % HOUR) / MINUTE);
  if (hours === 0) return `${minutes} min`;
  return minutes > 0 ? `${hours} h ${minutes} min` : `${hours} h`;
}

const POWER_STATES: Record<string, string> = {
  poweredOn: "Powered on",
  poweredOff: "Powered off",
  suspended: "Suspended",
  paused: "Paused",
};

/** "poweredOn" → "Powered on". */
export function formatPowerState(state: string | null | undefined): string {
  if (!state) return MISSING;
  return POWER_STATES[state] ?? state;
}

/** "running" → "Running", "container-engine" → "Container engine". */
export function formatWord(value: string | null | undefined): string {
  if (!value) return MISSING;
  const words = value.replace(/[_-]+/g, " ").trim();
  return words.charAt(0).toUpperCase() + words.slice(1);
}

/** "Rows 1–25 of 1,234" for a zero-based page. */
export function formatRowRange(page: number, pageSize: number, total: number): string {
  if (total <= 0) return "No rows";
  const first = Math.min(page * pageSize + 1, total);
  const last = Math.min((page + 1) * pageSize, total);
  return `Rows ${formatCount(first)}–${formatCount(last)} of ${formatCount(total)}`;
}

/** "1 host", "3 hosts": `plural` defaults to singular + "s". */
export function pluralize(count: number, singular: string, plural = `${singular}s`): string {
  return `${formatCount(count)} ${count === 1 ? singular : plural}`;
}
