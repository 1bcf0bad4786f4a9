/** RFC 9162 §2.1.3.2 and §2.1.4.2 proof verification, written step by step as the RFC states it. */
import { ValidationError, describe } from '@venn/errors';
import { abytes, auint, bytesEqual } from './bytes.js';
import { HASH_BYTES, emptyRoot, hashChildren, isPowerOfTwo } from './hash.js';

/**
 * Longest proof worth reading. Sizes are below 2^53, so a valid path has at most 53 hashes (54 for a
 * consistency path with first_hash prepended); anything longer is rejected before touching it.
 */
export const MAX_PROOF_HASHES = 64;

/** `x >> 1` without 32-bit wrap-around: sizes up to 2^53 stay exact. */
function shift(x: number): number {
  return Math.floor(x / 2);
}

function lsb(x: number): boolean {
  return x % 2 === 1;
}

/** Checks the proof shape: an array of 32-byte hashes. Returns false-worthy overlong proofs as null. */
function readProof(proof: unknown, field: string): readonly Uint8Array[] | null {
  if (!Array.isArray(proof)) {
    throw new ValidationError('invalid-type', `"${field}" expected an array of hashes, got ${describe(proof)}`);
  }
  if (proof.length > MAX_PROOF_HASHES) return null;
  for (let i = 0; i < proof.length; i++) {
    const hash: unknown = proof[i];
    // Label built only on failure: this runs for every hash of every proof checked.
    if (!(hash instanceof Uint8Array) || hash.length !== HASH_BYTES) abytes(hash, HASH_BYTES, `${field}[${i}]`);
  }
  return proof as readonly Uint8Array[];
}

/**
 * RFC 9162 §2.1.3.2: does `proof` show that the leaf with hash `leafHash` sits at `leafIndex` in the tree
 * of `treeSize` leaves whose root is `root`? Returns false for any proof that does not verify; throws
 * ValidationError only for malformed arguments (wrong types, hash lengths, negative sizes).
 */
export function verifyInclusion(
  leafHash: Uint8Array,
  leafIndex: number,
  treeSize: number,
  proof: readonly Uint8Array[],
  root: Uint8Array,
): boolean {
  abytes(leafHash, HASH_BYTES, 'leafHash');
  auint(leafIndex, 'leafIndex');
  auint(treeSize, 'treeSize');
  abytes(root, HASH_BYTES, 'root');
  const inclusionPath = readProof(proof, 'proof');
  if (inclusionPath === null) return false;

  // 1. If leaf_index >= tree_size, fail.
  if (leafIndex >= treeSize) return false;
  // 2. Set fn to leaf_index and sn to tree_size - 1.
  let fn = leafIndex;
  let sn = treeSize - 1;
  // 3. Set r to hash.
  let r = leafHash;
  // 4. For each value p in the inclusion_path array:
  for (const p of inclusionPath) {
    // a. If sn is 0, stop the iteration and fail the proof verification.
    if (sn === 0) return false;
    // b. If LSB(fn) is set, or if fn is equal to sn, then:
    if (lsb(fn) || fn === sn) {
      // i. Set r to HASH(0x01 || p || r).
      r = hashChildren(p, r);
      // ii. If LSB(fn) is not set, right-shift fn and sn equally until LSB(fn) is set or fn is 0.
      if (!lsb(fn)) {
        while (!lsb(fn) && fn !== 0) {
          fn = shift(fn);
          sn = shift(sn);
        }
      }
    } else {
      // Otherwise: set r to HASH(0x01 || r || p).
      r = hashChildren(r, p);
    }
    // c. Finally, right-shift both fn and sn one time.
    fn = shift(fn);
    sn = shift(sn);
  }
  // 5. Compare sn to 0 and r against root_hash; both must hold.
  return sn === 0 && bytesEqual(r, root);
}

/**
 * RFC 9162 §2.1.4.2: does `proof` show that the tree of `firstSize` leaves with root `firstRoot` is a prefix
 * of the tree of `secondSize` leaves with root `secondRoot`? Returns false for any proof that does not
 * verify; throws ValidationError only for malformed arguments.
 *
 * The RFC algorithm covers 0 < first < second. The two degenerate cases are decided here, as Venn's spec
 * (protocol-spec/audit.md) states: equal sizes need an empty proof and equal roots; an empty first tree
 * needs an empty proof and first_hash = MTH({}) (it is a prefix of every tree).
 */
export function verifyConsistency(
  firstSize: number,
  secondSize: number,
  firstRoot: Uint8Array,
  secondRoot: Uint8Array,
  proof: readonly Uint8Array[],
): boolean {
  auint(firstSize, 'firstSize');
  auint(secondSize, 'secondSize');
  abytes(firstRoot, HASH_BYTES, 'firstRoot');
  abytes(secondRoot, HASH_BYTES, 'secondRoot');
  const consistencyPath = readProof(proof, 'proof');
  if (consistencyPath === null) return false;

  // A log never shrinks: an older head larger than the newer one is a split view, never consistent.
  if (firstSize > secondSize) return false;
  if (firstSize === secondSize) return consistencyPath.length === 0 && bytesEqual(firstRoot, secondRoot);
  if (firstSize === 0) return consistencyPath.length === 0 && bytesEqual(firstRoot, emptyRoot());

  // 1. If consistency_path is an empty array, stop and fail the proof verification.
  if (consistencyPath.length === 0) return false;
  // 2. If first is an exact power of 2, prepend first_hash to the consistency_path array.
  const path = isPowerOfTwo(firstSize) ? [firstRoot, ...consistencyPath] : [...consistencyPath];
  // 3. Set fn to first - 1 and sn to second - 1.
  let fn = firstSize - 1;
  let sn = secondSize - 1;
  // 4. If LSB(fn) is set, right-shift both fn and sn equally until LSB(fn) is not set.
  while (lsb(fn)) {
    fn = shift(fn);
    sn = shift(sn);
  }
  // 5. Set both fr and sr to the first value in the consistency_path array.
  const [first, ...rest] = path;
  if (first === undefined) return false;
  let fr = first;
  let sr = first;
  // 6. For each subsequent value c in the consistency_path array:
  for (const c of rest) {
    // a. If sn is 0, stop the iteration and fail the proof verification.
    if (sn === 0) return false;
    // b. If LSB(fn) is set, or if fn is equal to sn, then:
    if (lsb(fn) || fn === sn) {
      // i. Set fr to HASH(0x01 || c || fr).  ii. Set sr to HASH(0x01 || c || sr).
      fr = hashChildren(c, fr);
      sr = hashChildren(c, sr);
      // iii. If LSB(fn) is not set, right-shift fn and sn equally until LSB(fn) is set or fn is 0.
      if (!lsb(fn)) {
        while (!lsb(fn) && fn !== 0) {
          fn = shift(fn);
          sn = shift(sn);
        }
      }
    } else {
      // Otherwise: set sr to HASH(0x01 || sr || c).
      sr = hashChildren(sr, c);
    }
    // c. Finally, right-shift both fn and sn one time.
    fn = shift(fn);
    sn = shift(sn);
  }
  // 7. fr must equal first_hash, sr must equal second_hash, and sn must be 0.
  return bytesEqual(fr, firstRoot) && bytesEqual(sr, secondRoot) && sn === 0;
}
