/** RFC 9162 §2.1: the Merkle log against the CT reference vectors and a naive implementation, sizes 1..256. */
import { readFileSync } from 'node:fs';
import { bytesToHex, hexToBytes } from '@noble/hashes/utils.js';
import { describe, expect, it } from 'vitest';
import {
  MemoryLogStorage,
  MerkleLog,
  emptyRoot,
  hashChildren,
  hashLeaf,
  verifyConsistency,
  verifyInclusion,
} from '../src/index.js';
import { NaiveTree } from './naive-rfc9162.js';

interface Vectors {
  source: string;
  version: number;
  leaves: string[];
  roots: string[];
  node_hashes: string[][];
  inclusion_proofs: { leaf: number; size: number; proof: string[] }[];
  consistency_proofs: { size1: number; size2: number; proof: string[] }[];
}

const vectors = JSON.parse(
  readFileSync(new URL('../../../protocol-spec/vectors/rfc9162-merkle-tree.json', import.meta.url), 'utf8'),
) as Vectors;

const hex = (bytes: Uint8Array): string => bytesToHex(bytes);
const hexes = (list: readonly Uint8Array[]): string[] => list.map(hex);

function logOf(leaves: readonly Uint8Array[]): MerkleLog {
  const log = new MerkleLog(new MemoryLogStorage());
  for (const leaf of leaves) log.append(leaf);
  return log;
}

describe('CT reference vectors (RFC 6962 hashing, RFC 9162 §2.1)', () => {
  const leaves = vectors.leaves.map((h) => hexToBytes(h));
  const log = logOf(leaves);

  it('carries its provenance', () => {
    expect(vectors.source).toMatch(/transparency-dev\/merkle/);
    expect(vectors.version).toBe(1);
  });

  it('the empty tree hashes to SHA-256 of the empty string', () => {
    expect(hex(emptyRoot())).toBe(vectors.roots[0]);
    expect(hex(new MerkleLog(new MemoryLogStorage()).root())).toBe(vectors.roots[0]);
  });

  it('every prefix of the reference leaves has the reference root', () => {
    for (let n = 0; n <= leaves.length; n++) expect(hex(log.root(n)), `size ${n}`).toBe(vectors.roots[n]);
  });

  it('leaf and node hashes match, with the 0x00 and 0x01 prefixes', () => {
    vectors.node_hashes.forEach((level, l) =>
      level.forEach((expected, i) => {
        const span = 2 ** l;
        const actual = l === 0 ? hashLeaf(leaves[i] as Uint8Array) : log.root(span * (i + 1));
        if (i === 0 || l === 0) expect(hex(actual), `node ${l}/${i}`).toBe(expected);
      }),
    );
    const [a, b] = vectors.node_hashes[0] as [string, string];
    expect(hex(hashChildren(hexToBytes(a), hexToBytes(b)))).toBe(vectors.node_hashes[1]?.[0]);
  });

  it.each(vectors.inclusion_proofs)('inclusion proof for leaf $leaf in size $size', ({ leaf, size, proof }) => {
    const index = leaf - 1;
    expect(hexes(log.inclusionProof(index, size))).toEqual(proof);
    const root = hexToBytes(vectors.roots[size] as string);
    const ok = verifyInclusion(log.leafHash(index), index, size, proof.map((h) => hexToBytes(h)), root);
    expect(ok).toBe(true);
  });

  it.each(vectors.consistency_proofs)('consistency proof $size1 -> $size2', ({ size1, size2, proof }) => {
    expect(hexes(log.consistencyProof(size1, size2))).toEqual(proof);
    const first = hexToBytes(vectors.roots[size1] as string);
    const second = hexToBytes(vectors.roots[size2] as string);
    expect(verifyConsistency(size1, size2, first, second, proof.map((h) => hexToBytes(h)))).toBe(true);
  });
});

/** Leaves of varied lengths (including empty) from a fixed xorshift stream, so the sweep is reproducible. */
function sweepLeaves(count: number): Uint8Array[] {
  let state = 0x9e3779b9;
  const next = (): number => {
    state ^= state << 13;
    state ^= state >>> 17;
    state ^= state << 5;
    return state >>> 0;
  };
  return Array.from({ length: count }, (_, i) => {
    const leaf = new Uint8Array(i % 7 === 0 ? 0 : next() % 90);
    for (let j = 0; j < leaf.length; j++) leaf[j] = next() & 0xff;
    return leaf;
  });
}

const MAX_SIZE = 256;
const leaves = sweepLeaves(MAX_SIZE);
const naive = new NaiveTree(leaves);
const log = logOf(leaves);

describe('RFC 9162 sweep: every tree size 1..256 against the naive implementation', () => {
  it('roots match after every append and at every past size', () => {
    const growing = new MerkleLog(new MemoryLogStorage());
    const mismatches: string[] = [];
    for (let n = 1; n <= MAX_SIZE; n++) {
      growing.append(leaves[n - 1] as Uint8Array);
      const expected = hex(naive.mth(0, n));
      if (hex(growing.root()) !== expected) mismatches.push(`growing root at ${n}`);
      if (hex(log.root(n)) !== expected) mismatches.push(`past root at ${n}`);
    }
    expect(mismatches).toEqual([]);
  });

  it('inclusion proofs for every leaf of every size equal PATH(m, D_n) and verify', () => {
    const failures: string[] = [];
    let checked = 0;
    for (let n = 1; n <= MAX_SIZE; n++) {
      const root = naive.mth(0, n);
      for (let m = 0; m < n; m++) {
        const proof = log.inclusionProof(m, n);
        if (hexes(proof).join() !== hexes(naive.path(m, 0, n)).join()) failures.push(`PATH(${m}, D_${n}) differs`);
        if (!verifyInclusion(naive.leafHash(m), m, n, proof, root)) failures.push(`PATH(${m}, D_${n}) rejected`);
        checked++;
      }
    }
    expect(failures).toEqual([]);
    expect(checked).toBe((MAX_SIZE * (MAX_SIZE + 1)) / 2);
  });

  it('consistency proofs for every m <= n equal PROOF(m, D_n) and verify', () => {
    const failures: string[] = [];
    let checked = 0;
    for (let n = 1; n <= MAX_SIZE; n++) {
      const second = naive.mth(0, n);
      for (let m = 0; m <= n; m++) {
        const proof = log.consistencyProof(m, n);
        // The RFC defines PROOF for 0 < m < n; m = n and m = 0 carry nothing to prove.
        const expected = m > 0 && m < n ? naive.proof(m, n) : [];
        if (hexes(proof).join() !== hexes(expected).join()) failures.push(`PROOF(${m}, D_${n}) differs`);
        if (!verifyConsistency(m, n, naive.mth(0, m), second, proof)) failures.push(`PROOF(${m}, D_${n}) rejected`);
        checked++;
      }
    }
    expect(failures).toEqual([]);
    expect(checked).toBe((MAX_SIZE * (MAX_SIZE + 3)) / 2);
  });
});

/** Copies a hash with one bit flipped. */
function flip(hash: Uint8Array, bit: number): Uint8Array {
  const copy = hash.slice();
  copy[(bit >>> 3) % copy.length]! ^= 1 << (bit & 7);
  return copy;
}

const OTHER_HASH = hashLeaf(new TextEncoder().encode('not in the log'));

/** Sizes for the bad-proof tables: every size up to 64, then the edges around powers of two. */
const BAD_PROOF_SIZES = [
  ...Array.from({ length: 64 }, (_, i) => i + 1),
  ...[127, 128, 129, 255, 256],
];

describe('bad inclusion proofs are rejected', () => {
  it('bit flips, truncation, extension, index ±1, wrong sizes and swapped roots', () => {
    const accepted: string[] = [];
    let probes = 0;
    const expectRejected = (what: string, ok: boolean): void => {
      probes++;
      if (ok) accepted.push(what);
    };
    for (const n of BAD_PROOF_SIZES) {
      const root = log.root(n);
      for (let m = 0; m < n; m++) {
        const at = `(m=${m}, n=${n})`;
        const leafHash = log.leafHash(m);
        const proof = log.inclusionProof(m, n);
        expect(verifyInclusion(leafHash, m, n, proof, root)).toBe(true);

        // One bit in the first and one in the last byte of every proof hash, varying with the position.
        proof.forEach((hash, i) => {
          for (const bit of [(m + i) % 8, 255 - ((m + 3 * i) % 8)]) {
            const bad = proof.slice();
            bad[i] = flip(hash, bit);
            expectRejected(`flip proof[${i}] bit ${bit} ${at}`, verifyInclusion(leafHash, m, n, bad, root));
          }
        });
        expectRejected(`flip leaf hash ${at}`, verifyInclusion(flip(leafHash, m), m, n, proof, root));
        expectRejected(`flip root ${at}`, verifyInclusion(leafHash, m, n, proof, flip(root, m + 3)));

        // Truncated and extended proofs.
        if (proof.length > 0) {
          expectRejected(`drop last ${at}`, verifyInclusion(leafHash, m, n, proof.slice(0, -1), root));
          expectRejected(`drop first ${at}`, verifyInclusion(leafHash, m, n, proof.slice(1), root));
        }
        expectRejected(`append hash ${at}`, verifyInclusion(leafHash, m, n, [...proof, OTHER_HASH], root));
        expectRejected(`append root ${at}`, verifyInclusion(leafHash, m, n, [...proof, root], root));
        expectRejected(`prepend hash ${at}`, verifyInclusion(leafHash, m, n, [OTHER_HASH, ...proof], root));
        if (proof.length > 0) {
          const doubled = [...proof, proof[proof.length - 1] as Uint8Array];
          expectRejected(`repeat last ${at}`, verifyInclusion(leafHash, m, n, doubled, root));
        }

        // The leaf index off by one, against the same head.
        if (m > 0) expectRejected(`index m-1 ${at}`, verifyInclusion(leafHash, m - 1, n, proof, root));
        expectRejected(`index m+1 ${at}`, verifyInclusion(leafHash, m + 1, n, proof, root));
        // Another leaf's hash at this index.
        const neighbour = log.leafHash(m + 1 < n ? m + 1 : Math.max(0, m - 1));
        if (n > 1) expectRejected(`neighbour leaf ${at}`, verifyInclusion(neighbour, m, n, proof, root));

        // Wrong sizes: a real head of another size (its own root) with this size's proof.
        for (const other of [n - 1, n + 1, 2 * n, Math.floor(n / 2)]) {
          if (other === n || other <= m || other > MAX_SIZE) continue;
          expectRejected(`size ${other} ${at}`, verifyInclusion(leafHash, m, other, proof, log.root(other)));
          // The same root relabelled with another size: the RFC verifier binds the size only through the
          // path's shape, so it accepts exactly when both sizes give the same shape. Heads sign size and
          // root together for that reason (protocol-spec/audit.md).
          const sameShape = NaiveTree.pathShape(m, other) === NaiveTree.pathShape(m, n);
          const relabelled = verifyInclusion(leafHash, m, other, proof, root);
          if (relabelled !== sameShape) accepted.push(`size ${other} with root of ${n}: ${relabelled} ${at}`);
          probes++;
        }
        // Swapped roots: the head of another size, the empty tree, the leaf itself.
        for (const other of [n - 1, n + 1]) {
          if (other < 1 || other > MAX_SIZE) continue;
          expectRejected(`root of ${other} ${at}`, verifyInclusion(leafHash, m, n, proof, log.root(other)));
        }
        expectRejected(`empty root ${at}`, verifyInclusion(leafHash, m, n, proof, emptyRoot()));
        if (n > 1) expectRejected(`leaf as root ${at}`, verifyInclusion(leafHash, m, n, proof, leafHash));
      }
    }
    expect(accepted).toEqual([]);
    expect(probes).toBeGreaterThan(15_000);
  });

  it('an index at or beyond the size never verifies, even with an empty proof', () => {
    const leafHash = log.leafHash(0);
    expect(verifyInclusion(leafHash, 0, 0, [], emptyRoot())).toBe(false);
    expect(verifyInclusion(leafHash, 1, 1, [], leafHash)).toBe(false);
    expect(verifyInclusion(leafHash, 0, 1, [], leafHash)).toBe(true);
  });
});

describe('bad consistency proofs are rejected', () => {
  it('bit flips, truncation, extension, wrong sizes and swapped roots', () => {
    const accepted: string[] = [];
    let probes = 0;
    const expectRejected = (what: string, ok: boolean): void => {
      probes++;
      if (ok) accepted.push(what);
    };
    for (const n of BAD_PROOF_SIZES) {
      const second = log.root(n);
      for (let m = 1; m < n; m++) {
        const at = `(m=${m}, n=${n})`;
        const first = log.root(m);
        const proof = log.consistencyProof(m, n);
        expect(verifyConsistency(m, n, first, second, proof)).toBe(true);
        const check = (a: number, b: number, ra: Uint8Array, rb: Uint8Array, p: Uint8Array[]): boolean =>
          verifyConsistency(a, b, ra, rb, p);

        proof.forEach((hash, i) => {
          for (const bit of [(m + i) % 8, 255 - ((n + i) % 8)]) {
            const bad = proof.slice();
            bad[i] = flip(hash, bit);
            expectRejected(`flip proof[${i}] bit ${bit} ${at}`, check(m, n, first, second, bad));
          }
        });
        expectRejected(`flip first root ${at}`, check(m, n, flip(first, n), second, proof));
        expectRejected(`flip second root ${at}`, check(m, n, first, flip(second, m), proof));

        expectRejected(`empty proof ${at}`, check(m, n, first, second, []));
        expectRejected(`drop last ${at}`, check(m, n, first, second, proof.slice(0, -1)));
        expectRejected(`drop first ${at}`, check(m, n, first, second, proof.slice(1)));
        expectRejected(`append hash ${at}`, check(m, n, first, second, [...proof, OTHER_HASH]));
        expectRejected(`append first root ${at}`, check(m, n, first, second, [...proof, first]));
        expectRejected(`append second root ${at}`, check(m, n, first, second, [...proof, second]));
        expectRejected(`prepend first root ${at}`, check(m, n, first, second, [first, ...proof]));
        expectRejected(`prepend second root ${at}`, check(m, n, first, second, [second, ...proof]));
        expectRejected(`prepend proof[0] ${at}`, check(m, n, first, second, [proof[0] as Uint8Array, ...proof]));

        // Wrong sizes, each with the real root of the size claimed.
        for (const other of [m - 1, m + 1, m ^ 2]) {
          if (other < 1 || other >= n || other === m) continue;
          expectRejected(`first size ${other} ${at}`, check(other, n, log.root(other), second, proof));
          expectRejected(`first size ${other}, same root ${at}`, check(other, n, first, second, proof));
        }
        for (const other of [n - 1, n + 1, 2 * n, Math.floor(n / 2)]) {
          if (other <= m || other === n || other > MAX_SIZE) continue;
          expectRejected(`second size ${other} ${at}`, check(m, other, first, log.root(other), proof));
          // As for inclusion: relabelling the second root with another size passes exactly on equal shapes.
          const sameShape = NaiveTree.proofShape(m, other) === NaiveTree.proofShape(m, n);
          const relabelled = check(m, other, first, second, proof);
          if (relabelled !== sameShape) accepted.push(`second size ${other} with root of ${n}: ${relabelled} ${at}`);
          probes++;
        }
        // Swapped roots, and sizes in the wrong order (a log that shrank).
        expectRejected(`swapped roots ${at}`, check(m, n, second, first, proof));
        expectRejected(`sizes reversed ${at}`, check(n, m, second, first, proof));
        if (n < MAX_SIZE) expectRejected(`root of n+1 ${at}`, check(m, n, first, log.root(n + 1), proof));
      }
    }
    expect(accepted).toEqual([]);
    expect(probes).toBeGreaterThan(15_000);
  });

  it('decides the degenerate cases the RFC algorithm leaves out', () => {
    const r5 = log.root(5);
    const r6 = log.root(6);
    expect(verifyConsistency(5, 5, r5, r5, [])).toBe(true);
    expect(verifyConsistency(5, 5, r5, r6, [])).toBe(false); // same size, different roots: a split view
    expect(verifyConsistency(5, 5, r5, r5, [r5])).toBe(false); // nothing to prove, so nothing may be sent
    expect(verifyConsistency(0, 5, emptyRoot(), r5, [])).toBe(true);
    expect(verifyConsistency(0, 5, r6, r5, [])).toBe(false); // an empty tree has one root only
    expect(verifyConsistency(0, 5, emptyRoot(), r5, [r5])).toBe(false);
    expect(verifyConsistency(0, 0, emptyRoot(), emptyRoot(), [])).toBe(true);
    expect(verifyConsistency(6, 5, r6, r5, log.consistencyProof(5, 6))).toBe(false);
  });
});
