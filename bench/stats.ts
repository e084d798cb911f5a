/** Small statistics for the bench report. */

/** The p-th percentile (0-100) of ascending `sorted` (nearest rank). */
export function percentile(sorted: readonly number[], p: number): number {
  if (sorted.length === 0) return NaN;
  return sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))]!;
}

/** Median, min and max of repeated measurements. */
export interface Spread {
  readonly median: number;
  readonly min: number;
  readonly max: number;
}

export function spread(values: readonly number[]): Spread {
  const sorted = [...values].sort((a, b) => a - b);
  return { median: percentile(sorted, 50), min: sorted[0]!, max: sorted[sorted.length - 1]! };
}

/** A number for a table: thousands separated, `digits` decimals. */
export function num(x: number, digits = 0): string {
  if (!Number.isFinite(x)) return 'n/a';
  return x.toLocaleString('en-US', { minimumFractionDigits: digits, maximumFractionDigits: digits });
}

/** `median (min-max)`, or just the value when all repeats agree or there was one. */
export function cell(s: Spread, digits = 0): string {
  return s.min === s.max ? num(s.median, digits) : `${num(s.median, digits)} (${num(s.min, digits)}-${num(s.max, digits)})`;
}

/** chronosd's median over the peer's, e.g. `0.05x`. */
export function ratio(ours: Spread, theirs: Spread): string {
  return theirs.median === 0 ? 'n/a' : `${num(ours.median / theirs.median, 2)}x`;
}
