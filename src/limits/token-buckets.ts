/** Token buckets in this process: one replica's view of `limits.rate`, the first filter before the shared decision. */
import type { Rate } from '../config/units.js';

interface Bucket {
  tokens: number;
  atMs: number;
}

// Full buckets are forgotten once this many keys are tracked, so the map stays bounded.
const MAX_TRACKED_KEYS = 100_000;

/** Buckets per key at one rate, on the clock `now` (milliseconds). */
export class TokenBuckets {
  private readonly buckets = new Map<string, Bucket>();

  constructor(
    private readonly rate: Rate,
    private readonly now: () => number,
  ) {
    if (!(rate.perSecond > 0) || !(rate.burst >= 1)) throw new Error('TokenBuckets needs a positive rate and a burst of at least 1');
  }

  /** Takes a token from the bucket of `key`: undefined when taken, else the seconds until one is there (at least 1). */
  take(key: string): number | undefined {
    const t = this.now();
    let bucket = this.buckets.get(key);
    if (!bucket) {
      if (this.buckets.size >= MAX_TRACKED_KEYS) {
        for (const [k, b] of this.buckets) {
          this.refill(b, t);
          if (b.tokens >= this.rate.burst) this.buckets.delete(k);
        }
      }
      bucket = { tokens: this.rate.burst, atMs: t };
      this.buckets.set(key, bucket);
    }
    this.refill(bucket, t);
    if (bucket.tokens < 1) return Math.max(1, Math.ceil((1 - bucket.tokens) / this.rate.perSecond));
    bucket.tokens -= 1;
    return undefined;
  }

  /** Gives back the token of a request that was refused after all. */
  giveBack(key: string): void {
    const bucket = this.buckets.get(key);
    if (bucket) bucket.tokens = Math.min(this.rate.burst, bucket.tokens + 1);
  }

  private refill(b: Bucket, t: number): void {
    b.tokens = Math.min(this.rate.burst, b.tokens + ((t - b.atMs) / 1000) * this.rate.perSecond);
    b.atMs = t;
  }
}
