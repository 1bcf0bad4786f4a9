/**
 * The previous bundles of a key epoch (audit.md §9.4) as evidence: an auditor is handed them by
 * labs that may lie, so the verifier takes an earlier round only as both parties signed it (both
 * FINISH signatures verify under the roster keys over the TH_final recomputed from its frames),
 * with both OFFERs naming the epoch and the round, prefers such a round to any other bundle of the
 * same round whatever the order given, and needs each round to follow the one before (its OFFERs'
 * `prev`). A forged, altered or abandoned earlier bundle then neither frames an honest party, nor
 * clears a guilty one, nor makes the verifier throw.
 */
import type { Role } from '@venn/protocol';
import { decodeMessage, encodeMessage, type Message } from '@venn/wire';
import { beforeAll, describe, expect, it } from 'vitest';
import { verifyTranscriptBundle, type AuditRoster, type TranscriptBundle } from '../src/index.js';
import { auditRoster, epochSchedule, exportBundle, initiatorEpochId, type InFlight } from './round-harness.js';
import { playEpoch, type EpochRun } from './epoch-run.js';

const roster: AuditRoster = { ...auditRoster(), schedule: epochSchedule };
const epochId = initiatorEpochId('audit-test/attack-review');

const lists: ReadonlyArray<Record<Role, string[]>> = [
  { initiator: ['s1', 's2', 's3', 'a1', 'a2'], responder: ['s1', 's2', 's3', 'b1', 'b2', 'later'] },
  { initiator: ['s2', 's3', 'a1', 'later', 'a3'], responder: ['s1', 's3', 'b1', 'b2', 'later', 'b3'] },
  { initiator: ['s2', 's3', 'later', 'a3', 'both'], responder: ['s1', 's2', 's3', 'b2', 'later', 'b3', 'both'] },
];

const runEpoch = (upTo: number, intercept?: (index: number) => ((m: InFlight) => Uint8Array) | undefined, rounds = lists): EpochRun => playEpoch(epochId, 'audit/attack-review', rounds, upTo, intercept);

const point = (points: Uint8Array, i: number): Uint8Array => points.subarray(i * 32, i * 32 + 32);
const count = (points: Uint8Array): number => points.length / 32;
const same = (a: Uint8Array, b: Uint8Array): boolean => Buffer.compare(a, b) === 0;

/** All points of `role`'s chunks of `kind` in a bundle. */
function pointsOf(bundle: TranscriptBundle, role: Role, kind: 'blinded' | 'evaluated' | 'removed'): Uint8Array {
  const chunks = bundle[role].frames.map((frame) => decodeMessage(frame)).filter((m) => m.kind === kind) as Array<Extract<Message, { kind: 'blinded' }>>;
  return Buffer.concat(chunks.map((m) => m.points));
}

/** The bundle with point `at` of `role`'s first BLINDED chunk set to `to`: nothing re-made, no signature, no leaf, no proof. */
function forgeBlinded(bundle: TranscriptBundle, role: Role, at: number, to: Uint8Array): TranscriptBundle {
  let done = false;
  const frames = bundle[role].frames.map((frame) => {
    const m = decodeMessage(frame);
    if (m.kind !== 'blinded' || done) return frame;
    done = true;
    const points = m.points.slice();
    points.set(to, at * 32);
    return encodeMessage({ ...m, points });
  });
  return { ...bundle, [role]: { ...bundle[role], frames } };
}

/** lab-a's first EVALUATED chunk replaced in flight by an ABORT duplicate-addition. */
const falseAbort = (m: InFlight): Uint8Array => {
  if (m.from !== 'initiator' || m.kind !== 'evaluated') return m.bytes;
  return encodeMessage({ kind: 'abort', roundId: decodeMessage(m.bytes).roundId, reason: 'duplicate-addition', detail: '' });
};

function responderBlinded(to: number, value: Uint8Array): (m: InFlight) => Uint8Array {
  return (m) => {
    if (m.from !== 'responder' || m.kind !== 'blinded') return m.bytes;
    const chunk = decodeMessage(m.bytes) as Extract<Message, { kind: 'blinded' }>;
    const points = chunk.points.slice();
    points.set(value, to * 32);
    return encodeMessage({ ...chunk, points });
  };
}

const completedCheck = (report: ReturnType<typeof verifyTranscriptBundle>) => report.checks.find((check) => check.name === 'completed')!;

let honest: EpochRun;
beforeAll(() => {
  honest = runEpoch(3);
});

describe('a forged round-0 bundle does not frame lab-b for an addition already in the epoch', () => {
  it('lab-a falsely aborts round 2 with duplicate-addition: with lab-b\'s round-0 point forged into its round-2 one, round 0 counts as missing, and lab-a is named once the genuine round 0 is given too', () => {
    const falsely = runEpoch(3, (index) => (index === 2 ? falseAbort : undefined));
    // lab-b's OWN export of the aborted round 2: every frame genuine.
    const bundle = exportBundle(falsely.played[2]!, 'responder');
    const how = 'the round was aborted: lab-b logged reason duplicate-addition, ended by the initiator; lab-a sent ABORT duplicate-addition';
    // Sanity: with the genuine rounds 0 and 1, lab-a (the false aborter) is named.
    expect(completedCheck(verifyTranscriptBundle(bundle, roster, { previous: [falsely.bundles[1]!, falsely.bundles[0]!] })).party).toBe('initiator');

    // lab-a forges its round-0 bundle: lab-b's round-0 BLINDED point j becomes lab-b's (new) round-2 point q.
    const round2 = pointsOf(bundle, 'responder', 'blinded');
    const round0 = pointsOf(falsely.bundles[0]!, 'responder', 'blinded');
    const q = Array.from({ length: count(round2) }, (_, i) => i).find((i) => !Array.from({ length: count(round0) }, (_, j) => j).some((j) => same(point(round2, i), point(round0, j))))!;
    const removed = pointsOf(falsely.bundles[1]!, 'responder', 'removed');
    const values0 = pointsOf(falsely.bundles[0]!, 'initiator', 'evaluated');
    const j = Array.from({ length: count(round0) }, (_, i) => i).find((i) => !Array.from({ length: count(removed) }, (_, r) => r).some((r) => same(point(values0, i), point(removed, r))))!;
    const forged0 = forgeBlinded(falsely.bundles[0]!, 'responder', j, point(round2, q));
    // The forged bundle does not even verify on its own (its FINISH signatures and leaf no longer match) …
    expect(verifyTranscriptBundle(forged0, roster).failure).not.toBeNull();

    // … and as a previous bundle it is no round 0 both parties signed: the verdict waits for one.
    const report = verifyTranscriptBundle(bundle, roster, { previous: [falsely.bundles[1]!, forged0] });
    expect(report.checks.find((check) => check.name === 'epoch-chain')!.status).toBe('pass');
    expect(report.failure).toBe(completedCheck(report));
    expect(completedCheck(report)).toMatchObject({ party: null });
    expect(completedCheck(report).detail).toBe(`${how}; whether an addition of lab-b was already in the epoch takes every earlier round of the epoch; round 0 is missing or incomplete`);
    // With the genuine round 0 given after the forged one, the forged one is passed over.
    const both = verifyTranscriptBundle(bundle, roster, { previous: [falsely.bundles[1]!, forged0, falsely.bundles[0]!] });
    expect(completedCheck(both)).toMatchObject({ party: 'initiator', detail: `${how}; the bundle shows no duplicate-addition by lab-b` });
  });
});

describe('a forged round 0 listed first does not clear lab-b of a real re-addition', () => {
  it('lab-b re-adds in round 2 an element of round 0 still held and lab-a aborts: a forged round 0 listed before the genuine one is passed over, and lab-b is named', () => {
    // lab-b's round-0 point that is still held in round 2 (not s2, which lab-b removed in round 1 and re-adds honestly).
    const honest2 = pointsOf(honest.bundles[2]!, 'responder', 'blinded');
    const honest0 = pointsOf(honest.bundles[0]!, 'responder', 'blinded');
    const held = Array.from({ length: count(honest0) }, (_, j) => j).find((j) => !Array.from({ length: count(honest2) }, (_, i) => i).some((i) => same(point(honest0, j), point(honest2, i))))!;
    const readded = runEpoch(3, (index) => (index === 2 ? responderBlinded(1, point(honest0, held)) : undefined));
    expect(readded.played[2]!.results.initiator).toMatchObject({ status: 'aborted', reason: 'duplicate-addition' });
    const bundle = readded.bundles[2]!; // lab-a's own, honest, export
    const genuine = [readded.bundles[1]!, readded.bundles[0]!];
    expect(completedCheck(verifyTranscriptBundle(bundle, roster, { previous: genuine })).party).toBe('responder');

    // lab-b hands in its "round 0" with the re-added point replaced by another valid point (one of lab-a's).
    const at = Array.from({ length: count(pointsOf(readded.bundles[0]!, 'responder', 'blinded')) }, (_, j) => j)
      .find((j) => same(point(pointsOf(readded.bundles[0]!, 'responder', 'blinded'), j), point(honest0, held)))!;
    const forged0 = forgeBlinded(readded.bundles[0]!, 'responder', at, point(pointsOf(readded.bundles[0]!, 'initiator', 'blinded'), 0));
    // The auditor holds the genuine rounds 0 and 1 too; the forged bundle is listed first.
    const report = verifyTranscriptBundle(bundle, roster, { previous: [forged0, ...genuine] });
    expect(report.failure).toBe(completedCheck(report));
    expect(completedCheck(report)).toMatchObject({ party: 'responder' });
  });
});

describe('a forged bundle of round i − 1 does not make epoch-chain blame a party of a round both signed', () => {
  it('honest round 1 with a forged round-0 bundle: epoch-chain names neither party', () => {
    const forged0 = forgeBlinded(honest.bundles[0]!, 'responder', 0, point(pointsOf(honest.bundles[0]!, 'initiator', 'blinded'), 0));
    expect(verifyTranscriptBundle(honest.bundles[1]!, roster, { previous: [honest.bundles[0]!] }).failure).toBeNull();
    const report = verifyTranscriptBundle(honest.bundles[1]!, roster, { previous: [forged0] });
    // Both FINISH signatures of round 1 cover TH_final, and so both OFFERs' prev: neither party can be at fault.
    const chain = report.checks.find((check) => check.name === 'epoch-chain')!;
    expect(chain.party === 'initiator' || chain.party === 'responder').toBe(false);
  });
});

/** The bundle with `role`'s OFFER rewritten by `edit`. */
function editOffer(bundle: TranscriptBundle, role: Role, edit: (offer: Extract<Message, { kind: 'offer' }>) => Extract<Message, { kind: 'offer' }>): TranscriptBundle {
  const frames = bundle[role].frames.map((frame) => {
    const m = decodeMessage(frame);
    return m.kind === 'offer' ? encodeMessage(edit(m)) : frame;
  });
  return { ...bundle, [role]: { ...bundle[role], frames } };
}

describe('a previous bundle whose responder OFFER carries no `ep` is no round of the epoch', () => {
  it('the verifier does not throw, and the chain is skipped for want of round 0', () => {
    // Round 0 with lab-b's OFFER made plain: findLink matches on the initiator's OFFER alone.
    const forged0 = editOffer(honest.bundles[0]!, 'responder', ({ epoch: _dropped, ...offer }) => offer);
    const th0 = Buffer.from(verifyTranscriptBundle(forged0, roster).summary.transcriptHash!, 'hex');
    // A round-1 bundle whose two OFFERs link to that round (any member can export such a bundle of its own aborted attempt).
    let current = honest.bundles[1]!;
    for (const role of ['initiator', 'responder'] as const) current = editOffer(current, role, (offer) => ({ ...offer, epoch: { ...offer.epoch!, previousHash: th0 } }));
    const report = verifyTranscriptBundle(current, roster, { previous: [forged0] });
    expect(report.checks.find((check) => check.name === 'epoch-chain')).toMatchObject({ status: 'skip', party: null });
  });
});

describe('an aborted attempt of an earlier round, listed before the completed one, does not hide it', () => {
  it('lab-b really re-adds in round 2 a held round-0 element: with a cancelled attempt of round 0 listed first, lab-b is still named', () => {
    const honest2 = pointsOf(honest.bundles[2]!, 'responder', 'blinded');
    const honest0 = pointsOf(honest.bundles[0]!, 'responder', 'blinded');
    const held = Array.from({ length: count(honest0) }, (_, j) => j).find((j) => !Array.from({ length: count(honest2) }, (_, i) => i).some((i) => same(point(honest0, j), point(honest2, i))))!;
    const readded = runEpoch(3, (index) => (index === 2 ? responderBlinded(1, point(honest0, held)) : undefined));
    const bundle = readded.bundles[2]!;
    // An earlier attempt of round 0 that lab-a cancelled (a real, signed, logged attempt: same epoch id, same index).
    const cancel = (m: InFlight): Uint8Array => (m.from === 'initiator' && m.kind === 'evaluated'
      ? encodeMessage({ kind: 'abort', roundId: decodeMessage(m.bytes).roundId, reason: 'cancelled', detail: '' })
      : m.bytes);
    const attempt0 = runEpoch(1, () => cancel).bundles[0]!;
    expect(verifyTranscriptBundle(attempt0, roster).failure).toMatchObject({ name: 'completed', party: null });
    const genuine = [readded.bundles[1]!, readded.bundles[0]!];
    expect(completedCheck(verifyTranscriptBundle(bundle, roster, { previous: genuine })).party).toBe('responder');
    // Every bundle of the epoch the auditor holds, the abandoned attempt first.
    const report = verifyTranscriptBundle(bundle, roster, { previous: [attempt0, ...genuine] });
    expect(completedCheck(report)).toMatchObject({ party: 'responder' });
  });
});

describe('the rounds a replay takes follow one another', () => {
  it('a round 0 both parties signed, of another run of the same epoch id, is passed over: round 1 does not follow it, and the epoch\'s intersection is skipped', () => {
    const other = runEpoch(1, () => undefined, [{ initiator: ['s1', 'x1'], responder: ['s1', 'y1', 'y2'] }]);
    // A round 0 of its own: both parties signed it, and it verifies.
    expect(verifyTranscriptBundle(other.bundles[0]!, roster).failure).toBeNull();
    expect(verifyTranscriptBundle(honest.bundles[2]!, roster, { previous: [honest.bundles[1]!, honest.bundles[0]!] }).failure).toBeNull();
    const report = verifyTranscriptBundle(honest.bundles[2]!, roster, { previous: [honest.bundles[1]!, other.bundles[0]!] });
    expect(report.failure).toBeNull();
    expect(report.checks.find((check) => check.name === 'epoch-chain')!.status).toBe('pass');
    expect(report.checks.find((check) => check.name === 'intersection-size')).toMatchObject({
      status: 'skip',
      detail: "the epoch's intersection takes every earlier round of the epoch; round 1 does not follow round 0 among the bundles given",
    });
  });

  it('a bundle that holds no OFFER is no round of the epoch: the chain is skipped, not failed', () => {
    const none = { ...honest.bundles[0]!, initiator: { ...honest.bundles[0]!.initiator, frames: [] }, responder: { ...honest.bundles[0]!.responder, frames: [] } };
    const report = verifyTranscriptBundle(honest.bundles[1]!, roster, { previous: [none] });
    expect(report.checks.find((check) => check.name === 'epoch-chain')).toMatchObject({ status: 'skip', party: null });
  });
});
