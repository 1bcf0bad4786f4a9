/**
 * Cross-check (audit.md §10.2) edges the other cross-check tests leave open: the refusal of two
 * logs of one lab by code and message; a held head signed at time 0 while the owner exported no
 * head of its own (no "own latest head" to compare it with); which evidence is named when two
 * covered heads were received in sessions opened at the same time, or two paired leaves ended at the
 * same time; and the FINISH claims of one transcript compared claim by claim, where a claim only
 * one side logged is no mismatch. Each test pins the issues and pending entries exactly.
 */
import { describe, expect, it } from 'vitest';
import { crossCheckLogs, encodeRoundRecord, signTreeHead, type CrossCheckReport, type ExportedLog, type RoundRecord } from '../src/index.js';
import { Lab, T0, federation, record, roster } from './log-harness.js';
import { keys, refusal } from './round-harness.js';

const HOUR = 3_600_000;
const SPACING_20H = 20 * HOUR;
const roundHex = (n: number): string => Buffer.from(record(n).roundId).toString('hex');
const short = (n: number): string => `${roundHex(n).slice(0, 16)}…`;
const missing = (report: CrossCheckReport): string[] => report.issues.filter((issue) => issue.kind === 'missing-round').map((issue) => issue.roundId!);

describe('two logs of one lab', () => {
  it('are refused with same-log, naming the lab', () => {
    const { a } = federation(1);
    expect(refusal(() => crossCheckLogs(a.exported(), a.exported(), roster))).toEqual({ code: 'same-log', message: 'cross-check expected the logs of two labs, got two of lab-a' });
  });
});

describe('a held head signed at time 0 while the owner exported no head of its own', () => {
  /**
   * lab-a logged round 0; lab-b exports nothing at all. lab-a holds a head of lab-b of size 1
   * signed at time 0, received in a session opened 26 h after round 0 ended, with no leaf named.
   */
  function zeroHead(): CrossCheckReport {
    const a = new Lab('lab-a', keys.initiator.secretKey);
    a.append(encodeRoundRecord(record(0)));
    const head = signTreeHead({ size: 1, root: new Uint8Array(32).fill(3), timestamp: 0 }, 'lab-b', keys.responder.secretKey.slice());
    const exportA: ExportedLog = { ...a.exported(), peerHeads: [{ peerId: 'lab-b', head, opened: record(0).timestamp + 26 * HOUR, leafIndex: null }] };
    return crossCheckLogs(exportA, { logId: 'lab-b', leaves: [], heads: [], peerHeads: [] }, roster);
  }

  it('is no evidence that lab-b\'s empty export holds it: round 0 stays pending, not missing', () => {
    const report = zeroHead();
    expect(missing(report)).toEqual([]);
    expect(report.pending.filter((issue) => issue.kind === 'missing-round')).toEqual([{
      kind: 'missing-round', lab: 'lab-b', roundId: roundHex(0), attempts: [1],
      detail: `lab-a logged attempt 1 (completed) at ${new Date(T0).toISOString()}; lab-b's log has no leaf of round ${short(0)}; lab-a has no evidence yet that lab-b's export was taken more than 25.0 h after it`,
    }]);
  });

  it('is no sign that lab-b\'s log shrank: with no own head of lab-b to compare, the larger head is pending', () => {
    const report = zeroHead();
    expect(report.issues).toEqual([]);
    expect(report.consistent).toBe(true);
    expect(report.pending.filter((issue) => issue.kind === 'split-view')).toEqual([{
      kind: 'split-view', lab: 'lab-b',
      detail: "lab-a holds a head of lab-b of size 1, larger than lab-b's export of 0 leaves, and no evidence yet that the export was taken after it",
    }]);
  });
});

describe('equal times in the holder\'s evidence (audit.md §10.2)', () => {
  /**
   * Rounds 20 h apart; lab-b logs no leaf for round 3 and exports its first 4 leaves without its own
   * heads. lab-a's receipts of lab-b's heads of sizes 3 and 4 both get the opening time of round 5's
   * session, 40 h after round 3 ended; both heads are in lab-b's export.
   */
  function tiedReceipts(): { exportA: ExportedLog; exportB: ExportedLog } {
    const { a, b } = federation(6, { spacing: SPACING_20H, leafB: (n, leaf) => (n === 3 ? null : leaf) });
    const opened = record(5, {}, SPACING_20H).timestamp - 5000;
    const exportA = a.exported();
    const peerHeads = exportA.peerHeads.map((entry) => (entry.peerId === 'lab-b' && entry.head.size === 3 ? { ...entry, opened } : entry));
    const exported = b.exported();
    return { exportA: { ...exportA, peerHeads }, exportB: { ...exported, leaves: exported.leaves.slice(0, 4), heads: [] } };
  }

  it('of two covered heads received in sessions opened at the same time, the one listed first is named', () => {
    const { exportA, exportB } = tiedReceipts();
    const sizes = exportA.peerHeads.filter((entry) => entry.peerId === 'lab-b').map((entry) => entry.head.size);
    expect(sizes).toEqual([1, 2, 3, 4]);
    for (const [peerHeads, size] of [[exportA.peerHeads, 3], [[...exportA.peerHeads].reverse(), 4]] as const) {
      const report = crossCheckLogs({ ...exportA, peerHeads }, exportB, roster);
      expect(missing(report)).toEqual([roundHex(3)]);
      const detail = report.issues.find((issue) => issue.kind === 'missing-round')!.detail;
      expect(detail).toBe(`lab-a logged attempt 1 (completed) at ${new Date(record(3, {}, SPACING_20H).timestamp).toISOString()}; lab-b's log has no leaf of round ${short(3)}, although lab-a received lab-b's head of size ${size} in a session it opened at ${new Date(record(5, {}, SPACING_20H).timestamp - 5000).toISOString()}, 40.0 h later, and lab-b's export contains that head's tree`);
    }
  });

  it('of two leaves both logs hold that lab-a ended at the same time, the one logged first is named', () => {
    // Rounds 30 h apart; lab-b logs no leaf for round 3. lab-a's leaf of round 6 carries round 5's time.
    const { a, b } = federation(7, { leafB: (n, leaf) => (n === 3 ? null : leaf), leafA: (n, leaf) => (n === 6 ? { ...leaf, timestamp: record(5).timestamp } : leaf) });
    const exportB = b.exported();
    const report = crossCheckLogs({ ...a.exported(), peerHeads: [] }, { ...exportB, leaves: exportB.leaves.slice(0, 6), heads: [] }, roster);
    expect(report.issues).toEqual([{
      kind: 'missing-round', lab: 'lab-b', roundId: roundHex(3), attempts: [1],
      detail: `lab-a logged attempt 1 (completed) at ${new Date(record(3).timestamp).toISOString()}; lab-b's log has no leaf of round ${short(3)}, although lab-b's export holds round ${short(5)}, whose attempt lab-a ended at ${new Date(record(5).timestamp).toISOString()}, 60.0 h later`,
    }]);
  });
});

describe('the FINISH claims of one transcript, claim by claim (audit.md §10.2)', () => {
  const mismatch = (n: number, attempts: readonly [number, number] = [1, 1]) => ({
    kind: 'record-mismatch', lab: null, roundId: roundHex(n), attempts, detail: `the two logs record different FINISH claims for one transcript of round ${short(n)}`,
  });
  const aborted = (leaf: RoundRecord, claims: Pick<RoundRecord, 'initiatorClaim' | 'responderClaim'>, attempt = 1): RoundRecord => ({
    ...leaf, attempt, status: 'aborted', reason: 'timeout', endedBy: 'responder', ...claims,
  });

  it('initiator claims that differ while the responder claims agree are a record mismatch', () => {
    // lab-b logged round 1 disputed: the initiator claimed 7 to it, the responder 1, as lab-a logged.
    const { a, b } = federation(2, { leafB: (n, leaf) => (n === 1 ? { ...leaf, status: 'disputed', reason: 'size-mismatch', initiatorClaim: 7 } : leaf) });
    const report = crossCheckLogs(a.exported(), b.exported(), roster);
    expect(report.issues).toEqual([mismatch(1)]);
  });

  it('an initiator claim only lab-a logged is no mismatch: lab-b\'s aborted leaf of the transcript is a one-sided completion, with both attempts', () => {
    // lab-b logged the transcript of round 1 as its attempt 2, aborted after the responder's FINISH only.
    const { a, b } = federation(2, { leafB: (n, leaf) => (n === 1 ? aborted(leaf, { initiatorClaim: null, responderClaim: 1 }, 2) : leaf) });
    const report = crossCheckLogs(a.exported(), b.exported(), roster);
    expect(report.issues).toEqual([{
      kind: 'one-sided-completion', lab: null, roundId: roundHex(1), attempts: [1, 2],
      detail: `lab-a recorded round ${short(1)} attempt 1 completed with claims 1/1; lab-b recorded the same transcript attempt 2 aborted (timeout)`,
    }]);
  });

  it('a responder claim only lab-b logged is no mismatch: lab-a\'s aborted leaf of the transcript is a one-sided completion', () => {
    // lab-a logged the transcript of round 1 aborted after the initiator's FINISH only.
    const { a, b } = federation(2, { leafA: (n, leaf) => (n === 1 ? aborted(leaf, { initiatorClaim: 1, responderClaim: null }) : leaf) });
    const report = crossCheckLogs(a.exported(), b.exported(), roster);
    expect(report.issues).toEqual([{
      kind: 'one-sided-completion', lab: null, roundId: roundHex(1), attempts: [1, 1],
      detail: `lab-b recorded round ${short(1)} attempt 1 completed with claims 1/1; lab-a recorded the same transcript attempt 1 aborted (timeout)`,
    }]);
  });

  it('claims both sides logged for an aborted transcript are still compared', () => {
    // lab-a aborted with both claims logged, the responder's other than lab-b's completed round.
    const { a, b } = federation(2, { leafA: (n, leaf) => (n === 1 ? aborted(leaf, { initiatorClaim: 1, responderClaim: 4 }) : leaf) });
    const report = crossCheckLogs(a.exported(), b.exported(), roster);
    expect(report.issues.map((issue) => issue.kind)).toEqual(['record-mismatch', 'one-sided-completion']);
    expect(report.issues[0]).toEqual(mismatch(1));
  });
});
