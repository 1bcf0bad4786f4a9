/** ristretto255 group operations (RFC 9496) on canonical 32-byte encodings (libsodium and wasm/ristretto.c). */
import { CryptoError, InternalError, ValidationError } from '@venn/errors';
import {
  POINT_BYTES,
  SCALAR_BYTES,
  abytes,
  isZero32,
  packedArg,
  secretScalarArg,
} from './internal/check.js';
import { SCALARMULT_CHUNK_POINTS, secretScalarMultChunk } from './internal/batch.js';
import { CHUNK_POINTS, lib, slots, wipeHeap, wrapper } from './internal/sodium.js';

/**
 * A source of uniformly random bytes. The returned buffer is treated as secret key material and
 * zeroed after use, so return a fresh buffer on every call.
 */
export type Rng = (length: number) => Uint8Array;

/** Web Crypto's getRandomValues allows at most this many bytes per call. */
const MAX_RANDOM_VALUES_BYTES = 65_536;

/**
 * The platform CSPRNG (Web Crypto `getRandomValues`, which libsodium's randombytes_buf also calls
 * in this build), filled in calls of up to 64 KiB: libsodium's wrapper asks for 4 bytes per call,
 * which made a round's permutation of 2^20 positions cost a million calls.
 */
export const systemRng: Rng = (length: number): Uint8Array => {
  if (!Number.isSafeInteger(length) || length < 0) {
    throw new ValidationError('invalid-length', `"length" expected a non-negative integer, got ${String(length)}`);
  }
  wrapper(); // as every function of this package: not before ready()
  const out = new Uint8Array(length);
  for (let at = 0; at < length; at += MAX_RANDOM_VALUES_BYTES) {
    globalThis.crypto.getRandomValues(out.subarray(at, Math.min(length, at + MAX_RANDOM_VALUES_BYTES)));
  }
  return out;
};

/** Attempts before randomScalar gives up on an rng that keeps producing zero. */
const MAX_ZERO_DRAWS = 8;

/**
 * Draws 64 bytes from `rng`, reduces them mod L into the heap slot `target` and retries on zero
 * (RFC 9497 §2.1 RandomScalar: a uniformly random non-zero scalar). The wide input is wiped.
 */
export function drawScalarInto(rng: Rng, target: number, field = 'rng'): void {
  if (typeof rng !== 'function') {
    throw new ValidationError('invalid-rng', `"${field}" expected a function (length) => Uint8Array, got ${typeof rng}`);
  }
  const m = lib();
  const s = slots();
  for (let attempt = 0; attempt < MAX_ZERO_DRAWS; attempt++) {
    const wide = rng(64);
    abytes(wide, 64, `${field} output`);
    m.HEAPU8.set(wide, s.wide);
    wrapper().memzero(wide);
    // 64 bytes reduced mod L: bias below 2^-250 (RFC 9380 §5 uses the same L = 64 for ristretto255).
    m._crypto_core_ristretto255_scalar_reduce(target, s.wide);
    wipeHeap(s.wide, 64);
    if (isZero32(m.HEAPU8, target) === 0) return;
  }
  throw new CryptoError('invalid-scalar', `"${field}" produced a zero scalar ${MAX_ZERO_DRAWS} times in a row; it is not random`);
}

/** A uniformly random non-zero scalar: 64 rng bytes reduced mod L, retried if zero. */
export function randomScalar(rng: Rng): Uint8Array {
  const s = slots();
  try {
    drawScalarInto(rng, s.scalar);
    return lib().HEAPU8.slice(s.scalar, s.scalar + SCALAR_BYTES);
  } finally {
    wipeHeap(s.scalar, SCALAR_BYTES);
  }
}

/**
 * The typed error for a point at `offset` that libsodium refused (or that decoded to the identity).
 * Point bytes are public, so inspecting them in variable time is fine.
 */
export function pointError(bytes: Uint8Array, offset: number, field: string): CryptoError {
  if (isZero32(bytes, offset) === 1) {
    // RFC 9497 §3.3: inputs that decode to the identity element MUST be rejected.
    return new CryptoError('identity-element', `"${field}" expected a non-identity ristretto255 element, got the identity`);
  }
  const m = lib();
  const s = slots();
  m.HEAPU8.set(bytes.subarray(offset, offset + POINT_BYTES), s.point);
  if (m._crypto_core_ristretto255_is_valid_point(s.point) !== 1) {
    return new CryptoError(
      'non-canonical-point',
      `"${field}" expected a canonical ristretto255 encoding (RFC 9496 §4.3.1), got bytes that do not decode`,
    );
  }
  return new CryptoError('identity-element', `"${field}": the result of the scalar multiplication is the identity`);
}

/**
 * RFC 9496 §4.3.1 decoding: exactly 32 bytes, canonical, and not the identity (RFC 9497 §3.3;
 * libsodium's is_valid_point accepts the identity, so it is rejected here). Returns a copy.
 */
export function decodePoint(bytes: Uint8Array, field = 'point'): Uint8Array {
  abytes(bytes, POINT_BYTES, field);
  const m = lib();
  const s = slots();
  m.HEAPU8.set(bytes, s.point);
  if (isZero32(bytes) === 1 || m._crypto_core_ristretto255_is_valid_point(s.point) !== 1) {
    throw pointError(bytes, 0, field);
  }
  return bytes.slice();
}

/** Checks packed points (32·m bytes): each canonical (RFC 9496 §4.3.1) and non-identity; the error names the index. */
export function validatePackedPoints(points: Uint8Array, field: string): void {
  const count = packedArg(points, field);
  const m = lib();
  const s = slots();
  for (let start = 0; start < count; start += CHUNK_POINTS) {
    const n = Math.min(CHUNK_POINTS, count - start);
    const heap = m.HEAPU8;
    heap.set(points.subarray(start * POINT_BYTES, (start + n) * POINT_BYTES), s.chunkIn);
    for (let j = 0; j < n; j++) {
      const at = s.chunkIn + j * POINT_BYTES;
      if (isZero32(heap, at) === 1 || m._crypto_core_ristretto255_is_valid_point(at) !== 1) {
        throw pointError(points, (start + j) * POINT_BYTES, `${field}[${start + j}]`);
      }
    }
  }
}

/** k·G through libsodium (constant time). k must be canonical and non-zero. */
export function scalarBaseMult(k: Uint8Array): Uint8Array {
  secretScalarArg(k, 'k');
  const m = lib();
  const s = slots();
  try {
    m.HEAPU8.set(k, s.scalar);
    if (m._crypto_scalarmult_ristretto255_base(s.out, s.scalar) !== 0) {
      // Unreachable for 0 < k < L (G has prime order L); kept so a libsodium surprise is typed.
      throw new InternalError('identity-element', 'k·G is the identity for a canonical non-zero k');
    }
    return m.HEAPU8.slice(s.out, s.out + POINT_BYTES);
  } finally {
    wipeHeap(s.scalar, SCALAR_BYTES);
  }
}

/**
 * k·P through libsodium (constant time in k). libsodium decodes P strictly (RFC 9496 §4.3.1) and
 * reports an identity result; either failure becomes a typed error naming the point.
 */
export function scalarMult(k: Uint8Array, point: Uint8Array): Uint8Array {
  secretScalarArg(k, 'k');
  abytes(point, POINT_BYTES, 'point');
  const m = lib();
  const s = slots();
  try {
    m.HEAPU8.set(k, s.scalar);
    m.HEAPU8.set(point, s.point);
    if (m._crypto_scalarmult_ristretto255(s.out, s.scalar, s.point) !== 0) throw pointError(point, 0, 'point');
    return m.HEAPU8.slice(s.out, s.out + POINT_BYTES);
  } finally {
    wipeHeap(s.scalar, SCALAR_BYTES);
  }
}

/**
 * k·P_i for packed points, same order, constant time in k. Two or more points go through the
 * batched SIMD module (wasm/ristretto.c), which decodes every point strictly before touching k;
 * a single point goes through libsodium, which is faster when there is nothing to pair it with.
 * Every P_i is checked as validatePackedPoints checks it, with the same errors: the first refused
 * point wins and is named `${field}[i]`, so a caller need not validate the points beforehand.
 */
export function scalarMultPacked(k: Uint8Array, points: Uint8Array, field = 'points'): Uint8Array {
  secretScalarArg(k, 'k');
  const count = packedArg(points, field);
  if (count < 2) return scalarMultPackedSodium(k, points, count, field);
  const out = new Uint8Array(points.length);
  for (let start = 0, n = 0; start < count; start += n) {
    n = Math.min(SCALARMULT_CHUNK_POINTS, count - start);
    // Never leave a single point for the last call: it would fill only one of the two lanes.
    if (count - start - n === 1) n -= 1;
    const bytes = [start * POINT_BYTES, (start + n) * POINT_BYTES] as const;
    const refused = secretScalarMultChunk(k, points.subarray(...bytes), out.subarray(...bytes));
    if (refused >= 0) throw pointError(points, (start + refused) * POINT_BYTES, `${field}[${start + refused}]`);
    for (let j = start; j < start + n; j++) {
      // Unreachable for 0 < k < L and non-identity inputs (prime order); checked as libsodium did.
      if (isZero32(out, j * POINT_BYTES) === 1) throw pointError(points, j * POINT_BYTES, `${field}[${j}]`);
    }
  }
  return out;
}

/** k·P_i through libsodium's scalarmult, point by point (used for fewer than two points). */
function scalarMultPackedSodium(k: Uint8Array, points: Uint8Array, count: number, field: string): Uint8Array {
  const m = lib();
  const s = slots();
  const out = new Uint8Array(points.length);
  try {
    m.HEAPU8.set(k, s.scalar);
    for (let j = 0; j < count; j++) {
      m.HEAPU8.set(points.subarray(j * POINT_BYTES, (j + 1) * POINT_BYTES), s.point);
      if (m._crypto_scalarmult_ristretto255(s.out, s.scalar, s.point) !== 0) {
        throw pointError(points, j * POINT_BYTES, `${field}[${j}]`);
      }
      out.set(m.HEAPU8.subarray(s.out, s.out + POINT_BYTES), j * POINT_BYTES);
    }
    return out;
  } finally {
    wipeHeap(s.scalar, SCALAR_BYTES);
  }
}

/**
 * Σ P_i over packed points (public data). Every P_i must be canonical and non-identity; a sum that
 * is the identity is refused because it has no valid encoding for Venn's purposes.
 */
export function sumPacked(points: Uint8Array): Uint8Array {
  const count = packedArg(points, 'points');
  if (count === 0) {
    throw new ValidationError('invalid-length', '"points" expected at least one packed 32-byte point, got length=0');
  }
  const m = lib();
  const s = slots();
  // The all-zero encoding decodes to the identity in libsodium, so it seeds the accumulator.
  wipeHeap(s.accM, POINT_BYTES);
  for (let start = 0; start < count; start += CHUNK_POINTS) {
    const n = Math.min(CHUNK_POINTS, count - start);
    m.HEAPU8.set(points.subarray(start * POINT_BYTES, (start + n) * POINT_BYTES), s.chunkIn);
    for (let j = 0; j < n; j++) {
      const at = s.chunkIn + j * POINT_BYTES;
      // Identity inputs decode fine in add, so reject them explicitly (RFC 9497 §3.3).
      if (isZero32(m.HEAPU8, at) === 1 || m._crypto_core_ristretto255_add(s.accM, s.accM, at) !== 0) {
        throw pointError(points, (start + j) * POINT_BYTES, `points[${start + j}]`);
      }
    }
  }
  if (isZero32(m.HEAPU8, s.accM) === 1) {
    throw new CryptoError('identity-element', '"points": the sum is the identity element');
  }
  return m.HEAPU8.slice(s.accM, s.accM + POINT_BYTES);
}

