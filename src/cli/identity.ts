/** `chronos keygen` and `chronos token`: an agent identity, and a principal token for people using curl. */
import { didFromPublicKey } from '../auth/did-key.js';
import { generateSeed, keyFromSeed } from '../auth/ed25519.js';
import { ChronosClient } from '../client/client.js';
import { loadClientSettings } from '../config/client.js';
import type { FlagValues } from './args.js';
import { clientFlags, type CONNECTION_FLAGS } from './connection.js';

/** Prints a new did:key and its seed (`json`: as one JSON object). */
export function keygenCommand(json: boolean): number {
  const seed = generateSeed();
  const did = didFromPublicKey(keyFromSeed(seed).publicKey);
  const hex = Buffer.from(seed).toString('hex');
  if (json) console.log(JSON.stringify({ did, seed: hex }));
  else console.log(`did:  ${did}\nseed: ${hex}\n\nThe seed is the agent's private key: keep it secret (CHRONOS_AGENT_KEY or CHRONOS_AGENT_KEY_FILE).`);
  return 0;
}

/** Does challenge and verify with the agent key and prints the principal token alone on stdout; the API's refusals are thrown. */
export async function tokenCommand(flags: FlagValues<typeof CONNECTION_FLAGS>): Promise<number> {
  const client = new ChronosClient(loadClientSettings(clientFlags(flags)));
  const token = await client.principal();
  console.log(token.token);
  console.error(`token for ${token.did}, valid until ${token.expires_at}`);
  return 0;
}
