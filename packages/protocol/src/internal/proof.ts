/**
 * The round's DLEQ proofs (SPEC §6), each exactly RFC 9497 §2.2 with a Venn contextString: one per
 * EVALUATED chunk in `intersection` mode, bound to TH_pre, the prover's role, the chunk index and
 * the chunk's own evaluations; one over the sums in `cardinality` mode, bound to TH_proof. The
 * round (as prover and as verifier) and the auditor's verifier all go through this module.
 */
import { CryptoError, ValidationError, describe } from '@venn/errors';
import { generateProof, sumPacked, verifyProof, type Rng } from '@venn/crypto';
import { MAX_CHUNK_POINTS, POINT_BYTES, PROOF_BYTES } from '@venn/wire';
import { GENERATOR } from './constants.js';
import { chunkContextString, chunkTranscriptHash, sumContextString } from './context.js';
import type { Role } from './roles.js';

/** What a chunk proof covers (SPEC §6.1): the verifier's BLINDED chunk `index` and the prover's EVALUATED chunk `index`. */
export interface ChunkProofInput {
  /** K of the prover, from its OFFER */
  readonly publicKey: Uint8Array;
  /** the prover's role, bound into TH_chunk */
  readonly prover: Role;
  /** TH_pre (SPEC §7.3): both OFFERs and both BLINDED streams */
  readonly preTranscriptHash: Uint8Array;
  /** the chunk index a, 0 … 255 */
  readonly index: number;
  /** the verifier's BLINDED chunk `index`, packed (C) */
  readonly blinded: Uint8Array;
  /** the exact `pts` of the prover's EVALUATED chunk `index` (D) */
  readonly evaluated: Uint8Array;
}

/** What the `cardinality` sum proof covers (SPEC §6.1): the sums of two whole streams. */
export interface SumProofInput {
  /** K of the prover, from its OFFER */
  readonly publicKey: Uint8Array;
  /** TH_proof of the prover (SPEC §7.3) */
  readonly proofTranscriptHash: Uint8Array;
  /** the verifier's whole BLINDED stream, packed (empty for an empty set) */
  readonly blinded: Uint8Array;
  /** the prover's whole EVALUATED stream, packed, in the order sent */
  readonly evaluated: Uint8Array;
}

/**
 * The outcome of checking one proof. On failure, `fault` names who the inputs show at fault: the
 * prover, or (sum proof only) the verifier whose blinded points sum to the identity, which only a
 * crafted list can do (SPEC §6.3).
 */
export type ProofVerdict =
  | { readonly valid: true }
  | { readonly valid: false; readonly fault: 'prover' | 'verifier'; readonly code: 'bad-proof' | 'bad-point'; readonly detail: string };

function packedCount(points: Uint8Array, field: string): number {
  if (!(points instanceof Uint8Array) || points.length % POINT_BYTES !== 0) {
    const got = points instanceof Uint8Array ? `length=${points.length}` : describe(points);
    throw new ValidationError('invalid-proof-input', `"${field}" expected packed 32-byte points, got ${got}`);
  }
  return points.length / POINT_BYTES;
}

function objectArg<T>(input: T, field: string): void {
  if (typeof input !== 'object' || input === null) {
    throw new ValidationError('invalid-proof-input', `"${field}" expected an object, got ${describe(input)}`);
  }
}

/** SPEC §6.1: a chunk has 1 … 4,096 pairs, as many evaluations as blinded points. */
function chunkPairs(input: ChunkProofInput): number {
  objectArg(input, 'input');
  if (input.prover !== 'initiator' && input.prover !== 'responder') {
    throw new ValidationError('invalid-proof-input', `"prover" expected "initiator" or "responder", got ${describe(input.prover)}`);
  }
  const m = packedCount(input.blinded, 'blinded');
  if (packedCount(input.evaluated, 'evaluated') !== m) {
    throw new ValidationError('invalid-proof-input', `"evaluated" expected ${m} packed points to match "blinded", got ${input.evaluated.length / POINT_BYTES}`);
  }
  if (m === 0 || m > MAX_CHUNK_POINTS) {
    throw new ValidationError('invalid-proof-input', `"blinded" expected 1..${MAX_CHUNK_POINTS} points (one chunk), got ${m}`);
  }
  return m;
}

function chunkContext(input: ChunkProofInput): Uint8Array {
  try {
    return chunkContextString(chunkTranscriptHash(input.prover, input.preTranscriptHash, input.index, input.evaluated), input.index);
  } catch (cause) {
    throw new ValidationError('invalid-proof-input', `chunk proof context: ${(cause as Error).message}`, { cause });
  }
}

/**
 * SPEC §6.1–§6.2: proves D = k·C over one chunk, RFC 9497 GenerateProof with A = G, B = K and
 * contextString_a. Draws one nonce from `rng` (SPEC Appendix A: when the chunk is sent). The
 * weights depend on every evaluation of the chunk, so call it only once the chunk is final.
 */
export function generateChunkProof(key: Uint8Array, input: ChunkProofInput, rng: Rng): Uint8Array {
  chunkPairs(input);
  return generateProof(key, GENERATOR, input.publicKey, input.blinded, input.evaluated, chunkContext(input), rng);
}

/**
 * SPEC §4.5 EVALUATED steps 6–7, §6.2: checks `proof` (the chunk's `pi`) over the verifier's
 * BLINDED chunk and the prover's EVALUATED chunk: its length first, then RFC 9497 VerifyProof.
 * All inputs are public. VerifyProof decodes every point and refuses an invalid one, so a valid
 * verdict implies the EVALUATED points pass chunk check 5; the round checks them on their own
 * only after an invalid verdict, to report check 5 (bad-point) first. Chunks of different
 * lengths are a caller error (ValidationError).
 */
export function verifyChunkProof(input: ChunkProofInput & { readonly proof: Uint8Array }): ProofVerdict {
  const m = chunkPairs(input);
  const { proof } = input;
  if (!(proof instanceof Uint8Array)) throw new ValidationError('invalid-proof-input', `"proof" expected Uint8Array, got ${describe(proof)}`);
  // SPEC §4.5 step 6: the length comes before any verification work.
  if (proof.length !== PROOF_BYTES) {
    return { valid: false, fault: 'prover', code: 'bad-proof', detail: `chunk ${input.index} carries a proof of ${proof.length} bytes, expected ${PROOF_BYTES}` };
  }
  const context = chunkContext(input);
  try {
    if (verifyProof(GENERATOR, input.publicKey, input.blinded, input.evaluated, proof, context)) return { valid: true };
  } catch (cause) {
    // A scalar ≥ L in pi, or a point the chunk checks should have refused: the proof cannot verify.
    if (!(cause instanceof CryptoError)) throw cause;
    return { valid: false, fault: 'prover', code: 'bad-proof', detail: `the proof of chunk ${input.index} (${m} pairs) is malformed: ${cause.message}` };
  }
  return { valid: false, fault: 'prover', code: 'bad-proof', detail: `the proof of chunk ${input.index} (${m} pairs) does not verify` };
}

function sumCount(input: SumProofInput): number {
  objectArg(input, 'input');
  const n = packedCount(input.blinded, 'blinded');
  if (packedCount(input.evaluated, 'evaluated') !== n) {
    throw new ValidationError('invalid-proof-input', `"evaluated" expected ${n} packed points to match "blinded", got ${input.evaluated.length / POINT_BYTES}`);
  }
  return n;
}

/**
 * SPEC §6.1 (`cardinality` mode), §6.3: proves ΣD = k·ΣC with one RFC 9497 proof over the one
 * summed pair. Returns an empty `pi` for an empty list. Throws CryptoError if the verifier's points
 * sum to the identity (the prover then aborts with bad-point).
 */
export function generateSumProof(key: Uint8Array, input: SumProofInput, rng: Rng): Uint8Array {
  const n = sumCount(input);
  if (n === 0) return new Uint8Array(0);
  const context = sumContextString(input.proofTranscriptHash);
  return generateProof(key, GENERATOR, input.publicKey, sumPacked(input.blinded), sumPacked(input.evaluated), context, rng);
}

/**
 * SPEC §4.5 PROOF, §6.2–§6.3: checks the sum proof: exactly 64 bytes for a non-empty list and
 * empty for an empty one, then RFC 9497 VerifyProof over the two sums.
 */
export function verifySumProof(input: SumProofInput & { readonly proof: Uint8Array }): ProofVerdict {
  const n = sumCount(input);
  const { proof } = input;
  if (!(proof instanceof Uint8Array)) throw new ValidationError('invalid-proof-input', `"proof" expected Uint8Array, got ${describe(proof)}`);
  const expected = n === 0 ? 0 : PROOF_BYTES;
  if (proof.length !== expected) {
    return { valid: false, fault: 'prover', code: 'bad-proof', detail: `PROOF carries ${proof.length} bytes, expected ${expected} for a list of ${n}` };
  }
  if (n === 0) return { valid: true };
  const context = sumContextString(input.proofTranscriptHash);
  let C: Uint8Array;
  let D: Uint8Array;
  try {
    C = sumPacked(input.blinded);
  } catch (cause) {
    if (!(cause instanceof CryptoError)) throw cause;
    return { valid: false, fault: 'verifier', code: 'bad-point', detail: `the verifier's blinded points sum to no usable element: ${cause.message}` };
  }
  try {
    D = sumPacked(input.evaluated);
  } catch (cause) {
    if (!(cause instanceof CryptoError)) throw cause;
    return { valid: false, fault: 'prover', code: 'bad-proof', detail: `the prover's evaluations sum to no usable element: ${cause.message}` };
  }
  try {
    if (verifyProof(GENERATOR, input.publicKey, C, D, proof, context)) return { valid: true };
  } catch (cause) {
    if (!(cause instanceof CryptoError)) throw cause;
    return { valid: false, fault: 'prover', code: 'bad-proof', detail: `the sum proof is malformed: ${cause.message}` };
  }
  return { valid: false, fault: 'prover', code: 'bad-proof', detail: 'the sum proof does not verify' };
}
