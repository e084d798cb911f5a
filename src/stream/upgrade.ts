/**
 * GET /v1/stream's WebSocket upgrade (SPEC 8.3). The request goes through
 * the app first, like any API call: the same transport and principal checks,
 * rate limit, error codes and envelope; its handler (http/routes/stream.ts)
 * admits the connection under the per-owner cap. Only a request the app
 * admitted is upgraded; any other gets the app's answer as plain HTTP, before
 * any upgrade. Browsers cannot set headers on a WebSocket, so the tokens may
 * come as the query parameters `access_token` and `principal` instead.
 */
import { Server, STATUS_CODES, ServerResponse, type IncomingMessage } from 'node:http';
import type { Duplex } from 'node:stream';
import type { ServerType } from '@hono/node-server';
import type { Logger } from 'pino';
import { WebSocketServer } from 'ws';
import type { ListenerRow } from '../store/stream.js';
import type { StreamHub } from './hub.js';

/** The stream's path. */
export const STREAM_PATH = '/v1/stream';

/** What the app's handler of GET /v1/stream finds in its environment when the request is an upgrade. */
export interface StreamUpgrade {
  /** False when this replica serves no stream (it dispatches nothing, or it is shutting down). */
  readonly available: boolean;
  /** Admits the caller's connection (throws 429 too_many_connections over the cap); the upgrade follows the handler's answer. */
  admit(owner: string, tags: readonly string[] | null): Promise<void>;
}

const UPGRADE = Symbol('chronos.stream.upgrade');

/** The upgrade the request is, or undefined for an ordinary request (`c.env` of the app's handler). */
export function streamUpgradeOf(env: unknown): StreamUpgrade | undefined {
  return typeof env === 'object' && env !== null ? (env as { [UPGRADE]?: StreamUpgrade })[UPGRADE] : undefined;
}

/** What the upgrades need. */
export interface StreamUpgradeOptions {
  /** The app (buildApp(...).fetch), called as @hono/node-server calls it, with the upgrade in its environment. */
  readonly fetch: (request: Request, env: unknown) => Response | Promise<Response>;
  /** This replica's listeners; undefined when it dispatches nothing. */
  readonly hub: StreamHub | undefined;
  readonly log: Logger;
}

// Listeners send acks, nacks and pongs: a few hundred bytes. A larger message closes the connection (1009).
const MAX_MESSAGE_BYTES = 16 * 1024;
// Response headers the raw answer writes itself.
const OWN_HEADERS = new Set(['connection', 'content-length', 'transfer-encoding', 'keep-alive']);

/**
 * Serves WebSocket upgrades of STREAM_PATH on `server`. A request with an
 * Upgrade header for any other path (or another protocol, such as h2c) is
 * served as an ordinary request, as it was without this handler.
 */
export function serveStreamUpgrades(server: ServerType, o: StreamUpgradeOptions): void {
  // WebSockets upgrade HTTP/1.1 connections: the daemon's server is one (@hono/node-server without createServer).
  if (!(server instanceof Server)) throw new Error('the stream needs an HTTP/1.1 server');
  const wss = new WebSocketServer({ noServer: true, maxPayload: MAX_MESSAGE_BYTES });
  server.on('upgrade', (req: IncomingMessage, socket: Duplex, head: Buffer) => {
    const path = new URL(req.url ?? '/', 'http://localhost').pathname;
    if (path !== STREAM_PATH || req.headers.upgrade?.toLowerCase() !== 'websocket') return serveOrdinary(server, req, socket);
    upgrade(wss, o, req, socket, head).catch((err: unknown) => {
      o.log.error({ err }, 'stream upgrade failed');
      writeAnswer(socket, new Response(null, { status: 500 }), Buffer.alloc(0));
    });
  });
}

async function upgrade(wss: WebSocketServer, o: StreamUpgradeOptions, req: IncomingMessage, socket: Duplex, head: Buffer): Promise<void> {
  // Until ws owns the socket, a client that goes away must not crash the process with an unhandled error.
  const ignore = () => {};
  socket.on('error', ignore);
  let admitted: ListenerRow | undefined;
  const hub = o.hub;
  const streamUpgrade: StreamUpgrade = {
    available: hub?.accepting ?? false,
    admit: async (owner, tags) => {
      admitted = await hub!.admit(owner, tags);
    },
  };
  const response = await o.fetch(appRequest(req), { incoming: req, outgoing: undefined, [UPGRADE]: streamUpgrade });
  const listener = admitted;
  if (!listener || !hub || !response.ok) {
    if (listener) hub?.abandon(listener);
    return writeAnswer(socket, response, Buffer.from(await response.arrayBuffer()));
  }
  if (socket.destroyed) return hub.abandon(listener);
  let upgraded = false;
  // ws answers a bad handshake (a wrong Sec-WebSocket-Key, say) itself and destroys the socket without calling back.
  socket.once('close', () => {
    if (!upgraded) hub.abandon(listener);
  });
  wss.handleUpgrade(req, socket, head, (ws) => {
    upgraded = true;
    socket.off('error', ignore);
    void hub.connect(listener, ws);
  });
}

/** The app's view of the upgrade request: tokens from the query moved into the headers (unless given there), and out of the URL, so no log shows them. */
function appRequest(req: IncomingMessage): Request {
  const url = new URL(req.url ?? '/', `http://${req.headers.host ?? 'localhost'}`);
  const headers = new Headers();
  for (const [name, value] of Object.entries(req.headers)) {
    if (value !== undefined) headers.set(name, Array.isArray(value) ? value.join(', ') : value);
  }
  const transport = url.searchParams.get('access_token');
  const principal = url.searchParams.get('principal');
  if (transport !== null && !headers.has('authorization')) headers.set('authorization', `Bearer ${transport}`);
  if (principal !== null && !headers.has('x-chronos-principal')) headers.set('x-chronos-principal', principal);
  url.searchParams.delete('access_token');
  url.searchParams.delete('principal');
  return new Request(url, { method: req.method ?? 'GET', headers });
}

/** Writes the app's answer to a refused upgrade as plain HTTP, and closes the connection. */
function writeAnswer(socket: Duplex, response: Response, body: Buffer): void {
  if (socket.destroyed) return;
  const lines = [`HTTP/1.1 ${response.status} ${STATUS_CODES[response.status] ?? ''}`];
  response.headers.forEach((value, name) => {
    if (!OWN_HEADERS.has(name)) lines.push(`${name}: ${value}`);
  });
  lines.push(`Content-Length: ${body.length}`, 'Connection: close', '', '');
  socket.end(Buffer.concat([Buffer.from(lines.join('\r\n'), 'latin1'), body]));
}

/**
 * Serves a request that asked for an upgrade we do not do, as Node would
 * without an 'upgrade' listener: through the server's request handler, on a
 * response bound to the socket. Its body, if any, is not read (the parser let
 * go of the socket): such a request is answered 400.
 */
function serveOrdinary(server: Server, req: IncomingMessage, socket: Duplex): void {
  socket.on('error', () => {});
  const res = new ServerResponse(req);
  res.shouldKeepAlive = false;
  res.assignSocket(socket as never);
  res.on('finish', () => {
    res.detachSocket(socket as never);
    socket.end();
  });
  const hasBody = req.headers['content-length'] !== undefined ? req.headers['content-length'] !== '0' : req.headers['transfer-encoding'] !== undefined;
  if (hasBody) {
    res.writeHead(400, { 'content-type': 'application/json' });
    res.end(JSON.stringify({ ok: false, error: { code: 'invalid_request', message: 'a request with a body cannot ask for an Upgrade here: send it without the Upgrade header' } }));
    return;
  }
  // The parser marks an upgrade request complete without an end: the handler reads no body from it.
  req.push(null);
  server.emit('request', req, res);
}
