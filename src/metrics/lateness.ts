/**
 * The lateness of first attempts, counted in the buckets of
 * chronos_wake_lateness_seconds: the tally a replica keeps between two
 * heartbeats (each heartbeat stores it, store/lateness.ts), and the per-minute
 * series and quantiles the dashboard plots from such counts. A bucket holds the
 * values at most its bound, as a Prometheus histogram's `le` does.
 */
import type { DispatchObserver } from '../dispatch/observer.js';

/** Bucket bounds in seconds; a last bucket, +Inf, follows them. Lateness past a minute means something is wrong. */
export const LATENESS_BUCKETS_S: readonly number[] = [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 300];

/** The index of the bucket that counts `seconds`: the first bound at or above it, or the +Inf bucket. */
export function bucketOf(seconds: number): number {
  const i = LATENESS_BUCKETS_S.findIndex((bound) => seconds <= bound);
  return i === -1 ? LATENESS_BUCKETS_S.length : i;
}

/** First attempts' lateness since the last take(); a dispatch observer. */
export class LatenessTally implements DispatchObserver {
  private counts: number[] = new Array<number>(LATENESS_BUCKETS_S.length + 1).fill(0);

  claimed(): void {}

  attempted(_target: string, _outcome: string, attempt: number, latenessMs: number): void {
    if (attempt === 1) this.counts[bucketOf(Math.max(0, latenessMs) / 1000)]! += 1;
  }

  /** The counts per bucket since the last take, and a fresh start. */
  take(): number[] {
    const taken = this.counts;
    this.counts = taken.map(() => 0);
    return taken;
  }

  /** Gives back counts a failed store did not keep, so the next take holds them. */
  giveBack(counts: readonly number[]): void {
    counts.forEach((n, i) => (this.counts[i]! += n));
  }
}

/**
 * The q-quantile (0..1) of counts per bucket, in ms, interpolated linearly
 * inside its bucket as PromQL's histogram_quantile does; in the +Inf bucket,
 * the largest finite bound. Null without any count.
 */
export function quantileMs(counts: readonly number[], q: number): number | null {
  const total = counts.reduce((a, b) => a + b, 0);
  if (total === 0) return null;
  const rank = q * total;
  let below = 0;
  for (let i = 0; i < counts.length; i++) {
    const n = counts[i]!;
    if (n > 0 && below + n >= rank) {
      if (i === LATENESS_BUCKETS_S.length) return LATENESS_BUCKETS_S[i - 1]! * 1000;
      const lower = i === 0 ? 0 : LATENESS_BUCKETS_S[i - 1]!;
      const upper = LATENESS_BUCKETS_S[i]!;
      return (lower + ((upper - lower) * (rank - below)) / n) * 1000;
    }
    below += n;
  }
  return LATENESS_BUCKETS_S[LATENESS_BUCKETS_S.length - 1]! * 1000;
}

/** The counts of one minute, as the store sums them. */
export interface MinuteCounts {
  readonly minute: Date;
  readonly buckets: readonly number[];
  readonly backlog: number | null;
}

/** One minute of the plot. */
export interface LatenessPoint {
  readonly at: string;
  readonly wakes: number;
  readonly p50_ms: number | null;
  readonly p99_ms: number | null;
  readonly backlog: number | null;
}

const MINUTE_MS = 60_000;
const tenths = (ms: number | null) => (ms === null ? null : Math.round(ms * 10) / 10);

/** Every minute from `from` (a minute's start) for `minutes`, oldest first; a minute without counts has 0 wakes. */
export function latenessSeries(rows: readonly MinuteCounts[], from: Date, minutes: number): LatenessPoint[] {
  const byMinute = new Map(rows.filter((r) => r.buckets.length === LATENESS_BUCKETS_S.length + 1).map((r) => [r.minute.getTime(), r]));
  return Array.from({ length: minutes }, (_, k) => {
    const at = from.getTime() + k * MINUTE_MS;
    const row = byMinute.get(at);
    const buckets = row?.buckets ?? [];
    return {
      at: new Date(at).toISOString(),
      wakes: buckets.reduce((a, b) => a + b, 0),
      p50_ms: tenths(quantileMs(buckets, 0.5)),
      p99_ms: tenths(quantileMs(buckets, 0.99)),
      backlog: row?.backlog ?? null,
    };
  });
}
