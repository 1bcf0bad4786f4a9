/** RFC 9162 §2.1.1 Merkle Tree Hash primitives over SHA-256, with the 0x00/0x01 domain prefixes. */
import { sha256 } from '@noble/hashes/sha2.js';
import { abytes } from './bytes.js';

/** Every node and root of the log is one SHA-256 output. */
export const HASH_BYTES = 32;

const LEAF_PREFIX = 0x00;
const NODE_PREFIX = 0x01;

/** RFC 9162 §2.1.1: MTH({}) = HASH(), the hash of the empty string. */
export function emptyRoot(): Uint8Array {
  return sha256(new Uint8Array(0));
}

/** RFC 9162 §2.1.1: MTH({d(0)}) = HASH(0x00 || d(0)); the prefix keeps leaves and nodes apart. */
export function hashLeaf(leaf: Uint8Array): Uint8Array {
  abytes(leaf, undefined, 'leaf');
  const input = new Uint8Array(1 + leaf.length);
  input[0] = LEAF_PREFIX;
  input.set(leaf, 1);
  return sha256(input);
}

/** RFC 9162 §2.1.1: MTH(D_n) = HASH(0x01 || MTH(D[0:k]) || MTH(D[k:n])). */
export function hashChildren(left: Uint8Array, right: Uint8Array): Uint8Array {
  const input = new Uint8Array(1 + 2 * HASH_BYTES);
  input[0] = NODE_PREFIX;
  input.set(abytes(left, HASH_BYTES, 'left'), 1);
  input.set(abytes(right, HASH_BYTES, 'right'), 1 + HASH_BYTES);
  return sha256(input);
}

/** RFC 9162 §2.1.1: k is the largest power of two smaller than n (n > 1). */
export function splitPoint(n: number): number {
  let k = 1;
  // Doubling instead of `1 << x`: sizes may exceed 2^31, where JS bit operators wrap.
  while (k * 2 < n) k *= 2;
  return k;
}

/** True for 1, 2, 4, …; arithmetic rather than bit tricks so it holds up to 2^53. */
export function isPowerOfTwo(n: number): boolean {
  if (n < 1) return false;
  while (n % 2 === 0) n /= 2;
  return n === 1;
}
