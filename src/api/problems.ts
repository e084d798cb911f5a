/** zod's issues as the API's field problems (SPEC 4.3): a path like `tags[2]` or `target.type`, and a message. */
import type { z } from 'zod';
import { InvalidInput, TooLarge, type FieldProblem } from '../errors.js';
import { fieldsAt, suggestField } from './suggest.js';

/** `['tags', 2]` as `tags[2]`, `['target', 'type']` as `target.type`. */
export function pathText(path: readonly PropertyKey[]): string {
  let out = '';
  for (const part of path) out += typeof part === 'number' ? `[${part}]` : out === '' ? String(part) : `.${String(part)}`;
  return out;
}

/**
 * The problems of `schema`'s failed parse: form problems, and size problems
 * (marked by storedText's TOO_LARGE). An unknown member says which member
 * was probably meant.
 */
export function problemsOf(schema: z.ZodType, error: z.ZodError, unknownKey = 'unknown field'): { problems: FieldProblem[]; tooLarge: FieldProblem[] } {
  const problems: FieldProblem[] = [];
  const tooLarge: FieldProblem[] = [];
  for (const issue of error.issues) {
    const path = pathText(issue.path);
    if (issue.code === 'unrecognized_keys') {
      for (const key of issue.keys) {
        const meant = suggestField(key, fieldsAt(schema, issue.path));
        problems.push({ path: pathText([...issue.path, key]), message: meant ? `${unknownKey}: did you mean "${meant}"?` : unknownKey });
      }
    } else if (issue.code === 'custom' && (issue.params as { tooLarge?: boolean } | undefined)?.tooLarge) {
      tooLarge.push({ path, message: issue.message });
    } else {
      problems.push({ path, message: issue.message });
    }
  }
  return { problems, tooLarge };
}

/** Parses `input` with `schema`, or throws TooLarge (any size problem) or InvalidInput. */
export function parseOrThrow<S extends z.ZodType>(schema: S, input: unknown, unknownKey?: string): z.output<S> {
  const result = schema.safeParse(input);
  if (result.success) return result.data;
  const { problems, tooLarge } = problemsOf(schema, result.error, unknownKey);
  if (tooLarge.length > 0) throw new TooLarge(tooLarge);
  throw new InvalidInput(problems);
}
