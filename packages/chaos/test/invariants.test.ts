/**
 * The chaos run's invariant checker: clean evidence passes, and each invariant broken on purpose
 * is reported under its own name. Durability is also checked against a real store that is rolled
 * back to an older copy, as a restore from an old backup would.
 */
import { copyFileSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { encodeRoundRecord } from '@venn/audit';
import { Store } from '@venn/node';
import { readSnapshot, type AttemptRow, type StoreSnapshot } from '../src/internal/evidence.js';
import { checkDurability, checkInvariants, lostLastFinish, type InvariantName, type RunEvidence } from '../src/internal/invariants.js';

const ROUND = 'ab'.repeat(32);
const OTHER = 'cd'.repeat(32);

function attempt(overrides: Partial<AttemptRow>): AttemptRow {
  return {
    row: 1, roundId: ROUND, attempt: 1, peer: 'lab-b', role: 'initiator', origin: 'scheduled', status: 'completed', reason: null, transcriptHash: '11'.repeat(64),
    intersectionSize: 2, peerClaimedSize: 2, allowance: 100, evaluationsSent: 40, evaluationsReceived: 40, matchesHash: 'm1', matchCount: 2, ...overrides,
  };
}

function snapshot(node: string, attempts: AttemptRow[], extra: Partial<StoreSnapshot> = {}): StoreSnapshot {
  return {
    node, takenAt: 0, attempts: new Map(attempts.map((a) => [a.row, a])), leaves: ['leaf0', 'leaf1'], heads: [{ size: 1, root: 'root1' }, { size: 2, root: 'root2' }],
    quotas: [{ peer: node === 'lab-a' ? 'lab-b' : 'lab-a', day: '2031-01-01', rounds: 1, adHocRounds: 0 }], open: 0, ...extra,
  };
}

const limits = { maxEvaluationsPerDay: 100, maxEvaluationsPerRound: 60, maxRoundsPerDay: 4, maxAdHocRoundsPerDay: 2 };

function clean(): RunEvidence {
  const a = [attempt({}), attempt({ row: 2, roundId: OTHER, status: 'aborted', reason: 'connection-lost', transcriptHash: null, intersectionSize: null, peerClaimedSize: null, evaluationsSent: 10, matchesHash: '', matchCount: 0 })];
  const b = [attempt({ peer: 'lab-a', role: 'responder' })];
  const earlier = snapshot('lab-a', [a[0]!], { leaves: ['leaf0'], heads: [{ size: 1, root: 'root1' }] });
  return {
    nodes: ['lab-a', 'lab-b'],
    snapshots: [earlier],
    final: new Map([['lab-a', snapshot('lab-a', a)], ['lab-b', snapshot('lab-b', b)]]),
    matchKeys: new Map([['lab-a', new Map([[1, ['email:acct-1', 'phone:acct-2']]])], ['lab-b', new Map([[1, ['email:u-9', 'phone:u-8']]])]]),
    expected: { 'lab-a': { 'lab-b': ['email:acct-1', 'phone:acct-2'] }, 'lab-b': { 'lab-a': ['email:u-9', 'phone:u-8'] } },
    limits: { 'lab-a': { 'lab-b': limits }, 'lab-b': { 'lab-a': limits } },
    rootsAt: new Map([['lab-a', new Map([[1, 'root1'], [2, 'root2']])], ['lab-b', new Map([[1, 'root1'], [2, 'root2']])]]),
    proofs: [{ node: 'lab-a', from: 1, to: 2, fromRoot: 'root1', verified: true }],
    crossChecks: [{ a: 'lab-a', b: 'lab-b', exitCode: 0, issues: [] }],
    restarts: [{ node: 'lab-a', cause: 'kill -9', healthyMs: 850 }],
    exits: [{ node: 'lab-a', code: null, signal: 'SIGKILL', expected: true, detail: 'kill -9' }],
    peakRssMiB: { 'lab-a': 120, 'lab-b': 130 },
    rssLimitMiB: 768,
  };
}

type Mutable<T> = { -readonly [K in keyof T]: T[K] };

function finalOf(e: RunEvidence, node: string): Mutable<StoreSnapshot> {
  return e.final.get(node)! as Mutable<StoreSnapshot>;
}

function setAttempt(e: RunEvidence, node: string, row: number, overrides: Partial<AttemptRow>): void {
  const attempts = finalOf(e, node).attempts as Map<number, AttemptRow>;
  attempts.set(row, { ...attempts.get(row)!, ...overrides });
}

const breakages: Array<[string, InvariantName, (e: Mutable<RunEvidence>) => void]> = [
  ['the two sides claim different sizes', 'paired-results', (e) => setAttempt(e, 'lab-b', 1, { intersectionSize: 3 })],
  ['one side completed, the other aborted it for a protocol reason', 'one-sided-completion', (e) => setAttempt(e, 'lab-b', 1, { status: 'aborted', reason: 'bad-proof' })],
  ['one side completed, the other has no attempt of the round', 'one-sided-completion', (e) => { (finalOf(e, 'lab-b').attempts as Map<number, AttemptRow>).delete(1); }],
  ['a match is missing', 'ground-truth', (e) => { (e.matchKeys.get('lab-a') as Map<number, string[]>).set(1, ['email:acct-1']); }],
  ['an unplanted match', 'ground-truth', (e) => { (e.matchKeys.get('lab-a') as Map<number, string[]>).set(1, ['email:acct-1', 'phone:acct-2', 'ip:acct-3']); }],
  ['a finished attempt vanished after a crash', 'durability', (e) => { (finalOf(e, 'lab-a').attempts as Map<number, AttemptRow>).delete(1); }],
  ['a finished attempt changed after a crash', 'durability', (e) => setAttempt(e, 'lab-a', 1, { matchesHash: 'm2' })],
  ['a leaf was rewritten', 'log-append-only', (e) => { finalOf(e, 'lab-a').leaves = ['leafX', 'leaf1']; }],
  ['the log shrank', 'log-append-only', (e) => { finalOf(e, 'lab-a').leaves = []; }],
  ['a signed head no longer matches the log', 'log-append-only', (e) => { (e.rootsAt.get('lab-a') as Map<number, string>).set(2, 'other'); }],
  ['venn audit prove failed', 'log-proof', (e) => { e.proofs = [{ node: 'lab-a', from: 1, to: 2, fromRoot: 'root1', verified: false }]; }],
  ['the cross-check found an issue', 'cross-check', (e) => { e.crossChecks = [{ a: 'lab-a', b: 'lab-b', exitCode: 1, issues: [{ kind: 'split-view', roundId: null, detail: 'lab-a …' }] }]; }],
  ['the cross-check failed without a report', 'cross-check', (e) => { e.crossChecks = [{ a: 'lab-a', b: 'lab-b', exitCode: 70, issues: [] }]; }],
  ['more evaluations than the allowance', 'budget', (e) => setAttempt(e, 'lab-a', 2, { evaluationsSent: 101, allowance: 100 })],
  ['more evaluations than the daily budget over the run', 'budget', (e) => setAttempt(e, 'lab-a', 2, { evaluationsSent: 70, allowance: 70 })],
  ['more evaluations on one round id than its budget', 'budget', (e) => setAttempt(e, 'lab-a', 2, { roundId: ROUND, evaluationsSent: 30 })],
  ['more rounds than the quota', 'quota', (e) => { finalOf(e, 'lab-a').quotas = [{ peer: 'lab-b', day: '2031-01-01', rounds: 5, adHocRounds: 0 }]; }],
  ['a round id completed twice', 'round-once', (e) => { (finalOf(e, 'lab-a').attempts as Map<number, AttemptRow>).set(3, attempt({ row: 3, attempt: 2 })); }],
  ['a daemon never came back', 'healthy-restart', (e) => { e.restarts = [{ node: 'lab-a', cause: 'kill -9', healthyMs: null }]; }],
  ['a daemon died on its own', 'unexpected-exit', (e) => { e.exits = [{ node: 'lab-b', code: 70, signal: null, expected: false, detail: 'internal error' }]; }],
  ['memory grew past the bound', 'memory', (e) => { e.peakRssMiB = { 'lab-a': 900 }; }],
  ['an attempt stayed open', 'quiesced', (e) => { finalOf(e, 'lab-b').open = 1; }],
];

describe('the chaos invariant checker', () => {
  it('finds nothing in clean evidence', () => {
    expect(checkInvariants(clean())).toEqual([]);
  });

  it.each(breakages)('reports %s as %s', (_, invariant, breakIt) => {
    const evidence = clean() as Mutable<RunEvidence>;
    breakIt(evidence);
    const violations = checkInvariants(evidence);
    expect(violations.map((v) => v.invariant)).toContain(invariant);
    expect(violations.every((v) => v.detail.length > 0)).toBe(true);
  });
});

describe('a lost last FINISH', () => {
  it('is counted apart when the other side crashed or lost the connection between the two FINISH messages, and its cross-check issue with it', () => {
    const evidence = clean() as Mutable<RunEvidence>;
    setAttempt(evidence, 'lab-b', 1, { status: 'aborted', reason: 'daemon-restart' });
    evidence.crossChecks = [{ a: 'lab-a', b: 'lab-b', exitCode: 1, issues: [{ kind: 'one-sided-completion', roundId: ROUND, detail: 'lab-a recorded round … completed; lab-b … aborted (daemon-restart)' }] }];
    expect([...lostLastFinish(evidence)]).toEqual([ROUND]);
    expect(checkInvariants(evidence)).toEqual([]);
    // Another issue in the same cross-check is still a violation.
    evidence.crossChecks = [{ a: 'lab-a', b: 'lab-b', exitCode: 1, issues: [...evidence.crossChecks[0]!.issues, { kind: 'record-mismatch', roundId: OTHER, detail: 'different slot' }] }];
    expect(checkInvariants(evidence).map((v) => v.invariant)).toEqual(['cross-check']);
  });
});

describe('durability against a real store', () => {
  const dir = mkdtempSync(join(tmpdir(), 'venn-chaos-inv-'));
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it('reports the attempt and the leaf a store lost when it was replaced by an older copy', () => {
    const path = join(dir, 'venn.db');
    const older = join(dir, 'older.db');
    const store = Store.open(path);
    const record = store.createRound({ roundId: new Uint8Array(32).fill(9), peerId: 'lab-b', role: 'initiator', origin: 'ad-hoc', slot: null, mode: 'intersection', budget: { maxPeerSetSize: 100, maxEvaluationsPerDay: 1000, maxEvaluationsPerRound: 1000 } });
    store.db.pragma('wal_checkpoint(TRUNCATE)');
    copyFileSync(path, older);
    store.markRunning(record.row, 1);
    store.finishRound(record.row, {
      status: 'aborted', reason: 'connection-lost', detail: 'test', endedBy: 'responder', abandoned: false,
      logLeaf: (row) => encodeRoundRecord({
        roundId: row.roundId, attempt: row.attempt, rosterDigest: new Uint8Array(32).fill(1), slot: null, initiatorId: 'lab-a', responderId: 'lab-b', status: 'aborted', reason: 'connection-lost',
        transcriptHash: new Uint8Array(0), initiatorClaim: null, responderClaim: null, timestamp: 1_900_000_000_000, initiatorSetSize: null, responderSetSize: null,
        initiatorEvaluations: 0, responderEvaluations: 0, endedBy: 'responder',
      }),
    });
    const before = readSnapshot('lab-a', path);
    expect(before.attempts.size).toBe(1);
    expect(before.leaves).toHaveLength(1);
    store.close();
    copyFileSync(older, path);
    for (const suffix of ['-wal', '-shm']) rmSync(`${path}${suffix}`, { force: true });
    const after = readSnapshot('lab-a', path);
    const evidence = { ...clean(), snapshots: [before], final: new Map([['lab-a', after]]) };
    const violations = checkDurability(evidence);
    expect(violations.map((v) => v.invariant).sort()).toEqual(['durability', 'log-append-only']);
    expect(violations.find((v) => v.invariant === 'durability')?.detail).toContain(`attempt row ${record.row}`);
  });
});
