/**
 * The round's proof (SPEC §6): RFC 9497 §2.2 batched DLEQ proofs over consecutive segments of at
 * most 65,536 pairs, each with its own contextString bound to TH_proof and the segment index. The
 * round (both as prover and as verifier) and the auditor's verifier all go through this module,
 * so segmentation is defined in one place.
 */
import { CryptoError, ValidationError, describe } from '@venn/errors';
import { generateProof, sumPacked, verifyProof, type Rng } from '@venn/crypto';
import { POINT_BYTES, PROOF_BYTES, PROOF_SEGMENT_PAIRS, proofSegmentCount, type Mode } from '@venn/wire';
import { GENERATOR } from './constants.js';
import { proofContextString } from './context.js';

/**
 * SPEC §6.1, §6.3: the pairs a proof covers for a verifier holding `verifierSetSize` elements:
 * every pair in `intersection` mode, the one summed pair in `cardinality` mode, none for an empty set.
 */
export function proofPairCount(mode: Mode, verifierSetSize: number): number {
  return mode === 'intersection' ? verifierSetSize : Math.min(verifierSetSize, 1);
}

/** SPEC §5.6: the exact length of `pi`, 64 bytes per segment. */
export function roundProofLength(mode: Mode, verifierSetSize: number): number {
  return PROOF_BYTES * proofSegmentCount(proofPairCount(mode, verifierSetSize));
}

export interface RoundProofInput {
  readonly mode: Mode;
  /** K of the prover, from its OFFER */
  readonly publicKey: Uint8Array;
  /** the verifier's BLINDED stream, packed, in stream order */
  readonly blinded: Uint8Array;
  /** the prover's EVALUATED stream, packed, in the order it was sent */
  readonly evaluated: Uint8Array;
  /** `pi` from the prover's PROOF */
  readonly proof: Uint8Array;
  /** TH_proof of the prover (SPEC §7.3) */
  readonly proofTranscriptHash: Uint8Array;
}

/**
 * The outcome of checking a round's proof. On failure, `fault` names who the inputs show at
 * fault: the prover, or (cardinality mode only) the verifier whose blinded points sum to the
 * identity, which only a crafted list can do (SPEC §6.3). `segment` is the first failing segment.
 */
export type RoundProofVerdict =
  | { readonly valid: true; readonly segments: number }
  | {
      readonly valid: false;
      readonly fault: 'prover' | 'verifier';
      readonly code: 'bad-proof' | 'bad-point';
      readonly segment: number | null;
      readonly detail: string;
    };

function packedCount(points: Uint8Array, field: string): number {
  if (!(points instanceof Uint8Array) || points.length % POINT_BYTES !== 0) {
    const got = points instanceof Uint8Array ? `length=${points.length}` : describe(points);
    throw new ValidationError('invalid-proof-input', `"${field}" expected packed 32-byte points, got ${got}`);
  }
  return points.length / POINT_BYTES;
}

/** Pairs `first … first + count − 1` of a packed list, without copying. */
function segmentOf(points: Uint8Array, segment: number, pairs: number): Uint8Array {
  const first = segment * PROOF_SEGMENT_PAIRS;
  const count = Math.min(PROOF_SEGMENT_PAIRS, pairs - first);
  return points.subarray(first * POINT_BYTES, (first + count) * POINT_BYTES);
}

/**
 * SPEC §6: proves E = k·C for the peer's blinded list C and this party's evaluations E (in the
 * peer's order; in `cardinality` mode any order, since only the sums enter). Returns `pi`, the
 * segments' 64-byte proofs in segment order; empty for an empty list. Draws one nonce per segment
 * from `rng`, in segment order (SPEC Appendix A). Throws CryptoError if, in `cardinality` mode,
 * the peer's points sum to the identity.
 */
export function generateRoundProof(
  key: Uint8Array,
  mode: Mode,
  publicKey: Uint8Array,
  blinded: Uint8Array,
  evaluations: Uint8Array,
  proofTranscriptHash: Uint8Array,
  rng: Rng,
): Uint8Array {
  const n = packedCount(blinded, 'blinded');
  if (packedCount(evaluations, 'evaluations') !== n) {
    throw new ValidationError('invalid-proof-input', `"evaluations" expected ${n} packed points to match "blinded", got ${evaluations.length / POINT_BYTES}`);
  }
  const pairs = proofPairCount(mode, n);
  if (pairs === 0) return new Uint8Array(0);
  // SPEC §6.3: in cardinality mode the one pair is the two unweighted sums.
  const C = mode === 'intersection' ? blinded : sumPacked(blinded);
  const D = mode === 'intersection' ? evaluations : sumPacked(evaluations);
  const segments = proofSegmentCount(pairs);
  const pi = new Uint8Array(segments * PROOF_BYTES);
  for (let j = 0; j < segments; j++) {
    // SPEC §6.1: each segment is exactly RFC 9497 GenerateProof, with the segment's own context.
    const context = proofContextString(proofTranscriptHash, j);
    pi.set(generateProof(key, GENERATOR, publicKey, segmentOf(C, j, pairs), segmentOf(D, j, pairs), context, rng), j * PROOF_BYTES);
  }
  return pi;
}

/**
 * SPEC §4.5 PROOF, §6: checks `pi` over the verifier's BLINDED stream and the prover's EVALUATED
 * stream: its exact segmented length, then every segment (RFC 9497 VerifyProof). All inputs are
 * public. The streams must already have passed the chunk checks of SPEC §4.5 (counts and points);
 * lists of different lengths are a caller error (ValidationError).
 */
export function verifyRoundProof(input: RoundProofInput): RoundProofVerdict {
  if (typeof input !== 'object' || input === null) {
    throw new ValidationError('invalid-proof-input', `"input" expected an object, got ${describe(input)}`);
  }
  const { mode, publicKey, blinded, evaluated, proof, proofTranscriptHash } = input;
  if (mode !== 'intersection' && mode !== 'cardinality') {
    throw new ValidationError('invalid-proof-input', `"mode" expected "intersection" or "cardinality", got ${describe(mode)}`);
  }
  const n = packedCount(blinded, 'blinded');
  if (packedCount(evaluated, 'evaluated') !== n) {
    throw new ValidationError('invalid-proof-input', `"evaluated" expected ${n} packed points to match "blinded", got ${evaluated.length / POINT_BYTES}`);
  }
  if (!(proof instanceof Uint8Array)) throw new ValidationError('invalid-proof-input', `"proof" expected Uint8Array, got ${describe(proof)}`);
  const pairs = proofPairCount(mode, n);
  const segments = proofSegmentCount(pairs);
  const invalid = (fault: 'prover' | 'verifier', code: 'bad-proof' | 'bad-point', segment: number | null, detail: string): RoundProofVerdict => ({
    valid: false,
    fault,
    code,
    segment,
    detail,
  });
  // SPEC §4.5: the length follows from the verifier's own set size and the mode, before any work.
  if (proof.length !== segments * PROOF_BYTES) {
    return invalid('prover', 'bad-proof', null, `PROOF carries ${proof.length} bytes, expected ${segments * PROOF_BYTES} (${segments} segment${segments === 1 ? '' : 's'} of ${PROOF_BYTES} bytes for ${pairs} pair${pairs === 1 ? '' : 's'})`);
  }
  if (pairs === 0) return { valid: true, segments: 0 };
  let C = blinded;
  let D = evaluated;
  if (mode === 'cardinality') {
    try {
      C = sumPacked(blinded);
    } catch (cause) {
      if (!(cause instanceof CryptoError)) throw cause;
      return invalid('verifier', 'bad-point', null, `the verifier's blinded points sum to no usable element: ${cause.message}`);
    }
    try {
      D = sumPacked(evaluated);
    } catch (cause) {
      if (!(cause instanceof CryptoError)) throw cause;
      return invalid('prover', 'bad-proof', null, `the prover's evaluations sum to no usable element: ${cause.message}`);
    }
  }
  for (let j = 0; j < segments; j++) {
    const context = proofContextString(proofTranscriptHash, j);
    const pi = proof.subarray(j * PROOF_BYTES, (j + 1) * PROOF_BYTES);
    let valid: boolean;
    try {
      valid = verifyProof(GENERATOR, publicKey, segmentOf(C, j, pairs), segmentOf(D, j, pairs), pi, context);
    } catch (cause) {
      // A scalar ≥ L in pi, or a point the chunk checks should have refused: the proof cannot verify.
      if (!(cause instanceof CryptoError)) throw cause;
      return invalid('prover', 'bad-proof', j, `proof segment ${j} of ${segments} is malformed: ${cause.message}`);
    }
    if (!valid) return invalid('prover', 'bad-proof', j, `proof segment ${j} of ${segments} does not verify`);
  }
  return { valid: true, segments };
}
