/**
 * This replica's stream listeners (SPEC 8.3): admits connections under the
 * per-owner cap, keeps their presence rows in PostgreSQL (so every replica's
 * claim knows where an owner listens), and picks the connection each wake
 * goes to. The presence rows, not this process's memory, decide which
 * replica claims a stream alarm (store/stream.ts).
 */
import type { Kysely } from 'kysely';
import type { Logger } from 'pino';
import type { WebSocket } from 'ws';
import { DomainError } from '../errors.js';
import { timeOrderedSuffix } from '../ids.js';
import type { Schema } from '../store/schema.js';
import { admitListener, markConnected, refreshListeners, removeListeners, type ListenerRow } from '../store/stream.js';
import { StreamConnection, type Liveness } from './connection.js';

/** What the hub needs. */
export interface StreamHubOptions {
  readonly db: Kysely<Schema>;
  /** This replica's id, as its claims carry it. */
  readonly replica: string;
  /** Open connections per DID across all replicas (stream.max_connections_per_owner). */
  readonly maxPerOwner: number;
  readonly log: Logger;
  /** How often this replica refreshes its presence rows; well within the presence window (store/stream.ts). */
  readonly heartbeatMs?: number;
  readonly liveness?: Liveness;
}

const HEARTBEAT_MS = 5_000;
const LIVENESS: Liveness = { pingMs: 20_000, silentMs: 60_000 };
// Close codes (RFC 6455): the server is going away; it failed to register the connection.
const GOING_AWAY = 1001;
const INTERNAL_ERROR = 1011;
const CLOSE_GRACE_MS = 1_000;

/** An owner's connections here, and where the round robin goes next. */
interface OwnerConnections {
  readonly list: StreamConnection[];
  next: number;
}

/** The stream listeners of this replica. */
export class StreamHub {
  private readonly owners = new Map<string, OwnerConnections>();
  private readonly heartbeatMs: number;
  private readonly liveness: Liveness;
  private heartbeat: NodeJS.Timeout | undefined;
  /**
   * The hub's writes of presence rows, one after another: a heartbeat that
   * read the open connections before one closed must not write its row back
   * after the close deleted it (a listener that is gone would hold its
   * owner's alarms here for a presence window).
   */
  private writes: Promise<unknown> = Promise.resolve();
  private stopping = false;

  constructor(private readonly o: StreamHubOptions) {
    this.heartbeatMs = o.heartbeatMs ?? HEARTBEAT_MS;
    this.liveness = o.liveness ?? LIVENESS;
  }

  /** True until stop(): new connections are admitted. */
  get accepting(): boolean {
    return !this.stopping;
  }

  /** Starts the heartbeat. */
  start(): void {
    this.heartbeat ??= setInterval(() => void this.refresh(), this.heartbeatMs);
  }

  /**
   * Admits a connection of `owner` with the filter `tags` (null: all), before
   * its WebSocket handshake: its row counts against the owner's cap from
   * now on. Throws 429 `too_many_connections` when the owner already has
   * maxPerOwner live connections on any replica.
   */
  async admit(owner: string, tags: readonly string[] | null): Promise<ListenerRow> {
    const listener: ListenerRow = { id: `conn_${timeOrderedSuffix()}`, owner, tags };
    if (!(await admitListener(this.o.db, this.o.replica, listener, this.o.maxPerOwner))) {
      throw new DomainError('limit', 'too_many_connections', `this agent already has ${this.o.maxPerOwner} stream connections open (the most allowed, across all replicas): close one first`);
    }
    return listener;
  }

  /** The admitted connection's handshake failed: its row goes. */
  abandon(listener: ListenerRow): void {
    this.write(() => removeListeners(this.o.db, [listener.id]), 'could not remove an abandoned stream listener; it goes stale');
  }

  /**
   * Takes the admitted connection's WebSocket: wakes may go to it at once;
   * once its row says it is connected (and sleeping dispatchers were woken),
   * the listener is told it is ready.
   */
  async connect(listener: ListenerRow, ws: WebSocket): Promise<void> {
    const log = this.o.log.child({ connection_id: listener.id, owner: listener.owner });
    const conn = new StreamConnection(listener, ws, this.liveness, log);
    const mine = this.owners.get(listener.owner) ?? { list: [], next: 0 };
    this.owners.set(listener.owner, mine);
    mine.list.push(conn);
    conn.onClosed(() => {
      mine.list.splice(mine.list.indexOf(conn), 1);
      if (mine.list.length === 0 && this.owners.get(listener.owner) === mine) this.owners.delete(listener.owner);
      this.write(() => removeListeners(this.o.db, [listener.id]), 'could not remove a closed stream listener; it goes stale');
      log.info('stream listener disconnected');
    });
    try {
      if (!(await markConnected(this.o.db, listener.id))) throw new Error('its presence row is gone');
    } catch (err) {
      if (conn.open) log.warn({ err }, 'could not register a stream listener: connection closed');
      conn.close(INTERNAL_ERROR, 'could not register the listener; connect again');
      return;
    }
    conn.ready({ type: 'ready', connection_id: listener.id, agent_did: listener.owner, tags: listener.tags === null ? null : [...listener.tags] });
    log.info({ tags: listener.tags }, 'stream listener connected');
  }

  /**
   * The connection of `owner` a wake of an alarm carrying `tags` goes to: the
   * next open matching one in turn, or undefined when there is none here.
   */
  pick(owner: string, tags: readonly string[]): StreamConnection | undefined {
    const mine = this.owners.get(owner);
    if (!mine) return undefined;
    const n = mine.list.length;
    for (let i = 0; i < n; i++) {
      const conn = mine.list[(mine.next + i) % n]!;
      if (!conn.open || !conn.matches(tags)) continue;
      mine.next = (mine.next + i + 1) % n;
      return conn;
    }
    return undefined;
  }

  /** Stops admitting, closes every connection (after the dispatcher has drained) and removes their rows. Idempotent. */
  async stop(): Promise<void> {
    this.stopping = true;
    clearInterval(this.heartbeat);
    const all = [...this.owners.values()].flatMap((m) => m.list);
    const closed = Promise.all(all.map((c) => new Promise<void>((resolve) => c.onClosed(resolve))));
    for (const conn of all) conn.close(GOING_AWAY, 'chronosd is shutting down');
    // A listener that does not answer the closing handshake is cut off, rather than hold the shutdown for ws's 30 s.
    const grace = new Promise<void>((resolve) => setTimeout(resolve, CLOSE_GRACE_MS).unref());
    await Promise.race([closed, grace]);
    for (const conn of all) conn.terminate();
    this.write(() => removeListeners(this.o.db, all.map((c) => c.listener.id)), 'could not remove the stream listeners at shutdown; they go stale');
    await this.writes;
  }

  /** Refreshes this replica's rows and sweeps stale ones (the heartbeat). */
  refresh(): Promise<void> {
    return this.write(async () => {
      // Read when the write runs, after every close queued before it.
      const open = [...this.owners.values()].flatMap((m) => m.list.filter((c) => c.open).map((c) => c.listener));
      const swept = await refreshListeners(this.o.db, this.o.replica, open);
      if (swept > 0) this.o.log.info({ swept }, 'stale stream listeners of other replicas swept');
    }, 'stream heartbeat failed; retrying at the next one');
  }

  private write(fn: () => Promise<unknown>, failure: string): Promise<void> {
    const next = this.writes.then(fn).then(
      () => undefined,
      (err: unknown) => this.o.log.warn({ err }, failure),
    );
    this.writes = next;
    return next;
  }
}
