/**
 * The bundle verifier's own run (audit.md §9.1–§9.4), on real rounds with one thing changed: a
 * bundle that does not decode, a LABELS frame in clear, a leaf that does not decode or names
 * another round or two labs outside the roster, a head under another key, a FINISH with no
 * transcript to check it against, an aborted leaf that misstates its attempt or has no frame at
 * all, LABELS judged from the digests (a stray digest next to a frame fault, two agreed fields
 * and no LABELS), ABORT codes the bundle can refute, the epoch summary and the
 * previous bundles of an epoch round, and errors that are not Venn errors. Each test pins the check,
 * the party and the detail the auditor reads.
 */
import { Transcript, type EpochRoundInput, type Role } from '@venn/protocol';
import { decodeMessage, encodeMessage, type Message } from '@venn/wire';
import { describe, expect, it } from 'vitest';
import { MapEpochState } from '../../protocol/scripts/epoch-state.js';
import { BUNDLE_CHECKS, attemptAccounts, emptyLabelsDigest, encodeRoundRecord, verifyTranscriptBundle, type AuditRoster, type BundleReport, type TranscriptBundle } from '../src/index.js';
import { Checks, finalTranscriptHash } from '../src/internal/verify-bundle.js';
import {
  auditRoster, digest, epochRoundId, epochSchedule, exportBundle, ids, initiatorEpochId, keys, leafRecord, playRound, tamperedBundle, type PlayedRound,
} from './round-harness.js';

const a = ['s1', 's2', 's3', 'a1', 'a2'].map(digest);
const b = ['b1', 's3', 'b2', 's1', 's2', 'b3'].map(digest);
const hex = (bytes: Uint8Array): string => Buffer.from(bytes).toString('hex');
const check = (report: BundleReport, name: string) => report.checks.find((entry) => entry.name === name)!;
const played = playRound({ elements: { initiator: a, responder: b } });
const honest = exportBundle(played, 'initiator');

/** Every check after `first` skipped with `reason`. */
function expectSkippedAfter(report: BundleReport, first: string, reason: string): void {
  const after = BUNDLE_CHECKS.slice(BUNDLE_CHECKS.indexOf(first as (typeof BUNDLE_CHECKS)[number]) + 1);
  expect(report.checks.filter((entry) => after.includes(entry.name))).toEqual(after.map((name) => ({ name, status: 'skip', party: null, member: null, detail: reason })));
}

/**
 * A bundle object as a caller might hand it over, read lazily from a store: reading its exporter
 * fails with the store's own error, which is not a Venn error.
 */
function unreadable(bundle: TranscriptBundle, error: Error): TranscriptBundle {
  return Object.defineProperty({ ...bundle }, 'exporter', { get: () => { throw error; } });
}

describe('the exporter\'s account, refused before the round is looked at', () => {
  it('a bundle that does not decode is the exporter\'s fault, naming the decoder\'s error; every other check is skipped', () => {
    const report = verifyTranscriptBundle(Uint8Array.of(0xc1), auditRoster());
    expect(report.valid).toBe(false);
    expect(report.failure).toEqual({
      name: 'bundle', status: 'fail', party: 'exporter', member: null,
      detail: 'the bundle does not decode: transcript bundle "bundle" expected a map, got msgpack type byte 0xc1 at offset 0 [wrong-type]',
    });
    expectSkippedAfter(report, 'bundle', 'the bundle did not decode');
    expect(report.summary.exporter).toBeNull();
  });

  it('a LABELS frame in clear is the exporter\'s fault, and nothing after the bundle check runs', () => {
    const labels = encodeMessage({ kind: 'labels', roundId: played.roundId, seq: 0, end: true, entries: [] });
    const report = verifyTranscriptBundle({ ...honest, responder: { ...honest.responder, frames: [...honest.responder.frames, labels] } }, auditRoster());
    expect(report.failure).toEqual({
      name: 'bundle', status: 'fail', party: 'exporter', member: 'lab-a',
      detail: 'a LABELS frame appears in clear; bundles carry only the LABELS stream digests (audit.md §8.1)',
    });
    expectSkippedAfter(report, 'bundle', 'the bundle is malformed');
  });

  it('a leaf that does not decode fails round-record with the decoder\'s error, and the later checks are skipped', () => {
    const report = verifyTranscriptBundle({ ...honest, leaf: Uint8Array.of(0x07) }, auditRoster());
    expect(check(report, 'bundle').status).toBe('pass');
    expect(report.failure).toEqual({ name: 'round-record', status: 'fail', party: 'exporter', member: 'lab-a', detail: 'the exporter\'s log leaf does not decode: round record "version" expected 2, got 7 [unsupported-version]' });
    expectSkippedAfter(report, 'round-record', 'the log leaf did not decode');
  });

  it('a leaf of another round than every frame names is the exporter\'s fault, quoting both round ids', () => {
    const other = new Uint8Array(32).fill(0x5c);
    const report = verifyTranscriptBundle(exportBundle(played, 'initiator', { leaf: { roundId: other } }), auditRoster());
    expect(report.failure).toEqual({
      name: 'round-record', status: 'fail', party: 'exporter', member: 'lab-a',
      detail: `the leaf records round ${hex(other)}, but every frame carries another round id (${hex(played.roundId)})`,
    });
  });

  it('a leaf naming two labs outside the roster lists both in the roster check', () => {
    // The bundle builder refuses such a leaf: the exporter swapped it in afterwards.
    const report = verifyTranscriptBundle({ ...honest, leaf: encodeRoundRecord(leafRecord(played, 'initiator', { initiatorId: 'lab-y', responderId: 'lab-z' })) }, auditRoster());
    expect(report.failure).toMatchObject({ name: 'round-record', party: 'exporter', detail: 'the exporter lab-a is neither party of the logged round (lab-y, lab-z)' });
    expect(check(report, 'roster')).toEqual({ name: 'roster', status: 'fail', party: 'exporter', member: 'lab-a', detail: 'the leaf names a lab that is not a roster member (lab-y, lab-z)' });
  });

  it('a tree head signed by another key than the exporter\'s roster key names the head\'s size and the exporter', () => {
    const report = verifyTranscriptBundle(exportBundle(played, 'initiator', { headKey: keys.responder.secretKey.slice() }), auditRoster());
    expect(report.failure).toEqual({
      name: 'tree-head', status: 'fail', party: 'exporter', member: 'lab-a',
      detail: 'the tree head (size 8) is not signed by lab-a\'s roster identity key',
    });
    expect(check(report, 'log-inclusion').status).toBe('pass');
  });
});

describe('a FINISH with no transcript hash to check it against', () => {
  it('is skipped with that reason when the peer\'s OFFER fails its own checks, so no TH_final is recomputed', () => {
    // lab-b's OFFER names another roster: it is no OFFER of the round, yet lab-a's FINISH followed it.
    const bundle = tamperedBundle(played, 'responder', (frames) => frames.map((m) => (m.kind === 'offer' ? { ...m, rosterDigest: new Uint8Array(32).fill(0xee) } : m)));
    const report = verifyTranscriptBundle(bundle, auditRoster());
    expect(check(report, 'messages-initiator').status).toBe('pass');
    expect(report.failure).toMatchObject({ name: 'messages-responder', party: 'responder', member: 'lab-b' });
    // tamperedBundle logs the attempt lab-a aborted over lab-b's frames (under a completed leaf
    // they would be lab-a's account, audit.md §9.1, "A completed or disputed leaf"): check 12 is
    // then the attempt hash, which needs no OFFER, and no TH_final is recomputed.
    expect(report.summary.transcriptHash).toBeNull();
    expect(check(report, 'transcript')).toEqual({
      name: 'transcript', status: 'pass', party: null, member: null,
      detail: 'attempt hash 55d8d386e878db62… recomputed from the frames equals the logged one; the initiator asked for 5 evaluations and received 5, the responder asked for 6 evaluations and received 6; ended by the initiator',
    });
    expect(check(report, 'finish-initiator')).toEqual({ name: 'finish-initiator', status: 'skip', party: null, member: null, detail: 'no transcript hash to check the signature against' });
    expect(check(report, 'finish-responder')).toEqual({ name: 'finish-responder', status: 'skip', party: null, member: null, detail: 'lab-b sent no FINISH' });
  });
});

describe('an aborted leaf against its attempt (audit.md §3, §9.1 check 12)', () => {
  // lab-b refuses lab-a's 5 elements over its cap of 4: lab-a's OFFER, lab-b's ABORT.
  const refused = playRound({ elements: { initiator: a, responder: b }, policy: { responder: { maxPeerSetSize: 4 } } });

  it('a leaf that misstates three counts names each, in field order, joined by semicolons', () => {
    expect(refused.results.responder).toMatchObject({ status: 'aborted', reason: 'set-too-large' });
    const bundle = exportBundle(refused, 'responder', { leaf: { responderSetSize: 7, initiatorEvaluations: 3, responderEvaluations: 2 } });
    const report = verifyTranscriptBundle(bundle, auditRoster());
    expect(report.failure).toEqual({
      name: 'transcript', status: 'fail', party: 'exporter', member: 'lab-b',
      detail: 'lab-b\'s leaf misstates the attempt: "responderSetSize" is 7 in the leaf, null in the frames; "initiatorEvaluations" is 3 in the leaf, 0 in the frames; "responderEvaluations" is 2 in the leaf, 0 in the frames',
    });
  });

  /** An attempt in which neither party sent a frame (the session never opened), logged by lab-a. */
  const nothing = {
    roundId: played.roundId,
    records: { initiator: [], responder: [] },
    results: { initiator: { status: 'aborted', reason: 'peer-unreachable' }, responder: { status: 'aborted', reason: 'peer-unreachable' } },
  } as unknown as PlayedRound;

  it('with no frame at all, the empty attempt hash logged is recomputed: "(none: no frame)"', () => {
    const report = verifyTranscriptBundle(exportBundle(nothing, 'initiator'), auditRoster());
    expect(check(report, 'transcript')).toEqual({
      name: 'transcript', status: 'pass', party: null, member: null,
      detail: 'attempt hash (none: no frame)… recomputed from the frames equals the logged one; the initiator recorded no OFFER (so asked for no evaluations) and received 0, the responder recorded no OFFER (so asked for no evaluations) and received 0; ended by the initiator',
    });
    expect(report.failure).toMatchObject({ name: 'completed', party: null });
  });

  it('with no frame at all, a logged attempt hash is the exporter\'s fault: the recomputed one is "none"', () => {
    const logged = new Uint8Array(64).fill(0xab);
    const report = verifyTranscriptBundle(exportBundle(nothing, 'initiator', { leaf: { transcriptHash: logged } }), auditRoster());
    expect(report.failure).toEqual({
      name: 'transcript', status: 'fail', party: 'exporter', member: 'lab-a',
      detail: `lab-a's leaf misstates the attempt: the attempt hash recomputed from the frames (none…) differs from the one logged (${'ab'.repeat(8)}…)`,
    });
  });
});

describe('LABELS judged from the labels digests (audit.md §9.1 checks 6–7, SPEC §5.7)', () => {
  it('a party whose frames already broke a rule is named for that rule, not for a stray labels digest', () => {
    // lab-b sends its FINISH twice, and its labels digest is not the empty stream's although no field is agreed.
    const bundle = tamperedBundle(played, 'responder', (frames) => [...frames, frames.at(-1)!]);
    const report = verifyTranscriptBundle({ ...bundle, responder: { ...bundle.responder, labelsDigest: new Uint8Array(64).fill(0x11) } }, auditRoster());
    expect(report.failure).toEqual({ name: 'messages-responder', status: 'fail', party: 'responder', member: 'lab-b', detail: 'lab-b frame 4: sent FINISH after its FINISH [unexpected-message]' });
  });

  it('FINISH without LABELS although two fields were agreed names both fields', () => {
    const labelled = playRound({
      elements: { initiator: a, responder: b },
      policy: { initiator: { labelFields: ['category', 'reason'] }, responder: { labelFields: ['category', 'first_seen', 'reason'] } },
    });
    const honestBundle = exportBundle(labelled, 'responder');
    expect(hex(honestBundle.initiator.labelsDigest)).not.toBe(hex(emptyLabelsDigest('initiator')));
    // lab-a's FINISH came without LABELS: lab-b, the exporter, refuses it and logs the attempt
    // aborted over what it recorded (audit.md §3). Under a completed leaf of lab-b's, lab-a's
    // frames, which no FINISH signature then covers, would be lab-b's account (audit.md §9.1, "A
    // completed or disputed leaf").
    const initiator = { ...honestBundle.initiator, labelsDigest: emptyLabelsDigest('initiator') };
    const { attemptHash, ...accounts } = attemptAccounts({ initiator, responder: honestBundle.responder });
    const aborted = exportBundle(labelled, 'responder', {
      leaf: { status: 'aborted', reason: 'unexpected-message', transcriptHash: attemptHash, initiatorClaim: null, responderClaim: null, endedBy: 'responder', ...accounts },
    });
    const report = verifyTranscriptBundle({ ...aborted, initiator }, auditRoster());
    expect(check(report, 'transcript').status).toBe('pass');
    expect(report.failure).toEqual({
      name: 'messages-initiator', status: 'fail', party: 'initiator', member: 'lab-a',
      detail: 'lab-a sent FINISH without LABELS although label fields category, reason were agreed [unexpected-message]',
    });
    expect(check(report, 'messages-responder').status).toBe('pass');
  });
});

describe('ABORT codes whose cause the bundle would show (SPEC §9)', () => {
  // lab-a's FINISH replaced by an ABORT with `reason`, as lab-b recorded it: lab-b's frames are all in order.
  const aborted = (reason: string) => {
    const bundle = tamperedBundle(played, 'initiator', (frames) => frames.map((m) => (m.kind === 'finish' ? { kind: 'abort', roundId: m.roundId, reason, detail: '' } as Message : m)));
    return check(verifyTranscriptBundle(bundle, auditRoster()), 'completed');
  };

  for (const reason of ['duplicate-chunk', 'count-mismatch', 'bad-signature', 'round-mismatch']) {
    it(`an ABORT ${reason} the frames do not bear out is the fault of the party that sent it`, () => {
      expect(aborted(reason)).toEqual({
        name: 'completed', status: 'fail', party: 'initiator', member: 'lab-a',
        detail: `the leaf logs the round completed, but the bundle holds no valid FINISH from lab-a (the initiator); lab-a sent ABORT ${reason}; the bundle shows no ${reason} by lab-b`,
      });
    });
  }

  it('an ABORT timeout cannot be checked and blames nobody', () => {
    expect(aborted('timeout')).toMatchObject({ party: null, member: null });
  });
});

describe('a round of a key epoch: its summary and the previous bundles given', () => {
  const roster: AuditRoster = { ...auditRoster(), schedule: epochSchedule };
  const epochId = initiatorEpochId('audit-test/epoch');
  const lists: ReadonlyArray<Record<Role, string[]>> = [
    { initiator: ['s1', 's2', 's3', 'a1', 'a2'], responder: ['s1', 's2', 's3', 'b1', 'b2', 'later'] },
    { initiator: ['s2', 's3', 'a1', 'later', 'a3'], responder: ['s1', 's3', 'b1', 'b2', 'later', 'b3'] },
  ];
  const states = { initiator: new MapEpochState(epochId, 'audit/epoch/a'), responder: new MapEpochState(epochId, 'audit/epoch/b') };
  const bundles = lists.map((list, index) => {
    const inputs = (['initiator', 'responder'] as const).map((role) => states[role].next(list[role].map(digest)));
    const round = playRound({
      roundId: epochRoundId(epochId, index),
      elements: { initiator: inputs[0]!.additions, responder: inputs[1]!.additions },
      epoch: { initiator: inputs[0]!.epoch as EpochRoundInput, responder: inputs[1]!.epoch as EpochRoundInput },
    });
    for (const role of ['initiator', 'responder'] as const) states[role].apply(round.results[role] as Parameters<MapEpochState['apply']>[0]);
    return exportBundle(round, 'initiator');
  });
  const chainSkip = { name: 'epoch-chain', status: 'skip', party: null, member: null, detail: 'needs the bundle of round 0 of the epoch (none of the bundles given is)' };

  it('the summary states the epoch, the round\'s index and each party\'s acc and rem', () => {
    const report = verifyTranscriptBundle(bundles[1]!, roster);
    expect(report.summary.epoch).toEqual({ id: hex(epochId), index: 1, accumulated: { initiator: 5, responder: 6 }, removals: { initiator: 2, responder: 1 } });
  });

  it('a previous bundle that does not decode is left out: the chain is skipped as if it were not given', () => {
    const report = verifyTranscriptBundle(bundles[1]!, roster, { previous: [Uint8Array.of(0xc1)] });
    expect(check(report, 'epoch-chain')).toEqual(chainSkip);
    // Beside it, the bundle of round 0 still makes the chain.
    const both = verifyTranscriptBundle(bundles[1]!, roster, { previous: [Uint8Array.of(0xc1), bundles[0]!] });
    expect(check(both, 'epoch-chain')).toMatchObject({ status: 'pass' });
  });

  it('a previous bundle whose reading fails with an error that is not a Venn error propagates it', () => {
    const error = new RangeError('the bundle store is closed');
    expect(() => verifyTranscriptBundle(bundles[1]!, roster, { previous: [unreadable(bundles[0]!, error)] })).toThrow(error);
  });

  it('a plain round does not read the previous bundles given at all', () => {
    const report = verifyTranscriptBundle(honest, auditRoster(), { previous: [unreadable(bundles[0]!, new RangeError('the bundle store is closed'))] });
    expect(report.failure).toBeNull();
    expect(check(report, 'epoch-chain')).toMatchObject({ status: 'pass', detail: 'a plain round: no chain' });
  });
});

describe('errors that are not Venn errors', () => {
  it('a bundle object whose reading fails that way is not the exporter\'s fault: the error propagates', () => {
    const error = new RangeError('the bundle store is closed');
    expect(() => verifyTranscriptBundle(unreadable(honest, error), auditRoster())).toThrow(error);
  });
});

describe('the list of checks a verification builds', () => {
  it('starts empty; fail names the member of the party at fault, none for no party', () => {
    const checks = new Checks();
    expect(checks.list).toEqual([]);
    checks.members.initiator = ids.initiator;
    checks.fail('policy', 'initiator', 'x');
    checks.fail('slot', null, 'y');
    checks.fail('epoch', 'responder', 'z');
    expect(checks.list).toEqual([
      { name: 'policy', status: 'fail', party: 'initiator', member: 'lab-a', detail: 'x' },
      { name: 'slot', status: 'fail', party: null, member: null, detail: 'y' },
      { name: 'epoch', status: 'fail', party: 'responder', member: null, detail: 'z' },
    ]);
  });

  it('failed(name) is true only for a failed check of that name', () => {
    const checks = new Checks();
    checks.pass('bundle', 'ok');
    checks.fail('roster', null, 'another roster');
    expect(checks.failed('roster')).toBe(true);
    expect(checks.failed('round-record')).toBe(false);
    expect(checks.failed('bundle')).toBe(false);
  });
});

describe('TH_final from a transcript and the two labels digests', () => {
  it('is the plain round\'s (SPEC §7.3, ten streams) unless told the round is of a key epoch', () => {
    const transcript = new Transcript();
    for (const kind of ['offer', 'blinded', 'evaluated'] as const) {
      for (const role of ['initiator', 'responder'] as const) {
        for (const frame of honest[role].frames) if (decodeMessage(frame).kind === kind) transcript.absorb(role, kind, frame);
      }
    }
    const labels = { initiator: honest.initiator.labelsDigest, responder: honest.responder.labelsDigest };
    expect(played.results.initiator).toMatchObject({ status: 'completed' });
    const logged = hex((played.results.initiator as { transcriptHash: Uint8Array }).transcriptHash);
    expect(hex(finalTranscriptHash(transcript, labels))).toBe(logged);
    expect(hex(finalTranscriptHash(transcript, labels, true))).not.toBe(logged);
  });
});
