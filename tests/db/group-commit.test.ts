import t from 'tap';
import { currentDeadline, withDeadline, type Deadline } from '../../src/db/deadline.js';
import { DatabaseTimeout } from '../../src/db/errors.js';
import { GroupCommit } from '../../src/db/group-commit.js';

/**
 * Runs `fn` with setTimeout recording instead: the timers it sets run only
 * when the test fires them (GroupCommit takes no clock, so this is how the
 * test holds one).
 */
function withHeldTimers<T>(fn: () => T): { result: T; timers: { ms: number | undefined; fire: () => void }[] } {
  const timers: { ms: number | undefined; fire: () => void }[] = [];
  const real = globalThis.setTimeout;
  globalThis.setTimeout = ((callback: () => void, ms?: number) => {
    const timer = { ms, fire: callback };
    timers.push(timer);
    // No _onTimeout: clearTimeout() lets it be.
    return timer;
  }) as unknown as typeof setTimeout;
  try {
    return { result: fn(), timers };
  } finally {
    globalThis.setTimeout = real;
  }
}

/** A runner that records its groups and answers when `release` is called. */
function gatedRunner() {
  const groups: number[][] = [];
  const gates: (() => void)[] = [];
  const run = (items: number[]) => {
    groups.push(items);
    return new Promise<number[]>((resolve) => gates.push(() => resolve(items.map((i) => i * 10))));
  };
  return { groups, run, release: () => gates.shift()?.() };
}

t.test('a lone item runs at once; items arriving meanwhile share the next group', async (t) => {
  const r = gatedRunner();
  const gc = new GroupCommit(r.run, { maxGroup: 100, maxParallel: 1 });
  const first = gc.submit(1);
  const rest = [2, 3, 4].map((i) => gc.submit(i));
  t.same(r.groups, [[1]], 'the first item did not wait for company');
  r.release();
  t.equal(await first, 10);
  await new Promise((resolve) => setImmediate(resolve));
  t.same(r.groups, [[1], [2, 3, 4]], 'the waiting items went as one group');
  r.release();
  t.same(await Promise.all(rest), [20, 30, 40], 'each caller gets its own result');
});

t.test('groups are capped in size and in parallel', async (t) => {
  const r = gatedRunner();
  const gc = new GroupCommit(r.run, { maxGroup: 2, maxParallel: 2 });
  const all = [1, 2, 3, 4, 5, 6, 7].map((i) => gc.submit(i));
  t.same(r.groups, [[1], [2]], 'two groups at once');
  r.release();
  r.release();
  await new Promise((resolve) => setImmediate(resolve));
  t.same(r.groups.slice(2), [[3, 4], [5, 6]], 'then groups of at most two');
  r.release();
  r.release();
  await new Promise((resolve) => setImmediate(resolve));
  r.release();
  t.same(await Promise.all(all), [10, 20, 30, 40, 50, 60, 70]);
});

t.test('a failing group rejects its own items only', async (t) => {
  let calls = 0;
  const gc = new GroupCommit(async (items: number[]) => {
    if (calls++ === 0) throw new Error('boom');
    return items;
  }, { maxGroup: 10, maxParallel: 1 });
  const failed = gc.submit(1);
  const later = gc.submit(2);
  await t.rejects(failed, /boom/);
  t.equal(await later, 2);
});

t.test('linger: a group waits for company, and starts at once when full', async (t) => {
  const groups: number[][] = [];
  const gc = new GroupCommit(async (items: number[]) => (groups.push(items), items), { maxGroup: 3, maxParallel: 1, lingerMs: 50 });
  const { result: first, timers } = withHeldTimers(() => [gc.submit(1), gc.submit(2)]);
  t.same(timers.map((timer) => timer.ms), [50], 'one linger timer, of lingerMs, for both items');
  await new Promise((resolve) => setImmediate(resolve));
  t.same(groups, [], 'two items wait for the linger');
  timers[0]!.fire();
  t.same(await Promise.all(first), [1, 2]);
  t.same(groups, [[1, 2]], 'then go as one group');
  const full = [gc.submit(3), gc.submit(4), gc.submit(5)];
  await new Promise((resolve) => setImmediate(resolve));
  t.same(groups, [[1, 2], [3, 4, 5]], 'a full group does not wait');
  await Promise.all(full);
});

t.test('isolate: a failed group runs again item by item, and only the bad item fails', async (t) => {
  const groups: number[][] = [];
  const gc = new GroupCommit(
    async (items: number[]) => {
      groups.push(items);
      if (items.includes(13)) throw Object.assign(new Error('bad row'), { code: 'row' });
      return items.map((i) => i * 10);
    },
    { maxGroup: 10, maxParallel: 1, lingerMs: 5, isolate: (err) => (err as { code?: string }).code === 'row' },
  );
  const results = await Promise.allSettled([12, 13, 14].map((i) => gc.submit(i)));
  t.same(groups, [[12, 13, 14], [12], [13], [14]], 'the group, then each item alone');
  t.same(results.map((r) => (r.status === 'fulfilled' ? r.value : (r.reason as Error).message)), [120, 'bad row', 140]);
});

t.test('isolate false: a failed group fails every item at once, without running them again', async (t) => {
  const groups: number[][] = [];
  const gc = new GroupCommit(
    async (items: number[]) => {
      groups.push(items);
      throw new Error('database down');
    },
    { maxGroup: 10, maxParallel: 1, lingerMs: 5, isolate: () => false },
  );
  const results = await Promise.allSettled([1, 2].map((i) => gc.submit(i)));
  t.same(groups, [[1, 2]]);
  t.same(results.map((r) => r.status), ['rejected', 'rejected']);
});

t.test('deadlines: a caller is answered at its deadline; an item still waiting is never run', async (t) => {
  const r = gatedRunner();
  const gc = new GroupCommit(r.run, { maxGroup: 10, maxParallel: 1 });
  const running = withDeadline(100, () => gc.submit(1));
  const waiting = withDeadline(100, () => gc.submit(2));
  await t.rejects(running, DatabaseTimeout, 'the item in the running group');
  await t.rejects(waiting, DatabaseTimeout, 'the item waiting for the next group');
  r.release();
  await new Promise((resolve) => setImmediate(resolve));
  t.same(r.groups, [[1]], 'the waiting item left the queue');
  const later = gc.submit(3);
  r.release();
  t.equal(await later, 30, 'a later item runs');
});

t.test('a group runs under a deadline of its own as long as its callers\', or under none', async (t) => {
  const seen: (Deadline | undefined)[] = [];
  const gc = new GroupCommit(async (items: number[]) => (seen.push(currentDeadline()), items), { maxGroup: 10, maxParallel: 1 });
  let callers: Deadline | undefined;
  await withDeadline(250, () => ((callers = currentDeadline()), gc.submit(1)));
  await gc.submit(2);
  t.equal(seen[0]?.timeoutMs, 250, 'the callers\' timeout');
  t.not(seen[0], callers, 'not the caller\'s own deadline, which started before the group');
  t.equal(seen[1], undefined, 'callers without a deadline: the group has none');
});
