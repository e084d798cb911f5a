/** An instant written as the local time of a zone, with that zone's offset at the instant. */
import { localParts } from './time.js';

const pad = (n: number, width = 2) => String(Math.abs(n)).padStart(width, '0');

/**
 * `date` as wall time in `tz` with milliseconds and its UTC offset, like
 * `2026-12-07T09:00:00.000+01:00` (UTC itself is `+00:00`): RFC 3339, and
 * the same instant as `date`, so a DST change shows in the offset. An
 * offset with seconds (some zones before 1972) keeps them, `-00:44:30`, as
 * Temporal writes it, so the wall time stays exact.
 */
export function formatLocal(date: Date, tz: string): string {
  const p = localParts(date, tz);
  const ms = date.getUTCMilliseconds();
  // The wall time read as if it were UTC, minus the instant: the zone's offset, in whole seconds (zones have no finer ones).
  const offsetS = Math.round((Date.UTC(p.year, p.month - 1, p.day, p.hour, p.minute, p.second, ms) - date.getTime()) / 1000);
  const abs = Math.abs(offsetS);
  const offset = `${offsetS < 0 ? '-' : '+'}${pad(Math.floor(abs / 3600))}:${pad(Math.floor(abs / 60) % 60)}${abs % 60 === 0 ? '' : `:${pad(abs % 60)}`}`;
  return `${pad(p.year, 4)}-${pad(p.month)}-${pad(p.day)}T${pad(p.hour)}:${pad(p.minute)}:${pad(p.second)}.${pad(ms, 3)}${offset}`;
}
