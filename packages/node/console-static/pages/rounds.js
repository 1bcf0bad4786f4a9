// Rounds: every attempt with per-phase timings and its transcript bundle.
import { html, useEffect, useState } from '../vendor/htm-preact-standalone.js';
import { getJson, query } from '../lib/api.js';
import { count, duration, shortId, utc } from '../lib/format.js';
import { onRoundEnded } from '../lib/live.js';

export const PHASES = ['hash-to-group', 'blind', 'evaluate', 'prove', 'verify', 'match'];

export function RoundsPage() {
  const [rounds, setRounds] = useState(null);
  const [error, setError] = useState(null);
  const load = () => getJson('/console/api/rounds').then((next) => { setRounds(next.rounds); setError(null); }, setError);
  useEffect(() => { load(); }, []);
  useEffect(() => onRoundEnded(() => { load(); }), []);
  if (error !== null) return html`<h1>Rounds</h1><p class="error" role="alert">${error.message}</p>`;
  if (rounds === null) return html`<h1>Rounds</h1><p class="loading">Loading…</p>`;
  return html`
    <h1>Rounds</h1>
    <p class="lede">Every attempt, newest first. Phase times are the round worker's compute time; the rest of the duration is the network and the peer.</p>
    <div class="scroll">
    <table class="rounds">
      <thead><tr>
        <th scope="col">Round</th><th scope="col">Peer</th><th scope="col">Role, origin</th><th scope="col">Status</th><th scope="col">Sizes (own / peer / matched)</th>
        <th scope="col">Started</th><th scope="col">Duration</th>
        ${PHASES.map((phase) => html`<th scope="col" class="num">${phase}</th>`)}
        <th scope="col">Transcript</th>
      </tr></thead>
      <tbody>${rounds.map((round) => html`<tr>
        <th scope="row"><code>${shortId(round.roundId)}</code> #${round.attempt}</th>
        <td>${round.peer}</td>
        <td>${round.role}, ${round.origin}${round.mode === null ? '' : `, ${round.mode}`}</td>
        <td><span class=${`badge status-${round.status}`}>${round.status}</span>${round.reason ? html`<div class="muted">${round.reason}</div>` : null}</td>
        <td>${count(round.localSetSize)} / ${count(round.peerSetSize)} / ${count(round.intersectionSize)}</td>
        <td>${utc(round.startedAt)}</td>
        <td>${duration(round.durationMs)}</td>
        ${PHASES.map((phase) => html`<td class="num">${round.phases[phase] === undefined ? '—' : duration(round.phases[phase])}</td>`)}
        <td>${round.logged ? html`<a href=${`/console/api/rounds/bundle${query({ round: round.roundId, attempt: round.attempt })}`} download>Export bundle<span class="visually-hidden"> of round ${shortId(round.roundId)} attempt ${round.attempt}</span></a>` : html`<span class="muted">not logged yet</span>`}</td>
      </tr>`)}</tbody>
    </table>
    </div>`;
}
