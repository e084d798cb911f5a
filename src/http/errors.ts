/** The one error type the HTTP layer renders as an error envelope. */
import type { ContentfulStatusCode } from 'hono/utils/http-status';

/** Thrown anywhere in request handling; `app.onError` turns it into `{ok: false, error}`. */
export class ApiError extends Error {
  override name = 'ApiError';
  constructor(
    readonly status: ContentfulStatusCode,
    readonly code: string,
    message: string,
    readonly details?: unknown,
    readonly headers?: Readonly<Record<string, string>>,
  ) {
    super(message);
  }
}
