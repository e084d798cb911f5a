/**
 * Settings of the client side (chronos token, chronos mcp, chronos alarm):
 * where chronosd is, the transport token and the agent's key (SPEC 5).
 */
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { parseSeed } from '../auth/ed25519.js';
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

/**
 * Resolves CHRONOS_URL (default http://127.0.0.1:8080), CHRONOS_TRANSPORT_TOKEN
 * and CHRONOS_AGENT_KEY or CHRONOS_AGENT_KEY_FILE. Without a transport token,
 * a local chronosd's generated one is used (`<CHRONOS_DATA_DIR or ./.chronos>/secrets.json`).
 */
export function loadClientSettings(flags: ClientFlags, env: Readonly<Record<string, string | undefined>> = process.env): ClientSettings {
  const url = flags.url ?? nonEmpty(env.CHRONOS_URL) ?? 'http://127.0.0.1:8080';
  try {
    new URL(url);
  } catch {
    throw new ConfigError(`CHRONOS_URL: "${url}" is not a URL`);
  }
  const transportToken = flags.transportToken ?? nonEmpty(env.CHRONOS_TRANSPORT_TOKEN) ?? localTransportToken(nonEmpty(env.CHRONOS_DATA_DIR) ?? './.chronos');
  if (!transportToken) {
    throw new ConfigError('set CHRONOS_TRANSPORT_TOKEN (one of the daemon\'s transport tokens; a local chronosd with the embedded database keeps its own in .chronos/secrets.json)');
  }
  const keyFile = flags.keyFile ?? nonEmpty(env.CHRONOS_AGENT_KEY_FILE);
  const keyText = flags.key ?? nonEmpty(env.CHRONOS_AGENT_KEY) ?? (keyFile ? readKeyFile(keyFile) : undefined);
  if (!keyText) throw new ConfigError('set CHRONOS_AGENT_KEY (the agent\'s 32-byte ed25519 seed, hex or base64url) or CHRONOS_AGENT_KEY_FILE; `chronos keygen` makes one');
  let seed: Uint8Array;
  try {
    seed = parseSeed(keyText);
  } catch (err) {
    throw new ConfigError(`${flags.key ? '--key' : keyFile && !env.CHRONOS_AGENT_KEY ? keyFile : 'CHRONOS_AGENT_KEY'}: ${(err as Error).message}`);
  }
  return { url, transportToken, seed };
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
