/**
 * One alarm: what it is, its coming occurrences, every attempt, and the
 * actions its status allows (the server's transition table decides which),
 * each confirmed first. After "fire now" the page watches for the attempt.
 */
import { useState } from 'preact/hooks';
import { html } from 'htm/preact';
import { CONTRACT } from '../api.js';
import { fromNow, ms, schedule, when } from '../format.js';
import { errorText, useLoad } from '../load.js';
import { Confirm } from './confirm.js';

const ASKS = {
  pause: { title: 'Pause this alarm?', text: 'Nothing fires until it is resumed; occurrences missed meanwhile follow its misfire policy.', confirm: 'Pause' },
  resume: { title: 'Resume this alarm?', text: 'It fires again from its next occurrence; the ones missed while paused follow its misfire policy.', confirm: 'Resume' },
  fire: { title: 'Fire this alarm now?', text: 'One extra wake goes out now, with a fire_id of its own; the schedule stays as it is.', confirm: 'Fire now' },
  cancel: { title: 'Cancel this alarm?', text: 'It never fires again. This cannot be undone.', confirm: 'Cancel alarm', danger: true },
};
const DONE = { pause: 'Paused.', resume: 'Resumed.', cancel: 'Cancelled.' };
const WATCH_MS = 20_000;

async function loadAlarm(client, id) {
  const [alarm, fires, preview] = await Promise.all([client.alarm(id), client.fires(id), client.preview(id)]);
  return { alarm, fires, preview };
}

const sleep = (ms) => new Promise((resolve) => setTimeout(resolve, ms));

export function Alarm({ client, id, onError }) {
  const { data, error, reload } = useLoad(() => loadAlarm(client, id), [client, id], { onError });
  const [ask, setAsk] = useState(null);
  const [message, setMessage] = useState(null);
  const [failure, setFailure] = useState(null);

  /** After a fire: the page reloads until an attempt of the new fire_id shows, for at most WATCH_MS. */
  async function watch(fireId) {
    const until = Date.now() + WATCH_MS;
    while (Date.now() < until) {
      await sleep(500);
      const { fires } = await client.fires(id);
      const attempt = fires.find((f) => f.fire_id === fireId);
      if (attempt) {
        await reload();
        return `Fired: attempt ${attempt.attempt} ${attempt.outcome}${attempt.status_code ? ` (HTTP ${attempt.status_code})` : ''}.`;
      }
    }
    await reload();
    return `Fired (${fireId}); no attempt yet: it shows below once the wake is sent.`;
  }

  async function act(action) {
    setAsk(null);
    setFailure(null);
    setMessage(`${ASKS[action].confirm}…`);
    try {
      const answer = await client.act(id, action);
      if (action === 'fire') {
        setMessage(`Fire now: ${answer.fire_id}, waiting for its attempt…`);
        setMessage(await watch(answer.fire_id));
      } else {
        await reload();
        setMessage(DONE[action]);
      }
    } catch (err) {
      setMessage(null);
      setFailure(err);
      onError(err);
    }
  }

  if (error && !data) return html`<section><h1 tabindex="-1">Alarm <code>${id}</code></h1><p class="error" role="alert">${errorText(error)}</p><p><a href="#/alarms">All alarms</a></p></section>`;
  if (!data) return html`<section><h1 tabindex="-1">Alarm <code>${id}</code></h1><p role="status">Loading…</p></section>`;
  const { alarm, fires, preview } = data;
  const actions = Object.keys(ASKS).filter((a) => CONTRACT.actions[a]?.includes(alarm.status));
  return html`
    <section aria-labelledby="alarm-title">
      <p><a href="#/alarms">← All alarms</a></p>
      <div class="title-row">
        <h1 id="alarm-title" tabindex="-1">${alarm.label ?? 'Alarm'} <span class=${`badge ${alarm.status}`} data-testid="status">${alarm.status}</span></h1>
      </div>
      <div class="actions" role="group" aria-label="Actions">
        ${actions.map((a) => html`<button type="button" class=${ASKS[a].danger ? 'danger' : ''} onClick=${() => setAsk(a)}>${ASKS[a].confirm}</button>`)}
        ${actions.length === 0 && html`<span class="hint">No action: the alarm is ${alarm.status}.</span>`}
      </div>
      <p class="notice" role="status" aria-live="polite">${message ?? ''}</p>
      ${failure && html`<p class="error" role="alert">${errorText(failure)}</p>`}
      <${Confirm} ask=${ask && ASKS[ask]} onConfirm=${() => act(ask)} onCancel=${() => setAsk(null)} />
      <${Details} alarm=${alarm} admin=${client.admin} />
      <h2>Coming occurrences</h2>
      ${preview.occurrences.length === 0
        ? html`<p>None: ${alarm.status === 'paused' ? 'its schedule has ended.' : `the alarm is ${alarm.status}.`}</p>`
        : html`<ol class="occurrences">
            ${preview.occurrences.map((o) => html`<li><time datetime=${o.at}>${o.local.replace('T', ' ').replace(/\.000/, '')}</time> <small>(${fromNow(o.at)})</small></li>`)}
          </ol>`}
      <${Attempts} key=${fires.fires[0]?.id ?? "none"} client=${client} id=${id} first=${fires} onError=${onError} />
    </section>
  `;
}

function Details({ alarm, admin }) {
  const rows = [
    ['Id', html`<code>${alarm.id}</code>`],
    admin && ['Owner', html`<a href=${`#/alarms?owner=${encodeURIComponent(alarm.owner)}`}><code>${alarm.owner}</code></a>`],
    ['Schedule', schedule(alarm)],
    ['Next fire', alarm.next_fire_at ? html`${when(alarm.next_fire_at)} <small>(${fromNow(alarm.next_fire_at)})</small>` : '—'],
    ['Target', alarm.target.type === 'webhook' ? `webhook ${alarm.target.endpoint}` : alarm.target.type],
    ['Misfire policy', alarm.misfire],
    ['Fired', `${alarm.fire_count}${alarm.max_fires !== null ? ` of ${alarm.max_fires}` : ''} time${alarm.fire_count === 1 ? '' : 's'}${alarm.last_fired_at ? `, last ${fromNow(alarm.last_fired_at)}` : ''}`],
    alarm.last_error && ['Last error', alarm.last_error],
    ['Tags', alarm.tags.length ? alarm.tags.join(', ') : '—'],
    alarm.conversation_id && ['Conversation', alarm.conversation_id],
    ['Wake message', html`<span class="pre">${alarm.wake_message}</span>`],
    ['Payload', html`<code class="pre">${JSON.stringify(alarm.payload)}</code>`],
    ['Created', when(alarm.created_at)],
  ].filter(Boolean);
  return html`<dl class="details">${rows.map(([k, v]) => html`<div><dt>${k}</dt><dd>${v}</dd></div>`)}</dl>`;
}

function Attempts({ client, id, first, onError }) {
  const [pages, setPages] = useState([]);
  const fires = [...first.fires, ...pages.flatMap((p) => p.fires)];
  const cursor = pages.length ? pages[pages.length - 1].next_cursor : first.next_cursor;
  async function loadMore() {
    try {
      setPages([...pages, await client.fires(id, cursor)]);
    } catch (err) {
      onError(err);
    }
  }
  return html`
    <h2>Attempts <small>(newest first)</small></h2>
    ${fires.length === 0
      ? html`<p data-testid="no-attempts">No attempt yet.</p>`
      : html`<table class="list attempts">
          <thead><tr><th scope="col">Started</th><th scope="col">Fire</th><th scope="col">Attempt</th><th scope="col">Outcome</th><th scope="col">HTTP</th><th scope="col">Late by</th><th scope="col">Took</th><th scope="col">Error</th></tr></thead>
          <tbody>
            ${fires.map(
              (f) => html`<tr data-fire-id=${f.fire_id}>
                <td data-label="Started" title=${f.started_at}>${when(f.started_at)}</td>
                <td data-label="Fire"><code>${f.fire_id}</code>${f.manual ? html` <span class="tag">fire now</span>` : ''}</td>
                <td data-label="Attempt">${f.attempt}</td>
                <td data-label="Outcome"><span class=${`badge ${f.outcome}`}>${f.outcome}</span></td>
                <td data-label="HTTP">${f.status_code ?? '—'}</td>
                <td data-label="Late by">${f.finished_at ? ms(Date.parse(f.finished_at) - Date.parse(f.scheduled_for)) : '—'}</td>
                <td data-label="Took">${ms(f.duration_ms)}</td>
                <td data-label="Error">${f.error ?? ''}</td>
              </tr>`,
            )}
          </tbody>
        </table>`}
    ${cursor && html`<button type="button" onClick=${loadMore}>Load more attempts</button>`}
  `;
}
