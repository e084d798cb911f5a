/** Spawns real chronosd / chronos processes and waits on what they log, never on the clock. */
import { spawn, type ChildProcess } from 'node:child_process';
import { createInterface } from 'node:readline';

const BIN = new URL('../../src/bin/', import.meta.url).pathname;
// Resolved here so that children started in another cwd still find the loader.
const TSX = import.meta.resolve('tsx');

/** A spawned process with its parsed JSON log lines and raw output. */
export interface Proc {
  readonly child: ChildProcess;
  readonly logs: Record<string, unknown>[];
  stdout(): string;
  stderr(): string;
  /** Resolves with the first log line matching `pred` (past or future); rejects after `timeoutMs` or on exit. */
  waitForLog(pred: (line: Record<string, unknown>) => boolean, timeoutMs?: number): Promise<Record<string, unknown>>;
  /** Resolves once stdout matches `re`, with the match. */
  waitForText(re: RegExp, timeoutMs?: number): Promise<RegExpMatchArray>;
  /** Resolves with the exit code (or 128+signal). */
  exited: Promise<number>;
}

/**
 * Runs `chronosd` (program 'chronosd') or `chronos` with `args` under tsx, with exactly `env` plus PATH.
 * tap starts a test file with @tapjs/processinfo, which writes itself into the NODE_OPTIONS of every
 * process the file spawns (it tracks them for coverage, which is off): that loader made each chronos
 * start cost about 40% more CPU. `env -u NODE_OPTIONS` starts the child without it; the pid is the child's.
 */
export function spawnCli(program: 'chronosd' | 'chronos', args: string[], env: Record<string, string>, cwd?: string): Proc {
  const child = spawn('env', ['-u', 'NODE_OPTIONS', process.execPath, '--import', TSX, `${BIN}${program}.ts`, ...args], {
    cwd,
    env: { PATH: process.env.PATH ?? '', HOME: process.env.HOME ?? '/tmp', ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  const logs: Record<string, unknown>[] = [];
  let out = '';
  let err = '';
  const waiters: { pred: (l: Record<string, unknown>) => boolean; resolve: (l: Record<string, unknown>) => void }[] = [];
  const textWaiters: (() => void)[] = [];
  createInterface({ input: child.stdout! }).on('line', (line) => {
    out += `${line}\n`;
    for (const w of [...textWaiters]) w();
    let parsed: Record<string, unknown>;
    try {
      parsed = JSON.parse(line) as Record<string, unknown>;
    } catch {
      return;
    }
    logs.push(parsed);
    for (const w of [...waiters]) {
      if (w.pred(parsed)) {
        waiters.splice(waiters.indexOf(w), 1);
        w.resolve(parsed);
      }
    }
  });
  child.stderr!.on('data', (d: Buffer) => {
    err += d.toString();
  });
  const exited = new Promise<number>((resolve) => child.on('exit', (code, signal) => resolve(code ?? 128 + (signal === 'SIGKILL' ? 9 : 15))));
  return {
    child,
    logs,
    stdout: () => out,
    stderr: () => err,
    exited,
    waitForText(re, timeoutMs = 30_000) {
      return new Promise((resolve, reject) => {
        const check = () => {
          const m = out.match(re);
          if (!m) return false;
          clearTimeout(timer);
          textWaiters.splice(textWaiters.indexOf(check), 1);
          resolve(m);
          return true;
        };
        const timer = setTimeout(() => reject(new Error(`stdout did not match ${re} within ${timeoutMs}ms:\n${out}\n${err}`)), timeoutMs);
        textWaiters.push(check);
        check();
      });
    },
    waitForLog(pred, timeoutMs = 30_000) {
      const seen = logs.find(pred);
      if (seen) return Promise.resolve(seen);
      return new Promise((resolve, reject) => {
        const timer = setTimeout(() => reject(new Error(`no matching log within ${timeoutMs}ms; stdout:\n${out}\nstderr:\n${err}`)), timeoutMs);
        const done = (l: Record<string, unknown>) => {
          clearTimeout(timer);
          resolve(l);
        };
        waiters.push({ pred, resolve: done });
        void exited.then((code) => {
          clearTimeout(timer);
          reject(new Error(`exited with ${code} before the expected log; stdout:\n${out}\nstderr:\n${err}`));
        });
      });
    },
  };
}

/** Starts chronosd on a free port and resolves once it listens, with its base URL. */
export async function startDaemon(env: Record<string, string>, args: string[] = [], cwd?: string): Promise<Proc & { url: string }> {
  const proc = spawnCli('chronosd', ['--port', '0', ...args], env, cwd);
  const line = await proc.waitForLog((l) => l.msg === 'chronosd listening', 60_000);
  return Object.assign(proc, { url: String(line.url) });
}

/** Sends SIGTERM and resolves with the exit code. */
export async function stop(proc: Proc): Promise<number> {
  proc.child.kill('SIGTERM');
  return proc.exited;
}

/** Test secrets for an external database. */
export const TEST_SECRETS = {
  CHRONOS_TRANSPORT_TOKENS: 'test-transport-token-0123456789abcdef',
  CHRONOS_TOKEN_SECRETS: 'test-token-secret-0123456789abcdefghijklmnop',
  CHRONOS_SIGNING_KEYS: '9d61b19deffd5a60ba844af492ec2cc44449c5697b326919703bac031cae7f60',
};
