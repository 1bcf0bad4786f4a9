/**
 * The bundle verifier's frame walk, policy and slot checks at the edges the other verifier tests
 * leave open (audit.md §9.1 checks 6–9, SPEC §4.4–§4.5, §13.4–§13.6, node.md §3–§4): an invalid
 * key K named as `K`, a PROOF in intersection mode or without the peer's OFFER, a PROOF or FINISH
 * before the own BLINDED list where the peer's empty set asks for no evaluation, a FINISH without
 * the peer's OFFER, a REMOVED chunk after a valid EVALUATED chunk, a REMOVED chunk ascending only
 * against the value two before it, a FINISH before the own REMOVED stream in an epoch round where
 * the peer adds nothing, a previous bundle with LABELS in clear, the policy of a responder whose
 * initiator's OFFER is missing, and a scheduled round's slot, round id and initiator. Each test
 * pins the check, the party at fault and the detail the auditor reads.
 */
import type { Role } from '@venn/protocol';
import { decodeMessage, encodeMessage, type Message } from '@venn/wire';
import { describe, expect, it } from 'vitest';
import { MapEpochState } from '../../protocol/scripts/epoch-state.js';
import { verifyTranscriptBundle, type AuditRoster, type BundleReport, type TranscriptBundle } from '../src/index.js';
import {
  abortedExport,
  adHocRoundId, auditRoster, digest, epochRoundId, epochSchedule, expectFrameFault as expectFault, exportBundle, hourlySchedule, initiatorEpochId, playRound,
  tamperedBundle as tampered, type PlayedRound,
} from './round-harness.js';

const a = ['s1', 's2', 's3', 'a1', 'a2'].map(digest);
const b = ['b1', 's3', 'b2', 's1', 's2', 'b3'].map(digest);
const intersection = playRound({ elements: { initiator: a, responder: b } });
const cardinality = playRound({ elements: { initiator: a, responder: b }, mode: 'cardinality' });
const hex = (bytes: Uint8Array): string => Buffer.from(bytes).toString('hex');
const check = (report: BundleReport, name: string) => report.checks.find((entry) => entry.name === name)!;
const kind = <K extends Message['kind']>(frames: Message[], k: K): Extract<Message, { kind: K }> => frames.find((frame) => frame.kind === k) as Extract<Message, { kind: K }>;
const kinds = (frames: readonly Uint8Array[]): string => frames.map((frame) => decodeMessage(frame).kind).join(' ');

/** The initiator's bundle of `played` with each party's frames replaced by `edit[party](frames)`. */
function edited(played: PlayedRound, edit: Partial<Record<Role, (frames: Message[]) => Message[]>>): TranscriptBundle {
  const honest = exportBundle(played, 'initiator');
  const frames = (party: Role): Uint8Array[] => {
    const change = edit[party];
    return change === undefined ? honest[party].frames : change(honest[party].frames.map((frame) => decodeMessage(frame))).map((message) => encodeMessage(message));
  };
  // Under the aborted leaf an honest initiator logs over such frames (a completed leaf over them is the exporter's fault, audit.md §9.1).
  return abortedExport(played, { ...honest, initiator: { ...honest.initiator, frames: frames('initiator') }, responder: { ...honest.responder, frames: frames('responder') } });
}

describe('OFFER key K (SPEC §4.5 OFFER step 7)', () => {
  it('a key that does not decode is named K in the detail, with the decoder\'s code', () => {
    const report = verifyTranscriptBundle(tampered(intersection, 'responder', (f) => [{ ...kind(f, 'offer'), publicKey: new Uint8Array(32).fill(0xff) }, ...f.slice(1)]), auditRoster());
    expectFault(report, 'responder', 'frame 0: OFFER key K is not a valid element: "K" expected a canonical ristretto255 encoding (RFC 9496 §4.3.1), got bytes that do not decode [non-canonical-point] [bad-point]');
  });
});

describe('PROOF (SPEC §4.5 PROOF)', () => {
  it('a PROOF in intersection mode, even of 64 bytes after every chunk, is its sender\'s unexpected message', () => {
    const proof: Message = { kind: 'proof', roundId: intersection.roundId, proof: new Uint8Array(64).fill(5) };
    const report = verifyTranscriptBundle(tampered(intersection, 'responder', (f) => [f[0]!, f[1]!, f[2]!, proof, f[3]!]), auditRoster());
    expectFault(report, 'responder', 'frame 3: a PROOF in intersection mode, where each EVALUATED chunk carries its own proof [unexpected-message]');
    expect(check(report, 'messages-initiator').status).toBe('pass');
  });

  it('a PROOF while the bundle holds no OFFER of the peer names the peer whose OFFER is missing', () => {
    const bundle = edited(cardinality, { initiator: () => [], responder: (f) => [kind(f, 'offer'), kind(f, 'blinded'), kind(f, 'proof')] });
    const report = verifyTranscriptBundle(bundle, auditRoster());
    expect(check(report, 'messages-initiator')).toMatchObject({ status: 'pass', detail: '0 frames in order: no OFFER, 0 BLINDED, 0 EVALUATED, no PROOF, no FINISH' });
    expectFault(report, 'responder', 'frame 2: PROOF without an OFFER from lab-a [unexpected-message]');
  });

  it('a PROOF against an empty peer set before the own BLINDED list is a count mismatch, though no evaluation is due', () => {
    const played = playRound({ elements: { initiator: ['s1', 'a1'].map(digest), responder: [] }, mode: 'cardinality' });
    expect(kinds(exportBundle(played, 'initiator').initiator.frames)).toBe('offer blinded proof finish');
    const report = verifyTranscriptBundle(tampered(played, 'initiator', (f) => f.filter((m) => m.kind !== 'blinded')), auditRoster());
    expectFault(report, 'initiator', 'frame 1: PROOF after 0/1 BLINDED and 0/0 EVALUATED chunks [count-mismatch]');
  });
});

describe('FINISH (SPEC §4.4 S5–S6)', () => {
  it('a FINISH against an empty peer set before the own BLINDED list: no evaluation is due, the BLINDED chunk still is', () => {
    const played = playRound({ elements: { initiator: ['s1', 'a1'].map(digest), responder: [] } });
    expect(kinds(exportBundle(played, 'initiator').initiator.frames)).toBe('offer blinded finish');
    const report = verifyTranscriptBundle(tampered(played, 'initiator', (f) => f.filter((m) => m.kind !== 'blinded')), auditRoster());
    expectFault(report, 'initiator', 'frame 1: FINISH before its last BLINDED and EVALUATED chunks (0 of 0 EVALUATED) [unexpected-message]');
  });

  it('a FINISH while the bundle holds no OFFER of the peer is premature, counting 0 evaluations due', () => {
    const bundle = edited(intersection, { initiator: () => [], responder: (f) => [kind(f, 'offer'), kind(f, 'blinded'), kind(f, 'finish')] });
    const report = verifyTranscriptBundle(bundle, auditRoster());
    expectFault(report, 'responder', 'frame 2: FINISH before its last BLINDED and EVALUATED chunks (0 of 0 EVALUATED) [unexpected-message]');
  });
});

describe('a round of a key epoch where the responder adds nothing (SPEC §13.4, §13.6)', () => {
  const roster: AuditRoster = { ...auditRoster(), schedule: epochSchedule };
  const epochId = initiatorEpochId('audit-test/party-messages');
  // Round 1: lab-a removes s1 and adds a2; lab-b removes b1 and adds nothing, so lab-a evaluates nothing.
  const lists: ReadonlyArray<Record<Role, string[]>> = [
    { initiator: ['s1', 's2', 'a1'], responder: ['s1', 's2', 'b1'] },
    { initiator: ['s2', 'a1', 'a2'], responder: ['s1', 's2'] },
  ];
  const states = { initiator: new MapEpochState(epochId, 'audit/party-messages/a'), responder: new MapEpochState(epochId, 'audit/party-messages/b') };
  const rounds = lists.map((list, index) => {
    const inputs = (['initiator', 'responder'] as const).map((role) => states[role].next(list[role].map(digest)));
    const played = playRound({
      roundId: epochRoundId(epochId, index),
      elements: { initiator: inputs[0]!.additions, responder: inputs[1]!.additions },
      epoch: { initiator: inputs[0]!.epoch, responder: inputs[1]!.epoch },
    });
    states.initiator.apply(played.results.initiator);
    states.responder.apply(played.results.responder);
    return played;
  });
  const bundles = rounds.map((played) => exportBundle(played, 'initiator'));
  const frames = (bundle: TranscriptBundle, party: Role): Message[] => bundle[party].frames.map((frame) => decodeMessage(frame));
  /** 32-byte values that sort by `n`. */
  const value = (n: number): Uint8Array => {
    const bytes = new Uint8Array(32);
    bytes[0] = 0x10;
    new DataView(bytes.buffer).setUint32(28, n);
    return bytes;
  };

  it('the honest round verifies, chained to round 0: lab-a sends REMOVED and no EVALUATED chunk before its FINISH', () => {
    expect(kinds(bundles[1]!.initiator.frames)).toBe('offer blinded removed finish');
    expect(kinds(bundles[1]!.responder.frames)).toBe('offer removed evaluated finish');
    const report = verifyTranscriptBundle(bundles[1]!, roster, { previous: [bundles[0]!] });
    expect(report.failure).toBeNull();
    expect(check(report, 'epoch-chain').detail).toMatch(/^follows round 0: prev is its TH_final /);
  });

  it('a FINISH before the own REMOVED stream, where no evaluation made it wait for that stream', () => {
    const report = verifyTranscriptBundle(tampered(rounds[1]!, 'initiator', (f) => f.filter((m) => m.kind !== 'removed')), roster);
    expectFault(report, 'initiator', 'frame 2: FINISH before its last REMOVED chunk [unexpected-message]');
  });

  it('a REMOVED chunk after a valid EVALUATED chunk is out of place, even repeating a chunk already sent', () => {
    const report = verifyTranscriptBundle(tampered(rounds[1]!, 'responder', (f) => [f[0]!, f[1]!, f[2]!, f[1]!, f[3]!]), roster);
    expectFault(report, 'responder', 'frame 3: REMOVED chunk 0 out of place (after 0 of 0 BLINDED and 1 EVALUATED chunks) [unexpected-message]');
  });

  it('a REMOVED chunk whose third value is above the first but below the second is not ascending at value 2', () => {
    const report = verifyTranscriptBundle(tampered(rounds[1]!, 'initiator', (f) => {
      const offer = kind(f, 'offer');
      return [{ ...offer, epoch: { ...offer.epoch!, removals: 3 } }, kind(f, 'blinded'), { ...kind(f, 'removed'), points: Buffer.concat([value(1), value(5), value(3)]) }, kind(f, 'finish')];
    }), roster);
    expectFault(report, 'initiator', 'frame 2: REMOVED chunk 0 value 2 is not above the value before it [bad-removal]');
  });

  describe('a previous bundle with a LABELS frame in clear does not complete round 0, so cannot carry the chain', () => {
    const incomplete = { name: 'epoch-chain', status: 'fail', party: null, member: null, detail: 'round 0 of the epoch did not complete in the bundle given, so no round can follow it' };
    const labels: Message = { kind: 'labels', roundId: rounds[0]!.roundId, seq: 0, end: true, entries: [] };
    const previous = (edit: (f: Message[]) => Message[]): TranscriptBundle => {
      const bundle = bundles[0]!;
      return { ...bundle, responder: { ...bundle.responder, frames: edit(frames(bundle, 'responder')).map((message) => encodeMessage(message)) } };
    };

    it('LABELS before the FINISH', () => {
      const report = verifyTranscriptBundle(bundles[1]!, roster, { previous: [previous((f) => [...f.slice(0, -1), labels, f.at(-1)!])] });
      expect(report.failure).toEqual(incomplete);
    });

    it('LABELS in the FINISH\'s place: it is no FINISH', () => {
      const report = verifyTranscriptBundle(bundles[1]!, roster, { previous: [previous((f) => [...f.slice(0, -1), labels])] });
      expect(report.failure).toEqual(incomplete);
    });
  });
});

describe('policy of the responder\'s OFFER when the initiator\'s is missing (roster.md §1)', () => {
  const bundle = edited(intersection, { initiator: () => [] });

  it('is checked: it passes within the roster policy, naming only the responder\'s OFFER', () => {
    const report = verifyTranscriptBundle(bundle, auditRoster());
    expect(check(report, 'policy')).toEqual({ name: 'policy', status: 'pass', party: null, member: null, detail: 'mode intersection; lab-b n=6 cap=65536; within both roster policies' });
  });

  it('and fails the responder over its roster policy\'s cap', () => {
    const report = verifyTranscriptBundle(bundle, auditRoster({ responder: { maxPeerSetSize: 1000, modes: ['intersection'], shareLabels: [] } }));
    expect(check(report, 'policy')).toEqual({ name: 'policy', status: 'fail', party: 'responder', member: 'lab-b', detail: 'lab-b stated a cap of 65536, above its roster policy\'s 1000' });
  });
});

describe('slot: a scheduled round the roster does not bear out (node.md §3–§4)', () => {
  const hour = 1_900_000_800;
  const initiatedBy = (id: string): number => {
    let slot = hour;
    while (hourlySchedule.scheduledInitiator(hourlySchedule.scheduledRoundId(slot, 'lab-a', 'lab-b'), 'lab-a', 'lab-b') !== id) slot += 3600;
    return slot;
  };

  it('a slot that is not an instant of the schedule is the exporter\'s fault', () => {
    const report = verifyTranscriptBundle(exportBundle(intersection, 'responder', { leaf: { slot: hour + 1 } }), auditRoster());
    expect(report.failure).toEqual({ name: 'slot', status: 'fail', party: 'exporter', member: 'lab-b', detail: 'the leaf\'s slot 2030-03-17T18:00:01.000Z is not an instant of the roster schedule' });
  });

  it('a round id other than the slot\'s is the exporter\'s fault, naming both ids', () => {
    const report = verifyTranscriptBundle(exportBundle(intersection, 'responder', { leaf: { slot: hour } }), auditRoster());
    expect(report.failure).toEqual({
      name: 'slot', status: 'fail', party: 'exporter', member: 'lab-b',
      detail: `round ${hex(adHocRoundId)} is logged for slot 2030-03-17T18:00:00.000Z, whose round id is ${hex(hourlySchedule.scheduledRoundId(hour, 'lab-a', 'lab-b'))}`,
    });
  });

  it('the slot\'s round opened by the lab the schedule does not name is the initiator\'s not-initiator', () => {
    const slot = initiatedBy('lab-b');
    const played = playRound({ elements: { initiator: a, responder: b }, roundId: hourlySchedule.scheduledRoundId(slot, 'lab-a', 'lab-b') });
    const report = verifyTranscriptBundle(exportBundle(played, 'responder', { leaf: { slot } }), auditRoster());
    expect(report.failure).toEqual({
      name: 'slot', status: 'fail', party: 'initiator', member: 'lab-a',
      detail: `lab-a opened the round of slot ${new Date(slot * 1000).toISOString()}, whose initiator is lab-b [not-initiator]`,
    });
  });
});
