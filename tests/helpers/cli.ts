/** The command line run in this process, with what it prints captured. */
import { runCli } from '../../src/cli/main.js';

/** Runs `chronos` (or `chronosd`) with `argv`; resolves with its exit code and what it printed. */
export async function cli(argv: string[], program: 'chronos' | 'chronosd' = 'chronos') {
  const out: string[] = [];
  const err: string[] = [];
  const { log, error } = console;
  console.log = (...a: unknown[]) => out.push(`${a.join(' ')}\n`);
  console.error = (...a: unknown[]) => err.push(`${a.join(' ')}\n`);
  try {
    const code = await runCli(argv, program);
    return { code, out: out.join(''), err: err.join('') };
  } finally {
    console.log = log;
    console.error = error;
  }
}
