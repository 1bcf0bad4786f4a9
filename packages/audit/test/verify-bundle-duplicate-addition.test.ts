/**
 * audit.md §9.1 check 19 and §9.4: an ABORT `duplicate-addition` (SPEC §13.6 BLINDED checks 6–7)
 * in a round of a key epoch. Equal BLINDED points of the peer within the round are the repeat the
 * aborting party saw (its evaluations under one key are equal iff the points are); an addition
 * already in the epoch takes the bundles of the epoch's earlier rounds. A founded ABORT names the
 * party whose additions repeat; an ABORT the bundles do not bear out names the party that sent it;
 * without the earlier rounds, an incremental round's ABORT that its own frames do not settle names
 * nobody.
 */
import type { Role } from '@venn/protocol';
import { decodeMessage, encodeMessage, type Message } from '@venn/wire';
import { beforeAll, describe, expect, it } from 'vitest';
import { verifyTranscriptBundle, type AuditRoster, type BundleCheck, type BundleReport, type TranscriptBundle } from '../src/index.js';
import { auditRoster, digest, epochSchedule, exportBundle, initiatorEpochId, playRound, type InFlight, type PlayedRound } from './round-harness.js';
import { playEpoch, type EpochRun } from './epoch-run.js';

const roster: AuditRoster = { ...auditRoster(), schedule: epochSchedule };
const epochId = initiatorEpochId('audit-test/duplicate-addition');

/** Round 1 drops s1 (lab-a) and s2 (lab-b) and adds later, a3 and b3; round 2 lab-b adds s2 again, and both. */
const lists: ReadonlyArray<Record<Role, string[]>> = [
  { initiator: ['s1', 's2', 's3', 'a1', 'a2'], responder: ['s1', 's2', 's3', 'b1', 'b2', 'later'] },
  { initiator: ['s2', 's3', 'a1', 'later', 'a3'], responder: ['s1', 's3', 'b1', 'b2', 'later', 'b3'] },
  { initiator: ['s2', 's3', 'later', 'a3', 'both'], responder: ['s1', 's2', 's3', 'b2', 'later', 'b3', 'both'] },
];

/** Plays rounds 0 … upTo − 1 of the test's epoch; `intercept(index)` may change a round's frames in flight. */
const runEpoch = (upTo: number, intercept?: (index: number) => ((m: InFlight) => Uint8Array) | undefined): EpochRun => playEpoch(epochId, 'audit/duplicate-addition', lists, upTo, intercept);

const point = (points: Uint8Array, i: number): Uint8Array => points.subarray(i * 32, i * 32 + 32);

/** lab-b's first BLINDED chunk in flight with point `to` replaced by `value(points)`. */
function responderBlinded(to: number, value: (points: Uint8Array) => Uint8Array): (m: InFlight) => Uint8Array {
  return (m) => {
    if (m.from !== 'responder' || m.kind !== 'blinded') return m.bytes;
    const chunk = decodeMessage(m.bytes) as Extract<Message, { kind: 'blinded' }>;
    const points = chunk.points.slice();
    points.set(value(chunk.points), to * 32);
    return encodeMessage({ ...chunk, points });
  };
}

/** lab-a's first EVALUATED chunk replaced in flight by an ABORT duplicate-addition: lab-a ends the round where it would evaluate. */
const falseAbort = (m: InFlight): Uint8Array => {
  if (m.from !== 'initiator' || m.kind !== 'evaluated') return m.bytes;
  return encodeMessage({ kind: 'abort', roundId: decodeMessage(m.bytes).roundId, reason: 'duplicate-addition', detail: '' });
};

/** The BLINDED points lab-b sent in `played`, as lab-a recorded them. */
function responderPoints(played: PlayedRound): Uint8Array {
  const chunks = played.records.initiator.filter((entry) => entry.direction === 'received').map((entry) => decodeMessage(entry.bytes)).filter((m) => m.kind === 'blinded');
  return Buffer.concat(chunks.map((m) => (m as Extract<Message, { kind: 'blinded' }>).points));
}

const failures = (report: BundleReport): BundleCheck[] => report.checks.filter((check) => check.status === 'fail');
const completed = (report: BundleReport): BundleCheck => report.checks.find((check) => check.name === 'completed')!;

let honest: EpochRun;
beforeAll(() => {
  honest = runEpoch(3);
});

describe('round 0: lab-b\'s additions repeat one another (SPEC §13.6 BLINDED check 7)', () => {
  it('lab-a aborts when lab-b\'s BLINDED stream is complete; the bundle shows the repeat and names lab-b', () => {
    // lab-b's point 3 is its point 1 again: the same element added twice in the round.
    const run = runEpoch(1, () => responderBlinded(3, (points) => point(points, 1)));
    const played = run.played[0]!;
    expect(played.results.initiator).toMatchObject({ status: 'aborted', reason: 'duplicate-addition' });
    expect(played.results.responder).toMatchObject({ status: 'aborted', peerReason: 'duplicate-addition' });
    const bundle = run.bundles[0]!;
    expect(bundle.initiator.frames.map((frame) => decodeMessage(frame).kind)).toEqual(['offer', 'blinded', 'abort']);
    expect(bundle.responder.frames.map((frame) => decodeMessage(frame).kind)).toEqual(['offer', 'blinded']);
    const report = verifyTranscriptBundle(bundle, roster);
    expect(failures(report)).toEqual([{
      name: 'completed', status: 'fail', party: 'responder', member: 'lab-b',
      detail: 'the round was aborted: lab-a logged reason duplicate-addition, ended by the initiator; lab-a sent ABORT duplicate-addition; lab-b repeated an addition within round 0: point 3 of its BLINDED stream is point 1 again [duplicate-addition]',
    }]);
  });

  it('an ABORT duplicate-addition against additions that hold no repeat names lab-a, which sent it', () => {
    const run = runEpoch(1, () => falseAbort);
    const played = run.played[0]!;
    expect(played.results.responder).toMatchObject({ status: 'aborted', peerReason: 'duplicate-addition' });
    const bundle = exportBundle(played, 'responder');
    expect(bundle.initiator.frames.map((frame) => decodeMessage(frame).kind)).toEqual(['offer', 'blinded', 'abort']);
    const report = verifyTranscriptBundle(bundle, roster);
    expect(failures(report)).toEqual([{
      name: 'completed', status: 'fail', party: 'initiator', member: 'lab-a',
      detail: 'the round was aborted: lab-b logged reason duplicate-addition, ended by the initiator; lab-a sent ABORT duplicate-addition; the bundle shows no duplicate-addition by lab-b',
    }]);
  });

  it('the honest epoch start verifies', () => {
    expect(verifyTranscriptBundle(honest.bundles[0]!, roster).failure).toBeNull();
  });
});

describe('round 1: lab-b adds again an element it added in round 0 (SPEC §13.6 BLINDED check 6)', () => {
  // lab-b's one addition of round 1 (b3) replaced by its round-0 point of s1: the same element under the same key.
  let readded: EpochRun;
  let falsely: EpochRun;
  beforeAll(() => {
    readded = runEpoch(2, (index) => (index === 1 ? responderBlinded(0, () => point(responderPoints(honest.played[0]!), 0)) : undefined));
    falsely = runEpoch(2, (index) => (index === 1 ? falseAbort : undefined));
  });

  it('lab-a aborts at the chunk; alone, the bundle cannot tell: no party is named', () => {
    expect(readded.played[1]!.results.initiator).toMatchObject({ status: 'aborted', reason: 'duplicate-addition' });
    const report = verifyTranscriptBundle(readded.bundles[1]!, roster);
    expect(failures(report)).toEqual([{
      name: 'completed', status: 'fail', party: null, member: null,
      detail: 'the round was aborted: lab-a logged reason duplicate-addition, ended by the initiator; lab-a sent ABORT duplicate-addition; whether an addition of lab-b was already in the epoch takes every earlier round of the epoch; round 0 is missing or incomplete',
    }]);
  });

  it('with round 0, the bundles show the element was in the epoch: lab-b is named', () => {
    const report = verifyTranscriptBundle(readded.bundles[1]!, roster, { previous: [readded.bundles[0]!] });
    expect(failures(report)).toEqual([{
      name: 'completed', status: 'fail', party: 'responder', member: 'lab-b',
      detail: 'the round was aborted: lab-a logged reason duplicate-addition, ended by the initiator; lab-a sent ABORT duplicate-addition; lab-b added, in round 1, an element already in the epoch: point 0 of its BLINDED stream is its addition of round 0 [duplicate-addition]',
    }]);
  });

  it('an ABORT against a new addition names no party alone, and lab-a with round 0', () => {
    const played = falsely.played[1]!;
    expect(played.results.responder).toMatchObject({ status: 'aborted', peerReason: 'duplicate-addition' });
    const bundle = exportBundle(played, 'responder');
    const how = 'the round was aborted: lab-b logged reason duplicate-addition, ended by the initiator; lab-a sent ABORT duplicate-addition';
    expect(failures(verifyTranscriptBundle(bundle, roster))).toEqual([{
      name: 'completed', status: 'fail', party: null, member: null,
      detail: `${how}; whether an addition of lab-b was already in the epoch takes every earlier round of the epoch; round 0 is missing or incomplete`,
    }]);
    expect(failures(verifyTranscriptBundle(bundle, roster, { previous: [falsely.bundles[0]!] }))).toEqual([{
      name: 'completed', status: 'fail', party: 'initiator', member: 'lab-a', detail: `${how}; the bundle shows no duplicate-addition by lab-b`,
    }]);
  });
});

describe('round 2: lab-b adds again s2, which it removed in round 1 (SPEC §13.9: a removed element may come back)', () => {
  let falsely: EpochRun;
  let repeated: EpochRun;
  beforeAll(() => {
    falsely = runEpoch(3, (index) => (index === 2 ? falseAbort : undefined));
    // lab-b's two additions of round 2 (s2, both) made one: its point 1 is its point 0 again.
    repeated = runEpoch(3, (index) => (index === 2 ? responderBlinded(1, (points) => point(points, 0)) : undefined));
  });

  it('additions that repeat one another within round 2 name lab-b from the round\'s own frames, without the earlier rounds', () => {
    expect(repeated.played[2]!.results.initiator).toMatchObject({ status: 'aborted', reason: 'duplicate-addition' });
    expect(failures(verifyTranscriptBundle(repeated.bundles[2]!, roster))).toEqual([{
      name: 'completed', status: 'fail', party: 'responder', member: 'lab-b',
      detail: 'the round was aborted: lab-a logged reason duplicate-addition, ended by the initiator; lab-a sent ABORT duplicate-addition; lab-b repeated an addition within round 2: point 1 of its BLINDED stream is point 0 again [duplicate-addition]',
    }]);
  });

  it('the honest round 2 re-adds the same BLINDED point and verifies with rounds 0 and 1', () => {
    const s2 = responderPoints(honest.played[2]!);
    const earlier = responderPoints(honest.played[0]!);
    const again = Array.from({ length: s2.length / 32 }, (_, i) => i).filter((i) => Array.from({ length: earlier.length / 32 }, (_, j) => Buffer.compare(point(s2, i), point(earlier, j)) === 0).some(Boolean));
    expect(again).toHaveLength(1);
    expect(verifyTranscriptBundle(honest.bundles[2]!, roster, { previous: [honest.bundles[1]!, honest.bundles[0]!] }).failure).toBeNull();
  });

  it('an ABORT duplicate-addition against it names lab-a given rounds 0 and 1, and nobody without round 0', () => {
    const bundle = exportBundle(falsely.played[2]!, 'responder');
    const how = 'the round was aborted: lab-b logged reason duplicate-addition, ended by the initiator; lab-a sent ABORT duplicate-addition';
    expect(failures(verifyTranscriptBundle(bundle, roster, { previous: [falsely.bundles[1]!, falsely.bundles[0]!] }))).toEqual([{
      name: 'completed', status: 'fail', party: 'initiator', member: 'lab-a', detail: `${how}; the bundle shows no duplicate-addition by lab-b`,
    }]);
    expect(completed(verifyTranscriptBundle(bundle, roster, { previous: [falsely.bundles[1]!] }))).toEqual({
      name: 'completed', status: 'fail', party: null, member: null,
      detail: `${how}; whether an addition of lab-b was already in the epoch takes every earlier round of the epoch; round 0 is missing or incomplete`,
    });
  });
});

describe('a plain round: duplicate-addition has no cause outside a key epoch (SPEC §9, §13.6)', () => {
  const elements = { initiator: ['s1', 's2', 'a1'].map(digest), responder: ['s1', 'b1', 'b2'].map(digest) };
  const played = playRound({ elements, intercept: falseAbort });
  const how = 'the round was aborted: lab-b logged reason duplicate-addition, ended by the initiator; lab-a sent ABORT duplicate-addition';

  it('an ABORT duplicate-addition names the party that sent it', () => {
    expect(played.results.responder).toMatchObject({ status: 'aborted', peerReason: 'duplicate-addition' });
    expect(failures(verifyTranscriptBundle(exportBundle(played, 'responder'), auditRoster()))).toEqual([{
      name: 'completed', status: 'fail', party: 'initiator', member: 'lab-a', detail: `${how}; the bundle shows no duplicate-addition by lab-b`,
    }]);
  });

  it('even when lab-b\'s BLINDED points repeat one another', () => {
    // lab-b's bundle with its point 2 made its point 0 again and its EVALUATED chunk (whose proof binds the real point) left out.
    const bundle = exportBundle(played, 'responder');
    const frames = bundle.responder.frames.map((frame) => decodeMessage(frame)).filter((m) => m.kind !== 'evaluated').map((m) => {
      if (m.kind !== 'blinded') return encodeMessage(m);
      const points = m.points.slice();
      points.set(point(m.points, 0), 2 * 32);
      return encodeMessage({ ...m, points });
    });
    const report = verifyTranscriptBundle({ ...bundle, responder: { ...bundle.responder, frames } }, auditRoster());
    // No check blames a party: only the exporter's attempt hash, over the frames before the edit, differs.
    expect(failures(report).map((check) => [check.name, check.party])).toEqual([['transcript', 'exporter'], ['completed', 'initiator']]);
    expect(completed(report).detail).toBe(`${how}; the bundle shows no duplicate-addition by lab-b`);
  });
});
