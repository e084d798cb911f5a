/** The lateness plot (SPEC 11): per-minute counts from the store, as the series the API answers. */
import type { Kysely } from 'kysely';
import { LATENESS_DEFAULT_MINUTES } from '../api/lateness.js';
import { ownerBacklog, ownerLateness, sampledLateness } from '../store/lateness.js';
import { queueStats } from '../store/queue-stats.js';
import type { Schema } from '../store/schema.js';
import { LATENESS_BUCKETS_S, latenessSeries, type LatenessPoint } from './lateness.js';

/** The plot, as GET /v1/lateness and GET /v1/admin/lateness answer it. */
export interface LatenessPlotView {
  readonly bucket_bounds_ms: number[];
  readonly points: LatenessPoint[];
  readonly backlog_now: number;
}

const BOUNDS_MS = LATENESS_BUCKETS_S.map((s) => Math.round(s * 1000 * 1000) / 1000);

/** Reads the plot of every replica, or of one owner's attempts. */
export class LatenessPlot {
  constructor(private readonly db: Kysely<Schema>) {}

  /** Every replica's samples; the backlog now is the admin status's (chronos_due_backlog's) count. */
  async all(minutes = LATENESS_DEFAULT_MINUTES): Promise<LatenessPlotView> {
    const [window, stats] = await Promise.all([sampledLateness(this.db, minutes), queueStats(this.db)]);
    return { bucket_bounds_ms: BOUNDS_MS, points: latenessSeries(window.rows, window.from, minutes), backlog_now: stats.dueBacklog };
  }

  /** `owner`'s own first attempts and due alarms. */
  async owner(owner: string, minutes = LATENESS_DEFAULT_MINUTES): Promise<LatenessPlotView> {
    const [window, backlog] = await Promise.all([ownerLateness(this.db, owner, minutes), ownerBacklog(this.db, owner)]);
    return { bucket_bounds_ms: BOUNDS_MS, points: latenessSeries(window.rows, window.from, minutes), backlog_now: backlog };
  }
}
