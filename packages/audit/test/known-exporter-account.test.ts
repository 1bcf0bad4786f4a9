/**
 * KNOWN, OPEN: an exporter's account of a completed round can get its honest peer named at fault
 * (audit.md §8.4: in a round with both FINISH messages both signatures cover every frame, so a
 * changed frame is the exporter's doing; §9: the verdict names the party the bundle shows at
 * fault). Each test asserts the verdict the spec requires and is marked `it.fails`: it fails on
 * the verifier as it stands, which names the peer. When the rule "for a completed or disputed
 * leaf, a fault in the peer's frames names the peer only if the peer's FINISH signature verifies
 * over the TH_final recomputed from the bundle; otherwise, and for what no signature covers, the
 * exporter" lands, vitest reports each of these as failing, and they become plain tests.
 */
import { decodeMessage, encodeMessage, type Message } from '@venn/wire';
import { describe, expect, it } from 'vitest';
import { MemoryLogStorage, MerkleLog, buildTranscriptBundle, encodeRoundRecord, signTreeHead, verifyTranscriptBundle, type RoundRecord, type TranscriptBundle } from '../src/index.js';
import { auditRoster, digest, exportBundle, hourlySchedule, keys, leafRecord, playRound, type PlayedRound } from './round-harness.js';

const a = ['s1', 's2', 's3', 'a1', 'a2'].map(digest);
const b = ['b1', 's3', 'b2', 's1', 's2', 'b3'].map(digest);

/**
 * lab-a's bundle of a completed round it initiated, with its leaf naming the roles the other way
 * round (lab-b initiator, lab-a responder; sizes and claims swapped to match). The bundle builder
 * reads the exporter's role from the leaf, so lab-a's frames go in as the responder's and lab-b's
 * as the initiator's. `transcriptHash`: what lab-a logs as TH_final (default: the genuine one).
 */
function swappedRolesBundle(played: PlayedRound, leaf: Partial<RoundRecord> = {}): TranscriptBundle {
  const honest = leafRecord(played, 'initiator', leaf);
  const swapped: RoundRecord = {
    ...honest, initiatorId: 'lab-b', responderId: 'lab-a',
    initiatorSetSize: honest.responderSetSize, responderSetSize: honest.initiatorSetSize,
    initiatorEvaluations: honest.responderEvaluations, responderEvaluations: honest.initiatorEvaluations,
    initiatorClaim: honest.responderClaim, responderClaim: honest.initiatorClaim,
  };
  const log = new MerkleLog(new MemoryLogStorage());
  const { index } = log.append(encodeRoundRecord(swapped));
  const treeHead = signTreeHead(log.treeHead(1_900_000_100_000), 'lab-a', keys.initiator.secretKey.slice());
  return buildTranscriptBundle({ exporter: 'lab-a', leaf: log.leaf(index), leafIndex: index, treeHead, inclusionProof: log.inclusionProof(index, treeHead.size), messages: played.records.initiator });
}

describe('known, open: an exporter that swaps the roles in its own leaf frames its honest peer (audit.md §9)', () => {
  // audit.md §9 (the verdict names the party the bundle shows at fault; `exporter` when "the
  // bundle or the exporter's own log contradicts itself"), §9.1 checks 13–14 (at fault: the
  // prover, whose proof does not verify) and §8.4 (in a round with both FINISH messages, both
  // signatures cover TH_final and every frame). lab-b played the round honestly: its proofs and
  // FINISH verify in its real role. lab-a logs the round with the roles swapped and, as TH_final,
  // the hash the verifier recomputes under the swapped roles (its own leaf: it can log any hash).
  // Check 12 passes, and the verdict is "proof-initiator failed; party at fault: initiator
  // (lab-b) [bad-proof]". Both FINISH signatures fail at once, which the completed round of an honest
  // exporter cannot show: the leaf's roles are what the bundle contradicts, i.e. the exporter.
  it.fails('an ad-hoc round: the verdict does not name lab-b for a bad proof it never sent', () => {
    const played = playRound({ elements: { initiator: a, responder: b } });
    const probe = verifyTranscriptBundle(swappedRolesBundle(played), auditRoster());
    const bundle = swappedRolesBundle(played, { transcriptHash: Buffer.from(probe.summary.transcriptHash!, 'hex') });
    const report = verifyTranscriptBundle(bundle, auditRoster());
    expect(report.valid).toBe(false);
    expect(report.failure?.member).not.toBe('lab-b');
    expect(report.failure).toMatchObject({ party: 'exporter', member: 'lab-a' });
  });

  // audit.md §9.1 check 9 (`slot`: "initiator (wrong initiator)"), §9. A scheduled round whose
  // slot's initiator is lab-a, run by lab-a as initiator as the schedule says. lab-a's leaf names
  // lab-b the initiator; the verdict is "slot failed; party at fault: initiator (lab-b) ...
  // [not-initiator]" although lab-b answered as responder, exactly as scheduled.
  it.fails('a scheduled round: the verdict does not name lab-b as a wrong initiator when it was the responder', () => {
    let slot = 1_900_000_800;
    slot -= slot % 3600;
    let roundId = hourlySchedule.scheduledRoundId(slot, 'lab-a', 'lab-b');
    while (hourlySchedule.scheduledInitiator(roundId, 'lab-a', 'lab-b') !== 'lab-a') {
      slot += 3600;
      roundId = hourlySchedule.scheduledRoundId(slot, 'lab-a', 'lab-b');
    }
    const played = playRound({ elements: { initiator: a, responder: b }, roundId });
    const report = verifyTranscriptBundle(swappedRolesBundle(played, { slot }), auditRoster());
    expect(report.valid).toBe(false);
    expect(report.failure?.member).not.toBe('lab-b');
    expect(report.failure).toMatchObject({ party: 'exporter', member: 'lab-a' });
  });
});

describe('known, open: an exporter rewrites its peer\'s frames in a completed round and logs the matching TH_final (audit.md §8.4, §9)', () => {
  // audit.md §8.4 ("In a round with both FINISH messages, both signatures cover TH_final and so
  // every frame ...; a changed frame breaks both"; only an aborted round rests on the exporter's
  // unsigned account of the peer), §9 (`exporter` when the bundle or its own log contradicts
  // itself), §9.1 checks 13–14. lab-b played a completed round honestly. lab-a, exporting it,
  // replaces one point of lab-b's EVALUATED chunk as it recorded it (another valid point of the
  // same chunk) and logs, as TH_final, the hash recomputed over the altered frames. Check 12
  // passes, and the verdict is "proof-responder failed; party at fault: responder (lab-b)
  // [bad-proof]"; checks 15–16 then fail for both signatures, which no honest exporter's completed
  // round can show (an honest lab-a would have aborted on a bad proof instead of completing).
  it.fails('the verdict does not name lab-b for an evaluation lab-a rewrote', () => {
    const played = playRound({ elements: { initiator: a, responder: b } });
    let done = false;
    const records = played.records.initiator.map((entry) => {
      if (done || entry.direction !== 'received') return entry;
      const message = decodeMessage(entry.bytes);
      if (message.kind !== 'evaluated') return entry;
      done = true;
      const points = message.points.slice();
      points.set(message.points.subarray(0, 32), 2 * 32);
      return { ...entry, bytes: encodeMessage({ ...(message as Extract<Message, { kind: 'evaluated' }>), points }) };
    });
    const forged: PlayedRound = { ...played, records: { ...played.records, initiator: records } };
    const probe = verifyTranscriptBundle(exportBundle(forged, 'initiator'), auditRoster());
    const report = verifyTranscriptBundle(exportBundle(forged, 'initiator', { leaf: { transcriptHash: Buffer.from(probe.summary.transcriptHash!, 'hex') } }), auditRoster());
    expect(report.checks.find((check) => check.name === 'transcript')?.status).toBe('pass');
    expect(report.checks.filter((check) => check.name.startsWith('finish-')).map((check) => check.status)).toEqual(['fail', 'fail']);
    expect(report.failure?.member).not.toBe('lab-b');
    expect(report.failure).toMatchObject({ party: 'exporter', member: 'lab-a' });
  });
});

describe('known, open: an exporter reorders its peer\'s genuine frames in a completed round (audit.md §8.4, §9)', () => {
  // audit.md §8.4, §9 as above. Nothing is added or altered, and lab-a's leaf is the genuine one:
  // lab-a only moves lab-b's EVALUATED chunk ahead of its BLINDED chunk in the bundle. The
  // verdict is "messages-responder failed; party at fault: responder (lab-b)
  // [unexpected-message]", checked before check 12 (which fails for the exporter: TH_final
  // recomputed from the bundle differs from the one lab-a logged and both parties signed).
  it.fails('the verdict does not name lab-b for an order lab-a made up', () => {
    const played = playRound({ elements: { initiator: a, responder: b } });
    const bundle = exportBundle(played, 'initiator');
    const [offer, blinded, evaluated, ...rest] = bundle.responder.frames;
    const report = verifyTranscriptBundle({ ...bundle, responder: { ...bundle.responder, frames: [offer!, evaluated!, blinded!, ...rest] } }, auditRoster());
    expect(report.checks.find((check) => check.name === 'transcript')).toMatchObject({ status: 'fail', party: 'exporter' });
    expect(report.failure?.member).not.toBe('lab-b');
    expect(report.failure).toMatchObject({ party: 'exporter', member: 'lab-a' });
  });
});

describe('known, open: an exporter adds to a completed round what no signature covers (audit.md §8.4, §9)', () => {
  // audit.md §8.4 ("In a round with both FINISH messages, both signatures cover TH_final and so
  // every frame and both labels digests; a changed frame breaks both"; only for an aborted round is
  // what the peer sent the exporter's unsigned account), §9 (`exporter` when the bundle contradicts
  // itself). lab-a exports a completed round lab-b played honestly: both FINISH signatures verify
  // over the TH_final recomputed from the frames, and check 19 passes. lab-a then adds, on lab-b's
  // side, something neither signature covers and that a completed attempt cannot have recorded
  // (after lab-b's FINISH the round is over for lab-a, and a frame that does not decode aborts the
  // round, SPEC §5.1). The verdict names lab-b at check 7; the bundle contradicts itself, so the
  // party at fault is the exporter.
  it.fails('a `rejected` digest set on lab-b\'s side: verdict messages-responder, lab-b [malformed-message]', () => {
    const played = playRound({ elements: { initiator: a, responder: b } });
    const bundle = exportBundle(played, 'initiator');
    const report = verifyTranscriptBundle({ ...bundle, responder: { ...bundle.responder, rejectedFrameDigest: new Uint8Array(64).fill(7) } }, auditRoster());
    expect(report.checks.filter((check) => check.name.startsWith('finish-')).map((check) => check.status)).toEqual(['pass', 'pass']);
    expect(report.failure?.member).not.toBe('lab-b');
    expect(report.failure).toMatchObject({ party: 'exporter', member: 'lab-a' });
  });

  it.fails('an ABORT naming another round appended after lab-b\'s FINISH: verdict messages-responder, lab-b [round-mismatch]', () => {
    const played = playRound({ elements: { initiator: a, responder: b } });
    const bundle = exportBundle(played, 'initiator');
    const abort = encodeMessage({ kind: 'abort', roundId: new Uint8Array(32).fill(1), reason: 'timeout', detail: '' });
    const report = verifyTranscriptBundle({ ...bundle, responder: { ...bundle.responder, frames: [...bundle.responder.frames, abort] } }, auditRoster());
    expect(report.checks.filter((check) => check.name.startsWith('finish-')).map((check) => check.status)).toEqual(['pass', 'pass']);
    expect(report.failure?.member).not.toBe('lab-b');
    expect(report.failure).toMatchObject({ party: 'exporter', member: 'lab-a' });
  });
});
