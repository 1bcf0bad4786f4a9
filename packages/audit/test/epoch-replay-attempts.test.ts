/**
 * The epoch replay (check 17) and the duplicate-addition judgement (check 19) take, for each
 * earlier round, the completed bundle whose TH_final the round after it names as `prev`, walking
 * back from the round verified (audit.md §9.4). Before, they took the first bundle of each round
 * both parties signed: a member that withheld its FINISH on an attempt and signed it later could
 * hand that attempt in and get its honest peer named, or hide its own wrong claim or repeated
 * addition behind it. Each test failed on that verifier.
 */
import { ed25519Sign } from '@venn/crypto';
import { finishSignatureInput, type CompletedResult, type RoundResult } from '@venn/protocol';
import { decodeMessage, encodeMessage } from '@venn/wire';
import { describe, expect, it } from 'vitest';
import { verifyTranscriptBundle, type AuditRoster } from '../src/index.js';
import { epochPlayer } from './epoch-run.js';
import { auditRoster, keys, epochSchedule, exportBundle, initiatorEpochId, type PlayedRound } from './round-harness.js';

const roster: AuditRoster = { ...auditRoster(), schedule: epochSchedule };

/**
 * The withheld-FINISH story of epoch-withheld-finish.test.ts (roles mirrored the same way: the
 * attacker/exporter is the harness's responder lab-b, the honest victim the initiator lab-a), but
 * in attempt 1 of round 1 the attacker adds an element the victim holds (a2), so that attempt's
 * epoch sets differ from attempt 2's in their intersection. Round 0, attempt 2 of round 1 and
 * round 2 complete honestly; attempt 1 is the one the attacker withheld its FINISH on and signed
 * later (played to the end here, as the closed test does, since its frames are the same).
 */
function withheldEpoch(tag: string, lists = {
  round0: { initiator: ['s1', 's2', 'a1'], responder: ['s1', 'b1'] },
  attempt1: { initiator: ['s1', 's2', 'a1', 'a2'], responder: ['s1', 'b1', 's2', 'a2'] },
  attempt2: { initiator: ['s1', 's2', 'a1', 'a2'], responder: ['s1', 'b1', 's2'] },
  round2: { initiator: ['s1', 's2', 'a2', 'a3'], responder: ['s1', 'b1', 's2', 'a3'] },
}) {
  const { play, apply } = epochPlayer(initiatorEpochId(tag), tag);
  const round0 = play(0, lists.round0);
  apply(round0);
  // Attempt 1: the attacker adds a2, which the victim holds; attempt 2 (the one both completed) does not.
  const attempt1 = play(1, lists.attempt1);
  const attempt2 = play(1, lists.attempt2);
  apply(attempt2);
  const round2 = play(2, lists.round2);
  apply(round2);
  return { round0, attempt1, attempt2, round2 };
}

describe('the epoch replay takes the attempt of each earlier round the chain links to, not the first signed one (audit.md §9.4, check 17)', () => {
  // audit.md §9.4: "A bundle both parties signed is not necessarily the attempt both completed";
  // the replay takes, walking back from round i, the completed bundle whose TH_final the round after
  // it names. Before, it took the first bundle of each round both parties signed, so the withheld
  // attempt 1 was replayed as round 1, the epoch's intersection came out 4 (the attacker's a2 of
  // attempt 1 meets the victim's a2), and the victim's honest, signed claim of 3 "differed":
  // intersection-size named the initiator, lab-a.
  it('given round 0 and the withheld attempt 1 as --previous, the replay is skipped and the honest initiator is not named', () => {
    const { round0, attempt1, round2 } = withheldEpoch('epoch-replay-attempts/replay-withheld');
    const bundle = exportBundle(round2, 'responder');
    const forged = exportBundle(attempt1, 'responder');
    const report = verifyTranscriptBundle(bundle, roster, { previous: [exportBundle(round0, 'responder'), forged] });
    // Before: intersection-size fails, party initiator (lab-a): "lab-a claimed 3 in FINISH, the evaluations give 4".
    expect(report.checks.find((check) => check.name === 'epoch-chain')).toMatchObject({ status: 'skip' });
    expect(report.failure?.member).not.toBe('lab-a');
    expect(report.checks.find((check) => check.name === 'intersection-size')).toMatchObject({ status: 'skip' });
  });

  it('given round 0, the withheld attempt 1 and the completed attempt 2 (in that order), the chain and the replay both take attempt 2: valid', () => {
    const { round0, attempt1, attempt2, round2 } = withheldEpoch('epoch-replay-attempts/replay-both');
    const bundle = exportBundle(round2, 'responder');
    const previous = [exportBundle(round0, 'responder'), exportBundle(attempt1, 'responder'), exportBundle(attempt2, 'responder')];
    const report = verifyTranscriptBundle(bundle, roster, { previous });
    expect(report.checks.find((check) => check.name === 'epoch-chain')).toMatchObject({ status: 'pass' });
    // Before: "intersection-size" fails, party at fault initiator (lab-a), claimed 3, evaluations give 4.
    // The auditor holds the genuine chain; the round is valid (the control below, with the two attempts swapped).
    expect(report.failure).toBeNull();
    const control = verifyTranscriptBundle(bundle, roster, { previous: [previous[0]!, previous[2]!, previous[1]!] });
    expect(control.failure).toBeNull();
  });
});

describe('a dishonest peer that claimed a wrong size cannot escape behind its withheld attempt (audit.md §9.4, check 17)', () => {
  // Roles: the dishonest peer Y is the harness's initiator lab-a (it signs with keys.initiator only
  // what it chooses to send: its FINISH of round 2 claiming 4, and its own FINISH of the attempt it
  // withheld); the honest exporter X is the responder lab-b, which ran every round as SPEC says.
  //  - Round 0 and attempt 2 of round 1 complete; in attempt 1 of round 1 Y added a2, which X holds,
  //    received X's FINISH and withheld its own (the story of §9.4's withheld-FINISH paragraph).
  //  - Round 2: the true epoch intersection is 3 (s1, s2, a3). Y sends a FINISH claiming 4, signed
  //    with its key over the true TH_final; X's FINISH claims 3; X logs the round disputed (SPEC §8).
  // X exports its bundle of round 2, and hands in its genuine round 0 and attempt 2; Y hands in its
  // bundle of attempt 1 ("the bundles of earlier rounds come from labs", §9.4). With Y's bundle
  // first, the replay takes attempt 1, whose intersection is 4: Y's lie checks out, X's true claim
  // "differs", and intersection-size names the responder, lab-b, the honest exporter (check 17's
  // failure names the exporter's own role, so §9.1's attribution leaves it as is).
  // Required: "A disputed round fails at check 17 and names the party that claimed a size its
  // evaluations do not give" (§9.1) — Y; the replay must use the round 1 both round-2 OFFERs link to
  // (§9.4 "Rounds 0 … i − 1 taken for a replay must follow one another: each round's two OFFERs carry
  // as prev the TH_final of the round before"; "A bundle both parties signed is not necessarily the
  // attempt both completed").
  it('Y (initiator) claims 4 over a true intersection of 3; with its withheld attempt handed in first, Y is still named', () => {
    const { round0, attempt1, attempt2, round2 } = withheldEpoch('epoch-replay-attempts/dishonest-claim', {
      round0: { initiator: ['s1', 'b1'], responder: ['s1', 's2', 'a1'] },
      attempt1: { initiator: ['s1', 'b1', 's2', 'a2'], responder: ['s1', 's2', 'a1', 'a2'] },
      attempt2: { initiator: ['s1', 'b1', 's2'], responder: ['s1', 's2', 'a1', 'a2'] },
      round2: { initiator: ['s1', 'b1', 's2', 'a3'], responder: ['s1', 's2', 'a2', 'a3'] },
    });
    const truth = round2.results.initiator as CompletedResult;
    expect(truth.intersectionSize).toBe(3);
    // Y's FINISH of round 2 as it sent it: claim 4, signed by Y over the true TH_final.
    const lie = (bytes: Uint8Array): Uint8Array => {
      const message = decodeMessage(bytes);
      if (message.kind !== 'finish') return bytes;
      return encodeMessage({ ...message, intersectionSize: 4, signature: ed25519Sign(keys.initiator.secretKey, finishSignatureInput('initiator', round2.roundId, truth.transcriptHash, 4)) });
    };
    const disputed: PlayedRound = {
      ...round2,
      records: { initiator: round2.records.initiator, responder: round2.records.responder.map((entry) => (entry.direction === 'received' ? { ...entry, bytes: lie(entry.bytes) } : entry)) },
      results: { ...round2.results, responder: { ...(round2.results.responder as CompletedResult), status: 'disputed', peerIntersectionSize: 4 } as RoundResult },
    };
    const bundle = exportBundle(disputed, 'responder');
    const genuine = [exportBundle(round0, 'responder'), exportBundle(attempt2, 'responder')];
    // Control: with X's genuine chain, Y is named for its claim.
    const control = verifyTranscriptBundle(bundle, roster, { previous: genuine });
    expect(control.failure).toMatchObject({ name: 'intersection-size', party: 'initiator', member: 'lab-a' });
    // Y's bundle of the withheld attempt handed in first.
    const report = verifyTranscriptBundle(bundle, roster, { previous: [exportBundle(attempt1, 'initiator'), ...genuine] });
    expect(report.checks.find((check) => check.name === 'epoch-chain')).toMatchObject({ status: 'pass' });
    // Before: intersection-size fails, party responder (lab-b): "lab-b claimed 3 in FINISH, the evaluations give 4".
    expect(report.failure).toMatchObject({ name: 'intersection-size', party: 'initiator', member: 'lab-a' });
  });
});

describe('a repeated addition cannot hide behind a withheld attempt at check 19 (audit.md §9.1 check 19, §9.4)', () => {
  // Roles: the dishonest peer Y is the harness's initiator lab-a; the honest exporter X the
  // responder lab-b. Round 0 completes. Round 1, attempt 1: Y adds z1, receives X's FINISH and
  // withholds its own (signing later: §9.4's withheld-FINISH paragraph); attempt 2: Y adds y1,
  // both complete. Round 2: Y adds y1 AGAIN (its BLINDED point is the one of attempt 2: one epoch
  // key). X, honest, evaluates it, finds the value in T_X and aborts `duplicate-addition` (SPEC
  // §13.6 BLINDED check 6). X exports its aborted leaf with its genuine round 0 and attempt 2; Y
  // hands in its bundle of attempt 1 first. repeatedAddition → earlierRounds → findLink without a
  // hash takes the first signed round 1, attempt 1, where y1 was never added, so "the bundles show
  // no cause" and check 19 names X: "otherwise X, since the bundles show no cause".
  // Required (§9.1 check 19, §9.4): "given them [the bundles of rounds 0 … i − 1], the verifier names
  // Y and the round j that added the element"; rounds taken must be the ones the round links to
  // ("each round's two OFFERs carry as prev the TH_final of the round before"; "A bundle both
  // parties signed is not necessarily the attempt both completed").
  it('X aborts duplicate-addition on Y re-adding y1; with Y\'s withheld attempt of round 1 handed in first, check 19 still names Y', () => {
    const epochId = initiatorEpochId('epoch-replay-attempts/duplicate-addition');
    const { play, apply } = epochPlayer(epochId, 'epoch-replay-attempts/duplicate-addition');
    const round0 = play(0, { initiator: ['s1', 'y0'], responder: ['s1', 'x1'] });
    apply(round0);
    const attempt1 = play(1, { initiator: ['s1', 'y0', 'z1'], responder: ['s1', 'x1'] });
    const attempt2 = play(1, { initiator: ['s1', 'y0', 'y1'], responder: ['s1', 'x1'] });
    apply(attempt2);
    // Y's BLINDED point of y1, as it sent it in attempt 2 (its only addition there).
    const y1Point = attempt2.records.initiator.map(({ bytes }) => decodeMessage(bytes)).find((message) => message.kind === 'blinded')!;
    expect(y1Point.kind === 'blinded' && y1Point.points.length).toBe(32);
    // Round 2: Y's node adds w1, and Y sends y1's point in its place (a re-addition; its own Round
    // would refuse to add y1 again, so the dishonest node rewrites its BLINDED chunk on the wire).
    const round2 = play(2, { initiator: ['s1', 'y0', 'y1', 'w1'], responder: ['s1', 'x1'] }, ({ from, kind, bytes }) => {
      if (from !== 'initiator' || kind !== 'blinded') return bytes;
      const message = decodeMessage(bytes);
      return message.kind === 'blinded' && y1Point.kind === 'blinded' ? encodeMessage({ ...message, points: y1Point.points }) : bytes;
    });
    expect(round2.results.responder).toMatchObject({ status: 'aborted', reason: 'duplicate-addition' });

    const bundle = exportBundle(round2, 'responder');
    const genuine = [exportBundle(round0, 'responder'), exportBundle(attempt2, 'responder')];
    // Control: with X's genuine bundles, check 19 names Y and the round that added y1.
    const control = verifyTranscriptBundle(bundle, roster, { previous: genuine });
    expect(control.failure).toMatchObject({ name: 'completed', party: 'initiator', member: 'lab-a' });
    const report = verifyTranscriptBundle(bundle, roster, { previous: [genuine[0]!, exportBundle(attempt1, 'initiator'), genuine[1]!] });
    // Before: "completed" fails, party responder (lab-b): "… the bundle shows no duplicate-addition by lab-a".
    expect(report.failure).toMatchObject({ name: 'completed', party: 'initiator', member: 'lab-a' });
  });
});
