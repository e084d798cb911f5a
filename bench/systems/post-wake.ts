/**
 * BENCH_OWNER moved to bench/peers/alarm.ts, which the bench and the peers'
 * processes share. This re-export keeps the importers that still name this
 * file (bench/dispatch.ts, bench/systems/chronosd.ts, as committed) working;
 * delete it once they import from ../peers/alarm.js.
 */
export { BENCH_OWNER } from '../peers/alarm.js';
