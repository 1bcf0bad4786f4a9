/** The RFC 9497 contextString of each Venn proof (SPEC §6.1): per EVALUATED chunk, or over the sums. */
import { sha512 } from '@noble/hashes/sha2.js';
import { InternalError } from '@venn/errors';
import { MAX_CHUNK_POINTS, MAX_POINT_CHUNKS, POINT_BYTES } from '@venn/wire';
import { CHUNK_LABEL, DLEQ_CONTEXT_PREFIX } from './constants.js';
import { ROLE_BYTE, type Role } from './roles.js';

/** Length of every contextString: 14 + 64 + 2 = 80 bytes, so "HashToScalar-" || it fits a 255-byte DST. */
export const PROOF_CONTEXT_BYTES = DLEQ_CONTEXT_PREFIX.length + 64 + 2;

function hash64(value: Uint8Array, field: string): void {
  if (!(value instanceof Uint8Array) || value.length !== 64) {
    const got = value instanceof Uint8Array ? `length=${value.length}` : typeof value;
    throw new InternalError('invalid-length', `"${field}" expected 64 bytes, got ${got}`);
  }
}

function chunkIndex(index: number): void {
  if (!Number.isSafeInteger(index) || index < 0 || index >= MAX_POINT_CHUNKS) {
    throw new InternalError('invalid-chunk', `"index" expected an integer in 0..${MAX_POINT_CHUNKS - 1}, got ${String(index)}`);
  }
}

/**
 * SPEC §6.1: TH_chunk(X, a) = SHA-512("VENN-V02-CHUNK" || role_byte(X) || TH_pre || I2OSP(a, 2) || pts_a).
 * `points` is the exact `pts` of X's EVALUATED chunk a, so every weight of the chunk depends on
 * every evaluation in it.
 */
export function chunkTranscriptHash(prover: Role, preTranscriptHash: Uint8Array, index: number, points: Uint8Array): Uint8Array {
  hash64(preTranscriptHash, 'preTranscriptHash');
  chunkIndex(index);
  if (!(points instanceof Uint8Array) || points.length === 0 || points.length % POINT_BYTES !== 0 || points.length > MAX_CHUNK_POINTS * POINT_BYTES) {
    throw new InternalError('invalid-length', `"points" expected 1..${MAX_CHUNK_POINTS} packed 32-byte points`);
  }
  return sha512
    .create()
    .update(CHUNK_LABEL)
    .update(Uint8Array.of(ROLE_BYTE[prover]))
    .update(preTranscriptHash)
    .update(Uint8Array.of(index >>> 8, index & 0xff))
    .update(points)
    .digest();
}

function contextString(transcriptHash: Uint8Array, index: number): Uint8Array {
  const context = new Uint8Array(PROOF_CONTEXT_BYTES);
  context.set(DLEQ_CONTEXT_PREFIX);
  context.set(transcriptHash, DLEQ_CONTEXT_PREFIX.length);
  context[PROOF_CONTEXT_BYTES - 2] = index >>> 8;
  context[PROOF_CONTEXT_BYTES - 1] = index & 0xff;
  return context;
}

/** SPEC §6.1: contextString_a = "VENN-V02-DLEQ-" || TH_chunk(X, a) || I2OSP(a, 2). */
export function chunkContextString(chunkHash: Uint8Array, index: number): Uint8Array {
  hash64(chunkHash, 'chunkHash');
  chunkIndex(index);
  return contextString(chunkHash, index);
}

/** SPEC §6.1 (`cardinality` mode): "VENN-V02-DLEQ-" || TH_proof(X) || I2OSP(0, 2). */
export function sumContextString(proofTranscriptHash: Uint8Array): Uint8Array {
  hash64(proofTranscriptHash, 'proofTranscriptHash');
  return contextString(proofTranscriptHash, 0);
}
