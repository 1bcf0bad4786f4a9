/**
 * The bundle verifier's last check, `completed` (audit.md §9.1 check 19), and what the report says
 * around it: a disputed round that ended with both FINISH messages, ABORTs sent by both parties of
 * an aborted attempt and of a round whose leaf logs a completion, the attempt's accounts for a set
 * of one element, and the summary of a bundle the verifier cannot read. Each test pins the detail
 * an auditor reads, on bundles of real rounds.
 */
import { ed25519Sign } from '@venn/crypto';
import { finishSignatureInput } from '@venn/protocol';
import { decodeMessage, encodeMessage, type Message } from '@venn/wire';
import { describe, expect, it } from 'vitest';
import { BUNDLE_CHECKS, encodeTranscriptBundle, verifyTranscriptBundle, type BundleReport, type TranscriptBundle } from '../src/index.js';
import { auditRoster, digest, exportBundle, keys, playRound, type PlayedRound } from './round-harness.js';

const a = ['s1', 's2', 's3', 'a1', 'a2'].map(digest);
const b = ['b1', 's3', 'b2', 's1', 's2', 'b3'].map(digest);
const check = (report: BundleReport, name: string) => report.checks.find((entry) => entry.name === name)!;
const failures = (report: BundleReport) => report.checks.filter((entry) => entry.status === 'fail').map((entry) => [entry.name, entry.party]);
const kindOf = (frame: Uint8Array): Message['kind'] => decodeMessage(frame).kind;
const abort = (played: PlayedRound, reason: string): Uint8Array => encodeMessage({ kind: 'abort', roundId: played.roundId, reason, detail: '' });

describe('completed: a disputed round with both FINISH messages', () => {
  it('passes, saying the round ended disputed, while the intersection-size check names the party whose claim is false', () => {
    // Same inputs and seeds give the same frames, so the honest round's TH_final is the one the liar signs.
    const honest = playRound({ elements: { initiator: a, responder: b } });
    if (honest.results.responder.status !== 'completed') throw new Error('the honest round did not complete');
    const transcriptHash = honest.results.responder.transcriptHash;
    const played = playRound({
      elements: { initiator: a, responder: b },
      intercept: (message) => {
        if (message.from !== 'responder' || message.kind !== 'finish') return message.bytes;
        const finish = decodeMessage(message.bytes) as Extract<Message, { kind: 'finish' }>;
        const claim = finish.intersectionSize + 2;
        return encodeMessage({ ...finish, intersectionSize: claim, signature: ed25519Sign(keys.responder.secretKey.slice(), finishSignatureInput('responder', finish.roundId, transcriptHash, claim)) });
      },
    });
    expect(played.results.initiator).toMatchObject({ status: 'disputed', intersectionSize: 3, peerIntersectionSize: 5 });
    // lab-a, which received the false claim, logs the round disputed.
    const report = verifyTranscriptBundle(exportBundle(played, 'initiator'), auditRoster());
    expect(report.summary).toMatchObject({ status: 'disputed', claims: { initiator: 3, responder: 5 } });
    expect(check(report, 'completed')).toEqual({ name: 'completed', status: 'pass', party: null, member: null, detail: 'the round ended disputed with both FINISH messages' });
    expect(failures(report)).toEqual([['intersection-size', 'responder']]);
    expect(report.failure!.detail).toBe('lab-b claimed 5 in FINISH, the evaluations give 3');
  });

  it('the same round, completed, passes saying it completed', () => {
    const report = verifyTranscriptBundle(exportBundle(playRound({ elements: { initiator: a, responder: b } }), 'responder'), auditRoster());
    expect(report.valid).toBe(true);
    expect(check(report, 'completed').detail).toBe('the round completed with both FINISH messages');
  });
});

describe('completed: both parties sent an ABORT', () => {
  const honest = playRound({ elements: { initiator: a, responder: b } });

  it('an aborted attempt lists both ABORTs, each naming its sender, after the reason the exporter logged', () => {
    // lab-a's record of the attempt: both OFFERs and BLINDED lists, then its ABORT timeout and lab-b's ABORT cancelled.
    const kept = honest.records.initiator.filter(({ bytes }) => ['offer', 'blinded'].includes(kindOf(bytes)));
    const played = {
      ...honest,
      records: { initiator: [...kept, { direction: 'sent', bytes: abort(honest, 'timeout') }, { direction: 'received', bytes: abort(honest, 'cancelled') }], responder: [] },
      results: { initiator: { status: 'aborted', reason: 'timeout' }, responder: { status: 'aborted', reason: 'cancelled' } },
    } as unknown as PlayedRound;
    const bundle = exportBundle(played, 'initiator');
    expect(bundle.initiator.frames.map(kindOf)).toEqual(['offer', 'blinded', 'abort']);
    expect(bundle.responder.frames.map(kindOf)).toEqual(['offer', 'blinded', 'abort']);
    const report = verifyTranscriptBundle(bundle, auditRoster());
    // Neither code names a fault the bundle could show: the verdict names no party.
    expect(failures(report)).toEqual([['completed', null]]);
    expect(report.failure).toEqual({
      name: 'completed', status: 'fail', party: null, member: null,
      detail: 'the round was aborted: lab-a logged reason timeout, ended by the initiator; lab-a sent ABORT timeout; lab-b sent ABORT cancelled',
    });
    expect(report.summary.aborts).toEqual({ initiator: 'timeout', responder: 'cancelled' });
  });

  it('a leaf that logs the round completed while both sent an ABORT instead of FINISH names both parties and both ABORTs', () => {
    // The honest round's bundle with each FINISH replaced by an ABORT: TH_final, which no FINISH
    // or ABORT enters, still matches the leaf, but the leaf's completion has no FINISH behind it.
    const bundle = exportBundle(honest, 'initiator');
    const replaced = (frames: readonly Uint8Array[], reason: string): Uint8Array[] => frames.map((frame) => (kindOf(frame) === 'finish' ? abort(honest, reason) : frame));
    const report = verifyTranscriptBundle({
      ...bundle,
      initiator: { ...bundle.initiator, frames: replaced(bundle.initiator.frames, 'timeout') },
      responder: { ...bundle.responder, frames: replaced(bundle.responder.frames, 'cancelled') },
    }, auditRoster());
    expect(check(report, 'transcript').status).toBe('pass');
    expect(failures(report)).toEqual([['record-status', 'exporter'], ['completed', null]]);
    expect(check(report, 'completed').detail).toBe(
      'the leaf logs the round completed, but the bundle holds no valid FINISH from lab-a (the initiator), nor from lab-b (the responder); lab-a sent ABORT timeout; lab-b sent ABORT cancelled',
    );
  });
});

describe('transcript: the accounts of an aborted attempt', () => {
  it('an OFFER of one element asked for 1 evaluation, in the singular', () => {
    // lab-a offers one element; lab-b refuses it against lab-a's cap of 5 before sending its own OFFER.
    const played = playRound({ elements: { initiator: [digest('s1')], responder: b }, policy: { initiator: { maxPeerSetSize: 5 } } });
    expect(played.results.responder).toMatchObject({ status: 'aborted', reason: 'set-too-large' });
    const report = verifyTranscriptBundle(exportBundle(played, 'initiator'), auditRoster());
    expect(check(report, 'transcript').status).toBe('pass');
    expect(check(report, 'transcript').detail).toMatch(
      /^attempt hash [0-9a-f]{16}… recomputed from the frames equals the logged one; the initiator asked for 1 evaluation and received 0, the responder recorded no OFFER \(so asked for no evaluations\) and received 0; ended by the responder$/,
    );
  });
});

describe('the summary of a bundle the verifier cannot read', () => {
  const nulls = { initiator: null, responder: null };
  const empty = {
    roundId: null, attempt: null, exporter: null, initiator: null, responder: null, status: null, reason: null, slot: null, mode: null,
    setSizes: nulls, caps: nulls, claims: nulls, recomputed: nulls, transcriptHash: null, leafIndex: null, treeHead: null, aborts: nulls, epoch: null,
  };

  it('a bundle that does not decode: every field null, each per-party field null for both parties', () => {
    const report = verifyTranscriptBundle(Uint8Array.of(0xc1), auditRoster());
    expect(report.failure).toMatchObject({ name: 'bundle', status: 'fail', party: 'exporter', member: null });
    expect(report.summary).toStrictEqual(empty);
    expect(report.checks.map((entry) => entry.name)).toEqual([...BUNDLE_CHECKS]);
    expect(report.checks.slice(1).every((entry) => entry.status === 'skip' && entry.detail === 'the bundle did not decode')).toBe(true);
  });

  it('a leaf that does not decode: the exporter is known, every per-party field null for both parties', () => {
    const honest = exportBundle(playRound({ elements: { initiator: a, responder: b } }), 'initiator');
    const bundle: TranscriptBundle = { ...honest, leaf: Uint8Array.of(0xff, 0x00) };
    const report = verifyTranscriptBundle(encodeTranscriptBundle(bundle), auditRoster());
    expect(report.failure).toMatchObject({ name: 'round-record', party: 'exporter', member: 'lab-a' });
    expect(report.summary).toStrictEqual({ ...empty, exporter: 'lab-a' });
    expect(report.checks.slice(2).every((entry) => entry.status === 'skip' && entry.detail === 'the log leaf did not decode')).toBe(true);
  });
});
