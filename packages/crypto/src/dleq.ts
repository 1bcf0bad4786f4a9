/** Batched DLEQ proofs of RFC 9497 §2.2 (GenerateProof / VerifyProof) over ristretto255-SHA512. */
import { concatBytes } from '@noble/hashes/utils.js';
import { CryptoError, InternalError, ValidationError } from '@venn/errors';
import {
  GENERATOR,
  POINT_BYTES,
  PROOF_BYTES,
  SCALAR_BYTES,
  abytes,
  bytesArg,
  equalPublic,
  isCanonicalScalar,
  isZero32,
  packedArg,
  secretScalarArg,
} from './internal/check.js';
import { MsmBatch, multiScalarMult } from './internal/msm.js';
import { lib, slots, wipeHeap } from './internal/sodium.js';
import { dstPrime, hashToScalarInto, sha512Into } from './hash.js';
import { decodePoint, drawScalarInto, pointError, type Rng } from './ristretto255.js';

const encoder = new TextEncoder();
const COMPOSITE = encoder.encode('Composite');
const CHALLENGE = encoder.encode('Challenge');
/** I2OSP(i, 2) indexes the composite weights, so one proof covers at most 2^16 pairs (RFC 9497 §2.2.1). */
export const MAX_PROOF_PAIRS = 0x10000;
/** "HashToScalar-" || contextString must fit a 255-byte DST (RFC 9380 §5.3.1). */
const MAX_CONTEXT_BYTES = 255 - 'HashToScalar-'.length;

interface ProofContext {
  /** DST_prime for "HashToScalar-" || contextString. */
  readonly scalarDst: Uint8Array;
  /** "Seed-" || contextString. */
  readonly seedDst: Uint8Array;
}

function proofContext(contextString: Uint8Array): ProofContext {
  bytesArg(contextString, 'contextString');
  if (contextString.length === 0 || contextString.length > MAX_CONTEXT_BYTES) {
    throw new ValidationError(
      'invalid-length',
      `"contextString" expected Uint8Array of length 1..${MAX_CONTEXT_BYTES}, got length=${contextString.length}`,
    );
  }
  return {
    scalarDst: dstPrime(concatBytes(encoder.encode('HashToScalar-'), contextString), 'contextString'),
    seedDst: concatBytes(encoder.encode('Seed-'), contextString),
  };
}

/** I2OSP(len(x), 2) || x for each x, in order. */
function lengthPrefixed(...parts: Uint8Array[]): Uint8Array {
  const framed: Uint8Array[] = [];
  for (const part of parts) framed.push(Uint8Array.of(part.length >>> 8, part.length & 0xff), part);
  return concatBytes(...framed);
}

/** Checks C and D: packed, equal counts, 1..2^16 pairs. Returns m. */
function pairCount(C: Uint8Array, D: Uint8Array): number {
  const m = packedArg(C, 'C');
  const mD = packedArg(D, 'D');
  if (m !== mD) {
    throw new ValidationError('invalid-length', `"D" expected ${m} packed points to match "C", got ${mD}`);
  }
  if (m === 0 || m > MAX_PROOF_PAIRS) {
    throw new ValidationError('invalid-length', `"C" expected 1..${MAX_PROOF_PAIRS} packed points, got ${m}`);
  }
  return m;
}

/**
 * Checks every C_i (and D_i when `withD`) in the order the composites consume them (C_0, D_0,
 * C_1, ...), so the first refused element is reported exactly as a point-by-point loop would.
 * RFC 9497 §3.3: inputs that are not valid encodings or are the identity MUST be rejected.
 */
function decodePairs(batch: MsmBatch, C: Uint8Array, D: Uint8Array, withD: boolean): void {
  const badC = batch.decode(C, 0, true);
  const badD = withD ? batch.decode(D, 1, true) : -1;
  if (badC >= 0 && (badD < 0 || badC <= badD)) throw pointError(C, badC * POINT_BYTES, `C[${badC}]`);
  if (badD >= 0) throw pointError(D, badD * POINT_BYTES, `D[${badD}]`);
}

/**
 * RFC 9497 §2.2.1 ComputeComposites / ComputeCompositesFast: M = Σ d_i·C_i into slots().accM and,
 * when `withZ`, Z = Σ d_i·D_i into slots().accZ. The weights d_i and the points are public
 * (SPEC.md §3.3), so the sums use the variable-time WebAssembly multi-scalar multiplication.
 * The identity sum encodes as 32 zero bytes.
 */
function computeComposites(B: Uint8Array, C: Uint8Array, D: Uint8Array, m: number, context: ProofContext, withZ: boolean): void {
  const lib_ = lib();
  const s = slots();
  const batch = new MsmBatch(m, withZ ? 2 : 1);
  decodePairs(batch, C, D, withZ);
  // seed = Hash(I2OSP(len(Bm), 2) || Bm || I2OSP(len(seedDST), 2) || seedDST)
  sha512Into(lengthPrefixed(B, context.seedDst), s.wide);
  // compositeTranscript = I2OSP(64, 2) || seed || I2OSP(i, 2) || I2OSP(32, 2) || Ci || I2OSP(32, 2) || Di || "Composite"
  const transcript = new Uint8Array(2 + 64 + 2 + 2 + POINT_BYTES + 2 + POINT_BYTES + COMPOSITE.length);
  transcript[1] = 64;
  transcript.set(lib_.HEAPU8.subarray(s.wide, s.wide + 64), 2);
  const at = { i: 66, c: 70, d: 72 + POINT_BYTES };
  transcript[at.c - 1] = POINT_BYTES;
  transcript[at.d - 1] = POINT_BYTES;
  transcript.set(COMPOSITE, at.d + POINT_BYTES);
  for (let i = 0; i < m; i++) {
    const offset = i * POINT_BYTES;
    transcript[at.i] = i >>> 8;
    transcript[at.i + 1] = i & 0xff;
    transcript.set(C.subarray(offset, offset + POINT_BYTES), at.c);
    transcript.set(D.subarray(offset, offset + POINT_BYTES), at.d);
    hashToScalarInto(transcript, context.scalarDst, s.weight);
    // Read HEAPU8 afresh: hashing may grow libsodium's memory for long context strings.
    batch.setScalar(i, lib_.HEAPU8, s.weight);
  }
  lib_.HEAPU8.set(batch.multiply(0), s.accM);
  if (withZ) lib_.HEAPU8.set(batch.multiply(1), s.accZ);
}

/** a·P + b·Q (public scalars and non-identity points, all on libsodium's heap) into `outPtr`. */
function linearCombination(outPtr: number, aPtr: number, pPtr: number, bPtr: number, qPtr: number): void {
  const heap = lib().HEAPU8;
  const scalars = new Uint8Array(2 * SCALAR_BYTES);
  scalars.set(heap.subarray(aPtr, aPtr + SCALAR_BYTES), 0);
  scalars.set(heap.subarray(bPtr, bPtr + SCALAR_BYTES), SCALAR_BYTES);
  const points = new Uint8Array(2 * POINT_BYTES);
  points.set(heap.subarray(pPtr, pPtr + POINT_BYTES), 0);
  points.set(heap.subarray(qPtr, qPtr + POINT_BYTES), POINT_BYTES);
  const result = multiScalarMult(scalars, points, true);
  // The callers pass points that were decoded and found non-identity already.
  if (!('sum' in result)) throw new InternalError('msm-refused', `linear combination refused point ${result.invalid}`);
  lib().HEAPU8.set(result.sum, outPtr);
}

/** c = HashToScalar(I2OSP(32, 2) || B || ... || I2OSP(32, 2) || t3 || "Challenge") into slots().challenge. */
function challenge(B: Uint8Array, context: ProofContext, into: number): void {
  const m = lib();
  const s = slots();
  const heap = m.HEAPU8;
  const point = (ptr: number): Uint8Array => heap.slice(ptr, ptr + POINT_BYTES);
  const transcript = concatBytes(lengthPrefixed(B, point(s.accM), point(s.accZ), point(s.t2), point(s.t3)), CHALLENGE);
  hashToScalarInto(transcript, context.scalarDst, into);
}

/**
 * RFC 9497 §2.2.1 GenerateProof with ComputeCompositesFast: proves log_A(B) = log_{C_i}(D_i) for
 * all i with one (c, s). k, r and c·k stay in the heap scratch region and are wiped on every exit.
 * For the RFC vectors pass an rng returning r || 0^32 (a 64-byte value below L reduces to itself).
 */
export function generateProof(
  k: Uint8Array,
  A: Uint8Array,
  B: Uint8Array,
  C: Uint8Array,
  D: Uint8Array,
  contextString: Uint8Array,
  rng: Rng,
): Uint8Array {
  secretScalarArg(k, 'k');
  decodePoint(A, 'A');
  decodePoint(B, 'B');
  const m = pairCount(C, D);
  // D only enters the transcript, so it is checked (all of it, before C) but not decoded into a table.
  const bad = new MsmBatch(m, 0).decode(D, undefined, true);
  if (bad >= 0) throw pointError(D, bad * POINT_BYTES, `D[${bad}]`);
  const context = proofContext(contextString);
  const lib_ = lib();
  const s = slots();
  try {
    computeComposites(B, C, D, m, context, false);
    lib_.HEAPU8.set(k, s.scalar);
    // Z = k·M (secret k: libsodium, constant time). M = identity only with negligible probability.
    if (lib_._crypto_scalarmult_ristretto255(s.accZ, s.scalar, s.accM) !== 0) {
      throw new CryptoError('identity-element', '"C": the composite element M is the identity');
    }
    drawScalarInto(rng, s.nonce);
    lib_.HEAPU8.set(A, s.point);
    // t2 = r·A, t3 = r·M (secret r). The generator gets libsodium's faster fixed-base path.
    const t2 = equalPublic(A, 0, GENERATOR, 0, POINT_BYTES)
      ? lib_._crypto_scalarmult_ristretto255_base(s.t2, s.nonce)
      : lib_._crypto_scalarmult_ristretto255(s.t2, s.nonce, s.point);
    const t3 = lib_._crypto_scalarmult_ristretto255(s.t3, s.nonce, s.accM);
    if (t2 !== 0 || t3 !== 0) {
      throw new CryptoError('identity-element', 'proof commitment is the identity for a non-zero nonce');
    }
    challenge(B, context, s.challenge);
    // s = r - c·k (mod L), computed in libsodium so the secrets never become JS numbers.
    lib_._crypto_core_ristretto255_scalar_mul(s.product, s.challenge, s.scalar);
    lib_._crypto_core_ristretto255_scalar_sub(s.response, s.nonce, s.product);
    const proof = new Uint8Array(PROOF_BYTES);
    proof.set(lib_.HEAPU8.subarray(s.challenge, s.challenge + SCALAR_BYTES), 0);
    proof.set(lib_.HEAPU8.subarray(s.response, s.response + SCALAR_BYTES), SCALAR_BYTES);
    return proof;
  } finally {
    wipeHeap(s.scalar, SCALAR_BYTES);
    wipeHeap(s.nonce, SCALAR_BYTES);
    wipeHeap(s.product, SCALAR_BYTES);
    wipeHeap(s.wide, 64);
  }
}

/**
 * RFC 9497 §2.2.2 VerifyProof with ComputeComposites. Returns false for a proof that does not
 * verify; throws typed errors only for malformed inputs (lengths, encodings, scalars >= L).
 */
export function verifyProof(
  A: Uint8Array,
  B: Uint8Array,
  C: Uint8Array,
  D: Uint8Array,
  proof: Uint8Array,
  contextString: Uint8Array,
): boolean {
  decodePoint(A, 'A');
  decodePoint(B, 'B');
  const m = pairCount(C, D);
  abytes(proof, PROOF_BYTES, 'proof', 'proof-length');
  // RFC 9497 §2.1 DeserializeScalar: scalars must be canonical (< L). Public data: no constant time needed.
  if (isCanonicalScalar(proof, 0) !== 1 || isCanonicalScalar(proof, SCALAR_BYTES) !== 1) {
    throw new CryptoError('invalid-scalar', '"proof" expected two canonical scalars c || s (< L), got an out-of-range value');
  }
  const context = proofContext(contextString);
  const lib_ = lib();
  const s = slots();
  computeComposites(B, C, D, m, context, true);
  // RFC 9497 §2.1 SerializeElement fails on the identity, so a transcript containing one cannot verify.
  if (isZero32(lib_.HEAPU8, s.accM) === 1 || isZero32(lib_.HEAPU8, s.accZ) === 1) return false;
  const heap = lib_.HEAPU8;
  heap.set(proof.subarray(0, SCALAR_BYTES), s.challenge);
  heap.set(proof.subarray(SCALAR_BYTES), s.response);
  // t2 = s·A + c·B; t3 = s·M + c·Z (all public, so variable time is fine).
  heap.set(A, s.point);
  heap.set(B, s.out);
  linearCombination(s.t2, s.response, s.point, s.challenge, s.out);
  linearCombination(s.t3, s.response, s.accM, s.challenge, s.accZ);
  if (isZero32(lib_.HEAPU8, s.t2) === 1 || isZero32(lib_.HEAPU8, s.t3) === 1) return false;
  challenge(B, context, s.weight);
  const heapAfter = lib_.HEAPU8;
  let difference = 0;
  for (let i = 0; i < SCALAR_BYTES; i++) difference |= heapAfter[s.weight + i]! ^ heapAfter[s.challenge + i]!;
  return difference === 0;
}
