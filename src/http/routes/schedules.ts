/** The schedule preview route (SPEC 9.4): the body read and validated as a create's, then the occurrences from now. */
import type { Handler } from 'hono';
import { parsePreviewRequest, previewOf } from '../../alarms/preview.js';
import type { AppEnv } from '../env.js';
import { readJsonBody } from '../body.js';
import { ok } from '../respond.js';

/** The handler of the preview route, by route name (api/routes.ts). */
export function scheduleHandlers(now: () => number) {
  return {
    previewSchedule: (async (c) => {
      const at = new Date(now());
      const preview = parsePreviewRequest((await readJsonBody(c)).value, at);
      return ok(c, { occurrences: previewOf(preview, at) });
    }) satisfies Handler<AppEnv>,
  };
}
