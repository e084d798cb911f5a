/** One chronosd per data directory: a pid file taken at start and removed at stop. */
import { readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';

/**
 * Takes `<dir>/chronosd.pid`. Throws when a live process other than this one
 * holds it; a file left by a dead process is taken over. Returns the release.
 */
export function lockDataDir(dir: string): () => void {
  const file = join(dir, 'chronosd.pid');
  try {
    writeFileSync(file, `${process.pid}\n`, { flag: 'wx', mode: 0o644 });
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== 'EEXIST') throw err;
    const holder = Number(readFileSync(file, 'utf8').trim());
    if (Number.isInteger(holder) && holder > 0 && holder !== process.pid && isAlive(holder)) {
      throw new Error(`data directory ${dir} is in use by chronosd pid ${holder}: stop it, or give this one another CHRONOS_DATA_DIR (delete ${file} if that process is not chronosd)`);
    }
    writeFileSync(file, `${process.pid}\n`, { mode: 0o644 });
  }
  return () => rmSync(file, { force: true });
}

/** True while process `pid` exists (one of another user counts). */
export function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === 'EPERM';
  }
}
