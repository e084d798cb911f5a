/**
 * `chronos dev`: chronosd on the embedded database with a local router that
 * prints every wake it receives, and a ready-to-paste example, so a newcomer
 * sees a wake within a minute. Logs go to stderr at warn unless configured.
 */
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';
import { generateSeed, parseSeed } from '../auth/seed.js';
import { ChronosClient } from '../client/client.js';
import { DEFAULT_URL, DEV_AGENT_KEY_FILE } from '../config/client.js';
import { KEYS } from '../config/keys.js';
import { ConfigError, type CliFlags, type Config } from '../config/load.js';
import { startDaemon } from '../daemon.js';
import { createLogger } from '../log.js';

/** Runs until SIGINT or SIGTERM; returns the exit code. */
export async function devCommand(config: Config, flags: CliFlags): Promise<number> {
  const log = createLogger(flags.values.has('logLevel') ? config.logLevel : 'warn', 2);
  const router = await startPrintingRouter();
  const dev: Config = Object.freeze({ ...config, routerUrl: `http://127.0.0.1:${(router.address() as AddressInfo).port}` });
  let daemon;
  try {
    daemon = await startDaemon(dev, log);
  } catch (err) {
    router.close();
    if (err instanceof ConfigError) throw err;
    console.error(`chronos dev: ${(err as Error).message}`);
    return 1;
  }
  const seed = devAgentKey(config.dataDir);
  const client = new ChronosClient({ url: daemon.url, transportToken: daemon.secrets.transportTokens[0]!, seed });
  const token = await client.principal();
  console.log(`chronos dev: chronosd at ${daemon.url}, a local router printing wakes at ${dev.routerUrl}

Your dev agent is ${client.did}
(its key is in ${join(config.dataDir, DEV_AGENT_KEY_FILE)}; the token below is valid until ${token.expires_at}).

Set an alarm 5 seconds ahead; its wake is printed here:

curl -s -X POST ${daemon.url}/v1/alarms \\
  -H 'Authorization: Bearer ${daemon.secrets.transportTokens[0]}' \\
  -H 'X-Chronos-Principal: ${token.token}' \\
  -H 'Content-Type: application/json' \\
  -d '{"kind":"once","delay":"5s","wake_message":"Hello from Chronos","payload":{"step":1}}'

Or with the command line, which finds the dev agent's key and the transport token in ${config.dataDir}:

  ${cliEnv(daemon.url, config.dataDir)}npx chronos alarm set --kind once --delay 5s --message "Hello from Chronos" --payload '{"step":1}'
  ${cliEnv(daemon.url, config.dataDir)}npx chronos alarm list

See them in the dashboard: ${daemon.url}/ui (sign in as Agent with the transport token and the principal token above).

Waiting for wakes (Ctrl-C stops everything).
`);
  return new Promise((resolve) => {
    const running = daemon;
    const stopAll = () => {
      void running.stop().then(() => router.close(() => resolve(0)));
    };
    process.once('SIGINT', stopAll);
    process.once('SIGTERM', stopAll);
  });
}

/** The variables that a `chronos` command run beside this one needs: none where the daemon and its data directory are the defaults. */
function cliEnv(url: string, dataDir: string): string {
  const quoted = (v: string) => (/^[\w./:@-]+$/.test(v) ? v : `'${v.replaceAll("'", "'\\''")}'`);
  return `${url === DEFAULT_URL ? '' : `CHRONOS_URL=${url} `}${dataDir === KEYS.dataDir.default ? '' : `CHRONOS_DATA_DIR=${quoted(dataDir)} `}`;
}

function startPrintingRouter(): Promise<Server> {
  const server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const text = Buffer.concat(chunks).toString('utf8');
      let wake: Record<string, unknown> = {};
      try {
        wake = JSON.parse(text) as Record<string, unknown>;
      } catch {
        wake = {};
      }
      const payloadAt = text.lastIndexOf('"payload":');
      console.log(`\n=== wake received ${new Date().toISOString()} ${req.method} ${req.url}
  agent_did:     ${String(wake.agent_did)}
  alarm_id:      ${String(wake.alarm_id)}
  fire_id:       ${String(wake.fire_id)}  (Idempotency-Key: ${req.headers['idempotency-key'] ?? ''})
  scheduled_for: ${String(wake.scheduled_for)}  fired_at: ${String(wake.fired_at)}  attempt: ${String(wake.attempt)}
  wake_message:  ${JSON.stringify(wake.wake_message)}
  payload:       ${payloadAt >= 0 ? text.slice(payloadAt + 10, -1) : ''}`);
      res.writeHead(204).end();
    });
  });
  return new Promise((resolve) => server.listen(0, '127.0.0.1', () => resolve(server)));
}

/** The dev agent's seed, created once under the data directory (mode 0600), where `chronos alarm` finds it. */
function devAgentKey(dataDir: string): Uint8Array {
  const file = join(dataDir, DEV_AGENT_KEY_FILE);
  if (existsSync(file)) return parseSeed(readFileSync(file, 'utf8'));
  const seed = generateSeed();
  mkdirSync(dataDir, { recursive: true });
  writeFileSync(file, `${Buffer.from(seed).toString('hex')}\n`, { mode: 0o600 });
  return seed;
}
