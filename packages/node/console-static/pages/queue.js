// Triage queue: matched local accounts, newest evidence first, with filters, counts per state and the CSV export.
import { html, useEffect, useRef, useState } from '../vendor/htm-preact-standalone.js';
import { getJson, query } from '../lib/api.js';
import { STATE_NAMES, accountName, utc } from '../lib/format.js';
import { onRoundEnded } from '../lib/live.js';
import { href } from '../lib/route.js';

const FILTERS = ['peer', 'kind', 'category', 'since', 'until', 'state'];
const PAGE_SIZE = 200;

function filtersOf(params) {
  return Object.fromEntries(FILTERS.map((name) => [name, params.get(name) ?? '']));
}

function Labels({ labels }) {
  const peers = Object.keys(labels);
  if (peers.length === 0) return html`<span class="muted">none shared</span>`;
  return html`<dl class="labels">${peers.map((peer) => {
    const fields = labels[peer];
    const parts = [
      fields.category.length > 0 ? `category: ${fields.category.join(', ')}` : null,
      fields.first_seen.length > 0 ? `first seen ${fields.first_seen.join(', ')}` : null,
      fields.reason.length > 0 ? `reason: ${fields.reason.join(', ')}` : null,
    ].filter((part) => part !== null);
    return html`<dt>${peer}</dt><dd>${parts.length === 0 ? html`<span class="muted">no labels</span>` : parts.join('; ')}</dd>`;
  })}</dl>`;
}

function FilterForm({ filters, facets, onChange }) {
  const field = (name, label, control) => html`<div class="field"><label for=${`filter-${name}`}>${label}</label>${control}</div>`;
  const select = (name, options, any) => html`
    <select id=${`filter-${name}`} name=${name} value=${filters[name]} onChange=${(event) => onChange({ ...filters, [name]: event.target.value })}>
      <option value="">${any}</option>
      ${options.map((option) => html`<option value=${option}>${name === 'state' ? STATE_NAMES[option] : option}</option>`)}
    </select>`;
  const date = (name) => html`<input id=${`filter-${name}`} name=${name} type="date" value=${filters[name]} onChange=${(event) => onChange({ ...filters, [name]: event.target.value })} />`;
  return html`
    <form class="filters" role="search" aria-label="Filter the queue" onSubmit=${(event) => event.preventDefault()}>
      ${field('peer', 'Peer', select('peer', facets.peers, 'Any peer'))}
      ${field('kind', 'Identifier kind', select('kind', facets.kinds, 'Any kind'))}
      ${field('category', 'Label category', select('category', facets.categories, 'Any category'))}
      ${field('since', 'First matched from', date('since'))}
      ${field('until', 'First matched until', date('until'))}
      ${field('state', 'State', select('state', Object.keys(STATE_NAMES), 'Any state'))}
      <button type="button" class="secondary" onClick=${() => onChange(Object.fromEntries(FILTERS.map((name) => [name, ''])))}>Clear filters</button>
    </form>`;
}

function StateCounts({ counts, filters, onChange }) {
  return html`<ul class="state-counts" aria-label="Accounts per state">
    ${Object.entries(STATE_NAMES).map(([state, name]) => html`<li>
      <button type="button" class=${`state-button state-${state}`} aria-pressed=${filters.state === state ? 'true' : 'false'}
        onClick=${() => onChange({ ...filters, state: filters.state === state ? '' : state })}>
        ${name} <span class="count" data-state=${state}>${counts[state]}</span>
      </button></li>`)}
  </ul>`;
}

function QueueTable({ rows, freshVersion }) {
  const body = useRef(null);
  const [active, setActive] = useState(0);
  const open = (row) => { location.hash = href('/account', { ref: row.account }); };
  // Keyboard: arrows (or j/k) move between rows, Home/End jump, Enter opens the account.
  const onKeyDown = (event) => {
    const moves = { ArrowDown: 1, j: 1, ArrowUp: -1, k: -1 };
    let next = active;
    if (event.key in moves) next = Math.min(rows.length - 1, Math.max(0, active + moves[event.key]));
    else if (event.key === 'Home') next = 0;
    else if (event.key === 'End') next = rows.length - 1;
    else if (event.key === 'Enter' && event.target.tagName === 'TR') { open(rows[active]); event.preventDefault(); return; } else return;
    event.preventDefault();
    setActive(next);
    body.current?.querySelectorAll('tr')[next]?.focus();
  };
  if (rows.length === 0) return html`<p class="empty">No matched account fits these filters.</p>`;
  return html`
    <table class="queue">
      <caption class="visually-hidden">Matched local accounts; use the arrow keys to move between rows and Enter to open one.</caption>
      <thead><tr>
        <th scope="col">Account</th><th scope="col">Kinds</th><th scope="col">Peers holding it</th><th scope="col">Peers' labels</th>
        <th scope="col">First matched</th><th scope="col">Latest match</th><th scope="col">State</th><th scope="col">Note</th>
      </tr></thead>
      <tbody ref=${body} onKeyDown=${onKeyDown}>
        ${rows.map((row, index) => html`
          <tr key=${row.account} tabindex=${index === active ? 0 : -1} class=${row.version > freshVersion ? 'fresh' : ''}
            data-account=${row.account} onFocus=${() => setActive(index)} onDblClick=${() => open(row)}>
            <th scope="row"><a href=${href('/account', { ref: row.account })} tabindex="-1">${accountName(row.account)}</a>
              ${row.version > freshVersion ? html` <span class="badge badge-new">new since you opened the page</span>` : null}</th>
            <td>${row.kinds.join(', ')}</td>
            <td>${row.peers.join(', ')}</td>
            <td><${Labels} labels=${row.labels} /></td>
            <td>${utc(row.firstMatched)}</td>
            <td>${utc(row.latestMatch)}</td>
            <td><span class=${`badge state-${row.state}`}>${STATE_NAMES[row.state]}</span>${row.reopened ? html` <span class="muted">(new evidence since review)</span>` : null}</td>
            <td class="note">${row.note}</td>
          </tr>`)}
      </tbody>
    </table>`;
}

export function QueuePage({ params }) {
  const filters = filtersOf(params);
  const [view, setView] = useState(null);
  const [error, setError] = useState(null);
  const [limit, setLimit] = useState(PAGE_SIZE);
  const [freshVersion, setFreshVersion] = useState(null);
  const key = query(filters);
  const load = () => getJson(`/console/api/queue${query({ ...filters, limit })}`).then((next) => {
    setView(next);
    setError(null);
    // Rows whose evidence is newer than anything on the first load are marked as fresh.
    setFreshVersion((seen) => seen ?? Math.max(0, ...next.rows.map((row) => row.version)));
  }, setError);
  useEffect(() => { load(); }, [key, limit]);
  useEffect(() => onRoundEnded(() => { load(); }), [key, limit]);
  const setFilters = (next) => { location.hash = href('/queue', next); };
  return html`
    <h1>Triage queue</h1>
    <p class="lede">Local accounts whose identifiers a peer also holds. Decisions and notes stay on this node.</p>
    ${view === null ? null : html`<${FilterForm} filters=${filters} facets=${view.facets} onChange=${setFilters} />`}
    ${view === null ? null : html`<${StateCounts} counts=${view.counts} filters=${filters} onChange=${setFilters} />`}
    <p class="actions">
      <a class="button" href=${`/console/api/queue.csv${key}`} download>Export CSV</a>
      ${view === null ? null : html`<span class="muted" id="queue-total">Showing ${view.rows.length} of ${view.total} account${view.total === 1 ? '' : 's'}</span>`}
    </p>
    ${error === null ? null : html`<p class="error" role="alert">${error.message}</p>`}
    ${view === null ? html`<p class="loading">Loading…</p>` : html`<${QueueTable} rows=${view.rows} freshVersion=${freshVersion ?? Infinity} />`}
    ${view !== null && view.rows.length < view.total ? html`<button type="button" class="secondary" onClick=${() => setLimit(limit + PAGE_SIZE)}>Show more</button>` : null}`;
}
