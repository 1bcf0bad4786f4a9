/**
 * What an attempt's frames say it exchanged (audit.md §3): the set sizes both OFFERs declared,
 * the evaluations each party sent, and the attempt hash TH(0x03, {0..9}) (SPEC §7.3), or
 * TH(0x07, {0..11}) when an OFFER carries an epoch (SPEC §13.5), over the frames as recorded. A node computes the same while the frames pass; an auditor recomputes it
 * from the exporter's transcript bundle and compares it with the exporter's leaf.
 */
import { sha512 } from '@noble/hashes/sha2.js';
import { STREAM_LABEL, TRANSCRIPT_LABEL, frameHeader, streamIndex, type TranscriptKind } from '@venn/protocol';
import { decodeMessage } from '@venn/wire';

/** SPEC §7.3: the purpose byte of the attempt hash; §13.5: of an epoch round's. */
export const PURPOSE_ATTEMPT = 0x03;
export const PURPOSE_EPOCH_ATTEMPT = 0x07;
const STREAMS = 10;
const EPOCH_STREAMS = 12;
const LABELS_STREAM: Readonly<Record<'initiator' | 'responder', number>> = { initiator: 8, responder: 9 };

export interface AttemptAccounts {
  readonly initiatorSetSize: number | null;
  readonly responderSetSize: number | null;
  readonly initiatorEvaluations: number;
  readonly responderEvaluations: number;
  /** Empty when no frame entered any stream. */
  readonly attemptHash: Uint8Array;
}

/** One party's recorded frames in sending order; its LABELS frames may stand as their stream digest. */
export interface AttemptParty {
  readonly frames: readonly Uint8Array[];
  /** S_8 / S_9 over the party's LABELS frames, when they are not among `frames` (a transcript bundle). */
  readonly labelsDigest?: Uint8Array;
}

export function attemptAccounts(parties: Readonly<Record<'initiator' | 'responder', AttemptParty>>): AttemptAccounts {
  const streams = Array.from({ length: EPOCH_STREAMS }, (_, j) => sha512.create().update(STREAM_LABEL).update(Uint8Array.of(j)));
  const setSizes: Record<'initiator' | 'responder', number | null> = { initiator: null, responder: null };
  const evaluations = { initiator: 0, responder: 0 };
  let entered = 0;
  let epoch = false;
  for (const sender of ['initiator', 'responder'] as const) {
    for (const frame of parties[sender].frames) {
      let message;
      try {
        message = decodeMessage(frame);
      } catch {
        continue; // a frame that does not decode enters no stream (audit.md §3)
      }
      if (message.kind === 'offer') setSizes[sender] ??= message.setSize;
      if (message.kind === 'offer' && message.epoch !== undefined) epoch = true;
      if (message.kind === 'evaluated') evaluations[sender] += message.points.length / 32;
      if (message.kind === 'finish' || message.kind === 'abort') continue;
      const kind = message.kind as TranscriptKind;
      streams[streamIndex(sender, kind)]!.update(frameHeader(sender, kind, frame.length)).update(frame);
      entered++;
    }
  }
  const digests: Uint8Array[] = streams.map((hasher) => hasher.digest());
  for (const sender of ['initiator', 'responder'] as const) {
    const given = parties[sender].labelsDigest;
    if (given !== undefined) {
      digests[LABELS_STREAM[sender]] = given;
      // A LABELS stream other than the empty one means at least one LABELS frame was recorded.
      const empty = sha512.create().update(STREAM_LABEL).update(Uint8Array.of(LABELS_STREAM[sender])).digest();
      if (!given.every((byte, i) => byte === empty[i])) entered++;
    }
  }
  let attemptHash = new Uint8Array(0);
  if (entered > 0) {
    const th = sha512.create().update(TRANSCRIPT_LABEL).update(Uint8Array.of(epoch ? PURPOSE_EPOCH_ATTEMPT : PURPOSE_ATTEMPT));
    for (let j = 0; j < (epoch ? EPOCH_STREAMS : STREAMS); j++) th.update(Uint8Array.of(j)).update(digests[j]!);
    attemptHash = th.digest();
  }
  return {
    initiatorSetSize: setSizes.initiator, responderSetSize: setSizes.responder,
    initiatorEvaluations: evaluations.initiator, responderEvaluations: evaluations.responder, attemptHash,
  };
}
