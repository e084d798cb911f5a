/**
 * The domain's errors: what the services throw, with no transport in them.
 * `http/` maps each kind to a status and the envelope (SPEC 4); nothing here
 * knows about HTTP.
 */

/** What kind of refusal an error is; the edge picks the status from it. */
export type ErrorKind = 'invalid' | 'too_large' | 'unauthenticated' | 'forbidden' | 'not_found' | 'conflict' | 'precondition' | 'limit';

/** A refusal with a stable code (SPEC 4) and a message that says what to do. */
export class DomainError extends Error {
  override name = 'DomainError';
  constructor(
    readonly kind: ErrorKind,
    readonly code: string,
    message: string,
    readonly details?: unknown,
  ) {
    super(message);
  }
}

/** One offending field: a JSON path such as `tags[2]` and what is wrong with it. */
export interface FieldProblem {
  readonly path: string;
  readonly message: string;
}

function listed(problems: readonly FieldProblem[]): string {
  return problems.map((p) => (p.path ? `${p.path}: ${p.message}` : p.message)).join('; ');
}

/** Bad input, with every problem found (`invalid_request`, or another code such as `unsupported_did`). */
export class InvalidInput extends DomainError {
  override name = 'InvalidInput';
  constructor(
    readonly problems: readonly FieldProblem[],
    code = 'invalid_request',
  ) {
    super('invalid', code, listed(problems), problems);
  }
}

/** Input over a size limit (`payload_too_large`), naming each field over it. */
export class TooLarge extends DomainError {
  override name = 'TooLarge';
  constructor(readonly problems: readonly FieldProblem[]) {
    super('too_large', 'payload_too_large', listed(problems), problems);
  }
}

/** A thing the caller cannot see: missing, or another owner's (indistinguishable by design). */
export class NotFound extends DomainError {
  override name = 'NotFound';
  constructor(what: string) {
    super('not_found', 'not_found', `no such ${what}`);
  }
}
