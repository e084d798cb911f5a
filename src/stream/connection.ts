/**
 * One listener's WebSocket (SPEC 8.3): sends it wakes and waits for their
 * acks, reads what it sends (ack, nack, pong; anything else gets an error
 * message back, never a crash), keeps it alive with pings and drops it when
 * it falls silent.
 */
import type { Logger } from 'pino';
import type { WebSocket } from 'ws';
import { StreamClientMessage, type StreamError, type StreamReady } from '../api/stream.js';
import type { WakeAbort } from '../dispatch/abort.js';
import type { AttemptResult } from '../dispatch/ladder.js';
import type { ListenerRow } from '../store/stream.js';

/** How the server keeps a connection alive. */
export interface Liveness {
  /** A ping this often (SPEC 8.3: 20 s). */
  readonly pingMs: number;
  /** Dropped when nothing at all came from it for this long (SPEC 8.3: 60 s). */
  readonly silentMs: number;
}

// What the listener's answers mean to the ladder (SPEC 8.3): an ack is the 2xx.
const ACKED: AttemptResult = { kind: 'answered', peer: 'stream listener', status: 200, bodyStart: '' };
const DISCONNECTED: AttemptResult = { kind: 'error', message: 'stream listener disconnected before acking' };
const ACK_TIMEOUT: AttemptResult = { kind: 'error', message: 'stream ack timeout' };
// A listener's own words go into last_error: bounded, without control characters (NUL cannot be stored in text).
const ERROR_TEXT_MAX = 300;

/** A wake waiting for its ack on this connection. */
type Waiter = (result: AttemptResult) => void;

/** A listener's connection. */
export class StreamConnection {
  /** Wakes sent and not yet answered, by fire_id (an occurrence is on one connection at a time, so a list is rare). */
  private readonly waiting = new Map<string, Waiter[]>();
  private lastHeardAt: number;
  private readonly pinger: NodeJS.Timeout;
  private closed = false;

  constructor(
    readonly listener: ListenerRow,
    private readonly ws: WebSocket,
    liveness: Liveness,
    private readonly log: Logger,
    private readonly now: () => number = Date.now,
  ) {
    this.lastHeardAt = now();
    ws.on('message', (data, isBinary) => {
      this.lastHeardAt = this.now();
      this.onMessage(isBinary ? undefined : data.toString());
    });
    ws.on('pong', () => (this.lastHeardAt = this.now()));
    ws.on('error', (err) => this.log.debug({ err }, 'stream connection error'));
    ws.on('close', () => this.onClose());
    this.pinger = setInterval(() => {
      if (this.now() - this.lastHeardAt > liveness.silentMs) {
        this.log.info({ silent_ms: this.now() - this.lastHeardAt }, 'stream listener fell silent: dropped');
        // terminate, not close: a silent peer would not answer the closing handshake either.
        ws.terminate();
        return;
      }
      ws.ping();
    }, liveness.pingMs);
    this.pinger.unref();
  }

  /** True while wakes can be sent on it. */
  get open(): boolean {
    return !this.closed && this.ws.readyState === this.ws.OPEN;
  }

  /** True when a wake of an alarm carrying `tags` is for this listener. */
  matches(tags: readonly string[]): boolean {
    return this.listener.tags === null || this.listener.tags.some((t) => tags.includes(t));
  }

  /** Calls `fn` once the connection has closed. */
  onClosed(fn: () => void): void {
    this.ws.on('close', fn);
  }

  /** Tells the listener it is one (api/stream.ts StreamReady). */
  ready(message: StreamReady): void {
    if (this.open) this.ws.send(JSON.stringify(message));
  }

  /**
   * Sends the wake `message` of `fireId` and resolves with the listener's
   * answer: its ack, its nack, or the failure to get either within
   * `timeoutMs` (or before the connection closed, or before `abort`).
   */
  deliver(fireId: string, message: string, timeoutMs: number, abort: WakeAbort): Promise<AttemptResult> {
    if (abort.reason !== undefined) return Promise.resolve({ kind: 'error', message: abort.reason });
    if (!this.open) return Promise.resolve(DISCONNECTED);
    return new Promise((resolve) => {
      let done = false;
      const finish: Waiter = (result) => {
        if (done) return;
        done = true;
        clearTimeout(timer);
        abort.onAbort(undefined);
        const list = this.waiting.get(fireId);
        if (list) {
          list.splice(list.indexOf(finish), 1);
          if (list.length === 0) this.waiting.delete(fireId);
        }
        resolve(result);
      };
      const timer = setTimeout(() => finish(ACK_TIMEOUT), timeoutMs);
      abort.onAbort(() => finish({ kind: 'error', message: abort.reason ?? 'aborted' }));
      const list = this.waiting.get(fireId);
      if (list) list.push(finish);
      else this.waiting.set(fireId, [finish]);
      this.ws.send(message, (err) => {
        if (err) finish(DISCONNECTED);
      });
    });
  }

  /** Closes the connection (shutdown); its waiting wakes end as disconnected. */
  close(code: number, reason: string): void {
    this.ws.close(code, reason);
  }

  /** Cuts the connection off without the closing handshake. */
  terminate(): void {
    this.ws.terminate();
  }

  private onClose(): void {
    this.closed = true;
    clearInterval(this.pinger);
    // A wake left unacked goes again along the ladder, with the same fire_id, to whichever listener is there then.
    for (const list of [...this.waiting.values()]) for (const finish of [...list]) finish(DISCONNECTED);
  }

  private onMessage(text: string | undefined): void {
    if (text === undefined) return this.refuse('invalid_message', 'binary messages are not understood: send JSON text');
    let value: unknown;
    try {
      value = JSON.parse(text);
    } catch {
      return this.refuse('invalid_json', 'the message is not JSON');
    }
    const parsed = StreamClientMessage.safeParse(value);
    if (!parsed.success) return this.refuse('invalid_message', parsed.error.issues.map((i) => (i.path.length > 0 ? `${i.path.join('.')}: ${i.message}` : i.message)).join('; '));
    const msg = parsed.data;
    if (msg.type === 'pong') return;
    const list = this.waiting.get(msg.fire_id);
    if (!list) return this.refuse('unknown_fire_id', `no wake of ${msg.fire_id} awaits an answer on this connection (answered already, timed out, or sent elsewhere)`);
    const result: AttemptResult = msg.type === 'ack' ? ACKED : nackResult(msg.retry, msg.error);
    for (const finish of [...list]) finish(result);
  }

  private refuse(code: StreamError['code'], message: string): void {
    const error: StreamError = { type: 'error', code, message };
    if (this.open) this.ws.send(JSON.stringify(error));
  }
}

/** A nack as the ladder reads it: retried when the listener asks for it, else a permanent failure of the occurrence. */
function nackResult(retry: boolean, error: string | undefined): AttemptResult {
  // eslint-disable-next-line no-control-regex -- matching control characters is the point
  const words = (error ?? '').replace(/[\u0000-\u001f\u007f]+/g, ' ').trim().slice(0, ERROR_TEXT_MAX).toWellFormed();
  const said = words ? `: ${words}` : '';
  return retry ? { kind: 'error', message: `stream listener nacked the wake${said}` } : { kind: 'error', message: `stream listener refused the wake${said}`, permanent: true };
}
