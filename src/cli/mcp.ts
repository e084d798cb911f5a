/**
 * `chronos mcp`: the MCP server over stdio for one agent (SPEC 5). Refuses
 * to start when chronos-tools.json and the registered tools differ (i8).
 * `--write-manifest` rewrites the file; `--selftest` runs the checks once.
 * stdout carries the protocol, so logs go to stderr.
 */
import { existsSync, writeFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { StdioServerTransport } from '@modelcontextprotocol/sdk/server/stdio.js';
import { generateSeed } from '../auth/ed25519.js';
import { ChronosClient } from '../client/client.js';
import { loadClientSettings } from '../config/client.js';
import { ConfigError } from '../config/kvx.js';
import { createLogger, VERSION } from '../log.js';
import { buildMcpServer, listedTools, manifestDrift, manifestText } from '../mcp/server.js';
import { selftest, selftestText } from '../mcp/selftest.js';
import { toolScopes } from '../mcp/tools.js';
import type { FlagValues } from './args.js';
import type { MCP_FLAGS } from './commands.js';
import { clientFlags } from './connection.js';

/** chronos-tools.json at the repository root (beside src/ and dist/). */
export const MANIFEST_PATH = fileURLToPath(new URL('../../chronos-tools.json', import.meta.url));

/** Returns the exit code once the server or the one-shot action is done. */
export async function mcpCommand(flags: FlagValues<typeof MCP_FLAGS>): Promise<number> {
  if (flags.selftest && flags['write-manifest']) throw new ConfigError('--selftest and --write-manifest exclude each other');
  const manifest = flags.manifest ?? MANIFEST_PATH;
  if (flags['write-manifest']) {
    // Writing the manifest needs no agent: the tools are the same for every key.
    const server = buildMcpServer(new ChronosClient({ url: 'http://127.0.0.1:0', transportToken: 'x', seed: generateSeed() }), 'http://127.0.0.1:0', VERSION);
    writeFileSync(manifest, manifestText(await listedTools(server)));
    console.log(`wrote ${manifest}`);
    return 0;
  }
  const settings = loadClientSettings(clientFlags(flags), undefined, { workingDirectory: false });
  const client = new ChronosClient({ ...settings, scopes: toolScopes() });
  if (flags.selftest) {
    const checks = await selftest(client, settings.url);
    console.log(selftestText(checks));
    return checks.every((c) => c.ok) ? 0 : 1;
  }
  const log = createLogger('info', 2);
  if (!existsSync(manifest)) {
    console.error(`chronos mcp: ${manifest} is missing: it ships with chronosd, beside dist/ (an image or install without it is incomplete); in a checkout, chronos mcp --write-manifest writes it`);
    return 1;
  }
  const drift = manifestDrift(manifest, await listedTools(buildMcpServer(client, settings.url, VERSION)));
  if (drift.length > 0) {
    console.error(`chronos mcp: the registered tools and ${manifest} differ (run chronos mcp --write-manifest after changing a tool):\n${drift.map((d) => `  ${d}`).join('\n')}`);
    return 1;
  }
  const server = buildMcpServer(client, settings.url, VERSION);
  const transport = new StdioServerTransport();
  const closed = new Promise<void>((resolve) => {
    transport.onclose = () => resolve();
    process.stdin.once('end', () => resolve());
  });
  await server.connect(transport);
  log.info({ did: client.did, url: settings.url }, 'chronos mcp serving on stdio');
  await closed;
  await server.close();
  return 0;
}
