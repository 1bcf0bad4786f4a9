/**
 * Bundle verifier branches the other verifier tests leave open, each on a real round with one thing
 * changed: a cardinality round against an empty set (a PROOF of 0 bytes), a frame in a bundle that
 * does not decode, cardinality mode outside a roster policy, a bundle under another roster digest
 * or with a broken inclusion proof, label fields in both OFFERs of a cardinality round, a leaf that
 * logs a claim the FINISH does not make, LABELS judged from the labels digests, and the chunk proofs
 * of a list longer than one chunk. Each test pins the check, the party and the detail.
 */
import { decodeMessage, encodeMessage, type Message } from '@venn/wire';
import { describe, expect, it } from 'vitest';
import { BUNDLE_CHECKS, emptyLabelsDigest, verifyTranscriptBundle, type BundleReport, type TranscriptBundle } from '../src/index.js';
import { abortedExport, auditRoster, digest, exportBundle, playRound } from './round-harness.js';

const a = ['s1', 's2', 's3', 'a1', 'a2'].map(digest);
const b = ['b1', 's3', 'b2', 's1', 's2', 'b3'].map(digest);
const hex = (bytes: Uint8Array): string => Buffer.from(bytes).toString('hex');
const check = (report: BundleReport, name: string) => report.checks.find((entry) => entry.name === name)!;
const kinds = (frames: readonly Uint8Array[]): string => frames.map((frame) => {
  const message = decodeMessage(frame);
  return 'proof' in message ? `${message.kind}(${message.proof.length})` : message.kind;
}).join(' ');

function expectValid(report: BundleReport): void {
  expect(report.failure).toBeNull();
  expect(report.valid).toBe(true);
  expect(report.checks.map((entry) => entry.name)).toEqual([...BUNDLE_CHECKS]);
  expect(report.checks.every((entry) => entry.status === 'pass')).toBe(true);
}

describe('a cardinality round against an empty set (SPEC §4.5 PROOF)', () => {
  const played = playRound({ elements: { initiator: ['s1', 'a1'].map(digest), responder: [] }, mode: 'cardinality' });

  it('the prover of the empty set sends a PROOF of 0 bytes, and the bundle verifies from either side', () => {
    expect(played.results.initiator).toMatchObject({ status: 'completed', intersectionSize: 0 });
    const bundle = exportBundle(played, 'initiator');
    // lab-a proves nothing about lab-b's empty list; lab-b proves its sum over lab-a's two points.
    expect(kinds(bundle.initiator.frames)).toBe('offer blinded proof(0) finish');
    expect(kinds(bundle.responder.frames)).toBe('offer evaluated(0) proof(64) finish');
    for (const exporter of ['initiator', 'responder'] as const) {
      const report = verifyTranscriptBundle(exportBundle(played, exporter), auditRoster());
      expectValid(report);
      expect(check(report, 'messages-initiator').detail).toBe('4 frames in order: an OFFER, 1 BLINDED, 0 EVALUATED, a PROOF, a FINISH');
      expect(check(report, 'proof-initiator').detail).toBe('lab-b\'s set is empty: nothing to prove, and the proof is empty');
    }
  });

  it('a PROOF of 64 bytes against the empty set is the prover\'s fault', () => {
    const honest = exportBundle(played, 'initiator');
    const frames = honest.initiator.frames.map((frame) => {
      const message = decodeMessage(frame);
      return message.kind === 'proof' ? encodeMessage({ ...message, proof: new Uint8Array(64).fill(3) }) : frame;
    });
    const report = verifyTranscriptBundle({ ...honest, initiator: { ...honest.initiator, frames } }, auditRoster());
    expect(report.failure).toEqual({
      name: 'messages-initiator', status: 'fail', party: 'initiator', member: 'lab-a',
      detail: 'lab-a frame 2: PROOF of 64 bytes for a peer set of 0, expected 0 [bad-proof]',
    });
  });
});

describe('a frame in the bundle that does not decode as a Venn message', () => {
  const played = playRound({ elements: { initiator: a, responder: b } });
  const honest = exportBundle(played, 'initiator');

  it('is the sender\'s malformed-message, naming the frame and the decoder\'s code, after the frames before it', () => {
    // Under the aborted leaf an honest exporter logs: a frame that does not decode aborts the round (SPEC §5.1).
    const bundle = abortedExport(played, { ...honest, responder: { ...honest.responder, frames: [...honest.responder.frames, Uint8Array.of(0xc1)] } }, 'malformed-message');
    const report = verifyTranscriptBundle(bundle, auditRoster());
    expect(report.failure).toEqual({
      name: 'messages-responder', status: 'fail', party: 'responder', member: 'lab-b',
      detail: 'lab-b frame 4 does not decode: msgpack type 0xc1 at offset 0 is not allowed in a Venn message [forbidden-type → malformed-message]',
    });
    expect(check(report, 'messages-initiator').status).toBe('pass');
    expect(check(report, 'intersection-size').status).toBe('skip');
  });

  it('hides every frame after it: the sender\'s later frames, its FINISH included, are not seen', () => {
    const frames = honest.initiator.frames;
    const bundle = abortedExport(played, { ...honest, initiator: { ...honest.initiator, frames: [frames[0]!, Uint8Array.of(0xc1), ...frames.slice(1)] } });
    const report = verifyTranscriptBundle(bundle, auditRoster());
    expect(report.failure).toMatchObject({ name: 'messages-initiator', party: 'initiator', member: 'lab-a' });
    expect(report.failure!.detail).toBe('lab-a frame 1 does not decode: msgpack type 0xc1 at offset 0 is not allowed in a Venn message [forbidden-type → malformed-message]');
    // Without lab-a's BLINDED chunk, lab-b's EVALUATED chunk answers nothing the bundle shows.
    expect(check(report, 'messages-responder')).toMatchObject({ status: 'fail', detail: 'lab-b frame 2: EVALUATED chunk 0 without the whole BLINDED list of lab-a it answers [unexpected-message]' });
    expect(report.summary.claims).toEqual({ initiator: null, responder: null });
  });
});

describe('policy: cardinality mode outside the roster policy (roster.md §1, SPEC §10.4)', () => {
  it('names the allowed modes and that cardinality mode is semi-honest only', () => {
    const played = playRound({ elements: { initiator: a, responder: b }, mode: 'cardinality' });
    const report = verifyTranscriptBundle(exportBundle(played, 'initiator'), auditRoster({ initiator: { maxPeerSetSize: 65_536, modes: ['intersection'], shareLabels: [] } }));
    expect(report.failure).toEqual({
      name: 'policy', status: 'fail', party: 'initiator', member: 'lab-a',
      detail: 'lab-a offered mode cardinality, which its roster policy does not allow (intersection): cardinality mode is semi-honest only (SPEC §10.4) [policy-mismatch]',
    });
  });
});

describe('label fields stated in both OFFERs of a cardinality round', () => {
  it('agree on nothing: the frames pass without LABELS, and the policy check blames the initiator', () => {
    const played = playRound({ elements: { initiator: a, responder: b }, mode: 'cardinality' });
    const honest = exportBundle(played, 'initiator');
    const withFields = (frames: readonly Uint8Array[]): Uint8Array[] => frames.map((frame) => {
      const message = decodeMessage(frame);
      return message.kind === 'offer' ? encodeMessage({ ...message, labelFields: ['category'] } as Message) : frame;
    });
    const bundle: TranscriptBundle = {
      ...honest,
      initiator: { ...honest.initiator, frames: withFields(honest.initiator.frames) },
      responder: { ...honest.responder, frames: withFields(honest.responder.frames) },
    };
    const report = verifyTranscriptBundle(bundle, auditRoster());
    // SPEC §5.7: LABELS flow only for fields agreed in intersection mode; no FINISH here lacks them.
    expect(check(report, 'messages-initiator')).toMatchObject({ status: 'pass', detail: '5 frames in order: an OFFER, 1 BLINDED, 1 EVALUATED, a PROOF, a FINISH' });
    expect(check(report, 'messages-responder')).toMatchObject({ status: 'pass', detail: '5 frames in order: an OFFER, 1 BLINDED, 1 EVALUATED, a PROOF, a FINISH' });
    expect(report.failure).toEqual({ name: 'policy', status: 'fail', party: 'initiator', member: 'lab-a', detail: 'lab-a offered label fields in cardinality mode [policy-mismatch]' });
  });
});

describe('the exporter\'s account: roster digest, inclusion proof, logged claims', () => {
  const played = playRound({ elements: { initiator: a, responder: b } });

  it('a round under another roster digest names both digests and blames no party', () => {
    const other = new Uint8Array(32).fill(0xee);
    const report = verifyTranscriptBundle(exportBundle(played, 'responder'), auditRoster({}, other));
    expect(report.failure).toEqual({
      name: 'roster', status: 'fail', party: null, member: null,
      detail: `the round ran under roster ${'d1'.repeat(32)}, the given roster has digest ${hex(other)}`,
    });
  });

  it('an inclusion proof that does not verify names the leaf index and the head\'s size', () => {
    const honest = exportBundle(played, 'initiator');
    const proof = honest.inclusionProof.map((hash, i) => (i === 0 ? new Uint8Array(32).fill(0x99) : hash));
    const report = verifyTranscriptBundle({ ...honest, inclusionProof: proof }, auditRoster());
    expect(report.failure).toEqual({
      name: 'log-inclusion', status: 'fail', party: 'exporter', member: 'lab-a',
      detail: `the inclusion proof of leaf ${honest.leafIndex} does not verify against the head of size ${honest.treeHead.size}`,
    });
    expect(honest.leafIndex).toBe(5);
    expect(honest.treeHead.size).toBe(8);
  });

  it('a leaf that logs claims the FINISH messages do not make quotes the FINISH claim', () => {
    expect(played.results.initiator).toMatchObject({ status: 'completed', intersectionSize: 3 });
    const report = verifyTranscriptBundle(exportBundle(played, 'initiator', { leaf: { initiatorClaim: 99, responderClaim: 99 } }), auditRoster());
    expect(report.failure).toEqual({
      name: 'record-status', status: 'fail', party: 'exporter', member: 'lab-a',
      detail: 'the leaf logs the initiator\'s claim as 99, but lab-a\'s FINISH claims 3',
    });
  });
});

describe('LABELS, judged from the labels digests (audit.md §9.1 checks 6–7, SPEC §5.7)', () => {
  it('a round whose two parties both sent LABELS verifies: each digest enters TH_final in its own stream\'s place', () => {
    const played = playRound({
      elements: { initiator: ['s1', 's2', 'a1'].map(digest), responder: ['s2', 'b1', 's1', 'b2'].map(digest) },
      policy: { initiator: { labelFields: ['category', 'reason'] }, responder: { labelFields: ['category', 'first_seen', 'reason'] } },
      labels: {
        initiator: [{ category: 'distillation', reason: 'scripted prompts' }, undefined, undefined],
        responder: [undefined, undefined, { category: 'card-testing', reason: 'shared card' }, undefined],
      },
    });
    for (const exporter of ['initiator', 'responder'] as const) {
      const bundle = exportBundle(played, exporter);
      for (const role of ['initiator', 'responder'] as const) expect(hex(bundle[role].labelsDigest)).not.toBe(hex(emptyLabelsDigest(role)));
      expectValid(verifyTranscriptBundle(bundle, auditRoster()));
    }
  });

  it('a labels digest other than the empty stream\'s, with no field agreed, is that party\'s unexpected LABELS', () => {
    const played = playRound({ elements: { initiator: a, responder: b } });
    const honest = exportBundle(played, 'initiator');
    // Under an aborted leaf: in a completed one, lab-b's FINISH signature no longer verifies and the fault is the exporter's (audit.md §9.1).
    const report = verifyTranscriptBundle(abortedExport(played, { ...honest, responder: { ...honest.responder, labelsDigest: new Uint8Array(64).fill(0x11) } }), auditRoster());
    expect(report.failure).toEqual({
      name: 'messages-responder', status: 'fail', party: 'responder', member: 'lab-b',
      detail: 'lab-b sent LABELS although no label field was agreed [unexpected-message]',
    });
    expect(check(report, 'messages-initiator').status).toBe('pass');
  });
});

describe('chunk proofs of a list longer than one chunk (SPEC §6.1)', () => {
  it('counts the chunk proofs, and the points proven so far when the bundle holds only the first EVALUATED chunk', () => {
    // 4097 points: one full chunk of 4096 and one of 1, the smallest list with two chunks.
    const played = playRound({ elements: { initiator: ['s1', 'a1'].map(digest), responder: Array.from({ length: 4097 }, (_, i) => digest(`r${i}`)) } });
    const bundle = exportBundle(played, 'initiator');
    const whole = verifyTranscriptBundle(bundle, auditRoster());
    expectValid(whole);
    expect(check(whole, 'proof-initiator').detail).toBe('lab-a evaluated all 4097 points of lab-b with the key in its OFFER (2 chunk proofs, SPEC §6)');
    // The initiator's frames up to its first EVALUATED chunk: the proofs it sent so far still verify.
    const cut: Uint8Array[] = [];
    for (const frame of bundle.initiator.frames) {
      const message = decodeMessage(frame);
      if (message.kind === 'evaluated' && message.seq > 0) break;
      cut.push(frame);
    }
    expect(kinds(cut)).toBe('offer blinded evaluated(64)');
    const partial = verifyTranscriptBundle({ ...bundle, initiator: { ...bundle.initiator, frames: cut } }, auditRoster());
    expect(check(partial, 'proof-initiator')).toEqual({
      name: 'proof-initiator', status: 'pass', party: null, member: null,
      detail: 'lab-a evaluated 4096 of the 4097 points of lab-b with the key in its OFFER (1 chunk proof, SPEC §6)',
    });
  });
});
