/**
 * The bundle verifier's policy check (audit.md §9.1 check 8) branch by branch, on bundles of real
 * rounds with one thing changed each: the responder's set over the initiator's stated cap, an
 * OFFER pair in two modes, label fields offered in cardinality mode, and the boundaries of the
 * caps (equal passes, one over fails). Each test pins the failing check, the party at fault, its
 * member id and the error code the detail carries.
 */
import { decodeMessage, encodeMessage, type Message } from '@venn/wire';
import { describe, expect, it } from 'vitest';
import { BUNDLE_CHECKS, decodeRoundRecord, verifyTranscriptBundle, type BundleReport } from '../src/index.js';
import { abortedExport, auditRoster, digest, exportBundle, hourlySchedule, ids, playRound, type InFlight, type PlayedRound } from './round-harness.js';

const a = ['s1', 's2', 's3', 'a1', 'a2'].map(digest);
const b = ['b1', 's3', 'b2', 's1', 's2', 'b3'].map(digest);
const status = (report: BundleReport): Record<string, string> => Object.fromEntries(report.checks.map((check) => [check.name, check.status]));
const check = (report: BundleReport, name: string) => report.checks.find((entry) => entry.name === name)!;

/** Rewrites the OFFER `from` sends. */
function offerOf(from: 'initiator' | 'responder', change: (offer: Extract<Message, { kind: 'offer' }>) => Extract<Message, { kind: 'offer' }>): (message: InFlight) => Uint8Array {
  return (message) => (message.from === from && message.kind === 'offer' ? encodeMessage(change(decodeMessage(message.bytes) as Extract<Message, { kind: 'offer' }>)) : message.bytes);
}

type Offer = Extract<Message, { kind: 'offer' }>;

/**
 * The round as both sides recorded it, cut after the two OFFERs, with `from`'s OFFER rewritten in
 * both records: what a bundle of a round whose OFFERs were exchanged that way holds. Checks after
 * the policy check (transcript, signatures) then fail too, but the policy check is the verdict.
 */
function offersOnly(played: PlayedRound, from: 'initiator' | 'responder', change: (offer: Offer) => Offer): PlayedRound {
  const records = Object.fromEntries((['initiator', 'responder'] as const).map((role) => [role, played.records[role]
    .filter(({ bytes }) => decodeMessage(bytes).kind === 'offer')
    .map((entry) => {
      const sender = (entry.direction === 'sent') === (role === from);
      return sender ? { ...entry, bytes: encodeMessage(change(decodeMessage(entry.bytes) as Offer)) } : entry;
    })]));
  return { ...played, records: records as PlayedRound['records'] };
}

function expectValid(report: BundleReport): void {
  expect(report.failure).toBeNull();
  expect(report.valid).toBe(true);
  expect(report.checks.map((entry) => entry.name)).toEqual([...BUNDLE_CHECKS]);
}

describe('policy: the responder\'s set within the initiator\'s cap (SPEC §4.5 OFFER steps 5–6)', () => {
  it('a responder set one over the initiator\'s stated cap is the responder\'s fault, from either bundle', () => {
    // The OFFERs state: the initiator's cap is 5, and the responder put its 6 elements into the round anyway.
    const played = offersOnly(playRound({ elements: { initiator: a, responder: b } }), 'initiator', (offer) => ({ ...offer, maxPeerSetSize: 5 }));
    // lab-a refuses lab-b's OFFER (step 6) and logs the attempt aborted, as an honest exporter does
    // (audit.md §3): under a completed leaf of lab-a's, lab-b's OFFER, which no FINISH signature
    // covers, would be lab-a's account (audit.md §9.1, "A completed or disputed leaf"). lab-b's
    // completed leaf is its own account of its own fault.
    const refused = exportBundle(played, 'initiator');
    const abort = encodeMessage({ kind: 'abort', roundId: played.roundId, reason: 'set-too-large', detail: '' });
    const bundles = {
      initiator: abortedExport(played, { ...refused, initiator: { ...refused.initiator, frames: [...refused.initiator.frames, abort] } }, 'set-too-large'),
      responder: exportBundle(played, 'responder'),
    };
    expect(decodeRoundRecord(bundles.initiator.leaf)).toMatchObject({ status: 'aborted', reason: 'set-too-large', endedBy: 'initiator' });
    for (const exporter of ['initiator', 'responder'] as const) {
      const report = verifyTranscriptBundle(bundles[exporter], auditRoster());
      expect(report.valid).toBe(false);
      expect(report.failure).toMatchObject({ name: 'policy', status: 'fail', party: 'responder', member: 'lab-b' });
      expect(report.failure!.detail).toBe('lab-b put 6 elements into the round, over lab-a\'s cap of 5 [set-too-large]');
      expect(status(report)).toMatchObject({ 'messages-initiator': 'pass', 'messages-responder': 'pass', policy: 'fail' });
      expect(report.summary.caps).toEqual({ initiator: 5, responder: 65_536 });
      expect(report.summary.setSizes).toEqual({ initiator: 5, responder: 6 });
    }
  });

  it('an honest responder over the initiator\'s cap refuses instead: the policy check passes and the round is aborted', () => {
    const played = playRound({ elements: { initiator: a, responder: b }, policy: { initiator: { maxPeerSetSize: 5 } } });
    expect(played.results.responder).toMatchObject({ status: 'aborted', reason: 'set-too-large' });
    const report = verifyTranscriptBundle(exportBundle(played, 'initiator'), auditRoster());
    expect(check(report, 'policy').status).toBe('pass');
    expect(report.failure).toMatchObject({ name: 'completed', party: null, member: null });
  });

  it('a responder set exactly at the initiator\'s cap passes the policy check and the round verifies', () => {
    const played = playRound({ elements: { initiator: a, responder: b }, policy: { initiator: { maxPeerSetSize: 6 }, responder: { maxPeerSetSize: 5 } } });
    const report = verifyTranscriptBundle(exportBundle(played, 'responder'), auditRoster());
    expectValid(report);
    expect(check(report, 'policy').detail).toBe('mode intersection; lab-a n=5 cap=6; lab-b n=6 cap=5; within both roster policies');
    expect(report.summary.caps).toEqual({ initiator: 6, responder: 5 });
  });

  it('an initiator set one over the responder\'s stated cap is still the responder\'s fault: it had to refuse', () => {
    const played = playRound({ elements: { initiator: a, responder: b }, intercept: offerOf('responder', (offer) => ({ ...offer, maxPeerSetSize: 4 })) });
    const report = verifyTranscriptBundle(exportBundle(played, 'initiator'), auditRoster());
    expect(report.failure).toMatchObject({ name: 'policy', party: 'responder', member: 'lab-b' });
    expect(report.failure!.detail).toBe('lab-b accepted lab-a\'s 5 elements over its own cap of 4 [set-too-large]');
  });
});

describe('policy: one mode for the round (SPEC §4.5 OFFER step 3)', () => {
  it('a responder OFFER in cardinality mode answering an intersection OFFER fails the policy check, blaming the responder', () => {
    const played = playRound({ elements: { initiator: a, responder: b }, intercept: offerOf('responder', (offer) => ({ ...offer, mode: 'cardinality' })) });
    expect(played.results.initiator).toMatchObject({ status: 'aborted', reason: 'policy-mismatch' });
    const report = verifyTranscriptBundle(exportBundle(played, 'initiator'), auditRoster());
    expect(report.valid).toBe(false);
    expect(report.failure).toMatchObject({ name: 'policy', status: 'fail', party: 'responder', member: 'lab-b' });
    expect(report.failure!.detail).toBe('lab-b answered an OFFER in intersection mode with one in cardinality mode [policy-mismatch]');
    expect(status(report)).toMatchObject({ 'messages-initiator': 'pass', 'messages-responder': 'pass' });
    // The summary states the mode of the initiator's OFFER, which fixes the round's.
    expect(report.summary.mode).toBe('intersection');
  });

  it('an initiator OFFER in cardinality mode answered in intersection mode is the responder\'s fault too', () => {
    const played = offersOnly(playRound({ elements: { initiator: a, responder: b } }), 'initiator', (offer) => ({ ...offer, mode: 'cardinality' }));
    const report = verifyTranscriptBundle(exportBundle(played, 'responder'), auditRoster());
    expect(report.failure).toMatchObject({ name: 'policy', party: 'responder', member: 'lab-b' });
    expect(report.failure!.detail).toBe('lab-b answered an OFFER in cardinality mode with one in intersection mode [policy-mismatch]');
    expect(report.summary.mode).toBe('cardinality');
  });
});

describe('policy: label fields (roster.md §1, SPEC §5.7)', () => {
  it('label fields offered in cardinality mode fail the policy check, blaming the party that offered them', () => {
    const played = playRound({ elements: { initiator: a, responder: b }, mode: 'cardinality', intercept: offerOf('initiator', (offer) => ({ ...offer, labelFields: ['reason'] })) });
    expect(played.results.responder).toMatchObject({ status: 'aborted', reason: 'policy-mismatch' });
    // The roster policy shares every field: only the mode makes the fields wrong.
    const report = verifyTranscriptBundle(exportBundle(played, 'responder'), auditRoster());
    expect(report.failure).toMatchObject({ name: 'policy', status: 'fail', party: 'initiator', member: 'lab-a' });
    expect(report.failure!.detail).toBe('lab-a offered label fields in cardinality mode [policy-mismatch]');
    expect(report.summary.mode).toBe('cardinality');
  });

  it('the same label field in intersection mode passes the policy check', () => {
    const played = playRound({ elements: { initiator: a, responder: b }, policy: { initiator: { labelFields: ['reason'] }, responder: { labelFields: ['category'] } } });
    const report = verifyTranscriptBundle(exportBundle(played, 'initiator'), auditRoster());
    expectValid(report);
    expect(check(report, 'policy').status).toBe('pass');
  });

  it('a label field its roster policy does not share is blamed on the responder when the responder offers it', () => {
    const played = playRound({ elements: { initiator: a, responder: b }, policy: { responder: { labelFields: ['category', 'first_seen', 'reason'] } } });
    const report = verifyTranscriptBundle(exportBundle(played, 'initiator'), auditRoster({ responder: { maxPeerSetSize: 65_536, modes: ['intersection'], shareLabels: ['reason'] } }));
    expect(report.failure).toMatchObject({ name: 'policy', party: 'responder', member: 'lab-b' });
    expect(report.failure!.detail).toBe('lab-b offered label fields category, first_seen that its roster policy does not share');
  });
});

describe('policy: the stated cap against the roster policy', () => {
  it('a cap equal to the roster policy\'s passes; one above it fails, naming both caps', () => {
    const played = playRound({ elements: { initiator: a, responder: b }, policy: { initiator: { maxPeerSetSize: 700 } } });
    expectValid(verifyTranscriptBundle(exportBundle(played, 'initiator'), auditRoster({ initiator: { maxPeerSetSize: 700, modes: ['intersection'], shareLabels: [] } })));
    const report = verifyTranscriptBundle(exportBundle(played, 'initiator'), auditRoster({ initiator: { maxPeerSetSize: 699, modes: ['intersection'], shareLabels: [] } }));
    expect(report.failure).toMatchObject({ name: 'policy', party: 'initiator', member: ids.initiator });
    expect(report.failure!.detail).toBe('lab-a stated a cap of 700, above its roster policy\'s 699');
  });

  it('a mode the roster policy does not list names the allowed modes, and says nothing of semi-honesty in intersection mode', () => {
    const played = playRound({ elements: { initiator: a, responder: b } });
    const report = verifyTranscriptBundle(exportBundle(played, 'initiator'), auditRoster({ responder: { maxPeerSetSize: 65_536, modes: ['cardinality'], shareLabels: [] } }));
    expect(report.failure).toMatchObject({ name: 'policy', party: 'responder', member: 'lab-b' });
    expect(report.failure!.detail).toBe('lab-b offered mode intersection, which its roster policy does not allow (cardinality) [policy-mismatch]');
  });
});

describe('policy: bundles with one OFFER or none', () => {
  it('a bundle whose initiator OFFER is the only one is judged on that OFFER alone', () => {
    // The responder refuses the initiator's OFFER before sending its own.
    const played = playRound({ elements: { initiator: a, responder: b }, policy: { responder: { maxPeerSetSize: 4 } } });
    const report = verifyTranscriptBundle(exportBundle(played, 'responder'), auditRoster());
    expect(check(report, 'policy')).toMatchObject({ status: 'pass', detail: 'mode intersection; lab-a n=5 cap=65536; within both roster policies' });
    expect(report.summary.mode).toBe('intersection');
    expect(report.summary.setSizes).toEqual({ initiator: 5, responder: null });
  });
});

describe('policy: a bundle without frames', () => {
  it('skips the policy check, saying there is no OFFER', () => {
    // The session never opened: neither party sent a round message.
    const nothing = {
      roundId: playRound({ elements: { initiator: [], responder: [] } }).roundId,
      records: { initiator: [], responder: [] },
      results: { initiator: { status: 'aborted', reason: 'peer-unreachable' }, responder: { status: 'aborted', reason: 'peer-unreachable' } },
    } as unknown as PlayedRound;
    const report = verifyTranscriptBundle(exportBundle(nothing, 'initiator'), auditRoster());
    expect(check(report, 'policy')).toEqual({ name: 'policy', status: 'skip', party: null, member: null, detail: 'no OFFER in the bundle' });
    expect(report.summary.mode).toBeNull();
  });
});

describe('roster: both parties the leaf names are members (audit.md §9.1 check 2)', () => {
  it('a leaf naming a peer outside the roster, logged by a member under the right roster, is the exporter\'s fault', () => {
    // lab-a logs its round with lab-b as lab-c: the roster digest matches and lab-a is a member.
    const played = playRound({ elements: { initiator: a, responder: b } });
    const report = verifyTranscriptBundle(exportBundle(played, 'initiator', { leaf: { responderId: 'lab-c' } }), auditRoster());
    expect(check(report, 'round-record').status).toBe('pass');
    expect(report.valid).toBe(false);
    expect(report.failure).toEqual({ name: 'roster', status: 'fail', party: 'exporter', member: 'lab-a', detail: 'the leaf names a lab that is not a roster member (lab-c)' });
    expect(check(report, 'tree-head')).toMatchObject({ status: 'skip', detail: 'the round record or roster check failed' });
  });

  it('a leaf naming an initiator outside the roster, logged by the responder, is the exporter\'s fault too', () => {
    const played = playRound({ elements: { initiator: a, responder: b } });
    const report = verifyTranscriptBundle(exportBundle(played, 'responder', { leaf: { initiatorId: 'lab-z' } }), auditRoster());
    expect(check(report, 'round-record').status).toBe('pass');
    expect(report.failure).toEqual({ name: 'roster', status: 'fail', party: 'exporter', member: 'lab-b', detail: 'the leaf names a lab that is not a roster member (lab-z)' });
  });

  it('an exporter outside the roster and the round fails round-record only: the leaf\'s two parties are members', () => {
    const played = playRound({ elements: { initiator: a, responder: b } });
    const bundle = exportBundle(played, 'initiator');
    const report = verifyTranscriptBundle({ ...bundle, exporter: 'lab-c' }, auditRoster());
    expect(report.failure).toEqual({ name: 'round-record', status: 'fail', party: 'exporter', member: 'lab-c', detail: 'the exporter lab-c is neither party of the logged round (lab-a, lab-b)' });
    const digestHex = Buffer.from(auditRoster().digest).toString('hex');
    expect(check(report, 'roster')).toEqual({ name: 'roster', status: 'pass', party: null, member: null, detail: `roster ${digestHex}; lab-a and lab-b are members` });
    expect(check(report, 'tree-head')).toMatchObject({ status: 'skip', detail: 'the round record or roster check failed' });
  });
});

describe('slot: a scheduled round (node.md §3–§4)', () => {
  it('passes with the slot\'s instant when the round id and the initiator follow from the roster, the slot and the pair', () => {
    // The first hourly slot from 2030-03-17T18:00Z whose round lab-a initiates: that one itself.
    let slot = 1_900_000_800 - (1_900_000_800 % 3600);
    while (hourlySchedule.scheduledInitiator(hourlySchedule.scheduledRoundId(slot, 'lab-a', 'lab-b'), 'lab-a', 'lab-b') !== 'lab-a') slot += 3600;
    const played = playRound({ elements: { initiator: a, responder: b }, roundId: hourlySchedule.scheduledRoundId(slot, 'lab-a', 'lab-b') });
    const report = verifyTranscriptBundle(exportBundle(played, 'responder', { leaf: { slot } }), auditRoster());
    expectValid(report);
    expect(check(report, 'slot')).toEqual({
      name: 'slot', status: 'pass', party: null, member: null,
      detail: 'scheduled slot 2030-03-17T18:00:00.000Z; round id and initiator follow from the roster',
    });
    expect(slot).toBe(1_900_000_800);
    expect(report.summary.slot).toBe(slot);
  });
});
