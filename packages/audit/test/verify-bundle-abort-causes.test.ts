/**
 * ABORT causes the bundle can show (audit.md §9.1 check 19, SPEC §6.3): in cardinality mode a
 * prover aborts with bad-point when the peer's BLINDED points sum to the identity. The verifier
 * recomputes that sum: such an ABORT is founded (no party blamed), while the same code against a
 * list that sums to a usable element, or in intersection mode, blames the party that aborted.
 */
import { scalarMult } from '@venn/crypto';
import { decodeMessage, encodeMessage, type Message } from '@venn/wire';
import { describe, expect, it } from 'vitest';
import { verifyTranscriptBundle, type TranscriptBundle } from '../src/index.js';
import { abortedExport, auditRoster, digest, exportBundle, playRound, tamperedBundle, type InFlight } from './round-harness.js';

const a = ['s1', 's2', 's3', 'a1', 'a2'].map(digest);
const b = ['b1', 's3', 'b2', 's1', 's2', 'b3'].map(digest);
/** l − 1, little-endian: multiplying by it negates a ristretto255 element. */
const minusOne = Uint8Array.from(Buffer.from('ecd3f55c1a631258d69cf7a2def9de1400000000000000000000000000000010', 'hex'));

/** The responder's BLINDED chunk rewritten as pairs (P, −P): its points sum to the identity. */
function cancellingBlinded(message: InFlight): Uint8Array {
  if (message.from !== 'responder' || message.kind !== 'blinded') return message.bytes;
  const chunk = decodeMessage(message.bytes) as Extract<Message, { kind: 'blinded' }>;
  const points = chunk.points.slice();
  for (let i = 0; i + 1 < points.length / 32; i += 2) points.set(scalarMult(minusOne, points.subarray(i * 32, i * 32 + 32)), (i + 1) * 32);
  return encodeMessage({ ...chunk, points });
}

describe('an ABORT bad-point over BLINDED points that sum to the identity', () => {
  it('is founded in cardinality mode: the round is aborted and no party is at fault', () => {
    const played = playRound({ elements: { initiator: a, responder: b }, mode: 'cardinality', intercept: cancellingBlinded });
    expect(played.results.initiator).toMatchObject({ status: 'aborted', reason: 'bad-point' });
    const report = verifyTranscriptBundle(exportBundle(played, 'initiator'), auditRoster());
    expect(report.failure).toMatchObject({ name: 'completed', status: 'fail', party: null, member: null });
    expect(report.failure!.detail).toBe('the round was aborted: lab-a logged reason bad-point, ended by the initiator; lab-a sent ABORT bad-point');
    expect(report.checks.filter((check) => check.status === 'fail').map((check) => check.name)).toEqual(['completed']);
  });

  it('is unfounded when the points sum to a usable element: the party that aborted is at fault', () => {
    // The initiator's FINISH replaced in flight by an ABORT bad-point: the responder records it and
    // logs the attempt aborted, as an honest exporter does (audit.md §3).
    const played = playRound({
      elements: { initiator: a, responder: b }, mode: 'cardinality',
      intercept: (message) => (message.from === 'initiator' && message.kind === 'finish'
        ? encodeMessage({ kind: 'abort', roundId: decodeMessage(message.bytes).roundId, reason: 'bad-point', detail: '' })
        : message.bytes),
    });
    expect(played.results.responder).toMatchObject({ status: 'aborted', peerReason: 'bad-point' });
    const report = verifyTranscriptBundle(exportBundle(played, 'responder'), auditRoster());
    const completed = report.checks.find((check) => check.name === 'completed')!;
    expect(completed).toMatchObject({ status: 'fail', party: 'initiator', member: 'lab-a' });
    expect(completed.detail).toBe('the round was aborted: lab-b logged reason bad-point, ended by the initiator; lab-a sent ABORT bad-point; the bundle shows no bad-point by lab-b');
    expect(report.checks.filter((check) => check.status === 'fail').map((check) => check.name)).toEqual(['completed']);
  });
});

describe('an ABORT bad-point against an empty BLINDED list', () => {
  it('is unfounded: an empty list has nothing to prove (SPEC §6.3), so the party that aborted is at fault', () => {
    // lab-b's set is empty; lab-a sends an ABORT bad-point where its empty PROOF was due.
    const played = playRound({
      elements: { initiator: a, responder: [] }, mode: 'cardinality',
      intercept: (message) => (message.from === 'initiator' && message.kind === 'proof'
        ? encodeMessage({ kind: 'abort', roundId: (decodeMessage(message.bytes) as Extract<Message, { kind: 'proof' }>).roundId, reason: 'bad-point', detail: '' })
        : message.bytes),
    });
    expect(played.results.responder).toMatchObject({ status: 'aborted', peerReason: 'bad-point' });
    const bundle = exportBundle(played, 'responder');
    expect(bundle.initiator.frames.map((frame) => decodeMessage(frame).kind)).toEqual(['offer', 'blinded', 'abort']);
    const report = verifyTranscriptBundle(bundle, auditRoster());
    expect(report.checks.filter((check) => check.status === 'fail')).toEqual([{
      name: 'completed', status: 'fail', party: 'initiator', member: 'lab-a',
      detail: 'the round was aborted: lab-b logged reason bad-point, ended by the initiator; lab-a sent ABORT bad-point; the bundle shows no bad-point by lab-b',
    }]);
  });
});

describe('an ABORT whose cause the bundle does not show, although the peer\'s points may sum to the identity', () => {
  const played = { cardinality: playRound({ elements: { initiator: a, responder: b }, mode: 'cardinality' }), intersection: playRound({ elements: { initiator: a, responder: b } }) };

  /**
   * lab-a's OFFER and BLINDED chunk, then an ABORT with `reason`, logged by lab-a as the attempt it
   * ended; lab-b's recorded frames of `kinds`, its BLINDED points made to cancel when `cancel`.
   */
  function completed(mode: 'cardinality' | 'intersection', reason: string, kinds: readonly Message['kind'][], cancel: boolean) {
    const bundle = exportBundle(played[mode], 'initiator', { leaf: { status: 'aborted', reason, initiatorClaim: null, responderClaim: null, endedBy: 'initiator' } });
    const initiator = bundle.initiator.frames.filter((frame) => ['offer', 'blinded'].includes(decodeMessage(frame).kind));
    const abort = encodeMessage({ kind: 'abort', roundId: played[mode].roundId, reason, detail: '' });
    const responder = bundle.responder.frames
      .filter((frame) => kinds.includes(decodeMessage(frame).kind))
      .map((frame) => (cancel ? cancellingBlinded({ from: 'responder', kind: decodeMessage(frame).kind, bytes: frame }) : frame));
    const report = verifyTranscriptBundle({ ...bundle, initiator: { ...bundle.initiator, frames: [...initiator, abort] }, responder: { ...bundle.responder, frames: responder } }, auditRoster());
    // No check blames a party: only the exporter's attempt hash, over the frames before the cut, differs.
    expect(report.checks.filter((check) => check.status === 'fail' && check.name !== 'completed').map((check) => [check.name, check.party])).toEqual([['transcript', 'exporter']]);
    return report.checks.find((check) => check.name === 'completed')!;
  }
  const unfounded = (reason: string) => ({
    name: 'completed', status: 'fail', party: 'initiator', member: 'lab-a',
    detail: `the round was aborted: lab-a logged reason ${reason}, ended by the initiator; lab-a sent ABORT ${reason}; the bundle shows no ${reason} by lab-b`,
  });

  it('bad-point over lab-b\'s cancelling points in cardinality mode is founded: no party is at fault', () => {
    expect(completed('cardinality', 'bad-point', ['offer', 'blinded'], true)).toMatchObject({ party: null, member: null });
  });

  it('bad-proof over the same points blames the party that aborted: only bad-point names that cause', () => {
    expect(completed('cardinality', 'bad-proof', ['offer', 'blinded'], true)).toEqual(unfounded('bad-proof'));
  });

  it('bad-point over the same points in intersection mode blames the party that aborted: the sum is a cause in cardinality mode only', () => {
    expect(completed('intersection', 'bad-point', ['offer', 'blinded'], true)).toEqual(unfounded('bad-point'));
  });

  it('bad-point with lab-b\'s OFFER but none of its BLINDED chunks in the bundle blames the party that aborted', () => {
    expect(completed('cardinality', 'bad-point', ['offer'], false)).toEqual(unfounded('bad-point'));
  });

  it('bad-point without lab-b\'s OFFER either blames the party that aborted', () => {
    expect(completed('cardinality', 'bad-point', [], false)).toEqual(unfounded('bad-point'));
  });
});

describe('a cardinality PROOF over BLINDED points that sum to the identity', () => {
  it('fails the proof check against the party whose points sum to no usable element: the prover should have aborted', () => {
    const honest = playRound({ elements: { initiator: a, responder: b }, mode: 'cardinality' });
    // lab-b's BLINDED chunk made to cancel in lab-a's record, logged as the attempt lab-a aborted
    // (tamperedBundle): under a completed leaf a frame of lab-b's that no FINISH signature covers is
    // lab-a's account (audit.md §9.1, "A completed or disputed leaf").
    const bundle = tamperedBundle(honest, 'responder', (frames) => frames.map((message) => (message.kind === 'blinded'
      ? decodeMessage(cancellingBlinded({ from: 'responder', kind: 'blinded', bytes: encodeMessage(message) }))
      : message)));
    const report = verifyTranscriptBundle(bundle, auditRoster());
    const proof = report.checks.find((check) => check.name === 'proof-initiator')!;
    expect(proof).toMatchObject({ status: 'fail', party: 'responder', member: 'lab-b' });
    expect(proof.detail).toMatch(/^lab-b's BLINDED points sum to no usable element \(.+\); lab-a should have aborted \[bad-point\]$/);
    // The attempt hash lab-a logged is the frames' (check 12 passes): the proof check is the verdict.
    expect(report.checks.find((check) => check.name === 'transcript')!.status).toBe('pass');
    expect(report.failure).toEqual(proof);
  });
});

describe('an unfounded ABORT while the bundle already blames a party', () => {
  const honest = playRound({ elements: { initiator: a, responder: b }, mode: 'cardinality' });
  const bundle = exportBundle(honest, 'initiator');
  /**
   * lab-a's bundle, `role`'s FINISH replaced by an ABORT bad-point and the other party's FINISH
   * signature with one bit flipped; under lab-a's completed leaf, or, `aborted`, under the aborted
   * leaf lab-a logs over those frames (abortedExport, reason bad-point).
   */
  const report = (aborting: 'initiator' | 'responder', aborted = false) => {
    const forger = aborting === 'initiator' ? 'responder' : 'initiator';
    const edit = (role: 'initiator' | 'responder') => bundle[role].frames.map((frame) => {
      const message = decodeMessage(frame);
      if (message.kind !== 'finish') return frame;
      if (role === aborting) return encodeMessage({ kind: 'abort', roundId: message.roundId, reason: 'bad-point', detail: '' });
      return encodeMessage({ ...message, signature: message.signature.map((x, i) => (i === 0 ? x ^ 1 : x)) });
    });
    const edited: TranscriptBundle = { ...bundle, [aborting]: { ...bundle[aborting], frames: edit(aborting) }, [forger]: { ...bundle[forger], frames: edit(forger) } };
    const result = verifyTranscriptBundle(aborted ? abortedExport(honest, edited, 'bad-point') : edited, auditRoster());
    return { result, completed: result.checks.find((check) => check.name === 'completed')! };
  };

  it('the responder blamed for its FINISH signature: the initiator\'s ABORT is not held against it', () => {
    // lab-a sent the ABORT, so the leaf it logs is the aborted attempt (audit.md §3): under a
    // completed leaf lab-b's FINISH that does not verify would be lab-a's account (audit.md §9.1,
    // "A completed or disputed leaf"), not lab-b's fault.
    const { result, completed } = report('initiator', true);
    expect(result.checks.filter((check) => check.status === 'fail').map((check) => [check.name, check.party])).toEqual([
      ['finish-responder', 'responder'], ['completed', null],
    ]);
    expect(completed).toEqual({
      name: 'completed', status: 'fail', party: null, member: null,
      detail: 'the round was aborted: lab-a logged reason bad-point, ended by the initiator; lab-a sent ABORT bad-point',
    });
  });

  it('the initiator blamed for its FINISH signature: the responder\'s ABORT is not held against it', () => {
    // The FINISH that fails is lab-a's own: under its completed leaf it stays lab-a's (audit.md §9.1,
    // "A completed or disputed leaf" moves only the peer's failures).
    const { result, completed } = report('responder');
    expect(result.checks.filter((check) => check.status === 'fail').map((check) => [check.name, check.party])).toEqual([
      ['finish-initiator', 'initiator'], ['record-status', 'exporter'], ['completed', null],
    ]);
    expect(completed).toEqual({
      name: 'completed', status: 'fail', party: null, member: null,
      detail: 'the leaf logs the round completed, but the bundle holds no valid FINISH from lab-b (the responder); lab-b sent ABORT bad-point',
    });
  });
});
