/**
 * Verdicts on bundles with one thing missing or wrong (audit.md §9.1 checks 12–19): every check that
 * does not pass, with its status, the party at fault, its member and the detail, pinned exactly. The
 * rounds are deterministic (seeded randomness, fixed keys and clock), so hash prefixes are fixed.
 */
import { ed25519Sign } from '@venn/crypto';
import { finishSignatureInput } from '@venn/protocol';
import { decodeMessage, encodeMessage, type Message } from '@venn/wire';
import { describe, expect, it } from 'vitest';
import { verifyTranscriptBundle, type TranscriptBundle } from '../src/index.js';
import { auditRoster, digest, exportBundle, keys, playRound } from './round-harness.js';

const a = ['s1', 's2', 's3', 'a1', 'a2'].map(digest);
const b = ['b1', 's3', 'b2', 's1', 's2', 'b3'].map(digest);
const honest = playRound({ elements: { initiator: a, responder: b } });
const cardinality = playRound({ elements: { initiator: a, responder: b }, mode: 'cardinality' });
const honestBundle = exportBundle(honest, 'initiator');

/** The bundle with `role`'s frames replaced by `change(frames)`. */
function edit(bundle: TranscriptBundle, role: 'initiator' | 'responder', change: (frames: Message[]) => Message[]): TranscriptBundle {
  return { ...bundle, [role]: { ...bundle[role], frames: change(bundle[role].frames.map((frame) => decodeMessage(frame))).map((message) => encodeMessage(message)) } };
}

/** The honest round, but the responder claims 2 more than its evaluations give and signs the claim. */
function liar() {
  const result = honest.results.responder;
  if (result.status !== 'completed') throw new Error('the honest round did not complete');
  return playRound({
    elements: { initiator: a, responder: b },
    intercept: (message) => {
      if (message.from !== 'responder' || message.kind !== 'finish') return message.bytes;
      const finish = decodeMessage(message.bytes) as Extract<Message, { kind: 'finish' }>;
      const claim = finish.intersectionSize + 2;
      return encodeMessage({ ...finish, intersectionSize: claim, signature: ed25519Sign(keys.responder.secretKey.slice(), finishSignatureInput('responder', finish.roundId, result.transcriptHash, claim)) });
    },
  });
}

describe('verdicts', () => {
  it("a FINISH signature with one bit flipped fails that party's finish check and nothing else", () => {
    const report = verifyTranscriptBundle(edit(honestBundle, 'initiator', (f) => f.map((m) => (m.kind === 'finish' ? { ...m, signature: m.signature.map((x, i) => (i === 0 ? x ^ 1 : x)) } : m))), auditRoster());
    expect(report.valid).toBe(false);
    expect(report.checks.filter((check) => check.status !== 'pass')).toEqual([
      {"name": "finish-initiator", "status": "fail", "party": "initiator", "member": "lab-a", "detail": "lab-a's FINISH signature (size 3) does not verify over the recomputed transcript under its roster key"},
    ]);
  });

  it("a completed leaf with neither FINISH in the bundle: no claims to check, the exporter misstates the claims, and the completed check names both parties", () => {
    const report = verifyTranscriptBundle(edit(edit(honestBundle, 'initiator', (f) => f.filter((m) => m.kind !== 'finish')), 'responder', (f) => f.filter((m) => m.kind !== 'finish')), auditRoster());
    expect(report.valid).toBe(false);
    expect(report.checks.filter((check) => check.status !== 'pass')).toEqual([
      {"name": "finish-initiator", "status": "skip", "party": null, "member": null, "detail": "lab-a sent no FINISH"},
      {"name": "finish-responder", "status": "skip", "party": null, "member": null, "detail": "lab-b sent no FINISH"},
      {"name": "intersection-size", "status": "skip", "party": null, "member": null, "detail": "recomputed 3 (initiator) and 3 (responder); no FINISH claims them"},
      {"name": "record-status", "status": "fail", "party": "exporter", "member": "lab-a", "detail": "the leaf logs the initiator's claim as 3, but the bundle holds no valid FINISH from lab-a"},
      {"name": "completed", "status": "fail", "party": null, "member": null, "detail": "the leaf logs the round completed, but the bundle holds no valid FINISH from lab-a (the initiator), nor from lab-b (the responder)"},
    ]);
  });

  it("a responder that sent no EVALUATED chunk: its proof check is skipped, the transcript and the initiator's signature no longer match", () => {
    const report = verifyTranscriptBundle(edit(honestBundle, 'responder', (f) => f.filter((m) => m.kind === 'offer' || m.kind === 'blinded')), auditRoster());
    expect(report.valid).toBe(false);
    expect(report.checks.filter((check) => check.status !== 'pass')).toEqual([
      {"name": "transcript", "status": "fail", "party": "exporter", "member": "lab-a", "detail": "TH_final recomputed from the frames (e80d8ab13fae6d4b…) differs from the hash lab-a logged (36a9f36d872e0d94…)"},
      {"name": "proof-responder", "status": "skip", "party": null, "member": null, "detail": "lab-b sent no EVALUATED chunk"},
      {"name": "finish-initiator", "status": "fail", "party": "initiator", "member": "lab-a", "detail": "lab-a's FINISH signature (size 3) does not verify over the recomputed transcript under its roster key"},
      {"name": "finish-responder", "status": "skip", "party": null, "member": null, "detail": "lab-b sent no FINISH"},
      {"name": "intersection-size", "status": "skip", "party": null, "member": null, "detail": "the bundle lacks a complete EVALUATED stream from each party"},
      {"name": "record-status", "status": "fail", "party": "exporter", "member": "lab-a", "detail": "the leaf logs the responder's claim as 3, but the bundle holds no valid FINISH from lab-b"},
      {"name": "completed", "status": "fail", "party": null, "member": null, "detail": "the leaf logs the round completed, but the bundle holds no valid FINISH from lab-b (the responder)"},
    ]);
  });

  it("a cardinality responder that sent no PROOF: its proof check is skipped", () => {
    const report = verifyTranscriptBundle(edit(exportBundle(cardinality, 'initiator'), 'responder', (f) => f.filter((m) => m.kind !== 'proof' && m.kind !== 'finish')), auditRoster());
    expect(report.valid).toBe(false);
    expect(report.checks.filter((check) => check.status !== 'pass')).toEqual([
      {"name": "transcript", "status": "fail", "party": "exporter", "member": "lab-a", "detail": "TH_final recomputed from the frames (9feb97b6d14dc02b…) differs from the hash lab-a logged (88f6a222728c6362…)"},
      {"name": "proof-responder", "status": "skip", "party": null, "member": null, "detail": "lab-b sent no PROOF"},
      {"name": "finish-initiator", "status": "fail", "party": "initiator", "member": "lab-a", "detail": "lab-a's FINISH signature (size 3) does not verify over the recomputed transcript under its roster key"},
      {"name": "finish-responder", "status": "skip", "party": null, "member": null, "detail": "lab-b sent no FINISH"},
      {"name": "record-status", "status": "fail", "party": "exporter", "member": "lab-a", "detail": "the leaf logs the responder's claim as 3, but the bundle holds no valid FINISH from lab-b"},
      {"name": "completed", "status": "fail", "party": null, "member": null, "detail": "the leaf logs the round completed, but the bundle holds no valid FINISH from lab-b (the responder)"},
    ]);
  });

  it("frames that break a rule under a completed leaf: the exporter answers for them, both proof checks are skipped and the completed check names the failed messages check", () => {
    // lab-a logs the round completed, yet no FINISH of lab-b's verifies: lab-b's frames are lab-a's
    // account, and a broken order is what lab-a had checked on receipt (audit.md §9.1, "A completed
    // or disputed leaf"). The completed check quotes the messages check as the report gives it.
    const report = verifyTranscriptBundle(edit(honestBundle, 'responder', (f) => [...f.slice(0, 3), f[1]!, f[3]!]), auditRoster());
    expect(report.valid).toBe(false);
    expect(report.checks.filter((check) => check.status !== 'pass')).toEqual([
      {"name": "messages-responder", "status": "fail", "party": "exporter", "member": "lab-a", "detail": "the leaf logs the round completed, but no FINISH signature of lab-b verifies over the recomputed TH_final, so its frames are lab-a's account; an exporter that finished the round had checked them (lab-b frame 3: BLINDED chunk 0 after an EVALUATED chunk [unexpected-message])"},
      {"name": "proof-initiator", "status": "skip", "party": null, "member": null, "detail": "the messages the proof covers failed their own checks"},
      {"name": "proof-responder", "status": "skip", "party": null, "member": null, "detail": "the messages the proof covers failed their own checks"},
      {"name": "finish-responder", "status": "skip", "party": null, "member": null, "detail": "lab-b sent no FINISH"},
      {"name": "intersection-size", "status": "skip", "party": null, "member": null, "detail": "the bundle lacks a complete EVALUATED stream from each party"},
      {"name": "record-status", "status": "fail", "party": "exporter", "member": "lab-a", "detail": "the leaf logs the responder's claim as 3, but the bundle holds no valid FINISH from lab-b"},
      {"name": "completed", "status": "fail", "party": null, "member": null, "detail": "the leaf logs the round completed, but the bundle holds no valid FINISH from lab-b (the responder), whose frames failed check \"messages-responder\": the leaf logs the round completed, but no FINISH signature of lab-b verifies over the recomputed TH_final, so its frames are lab-a's account; an exporter that finished the round had checked them (lab-b frame 3: BLINDED chunk 0 after an EVALUATED chunk [unexpected-message])"},
    ]);
  });

  it("a bundle without the responder's frames: no transcript, the initiator's EVALUATED answers no OFFER", () => {
    const report = verifyTranscriptBundle(edit(honestBundle, 'responder', () => []), auditRoster());
    expect(report.valid).toBe(false);
    expect(report.checks.filter((check) => check.status !== 'pass')).toEqual([
      {"name": "messages-initiator", "status": "fail", "party": "initiator", "member": "lab-a", "detail": "lab-a frame 2: EVALUATED without an OFFER from lab-b [unexpected-message]"},
      {"name": "transcript", "status": "skip", "party": null, "member": null, "detail": "no transcript: the responder sent no OFFER"},
      {"name": "proof-initiator", "status": "skip", "party": null, "member": null, "detail": "the bundle lacks an OFFER the proofs need"},
      {"name": "proof-responder", "status": "skip", "party": null, "member": null, "detail": "the bundle lacks an OFFER the proofs need"},
      {"name": "finish-initiator", "status": "skip", "party": null, "member": null, "detail": "lab-a sent no FINISH"},
      {"name": "finish-responder", "status": "skip", "party": null, "member": null, "detail": "lab-b sent no FINISH"},
      {"name": "intersection-size", "status": "skip", "party": null, "member": null, "detail": "the bundle lacks a complete EVALUATED stream from each party"},
      {"name": "record-status", "status": "fail", "party": "exporter", "member": "lab-a", "detail": "the leaf logs the initiator's claim as 3, but the bundle holds no valid FINISH from lab-a"},
      {"name": "completed", "status": "fail", "party": null, "member": null, "detail": "the leaf logs the round completed, but the bundle holds no valid FINISH from lab-a (the initiator), whose frames failed check \"messages-initiator\": lab-a frame 2: EVALUATED without an OFFER from lab-b [unexpected-message], nor from lab-b (the responder)"},
    ]);
  });

  it("a validly signed false claim fails only the intersection-size check, naming the liar and both sizes", () => {
    const report = verifyTranscriptBundle(exportBundle(liar(), 'initiator'), auditRoster());
    expect(report.valid).toBe(false);
    expect(report.checks.filter((check) => check.status !== 'pass')).toEqual([
      {"name": "intersection-size", "status": "fail", "party": "responder", "member": "lab-b", "detail": "lab-b claimed 5 in FINISH, the evaluations give 3"},
    ]);
  });

  it("a leaf that logs a completed round aborted: the attempt hash is not the frames', and no ABORT was sent", () => {
    const report = verifyTranscriptBundle(exportBundle(honest, 'initiator', { leaf: { status: 'aborted', reason: 'timeout', endedBy: 'initiator', responderClaim: null, initiatorClaim: 3 } }), auditRoster());
    expect(report.valid).toBe(false);
    expect(report.checks.filter((check) => check.status !== 'pass')).toEqual([
      {"name": "transcript", "status": "fail", "party": "exporter", "member": "lab-a", "detail": "lab-a's leaf misstates the attempt: the attempt hash recomputed from the frames (bbc50f3de9e9a66a…) differs from the one logged (36a9f36d872e0d94…)"},
      {"name": "completed", "status": "fail", "party": null, "member": null, "detail": "the round was aborted: lab-a logged reason timeout, ended by the initiator; no party sent an ABORT"},
    ]);
  });
});
