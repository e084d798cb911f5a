/**
 * Group commit: callers submit one item each and get its own result, while
 * the items are run in groups, at most `maxParallel` groups at a time. A
 * group starts `lingerMs` after its first item (at once when full), and
 * items that arrive while groups are running wait for the next group, so
 * one statement serves many of them.
 *
 * Deadlines (deadline.ts): a caller's clock starts when it submits. At its
 * deadline it gets DatabaseTimeout: an item still waiting leaves the queue
 * and is never run; an item in a running group may still be written. A group
 * runs outside its callers' scopes, under a deadline of its own as long as
 * theirs, from its start: by then every caller in it has had its answer.
 */
import { currentDeadline, untilAborted, withDeadline, withoutDeadline } from './deadline.js';

/** Runs a group; returns one result per item, in order. Throwing fails the group (see {@link GroupCommitOptions.isolate}). */
export type GroupRunner<T, R> = (items: T[]) => Promise<R[]>;

/** How items are grouped. */
export interface GroupCommitOptions {
  readonly maxGroup: number;
  readonly maxParallel: number;
  /** How long a group that is not full waits for company; 0 starts it at once. */
  readonly lingerMs?: number;
  /**
   * For a failed group of several items: true runs each of them again alone,
   * so only the item at fault fails (a bad row); false fails them all (an
   * unreachable database, which every item would meet again).
   */
  readonly isolate?: (err: unknown) => boolean;
}

interface Waiting<T, R> {
  readonly item: T;
  /** The caller's deadline, if it has one. */
  readonly timeoutMs: number | undefined;
  readonly resolve: (result: R) => void;
  readonly reject: (err: unknown) => void;
}

export class GroupCommit<T, R> {
  private readonly waiting: Waiting<T, R>[] = [];
  private running = 0;
  private lingering: NodeJS.Timeout | undefined;

  constructor(
    private readonly run: GroupRunner<T, R>,
    private readonly o: GroupCommitOptions,
  ) {}

  /** Queues `item` for the next group; resolves with its result. */
  submit(item: T): Promise<R> {
    const deadline = currentDeadline();
    const signal = deadline?.begin();
    let entry: Waiting<T, R> | undefined;
    const result = new Promise<R>((resolve, reject) => {
      entry = { item, timeoutMs: deadline?.timeoutMs, resolve, reject };
      this.waiting.push(entry);
      this.pump();
    });
    return untilAborted(result, signal, () => {
      const at = this.waiting.indexOf(entry!);
      if (at >= 0) this.waiting.splice(at, 1);
      // Answered already: an outcome that still comes is nobody's to handle.
      result.catch(() => {});
    });
  }

  private pump(): void {
    const lingerMs = this.o.lingerMs ?? 0;
    if (lingerMs > 0 && this.waiting.length > 0 && this.waiting.length < this.o.maxGroup) {
      this.lingering ??= setTimeout(() => {
        this.lingering = undefined;
        this.flush();
      }, lingerMs);
      return;
    }
    this.flush();
  }

  private flush(): void {
    clearTimeout(this.lingering);
    this.lingering = undefined;
    while (this.running < this.o.maxParallel && this.waiting.length > 0) {
      const group = this.waiting.splice(0, this.o.maxGroup);
      this.running++;
      const timeoutMs = Math.max(0, ...group.map((w) => w.timeoutMs ?? 0));
      const run = () => this.runGroup(group);
      (timeoutMs > 0 ? withDeadline(timeoutMs, run) : withoutDeadline(run)).finally(() => {
        this.running--;
        this.pump();
      });
    }
  }

  private async runGroup(group: Waiting<T, R>[]): Promise<void> {
    try {
      const results = await this.run(group.map((w) => w.item));
      group.forEach((w, i) => w.resolve(results[i]!));
    } catch (err) {
      if (group.length === 1 || !this.o.isolate?.(err)) {
        for (const w of group) w.reject(err);
        return;
      }
      // One at a time, in this group's slot: the rest of the queue keeps its order.
      for (const w of group) await this.runGroup([w]);
    }
  }
}
