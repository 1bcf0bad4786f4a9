import { spawn } from 'node:child_process';
import { createHash } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ValidationError } from '@venn/errors';
import { Store, utcDay } from '../src/internal/store.js';
import { migrations } from '../src/internal/migrations.js';
import type { WritePacing } from '../src/internal/write-pacing.js';
import { ensureBuilt } from './helpers/build.js';

const dir = mkdtempSync(join(tmpdir(), 'venn-store-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const sha = (text: string): Uint8Array => new Uint8Array(createHash('sha256').update(text).digest());
let counter = 0;
/** Fixed slices of 3 rows, no pause. */
const SLICES_OF_3: WritePacing = { holdMs: 0, pauseMs: 0, firstRows: 3, syncEveryMs: 0 };
/** Stages matches as one slice (one transaction), the way the round worker stages each slice. */
function stageSlice(store: Store, row: number, matches: ReadonlyArray<{ digest: Uint8Array; peerLabels?: { category?: string } }>): number {
  const digests = new Uint8Array(matches.length * 32);
  const labels = new Map<number, { category?: string }>();
  matches.forEach((match, i) => {
    digests.set(match.digest, i * 32);
    if (match.peerLabels !== undefined) labels.set(i, match.peerLabels);
  });
  return store.stagePackedMatches(row, { digests, labels }, { holdMs: 0, pauseMs: 0, firstRows: Math.max(1, matches.length), syncEveryMs: 0 });
}
const freshPath = (): string => join(dir, `store-${++counter}.db`);

function clock(start = Date.UTC(2025, 0, 15, 12)): { now: () => number; advance: (ms: number) => void } {
  let t = start;
  return { now: () => t, advance: (ms) => { t += ms; } };
}

describe('store: opening and migrations', () => {
  it('creates a WAL store with synchronous=FULL and the latest schema version', () => {
    const store = Store.open(freshPath());
    expect(store.db.pragma('journal_mode', { simple: true })).toBe('wal');
    expect(store.db.pragma('synchronous', { simple: true })).toBe(2); // FULL
    expect(store.schemaVersion()).toBe(migrations.at(-1)!.version);
    store.close();
  });

  it('applies only new migrations on reopen and records each once', () => {
    const path = freshPath();
    Store.open(path).close();
    const extra = [...migrations, { version: migrations.length + 1, description: 'test column', sql: 'ALTER TABLE lists ADD COLUMN note TEXT' }];
    const store = Store.open(path, { migrations: extra });
    expect(store.schemaVersion()).toBe(extra.length);
    const versions = store.db.prepare('SELECT version FROM schema_version ORDER BY version').pluck().all();
    expect(versions).toEqual(extra.map((m) => m.version));
    store.close();
    // Reopening with the same list is a no-op (a second ALTER would fail).
    Store.open(path, { migrations: extra }).close();
  });

  it('records the identifier rules of each list; lists of a store from before version 6 have unknown rules, are stale and take no ingest', () => {
    const path = freshPath();
    const before = Store.open(path, { migrations: migrations.filter((m) => m.version < 6) });
    before.db.prepare('INSERT INTO lists (name, kind, created_at, updated_at) VALUES (?, ?, 0, 0)').run('old', 'email');
    before.close();
    const store = Store.open(path);
    try {
      const rules = 'venn/identifier/v2 hygiene/1 libphonenumber-js/1.13.16';
      store.ensureList('new', 'email', rules);
      expect(store.listSummaries().map((l) => [l.name, l.rules])).toEqual([['new', rules], ['old', null]]);
      expect(store.staleLists(rules)).toEqual([{ name: 'old', rules: null }]);
      expect(store.staleLists('venn/identifier/v2 hygiene/2 libphonenumber-js/1.13.16')).toEqual([{ name: 'new', rules }, { name: 'old', rules: null }]);
      expect(() => store.ensureList('old', 'email', rules)).toThrow(expect.objectContaining({ code: 'identifier-rules-stale', message: expect.stringMatching(/"--list" "old" .*unknown.*venn lists drop old/) as string }) as Error);
      expect(() => store.ensureList('new', 'email', 'venn/identifier/v2 hygiene/2 libphonenumber-js/1.13.16')).toThrow(expect.objectContaining({ code: 'identifier-rules-stale' }) as Error);
      expect(store.ensureList('new', 'email', rules).name).toBe('new');
      // The round input under rules some list was not built under is refused, not mixed.
      expect(() => store.localElements(rules)).toThrow(expect.objectContaining({ code: 'identifier-rules-stale' }) as Error);
      store.db.prepare('DELETE FROM lists WHERE name = ?').run('old');
      expect(store.localElements(rules).count).toBe(0);
    } finally {
      store.close();
    }
  });

  it('refuses a store written by a newer schema', () => {
    const path = freshPath();
    const extra = [...migrations, { version: migrations.length + 1, description: 'future', sql: 'CREATE TABLE future (x INTEGER)' }];
    Store.open(path, { migrations: extra }).close();
    expect(() => Store.open(path)).toThrow(expect.objectContaining({ code: 'store-too-new' }) as Error);
  });

  it('rolls back a failing migration entirely', () => {
    const path = freshPath();
    Store.open(path).close();
    const broken = [...migrations, { version: migrations.length + 1, description: 'broken', sql: 'CREATE TABLE half (x INTEGER); INSERT INTO nowhere VALUES (1);' }];
    expect(() => Store.open(path, { migrations: broken })).toThrow();
    const store = Store.open(path);
    expect(store.schemaVersion()).toBe(migrations.length);
    expect(store.db.prepare("SELECT 1 FROM sqlite_master WHERE name = 'half'").get()).toBeUndefined();
    store.close();
  });

  it('reports an unreadable store with a typed error', () => {
    expect(() => Store.open(join(dir, 'missing', 'x.db'))).toThrow(ValidationError);
    expect(() => Store.open(join(dir, 'absent.db'), { readonly: true })).toThrow(expect.objectContaining({ code: 'store-unavailable' }) as Error);
  });
});

describe('store: identifier lists', () => {
  it('stores digests with metadata, counts duplicates and keeps raw values out', () => {
    const store = Store.open(freshPath());
    const list = store.ensureList('fraud', 'email');
    const items = [
      { digest: sha('a'), accountRef: 'acct-1', category: 'distillation' },
      { digest: sha('b'), accountRef: 'acct-2' },
      { digest: sha('a'), accountRef: 'acct-1' },
      { digest: sha('a'), accountRef: 'acct-3' },
    ];
    expect(store.addItems(list.id, items)).toEqual({ inserted: 3, duplicates: 1 });
    expect(store.listSummaries()).toEqual([{ name: 'fraud', kind: 'email', items: 3, digests: 2, rules: null }]);
    expect(store.distinctDigestCount()).toBe(2);
    const elements = store.localElements();
    expect(elements.count).toBe(2);
    const packed = Buffer.from(elements.digests);
    const sorted = [sha('a'), sha('b')].map((d) => Buffer.from(d)).sort(Buffer.compare);
    expect(packed.equals(Buffer.concat(sorted))).toBe(true);
    expect(elements.labels.get(Buffer.from(sha('a')).toString('hex'))).toEqual({ category: 'distillation' });
    store.close();
  });

  it('refuses to reuse a list name for another kind, and non-32-byte digests', () => {
    const store = Store.open(freshPath());
    store.ensureList('x', 'email');
    expect(() => store.ensureList('x', 'phone')).toThrow(expect.objectContaining({ code: 'list-kind-mismatch' }) as Error);
    const list = store.ensureList('y', 'phone');
    expect(() => store.addItems(list.id, [{ digest: sha('ok') }, { digest: new Uint8Array(31) }])).toThrow(/"digest" expected Uint8Array of length 32, got length=31/);
    // The failing batch is rolled back as a whole.
    expect(store.distinctDigestCount()).toBe(0);
    store.close();
  });
});

describe('store: the round state machine', () => {
  const base = { peerId: 'lab-b', role: 'initiator' as const, origin: 'scheduled' as const, slot: 1_700_000_000, mode: 'intersection' as const };

  it('numbers attempts per round id and goes scheduled → running → completed', () => {
    const store = Store.open(freshPath());
    const roundId = sha('round');
    const first = store.createRound({ ...base, roundId });
    expect(first).toMatchObject({ attempt: 1, status: 'scheduled', slot: base.slot });
    store.markRunning(first.row, 5);
    store.finishRound(first.row, { status: 'aborted', reason: 'peer-disconnected', detail: 'socket closed' });
    expect(store.isFinalized(roundId)).toBe(false);
    const second = store.createRound({ ...base, roundId });
    expect(second.attempt).toBe(2);
    store.markRunning(second.row, 5);
    const done = store.finishRound(second.row, { status: 'completed', intersectionSize: 1, peerClaimedSize: 1, transcriptHash: sha('t'), matches: [{ digest: sha('m') }] });
    expect(done).toMatchObject({ status: 'completed', intersectionSize: 1, reason: null });
    expect(store.isFinalized(roundId)).toBe(true);
    expect(store.attempts(roundId).map((r) => [r.attempt, r.status, r.reason])).toEqual([[1, 'aborted', 'peer-disconnected'], [2, 'completed', null]]);
    store.close();
  });

  it('rejects illegal transitions in the database itself', () => {
    const store = Store.open(freshPath());
    const round = store.createRound({ ...base, roundId: sha('illegal') });
    expect(() => store.finishRound(round.row, { status: 'completed' })).toThrow(/illegal round status transition/);
    expect(store.round(round.row).status).toBe('scheduled');
    store.markRunning(round.row, 1);
    store.finishRound(round.row, { status: 'disputed', reason: 'size-mismatch' });
    expect(() => store.markRunning(round.row, 1)).toThrow(/immutable/);
    expect(() => store.db.prepare("UPDATE rounds SET reason = 'rewritten' WHERE id = ?").run(round.row)).toThrow(/immutable/);
    store.close();
  });

  it('aborts what a previous process left unfinished', () => {
    const path = freshPath();
    const store = Store.open(path);
    const a = store.createRound({ ...base, roundId: sha('a') });
    const b = store.createRound({ ...base, roundId: sha('b') });
    store.markRunning(b.row, 3);
    const c = store.createRound({ ...base, roundId: sha('c') });
    store.markRunning(c.row, 3);
    store.finishRound(c.row, { status: 'completed' });
    store.close();
    const reopened = Store.open(path);
    const aborted = reopened.abortUnfinished('daemon-restart', 'the node restarted during the round');
    expect(aborted.map((r) => r.row)).toEqual([a.row, b.row]);
    expect(reopened.round(b.row)).toMatchObject({ status: 'aborted', reason: 'daemon-restart' });
    expect(reopened.round(c.row).status).toBe('completed');
    reopened.close();
  });

  it('stages packed matches slice by slice with their labels, and refuses digests that are not 32 bytes each', () => {
    const path = freshPath();
    const store = Store.open(path);
    const list = store.ensureList('emails', 'email');
    const names = Array.from({ length: 7 }, (_, i) => `p${i}`);
    store.addItems(list.id, names.map((name) => ({ digest: sha(name), accountRef: name })));
    const round = store.createRound({ ...base, roundId: sha('packed') });
    store.markRunning(round.row, 7);
    const digests = new Uint8Array(7 * 32);
    names.forEach((name, i) => digests.set(sha(name), i * 32));
    expect(() => store.stagePackedMatches(round.row, { digests: digests.subarray(0, 33), labels: new Map() }, SLICES_OF_3)).toThrow(expect.objectContaining({ code: 'invalid-length' }));
    expect(store.matchCount(round.row)).toBe(0);
    // Slices of 3: 3 + 3 + 1 rows, each label on its own digest.
    expect(store.stagePackedMatches(round.row, { digests, labels: new Map([[0, { category: 'zero' }], [6, { reason: 'six' }]]) }, SLICES_OF_3)).toBe(7);
    expect(store.matchCount(round.row)).toBe(7);
    store.finishRound(round.row, { status: 'completed', intersectionSize: 7, peerClaimedSize: 7, transcriptHash: sha('t'), stagedMatches: 7 });
    const byAccount = new Map(store.matches().map((m) => [m.accountRef, m.peerLabels]));
    expect([...byAccount.keys()].sort()).toEqual(names);
    expect(byAccount.get('p0')).toEqual({ category: 'zero' });
    expect(byAccount.get('p6')).toEqual({ reason: 'six' });
    expect(byAccount.get('p3') ?? {}).toEqual({});
    store.close();
  });

  it('counts staged matches with their slices: a refused slice counts nothing, and the end checks the count kept', () => {
    const store = Store.open(freshPath());
    const list = store.ensureList('emails', 'email');
    store.addItems(list.id, ['c1', 'c2', 'c3'].map((name) => ({ digest: sha(name), accountRef: name })));
    const round = store.createRound({ ...base, roundId: sha('staged-count') });
    store.markRunning(round.row, 3);
    const staged = (): number => store.db.prepare('SELECT staged_matches FROM rounds WHERE id = ?').pluck().get(round.row) as number;
    expect(staged()).toBe(0);
    stageSlice(store, round.row, [{ digest: sha('c1') }]);
    // A slice repeating a staged digest fails as a whole: neither its rows nor its count stay.
    expect(() => stageSlice(store, round.row, [{ digest: sha('c2') }, { digest: sha('c1') }])).toThrow();
    expect(store.matchCount(round.row)).toBe(1);
    expect(staged()).toBe(1);
    stageSlice(store, round.row, [{ digest: sha('c2') }, { digest: sha('c3') }]);
    expect(staged()).toBe(3);
    expect(store.matchCount(round.row)).toBe(3);
    expect(() => store.finishRound(round.row, { status: 'completed', stagedMatches: 2 })).toThrow(expect.objectContaining({ code: 'store-changed', message: expect.stringContaining('expected 2 staged matches, found 3') }));
    expect(store.finishRound(round.row, { status: 'completed', intersectionSize: 3, peerClaimedSize: 3, transcriptHash: sha('t'), stagedMatches: 3 }).status).toBe('completed');
    expect(store.matches().map((m) => m.accountRef).sort()).toEqual(['c1', 'c2', 'c3']);
    store.close();
  });

  it('keeps matches staged before the end invisible until the attempt completes, and drops them when it does not', () => {
    const path = freshPath();
    const store = Store.open(path);
    const list = store.ensureList('emails', 'email');
    store.addItems(list.id, ['s1', 's2', 's3', 's4'].map((name) => ({ digest: sha(name), accountRef: name })));
    const visible = (): string[] => store.matches().map((m) => m.accountRef ?? '').sort();

    // Staged, then completed: visible only from the final status on.
    const done = store.createRound({ ...base, roundId: sha('staged-done') });
    expect(() => stageSlice(store, done.row, [{ digest: sha('s1') }])).toThrow(expect.objectContaining({ code: 'round-not-running' }));
    store.markRunning(done.row, 4);
    stageSlice(store, done.row, [{ digest: sha('s1') }, { digest: sha('s2'), peerLabels: { category: 'fraud' } }]);
    expect(store.matchCount(done.row)).toBe(2);
    expect(visible()).toEqual([]);
    expect(store.matchedDigestAccounts().size).toBe(0);
    // A count that disagrees with the rows present commits nothing.
    expect(() => store.finishRound(done.row, { status: 'completed', stagedMatches: 3 })).toThrow(expect.objectContaining({ code: 'store-changed' }));
    expect(store.round(done.row).status).toBe('running');
    expect(visible()).toEqual([]);
    store.finishRound(done.row, { status: 'completed', intersectionSize: 2, peerClaimedSize: 2, transcriptHash: sha('t'), stagedMatches: 2 });
    expect(visible()).toEqual(['s1', 's2']);
    expect(store.matches().find((m) => m.accountRef === 's2')?.peerLabels).toEqual({ category: 'fraud' });
    expect(() => stageSlice(store, done.row, [{ digest: sha('s3') }])).toThrow(expect.objectContaining({ code: 'round-not-running' }));

    // Staged, then aborted: the rows go with the abort.
    const aborted = store.createRound({ ...base, roundId: sha('staged-aborted') });
    store.markRunning(aborted.row, 4);
    stageSlice(store, aborted.row, [{ digest: sha('s3') }]);
    store.finishRound(aborted.row, { status: 'aborted', reason: 'connection-lost', detail: 'gone' });
    expect(store.matchCount(aborted.row)).toBe(0);

    // Staged, then the process died: the restart's abort drops them.
    const crashed = store.createRound({ ...base, roundId: sha('staged-crashed') });
    store.markRunning(crashed.row, 4);
    stageSlice(store, crashed.row, [{ digest: sha('s4') }]);
    store.close();
    const reopened = Store.open(path);
    expect(reopened.matches().map((m) => m.accountRef).sort()).toEqual(['s1', 's2']);
    reopened.abortUnfinished('daemon-restart', 'the node restarted during the round');
    expect(reopened.matchCount(crashed.row)).toBe(0);
    expect(reopened.matches().map((m) => m.accountRef).sort()).toEqual(['s1', 's2']);
    reopened.close();
  });

  it('commits matches, the peer head and the log leaf with the final status, or none of them', () => {
    const store = Store.open(freshPath());
    const round = store.createRound({ ...base, roundId: sha('atomic') });
    store.markRunning(round.row, 2);
    expect(() => store.finishRound(round.row, {
      status: 'completed', matches: [{ digest: sha('x') }],
      logLeaf: () => { throw new Error('leaf encoding failed'); },
    })).toThrow('leaf encoding failed');
    expect(store.round(round.row).status).toBe('running');
    expect(store.matchCount(round.row)).toBe(0);
    expect(store.logSize()).toBe(0);
    store.finishRound(round.row, {
      status: 'completed', matches: [{ digest: sha('x') }],
      peerHead: { peerId: 'lab-b', treeSize: 4, root: sha('root'), timestamp: 10, signature: new Uint8Array(64) },
      logLeaf: (finished) => new Uint8Array([7, finished.row]),
    });
    expect(store.matchCount(round.row)).toBe(1);
    expect(store.logSize()).toBe(1);
    expect(store.logIndexOfRound(round.row)).toBe(0);
    expect([...store.log.leaf(0)]).toEqual([7, round.row]);
    // RFC 9162 §2.1.1: the root of a one-leaf tree is SHA-256(0x00 || leaf).
    expect(Buffer.from(store.log.root()).toString('hex')).toBe(createHash('sha256').update(Buffer.from([0, 7, round.row])).digest('hex'));
    expect(store.peerHeads('lab-b')).toHaveLength(1);
    expect(() => store.db.prepare('DELETE FROM log_leaves').run()).toThrow(/append-only/);
    expect(() => store.db.prepare('UPDATE log_nodes SET hash = zeroblob(32)').run()).toThrow(/append-only/);
    store.close();
  });

  it('keeps the Merkle log across reopen: roots and proofs of past sizes stay valid', async () => {
    const { verifyConsistency, verifyInclusion } = await import('@venn/audit');
    const path = freshPath();
    let store = Store.open(path);
    const finishOne = (i: number): void => {
      const round = store.createRound({ ...base, roundId: sha(`log-${i}`) });
      store.markRunning(round.row, 1);
      store.finishRound(round.row, { status: 'aborted', reason: 'timeout', logLeaf: () => new TextEncoder().encode(`record ${i}`) });
    };
    for (let i = 0; i < 5; i++) finishOne(i);
    const root5 = store.log.root();
    store.close();
    store = Store.open(path);
    for (let i = 5; i < 13; i++) finishOne(i);
    expect(store.logSize()).toBe(13);
    expect(Buffer.from(store.log.root(5)).equals(Buffer.from(root5))).toBe(true);
    const root13 = store.log.root();
    expect(verifyConsistency(5, 13, root5, root13, store.log.consistencyProof(5, 13))).toBe(true);
    const leafHash = store.log.leafHash(9);
    expect(verifyInclusion(leafHash, 9, 13, store.log.inclusionProof(9, 13), root13)).toBe(true);
    expect(verifyInclusion(leafHash, 8, 13, store.log.inclusionProof(9, 13), root13)).toBe(false);
    const row = store.roundOfLogIndex(9);
    expect(row).toBeTypeOf('number');
    expect(store.logIndexOfRound(row!)).toBe(9);
    store.close();
  });

  it('lists matches per local account with kind, peer and peer labels', () => {
    const store = Store.open(freshPath());
    const emails = store.ensureList('emails', 'email');
    const devices = store.ensureList('devices', 'device_id');
    store.addItems(emails.id, [{ digest: sha('e1'), accountRef: 'acct-1' }, { digest: sha('e1'), accountRef: 'acct-2' }, { digest: sha('e2'), accountRef: 'acct-3' }]);
    store.addItems(devices.id, [{ digest: sha('d1'), accountRef: 'acct-1' }]);
    const round = store.createRound({ ...base, roundId: sha('m') });
    store.markRunning(round.row, 3);
    store.finishRound(round.row, { status: 'completed', matches: [{ digest: sha('e1'), peerLabels: { category: 'fraud' } }, { digest: sha('d1') }] });
    const rows = store.matches({ peerId: 'lab-b' });
    expect(rows.map((r) => [r.kind, r.accountRef, r.peerId, r.peerLabels])).toEqual([
      ['device_id', 'acct-1', 'lab-b', {}],
      ['email', 'acct-1', 'lab-b', { category: 'fraud' }],
      ['email', 'acct-2', 'lab-b', { category: 'fraud' }],
    ]);
    expect(store.matches({ peerId: 'lab-c' })).toEqual([]);
    expect(store.matches({ roundId: sha('m') })).toHaveLength(3);
    store.close();
  });
});

describe('store: quotas', () => {
  it('counts distinct round ids per peer and UTC day, retries once, ad-hoc separately', () => {
    const time = clock();
    const store = Store.open(freshPath(), { now: time.now });
    const policy = { maxRoundsPerDay: 3, maxAdHocRoundsPerDay: 1 };
    expect(store.consumeQuota(sha('r1'), 'lab-b', 'scheduled', policy)).toEqual({ ok: true, counted: true, day: '2025-01-15' });
    expect(store.consumeQuota(sha('r1'), 'lab-b', 'scheduled', policy)).toEqual({ ok: true, counted: false, day: '2025-01-15' });
    expect(store.consumeQuota(sha('r2'), 'lab-b', 'ad-hoc', policy)).toEqual({ ok: true, counted: true, day: '2025-01-15' });
    const adHoc = store.consumeQuota(sha('r3'), 'lab-b', 'ad-hoc', policy);
    expect(adHoc).toMatchObject({ ok: false, reason: 'quota-exceeded' });
    expect(adHoc.ok ? '' : adHoc.detail).toMatch(/"maxAdHocRoundsPerDay" for lab-b expected at most 1 ad-hoc rounds on 2025-01-15, got round 2/);
    expect(store.consumeQuota(sha('r4'), 'lab-b', 'scheduled', policy).ok).toBe(true);
    const full = store.consumeQuota(sha('r5'), 'lab-b', 'scheduled', policy);
    expect(full).toMatchObject({ ok: false, reason: 'quota-exceeded' });
    expect(store.consumeQuota(sha('r5'), 'lab-c', 'scheduled', policy).ok).toBe(true);
    expect(store.quotaUsage('lab-b', utcDay(time.now()))).toEqual({ rounds: 3, adHocRounds: 1 });
    time.advance(24 * 3600 * 1000);
    expect(store.consumeQuota(sha('r5'), 'lab-b', 'scheduled', policy).ok).toBe(true);
    store.close();
  });

  it('counts a round id again on every new day it is accepted (a re-dialed id is never free)', () => {
    const time = clock();
    const store = Store.open(freshPath(), { now: time.now });
    const policy = { maxRoundsPerDay: 1, maxAdHocRoundsPerDay: 1 };
    expect(store.consumeQuota(sha('old'), 'lab-b', 'ad-hoc', policy)).toMatchObject({ ok: true, counted: true });
    time.advance(24 * 3600 * 1000);
    expect(store.consumeQuota(sha('other'), 'lab-b', 'ad-hoc', policy)).toMatchObject({ ok: true, counted: true });
    // Yesterday's id, dialed again today, is today's round: the day's quota is already spent.
    expect(store.consumeQuota(sha('old'), 'lab-b', 'ad-hoc', policy)).toMatchObject({ ok: false, reason: 'quota-exceeded' });
    store.close();
  });
});

describe('store: quota given back (node.md §5.1 step 10)', () => {
  it('a count released on its day frees the round, once, and only for its peer and day', () => {
    const time = clock();
    const store = Store.open(freshPath(), { now: time.now });
    const policy = { maxRoundsPerDay: 1, maxAdHocRoundsPerDay: 1 };
    const first = store.consumeQuota(sha('down'), 'lab-b', 'ad-hoc', policy);
    expect(first).toEqual({ ok: true, counted: true, day: '2025-01-15' });
    expect(store.consumeQuota(sha('next'), 'lab-b', 'ad-hoc', policy)).toMatchObject({ ok: false, reason: 'quota-exceeded' });
    // Another peer's or another day's release takes nothing back.
    store.releaseQuota(sha('down'), 'lab-c', 'ad-hoc', '2025-01-15');
    store.releaseQuota(sha('down'), 'lab-b', 'ad-hoc', '2025-01-14');
    expect(store.quotaUsage('lab-b', '2025-01-15')).toEqual({ rounds: 1, adHocRounds: 1 });
    store.releaseQuota(sha('down'), 'lab-b', 'ad-hoc', '2025-01-15');
    store.releaseQuota(sha('down'), 'lab-b', 'ad-hoc', '2025-01-15');
    expect(store.quotaUsage('lab-b', '2025-01-15')).toEqual({ rounds: 0, adHocRounds: 0 });
    expect(store.consumeQuota(sha('next'), 'lab-b', 'ad-hoc', policy)).toEqual({ ok: true, counted: true, day: '2025-01-15' });
    // The released id counts again when it is dialed again.
    expect(store.consumeQuota(sha('down'), 'lab-b', 'ad-hoc', policy)).toMatchObject({ ok: false, reason: 'quota-exceeded' });
    store.close();
  });
});

describe('store: evaluation budgets (node.md §5.2)', () => {
  const limits = { maxPeerSetSize: 100, maxEvaluationsPerDay: 250, maxEvaluationsPerRound: 150 };
  const frame = (evaluations: number): { message: Uint8Array; evaluations: number } => ({ message: new Uint8Array([3, evaluations & 0xff]), evaluations });

  it('reserves the allowance with the attempt: min(cap, day left, round left), never below 0', () => {
    const time = clock();
    const store = Store.open(freshPath(), { now: time.now });
    const first = store.createRound({ roundId: sha('a'), peerId: 'lab-b', role: 'responder', origin: 'ad-hoc', slot: null, mode: null, budget: limits });
    expect(first.allowance).toBe(100);
    // A concurrent attempt with the same peer cannot spend the same budget: 250 − 100 reserved.
    const second = store.createRound({ roundId: sha('b'), peerId: 'lab-b', role: 'responder', origin: 'ad-hoc', slot: null, mode: null, budget: limits });
    expect(second.allowance).toBe(100);
    const third = store.createRound({ roundId: sha('c'), peerId: 'lab-b', role: 'responder', origin: 'ad-hoc', slot: null, mode: null, budget: limits });
    expect(third.allowance).toBe(50);
    expect(store.budgetUsage('lab-b')).toEqual({ served: 0, reserved: 250, used: 250 });
    expect(store.createRound({ roundId: sha('d'), peerId: 'lab-b', role: 'responder', origin: 'ad-hoc', slot: null, mode: null, budget: limits }).allowance).toBe(0);
    // Another peer has its own budget.
    expect(store.createRound({ roundId: sha('e'), peerId: 'lab-c', role: 'responder', origin: 'ad-hoc', slot: null, mode: null, budget: limits }).allowance).toBe(100);
    store.close();
  });

  it('charges evaluations with the frame, refuses any beyond the allowance, and releases the rest at the end', () => {
    const time = clock();
    const store = Store.open(freshPath(), { now: time.now });
    const round = store.createRound({ roundId: sha('a'), peerId: 'lab-b', role: 'initiator', origin: 'ad-hoc', slot: null, mode: 'intersection', budget: limits });
    store.markRunning(round.row, null);
    store.recordSent(round.row, [frame(0), frame(60)]);
    expect(store.round(round.row)).toMatchObject({ evaluationsSent: 60, chargedAt: time.now() });
    // 60 + 41 > 100: refused, and nothing of the batch is recorded.
    expect(() => store.recordSent(round.row, [frame(41)])).toThrow(expect.objectContaining({ code: 'budget-overrun' }) as Error);
    expect(store.round(round.row).evaluationsSent).toBe(60);
    expect(store.transcript(round.row)).toHaveLength(2);
    // Even a direct write past the allowance is refused by the database itself.
    expect(() => store.db.prepare('UPDATE rounds SET evaluations_sent = 101 WHERE id = ?').run(round.row)).toThrow(/beyond the attempt's allowance/);
    store.recordReceived(round.row, frame(40));
    const finished = store.finishRound(round.row, { status: 'aborted', reason: 'peer-abort', endedBy: 'responder', abandoned: true });
    expect(finished).toMatchObject({ evaluationsSent: 60, evaluationsReceived: 40, endedBy: 'responder', abandoned: true });
    // Finished: what it served counts, not what it reserved.
    expect(store.budgetUsage('lab-b')).toEqual({ served: 60, reserved: 0, used: 60 });
    expect(store.roundEvaluations(sha('a'))).toBe(60);
    store.close();
  });

  it('counts a finished attempt for 24 hours after its last evaluation, and a round id across all its attempts', () => {
    const time = clock();
    const store = Store.open(freshPath(), { now: time.now });
    const serve = (id: string, n: number): void => {
      const round = store.createRound({ roundId: sha(id), peerId: 'lab-b', role: 'responder', origin: 'ad-hoc', slot: null, mode: null, budget: limits });
      store.markRunning(round.row, null);
      store.recordSent(round.row, [frame(n)]);
      store.finishRound(round.row, { status: 'aborted', reason: 'connection-lost' });
    };
    serve('x', 100);
    serve('x', 50);
    // maxEvaluationsPerRound 150: the id has nothing left, whatever the day's budget says.
    expect(store.allowanceFor('lab-b', sha('x'), limits)).toBe(0);
    expect(store.allowanceFor('lab-b', sha('y'), limits)).toBe(100);
    serve('y', 100);
    expect(store.allowanceFor('lab-b', sha('z'), limits)).toBe(0);
    time.advance(24 * 3600 * 1000 - 1);
    expect(store.budgetUsage('lab-b').used).toBe(250);
    time.advance(2);
    expect(store.budgetUsage('lab-b').used).toBe(0);
    expect(store.allowanceFor('lab-b', sha('z'), limits)).toBe(100);
    // The round id's own budget does not renew with the day.
    expect(store.allowanceFor('lab-b', sha('x'), limits)).toBe(0);
    expect(store.attemptCount(sha('x'))).toBe(2);
    store.close();
  });
});

describe('store: abandonments, suspensions and refusals (node.md §5.3–§5.4)', () => {
  it('counts abandonments over 24 hours, suspends once, and keeps the suspension until cleared', () => {
    const time = clock();
    const store = Store.open(freshPath(), { now: time.now });
    for (const id of ['p', 'q']) {
      const round = store.createRound({ roundId: sha(id), peerId: 'lab-b', role: 'responder', origin: 'ad-hoc', slot: null, mode: null });
      store.finishRound(round.row, { status: 'aborted', reason: 'connection-lost', endedBy: 'initiator', abandoned: true });
    }
    expect(store.abandonments('lab-b')).toBe(2);
    const first = store.suspend('lab-b', 2, 'two abandoned rounds');
    expect(store.suspend('lab-b', 3, 'again')).toEqual(first);
    time.advance(3 * 24 * 3600 * 1000);
    expect(store.abandonments('lab-b')).toBe(0);
    expect(store.openSuspension('lab-b')).toMatchObject({ abandonments: 2, clearedAt: null });
    expect(store.clearSuspension('lab-b', 'operator alice')).toMatchObject({ clearedAt: time.now(), clearedBy: 'operator alice' });
    expect(store.openSuspension('lab-b')).toBeUndefined();
    expect(store.clearSuspension('lab-b', 'again')).toBeUndefined();
    expect(store.suspensions('lab-b')).toHaveLength(1);
    store.close();
  });

  it('records a refusal once per (peer, round id, code) with a count', () => {
    const time = clock();
    const store = Store.open(freshPath(), { now: time.now });
    const refuse = (roundId: Uint8Array, code: string, detail: string): void =>
      store.recordRefusals([{ peerId: 'lab-b', roundId, code, detail, count: 1, firstAt: time.now(), lastAt: time.now() }], { wait: true });
    refuse(sha('r'), 'quota-exceeded', 'first');
    time.advance(1000);
    refuse(sha('r'), 'quota-exceeded', 'second');
    refuse(new Uint8Array(5), 'round-mismatch', 'short id');
    const refusals = store.refusals({ peerId: 'lab-b' });
    expect(refusals).toHaveLength(2);
    expect(refusals.find((r) => r.code === 'quota-exceeded')).toMatchObject({ count: 2, detail: 'second', lastAt: time.now(), firstAt: time.now() - 1000 });
    store.close();
  });
});

describe('store: transcripts', () => {
  it('appends messages in order across calls', () => {
    const store = Store.open(freshPath());
    const round = store.createRound({ peerId: 'lab-b', role: 'responder', origin: 'ad-hoc', slot: null, mode: 'cardinality', roundId: sha('t') });
    store.appendTranscript(round.row, [{ direction: 'received', message: new Uint8Array([1]) }, { direction: 'sent', message: new Uint8Array([2, 2]) }]);
    store.appendTranscript(round.row, [{ direction: 'received', message: new Uint8Array([3]) }]);
    expect(store.transcript(round.row).map((m) => [m.seq, m.direction, [...m.message]])).toEqual([[0, 'received', [1]], [1, 'sent', [2, 2]], [2, 'received', [3]]]);
    store.close();
  });
});

describe('store: crash safety', () => {
  beforeAll(() => ensureBuilt());

  it('loses no committed row and duplicates none when the writer is killed with SIGKILL', async () => {
    const path = freshPath();
    Store.open(path).close();
    const child = spawn(process.execPath, [join(import.meta.dirname, 'fixtures/store-writer.mjs'), path, 'lab-b'], { stdio: ['ignore', 'pipe', 'pipe'] });
    const committed: number[] = [];
    let stderr = '';
    child.stderr.on('data', (chunk: Buffer) => { stderr += chunk.toString(); });
    let buffered = '';
    const exited = new Promise<NodeJS.Signals | null>((resolve) => child.on('exit', (_code, signal) => resolve(signal)));
    await new Promise<void>((resolve, reject) => {
      child.stdout.on('data', (chunk: Buffer) => {
        buffered += chunk.toString();
        const lines = buffered.split('\n');
        buffered = lines.pop() ?? '';
        for (const line of lines) committed.push(Number(line.split(' ')[1]));
        // Kill while the writer is in the middle of its stream of transactions.
        if (committed.length >= 150 && child.exitCode === null && !child.killed) { child.kill('SIGKILL'); resolve(); }
      });
      child.on('exit', () => (committed.length >= 150 ? resolve() : reject(new Error(`writer exited early: ${stderr}`))));
    });
    expect(await exited).toBe('SIGKILL');

    const db = new Database(path, { readonly: true });
    expect(db.pragma('integrity_check', { simple: true })).toBe('ok');
    db.close();
    const store = Store.open(path);
    const rounds = store.listRounds({ limit: 100_000 });
    const completed = new Set(rounds.filter((r) => r.status === 'completed').map((r) => r.row));
    for (const row of committed) expect(completed.has(row)).toBe(true);
    // Any row beyond what was printed is either complete (committed, not yet printed) or still open.
    for (const round of rounds) {
      if (round.status === 'completed') {
        expect(store.matchCount(round.row)).toBe(3);
        expect(store.logIndexOfRound(round.row)).toBeTypeOf('number');
        expect(new TextDecoder().decode(store.log.leaf(store.logIndexOfRound(round.row)!))).toBe(`leaf ${round.row}`);
      } else {
        expect(['scheduled', 'running']).toContain(round.status);
        expect(store.matchCount(round.row)).toBe(0);
      }
    }
    expect(store.logSize()).toBe(completed.size);
    const indexes = store.db.prepare('SELECT idx FROM log_leaves ORDER BY idx').pluck().all() as number[];
    expect(indexes).toEqual(indexes.map((_, i) => i));
    expect(new Set(rounds.map((r) => Buffer.from(r.roundId).toString('hex'))).size).toBe(rounds.length);
    store.close();
  });
});
