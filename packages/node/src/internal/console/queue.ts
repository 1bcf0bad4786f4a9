/**
 * The triage queue of the analyst console: matched local accounts, newest evidence first, with
 * filters, the analyst's review state and the CSV export that `venn matches --format csv` prints
 * byte for byte. Reads the store only; identifier digests are used to tell identifiers apart and
 * never leave this module.
 */
import { ValidationError } from '@venn/errors';
import { isIdentifierKind } from '@venn/identifiers';
import type { Store } from '../store.js';

export const REVIEW_STATES = ['new', 'reviewed', 'actioned', 'false-positive'] as const;
export type ReviewState = (typeof REVIEW_STATES)[number];

/** Longest note an analyst may attach (characters); the store enforces the same bound. */
export const MAX_NOTE_LENGTH = 2000;

export const LABEL_FIELDS = ['category', 'first_seen', 'reason'] as const;
export type LabelFieldName = (typeof LABEL_FIELDS)[number];

/** Filters on the queue. Match-level filters select matches; `state` then selects accounts. */
export interface QueueFilter {
  readonly peer?: string | undefined;
  readonly kind?: string | undefined;
  /** A peer label category, exactly. */
  readonly category?: string | undefined;
  /** UTC days, inclusive: identifier-and-peer pairs first matched on or after `since`, on or before `until`. */
  readonly since?: string | undefined;
  readonly until?: string | undefined;
  readonly round?: Uint8Array | undefined;
  readonly state?: ReviewState | undefined;
}

/** One matched local account as the queue shows it. */
export interface QueueRow {
  /** The local account reference; '' for identifiers ingested without one. */
  readonly account: string;
  readonly kinds: string[];
  readonly lists: string[];
  readonly peers: string[];
  /** Distinct local identifiers of the account that matched. */
  readonly identifiers: number;
  /** Per peer, per label field, the distinct values that peer shared. */
  readonly labels: Record<string, Record<LabelFieldName, string[]>>;
  /** When the first of the shown identifier-and-peer pairs was first matched (round finish, ms). */
  readonly firstMatched: number;
  /** When the newest of the shown identifier-and-peer pairs was first matched: the newest evidence. */
  readonly latestMatch: number;
  /** The effective state: the latest review's, or `new` when matches arrived after it. */
  readonly state: ReviewState;
  /** The latest review's note ('' if none). */
  readonly note: string;
  readonly reviewedAt: number | null;
  /** A review exists but new matches arrived after it. */
  readonly reopened: boolean;
  /** Version of the account's evidence: the newest first-match round row. A review names the version it saw. */
  readonly version: number;
}

export interface QueueView {
  readonly rows: QueueRow[];
  /** Accounts per effective state, under the match-level filters (before `state`). */
  readonly counts: Record<ReviewState, number>;
  /** Values the filters can take, over every match in the store. */
  readonly facets: { readonly peers: string[]; readonly kinds: string[]; readonly categories: string[] };
}

interface MatchRowSql {
  account_ref: string; kind: string; list: string; digest: Buffer; peer_id: string; round_row: number; round_id: Buffer; finished_at: number;
  peer_category: string | null; peer_first_seen: string | null; peer_reason: string | null;
}

interface ReviewSql { account_ref: string; state: ReviewState; note: string; through_row: number; created_at: number }

const LAB_ID = /^[a-z0-9][a-z0-9-]{0,62}$/;
const DAY = /^([0-9]{4})-([0-9]{2})-([0-9]{2})$/;

function invalid(field: string, expected: string, got: string): ValidationError {
  return new ValidationError('invalid-filter', `"${field}" expected ${expected}, got ${JSON.stringify(got.slice(0, 100))}`);
}

function dayStart(text: string, field: string): number {
  const match = DAY.exec(text);
  const ms = match === null ? Number.NaN : Date.UTC(Number(match[1]), Number(match[2]) - 1, Number(match[3]));
  if (!Number.isFinite(ms) || new Date(ms).toISOString().slice(0, 10) !== text) throw invalid(field, 'a UTC day YYYY-MM-DD', text);
  return ms;
}

/**
 * Reads a filter from query parameters (the console) or command-line options (the CLI): empty
 * values mean "any"; anything else that is not a valid value is a typed error naming the field.
 * `round` is a hex round id or a unique prefix of at least 8 digits, resolved in `store`.
 */
export function parseQueueFilter(params: Readonly<Record<string, string | undefined>>, store: Store): QueueFilter {
  const value = (name: string): string | undefined => {
    const text = params[name];
    return text === undefined || text.trim() === '' ? undefined : text.trim();
  };
  const peer = value('peer');
  if (peer !== undefined && !LAB_ID.test(peer)) throw invalid('peer', 'a lab id (a-z, 0-9 and "-")', peer);
  const kind = value('kind');
  if (kind !== undefined && !isIdentifierKind(kind)) throw invalid('kind', 'an identifier kind', kind);
  const category = value('category');
  if (category !== undefined && category.length > 200) throw invalid('category', 'at most 200 characters', category);
  const since = value('since');
  const until = value('until');
  if (since !== undefined) dayStart(since, 'since');
  if (until !== undefined) dayStart(until, 'until');
  if (since !== undefined && until !== undefined && since > until) throw invalid('until', `a day on or after "since" (${since})`, until);
  const state = value('state');
  if (state !== undefined && !(REVIEW_STATES as readonly string[]).includes(state)) throw invalid('state', `one of ${REVIEW_STATES.join(', ')}`, state);
  const round = value('round');
  return {
    peer, kind, category, since, until,
    state: state as ReviewState | undefined,
    round: round === undefined ? undefined : store.resolveRoundId(round),
  };
}

/**
 * The second half of a query over matched local items: the items removed since they matched
 * (venn remove, lists drop, retention) keep their local side in matched_items, and count unless
 * the same item is back in its list. Alias `a`; the caller joins `m` (matches) on `a.digest`.
 */
export const ARCHIVED_ONLY = `NOT EXISTS (SELECT 1 FROM list_items i2 JOIN lists l2 ON l2.id = i2.list_id
  WHERE i2.digest = a.digest AND l2.name = a.list AND i2.account_ref = a.account_ref)`;

/** Every match of a completed round joined to the local items holding its digest, removed ones included. */
function matchRows(store: Store, account?: string): MatchRowSql[] {
  const columns = 'm.digest AS digest, r.peer_id AS peer_id, r.id AS round_row, r.round_id AS round_id, r.finished_at AS finished_at, m.peer_category AS peer_category, m.peer_first_seen AS peer_first_seen, m.peer_reason AS peer_reason';
  return store.db.prepare(`SELECT i.account_ref AS account_ref, l.kind AS kind, l.name AS list, ${columns}
    FROM matches m JOIN rounds r ON r.id = m.round_row JOIN list_items i ON i.digest = m.digest JOIN lists l ON l.id = i.list_id
    WHERE r.status = 'completed' ${account === undefined ? '' : 'AND i.account_ref = ?'}
    UNION ALL
    SELECT a.account_ref, a.kind, a.list, ${columns}
    FROM matches m JOIN rounds r ON r.id = m.round_row JOIN matched_items a ON a.digest = m.digest
    WHERE r.status = 'completed' AND ${ARCHIVED_ONLY} ${account === undefined ? '' : 'AND a.account_ref = ?'}
    ORDER BY round_row`).all(...(account === undefined ? [] : [account, account])) as MatchRowSql[];
}

function latestReviews(store: Store): Map<string, ReviewSql> {
  const rows = store.db.prepare(`SELECT v.account_ref, v.state, v.note, v.through_row, v.created_at FROM match_reviews v
    JOIN (SELECT account_ref, max(id) AS id FROM match_reviews GROUP BY account_ref) last ON last.id = v.id`).all() as ReviewSql[];
  return new Map(rows.map((row) => [row.account_ref, row]));
}

/** An identifier-and-peer pair of an account: the unit of "new evidence". */
const pairKey = (row: MatchRowSql): string => `${row.list}\u0000${row.digest.toString('hex')}\u0000${row.peer_id}`;

/** One identifier of an account matched with one peer, over every round that matched it. */
interface Pair {
  readonly account: string;
  readonly kind: string;
  readonly list: string;
  readonly identifier: string;
  readonly peer: string;
  /** The round row and finish time of the first round that matched the pair. */
  firstRow: number;
  firstAt: number;
  readonly rounds: Set<string>;
  readonly labels: Record<LabelFieldName, Set<string>>;
}

/** Every identifier-and-peer pair, grouped by account. */
function pairsByAccount(rows: readonly MatchRowSql[]): Map<string, Map<string, Pair>> {
  const accounts = new Map<string, Map<string, Pair>>();
  for (const row of rows) {
    let pairs = accounts.get(row.account_ref);
    if (pairs === undefined) accounts.set(row.account_ref, (pairs = new Map()));
    const key = pairKey(row);
    let pair = pairs.get(key);
    if (pair === undefined) {
      pair = {
        account: row.account_ref, kind: row.kind, list: row.list, identifier: `${row.list}\u0000${row.digest.toString('hex')}`, peer: row.peer_id,
        firstRow: row.round_row, firstAt: row.finished_at, rounds: new Set(), labels: { category: new Set(), first_seen: new Set(), reason: new Set() },
      };
      pairs.set(key, pair);
    }
    if (row.round_row < pair.firstRow) {
      pair.firstRow = row.round_row;
      pair.firstAt = row.finished_at;
    }
    pair.rounds.add(row.round_id.toString('hex'));
    if (row.peer_category !== null) pair.labels.category.add(row.peer_category);
    if (row.peer_first_seen !== null) pair.labels.first_seen.add(row.peer_first_seen);
    if (row.peer_reason !== null) pair.labels.reason.add(row.peer_reason);
  }
  return accounts;
}

function versionOf(pairs: ReadonlyMap<string, Pair> | undefined): number {
  let version = 0;
  for (const { firstRow } of pairs?.values() ?? []) version = Math.max(version, firstRow);
  return version;
}

/** The date range selects pairs by when they were first matched: the queue is about new matches. */
function pairSelected(pair: Pair, filter: QueueFilter, since: number | undefined, until: number | undefined): boolean {
  if (filter.peer !== undefined && pair.peer !== filter.peer) return false;
  if (filter.kind !== undefined && pair.kind !== filter.kind) return false;
  if (filter.category !== undefined && !pair.labels.category.has(filter.category)) return false;
  if (since !== undefined && pair.firstAt < since) return false;
  if (until !== undefined && pair.firstAt >= until) return false;
  if (filter.round !== undefined && !pair.rounds.has(Buffer.from(filter.round).toString('hex'))) return false;
  return true;
}

function sorted(values: Iterable<string>): string[] {
  return [...new Set(values)].sort();
}

/** The queue under `filter`, newest evidence first (then by account reference). */
export function queryQueue(store: Store, filter: QueueFilter = {}): QueueView {
  const all = matchRows(store);
  const accounts = pairsByAccount(all);
  const reviews = latestReviews(store);
  const since = filter.since === undefined ? undefined : dayStart(filter.since, 'since');
  const until = filter.until === undefined ? undefined : dayStart(filter.until, 'until') + 86_400_000;

  const counts: Record<ReviewState, number> = { new: 0, reviewed: 0, actioned: 0, 'false-positive': 0 };
  const rows: QueueRow[] = [];
  for (const [account, pairs] of accounts) {
    const selected = [...pairs.values()].filter((pair) => pairSelected(pair, filter, since, until));
    if (selected.length === 0) continue;
    const version = versionOf(pairs);
    const review = reviews.get(account);
    const current = review !== undefined && review.through_row >= version;
    const state: ReviewState = current ? review.state : 'new';
    counts[state]++;
    if (filter.state !== undefined && filter.state !== state) continue;
    const labels: QueueRow['labels'] = {};
    for (const peer of sorted(selected.map((pair) => pair.peer))) {
      const ofPeer = selected.filter((pair) => pair.peer === peer);
      labels[peer] = {
        category: sorted(ofPeer.flatMap((pair) => [...pair.labels.category])),
        first_seen: sorted(ofPeer.flatMap((pair) => [...pair.labels.first_seen])),
        reason: sorted(ofPeer.flatMap((pair) => [...pair.labels.reason])),
      };
    }
    rows.push({
      account, kinds: sorted(selected.map((pair) => pair.kind)), lists: sorted(selected.map((pair) => pair.list)), peers: sorted(selected.map((pair) => pair.peer)),
      identifiers: new Set(selected.map((pair) => pair.identifier)).size, labels,
      firstMatched: Math.min(...selected.map((pair) => pair.firstAt)), latestMatch: Math.max(...selected.map((pair) => pair.firstAt)),
      state, note: review?.note ?? '', reviewedAt: review?.created_at ?? null, reopened: review !== undefined && !current, version,
    });
  }
  rows.sort((a, b) => b.latestMatch - a.latestMatch || (a.account < b.account ? -1 : a.account > b.account ? 1 : 0));
  const facets = {
    peers: sorted(all.map((row) => row.peer_id)),
    kinds: sorted(all.map((row) => row.kind)),
    categories: sorted(all.flatMap((row) => (row.peer_category === null ? [] : [row.peer_category]))),
  };
  return { rows, counts, facets };
}

/**
 * When each identifier-and-peer pair was first matched, keyed `list NUL digest-hex NUL peer`:
 * per-identifier listings apply the queue's date range with it, so they agree with the queue.
 */
export function firstMatchTimes(store: Store): Map<string, number> {
  const times = new Map<string, number>();
  for (const pairs of pairsByAccount(matchRows(store)).values()) {
    for (const pair of pairs.values()) times.set(`${pair.identifier}\u0000${pair.peer}`, pair.firstAt);
  }
  return times;
}

// ---- reviews ------------------------------------------------------------------------------------

export interface ReviewInput {
  readonly account: unknown;
  readonly state: unknown;
  readonly note: unknown;
  /** The `version` of the account the analyst was looking at. */
  readonly version: unknown;
}

export interface ReviewRecord {
  readonly account: string;
  readonly state: ReviewState;
  readonly note: string;
  readonly version: number;
  readonly at: number;
}

/**
 * Records an analyst's decision on a matched account. It covers the evidence the analyst saw
 * (`version`); matches that arrive later put the account back in the queue as new.
 */
export function recordReview(store: Store, input: ReviewInput, now: number): ReviewRecord {
  if (typeof input.account !== 'string' || input.account.length > 1000) throw new ValidationError('invalid-review', `"account" expected a local account reference, got ${typeof input.account}`);
  if (typeof input.state !== 'string' || !(REVIEW_STATES as readonly string[]).includes(input.state)) {
    throw new ValidationError('invalid-review', `"state" expected one of ${REVIEW_STATES.join(', ')}, got ${JSON.stringify(input.state)}`);
  }
  const note = input.note ?? '';
  if (typeof note !== 'string' || note.length > MAX_NOTE_LENGTH) {
    throw new ValidationError('invalid-review', `"note" expected a string of at most ${MAX_NOTE_LENGTH} characters, got ${typeof note === 'string' ? `${note.length} characters` : typeof note}`);
  }
  const version = input.version;
  if (typeof version !== 'number' || !Number.isSafeInteger(version) || version < 0) throw new ValidationError('invalid-review', `"version" expected a non-negative integer, got ${JSON.stringify(version)}`);
  const account = input.account;
  const pairs = pairsByAccount(matchRows(store, account)).get(account);
  if (pairs === undefined) throw new ValidationError('unknown-account', `"account" expected a local account reference with matches, got ${JSON.stringify(account.slice(0, 100))}`);
  const current = versionOf(pairs);
  if (version > current) throw new ValidationError('invalid-review', `"version" expected at most ${current} (the account's evidence now), got ${version}`);
  store.db.prepare('INSERT INTO match_reviews (account_ref, state, note, through_row, created_at) VALUES (?, ?, ?, ?, ?)').run(account, input.state, note, version, now);
  return { account, state: input.state as ReviewState, note, version, at: now };
}

/** Every review of an account, oldest first. */
export function reviewHistory(store: Store, account: string): ReviewRecord[] {
  const rows = store.db.prepare('SELECT account_ref, state, note, through_row, created_at FROM match_reviews WHERE account_ref = ? ORDER BY id').all(account) as ReviewSql[];
  return rows.map((row) => ({ account: row.account_ref, state: row.state, note: row.note, version: row.through_row, at: row.created_at }));
}

// ---- one account --------------------------------------------------------------------------------

export interface AccountMatch {
  /** 1-based number of the identifier within the account (digests are never shown). */
  readonly identifier: number;
  readonly kind: string;
  readonly list: string;
  readonly peer: string;
  readonly roundId: string;
  readonly attempt: number;
  readonly at: number;
  /** Whether this round was the first to match this identifier with this peer. */
  readonly first: boolean;
  readonly peerLabels: { category?: string; firstSeen?: string; reason?: string };
}

export interface AccountView {
  readonly account: string;
  readonly queue: QueueRow | null;
  /** The account's identifiers as ingested here: kind, list and this lab's own labels. */
  readonly identifiers: Array<{ identifier: number; kind: string; list: string; category: string | null; firstSeen: string | null; reason: string | null }>;
  readonly matches: AccountMatch[];
  readonly reviews: ReviewRecord[];
}

/** Everything matched for one local account reference, across rounds and peers, oldest first. */
export function accountView(store: Store, account: string): AccountView | null {
  // A removed item keeps its kind, list and account (matched_items), not this lab's own labels.
  const columns = 'm.digest AS digest, r.peer_id AS peer_id, r.id AS round_row, r.round_id AS round_id, r.attempt AS attempt, r.finished_at AS finished_at, m.peer_category AS peer_category, m.peer_first_seen AS peer_first_seen, m.peer_reason AS peer_reason';
  const rows = store.db.prepare(`SELECT i.account_ref AS account_ref, l.kind AS kind, l.name AS list, ${columns}, i.category AS category, i.first_seen AS first_seen, i.reason AS reason
    FROM matches m JOIN rounds r ON r.id = m.round_row JOIN list_items i ON i.digest = m.digest JOIN lists l ON l.id = i.list_id
    WHERE r.status = 'completed' AND i.account_ref = ?
    UNION ALL
    SELECT a.account_ref, a.kind, a.list, ${columns}, NULL, NULL, NULL
    FROM matches m JOIN rounds r ON r.id = m.round_row JOIN matched_items a ON a.digest = m.digest
    WHERE r.status = 'completed' AND a.account_ref = ? AND ${ARCHIVED_ONLY}
    ORDER BY round_row, list, digest`).all(account, account) as Array<MatchRowSql & { attempt: number; category: string | null; first_seen: string | null; reason: string | null }>;
  if (rows.length === 0) return null;
  const numbers = new Map<string, number>();
  const identifiers: AccountView['identifiers'] = [];
  const seenPairs = new Set<string>();
  const matches: AccountMatch[] = rows.map((row) => {
    const key = `${row.list}\u0000${row.digest.toString('hex')}`;
    let identifier = numbers.get(key);
    if (identifier === undefined) {
      identifier = numbers.size + 1;
      numbers.set(key, identifier);
      identifiers.push({ identifier, kind: row.kind, list: row.list, category: row.category, firstSeen: row.first_seen, reason: row.reason });
    }
    const first = !seenPairs.has(pairKey(row));
    seenPairs.add(pairKey(row));
    const peerLabels: AccountMatch['peerLabels'] = {};
    if (row.peer_category !== null) peerLabels.category = row.peer_category;
    if (row.peer_first_seen !== null) peerLabels.firstSeen = row.peer_first_seen;
    if (row.peer_reason !== null) peerLabels.reason = row.peer_reason;
    return { identifier, kind: row.kind, list: row.list, peer: row.peer_id, roundId: row.round_id.toString('hex'), attempt: row.attempt, at: row.finished_at, first, peerLabels };
  });
  const queue = queryQueue(store).rows.find((row) => row.account === account) ?? null;
  return { account, queue, identifiers, matches, reviews: reviewHistory(store, account) };
}

// ---- CSV ----------------------------------------------------------------------------------------

/** RFC 4180 quoting; a leading = + - @ tab or CR is prefixed with ' so spreadsheets do not evaluate it. */
export function csvCell(value: string): string {
  const safe = /^[=+\-@\t\r]/.test(value) ? `'${value}` : value;
  return /[",\r\n]/.test(safe) ? `"${safe.replace(/"/g, '""')}"` : safe;
}

const iso = (ms: number | null): string => (ms === null ? '' : new Date(ms).toISOString());

/**
 * The queue as CSV for a case tool: one row per account, lists of values joined with "; ", and
 * one column per peer and label field (`label_<peer>_<field>`) for `labelPeers` (the roster's
 * peers and any other peer that matched), so the columns do not depend on the filter.
 */
export function queueCsv(view: QueueView, labelPeers: readonly string[]): string {
  const peers = sorted([...labelPeers, ...view.rows.flatMap((row) => row.peers)]);
  const header = ['account_ref', 'kinds', 'peers', 'identifiers', 'first_matched', 'latest_match', 'state', 'note', 'reviewed_at',
    ...peers.flatMap((peer) => LABEL_FIELDS.map((field) => `label_${peer}_${field}`))];
  const lines = view.rows.map((row) => [
    row.account, row.kinds.join('; '), row.peers.join('; '), String(row.identifiers), iso(row.firstMatched), iso(row.latestMatch), row.state, row.note, iso(row.reviewedAt),
    ...peers.flatMap((peer) => LABEL_FIELDS.map((field) => (row.labels[peer]?.[field] ?? []).join('; '))),
  ].map(csvCell).join(','));
  return `${[header.join(','), ...lines].join('\r\n')}\r\n`;
}
