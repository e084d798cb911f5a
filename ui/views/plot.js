/**
 * A time plot drawn by uPlot (a canvas), with a caption that says what it
 * shows in words and the numbers as a table behind a disclosure, since a
 * canvas says nothing to a screen reader.
 */
import { useEffect, useRef } from 'preact/hooks';
import { html } from 'htm/preact';
import { hhmm } from '../format.js';

const COLORS = ['#2563eb', '#dc2626', '#059669'];

/** `times` in ms; `series`: [{label, values, unit}], values null where there is nothing to plot. */
export function Plot({ title, caption, times, series, log = false, format = String }) {
  const box = useRef(null);
  useEffect(() => {
    const el = box.current;
    if (!el || !window.uPlot) return undefined;
    const width = () => Math.max(280, el.clientWidth);
    const plot = new window.uPlot(
      {
        width: width(),
        height: 200,
        scales: { x: { time: true }, y: log ? { distr: 3 } : { range: (_u, min, max) => [0, Math.max(1, max)] } },
        axes: [{}, { values: (_u, ticks) => ticks.map((v) => (v === null ? '' : format(v))), size: 64 }],
        series: [{}, ...series.map((s, i) => ({ label: s.label, stroke: COLORS[i % COLORS.length], width: 2, spanGaps: false, points: { show: true, size: 5 }, value: (_u, v) => (v === null ? '—' : format(v)) }))],
        legend: { live: true },
      },
      [times.map((t) => t / 1000), ...series.map((s) => s.values.map((v) => (log && v !== null ? Math.max(v, 0.1) : v)))],
      el,
    );
    const resized = () => plot.setSize({ width: width(), height: 200 });
    addEventListener('resize', resized);
    return () => {
      removeEventListener('resize', resized);
      plot.destroy();
    };
  }, [times, series, log]);
  const rows = times.map((t, i) => [t, series.map((s) => s.values[i])]).filter(([, vs]) => vs.some((v) => v !== null && v !== 0));
  return html`
    <figure class="plot">
      <figcaption><strong>${title}</strong>${caption}</figcaption>
      ${rows.length === 0 && html`<p class="hint">Nothing in this window yet.</p>`}
      <div ref=${box} class="plot-canvas" aria-hidden="true"></div>
      <details>
        <summary>${title}: the numbers (${rows.length} minutes with data)</summary>
        <table>
          <thead><tr><th scope="col">Minute</th>${series.map((s) => html`<th scope="col">${s.label}</th>`)}</tr></thead>
          <tbody>${rows.map(([t, vs]) => html`<tr><td>${hhmm(new Date(t))}</td>${vs.map((v) => html`<td>${v === null ? '—' : format(v)}</td>`)}</tr>`)}</tbody>
        </table>
      </details>
    </figure>
  `;
}
