/**
 * Group commit: callers submit one item each and get its own result, while
 * the items are run in groups, at most `maxParallel` groups at a time. A
 * group starts `lingerMs` after its first item (at once when full), and
 * items that arrive while groups are running wait for the next group, so
 * one statement serves many of them.
 */

/** Runs a group; returns one result per item, in order. Throwing fails every item of the group. */
export type GroupRunner<T, R> = (items: T[]) => Promise<R[]>;

interface Waiting<T, R> {
  readonly item: T;
  readonly resolve: (result: R) => void;
  readonly reject: (err: unknown) => void;
}

export class GroupCommit<T, R> {
  private readonly waiting: Waiting<T, R>[] = [];
  private running = 0;
  private lingering: NodeJS.Timeout | undefined;

  constructor(
    private readonly run: GroupRunner<T, R>,
    private readonly maxGroup: number,
    private readonly maxParallel: number,
    private readonly lingerMs = 0,
  ) {}

  /** Queues `item` for the next group; resolves with its result. */
  submit(item: T): Promise<R> {
    return new Promise<R>((resolve, reject) => {
      this.waiting.push({ item, resolve, reject });
      this.pump();
    });
  }

  private pump(): void {
    if (this.lingerMs > 0 && this.waiting.length > 0 && this.waiting.length < this.maxGroup) {
      this.lingering ??= setTimeout(() => {
        this.lingering = undefined;
        this.flush();
      }, this.lingerMs);
      return;
    }
    this.flush();
  }

  private flush(): void {
    clearTimeout(this.lingering);
    this.lingering = undefined;
    while (this.running < this.maxParallel && this.waiting.length > 0) {
      const group = this.waiting.splice(0, this.maxGroup);
      this.running++;
      this.run(group.map((w) => w.item))
        .then(
          (results) => group.forEach((w, i) => w.resolve(results[i]!)),
          (err: unknown) => group.forEach((w) => w.reject(err)),
        )
        .finally(() => {
          this.running--;
          this.pump();
        });
    }
  }
}
