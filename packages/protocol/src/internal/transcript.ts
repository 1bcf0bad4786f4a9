/**
 * The Venn transcript (SPEC §7): one running SHA-512 per (sender, message kind) stream, combined in
 * a fixed order, so both parties hash the same bytes whatever order the two directions interleave in.
 */
import { InternalError } from '@venn/errors';
import { MessageType, type MessageKind } from '@venn/wire';
import { sha512 } from '@noble/hashes/sha2.js';
import { PURPOSE_FINISH, PURPOSE_PROOF, STREAM_LABEL, TRANSCRIPT_LABEL } from './constants.js';
import { ROLE_BYTE, type Role } from './roles.js';

type Hasher = ReturnType<typeof sha512.create>;

/** SPEC §7.2: stream j = 2·(kind index) + (0 for the initiator, 1 for the responder). */
const STREAM_KINDS = ['offer', 'blinded', 'evaluated', 'proof', 'labels'] as const satisfies readonly MessageKind[];
export type TranscriptKind = (typeof STREAM_KINDS)[number];
export const STREAM_COUNT = 2 * STREAM_KINDS.length;

export function streamIndex(sender: Role, kind: TranscriptKind): number {
  return 2 * STREAM_KINDS.indexOf(kind) + (sender === 'initiator' ? 0 : 1);
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

  /** SPEC §7.3 TH_proof for the proof sent by `prover`: offers, both BLINDED streams, the prover's EVALUATED. */
  proofHash(prover: Role): Uint8Array {
    return this.combine(PURPOSE_PROOF, [0, 1, 2, 3, streamIndex(prover, 'evaluated')]);
  }

  /** SPEC §7.3 TH_final over all ten streams, signed in FINISH. */
  finalHash(): Uint8Array {
    return this.combine(PURPOSE_FINISH, Array.from({ length: STREAM_COUNT }, (_, j) => j));
  }

  private open(j: number): Hasher {
    const hasher = sha512.create();
    hasher.update(STREAM_LABEL);
    hasher.update(Uint8Array.of(j));
    this.hashers[j] = hasher;
    return hasher;
  }

  private combine(purpose: number, streams: readonly number[]): Uint8Array {
    const hasher = sha512.create();
    hasher.update(TRANSCRIPT_LABEL);
    hasher.update(Uint8Array.of(purpose));
    for (const j of streams) {
      hasher.update(Uint8Array.of(j));
      hasher.update(this.streamDigest(j));
    }
    return hasher.digest();
  }
}
