/** `chronosd` / `chronos serve`: run until SIGTERM or SIGINT, then stop in order and exit 0. */
import { ConfigError, type Config } from '../config/load.js';
import { startDaemon } from '../daemon.js';
import { createLogger } from '../log.js';

/** Starts the daemon; resolves with the exit code once it has stopped. */
export async function serveCommand(config: Config, configFile: string | undefined): Promise<number> {
  const log = createLogger(config.logLevel);
  if (configFile) log.info({ file: configFile }, 'config file read');
  let daemon;
  try {
    daemon = await startDaemon(config, log);
  } catch (err) {
    // A config problem found while starting is a user error: one line, exit 2 (runCli prints it).
    if (err instanceof ConfigError) throw err;
    log.fatal({ err }, 'chronosd failed to start');
    log.flush();
    console.error(`chronosd: ${(err as Error).message}`);
    return 1;
  }
  const running = daemon;
  return new Promise((resolve) => {
    let stopping = false;
    const onSignal = (signal: NodeJS.Signals) => {
      if (stopping) {
        log.warn({ signal }, 'second signal: exiting now');
        resolve(1);
        return;
      }
      stopping = true;
      log.info({ signal }, 'shutting down');
      void running.stop().then(() => {
        log.info('stopped');
        log.flush();
        resolve(0);
      });
    };
    process.on('SIGTERM', onSignal);
    process.on('SIGINT', onSignal);
  });
}
