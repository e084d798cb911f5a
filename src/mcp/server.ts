/** The MCP server (SPEC 5): the registry's tools and selftest, over any transport; and the manifest check (i8). */
import { readFileSync } from 'node:fs';
import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { InMemoryTransport } from '@modelcontextprotocol/sdk/inMemory.js';
import { McpServer } from '@modelcontextprotocol/sdk/server/mcp.js';
import type { ChronosClient } from '../client/client.js';
import { parseOrThrow } from '../api/problems.js';
import { selftest, SelftestAnswer, selftestText } from './selftest.js';
import { listedAs } from './tool-schema.js';
import { TOOLS, toolErrorText } from './tools.js';

/** Builds the server with every tool registered. */
export function buildMcpServer(client: ChronosClient, url: string, version: string): McpServer {
  const server = new McpServer({ name: 'chronos', version });
  for (const tool of TOOLS) {
    const config = { title: tool.title, description: tool.description, inputSchema: listedAs(tool.input), outputSchema: tool.output, annotations: tool.annotations };
    server.registerTool(tool.name, config, async (args: Record<string, unknown>) => {
      try {
        parseOrThrow(tool.input, args);
        const result = await tool.run(client, args);
        return { content: [{ type: 'text' as const, text: result.text }], structuredContent: result.structured };
      } catch (err) {
        return { isError: true, content: [{ type: 'text' as const, text: toolErrorText(err) }] };
      }
    });
  }
  server.registerTool(
    'selftest',
    {
      title: 'Check the Chronos connection',
      description: 'Check that Chronos is reachable, accepts this agent\'s tokens and key, and that the clocks agree. Run it first when a tool fails unexpectedly; each failure says what to fix.',
      inputSchema: {},
      outputSchema: SelftestAnswer,
      annotations: { readOnlyHint: true, openWorldHint: false },
    },
    async () => {
      const checks = await selftest(client, url);
      return { isError: checks.some((c) => !c.ok), content: [{ type: 'text' as const, text: selftestText(checks) }], structuredContent: { checks } };
    },
  );
  return server;
}

/** A tool as listed to clients; the manifest holds exactly these. */
export interface ListedTool {
  name: string;
  title?: string;
  description?: string;
  inputSchema: unknown;
  outputSchema?: unknown;
  annotations?: unknown;
}

const LISTED_FIELDS = ['title', 'description', 'inputSchema', 'outputSchema', 'annotations'] as const;

/** What `server` lists to a client (through an in-memory transport), sorted by name. */
export async function listedTools(server: McpServer): Promise<ListedTool[]> {
  const [serverSide, clientSide] = InMemoryTransport.createLinkedPair();
  await server.connect(serverSide);
  const client = new Client({ name: 'chronos-manifest', version: '1' });
  await client.connect(clientSide);
  try {
    const { tools } = await client.listTools();
    return tools.map(({ name, title, description, inputSchema, outputSchema, annotations }) => ({ name, title, description, inputSchema, outputSchema, annotations })).sort((a, b) => a.name.localeCompare(b.name));
  } finally {
    await client.close();
  }
}

/** The text of chronos-tools.json. */
export function manifestText(tools: readonly ListedTool[]): string {
  return `${JSON.stringify({ tools }, null, 2)}\n`;
}

/** The differences between the manifest file and the listed tools, each naming a tool; empty when they agree. */
export function manifestDrift(file: string, listed: readonly ListedTool[]): string[] {
  let manifest: ListedTool[];
  try {
    manifest = (JSON.parse(readFileSync(file, 'utf8')) as { tools: ListedTool[] }).tools;
  } catch (err) {
    return [`cannot read ${file}: ${(err as Error).message}`];
  }
  const inFile = new Map(manifest.map((t) => [t.name, t]));
  const served = new Map(listed.map((t) => [t.name, t]));
  const drift: string[] = [];
  for (const name of served.keys()) if (!inFile.has(name)) drift.push(`tool "${name}" is registered but not in ${file}`);
  for (const name of inFile.keys()) if (!served.has(name)) drift.push(`tool "${name}" is in ${file} but not registered`);
  for (const [name, tool] of served) {
    const other = inFile.get(name);
    if (!other) continue;
    for (const field of LISTED_FIELDS) {
      if (JSON.stringify(tool[field]) !== JSON.stringify(other[field])) drift.push(`tool "${name}": ${field} differs from ${file}`);
    }
  }
  return drift;
}
