/** Stopping a system's process: chronosd's, or a peer's (bench/systems/peers.ts starts those). */
import type { ChildProcess } from 'node:child_process';

const STOP_TIMEOUT_MS = 10_000;

/** SIGTERM, then SIGKILL if the process has not exited within 10 s. */
export async function terminate(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return;
  const exited = new Promise((resolve) => child.once('exit', resolve));
  child.kill('SIGTERM');
  const timer = setTimeout(() => child.kill('SIGKILL'), STOP_TIMEOUT_MS);
  await exited;
  clearTimeout(timer);
}
