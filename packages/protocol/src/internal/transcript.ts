/**
 * The Venn transcript (SPEC §7): one running SHA-512 per (sender, message kind) stream, combined in
 * a fixed order, so both parties hash the same bytes whatever order the two directions interleave in.
 */
import { InternalError } from '@venn/errors';
import { MessageType, type MessageKind } from '@venn/wire';
import { sha512 } from '@noble/hashes/sha2.js';
import {
  PURPOSE_ATTEMPT,
  PURPOSE_EPOCH_ATTEMPT,
  PURPOSE_EPOCH_FINISH,
  PURPOSE_EPOCH_PRE,
  PURPOSE_FINISH,
  PURPOSE_PRE,
  PURPOSE_PROOF,
  STREAM_LABEL,
  TRANSCRIPT_LABEL,
} from './constants.js';
import { ROLE_BYTE, type Role } from './roles.js';

type Hasher = ReturnType<typeof sha512.create>;

/** SPEC §7.2: stream j = 2·(kind index) + (0 for the initiator, 1 for the responder). */
const STREAM_KINDS = ['offer', 'blinded', 'evaluated', 'proof', 'labels'] as const satisfies readonly MessageKind[];
/** SPEC §13.5: epoch rounds add REMOVED, streams 10 (initiator) and 11 (responder). */
export type TranscriptKind = (typeof STREAM_KINDS)[number] | 'removed';
/** The streams of a plain round (SPEC §7.2). */
export const STREAM_COUNT = 2 * STREAM_KINDS.length;
/** The streams of an epoch round (SPEC §13.5): the ten of SPEC §7.2 and REMOVED. */
export const EPOCH_STREAM_COUNT = STREAM_COUNT + 2;
const ALL_STREAMS = Array.from({ length: STREAM_COUNT }, (_, j) => j);
const EPOCH_STREAMS = Array.from({ length: EPOCH_STREAM_COUNT }, (_, j) => j);

export function streamIndex(sender: Role, kind: TranscriptKind): number {
  const role = sender === 'initiator' ? 0 : 1;
  return kind === 'removed' ? STREAM_COUNT + role : 2 * STREAM_KINDS.indexOf(kind) + role;
}

/** SPEC §7.1: sender (1) || type (1) || I2OSP(len(body), 4) || body. */
export function frameHeader(sender: Role, kind: MessageKind, length: number): Uint8Array {
  const header = new Uint8Array(6);
  header[0] = ROLE_BYTE[sender];
  header[1] = MessageType[kind];
  new DataView(header.buffer).setUint32(2, length);
  return header;
}

export class Transcript {
  private readonly hashers: Array<Hasher | undefined> = [];
  private readonly digests: Array<Uint8Array | undefined> = [];

  /** Adds one message, as the exact bytes sent on the wire, to its stream. */
  absorb(sender: Role, kind: TranscriptKind, body: Uint8Array): void {
    const j = streamIndex(sender, kind);
    if (this.digests[j] !== undefined) {
      throw new InternalError('transcript-closed', `transcript stream ${j} (${sender} ${kind}) is already closed`);
    }
    const hasher = this.hashers[j] ?? this.open(j);
    hasher.update(frameHeader(sender, kind, body.length));
    hasher.update(body);
  }

  /** S_j; closes the stream, after which it takes no more messages. An untouched stream is empty. */
  streamDigest(j: number): Uint8Array {
    let digest = this.digests[j];
    if (digest === undefined) {
      digest = (this.hashers[j] ?? this.open(j)).digest();
      this.digests[j] = digest;
      this.hashers[j] = undefined;
    }
    return digest;
  }

  /**
   * SPEC §7.3 TH_pre: both OFFERs and both BLINDED streams, the base of every chunk proof's
   * context (§6.1). Closes streams 0–3.
   */
  preHash(): Uint8Array {
    return this.hash(PURPOSE_PRE, [0, 1, 2, 3]);
  }

  /**
   * SPEC §7.3 TH_proof for the `cardinality` sum proof sent by `prover`: both OFFERs, both BLINDED
   * streams and the prover's EVALUATED stream.
   */
  proofHash(prover: Role): Uint8Array {
    return this.hash(PURPOSE_PROOF, [0, 1, 2, 3, streamIndex(prover, 'evaluated')]);
  }

  /** SPEC §7.3 TH_final over all ten streams, signed in FINISH. */
  finalHash(): Uint8Array {
    return this.hash(PURPOSE_FINISH, ALL_STREAMS);
  }

  /** audit.md §3: the attempt hash, TH(0x03, {0, …, 9}) over the frames recorded for an attempt. */
  attemptHash(): Uint8Array {
    return this.hash(PURPOSE_ATTEMPT, ALL_STREAMS);
  }

  /**
   * SPEC §13.5 TH_pre of an epoch round: both OFFERs, both BLINDED and both REMOVED streams, so
   * every chunk proof binds the chain link and the removals as well. Closes streams 0–3, 10, 11.
   */
  epochPreHash(): Uint8Array {
    return this.hash(PURPOSE_EPOCH_PRE, [0, 1, 2, 3, 10, 11]);
  }

  /** SPEC §13.5 TH_final of an epoch round over all twelve streams; the next round's `prev`. */
  epochFinalHash(): Uint8Array {
    return this.hash(PURPOSE_EPOCH_FINISH, EPOCH_STREAMS);
  }

  /** audit.md §3: the attempt hash of an epoch round, TH(0x07, {0, …, 11}). */
  epochAttemptHash(): Uint8Array {
    return this.hash(PURPOSE_EPOCH_ATTEMPT, EPOCH_STREAMS);
  }

  /**
   * SPEC §7.3 TH(purpose, J) = SHA-512("VENN-V02-TRANSCRIPT" || I2OSP(purpose, 1) || for each j in
   * J, ascending: I2OSP(j, 1) || S_j). Closes every stream in J.
   */
  hash(purpose: number, streams: readonly number[]): Uint8Array {
    if (!Number.isSafeInteger(purpose) || purpose < 0 || purpose > 0xff) {
      throw new InternalError('invalid-purpose', `"purpose" expected an integer in 0..255, got ${String(purpose)}`);
    }
    for (let i = 0; i < streams.length; i++) {
      const j = streams[i]!;
      if (!Number.isSafeInteger(j) || j < 0 || j >= EPOCH_STREAM_COUNT || (i > 0 && j <= streams[i - 1]!)) {
        throw new InternalError('invalid-streams', `"streams" expected ascending stream indices in 0..${EPOCH_STREAM_COUNT - 1}, got ${streams.join(', ')}`);
      }
    }
    const hasher = sha512.create();
    hasher.update(TRANSCRIPT_LABEL);
    hasher.update(Uint8Array.of(purpose));
    for (const j of streams) {
      hasher.update(Uint8Array.of(j));
      hasher.update(this.streamDigest(j));
    }
    return hasher.digest();
  }

  private open(j: number): Hasher {
    const hasher = sha512.create();
    hasher.update(STREAM_LABEL);
    hasher.update(Uint8Array.of(j));
    this.hashers[j] = hasher;
    return hasher;
  }
}
