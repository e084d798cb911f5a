/**
 * The router stub, run as a process of its own (`fork`): node:http, answers
 * every wake 204 at once and records when each fire_id was received. The
 * bench talks to it over IPC:
 * - `{type: 'expect', n}` starts a measurement: records are cleared and
 *   `{type: 'done'}` is sent once n distinct fire_ids have arrived;
 * - `{type: 'results'}` is answered with a {@link StubResults};
 * - `{type: 'listen', url, headers, connections}` opens WebSockets to a
 *   chronosd stream (SPEC 8.3) and answers `{type: 'connected'}`: wakes that
 *   arrive there are recorded the same way, and acked at once;
 *   `{type: 'unlisten'}` closes them.
 */
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import WebSocket from 'ws';

/** What the stub saw since the last `expect`. */
export interface StubResults {
  readonly type: 'results';
  /** received - scheduled_for per distinct fire_id, ms. */
  readonly lateness: number[];
  /** The fire_id of each `lateness`. */
  readonly fireIds: string[];
  readonly duplicates: number;
  /** Wall-clock ms of the first and the last receive. */
  readonly firstAt: number;
  readonly lastAt: number;
}

/** Messages from the bench. */
export type StubCommand =
  | { type: 'expect'; n: number }
  | { type: 'results' }
  | { type: 'listen'; url: string; headers: Record<string, string>; connections: number }
  | { type: 'unlisten' };

let expected = Infinity;
let seen = new Set<string>();
let lateness: number[] = [];
let fireIds: string[] = [];
let duplicates = 0;
let firstAt = 0;
let lastAt = 0;

/** Wall clock with sub-ms resolution, comparable with scheduled_for. */
function now(): number {
  return performance.timeOrigin + performance.now();
}

/** Records a wake received at `at`. */
function record(wake: { fire_id: string; scheduled_for: string }, at: number): void {
  if (seen.has(wake.fire_id)) {
    duplicates++;
    return;
  }
  seen.add(wake.fire_id);
  lateness.push(at - Date.parse(wake.scheduled_for));
  fireIds.push(wake.fire_id);
  if (firstAt === 0) firstAt = at;
  lastAt = at;
  if (seen.size === expected) process.send!({ type: 'done' });
}

const server = createServer((req, res) => {
  const chunks: Buffer[] = [];
  req.on('data', (c: Buffer) => chunks.push(c));
  req.on('end', () => {
    const at = now();
    res.writeHead(204).end();
    record(JSON.parse(Buffer.concat(chunks).toString()) as { fire_id: string; scheduled_for: string }, at);
  });
});

let sockets: WebSocket[] = [];

/** Opens `connections` stream listeners; each wake is recorded, then acked. */
async function listen(url: string, headers: Record<string, string>, connections: number): Promise<void> {
  sockets = await Promise.all(
    Array.from({ length: connections }, () => {
      const socket = new WebSocket(url, { headers });
      socket.on('message', (data) => {
        const at = now();
        const wake = JSON.parse(String(data)) as { type: string; fire_id: string; scheduled_for: string };
        if (wake.type !== 'chronos.wake') return;
        socket.send(`{"type":"ack","fire_id":${JSON.stringify(wake.fire_id)}}`);
        record(wake, at);
      });
      return new Promise<WebSocket>((resolve, reject) => {
        socket.once('open', () => resolve(socket));
        socket.once('unexpected-response', (_req, res) => reject(new Error(`the stream answered ${res.statusCode}`)));
        socket.once('error', reject);
      });
    }),
  );
}
server.keepAliveTimeout = 60_000;

process.on('message', (command: StubCommand) => {
  if (command.type === 'expect') {
    expected = command.n;
    seen = new Set();
    lateness = [];
    fireIds = [];
    duplicates = 0;
    firstAt = 0;
    lastAt = 0;
  } else if (command.type === 'results') {
    process.send!({ type: 'results', lateness, fireIds, duplicates, firstAt, lastAt } satisfies StubResults);
  } else if (command.type === 'listen') {
    listen(command.url, command.headers, command.connections).then(
      () => process.send!({ type: 'connected' }),
      (err: Error) => process.send!({ type: 'connected', error: err.message }),
    );
  } else {
    for (const socket of sockets) socket.close();
    sockets = [];
  }
});
process.on('disconnect', () => process.exit(0));

server.listen(0, '127.0.0.1', () => process.send!({ type: 'listening', port: (server.address() as AddressInfo).port }));
