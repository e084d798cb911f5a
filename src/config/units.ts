/** Parsers for the value types shared by config and the API: durations, integers, lists, rates. */

const DURATION_UNITS_MS: Record<string, number> = {
  d: 86_400_000,
  h: 3_600_000,
  m: 60_000,
  s: 1_000,
  ms: 1,
};
const UNIT_ORDER = ['d', 'h', 'm', 's', 'ms'];

/**
 * Parses `250ms`, `5s`, `2m`, `1h`, `1d` and combinations such as `1h30m` into
 * milliseconds. Units must appear largest first, each at most once. Throws with
 * a message fit for a user on anything else.
 */
export function parseDuration(text: string): number {
  const input = text.trim();
  const part = /(\d+)(ms|d|h|m|s)/y;
  let total = 0;
  let lastUnit = -1;
  let matched = 0;
  while (part.lastIndex < input.length) {
    const start = part.lastIndex;
    const m = part.exec(input);
    if (!m || m.index !== start) break;
    const unitIndex = UNIT_ORDER.indexOf(m[2]!);
    if (unitIndex <= lastUnit) {
      throw new Error(`"${text}" is not a duration: units must go from largest to smallest, each once (like 1h30m)`);
    }
    lastUnit = unitIndex;
    total += Number(m[1]) * DURATION_UNITS_MS[m[2]!]!;
    matched = part.lastIndex;
  }
  if (input.length === 0 || matched !== input.length) {
    throw new Error(`"${text}" is not a duration: use a number with a unit (ms, s, m, h, d), like 250ms, 5s or 1h30m`);
  }
  if (!Number.isSafeInteger(total)) throw new Error(`"${text}" is too long a duration`);
  return total;
}

/** Formats milliseconds as the shortest duration text that parses back to the same value. */
export function formatDuration(ms: number): string {
  if (ms === 0) return '0s';
  let rest = ms;
  let out = '';
  for (const unit of UNIT_ORDER) {
    const size = DURATION_UNITS_MS[unit]!;
    const n = Math.floor(rest / size);
    if (n > 0) {
      out += `${n}${unit}`;
      rest -= n * size;
    }
  }
  return out;
}

/** Parses a whole number within [min, max]. */
export function parseInteger(text: string, min: number, max: number): number {
  const input = text.trim();
  if (!/^-?\d+$/.test(input)) throw new Error(`"${text}" is not a whole number`);
  const n = Number(input);
  if (!Number.isSafeInteger(n) || n < min || n > max) {
    throw new Error(`${input} is out of range: expected ${min}..${max}`);
  }
  return n;
}

/** Splits a comma-separated list into trimmed, non-empty items. */
export function parseList(text: string): string[] {
  if (text.trim() === '') return [];
  const items = text.split(',').map((s) => s.trim());
  if (items.some((s) => s === '')) throw new Error(`"${text}" has an empty item in its comma-separated list`);
  return items;
}

/** A token-bucket rate: `perSecond` refill, at most `burst` tokens. */
export interface Rate {
  readonly perSecond: number;
  readonly burst: number;
}

/**
 * Parses `50/s burst 200`, `600/m`, `10/1h` (a count per duration). Without
 * `burst`, the bucket holds one period's count.
 */
export function parseRate(text: string): Rate {
  const m = /^\s*(\d+)\s*\/\s*(\S+?)(?:\s+burst\s+(\d+))?\s*$/.exec(text);
  if (!m) throw new Error(`"${text}" is not a rate: use <count>/<duration> [burst <count>], like 50/s burst 200`);
  const count = Number(m[1]);
  const periodText = /^\d/.test(m[2]!) ? m[2]! : `1${m[2]}`;
  let periodMs: number;
  try {
    periodMs = parseDuration(periodText);
  } catch {
    throw new Error(`"${text}" is not a rate: the period "${m[2]}" must be a unit or duration, like /s, /m or /10s`);
  }
  if (count < 1 || periodMs < 1 || count > 1_000_000_000) throw new Error(`"${text}" is not a rate: count must be 1 to 1000000000 and the period positive`);
  const burst = m[3] === undefined ? count : Number(m[3]);
  if (burst < 1 || burst > 1_000_000_000) throw new Error(`"${text}" is not a rate: burst must be 1 to 1000000000`);
  return Object.freeze({ perSecond: (count * 1000) / periodMs, burst });
}
