/**
 * The machine's ceiling for the burst: wake-shaped POSTs from an undici
 * keep-alive pool (as chronosd sends them) to the router stub, 64 at a
 * time, with no scheduler and no database. No system doing one POST per
 * wake to this stub can beat it on this machine.
 */
import { post, postPool } from './post.js';
import { cell, num, spread } from './stats.js';
import type { BenchEnv } from './scenarios.js';

const CONCURRENCY = 64;

/** ceiling: POSTs/s to the stub with nothing else running. */
export async function ceiling(env: BenchEnv): Promise<void> {
  const n = env.quick ? 5_000 : 50_000;
  const url = new URL('/internal/wake', env.stub.url);
  const pool = postPool(url, CONCURRENCY);
  const rates: number[] = [];
  const cpus: number[] = [];
  for (let repeat = 0; repeat < env.repeats; repeat++) {
    const due = new Date().toISOString();
    const arrived = env.stub.expect(n, 120_000);
    const cpu0 = process.cpuUsage();
    const t0 = performance.now();
    let next = 0;
    await Promise.all(
      Array.from({ length: CONCURRENCY }, async () => {
        while (next < n) {
          const i = next++;
          await post(pool, url, { 'Content-Type': 'application/json' }, JSON.stringify({ type: 'chronos.wake', fire_id: `fir_ceiling_${repeat}_${i}`, scheduled_for: due, fired_at: due, attempt: 1, wake_message: 'ceiling', payload: { i } }));
        }
      }),
    );
    await arrived;
    rates.push((n * 1000) / (performance.now() - t0));
    const cpu = process.cpuUsage(cpu0);
    cpus.push((cpu.user + cpu.system) / n);
  }
  await pool.close();
  console.log(`## ceiling: ${num(n)} POSTs to the router stub, ${CONCURRENCY} at a time, no scheduler, no database\n`);
  console.log('| POSTs/s | client CPU per POST, us |');
  console.log('|---:|---:|');
  console.log(`| ${cell(spread(rates))} | ${cell(spread(cpus))} |\n`);
}
