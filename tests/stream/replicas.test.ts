/** Stream wakes at volume across replicas (SPEC 8.3): every occurrence reaches one listener once, wherever the listeners are. */
import t from 'tap';
import { freshDatabase } from '../helpers/db.js';
import { fakeRouter } from '../helpers/router.js';
import { agent, connectStream, insertAlarms, REPLICA_SECRETS, startReplica, type TestClient } from '../helpers/stream.js';
import { waitFor } from '../helpers/wait.js';

const AGENTS = 4;
const WAKES = 6_000;

t.test(`3 replicas, ${AGENTS} agents listening twice on every replica, ${WAKES} stream wakes: each fire_id acked exactly once`, async (t) => {
  const database = await freshDatabase(t);
  const router = await fakeRouter(t);
  // A wake timeout far above any ack time here: a timed-out wake is sent again by design (at least once), and this
  // test is about the claim, which must never hand one occurrence to two replicas or two listeners.
  const env = { CHRONOS_WAKE_TIMEOUT: '30s', CHRONOS_LEASE: '60s', CHRONOS_RETRY_LADDER: '200ms, 200ms, 200ms' };
  const replicas = [await startReplica(t, database.url, router.url, env), await startReplica(t, database.url, router.url, env), await startReplica(t, database.url, router.url, env)];
  const acks = new Map<string, number>();
  const byReplica = replicas.map(() => 0);
  const listeners: TestClient[] = [];
  const agents = Array.from({ length: AGENTS }, () => agent(replicas[0]!));
  for (const who of agents) {
    const { token } = await who.principal();
    // Two connections of each agent on each replica: an occurrence goes to one of them, the replica that claimed it picks.
    for (const [i, replica] of [...replicas.entries(), ...replicas.entries()]) {
      const listener = await connectStream(replica.url, { transport: REPLICA_SECRETS.CHRONOS_TRANSPORT_TOKENS, principal: token });
      listener.ws.on('message', (data) => {
        const m = JSON.parse(data.toString()) as { type: string; fire_id: string };
        if (m.type !== 'chronos.wake') return;
        byReplica[i]!++;
        acks.set(m.fire_id, (acks.get(m.fire_id) ?? 0) + 1);
        listener.send({ type: 'ack', fire_id: m.fire_id });
      });
      listeners.push(listener);
    }
  }
  const started = Date.now();
  const ids = (await Promise.all(agents.map((who) => insertAlarms(database, { n: WAKES / AGENTS, at: new Date(), owner: who.did })))).flat();
  await waitFor(async () => ((await database.sql`SELECT count(*)::int AS n FROM alarms WHERE status = 'completed'`)[0]!.n === WAKES ? true : undefined), 50_000, 200);
  t.comment(`${WAKES} wakes acked in ${Date.now() - started} ms; by replica ${byReplica.join(', ')}`);
  t.equal(ids.length, WAKES);
  t.equal(acks.size, WAKES, 'every occurrence reached a listener');
  t.ok([...acks.values()].every((n) => n === 1), 'each fire_id came once, and was acked once');
  t.ok(byReplica.every((n) => n > 0), 'every replica delivered some');
  const ledger = await database.sql`SELECT outcome, count(*)::int AS n FROM fires GROUP BY outcome`;
  t.same(ledger.map((r) => ({ ...r })), [{ outcome: 'delivered', n: WAKES }], 'one delivered attempt each, no failure');
  t.equal(router.received.length, 0, 'none went to the router');
});
