// Audit: the log's signed head, its size over time, and cross-checks against peers' exported logs.
import { html, useEffect, useMemo, useState } from '../vendor/htm-preact-standalone.js';
import { getJson, post } from '../lib/api.js';
import { TimeChart } from '../lib/chart.js';
import { count, utc } from '../lib/format.js';
import { onRoundEnded } from '../lib/live.js';

function CrossCheckForm({ onDone }) {
  const [file, setFile] = useState(null);
  const [message, setMessage] = useState(null);
  const [busy, setBusy] = useState(false);
  const submit = async (event) => {
    event.preventDefault();
    if (file === null) return;
    setBusy(true);
    try {
      const result = await post('/console/api/audit/cross-check', await file.arrayBuffer(), 'application/octet-stream');
      setMessage({ ok: result.consistent, text: result.consistent
        ? `${result.peer}'s log is consistent with this node's: ${result.matchedRounds} rounds in both logs, no issue.`
        : `${result.peer}'s log disagrees with this node's: ${result.issues.length} issue(s); first: ${result.issues[0]?.kind}: ${result.issues[0]?.detail}` });
      onDone();
    } catch (error) {
      setMessage({ ok: false, text: error.message });
    } finally {
      setBusy(false);
    }
  };
  return html`
    <form class="upload" onSubmit=${submit} aria-labelledby="cross-check-heading">
      <h2 id="cross-check-heading">Cross-check a peer's log</h2>
      <p>Ask the peer for <code>venn audit export-log</code>; the check compares it with this node's log as it is now.</p>
      <label for="peer-log">Peer's exported log</label>
      <input id="peer-log" name="log" type="file" required onChange=${(event) => setFile(event.target.files[0] ?? null)} />
      <button type="submit" disabled=${busy || file === null}>Run cross-check</button>
      ${message === null ? null : html`<p class=${message.ok ? 'saved' : 'error'} role=${message.ok ? 'status' : 'alert'} id="cross-check-result">${message.text}</p>`}
    </form>`;
}

export function AuditPage() {
  const [view, setView] = useState(null);
  const [error, setError] = useState(null);
  const load = () => getJson('/console/api/audit').then((next) => { setView(next); setError(null); }, setError);
  useEffect(() => { load(); }, []);
  useEffect(() => onRoundEnded(() => { load(); }), []);
  const sizes = useMemo(() => (view === null ? null : { x: view.sizeOverTime.map((p) => p.at), series: [{ label: 'leaves', values: view.sizeOverTime.map((p) => p.size) }] }), [view]);
  if (error !== null) return html`<h1>Audit</h1><p class="error" role="alert">${error.message}</p>`;
  if (view === null) return html`<h1>Audit</h1><p class="loading">Loading…</p>`;
  return html`
    <h1>Audit</h1>
    <section aria-labelledby="head-heading">
      <h2 id="head-heading">Signed head of this node's log</h2>
      ${view.head === null ? html`<p>No signed head yet: the daemon signs one when a round ends.</p>` : html`
        <dl class="summary">
          <dt>Size</dt><dd id="head-size">${count(view.head.size)} leaves${view.head.size === view.logSize ? '' : ` (the log holds ${count(view.logSize)})`}</dd>
          <dt>Root</dt><dd><code class="hash">${view.head.root}</code></dd>
          <dt>Signed at</dt><dd>${utc(view.head.timestamp)}</dd>
          <dt>Signature</dt><dd>${view.head.signatureValid ? 'valid under this node\u2019s identity key' : html`<strong class="warning">does not verify</strong>`}</dd>
        </dl>`}
    </section>
    <${TimeChart} id="chart-log-size" title="Log size over time" unit="leaves" padSeconds=${600} x=${sizes.x} series=${sizes.series}
      description=${`The log grew to ${view.logSize} leaves.`} />
    <section aria-labelledby="checks-heading">
      <h2 id="checks-heading">Last cross-check per peer</h2>
      <table class="cross-checks">
        <thead><tr><th scope="col">Peer</th><th scope="col">Checked</th><th scope="col">Result</th><th scope="col">Logs (this / peer)</th><th scope="col">Rounds in both</th><th scope="col">Issues</th></tr></thead>
        <tbody>${view.crossChecks.map(({ peer, last }) => html`<tr data-peer=${peer}>
          <th scope="row">${peer}</th>
          ${last === null ? html`<td colspan="5" class="muted">never cross-checked from this console</td>` : html`
            <td>${utc(last.checkedAt)}</td>
            <td><span class=${`badge ${last.consistent ? 'status-completed' : 'status-disputed'}`}>${last.consistent ? 'consistent' : 'inconsistent'}</span></td>
            <td>${count(last.ownLogSize)} / ${count(last.peerLogSize)}</td>
            <td>${count(last.matchedRounds)}</td>
            <td>${last.issues.length === 0 ? 'none' : html`<ul>${last.issues.map((issue) => html`<li><strong>${issue.kind}</strong>${issue.lab === null ? '' : ` (${issue.lab})`}: ${issue.detail}</li>`)}</ul>`}</td>`}
        </tr>`)}</tbody>
      </table>
    </section>
    <${CrossCheckForm} onDone=${load} />`;
}
