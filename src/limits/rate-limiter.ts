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
import { withDeadline } from '../db/deadline.js';
import { GroupCommit } from '../db/group-commit.js';
import { takeRateTurns, type RateDecision } from '../store/rate-limits.js';
import type { Schema } from '../store/schema.js';
import { TokenBuckets } from './token-buckets.js';

// Keys a statement decides at most. One statement at a time: the requests that arrive while it runs
// go together in the next one (its cost is nearly all per statement, see docs/benchmarks.md), and two
// of this replica's statements would only wait for each other's row locks.
const DECIDE_BATCH_MAX = 500;
const DECIDE_BATCHES_PARALLEL = 1;
/**
 * A decision takes milliseconds; one that takes a second finds the database in
 * trouble, and the request goes on with this replica's decision rather than
 * wait longer before its own work, which has db.request_timeout of its own.
 */
const DECIDE_TIMEOUT_MAX_MS = 1_000;

/** What the limiter needs. */
export interface RateLimiterOptions {
  readonly db: Kysely<Schema>;
  readonly rate: Rate;
  readonly log: Logger;
  /** The clock of this replica's buckets (the shared state runs on the database clock). */
  readonly now: () => number;
  /** How long a request waits for the shared decision at most (db.request_timeout); capped at {@link DECIDE_TIMEOUT_MAX_MS}. */
  readonly timeoutMs: number;
}

/** One limiter for every key of a replica; keys carry their kind (`did:`, `addr:`). */
export class RateLimiter {
  private readonly local: TokenBuckets;
  private readonly shared: GroupCommit<string, RateDecision>;
  // Set from the first failed decision until one succeeds: one warning per spell of failures.
  private failing = false;
  // A decision in the background is finding out whether the database is back.
  private probing = false;
  private readonly timeoutMs: number;

  constructor(private readonly o: RateLimiterOptions) {
    if (!(o.timeoutMs > 0)) throw new Error('RateLimiter needs a positive timeout');
    this.timeoutMs = Math.min(o.timeoutMs, DECIDE_TIMEOUT_MAX_MS);
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
    if (this.failing) {
      // In a spell of failures no request waits for the database: this replica decides, and one decision at a
      // time, in the background, finds out when the database is back (its request then counted there too).
      if (!this.probing) {
        this.probing = true;
        void this.decide(key).finally(() => {
          this.probing = false;
        });
      }
      return undefined;
    }
    const decision = await this.decide(key);
    if (decision === undefined || decision.admitted) return undefined;
    // Refused by the others' requests: this replica's bucket keeps the token it would have spent.
    this.local.giveBack(key);
    return Math.max(1, Math.ceil(decision.retryAfterMs / 1000));
  }

  /** The shared decision for `key`, or undefined when the database gave none (one warning per spell of failures). */
  private async decide(key: string): Promise<RateDecision | undefined> {
    try {
      // A deadline of its own: the request's clock starts at its own first statement, after its body is read (db/deadline.ts).
      const decision = await withDeadline(this.timeoutMs, () => this.shared.submit(key));
      if (this.failing) this.o.log.info('rate limits: decided by the database again, for every replica together');
      this.failing = false;
      return decision;
    } catch (err) {
      if (!this.failing) this.o.log.warn({ err }, 'rate limits: the database did not decide; each replica holds limits.rate on its own until it does');
      this.failing = true;
      return undefined;
    }
  }
}
