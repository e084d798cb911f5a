/**
 * `limits.rate` held by the whole deployment (SPEC 3.2): N replicas on one
 * database allow the rate once, not N times. This replica's buckets refuse
 * first, without a round trip, what this replica alone would let exceed the
 * rate; what they admit is decided by the state every replica shares in the
 * database (store/rate-limits.ts), concurrent requests grouped into one
 * statement. A decision takes a lease of a few turns of the key at once
 * (what the rate gives in 100 ms), spent by this replica's next requests
 * of that key without a round trip: the deployment admits the rate and at
 * most a lease per replica ahead of it, and a lease left unspent is lost,
 * so a client spread over replicas may get a little less. When that statement fails, this
 * replica's buckets decide alone: the limiter never fails a request, the
 * request's own work does.
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
// A decision takes the turns the rate gives in LEASE_SIZE_MS, at most LEASE_MAX and a quarter of the burst; they are
// spent within LEASE_TTL_MS or lost. The turns were the shared state's to give: spending them later shifts them in
// time, a replica holds one lease per key, so the deployment admits at most a lease per replica ahead of the rate.
const LEASE_SIZE_MS = 100;
const LEASE_TTL_MS = 1_000;
const LEASE_MAX = 32;
// Leases are forgotten once this many keys hold one (spent and expired ones first), so the map stays bounded.
const MAX_LEASED_KEYS = 100_000;

/** Turns of one key this replica took from the shared state and has not spent yet. */
interface Lease {
  turns: number;
  untilMs: number;
}

/** Turns of one key asked for in one decision. */
interface Ask {
  readonly key: string;
  readonly turns: number;
}

/** Decides a group of asks in one statement: each ask's turns, in order. */
async function decideAll(db: Kysely<Schema>, asks: readonly Ask[], rate: Rate): Promise<RateDecision[][]> {
  const decisions = await takeRateTurns(db, asks.flatMap((a) => Array.from({ length: a.turns }, () => a.key)), rate);
  let at = 0;
  return asks.map((a) => decisions.slice(at, (at += a.turns)));
}

/** How many turns a decision takes at once at `rate`: 1 for slow rates, so a slow key is decided request by request. */
export function leaseSize(rate: Rate): number {
  return Math.max(1, Math.min(LEASE_MAX, Math.floor((rate.perSecond * LEASE_SIZE_MS) / 1000), Math.floor(rate.burst / 4)));
}

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
  private readonly shared: GroupCommit<Ask, RateDecision[]>;
  // Set from the first failed decision until one succeeds: one warning per spell of failures.
  private failing = false;
  // A decision in the background is finding out whether the database is back.
  private probing = false;
  private readonly timeoutMs: number;
  private readonly leases = new Map<string, Lease>();
  // A key's decision in flight: its other requests wait for its lease instead of taking one each.
  private readonly leasing = new Map<string, Promise<RateDecision | undefined>>();
  private readonly leaseSize: number;

  constructor(private readonly o: RateLimiterOptions) {
    if (!(o.timeoutMs > 0)) throw new Error('RateLimiter needs a positive timeout');
    this.timeoutMs = Math.min(o.timeoutMs, DECIDE_TIMEOUT_MAX_MS);
    this.local = new TokenBuckets(o.rate, o.now);
    this.leaseSize = leaseSize(o.rate);
    // One bad key cannot fail a statement (keys are DIDs and socket addresses), so a failure is the database's: no isolation.
    this.shared = new GroupCommit((asks) => decideAll(o.db, asks, o.rate), { maxGroup: DECIDE_BATCH_MAX, maxParallel: DECIDE_BATCHES_PARALLEL });
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
    const decision = await this.spendLease(key);
    if (decision === undefined || decision.admitted) return undefined;
    // Refused by the others' requests: this replica's bucket keeps the token it would have spent.
    this.local.giveBack(key);
    return Math.max(1, Math.ceil(decision.retryAfterMs / 1000));
  }

  /** A turn of `key` from this replica's lease, or from a new lease (a shared decision); undefined when the database gave none. */
  private async spendLease(key: string): Promise<RateDecision | undefined> {
    for (;;) {
      const lease = this.leases.get(key);
      if (lease && lease.turns > 0 && this.o.now() < lease.untilMs) {
        lease.turns--;
        return { admitted: true };
      }
      const pending = this.leasing.get(key);
      if (!pending) break;
      const decision = await pending;
      // Refused or undecided: so is this request. Admitted: its lease, if any turns are left, is this request's next try.
      if (decision === undefined || !decision.admitted) return decision;
    }
    const taking = this.takeLease(key);
    this.leasing.set(key, taking);
    try {
      return await taking;
    } finally {
      this.leasing.delete(key);
    }
  }

  /** Takes a lease of `key`'s turns: the first admitted turn is this request's, the others wait in the lease. */
  private async takeLease(key: string): Promise<RateDecision | undefined> {
    const decisions = await this.decide(key, this.leaseSize);
    if (decisions === undefined) return undefined;
    const admitted = decisions.filter((d) => d.admitted).length;
    if (admitted === 0) return decisions[0];
    if (admitted > 1) {
      if (this.leases.size >= MAX_LEASED_KEYS) this.forgetLeases();
      this.leases.set(key, { turns: admitted - 1, untilMs: this.o.now() + LEASE_TTL_MS });
    }
    return { admitted: true };
  }

  private forgetLeases(): void {
    const t = this.o.now();
    for (const [k, lease] of this.leases) if (lease.turns === 0 || lease.untilMs <= t) this.leases.delete(k);
    if (this.leases.size >= MAX_LEASED_KEYS) this.leases.clear();
  }

  /** The shared decision on `turns` turns of `key`, or undefined when the database gave none (one warning per spell of failures). */
  private async decide(key: string, turns = 1): Promise<RateDecision[] | undefined> {
    try {
      // A deadline of its own: the request's clock starts at its own first statement, after its body is read (db/deadline.ts).
      const decision = await withDeadline(this.timeoutMs, () => this.shared.submit({ key, turns }));
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
