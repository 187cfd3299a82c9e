// Time formatting, WeCom style: the timeline's dividers, the chat list's short times and the
// full timestamps of tooltips and the detail pane. The API sends RFC 3339 strings.

export const pad = (n) => String(n).padStart(2, '0');

const DAY_MS = 86400000;

/** A Date from an RFC 3339 string, or null when absent or unparsable. */
export function parseTime(value) {
  if (value === undefined || value === null || value === '') return null;
  const date = new Date(value);
  return Number.isNaN(date.getTime()) ? null : date;
}

export function sameDay(a, b) {
  return a.getFullYear() === b.getFullYear() && a.getMonth() === b.getMonth() && a.getDate() === b.getDate();
}

/** "10:21". */
export function clock(date) { return `${pad(date.getHours())}:${pad(date.getMinutes())}`; }

/** Timeline divider: "10:21", "昨天 10:21", "3月5日 10:21", "2024年3月5日 10:21". */
export function dividerTime(date) {
  const now = new Date();
  if (sameDay(date, now)) return clock(date);
  if (sameDay(date, new Date(now.getTime() - DAY_MS))) return `昨天 ${clock(date)}`;
  if (date.getFullYear() === now.getFullYear()) return `${date.getMonth() + 1}月${date.getDate()}日 ${clock(date)}`;
  return `${date.getFullYear()}年${date.getMonth() + 1}月${date.getDate()}日 ${clock(date)}`;
}

/** Chat list: "10:21", "昨天", "3/5", "2024/3/5"; empty without a date. */
export function shortTime(date) {
  if (!date) return '';
  const now = new Date();
  if (sameDay(date, now)) return clock(date);
  if (sameDay(date, new Date(now.getTime() - DAY_MS))) return '昨天';
  if (date.getFullYear() === now.getFullYear()) return `${date.getMonth() + 1}/${date.getDate()}`;
  return `${date.getFullYear()}/${date.getMonth() + 1}/${date.getDate()}`;
}

/** "2024-03-05 10:21:07"; empty without a date. */
export function fullTime(date) {
  if (!date) return '';
  return `${date.getFullYear()}-${pad(date.getMonth() + 1)}-${pad(date.getDate())} ${clock(date)}:${pad(date.getSeconds())}`;
}

/** "10:21:07" today, "3/5 10:21:07" on another day: the logs' times. */
export function logTime(date) {
  return `${sameDay(date, new Date()) ? '' : `${shortTime(date)} `}${clock(date)}:${pad(date.getSeconds())}`;
}
