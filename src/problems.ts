/** Input problems that name the offending field; the HTTP layer answers them with 400 invalid_request. */

/** One offending field: a JSON path such as `tags[2]` and what is wrong with it. */
export interface FieldProblem {
  readonly path: string;
  readonly message: string;
}

/** Bad input from a client, with every problem found. */
export class InvalidInput extends Error {
  override name = 'InvalidInput';
  constructor(readonly problems: readonly FieldProblem[]) {
    super(problems.map((p) => `${p.path}: ${p.message}`).join('; '));
  }
}
