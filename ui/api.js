/**
 * The dashboard's calls to the chronosd API: as an operator (an admin token,
 * every owner's alarms under /v1/admin) or as one agent (the transport token
 * and its principal token, its own alarms under /v1). The session lives in
 * sessionStorage: it ends with the tab, and no token is ever in a URL.
 */
const SESSION_KEY = 'chronos.dashboard.session';
// The page is served at /ui/: the API is its sibling, wherever a proxy mounts both.
const ROOT = new URL('../', document.baseURI);

/** What the server wrote into the page from its schemas and its transition table. */
export const CONTRACT = JSON.parse(document.getElementById('chronos-contract').textContent);

/** The signed-in session, or null. */
export function loadSession() {
  try {
    return JSON.parse(sessionStorage.getItem(SESSION_KEY) ?? 'null');
  } catch {
    return null;
  }
}

export function saveSession(session) {
  sessionStorage.setItem(SESSION_KEY, JSON.stringify(session));
}

export function clearSession() {
  sessionStorage.removeItem(SESSION_KEY);
}

/** An error answer of the API, with its code and message as chronosd wrote them. */
export class ApiError extends Error {
  constructor(status, code, message) {
    super(message);
    this.status = status;
    this.code = code;
  }
}

/** The calls a session may make. */
export function api(session) {
  const admin = session.mode === 'admin';
  const headers = admin
    ? { Authorization: `Bearer ${session.adminToken}` }
    : { Authorization: `Bearer ${session.transportToken}`, 'X-Chronos-Principal': session.principalToken };

  async function call(method, path, query = {}) {
    const url = new URL(path, ROOT);
    for (const [k, v] of Object.entries(query)) if (v !== undefined && v !== null && v !== '') url.searchParams.set(k, String(v));
    let res;
    try {
      res = await fetch(url, { method, headers });
    } catch {
      throw new ApiError(0, 'unreachable', 'chronosd did not answer; is it running?');
    }
    let body;
    try {
      body = await res.json();
    } catch {
      throw new ApiError(res.status, 'bad_answer', `chronosd answered ${res.status} without JSON`);
    }
    if (!res.ok || body.ok === false) throw new ApiError(res.status, body.error?.code ?? 'error', body.error?.message ?? `HTTP ${res.status}`);
    return body.data;
  }

  const list = admin ? 'v1/admin/alarms' : 'v1/alarms';
  const one = (id) => `${list}/${encodeURIComponent(id)}`;
  return {
    admin,
    /** Proves the tokens: a read every session may make. */
    check: () => (admin ? call('GET', 'v1/admin/status') : call('GET', 'v1/alarms', { limit: 1 })),
    alarms: (filters, cursor) => call('GET', list, { ...filters, cursor, limit: 50 }),
    alarm: (id) => call('GET', one(id)),
    fires: (id, cursor) => call('GET', `${one(id)}/fires`, { cursor, limit: 50 }),
    preview: (id) => call('GET', `${one(id)}/preview`, { count: 10 }),
    /** pause, resume, fire or cancel (an agent cancels with DELETE, as its API says). */
    act: (id, action) => (action === 'cancel' && !admin ? call('DELETE', one(id)) : call('POST', `${one(id)}/${action}`)),
    status: () => call('GET', 'v1/admin/status'),
    lateness: (minutes) => call('GET', admin ? 'v1/admin/lateness' : 'v1/lateness', { minutes }),
  };
}
