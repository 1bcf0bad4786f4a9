/**
 * Whole verifier reports (audit.md §9.2) of five bundles of real rounds, pinned check by check:
 * name, status, party at fault, member and the detail an auditor reads, plus the summary. The
 * rounds are deterministic (seeded randomness, fixed keys and clock), so every hash prefix, count
 * and date is fixed; a change to any check's verdict or wording shows here.
 */
import { describe, expect, it } from 'vitest';
import { verifyTranscriptBundle } from '../src/index.js';
import { auditRoster, digest, exportBundle, playRound, wrongEvaluation } from './round-harness.js';

const a = ['s1', 's2', 's3', 'a1', 'a2'].map(digest);
const b = ['b1', 's3', 'b2', 's1', 's2', 'b3'].map(digest);

describe('whole reports', () => {
  it("a valid intersection round exported by the initiator: every check passes and says what it checked", () => {
    const report = verifyTranscriptBundle(exportBundle(playRound({ elements: { initiator: a, responder: b } }), 'initiator'), auditRoster());
    expect(report.checks).toEqual([
      {"name": "bundle", "status": "pass", "party": null, "member": null, "detail": "format v1; 4 initiator and 4 responder frames"},
      {"name": "round-record", "status": "pass", "party": null, "member": null, "detail": "round 00050d5ee1d97a7437e27303349cca04c9e2ac591712d6f87a506c82d0a7a9e6 attempt 1, completed, logged by lab-a"},
      {"name": "roster", "status": "pass", "party": null, "member": null, "detail": "roster d1d1d1d1d1d1d1d1d1d1d1d1d1d1d1d1d1d1d1d1d1d1d1d1d1d1d1d1d1d1d1d1; lab-a and lab-b are members"},
      {"name": "tree-head", "status": "pass", "party": null, "member": null, "detail": "lab-a's head of size 8 at 2030-03-17T17:48:20.000Z is signed by its roster key"},
      {"name": "log-inclusion", "status": "pass", "party": null, "member": null, "detail": "leaf 5 is in lab-a's log of size 8"},
      {"name": "messages-initiator", "status": "pass", "party": null, "member": null, "detail": "4 frames in order: an OFFER, 1 BLINDED, 1 EVALUATED, no PROOF, a FINISH"},
      {"name": "messages-responder", "status": "pass", "party": null, "member": null, "detail": "4 frames in order: an OFFER, 1 BLINDED, 1 EVALUATED, no PROOF, a FINISH"},
      {"name": "policy", "status": "pass", "party": null, "member": null, "detail": "mode intersection; lab-a n=5 cap=65536; lab-b n=6 cap=65536; within both roster policies"},
      {"name": "slot", "status": "pass", "party": null, "member": null, "detail": "ad-hoc round: not bound to a scheduled slot"},
      {"name": "epoch", "status": "pass", "party": null, "member": null, "detail": "a plain round: no key epoch"},
      {"name": "epoch-chain", "status": "pass", "party": null, "member": null, "detail": "a plain round: no chain"},
      {"name": "transcript", "status": "pass", "party": null, "member": null, "detail": "TH_final 36a9f36d872e0d94… recomputed from the frames equals the logged transcript hash, and the leaf's set sizes and evaluation counts are the frames'"},
      {"name": "proof-initiator", "status": "pass", "party": null, "member": null, "detail": "lab-a evaluated all 6 points of lab-b with the key in its OFFER (1 chunk proof, SPEC §6)"},
      {"name": "proof-responder", "status": "pass", "party": null, "member": null, "detail": "lab-b evaluated all 5 points of lab-a with the key in its OFFER (1 chunk proof, SPEC §6)"},
      {"name": "finish-initiator", "status": "pass", "party": null, "member": null, "detail": "lab-a signed TH_final and size 3 with its roster key"},
      {"name": "finish-responder", "status": "pass", "party": null, "member": null, "detail": "lab-b signed TH_final and size 3 with its roster key"},
      {"name": "intersection-size", "status": "pass", "party": null, "member": null, "detail": "recomputed 3 (initiator) and 3 (responder), as claimed in both FINISH messages"},
      {"name": "record-status", "status": "pass", "party": null, "member": null, "detail": "the leaf's status (completed) and claims agree with the bundle"},
      {"name": "completed", "status": "pass", "party": null, "member": null, "detail": "the round completed with both FINISH messages"},
    ]);
    expect(report.summary).toEqual({"roundId": "00050d5ee1d97a7437e27303349cca04c9e2ac591712d6f87a506c82d0a7a9e6", "attempt": 1, "exporter": "lab-a", "initiator": "lab-a", "responder": "lab-b", "status": "completed", "reason": null, "slot": null, "mode": "intersection", "setSizes": {"initiator": 5, "responder": 6}, "caps": {"initiator": 65536, "responder": 65536}, "claims": {"initiator": 3, "responder": 3}, "recomputed": {"initiator": 3, "responder": 3}, "transcriptHash": "36a9f36d872e0d9435dbdaa7f6f71dbc070a636a4897fd055e12672d1c24176ddb5b9fdc4d33c9adba30efbc6ad3bfa613b2269778abd285844e77728df741e1", "leafIndex": 5, "treeHead": {"size": 8, "root": "e3b0d449aefcaae6f270b593bf6102831de5a9deee6e5322058744eeb9b25731", "timestamp": 1900000100000}, "aborts": {"initiator": null, "responder": null}, "epoch": null});
    expect(report.valid).toBe(true);
    expect(report.failure).toEqual(null);
  });

  it("a valid cardinality round exported by the responder: the sum proofs pass", () => {
    const report = verifyTranscriptBundle(exportBundle(playRound({ elements: { initiator: a, responder: b }, mode: 'cardinality' }), 'responder'), auditRoster());
    expect(report.checks).toEqual([
      {"name": "bundle", "status": "pass", "party": null, "member": null, "detail": "format v1; 5 initiator and 5 responder frames"},
      {"name": "round-record", "status": "pass", "party": null, "member": null, "detail": "round 00050d5ee1d97a7437e27303349cca04c9e2ac591712d6f87a506c82d0a7a9e6 attempt 1, completed, logged by lab-b"},
      {"name": "roster", "status": "pass", "party": null, "member": null, "detail": "roster d1d1d1d1d1d1d1d1d1d1d1d1d1d1d1d1d1d1d1d1d1d1d1d1d1d1d1d1d1d1d1d1; lab-a and lab-b are members"},
      {"name": "tree-head", "status": "pass", "party": null, "member": null, "detail": "lab-b's head of size 8 at 2030-03-17T17:48:20.000Z is signed by its roster key"},
      {"name": "log-inclusion", "status": "pass", "party": null, "member": null, "detail": "leaf 5 is in lab-b's log of size 8"},
      {"name": "messages-initiator", "status": "pass", "party": null, "member": null, "detail": "5 frames in order: an OFFER, 1 BLINDED, 1 EVALUATED, a PROOF, a FINISH"},
      {"name": "messages-responder", "status": "pass", "party": null, "member": null, "detail": "5 frames in order: an OFFER, 1 BLINDED, 1 EVALUATED, a PROOF, a FINISH"},
      {"name": "policy", "status": "pass", "party": null, "member": null, "detail": "mode cardinality; lab-a n=5 cap=65536; lab-b n=6 cap=65536; within both roster policies"},
      {"name": "slot", "status": "pass", "party": null, "member": null, "detail": "ad-hoc round: not bound to a scheduled slot"},
      {"name": "epoch", "status": "pass", "party": null, "member": null, "detail": "a plain round: no key epoch"},
      {"name": "epoch-chain", "status": "pass", "party": null, "member": null, "detail": "a plain round: no chain"},
      {"name": "transcript", "status": "pass", "party": null, "member": null, "detail": "TH_final 88f6a222728c6362… recomputed from the frames equals the logged transcript hash, and the leaf's set sizes and evaluation counts are the frames'"},
      {"name": "proof-initiator", "status": "pass", "party": null, "member": null, "detail": "lab-a's evaluations sum to its committed key times the sum of lab-b's 6 points (cardinality mode proves the sum only, SPEC §6.3)"},
      {"name": "proof-responder", "status": "pass", "party": null, "member": null, "detail": "lab-b's evaluations sum to its committed key times the sum of lab-a's 5 points (cardinality mode proves the sum only, SPEC §6.3)"},
      {"name": "finish-initiator", "status": "pass", "party": null, "member": null, "detail": "lab-a signed TH_final and size 3 with its roster key"},
      {"name": "finish-responder", "status": "pass", "party": null, "member": null, "detail": "lab-b signed TH_final and size 3 with its roster key"},
      {"name": "intersection-size", "status": "pass", "party": null, "member": null, "detail": "recomputed 3 (initiator) and 3 (responder), as claimed in both FINISH messages"},
      {"name": "record-status", "status": "pass", "party": null, "member": null, "detail": "the leaf's status (completed) and claims agree with the bundle"},
      {"name": "completed", "status": "pass", "party": null, "member": null, "detail": "the round completed with both FINISH messages"},
    ]);
    expect(report.summary).toEqual({"roundId": "00050d5ee1d97a7437e27303349cca04c9e2ac591712d6f87a506c82d0a7a9e6", "attempt": 1, "exporter": "lab-b", "initiator": "lab-a", "responder": "lab-b", "status": "completed", "reason": null, "slot": null, "mode": "cardinality", "setSizes": {"initiator": 5, "responder": 6}, "caps": {"initiator": 65536, "responder": 65536}, "claims": {"initiator": 3, "responder": 3}, "recomputed": {"initiator": 3, "responder": 3}, "transcriptHash": "88f6a222728c63627d176329509d71a17bf05290e18d2bffeb8474db9dbf40119a856ceafb4bae333efbc78951aaeb4e14b8508c7e1be1bbc857b46a326717f2", "leafIndex": 5, "treeHead": {"size": 8, "root": "55d8e5dcd8a3d3e9a93e9e6b2602052794734058dcb4a82ecd13de75da3df788", "timestamp": 1900000100000}, "aborts": {"initiator": null, "responder": null}, "epoch": null});
    expect(report.valid).toBe(true);
    expect(report.failure).toEqual(null);
  });

  it("a refused OFFER: the responder's ABORT ends the round, the attempt's accounts are reported and no party is blamed", () => {
    const report = verifyTranscriptBundle(exportBundle(playRound({ elements: { initiator: a, responder: b }, policy: { responder: { maxPeerSetSize: 4 } } }), 'responder'), auditRoster());
    expect(report.checks).toEqual([
      {"name": "bundle", "status": "pass", "party": null, "member": null, "detail": "format v1; 1 initiator and 1 responder frames"},
      {"name": "round-record", "status": "pass", "party": null, "member": null, "detail": "round 00050d5ee1d97a7437e27303349cca04c9e2ac591712d6f87a506c82d0a7a9e6 attempt 1, aborted, logged by lab-b"},
      {"name": "roster", "status": "pass", "party": null, "member": null, "detail": "roster d1d1d1d1d1d1d1d1d1d1d1d1d1d1d1d1d1d1d1d1d1d1d1d1d1d1d1d1d1d1d1d1; lab-a and lab-b are members"},
      {"name": "tree-head", "status": "pass", "party": null, "member": null, "detail": "lab-b's head of size 8 at 2030-03-17T17:48:20.000Z is signed by its roster key"},
      {"name": "log-inclusion", "status": "pass", "party": null, "member": null, "detail": "leaf 5 is in lab-b's log of size 8"},
      {"name": "messages-initiator", "status": "pass", "party": null, "member": null, "detail": "1 frame in order: an OFFER, 0 BLINDED, 0 EVALUATED, no PROOF, no FINISH"},
      {"name": "messages-responder", "status": "pass", "party": null, "member": null, "detail": "1 frame in order: no OFFER, 0 BLINDED, 0 EVALUATED, no PROOF, no FINISH, ABORT set-too-large"},
      {"name": "policy", "status": "pass", "party": null, "member": null, "detail": "mode intersection; lab-a n=5 cap=65536; within both roster policies"},
      {"name": "slot", "status": "pass", "party": null, "member": null, "detail": "ad-hoc round: not bound to a scheduled slot"},
      {"name": "epoch", "status": "pass", "party": null, "member": null, "detail": "a plain round: no key epoch"},
      {"name": "epoch-chain", "status": "pass", "party": null, "member": null, "detail": "a plain round: no chain"},
      {"name": "transcript", "status": "pass", "party": null, "member": null, "detail": "attempt hash 38f3dc6ad91739a1… recomputed from the frames equals the logged one; the initiator asked for 5 evaluations and received 0, the responder recorded no OFFER (so asked for no evaluations) and received 0; ended by the responder"},
      {"name": "proof-initiator", "status": "skip", "party": null, "member": null, "detail": "the bundle lacks an OFFER the proofs need"},
      {"name": "proof-responder", "status": "skip", "party": null, "member": null, "detail": "the bundle lacks an OFFER the proofs need"},
      {"name": "finish-initiator", "status": "skip", "party": null, "member": null, "detail": "lab-a sent no FINISH"},
      {"name": "finish-responder", "status": "skip", "party": null, "member": null, "detail": "lab-b sent no FINISH"},
      {"name": "intersection-size", "status": "skip", "party": null, "member": null, "detail": "the bundle lacks a complete EVALUATED stream from each party"},
      {"name": "record-status", "status": "pass", "party": null, "member": null, "detail": "the leaf's status (aborted) and claims agree with the bundle"},
      {"name": "completed", "status": "fail", "party": null, "member": null, "detail": "the round was aborted: lab-b logged reason set-too-large, ended by the responder; lab-b sent ABORT set-too-large"},
    ]);
    expect(report.summary).toEqual({"roundId": "00050d5ee1d97a7437e27303349cca04c9e2ac591712d6f87a506c82d0a7a9e6", "attempt": 1, "exporter": "lab-b", "initiator": "lab-a", "responder": "lab-b", "status": "aborted", "reason": "set-too-large", "slot": null, "mode": "intersection", "setSizes": {"initiator": 5, "responder": null}, "caps": {"initiator": 65536, "responder": null}, "claims": {"initiator": null, "responder": null}, "recomputed": {"initiator": null, "responder": null}, "transcriptHash": null, "leafIndex": 5, "treeHead": {"size": 8, "root": "72426a6b9e405ae4c418094466e5c1e51ce245eef5aa525af126cf28bfec0217", "timestamp": 1900000100000}, "aborts": {"initiator": null, "responder": "set-too-large"}, "epoch": null, "evaluations": {"initiatorAskedFor": 5, "initiatorReceived": 0, "responderAskedFor": null, "responderReceived": 0, "endedBy": "responder"}});
    expect(report.valid).toBe(false);
    expect(report.failure).toEqual(report.checks.find((check) => check.status === 'fail'));
  });

  it("one wrong evaluation of the responder: its chunk proof fails, sizes are recomputed but no FINISH claims them", () => {
    const report = verifyTranscriptBundle(exportBundle(playRound({ elements: { initiator: a, responder: b }, intercept: wrongEvaluation('responder') }), 'initiator'), auditRoster());
    expect(report.checks).toEqual([
      {"name": "bundle", "status": "pass", "party": null, "member": null, "detail": "format v1; 4 initiator and 3 responder frames"},
      {"name": "round-record", "status": "pass", "party": null, "member": null, "detail": "round 00050d5ee1d97a7437e27303349cca04c9e2ac591712d6f87a506c82d0a7a9e6 attempt 1, aborted, logged by lab-a"},
      {"name": "roster", "status": "pass", "party": null, "member": null, "detail": "roster d1d1d1d1d1d1d1d1d1d1d1d1d1d1d1d1d1d1d1d1d1d1d1d1d1d1d1d1d1d1d1d1; lab-a and lab-b are members"},
      {"name": "tree-head", "status": "pass", "party": null, "member": null, "detail": "lab-a's head of size 8 at 2030-03-17T17:48:20.000Z is signed by its roster key"},
      {"name": "log-inclusion", "status": "pass", "party": null, "member": null, "detail": "leaf 5 is in lab-a's log of size 8"},
      {"name": "messages-initiator", "status": "pass", "party": null, "member": null, "detail": "4 frames in order: an OFFER, 1 BLINDED, 1 EVALUATED, no PROOF, no FINISH, ABORT bad-proof"},
      {"name": "messages-responder", "status": "pass", "party": null, "member": null, "detail": "3 frames in order: an OFFER, 1 BLINDED, 1 EVALUATED, no PROOF, no FINISH"},
      {"name": "policy", "status": "pass", "party": null, "member": null, "detail": "mode intersection; lab-a n=5 cap=65536; lab-b n=6 cap=65536; within both roster policies"},
      {"name": "slot", "status": "pass", "party": null, "member": null, "detail": "ad-hoc round: not bound to a scheduled slot"},
      {"name": "epoch", "status": "pass", "party": null, "member": null, "detail": "a plain round: no key epoch"},
      {"name": "epoch-chain", "status": "pass", "party": null, "member": null, "detail": "a plain round: no chain"},
      {"name": "transcript", "status": "pass", "party": null, "member": null, "detail": "attempt hash 709f32d3d3b16474… recomputed from the frames equals the logged one; the initiator asked for 5 evaluations and received 5, the responder asked for 6 evaluations and received 6; ended by the initiator"},
      {"name": "proof-initiator", "status": "pass", "party": null, "member": null, "detail": "lab-a evaluated all 6 points of lab-b with the key in its OFFER (1 chunk proof, SPEC §6)"},
      {"name": "proof-responder", "status": "fail", "party": "responder", "member": "lab-b", "detail": "lab-b's EVALUATED chunk 0 is not its committed key applied to lab-a's BLINDED chunk 0 (the proof of chunk 0 (5 pairs) does not verify) [bad-proof]"},
      {"name": "finish-initiator", "status": "skip", "party": null, "member": null, "detail": "lab-a sent no FINISH"},
      {"name": "finish-responder", "status": "skip", "party": null, "member": null, "detail": "lab-b sent no FINISH"},
      {"name": "intersection-size", "status": "skip", "party": null, "member": null, "detail": "recomputed 2 (initiator) and 2 (responder); no FINISH claims them"},
      {"name": "record-status", "status": "pass", "party": null, "member": null, "detail": "the leaf's status (aborted) and claims agree with the bundle"},
      {"name": "completed", "status": "fail", "party": null, "member": null, "detail": "the round was aborted: lab-a logged reason bad-proof, ended by the initiator; lab-a sent ABORT bad-proof"},
    ]);
    expect(report.summary).toEqual({"roundId": "00050d5ee1d97a7437e27303349cca04c9e2ac591712d6f87a506c82d0a7a9e6", "attempt": 1, "exporter": "lab-a", "initiator": "lab-a", "responder": "lab-b", "status": "aborted", "reason": "bad-proof", "slot": null, "mode": "intersection", "setSizes": {"initiator": 5, "responder": 6}, "caps": {"initiator": 65536, "responder": 65536}, "claims": {"initiator": null, "responder": null}, "recomputed": {"initiator": 2, "responder": 2}, "transcriptHash": "c7d63de157fb2082c0b230140cfb54ec4701b71b20a99dfda5c65f4441c9908a878f8e80b3cdbc8e7f3c1d3c6316f1b13a9d633afdc70e06cf3de3d180ed9a13", "leafIndex": 5, "treeHead": {"size": 8, "root": "024aa672a2b46184189fd0442745027570b948bc6b166e5244f8cb6986efc568", "timestamp": 1900000100000}, "aborts": {"initiator": "bad-proof", "responder": null}, "epoch": null, "evaluations": {"initiatorAskedFor": 5, "initiatorReceived": 5, "responderAskedFor": 6, "responderReceived": 6, "endedBy": "initiator"}});
    expect(report.valid).toBe(false);
    expect(report.failure).toEqual(report.checks.find((check) => check.status === 'fail'));
  });

  it("an empty initiator set: nothing to prove for the responder, sizes of 0", () => {
    const report = verifyTranscriptBundle(exportBundle(playRound({ elements: { initiator: [], responder: b } }), 'responder'), auditRoster());
    expect(report.checks).toEqual([
      {"name": "bundle", "status": "pass", "party": null, "member": null, "detail": "format v1; 3 initiator and 3 responder frames"},
      {"name": "round-record", "status": "pass", "party": null, "member": null, "detail": "round 00050d5ee1d97a7437e27303349cca04c9e2ac591712d6f87a506c82d0a7a9e6 attempt 1, completed, logged by lab-b"},
      {"name": "roster", "status": "pass", "party": null, "member": null, "detail": "roster d1d1d1d1d1d1d1d1d1d1d1d1d1d1d1d1d1d1d1d1d1d1d1d1d1d1d1d1d1d1d1d1; lab-a and lab-b are members"},
      {"name": "tree-head", "status": "pass", "party": null, "member": null, "detail": "lab-b's head of size 8 at 2030-03-17T17:48:20.000Z is signed by its roster key"},
      {"name": "log-inclusion", "status": "pass", "party": null, "member": null, "detail": "leaf 5 is in lab-b's log of size 8"},
      {"name": "messages-initiator", "status": "pass", "party": null, "member": null, "detail": "3 frames in order: an OFFER, 0 BLINDED, 1 EVALUATED, no PROOF, a FINISH"},
      {"name": "messages-responder", "status": "pass", "party": null, "member": null, "detail": "3 frames in order: an OFFER, 1 BLINDED, 0 EVALUATED, no PROOF, a FINISH"},
      {"name": "policy", "status": "pass", "party": null, "member": null, "detail": "mode intersection; lab-a n=0 cap=65536; lab-b n=6 cap=65536; within both roster policies"},
      {"name": "slot", "status": "pass", "party": null, "member": null, "detail": "ad-hoc round: not bound to a scheduled slot"},
      {"name": "epoch", "status": "pass", "party": null, "member": null, "detail": "a plain round: no key epoch"},
      {"name": "epoch-chain", "status": "pass", "party": null, "member": null, "detail": "a plain round: no chain"},
      {"name": "transcript", "status": "pass", "party": null, "member": null, "detail": "TH_final d05640d2765b6771… recomputed from the frames equals the logged transcript hash, and the leaf's set sizes and evaluation counts are the frames'"},
      {"name": "proof-initiator", "status": "pass", "party": null, "member": null, "detail": "lab-a evaluated all 6 points of lab-b with the key in its OFFER (1 chunk proof, SPEC §6)"},
      {"name": "proof-responder", "status": "pass", "party": null, "member": null, "detail": "lab-a's set is empty: nothing to evaluate or prove"},
      {"name": "finish-initiator", "status": "pass", "party": null, "member": null, "detail": "lab-a signed TH_final and size 0 with its roster key"},
      {"name": "finish-responder", "status": "pass", "party": null, "member": null, "detail": "lab-b signed TH_final and size 0 with its roster key"},
      {"name": "intersection-size", "status": "pass", "party": null, "member": null, "detail": "recomputed 0 (initiator) and 0 (responder), as claimed in both FINISH messages"},
      {"name": "record-status", "status": "pass", "party": null, "member": null, "detail": "the leaf's status (completed) and claims agree with the bundle"},
      {"name": "completed", "status": "pass", "party": null, "member": null, "detail": "the round completed with both FINISH messages"},
    ]);
    expect(report.summary).toEqual({"roundId": "00050d5ee1d97a7437e27303349cca04c9e2ac591712d6f87a506c82d0a7a9e6", "attempt": 1, "exporter": "lab-b", "initiator": "lab-a", "responder": "lab-b", "status": "completed", "reason": null, "slot": null, "mode": "intersection", "setSizes": {"initiator": 0, "responder": 6}, "caps": {"initiator": 65536, "responder": 65536}, "claims": {"initiator": 0, "responder": 0}, "recomputed": {"initiator": 0, "responder": 0}, "transcriptHash": "d05640d2765b677140c2be8933e89c8c24032787e9fd3387db5912ac84c26f9d79c5d7ccab63df8c612f744d586166ae3197172aa8c563ce01ee838fd009bed8", "leafIndex": 5, "treeHead": {"size": 8, "root": "b0309a1a2c5f271b109681faab496ee70993b06839affb73a90f2934b915d75a", "timestamp": 1900000100000}, "aborts": {"initiator": null, "responder": null}, "epoch": null});
    expect(report.valid).toBe(true);
    expect(report.failure).toEqual(null);
  });
});
