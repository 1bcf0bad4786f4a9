/** The analyst console's triage queue over a real SQLite store: grouping, filters, review state, CSV. */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ValidationError } from '@venn/errors';
import { accountView, parseQueueFilter, queryQueue, queueCsv, recordReview, type QueueFilter } from '../src/internal/console/queue.js';
import { dropList, removeItems } from '../src/internal/list-store.js';
import { Store } from '../src/internal/store.js';

const root = mkdtempSync(join(tmpdir(), 'venn-queue-'));
afterAll(() => rmSync(root, { recursive: true, force: true }));

const DAY1 = Date.parse('2030-03-01T10:00:00Z');
const DAY2 = Date.parse('2030-03-02T10:00:00Z');
const DAY3 = Date.parse('2030-03-03T10:00:00Z');

let clock = DAY1;
let store: Store;
const digest = (n: number): Uint8Array => new Uint8Array(32).fill(n);
let roundCounter = 0;

/** A completed round with `peer` at `at` that matched `digests`, each with the peer's labels. */
function round(peer: string, at: number, matched: Array<[number, { category?: string; firstSeen?: string; reason?: string }?]>, status: 'completed' | 'aborted' = 'completed'): void {
  clock = at;
  const id = new Uint8Array(32).fill(0);
  id[0] = ++roundCounter;
  const record = store.createRound({ roundId: id, peerId: peer, role: 'initiator', origin: 'ad-hoc', slot: null, mode: 'intersection' });
  store.markRunning(record.row, 10);
  store.finishRound(record.row, status === 'completed'
    ? { status, localSetSize: 10, peerSetSize: 10, intersectionSize: matched.length, peerClaimedSize: matched.length, transcriptHash: new Uint8Array(64), matches: matched.map(([n, labels]) => ({ digest: digest(n), peerLabels: labels })) }
    : { status, reason: 'timeout' });
}

beforeAll(() => {
  store = Store.open(join(root, 'venn.db'), { now: () => clock });
  const emails = store.ensureList('suspicious', 'email');
  const phones = store.ensureList('phones', 'phone');
  store.addItems(emails.id, [
    { digest: digest(1), accountRef: 'acct-1', category: 'fraud' },
    { digest: digest(2), accountRef: 'acct-2' },
    { digest: digest(3), accountRef: 'acct-3' },
    { digest: digest(5), accountRef: '' },
    { digest: digest(6), accountRef: '=HYPERLINK("x")' },
    { digest: digest(9), accountRef: 'acct-9' },
  ]);
  store.addItems(phones.id, [{ digest: digest(4), accountRef: 'acct-1' }]);
  round('lab-b', DAY1, [[1, { category: 'distillation', firstSeen: '2029-12-01' }], [2, { category: 'fraud' }], [5]]);
  round('lab-c', DAY2, [[1, { category: 'distillation', reason: 'ring, "shared"' }], [4, { category: 'abuse' }], [6]]);
  round('lab-b', DAY3, [[1, { category: 'distillation', firstSeen: '2029-12-01' }], [3]]);
  // An aborted round's nothing never shows; digest 9 is never matched.
  round('lab-c', DAY3 + 1000, [], 'aborted');
});
afterAll(() => store.close());

const accounts = (filter: QueueFilter = {}): string[] => queryQueue(store, filter).rows.map((row) => row.account);

describe('triage queue', () => {
  it('groups matches by local account: kinds, peers, labels per peer, first and latest match, newest first', () => {
    const view = queryQueue(store);
    // Newest evidence first; ties by account reference.
    expect(view.rows.map((row) => row.account)).toEqual(['acct-3', '=HYPERLINK("x")', 'acct-1', '', 'acct-2']);
    const one = view.rows.find((row) => row.account === 'acct-1')!;
    expect(one).toMatchObject({
      kinds: ['email', 'phone'], lists: ['phones', 'suspicious'], peers: ['lab-b', 'lab-c'], identifiers: 2, firstMatched: DAY1, state: 'new', note: '', reopened: false,
      labels: { 'lab-b': { category: ['distillation'], first_seen: ['2029-12-01'], reason: [] }, 'lab-c': { category: ['abuse', 'distillation'], first_seen: [], reason: ['ring, "shared"'] } },
    });
    // acct-1's newest evidence is phone 4 from lab-c on day 2; day 3 only re-matched email 1.
    expect(one.latestMatch).toBe(DAY2);
    expect(view.rows[0]).toMatchObject({ account: 'acct-3', latestMatch: DAY3, firstMatched: DAY3 });
    expect(view.counts).toEqual({ new: 5, reviewed: 0, actioned: 0, 'false-positive': 0 });
    expect(view.facets).toEqual({ peers: ['lab-b', 'lab-c'], kinds: ['email', 'phone'], categories: ['abuse', 'distillation', 'fraud'] });
  });

  it('filters by peer, kind, label category and date range', () => {
    expect(accounts({ peer: 'lab-c' })).toEqual(['=HYPERLINK("x")', 'acct-1']);
    expect(accounts({ kind: 'phone' })).toEqual(['acct-1']);
    expect(accounts({ category: 'fraud' })).toEqual(['acct-2']);
    expect(accounts({ since: '2030-03-02', until: '2030-03-02' })).toEqual(['=HYPERLINK("x")', 'acct-1']);
    // The range selects pairs by their first match: acct-1 matched again on day 3, but nothing new.
    expect(accounts({ since: '2030-03-03' })).toEqual(['acct-3']);
    expect(accounts({ until: '2030-03-01' })).toEqual(['', 'acct-1', 'acct-2']);
    expect(queryQueue(store, { until: '2030-03-01' }).rows.find((row) => row.account === 'acct-1')).toMatchObject({ peers: ['lab-b'], kinds: ['email'], firstMatched: DAY1, latestMatch: DAY1 });
    // Aggregates cover the filtered matches only.
    expect(queryQueue(store, { peer: 'lab-b' }).rows.find((row) => row.account === 'acct-1')).toMatchObject({ kinds: ['email'], peers: ['lab-b'], identifiers: 1 });
  });

  it('keeps a review until new evidence arrives for the account, then puts it back as new', () => {
    const before = queryQueue(store).rows.find((row) => row.account === 'acct-2')!;
    clock = DAY3 + 5000;
    recordReview(store, { account: 'acct-2', state: 'reviewed', note: 'known reseller', version: before.version }, clock);
    recordReview(store, { account: '', state: 'false-positive', note: '', version: queryQueue(store).rows.find((row) => row.account === '')!.version }, clock);
    expect(queryQueue(store).rows.find((row) => row.account === 'acct-2')).toMatchObject({ state: 'reviewed', note: 'known reseller', reviewedAt: DAY3 + 5000, reopened: false });
    expect(accounts({ state: 'reviewed' })).toEqual(['acct-2']);
    expect(queryQueue(store).counts).toEqual({ new: 3, reviewed: 1, actioned: 0, 'false-positive': 1 });
    // The same pair matching again is not new evidence; a new peer holding it is.
    round('lab-b', DAY3 + 10_000, [[2, { category: 'fraud' }]]);
    expect(queryQueue(store).rows.find((row) => row.account === 'acct-2')).toMatchObject({ state: 'reviewed' });
    round('lab-c', DAY3 + 20_000, [[2]]);
    expect(queryQueue(store).rows.find((row) => row.account === 'acct-2')).toMatchObject({ state: 'new', note: 'known reseller', reopened: true, peers: ['lab-b', 'lab-c'] });
    expect(accounts({ state: 'reviewed' })).toEqual([]);
    // A review made from a stale page covers only what that page showed.
    recordReview(store, { account: 'acct-2', state: 'actioned', note: 'banned', version: before.version }, clock);
    expect(queryQueue(store).rows.find((row) => row.account === 'acct-2')).toMatchObject({ state: 'new', note: 'banned', reopened: true });
    const current = queryQueue(store).rows.find((row) => row.account === 'acct-2')!;
    recordReview(store, { account: 'acct-2', state: 'actioned', note: 'banned', version: current.version }, clock);
    expect(queryQueue(store).rows.find((row) => row.account === 'acct-2')).toMatchObject({ state: 'actioned', reopened: false });
  });

  it('shows one account across rounds and peers without a digest', () => {
    const view = accountView(store, 'acct-1')!;
    expect(view.identifiers).toEqual([
      { identifier: 1, kind: 'email', list: 'suspicious', category: 'fraud', firstSeen: null, reason: null },
      { identifier: 2, kind: 'phone', list: 'phones', category: null, firstSeen: null, reason: null },
    ]);
    expect(view.matches.map((m) => [m.identifier, m.peer, m.at, m.first])).toEqual([[1, 'lab-b', DAY1, true], [2, 'lab-c', DAY2, true], [1, 'lab-c', DAY2, true], [1, 'lab-b', DAY3, false]]);
    expect(view.matches[0]!.peerLabels).toEqual({ category: 'distillation', firstSeen: '2029-12-01' });
    expect(JSON.stringify(view)).not.toContain(Buffer.from(digest(1)).toString('hex'));
    expect(accountView(store, 'acct-9')).toBeNull();
    expect(accountView(store, 'nobody')).toBeNull();
  });

  it('exports CSV with one label column per peer and field, quoted and safe for spreadsheets', () => {
    const csv = queueCsv(queryQueue(store, { peer: 'lab-c' }), ['lab-b', 'lab-c', 'lab-d']);
    const lines = csv.split('\r\n');
    expect(lines[0]).toBe('account_ref,kinds,peers,identifiers,first_matched,latest_match,state,note,reviewed_at,'
      + 'label_lab-b_category,label_lab-b_first_seen,label_lab-b_reason,label_lab-c_category,label_lab-c_first_seen,label_lab-c_reason,label_lab-d_category,label_lab-d_first_seen,label_lab-d_reason');
    expect(lines).toContain(`acct-1,email; phone,lab-c,2,${new Date(DAY2).toISOString()},${new Date(DAY2).toISOString()},new,,,,,,abuse; distillation,,"ring, ""shared""",,,`);
    // A cell a spreadsheet would evaluate is defused with a leading quote.
    expect(lines.some((line) => line.startsWith(`"'=HYPERLINK(""x"")",email,lab-c,1,`))).toBe(true);
    expect(csv.endsWith('\r\n')).toBe(true);
    expect(lines).toHaveLength(2 + 3);
  });
});

describe('junk filters and reviews', () => {
  const params: Array<[string, Record<string, string>, RegExp]> = [
    ['peer not a lab id', { peer: 'Lab B' }, /"peer" expected a lab id/],
    ['unknown kind', { kind: 'fingerprint' }, /"kind" expected an identifier kind, got "fingerprint"/],
    ['since not a day', { since: '2030-13-01' }, /"since" expected a UTC day YYYY-MM-DD, got "2030-13-01"/],
    ['until with time', { until: '2030-03-01T00:00' }, /"until" expected a UTC day/],
    ['until before since', { since: '2030-03-02', until: '2030-03-01' }, /"until" expected a day on or after "since" \(2030-03-02\)/],
    ['unknown state', { state: 'closed' }, /"state" expected one of new, reviewed, actioned, false-positive, got "closed"/],
    ['long category', { category: 'x'.repeat(201) }, /"category" expected at most 200 characters/],
  ];
  it.each(params)('%s', (_name, query, message) => {
    let caught: unknown;
    try { parseQueueFilter(query, store); } catch (error) { caught = error; }
    expect(caught).toBeInstanceOf(ValidationError);
    expect((caught as ValidationError).code).toBe('invalid-filter');
    expect((caught as Error).message).toMatch(message);
  });

  it('treats empty values as no filter and resolves round prefixes', () => {
    expect(parseQueueFilter({ peer: '', kind: ' ', state: undefined as unknown as string }, store)).toEqual({ peer: undefined, kind: undefined, category: undefined, since: undefined, until: undefined, state: undefined, round: undefined });
    expect(() => parseQueueFilter({ round: '01' }, store)).toThrow(/"round" expected 8 to 64 hex digits/);
  });

  const reviews: Array<[string, Record<string, unknown>, string, RegExp]> = [
    ['unknown state', { account: 'acct-1', state: 'done', note: '', version: 1 }, 'invalid-review', /"state" expected one of/],
    ['note too long', { account: 'acct-1', state: 'reviewed', note: 'x'.repeat(2001), version: 1 }, 'invalid-review', /"note" expected a string of at most 2000 characters, got 2001 characters/],
    ['note not text', { account: 'acct-1', state: 'reviewed', note: 5, version: 1 }, 'invalid-review', /"note" expected a string/],
    ['version from the future', { account: 'acct-1', state: 'reviewed', note: '', version: 10_000 }, 'invalid-review', /"version" expected at most \d+/],
    ['version not an integer', { account: 'acct-1', state: 'reviewed', note: '', version: '3' }, 'invalid-review', /"version" expected a non-negative integer/],
    ['account not text', { account: 7, state: 'reviewed', note: '', version: 1 }, 'invalid-review', /"account" expected a local account reference/],
    ['account never matched', { account: 'acct-9', state: 'reviewed', note: '', version: 1 }, 'unknown-account', /"account" expected a local account reference with matches/],
  ];
  it.each(reviews)('review: %s', (_name, input, code, message) => {
    let caught: unknown;
    try { recordReview(store, input as never, clock); } catch (error) { caught = error; }
    expect((caught as ValidationError).code).toBe(code);
    expect((caught as Error).message).toMatch(message);
  });
});

describe('items removed after they matched', () => {
  it('stay in the queue and the account view with their kind and list, not twice once re-ingested', () => {
    const before = queryQueue(store).rows;
    expect(removeItems(store, 'suspicious', [digest(3)])).toMatchObject({ removed: 1 });
    expect(dropList(store, 'phones')).toMatchObject({ items: 1 });
    const after = queryQueue(store).rows;
    expect(after.map((row) => [row.account, row.kinds, row.lists, row.peers, row.identifiers])).toEqual(before.map((row) => [row.account, row.kinds, row.lists, row.peers, row.identifiers]));
    const view = accountView(store, 'acct-3');
    expect(view?.matches.map((match) => [match.kind, match.list, match.peer])).toEqual([['email', 'suspicious', 'lab-b']]);
    // The own labels are not kept for a removed item.
    expect(view?.identifiers).toEqual([{ identifier: 1, kind: 'email', list: 'suspicious', category: null, firstSeen: null, reason: null }]);
    // Back in its list: one match, not two.
    store.addItems(store.ensureList('suspicious', 'email').id, [{ digest: digest(3), accountRef: 'acct-3', category: 'fraud' }]);
    expect(accountView(store, 'acct-3')?.identifiers).toEqual([{ identifier: 1, kind: 'email', list: 'suspicious', category: 'fraud', firstSeen: null, reason: null }]);
    expect(queryQueue(store).rows.find((row) => row.account === 'acct-3')?.identifiers).toBe(1);
  });
});
