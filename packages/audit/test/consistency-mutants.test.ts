/**
 * RFC 9162 §2.1.4.2 consistency proofs at the edges Venn decides itself (audit.md §2.4): an older
 * tree larger than the newer one, equal sizes, and a proof with a hash beyond the last one the
 * algorithm needs. In each case the RFC loop alone could be satisfied by roots chosen to match,
 * so each verdict pins the check that refuses it before or during the loop. Malformed arguments
 * are refused with the argument named.
 */
import { ready } from '@venn/crypto';
import { beforeAll, describe, expect, it } from 'vitest';
import { MemoryLogStorage, MerkleLog, hashChildren, verifyConsistency, verifyInclusion } from '../src/index.js';
import { refusal } from './round-harness.js';

const hash = (fill: number): Uint8Array => new Uint8Array(32).fill(fill);
let log: MerkleLog;

beforeAll(async () => {
  await ready();
  log = new MerkleLog(new MemoryLogStorage());
  for (let i = 0; i < 8; i++) log.append(new TextEncoder().encode(`round ${i}`));
});

describe('verifyConsistency', () => {
  it('an older tree larger than the newer one is never consistent, even where the RFC loop would end at sn = 0', () => {
    // first = 3, second = 1: fn = 2, sn = 0, and a single-hash path equal to both roots passes step 7.
    const root = hash(7);
    expect(verifyConsistency(3, 1, root, root, [root])).toBe(false);
    expect(verifyConsistency(5, 1, root, root, [root])).toBe(false);
    // The honest pair the other way round verifies.
    expect(verifyConsistency(1, 3, log.root(1), log.root(3), log.consistencyProof(1, 3))).toBe(true);
    expect(verifyConsistency(3, 1, log.root(3), log.root(1), log.consistencyProof(1, 3))).toBe(false);
  });

  it('equal sizes need the empty proof as well as equal roots', () => {
    const root = log.root(4);
    expect(verifyConsistency(4, 4, root, root, [])).toBe(true);
    expect(verifyConsistency(4, 4, root, root, [root])).toBe(false);
    expect(verifyConsistency(4, 4, root, root, [hash(1)])).toBe(false);
    expect(verifyConsistency(4, 4, root, log.root(5), [])).toBe(false);
  });

  it('a valid proof with one more hash appended fails, even against the roots that hash would give', () => {
    const proof = log.consistencyProof(3, 8);
    expect(proof.length).toBeGreaterThan(0);
    expect(verifyConsistency(3, 8, log.root(3), log.root(8), proof)).toBe(true);
    // After the last needed hash sn is 0: an extra c would fold into both roots as HASH(0x01 || c || r).
    const c = hash(0x5c);
    expect(verifyConsistency(3, 8, hashChildren(c, log.root(3)), hashChildren(c, log.root(8)), [...proof, c])).toBe(false);
    expect(verifyConsistency(3, 8, log.root(3), log.root(8), [...proof, c])).toBe(false);
  });
});

describe('malformed arguments of the proof verifiers', () => {
  it('a second size that is not a count names "secondSize"', () => {
    expect(refusal(() => verifyConsistency(0, -1, hash(1), hash(1), []))).toEqual({ code: 'invalid-integer', message: '"secondSize" expected a non-negative safe integer, got number -1' });
  });

  it('a proof that is not an array is invalid-type, naming "proof", for both verifiers', () => {
    const expected = { code: 'invalid-type', message: '"proof" expected an array of hashes, got "hashes"' };
    expect(refusal(() => verifyConsistency(1, 2, log.root(1), log.root(2), 'hashes' as unknown as Uint8Array[]))).toEqual(expected);
    expect(refusal(() => verifyInclusion(hash(1), 0, 2, 'hashes' as unknown as Uint8Array[], log.root(2)))).toEqual(expected);
  });
});
