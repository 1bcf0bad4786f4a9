/**
 * The set sizes and evaluation counts of a finished round's leaf (audit.md §3: they are what the
 * node charged against its budgets, in the signed log so auditors see them): the bundle verifier
 * compares them with the frames for every leaf (§9.1 check 12), and the cross-check with the other
 * lab's leaf of the same finished transcript (§10.2 record-mismatch).
 */
import { describe, expect, it } from 'vitest';
import { crossCheckLogs, verifyTranscriptBundle } from '../src/index.js';
import { federation, record, roster } from './log-harness.js';
import { auditRoster, digest, exportBundle, playRound } from './round-harness.js';

const played = playRound({ elements: { initiator: ['s1', 's2', 's3', 'a1', 'a2'].map(digest), responder: ['b1', 's3', 'b2', 's1', 's2', 'b3'].map(digest) } });

describe('a completed leaf whose counts are not the frames\'', () => {
  it('lab-a logs lab-b\'s 6 elements as 1 and the evaluations it served as 1: check transcript fails, naming lab-a', () => {
    const report = verifyTranscriptBundle(exportBundle(played, 'initiator', { leaf: { responderSetSize: 1, initiatorEvaluations: 1 } }), auditRoster());
    expect(report.valid).toBe(false);
    expect(report.failure).toEqual({
      name: 'transcript', status: 'fail', party: 'exporter', member: 'lab-a',
      detail: 'lab-a\'s leaf misstates the round: "responderSetSize" is 1 in the leaf, 6 in the frames; "initiatorEvaluations" is 1 in the leaf, 6 in the frames',
    });
  });

  it('either set size with the evaluations it stands for (a leaf holds them equal, §3), in lab-b\'s bundle too', () => {
    const cases = [
      [{ initiatorSetSize: 7, responderEvaluations: 7 }, '"initiatorSetSize" is 7 in the leaf, 5 in the frames; "responderEvaluations" is 7 in the leaf, 5 in the frames'],
      [{ responderSetSize: 2, initiatorEvaluations: 2 }, '"responderSetSize" is 2 in the leaf, 6 in the frames; "initiatorEvaluations" is 2 in the leaf, 6 in the frames'],
    ] as const;
    for (const [leaf, detail] of cases) {
      expect(verifyTranscriptBundle(exportBundle(played, 'responder', { leaf }), auditRoster()).failure).toEqual({
        name: 'transcript', status: 'fail', party: 'exporter', member: 'lab-b', detail: `lab-b's leaf misstates the round: ${detail}`,
      });
    }
  });

  it('the genuine leaf passes, saying it compared the counts', () => {
    const report = verifyTranscriptBundle(exportBundle(played, 'responder'), auditRoster());
    expect(report.valid).toBe(true);
    expect(report.checks.find((check) => check.name === 'transcript')!.detail).toMatch(/^TH_final [0-9a-f]{16}… recomputed from the frames equals the logged transcript hash, and the leaf's set sizes and evaluation counts are the frames'$/);
  });
});

describe('two leaves of one finished transcript with different counts', () => {
  const roundHex = (n: number): string => Buffer.from(record(n).roundId).toString('hex');

  it('are a record-mismatch naming no lab, with both values of each count', () => {
    const { a, b } = federation(6, { leafA: (n, leaf) => (n === 2 ? { ...leaf, initiatorSetSize: 1, responderEvaluations: 1 } : leaf) });
    const mismatches = crossCheckLogs(a.exported(), b.exported(), roster).issues.filter((issue) => issue.kind === 'record-mismatch');
    expect(mismatches).toHaveLength(1);
    expect(mismatches[0]).toMatchObject({ lab: null, roundId: roundHex(2) });
    expect(mismatches[0]!.detail).toMatch(/^the two logs record different counts for one finished transcript of round [0-9a-f]{16}…: initiatorSetSize 1 and \d+, responderEvaluations 1 and \d+$/);
  });

  it('the same counts on both sides are no issue', () => {
    const { a, b } = federation(6);
    expect(crossCheckLogs(a.exported(), b.exported(), roster).issues.filter((issue) => issue.kind === 'record-mismatch')).toEqual([]);
  });
});
