/**
 * The peer side of a peer's process (run by bench/systems/peers.ts on Node 22):
 * its settings from one environment variable, the lines it tells the bench on
 * stdout, the requests a control process answers from stdin, and a graceful
 * stop on SIGTERM.
 *
 * Protocol: stdout lines starting with `@bench ` are for the bench (`ready`
 * once started; a control process then answers each request line on stdin,
 * a JSON object, with `ok` or `error <message>`); anything else a library
 * writes to stdout is passed on to stderr by the bench.
 */
import { createInterface } from 'node:readline';

/** The settings the bench passed as JSON in `variable`. */
export function settings<T>(variable: string): T {
  const json = process.env[variable];
  if (!json) throw new Error(`${variable} is not set: this process is started by the bench (bench/systems/peers.ts)`);
  return JSON.parse(json) as T;
}

function tell(line: string): void {
  process.stdout.write(`@bench ${line}\n`);
}

/** Tells the bench the process is working; on SIGTERM runs `stop`, then exits. */
export function ready(name: string, stop: () => Promise<void>): void {
  process.once('SIGTERM', () => {
    stop().then(
      () => process.exit(0),
      (err: unknown) => {
        console.error(`${name}: stop failed:`, err);
        process.exit(1);
      },
    );
  });
  tell('ready');
}

/** Answers each request line on stdin with `handle`, one at a time, in order. */
export async function serve<R>(handle: (request: R) => Promise<void>): Promise<void> {
  for await (const line of createInterface({ input: process.stdin })) {
    try {
      await handle(JSON.parse(line) as R);
      tell('ok');
    } catch (err) {
      tell(`error ${(err instanceof Error ? err.message : String(err)).replace(/\n/g, ' ')}`);
    }
  }
}

/** Calls `write(from, to)` for consecutive chunks of `[0, count)`, `lanes` chunks at a time. */
export async function inChunks(count: number, chunk: number, lanes: number, write: (from: number, to: number) => Promise<unknown>): Promise<void> {
  let next = 0;
  const lane = async () => {
    while (next < count) {
      const from = next;
      next = Math.min(from + chunk, count);
      await write(from, next);
    }
  };
  await Promise.all(Array.from({ length: lanes }, lane));
}
