/**
 * An ABORT duplicate-addition (audit.md §9.1 check 19, §9.4) judged at the bounds of the repeat
 * search: against a party that added nothing in its round, against the initiator's additions
 * (the responder aborting), with an earlier round of more than 128 additions; and a previous
 * bundle whose leaf names a party outside the roster.
 */
import type { Role } from '@venn/protocol';
import { decodeMessage, encodeMessage, type Message } from '@venn/wire';
import { beforeAll, describe, expect, it } from 'vitest';
import { verifyTranscriptBundle, type AuditRoster, type BundleCheck, type BundleReport, type TranscriptBundle } from '../src/index.js';
import { auditRoster, epochSchedule, exportBundle, initiatorEpochId, type InFlight } from './round-harness.js';
import { playEpoch, type EpochRun } from './epoch-run.js';

const roster: AuditRoster = { ...auditRoster(), schedule: epochSchedule };
const failures = (report: BundleReport): BundleCheck[] => report.checks.filter((check) => check.status === 'fail');
const point = (points: Uint8Array, i: number): Uint8Array => points.subarray(i * 32, i * 32 + 32);

/** All points of `role`'s chunks of `kind` in a bundle. */
function pointsOf(bundle: TranscriptBundle, role: Role, kind: 'blinded' | 'evaluated'): Uint8Array {
  const chunks = bundle[role].frames.map((frame) => decodeMessage(frame)).filter((m) => m.kind === kind) as Array<Extract<Message, { kind: 'blinded' }>>;
  return Buffer.concat(chunks.map((m) => m.points));
}

/** `from`'s first frame of `kind` replaced in flight by an ABORT duplicate-addition. */
const abortAt = (from: Role, kind: Message['kind']) => (m: InFlight): Uint8Array => {
  if (m.from !== from || m.kind !== kind) return m.bytes;
  return encodeMessage({ kind: 'abort', roundId: decodeMessage(m.bytes).roundId, reason: 'duplicate-addition', detail: '' });
};

/** `from`'s first BLINDED chunk in flight with point `at` set to `value`. */
function blindedWith(from: Role, at: number, value: Uint8Array): (m: InFlight) => Uint8Array {
  return (m) => {
    if (m.from !== from || m.kind !== 'blinded') return m.bytes;
    const chunk = decodeMessage(m.bytes) as Extract<Message, { kind: 'blinded' }>;
    const points = chunk.points.slice();
    points.set(value, at * 32);
    return encodeMessage({ ...chunk, points });
  };
}

const elements = (prefix: string, n: number): string[] => Array.from({ length: n }, (_, i) => `${prefix}${i}`);

describe('an ABORT duplicate-addition against a party that added nothing in its round', () => {
  // Round 1: lab-b's list is round 0's, so it sends no BLINDED chunk; lab-a aborts in place of its FINISH.
  const lists = [
    { initiator: ['s1', 'a1'], responder: ['s1', 'b1'] },
    { initiator: ['s1', 'a1', 'a2'], responder: ['s1', 'b1'] },
  ];
  let run: EpochRun;
  beforeAll(() => {
    run = playEpoch(initiatorEpochId('audit-test/repeat-bounds/nothing'), 'audit/repeat-bounds/nothing', lists, 2, (index) => (index === 1 ? abortAt('initiator', 'finish') : undefined));
  });

  it('names lab-a, which sent it, even without round 0: no addition can repeat an earlier one', () => {
    const played = run.played[1]!;
    expect(played.results.responder).toMatchObject({ status: 'aborted', peerReason: 'duplicate-addition' });
    const bundle = exportBundle(played, 'responder');
    expect(bundle.responder.frames.map((frame) => decodeMessage(frame).kind)).toEqual(['offer', 'evaluated', 'finish']);
    const expected = [{
      name: 'completed', status: 'fail', party: 'initiator', member: 'lab-a',
      detail: 'the round was aborted: lab-b logged reason duplicate-addition, ended by the initiator; lab-a sent ABORT duplicate-addition; the bundle shows no duplicate-addition by lab-b',
    }];
    expect(failures(verifyTranscriptBundle(bundle, roster))).toEqual(expected);
    expect(failures(verifyTranscriptBundle(bundle, roster, { previous: [run.bundles[0]!] }))).toEqual(expected);
  });
});

describe('lab-b aborts: the repeat is searched among lab-a\'s additions, valued by lab-b\'s evaluations', () => {
  // Round 0: lab-a adds six elements, lab-b two; in round 1 lab-a's first addition is its round-0 point 5 again.
  const lists = [
    { initiator: elements('a', 6), responder: ['b0', 'b1'] },
    { initiator: [...elements('a', 6), 'a6'], responder: ['b0', 'b1', 'b2'] },
  ];
  const epochId = initiatorEpochId('audit-test/repeat-bounds/initiator');
  const seed = 'audit/repeat-bounds/initiator';
  let readded: EpochRun;
  beforeAll(() => {
    const round0 = playEpoch(epochId, seed, lists, 1).bundles[0]!;
    readded = playEpoch(epochId, seed, lists, 2, (index) => (index === 1 ? blindedWith('initiator', 0, point(pointsOf(round0, 'initiator', 'blinded'), 5)) : undefined));
  });

  it('lab-b aborts at the chunk; with round 0 the bundle names lab-a, and without it nobody', () => {
    const played = readded.played[1]!;
    expect(played.results.responder).toMatchObject({ status: 'aborted', reason: 'duplicate-addition' });
    const bundle = exportBundle(played, 'responder');
    const how = 'the round was aborted: lab-b logged reason duplicate-addition, ended by the responder; lab-b sent ABORT duplicate-addition';
    expect(failures(verifyTranscriptBundle(bundle, roster, { previous: [readded.bundles[0]!] }))).toEqual([{
      name: 'completed', status: 'fail', party: 'initiator', member: 'lab-a',
      detail: `${how}; lab-a added, in round 1, an element already in the epoch: point 0 of its BLINDED stream is its addition of round 0 [duplicate-addition]`,
    }]);
    expect(failures(verifyTranscriptBundle(bundle, roster))).toEqual([{
      name: 'completed', status: 'fail', party: null, member: null,
      detail: `${how}; whether an addition of lab-a was already in the epoch takes every earlier round of the epoch; round 0 is missing or incomplete`,
    }]);
  });
});

describe('an earlier round of more than 128 additions', () => {
  // 130 additions of lab-b in round 0 (4,160 bytes of points); lab-a aborts round 1 in place of its EVALUATED chunk.
  const lists = [
    { initiator: ['s1', 'a1'], responder: ['s1', ...elements('b', 129)] },
    { initiator: ['s1', 'a1'], responder: ['s1', ...elements('b', 130)] },
  ];
  let run: EpochRun;
  beforeAll(() => {
    run = playEpoch(initiatorEpochId('audit-test/repeat-bounds/many'), 'audit/repeat-bounds/many', lists, 2, (index) => (index === 1 ? abortAt('initiator', 'evaluated') : undefined));
  });

  it('a false ABORT names lab-a, every point of round 0 searched and none past its end', () => {
    expect(pointsOf(run.bundles[0]!, 'responder', 'blinded').length).toBe(130 * 32);
    const bundle = exportBundle(run.played[1]!, 'responder');
    expect(failures(verifyTranscriptBundle(bundle, roster, { previous: [run.bundles[0]!] }))).toEqual([{
      name: 'completed', status: 'fail', party: 'initiator', member: 'lab-a',
      detail: 'the round was aborted: lab-b logged reason duplicate-addition, ended by the initiator; lab-a sent ABORT duplicate-addition; the bundle shows no duplicate-addition by lab-b',
    }]);
  });
});

describe('a previous bundle between parties outside the roster', () => {
  const lists = [
    { initiator: ['s1', 'a1'], responder: ['s1', 'b1'] },
    { initiator: ['s1', 'a2'], responder: ['s1', 'b1'] },
  ];

  it('is no completed round, and the verifier does not throw: the chain fails for want of a completed round 0', () => {
    const run = playEpoch(initiatorEpochId('audit-test/repeat-bounds/outsider'), 'audit/repeat-bounds/outsider', lists, 2);
    expect(verifyTranscriptBundle(run.bundles[1]!, roster, { previous: [run.bundles[0]!] }).failure).toBeNull();
    // Round 0 as lab-z and lab-b would hold it: the OFFERs and the leaf name lab-z in lab-a's place.
    const honest0 = exportBundle(run.played[0]!, 'responder', { leaf: { initiatorId: 'lab-z' } });
    const rename = (frames: readonly Uint8Array[]): Uint8Array[] => frames.map((frame) => {
      const m = decodeMessage(frame);
      if (m.kind !== 'offer') return frame;
      return encodeMessage({ ...m, sender: m.sender === 'lab-a' ? 'lab-z' : m.sender, receiver: m.receiver === 'lab-a' ? 'lab-z' : m.receiver });
    });
    const outsider: TranscriptBundle = { ...honest0, initiator: { ...honest0.initiator, frames: rename(honest0.initiator.frames) }, responder: { ...honest0.responder, frames: rename(honest0.responder.frames) } };
    const report = verifyTranscriptBundle(run.bundles[1]!, roster, { previous: [outsider] });
    expect(report.checks.find((check) => check.name === 'epoch-chain')).toEqual({
      name: 'epoch-chain', status: 'fail', party: null, member: null, detail: 'round 0 of the epoch did not complete in the bundle given, so no round can follow it',
    });
  });
});
