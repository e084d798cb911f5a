/**
 * Loads the configuration with SPEC 3's precedence: flags > environment >
 * chronos.config.kvx > defaults. The only module that reads `process.env`.
 */
import { existsSync, readFileSync } from 'node:fs';
import { KEYS, type Config, type KeySpec } from './keys.js';
import { ConfigError, parseKvx, type KvxEntry } from './kvx.js';

export { ConfigError } from './kvx.js';
export type { Config } from './keys.js';

type KeyName = keyof typeof KEYS;
const KEY_NAMES = Object.keys(KEYS) as KeyName[];
const SPEC_OF = KEYS as unknown as Record<KeyName, KeySpec<unknown>>;

/** Flags that are not config keys. */
export interface CliFlags {
  readonly configPath: string | undefined;
  readonly values: ReadonlyMap<KeyName, string>;
}

/** Where the config was read from, for the start log. */
export interface LoadedConfig {
  readonly config: Config;
  readonly configFile: string | undefined;
}

/**
 * Resolves every key. Throws ConfigError naming the flag, variable, or file
 * and line of the first bad value.
 */
export function loadConfig(flags: CliFlags, env: Readonly<Record<string, string | undefined>> = process.env): LoadedConfig {
  const configFile = flags.configPath ?? nonEmpty(env.CHRONOS_CONFIG) ?? (existsSync('chronos.config.kvx') ? 'chronos.config.kvx' : undefined);
  const fileValues = configFile ? readConfigFile(configFile, env) : new Map<KeyName, KvxEntry>();
  const out: Record<string, unknown> = {};
  for (const name of KEY_NAMES) {
    const spec = SPEC_OF[name];
    const flag = flags.values.get(name);
    const envName = spec.env.find((e) => nonEmpty(env[e]) !== undefined);
    const entry = fileValues.get(name);
    if (flag !== undefined) out[name] = parseAt(spec, flag, `--${spec.flag}`);
    else if (envName !== undefined) out[name] = parseAt(spec, env[envName]!, envName);
    else if (entry !== undefined) out[name] = parseAt(spec, entry.value, `${configFile}:${entry.line}: ${spec.kvx}`);
    else out[name] = spec.default === undefined ? undefined : spec.parse(spec.default);
  }
  const config = Object.freeze(out) as Config;
  checkTogether(config);
  return { config, configFile };
}

/** Rules between keys. */
function checkTogether(c: Config): void {
  // A claim whose lease ends while its wake may still run lets another replica send the same wake again.
  // A claimed alarm waits up to the lookahead before its wake starts.
  if (c.leaseMs <= c.wakeTimeoutMs + c.lookaheadMs) {
    throw new ConfigError(
      `dispatch.lease (${c.leaseMs}ms) must be longer than wake.timeout plus dispatch.lookahead (${c.wakeTimeoutMs + c.lookaheadMs}ms): raise CHRONOS_LEASE or lower CHRONOS_WAKE_TIMEOUT`,
    );
  }
}

function readConfigFile(path: string, env: Readonly<Record<string, string | undefined>>): Map<KeyName, KvxEntry> {
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (err) {
    throw new ConfigError(`${path}: cannot read config file (${(err as NodeJS.ErrnoException).code ?? String(err)})`);
  }
  const byKvx = new Map(KEY_NAMES.map((k) => [SPEC_OF[k].kvx, k]));
  const sections = new Set(KEY_NAMES.map((k) => SPEC_OF[k].kvx.split('.')[0]));
  const values = new Map<KeyName, KvxEntry>();
  for (const entry of parseKvx(text, path, env, sections as Set<string>)) {
    const name = byKvx.get(`${entry.section}.${entry.key}`);
    if (!name) throw new ConfigError(`${path}:${entry.line}: unknown key "${entry.key}" in [${entry.section}]`);
    values.set(name, entry);
  }
  return values;
}

function parseAt<T>(spec: KeySpec<T>, value: string, where: string): T {
  try {
    return spec.parse(value);
  } catch (err) {
    const shown = spec.secret ? '' : ` ${JSON.stringify(value)}`;
    throw new ConfigError(`${where}: bad value${shown}: ${(err as Error).message}`, { cause: err });
  }
}

/** An environment value, with empty counted as unset. */
export function nonEmpty(v: string | undefined): string | undefined {
  return v === undefined || v === '' ? undefined : v;
}
