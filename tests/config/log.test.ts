import { Writable } from 'node:stream';
import t from 'tap';
import { createLogger } from '../../src/log.js';

t.test('secrets are redacted wherever they appear under a known name', async (t) => {
  const lines: Record<string, unknown>[] = [];
  const sink = new Writable({
    write(chunk: Buffer, _enc, done) {
      lines.push(JSON.parse(chunk.toString()) as Record<string, unknown>);
      done();
    },
  });
  const log = createLogger('debug', sink);
  log.info({ token: 'tok-1', config: { databaseUrl: 'postgres://u:pw@h/db', tokenSecrets: ['s1'], port: 8080 }, req: { headers: { authorization: 'Bearer abc', 'x-chronos-principal': 'jwt', accept: '*/*' } } }, 'hello');
  log.debug({ password: 'pw' }, 'debug line');
  log.trace('not at this level');
  t.equal(lines.length, 2, 'level filters');
  const text = JSON.stringify(lines);
  for (const secret of ['tok-1', 'postgres://u:pw@h/db', '"s1"', 'Bearer abc', '"jwt"', '"pw"']) t.notOk(text.includes(secret), `${secret} is redacted`);
  t.match(lines[0], { level: 'info', msg: 'hello', token: '[redacted]', config: { databaseUrl: '[redacted]', port: 8080 }, req: { headers: { accept: '*/*', authorization: '[redacted]' } } });
  t.match(lines[0]!.time, /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{3}Z$/, 'RFC 3339 time');
});
