/** The command line run in this process, with what it prints captured. */
import { format } from 'node:util';
import { runCli } from '../../src/cli/main.js';

let running = false;

/**
 * Runs `chronos` (or `chronosd`) with `argv`; resolves with its exit code and what it printed.
 * With `env`, the call sees the CHRONOS_* variables a process spawned with exactly `env`
 * would (spawnCli in helpers/daemon.ts): this process's are set aside for the call and put
 * back after it, so calls must not overlap (the tests of a file run one after another).
 * Milliseconds where a spawned `chronos` costs a Node start; a test that needs the real
 * binary's exit code and output spawns it.
 */
export async function cli(argv: string[], program: 'chronos' | 'chronosd' = 'chronos', env?: Record<string, string>) {
  if (running) throw new Error('cli(): calls in this process must not overlap (they swap console and process.env)');
  running = true;
  const out: string[] = [];
  const err: string[] = [];
  const { log, error } = console;
  // util.format is what console.log prints its arguments with.
  console.log = (...a: unknown[]) => out.push(`${format(...a)}\n`);
  console.error = (...a: unknown[]) => err.push(`${format(...a)}\n`);
  const saved = env === undefined ? undefined : swapChronosEnv(env);
  try {
    const code = await runCli(argv, program);
    return { code, out: out.join(''), err: err.join('') };
  } finally {
    if (saved !== undefined) swapChronosEnv(saved);
    console.log = log;
    console.error = error;
    running = false;
  }
}

/** Replaces every CHRONOS_* variable of process.env by those of `env`; returns the ones replaced. */
function swapChronosEnv(env: Record<string, string>): Record<string, string> {
  const previous: Record<string, string> = {};
  for (const [name, value] of Object.entries(process.env)) {
    if (!name.startsWith('CHRONOS_') || value === undefined) continue;
    previous[name] = value;
    delete process.env[name];
  }
  for (const [name, value] of Object.entries(env)) {
    if (!name.startsWith('CHRONOS_')) throw new Error(`cli(): only CHRONOS_* variables are swapped, not ${name}`);
    process.env[name] = value;
  }
  return previous;
}
