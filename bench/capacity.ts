/**
 * capacity: what one PostgreSQL holds (docs/scaling.md). Not a dispatch run:
 * no chronosd process, no router. On a fresh database migrated by chronosd's
 * own migrations it
 *
 * 1. loads pending alarms (scheduled, due from a day to 31 days ahead) up to
 *    each size of `--pending`, in SQL bulk inserts of rows shaped like the
 *    API's (see pendingRows), then vacuums and analyzes, as autovacuum would
 *    have long since on a table that grew over time;
 * 2. at each size: the table's and each index's bytes, the bytes per pending
 *    alarm, the claim statement (store/claims.ts claimDue, as the producer
 *    calls it: 100 rows, 50 ms lookahead, a 60 s lease, an owner's room 64,
 *    on a connection with the dispatcher's enable_bitmapscan=off) with none
 *    due and with 2,000 due, the queue-wide counts (store/queue-stats.ts,
 *    run every 10 s by each replica), and a create batch of 500 through the
 *    store (store/alarms.ts createAlarms, as the API writes them);
 * 3. inserts fire-ledger rows shaped like real attempts (see FIRE_ROW), and
 *    reports their bytes per million and what fire retention (store/fires.ts
 *    pruneFires, 1,000 a statement) deletes per second.
 *
 * `npm run bench -- capacity [--pending 1000000,5000000] [--fires 1000000] [--database-url URL]`.
 * The database is dropped at the end.
 */
import { sql, type Kysely } from 'kysely';
import { pino } from 'pino';
import { AlarmService, TARGET_TYPES } from '../src/alarms/service.js';
import { migrate } from '../src/db/migrate.js';
import { openDatabase, type Database } from '../src/db/pool.js';
import { ownerCapacity } from '../src/dispatch/producer.js';
import { fireIdFor, newAlarmId } from '../src/ids.js';
import { createAlarms, type NewAlarmRow } from '../src/store/alarms.js';
import { pruneFires } from '../src/store/fires.js';
import { queueStats } from '../src/store/queue-stats.js';
import type { Schema } from '../src/store/schema.js';
import { benchPostgres } from './postgres.js';
import { num } from './stats.js';
import { freshDatabase, runOn, settleDatabase } from './systems/database.js';

const LOG = pino({ level: 'warn' });
// The producer's claim at idle: dispatch.batch_size 100, dispatch.lookahead 50 ms, dispatch.lease 60 s, and each
// owner's room at defaults (dispatch.concurrency 64, dispatch.owner_concurrency 16).
const CLAIM_LIMIT = 100;
const LOOKAHEAD_MS = 50;
const LEASE_MS = 60_000;
const OWNER_ROOM = ownerCapacity(64, 16);
// chronosd's dispatcher connections (daemon.ts DISPATCH_SETTINGS).
const DISPATCH_SETTINGS = { enable_bitmapscan: 'off' };
const OWNERS = 10_000;
const LOAD_CHUNK = 250_000;
const DAY_MS = 86_400_000;

/**
 * One pending alarm as an agent's create makes it (columns of migrations
 * 001-014): a did:key owner (one of 10,000), a time-ordered 24-character id,
 * one in four a weekday cron in a zone and the rest once alarms, due from a
 * day to 31 days ahead; a 150-character wake_message, a 240-byte JSON
 * payload, a label, a conversation id, two tags, an idempotency key and the
 * request's fingerprint; target and misfire at their defaults.
 */
const pendingRows = (lo: number, hi: number) => sql`
  SELECT id, owner, kind, CASE WHEN kind = 'once' THEN due END, CASE WHEN kind = 'cron' THEN '0 9 * * MON-FRI' END,
    CASE WHEN kind = 'cron' THEN 'Europe/Berlin' ELSE 'UTC' END, label, conversation_id, wake_message, payload::json, tags,
    'scheduled', due, due, fire_id, idempotency_key, request_fingerprint
  FROM (
    SELECT 'alm_' || lpad(to_hex(i), 8, '0') || substr(md5(i::text), 1, 12) AS id,
      'did:key:z6Mk' || substr(md5((i % ${OWNERS})::text) || md5((i % ${OWNERS})::text || 'o'), 1, 44) AS owner,
      CASE WHEN i % 4 = 0 THEN 'cron' ELSE 'once' END AS kind,
      date_trunc('milliseconds', now() + interval '1 day' + random() * interval '30 days') AS due,
      'deploy-check-' || (i % 100) AS label,
      'conv_' || substr(md5(i::text || 'c'), 1, 20) AS conversation_id,
      'Resume task ' || i || ': check whether the nightly deploy of the billing service finished, compare the error rate with yesterday and report.' AS wake_message,
      '{"task_id":"task-' || i || '","step":3,"checkpoint":{"repo":"acme/billing","branch":"main","pr":' || (i % 5000) ||
        ',"files":["src/invoice.ts","src/tax.ts"]},"notes":"resume from the last checkpoint; the previous run timed out at step 3 of 7"}' AS payload,
      ARRAY['deploy', 'prod'] AS tags,
      'fir_' || substr(md5(i::text || 'f'), 1, 24) AS fire_id,
      substr(md5(i::text || 'k'), 1, 8) || '-' || substr(md5(i::text || 'k'), 9, 4) || '-4' || substr(md5(i::text || 'k'), 13, 3) || '-8' ||
        substr(md5(i::text || 'k'), 16, 3) || '-' || substr(md5(i::text || 'k'), 19, 12) AS idempotency_key,
      substr(md5(i::text || 'r') || md5(i::text || 's'), 1, 43) AS request_fingerprint
    FROM generate_series(${lo}::bigint, ${hi}::bigint) AS i
  ) r`;

async function loadPending(db: Kysely<Schema>, from: number, to: number): Promise<void> {
  for (let lo = from; lo < to; lo += LOAD_CHUNK) {
    const hi = Math.min(to, lo + LOAD_CHUNK) - 1;
    await sql`
      INSERT INTO alarms (id, owner, kind, at, cron, tz, label, conversation_id, wake_message, payload, tags, status, next_fire_at,
                          occurrence_at, fire_id, idempotency_key, request_fingerprint)
      ${pendingRows(lo, hi)}`.execute(db);
  }
}

/**
 * One delivery attempt as the completer writes it (migration 001's fires,
 * with 010's target_type and 011's manual): attempts of 100,000 alarms,
 * started one after another over a day that ended 30 days ago (so every one
 * is past the default retention.fires), 95% delivered (204), 4% retrying
 * (503) and 1% failed (404), each with the error text chronosd writes.
 */
async function loadFires(db: Kysely<Schema>, n: number): Promise<void> {
  for (let lo = 0; lo < n; lo += LOAD_CHUNK) {
    const hi = Math.min(n, lo + LOAD_CHUNK) - 1;
    await sql`
      INSERT INTO fires (id, fire_id, alarm_id, scheduled_for, attempt, started_at, finished_at, outcome, status_code, error, duration_ms, target_type, manual)
      SELECT 'att_' || lpad(to_hex(i), 8, '0') || substr(md5(i::text), 1, 12),
        'fir_' || substr(md5((i / 2)::text || 'f'), 1, 24),
        'alm_' || lpad(to_hex(i % 100000), 8, '0') || substr(md5((i % 100000)::text), 1, 12),
        started - interval '2 milliseconds',
        CASE WHEN i % 100 < 95 THEN 1 ELSE 2 END,
        started, started + (3 + i % 20) * interval '1 millisecond',
        CASE WHEN i % 100 < 95 THEN 'delivered' WHEN i % 100 < 99 THEN 'retrying' ELSE 'failed' END,
        CASE WHEN i % 100 < 95 THEN 204 WHEN i % 100 < 99 THEN 503 ELSE 404 END,
        CASE WHEN i % 100 < 95 THEN NULL WHEN i % 100 < 99 THEN 'router answered 503: Service Unavailable' ELSE 'router answered 404: unknown agent' END,
        3 + i % 20, 'router', false
      FROM (SELECT i, date_trunc('milliseconds', now() - interval '31 days' + (i::float8 / ${n}) * interval '1 day') AS started
            FROM generate_series(${lo}::bigint, ${hi}::bigint) AS i) f`.execute(db);
  }
}

interface RelationSize {
  readonly name: string;
  readonly bytes: number;
}

/** The heap (with its TOAST and free-space maps) and each index of `table`, in bytes. */
async function sizesOf(db: Kysely<Schema>, table: string): Promise<RelationSize[]> {
  const { rows } = await sql<{ name: string; bytes: string }>`
    SELECT 'heap' AS name, pg_table_size(${table}::regclass) AS bytes
    UNION ALL
    SELECT indexrelid::regclass::text, pg_relation_size(indexrelid) FROM pg_index WHERE indrelid = ${table}::regclass
    ORDER BY 2 DESC`.execute(db);
  return rows.map((r) => ({ name: r.name, bytes: Number(r.bytes) }));
}

async function totalSize(db: Kysely<Schema>, table: string): Promise<number> {
  const { rows } = await sql<{ bytes: string }>`SELECT pg_total_relation_size(${table}::regclass) AS bytes`.execute(db);
  return Number(rows[0]!.bytes);
}

function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.floor(s.length / 2)]!;
}

function pct(xs: number[], p: number): number {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.min(s.length - 1, Math.floor((s.length * p) / 100))]!;
}

const ms = (x: number) => x.toFixed(2);
const mb = (bytes: number) => num(Math.round(bytes / 2 ** 20));

async function timed<T>(fn: () => Promise<T>): Promise<[number, T]> {
  const t0 = performance.now();
  const out = await fn();
  return [performance.now() - t0, out];
}

/** The claim as the producer makes it at idle; `n` times, each claim handed back before the next. Times in ms. */
async function timeClaims(alarms: AlarmService, n: number): Promise<{ times: number[]; claimed: number }> {
  const times: number[] = [];
  let claimed = 0;
  for (let i = 0; i < n; i++) {
    const [t, claim] = await timed(() => alarms.claim('capacity-probe', CLAIM_LIMIT, LEASE_MS, LOOKAHEAD_MS, TARGET_TYPES, { max: OWNER_ROOM, held: new Map() }));
    times.push(t);
    claimed = Math.max(claimed, claim.rows.length);
    await alarms.handBack('capacity-probe', claim.rows.map((r) => r.id));
  }
  return { times, claimed };
}

const PROBE_OWNER = (i: number) => `did:key:z6MkProbe${String(i).padStart(40, '0')}`;

/** 2,000 alarms due over the last second, of `owners` owners (each at its own millisecond), for the claim to take. */
async function insertDue(db: Kysely<Schema>, owners: number): Promise<void> {
  await sql`
    INSERT INTO alarms (id, owner, kind, at, wake_message, status, next_fire_at, occurrence_at, fire_id)
    SELECT 'alm_zzprobe' || lpad(i::text, 13, '0'), ${sql.raw(`'did:key:z6MkProbe' || lpad((i % ${owners})::text, 40, '0')`)}, 'once', due, 'probe', 'scheduled', due, due,
      'fir_probe' || lpad(i::text, 19, '0')
    FROM (SELECT i, date_trunc('milliseconds', now() - interval '1 second' + (i % 1000) * interval '1 millisecond') AS due FROM generate_series(1, 2000) AS i) d`.execute(db);
}

async function deleteDue(db: Kysely<Schema>): Promise<void> {
  await sql`DELETE FROM alarms WHERE id LIKE 'alm_zzprobe%'`.execute(db);
}

/** A create batch of 500 through the store, as the API's group commit writes it: 500 once alarms of 50 owners. */
function createBatch(round: number): NewAlarmRow[] {
  const due = new Date(Date.now() + 2 * DAY_MS);
  return Array.from({ length: 500 }, (_, i) => {
    const id = newAlarmId();
    return {
      id, owner: PROBE_OWNER(1000 + (i % 50)), kind: 'once', at: due, at_local: null, cron: null, rrule: null, tz: 'UTC', start_at: null, until: null, max_fires: null,
      label: 'deploy-check', conversation_id: `conv_${round}_${i}`,
      wake_message: 'Resume task: check whether the nightly deploy of the billing service finished, compare the error rate with yesterday and report.',
      payload: '{"task_id":"task-1","step":3,"checkpoint":{"repo":"acme/billing","branch":"main","pr":1234,"files":["src/invoice.ts","src/tax.ts"]},"notes":"resume from the last checkpoint"}',
      tags: ['deploy', 'prod'], target: { type: 'router' }, misfire: 'coalesce', status: 'scheduled', next_fire_at: due, occurrence_at: due, fire_id: fireIdFor(id, due),
      idempotency_key: `capacity-${round}-${i}`, request_fingerprint: 'x'.repeat(43),
    } satisfies NewAlarmRow;
  });
}

interface SizeRow {
  readonly pending: number;
  readonly loadRowsPerS: number;
  readonly heap: number;
  readonly indexes: number;
  readonly total: number;
  readonly perIndex: RelationSize[];
  readonly claimEmpty: number[];
  readonly claimDueMany: number[];
  readonly claimDueOne: number[];
  /** Rows a claim took with 2,000 due of 200 owners, and of one owner. */
  readonly claimed: readonly [number, number];
  readonly queueStats: number[];
  readonly createBatch: number[];
}

async function measureAt(database: Database, dispatch: Database, url: string, pending: number, loadRowsPerS: number): Promise<SizeRow> {
  const db = database.db;
  const sizes = await sizesOf(db, 'alarms');
  const heap = sizes.find((s) => s.name === 'heap')!.bytes;
  const total = await totalSize(db, 'alarms');
  const alarms = new AlarmService({ db: dispatch.db, maxActiveAlarms: 100_000_000, pollIntervalMs: 1_000, now: Date.now });
  // Nothing due: what every idle claim of every replica costs (at least one a poll interval).
  const empty = await timeClaims(alarms, 30);
  // 2,000 due of 200 owners, then 2,000 of one owner: a claim takes a full batch of 100.
  await insertDue(db, 200);
  await settleDatabase(url);
  const many = await timeClaims(alarms, 20);
  await deleteDue(db);
  await insertDue(db, 1);
  await settleDatabase(url);
  const one = await timeClaims(alarms, 20);
  await deleteDue(db);
  const stats: number[] = [];
  for (let i = 0; i < 3; i++) stats.push((await timed(() => queueStats(db)))[0]);
  const creates: number[] = [];
  for (let i = 0; i < 5; i++) {
    const rows = createBatch(pending + i);
    creates.push((await timed(() => createAlarms(db, rows, 100_000_000, new Date(Date.now() + 60_000))))[0]);
  }
  await sql`DELETE FROM alarms WHERE owner LIKE 'did:key:z6MkProbe%'`.execute(db);
  await settleDatabase(url);
  return {
    pending, loadRowsPerS, heap, total, indexes: total - heap, perIndex: sizes.filter((s) => s.name !== 'heap'),
    claimEmpty: empty.times, claimDueMany: many.times, claimDueOne: one.times, claimed: [many.claimed, one.claimed],
    queueStats: stats, createBatch: creates,
  };
}

export async function capacity(databaseUrl: string | undefined, pendings: readonly number[], fires: number): Promise<void> {
  const pg = await benchPostgres(databaseUrl);
  const url = await freshDatabase(pg.url, 'bench_capacity');
  const database = openDatabase(url, 2, LOG);
  const dispatch = openDatabase(url, 1, LOG, DISPATCH_SETTINGS);
  try {
    await migrate(database.sql, LOG);
    const { rows: server } = await sql<{ version: string; shared_buffers: string }>`
      SELECT current_setting('server_version') AS version, current_setting('shared_buffers') AS shared_buffers`.execute(database.db);
    console.log(`## capacity: one PostgreSQL (${server[0]!.version}, shared_buffers ${server[0]!.shared_buffers}, ${pg.description})\n`);
    const results: SizeRow[] = [];
    let loaded = 0;
    for (const target of [...pendings].sort((a, b) => a - b)) {
      process.stderr.write(`capacity: loading pending alarms ${num(loaded)} -> ${num(target)}\n`);
      const [loadMs] = await timed(() => loadPending(database.db, loaded, target));
      const loadRowsPerS = ((target - loaded) * 1000) / loadMs;
      loaded = target;
      await settleDatabase(url);
      process.stderr.write(`capacity: measuring at ${num(target)} pending\n`);
      results.push(await measureAt(database, dispatch, url, target, loadRowsPerS));
    }

    console.log('### pending alarms: bytes, and the claim\n');
    console.log('| pending | table (heap + TOAST) MB | indexes MB | total MB | bytes per pending alarm | claim, none due: p50 / p90 ms | claim of 100, 2,000 due of 200 owners: p50 / p90 ms | of one owner: p50 / p90 ms | queue-wide counts, ms | create batch of 500, ms (creates/s) | SQL bulk load, rows/s |');
    console.log('|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|');
    for (const r of results) {
      const create = median(r.createBatch);
      console.log(
        `| ${num(r.pending)} | ${mb(r.heap)} | ${mb(r.indexes)} | ${mb(r.total)} | ${num(Math.round(r.total / r.pending))} | ${ms(median(r.claimEmpty))} / ${ms(pct(r.claimEmpty, 90))} | ${ms(median(r.claimDueMany))} / ${ms(pct(r.claimDueMany, 90))} | ${ms(median(r.claimDueOne))} / ${ms(pct(r.claimDueOne, 90))} | ${num(Math.round(median(r.queueStats)))} | ${num(Math.round(create))} (${num(Math.round((500 * 1000) / create))}) | ${num(Math.round(r.loadRowsPerS))} |`,
      );
    }
    const last = results[results.length - 1];
    if (last) {
      console.log(`\nIndexes of alarms at ${num(last.pending)} pending: ${last.perIndex.map((s) => `${s.name} ${mb(s.bytes)} MB`).join(', ')}.`);
      console.log(`A claim took ${last.claimed[0]} rows with 2,000 due of 200 owners and ${last.claimed[1]} of one owner (limit ${CLAIM_LIMIT}, an owner's room ${OWNER_ROOM}).\n`);
    }
    const { rows: width } = await sql<{ w: string }>`SELECT round(avg(pg_column_size(a.*))) AS w FROM alarms a TABLESAMPLE SYSTEM (1)`.execute(database.db);
    console.log(`Average pending row: ${width[0]!.w} bytes as stored (pg_column_size of a 1% sample).\n`);

    process.stderr.write(`capacity: loading ${num(fires)} fires\n`);
    await sql`TRUNCATE alarms, alarm_owners`.execute(database.db);
    const [fireLoadMs] = await timed(() => loadFires(database.db, fires));
    await runOn(url, 'VACUUM (ANALYZE) fires');
    const fireSizes = await sizesOf(database.db, 'fires');
    const fireTotal = await totalSize(database.db, 'fires');
    const fireHeap = fireSizes.find((s) => s.name === 'heap')!.bytes;
    // The ledger as a table distributed by owner would need it (docs/scaling.md): the owner on every attempt, in its
    // primary key; or a small bucket number (a hash of the owner) instead. Same rows, indexes in place while loading.
    const keyedLines = ['| the same attempts, with | total MB | bytes per attempt | more than today |', '|---|---:|---:|---:|'];
    for (const [name, column, value] of [
      ['owner text (the DID), primary key (owner, id)', 'owner text NOT NULL', sql`'did:key:z6Mk' || substr(md5(f.alarm_id) || md5(f.alarm_id || 'o'), 1, 44)`],
      ['bucket smallint, primary key (bucket, id)', 'bucket smallint NOT NULL', sql`(hashtext(f.alarm_id) & 63)::smallint`],
    ] as const) {
      const key = column.split(' ')[0]!;
      await sql`DROP TABLE IF EXISTS fires_keyed`.execute(database.db);
      await sql`CREATE TABLE fires_keyed (LIKE fires INCLUDING DEFAULTS INCLUDING CONSTRAINTS)`.execute(database.db);
      await sql.raw(`ALTER TABLE fires_keyed ADD COLUMN ${column}, ADD PRIMARY KEY (${key}, id)`).execute(database.db);
      await sql`CREATE INDEX ON fires_keyed (alarm_id, started_at DESC, id DESC)`.execute(database.db);
      await sql`CREATE INDEX ON fires_keyed (started_at)`.execute(database.db);
      await sql`INSERT INTO fires_keyed SELECT f.*, ${value} FROM fires f ORDER BY f.id`.execute(database.db);
      await runOn(url, 'VACUUM (ANALYZE) fires_keyed');
      const keyed = await totalSize(database.db, 'fires_keyed');
      const perAttempt = keyed / fires;
      const today = fireTotal / fires;
      keyedLines.push(`| ${name} | ${mb(keyed)} | ${num(Math.round(perAttempt))} | ${num(Math.round(perAttempt - today))} bytes (${num((100 * (perAttempt - today)) / today)}%) |`);
    }
    await sql`DROP TABLE fires_keyed`.execute(database.db);
    // Fire retention (maintenance/jobs.ts firePruner): batches of 1,000 attempts past retention.fires (default 30 days).
    const prune: number[] = [];
    for (let i = 0; i < 20; i++) prune.push((await timed(() => pruneFires(database.db, 30 * DAY_MS, 1_000)))[0]);
    console.log('### the fire ledger\n');
    console.log('| attempts | table (heap + TOAST) MB | indexes MB | total MB | bytes per attempt | MB per million attempts | SQL bulk load, rows/s | retention: delete of 1,000, p50 / p90 ms (attempts/s) |');
    console.log('|---:|---:|---:|---:|---:|---:|---:|---:|');
    console.log(
      `| ${num(fires)} | ${mb(fireHeap)} | ${mb(fireTotal - fireHeap)} | ${mb(fireTotal)} | ${num(Math.round(fireTotal / fires))} | ${mb((fireTotal * 1_000_000) / fires)} | ${num(Math.round((fires * 1000) / fireLoadMs))} | ${ms(median(prune))} / ${ms(pct(prune, 90))} (${num(Math.round(1_000_000 / median(prune)))}) |`,
    );
    console.log(`\nIndexes of fires: ${fireSizes.filter((s) => s.name !== 'heap').map((s) => `${s.name} ${mb(s.bytes)} MB`).join(', ')}.\n`);
    console.log(`${keyedLines.join('\n')}\n`);
  } finally {
    await dispatch.close();
    await database.close();
    await runOn(pg.url, 'DROP DATABASE IF EXISTS "bench_capacity" WITH (FORCE)');
    await pg.stop();
  }
}
