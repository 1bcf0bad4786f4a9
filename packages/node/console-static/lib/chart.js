// A uPlot chart with a caption, an accessible description and its data as a table.
import { html, useEffect, useRef } from '../vendor/htm-preact-standalone.js';
import uPlot from '../vendor/uplot.js';

export const COLORS = ['#1d4ed8', '#b45309', '#047857', '#7c3aed', '#be123c', '#0e7490', '#4d7c0f', '#9d174d'];

/** uPlot's columns; a single instant gets empty neighbours padSeconds away, so the axis has a span. */
function plotData(x, series, padSeconds) {
  const seconds = x.map((ms) => ms / 1000);
  if (new Set(seconds).size !== 1) return [seconds, ...series.map((s) => s.values)];
  return [[seconds[0] - padSeconds, ...seconds, seconds[0] + padSeconds], ...series.map((s) => [null, ...s.values, null])];
}

/**
 * `x`: instants (ms); `series`: [{label, values}] with one value per instant (null for none).
 * `points`: markers only, no line (for scattered measurements).
 */
export function TimeChart({ id, title, description, x, series, unit, points = false, height = 260, padSeconds = 43_200 }) {
  const target = useRef(null);
  useEffect(() => {
    if (target.current === null || x.length === 0) return undefined;
    const width = Math.max(320, Math.min(1180, target.current.clientWidth || 900));
    const plot = new uPlot({
      width, height,
      scales: {
        x: { time: true },
        y: { range: (_u, _min, max) => [0, Math.max(1, Math.ceil(max * 1.15))] },
      },
      axes: [{ stroke: '#1f2937', grid: { stroke: '#e5e7eb' } }, { stroke: '#1f2937', grid: { stroke: '#e5e7eb' }, label: unit }],
      series: [
        { label: 'Time (UTC)', value: (_u, v) => (v === null ? '—' : new Date(v * 1000).toISOString().slice(0, 16).replace('T', ' ')) },
        ...series.map((s, i) => ({
          label: s.label, stroke: COLORS[i % COLORS.length], width: points ? 0 : 2,
          points: { show: true, size: points ? 8 : 6, fill: COLORS[i % COLORS.length] },
          ...(points ? { paths: () => null } : {}),
        })),
      ],
      tzDate: (ts) => uPlot.tzDate(new Date(ts * 1000), 'Etc/UTC'),
    }, plotData(x, series, padSeconds), target.current);
    return () => plot.destroy();
  }, [x, series]);
  return html`
    <figure class="chart" id=${id}>
      <figcaption>${title}</figcaption>
      ${x.length === 0 ? html`<p class="empty">Nothing to draw yet.</p>` : html`<div class="chart-canvas" ref=${target} role="img" aria-label=${description}></div>`}
      ${x.length === 0 ? null : html`<details><summary>${title}: the data as a table</summary>
        <table><thead><tr><th scope="col">Time (UTC)</th>${series.map((s) => html`<th scope="col" class="num">${s.label}</th>`)}</tr></thead>
        <tbody>${x.map((ms, i) => html`<tr><td>${new Date(ms).toISOString().slice(0, 16).replace('T', ' ')}</td>${series.map((s) => html`<td class="num">${s.values[i] ?? '—'}</td>`)}</tr>`)}</tbody></table>
      </details>`}
    </figure>`;
}
