import t from 'tap';
import { DatabaseClock } from '../../src/dispatch/db-clock.js';

t.test('the tightest reading wins, and a wake is never timed early', (t) => {
  const clock = new DatabaseClock();
  // The database runs 100 ms ahead of us; answers take 8, then 1, then 20 ms to read.
  clock.observe(1_100, 1_008);
  t.equal(clock.toLocal(2_100), 2_008, 'one reading: late by its answer time at most');
  clock.observe(1_200, 1_101);
  clock.observe(1_300, 1_220);
  t.equal(Math.round(clock.toLocal(2_100)), 2_001, 'the quickest answer gives the tightest bound; a slow one does not loosen it');
  t.ok(clock.toLocal(2_100) >= 2_000, 'never before the instant by the database clock');
  t.end();
});

t.test('an old bound decays, so a database clock that stepped back is followed', (t) => {
  const clock = new DatabaseClock();
  clock.observe(1_100, 1_000);
  // The database clock stepped back 50 ms; 600 s later the old bound has decayed by 60 ms.
  clock.observe(601_050, 601_000);
  t.equal(clock.toLocal(700_050), 700_000);
  t.end();
});
