/**
 * selftest (SPEC 5): reachability, transport token, key and DID, token round
 * trip, clock skew; each failure says what to fix in words an agent can act on.
 */
import { z } from 'zod';
import { ChronosApiError, connectFailure, type ChronosClient } from '../client/client.js';

/** One check's outcome. */
export const Check = z.strictObject({ name: z.string(), ok: z.boolean(), detail: z.string().describe('What was found, or what to fix.') });
/** One check's outcome. */
export type Check = z.infer<typeof Check>;
/** What the selftest tool answers as structured content. */
export const SelftestAnswer = z.strictObject({ checks: z.array(Check) });

// More skew than this makes absolute alarm times ("at") land visibly off.
const MAX_SKEW_MS = 30_000;

/** Runs every check in order; later checks are skipped once one they depend on failed. */
export async function selftest(client: ChronosClient, url: string, now: () => number = Date.now): Promise<Check[]> {
  const checks: Check[] = [];
  let serverDate: number | undefined;
  try {
    const res = await fetch(`${url.replace(/\/+$/, '')}/healthz`, { signal: AbortSignal.timeout(5_000) });
    const body = (await res.json().catch(() => ({}))) as { status?: string; version?: string };
    serverDate = Date.parse(res.headers.get('date') ?? '');
    checks.push(
      res.status === 200 || res.status === 503
        ? { name: 'reachability', ok: res.status === 200, detail: res.status === 200 ? `chronosd ${body.version ?? ''} at ${url} is healthy` : `chronosd at ${url} answers but its database is down: tell its operator` }
        : { name: 'reachability', ok: false, detail: `${url}/healthz answered ${res.status}: CHRONOS_URL may point at something else than chronosd` },
    );
  } catch (err) {
    checks.push({ name: 'reachability', ok: false, detail: `is chronosd running at ${url}? (${connectFailure(err)}): check CHRONOS_URL and that chronosd runs` });
    return checks;
  }
  checks.push({ name: 'key', ok: true, detail: `the agent key is valid; this agent is ${client.did}` });
  try {
    const token = await client.principal();
    checks.push({ name: 'transport token', ok: true, detail: 'chronosd accepted CHRONOS_TRANSPORT_TOKEN' });
    checks.push({ name: 'token round trip', ok: true, detail: `challenge signed and verified; principal token valid until ${token.expires_at}` });
    await client.call('GET', '/v1/alarms?limit=1');
  } catch (err) {
    const e = err instanceof ChronosApiError ? err : undefined;
    if (e?.code === 'unauthorized') checks.push({ name: 'transport token', ok: false, detail: 'chronosd refused CHRONOS_TRANSPORT_TOKEN: set it to one of the daemon\'s transport tokens' });
    else checks.push({ name: 'token round trip', ok: false, detail: `authentication failed (${e ? `${e.code}: ${e.message}` : (err as Error).message})` });
    return checks;
  }
  if (serverDate !== undefined && Number.isFinite(serverDate)) {
    // The Date header has whole seconds: allow one second of rounding.
    const skew = now() - serverDate;
    checks.push(
      Math.abs(skew) <= MAX_SKEW_MS + 1_000
        ? { name: 'clock', ok: true, detail: `this clock and chronosd's agree within ${Math.max(1, Math.ceil(Math.abs(skew) / 1000))} s` }
        : { name: 'clock', ok: false, detail: `this clock is ${Math.round(Math.abs(skew) / 1000)} s ${skew > 0 ? 'ahead of' : 'behind'} chronosd's: fix the system clock (NTP), or use "delay" instead of "at" so alarms do not depend on it` },
    );
  }
  return checks;
}

/** The checks as lines an agent reads well. */
export function selftestText(checks: readonly Check[]): string {
  const failed = checks.filter((c) => !c.ok);
  const head = failed.length === 0 ? 'selftest passed: Chronos is ready for this agent.' : `selftest failed: ${failed.length} problem(s) to fix.`;
  return [head, ...checks.map((c) => `${c.ok ? 'ok  ' : 'FAIL'} ${c.name}: ${c.detail}`)].join('\n');
}
