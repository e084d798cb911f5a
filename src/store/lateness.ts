/**
 * SQL of the lateness plot (migration 015): each replica's bucket counts
 * stored at its heartbeat and summed per minute for operators, and the same
 * counts taken from one owner's own attempts for an agent.
 */
import { sql, type Kysely } from 'kysely';
import { LATENESS_BUCKETS_S, type MinuteCounts } from '../metrics/lateness.js';
import type { Schema } from './schema.js';

/** The window a plot reads: its first minute's start, by the database clock. */
const windowStart = (minutes: number) => sql<Date>`date_bin('1 minute', now() - ${minutes - 1} * interval '1 minute', TIMESTAMPTZ '2000-01-01')`;

/** Stores what replica `replicaId` counted since its last beat; deletes samples older than `keepMs`. */
export async function recordLatenessSample(db: Kysely<Schema>, replicaId: string, buckets: readonly number[], backlog: number | null, keepMs: number): Promise<void> {
  await sql`
    WITH expired AS (DELETE FROM lateness_samples WHERE at < now() - ${keepMs} * interval '1 millisecond')
    INSERT INTO lateness_samples (replica_id, buckets, backlog) VALUES (${replicaId}, ${sql.val(buckets)}::bigint[], ${backlog})`.execute(db);
}

/** A window of minutes, by the database clock. */
export interface MinuteWindow {
  /** The first minute's start. */
  readonly from: Date;
  readonly rows: MinuteCounts[];
}

/** Every replica's samples of the last `minutes` minutes (the current one included), summed per minute; the backlog is the largest sampled. */
export async function sampledLateness(db: Kysely<Schema>, minutes: number): Promise<MinuteWindow> {
  const { rows } = await sql<{ from: Date; minute: Date | null; buckets: string[] | null; backlog: number | null }>`
    WITH w AS (SELECT ${windowStart(minutes)} AS start),
    samples AS (SELECT date_bin('1 minute', s.at, TIMESTAMPTZ '2000-01-01') AS minute, s.buckets, s.backlog FROM lateness_samples s, w WHERE s.at >= w.start),
    cells AS (SELECT minute, u.i, sum(u.n) AS n FROM samples, unnest(samples.buckets) WITH ORDINALITY AS u(n, i) GROUP BY 1, 2),
    per_minute AS (
      SELECT c.minute, array_agg(c.n ORDER BY c.i) AS buckets, (SELECT max(backlog) FROM samples s WHERE s.minute = c.minute) AS backlog
      FROM cells c GROUP BY c.minute)
    SELECT w.start AS from, p.minute, p.buckets, p.backlog FROM w LEFT JOIN per_minute p ON true ORDER BY p.minute`.execute(db);
  return { from: rows[0]!.from, rows: rows.filter((r) => r.minute !== null).map((r) => ({ minute: r.minute!, buckets: r.buckets!.map(Number), backlog: r.backlog })) };
}

/**
 * The first attempts of `owner`'s alarms that started in the last `minutes`
 * minutes, counted per minute in the buckets of the metric (lateness: from
 * scheduled_for to the answer). Walks the owner's alarms, then each one's
 * attempts in the window from fires_alarm, so it costs the owner's own
 * history, not everyone's.
 */
export async function ownerLateness(db: Kysely<Schema>, owner: string, minutes: number): Promise<MinuteWindow> {
  const { rows } = await sql<{ from: Date; minute: Date | null; bucket: number | null; n: number | null }>`
    WITH w AS (SELECT ${windowStart(minutes)} AS start),
    cells AS (
      SELECT date_bin('1 minute', f.started_at, TIMESTAMPTZ '2000-01-01') AS minute,
        (SELECT count(*) FROM unnest(${sql.val(LATENESS_BUCKETS_S)}::float8[]) AS b(le) WHERE b.le < extract(epoch FROM f.finished_at - f.scheduled_for))::int AS bucket,
        count(*)::int AS n
      FROM w, alarms a
      CROSS JOIN LATERAL (
        SELECT started_at, finished_at, scheduled_for FROM fires
        WHERE fires.alarm_id = a.id AND fires.started_at >= w.start AND fires.attempt = 1 AND fires.finished_at IS NOT NULL) f
      WHERE a.owner = ${owner}
      GROUP BY 1, 2)
    SELECT w.start AS from, c.minute, c.bucket, c.n FROM w LEFT JOIN cells c ON true ORDER BY c.minute`.execute(db);
  const byMinute = new Map<number, { minute: Date; buckets: number[]; backlog: null }>();
  for (const r of rows) {
    if (r.minute === null) continue;
    const m = byMinute.get(r.minute.getTime()) ?? { minute: r.minute, buckets: new Array<number>(LATENESS_BUCKETS_S.length + 1).fill(0), backlog: null };
    m.buckets[r.bucket!]! += r.n!;
    byMinute.set(r.minute.getTime(), m);
  }
  return { from: rows[0]!.from, rows: [...byMinute.values()] };
}

/** `owner`'s scheduled alarms due by now, not yet claimed. */
export async function ownerBacklog(db: Kysely<Schema>, owner: string): Promise<number> {
  const { rows } = await sql<{ n: number }>`
    SELECT count(*)::int AS n FROM alarms WHERE owner = ${owner} AND status = 'scheduled' AND next_fire_at <= now()`.execute(db);
  return rows[0]!.n;
}
