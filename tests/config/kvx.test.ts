import t from 'tap';
import { ConfigError, parseKvx } from '../../src/config/kvx.js';

const env = { HOME_PORT: '9090', EMPTY: '' };
const parse = (text: string) => parseKvx(text, 'c.kvx', env).map((e) => [`${e.section}.${e.key}`, e.value, e.line]);

t.test('sections, keys, comments, quotes', async (t) => {
  const text = [
    '# a comment',
    '[server]',
    'port = 8080   # trailing comment',
    'host=0.0.0.0',
    '',
    '[dispatch]',
    'retry_ladder = 5s, 30s, 2m',
    'quoted = "a # b"',
    'escaped = "say \\"hi\\" \\\\ bye"',
    'empty = ""',
    '  [ db ]  ',
    'url = postgres://x',
  ].join('\n');
  t.same(parse(text), [
    ['server.port', '8080', 3],
    ['server.host', '0.0.0.0', 4],
    ['dispatch.retry_ladder', '5s, 30s, 2m', 7],
    ['dispatch.quoted', 'a # b', 8],
    ['dispatch.escaped', 'say "hi" \\ bye', 9],
    ['dispatch.empty', '', 10],
    ['db.url', 'postgres://x', 12],
  ]);
});

t.test('variables', async (t) => {
  t.same(parse('[s]\na = ${HOME_PORT}\nb = ${NOPE:-7}\nc = ${EMPTY:-fallback}\nd = x${HOME_PORT}y\ne = "${HOME_PORT}"'), [
    ['s.a', '9090', 2],
    ['s.b', '7', 3],
    ['s.c', 'fallback', 4],
    ['s.d', 'x9090y', 5],
    ['s.e', '9090', 6],
  ]);
  t.throws(() => parse('[s]\na = ${NOPE}'), new ConfigError('c.kvx:2: environment variable NOPE is not set (use ${NOPE:-fallback} for a default)'));
});

t.test('errors name file and line', async (t) => {
  const cases: [string, RegExp][] = [
    ['port = 1', /^c\.kvx:1: key "port" is outside any \[section\]$/],
    ['[s]\na = 1\na = 2', /^c\.kvx:3: duplicate key "a" in \[s\]$/],
    ['[s]\njust words', /^c\.kvx:2: malformed line/],
    ['[s', /^c\.kvx:1: malformed section header: expected \[name\]$/],
    ['[a b]', /^c\.kvx:1: malformed section header/],
    ['[s]\na = "open', /^c\.kvx:2: unterminated double quote$/],
    ['[s]\na = "x" y', /^c\.kvx:2: text after the closing quote of the value$/],
    ['[s]\na = "\\n"', /^c\.kvx:2: unknown escape/],
    ['[s]\na = b"c"', /^c\.kvx:2: stray double quote in the value/],
    ['[s]\nbad key = 1', /^c\.kvx:2: malformed key/],
    ['[s]\na = ${1X}', /^c\.kvx:2: malformed variable/],
    ['[s]\na = x${HOME_PORT', /^c\.kvx:2: malformed variable: "\$\{" without a closing "\}"$/],
    ['[s]\nsecret-looking words here', /^c\.kvx:2: malformed line: expected key = value$/],
  ];
  for (const [text, message] of cases) t.throws(() => parse(text), { name: 'ConfigError', message }, JSON.stringify(text));
});

t.test('known sections', async (t) => {
  t.throws(() => parseKvx('[s]\n[other]\n', 'c.kvx', env, new Set(['s'])), { message: /^c\.kvx:2: unknown section \[other\] \(known: s\)$/ });
});

t.test('windows line endings', async (t) => {
  t.same(parse('[s]\r\na = 1\r\n'), [['s.a', '1', 2]]);
});
