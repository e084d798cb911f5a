#!/usr/bin/env node
/**
 * An example router for chronosd, with no dependencies (node:http and
 * node:crypto only): it takes the wakes chronosd sends to
 * POST /internal/wake, checks that chronosd signed them, logs each one as a
 * JSON line and answers 200. A real router would wake the agent named by
 * `agent_did` where this one logs.
 *
 * Each wake is checked the way docs/wake.md describes:
 * - the bearer token, when CHRONOS_WAKE_TOKEN is set (chronosd sends its
 *   wake.token as `Authorization: Bearer ...`);
 * - the `webhook-signature` header's `v1a` ed25519 signature over
 *   `<webhook-id>.<webhook-timestamp>.<raw body>`, with the keys chronosd
 *   publishes at GET /.well-known/chronos (fetched on the first wake, and
 *   again when a signature matches none of them: chronosd's keys were
 *   rotated);
 * - a `webhook-timestamp` at most 5 minutes off, so an old wake cannot be
 *   replayed;
 * - a `webhook-id` (the fire_id) already taken is answered 200 and dropped:
 *   delivery is at least once.
 * A bad token or signature is answered 401, which chronosd records as a
 * permanent failure of that occurrence; when no key could be fetched (chronosd
 * unreachable), 503, which chronosd retries along its ladder.
 *
 * Environment:
 *   CHRONOS_URL         chronosd base URLs, comma-separated, tried in turn for the keys (default http://127.0.0.1:8080)
 *   CHRONOS_WAKE_TOKEN  the bearer token chronosd sends (its wake.token); unset: no token is required
 *   HOST, PORT          where to listen (default 0.0.0.0:8090; PORT=0 picks a free port)
 */
import { createPublicKey, timingSafeEqual, verify } from 'node:crypto';
import { createServer } from 'node:http';

const CHRONOS_URLS = (process.env.CHRONOS_URL || 'http://127.0.0.1:8080')
  .split(',')
  .map((u) => u.trim().replace(/\/+$/, ''))
  .filter(Boolean);
const WAKE_TOKEN = process.env.CHRONOS_WAKE_TOKEN || undefined;
if (WAKE_TOKEN !== undefined && WAKE_TOKEN.length < 32) {
  // chronosd sends any wake token it is given; a short one (the placeholder of deploy/env.example) could be guessed.
  process.stderr.write(`router: CHRONOS_WAKE_TOKEN is ${WAKE_TOKEN.length} characters: use at least 32 (node deploy/secrets.mjs makes one)\n`);
  process.exit(2);
}
const HOST = process.env.HOST || '0.0.0.0';
const PORT = Number(process.env.PORT ?? 8090);
/** Standard Webhooks' tolerance: a timestamp further off than this is refused. */
const TOLERANCE_S = 300;
/** A signature that matches no key fetches the keys again, at most this often (forged wakes cannot make it hammer chronosd). */
const REFETCH_EVERY_MS = 10_000;
/** chronosd's wakes are far smaller (payload at most 64 KiB). */
const MAX_BODY_BYTES = 1024 * 1024;
/** How many fire_ids are remembered to drop repeats. */
const SEEN_MAX = 10_000;

function log(level, msg, fields = {}) {
  process.stdout.write(`${JSON.stringify({ time: new Date().toISOString(), level, msg, ...fields })}\n`);
}

let keys = [];
let fetchedAt = 0;
let fetching;

/** The keys chronosd publishes, as node:crypto public keys; throws when no URL answers. */
async function fetchKeys() {
  const errors = [];
  for (const base of CHRONOS_URLS) {
    try {
      const res = await fetch(`${base}/.well-known/chronos`, { signal: AbortSignal.timeout(5_000) });
      if (!res.ok) throw new Error(`answered ${res.status}`);
      const doc = await res.json();
      const published = (doc.keys ?? []).filter((k) => k.alg === 'ed25519' && typeof k.public_key === 'string' && k.public_key.startsWith('whpk_'));
      if (published.length === 0) throw new Error('published no ed25519 key');
      const x = (k) => Buffer.from(k.public_key.slice('whpk_'.length), 'base64').toString('base64url');
      const loaded = published.map((k) => ({ did: k.did, key: createPublicKey({ key: { kty: 'OKP', crv: 'Ed25519', x: x(k) }, format: 'jwk' }) }));
      log('info', 'keys fetched', { from: base, keys: loaded.map((k) => k.did) });
      return loaded;
    } catch (err) {
      errors.push(`${base}: ${err.message}`);
    }
  }
  throw new Error(`no chronosd answered /.well-known/chronos (${errors.join('; ')})`);
}

/** The trusted keys; `again` asks for a fresh copy (at most once per REFETCH_EVERY_MS). */
async function trustedKeys(again) {
  const stale = keys.length === 0 || (again && Date.now() - fetchedAt >= REFETCH_EVERY_MS);
  if (!stale) return keys;
  fetching ??= fetchKeys()
    .then((loaded) => {
      keys = loaded;
      fetchedAt = Date.now();
      return loaded;
    })
    .finally(() => {
      fetching = undefined;
    });
  return fetching;
}

function signedBy(list, signed, header) {
  for (const part of header.split(' ')) {
    if (!part.startsWith('v1a,')) continue;
    const signature = Buffer.from(part.slice(4), 'base64');
    if (signature.length !== 64) continue;
    if (list.some((k) => verify(null, signed, k.key, signature))) return true;
  }
  return false;
}

function sameToken(header) {
  const expected = Buffer.from(`Bearer ${WAKE_TOKEN}`);
  const given = Buffer.from(header ?? '');
  return given.length === expected.length && timingSafeEqual(given, expected);
}

const seen = new Set();
function remember(id) {
  seen.add(id);
  // A Set iterates in insertion order: drop the oldest.
  if (seen.size > SEEN_MAX) seen.delete(seen.values().next().value);
}

function answer(res, status, body, headers = {}) {
  res.writeHead(status, { 'content-type': 'application/json', ...headers });
  res.end(JSON.stringify(body));
}

/** Checks one wake and answers it. */
async function onWake(req, res, raw) {
  if (WAKE_TOKEN !== undefined && !sameToken(req.headers.authorization)) {
    log('warn', 'wake refused', { reason: 'bad wake token' });
    return answer(res, 401, { error: 'bad wake token' });
  }
  const id = req.headers['webhook-id'];
  const timestamp = req.headers['webhook-timestamp'];
  const signature = req.headers['webhook-signature'];
  if (typeof id !== 'string' || typeof timestamp !== 'string' || typeof signature !== 'string') {
    log('warn', 'wake refused', { reason: 'unsigned' });
    return answer(res, 401, { error: 'missing webhook-id, webhook-timestamp or webhook-signature' });
  }
  if (!/^\d+$/.test(timestamp) || Math.abs(Date.now() / 1000 - Number(timestamp)) > TOLERANCE_S) {
    log('warn', 'wake refused', { reason: 'timestamp', fire_id: id, timestamp });
    return answer(res, 401, { error: 'webhook-timestamp is more than 5 minutes off' });
  }
  const signed = Buffer.concat([Buffer.from(`${id}.${timestamp}.`), raw]);
  let trusted;
  try {
    trusted = await trustedKeys(false);
    if (!signedBy(trusted, signed, signature)) trusted = await trustedKeys(true);
  } catch (err) {
    log('error', 'cannot fetch the signing keys', { error: err.message });
    return answer(res, 503, { error: 'signing keys unavailable' }, { 'retry-after': '5' });
  }
  if (!signedBy(trusted, signed, signature)) {
    log('warn', 'wake refused', { reason: 'bad signature', fire_id: id });
    return answer(res, 401, { error: 'bad signature' });
  }
  if (seen.has(id)) {
    log('info', 'duplicate wake dropped', { fire_id: id });
    return answer(res, 200, { ok: true, duplicate: true });
  }
  let wake;
  try {
    wake = JSON.parse(raw.toString('utf8'));
  } catch {
    return answer(res, 400, { error: 'body is not JSON' });
  }
  remember(id);
  // Here a real router wakes the agent `wake.agent_did`, handing it wake_message and payload.
  log('info', 'wake', {
    fire_id: wake.fire_id,
    alarm_id: wake.alarm_id,
    agent_did: wake.agent_did,
    attempt: wake.attempt,
    scheduled_for: wake.scheduled_for,
    label: wake.label,
  });
  return answer(res, 200, { ok: true });
}

const server = createServer((req, res) => {
  const path = (req.url ?? '').split('?')[0];
  if (req.method === 'GET' && path === '/healthz') return answer(res, 200, { status: 'ok' });
  if (path !== '/internal/wake') return answer(res, 404, { error: 'not found' });
  if (req.method !== 'POST') return answer(res, 405, { error: 'POST only' }, { allow: 'POST' });
  const chunks = [];
  let size = 0;
  req.on('data', (chunk) => {
    size += chunk.length;
    if (size > MAX_BODY_BYTES) {
      answer(res, 413, { error: 'body too large' });
      req.destroy();
      return;
    }
    chunks.push(chunk);
  });
  req.on('end', () => {
    if (size > MAX_BODY_BYTES) return;
    onWake(req, res, Buffer.concat(chunks)).catch((err) => {
      log('error', 'wake handler failed', { error: err.message });
      if (!res.headersSent) answer(res, 500, { error: 'internal error' });
    });
  });
});

server.listen(PORT, HOST, () => {
  const { port } = server.address();
  log('info', 'router listening', { url: `http://${HOST}:${port}`, chronos: CHRONOS_URLS, wake_token: WAKE_TOKEN !== undefined });
});

for (const signal of ['SIGTERM', 'SIGINT']) {
  process.on(signal, () => {
    server.close(() => process.exit(0));
    server.closeIdleConnections();
  });
}
