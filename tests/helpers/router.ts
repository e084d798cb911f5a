/** A scriptable fake router on a real socket: records every wake, answers as the test says. */
import { createServer, type IncomingHttpHeaders } from 'node:http';
import type { AddressInfo } from 'node:net';

/** One received wake. */
export interface Received {
  readonly method: string;
  readonly url: string;
  readonly headers: IncomingHttpHeaders;
  readonly text: string;
  readonly body: Record<string, any>;
  readonly at: number;
}

/** How to answer one wake. */
export interface Reply {
  status?: number;
  body?: string;
  headers?: Record<string, string>;
  /** Answer only once this settles (then after `delayMs`): the test decides when. */
  after?: Promise<unknown>;
  /** Answer after this many ms. */
  delayMs?: number;
  /** Never answer (until the server closes). */
  stall?: boolean;
  /** Destroy the connection without an answer. */
  reset?: boolean;
  /** Send the status line, headers and this much of `body`, then cut the connection. */
  cutBodyAt?: number;
}

interface Teardown {
  teardown(fn: () => unknown): void;
}

/** Starts the router; `reply(req, n)` decides each answer (default 204). */
export async function fakeRouter(t: Teardown, reply: (req: Received, n: number) => Reply = () => ({ status: 204 })) {
  const received: Received[] = [];
  const waiters: { n: number; resolve: () => void }[] = [];
  let script = reply;
  // Wakes received and not yet answered (or cut off), now and at most.
  let inFlight = 0;
  let maxInFlight = 0;
  const server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const text = Buffer.concat(chunks).toString('utf8');
      const r: Received = { method: req.method ?? '', url: req.url ?? '', headers: req.headers, text, body: JSON.parse(text) as Record<string, any>, at: Date.now() };
      inFlight++;
      maxInFlight = Math.max(maxInFlight, inFlight);
      let answered = false;
      // Counted off just before the answer is written (or when the connection closes without one), so it never lags the sender's own count.
      const offWire = () => {
        if (answered) return;
        answered = true;
        inFlight--;
      };
      res.once('close', offWire);
      received.push(r);
      for (const w of [...waiters]) {
        if (received.length < w.n) continue;
        waiters.splice(waiters.indexOf(w), 1);
        w.resolve();
      }
      const answer = script(r, received.length);
      if (answer.stall) return;
      const send = () => {
        offWire();
        if (answer.reset) return req.socket.destroy();
        if (answer.cutBodyAt !== undefined) {
          res.writeHead(answer.status ?? 200, { ...answer.headers, 'content-length': String(Buffer.byteLength(answer.body ?? '')) });
          res.write((answer.body ?? '').slice(0, answer.cutBodyAt), () => setTimeout(() => req.socket.destroy(), 20));
          return;
        }
        res.writeHead(answer.status ?? 204, answer.headers);
        res.end(answer.body);
      };
      const delayed = () => (answer.delayMs ? setTimeout(send, answer.delayMs) : send());
      if (answer.after) void answer.after.then(delayed, delayed);
      else delayed();
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  t.teardown(() => {
    server.closeAllConnections();
    return new Promise<void>((r) => server.close(() => r()));
  });
  return {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
    received,
    /** Wakes received and not yet answered. */
    get inFlight() {
      return inFlight;
    },
    /** The most wakes that were ever received and not yet answered at once. */
    get maxInFlight() {
      return maxInFlight;
    },
    /** Replaces the answer script. */
    answer(next: (req: Received, n: number) => Reply) {
      script = next;
    },
    /** Resolves once `n` wakes in all have arrived. */
    waitForCount(n: number, timeoutMs = 20_000): Promise<void> {
      if (received.length >= n) return Promise.resolve();
      return new Promise((resolve, reject) => {
        const timer = setTimeout(() => reject(new Error(`router saw ${received.length} wakes, not ${n}, within ${timeoutMs}ms`)), timeoutMs);
        waiters.push({
          n,
          resolve: () => {
            clearTimeout(timer);
            resolve();
          },
        });
      });
    },
  };
}
