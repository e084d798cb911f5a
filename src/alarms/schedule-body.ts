/**
 * Validation of a body that holds a create's schedule fields (a create, a
 * preview): the schema's problems, the caller's own, then the schedule
 * parser's, the first problem at each path; sizes over a limit are TooLarge,
 * the rest InvalidInput. One path, so a body answers the same everywhere.
 */
import type { z } from 'zod';
import { problemsOf } from '../api/problems.js';
import { InvalidInput, TooLarge, type FieldProblem } from '../errors.js';
import { parseSchedule } from '../schedule/parse.js';
import type { Schedule } from '../schedule/types.js';

/** The problems found so far; a caller's own checks add to them. */
export interface Found {
  readonly problems: FieldProblem[];
  readonly tooLarge: FieldProblem[];
}

/** Keeps the first problem named at each path (the schema's, when the schedule parser names the same field). */
function firstPerPath(problems: readonly FieldProblem[]): FieldProblem[] {
  const seen = new Set<string>();
  return problems.filter((p) => !seen.has(p.path) && seen.add(p.path));
}

/**
 * Validates `body` with `schema` and its schedule fields as of `now`;
 * `check` adds the caller's own problems once the body is known to be an
 * object. Throws TooLarge or InvalidInput listing every problem.
 */
export function parseScheduleBody<S extends z.ZodType>(schema: S, body: unknown, now: Date, check?: (body: Record<string, unknown>, found: Found) => void): { data: z.output<S>; schedule: Schedule } {
  const parsed = schema.safeParse(body);
  const found: Found = parsed.success ? { problems: [], tooLarge: [] } : problemsOf(schema, parsed.error);
  if (typeof body !== 'object' || body === null || Array.isArray(body)) throw new InvalidInput(found.problems);
  const b = body as Record<string, unknown>;
  check?.(b, found);
  let schedule: Schedule | undefined;
  try {
    schedule = parseSchedule(b, now);
  } catch (err) {
    if (!(err instanceof InvalidInput)) throw err;
    found.problems.push(...err.problems);
  }
  if (found.tooLarge.length > 0) throw new TooLarge(found.tooLarge);
  if (!parsed.success || found.problems.length > 0 || !schedule) throw new InvalidInput(firstPerPath(found.problems));
  return { data: parsed.data, schedule };
}
