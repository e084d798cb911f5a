/** CPU and memory of processes, from /proc (Linux). */
import { readdirSync, readFileSync } from 'node:fs';

// USER_HZ: clock ticks per second in /proc/<pid>/stat; 100 on every Linux we run on.
const TICKS_PER_SECOND = 100;

/** The fields of /proc/<pid>/stat after the command name (field 3 onwards), or null once it has exited. */
function statFields(pid: number): string[] | null {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    // The command name is in parentheses and may hold spaces.
    return stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  } catch {
    return null;
  }
}

/** User + system CPU seconds of `pid` so far; with `reaped`, also of its exited children it waited for. */
export function cpuSecondsOf(pid: number | undefined, reaped = false): number {
  const f = pid === undefined ? null : statFields(pid);
  if (!f) return 0;
  const ticks = Number(f[11]) + Number(f[12]) + (reaped ? Number(f[13]) + Number(f[14]) : 0);
  return ticks / TICKS_PER_SECOND;
}

/** Pids of the live children of `ppid`. */
export function childrenOf(ppid: number): number[] {
  return readdirSync('/proc').filter((e) => /^\d+$/.test(e) && Number(statFields(Number(e))?.[1]) === ppid).map(Number);
}

/** Resident set size of `pid` in bytes (0 once it has exited). */
export function rssBytesOf(pid: number | undefined): number {
  if (pid === undefined) return 0;
  try {
    const match = /VmRSS:\s+(\d+) kB/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
    return match ? Number(match[1]) * 1024 : 0;
  } catch {
    return 0;
  }
}

/** Summed over `children`: CPU seconds and RSS bytes of a system's processes. */
export function cpuSecondsOfAll(children: readonly { pid?: number }[]): number {
  return children.reduce((sum, c) => sum + cpuSecondsOf(c.pid), 0);
}

export function rssBytesOfAll(children: readonly { pid?: number }[]): number {
  return children.reduce((sum, c) => sum + rssBytesOf(c.pid), 0);
}
