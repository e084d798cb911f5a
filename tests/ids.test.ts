import t from 'tap';
import { isAlarmId, newAlarmId, newAttemptId, timeOrderedSuffix } from '../src/ids.js';

t.test('alarm and attempt ids keep their documented shape', async (t) => {
  for (let i = 0; i < 200; i++) {
    const id = newAlarmId();
    t.ok(isAlarmId(id), id);
    t.match(newAttemptId(), /^att_[A-Za-z0-9_-]{20}$/);
  }
});

t.test('ids made later sort later, byte by byte, across digit boundaries', async (t) => {
  const instants = [0, 1, 63, 64, 65, 4095, 4096, Date.UTC(2026, 11, 1), Date.UTC(2026, 11, 1) + 1, Date.UTC(2100, 0, 1), 2 ** 48 - 1];
  const suffixes = instants.map((ms) => timeOrderedSuffix(ms));
  const sorted = [...suffixes].sort((a, b) => (Buffer.compare(Buffer.from(a), Buffer.from(b))));
  t.same(sorted, suffixes);
  t.equal(new Set(suffixes.map((s) => s.slice(0, 8))).size, instants.length, 'distinct instants, distinct time prefixes');
});

t.test('ids made in the same millisecond differ', async (t) => {
  const ms = Date.now();
  const ids = new Set(Array.from({ length: 1_000 }, () => timeOrderedSuffix(ms)));
  t.equal(ids.size, 1_000);
});
