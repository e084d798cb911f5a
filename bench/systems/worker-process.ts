/** A peer's worker process: spawned with its settings as JSON in one variable, ready when it prints `ready`. */
import { spawn, type ChildProcess } from 'node:child_process';
import { createInterface } from 'node:readline';

const STOP_TIMEOUT_MS = 10_000;

/** Starts `script` (TypeScript, through tsx) with `config` as JSON in `variable`; resolves once it printed `ready`. */
export async function startWorker(script: URL, variable: string, config: object): Promise<ChildProcess> {
  const child = spawn(process.execPath, ['--import', import.meta.resolve('tsx'), script.pathname], {
    env: { PATH: process.env.PATH ?? '', [variable]: JSON.stringify(config) },
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  await new Promise<void>((resolve, reject) => {
    createInterface({ input: child.stdout! }).on('line', (line) => line === 'ready' && resolve());
    child.once('exit', (code, signal) => reject(new Error(`${script.pathname} exited (${signal ?? code}) before it was ready`)));
  });
  return child;
}

/** SIGTERM, then SIGKILL if the process has not exited within 10 s. */
export async function terminate(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return;
  const exited = new Promise((resolve) => child.once('exit', resolve));
  child.kill('SIGTERM');
  const timer = setTimeout(() => child.kill('SIGKILL'), STOP_TIMEOUT_MS);
  await exited;
  clearTimeout(timer);
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
