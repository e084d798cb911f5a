/**
 * The webhook target (SPEC 8.2): the wake (or the payload alone) to an
 * endpoint its owner registered, signed with the daemon's key (v1a) and the
 * endpoint's secrets (v1), through an Agent that connects only to allowed
 * addresses and never follows a redirect (src/net/destination.ts).
 *
 * Endpoints are read from the database and kept for a few seconds; a change
 * is announced on ENDPOINT_CHANNEL and drops the kept copy on every replica,
 * so a rotated secret signs from the next wake on.
 */
import type { Kysely } from 'kysely';
import type { Agent } from 'undici';
import type { WakeSigner } from '../../auth/wake-signer.js';
import { checkDestinationUrl, guardedAgent, type DestinationCheck, type DestinationPolicy, type Resolve } from '../../net/destination.js';
import type { ClaimedRow } from '../../store/claims.js';
import { ENDPOINT_CHANNEL, endpointForDelivery, type DeliveryEndpoint } from '../../store/endpoints.js';
import type { Schema } from '../../store/schema.js';
import type { WakeAbort } from '../abort.js';
import type { Deliverer } from '../deliverer.js';
import { sendHttpAttempt } from '../http-answer.js';
import type { AttemptResult } from '../ladder.js';
import type { Listen } from '../producer.js';
import { wakeBody } from '../wake-body.js';

/** What the webhook deliverer needs. */
export interface WebhookOptions {
  readonly db: Kysely<Schema>;
  readonly signer: WakeSigner;
  readonly destinations: DestinationPolicy;
  readonly timeoutMs: number;
  /** Connections per endpoint origin at most. */
  readonly connections: number;
  /** NOTIFY subscriptions, for ENDPOINT_CHANNEL. */
  readonly listen: Listen;
  readonly now?: () => number;
  /** How host names are resolved (dns.lookup unless a test passes its own). */
  readonly resolve?: Resolve;
}

// How long an endpoint read is used without a change announced: the bound on a missed announcement (a reconnect).
const KEEP_MS = 5_000;

interface Kept {
  readonly owner: string;
  readonly endpoint: DeliveryEndpoint | undefined;
  /** The endpoint's URL judged by this replica's policy, once per read. */
  readonly check: DestinationCheck | undefined;
  readonly secrets: readonly Buffer[];
  readonly untilMs: number;
}

/** Wakes through webhook endpoints. */
export class WebhookDeliverer implements Deliverer {
  readonly timeoutMs: number;
  private readonly agent: Agent;
  private readonly kept = new Map<string, Kept>();
  private readonly now: () => number;

  constructor(private readonly o: WebhookOptions) {
    this.timeoutMs = o.timeoutMs;
    this.now = o.now ?? Date.now;
    this.agent = guardedAgent({ allowHosts: o.destinations.allowHosts }, { connections: o.connections, connect: { timeout: o.timeoutMs }, ...(o.resolve ? { resolve: o.resolve } : {}) });
  }

  /** Listens for endpoint changes; before this, kept endpoints expire by time alone. */
  async start(): Promise<void> {
    await this.o.listen(ENDPOINT_CHANNEL, (id) => this.kept.delete(id));
  }

  async deliver(row: ClaimedRow, firedAt: Date, abort: WakeAbort): Promise<AttemptResult> {
    if (row.target.type !== 'webhook') return { kind: 'error', message: `not a webhook target: ${row.target.type}`, permanent: true };
    const id = row.target.endpoint;
    const peer = `webhook endpoint ${id}`;
    let kept: Kept;
    try {
      kept = await this.endpoint(row.owner, id);
    } catch (err) {
      return { kind: 'error', message: `could not read ${peer}: ${(err as Error).message}` };
    }
    const endpoint = kept.endpoint;
    if (!endpoint) return { kind: 'error', message: `${peer} no longer exists`, permanent: true };
    const check = kept.check!;
    if (!check.ok) return { kind: 'error', message: `${peer}: ${check.reason}`, permanent: true };
    const body = endpoint.body === 'payload' ? row.payload : wakeBody(row, firedAt);
    const fireId = row.fire_id ?? '';
    const headers: Record<string, string> = {
      'content-type': 'application/json',
      ...endpoint.headers,
      'idempotency-key': fireId,
      ...this.o.signer.sign(fireId, firedAt, body, kept.secrets),
    };
    const url = check.url;
    return sendHttpAttempt(this.agent, { origin: url.origin, path: url.pathname + url.search, method: endpoint.method, headers, body, timeoutMs: this.o.timeoutMs, peer }, firedAt, abort);
  }

  async close(): Promise<void> {
    await this.agent.destroy();
  }

  private async endpoint(owner: string, id: string): Promise<Kept> {
    const hit = this.kept.get(id);
    if (hit && hit.owner === owner && hit.untilMs > this.now()) return hit;
    const endpoint = await endpointForDelivery(this.o.db, owner, id);
    // A grace that ends within the keeping time ends the kept copy with it.
    const graceEndMs = endpoint?.graceUntil?.getTime() ?? Infinity;
    const kept: Kept = {
      owner,
      endpoint,
      // The policy may have changed since the endpoint was registered (allow_http turned off): it holds for every attempt.
      check: endpoint && checkDestinationUrl(endpoint.url, this.o.destinations),
      secrets: endpoint?.secrets.map((s) => Buffer.from(s.replace(/^whsec_/, ''), 'base64')) ?? [],
      untilMs: Math.min(this.now() + KEEP_MS, graceEndMs),
    };
    this.kept.set(id, kept);
    return kept;
  }
}
