/** `chronosd` / `chronos serve`: run until SIGTERM or SIGINT, then stop in order and exit 0. */
import { ConfigError, type Config } from '../config/load.js';
import { startDaemon } from '../daemon.js';
import { createLogger } from '../log.js';

/** Starts the daemon; resolves with the exit code once it has stopped. */
export async function serveCommand(config: Config, configFile: string | undefined): Promise<number> {
  const log = createLogger(config.logLevel);
  if (configFile) log.info({ file: configFile }, 'config file read');
  // Handlers go in before the start, so a signal during it still gets an ordered stop.
  let signalled: NodeJS.Signals | undefined;
  let forceExit: ((code: number) => void) | undefined;
  const forced = new Promise<number>((resolve) => (forceExit = resolve));
  let wake: (() => void) | undefined;
  const signalledPromise = new Promise<void>((resolve) => (wake = resolve));
  const startAbort = new AbortController();
  const onSignal = (signal: NodeJS.Signals) => {
    if (signalled) {
      log.warn({ signal }, 'second signal: exiting now');
      forceExit!(1);
      return;
    }
    signalled = signal;
    log.info({ signal }, 'shutting down');
    startAbort.abort();
    wake!();
  };
  process.on('SIGTERM', onSignal);
  process.on('SIGINT', onSignal);

  let daemon;
  try {
    daemon = await startDaemon(config, log, startAbort.signal);
  } catch (err) {
    // A config problem found while starting is a user error: one line, exit 2 (runCli prints it).
    if (err instanceof ConfigError) throw err;
    // A signal during the wait for the database: an ordinary stop.
    if (startAbort.signal.aborted && err === startAbort.signal.reason) {
      log.info('stopped');
      log.flush();
      return 0;
    }
    log.fatal({ err }, 'chronosd failed to start');
    log.flush();
    console.error(`chronosd: ${(err as Error).message}`);
    return 1;
  }
  const running = daemon;
  const stopped = signalledPromise.then(async () => {
    await running.stop();
    log.info('stopped');
    log.flush();
    return 0;
  });
  return Promise.race([stopped, forced]);
}
