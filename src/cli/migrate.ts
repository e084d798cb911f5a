/** `chronos migrate`: apply pending migrations to the configured (or embedded) database and exit. */
import { join } from 'node:path';
import { ConfigError, type Config } from '../config/load.js';
import { startEmbedded } from '../db/embedded.js';
import { migrate } from '../db/migrate.js';
import { openDatabase } from '../db/pool.js';
import { waitForDatabase } from '../db/wait-for-database.js';
import { createLogger } from '../log.js';

/** Returns 0 when the schema is current, 1 when the database stayed unreachable or a migration was refused or failed. */
export async function migrateCommand(config: Config): Promise<number> {
  const log = createLogger(config.logLevel);
  const embedded = config.databaseUrl === undefined ? await startEmbedded({ dir: join(config.dataDir, 'pg'), log }) : undefined;
  try {
    const database = openDatabase(embedded?.url ?? config.databaseUrl!, 1, log);
    try {
      if (!embedded) await waitForDatabase({ url: config.databaseUrl!, timeoutMs: config.dbStartTimeoutMs, log });
      const applied = await migrate(database.sql, log);
      console.log(applied.length === 0 ? 'schema is up to date' : `applied: ${applied.join(', ')}`);
      return 0;
    } catch (err) {
      // A URL the server refuses is bad config: one line, exit 2 (runCli prints it).
      if (err instanceof ConfigError) throw err;
      console.error(`chronos migrate: ${(err as Error).message}`);
      return 1;
    } finally {
      await database.close();
    }
  } finally {
    // A server reused from a running chronosd stays up for it.
    if (embedded && !embedded.reused) await embedded.stop();
  }
}
