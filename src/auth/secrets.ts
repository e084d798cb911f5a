/**
 * Transport tokens and principal-token secrets (SPEC 3.3): configured values
 * win; with the embedded database, missing ones are generated once into the
 * data directory (mode 0600) and reused; with an external database they must
 * be configured, because replicas have to share them.
 */
import { randomBytes } from 'node:crypto';
import { chmodSync, existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { ConfigError } from '../config/kvx.js';

/** The secrets the auth layer needs. */
export interface AuthSecrets {
  readonly transportTokens: readonly string[];
  readonly tokenSecrets: readonly string[];
  /** Where generated secrets live, when any were generated or reused. */
  readonly file: string | undefined;
}

interface Configured {
  readonly transportTokens: readonly string[] | undefined;
  readonly tokenSecrets: readonly string[] | undefined;
  readonly dataDir: string;
}

/** Resolves the secrets; throws ConfigError (exit 2) when an external database lacks them. */
export function resolveSecrets(configured: Configured, embedded: boolean): AuthSecrets {
  const { transportTokens, tokenSecrets } = configured;
  if (transportTokens && tokenSecrets) return { transportTokens, tokenSecrets, file: undefined };
  if (!embedded) {
    const missing = [
      transportTokens ? undefined : 'CHRONOS_TRANSPORT_TOKENS (auth.transport_tokens)',
      tokenSecrets ? undefined : 'CHRONOS_TOKEN_SECRETS (auth.token_secrets)',
    ].filter(Boolean);
    throw new ConfigError(`with an external database these must be configured, and shared by every replica: ${missing.join(', ')}`);
  }
  const file = join(resolve(configured.dataDir), 'secrets.json');
  const stored = readOrCreate(file);
  return {
    transportTokens: transportTokens ?? stored.transport_tokens,
    tokenSecrets: tokenSecrets ?? stored.token_secrets,
    file,
  };
}

interface StoredSecrets {
  transport_tokens: string[];
  token_secrets: string[];
}

function readOrCreate(file: string): StoredSecrets {
  if (existsSync(file)) {
    let parsed: Partial<StoredSecrets>;
    try {
      parsed = JSON.parse(readFileSync(file, 'utf8')) as Partial<StoredSecrets>;
    } catch (err) {
      throw new ConfigError(`${file}: unreadable generated secrets (${(err as Error).message}); delete it to generate new ones`, { cause: err });
    }
    if (!isStringList(parsed.transport_tokens) || !isStringList(parsed.token_secrets)) {
      throw new ConfigError(`${file}: expected transport_tokens and token_secrets lists; delete it to generate new ones`);
    }
    chmodSync(file, 0o600);
    return parsed as StoredSecrets;
  }
  const fresh: StoredSecrets = {
    transport_tokens: [`ctt_${randomBytes(32).toString('base64url')}`],
    token_secrets: [randomBytes(48).toString('base64url')],
  };
  mkdirSync(resolve(file, '..'), { recursive: true });
  writeFileSync(file, `${JSON.stringify(fresh, null, 2)}\n`, { mode: 0o600, flag: 'wx' });
  return fresh;
}

function isStringList(v: unknown): v is string[] {
  return Array.isArray(v) && v.length > 0 && v.every((s) => typeof s === 'string' && s.length > 0);
}
