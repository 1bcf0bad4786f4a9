/**
 * Cross-check branches (audit.md §10.2) the main cross-check tests leave open: a head the holder
 * received beyond the other lab's export, judged pending or split-view by the leaf of the attempt
 * that carried it (null receipt, a round with a third lab, a round between the two ended early or
 * late enough); a log that shrank, at the boundary of the owner's own latest head; how the settle
 * evidence is chosen; and the per-log summary. Each test pins the issue kinds, labs and pending
 * entries exactly.
 */
import { describe, expect, it } from 'vitest';
import { crossCheckLogs, encodeRoundRecord, signTreeHead, type CrossCheckReport, type ExportedLog, type RoundRecord } from '../src/index.js';
import { Lab, T0, federation, kinds, record, roster, v2 } from './log-harness.js';
import { keys } from './round-harness.js';

const encoder = new TextEncoder();

const pendingKinds = (report: CrossCheckReport): string[] => report.pending.map((issue) => `${issue.kind}:${issue.lab ?? '-'}`);

const splitIssues = (report: CrossCheckReport): string[] => report.issues.filter((issue) => issue.kind === 'split-view').map((issue) => issue.detail);
const splitPending = (report: CrossCheckReport): string[] => report.pending.filter((issue) => issue.kind === 'split-view').map((issue) => issue.detail);
const HOUR = 3_600_000;

/**
 * federation(8), and lab-a's export as its log stood after round 2 (4 leaves, heads backdated)
 * plus `extra` leaves: lab-b holds lab-a's heads of sizes 5 to 8, all larger than that export
 * except 5, whose root no longer matches once a leaf is appended.
 */
function truncatedA(extra: readonly RoundRecord[], lastClock?: number): { a: Lab; b: Lab; cut: Lab } {
  const { a, b } = federation(8);
  const cut = new Lab('lab-a', keys.initiator.secretKey);
  for (let i = 0; i < 4; i++) {
    cut.clock = a.heads[i]!.timestamp - 1000;
    cut.append(a.log.leaf(i));
  }
  cut.clock = lastClock ?? a.heads[0]!.timestamp - 500;
  for (const leaf of extra) cut.append(encodeRoundRecord(v2(leaf)));
  return { a, b, cut };
}

const sizeOf = (detail: string): number => Number(/of size (\d+)/.exec(detail)![1]);

describe('heads the holder received beyond the other lab\'s export (audit.md §10.2)', () => {
  it('lab-b\'s receipts hold heads of sizes 5 to 8 carried by its leaves 4 to 7', () => {
    const { b } = federation(8);
    expect(b.received.filter((entry) => entry.head.size >= 5).map((entry) => [entry.head.size, entry.leafIndex])).toEqual([[5, 4], [6, 5], [7, 6], [8, 7]]);
  });

  it('a head whose receipt names no leaf stays pending, even when the export holds a later round', () => {
    const { b, cut } = truncatedA([record(7)]);
    const noLeaf = { ...b.exported(), peerHeads: b.received.map((entry) => ({ ...entry, leafIndex: null })) };
    const report = crossCheckLogs({ ...cut.exported(), peerHeads: [] }, noLeaf, roster);
    // Only the head of size 5 is a split view: its root does not match the export at that size.
    expect(splitIssues(report).map(sizeOf)).toEqual([5]);
    expect(splitPending(report).map(sizeOf)).toEqual([6, 7, 8]);
    expect(report.pending.filter((issue) => issue.kind === 'split-view').every((issue) => issue.lab === 'lab-a')).toBe(true);
    expect(splitPending(report)[0]).toBe("lab-b holds a head of lab-a of size 6, larger than lab-a's export of 5 leaves, and no evidence yet that the export was taken after it");
  });

  it('the same heads, with their receipts, are split views once the export holds a round lab-b ended more than 25 h after the carrying one', () => {
    const { b, cut } = truncatedA([record(7)]);
    const report = crossCheckLogs({ ...cut.exported(), peerHeads: [] }, b.exported(), roster);
    expect(splitIssues(report).map(sizeOf)).toEqual([5, 6, 7]);
    expect(splitIssues(report)[1]).toMatch(/^lab-b received a head of lab-a of size 6, yet lab-a's export has 5 leaves although it was taken later: lab-a's export holds round [0-9a-f]{16}…, whose attempt lab-b ended at 2030-03-26T11:46:40\.000Z, 60\.0 h later$/);
    expect(splitPending(report).map(sizeOf)).toEqual([8]);
  });

  it('a receipt naming a leaf of a round with a third lab is no evidence: that head stays pending', () => {
    const { b, cut } = truncatedA([record(7)]);
    // lab-b's leaf 8 is an early round between lab-b and lab-c; the receipt of the head of size 6 points at it.
    const third = encodeRoundRecord(record(300, { initiatorId: 'lab-b', responderId: 'lab-c', timestamp: 1_900_000_000_000 }));
    const exported = b.exported();
    const peerHeads = exported.peerHeads.map((entry) => (entry.head.size === 6 ? { ...entry, leafIndex: 8 } : entry));
    const report = crossCheckLogs({ ...cut.exported(), peerHeads: [] }, { ...exported, leaves: [...exported.leaves, third], peerHeads }, roster);
    expect(splitIssues(report).map(sizeOf)).toEqual([5, 7]);
    expect(splitPending(report).map(sizeOf)).toEqual([6, 8]);
  });

  it('a receipt naming a leaf index beyond the holder\'s log is no evidence either', () => {
    const { b, cut } = truncatedA([record(7)]);
    const exported = b.exported();
    const peerHeads = exported.peerHeads.map((entry) => (entry.head.size === 6 ? { ...entry, leafIndex: 99 } : entry));
    const report = crossCheckLogs({ ...cut.exported(), peerHeads: [] }, { ...exported, peerHeads }, roster);
    expect(splitIssues(report).map(sizeOf)).toEqual([5, 7]);
    expect(splitPending(report).map(sizeOf)).toEqual([6, 8]);
  });

  for (const [offset, verdict] of [[0, 'pending'], [1, 'split-view']] as const) {
    it(`a paired round lab-b ended 1 h + 24 h ${offset === 0 ? 'exactly' : 'and 1 ms'} after the carrying leaf makes that head ${verdict}`, () => {
      const { b } = federation(8);
      // lab-b's leaf 6 (round 6) carried the head of size 7; a later round of the two, logged by
      // both, ends `offset` ms past the window.
      const carriedAt = record(6).timestamp;
      const late = record(300, { timestamp: carriedAt + HOUR + 24 * HOUR + offset });
      const { cut } = truncatedA([late]);
      const exported = b.exported();
      const report = crossCheckLogs({ ...cut.exported(), peerHeads: [] }, { ...exported, leaves: [...exported.leaves, encodeRoundRecord(late)] }, roster);
      // Round 5 (head of size 6) ended 30 h before round 6: settled either way.
      expect(splitIssues(report).map(sizeOf)).toEqual(offset === 0 ? [5, 6] : [5, 6, 7]);
      expect(splitPending(report).map(sizeOf)).toEqual(offset === 0 ? [7, 8] : [8]);
    });
  }

  for (const [offset, verdict] of [[0, 'a split view: by its own account its log shrank'], [-1, 'not the shrinking case']] as const) {
    it(`a held head signed ${offset === 0 ? 'at the same time as' : '1 ms after'} the owner's latest own head is ${verdict}`, () => {
      const { a } = federation(8);
      const head8 = a.heads.find((head) => head.size === 8)!;
      // lab-a's export (4 leaves + 1) ends with its own head signed at head8's time (append adds 1 s).
      const { b, cut } = truncatedA([record(7)], head8.timestamp - 1000 + offset);
      expect(cut.latest()!.timestamp).toBe(head8.timestamp + offset);
      const report = crossCheckLogs({ ...cut.exported(), peerHeads: [] }, b.exported(), roster);
      const shrank = splitIssues(report).filter((detail) => detail.includes("larger than lab-a's head signed at"));
      if (offset === 0) {
        expect(shrank.map(sizeOf)).toEqual([6, 7, 8]);
        expect(shrank[2]).toBe(`lab-b received a head of lab-a of size 8 (at ${new Date(head8.timestamp).toISOString()}), larger than lab-a's head signed at ${new Date(head8.timestamp).toISOString()} and its 5 exported leaves`);
        expect(splitPending(report)).toEqual([]);
      } else {
        expect(shrank.map(sizeOf)).toEqual([6, 7]);
        expect(splitPending(report).map(sizeOf)).toEqual([8]);
      }
    });
  }
});

describe('heads of one size with different roots', () => {
  it('three held heads of one size with three roots are one split view, reported once', () => {
    const { a, b } = federation(3);
    const forks = ['x', 'y', 'z'].map((tag) => {
      const lab = new Lab('lab-a', keys.initiator.secretKey);
      for (let i = 0; i < 9; i++) lab.append(encoder.encode(`${tag}${i}`));
      return lab.latest()!;
    });
    const report = crossCheckLogs(a.exported(), { ...b.exported(), peerHeads: [...b.received, ...forks.map((head) => ({ peerId: 'lab-a', head, opened: null, leafIndex: null }))] }, roster);
    const twins = report.issues.filter((issue) => issue.kind === 'split-view' && issue.detail.includes('two heads of size 9'));
    expect(twins).toEqual([{ kind: 'split-view', lab: 'lab-a', detail: 'lab-a signed two heads of size 9 with different roots (both held by lab-b)' }]);
  });

  it('two held heads of one size with the same root are no issue', () => {
    const { a, b } = federation(3);
    const lab = new Lab('lab-a', keys.initiator.secretKey);
    lab.clock = 2 ** 50; // signed after lab-a's export: larger than it, but not a log that shrank
    for (let i = 0; i < 9; i++) lab.append(encoder.encode(`x${i}`));
    const head = lab.latest()!;
    const later = signTreeHead({ size: head.size, root: head.root, timestamp: head.timestamp + 1 }, 'lab-a', keys.initiator.secretKey.slice());
    const report = crossCheckLogs(a.exported(), { ...b.exported(), peerHeads: [...b.received, ...[head, later].map((h) => ({ peerId: 'lab-a', head: h, opened: null, leafIndex: null }))] }, roster);
    expect(report.issues).toEqual([]);
    expect(splitPending(report).map(sizeOf)).toEqual([9, 9]);
  });
});

describe('logs, leaves and the summary', () => {
  it('a leaf of a round between two other labs makes the log invalid, naming the leaf and the parties', () => {
    const { a, b } = federation(2);
    const foreign = encodeRoundRecord(record(400, { initiatorId: 'lab-b', responderId: 'lab-c' }));
    const report = crossCheckLogs({ ...a.exported(), leaves: [...a.exported().leaves, foreign] }, b.exported(), roster);
    expect(report.issues).toEqual([{ kind: 'invalid-log', lab: 'lab-a', detail: 'leaf 3 records a round between lab-b and lab-c, to which lab-a is no party' }]);
  });

  it('a log whose owner is not a roster member is invalid, and its heads are not checked', () => {
    const { a, b } = federation(2);
    const only = { ...roster, members: roster.members.filter((member) => member.id === 'lab-a') };
    const report = crossCheckLogs(a.exported(), b.exported(), only);
    expect(report.issues).toEqual([{ kind: 'invalid-log', lab: 'lab-b', detail: 'lab-b is not a member of the roster' }]);
    expect(report.consistent).toBe(false);
  });

  it('the summary states each log\'s size, latest head and the heads of the other it holds', () => {
    const { a, b } = federation(3);
    const report = crossCheckLogs(a.exported(), b.exported(), roster);
    const latestA = a.latest()!;
    const latestB = b.latest()!;
    expect(report.logs).toEqual([
      { id: 'lab-a', size: 4, heads: 4, latestHead: { size: 4, root: Buffer.from(latestA.root).toString('hex'), timestamp: latestA.timestamp }, peerHeadsOfOther: 2, sharedLeaves: 3 },
      { id: 'lab-b', size: 3, heads: 3, latestHead: { size: 3, root: Buffer.from(latestB.root).toString('hex'), timestamp: latestB.timestamp }, peerHeadsOfOther: 2, sharedLeaves: 3 },
    ]);
    const empty = crossCheckLogs({ logId: 'lab-a', leaves: [], heads: [], peerHeads: [] }, { logId: 'lab-b', leaves: [], heads: [], peerHeads: [] }, roster);
    expect(empty).toEqual({
      consistent: true, matchedRounds: 0, issues: [], pending: [],
      logs: [{ id: 'lab-a', size: 0, heads: 0, latestHead: null, peerHeadsOfOther: 0, sharedLeaves: 0 }, { id: 'lab-b', size: 0, heads: 0, latestHead: null, peerHeadsOfOther: 0, sharedLeaves: 0 }],
    });
  });
});

describe('pairing the attempts of one round id (audit.md §10.2)', () => {
  const short = (n: number): string => `${Buffer.from(record(n).roundId).toString('hex').slice(0, 16)}…`;
  const hex16 = (bytes: Uint8Array): string => Buffer.from(bytes).toString('hex').slice(0, 16);

  it('one transcript with different claims on either side is a record mismatch; a claim one side lacks is not', () => {
    const { a, b } = federation(4, {
      leafB: (n, leaf) => (n === 1 ? { ...leaf, initiatorClaim: 7, responderClaim: 7 } : n === 2 ? { ...leaf, status: 'disputed', reason: 'size-mismatch', responderClaim: 9 } : leaf),
      leafA: (n, leaf) => (n === 3 ? { ...leaf, status: 'aborted', reason: 'bad-signature', initiatorClaim: null } : leaf),
    });
    const report = crossCheckLogs(a.exported(), b.exported(), roster);
    expect(report.issues.filter((issue) => issue.kind === 'record-mismatch')).toEqual([
      { kind: 'record-mismatch', lab: null, roundId: Buffer.from(record(1).roundId).toString('hex'), attempts: [1, 1], detail: `the two logs record different FINISH claims for one transcript of round ${short(1)}` },
      { kind: 'record-mismatch', lab: null, roundId: Buffer.from(record(2).roundId).toString('hex'), attempts: [1, 1], detail: `the two logs record different FINISH claims for one transcript of round ${short(2)}` },
    ]);
    // Round 2: a dispute against a completion is no one-sided completion (both finished). Round 3: lab-a
    // holds the transcript aborted without the initiator's claim, lab-b completed it: one-sided, no claim mismatch.
    expect(kinds(report).sort()).toEqual(['one-sided-completion:-', 'record-mismatch:-', 'record-mismatch:-']);
    expect(report.issues.find((issue) => issue.kind === 'one-sided-completion' && issue.roundId === Buffer.from(record(3).roundId).toString('hex'))!.detail)
      .toBe(`lab-b recorded round ${short(3)} attempt 1 completed with claims 3/3; lab-a recorded the same transcript attempt 1 aborted (bad-signature)`);
  });

  it('two different final transcripts are one transcript mismatch naming both hashes', () => {
    const other = new Uint8Array(64).fill(9);
    const { a, b } = federation(2, { leafB: (n, leaf) => (n === 1 ? { ...leaf, transcriptHash: other } : leaf) });
    const report = crossCheckLogs(a.exported(), b.exported(), roster);
    expect(report.issues).toEqual([{
      kind: 'transcript-mismatch', lab: null, roundId: Buffer.from(record(1).roundId).toString('hex'), attempts: [1, 1],
      detail: `lab-a logged transcript ${hex16(record(1).transcriptHash)}… and lab-b ${hex16(other)}… for round ${short(1)}`,
    }]);
  });

  it('a completion the other lab holds no leaf of, while its one leaf of the round pairs with another attempt', () => {
    const { a, b } = federation(2, { beforeA: (n) => (n === 1 ? [record(1, { attempt: 2, transcriptHash: new Uint8Array(64).fill(5), timestamp: record(1).timestamp - 10 })] : []) });
    const report = crossCheckLogs(a.exported(), b.exported(), roster);
    expect(report.issues).toEqual([{
      kind: 'one-sided-completion', lab: null, roundId: Buffer.from(record(1).roundId).toString('hex'), attempts: [2],
      detail: `lab-a recorded round ${short(1)} attempt 2 completed with claims 1/1; lab-b recorded no completion of it: no leaf of that attempt`,
    }]);
  });

  it('a completion against many aborted attempts lists eight of them and counts the rest', () => {
    const aborted = (attempt: number): RoundRecord => record(1, { attempt, status: 'aborted', reason: 'timeout', transcriptHash: new Uint8Array(0), initiatorClaim: null, responderClaim: null });
    const { a, b } = federation(2, { leafB: (n, leaf) => (n === 1 ? aborted(1) : leaf) });
    const exported = b.exported();
    const more = Array.from({ length: 10 }, (_, i) => encodeRoundRecord(v2(aborted(i + 2))));
    const report = crossCheckLogs(a.exported(), { ...exported, leaves: [...exported.leaves, ...more] }, roster);
    expect(report.issues).toHaveLength(1);
    expect(report.issues[0]).toMatchObject({ kind: 'one-sided-completion', lab: null, attempts: [1, 1, 2, 3, 4, 5, 6, 7, 8] });
    expect(report.issues[0]!.detail).toBe(`lab-a recorded round ${short(1)} attempt 1 completed with claims 1/1; lab-b recorded no completion of it: ${Array.from({ length: 8 }, (_, i) => `attempt ${i + 1} aborted (timeout)`).join(', ')} and 3 more aborted attempts`);
  });

  it('shared fields that differ are one record mismatch per round, naming every differing field', () => {
    const { a, b } = federation(2, { leafB: (n, leaf) => (n === 1 ? { ...leaf, rosterDigest: new Uint8Array(32).fill(0xee), slot: null } : leaf) });
    const exported = b.exported();
    // A second leaf of round 1 in lab-b's log that differs too: still one issue.
    const again = encodeRoundRecord(v2(record(1, { attempt: 2, rosterDigest: new Uint8Array(32).fill(0xee), status: 'aborted', reason: 'timeout', transcriptHash: new Uint8Array(0), initiatorClaim: null, responderClaim: null })));
    const report = crossCheckLogs(a.exported(), { ...exported, leaves: [...exported.leaves, again] }, roster);
    expect(report.issues).toEqual([{
      kind: 'record-mismatch', lab: null, roundId: Buffer.from(record(1).roundId).toString('hex'), attempts: [1, 1],
      detail: `the two logs record round ${short(1)} with different rosterDigest, slot`,
    }]);
  });
});

describe('heads: signatures, roots, order and whose they are', () => {
  const hexOf = (bytes: Uint8Array): string => Buffer.from(bytes).toString('hex');

  it('a head that does not verify is named with whose file holds it: the owner\'s own, or the one its peer received', () => {
    const { a, b } = federation(3);
    const forged = { ...a.latest()!, signature: new Uint8Array(64).fill(1) };
    const own = crossCheckLogs({ ...a.exported(), heads: [...a.heads.slice(0, -1), forged] }, b.exported(), roster);
    expect(own.issues).toEqual([{ kind: 'invalid-head', lab: 'lab-a', detail: "lab-a's own head of size 4 is not signed by lab-a's roster key" }]);
    const held = crossCheckLogs(a.exported(), { ...b.exported(), peerHeads: [...b.received, { peerId: 'lab-a', head: forged, opened: null, leafIndex: null }] }, roster);
    expect(held.issues).toEqual([{ kind: 'invalid-head', lab: 'lab-b', detail: 'the head of lab-a that lab-b received of size 4 is not signed by lab-a\'s roster key' }]);
  });

  it('heads a lab holds of a third lab are not heads of the other\'s log: neither checked nor counted', () => {
    const { a, b } = federation(3);
    const third = signTreeHead({ size: 1, root: new Uint8Array(32).fill(4), timestamp: T0 }, 'lab-c', keys.responder.secretKey.slice());
    const report = crossCheckLogs(a.exported(), { ...b.exported(), peerHeads: [...b.received, { peerId: 'lab-c', head: third, opened: T0, leafIndex: 0 }] }, roster);
    expect(report.issues).toEqual([]);
    expect(report.pending).toEqual([]);
    expect(report.logs[1].peerHeadsOfOther).toBe(2);
  });

  it('the latest head is the largest, whatever order the export lists them in', () => {
    const { a, b } = federation(3);
    const report = crossCheckLogs({ ...a.exported(), heads: [...a.heads].reverse() }, b.exported(), roster);
    expect(report.logs[0].latestHead).toEqual({ size: 4, root: hexOf(a.latest()!.root), timestamp: a.latest()!.timestamp });
  });

  it('a held head whose root is not the export\'s at its size names both roots, shortened', () => {
    const { b, cut } = truncatedA([record(7)]);
    const held = b.received.find((entry) => entry.head.size === 5)!.head;
    const report = crossCheckLogs({ ...cut.exported(), peerHeads: [] }, b.exported(), roster);
    expect(report.issues[0]).toEqual({
      kind: 'split-view', lab: 'lab-a',
      detail: `the head of lab-a that lab-b received of size 5 has root ${hexOf(held.root).slice(0, 16)}…, but lab-a's exported leaves give ${hexOf(cut.log.root(5)).slice(0, 16)}… at that size`,
    });
  });

  it('the owner\'s latest own head is its latest timestamp, not its last: an early head signed late still shows the log shrank', () => {
    const { a, b } = federation(8);
    const head8 = a.heads.find((head) => head.size === 8)!;
    const cut = new Lab('lab-a', keys.initiator.secretKey);
    for (let i = 0; i < 4; i++) {
      // The first head is signed after every head lab-b holds; the later ones are backdated.
      cut.clock = i === 0 ? head8.timestamp : a.heads[0]!.timestamp - 1000 + i;
      cut.append(a.log.leaf(i));
    }
    cut.append(encodeRoundRecord(record(7)));
    const report = crossCheckLogs({ ...cut.exported(), peerHeads: [] }, b.exported(), roster);
    expect(splitIssues(report).filter((detail) => detail.includes('larger than lab-a\'s head signed at')).map(sizeOf)).toEqual([6, 7, 8]);
    expect(splitPending(report)).toEqual([]);
  });

  it('a leaf that is not a round record names its index and the decoding error', () => {
    const { a, b } = federation(2);
    const junk = encoder.encode('not a round record'.padEnd(80, '.'));
    const report = crossCheckLogs({ ...a.exported(), leaves: [...a.exported().leaves, junk] }, b.exported(), roster);
    expect(report.issues).toHaveLength(1);
    expect(report.issues[0]).toMatchObject({ kind: 'invalid-log', lab: 'lab-a' });
    expect(report.issues[0]!.detail).toMatch(/^leaf 3 is not a round record: .+/);
  });
});

describe('the holder\'s evidence that the other export is late enough (audit.md §10.2)', () => {
  const SPACING_20H = 20 * 3_600_000;
  /**
   * Rounds 20 h apart; lab-b logs no leaf for round 3 and exports its first 4 leaves (rounds 0, 1, 2
   * and 4) without its own heads. lab-a received lab-b's head of size 4, exactly the export's size,
   * in the session of round 5, 40 h after round 3 ended: the only evidence that settles round 3
   * (round 4, the latest round lab-b's export holds, ended only 20 h after it).
   */
  function lateHead(): { a: Lab; exportB: ExportedLog } {
    const { a, b } = federation(6, { spacing: SPACING_20H, leafB: (n, leaf) => (n === 3 ? null : leaf) });
    const exported = b.exported();
    return { a, exportB: { ...exported, leaves: exported.leaves.slice(0, 4), heads: [] } };
  }

  it('a held head of exactly the export\'s size is contained in it: the missing round is settled by its receipt', () => {
    const { a, exportB } = lateHead();
    const held = a.received.find((entry) => entry.head.size === 4)!;
    expect(held.opened).toBe(record(5, {}, SPACING_20H).timestamp - 5000);
    const report = crossCheckLogs(a.exported(), exportB, roster);
    const missing = report.issues.filter((issue) => issue.kind === 'missing-round');
    expect(missing.map((issue) => issue.roundId)).toEqual([Buffer.from(record(3).roundId).toString('hex')]);
    expect(missing[0]).toMatchObject({ lab: 'lab-b', attempts: [1] });
    expect(missing[0]!.detail).toBe(`lab-a logged attempt 1 (completed) at ${new Date(record(3, {}, SPACING_20H).timestamp).toISOString()}; lab-b's log has no leaf of round ${Buffer.from(record(3).roundId).toString('hex').slice(0, 16)}…, although lab-a received lab-b's head of size 4 in a session it opened at ${new Date(held.opened!).toISOString()}, 40.0 h later, and lab-b's export contains that head's tree`);
    // Round 5, which lab-b's export was cut before, has no such evidence.
    expect(report.pending.map((issue) => `${issue.kind}:${issue.roundId}`)).toEqual([`missing-round:${Buffer.from(record(5).roundId).toString('hex')}`]);
  });

  it('names an aborted attempt\'s reason in the missing round\'s detail', () => {
    // lab-a logged round 3 as aborted (peer-abort); lab-b logged nothing of it.
    const aborted = (leaf: RoundRecord): RoundRecord => ({
      ...leaf, status: 'aborted', reason: 'peer-abort', transcriptHash: new Uint8Array(0), initiatorClaim: null, responderClaim: null, endedBy: 'responder',
    });
    const { a, b } = federation(6, { spacing: SPACING_20H, leafA: (n, leaf) => (n === 3 ? aborted(leaf) : leaf), leafB: (n, leaf) => (n === 3 ? null : leaf) });
    const exported = b.exported();
    const report = crossCheckLogs(a.exported(), { ...exported, leaves: exported.leaves.slice(0, 4), heads: [] }, roster);
    const missing = report.issues.filter((issue) => issue.kind === 'missing-round');
    expect(missing.map((issue) => issue.roundId)).toEqual([Buffer.from(record(3).roundId).toString('hex')]);
    expect(missing[0]!.detail).toMatch(/^lab-a logged attempt 1 \(aborted, peer-abort\) at /);
  });

  it('without that receipt\'s opening time the same round stays pending', () => {
    const { a, exportB } = lateHead();
    const exportA = { ...a.exported(), peerHeads: a.received.map((entry) => (entry.head.size === 4 ? { ...entry, opened: null } : entry)) };
    const report = crossCheckLogs(exportA, exportB, roster);
    expect(report.issues.filter((issue) => issue.kind === 'missing-round')).toEqual([]);
    expect(report.pending.map((issue) => issue.roundId)).toEqual([Buffer.from(record(3).roundId).toString('hex'), Buffer.from(record(5).roundId).toString('hex')]);
  });

  it('a held head larger than the export counts when the owner\'s own head signed at or after it says the export holds it', () => {
    const { a, b } = federation(6, { spacing: SPACING_20H, leafB: (n, leaf) => (n === 3 ? null : leaf) });
    const exported = b.exported();
    const head4 = b.heads.find((head) => head.size === 4)!;
    // lab-b exports 3 leaves, but its own head of size 3 is signed at the very time of the held head of size 4.
    const signedAt = (timestamp: number): ExportedLog => ({ ...exported, leaves: exported.leaves.slice(0, 3), heads: [signTreeHead({ ...b.heads.find((head) => head.size === 3)!, timestamp }, 'lab-b', keys.responder.secretKey.slice())] });
    const at = crossCheckLogs(a.exported(), signedAt(head4.timestamp), roster);
    expect(at.issues.filter((issue) => issue.kind === 'missing-round').map((issue) => issue.roundId)).toContain(Buffer.from(record(3).roundId).toString('hex'));
    const before = crossCheckLogs(a.exported(), signedAt(head4.timestamp - 1), roster);
    expect(before.issues.filter((issue) => issue.kind === 'missing-round').map((issue) => issue.roundId)).not.toContain(Buffer.from(record(3).roundId).toString('hex'));
  });
});

describe('which evidence settles a missing round (audit.md §10.2)', () => {
  const SPACING_20H = 20 * 3_600_000;
  const round3 = Buffer.from(record(3).roundId).toString('hex');
  const missing = (report: CrossCheckReport): string[] => report.issues.filter((issue) => issue.kind === 'missing-round').map((issue) => issue.roundId!);
  const pendingRounds = (report: CrossCheckReport): string[] => report.pending.filter((issue) => issue.kind === 'missing-round').map((issue) => issue.roundId!);

  /** Rounds 20 h apart; lab-b logs no leaf for round 3 and exports its first `leaves` leaves, without its own heads. */
  function omitted(leaves: number): { a: Lab; exportB: ExportedLog } {
    const { a, b } = federation(6, { spacing: SPACING_20H, leafB: (n, leaf) => (n === 3 ? null : leaf) });
    const exported = b.exported();
    return { a, exportB: { ...exported, leaves: exported.leaves.slice(0, leaves), heads: [] } };
  }

  it('a head larger than the export is no evidence, however late lab-a received it', () => {
    // lab-b's export holds rounds 0-2. Its head of size 4, received in round 5's session (40 h after
    // round 3), is not in that export; the covered head of size 3 arrived in round 3's own session.
    const { a, exportB } = omitted(3);
    expect(a.received.filter((entry) => entry.peerId === 'lab-b').map((entry) => [entry.head.size, entry.opened])).toEqual([
      [1, record(1, {}, SPACING_20H).timestamp - 5000], [2, record(2, {}, SPACING_20H).timestamp - 5000], [3, record(3, {}, SPACING_20H).timestamp - 5000],
      [4, record(5, {}, SPACING_20H).timestamp - 5000],
    ]);
    const report = crossCheckLogs(a.exported(), exportB, roster);
    expect(missing(report)).toEqual([]);
    expect(pendingRounds(report)).toContain(round3);
  });

  it('the latest-opened covered head is the evidence, in whatever order the receipts are listed', () => {
    const { a, exportB } = omitted(4);
    const exportA = a.exported();
    for (const peerHeads of [exportA.peerHeads, [...exportA.peerHeads].reverse()]) {
      const report = crossCheckLogs({ ...exportA, peerHeads }, exportB, roster);
      expect(missing(report)).toEqual([round3]);
      expect(report.issues.find((issue) => issue.kind === 'missing-round')!.detail).toMatch(/received lab-b's head of size 4 in a session it opened at .+, 40\.0 h later/);
    }
  });

  it('a covered head opened exactly the settle window after the round is not yet evidence; 1 ms later it is', () => {
    const { a, exportB } = omitted(4);
    const exportA = a.exported();
    const at = (opened: number): CrossCheckReport => crossCheckLogs({ ...exportA, peerHeads: exportA.peerHeads.map((entry) => (entry.peerId === 'lab-b' && entry.head.size === 4 ? { ...entry, opened } : entry)) }, exportB, roster);
    const window = record(3, {}, SPACING_20H).timestamp + 25 * 3_600_000;
    expect(missing(at(window))).toEqual([]);
    expect(pendingRounds(at(window))).toContain(round3);
    expect(missing(at(window + 1))).toEqual([round3]);
  });

  describe('lab-a\'s own leaves as evidence, with no head of lab-b held', () => {
    /** Rounds 30 h apart, lab-b logs no leaf for round 3; lab-a's leaf of round 6 may carry a clock that jumped back. */
    function leaves(exported: number, round6At?: number): CrossCheckReport {
      const { a, b } = federation(7, { leafB: (n, leaf) => (n === 3 ? null : leaf), leafA: (n, leaf) => (n === 6 && round6At !== undefined ? { ...leaf, timestamp: round6At } : leaf) });
      const exportB = b.exported();
      return crossCheckLogs({ ...a.exported(), peerHeads: [] }, { ...exportB, leaves: exportB.leaves.slice(0, exported), heads: [] }, roster);
    }

    it('a round lab-b\'s export does not hold is no evidence of when it was taken', () => {
      // lab-b's export holds rounds 0, 1, 2 and 4; round 4 ended 30 h after round 3, less than the
      // 49 h the evidence needs. lab-a's rounds 5 and 6 ended later but are not in that export.
      const report = leaves(4);
      expect(missing(report)).toEqual([]);
      expect(pendingRounds(report)).toContain(round3);
    });

    it('the latest round both logs hold is the evidence, even when a leaf logged after it carries an earlier time', () => {
      // lab-b's export holds rounds 0-2 and 4-6; round 5 ended 60 h after round 3 and settles it.
      // lab-a logged round 6 last, but its clock had jumped back to 1 h after round 3.
      const report = leaves(6, record(3).timestamp + 3_600_000);
      expect(missing(report)).toEqual([round3]);
      expect(report.issues.find((issue) => issue.kind === 'missing-round')!.detail).toMatch(/whose attempt lab-a ended at .+, 60\.0 h later$/);
    });
  });
});

describe('no evidence at all', () => {
  it('an empty export of the other lab, and no head of it held: every shared round is pending, none missing', () => {
    const { a } = federation(3);
    const report = crossCheckLogs({ ...a.exported(), peerHeads: [] }, { logId: 'lab-b', leaves: [], heads: [], peerHeads: [] }, roster);
    expect(report.issues).toEqual([]);
    expect(pendingKinds(report)).toEqual(['missing-round:lab-b', 'missing-round:lab-b', 'missing-round:lab-b']);
    expect(report.matchedRounds).toBe(0);
  });
});


describe('times in details beyond what a Date can show', () => {
  const roundHex = (n: number): string => Buffer.from(record(n).roundId).toString('hex');

  it('a leaf time past the last instant a Date holds is shown in milliseconds; that last instant itself as its date', () => {
    // Both times are safe integers a round record may carry; 8.64e15 ms is the last instant a Date holds.
    const a = new Lab('lab-a', keys.initiator.secretKey);
    a.append(encodeRoundRecord(record(0, { timestamp: 8.64e15 })));
    a.append(encodeRoundRecord(record(1, { timestamp: 8.64e15 + 1 })));
    a.append(encodeRoundRecord(record(2, { timestamp: Number.MAX_SAFE_INTEGER })));
    const b = new Lab('lab-b', keys.responder.secretKey);
    const report = crossCheckLogs(a.exported(), b.exported(), roster);
    expect(report.issues).toEqual([]);
    const tail = (n: number): string => `; lab-b's log has no leaf of round ${roundHex(n).slice(0, 16)}…; lab-a has no evidence yet that lab-b's export was taken more than 25.0 h after it`;
    expect(report.pending).toEqual([
      { kind: 'missing-round', lab: 'lab-b', roundId: roundHex(0), attempts: [1], detail: `lab-a logged attempt 1 (completed) at +275760-09-13T00:00:00.000Z${tail(0)}` },
      { kind: 'missing-round', lab: 'lab-b', roundId: roundHex(1), attempts: [1], detail: `lab-a logged attempt 1 (completed) at 8640000000000001 ms${tail(1)}` },
      { kind: 'missing-round', lab: 'lab-b', roundId: roundHex(2), attempts: [1], detail: `lab-a logged attempt 1 (completed) at ${Number.MAX_SAFE_INTEGER} ms${tail(2)}` },
    ]);
  });
});

describe('a transcript logged in more than one leaf', () => {
  it('pairs leaf by leaf in log order when both labs logged it twice: no issue', () => {
    // Both labs logged round 1's one transcript again as attempt 2.
    const { a, b } = federation(2);
    const again = encodeRoundRecord(record(1, { attempt: 2 }));
    const exportA = a.exported();
    const exportB = b.exported();
    const report = crossCheckLogs({ ...exportA, leaves: [...exportA.leaves, again] }, { ...exportB, leaves: [...exportB.leaves, again] }, roster);
    expect(report.issues).toEqual([]);
    expect(report.consistent).toBe(true);
    expect(report.matchedRounds).toBe(2);
  });

  it('a second leaf of the transcript on one side only pairs with nothing: a completion the other lab holds no leaf of', () => {
    const { a, b } = federation(2);
    const exportA = a.exported();
    const report = crossCheckLogs({ ...exportA, leaves: [...exportA.leaves, encodeRoundRecord(record(1, { attempt: 2 }))] }, b.exported(), roster);
    const short = `${Buffer.from(record(1).roundId).toString('hex').slice(0, 16)}…`;
    expect(report.issues).toEqual([{
      kind: 'one-sided-completion', lab: null, roundId: Buffer.from(record(1).roundId).toString('hex'), attempts: [2],
      detail: `lab-a recorded round ${short} attempt 2 completed with claims 1/1; lab-b recorded no completion of it: no leaf of that attempt`,
    }]);
  });
});
