/** `chronos endpoint add|list|get|update|rotate|rm`: webhook endpoints for people; readable text by default, --json for scripts. */
import type { EndpointView } from '../api/endpoints.js';
import type { EndpointWithSecretView } from '../client/client.js';
import { ConfigError } from '../config/kvx.js';
import { client, print } from './alarm.js';
import type { Input } from './args.js';
import type { ENDPOINT_ADD_FLAGS, ENDPOINT_ID_FLAGS, ENDPOINT_LIST_FLAGS, ENDPOINT_UPDATE_FLAGS } from './commands.js';
import { columns, page } from './columns.js';

/** Registers an endpoint and prints it with its secret, which the API shows only this once. */
export async function endpointAdd(input: Input<typeof ENDPOINT_ADD_FLAGS>): Promise<number> {
  const { flags } = input;
  const answer = await client(input).createEndpoint({
    url: input.args[0]!,
    ...(flags.description !== undefined && { description: flags.description === '' ? null : flags.description }),
    ...(flags.method !== undefined && { method: flags.method }),
    ...(flags.header.length > 0 && { headers: headers(flags.header) }),
    ...(flags.body !== undefined && { body: flags.body }),
  });
  return print(flags.json, answer, () => `added: ${line(answer.data)}\n${secret(answer.data)}`);
}

/** Prints one page of the agent's endpoints, and how to get the next. */
export async function endpointList(input: Input<typeof ENDPOINT_LIST_FLAGS>): Promise<number> {
  const answer = await client(input).listEndpoints({ limit: input.flags.limit, cursor: input.flags.cursor });
  return print(input.flags.json, answer, () => page(table(answer.data.endpoints), answer.data.next_cursor));
}

/** Prints every field of one endpoint; the API never shows a secret here. */
export async function endpointGet(input: Input<typeof ENDPOINT_ID_FLAGS>): Promise<number> {
  const answer = await client(input).getEndpoint(input.args[0]!);
  return print(input.flags.json, answer, () => fields(answer.data));
}

/**
 * Changes the fields given and prints the endpoint. `--description ''`
 * clears the description; `--header` replaces every static header (the API
 * replaces the whole `headers` member) and `--no-headers` removes them.
 */
export async function endpointUpdate(input: Input<typeof ENDPOINT_UPDATE_FLAGS>): Promise<number> {
  const { flags } = input;
  if (flags.header.length > 0 && flags['no-headers']) throw new ConfigError('--header and --no-headers exclude each other');
  const patch = {
    ...(flags['endpoint-url'] !== undefined && { url: flags['endpoint-url'] }),
    ...(flags.description !== undefined && { description: flags.description === '' ? null : flags.description }),
    ...(flags.method !== undefined && { method: flags.method }),
    ...(flags.header.length > 0 && { headers: headers(flags.header) }),
    ...(flags['no-headers'] && { headers: {} }),
    ...(flags.body !== undefined && { body: flags.body }),
  };
  if (Object.keys(patch).length === 0) throw new ConfigError('nothing to change: give --endpoint-url, --description, --method, --header, --no-headers or --body');
  const answer = await client(input).updateEndpoint(input.args[0]!, patch);
  return print(flags.json, answer, () => `updated: ${line(answer.data)}`);
}

/** Gives the endpoint a new secret and prints it, with until when the old one still signs. */
export async function endpointRotate(input: Input<typeof ENDPOINT_ID_FLAGS>): Promise<number> {
  const answer = await client(input).rotateEndpointSecret(input.args[0]!);
  const until = answer.data.secret_grace_until;
  const old = until ? `The old secret keeps signing beside it until ${until}: move receivers to the new one before then.` : 'The old secret no longer signs.';
  return print(input.flags.json, answer, () => `rotated: ${line(answer.data)}\n${secret(answer.data)}\n${old}`);
}

/** Removes an endpoint and prints it as it was. */
export async function endpointRemove(input: Input<typeof ENDPOINT_ID_FLAGS>): Promise<number> {
  const answer = await client(input).deleteEndpoint(input.args[0]!);
  return print(input.flags.json, answer, () => `removed: ${line(answer.data)}`);
}

/** The `--header` values as the API's `headers` object; a name given twice is a usage error, as the API compares names without case. */
function headers(pairs: readonly (readonly [string, string])[]): Record<string, string> {
  const seen = new Set<string>();
  for (const [name] of pairs) {
    if (seen.has(name.toLowerCase())) throw new ConfigError(`--header: "${name}" is given twice (header names ignore case)`);
    seen.add(name.toLowerCase());
  }
  return Object.fromEntries(pairs);
}

function secret(e: EndpointWithSecretView): string {
  return `secret: ${e.secret}\nThis secret is shown only this once: keep it now. Receivers check each wake's v1 signature with it (docs/wake.md).`;
}

function line(e: EndpointView): string {
  return `${e.id} ${e.method} ${e.url}, body ${e.body}${e.description ? `, ${e.description}` : ''}`;
}

function fields(e: EndpointView): string {
  return Object.entries(e)
    .map(([k, v]) => `${k.padEnd(19)} ${typeof v === 'string' ? v : JSON.stringify(v)}`)
    .join('\n');
}

function table(endpoints: readonly EndpointView[]): string {
  if (endpoints.length === 0) return 'no endpoints';
  const rows = [['ID', 'METHOD', 'BODY', 'URL', 'DESCRIPTION'], ...endpoints.map((e) => [e.id, e.method, e.body, e.url, e.description ?? ''])];
  return columns(rows).join('\n');
}
