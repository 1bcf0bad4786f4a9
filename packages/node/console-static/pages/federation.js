// Federation: the roster's labs, each pair's last round, the next slot, quotas, budgets and abandonments.
import { html, useEffect, useState } from '../vendor/htm-preact-standalone.js';
import { getJson } from '../lib/api.js';
import { count, duration, shortId, utc } from '../lib/format.js';
import { onRoundEnded } from '../lib/live.js';

const NOT_AVAILABLE = html`<span class="muted">not available</span>`;

function Budget({ budget }) {
  if (budget === null) return NOT_AVAILABLE;
  return html`${count(budget.used)} used, ${count(budget.left)} left of ${count(budget.limit)}${budget.windowHours === undefined ? '' : ` per ${budget.windowHours} h`}${budget.reserved ? `, ${count(budget.reserved)} reserved` : ''}`;
}

function Abandonments({ abandonments }) {
  if (abandonments === null) return NOT_AVAILABLE;
  return html`${count(abandonments.last24h)} in 24 h (limit ${count(abandonments.limit)})${abandonments.suspended ? html` · <strong class="warning">suspended</strong>${abandonments.suspendedAt ? ` since ${utc(Date.parse(abandonments.suspendedAt))}` : ''}` : ''}`;
}

function LastRound({ round }) {
  if (round === null) return html`<span class="muted">no round yet</span>`;
  const finished = round.finishedAt === null ? null : Date.parse(round.finishedAt);
  return html`<span class=${`badge status-${round.status}`}>${round.status}</span>${round.reason ? ` (${round.reason})` : ''}
    <div class="muted">${shortId(round.roundId)} attempt ${round.attempt}, ${round.role}, ${round.origin}${finished === null ? '' : `, ${utc(finished)}`}</div>
    <div>sizes ${count(round.localSetSize)} / ${count(round.peerSetSize)}, matched ${count(round.intersectionSize)}, ${duration(round.durationMs)}</div>`;
}

export function FederationPage() {
  const [view, setView] = useState(null);
  const [error, setError] = useState(null);
  const load = () => getJson('/console/api/federation').then((next) => { setView(next); setError(null); }, setError);
  useEffect(() => { load(); }, []);
  useEffect(() => onRoundEnded(() => { load(); }), []);
  if (error !== null) return html`<h1>Federation</h1><p class="error" role="alert">${error.message}</p>`;
  if (view === null) return html`<h1>Federation</h1><p class="loading">Loading…</p>`;
  return html`
    <h1>Federation</h1>
    <dl class="summary">
      <dt>Federation</dt><dd>${view.federation.name}, epoch ${view.federation.epoch}</dd>
      <dt>This lab</dt><dd>${view.node.name} (${view.node.id}), ${view.node.endpoint}</dd>
      <dt>Schedule</dt><dd><code>${view.schedule.cron}</code> (${view.schedule.timezone}), window ${view.schedule.windowMinutes} min</dd>
      <dt>Next slot</dt><dd id="next-slot">${view.nextSlot === null ? '—' : utc(Date.parse(view.nextSlot))}</dd>
      <dt>Rounds running</dt><dd>${view.running.length === 0 ? 'none' : view.running.map((r) => `${r.peer} (${count(r.processed)} of ${count(r.total)} elements)`).join(', ')}</dd>
    </dl>
    <table class="federation">
      <caption>Each peer of this lab: the last round of the pair, today's quota, the evaluation budget and rounds the peer abandoned after taking evaluations.</caption>
      <thead><tr><th scope="col">Lab</th><th scope="col">Last round</th><th scope="col">Rounds today (UTC)</th><th scope="col">Evaluation budget</th><th scope="col">Abandoned after evaluations</th><th scope="col">Published policy</th></tr></thead>
      <tbody>${view.peers.map((peer) => html`<tr data-peer=${peer.id}>
        <th scope="row">${peer.name}<div class="muted">${peer.id} · ${peer.endpoint}</div></th>
        <td><${LastRound} round=${peer.lastRound} /></td>
        <td>${peer.quota.rounds} of ${peer.quota.maxRoundsPerDay}; ad hoc ${peer.quota.adHocRounds} of ${peer.quota.maxAdHocRoundsPerDay}</td>
        <td><${Budget} budget=${peer.budget} /></td>
        <td><${Abandonments} abandonments=${peer.abandonments} /></td>
        <td>set size ≤ ${count(peer.policy.maxPeerSetSize)}, ${peer.policy.maxRoundsPerDay} rounds/day, ${peer.policy.modes.join(' and ')}, labels: ${peer.policy.shareLabels.length === 0 ? 'none' : peer.policy.shareLabels.join(', ')}</td>
      </tr>`)}</tbody>
    </table>
    ${view.source === 'store' ? html`<p class="muted">Budgets and abandonments are not reported by this daemon; last rounds and quotas come from this node's store.</p>` : null}`;
}
