/** SQL of the replicas' heartbeat (migration 012): each running chronosd announces itself every few seconds. */
import { sql, type Kysely, type Selectable } from 'kysely';
import type { ReplicasTable, Schema } from './schema.js';

/** A replica as it last announced itself. */
export type ReplicaRow = Selectable<ReplicasTable>;

/** What a replica announces. */
export interface ReplicaBeat {
  readonly id: string;
  readonly version: string;
  readonly host: string;
  readonly startedAt: Date;
  readonly dispatch: string;
  readonly inFlight: number;
}

/** Announces `beat` (seen now, by the database clock); forgets replicas not seen for `forgetAfterMs`. */
export async function announceReplica(db: Kysely<Schema>, beat: ReplicaBeat, forgetAfterMs: number): Promise<void> {
  await sql`
    WITH forgotten AS (DELETE FROM replicas WHERE seen_at < now() - ${forgetAfterMs} * interval '1 millisecond' AND id <> ${beat.id})
    INSERT INTO replicas (id, version, host, started_at, seen_at, dispatch, in_flight)
    VALUES (${beat.id}, ${beat.version}, ${beat.host}, ${beat.startedAt}, now(), ${beat.dispatch}, ${beat.inFlight})
    ON CONFLICT (id) DO UPDATE SET seen_at = now(), dispatch = excluded.dispatch, in_flight = excluded.in_flight`.execute(db);
}

/** Removes the replica `id` (it stopped). */
export async function forgetReplica(db: Kysely<Schema>, id: string): Promise<void> {
  await db.deleteFrom('replicas').where('id', '=', id).execute();
}

/** The replicas seen in the last `withinMs`, oldest first. */
export async function liveReplicas(db: Kysely<Schema>, withinMs: number): Promise<ReplicaRow[]> {
  return db
    .selectFrom('replicas')
    .selectAll()
    .where(sql<boolean>`seen_at >= now() - ${withinMs} * interval '1 millisecond'`)
    .orderBy('started_at')
    .orderBy('id')
    .execute();
}
