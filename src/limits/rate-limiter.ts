/**
 * `limits.rate` held by the whole deployment (SPEC 3.2): N replicas on one
 * database allow the rate once, not N times. This replica's buckets refuse
 * first, without a round trip, what this replica alone would let exceed the
 * rate; what they admit is decided by the state every replica shares in the
 * database (store/rate-limits.ts), concurrent requests grouped into one
 * statement. When that statement fails, this replica's buckets decide
 * alone: the limiter never fails a request, the request's own work does.
 */
import type { Kysely } from 'kysely';
import type { Logger } from 'pino';
import type { Rate } from '../config/units.js';
import { GroupCommit } from '../db/group-commit.js';
import { takeRateTurns, type RateDecision } from '../store/rate-limits.js';
import type { Schema } from '../store/schema.js';
import { TokenBuckets } from './token-buckets.js';

// Keys a statement decides at most. One statement at a time: the requests that arrive while it runs
// go together in the next one (its cost is nearly all per statement, see docs/benchmarks.md), and two
// of this replica's statements would only wait for each other's row locks.
const DECIDE_BATCH_MAX = 500;
const DECIDE_BATCHES_PARALLEL = 1;

/** What the limiter needs. */
export interface RateLimiterOptions {
  readonly db: Kysely<Schema>;
  readonly rate: Rate;
  readonly log: Logger;
  /** The clock of this replica's buckets (the shared state runs on the database clock). */
  readonly now: () => number;
}

/** One limiter for every key of a replica; keys carry their kind (`did:`, `addr:`). */
export class RateLimiter {
  private readonly local: TokenBuckets;
  private readonly shared: GroupCommit<string, RateDecision>;
  // Set from the first failed decision until one succeeds: one warning per spell of failures.
  private failing = false;

  constructor(private readonly o: RateLimiterOptions) {
    this.local = new TokenBuckets(o.rate, o.now);
    // One bad key cannot fail a statement (keys are DIDs and socket addresses), so a failure is the database's: no isolation.
    this.shared = new GroupCommit((keys) => takeRateTurns(o.db, keys, o.rate), { maxGroup: DECIDE_BATCH_MAX, maxParallel: DECIDE_BATCHES_PARALLEL });
  }

  /** The rate it holds. */
  get rate(): Rate {
    return this.o.rate;
  }

  /** Takes a request's turn for `key`: undefined when admitted, else the seconds to wait (Retry-After, at least 1). */
  async take(key: string): Promise<number | undefined> {
    const localWait = this.local.take(key);
    if (localWait !== undefined) return localWait;
    let decision: RateDecision;
    try {
      decision = await this.shared.submit(key);
    } catch (err) {
      if (!this.failing) this.o.log.warn({ err }, 'rate limits: the database did not decide; each replica holds limits.rate on its own until it does');
      this.failing = true;
      return undefined;
    }
    if (this.failing) this.o.log.info('rate limits: decided by the database again, for every replica together');
    this.failing = false;
    if (decision.admitted) return undefined;
    // Refused by the others' requests: this replica's bucket keeps the token it would have spent.
    this.local.giveBack(key);
    return Math.max(1, Math.ceil(decision.retryAfterMs / 1000));
  }
}
