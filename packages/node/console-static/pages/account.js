// Account view: everything matched for one local account across rounds and peers, a timeline and the review form.
import { html, useEffect, useState } from '../vendor/htm-preact-standalone.js';
import { getJson, post, query } from '../lib/api.js';
import { STATE_NAMES, accountName, shortId, utc } from '../lib/format.js';
import { onRoundEnded } from '../lib/live.js';
import { href } from '../lib/route.js';

function labelText(labels) {
  const parts = [];
  if (labels.category !== undefined) parts.push(`category: ${labels.category}`);
  if (labels.firstSeen !== undefined) parts.push(`first seen ${labels.firstSeen}`);
  if (labels.reason !== undefined) parts.push(`reason: ${labels.reason}`);
  return parts.length === 0 ? 'no labels shared' : parts.join('; ');
}

/** Matches and reviews in time order; re-matches of a pair already seen are folded into one line per round. */
function timeline(view) {
  const events = [];
  const byRound = new Map();
  for (const match of view.matches) {
    const key = `${match.roundId}:${match.attempt}`;
    if (!byRound.has(key)) {
      byRound.set(key, { at: match.at, kind: 'round', peer: match.peer, roundId: match.roundId, newPairs: [], repeats: 0 });
      events.push(byRound.get(key));
    }
    const event = byRound.get(key);
    if (match.first) event.newPairs.push(match);
    else event.repeats++;
  }
  for (const review of view.reviews) events.push({ at: review.at, kind: 'review', review });
  return events.sort((a, b) => a.at - b.at);
}

function ReviewForm({ view, onSaved, message, setMessage }) {
  const current = view.queue;
  const [state, setState] = useState(current?.state === 'new' ? 'reviewed' : current?.state ?? 'reviewed');
  const [note, setNote] = useState(current?.note ?? '');
  const [busy, setBusy] = useState(false);
  const submit = async (event) => {
    event.preventDefault();
    setBusy(true);
    try {
      await post('/console/api/reviews', { account: view.account, state, note, version: current.version });
      setMessage({ ok: true, text: `Saved: ${STATE_NAMES[state]}.` });
      onSaved();
    } catch (error) {
      setMessage({ ok: false, text: error.message });
    } finally {
      setBusy(false);
    }
  };
  return html`
    <form class="review" onSubmit=${submit} aria-labelledby="review-heading">
      <h2 id="review-heading">Review</h2>
      <fieldset>
        <legend>Decision</legend>
        ${Object.entries(STATE_NAMES).map(([value, name]) => html`
          <label class="radio"><input type="radio" name="state" value=${value} checked=${state === value} onChange=${() => setState(value)} /> ${name}</label>`)}
      </fieldset>
      <label for="review-note">Note (stays on this node)</label>
      <textarea id="review-note" name="note" rows="3" maxlength="2000" value=${note} onInput=${(event) => setNote(event.target.value)}></textarea>
      <button type="submit" disabled=${busy}>Save review</button>
      ${message === null ? null : html`<p class=${message.ok ? 'saved' : 'error'} role=${message.ok ? 'status' : 'alert'}>${message.text}</p>`}
    </form>`;
}

export function AccountPage({ params }) {
  const ref = params.get('ref') ?? '';
  const [view, setView] = useState(null);
  const [error, setError] = useState(null);
  // Kept here: the form is rebuilt from the saved state, the confirmation must outlive that.
  const [message, setMessage] = useState(null);
  const load = () => getJson(`/console/api/account${query({ ref })}`).then((next) => { setView(next); setError(null); }, setError);
  useEffect(() => { setView(null); setMessage(null); load(); }, [ref]);
  useEffect(() => onRoundEnded(() => { load(); }), [ref]);
  if (error !== null) return html`<h1>Account ${accountName(ref)}</h1><p class="error" role="alert">${error.message}</p><p><a href=${href('/queue')}>Back to the queue</a></p>`;
  if (view === null) return html`<h1>Account ${accountName(ref)}</h1><p class="loading">Loading…</p>`;
  const queue = view.queue;
  return html`
    <p><a href=${href('/queue')}>← Triage queue</a></p>
    <h1>Account <span class="account-ref">${accountName(view.account)}</span></h1>
    <dl class="summary">
      <dt>State</dt><dd><span class=${`badge state-${queue.state}`} id="account-state">${STATE_NAMES[queue.state]}</span>${queue.reopened ? ' (new evidence since the last review)' : ''}</dd>
      <dt>Note</dt><dd id="account-note">${queue.note === '' ? html`<span class="muted">none</span>` : queue.note}</dd>
      <dt>Kinds</dt><dd>${queue.kinds.join(', ')}</dd>
      <dt>Peers holding it</dt><dd>${queue.peers.join(', ')}</dd>
      <dt>First matched</dt><dd>${utc(queue.firstMatched)}</dd>
      <dt>Latest new match</dt><dd>${utc(queue.latestMatch)}</dd>
    </dl>
    <div class="columns">
      <section aria-labelledby="identifiers-heading">
        <h2 id="identifiers-heading">Identifiers</h2>
        <table>
          <thead><tr><th scope="col">#</th><th scope="col">Kind</th><th scope="col">List</th><th scope="col">This lab's labels</th></tr></thead>
          <tbody>${view.identifiers.map((item) => html`<tr><td>${item.identifier}</td><td>${item.kind}</td><td>${item.list}</td>
            <td>${[item.category && `category: ${item.category}`, item.firstSeen && `first seen ${item.firstSeen}`, item.reason && `reason: ${item.reason}`].filter(Boolean).join('; ') || html`<span class="muted">none</span>`}</td></tr>`)}</tbody>
        </table>
      </section>
      <${ReviewForm} key=${`${view.account}:${queue.version}:${view.reviews.length}`} view=${view} onSaved=${load} message=${message} setMessage=${setMessage} />
    </div>
    <section aria-labelledby="timeline-heading">
      <h2 id="timeline-heading">Timeline</h2>
      <ol class="timeline">
        ${timeline(view).map((event) => event.kind === 'review'
          ? html`<li class="review-event"><time>${utc(event.review.at)}</time> Marked <strong>${STATE_NAMES[event.review.state]}</strong>${event.review.note === '' ? '' : html`: <q>${event.review.note}</q>`}</li>`
          : html`<li><time>${utc(event.at)}</time> Round ${shortId(event.roundId)} with <strong>${event.peer}</strong>:
              ${event.newPairs.length === 0 ? ' matched again' : event.newPairs.map((m) => html` identifier ${m.identifier} (${m.kind}, list ${m.list}), ${labelText(m.peerLabels)}.`)}
              ${event.repeats > 0 ? html` <span class="muted">${event.repeats} identifier${event.repeats === 1 ? '' : 's'} matched again.</span>` : null}</li>`)}
      </ol>
    </section>`;
}
