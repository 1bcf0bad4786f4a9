/**
 * The auditor's verifier (audit.md §9) on bundles of real rounds: valid rounds in both modes,
 * fault injection, dishonest claims, policy breaches, a dishonest exporter, and 1,000 single-byte
 * mutations of one valid bundle.
 */
import { ed25519Sign } from '@venn/crypto';
import { ValidationError } from '@venn/errors';
import { finishSignatureInput } from '@venn/protocol';
import { decodeMessage, encodeMessage, type LabelValues, type Message } from '@venn/wire';
import { describe, expect, it } from 'vitest';
import {
  BUNDLE_CHECKS,
  emptyLabelsDigest,
  encodeTranscriptBundle,
  verifyTranscriptBundle,
  type BundleReport,
  type TranscriptBundle,
} from '../src/index.js';
import { adHocRoundId, auditRoster, digest, exportBundle, hourlySchedule, ids, keys, playRound, seededRng, wrongEvaluation, type PlayedRound } from './round-harness.js';

const status = (report: BundleReport): Record<string, string> => Object.fromEntries(report.checks.map((check) => [check.name, check.status]));
const a = ['s1', 's2', 's3', 'a1', 'a2'].map(digest);
const b = ['b1', 's3', 'b2', 's1', 's2', 'b3'].map(digest);

/** Labels for the first items, none for the rest: the protocol wants one entry per element. */
function aligned(labels: ReadonlyArray<LabelValues | undefined>, length: number): Array<LabelValues | undefined> {
  return Array.from({ length }, (_, i) => labels[i]);
}

function expectValid(report: BundleReport): void {
  expect(report.failure).toBeNull();
  expect(report.valid).toBe(true);
  expect(report.checks.map((check) => check.name)).toEqual([...BUNDLE_CHECKS]);
  expect(report.checks.every((check) => check.status === 'pass')).toBe(true);
}

describe('valid rounds verify from either party\'s bundle', () => {
  it('intersection mode: sizes recomputed from the evaluations', () => {
    const played = playRound({ elements: { initiator: a, responder: b } });
    for (const exporter of ['initiator', 'responder'] as const) {
      const report = verifyTranscriptBundle(encodeTranscriptBundle(exportBundle(played, exporter)), auditRoster());
      expectValid(report);
      expect(report.summary).toMatchObject({
        exporter: ids[exporter], initiator: 'lab-a', responder: 'lab-b', status: 'completed', mode: 'intersection',
        setSizes: { initiator: 5, responder: 6 }, claims: { initiator: 3, responder: 3 }, recomputed: { initiator: 3, responder: 3 },
      });
    }
  });

  it('cardinality mode: the sum proofs verify and the count comes from the shuffled evaluations', () => {
    const played = playRound({ elements: { initiator: a, responder: b }, mode: 'cardinality' });
    const report = verifyTranscriptBundle(exportBundle(played, 'responder'), auditRoster());
    expectValid(report);
    expect(report.summary.recomputed).toEqual({ initiator: 3, responder: 3 });
    expect(report.checks.find((check) => check.name === 'proof-initiator')!.detail).toContain('sum');
  });

  it('labels: the transcript recomputes from the LABELS stream digests', () => {
    const played = playRound({
      elements: { initiator: a, responder: b },
      policy: { initiator: { labelFields: ['reason'] }, responder: { labelFields: ['reason'] } },
      labels: { initiator: aligned([{ reason: 'scripted' }], a.length), responder: aligned([undefined, { reason: 'card' }], b.length) },
    });
    expectValid(verifyTranscriptBundle(exportBundle(played, 'initiator'), auditRoster()));
  });

  it('an empty set on one side: empty proof, zero sizes', () => {
    const played = playRound({ elements: { initiator: [], responder: b } });
    const report = verifyTranscriptBundle(exportBundle(played, 'responder'), auditRoster());
    expectValid(report);
    expect(report.summary.recomputed).toEqual({ initiator: 0, responder: 0 });
  });

  it('more than one chunk per stream: every chunk proof verifies, and a wrong evaluation in a later chunk is found there', () => {
    const big = Array.from({ length: 4100 }, (_, i) => digest(`big-${i}`));
    const elements = { initiator: big, responder: [...big.slice(0, 10), digest('other')] };
    const played = playRound({ elements });
    const report = verifyTranscriptBundle(exportBundle(played, 'initiator'), auditRoster());
    expectValid(report);
    expect(report.summary.recomputed).toEqual({ initiator: 10, responder: 10 });
    expect(report.checks.find((check) => check.name === 'proof-responder')!.detail).toContain('2 chunk proofs');
    // The responder answers the initiator's second chunk with one wrong point.
    const cheated = playRound({
      elements,
      intercept: (message) => {
        if (message.from !== 'responder' || message.kind !== 'evaluated') return message.bytes;
        const chunk = decodeMessage(message.bytes) as Extract<Message, { kind: 'evaluated' }>;
        if (chunk.seq !== 1) return message.bytes;
        const points = chunk.points.slice();
        points.set(chunk.points.subarray(32, 64), 0); // the second point's evaluation in the first's place
        return encodeMessage({ ...chunk, points });
      },
    });
    expect(cheated.results.initiator).toMatchObject({ status: 'aborted', reason: 'bad-proof' });
    const blamed = verifyTranscriptBundle(exportBundle(cheated, 'initiator'), auditRoster());
    expect(blamed.failure).toMatchObject({ name: 'proof-responder', party: 'responder' });
    expect(blamed.failure!.detail).toContain('EVALUATED chunk 1');
  }, 120_000);

  it('a scheduled round: the round id and initiator follow from the slot', () => {
    let slot = 1_900_000_800;
    slot -= slot % 3600;
    let roundId = hourlySchedule.scheduledRoundId(slot, 'lab-a', 'lab-b');
    while (hourlySchedule.scheduledInitiator(roundId, 'lab-a', 'lab-b') !== 'lab-a') {
      slot += 3600;
      roundId = hourlySchedule.scheduledRoundId(slot, 'lab-a', 'lab-b');
    }
    const played = playRound({ elements: { initiator: a, responder: b }, roundId });
    expectValid(verifyTranscriptBundle(exportBundle(played, 'initiator', { leaf: { slot } }), auditRoster()));
    // The same round logged for the next slot, or run by the wrong initiator, is out of schedule.
    const wrongSlot = verifyTranscriptBundle(exportBundle(played, 'initiator', { leaf: { slot: slot + 3600 } }), auditRoster());
    expect(wrongSlot.failure).toMatchObject({ name: 'slot', party: 'exporter' });
    const offSlot = verifyTranscriptBundle(exportBundle(played, 'initiator', { leaf: { slot: slot + 1 } }), auditRoster());
    expect(offSlot.failure).toMatchObject({ name: 'slot', party: 'exporter' });
    let otherSlot = slot + 3600;
    let otherId = hourlySchedule.scheduledRoundId(otherSlot, 'lab-a', 'lab-b');
    while (hourlySchedule.scheduledInitiator(otherId, 'lab-a', 'lab-b') !== 'lab-b') {
      otherSlot += 3600;
      otherId = hourlySchedule.scheduledRoundId(otherSlot, 'lab-a', 'lab-b');
    }
    const usurped = playRound({ elements: { initiator: a, responder: b }, roundId: otherId });
    const report = verifyTranscriptBundle(exportBundle(usurped, 'responder', { leaf: { slot: otherSlot } }), auditRoster());
    expect(report.failure).toMatchObject({ name: 'slot', party: 'initiator', member: 'lab-a' });
  });
});

describe('fault injection: one wrong evaluation', () => {
  for (const cheater of ['initiator', 'responder'] as const) {
    const honest = cheater === 'initiator' ? 'responder' : 'initiator';
    it(`the ${honest} aborts with bad-proof and both bundles show the ${cheater} at fault`, () => {
      const played = playRound({ elements: { initiator: a, responder: b }, intercept: wrongEvaluation(cheater) });
      expect(played.results[honest]).toMatchObject({ status: 'aborted', reason: 'bad-proof' });
      expect(played.results[cheater]).toMatchObject({ status: 'aborted', reason: 'peer-abort', peerReason: 'bad-proof' });
      for (const exporter of [honest, cheater]) {
        const report = verifyTranscriptBundle(exportBundle(played, exporter), auditRoster());
        expect(report.valid).toBe(false);
        expect(report.failure).toMatchObject({ name: `proof-${cheater}`, status: 'fail', party: cheater, member: ids[cheater] });
        expect(report.summary.aborts[honest]).toBe('bad-proof');
        expect(status(report)[`proof-${honest}`]).toBe('pass');
        expect(status(report).completed).toBe('fail');
      }
    });
  }

  it('in cardinality mode the sum check catches the wrong evaluation too', () => {
    const played = playRound({ elements: { initiator: a, responder: b }, mode: 'cardinality', intercept: wrongEvaluation('responder') });
    expect(played.results.initiator).toMatchObject({ status: 'aborted', reason: 'bad-proof' });
    expect(verifyTranscriptBundle(exportBundle(played, 'initiator'), auditRoster()).failure).toMatchObject({ name: 'proof-responder', party: 'responder' });
  });

  it('a point that is not canonical is blamed on its sender at the messages check', () => {
    const played = playRound({
      elements: { initiator: a, responder: b },
      intercept: (message) => {
        if (message.from !== 'responder' || message.kind !== 'blinded') return message.bytes;
        const chunk = decodeMessage(message.bytes) as Extract<Message, { kind: 'blinded' }>;
        const points = chunk.points.slice();
        points.fill(0xff, 0, 32);
        return encodeMessage({ ...chunk, points });
      },
    });
    expect(played.results.initiator).toMatchObject({ status: 'aborted', reason: 'bad-point' });
    const report = verifyTranscriptBundle(exportBundle(played, 'initiator'), auditRoster());
    expect(report.failure).toMatchObject({ name: 'messages-responder', party: 'responder' });
    expect(report.failure!.detail).toContain('bad-point');
  });

  it('an EVALUATED chunk without its chunk proof is blamed on its sender at the messages check', () => {
    const played = playRound({
      elements: { initiator: a, responder: b },
      intercept: (message) => {
        if (message.from !== 'initiator' || message.kind !== 'evaluated') return message.bytes;
        const chunk = decodeMessage(message.bytes) as Extract<Message, { kind: 'evaluated' }>;
        return encodeMessage({ ...chunk, proof: new Uint8Array(0) });
      },
    });
    expect(played.results.responder).toMatchObject({ status: 'aborted', reason: 'bad-proof' });
    const report = verifyTranscriptBundle(exportBundle(played, 'responder'), auditRoster());
    expect(report.failure).toMatchObject({ name: 'messages-initiator', party: 'initiator' });
    expect(report.failure!.detail).toContain('a pi of 0 bytes, expected 64 in intersection mode [bad-proof]');
  });

  it('a PROOF in intersection mode is blamed on its sender at the messages check', () => {
    const played = playRound({
      elements: { initiator: a, responder: b },
      intercept: (message) => {
        if (message.from !== 'initiator' || message.kind !== 'finish') return message.bytes;
        return encodeMessage({ kind: 'proof', roundId: decodeMessage(message.bytes).roundId, proof: new Uint8Array(64).fill(1) });
      },
    });
    expect(played.results.responder).toMatchObject({ status: 'aborted', reason: 'unexpected-message' });
    const report = verifyTranscriptBundle(exportBundle(played, 'responder'), auditRoster());
    expect(report.failure).toMatchObject({ name: 'messages-initiator', party: 'initiator' });
    expect(report.failure!.detail).toContain('a PROOF in intersection mode');
  });

  it('an undecodable frame is blamed on its sender, from its digest alone', () => {
    const played = playRound({
      elements: { initiator: a, responder: b },
      intercept: (message) => (message.from === 'initiator' && message.kind === 'evaluated' ? Uint8Array.of(0x81, 0xa1, 0x74, 0xcb) : message.bytes),
    });
    expect(played.results.responder).toMatchObject({ status: 'aborted', reason: 'malformed-message' });
    const report = verifyTranscriptBundle(exportBundle(played, 'responder'), auditRoster());
    expect(report.failure).toMatchObject({ name: 'messages-initiator', party: 'initiator' });
    expect(report.failure!.detail).toContain('malformed-message');
  });
});

describe('claims, policy and the exporter', () => {
  it('a validly signed but false FINISH claim makes the round disputed and names the party that lied', () => {
    // Same inputs and seeds give the same frames, so the honest round's TH_final is the one the liar signs.
    const honest = playRound({ elements: { initiator: a, responder: b } });
    if (honest.results.responder.status !== 'completed') throw new Error('the honest round did not complete');
    const transcriptHash = honest.results.responder.transcriptHash;
    const played = playRound({
      elements: { initiator: a, responder: b },
      intercept: (message) => {
        if (message.from !== 'responder' || message.kind !== 'finish') return message.bytes;
        const finish = decodeMessage(message.bytes) as Extract<Message, { kind: 'finish' }>;
        // The responder lies about its size and signs the lie with its own key.
        const claim = finish.intersectionSize + 2;
        return encodeMessage({ ...finish, intersectionSize: claim, signature: ed25519Sign(keys.responder.secretKey.slice(), finishSignatureInput('responder', finish.roundId, transcriptHash, claim)) });
      },
    });
    expect(played.results.initiator).toMatchObject({ status: 'disputed', intersectionSize: 3, peerIntersectionSize: 5 });
    const report = verifyTranscriptBundle(exportBundle(played, 'initiator'), auditRoster());
    expect(report.failure).toMatchObject({ name: 'intersection-size', party: 'responder', member: 'lab-b' });
    expect(report.summary).toMatchObject({ status: 'disputed', claims: { initiator: 3, responder: 5 }, recomputed: { initiator: 3, responder: 3 } });
    expect(status(report)['finish-responder']).toBe('pass');
  });

  it('a cap above the member\'s roster policy, a mode its policy forbids and unshared label fields are each blamed on that member', () => {
    const played = playRound({ elements: { initiator: a, responder: b }, policy: { responder: { maxPeerSetSize: 1000 } } });
    const capped = verifyTranscriptBundle(exportBundle(played, 'initiator'), auditRoster({ responder: { maxPeerSetSize: 999, modes: ['intersection'], shareLabels: [] } }));
    expect(capped.failure).toMatchObject({ name: 'policy', party: 'responder' });
    expect(capped.failure!.detail).toContain('1000');
    const mode = verifyTranscriptBundle(exportBundle(played, 'initiator'), auditRoster({ initiator: { maxPeerSetSize: 65_536, modes: ['cardinality'], shareLabels: [] } }));
    expect(mode.failure).toMatchObject({ name: 'policy', party: 'initiator' });
    // Cardinality mode is semi-honest only: a member whose roster policy does not list it must not run it.
    const cardinality = playRound({ elements: { initiator: a, responder: b }, mode: 'cardinality' });
    expectValid(verifyTranscriptBundle(exportBundle(cardinality, 'initiator'), auditRoster()));
    const semiHonest = verifyTranscriptBundle(exportBundle(cardinality, 'initiator'), auditRoster({ responder: { maxPeerSetSize: 65_536, modes: ['intersection'], shareLabels: [] } }));
    expect(semiHonest.failure).toMatchObject({ name: 'policy', party: 'responder' });
    expect(semiHonest.failure!.detail).toContain('semi-honest');
    const labelled = playRound({ elements: { initiator: a, responder: b }, policy: { initiator: { labelFields: ['category'] }, responder: { labelFields: ['category'] } } });
    const unshared = verifyTranscriptBundle(exportBundle(labelled, 'responder'), auditRoster({ initiator: { maxPeerSetSize: 65_536, modes: ['intersection'], shareLabels: ['reason'] } }));
    expect(unshared.failure).toMatchObject({ name: 'policy', party: 'initiator' });
    // Within policy, the same bundles verify.
    expectValid(verifyTranscriptBundle(exportBundle(played, 'initiator'), auditRoster({ responder: { maxPeerSetSize: 1000, modes: ['intersection'], shareLabels: [] } })));
  });

  it('an OFFER pair over a cap is blamed on the responder, which had to refuse', () => {
    // The responder states a cap of 3 after accepting the initiator's 5 elements.
    const played = playRound({
      elements: { initiator: a, responder: b },
      intercept: (message) => {
        if (message.from !== 'responder' || message.kind !== 'offer') return message.bytes;
        return encodeMessage({ ...(decodeMessage(message.bytes) as Extract<Message, { kind: 'offer' }>), maxPeerSetSize: 3 });
      },
    });
    expect(played.results.initiator).toMatchObject({ status: 'aborted', reason: 'set-too-large' });
    for (const exporter of ['initiator', 'responder'] as const) {
      const report = verifyTranscriptBundle(exportBundle(played, exporter), auditRoster());
      expect(report.failure).toMatchObject({ name: 'policy', party: 'responder' });
      expect(report.failure!.detail).toContain('set-too-large');
    }
  });

  it('a refused OFFER is an aborted round whose cause the bundle shows', () => {
    const played = playRound({ elements: { initiator: a, responder: b }, policy: { responder: { maxPeerSetSize: 4 } } });
    expect(played.results.responder).toMatchObject({ status: 'aborted', reason: 'set-too-large' });
    const report = verifyTranscriptBundle(exportBundle(played, 'responder'), auditRoster());
    expect(status(report)).toMatchObject({ 'messages-initiator': 'pass', 'messages-responder': 'pass', policy: 'pass', transcript: 'pass', 'proof-initiator': 'skip' });
    // audit.md §3: the leaf's attempt hash and counts are what the frames give: 5 asked for, nothing served.
    expect(report.summary['evaluations']).toEqual({ initiatorAskedFor: 5, initiatorReceived: 0, responderAskedFor: null, responderReceived: 0, endedBy: 'responder' });
    // The initiator's 5 elements were over the responder's stated cap of 4, so the refusal was founded.
    expect(report.failure).toMatchObject({ name: 'completed', party: null });
    expect(report.failure!.detail).toContain('lab-b sent ABORT set-too-large');
  });

  it('an ABORT naming a cause the bundle does not show blames the party that aborted', () => {
    const played = playRound({
      elements: { initiator: a, responder: b },
      intercept: (message) => (message.from === 'initiator' && message.kind === 'finish'
        ? encodeMessage({ kind: 'abort', roundId: decodeMessage(message.bytes).roundId, reason: 'bad-proof', detail: 'pretend' })
        : message.bytes),
    });
    const report = verifyTranscriptBundle(exportBundle(played, 'responder'), auditRoster());
    expect(report.failure).toMatchObject({ name: 'completed', party: 'initiator' });
  });

  it('a leaf that misstates the claims, a foreign head key, a broken inclusion proof: the exporter is at fault', () => {
    const played = playRound({ elements: { initiator: a, responder: b } });
    const misstated = verifyTranscriptBundle(exportBundle(played, 'initiator', { leaf: { initiatorClaim: 4, responderClaim: 4 } }), auditRoster());
    expect(misstated.failure).toMatchObject({ name: 'record-status', party: 'exporter', member: 'lab-a' });
    const wrongHash = verifyTranscriptBundle(exportBundle(played, 'initiator', { leaf: { transcriptHash: new Uint8Array(64).fill(7) } }), auditRoster());
    expect(wrongHash.failure).toMatchObject({ name: 'transcript', party: 'exporter' });
    const foreignKey = verifyTranscriptBundle(exportBundle(played, 'initiator', { headKey: keys.responder.secretKey.slice() }), auditRoster());
    expect(foreignKey.failure).toMatchObject({ name: 'tree-head', party: 'exporter' });
    const bundle = exportBundle(played, 'initiator');
    const shifted: TranscriptBundle = { ...bundle, leafIndex: bundle.leafIndex + 1 };
    expect(verifyTranscriptBundle(shifted, auditRoster()).failure).toMatchObject({ name: 'log-inclusion', party: 'exporter' });
    const otherRound = playRound({ elements: { initiator: a, responder: b }, roundId: new Uint8Array(32).fill(9) });
    const swapped: TranscriptBundle = { ...exportBundle(otherRound, 'initiator'), initiator: bundle.initiator, responder: bundle.responder };
    expect(verifyTranscriptBundle(swapped, auditRoster()).failure).toMatchObject({ name: 'round-record', party: 'exporter' });
  });

  it('a roster other than the round\'s fails without blaming a party', () => {
    const played = playRound({ elements: { initiator: a, responder: b } });
    const report = verifyTranscriptBundle(exportBundle(played, 'initiator'), auditRoster({}, new Uint8Array(32).fill(0x33)));
    expect(report.failure).toMatchObject({ name: 'roster', party: null });
  });

  it('a bundle with a frame left out fails: the transcript no longer matches the signatures, and under the completed leaf the gap is the exporter\'s', () => {
    const played = playRound({ elements: { initiator: a, responder: b } });
    const bundle = exportBundle(played, 'initiator');
    const frames = bundle.responder.frames.filter((frame) => decodeMessage(frame).kind !== 'evaluated');
    const report = verifyTranscriptBundle({ ...bundle, responder: { ...bundle.responder, frames } }, auditRoster());
    // lab-a logs the round completed: it had every frame of lab-b's, and no FINISH of lab-b's
    // verifies over what is left, so the gap is lab-a's account (audit.md §9.1, "A completed or
    // disputed leaf").
    expect(report.failure).toEqual({
      name: 'messages-responder', status: 'fail', party: 'exporter', member: 'lab-a',
      detail: 'the leaf logs the round completed, but no FINISH signature of lab-b verifies over the recomputed TH_final, so its frames are lab-a\'s account; an exporter that finished the round had checked them (lab-b frame 2: FINISH before its last BLINDED and EVALUATED chunks (0 of 1 EVALUATED) [unexpected-message])',
    });
    expect(status(report)).toMatchObject({ transcript: 'fail', 'finish-initiator': 'fail', 'finish-responder': 'skip' });
  });
});

describe('what the report says about a corrupt completed bundle', () => {
  const played = playRound({ elements: { initiator: a, responder: b } });
  const detail = (report: BundleReport, name: string): string => report.checks.find((check) => check.name === name)!.detail;

  it('a FINISH frame that no longer decodes: the exporter of the completed leaf is at fault, the completed check names the check and frame that hid it, and says nothing of an ABORT', () => {
    const bundle = exportBundle(played, 'initiator');
    const frames = bundle.responder.frames.map((frame) => {
      if (decodeMessage(frame).kind !== 'finish') return frame;
      const corrupt = frame.slice();
      corrupt[0] = corrupt[0]! ^ 0x01; // the fixmap header now claims one entry more than the frame holds
      return corrupt;
    });
    const report = verifyTranscriptBundle({ ...bundle, responder: { ...bundle.responder, frames } }, auditRoster());
    // The leaf logs the round completed, so lab-b's frames, whose FINISH no longer verifies, are
    // lab-a's account (audit.md §9.1, "A completed or disputed leaf"): the exporter is at fault.
    expect(report.failure).toMatchObject({ name: 'messages-responder', party: 'exporter', member: 'lab-a' });
    expect(report.failure!.detail).toMatch(/^the leaf logs the round completed, but no FINISH signature of lab-b verifies over the recomputed TH_final, so its frames are lab-a's account; an exporter that finished the round had checked them \(lab-b frame 3 does not decode: .+ → malformed-message\]\)$/);
    const completed = detail(report, 'completed');
    expect(completed).toMatch(/^the leaf logs the round completed, but the bundle holds no valid FINISH from lab-b \(the responder\), whose frames failed check "messages-responder": the leaf logs the round completed, but no FINISH signature of lab-b verifies over the recomputed TH_final, so its frames are lab-a's account; an exporter that finished the round had checked them \(lab-b frame 3 does not decode/);
    expect(completed).not.toMatch(/ABORT|aborted/);
    expect(detail(report, 'record-status')).toBe("the leaf logs the responder's claim as 3, but the bundle holds no valid FINISH from lab-b");
  });

  it('a leaf whose claims differ from the FINISH messages: the detail names the party by role, with "the"', () => {
    const report = verifyTranscriptBundle(exportBundle(played, 'initiator', { leaf: { initiatorClaim: 4, responderClaim: 4 } }), auditRoster());
    expect(report.failure).toMatchObject({ name: 'record-status', party: 'exporter' });
    expect(report.failure!.detail).toBe("the leaf logs the initiator's claim as 4, but lab-a's FINISH claims 3");
    expect(report.checks.map((check) => check.detail).join('\n')).not.toMatch(/\ban? (initiator|responder)\b/);
  });

  it('an aborted attempt without any ABORT says who the exporter logged as ending it, and why', () => {
    const bundle = exportBundle(played, 'responder', { leaf: { status: 'aborted', reason: 'timeout', initiatorClaim: null, responderClaim: null, endedBy: 'responder' } });
    const report = verifyTranscriptBundle(bundle, auditRoster());
    expect(detail(report, 'completed')).toBe('the round was aborted: lab-b logged reason timeout, ended by the responder; no party sent an ABORT');
  });
});

describe('an attempt with no frame (audit.md §9.1 checks 2, 10 and 16)', () => {
  // The session never opened: neither party sent a round message, so the bundle holds no frame.
  const nothing = {
    roundId: adHocRoundId,
    records: { initiator: [], responder: [] },
    results: { initiator: { status: 'aborted', reason: 'peer-unreachable' }, responder: { status: 'aborted', reason: 'peer-unreachable' } },
  } as unknown as PlayedRound;

  it('passes every check it can with an aborted leaf of empty attempt hash, and names no party at fault', () => {
    const report = verifyTranscriptBundle(exportBundle(nothing, 'initiator'), auditRoster());
    expect(status(report)).toMatchObject({
      bundle: 'pass', 'round-record': 'pass', roster: 'pass', 'tree-head': 'pass', 'log-inclusion': 'pass',
      'messages-initiator': 'pass', 'messages-responder': 'pass', policy: 'skip', slot: 'pass', transcript: 'pass', 'record-status': 'pass',
    });
    expect(report.failure).toMatchObject({ name: 'completed', party: null });
    expect(report.failure!.detail).toBe('the round was aborted: lab-a logged reason peer-unreachable, ended by the initiator; no party sent an ABORT');
  });

  it('a leaf that claims set sizes, evaluations or an attempt hash the frames do not give fails the transcript check', () => {
    for (const leaf of [{ initiatorSetSize: 5 }, { responderEvaluations: 0, initiatorSetSize: 0 }, { transcriptHash: new Uint8Array(64).fill(1) }]) {
      const report = verifyTranscriptBundle(exportBundle(nothing, 'initiator', { leaf }), auditRoster());
      expect(report.failure).toMatchObject({ name: 'transcript', party: 'exporter' });
    }
  });

  it('a leaf that logs such an attempt completed is the exporter\'s fault (record-status)', () => {
    const leaf = {
      status: 'completed', reason: '', transcriptHash: new Uint8Array(64).fill(2), initiatorClaim: 0, responderClaim: 0, endedBy: null,
      initiatorSetSize: 0, responderSetSize: 0, initiatorEvaluations: 0, responderEvaluations: 0,
    } as const;
    const report = verifyTranscriptBundle(exportBundle(nothing, 'initiator', { leaf }), auditRoster());
    expect(status(report)).toMatchObject({ 'round-record': 'pass', 'messages-initiator': 'pass', transcript: 'skip' });
    expect(report.failure).toMatchObject({ name: 'record-status', party: 'exporter' });
  });
});

describe('LABELS are judged from the labels digest (audit.md §9.1 checks 6–7)', () => {
  it('with agreed fields, a party that sent FINISH with the digest of the empty stream sent no LABELS: its fault', () => {
    const played = playRound({
      elements: { initiator: a, responder: b },
      policy: { initiator: { labelFields: ['reason'] }, responder: { labelFields: ['reason'] } },
      labels: { initiator: aligned([{ reason: 'scripted' }], a.length) },
    });
    const bundle = exportBundle(played, 'responder');
    expectValid(verifyTranscriptBundle(bundle, auditRoster()));
    const report = verifyTranscriptBundle({ ...bundle, responder: { ...bundle.responder, labelsDigest: emptyLabelsDigest('responder') } }, auditRoster());
    expect(report.failure).toMatchObject({ name: 'messages-responder', party: 'responder' });
    expect(report.failure!.detail).toContain('sent FINISH without LABELS although label fields reason were agreed');
  });

  it('without agreed fields, any digest other than the empty stream\'s means LABELS were sent: that party\'s fault', () => {
    const played = playRound({ elements: { initiator: a, responder: b }, policy: { initiator: { labelFields: ['reason'] }, responder: { labelFields: ['category'] } } });
    const bundle = exportBundle(played, 'initiator');
    expectValid(verifyTranscriptBundle(bundle, auditRoster()));
    const report = verifyTranscriptBundle({ ...bundle, initiator: { ...bundle.initiator, labelsDigest: new Uint8Array(64).fill(8) } }, auditRoster());
    expect(report.failure).toMatchObject({ name: 'messages-initiator', party: 'initiator' });
    expect(report.failure!.detail).toContain('sent LABELS although no label field was agreed');
  });
});

describe('junk arguments', () => {
  const played = playRound({ elements: { initiator: a.slice(0, 2), responder: b.slice(0, 2) } });
  const bundle = exportBundle(played, 'initiator');
  const junkBundles: Array<[string, unknown]> = [
    ['null', null],
    ['a string', 'bundle'],
    ['an object missing its parties', { ...bundle, initiator: undefined }],
    ['frames that are not bytes', { ...bundle, responder: { ...bundle.responder, frames: ['frame'] } }],
    ['a negative leaf index', { ...bundle, leafIndex: -1 }],
  ];
  it.each(junkBundles)('a bundle that is %s fails the bundle check, blaming the exporter', (_, junk) => {
    const report = verifyTranscriptBundle(junk as TranscriptBundle, auditRoster());
    expect(report.valid).toBe(false);
    expect(report.failure).toMatchObject({ name: 'bundle', party: 'exporter' });
    expect(report.checks.slice(1).every((check) => check.status === 'skip')).toBe(true);
  });

  const roster = auditRoster();
  const junkRosters: Array<[string, unknown]> = [
    ['null', null],
    ['a digest of 31 bytes', { ...roster, digest: new Uint8Array(31) }],
    ['members that are not an array', { ...roster, members: {} }],
    ['a member without a key', { ...roster, members: [{ ...roster.members[0], identityKey: undefined }] }],
    ['a schedule without functions', { ...roster, schedule: {} }],
  ];
  it.each(junkRosters)('a roster that is %s is refused with a ValidationError', (_, junk) => {
    expect(() => verifyTranscriptBundle(bundle, junk as ReturnType<typeof auditRoster>)).toThrow(ValidationError);
  });
});

describe('mutation', () => {
  it('every one of 1,000 copies with one random byte changed fails verification', () => {
    const played = playRound({
      elements: { initiator: a, responder: b },
      policy: { initiator: { labelFields: ['reason'] }, responder: { labelFields: ['reason'] } },
      labels: { initiator: aligned([{ reason: 'scripted' }], a.length), responder: aligned([undefined, { reason: 'card' }], b.length) },
    });
    const bytes = encodeTranscriptBundle(exportBundle(played, 'initiator'));
    const roster = auditRoster();
    expectValid(verifyTranscriptBundle(bytes, roster));
    const random = seededRng('mutation');
    const failures = new Map<string, number>();
    const positions = new Set<number>();
    for (let copy = 0; copy < 1000; copy++) {
      const [p0, p1, p2, flip] = random(4) as unknown as [number, number, number, number];
      const position = ((p0 << 16) | (p1 << 8) | p2) % bytes.length;
      positions.add(position);
      const mutated = bytes.slice();
      mutated[position] = mutated[position]! ^ (flip === 0 ? 0x01 : flip);
      const report = verifyTranscriptBundle(mutated, roster);
      if (report.valid) throw new Error(`flipping byte ${position} (of ${bytes.length}) left the bundle valid`);
      failures.set(report.failure!.name, (failures.get(report.failure!.name) ?? 0) + 1);
    }
    // The flips spread over the whole bundle and are caught by many different checks.
    expect(positions.size).toBeGreaterThan(600);
    expect(failures.size).toBeGreaterThanOrEqual(4);
  }, 120_000);
});
