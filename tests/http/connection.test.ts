/**
 * Over a real socket: a body refused as too large before it was read to its
 * end closes the connection after the answer, so the client's next request
 * goes on a new connection instead of into a socket the server drops.
 */
import { serve } from '@hono/node-server';
import { connect, type AddressInfo } from 'node:net';
import t from 'tap';
import { testApp, TRANSPORT_TOKEN } from '../helpers/app.js';

const MiB = 1024 * 1024;

async function served(t: { teardown(fn: () => unknown): void }) {
  const h = await testApp(t);
  const { token } = await h.client().principal();
  const server = serve({ fetch: h.app.fetch, port: 0, hostname: '127.0.0.1' });
  await new Promise((resolve) => server.once('listening', resolve));
  t.teardown(() => new Promise((resolve) => server.close(resolve)));
  return { port: (server.address() as AddressInfo).port, token };
}

/** Writes `chunks` to a new socket with a pause before each, and resolves with all the server sent once it ends the socket. */
function exchange(port: number, chunks: string[]): Promise<string> {
  return new Promise((resolve, reject) => {
    const socket = connect(port, '127.0.0.1', async () => {
      for (const chunk of chunks) {
        if (socket.destroyed || socket.writableEnded) break;
        socket.write(chunk);
        await new Promise((r) => setTimeout(r, 5));
      }
    });
    let text = '';
    socket.on('data', (d: Buffer) => (text += d.toString()));
    socket.on('close', () => resolve(text));
    socket.on('error', (err: NodeJS.ErrnoException) => (err.code === 'ECONNRESET' || err.code === 'EPIPE' ? resolve(text) : reject(err)));
  });
}

const chunked = (text: string) => `${Buffer.byteLength(text).toString(16)}\r\n${text}\r\n`;

t.test('a chunked body over the limit, then a second request on the socket: the 413 closes the connection or the second is answered', async (t) => {
  const { port, token } = await served(t);
  const head =
    `POST /v1/alarms HTTP/1.1\r\nHost: chronos\r\nAuthorization: Bearer ${TRANSPORT_TOKEN}\r\nX-Chronos-Principal: ${token}\r\n` +
    'Content-Type: application/json\r\nTransfer-Encoding: chunked\r\n\r\n' + chunked('{"kind":"once","delay":"1h","wake_message":"');
  // 4 MiB in 64 KiB pieces, 5 ms apart: longer than the server spends draining a refused body.
  const pieces = Array.from({ length: 64 }, () => chunked('x'.repeat(64 * 1024)));
  const answer = await exchange(port, [head, ...pieces, chunked('"}') + '0\r\n\r\nGET /healthz HTTP/1.1\r\nHost: chronos\r\n\r\n']);
  t.match(answer, /^HTTP\/1\.1 413 /);
  t.match(answer, /"code":"payload_too_large"/);
  const closes = /^connection: close\r$/im.test(answer.split('\r\n\r\n')[0]!);
  t.ok(closes || /HTTP\/1\.1 200 /.test(answer), 'a 413 that keeps the connection open answers the next request on it');
  t.ok(closes, 'the 413 says Connection: close');
});

t.test('a body a little over the limit is read to its end: 413 on a connection that answers the next request', async (t) => {
  const { port, token } = await served(t);
  const head = (framing: string) =>
    `POST /v1/alarms HTTP/1.1\r\nHost: chronos\r\nAuthorization: Bearer ${TRANSPORT_TOKEN}\r\nX-Chronos-Principal: ${token}\r\nContent-Type: application/json\r\n${framing}\r\n\r\n`;
  const body = `{"kind":"once","delay":"1h","wake_message":"w","payload":"${'x'.repeat(200_000)}"}`;
  const next = 'GET /healthz HTTP/1.1\r\nHost: chronos\r\nConnection: close\r\n\r\n';
  for (const [framing, sent] of [[`Content-Length: ${Buffer.byteLength(body)}`, body], ['Transfer-Encoding: chunked', `${chunked(body)}0\r\n\r\n`]] as const) {
    const answer = await exchange(port, [head(framing) + sent + next]);
    t.match(answer, /^HTTP\/1\.1 413 /, framing);
    t.notMatch(answer.split('\r\n\r\n')[0]!, /connection: close/i, 'the connection is kept');
    t.match(answer, /HTTP\/1\.1 200 OK/, 'the next request on it is answered');
  }
});

t.test('a declared Content-Length over the limit: 413 with Connection: close, the server ends the socket', async (t) => {
  const { port, token } = await served(t);
  const answer = await new Promise<string>((resolve, reject) => {
    const socket = connect(port, '127.0.0.1', () => {
      socket.write(
        `POST /v1/alarms HTTP/1.1\r\nHost: chronos\r\nAuthorization: Bearer ${TRANSPORT_TOKEN}\r\nX-Chronos-Principal: ${token}\r\n` +
          `Content-Type: application/json\r\nContent-Length: ${10 * MiB}\r\n\r\n{"kind":"once"`,
      );
    });
    let text = '';
    socket.on('data', (d: Buffer) => (text += d.toString()));
    socket.on('end', () => resolve(text));
    socket.on('error', reject);
  });
  t.match(answer, /^HTTP\/1\.1 413 /);
  t.match(answer, /\r\nconnection: close\r\n/i);
});
