/** The pino logger: JSON lines, secrets redacted wherever they appear under a known name. */
import { pino, type DestinationStream, type Logger } from 'pino';

// Field names that may hold a secret, at the top level or one level down.
const SECRET_FIELDS = [
  'authorization',
  'token',
  'password',
  'secret',
  'databaseUrl',
  'transportTokens',
  'tokenSecrets',
  'signingKeys',
  'wakeToken',
  'x-chronos-principal',
];
const REDACT_PATHS = SECRET_FIELDS.flatMap((f) => [`["${f}"]`, `*["${f}"]`, `*.headers["${f}"]`]);

/**
 * Creates the process logger. `fd` 2 keeps stdout free for a protocol
 * (chronos mcp); a stream instead of a descriptor is for tests.
 */
export function createLogger(level: string, fd: 1 | 2 | DestinationStream = 1): Logger {
  return pino(
    {
      level,
      base: { service: 'chronosd', pid: process.pid },
      timestamp: pino.stdTimeFunctions.isoTime,
      redact: { paths: REDACT_PATHS, censor: '[redacted]' },
      formatters: { level: (label) => ({ level: label }) },
    },
    typeof fd === 'number' ? pino.destination({ fd, sync: false }) : fd,
  );
}

export { VERSION } from './version.js';
