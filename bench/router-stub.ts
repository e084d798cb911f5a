/**
 * The router stub, run as a process of its own (`fork`): node:http, answers
 * every wake 204 at once and records when each fire_id was received. The
 * bench talks to it over IPC:
 * - `{type: 'expect', n}` starts a measurement: records are cleared and
 *   `{type: 'done'}` is sent once n distinct fire_ids have arrived;
 * - `{type: 'results'}` is answered with a {@link StubResults}.
 */
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';

/** What the stub saw since the last `expect`. */
export interface StubResults {
  readonly type: 'results';
  /** received - scheduled_for per distinct fire_id, ms. */
  readonly lateness: number[];
  readonly duplicates: number;
  /** Wall-clock ms of the first and the last receive. */
  readonly firstAt: number;
  readonly lastAt: number;
}

/** Messages from the bench. */
export type StubCommand = { type: 'expect'; n: number } | { type: 'results' };

let expected = Infinity;
let seen = new Set<string>();
let lateness: number[] = [];
let duplicates = 0;
let firstAt = 0;
let lastAt = 0;

const server = createServer((req, res) => {
  const chunks: Buffer[] = [];
  req.on('data', (c: Buffer) => chunks.push(c));
  req.on('end', () => {
    // Wall clock with sub-ms resolution, comparable with scheduled_for.
    const at = performance.timeOrigin + performance.now();
    res.writeHead(204).end();
    const body = JSON.parse(Buffer.concat(chunks).toString()) as { fire_id: string; scheduled_for: string };
    if (seen.has(body.fire_id)) {
      duplicates++;
      return;
    }
    seen.add(body.fire_id);
    lateness.push(at - Date.parse(body.scheduled_for));
    if (firstAt === 0) firstAt = at;
    lastAt = at;
    if (seen.size === expected) process.send!({ type: 'done' });
  });
});
server.keepAliveTimeout = 60_000;

process.on('message', (command: StubCommand) => {
  if (command.type === 'expect') {
    expected = command.n;
    seen = new Set();
    lateness = [];
    duplicates = 0;
    firstAt = 0;
    lastAt = 0;
  } else {
    process.send!({ type: 'results', lateness, duplicates, firstAt, lastAt } satisfies StubResults);
  }
});
process.on('disconnect', () => process.exit(0));

server.listen(0, '127.0.0.1', () => process.send!({ type: 'listening', port: (server.address() as AddressInfo).port }));
