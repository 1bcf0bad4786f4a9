/**
 * An exporter's account of a completed round must not get its honest peer named at fault
 * (audit.md §8.4: in a round with both FINISH messages both signatures cover the content of every
 * stream, so a changed frame is the exporter's doing; §9.1, "A completed or disputed leaf": a
 * failure naming the exporter's peer stands only when the peer's FINISH signature verifies over
 * the recomputed TH_final and the failure is not in the peer's frame walk, which no signature
 * covers). Each attack below is a roster member exporting a round its peer played honestly; each
 * named lab-b on the verifier before that rule. The last tests hold the rule's other side: a peer
 * that signed what the bundle shows is still named, whichever lab exported it.
 */
import { ed25519Sign } from '@venn/crypto';
import { Transcript, finishSignatureInput, type Role, type TranscriptKind } from '@venn/protocol';
import { decodeMessage, encodeMessage, type Message } from '@venn/wire';
import { describe, expect, it } from 'vitest';
import { MemoryLogStorage, MerkleLog, buildTranscriptBundle, encodeRoundRecord, signTreeHead, verifyTranscriptBundle, type RoundRecord, type TranscriptBundle } from '../src/index.js';
import { MapEpochState } from '../../protocol/scripts/epoch-state.js';
import { auditRoster, digest, epochRoundId, epochSchedule, exportBundle, hourlySchedule, initiatorEpochId, keys, leafRecord, playRound, tamperedBundle, type PlayedRound } from './round-harness.js';

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

describe('an exporter that swaps the roles in its own leaf frames its honest peer (audit.md §9)', () => {
  // audit.md §9 (the verdict names the party the bundle shows at fault; `exporter` when "the
  // bundle or the exporter's own log contradicts itself"), §9.1 checks 13–14 (at fault: the
  // prover, whose proof does not verify) and §8.4 (in a round with both FINISH messages, both
  // signatures cover TH_final and every frame). lab-b played the round honestly: its proofs and
  // FINISH verify in its real role. lab-a logs the round with the roles swapped and, as TH_final,
  // the hash the verifier recomputes under the swapped roles (its own leaf: it can log any hash).
  // Check 12 passes, and the verdict was "proof-initiator failed; party at fault: initiator
  // (lab-b) [bad-proof]". Both FINISH signatures fail at once, which the completed round of an honest
  // exporter cannot show: the leaf's roles are what the bundle contradicts, i.e. the exporter.
  it('an ad-hoc round: the verdict does not name lab-b for a bad proof it never sent', () => {
    const played = playRound({ elements: { initiator: a, responder: b } });
    const probe = verifyTranscriptBundle(swappedRolesBundle(played), auditRoster());
    const bundle = swappedRolesBundle(played, { transcriptHash: Buffer.from(probe.summary.transcriptHash!, 'hex') });
    const report = verifyTranscriptBundle(bundle, auditRoster());
    expect(report.valid).toBe(false);
    expect(report.failure?.member).not.toBe('lab-b');
    expect(report.failure).toMatchObject({ name: 'proof-initiator', party: 'exporter', member: 'lab-a' });
    expect(report.failure!.detail).toBe('the leaf logs the round completed, but no FINISH signature of lab-b verifies over the recomputed TH_final, so its frames are lab-a\'s account; an exporter that finished the round had checked them (lab-b\'s EVALUATED chunk 0 is not its committed key applied to lab-a\'s BLINDED chunk 0 (the proof of chunk 0 (5 pairs) does not verify) [bad-proof])');
  });

  // audit.md §9.1 check 9 (`slot`: "initiator (wrong initiator)"), §9. A scheduled round whose
  // slot's initiator is lab-a, run by lab-a as initiator as the schedule says. lab-a's leaf names
  // lab-b the initiator; the verdict was "slot failed; party at fault: initiator (lab-b) ...
  // [not-initiator]" although lab-b answered as responder, exactly as scheduled.
  it('a scheduled round: the verdict does not name lab-b as a wrong initiator when it was the responder', () => {
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
    expect(report.failure).toMatchObject({ name: 'slot', party: 'exporter', member: 'lab-a' });
  });
});

describe('an exporter rewrites its peer\'s frames in a completed round and logs the matching TH_final (audit.md §8.4, §9)', () => {
  // audit.md §8.4 ("In a round with both FINISH messages, both signatures cover TH_final and so
  // every frame ...; a changed frame breaks both"; only an aborted round rests on the exporter's
  // unsigned account of the peer), §9 (`exporter` when the bundle or its own log contradicts
  // itself), §9.1 checks 13–14. lab-b played a completed round honestly. lab-a, exporting it,
  // replaces one point of lab-b's EVALUATED chunk as it recorded it (another valid point of the
  // same chunk) and logs, as TH_final, the hash recomputed over the altered frames. Check 12
  // passes, and the verdict was "proof-responder failed; party at fault: responder (lab-b)
  // [bad-proof]"; checks 15–16 then fail for both signatures, which no honest exporter's completed
  // round can show (an honest lab-a would have aborted on a bad proof instead of completing).
  it('the verdict does not name lab-b for an evaluation lab-a rewrote', () => {
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

describe('an exporter reorders its peer\'s genuine frames in a completed round (audit.md §8.4, §9)', () => {
  // audit.md §8.4, §9 as above. Nothing is added or altered, and lab-a's leaf is the genuine one:
  // lab-a only moves lab-b's EVALUATED chunk ahead of its BLINDED chunk in the bundle. The
  // verdict was "messages-responder failed; party at fault: responder (lab-b)
  // [unexpected-message]", checked before check 12 (which fails for the exporter: TH_final
  // recomputed from the bundle differs from the one lab-a logged and both parties signed).
  it('the verdict does not name lab-b for an order lab-a made up', () => {
    const played = playRound({ elements: { initiator: a, responder: b } });
    const bundle = exportBundle(played, 'initiator');
    const [offer, blinded, evaluated, ...rest] = bundle.responder.frames;
    const report = verifyTranscriptBundle({ ...bundle, responder: { ...bundle.responder, frames: [offer!, evaluated!, blinded!, ...rest] } }, auditRoster());
    expect(report.checks.find((check) => check.name === 'transcript')).toMatchObject({ status: 'fail', party: 'exporter' });
    expect(report.failure?.member).not.toBe('lab-b');
    expect(report.failure).toEqual({
      name: 'messages-responder', status: 'fail', party: 'exporter', member: 'lab-a',
      detail: 'the leaf logs the round completed, but no FINISH signature of lab-b verifies over the recomputed TH_final, so its frames are lab-a\'s account; an exporter that finished the round had checked them (lab-b frame 1: EVALUATED chunk 0 before its own last BLINDED chunk (0 of 1 sent) [unexpected-message])',
    });
  });
});

describe('an exporter adds to a completed round what no signature covers (audit.md §8.4, §9)', () => {
  // audit.md §8.4 ("In a round with both FINISH messages, both signatures cover TH_final and so
  // every frame and both labels digests; a changed frame breaks both"; only for an aborted round is
  // what the peer sent the exporter's unsigned account), §9 (`exporter` when the bundle contradicts
  // itself). lab-a exports a completed round lab-b played honestly: both FINISH signatures verify
  // over the TH_final recomputed from the frames, and check 19 passes. lab-a then adds, on lab-b's
  // side, something neither signature covers and that a completed attempt cannot have recorded
  // (after lab-b's FINISH the round is over for lab-a, and a frame that does not decode aborts the
  // round, SPEC §5.1). The verdict named lab-b at check 7; the bundle contradicts itself, so the
  // party at fault is the exporter.
  it('a `rejected` digest set on lab-b\'s side: verdict messages-responder, lab-b [malformed-message]', () => {
    const played = playRound({ elements: { initiator: a, responder: b } });
    const bundle = exportBundle(played, 'initiator');
    const report = verifyTranscriptBundle({ ...bundle, responder: { ...bundle.responder, rejectedFrameDigest: new Uint8Array(64).fill(7) } }, auditRoster());
    expect(report.checks.filter((check) => check.name.startsWith('finish-')).map((check) => check.status)).toEqual(['pass', 'pass']);
    expect(report.failure?.member).not.toBe('lab-b');
    expect(report.failure).toMatchObject({ party: 'exporter', member: 'lab-a' });
  });

  it('an ABORT naming another round appended after lab-b\'s FINISH: verdict messages-responder, lab-b [round-mismatch]', () => {
    const played = playRound({ elements: { initiator: a, responder: b } });
    const bundle = exportBundle(played, 'initiator');
    const abort = encodeMessage({ kind: 'abort', roundId: new Uint8Array(32).fill(1), reason: 'timeout', detail: '' });
    const report = verifyTranscriptBundle({ ...bundle, responder: { ...bundle.responder, frames: [...bundle.responder.frames, abort] } }, auditRoster());
    expect(report.checks.filter((check) => check.name.startsWith('finish-')).map((check) => check.status)).toEqual(['pass', 'pass']);
    expect(report.failure?.member).not.toBe('lab-b');
    expect(report.failure).toEqual({
      name: 'messages-responder', status: 'fail', party: 'exporter', member: 'lab-a',
      detail: `the leaf logs the round completed, but lab-b's FINISH signature covers its streams, not this: the order and presence of its frames are lab-a's account; an exporter that finished the round had checked them (lab-b frame 4: ABORT names round ${'01'.repeat(32)} [round-mismatch])`,
    });
  });
});

describe('a peer that signed what the bundle shows is still named (audit.md §9.1, "A completed or disputed leaf")', () => {
  type Entry = PlayedRound['records']['initiator'][number];
  const other = (role: Role): Role => (role === 'initiator' ? 'responder' : 'initiator');

  /**
   * `played` with each record's entries changed by `alter(owner, entry)` (null drops it), both
   * FINISH messages then signed, each with its signer's own key, over the TH_final of the changed
   * frames (SPEC §8), and `exporter`'s leaf logging that TH_final: a round both labs signed as the
   * bundle shows it.
   */
  function signedRound(played: PlayedRound, exporter: Role, alter: (owner: Role, entry: Entry) => Entry | null): TranscriptBundle {
    const records = { initiator: played.records.initiator.flatMap((e) => alter('initiator', e) ?? []), responder: played.records.responder.flatMap((e) => alter('responder', e) ?? []) };
    const th = Buffer.from(verifyTranscriptBundle(exportBundle({ ...played, records }, exporter), auditRoster()).summary.transcriptHash!, 'hex');
    const resign = (owner: Role) => (entry: Entry): Entry => {
      const message = decodeMessage(entry.bytes);
      if (message.kind !== 'finish') return entry;
      const signer = entry.direction === 'sent' ? owner : other(owner);
      return { ...entry, bytes: encodeMessage({ ...message, signature: ed25519Sign(keys[signer].secretKey, finishSignatureInput(signer, played.roundId, th, message.intersectionSize)) }) };
    };
    const signed = { initiator: records.initiator.map(resign('initiator')), responder: records.responder.map(resign('responder')) };
    return exportBundle({ ...played, records: signed }, exporter, { leaf: { transcriptHash: th } });
  }
  /** Whether `entry` of `owner`'s record is a frame lab-b sent. */
  const byB = (owner: Role, entry: Entry): boolean => (owner === 'responder') === (entry.direction === 'sent');

  /**
   * lab-b's EVALUATED chunk carrying a wrong point (another valid point of the chunk), as lab-b
   * itself would send it and sign; lab-a, a careless exporter, completes and signs too. Only lab-b
   * can have made its signature, so the proof failure is lab-b's, whichever lab exports the bundle.
   */
  function signedWrongEvaluation(exporter: Role): TranscriptBundle {
    return signedRound(playRound({ elements: { initiator: a, responder: b } }), exporter, (owner, entry) => {
      const message = decodeMessage(entry.bytes);
      if (!byB(owner, entry) || message.kind !== 'evaluated') return entry;
      const points = message.points.slice();
      points.set(message.points.subarray(0, 32), 2 * 32);
      return { ...entry, bytes: encodeMessage({ ...message, points }) };
    });
  }

  it('lab-a exports: proof-responder names lab-b, whose FINISH signature covers the wrong evaluation', () => {
    const report = verifyTranscriptBundle(signedWrongEvaluation('initiator'), auditRoster());
    expect(report.checks.filter((check) => check.name.startsWith('finish-')).map((check) => check.status)).toEqual(['pass', 'pass']);
    expect(report.failure).toMatchObject({ name: 'proof-responder', party: 'responder', member: 'lab-b' });
    expect(report.failure!.detail).not.toMatch(/the leaf logs the round/);
  });

  it('lab-b exports its own signed wrong evaluation: proof-responder names lab-b, the exporter, in its role', () => {
    const report = verifyTranscriptBundle(signedWrongEvaluation('responder'), auditRoster());
    expect(report.failure).toMatchObject({ name: 'proof-responder', party: 'responder', member: 'lab-b' });
  });

  it('lab-b signed a FINISH without LABELS although label fields were agreed: the label rule, which TH_final covers, names lab-b under lab-a\'s completed leaf', () => {
    const labelled = playRound({
      elements: { initiator: a, responder: b },
      policy: { initiator: { labelFields: ['category', 'reason'] }, responder: { labelFields: ['category', 'reason'] } },
    });
    const bundle = signedRound(labelled, 'initiator', (owner, entry) => (byB(owner, entry) && decodeMessage(entry.bytes).kind === 'labels' ? null : entry));
    const report = verifyTranscriptBundle(bundle, auditRoster());
    expect(report.checks.filter((check) => check.name.startsWith('finish-')).map((check) => check.status)).toEqual(['pass', 'pass']);
    expect(report.failure).toEqual({
      name: 'messages-responder', status: 'fail', party: 'responder', member: 'lab-b',
      detail: 'lab-b sent FINISH without LABELS although label fields category, reason were agreed [unexpected-message]',
    });
  });

  it('a walk fault lab-a added moves only the walk: lab-b\'s signed OFFER over its roster cap still fails policy for lab-b', () => {
    const played = playRound({ elements: { initiator: a, responder: b } });
    const bundle = exportBundle(played, 'initiator');
    const abort = encodeMessage({ kind: 'abort', roundId: new Uint8Array(32).fill(1), reason: 'timeout', detail: '' });
    const roster = auditRoster({ responder: { maxPeerSetSize: 1000, modes: ['intersection'], shareLabels: [] } });
    const report = verifyTranscriptBundle({ ...bundle, responder: { ...bundle.responder, frames: [...bundle.responder.frames, abort] } }, roster);
    expect(report.checks.filter((check) => check.status === 'fail').map((check) => [check.name, check.party, check.member])).toEqual([
      ['messages-responder', 'exporter', 'lab-a'], ['policy', 'responder', 'lab-b'],
    ]);
  });

  it('an ABORT lab-a put in place of lab-b\'s FINISH under its completed leaf: check 19 holds it against lab-a, not lab-b', () => {
    // lab-b's frames end in an ABORT bad-proof the bundle does not bear out, and lab-a still logs
    // the round completed. No signature covers an ABORT: check 19's "unfounded ABORT" is lab-a's account.
    const played = playRound({ elements: { initiator: a, responder: b } });
    const bundle = exportBundle(played, 'initiator');
    const frames = bundle.responder.frames.map((frame) => (decodeMessage(frame).kind === 'finish' ? encodeMessage({ kind: 'abort', roundId: played.roundId, reason: 'bad-proof', detail: '' }) : frame));
    const report = verifyTranscriptBundle({ ...bundle, responder: { ...bundle.responder, frames } }, auditRoster());
    expect(report.failure).toMatchObject({ name: 'record-status', party: 'exporter', member: 'lab-a' });
    expect(report.checks.find((check) => check.name === 'completed')).toEqual({
      name: 'completed', status: 'fail', party: 'exporter', member: 'lab-a',
      detail: 'the leaf logs the round completed, but no FINISH signature of lab-b verifies over the recomputed TH_final, so its frames are lab-a\'s account; an exporter that finished the round had checked them (the leaf logs the round completed, but the bundle holds no valid FINISH from lab-b (the responder); lab-b sent ABORT bad-proof; the bundle shows no bad-proof by lab-a)',
    });
  });

  it('lab-b exports and reorders lab-a\'s genuine frames: the exporter lab-b is named, not lab-a', () => {
    const played = playRound({ elements: { initiator: a, responder: b } });
    const bundle = exportBundle(played, 'responder');
    const [offer, blinded, evaluated, ...rest] = bundle.initiator.frames;
    const report = verifyTranscriptBundle({ ...bundle, initiator: { ...bundle.initiator, frames: [offer!, evaluated!, blinded!, ...rest] } }, auditRoster());
    expect(report.failure).toMatchObject({ name: 'messages-initiator', party: 'exporter', member: 'lab-b' });
  });

  it('the same reordering under lab-b\'s aborted leaf names lab-a: an aborted round is the exporter\'s account (audit.md §8.4)', () => {
    const played = playRound({ elements: { initiator: a, responder: b } });
    const [offer, blinded, evaluated, ...rest] = exportBundle(played, 'initiator').responder.frames;
    const report = verifyTranscriptBundle(tamperedBundle(played, 'responder', () => [offer!, evaluated!, blinded!, ...rest].map((frame) => decodeMessage(frame))), auditRoster());
    expect(report.failure).toMatchObject({ name: 'messages-responder', party: 'responder', member: 'lab-b' });
  });
});

describe('a peer that signed frames its walk refuses is named, not the exporter (audit.md §9.1, "A completed or disputed leaf")', () => {
  type Entry = PlayedRound['records']['initiator'][number];

  /**
   * The round with lab-b's EVALUATED chunk (as lab-b sent it) replaced by `change`, both FINISH
   * messages then signed over TH_final of the frames AS SENT (SPEC §7.3, computed here over every
   * frame, since the verifier absorbs only frames that pass its walk), and lab-a's completed leaf
   * logging that TH_final. lab-b is the cheat; lab-a a careless exporter that completed anyway (it
   * signs only its own FINISH and head; lab-b's key signs only lab-b's FINISH).
   */
  function signedAsSent(
    change: (chunk: Extract<Message, { kind: 'evaluated' }>) => Extract<Message, { kind: 'evaluated' }>,
    options: { played?: PlayedRound; keep?: (owner: Role, entry: Entry) => boolean; exporter?: Role; epoch?: boolean } = {},
  ) {
    const played = options.played ?? playRound({ elements: { initiator: a, responder: b } });
    const keep = options.keep ?? (() => true);
    const byB = (owner: Role, entry: Entry): boolean => (owner === 'responder') === (entry.direction === 'sent');
    const alter = (owner: Role) => (entry: Entry): Entry => {
      const message = decodeMessage(entry.bytes);
      if (!byB(owner, entry) || message.kind !== 'evaluated') return entry;
      return { ...entry, bytes: encodeMessage(change(message)) };
    };
    const records = {
      initiator: played.records.initiator.filter((entry) => keep('initiator', entry)).map(alter('initiator')),
      responder: played.records.responder.filter((entry) => keep('responder', entry)).map(alter('responder')),
    };
    // TH_final over lab-b's frames as it sent them (its sent record) and lab-a's as lab-a sent them.
    const transcript = new Transcript();
    for (const [role, entries] of [['initiator', records.initiator], ['responder', records.responder]] as const) {
      for (const entry of entries) {
        if (entry.direction !== 'sent') continue;
        const message = decodeMessage(entry.bytes);
        if (message.kind === 'finish' || message.kind === 'abort') continue;
        transcript.absorb(role, message.kind as TranscriptKind, entry.bytes);
      }
    }
    const th = options.epoch === true ? transcript.epochFinalHash() : transcript.finalHash();
    const resign = (owner: Role) => (entry: Entry): Entry => {
      const message = decodeMessage(entry.bytes);
      if (message.kind !== 'finish') return entry;
      const signer: Role = entry.direction === 'sent' ? owner : owner === 'initiator' ? 'responder' : 'initiator';
      return { ...entry, bytes: encodeMessage({ ...message, signature: ed25519Sign(keys[signer].secretKey, finishSignatureInput(signer, played.roundId, th, message.intersectionSize)) }) };
    };
    const signed = { initiator: records.initiator.map(resign('initiator')), responder: records.responder.map(resign('responder')) };
    return { th, bundle: exportBundle({ ...played, records: signed }, options.exporter ?? 'initiator', { leaf: { transcriptHash: th } }) };
  }
  const wrongPoint = (chunk: Extract<Message, { kind: 'evaluated' }>): Uint8Array => {
    const points = chunk.points.slice();
    points.set(chunk.points.subarray(0, 32), 2 * 32); // another valid point: a wrong evaluation
    return points;
  };

  it('control: unchanged, the TH_final computed here is the round\'s own and the bundle verifies', () => {
    const { th, bundle } = signedAsSent((chunk) => chunk);
    expect(verifyTranscriptBundle(bundle, auditRoster()).failure).toBeNull();
    expect(Buffer.from(th).toString('hex')).toBe(verifyTranscriptBundle(bundle, auditRoster()).summary.transcriptHash);
  });

  it('control: lab-b signs a wrong evaluation with a 64-byte proof that does not verify, and is named (as §9.1 says)', () => {
    const { bundle } = signedAsSent((chunk) => ({ ...chunk, points: wrongPoint(chunk), proof: new Uint8Array(64).fill(3) }));
    const report = verifyTranscriptBundle(bundle, auditRoster());
    expect(report.checks.filter((check) => check.name.startsWith('finish-')).map((check) => check.status)).toEqual(['pass', 'pass']);
    expect(report.failure).toMatchObject({ name: 'proof-responder', party: 'responder', member: 'lab-b' });
  });

  // audit.md §9.1, "A completed or disputed leaf": a fault of the peer's frame walk stands when the
  // peer's first FINISH verifies over TH_final of every frame that decodes and the walk over its
  // stream frames alone, in stream order, still breaks a rule. lab-b sends a wrong evaluation with
  // no proof (an empty `pi`, which the codec accepts) or an identity point, and signs TH_final over
  // it. The walk stops at that chunk and does not absorb it, so the verifier's own TH_final is not
  // the one lab-b signed: before the rule looked at every frame, the fault went to lab-a, and a peer
  // that serves wrong evaluations was better off sending no proof than a wrong one.
  it('lab-b signs a wrong evaluation with an empty pi: messages-responder names lab-b', () => {
    const { bundle } = signedAsSent((chunk) => ({ ...chunk, points: wrongPoint(chunk), proof: new Uint8Array(0) }));
    const report = verifyTranscriptBundle(bundle, auditRoster());
    expect(report.failure).toEqual({
      name: 'messages-responder', status: 'fail', party: 'responder', member: 'lab-b',
      detail: 'lab-b frame 2: EVALUATED chunk 0 carries a pi of 0 bytes, expected 64 in intersection mode [bad-proof]',
    });
  });

  it('lab-b signs an identity point in place of an evaluation: messages-responder names lab-b', () => {
    const { bundle } = signedAsSent((chunk) => {
      const points = chunk.points.slice();
      points.fill(0, 0, 32);
      return { ...chunk, points };
    });
    const report = verifyTranscriptBundle(bundle, auditRoster());
    expect(report.failure).toMatchObject({ name: 'messages-responder', party: 'responder', member: 'lab-b' });
    expect(report.failure!.detail).toMatch(/^lab-b frame 2: .*\[bad-point\]$/);
  });

  it('the same signed chunk with lab-b\'s frames reordered by lab-a: lab-b is named for the rule its streams break, in stream order', () => {
    const { bundle } = signedAsSent((chunk) => ({ ...chunk, points: wrongPoint(chunk), proof: new Uint8Array(0) }));
    const [offer, blinded, evaluated, ...rest] = bundle.responder.frames;
    const report = verifyTranscriptBundle({ ...bundle, responder: { ...bundle.responder, frames: [offer!, evaluated!, blinded!, ...rest] } }, auditRoster());
    expect(report.failure).toEqual({
      name: 'messages-responder', status: 'fail', party: 'responder', member: 'lab-b',
      detail: 'lab-b frame 2: EVALUATED chunk 0 carries a pi of 0 bytes, expected 64 in intersection mode [bad-proof] (its stream frames in stream order, as its FINISH signature covers them)',
    });
  });

  it('in a round of a key epoch too: lab-b\'s signed EVALUATED chunk with an empty pi names lab-b (TH_final of SPEC §13.5)', () => {
    const epochId = initiatorEpochId('exporter-account/epoch-signed-walk');
    const inputs = (['initiator', 'responder'] as const).map((role, i) => new MapEpochState(epochId, `exporter-account/${role}`).next([a, b][i]!));
    const played = playRound({
      roundId: epochRoundId(epochId, 0),
      elements: { initiator: inputs[0]!.additions, responder: inputs[1]!.additions },
      epoch: { initiator: inputs[0]!.epoch, responder: inputs[1]!.epoch },
    });
    const { bundle } = signedAsSent((chunk) => ({ ...chunk, proof: new Uint8Array(0) }), { played, epoch: true });
    const report = verifyTranscriptBundle(bundle, { ...auditRoster(), schedule: epochSchedule });
    expect(report.failure).toMatchObject({ name: 'messages-responder', party: 'responder', member: 'lab-b' });
    expect(report.failure!.detail).toMatch(/carries a pi of 0 bytes, expected 64 in intersection mode \[bad-proof\]$/);
  });

  it('lab-b signed a transcript without lab-a\'s OFFER: its EVALUATED chunk answers no OFFER, and lab-b is named for it', () => {
    const withoutOffer = (owner: Role, entry: Entry): boolean => !((owner === 'initiator') === (entry.direction === 'sent') && decodeMessage(entry.bytes).kind === 'offer');
    const { bundle } = signedAsSent((chunk) => chunk, { keep: withoutOffer });
    const report = verifyTranscriptBundle(bundle, auditRoster());
    expect(report.checks.find((check) => check.name === 'messages-responder')).toMatchObject({ status: 'fail', party: 'responder', member: 'lab-b' });
    expect(report.checks.find((check) => check.name === 'messages-responder')!.detail).toMatch(/without an OFFER from lab-a \[unexpected-message\]/);
  });

  it('lab-a, the initiator, signed a FINISH without LABELS although fields were agreed, and lab-b exports: the label rule names lab-a', () => {
    const played = playRound({
      elements: { initiator: a, responder: b },
      policy: { initiator: { labelFields: ['category', 'reason'] }, responder: { labelFields: ['category', 'reason'] } },
    });
    const byA = (owner: Role, entry: Entry): boolean => (owner === 'initiator') === (entry.direction === 'sent');
    const { bundle } = signedAsSent((chunk) => chunk, { played, exporter: 'responder', keep: (owner, entry) => !(byA(owner, entry) && decodeMessage(entry.bytes).kind === 'labels') });
    const report = verifyTranscriptBundle(bundle, auditRoster());
    expect(report.failure).toEqual({
      name: 'messages-initiator', status: 'fail', party: 'initiator', member: 'lab-a',
      detail: 'lab-a sent FINISH without LABELS although label fields category, reason were agreed [unexpected-message]',
    });
  });

  it('lab-a empties the pi of lab-b\'s genuine EVALUATED chunk: the rule it breaks is in no stream lab-b signed, lab-a is named', () => {
    const { bundle } = signedAsSent((chunk) => chunk);
    const frames = bundle.responder.frames.map((frame) => {
      const message = decodeMessage(frame);
      return message.kind === 'evaluated' ? encodeMessage({ ...message, proof: new Uint8Array(0) }) : frame;
    });
    const report = verifyTranscriptBundle({ ...bundle, responder: { ...bundle.responder, frames } }, auditRoster());
    expect(report.failure).toMatchObject({ name: 'messages-responder', party: 'exporter', member: 'lab-a' });
    expect(report.failure!.detail).toMatch(/^the leaf logs the round completed, but no FINISH signature of lab-b verifies over the recomputed TH_final, so its frames are lab-a's account; .*\[bad-proof\]\)$/);
  });

  it('lab-b, exporting as responder, puts a frame that does not decode before its own BLINDED chunk: lab-a\'s genuine EVALUATED chunk still answers it, lab-b is named', () => {
    // TH_final over every frame that decodes is the genuine one, so lab-a's signature verifies; the
    // walk over lab-a's stream frames must then see lab-b's frames as they entered TH_final too.
    const played = playRound({ elements: { initiator: a, responder: b } });
    const bundle = exportBundle(played, 'responder');
    const [offer, ...rest] = bundle.responder.frames;
    const report = verifyTranscriptBundle({ ...bundle, responder: { ...bundle.responder, frames: [offer!, Uint8Array.of(0xc1), ...rest] } }, auditRoster());
    expect(report.failure).toMatchObject({ name: 'messages-initiator', party: 'exporter', member: 'lab-b' });
    expect(report.failure!.detail).toMatch(/\(lab-a frame 2: EVALUATED chunk 0 without the whole BLINDED list of lab-b it answers \[unexpected-message\]\)$/);
  });

  it('lab-b, exporting as responder, logs the round under another roster digest (the auditor holding that roster): lab-a\'s signed OFFER names the roster both OFFERs name, lab-b is named', () => {
    const played = playRound({ elements: { initiator: a, responder: b } });
    const other = new Uint8Array(32).fill(0xd2);
    const report = verifyTranscriptBundle(exportBundle(played, 'responder', { leaf: { rosterDigest: other } }), auditRoster({}, other));
    expect(report.failure).toMatchObject({ name: 'messages-initiator', party: 'exporter', member: 'lab-b' });
    expect(report.failure!.detail).toMatch(/\[roster-mismatch\]\)$/);
  });

  it('lab-a repeats lab-b\'s genuine FINISH, or changes the round id in it: no signature covers either, lab-a is named', () => {
    const { bundle } = signedAsSent((chunk) => chunk);
    const finish = bundle.responder.frames.at(-1)!;
    const twice = verifyTranscriptBundle({ ...bundle, responder: { ...bundle.responder, frames: [...bundle.responder.frames, finish] } }, auditRoster());
    expect(twice.failure).toMatchObject({ name: 'messages-responder', party: 'exporter', member: 'lab-a' });
    expect(twice.failure!.detail).toMatch(/\(lab-b frame 4: sent FINISH after its FINISH \[unexpected-message\]\)$/);
    const message = decodeMessage(finish) as Extract<Message, { kind: 'finish' }>;
    const renamed = encodeMessage({ ...message, roundId: new Uint8Array(32).fill(2) });
    const other = verifyTranscriptBundle({ ...bundle, responder: { ...bundle.responder, frames: [...bundle.responder.frames.slice(0, -1), renamed] } }, auditRoster());
    expect(other.failure).toMatchObject({ name: 'messages-responder', party: 'exporter', member: 'lab-a' });
    expect(other.failure!.detail).toMatch(/\[round-mismatch\]\)$/);
  });
});
