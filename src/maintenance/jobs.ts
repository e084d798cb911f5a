/** The maintenance jobs chronosd runs, each on its own interval, in small batches. */
import type { Kysely } from 'kysely';
import type { Logger } from 'pino';
import type { AlarmService } from '../alarms/service.js';
import { newAttemptId } from '../ids.js';
import { pruneFires } from '../store/fires.js';
import { deleteExpiredNonces } from '../store/nonces.js';
import { pruneAudit } from '../store/audit.js';
import type { Schema } from '../store/schema.js';
import { PeriodicBatchJob } from './periodic.js';

/** Deletes expired DID challenges; they are only garbage (verify checks expiry itself), so once a minute is plenty. */
export function nonceSweeper(db: Kysely<Schema>, log: Logger, intervalMs = 60_000): PeriodicBatchJob {
  return new PeriodicBatchJob({ name: 'nonces', log, intervalMs, batch: 1_000, maxBatches: 20, runBatch: (n) => deleteExpiredNonces(db, n) });
}

/** The rescuer: takes back claims whose lease expired (a replica died mid-attempt). */
export function leaseReaper(alarms: AlarmService, log: Logger, intervalMs: number): PeriodicBatchJob {
  return new PeriodicBatchJob({
    name: 'leases',
    log,
    intervalMs,
    batch: 500,
    maxBatches: 100,
    runBatch: async (n) => {
      const recovered = await alarms.reap(n, newAttemptId);
      for (const r of recovered) log.warn({ alarm_id: r.id, fire_id: r.fire_id, replica: r.claimed_by }, 'lease expired: claim taken back');
      return recovered.length;
    },
  });
}

/**
 * Deletes fire history older than `retentionMs` in batches of 1,000, never
 * one long-locking DELETE; a backlog drains at up to 100,000 rows a round.
 */
export function firePruner(db: Kysely<Schema>, log: Logger, retentionMs: number, intervalMs = 60_000): PeriodicBatchJob {
  return new PeriodicBatchJob({ name: 'fire retention', log, intervalMs, batch: 1_000, maxBatches: 100, runBatch: (n) => pruneFires(db, retentionMs, n) });
}

/**
 * The cleaner: deletes alarms that reached a final state (completed, failed,
 * cancelled) more than `retentionMs` ago, with their fire history, 500
 * alarms a statement.
 */
export function alarmCleaner(alarms: AlarmService, log: Logger, retentionMs: number, intervalMs = 60_000): PeriodicBatchJob {
  return new PeriodicBatchJob({ name: 'alarm retention', log, intervalMs, batch: 500, maxBatches: 100, runBatch: (n) => alarms.purge(retentionMs, n) });
}

/** Deletes audit log entries older than `retentionMs` (retention.audit), 1,000 a statement. */
export function auditPruner(db: Kysely<Schema>, log: Logger, retentionMs: number, intervalMs = 60_000): PeriodicBatchJob {
  return new PeriodicBatchJob({ name: 'audit retention', log, intervalMs, batch: 1_000, maxBatches: 100, runBatch: (n) => pruneAudit(db, retentionMs, n) });
}
