/**
 * audit.md §9.1 check 19 and §8.1: an ABORT `duplicate-chunk` or `round-mismatch` after the peer
 * sent LABELS. A LABELS chunk can cause either (SPEC §4.5), and the bundle holds LABELS only as
 * their stream digest, so it cannot show whether the peer's LABELS did: the verdict names nobody.
 * Before the peer's LABELS, the same ABORT against frames that show no such fault still names the
 * party that sent it.
 */
import { decodeMessage, encodeMessage, type Message } from '@venn/wire';
import { describe, expect, it } from 'vitest';
import { verifyTranscriptBundle, type BundleCheck, type BundleReport } from '../src/index.js';
import { auditRoster, digest, exportBundle, playRound, type InFlight } from './round-harness.js';

const failures = (report: BundleReport): BundleCheck[] => report.checks.filter((check) => check.status === 'fail');
const policy = { initiator: { labelFields: ['reason'] }, responder: { labelFields: ['reason'] } } as const;

describe('an honest ABORT on a LABELS fault the bundle cannot show', () => {
  it('lab-b sends LABELS chunk 0 twice; lab-a aborts with duplicate-chunk, and its bundle names nobody', () => {
    // 600 matches: chunk 0 holds 512 entries, chunk 1 the other 88; lab-b sends chunk 0 in place of chunk 1.
    const shared = Array.from({ length: 600 }, (_, i) => digest(`shared-${i}`));
    let first: Uint8Array | undefined;
    const played = playRound({
      elements: { initiator: shared, responder: shared },
      policy,
      labels: { initiator: shared.map(() => ({ reason: 'scripted' })), responder: shared.map(() => ({ reason: 'card' })) },
      intercept: (m) => {
        if (m.from !== 'responder' || m.kind !== 'labels') return m.bytes;
        first ??= m.bytes;
        return first;
      },
    });
    expect(played.results.initiator).toMatchObject({ status: 'aborted', reason: 'duplicate-chunk' });
    expect(failures(verifyTranscriptBundle(exportBundle(played, 'initiator'), auditRoster()))).toEqual([{
      name: 'completed', status: 'fail', party: null, member: null,
      detail: 'the round was aborted: lab-a logged reason duplicate-chunk, ended by the initiator; lab-a sent ABORT duplicate-chunk; lab-b sent LABELS, which the bundle holds only as their digest: whether a LABELS chunk caused the duplicate-chunk it cannot show',
    }]);
  });

  it('lab-b\'s LABELS chunk names another round; lab-a aborts with round-mismatch, and its bundle names nobody', () => {
    const played = playRound({
      elements: { initiator: ['s1', 's2', 'a1'].map(digest), responder: ['s1', 's2', 'b1'].map(digest) },
      policy,
      labels: { initiator: [0, 1, 2].map(() => ({ reason: 'scripted' })), responder: [0, 1, 2].map(() => ({ reason: 'card' })) },
      intercept: (m) => {
        if (m.from !== 'responder' || m.kind !== 'labels') return m.bytes;
        return encodeMessage({ ...decodeMessage(m.bytes), roundId: new Uint8Array(32).fill(0x42) } as Message);
      },
    });
    expect(played.results.initiator).toMatchObject({ status: 'aborted', reason: 'round-mismatch' });
    expect(failures(verifyTranscriptBundle(exportBundle(played, 'initiator'), auditRoster()))).toEqual([{
      name: 'completed', status: 'fail', party: null, member: null,
      detail: 'the round was aborted: lab-a logged reason round-mismatch, ended by the initiator; lab-a sent ABORT round-mismatch; lab-b sent LABELS, which the bundle holds only as their digest: whether a LABELS chunk caused the round-mismatch it cannot show',
    }]);
  });
});

describe('an ABORT duplicate-chunk lab-a makes up', () => {
  const elements = { initiator: ['s1', 's2', 'a1'].map(digest), responder: ['s1', 's2', 'b1'].map(digest) };
  const labels = { initiator: [0, 1, 2].map(() => ({ reason: 'scripted' })), responder: [0, 1, 2].map(() => ({ reason: 'card' })) };
  /** lab-a's first frame of `kind` replaced in flight by an ABORT duplicate-chunk. */
  const abortAt = (kind: Message['kind']) => (m: InFlight): Uint8Array => (m.from === 'initiator' && m.kind === kind
    ? encodeMessage({ kind: 'abort', roundId: decodeMessage(m.bytes).roundId, reason: 'duplicate-chunk', detail: '' })
    : m.bytes);
  const how = 'the round was aborted: lab-b logged reason duplicate-chunk, ended by the initiator; lab-a sent ABORT duplicate-chunk';

  it('before lab-b\'s LABELS (in place of lab-a\'s EVALUATED chunk) names lab-a: the frames show no such fault', () => {
    const played = playRound({ elements, policy, labels, intercept: abortAt('evaluated') });
    expect(played.results.responder).toMatchObject({ status: 'aborted', peerReason: 'duplicate-chunk' });
    expect(failures(verifyTranscriptBundle(exportBundle(played, 'responder'), auditRoster()))).toEqual([{
      name: 'completed', status: 'fail', party: 'initiator', member: 'lab-a', detail: `${how}; the bundle shows no duplicate-chunk by lab-b`,
    }]);
  });

  it('after lab-b\'s LABELS (in place of lab-a\'s own) names nobody: the bundle cannot tell it from an honest one', () => {
    const played = playRound({ elements, policy, labels, intercept: abortAt('labels') });
    expect(played.results.responder).toMatchObject({ status: 'aborted', peerReason: 'duplicate-chunk' });
    expect(failures(verifyTranscriptBundle(exportBundle(played, 'responder'), auditRoster()))).toEqual([{
      name: 'completed', status: 'fail', party: null, member: null,
      detail: `${how}; lab-b sent LABELS, which the bundle holds only as their digest: whether a LABELS chunk caused the duplicate-chunk it cannot show`,
    }]);
  });
});
