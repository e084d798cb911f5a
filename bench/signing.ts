/** The cost of signing a wake (SPEC 8.1): microseconds per wake, v1a alone (router, stream) and v1a with v1 (a webhook endpoint). */
import { WakeSigner } from '../src/auth/wake-signer.js';
import { fireIdFor, newAlarmId } from '../src/ids.js';
import { wakeBody } from '../src/dispatch/wake-body.js';

/** signing: us per wake signed, median of 5 runs of ~300 ms each. */
export function benchSigning(): void {
  const signer = new WakeSigner([Buffer.alloc(32, 1)]);
  const id = newAlarmId();
  const at = new Date('2026-11-23T12:00:00Z');
  const body = wakeBody(
    { owner: 'did:key:z6MkhaXgBZDvotDkL5257faiztiGiC2QtKLGpbnnEGta2doK', id, manual_of: null, fire_id: fireIdFor(id, at), occurrence_at: at, attempt: 1, kind: 'once', label: 'deploy check', conversation_id: 'conv_81c2', tags: ['deploy'], wake_message: 'Check the deploy of build 4f2a9c and report.', payload: '{"build":"4f2a9c","cursor":"eyJ2IjoxfQ"}' },
    at,
  );
  const rows: [string, readonly Uint8Array[]][] = [
    ['v1a (ed25519): router, stream', []],
    ['v1a + one v1 (HMAC-SHA256): a webhook endpoint', [Buffer.alloc(32, 2)]],
    ['v1a + two v1: an endpoint during a secret rotation', [Buffer.alloc(32, 2), Buffer.alloc(32, 3)]],
  ];
  console.log(`## signing: the cost of a wake's signature (a ${Buffer.byteLength(body)}-byte wake body)\n`);
  console.log('| signatures | us per wake (median of 5) | min | max |');
  console.log('|---|---:|---:|---:|');
  for (const [name, secrets] of rows) {
    const costs: number[] = [];
    for (let run = 0; run < 5; run++) {
      let n = 0;
      const started = performance.now();
      while (performance.now() - started < 300) {
        signer.sign('fir_x', at, body, secrets);
        n++;
      }
      costs.push(((performance.now() - started) * 1000) / n);
    }
    costs.sort((a, b) => a - b);
    console.log(`| ${name} | ${costs[2]!.toFixed(1)} | ${costs[0]!.toFixed(1)} | ${costs[4]!.toFixed(1)} |`);
  }
  console.log('');
}
