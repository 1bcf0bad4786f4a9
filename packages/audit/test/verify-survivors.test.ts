/**
 * RFC 9162 §2.1.3.2 / §2.1.4.2 proof verification (src/internal/verify.ts) on small trees built by hand,
 * so each edge runs in microseconds: every hash of a proof is checked and named by its position before
 * the path is walked, a proof of more than MAX_PROOF_HASHES hashes is false without reading it, a leaf
 * index at or past the tree size never verifies, a path with a hash past the one that reaches sn = 0
 * fails, as does a path that ends before sn = 0, even against the root where it stopped; an empty first
 * tree is a prefix only with the empty proof and MTH({}); a consistency proof between two sizes is never
 * empty. Malformed arguments are refused with the argument named.
 */
import { describe, expect, it } from 'vitest';
import { MAX_PROOF_HASHES, emptyRoot, hashChildren, hashLeaf, verifyConsistency, verifyInclusion } from '../src/index.js';
import { refusal } from './round-harness.js';

const hash = (fill: number): Uint8Array => new Uint8Array(32).fill(fill);
const leaves = [0, 1, 2, 3].map((i) => hashLeaf(new TextEncoder().encode(`round ${i}`)));
const [l0, l1, l2, l3] = leaves as [Uint8Array, Uint8Array, Uint8Array, Uint8Array];
/** MTH of the first 1, 2 and 4 leaves. */
const root1 = l0;
const root2 = hashChildren(l0, l1);
const root4 = hashChildren(root2, hashChildren(l2, l3));

describe('verifyInclusion', () => {
  it('the honest paths of a four-leaf tree verify', () => {
    expect(verifyInclusion(l0, 0, 1, [], root1)).toBe(true);
    expect(verifyInclusion(l0, 0, 2, [l1], root2)).toBe(true);
    expect(verifyInclusion(l2, 2, 4, [l3, root2], root4)).toBe(true);
  });

  it('names the leaf index, tree size and root it refuses', () => {
    expect(refusal(() => verifyInclusion(l0, -1, 2, [l1], root2))).toEqual({ code: 'invalid-integer', message: '"leafIndex" expected a non-negative safe integer, got number -1' });
    expect(refusal(() => verifyInclusion(l0, 0, 1.5, [l1], root2))).toEqual({ code: 'invalid-integer', message: '"treeSize" expected a non-negative safe integer, got number 1.5' });
    expect(refusal(() => verifyInclusion(l0, 0, 2, [l1], new Uint8Array(31)))).toEqual({ code: 'wrong-length', message: '"root" expected Uint8Array of length 32, got length=31' });
  });

  it('a proof hash of the wrong length or type is refused by its position, even one past the hashes the path uses', () => {
    expect(refusal(() => verifyInclusion(l0, 0, 2, [new Uint8Array(31)], root2))).toEqual({ code: 'wrong-length', message: '"proof[0]" expected Uint8Array of length 32, got length=31' });
    // The walk stops at sn = 0 after proof[0]; proof[1] is refused before the walk starts.
    expect(refusal(() => verifyInclusion(l0, 0, 2, [l1, new Uint8Array(33)], root2))).toEqual({ code: 'wrong-length', message: '"proof[1]" expected Uint8Array of length 32, got length=33' });
    // 32 numbers are as long as a hash but are not bytes.
    expect(refusal(() => verifyInclusion(l0, 0, 2, [Array.from(l1)] as unknown as Uint8Array[], root2)).code).toBe('invalid-type');
    expect(refusal(() => verifyInclusion(l0, 0, 2, [Array.from(l1)] as unknown as Uint8Array[], root2)).message).toMatch(/^"proof\[0\]" expected Uint8Array, got /);
  });

  it(`a proof of more than ${MAX_PROOF_HASHES} hashes is false without its hashes being read`, () => {
    const notHashes = Array.from({ length: MAX_PROOF_HASHES + 1 }, () => 'not a hash') as unknown as Uint8Array[];
    expect(verifyInclusion(l0, 0, 2, notHashes, root2)).toBe(false);
    expect(verifyInclusion(l0, 0, 2, [l1, ...Array.from({ length: MAX_PROOF_HASHES }, () => l1)], root2)).toBe(false);
    // At the bound the hashes are read.
    expect(refusal(() => verifyInclusion(l0, 0, 2, notHashes.slice(1), root2)).message).toMatch(/^"proof\[0\]" expected Uint8Array, got /);
  });

  it('a leaf index at or past the tree size never verifies, even with the leaf as the root', () => {
    // Index 1 of a one-leaf tree would start the walk at sn = 0, where the empty path ends on the leaf itself.
    expect(verifyInclusion(l0, 1, 1, [], l0)).toBe(false);
    expect(verifyInclusion(l0, 0, 0, [], l0)).toBe(false);
    expect(verifyInclusion(l1, 2, 2, [l0], root2)).toBe(false);
    expect(verifyInclusion(l0, 0, 0, [], emptyRoot())).toBe(false);
  });

  it('a hash past the one that brings sn to 0 fails, even against the root that hash would give', () => {
    const p = hash(0x5c);
    expect(verifyInclusion(l0, 0, 1, [p], hashChildren(p, l0))).toBe(false);
    expect(verifyInclusion(l0, 0, 1, [p], l0)).toBe(false);
    expect(verifyInclusion(l0, 0, 2, [l1, p], hashChildren(p, root2))).toBe(false);
  });

  it('a path that ends before sn = 0 fails, even against the root where it stopped', () => {
    expect(verifyInclusion(l0, 0, 2, [], l0)).toBe(false);
    // Leaf 0's path in the two-leaf tree, claimed for the four-leaf tree whose root would then be root2.
    expect(verifyInclusion(l0, 0, 4, [l1], root2)).toBe(false);
    expect(verifyInclusion(l0, 0, 4, [l1], root4)).toBe(false);
  });
});

describe('verifyConsistency', () => {
  it('the honest proofs between prefixes of a four-leaf tree verify', () => {
    expect(verifyConsistency(1, 2, root1, root2, [l1])).toBe(true);
    expect(verifyConsistency(2, 4, root2, root4, [hashChildren(l2, l3)])).toBe(true);
    expect(verifyConsistency(1, 4, root1, root4, [l1, hashChildren(l2, l3)])).toBe(true);
  });

  it('names the first size and first root it refuses', () => {
    expect(refusal(() => verifyConsistency(-1, 2, root1, root2, [l1]))).toEqual({ code: 'invalid-integer', message: '"firstSize" expected a non-negative safe integer, got number -1' });
    expect(refusal(() => verifyConsistency(1, 2, new Uint8Array(33), root2, [l1]))).toEqual({ code: 'wrong-length', message: '"firstRoot" expected Uint8Array of length 32, got length=33' });
  });

  it('a proof hash of the wrong length is refused by its position', () => {
    expect(refusal(() => verifyConsistency(1, 2, root1, root2, [new Uint8Array(31)]))).toEqual({ code: 'wrong-length', message: '"proof[0]" expected Uint8Array of length 32, got length=31' });
    expect(refusal(() => verifyConsistency(1, 2, root1, root2, [l1, new Uint8Array(0)]))).toEqual({ code: 'wrong-length', message: '"proof[1]" expected Uint8Array of length 32, got length=0' });
  });

  it(`a proof of more than ${MAX_PROOF_HASHES} hashes is false without its hashes being read`, () => {
    const notHashes = Array.from({ length: MAX_PROOF_HASHES + 1 }, () => 'not a hash') as unknown as Uint8Array[];
    expect(verifyConsistency(1, 2, root1, root2, notHashes)).toBe(false);
    expect(verifyConsistency(2, 2, root2, root2, notHashes)).toBe(false);
    expect(verifyConsistency(0, 2, emptyRoot(), root2, notHashes)).toBe(false);
  });

  it('an empty first tree is a prefix of any tree with the empty proof and MTH({}) only', () => {
    expect(verifyConsistency(0, 4, emptyRoot(), root4, [])).toBe(true);
    expect(verifyConsistency(0, 1, emptyRoot(), root1, [])).toBe(true);
    expect(verifyConsistency(0, 4, emptyRoot(), root4, [l0])).toBe(false);
    expect(verifyConsistency(0, 4, root1, root4, [])).toBe(false);
    expect(verifyConsistency(0, 4, hash(0), root4, [])).toBe(false);
  });

  it('an empty proof between two different sizes never verifies', () => {
    expect(verifyConsistency(1, 2, root1, root2, [])).toBe(false);
    expect(verifyConsistency(2, 4, root2, root4, [])).toBe(false);
    expect(verifyConsistency(2, 4, root2, root2, [])).toBe(false);
    expect(verifyConsistency(3, 4, root4, root4, [])).toBe(false);
  });

  it('a proof that ends before sn = 0 fails, even against the second root where it stopped', () => {
    // The proof from 1 to 2 leaves, claimed from 1 to 3: it ends at the two-leaf root with sn = 1.
    expect(verifyConsistency(1, 3, root1, root2, [l1])).toBe(false);
    expect(verifyConsistency(1, 4, root1, root2, [l1])).toBe(false);
    expect(verifyConsistency(2, 3, root2, hashChildren(root2, l2), [])).toBe(false);
  });
});
