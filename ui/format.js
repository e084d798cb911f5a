/** How the dashboard writes times, durations and DIDs. */
const relative = new Intl.RelativeTimeFormat(undefined, { numeric: 'auto' });
const absolute = new Intl.DateTimeFormat(undefined, { dateStyle: 'medium', timeStyle: 'medium' });
const clock = new Intl.DateTimeFormat(undefined, { hour: '2-digit', minute: '2-digit' });

/** "Dec 6, 2026, 10:00:00", in the browser's zone. */
export function when(iso) {
  return iso ? absolute.format(new Date(iso)) : '—';
}

/** "in 3 minutes", "2 hours ago". */
export function fromNow(iso, now = Date.now()) {
  if (!iso) return '';
  const s = (Date.parse(iso) - now) / 1000;
  const [value, unit] = Math.abs(s) < 60 ? [s, 'second'] : Math.abs(s) < 3600 ? [s / 60, 'minute'] : Math.abs(s) < 86400 ? [s / 3600, 'hour'] : [s / 86400, 'day'];
  return relative.format(Math.round(value), unit);
}

/** "10:05". */
export function hhmm(date) {
  return clock.format(date);
}

/** "12 ms", "1.5 s", "—". */
export function ms(value) {
  if (value === null || value === undefined) return '—';
  return value < 1000 ? `${Math.round(value * 10) / 10} ms` : `${Math.round(value / 100) / 10} s`;
}

/** "did:key:z6Mk…a1b2": a DID short enough for a table; the whole one goes in a title. */
export function shortDid(did) {
  return did.length > 24 ? `${did.slice(0, 14)}…${did.slice(-6)}` : did;
}

/** An alarm's schedule in one line. */
export function schedule(alarm) {
  if (alarm.kind === 'once') return `once at ${when(alarm.at)}`;
  const rule = alarm.kind === 'cron' ? alarm.cron : alarm.rrule;
  return `${alarm.kind} ${rule}${alarm.tz && alarm.tz !== 'UTC' ? ` (${alarm.tz})` : ''}`;
}

/** 1234 → "1,234". */
export function count(n) {
  return n === null || n === undefined ? '—' : n.toLocaleString();
}
