/**
 * What a node records of one attempt as its frames pass (node.md §6): the attempt hash over the
 * frames sent and processed (SPEC §7.3 purpose 0x03, or §13.5 purpose 0x07 over twelve streams
 * once an OFFER carries an epoch; audit.md §3), the evaluations each way and the set sizes both
 * OFFERs declared. Hashing uses node:crypto so the main thread stays fast.
 */
import { createHash, type Hash } from 'node:crypto';
import { STREAM_LABEL, TRANSCRIPT_LABEL } from '@venn/protocol';
import type { FrameInfo } from './round-compute.js';
import type { RoundRole } from './store.js';

/** SPEC §7.3: the purpose byte of the attempt hash; §13.5: of an epoch round's. */
export const PURPOSE_ATTEMPT = 0x03;
export const PURPOSE_EPOCH_ATTEMPT = 0x07;

/** SPEC §7.2, §13.5: the message kinds that have streams, in stream order, and their type bytes. */
const STREAM_KINDS = ['offer', 'blinded', 'evaluated', 'proof', 'labels', 'removed'] as const;
const TYPE_BYTES: Readonly<Record<(typeof STREAM_KINDS)[number], number>> = { offer: 1, blinded: 2, evaluated: 3, proof: 4, labels: 5, removed: 8 };
/** Streams of a plain round (SPEC §7.2), and of an epoch round (§13.5: REMOVED is 10 and 11). */
const STREAMS = 10;
const EPOCH_STREAMS = 12;

export class AttemptRecord {
  private readonly streams: Hash[] = [];
  private frames = 0;
  /** An OFFER with `ep` was recorded: the attempt hash covers twelve streams (SPEC §13.5). */
  private epoch = false;
  /** Points of EVALUATED chunks this node sent / the peer sent and the round processed. */
  evaluationsSent = 0;
  evaluationsReceived = 0;
  /** `n` of each party's OFFER as recorded; null until one was. */
  readonly setSizes: Record<RoundRole, number | null> = { initiator: null, responder: null };

  constructor(private readonly role: RoundRole) {
    for (let j = 0; j < EPOCH_STREAMS; j++) this.streams.push(createHash('sha512').update(STREAM_LABEL).update(Uint8Array.of(j)));
  }

  /** Adds a frame this node recorded, sent (by its own role) or received (from the peer). */
  add(direction: 'sent' | 'received', bytes: Uint8Array, info: FrameInfo): void {
    const sender: RoundRole = direction === 'sent' ? this.role : this.role === 'initiator' ? 'responder' : 'initiator';
    if (info.kind === 'evaluated') {
      if (direction === 'sent') this.evaluationsSent += info.points;
      else this.evaluationsReceived += info.points;
    }
    if (info.kind === 'offer' && info.setSize !== null) this.setSizes[sender] ??= info.setSize;
    if (info.kind === 'offer' && info.epoch === true) this.epoch = true;
    if (info.kind === null || info.kind === 'finish' || info.kind === 'abort') return; // in no stream (SPEC §7.2)
    const kindIndex = STREAM_KINDS.indexOf(info.kind);
    const j = 2 * kindIndex + (sender === 'initiator' ? 0 : 1); // REMOVED (index 5): streams 10 and 11
    // SPEC §7.1: sender || type || I2OSP(len, 4) || body.
    const header = new Uint8Array(6);
    header[0] = sender === 'initiator' ? 0x01 : 0x02;
    header[1] = TYPE_BYTES[info.kind];
    new DataView(header.buffer).setUint32(2, bytes.length);
    this.streams[j]!.update(header).update(bytes);
    this.frames++;
  }

  /** The attempt hash TH(0x03, {0..9}), or TH(0x07, {0..11}) for an epoch round; empty when no frame entered any stream. */
  attemptHash(): Uint8Array {
    if (this.frames === 0) return new Uint8Array(0);
    const th = createHash('sha512').update(TRANSCRIPT_LABEL).update(Uint8Array.of(this.epoch ? PURPOSE_EPOCH_ATTEMPT : PURPOSE_ATTEMPT));
    for (let j = 0; j < (this.epoch ? EPOCH_STREAMS : STREAMS); j++) th.update(Uint8Array.of(j)).update(this.streams[j]!.copy().digest());
    return new Uint8Array(th.digest());
  }

  /** Whether an OFFER of the attempt carried an epoch (SPEC §13.3). */
  get isEpochRound(): boolean {
    return this.epoch;
  }
}
