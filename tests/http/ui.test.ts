/**
 * GET /ui (SPEC 11) without a browser: the page and every file it loads are
 * served from the package, with nothing from elsewhere, under a
 * Content-Security-Policy that allows exactly the page's one inline script;
 * the contract written into the page comes from the schemas and the
 * transition table.
 */
import { createHash } from 'node:crypto';
import t from 'tap';
import { TargetType } from '../../src/api/alarms.js';
import { allows, STATUSES } from '../../src/alarms/states.js';
import { testApp } from '../helpers/app.js';

t.test('the page, its files and its policy', async (t) => {
  const { app } = await testApp(t);
  const get = (path: string, headers: Record<string, string> = {}) => app.request(`http://chronos.test${path}`, { headers });

  const bare = await get('/ui');
  t.equal(bare.status, 301);
  t.equal(bare.headers.get('location'), '/ui/', 'so the page\'s relative links resolve');

  const res = await get('/ui/');
  t.equal(res.status, 200);
  t.match(res.headers.get('content-type'), /^text\/html/);
  const html = await res.text();
  const csp = res.headers.get('content-security-policy') ?? '';
  t.match(csp, /default-src 'none'/);
  t.match(csp, /frame-ancestors 'none'/);
  const importMap = /<script type="importmap">([\s\S]*?)<\/script>/.exec(html)![1]!;
  t.ok(csp.includes(`'sha256-${createHash('sha256').update(importMap).digest('base64')}'`), 'the import map is allowed by its hash');
  t.notMatch(csp, /unsafe-inline|unsafe-eval/);
  const inline = [...html.matchAll(/<script(?![^>]*\bsrc=)([^>]*)>/g)].map((m) => m[1]!.trim());
  t.same(inline, ['type="importmap"', 'type="application/json" id="chronos-contract"'], 'no other inline script; the contract is data, not code');

  const contract = JSON.parse(/<script type="application\/json" id="chronos-contract">([\s\S]*?)<\/script>/.exec(html)![1]!) as { statuses: string[]; targets: string[]; actions: Record<string, string[]> };
  t.same(contract.statuses, STATUSES);
  t.same(contract.targets, TargetType.options);
  t.same(contract.actions.pause, STATUSES.filter((s) => allows('pause', s)), 'the actions each status allows come from the transition table');
  t.same(contract.actions.cancel, STATUSES.filter((s) => allows('cancel', s)));

  // Every file the page names, and every module those import, is served here.
  const seen = new Map<string, number>();
  const queue = [...html.matchAll(/(?:href|src)="([^"]+)"/g), ...importMap.matchAll(/"(\.\/[^"]+)"/g)].map((m) => m[1]!).filter((p) => !p.startsWith('data:'));
  while (queue.length) {
    const path = new URL(queue.shift()!, 'http://chronos.test/ui/').pathname;
    if (seen.has(path)) continue;
    const file = await get(path);
    t.equal(file.status, 200, `${path} is served`);
    const text = await file.text();
    seen.set(path, Buffer.byteLength(text));
    if (/\.m?js$/.test(path)) {
      t.match(file.headers.get('content-type'), /^text\/javascript/, `${path} is a script`);
      for (const m of text.matchAll(/(?:^|[\s;}])(?:import|export)\s[^'"]*?from\s*['"](\.{1,2}\/[^'"]+)['"]/g)) queue.push(new URL(m[1]!, `http://chronos.test${path}`).pathname);
    }
    t.notMatch(text, /(?:src|href)=["']https?:|import\s*\(?\s*["']https?:|url\(["']?https?:/, `${path} loads nothing from elsewhere`);
  }
  t.ok(seen.has('/ui/views/alarm.js') && seen.has('/ui/vendor/preact.mjs') && seen.has('/ui/vendor/uPlot.iife.min.js'), 'the views and the vendored libraries are among them');
  const total = [...seen.values()].reduce((a, b) => a + b, 0);
  t.ok(total < 300 * 1024, `the page and its files weigh ${total} bytes, a few hundred KB at most`);

  const js = await get('/ui/app.js');
  const again = await get('/ui/app.js', { 'If-None-Match': js.headers.get('etag')! });
  t.equal(again.status, 304, 'a cached file is revalidated with its ETag');
  t.equal((await get('/ui/nope.js')).status, 404);
  t.equal((await get('/ui/../package.json')).status, 404, 'nothing outside the dashboard\'s files');
});
