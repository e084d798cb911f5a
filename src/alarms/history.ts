/**
 * The delivery history (SPEC 9.4): every attempt of every alarm an owner
 * has, searched by alarm, tag, outcome and start time, newest first. Reads
 * only; the dispatcher writes the ledger.
 */
import type { Kysely } from 'kysely';
import { page, type ListCursor, type Page } from '../api/cursor.js';
import type { FireRow } from '../store/alarms.js';
import { searchFires } from '../store/fires.js';
import type { Schema } from '../store/schema.js';

/** Which of the owner's attempts: each filter narrows the search. */
export interface HistoryQuery {
  readonly alarm_id?: string | undefined;
  readonly tag?: string | undefined;
  readonly outcome?: FireRow['outcome'] | undefined;
  /** started_at at or after (inclusive). */
  readonly since?: Date | undefined;
  /** started_at before (exclusive). */
  readonly until?: Date | undefined;
  readonly limit?: number | undefined;
  readonly cursor?: ListCursor | undefined;
}

const DEFAULT_PAGE = 50;

/** The history service. */
export class FireHistory {
  constructor(private readonly o: { readonly db: Kysely<Schema> }) {}

  /** A page of the owner's attempts, newest first; another owner's alarm id matches nothing. */
  async search(owner: string, q: HistoryQuery): Promise<Page<FireRow>> {
    const limit = q.limit ?? DEFAULT_PAGE;
    const rows = await searchFires(this.o.db, owner, { alarmId: q.alarm_id, tag: q.tag, outcome: q.outcome, since: q.since, until: q.until, after: q.cursor, limit });
    return page(rows, limit, (r) => [r.started_at, r.id]);
  }
}
