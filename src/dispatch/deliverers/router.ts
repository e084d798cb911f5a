/** The router target (SPEC 6): one POST of the wake to `<router_url>/internal/wake`, over a pool of keep-alive connections. */
import { Pool } from 'undici';
import type { WakeSigner } from '../../auth/wake-signer.js';
import type { ClaimedRow } from '../../store/claims.js';
import type { WakeAbort } from '../abort.js';
import type { Deliverer } from '../deliverer.js';
import { sendHttpAttempt } from '../http-answer.js';
import type { AttemptResult } from '../ladder.js';
import { wakeBody } from '../wake-body.js';

/** Where wakes go and how. */
export interface RouterOptions {
  /** `<router_url>/internal/wake`. */
  readonly url: string;
  /** The bearer token sent to the router (wake.token). */
  readonly token: string | undefined;
  readonly timeoutMs: number;
  readonly signer: WakeSigner;
}

/** Wakes through the router, with at most `connections` connections open. */
export class RouterDeliverer implements Deliverer {
  readonly timeoutMs: number;
  private readonly pool: Pool;
  private readonly path: string;

  constructor(
    private readonly o: RouterOptions,
    connections: number,
  ) {
    const url = new URL(o.url);
    this.pool = new Pool(url.origin, { connections });
    this.path = url.pathname + url.search;
    this.timeoutMs = o.timeoutMs;
  }

  deliver(row: ClaimedRow, firedAt: Date, abort: WakeAbort): Promise<AttemptResult> {
    const body = wakeBody(row, firedAt);
    const fireId = row.fire_id ?? '';
    const headers: Record<string, string> = { 'content-type': 'application/json', 'idempotency-key': fireId, ...this.o.signer.sign(fireId, firedAt, body) };
    if (this.o.token) headers.authorization = `Bearer ${this.o.token}`;
    return sendHttpAttempt(this.pool, { path: this.path, method: 'POST', headers, body, timeoutMs: this.o.timeoutMs, peer: 'router' }, firedAt, abort);
  }

  async close(): Promise<void> {
    await this.pool.destroy();
  }
}
