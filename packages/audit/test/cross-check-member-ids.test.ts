/**
 * audit.md §10.2: a round id both logs hold is compared whatever member ids each leaf names. Two
 * logs recording one round id with different roster digest, slot or member ids are a
 * record-mismatch, which names no lab; a lab cannot move a round with its peer out of the
 * comparison (and into pending) by logging it under another member id.
 */
import { describe, expect, it } from 'vitest';
import { crossCheckLogs, encodeRoundRecord } from '../src/index.js';
import { federation, record, roster } from './log-harness.js';

const roundHex = (n: number): string => Buffer.from(record(n).roundId).toString('hex');

describe('cross-check: leaves of one round id that name different member ids (audit.md §10.2)', () => {
  // audit.md §10.2 (record-mismatch: "the two logs record the round id with different roster
  // digest, slot or member ids"), §3 (both leaves agree on initiatorId and responderId).
  it('a lab that logs a round it ran with its peer under another responder id is a record-mismatch, not a clean pair of logs', () => {
    // lab-a and lab-b ran round 5; lab-a logs it (same round id, same transcript) as a round with lab-c.
    const { a, b } = federation(6, { leafA: (n, leaf) => (n === 5 ? { ...leaf, responderId: 'lab-c' } : leaf) });
    const report = crossCheckLogs(a.exported(), b.exported(), roster);
    // Both logs hold round 5's id: the member ids differ, which is an issue, never pending.
    expect(report.issues.filter((issue) => issue.kind === 'record-mismatch').map((issue) => issue.roundId)).toEqual([roundHex(5)]);
    expect(report.consistent).toBe(false);
  });

  // The same rule (audit.md §10.2 record-mismatch; §1: "A lab cannot quietly drop a round"), used
  // to keep every round with the peer out of the comparison: from round 2 on lab-a logs each round
  // it runs with lab-b as a round with lab-c, under a transcript hash of its own, and sends no head
  // in its OFFERs. lab-b holds four rounds whose ids lab-a's log also holds; they must not stay
  // pending ("lab-a's log has no leaf of round …") for ever.
  it('a lab that logs every later round with its peer under another member id, with its own transcripts and no heads, is a record-mismatch for each', () => {
    const { a, b } = federation(6, {
      leafA: (n, leaf) => (n >= 2 ? { ...leaf, responderId: 'lab-c', transcriptHash: new Uint8Array(64).fill(n) } : leaf),
      sendsHeadA: (n) => n < 2,
    });
    const report = crossCheckLogs(a.exported(), b.exported(), roster);
    expect(report.issues.filter((issue) => issue.kind === 'record-mismatch').map((issue) => issue.roundId)).toEqual([2, 3, 4, 5].map(roundHex));
    expect(report.consistent).toBe(false);
  });

  it('a round lab-a logs under a member id other than lab-b\'s is neither pending nor missing-round in lab-b\'s log, and its leaf is still compared', () => {
    // Round 5 as in the first test: lab-a's leaf names (lab-a, lab-c); lab-b's names (lab-a, lab-b).
    const { a, b } = federation(6, { leafA: (n, leaf) => (n === 5 ? { ...leaf, responderId: 'lab-c' } : leaf) });
    const report = crossCheckLogs(a.exported(), b.exported(), roster);
    expect(report.issues).toEqual([{
      kind: 'record-mismatch', lab: null, roundId: roundHex(5), attempts: [1, 1],
      detail: `the two logs record round ${roundHex(5).slice(0, 16)}… with different responderId`,
    }]);
    expect(report.pending).toEqual([]);
    expect(report.matchedRounds).toBe(6);
    // lab-a's leaf of round 5 counts among the leaves of the rounds the two ran; its round with lab-c (round 100) does not.
    expect(report.logs.map((log) => log.sharedLeaves)).toEqual([6, 6]);
  });

  it('a lab that logs, as a round with its peer, a round id its peer logged with a third lab gets no lab blamed: record-mismatch names none', () => {
    // lab-b ran round 200 with lab-c; lab-a logs round 200's id as a round of lab-a and lab-b.
    const { a, b } = federation(6);
    b.append(encodeRoundRecord(record(200, { initiatorId: 'lab-b', responderId: 'lab-c' })));
    a.append(encodeRoundRecord(record(200)));
    for (const [x, y] of [[a, b], [b, a]] as const) {
      const report = crossCheckLogs(x.exported(), y.exported(), roster);
      expect(report.issues.map((issue) => [issue.kind, issue.lab, issue.roundId])).toEqual([['record-mismatch', null, roundHex(200)]]);
      // Not a round lab-b's log lacks: nothing pending names lab-b.
      expect(report.pending).toEqual([]);
    }
  });

  it('a round id neither log records between the two stays out of the comparison, whatever ids the two leaves name', () => {
    // lab-a logs round 200 with lab-c, lab-b logs the same id with lab-c: a matter of each with lab-c.
    const { a, b } = federation(6);
    a.append(encodeRoundRecord(record(200, { responderId: 'lab-c' })));
    b.append(encodeRoundRecord(record(200, { initiatorId: 'lab-b', responderId: 'lab-c' })));
    const report = crossCheckLogs(a.exported(), b.exported(), roster);
    expect(report).toMatchObject({ consistent: true, matchedRounds: 6, issues: [], pending: [] });
  });

  it('a round id the other log lacks is missing only for the holder\'s leaves of it that name the two labs', () => {
    // lab-a logs nothing of round 5; lab-b logs it with lab-a (attempt 1) and, under the same id, with lab-c (attempt 2).
    const { a, b } = federation(6, { leafA: (n, leaf) => (n === 5 ? null : leaf) });
    b.append(encodeRoundRecord(record(5, { attempt: 2, initiatorId: 'lab-b', responderId: 'lab-c' })));
    const report = crossCheckLogs(a.exported(), b.exported(), roster);
    expect(report.issues).toEqual([]);
    expect(report.pending.map((entry) => [entry.kind, entry.lab, entry.roundId, entry.attempts])).toEqual([['missing-round', 'lab-a', roundHex(5), [1]]]);
  });
});
