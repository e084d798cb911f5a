/**
 * "Did you mean ...?" for an unknown field: the names agents and people
 * reach for (`timezone` for `tz`), other spellings (`wakeMessage`), and
 * typos within two edits (`wake_mesage`).
 */
import leven from 'leven';
import type { z } from 'zod';

// Names meant for a field of ours, by what they are usually called elsewhere.
const SYNONYMS: Readonly<Record<string, string>> = {
  timezone: 'tz', time_zone: 'tz', zone: 'tz', tzid: 'tz',
  message: 'wake_message', text: 'wake_message', prompt: 'wake_message', wake: 'wake_message',
  data: 'payload', body: 'payload', context: 'payload',
  name: 'label', title: 'label',
  when: 'at', time: 'at', run_at: 'at', fire_at: 'at', datetime: 'at',
  in: 'delay', after: 'delay', duration: 'delay',
  schedule: 'cron', expression: 'cron',
  rule: 'rrule', recurrence: 'rrule',
  dtstart: 'start', starts_at: 'start', start_at: 'start', from: 'start',
  end: 'until', ends_at: 'until', end_at: 'until',
  count: 'max_fires', limit: 'max_fires', times: 'max_fires',
  tag: 'tags', labels: 'tags',
  type: 'kind',
  conversation: 'conversation_id', thread_id: 'conversation_id',
  key: 'idempotency_key', idempotency: 'idempotency_key',
};

/** `camelCase` and `kebab-case` as the API's `snake_case`, lower case. */
function normalized(name: string): string {
  return name.replace(/([a-z0-9])([A-Z])/g, '$1_$2').replace(/[-\s]+/g, '_').toLowerCase();
}

/** The field of `known` that `unknown` was probably meant to be, or undefined. */
export function suggestField(unknown: string, known: readonly string[]): string | undefined {
  const name = normalized(unknown);
  if (known.includes(name)) return name;
  const synonym = SYNONYMS[name];
  if (synonym && known.includes(synonym)) return synonym;
  let best: string | undefined;
  let bestDistance = Math.min(2, Math.floor(name.length / 3));
  for (const candidate of known) {
    const distance = leven(name, candidate);
    if (distance <= bestDistance && (best === undefined || distance < bestDistance)) {
      best = candidate;
      bestDistance = distance;
    }
  }
  return best;
}

type Def = z.core.$ZodTypeDef & { options?: z.core.$ZodType[]; in?: z.core.$ZodType; innerType?: z.core.$ZodType; element?: z.core.$ZodType; shape?: Record<string, z.core.$ZodType> };

/** The schemas a value of `schema` is checked by, with optional, nullable and default wrappers, pipes and unions opened. */
function variants(schema: z.core.$ZodType): z.core.$ZodType[] {
  const out: z.core.$ZodType[] = [];
  const open = [schema];
  while (open.length > 0) {
    const next = open.pop()!;
    const def = next._zod.def as Def;
    if (def.options) open.push(...def.options);
    else if (def.type === 'pipe' && def.in) open.push(def.in);
    else if (def.innerType) open.push(def.innerType);
    else out.push(next);
  }
  return out;
}

/** The member names of the objects `schema` describes at `path` (like `['target']`). */
export function fieldsAt(schema: z.core.$ZodType, path: readonly PropertyKey[]): string[] {
  let at = variants(schema);
  for (const part of path) {
    at = at.flatMap((s) => {
      const def = s._zod.def as Def;
      const inner = typeof part === 'number' ? def.element : def.shape?.[String(part)];
      return inner ? variants(inner) : [];
    });
  }
  return [...new Set(at.flatMap((s) => Object.keys((s._zod.def as Def).shape ?? {})))];
}
