/** Sign-in: an operator's admin token, or an agent's transport token and principal token; checked by one read before it is kept. */
import { useState } from 'preact/hooks';
import { html } from 'htm/preact';
import { api } from '../api.js';
import { errorText } from '../load.js';

/** The DID a principal token names (its payload is base64url JSON with `sub`), for the header; null when it cannot be read. */
function didOf(principalToken) {
  try {
    const payload = principalToken.split('.')[1].replace(/-/g, '+').replace(/_/g, '/');
    return JSON.parse(atob(payload)).sub ?? null;
  } catch {
    return null;
  }
}

export function SignIn({ notice, onSignedIn }) {
  const [mode, setMode] = useState('admin');
  const [error, setError] = useState(null);
  const [busy, setBusy] = useState(false);

  async function submit(event) {
    event.preventDefault();
    const form = new FormData(event.currentTarget);
    const value = (name) => String(form.get(name) ?? '').trim();
    const session =
      mode === 'admin'
        ? { mode, adminToken: value('admin') }
        : { mode, transportToken: value('transport'), principalToken: value('principal'), did: didOf(value('principal')) };
    setBusy(true);
    setError(null);
    try {
      await api(session).check();
      onSignedIn(session);
    } catch (err) {
      setError(err);
    } finally {
      setBusy(false);
    }
  }

  return html`
    <main class="sign-in">
      <h1 tabindex="-1">Chronos</h1>
      <p class="lead">Sign in to see alarms, their attempts and how late wakes are.</p>
      ${notice && html`<p class="notice" role="status">${notice}</p>`}
      <form onSubmit=${submit}>
        <fieldset>
          <legend>Sign in as</legend>
          <label class="choice"><input type="radio" name="mode" value="admin" checked=${mode === 'admin'} onChange=${() => setMode('admin')} /> Operator: every owner's alarms</label>
          <label class="choice"><input type="radio" name="mode" value="agent" checked=${mode === 'agent'} onChange=${() => setMode('agent')} /> Agent: one DID's own alarms</label>
        </fieldset>
        ${mode === 'admin'
          ? html`<label>Admin token <input name="admin" type="password" autocomplete="off" required spellcheck="false" /></label>
              <p class="hint">One of <code>CHRONOS_ADMIN_TOKENS</code>, the part after <code>name:</code>.</p>`
          : html`<label>Transport token <input name="transport" type="password" autocomplete="off" required spellcheck="false" /></label>
              <label>Principal token <input name="principal" type="password" autocomplete="off" required spellcheck="false" /></label>
              <p class="hint">The agent's principal token, from <code>POST /v1/auth/verify</code> (<code>chronos dev</code> prints one).</p>`}
        ${error && html`<p class="error" role="alert">${errorText(error)}</p>`}
        <button type="submit" disabled=${busy}>${busy ? 'Signing in…' : 'Sign in'}</button>
      </form>
    </main>
  `;
}
