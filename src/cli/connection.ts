/** The flags of the commands that talk to chronosd (alarm, token, mcp; admin), and the client settings they give. */
import type { AdminFlags, ClientFlags } from '../config/client.js';
import { text, type FlagValues } from './args.js';

/** Where chronosd is and who the agent is; each flag wins over its variable. */
export const CONNECTION_FLAGS = {
  url: text('URL', "chronosd's base URL [CHRONOS_URL; default http://127.0.0.1:8080]"),
  'transport-token': text('TOKEN', "one of chronosd's transport tokens [CHRONOS_TRANSPORT_TOKEN; default: a local chronosd's, from its data directory]"),
  key: text('SEED', "the agent's ed25519 seed, hex or base64url [CHRONOS_AGENT_KEY; default: chronos dev's agent, from its data directory]"),
  'key-file': text('FILE', 'a file holding the seed [CHRONOS_AGENT_KEY_FILE]'),
};

/** Where chronosd is and the admin token of `chronos admin`, which needs no agent key nor transport token; each flag wins over its variable. */
export const ADMIN_CONNECTION_FLAGS = {
  url: CONNECTION_FLAGS.url,
  'admin-token': text('TOKEN', 'one of chronosd\'s admin tokens: in its CHRONOS_ADMIN_TOKENS, the part after "name:" [CHRONOS_ADMIN_TOKEN]'),
};

/** The connection flags given, for loadClientSettings. */
export function clientFlags(values: FlagValues<typeof CONNECTION_FLAGS>): ClientFlags {
  return { url: values.url, transportToken: values['transport-token'], key: values.key, keyFile: values['key-file'] };
}

/** The admin connection flags given, for loadAdminSettings. */
export function adminFlags(values: FlagValues<typeof ADMIN_CONNECTION_FLAGS>): AdminFlags {
  return { url: values.url, adminToken: values['admin-token'] };
}
