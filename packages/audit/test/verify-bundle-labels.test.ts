/**
 * LABELS from a party when the bundle lacks an OFFER (audit.md §9.1 checks 6–7, SPEC §5.7): label
 * fields are agreed only between two OFFERs, so without both no LABELS may flow, and a labels digest
 * other than the empty stream's is the sender's unexpected LABELS. A party that answers an OFFER
 * with LABELS, or opens with them, is named for it rather than leaving the aborted round
 * undetermined.
 */
import { encodeMessage } from '@venn/wire';
import { describe, expect, it } from 'vitest';
import { emptyLabelsDigest, verifyTranscriptBundle } from '../src/index.js';
import { auditRoster, digest, exportBundle, playRound } from './round-harness.js';

const a = ['s1', 's2', 's3', 'a1', 'a2'].map(digest);
const b = ['b1', 's3', 'b2', 's1', 's2', 'b3'].map(digest);
const hex = (bytes: Uint8Array): string => Buffer.from(bytes).toString('hex');
const played = playRound({ elements: { initiator: a, responder: b } });
const check = (report: ReturnType<typeof verifyTranscriptBundle>, name: string) => report.checks.find((entry) => entry.name === name)!;

describe('LABELS without both OFFERs in the bundle', () => {
  it('LABELS sent in place of the responder\'s OFFER are its unexpected LABELS: no field can be agreed without both OFFERs', () => {
    // lab-b answers lab-a's OFFER with a LABELS frame; lab-a aborts and logs the attempt.
    const early = playRound({
      elements: { initiator: a, responder: b },
      intercept: (m) => (m.from === 'responder' && m.kind === 'offer' ? encodeMessage({ kind: 'labels', roundId: played.roundId, seq: 0, end: true, entries: [] }) : m.bytes),
    });
    expect(early.results.initiator).toMatchObject({ status: 'aborted', reason: 'unexpected-message' });
    const bundle = exportBundle(early, 'initiator');
    expect(bundle.responder.frames).toEqual([]);
    expect(hex(bundle.responder.labelsDigest)).not.toBe(hex(emptyLabelsDigest('responder')));
    const report = verifyTranscriptBundle(bundle, auditRoster());
    expect(report.failure).toEqual({
      name: 'messages-responder', status: 'fail', party: 'responder', member: 'lab-b',
      detail: 'lab-b sent LABELS although no label field was agreed [unexpected-message]',
    });
    expect(check(report, 'messages-initiator').status).toBe('pass');
  });

  it('LABELS sent in place of the initiator\'s OFFER are its unexpected LABELS, in the responder\'s bundle', () => {
    const early = playRound({
      elements: { initiator: a, responder: b },
      intercept: (m) => (m.from === 'initiator' && m.kind === 'offer' ? encodeMessage({ kind: 'labels', roundId: played.roundId, seq: 0, end: true, entries: [] }) : m.bytes),
    });
    const bundle = exportBundle(early, 'responder');
    expect(bundle.initiator.frames).toEqual([]);
    const report = verifyTranscriptBundle(bundle, auditRoster());
    expect(report.failure).toEqual({
      name: 'messages-initiator', status: 'fail', party: 'initiator', member: 'lab-a',
      detail: 'lab-a sent LABELS although no label field was agreed [unexpected-message]',
    });
  });

  it('a stray labels digest beside the initiator\'s OFFER alone is the responder\'s unexpected LABELS', () => {
    // lab-b refuses lab-a's OFFER; the bundle still shows LABELS from lab-b.
    const refused = playRound({ elements: { initiator: a, responder: b }, policy: { responder: { maxPeerSetSize: 4 } } });
    const bundle = exportBundle(refused, 'responder');
    const report = verifyTranscriptBundle({ ...bundle, responder: { ...bundle.responder, labelsDigest: new Uint8Array(64).fill(0x22) } }, auditRoster());
    expect(report.failure).toEqual({
      name: 'messages-responder', status: 'fail', party: 'responder', member: 'lab-b',
      detail: 'lab-b sent LABELS although no label field was agreed [unexpected-message]',
    });
  });
});
