/** Database errors classified by SQLSTATE and driver code, never by message text. */

/** Thrown when database work outlives its deadline (deadline.ts): the database did not answer in time. */
export class DatabaseTimeout extends Error {
  override name = 'DatabaseTimeout';
  readonly code = 'DATABASE_TIMEOUT';
  constructor(timeoutMs: number) {
    super(`the database did not answer within ${timeoutMs}ms`);
  }
}

const CONNECTION_CODES = new Set([
  // DatabaseTimeout
  'DATABASE_TIMEOUT',
  // postgres.js and Node socket codes
  'CONNECTION_CLOSED',
  'CONNECTION_ENDED',
  'CONNECTION_DESTROYED',
  'CONNECT_TIMEOUT',
  'ECONNREFUSED',
  'ECONNRESET',
  'EPIPE',
  'ETIMEDOUT',
  'EHOSTUNREACH',
  'ENETUNREACH',
  'ENOTFOUND',
  'EAI_AGAIN',
  // SQLSTATE: query_canceled (the server's statement_timeout, or a cancel request), too_many_connections,
  // admin_shutdown, crash_shutdown, cannot_connect_now
  '57014',
  '53300',
  '57P01',
  '57P02',
  '57P03',
]);

function codeOf(err: unknown): string | undefined {
  const code = (err as { code?: unknown } | null)?.code;
  return typeof code === 'string' ? code : undefined;
}

/** True when the database could not be reached, dropped the connection or did not answer in time: worth retrying later. */
export function isConnectionError(err: unknown): boolean {
  const code = codeOf(err);
  if (code === undefined) return false;
  // Class 08: connection exception
  return CONNECTION_CODES.has(code) || code.startsWith('08');
}
