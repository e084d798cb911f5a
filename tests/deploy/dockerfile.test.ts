/**
 * The image runs what the npm package runs: every path of package.json's
 * "files" (what the installed package holds, chronos-tools.json among them,
 * which `chronos mcp` checks its tools against) is copied into the final
 * stage of the Dockerfile. It is also linted by dockerfile-utils, and its
 * final stage is read with dockerfile-ast for what SPEC 12 asks: multi-stage,
 * a non-root user, a HEALTHCHECK on /healthz. No image is built here (no
 * container runtime runs on this machine).
 */
import { readFileSync } from 'node:fs';
import { DockerfileParser } from 'dockerfile-ast';
import { validate } from 'dockerfile-utils';
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

/** The Dockerfile's instructions by stage, parsed by dockerfile-ast (the parser of the Docker language server). */
function stages(text: string) {
  const out: { keyword: string; args: string; text: string }[][] = [];
  for (const instruction of DockerfileParser.parse(text).getInstructions()) {
    if (instruction.getKeyword() === 'FROM') out.push([]);
    out[out.length - 1]?.push({ keyword: instruction.getKeyword(), args: instruction.getRawArgumentsContent() ?? '', text: instruction.getTextContent() });
  }
  return out;
}

t.test('dockerfile-utils finds nothing to report', async (t) => {
  const text = readFileSync(new URL('Dockerfile', root), 'utf8');
  t.same(validate(text).map((d) => `${d.range.start.line + 1}: ${d.message}`), [], 'no diagnostic');
  const broken = text.replace('HEALTHCHECK --interval=10s', 'HEALTHCHECK --intervl=10s').replace('EXPOSE 8080', 'EXPOSE http');
  t.same(validate(broken).map((d) => d.message).sort(), ['Invalid containerPort: http', 'Unknown flag: intervl'], 'a misspelt flag and a bad port are reported');
});

t.test('multi-stage, non-root, HEALTHCHECK on /healthz, chronosd as the entrypoint, chronos on the PATH', async (t) => {
  const text = readFileSync(new URL('Dockerfile', root), 'utf8');
  const all = stages(text);
  t.ok(all.length >= 2, `${all.length} stages`);
  const final = all[all.length - 1]!;
  const last = (keyword: string) => final.filter((i) => i.keyword === keyword).pop()?.args;
  t.match(final[0]!.args, /^node:20[\w.-]*$/, 'the final stage is a Node 20 image');
  t.ok(final.some((i) => i.keyword === 'COPY' && /^COPY\s+--from=/.test(i.text)), 'it copies the build from an earlier stage');
  const user = last('USER');
  t.match(user, /^[1-9]\d*(:\d+)?$/, `it runs as a numeric non-root user (${user})`);
  const env = Object.fromEntries((last('ENV') ?? '').split(/\s+\\?\s*/).filter((s) => s.includes('=')).map((s) => s.split('=') as [string, string]));
  t.equal(env.CHRONOS_HOST, '0.0.0.0', 'listens on every interface');
  t.equal(last('EXPOSE'), env.CHRONOS_PORT, 'exposes the port chronosd listens on');
  const healthcheck = last('HEALTHCHECK') ?? '';
  t.match(healthcheck, /CMD .*\/healthz/, 'the HEALTHCHECK asks /healthz');
  t.match(healthcheck, /process\.env\.CHRONOS_PORT/, 'on the port chronosd listens on');
  t.match(healthcheck, /r\.ok \? 0 : 1/, 'and fails on a non-2xx answer (503 while the database is down)');
  t.equal(last('ENTRYPOINT'), '["node", "dist/bin/chronosd.js"]', 'the entrypoint is chronosd');
  t.match(last('RUN'), /ln -s \/app\/dist\/bin\/chronos\.js \/usr\/local\/bin\/chronos/, '`chronos` (for `chronos migrate`) is on the PATH');
  const build = all[0]!.filter((i) => i.keyword === 'RUN').map((i) => i.args).join('\n');
  t.match(build, /chmod \+x dist\/bin\/chronos\.js/, 'and executable');
  t.match(readFileSync(new URL('src/bin/chronos.ts', root), 'utf8'), /^#!\/usr\/bin\/env node\n/, 'with a shebang, which tsc keeps');
});
