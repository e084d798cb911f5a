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
  readonly help: boolean;
  readonly version: boolean;
  readonly configPath: string | undefined;
  readonly values: ReadonlyMap<KeyName, string>;
}

/** Parses `--flag value` and `--flag=value` for the daemon's flags. */
export function parseFlags(argv: readonly string[]): CliFlags {
  const byFlag = new Map(KEY_NAMES.map((k) => [SPEC_OF[k].flag, k]));
  const values = new Map<KeyName, string>();
  let help = false;
  let version = false;
  let configPath: string | undefined;
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i]!;
    if (arg === '--help' || arg === '-h') {
      help = true;
      continue;
    }
    if (arg === '--version') {
      version = true;
      continue;
    }
    const m = /^--([a-z][a-z0-9-]*)(?:=(.*))?$/s.exec(arg);
    if (!m) throw new ConfigError(`unexpected argument "${arg}" (see --help)`);
    const name = m[1]!;
    const keyName = byFlag.get(name);
    if (!keyName && name !== 'config') throw new ConfigError(`unknown flag --${name} (see --help)`);
    let value = m[2];
    if (value === undefined) {
      value = argv[i + 1];
      if (value === undefined || value.startsWith('--')) throw new ConfigError(`--${name} needs a value`);
      i++;
    }
    if (!keyName) {
      if (configPath !== undefined) throw new ConfigError('--config is given twice');
      if (value === '') throw new ConfigError('--config needs a file path');
      configPath = value;
      continue;
    }
    if (values.has(keyName)) throw new ConfigError(`--${name} is given twice`);
    values.set(keyName, value);
  }
  return { help, version, configPath, values };
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

/** The `--help` text, generated from the key table. */
export function helpText(command: string): string {
  const rows = KEY_NAMES.map((k) => {
    const s = SPEC_OF[k];
    const def = s.defaultDoc ?? s.default ?? '';
    return `  --${s.flag.padEnd(26)} ${s.env.join(', ')}\n  ${''.padEnd(28)} ${s.doc} [default: ${def}]`;
  });
  return [
    `usage: ${command} [flags]`,
    '',
    'Precedence: flags > environment > chronos.config.kvx > defaults.',
    '',
    '  --config PATH               config file (CHRONOS_CONFIG; default ./chronos.config.kvx when present)',
    ...rows,
    '  --help                      this text',
    '  --version                   print the version',
  ].join('\n');
}
