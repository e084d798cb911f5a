/**
 * The seam between the dispatcher and where wakes go (SPEC 8): one
 * Deliverer per target type, each sending one attempt and answering its
 * outcome. Adding a target is a Deliverer in deliverers/ and its entry in
 * the registry the daemon builds.
 */
import type { Target } from '../api/alarms.js';
import type { ClaimedRow } from '../store/claims.js';
import type { WakeAbort } from './abort.js';
import type { AttemptResult } from './ladder.js';

/** Sends attempts to one kind of target. */
export interface Deliverer {
  /**
   * Sends attempt `row.attempt` of the claimed alarm, fired at `firedAt`.
   * Never throws: a failure is an outcome. Ends early, with the abort's
   * reason as its error, when `abort` fires (its timeout, or shutdown).
   */
  deliver(row: ClaimedRow, firedAt: Date, abort: WakeAbort): Promise<AttemptResult>;
  /** The longest an attempt may take: a claim is sent only with at least this much lease left. */
  readonly timeoutMs: number;
  /** Releases connections. */
  close(): Promise<void>;
}

/** The deliverer of each target type this replica serves; it claims only alarms of these types. */
export type Deliverers = { readonly [T in Target['type']]?: Deliverer };
