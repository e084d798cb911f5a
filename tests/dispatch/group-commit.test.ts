import t from 'tap';
import { GroupCommit } from '../../src/dispatch/group-commit.js';

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
  const gc = new GroupCommit(r.run, 100, 1);
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
  const gc = new GroupCommit(r.run, 2, 2);
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
  }, 10, 1);
  const failed = gc.submit(1);
  const later = gc.submit(2);
  await t.rejects(failed, /boom/);
  t.equal(await later, 2);
});

t.test('linger: a group waits for company, and starts at once when full', async (t) => {
  const groups: number[][] = [];
  const gc = new GroupCommit(async (items: number[]) => (groups.push(items), items), 3, 1, 50);
  const first = [gc.submit(1), gc.submit(2)];
  await new Promise((resolve) => setTimeout(resolve, 10));
  t.same(groups, [], 'two items wait for the linger');
  await Promise.all(first);
  t.same(groups, [[1, 2]], 'then go as one group');
  const full = [gc.submit(3), gc.submit(4), gc.submit(5)];
  await new Promise((resolve) => setImmediate(resolve));
  t.same(groups, [[1, 2], [3, 4, 5]], 'a full group does not wait');
  await Promise.all(full);
});
