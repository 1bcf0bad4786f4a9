/**
 * The bundle verifier's frame walk on a round of a key epoch (audit.md §9.1 checks 6–7, SPEC §13.4,
 * §13.6): the OFFER's mode, the place, sequence, count and order of REMOVED chunks, and evaluations
 * that go out before the own or the peer's whole REMOVED stream. Each rule is broken once in an
 * honest incremental round's recorded frames, and the test pins the party at fault and the detail.
 */
import type { Role } from '@venn/protocol';
import { decodeMessage, encodeMessage, type Message } from '@venn/wire';
import { describe, expect, it } from 'vitest';
import { MapEpochState } from '../../protocol/scripts/epoch-state.js';
import { verifyTranscriptBundle, type AuditRoster, type BundleReport, type TranscriptBundle } from '../src/index.js';
import { abortedExport, auditRoster, digest, epochRoundId, epochSchedule, expectFrameFault as expectFault, exportBundle, initiatorEpochId, playRound, tamperedBundle } from './round-harness.js';

const roster: AuditRoster = { ...auditRoster(), schedule: epochSchedule };
const epochId = initiatorEpochId('audit-test/epoch-frames');

// Round 1 removes s1 and a2 from lab-a's list (two removals) and s2 from lab-b's (one).
const lists: ReadonlyArray<Record<Role, string[]>> = [
  { initiator: ['s1', 's2', 's3', 'a1', 'a2'], responder: ['s1', 's2', 's3', 'b1', 'b2'] },
  { initiator: ['s2', 's3', 'a1', 'a3'], responder: ['s1', 's3', 'b1', 'b2', 'b3'] },
];

const states = { initiator: new MapEpochState(epochId, 'audit/epoch-frames/a'), responder: new MapEpochState(epochId, 'audit/epoch-frames/b') };
const rounds = lists.map((list, index) => {
  const inputs = (['initiator', 'responder'] as const).map((role) => states[role].next(list[role].map(digest)));
  const played = playRound({
    roundId: epochRoundId(epochId, index),
    elements: { initiator: inputs[0]!.additions, responder: inputs[1]!.additions },
    epoch: { initiator: inputs[0]!.epoch, responder: inputs[1]!.epoch },
  });
  if (played.results.initiator.status !== 'completed' || played.results.responder.status !== 'completed') throw new Error(`epoch round ${index} did not complete`);
  states.initiator.apply(played.results.initiator);
  states.responder.apply(played.results.responder);
  return played;
});
const incremental = rounds[1]!;

type Removed = Extract<Message, { kind: 'removed' }>;
type Offer = Extract<Message, { kind: 'offer' }>;
const check = (report: BundleReport, name: string) => report.checks.find((entry) => entry.name === name)!;
const kind = <K extends Message['kind']>(frames: Message[], k: K): Extract<Message, { kind: K }> => frames.find((frame) => frame.kind === k) as Extract<Message, { kind: K }>;
const without = (frames: Message[], k: Message['kind']): Message[] => frames.filter((frame) => frame.kind !== k);
const kinds = (frames: Message[]): string => frames.map((frame) => frame.kind).join(' ');

const tampered = (party: Role, edit: (frames: Message[]) => Message[]): TranscriptBundle => tamperedBundle(incremental, party, edit);

/** 32-byte values that sort by `n`. */
const value = (n: number): Uint8Array => {
  const bytes = new Uint8Array(32);
  bytes[0] = 0x10;
  new DataView(bytes.buffer).setUint32(28, n);
  return bytes;
};
const packed = (values: Uint8Array[]): Uint8Array => Buffer.concat(values);

describe('the honest incremental round', () => {
  it('sends REMOVED after the whole BLINDED list and before any EVALUATED chunk, and passes the walk', () => {
    const honest = exportBundle(incremental, 'initiator');
    const frames = (party: Role) => honest[party].frames.map((frame) => decodeMessage(frame));
    expect(kinds(frames('initiator'))).toBe('offer blinded removed evaluated finish');
    expect(kinds(frames('responder'))).toBe('offer blinded removed evaluated finish');
    expect(kind(frames('initiator'), 'removed').points.length).toBe(2 * 32);
    expect(kind(frames('responder'), 'removed').points.length).toBe(32);
    const report = verifyTranscriptBundle(honest, roster);
    expect(report.failure).toBeNull();
    expect(check(report, 'messages-initiator').status).toBe('pass');
    expect(check(report, 'messages-responder').status).toBe('pass');
  });
});

describe('OFFER of an epoch round (SPEC §13.1)', () => {
  it('in cardinality mode is a policy mismatch of its sender', () => {
    const report = verifyTranscriptBundle(tampered('responder', (f) => [{ ...kind(f, 'offer'), mode: 'cardinality' } as Offer, ...f.slice(1)]), roster);
    expect(check(report, 'messages-responder')).toMatchObject({ status: 'fail', party: 'responder', member: 'lab-b', detail: 'lab-b frame 0: OFFER of an epoch round in cardinality mode [policy-mismatch]' });
  });
});

describe('REMOVED (SPEC §13.4, §13.6)', () => {
  it('in a round outside any epoch', () => {
    const plain = playRound({ elements: { initiator: ['s1', 'a1'].map(digest), responder: ['s1', 'b1'].map(digest) } });
    const removed = { ...kind(exportBundle(incremental, 'initiator').responder.frames.map((frame) => decodeMessage(frame)), 'removed') };
    // lab-b's REMOVED chunk in lab-a's record of a plain round, under the aborted leaf lab-a logs
    // over it (tamperedBundle; under a completed leaf it would be lab-a's account, audit.md §9.1,
    // "A completed or disputed leaf").
    const report = verifyTranscriptBundle(tamperedBundle(plain, 'responder', (frames) => [frames[0]!, frames[1]!, { ...removed, roundId: plain.roundId } as Removed, ...frames.slice(2)]), auditRoster());
    expect(check(report, 'messages-responder')).toMatchObject({ status: 'fail', party: 'responder', member: 'lab-b', detail: 'lab-b frame 2: REMOVED in a round outside any epoch [unexpected-message]' });
  });

  it('before the sender\'s whole BLINDED list', () => {
    const report = verifyTranscriptBundle(tampered('responder', (f) => [f[0]!, kind(f, 'removed'), kind(f, 'blinded'), ...f.slice(3)]), roster);
    expectFault(report, 'responder', 'frame 1: REMOVED chunk 0 out of place (after 0 of 1 BLINDED and 0 EVALUATED chunks) [unexpected-message]');
  });

  it('after an EVALUATED chunk', () => {
    const report = verifyTranscriptBundle(tampered('responder', (f) => [f[0]!, kind(f, 'blinded'), kind(f, 'evaluated'), kind(f, 'removed'), kind(f, 'finish')]), roster);
    // The EVALUATED chunk before it already breaks the rule that evaluations wait for the own REMOVED stream.
    expectFault(report, 'responder', 'frame 2: EVALUATED chunk 0 before its own last REMOVED chunk [unexpected-message]');
  });

  it('a repeated sequence number', () => {
    const report = verifyTranscriptBundle(tampered('responder', (f) => [f[0]!, f[1]!, kind(f, 'removed'), kind(f, 'removed'), ...f.slice(3)]), roster);
    expectFault(report, 'responder', 'frame 3: REMOVED chunk 0 repeats a sequence number [duplicate-chunk]');
  });

  it('a sequence number beyond the chunks the removals need', () => {
    const report = verifyTranscriptBundle(tampered('responder', (f) => [f[0]!, f[1]!, { ...kind(f, 'removed'), seq: 1 }, ...f.slice(3)]), roster);
    expectFault(report, 'responder', 'frame 2: REMOVED chunk 1 beyond the 1 chunks of 1 removals [count-mismatch]');
  });

  it('a sequence number that skips a chunk, with 5,000 removals declared', () => {
    const report = verifyTranscriptBundle(tampered('responder', (f) => {
      const offer = kind(f, 'offer');
      return [{ ...offer, epoch: { ...offer.epoch!, removals: 5000 } }, f[1]!, { ...kind(f, 'removed'), seq: 1 }, ...f.slice(3)];
    }), roster);
    expect(check(report, 'messages-responder')).toMatchObject({ status: 'fail', party: 'responder', detail: 'lab-b frame 2: REMOVED chunk 1 skips chunk 0 [unexpected-message]' });
  });

  it('a chunk with a value too few, or too many', () => {
    const fewer = verifyTranscriptBundle(tampered('initiator', (f) => {
      const removed = kind(f, 'removed');
      return [f[0]!, f[1]!, { ...removed, points: removed.points.subarray(32) }, ...f.slice(3)];
    }), roster);
    expectFault(fewer, 'initiator', 'frame 2: REMOVED chunk 0 carries 1 values, expected 2 [count-mismatch]');
    const more = verifyTranscriptBundle(tampered('responder', (f) => {
      const removed = kind(f, 'removed');
      return [f[0]!, f[1]!, { ...removed, points: packed([removed.points, value(1)]) }, ...f.slice(3)];
    }), roster);
    expectFault(more, 'responder', 'frame 2: REMOVED chunk 0 carries 2 values, expected 1 [count-mismatch]');
  });

  it('values not strictly ascending inside a chunk: descending, or a repeated value', () => {
    const swapped = verifyTranscriptBundle(tampered('initiator', (f) => {
      const removed = kind(f, 'removed');
      return [f[0]!, f[1]!, { ...removed, points: packed([removed.points.subarray(32), removed.points.subarray(0, 32)]) }, ...f.slice(3)];
    }), roster);
    expectFault(swapped, 'initiator', 'frame 2: REMOVED chunk 0 value 1 is not above the value before it [bad-removal]');
    const repeated = verifyTranscriptBundle(tampered('initiator', (f) => {
      const removed = kind(f, 'removed');
      return [f[0]!, f[1]!, { ...removed, points: packed([removed.points.subarray(0, 32), removed.points.subarray(0, 32)]) }, ...f.slice(3)];
    }), roster);
    expectFault(repeated, 'initiator', 'frame 2: REMOVED chunk 0 value 1 is not above the value before it [bad-removal]');
  });

  it('across two chunks: the first value of chunk 1 must be above the last of chunk 0', () => {
    const full = Array.from({ length: 4096 }, (_, i) => value(10 + i));
    const play = (first: Uint8Array) => verifyTranscriptBundle(tampered('responder', (f) => {
      const offer = kind(f, 'offer');
      const removed = kind(f, 'removed');
      return [
        { ...offer, epoch: { ...offer.epoch!, removals: 4097 } },
        f[1]!,
        { ...removed, seq: 0, points: packed(full) },
        { ...removed, seq: 1, points: first },
        ...f.slice(3),
      ];
    }), roster);
    // Equal to the last value of chunk 0, then below it: both refused at chunk 1 value 0.
    for (const first of [value(10 + 4095), value(9)]) {
      expect(check(play(first), 'messages-responder')).toMatchObject({ status: 'fail', party: 'responder', detail: 'lab-b frame 3: REMOVED chunk 1 value 0 is not above the value before it [bad-removal]' });
    }
    // Above it, the stream passes this rule; what fails next is the count of the peer's evaluations.
    expect(check(play(value(10 + 4096)), 'messages-responder').detail).not.toMatch(/REMOVED/);
  });
});

describe('EVALUATED in an epoch round (SPEC §13.6)', () => {
  it('before the sender\'s own whole REMOVED stream', () => {
    const report = verifyTranscriptBundle(tampered('responder', (f) => without(f, 'removed')), roster);
    // The initiator's walk comes first and already misses lab-b's stream in its evaluations.
    expect(report.failure).toMatchObject({ name: 'messages-initiator', party: 'initiator', detail: 'lab-a frame 3: EVALUATED chunk 0 without the whole REMOVED stream of lab-b [unexpected-message]' });
    expect(check(report, 'messages-responder')).toMatchObject({ status: 'fail', party: 'responder', member: 'lab-b', detail: 'lab-b frame 2: EVALUATED chunk 0 before its own last REMOVED chunk [unexpected-message]' });
  });

  it('without the peer\'s whole REMOVED stream', () => {
    // lab-a's record lacks its REMOVED chunk: lab-a is at fault for its own evaluations, and lab-b's
    // evaluations answer a REMOVED stream that the transcript does not hold. lab-a logs the attempt
    // aborted (abortedExport): under its completed leaf lab-b's frames, which no FINISH signature
    // covers, would be lab-a's account (audit.md §9.1, "A completed or disputed leaf").
    const report = verifyTranscriptBundle(abortedExport(incremental, tampered('initiator', (f) => without(f, 'removed'))), roster);
    expectFault(report, 'initiator', 'frame 2: EVALUATED chunk 0 before its own last REMOVED chunk [unexpected-message]');
    expect(check(report, 'messages-responder')).toMatchObject({ status: 'fail', party: 'responder', member: 'lab-b', detail: 'lab-b frame 3: EVALUATED chunk 0 without the whole REMOVED stream of lab-a [unexpected-message]' });
  });
});
