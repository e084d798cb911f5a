/**
 * Settings of the client side (chronos token, chronos mcp, chronos alarm):
 * where chronosd is, the transport token and the agent's key (SPEC 5); and
 * of chronos admin: where chronosd is and an admin token (SPEC 10.1).
 */
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { parseSeed } from '../auth/seed.js';
import { KEYS } from './keys.js';
import { ConfigError } from './kvx.js';
import { nonEmpty } from './load.js';

/** Resolved client settings. */
export interface ClientSettings {
  readonly url: string;
  readonly transportToken: string;
  readonly seed: Uint8Array;
}

/** Values given as flags; each wins over its environment variable. */
export interface ClientFlags {
  readonly url?: string;
  readonly transportToken?: string;
  readonly key?: string;
  readonly keyFile?: string;
}

/** Where the client looks for chronosd unless told: a local one on the default port. */
export const DEFAULT_URL = `http://127.0.0.1:${KEYS.port.default}`;

/** The file under the data directory that holds `chronos dev`'s agent key. */
export const DEV_AGENT_KEY_FILE = 'dev-agent.key';

/**
 * Resolves CHRONOS_URL (default http://127.0.0.1:8080), CHRONOS_TRANSPORT_TOKEN
 * and the agent key: --key, --key-file, CHRONOS_AGENT_KEY, CHRONOS_AGENT_KEY_FILE.
 * A local chronosd's data directory (CHRONOS_DATA_DIR, or for a person in a
 * shell ./.chronos) fills in what is not given: its generated transport
 * token (secrets.json) and, where `chronos dev` ran, its dev agent's key.
 * `workingDirectory: false` (chronos mcp, which MCP hosts start in a
 * directory of their own) never looks in ./.chronos: what it uses must not
 * depend on where it was started.
 */
export function loadClientSettings(flags: ClientFlags, env: Readonly<Record<string, string | undefined>> = process.env, options: { workingDirectory?: boolean } = {}): ClientSettings {
  const url = clientUrl(flags.url, env);
  const dataDir = nonEmpty(env.CHRONOS_DATA_DIR) ?? (options.workingDirectory === false ? undefined : KEYS.dataDir.default);
  const transportToken = flags.transportToken ?? nonEmpty(env.CHRONOS_TRANSPORT_TOKEN) ?? (dataDir === undefined ? undefined : localTransportToken(dataDir));
  if (!transportToken) {
    const local = dataDir === undefined ? 'or set CHRONOS_DATA_DIR to the data directory of a local chronosd on the embedded database' : `a local chronosd with the embedded database keeps its own in ${join(dataDir, 'secrets.json')}`;
    throw new ConfigError(`set CHRONOS_TRANSPORT_TOKEN (one of the daemon's transport tokens; ${local})`);
  }
  const key = agentKey(flags, env, dataDir);
  if (!key) throw new ConfigError('set CHRONOS_AGENT_KEY (the agent\'s 32-byte ed25519 seed, hex or base64url) or CHRONOS_AGENT_KEY_FILE; `chronos keygen` makes one');
  try {
    return { url, transportToken, seed: parseSeed(key.text) };
  } catch (err) {
    throw new ConfigError(`${key.from}: ${(err as Error).message}`);
  }
}

/** Resolved settings of chronos admin. */
export interface AdminSettings {
  readonly url: string;
  /** One of chronosd's `auth.admin_tokens`, without its name. Never printed. */
  readonly adminToken: string;
}

/** Values given as flags to chronos admin; each wins over its environment variable. */
export interface AdminFlags {
  readonly url?: string;
  readonly adminToken?: string;
}

/**
 * Resolves the URL as loadClientSettings does, and the admin token:
 * --admin-token, then CHRONOS_ADMIN_TOKEN. No admin token is a ConfigError,
 * so no request goes out without one. A message never quotes the token.
 */
export function loadAdminSettings(flags: AdminFlags, env: Readonly<Record<string, string | undefined>> = process.env): AdminSettings {
  const url = clientUrl(flags.url, env);
  const given = flags.adminToken !== undefined ? { token: flags.adminToken, from: '--admin-token' } : { token: nonEmpty(env.CHRONOS_ADMIN_TOKEN), from: 'CHRONOS_ADMIN_TOKEN' };
  if (given.token === undefined) throw new ConfigError('set CHRONOS_ADMIN_TOKEN or give --admin-token: one of the tokens of chronosd\'s CHRONOS_ADMIN_TOKENS (auth.admin_tokens), the part after "name:"');
  // A header carries it: a blank or control character would fail inside fetch, whose message quotes the header.
  if (/[\s\p{Cc}]/u.test(given.token)) throw new ConfigError(`${given.from}: an admin token has no blanks or control characters`);
  return { url, adminToken: given.token };
}

/** --url, else CHRONOS_URL, else a local chronosd on the default port. */
function clientUrl(flag: string | undefined, env: Readonly<Record<string, string | undefined>>): string {
  return flag !== undefined ? chronosUrl(flag, '--url') : chronosUrl(nonEmpty(env.CHRONOS_URL) ?? DEFAULT_URL, 'CHRONOS_URL');
}

/** The agent key's text and where it came from (to name in an error): flags, then environment, then the dev agent's. */
function agentKey(flags: ClientFlags, env: Readonly<Record<string, string | undefined>>, dataDir: string | undefined): { text: string; from: string } | undefined {
  if (flags.key !== undefined) return { text: flags.key, from: '--key' };
  if (flags.keyFile !== undefined) return { text: readKeyFile(flags.keyFile), from: flags.keyFile };
  const envKey = nonEmpty(env.CHRONOS_AGENT_KEY);
  if (envKey !== undefined) return { text: envKey, from: 'CHRONOS_AGENT_KEY' };
  const envFile = nonEmpty(env.CHRONOS_AGENT_KEY_FILE);
  if (envFile !== undefined) return { text: readKeyFile(envFile), from: envFile };
  if (dataDir === undefined) return undefined;
  const devKey = join(dataDir, DEV_AGENT_KEY_FILE);
  return existsSync(devKey) ? { text: readKeyFile(devKey), from: devKey } : undefined;
}

/** An http(s) URL, or a ConfigError naming where it came from. */
function chronosUrl(url: string, from: string): string {
  let parsed: URL;
  try {
    parsed = new URL(url);
  } catch {
    throw new ConfigError(`${from}: "${url}" is not a URL, like ${DEFAULT_URL}`);
  }
  // `localhost:8080` parses as a URL of scheme "localhost:", and would only fail once fetched.
  if (parsed.protocol !== 'http:' && parsed.protocol !== 'https:') throw new ConfigError(`${from}: "${url}" is not an http:// or https:// URL, like http://${url}`);
  return url;
}

function readKeyFile(path: string): string {
  try {
    return readFileSync(path, 'utf8');
  } catch (err) {
    throw new ConfigError(`${path}: cannot read the agent key file (${(err as NodeJS.ErrnoException).code ?? String(err)})`);
  }
}

function localTransportToken(dataDir: string): string | undefined {
  const file = join(dataDir, 'secrets.json');
  if (!existsSync(file)) return undefined;
  try {
    const parsed = JSON.parse(readFileSync(file, 'utf8')) as { transport_tokens?: unknown };
    return Array.isArray(parsed.transport_tokens) && typeof parsed.transport_tokens[0] === 'string' ? parsed.transport_tokens[0] : undefined;
  } catch {
    return undefined;
  }
}
