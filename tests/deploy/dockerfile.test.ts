/**
 * The image runs what the npm package runs: every path of package.json's
 * "files" (what the installed package holds, chronos-tools.json among them,
 * which `chronos mcp` checks its tools against) is copied into the final
 * stage of the Dockerfile.
 */
import { readFileSync } from 'node:fs';
import t from 'tap';

const root = new URL('../../', import.meta.url);

t.test('the final image stage copies every file the package ships', async (t) => {
  const stages = readFileSync(new URL('Dockerfile', root), 'utf8').split(/^FROM /m);
  const final = stages[stages.length - 1]!;
  const copied = new Set<string>();
  for (const line of final.split('\n')) {
    const m = /^COPY\s+(?:--from=\S+\s+)?(.+)$/.exec(line.trim());
    if (!m) continue;
    const parts = m[1]!.split(/\s+/);
    const dest = parts.pop()!;
    for (const src of parts) copied.add((dest.endsWith('/') && dest !== './' ? dest : src).replace(/^\/app\//, '').replace(/^\.\//, '').replace(/\/$/, ''));
  }
  const pkg = JSON.parse(readFileSync(new URL('package.json', root), 'utf8')) as { files: string[] };
  for (const file of [...pkg.files, 'package.json']) t.ok(copied.has(file), `${file} is in the image (copied: ${[...copied].sort().join(', ')})`);
});
