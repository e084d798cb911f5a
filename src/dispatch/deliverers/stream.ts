/**
 * The stream target (SPEC 8.3): each wake is one text message on one of the
 * owner's connections to this replica, the 6.1 JSON plus its `signature`,
 * answered by the listener's ack or nack. The claim gave this replica the
 * alarm because the owner listens here (or nowhere: store/stream.ts).
 */
import type { SignatureHeaders, WakeSigner } from '../../auth/wake-signer.js';
import type { ClaimedRow } from '../../store/claims.js';
import type { StreamHub } from '../../stream/hub.js';
import type { WakeAbort } from '../abort.js';
import type { Deliverer } from '../deliverer.js';
import type { AttemptResult } from '../ladder.js';
import { wakeBody } from '../wake-body.js';

/** What the stream deliverer needs. */
export interface StreamDelivererOptions {
  readonly hub: StreamHub;
  readonly signer: WakeSigner;
  /** How long a listener has to ack (wake.timeout). */
  readonly timeoutMs: number;
}

const NO_LISTENER: AttemptResult = { kind: 'error', message: 'no stream listener' };

/**
 * The message of a wake: the body with `"signature"` (the three Standard
 * Webhooks headers as members) spliced in before its closing brace, so a
 * receiver gets the signed body back, byte for byte, as
 * `text.slice(0, text.lastIndexOf(',"signature":')) + '}'` (docs/targets.md).
 */
export function streamMessage(body: string, signature: SignatureHeaders): string {
  return `${body.slice(0, -1)},"signature":${JSON.stringify(signature)}}`;
}

/** Sends stream wakes through this replica's listeners. */
export class StreamDeliverer implements Deliverer {
  readonly timeoutMs: number;

  constructor(private readonly o: StreamDelivererOptions) {
    this.timeoutMs = o.timeoutMs;
  }

  deliver(row: ClaimedRow, firedAt: Date, abort: WakeAbort): Promise<AttemptResult> {
    // One occurrence, one connection per attempt: the next one in turn among those the alarm's tags match.
    const conn = this.o.hub.pick(row.owner, row.tags);
    if (!conn) return Promise.resolve(NO_LISTENER);
    const fireId = row.fire_id ?? '';
    const body = wakeBody(row, firedAt);
    return conn.deliver(fireId, streamMessage(body, this.o.signer.sign(fireId, firedAt, body)), this.o.timeoutMs, abort);
  }

  /** The connections belong to the hub, which the daemon stops after the dispatcher has drained. */
  async close(): Promise<void> {}
}
