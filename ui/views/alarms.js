/** The alarms, newest first, narrowed by status, tag, target and (for an operator) owner; the filters live in the hash. */
import { useState } from 'preact/hooks';
import { html } from 'htm/preact';
import { CONTRACT } from '../api.js';
import { fromNow, schedule, shortDid, when } from '../format.js';
import { errorText, useLoad } from '../load.js';

const FILTERS = ['status', 'tag', 'target', 'owner'];

/** A select of `options` or any; `value` is selected at first and the field is left to the user after. */
function Choice({ label, name, options, value }) {
  return html`<label>${label}
    <select name=${name}>
      <option value="">any</option>
      ${options.map((o) => html`<option value=${o} selected=${value === o}>${o}</option>`)}
    </select>
  </label>`;
}

export function Alarms({ client, params, onError }) {
  const filters = Object.fromEntries(FILTERS.filter((f) => (f !== 'owner' || client.admin) && params.get(f)).map((f) => [f, params.get(f)]));
  const key = JSON.stringify(filters);
  const [more, setMore] = useState({ key, pages: [] });
  const first = useLoad(() => client.alarms(filters), [client, key], { onError });
  const pages = more.key === key ? more.pages : [];
  const alarms = [...(first.data?.alarms ?? []), ...pages.flatMap((p) => p.alarms)];
  const cursor = pages.length ? pages[pages.length - 1].next_cursor : first.data?.next_cursor;
  const [loadingMore, setLoadingMore] = useState(false);

  async function loadMore() {
    setLoadingMore(true);
    try {
      const page = await client.alarms(filters, cursor);
      setMore({ key, pages: [...pages, page] });
    } catch (err) {
      onError(err);
    } finally {
      setLoadingMore(false);
    }
  }

  function apply(event) {
    event.preventDefault();
    const form = new FormData(event.currentTarget);
    const q = new URLSearchParams();
    for (const f of FILTERS) {
      const v = String(form.get(f) ?? '').trim();
      if (v) q.set(f, v);
    }
    location.hash = `#/alarms${q.size ? `?${q}` : ''}`;
  }

  // The fields are uncontrolled (defaultValue, selected): what is typed while the list loads is kept. A new filter makes a new form.
  return html`
    <section aria-labelledby="alarms-title">
      <h1 id="alarms-title" tabindex="-1">Alarms</h1>
      <form class="filters" role="search" aria-label="Filter alarms" onSubmit=${apply} key=${key}>
        <${Choice} label="Status" name="status" options=${CONTRACT.statuses} value=${filters.status} />
        <label>Tag <input name="tag" defaultValue=${filters.tag ?? ''} spellcheck="false" /></label>
        <${Choice} label="Target" name="target" options=${CONTRACT.targets} value=${filters.target} />
        ${client.admin && html`<label>Owner <input name="owner" defaultValue=${filters.owner ?? ''} placeholder="did:key:…" spellcheck="false" /></label>`}
        <button type="submit">Filter</button>
        ${Object.keys(filters).length > 0 && html`<a href="#/alarms">Clear</a>`}
      </form>
      ${first.error && html`<p class="error" role="alert">${errorText(first.error)}</p>`}
      ${first.data &&
      html`<p class="count" role="status">${alarms.length === 0 ? 'No alarm matches.' : `${alarms.length}${cursor ? '+' : ''} alarm${alarms.length === 1 ? '' : 's'}`}</p>`}
      ${alarms.length > 0 &&
      html`<table class="list alarms">
        <thead>
          <tr>
            <th scope="col">Alarm</th><th scope="col">Schedule</th><th scope="col">Status</th><th scope="col">Next fire</th><th scope="col">Target</th>
            ${client.admin && html`<th scope="col">Owner</th>`}<th scope="col">Tags</th>
          </tr>
        </thead>
        <tbody>
          ${alarms.map(
            (a) => html`<tr>
              <td data-label="Alarm"><a href=${`#/alarms/${a.id}`}>${a.label ?? a.wake_message.slice(0, 60)}</a><br /><code class="id">${a.id}</code></td>
              <td data-label="Schedule">${schedule(a)}</td>
              <td data-label="Status"><span class=${`badge ${a.status}`}>${a.status}</span></td>
              <td data-label="Next fire" title=${when(a.next_fire_at)}>${a.next_fire_at ? fromNow(a.next_fire_at) : '—'}</td>
              <td data-label="Target">${a.target.type}</td>
              ${client.admin && html`<td data-label="Owner"><a href=${`#/alarms?owner=${encodeURIComponent(a.owner)}`} title=${a.owner}>${shortDid(a.owner)}</a></td>`}
              <td data-label="Tags">${a.tags.map((t) => html`<a class="tag" href=${`#/alarms?tag=${encodeURIComponent(t)}`}>${t}</a> `)}</td>
            </tr>`,
          )}
        </tbody>
      </table>`}
      ${cursor && html`<button type="button" onClick=${loadMore} disabled=${loadingMore}>${loadingMore ? 'Loading…' : 'Load more'}</button>`}
    </section>
  `;
}
