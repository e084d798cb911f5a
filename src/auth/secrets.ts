/**
 * Transport tokens, principal-token secrets and wake signing keys (SPEC 3.3,
 * 8.1): configured values win; with the embedded database, missing ones are
 * generated once into the data directory (mode 0600) and reused; with an
 * external database they must be configured, because replicas have to share
 * them. A secrets file written before signing keys existed gains one.
 */
import { randomBytes } from 'node:crypto';
import { chmodSync, existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { ConfigError } from '../config/kvx.js';
import { generateSeed } from './ed25519.js';

/** The secrets the auth layer and the wake signer need. */
export interface AuthSecrets {
  readonly transportTokens: readonly string[];
  readonly tokenSecrets: readonly string[];
  /** 32-byte ed25519 seeds; the first signs wakes. */
  readonly signingKeys: readonly Uint8Array[];
  /** Where generated secrets live, when any were generated or reused. */
  readonly file: string | undefined;
}

interface Configured {
  readonly transportTokens: readonly string[] | undefined;
  readonly tokenSecrets: readonly string[] | undefined;
  readonly signingKeys: readonly Uint8Array[] | undefined;
  readonly dataDir: string;
}

/** Resolves the secrets; throws ConfigError (exit 2) when an external database lacks them. */
export function resolveSecrets(configured: Configured, embedded: boolean): AuthSecrets {
  const { transportTokens, tokenSecrets, signingKeys } = configured;
  if (transportTokens && tokenSecrets && signingKeys) return { transportTokens, tokenSecrets, signingKeys, file: undefined };
  if (!embedded) {
    const missing = [
      transportTokens ? undefined : 'CHRONOS_TRANSPORT_TOKENS (auth.transport_tokens)',
      tokenSecrets ? undefined : 'CHRONOS_TOKEN_SECRETS (auth.token_secrets)',
      signingKeys ? undefined : 'CHRONOS_SIGNING_KEYS (wake.signing_keys)',
    ].filter(Boolean);
    throw new ConfigError(`with an external database these must be configured, and shared by every replica: ${missing.join(', ')}`);
  }
  const file = join(resolve(configured.dataDir), 'secrets.json');
  const stored = readOrCreate(file);
  return {
    transportTokens: transportTokens ?? stored.transport_tokens,
    tokenSecrets: tokenSecrets ?? stored.token_secrets,
    signingKeys: signingKeys ?? stored.signing_keys.map((k) => Buffer.from(k, 'base64url')),
    file,
  };
}

interface StoredSecrets {
  transport_tokens: string[];
  token_secrets: string[];
  /** Seeds in base64url. */
  signing_keys: string[];
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
    if (parsed.signing_keys === undefined) {
      parsed.signing_keys = [newSigningKey()];
      writeFileSync(file, `${JSON.stringify(parsed, null, 2)}\n`, { mode: 0o600 });
    }
    if (!isStringList(parsed.signing_keys) || !parsed.signing_keys.every((k) => /^[A-Za-z0-9_-]{43}$/.test(k))) {
      throw new ConfigError(`${file}: expected signing_keys as a list of 32-byte seeds in base64url; delete it to generate new ones`);
    }
    chmodSync(file, 0o600);
    return parsed as StoredSecrets;
  }
  const fresh: StoredSecrets = {
    transport_tokens: [`ctt_${randomBytes(32).toString('base64url')}`],
    token_secrets: [randomBytes(48).toString('base64url')],
    signing_keys: [newSigningKey()],
  };
  mkdirSync(resolve(file, '..'), { recursive: true });
  writeFileSync(file, `${JSON.stringify(fresh, null, 2)}\n`, { mode: 0o600, flag: 'wx' });
  return fresh;
}

function newSigningKey(): string {
  return Buffer.from(generateSeed()).toString('base64url');
}

function isStringList(v: unknown): v is string[] {
  return Array.isArray(v) && v.length > 0 && v.every((s) => typeof s === 'string' && s.length > 0);
}
