/**
 * The overview: how late wakes were per minute and the due backlog (the
 * numbers of /metrics), and, for an operator, the alarms by status, the
 * attempts by outcome, the replicas and the owners with most alarms.
 * Refreshed every 10 s while shown.
 */
import { useMemo, useState } from 'preact/hooks';
import { html } from 'htm/preact';
import { count, fromNow, ms, shortDid } from '../format.js';
import { errorText, useLoad } from '../load.js';
import { Plot } from './plot.js';

const WINDOWS = [
  [15, '15 minutes'],
  [60, '1 hour'],
  [360, '6 hours'],
  [1440, '24 hours'],
];

async function loadOverview(client, minutes) {
  const [lateness, status] = await Promise.all([client.lateness(minutes), client.admin ? client.status() : null]);
  return { lateness, status };
}

export function Overview({ client, onError }) {
  const [minutes, setMinutes] = useState(60);
  const { data, error, loading, reload } = useLoad(() => loadOverview(client, minutes), [client, minutes], { onError, everyMs: 10_000 });
  return html`
    <section aria-labelledby="overview-title">
      <div class="title-row">
        <h1 id="overview-title" tabindex="-1">Overview</h1>
        <label class="inline">Window
          <select value=${minutes} onChange=${(e) => setMinutes(Number(e.currentTarget.value))}>
            ${WINDOWS.map(([m, label]) => html`<option value=${m}>${label}</option>`)}
          </select>
        </label>
        <button type="button" class="quiet" onClick=${reload} disabled=${loading}>Refresh</button>
      </div>
      ${error && html`<p class="error" role="alert">${errorText(error)}</p>`}
      ${data && html`<${Numbers} data=${data} />`}
      ${data && html`<${LatenessPlots} lateness=${data.lateness} admin=${client.admin} />`}
      ${data?.status && html`<${Replicas} replicas=${data.status.replicas} />`}
      ${data?.status && html`<${TopOwners} owners=${data.status.top_owners} />`}
    </section>
  `;
}

function Numbers({ data }) {
  const { lateness, status } = data;
  const wakes = lateness.points.reduce((a, p) => a + p.wakes, 0);
  const worst = lateness.points.reduce((a, p) => (p.p99_ms !== null && p.p99_ms > a ? p.p99_ms : a), 0);
  const sum = (o) => Object.values(o).reduce((a, b) => a + b, 0);
  return html`
    <dl class="cards">
      <div><dt>Due backlog</dt><dd data-testid="backlog">${count(lateness.backlog_now)}</dd></div>
      ${status && html`<div><dt>Oldest due</dt><dd>${status.due.oldest_lateness_ms === null ? 'none' : `${ms(status.due.oldest_lateness_ms)} late`}</dd></div>`}
      <div><dt>Wakes in window</dt><dd>${count(wakes)}</dd></div>
      <div><dt>Worst minute p99</dt><dd>${wakes ? ms(worst) : '—'}</dd></div>
      ${status && html`<div><dt>Attempts, last hour</dt><dd>${count(sum(status.attempts.last_hour))} <small>(${count(status.attempts.last_hour.failed)} failed)</small></dd></div>`}
      ${status &&
      html`<div class="wide"><dt>Alarms by status</dt><dd>
        ${Object.entries(status.alarms.by_status).map(([s, n]) => html`<a class="pill" href=${`#/alarms?status=${s}`}><span class=${`badge ${s}`}>${s}</span> ${count(n)}</a> `)}
      </dd></div>`}
    </dl>
  `;
}

function LatenessPlots({ lateness, admin }) {
  const times = useMemo(() => lateness.points.map((p) => Date.parse(p.at)), [lateness]);
  const late = useMemo(
    () => [
      { label: 'p50', values: lateness.points.map((p) => p.p50_ms) },
      { label: 'p99', values: lateness.points.map((p) => p.p99_ms) },
    ],
    [lateness],
  );
  const backlog = useMemo(() => [{ label: 'backlog', values: lateness.points.map((p) => p.backlog) }], [lateness]);
  const who = admin ? 'every replica\'s' : 'your';
  return html`
    <div class="plots">
      <${Plot} title="Lateness" caption=${`: ${who} first attempts per minute, from scheduled time to answer (the buckets of chronos_wake_lateness_seconds).`} times=${times} series=${late} log=${true} format=${ms} />
      ${admin && html`<${Plot} title="Due backlog" caption=": alarms due and not yet claimed, the largest count of each minute (chronos_due_backlog)." times=${times} series=${backlog} format=${count} />`}
    </div>
  `;
}

function Replicas({ replicas }) {
  return html`
    <h2>Replicas <small>(${replicas.length} seen in the last 30 s)</small></h2>
    <table class="list">
      <thead><tr><th scope="col">Replica</th><th scope="col">Version</th><th scope="col">Dispatch</th><th scope="col">Wakes in flight</th><th scope="col">Started</th><th scope="col">Seen</th></tr></thead>
      <tbody>
        ${replicas.map(
          (r) => html`<tr>
            <td data-label="Replica"><code>${r.id}</code></td>
            <td data-label="Version">${r.version}</td>
            <td data-label="Dispatch">${r.dispatch}</td>
            <td data-label="In flight">${count(r.in_flight)}</td>
            <td data-label="Started">${fromNow(r.started_at)}</td>
            <td data-label="Seen">${fromNow(r.seen_at)}</td>
          </tr>`,
        )}
      </tbody>
    </table>
  `;
}

function TopOwners({ owners }) {
  if (owners.length === 0) return null;
  return html`
    <h2>Owners with most active alarms</h2>
    <table class="list">
      <thead><tr><th scope="col">Owner</th><th scope="col">Active alarms</th></tr></thead>
      <tbody>
        ${owners.map((o) => html`<tr><td data-label="Owner"><a href=${`#/alarms?owner=${encodeURIComponent(o.owner)}`} title=${o.owner}>${shortDid(o.owner)}</a></td><td data-label="Active">${count(o.active)}</td></tr>`)}
      </tbody>
    </table>
  `;
}
