/** Time values of the API: RFC 3339 instants with an offset, IANA zones, and their formatting. */

/** The last instant the API writes or stores: RFC 3339 has four-digit years, and PostgreSQL reads no other ISO form. */
export const LAST_INSTANT_MS = Date.UTC(9999, 11, 31, 23, 59, 59, 999);

const RFC3339 = /^(\d{4})-(\d{2})-(\d{2})[Tt](\d{2}):(\d{2}):(\d{2})(\.\d{1,9})?([Zz]|([+-])(\d{2}):(\d{2}))$/;

/**
 * Parses an RFC 3339 date-time that carries `Z` or an offset. Returns undefined
 * for anything else, including times without an offset and impossible dates.
 */
export function parseInstant(text: string): Date | undefined {
  const m = RFC3339.exec(text);
  if (!m) return undefined;
  const [year, month, day, hour, minute, second] = m.slice(1, 7).map(Number) as [number, number, number, number, number, number];
  if (month < 1 || month > 12 || day < 1 || day > daysInMonth(year, month) || hour > 23 || minute > 59 || second > 59) return undefined;
  let offsetMin = 0;
  if (m[9] !== undefined) {
    const oh = Number(m[10]);
    const om = Number(m[11]);
    if (oh > 23 || om > 59) return undefined;
    offsetMin = (m[9] === '-' ? -1 : 1) * (oh * 60 + om);
  }
  const ms = m[7] === undefined ? 0 : Math.floor(Number(`0${m[7]}`) * 1000);
  const utc = Date.UTC(year, month - 1, day, hour, minute, second, ms) - offsetMin * 60_000;
  const date = new Date(utc);
  // Date.UTC maps years 0..99 to 1900..1999; refuse them rather than guess.
  return year < 100 || Number.isNaN(utc) ? undefined : date;
}

/** A wall-clock time with no zone: what `at_local` names. */
export interface LocalTime {
  readonly year: number;
  readonly month: number;
  readonly day: number;
  readonly hour: number;
  readonly minute: number;
  readonly second: number;
}

const LOCAL_TIME = /^(\d{4})-(\d{2})-(\d{2})T(\d{2}):(\d{2})(?::(\d{2}))?$/;

/** Parses `YYYY-MM-DDTHH:MM[:SS]` (no offset, no fraction); undefined for anything else, including impossible dates. */
export function parseLocalTime(text: string): LocalTime | undefined {
  const m = LOCAL_TIME.exec(text);
  if (!m) return undefined;
  const [year, month, day, hour, minute, second] = m.slice(1, 7).map((v) => Number(v ?? 0)) as [number, number, number, number, number, number];
  if (year < 1970 || month < 1 || month > 12 || day < 1 || day > daysInMonth(year, month) || hour > 23 || minute > 59 || second > 59) return undefined;
  return { year, month, day, hour, minute, second };
}

function daysInMonth(year: number, month: number): number {
  return new Date(Date.UTC(year, month, 0)).getUTCDate();
}

// ICU's list of zone names, by lower case, to restore the usual spelling of a name typed in another case.
let zonesByLowerCase: Map<string, string> | undefined;

/**
 * The name of an IANA zone as the client spelled it, with the case of the
 * zone list (`utc` → `UTC`, `europe/berlin` → `Europe/Berlin`), or undefined
 * when unknown. Aliases stay as given (`Asia/Kolkata` is not turned into
 * ICU's `Asia/Calcutta`).
 */
export function canonicalZone(tz: string): string | undefined {
  // Offsets such as +01:00 are not IANA zones; Intl would accept some of them.
  if (!/^[A-Za-z][A-Za-z0-9_+-]*(\/[A-Za-z0-9_+-]+)*$/.test(tz)) return undefined;
  try {
    new Intl.DateTimeFormat('en-US', { timeZone: tz });
  } catch {
    return undefined;
  }
  zonesByLowerCase ??= new Map([...Intl.supportedValuesOf('timeZone'), 'UTC'].map((z) => [z.toLowerCase(), z]));
  return zonesByLowerCase.get(tz.toLowerCase()) ?? tz;
}

const localFormatters = new Map<string, Intl.DateTimeFormat>();

/** Wall-clock fields of `date` in zone `tz`. */
export function localParts(date: Date, tz: string): { year: number; month: number; day: number; hour: number; minute: number; second: number } {
  let f = localFormatters.get(tz);
  if (!f) {
    f = new Intl.DateTimeFormat('en-US', {
      timeZone: tz,
      hourCycle: 'h23',
      year: 'numeric',
      month: '2-digit',
      day: '2-digit',
      hour: '2-digit',
      minute: '2-digit',
      second: '2-digit',
    });
    localFormatters.set(tz, f);
  }
  const parts = Object.fromEntries(f.formatToParts(date).map((p) => [p.type, p.value]));
  return {
    year: Number(parts.year),
    month: Number(parts.month),
    day: Number(parts.day),
    hour: Number(parts.hour),
    minute: Number(parts.minute),
    second: Number(parts.second),
  };
}

/** RFC 3339 UTC with milliseconds, as every timestamp in the API. */
export function formatInstant(date: Date): string {
  return date.toISOString();
}
