/**
 * The Chronos dashboard (SPEC 11): sign-in, then an overview (lateness,
 * backlog, replicas), the alarms with filters, and one alarm's page with its
 * coming occurrences, its attempts and the actions. Routes live in the
 * location hash (#/alarms?status=paused, #/alarms/alm_...), so a view can be
 * bookmarked and the browser's back button works.
 */
import { render } from 'preact';
import { useEffect, useMemo, useRef, useState } from 'preact/hooks';
import { html } from 'htm/preact';
import { api, clearSession, CONTRACT, loadSession, saveSession } from './api.js';
import { shortDid } from './format.js';
import { Alarm } from './views/alarm.js';
import { Alarms } from './views/alarms.js';
import { Overview } from './views/overview.js';
import { SignIn } from './views/sign-in.js';

/** The view a hash names. */
export function parseRoute(hash) {
  const [path, query = ''] = hash.replace(/^#/, '').split('?');
  const params = new URLSearchParams(query);
  const alarm = /^\/alarms\/([^/]+)$/.exec(path);
  if (alarm) return { view: 'alarm', id: decodeURIComponent(alarm[1]), params };
  if (path === '/alarms') return { view: 'alarms', params };
  return { view: 'overview', params };
}

function useHash() {
  const [hash, setHash] = useState(location.hash);
  useEffect(() => {
    const changed = () => setHash(location.hash);
    addEventListener('hashchange', changed);
    return () => removeEventListener('hashchange', changed);
  }, []);
  return hash;
}

function App() {
  const [session, setSession] = useState(loadSession);
  const [notice, setNotice] = useState(null);
  const hash = useHash();
  const route = parseRoute(hash);
  const client = useMemo(() => (session ? api(session) : null), [session]);
  const main = useRef(null);

  // A new view: its heading takes the focus, so keyboard and screen reader users start there.
  useEffect(() => {
    main.current?.querySelector('h1')?.focus();
  }, [hash, session]);

  const signOut = (message = null) => {
    clearSession();
    setSession(null);
    setNotice(message);
  };
  // A refused token (expired, revoked) ends the session, saying why.
  const failed = (err) => {
    if (err.status === 401) signOut(`Signed out: ${err.message}`);
  };

  if (!client) {
    return html`<${SignIn}
      notice=${notice}
      onSignedIn=${(s) => {
        saveSession(s);
        setNotice(null);
        setSession(s);
      }}
    />`;
  }
  const current = (view) => (route.view === view ? 'page' : undefined);
  return html`
    <a class="skip" href="#main" onClick=${(e) => { e.preventDefault(); main.current?.querySelector('h1')?.focus(); }}>Skip to content</a>
    <header class="top">
      <strong class="brand">Chronos</strong>
      <nav aria-label="Main">
        <a href="#/" aria-current=${current('overview')}>Overview</a>
        <a href="#/alarms" aria-current=${current('alarms') ?? current('alarm')}>Alarms</a>
      </nav>
      <span class="who" title=${client.admin ? 'admin token' : session.did ?? ''}>
        ${client.admin ? 'Operator (all owners)' : `Agent ${session.did ? shortDid(session.did) : ''}`}
      </span>
      <button type="button" class="quiet" onClick=${() => signOut()}>Sign out</button>
    </header>
    <main id="main" ref=${main}>
      ${route.view === 'overview' && html`<${Overview} client=${client} onError=${failed} />`}
      ${route.view === 'alarms' && html`<${Alarms} client=${client} params=${route.params} onError=${failed} />`}
      ${route.view === 'alarm' && html`<${Alarm} key=${route.id} client=${client} id=${route.id} onError=${failed} />`}
    </main>
    <footer class="foot">chronosd ${CONTRACT.version}</footer>
  `;
}

render(html`<${App} />`, document.getElementById('app'));
