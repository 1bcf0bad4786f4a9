/**
 * The bundle verifier's proof, intersection-size and record-status checks (audit.md §9.1 checks
 * 13–14, 17–18) on the bundles that reach their less travelled branches: a cardinality PROOF
 * against an empty set whose owner's epoch OFFER announces REMOVED chunks the bundle lacks, a sum
 * proof that does not verify, an incremental epoch round judged alone, a round with only one
 * FINISH message, and an epoch's start whose additions repeat one another, proven and signed by
 * both parties. Each test pins the check's status and detail, the report being what the auditor
 * reads.
 */
import { ed25519Sign } from '@venn/crypto';
import { Transcript, finishSignatureInput, generateChunkProof, type Role } from '@venn/protocol';
import { decodeMessage, encodeMessage, type Message } from '@venn/wire';
import { describe, expect, it } from 'vitest';
import { MapEpochState } from '../../protocol/scripts/epoch-state.js';
import { verifyTranscriptBundle, type AuditRoster, type BundleReport, type RecordedMessage, type TranscriptBundle } from '../src/index.js';
import { auditRoster, digest, epochRoundId, epochSchedule, exportBundle, initiatorEpochId, keys, playRound, seededRng, tamperedBundle, wrongEvaluation } from './round-harness.js';

const a = ['s1', 's2', 's3', 'a1', 'a2'].map(digest);
const b = ['b1', 's3', 'b2', 's1', 's2', 'b3'].map(digest);
const check = (report: BundleReport, name: string) => report.checks.find((entry) => entry.name === name)!;
const kinds = (frames: readonly Uint8Array[]): string => frames.map((frame) => {
  const message = decodeMessage(frame);
  return 'proof' in message ? `${message.kind}(${message.proof.length})` : message.kind;
}).join(' ');
type Offer = Extract<Message, { kind: 'offer' }>;

describe('proof: a cardinality PROOF against an empty set whose owner runs an epoch round (SPEC §13.5)', () => {
  // lab-a proves its sum over lab-b's empty list: a PROOF of 0 bytes. lab-b's frames are replaced by
  // an OFFER of an epoch round that announces `removals` REMOVED values, and nothing after it.
  const played = playRound({ elements: { initiator: ['s1', 'a1'].map(digest), responder: [] }, mode: 'cardinality' });
  const bundle = (removals: number): TranscriptBundle => tamperedBundle(played, 'responder', (frames) => {
    const offer = frames.find((frame): frame is Offer => frame.kind === 'offer')!;
    const epoch = { id: initiatorEpochId('audit-test/proof-sizes'), index: 0, previousHash: new Uint8Array(64), accumulated: 0, removals, epochCap: 1000 };
    return [{ ...offer, mode: 'intersection', epoch }];
  });

  it('skips the prover\'s proof check while the bundle lacks part of the peer\'s REMOVED stream, which TH_pre binds', () => {
    const tampered = bundle(1);
    expect(kinds(tampered.initiator.frames)).toBe('offer blinded proof(0) finish');
    expect(kinds(tampered.responder.frames)).toBe('offer');
    const report = verifyTranscriptBundle(tampered, auditRoster());
    // Both frame walks pass: lab-b simply stopped after its OFFER, lab-a owed no EVALUATED chunk.
    expect(check(report, 'messages-initiator').status).toBe('pass');
    expect(check(report, 'messages-responder').status).toBe('pass');
    expect(check(report, 'proof-initiator')).toEqual({
      name: 'proof-initiator', status: 'skip', party: null, member: null, detail: 'the bundle lacks part of a REMOVED stream the proofs bind',
    });
    expect(check(report, 'proof-responder')).toMatchObject({ status: 'skip', detail: 'lab-b sent no EVALUATED chunk' });
  });

  it('passes it as an empty proof over an empty set once the OFFER announces no REMOVED chunk', () => {
    const report = verifyTranscriptBundle(bundle(0), auditRoster());
    expect(check(report, 'proof-initiator')).toEqual({
      name: 'proof-initiator', status: 'pass', party: null, member: null, detail: 'lab-b\'s set is empty: nothing to prove, and the proof is empty',
    });
  });
});

describe('proof: a cardinality sum proof that does not verify (SPEC §6.3)', () => {
  it('fails the prover\'s proof check, naming the prover, the peer whose points it summed and the verifier\'s reason', () => {
    // lab-b's first EVALUATED chunk has one point replaced in flight; its PROOF covers the points it computed.
    const played = playRound({ elements: { initiator: a, responder: b }, mode: 'cardinality', intercept: wrongEvaluation('responder') });
    const report = verifyTranscriptBundle(exportBundle(played, 'initiator'), auditRoster());
    expect(check(report, 'proof-initiator').status).toBe('pass');
    expect(check(report, 'proof-responder')).toEqual({
      name: 'proof-responder', status: 'fail', party: 'responder', member: 'lab-b',
      detail: 'lab-b\'s cardinality proof does not verify: the sum of its evaluations is not its committed key times the sum of lab-a\'s points (the sum proof does not verify) [bad-proof]',
    });
  });
});

describe('intersection-size: an incremental epoch round judged alone (audit.md §9.4)', () => {
  it('is skipped, saying the epoch\'s intersection needs every earlier round, the first of them missing', () => {
    const roster: AuditRoster = { ...auditRoster(), schedule: epochSchedule };
    const epochId = initiatorEpochId('audit-test/proof-sizes/epoch');
    const states = { initiator: new MapEpochState(epochId, 'audit/proof-sizes/a'), responder: new MapEpochState(epochId, 'audit/proof-sizes/b') };
    const lists: ReadonlyArray<Record<Role, string[]>> = [
      { initiator: ['s1', 's2', 'a1'], responder: ['s1', 's2', 'b1'] },
      { initiator: ['s1', 's2', 'a1', 'a2'], responder: ['s2', 'b1', 'b2'] },
    ];
    const bundles = lists.map((list, index) => {
      const inputs = (['initiator', 'responder'] as const).map((role) => states[role].next(list[role].map(digest)));
      const played = playRound({
        roundId: epochRoundId(epochId, index),
        elements: { initiator: inputs[0]!.additions, responder: inputs[1]!.additions },
        epoch: { initiator: inputs[0]!.epoch, responder: inputs[1]!.epoch },
      });
      if (played.results.initiator.status !== 'completed' || played.results.responder.status !== 'completed') throw new Error(`epoch round ${index} did not complete`);
      states.initiator.apply(played.results.initiator);
      states.responder.apply(played.results.responder);
      return exportBundle(played, 'initiator');
    });
    const alone = verifyTranscriptBundle(bundles[1]!, roster);
    expect(alone.failure).toBeNull();
    expect(check(alone, 'intersection-size')).toEqual({
      name: 'intersection-size', status: 'skip', party: null, member: null,
      detail: 'the epoch\'s intersection takes every earlier round of the epoch; round 0 is missing or incomplete',
    });
    // With round 0 the same check passes on the replayed intersection: s2 alone.
    const replayed = verifyTranscriptBundle(bundles[1]!, roster, { previous: [bundles[0]!] });
    expect(check(replayed, 'intersection-size')).toMatchObject({ status: 'pass', detail: 'recomputed 1 (initiator) and 1 (responder), as claimed in both FINISH messages' });
  });
});

describe('intersection-size: a bundle with one FINISH message (audit.md §9.1 check 17)', () => {
  const played = playRound({ elements: { initiator: a, responder: b } });
  /**
   * lab-a's bundle under its completed leaf, `party`'s FINISH left out: a completed leaf with one
   * FINISH is the scenario, so the leaf keeps both claims (tamperedBundle would log the aborted
   * attempt over lab-b's edited frames, which logs none).
   */
  const withoutFinish = (party: Role): TranscriptBundle => {
    const honest = exportBundle(played, 'initiator');
    return { ...honest, [party]: { ...honest[party], frames: honest[party].frames.filter((frame) => decodeMessage(frame).kind !== 'finish') } };
  };

  it('passes, naming the one party whose FINISH claims the recomputed size', () => {
    for (const [missing, claimant] of [['responder', 'lab-a'], ['initiator', 'lab-b']] as const) {
      const report = verifyTranscriptBundle(withoutFinish(missing), auditRoster());
      expect(check(report, 'intersection-size')).toEqual({
        name: 'intersection-size', status: 'pass', party: null, member: null,
        detail: `recomputed 3 (initiator) and 3 (responder), as claimed in ${claimant}'s FINISH`,
      });
      // The leaf still logs both claims: the exporter's account, not the sizes, is what fails.
      expect(report.failure).toMatchObject({ name: 'record-status', party: 'exporter', member: 'lab-a' });
      // No check names a party of the round, so audit.md §9.1, "A completed or disputed leaf", moves nothing to the exporter.
      expect(report.checks.filter((entry) => entry.status === 'fail').map((entry) => [entry.name, entry.party])).toEqual([['record-status', 'exporter'], ['completed', null]]);
    }
  });

  it('says both FINISH messages when the bundle holds both', () => {
    const report = verifyTranscriptBundle(exportBundle(played, 'responder'), auditRoster());
    expect(report.failure).toBeNull();
    expect(check(report, 'intersection-size').detail).toBe('recomputed 3 (initiator) and 3 (responder), as claimed in both FINISH messages');
  });
});

describe('intersection-size: an epoch\'s start whose additions repeat one another (SPEC §13.6 BLINDED check 7)', () => {
  // Round 0 of an epoch, then rewritten as if lab-b had added s1 twice (its b2 BLINDED point replaced
  // by its s1 point) and lab-a's implementation had let it through: lab-a evaluates the repeat (the
  // same value as its evaluation of the s1 point), both prove their chunks under TH_pre of these
  // frames, and both sign TH_final, lab-a its 2 matches, lab-b the 3 its repeated s1 gives it.
  const roster: AuditRoster = { ...auditRoster(), schedule: epochSchedule };
  const epochId = initiatorEpochId('audit-test/proof-sizes/repeat');
  const states = { initiator: new MapEpochState(epochId, 'audit/repeat/a'), responder: new MapEpochState(epochId, 'audit/repeat/b') };
  const inputs = (['initiator', 'responder'] as const).map((role) => states[role].next((role === 'initiator' ? ['s1', 's2', 's3', 'a1'] : ['s1', 's2', 'b1', 'b2']).map(digest)));
  const played = playRound({
    roundId: epochRoundId(epochId, 0),
    elements: { initiator: inputs[0]!.additions, responder: inputs[1]!.additions },
    epoch: { initiator: inputs[0]!.epoch, responder: inputs[1]!.epoch },
  });

  /** lab-a's record of the round with lab-b's repeat, re-proven and re-signed, and its leaf of a disputed round. */
  function repeated(): TranscriptBundle {
    const sender = (entry: RecordedMessage): Role => (entry.direction === 'sent' ? 'initiator' : 'responder');
    const messages = played.records.initiator.map((entry) => ({ from: sender(entry), message: decodeMessage(entry.bytes) }));
    const find = <K extends Message['kind']>(from: Role, kind: K) => messages.find((m) => m.from === from && m.message.kind === kind)!.message as Extract<Message, { kind: K }>;
    const blinded = { initiator: find('initiator', 'blinded'), responder: find('responder', 'blinded') };
    const evaluated = { initiator: find('initiator', 'evaluated'), responder: find('responder', 'evaluated') };
    const point = (points: Uint8Array, i: number): Uint8Array => points.subarray(i * 32, i * 32 + 32);
    const has = (points: Uint8Array, value: Uint8Array): boolean => Array.from({ length: points.length / 32 }, (_, i) => Buffer.compare(point(points, i), value) === 0).some(Boolean);
    // lab-b's points whose evaluations by lab-a are matches (s1, s2) and one that is not.
    const positions = Array.from({ length: 4 }, (_, i) => i);
    const matched = positions.filter((i) => has(evaluated.responder.points, point(evaluated.initiator.points, i)));
    const unmatched = positions.find((i) => !matched.includes(i))!;
    expect(matched).toHaveLength(2);
    const repeat = (points: Uint8Array): Uint8Array => {
      const out = points.slice();
      out.set(point(points, matched[0]!), unmatched * 32);
      return out;
    };
    const offers = { initiator: find('initiator', 'offer'), responder: find('responder', 'offer') };
    const frames: Record<Role, Message[]> = {
      initiator: [offers.initiator, blinded.initiator, { ...evaluated.initiator, points: repeat(evaluated.initiator.points) }],
      responder: [offers.responder, { ...blinded.responder, points: repeat(blinded.responder.points) }, evaluated.responder],
    };
    const bytesOf = (role: Role, kind: 'offer' | 'blinded' | 'evaluated') => encodeMessage(frames[role].find((m) => m.kind === kind)!);
    const transcript = new Transcript();
    for (const kind of ['offer', 'blinded'] as const) for (const role of ['initiator', 'responder'] as const) transcript.absorb(role, kind, bytesOf(role, kind));
    const preTranscriptHash = transcript.epochPreHash();
    for (const role of ['initiator', 'responder'] as const) {
      const peer: Role = role === 'initiator' ? 'responder' : 'initiator';
      const own = frames[role][2] as Extract<Message, { kind: 'evaluated' }>;
      const peerBlinded = frames[peer][1] as Extract<Message, { kind: 'blinded' }>;
      const proof = generateChunkProof(states[role].key, { publicKey: offers[role].publicKey, prover: role, preTranscriptHash, index: 0, blinded: peerBlinded.points, evaluated: own.points }, seededRng(`repeat/${role}`));
      frames[role][2] = { ...own, proof };
    }
    const final = new Transcript();
    for (const kind of ['offer', 'blinded', 'evaluated'] as const) for (const role of ['initiator', 'responder'] as const) final.absorb(role, kind, bytesOf(role, kind));
    const transcriptHash = final.epochFinalHash();
    const claims: Record<Role, number> = { initiator: 2, responder: 3 };
    for (const role of ['initiator', 'responder'] as const) {
      const finish = find(role, 'finish');
      frames[role].push({ ...finish, intersectionSize: claims[role], signature: ed25519Sign(keys[role].secretKey.slice(), finishSignatureInput(role, played.roundId, transcriptHash, claims[role])) });
    }
    const records: RecordedMessage[] = [];
    for (let i = 0; i < 4; i++) {
      records.push({ direction: 'sent', bytes: encodeMessage(frames.initiator[i]!) }, { direction: 'received', bytes: encodeMessage(frames.responder[i]!) });
    }
    return exportBundle({ ...played, records: { ...played.records, initiator: records } }, 'initiator', {
      leaf: { status: 'disputed', reason: 'size-mismatch', transcriptHash, initiatorClaim: claims.initiator, responderClaim: claims.responder },
    });
  }

  it('the honest epoch start verifies, its sizes counted over the round\'s own evaluations', () => {
    const report = verifyTranscriptBundle(exportBundle(played, 'initiator'), roster);
    expect(report.failure).toBeNull();
    expect(check(report, 'intersection-size').detail).toBe('recomputed 2 (initiator) and 2 (responder), as claimed in both FINISH messages');
  });

  it('names the party whose additions repeat, as the replay of any later round of the epoch does', () => {
    const bundle = repeated();
    const report = verifyTranscriptBundle(bundle, roster);
    // Everything else holds: the frames, the proofs over them, both signatures and the disputed leaf.
    expect(report.checks.filter((entry) => entry.status !== 'pass')).toEqual([{
      name: 'intersection-size', status: 'fail', party: 'responder', member: 'lab-b', detail: 'lab-b added, in round 0, an element already in the epoch [duplicate-addition]',
    }]);
    expect(report.valid).toBe(false);
  });
});
