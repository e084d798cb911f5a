/**
 * GET /ui (SPEC 11): the dashboard's files, from the package's ui/ folder and
 * its front-end dependencies (Preact, htm, uPlot) in node_modules, read once
 * at start and served from memory, never from a CDN. The page's import map is
 * the one inline script; the Content-Security-Policy allows it by its hash and
 * nothing else inline. What the page must know of the contract (statuses,
 * target types, which action each status allows) is written into it from the
 * schemas and the transition table.
 */
import { createHash } from 'node:crypto';
import { readdirSync, readFileSync } from 'node:fs';
import { extname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { Context, Hono } from 'hono';
import { TargetType } from '../api/alarms.js';
import { allows, STATUSES, type Verb } from '../alarms/states.js';
import type { AppEnv } from './env.js';

const UI_DIR = fileURLToPath(new URL('../../ui/', import.meta.url));

/** The front-end dependencies, by the name the page loads them under; resolved as an import, to their ES modules. */
const VENDOR: Record<string, string> = {
  'preact.mjs': 'preact',
  'hooks.mjs': 'preact/hooks',
  'htm.mjs': 'htm',
  'htm-preact.mjs': 'htm/preact',
  'uPlot.iife.min.js': 'uplot/dist/uPlot.iife.min.js',
  'uPlot.min.css': 'uplot/dist/uPlot.min.css',
};

const TYPES: Record<string, string> = {
  '.html': 'text/html; charset=utf-8',
  '.js': 'text/javascript; charset=utf-8',
  '.mjs': 'text/javascript; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
  '.svg': 'image/svg+xml',
};

/** The actions the page offers: verbs of the transition table, which says the statuses each one is allowed from. */
const ACTIONS = ['pause', 'resume', 'fire', 'cancel'] as const satisfies readonly Verb[];

interface Asset {
  readonly body: Buffer;
  readonly type: string;
  readonly etag: string;
}

const asset = (body: Buffer, type: string): Asset => ({ body, type, etag: `"${createHash('sha256').update(body).digest('base64url').slice(0, 22)}"` });

/** Every file of the dashboard by its path under /ui/, and the page's Content-Security-Policy. */
export function loadUi(version: string): { files: Map<string, Asset>; csp: string } {
  const files = new Map<string, Asset>();
  for (const name of readdirSync(UI_DIR, { recursive: true, encoding: 'utf8' })) {
    const type = TYPES[extname(name)];
    if (type && name !== 'index.html') files.set(name.split('\\').join('/'), asset(readFileSync(join(UI_DIR, name)), type));
  }
  for (const [name, specifier] of Object.entries(VENDOR)) files.set(`vendor/${name}`, asset(readFileSync(fileURLToPath(import.meta.resolve(specifier))), TYPES[extname(name)]!));
  const contract = {
    version,
    statuses: STATUSES,
    targets: TargetType.options,
    actions: Object.fromEntries(ACTIONS.map((verb) => [verb, STATUSES.filter((s) => allows(verb, s))])),
  };
  // JSON in a non-executable script element: "<" escaped so no text can close the element.
  const config = `<script type="application/json" id="chronos-contract">${JSON.stringify(contract).replace(/</g, '\\u003c')}</script>`;
  const html = readFileSync(join(UI_DIR, 'index.html'), 'utf8').replace('<!--chronos-contract-->', config);
  files.set('', asset(Buffer.from(html), TYPES['.html']!));
  const importMap = /<script type="importmap">([\s\S]*?)<\/script>/.exec(html)?.[1];
  if (importMap === undefined) throw new Error('ui/index.html has no import map');
  const hash = createHash('sha256').update(importMap).digest('base64');
  const csp = [
    "default-src 'none'",
    `script-src 'self' 'sha256-${hash}'`,
    "style-src 'self'",
    "img-src 'self' data:",
    "connect-src 'self'",
    "base-uri 'none'",
    "form-action 'none'",
    "frame-ancestors 'none'",
  ].join('; ');
  return { files, csp };
}

/** Serves the dashboard under /ui/ (and /ui, redirected there so its relative links resolve). */
export function serveUi(app: Hono<AppEnv>, version: string): void {
  const { files, csp } = loadUi(version);
  app.get('/ui', (c) => c.redirect('/ui/', 301));
  const serve = (c: Context<AppEnv>) => {
    const file = files.get(c.req.path.slice('/ui/'.length));
    if (!file) return c.json({ ok: false, error: { code: 'not_found', message: `no dashboard file ${c.req.path}` } }, 404);
    const headers: Record<string, string> = {
      'Content-Type': file.type,
      ETag: file.etag,
      // Revalidated on each load (the ETag makes that a 304), so a new version is picked up at once.
      'Cache-Control': 'no-cache',
      'X-Content-Type-Options': 'nosniff',
      'Referrer-Policy': 'no-referrer',
    };
    if (file.type.startsWith('text/html')) headers['Content-Security-Policy'] = csp;
    if (c.req.header('if-none-match') === file.etag) return c.body(null, 304, headers);
    return c.body(new Uint8Array(file.body), 200, headers);
  };
  app.get('/ui/*', serve);
}
