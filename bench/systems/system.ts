/**
 * What the bench drives: a scheduler under test (chronosd or a peer), with
 * its own fresh database, whose workers run as processes of their own and
 * wake the router stub with one HTTP POST per due job.
 */

import type { RouterStub } from '../stub.js';

/** Where a system runs. */
export interface SystemContext {
  /** URL of a fresh, empty database made for this system alone. */
  readonly databaseUrl: string;
  /** Base URL of the router stub; wakes go to `${routerUrl}/internal/wake`. */
  readonly routerUrl: string;
  /** Worker processes to start (the replicas scenario); 1 unless said. */
  readonly processes: number;
  /** The router stub, which can also listen on a chronosd stream (the stream target). */
  readonly stub: RouterStub;
}

/** A scheduler under test. */
export interface SystemUnderTest {
  /** e.g. `chronosd`, `pg-boss 12.38.1`. */
  readonly name: string;
  /** The settings it runs with, written into the report. */
  readonly settings: string;
  /** Migrates its database and starts its worker processes; resolves when they are ready to work. */
  start(ctx: SystemContext): Promise<void>;
  /**
   * Schedules one once alarm (a peer: one job) per instant of `dues`; each
   * wakes with the same POST (see peers/wake.ts) and completes when the stub
   * answered 2xx.
   */
  schedule(dues: readonly Date[]): Promise<void>;
  /** User + system CPU seconds used by its worker processes since start. */
  cpuSeconds(): number;
  /** Resident set size of its worker processes, bytes (summed). */
  rssBytes(): number;
  /** Stops its processes. */
  stop(): Promise<void>;
}
