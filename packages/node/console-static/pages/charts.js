// Charts: new matches per day by peer and by kind, and round durations over time.
import { html, useEffect, useMemo, useState } from '../vendor/htm-preact-standalone.js';
import { getJson } from '../lib/api.js';
import { TimeChart } from '../lib/chart.js';
import { onRoundEnded } from '../lib/live.js';

function durationSeries(durations) {
  // One series per peer; each measurement at its own instant, null elsewhere.
  const x = durations.map((d) => d.at);
  const peers = [...new Set(durations.map((d) => d.peer))].sort();
  const series = peers.map((peer) => ({ label: `with ${peer} (s)`, values: durations.map((d) => (d.peer === peer ? Math.round(d.ms / 100) / 10 : null)) }));
  return { x, series };
}

export function ChartsPage() {
  const [view, setView] = useState(null);
  const [error, setError] = useState(null);
  const load = () => getJson('/console/api/charts').then((next) => { setView(next); setError(null); }, setError);
  useEffect(() => { load(); }, []);
  useEffect(() => onRoundEnded(() => { load(); }), []);
  const byPeer = useMemo(() => (view === null ? [] : Object.entries(view.byPeer).map(([peer, values]) => ({ label: peer, values }))), [view]);
  const byKind = useMemo(() => (view === null ? [] : Object.entries(view.byKind).map(([kind, values]) => ({ label: kind, values }))), [view]);
  const durations = useMemo(() => (view === null ? { x: [], series: [] } : durationSeries(view.durations)), [view]);
  if (error !== null) return html`<h1>Charts</h1><p class="error" role="alert">${error.message}</p>`;
  if (view === null) return html`<h1>Charts</h1><p class="loading">Loading…</p>`;
  const total = (series) => series.reduce((sum, s) => sum + s.values.reduce((a, b) => a + b, 0), 0);
  return html`
    <h1>Charts</h1>
    <p class="lede">A match counts on the UTC day its identifier was first matched with that peer.</p>
    <${TimeChart} id="chart-peer" title="New matches per day, by peer" unit="matches" x=${view.days} series=${byPeer}
      description=${`New matches per day by peer over ${view.days.length} days: ${byPeer.map((s) => `${s.label} ${s.values.reduce((a, b) => a + b, 0)}`).join(', ')}; ${total(byPeer)} in all.`} />
    <${TimeChart} id="chart-kind" title="New matches per day, by identifier kind" unit="matches" x=${view.days} series=${byKind}
      description=${`New matches per day by kind: ${byKind.map((s) => `${s.label} ${s.values.reduce((a, b) => a + b, 0)}`).join(', ')}.`} />
    <${TimeChart} id="chart-durations" title="Round durations over time" unit="seconds" points=${true} padSeconds=${600} x=${durations.x} series=${durations.series}
      description=${`Durations of ${view.durations.length} round attempts, by peer.`} />`;
}
