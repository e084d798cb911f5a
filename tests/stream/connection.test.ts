/**
 * One replica's stream hub on its own (src/stream/hub.ts, connection.ts):
 * pings and silence with short intervals, messages the server cannot use,
 * and the heartbeat of its presence rows.
 */
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { pino } from 'pino';
import t, { type Test } from 'tap';
import WebSocket, { WebSocketServer } from 'ws';
import { WakeAbort } from '../../src/dispatch/abort.js';
import { StreamHub } from '../../src/stream/hub.js';
import { freshDatabase } from '../helpers/db.js';
import { OWNER, testClient } from '../helpers/stream.js';
import { waitFor } from '../helpers/wait.js';

/** A hub on a fresh database behind a bare WebSocket server that admits every connection as OWNER's. */
async function hubServer(t: Test, liveness = { pingMs: 100, silentMs: 1_000 }) {
  const database = await freshDatabase(t);
  const hub = new StreamHub({ db: database.db, replica: 'r1', maxPerOwner: 8, log: pino({ level: process.env.TEST_LOG ?? 'silent' }), heartbeatMs: 60_000, liveness });
  const wss = new WebSocketServer({ noServer: true });
  const server = createServer();
  server.on('upgrade', (req, socket, head) => {
    void hub.admit(OWNER, null).then((listener) => wss.handleUpgrade(req, socket, head, (ws) => void hub.connect(listener, ws)));
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  t.teardown(async () => {
    await hub.stop();
    await new Promise((resolve) => server.close(resolve));
  });
  const url = `ws://127.0.0.1:${(server.address() as AddressInfo).port}/`;
  const connect = async (options: WebSocket.ClientOptions = {}) => {
    const client = testClient(new WebSocket(url, options));
    await client.next((m) => m.json.type === 'ready');
    return client;
  };
  return { database, hub, connect };
}

t.test('messages the server cannot use get a short error back; the connection stays open', async (t) => {
  const { hub, connect } = await hubServer(t, { pingMs: 60_000, silentMs: 120_000 });
  const client = await connect();
  const errors = () => client.received.filter((m) => m.json.type === 'error').map((m) => m.json.code);
  client.send('not json');
  client.send({ type: 'ack' });
  client.send({ type: 'hello', fire_id: 'fir_x' });
  client.send({ type: 'nack', fire_id: 'fir_x', retry: 'yes' });
  client.ws.send(Buffer.from([1, 2, 3]));
  client.send({ type: 'ack', fire_id: 'fir_nothing_sent' });
  client.send({ type: 'pong' });
  await waitFor(async () => (errors().length >= 6 ? true : undefined), 5_000);
  t.same(errors(), ['invalid_json', 'invalid_message', 'invalid_message', 'invalid_message', 'invalid_message', 'unknown_fire_id'], 'one error each; a pong is fine');
  t.match(client.received.find((m) => m.json.code === 'unknown_fire_id')?.json.message, /no wake of fir_nothing_sent awaits an answer/);
  t.equal(client.ws.readyState, WebSocket.OPEN, 'still open');

  // And it still takes wakes: one goes to it, its ack ends the attempt.
  const conn = hub.pick(OWNER, []);
  t.ok(conn, 'picked');
  const answer = conn!.deliver('fir_1', '{"type":"chronos.wake","fire_id":"fir_1"}', 5_000, new WakeAbort());
  await client.next((m) => m.json.fire_id === 'fir_1');
  client.send({ type: 'ack', fire_id: 'fir_1' });
  t.match(await answer, { kind: 'answered', status: 200 });
});

t.test('pings keep a listener that answers them; one that falls silent is dropped and its row removed', async (t) => {
  const { database, connect } = await hubServer(t);
  const lively = await connect();
  const silent = await connect({ autoPong: false });
  let pings = 0;
  lively.ws.on('ping', () => pings++);
  t.equal(await silent.closed, 1006, 'the silent one is cut off (no closing handshake)');
  await waitFor(async () => (pings >= 8 ? true : undefined), 5_000);
  t.equal(lively.ws.readyState, WebSocket.OPEN, `the one that answers ${pings} pings is still open`);
  await waitFor(async () => ((await database.sql`SELECT count(*)::int AS n FROM stream_listeners`)[0]!.n === 1 ? true : undefined), 5_000);
  t.pass('the silent one\'s row is gone, the lively one\'s kept');
});

t.test('a wake waiting for its ack ends when the connection closes, or when the attempt is aborted', async (t) => {
  const { hub, connect } = await hubServer(t, { pingMs: 60_000, silentMs: 120_000 });
  const client = await connect();
  const abort = new WakeAbort();
  const aborted = hub.pick(OWNER, [])!.deliver('fir_a', '{"fire_id":"fir_a"}', 5_000, abort);
  abort.abort('aborted: chronosd was shutting down');
  t.same(await aborted, { kind: 'error', message: 'aborted: chronosd was shutting down' });
  const pending = hub.pick(OWNER, [])!.deliver('fir_b', '{"fire_id":"fir_b"}', 5_000, new WakeAbort());
  await client.next((m) => m.json.fire_id === 'fir_b');
  client.ws.close();
  t.same(await pending, { kind: 'error', message: 'stream listener disconnected before acking' });
  await waitFor(async () => (hub.pick(OWNER, []) === undefined ? true : undefined), 5_000);
  t.pass('no connection left to pick');
});

t.test('the heartbeat writes back a row that was swept while this replica could not refresh it', async (t) => {
  const { database, hub, connect } = await hubServer(t, { pingMs: 60_000, silentMs: 120_000 });
  await connect();
  const [row] = await database.sql`SELECT id FROM stream_listeners`;
  await database.sql`DELETE FROM stream_listeners`;
  await hub.refresh();
  const rows = await database.sql`SELECT id, replica, owner, connected_at IS NOT NULL AS connected FROM stream_listeners`;
  t.same(rows.map((r) => ({ ...r })), [{ id: row!.id, replica: 'r1', owner: OWNER, connected: true }]);
});
