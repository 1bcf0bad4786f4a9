/** Input checks with labelled, typed errors, shared by every public function. */
import { CryptoError, ValidationError, describe } from '@venn/errors';

export const POINT_BYTES = 32;
export const SCALAR_BYTES = 32;
export const PROOF_BYTES = 64;

/** ristretto255 group order L = 2^252 + 27742317777372353535851937790883648493, little-endian. */
const ORDER = Uint8Array.from([
  0xed, 0xd3, 0xf5, 0x5c, 0x1a, 0x63, 0x12, 0x58, 0xd6, 0x9c, 0xf7, 0xa2, 0xde, 0xf9, 0xde, 0x14,
  0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x10,
]);

/** Canonical encoding of the ristretto255 generator (RFC 9496 §4.4). */
export const GENERATOR = Uint8Array.from([
  0xe2, 0xf2, 0xae, 0x0a, 0x6a, 0xbc, 0x4e, 0x71, 0xa8, 0x84, 0xa9, 0x61, 0xc5, 0x00, 0x51, 0x5f,
  0x58, 0xe3, 0x0b, 0x6a, 0xa5, 0x82, 0xdd, 0x8d, 0xb6, 0xa6, 0x59, 0x45, 0xe0, 0x8d, 0x2d, 0x76,
]);

/** Asserts a Uint8Array of any length. */
export function bytesArg(value: unknown, field: string): asserts value is Uint8Array {
  if (!(value instanceof Uint8Array)) {
    throw new ValidationError('invalid-length', `"${field}" expected Uint8Array, got ${describe(value)}`);
  }
}

/** Asserts a Uint8Array of exactly `length` bytes (noble's abytes, with Venn's error family). */
export function abytes(value: unknown, length: number, field: string, code = 'invalid-length'): asserts value is Uint8Array {
  if (!(value instanceof Uint8Array)) {
    throw new ValidationError(code, `"${field}" expected Uint8Array of length ${length}, got ${describe(value)}`);
  }
  if (value.length !== length) {
    throw new ValidationError(code, `"${field}" expected Uint8Array of length ${length}, got length=${value.length}`);
  }
}

/** Asserts packed points: a Uint8Array whose length is a multiple of 32. Returns the count. */
export function packedArg(value: unknown, field: string): number {
  if (!(value instanceof Uint8Array)) {
    throw new ValidationError('invalid-length', `"${field}" expected Uint8Array of packed 32-byte points, got ${describe(value)}`);
  }
  if (value.length % POINT_BYTES !== 0) {
    throw new ValidationError(
      'invalid-length',
      `"${field}" expected Uint8Array of packed 32-byte points (length a multiple of 32), got length=${value.length}`,
    );
  }
  return value.length / POINT_BYTES;
}

/**
 * 1 if the 32 bytes at `offset` are all zero, else 0, without branching on their values.
 * Used on secret scalars; on points (public) the same function is simply convenient.
 */
export function isZero32(bytes: Uint8Array, offset = 0): number {
  let acc = 0;
  for (let i = 0; i < 32; i++) acc |= bytes[offset + i]!;
  return ((acc - 1) >>> 31) & 1;
}

/**
 * 1 if the 32-byte little-endian value at `offset` is < L, else 0. Runs a full borrow chain over
 * all bytes with no data-dependent branch, because it is applied to secret scalars.
 */
export function isCanonicalScalar(bytes: Uint8Array, offset = 0): number {
  let borrow = 0;
  for (let i = 0; i < 32; i++) {
    borrow = ((bytes[offset + i]! - ORDER[i]! - borrow) >>> 31) & 1;
  }
  // value - L borrows out of the top byte exactly when value < L.
  return borrow;
}

/**
 * Asserts a secret scalar: 32 bytes, canonical (< L) and non-zero. Non-canonical scalars are
 * refused rather than reduced so that one key has one encoding.
 */
export function secretScalarArg(value: unknown, field: string): asserts value is Uint8Array {
  abytes(value, SCALAR_BYTES, field);
  const ok = isCanonicalScalar(value) & (isZero32(value) ^ 1);
  if (ok !== 1) {
    throw new CryptoError('invalid-scalar', `"${field}" expected a canonical non-zero scalar (< L, little-endian), got an out-of-range value`);
  }
}

/** Variable-time equality; only for public data such as point encodings. */
export function equalPublic(a: Uint8Array, aOffset: number, b: Uint8Array, bOffset: number, length: number): boolean {
  for (let i = 0; i < length; i++) if (a[aOffset + i] !== b[bOffset + i]) return false;
  return true;
}
