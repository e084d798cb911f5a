/**
 * Our estimate of the database clock, for timing wakes claimed ahead of
 * their instant. A reading taken during a claim was made somewhere between
 * sending the statement and reading its answer, so `dbNow - answeredAt` is
 * a lower bound of the offset (database minus ours): a wake timed by a lower
 * bound never leaves before its instant. The largest recent bound is the
 * tightest (the reading with the quickest answer); it decays slowly so a
 * clock that steps back is followed.
 */

// How fast an old bound gives way: 1 ms per 10 s.
const DECAY_PER_MS = 1 / 10_000;

export class DatabaseClock {
  private bound = -Infinity;
  private boundAt = 0;

  /** Takes a reading: the database said `dbNow`, and its answer was read at `answeredAt` (our clock). */
  observe(dbNow: number, answeredAt: number): void {
    const decayed = this.bound - (answeredAt - this.boundAt) * DECAY_PER_MS;
    const sample = dbNow - answeredAt;
    this.bound = Math.max(sample, decayed);
    this.boundAt = answeredAt;
  }

  /** Our clock's reading when the database clock shows `dbTime`, never earlier than the truth. */
  toLocal(dbTime: number): number {
    return dbTime - this.bound;
  }
}
