import t from 'tap';
import { formatDuration, parseDuration, parseInteger, parseList, parseRate } from '../../src/config/units.js';

t.test('durations', async (t) => {
  const good: [string, number][] = [
    ['250ms', 250],
    ['5s', 5_000],
    ['2m', 120_000],
    ['1h', 3_600_000],
    ['1d', 86_400_000],
    ['1h30m', 5_400_000],
    ['1d2h3m4s5ms', 93_784_005],
    [' 15m ', 900_000],
    ['0s', 0],
  ];
  for (const [text, ms] of good) {
    t.equal(parseDuration(text), ms, text);
    t.equal(parseDuration(formatDuration(ms)), ms, `${text} round-trips through formatDuration`);
  }
  for (const bad of ['', '5', '5x', '1.5h', '30m1h', '1h1h', 'm', '-5s', '5 s', '1h 30m']) {
    t.throws(() => parseDuration(bad), { message: /duration/ }, JSON.stringify(bad));
  }
});

t.test('integers and lists', async (t) => {
  t.equal(parseInteger(' 42 ', 1, 100), 42);
  t.throws(() => parseInteger('0', 1, 100), { message: /out of range: expected 1..100/ });
  t.throws(() => parseInteger('4.2', 1, 100), { message: /whole number/ });
  t.throws(() => parseInteger('abc', 1, 100), { message: /whole number/ });
  t.same(parseList(' a, b ,c'), ['a', 'b', 'c']);
  t.same(parseList(''), []);
  t.throws(() => parseList('a,,b'), { message: /empty item/ });
});

t.test('rates', async (t) => {
  t.same(parseRate('50/s burst 200'), { perSecond: 50, burst: 200 });
  t.same(parseRate('600/m'), { perSecond: 10, burst: 600 });
  t.same(parseRate('10/2s burst 1'), { perSecond: 5, burst: 1 });
  for (const bad of ['50', '50/x', 'fast', '0/s', '50/s burst', '50/s burst 0', '-1/s', '99999999999999999999/s', '5/s burst 9999999999']) {
    t.throws(() => parseRate(bad), { message: /rate/ }, bad);
  }
});
