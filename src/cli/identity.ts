/** `chronos keygen` and `chronos token`: an agent identity, and a principal token for people using curl. */
import { didFromPublicKey } from '../auth/did-key.js';
import { generateSeed, keyFromSeed } from '../auth/ed25519.js';
import { ChronosApiError, ChronosClient } from '../client/client.js';
import { loadClientSettings, type ClientFlags } from '../config/client.js';
import { ConfigError } from '../config/kvx.js';

/** Prints a new did:key and its seed (`--json` for one JSON object). */
export function keygenCommand(args: readonly string[]): number {
  const unknown = args.filter((a) => a !== '--json');
  if (unknown.length > 0) throw new ConfigError(`unexpected argument "${unknown[0]}" (usage: chronos keygen [--json])`);
  const seed = generateSeed();
  const did = didFromPublicKey(keyFromSeed(seed).publicKey);
  const hex = Buffer.from(seed).toString('hex');
  if (args.includes('--json')) console.log(JSON.stringify({ did, seed: hex }));
  else console.log(`did:  ${did}\nseed: ${hex}\n\nThe seed is the agent's private key: keep it secret (CHRONOS_AGENT_KEY or CHRONOS_AGENT_KEY_FILE).`);
  return 0;
}

/** Parses `--url U --key K --key-file F --transport-token T`. */
export function parseClientFlags(args: readonly string[], usage: string): { flags: ClientFlags; rest: string[] } {
  const names: Record<string, keyof ClientFlags> = { '--url': 'url', '--key': 'key', '--key-file': 'keyFile', '--transport-token': 'transportToken' };
  const flags: Record<string, string> = {};
  const rest: string[] = [];
  for (let i = 0; i < args.length; i++) {
    const [flag, inline] = args[i]!.split(/=(.*)/s, 2) as [string, string | undefined];
    const name = names[flag];
    if (!name) {
      rest.push(args[i]!);
      continue;
    }
    const value = inline ?? args[++i];
    if (value === undefined) throw new ConfigError(`${flag} needs a value (${usage})`);
    flags[name] = value;
  }
  return { flags, rest };
}

/** Does challenge and verify with the agent key and prints the principal token alone on stdout. */
export async function tokenCommand(args: readonly string[]): Promise<number> {
  const usage = 'usage: chronos token [--url URL] [--key SEED | --key-file FILE] [--transport-token T]';
  const { flags, rest } = parseClientFlags(args, usage);
  if (rest.length > 0) throw new ConfigError(`unexpected argument "${rest[0]}" (${usage})`);
  const client = new ChronosClient(loadClientSettings(flags));
  try {
    const token = await client.principal();
    console.log(token.token);
    console.error(`token for ${token.did}, valid until ${token.expires_at}`);
    return 0;
  } catch (err) {
    if (!(err instanceof ChronosApiError)) throw err;
    console.error(`chronos token: ${err.code}: ${err.message}`);
    return 1;
  }
}
