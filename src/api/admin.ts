/** The admin API's shapes (SPEC 10.1): the alarm list of every owner, an owner's controls, the status of the deployment. */
import { z } from 'zod';
import { STATUSES } from '../alarms/states.js';
import { FireView, ListAlarmsQuery, TargetType } from './alarms.js';
import { bodyObject, storedText, Timestamp } from './fields.js';

/** The query of GET /v1/admin/alarms: the owner's list's filters, and the owner. */
export const ListAdminAlarmsQuery = ListAlarmsQuery.extend({
  owner: storedText({ min: 1, max: 1024, message: 'must be a DID' }).optional().describe('Only alarms of this DID.'),
});
export type ListAdminAlarmsQuery = z.output<typeof ListAdminAlarmsQuery>;

/** A DID in a path. */
export const OwnerDid = z.string().describe('The owner\'s DID, like "did:key:z6Mk..." (its colons may be percent-encoded).');

/** The body of POST /v1/admin/owners/{did}/suspend. */
export const SuspendRequest = bodyObject({
  reason: storedText({ min: 1, max: 500, message: 'required: why, in 1 to 500 characters (the owner sees it in its 403 answers)' }).describe('Why: recorded in the audit log and told to the owner in its 403 owner_suspended answers.'),
});

/** What applies to an owner (SPEC 10.1). */
export const OwnerView = z
  .strictObject({
    did: z.string(),
    suspended: z.boolean(),
    suspended_at: Timestamp.nullable(),
    suspended_reason: z.string().nullable(),
    tokens_revoked_before: Timestamp.nullable().describe('Tokens issued at or before this instant are refused (401 token_revoked).'),
  })
  .meta({ id: 'Owner' });

const counts = <K extends string>(keys: readonly K[], what: string) => z.strictObject(Object.fromEntries(keys.map((k) => [k, z.number().int()])) as Record<K, z.ZodNumber>).describe(what);
const OUTCOMES = FireView.shape.outcome.options;

/** GET /v1/admin/status: real counts from the database (SPEC 10.1). */
export const AdminStatusView = z
  .strictObject({
    alarms: z.strictObject({
      by_status: counts(STATUSES, 'Alarms in each status (each pending fire-now occurrence counts as one).'),
      by_target: counts(TargetType.options, 'Scheduled, firing and paused alarms by target type.'),
    }),
    due: z.strictObject({
      backlog: z.number().int().describe('Scheduled alarms due now or earlier, not yet claimed (a suspended owner\'s not counted).'),
      oldest_lateness_ms: z.number().int().nullable().describe('How late the oldest of them is; null without backlog.'),
    }),
    attempts: z.strictObject({
      last_minute: counts(OUTCOMES, 'Delivery attempts that started in the last minute, by outcome.'),
      last_hour: counts(OUTCOMES, 'Delivery attempts that started in the last hour, by outcome.'),
    }),
    replicas: z
      .array(
        z.strictObject({
          id: z.string(),
          version: z.string(),
          host: z.string(),
          started_at: Timestamp,
          seen_at: Timestamp,
          dispatch: z.string().describe('"running", "stopping", or "idle: <why>".'),
          in_flight: z.number().int().describe('Wakes on the wire when it last announced itself.'),
        }),
      )
      .describe('Replicas that announced themselves in the last 30 s.'),
    top_owners: z.array(z.strictObject({ owner: z.string(), active: z.number().int() })).describe('The five owners with most active (scheduled or firing) alarms.'),
    suspended_owners: z.number().int(),
  })
  .meta({ id: 'AdminStatus' });
