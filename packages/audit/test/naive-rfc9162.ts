/**
 * A second, deliberately naive RFC 9162 §2.1 implementation for the tests: MTH, PATH and PROOF/SUBPROOF
 * transcribed from the RFC's recursive definitions, over node:crypto's SHA-256 (not the package's noble
 * one), memoised per range only so the 1..256 sweep stays fast.
 */
import { createHash } from 'node:crypto';

function sha256(...parts: Uint8Array[]): Uint8Array {
  const hash = createHash('sha256');
  for (const part of parts) hash.update(part);
  return new Uint8Array(hash.digest());
}

/** The largest power of two smaller than n (n > 1), computed differently from the package on purpose. */
function largestPowerOfTwoBelow(n: number): number {
  return 2 ** Math.floor(Math.log2(n - 1));
}

export class NaiveTree {
  readonly #leaves: readonly Uint8Array[];
  readonly #memo = new Map<string, Uint8Array>();

  constructor(leaves: readonly Uint8Array[]) {
    this.#leaves = leaves;
  }

  leafHash(index: number): Uint8Array {
    return this.mth(index, index + 1);
  }

  /** MTH(D[a:b]). */
  mth(a: number, b: number): Uint8Array {
    const key = `${a}:${b}`;
    const cached = this.#memo.get(key);
    if (cached) return cached;
    const n = b - a;
    let result: Uint8Array;
    if (n === 0) {
      result = sha256(); // MTH({}) = SHA-256()
    } else if (n === 1) {
      result = sha256(Uint8Array.of(0x00), this.#leaves[a] as Uint8Array); // MTH({d(0)}) = SHA-256(0x00 || d(0))
    } else {
      const k = largestPowerOfTwoBelow(n);
      result = sha256(Uint8Array.of(0x01), this.mth(a, a + k), this.mth(a + k, b));
    }
    this.#memo.set(key, result);
    return result;
  }

  /** PATH(m, D[a:b]) per RFC 9162 §2.1.3.1. */
  path(m: number, a: number, b: number): Uint8Array[] {
    const n = b - a;
    if (n === 1) return [];
    const k = largestPowerOfTwoBelow(n);
    if (m < k) return [...this.path(m, a, a + k), this.mth(a + k, b)];
    return [...this.path(m - k, a + k, b), this.mth(a, a + k)];
  }

  /** PROOF(m, D[0:n]) = SUBPROOF(m, D[0:n], true) per RFC 9162 §2.1.4.1. */
  proof(m: number, n: number): Uint8Array[] {
    return this.subproof(m, 0, n, true);
  }

  subproof(m: number, a: number, b: number, complete: boolean): Uint8Array[] {
    const n = b - a;
    if (m === n) return complete ? [] : [this.mth(a, b)];
    const k = largestPowerOfTwoBelow(n);
    if (m <= k) return [...this.subproof(m, a, a + k, complete), this.mth(a + k, b)];
    return [...this.subproof(m - k, a + k, b, false), this.mth(a, a + k)];
  }

  /**
   * Where each PATH(m, D_n) hash sits: 'L' for a left sibling, 'R' for a right one. Two sizes with the same
   * shape make the RFC verifier do the same hashing, so a path is accepted at either size for the same root.
   */
  static pathShape(m: number, n: number): string {
    if (n === 1) return '';
    const k = largestPowerOfTwoBelow(n);
    return m < k ? NaiveTree.pathShape(m, k) + 'R' : NaiveTree.pathShape(m - k, n - k) + 'L';
  }

  /** The same for SUBPROOF(m, D_n, b): 'S' for the seed hash MTH(D[m]) itself, then 'L'/'R' siblings. */
  static proofShape(m: number, n: number, complete = true): string {
    if (m === n) return complete ? '' : 'S';
    const k = largestPowerOfTwoBelow(n);
    return m <= k
      ? NaiveTree.proofShape(m, k, complete) + 'R'
      : NaiveTree.proofShape(m - k, n - k, false) + 'L';
  }
}
