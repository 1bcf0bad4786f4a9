/** An append-only RFC 9162 Merkle log over a LogStorage: append, roots and proofs at any past size. */
import { InternalError, ValidationError } from '@venn/errors';
import { abytes, auint } from './bytes.js';
import { emptyRoot, hashChildren, hashLeaf, isPowerOfTwo, splitPoint } from './hash.js';
import type { LogStorage, SubtreeHash } from './storage.js';

/** A log's state at one size, before signing (see signTreeHead). */
export interface TreeHead {
  /** Number of leaves. */
  readonly size: number;
  /** RFC 9162 §2.1.1 MTH of the first `size` leaves. */
  readonly root: Uint8Array;
  /** Unix time in milliseconds at which the head was taken. */
  readonly timestamp: number;
}

function log2(n: number): number {
  let level = 0;
  while (n > 1) {
    n /= 2;
    level++;
  }
  return level;
}

export class MerkleLog {
  readonly #storage: LogStorage;

  constructor(storage: LogStorage) {
    this.#storage = storage;
  }

  /** Number of leaves; reads the storage, so a log reopened after a restart continues where it stopped. */
  get size(): number {
    return this.#storage.size();
  }

  /**
   * Appends one leaf and stores its hash plus every complete subtree it closes (O(log n) hashes, O(1)
   * amortised), in one storage append. Returns the new leaf's index and hash.
   */
  append(leaf: Uint8Array): { index: number; leafHash: Uint8Array } {
    abytes(leaf, undefined, 'leaf');
    const index = this.#storage.size();
    const leafHash = hashLeaf(leaf);
    const nodes: SubtreeHash[] = [{ level: 0, index, hash: leafHash }];
    // A right child (odd index) completes its parent; keep climbing while we are a right child.
    let hash = leafHash;
    let level = 0;
    let position = index;
    while (position % 2 === 1) {
      hash = hashChildren(this.#storage.node(level, position - 1), hash);
      level++;
      position = (position - 1) / 2;
      nodes.push({ level, index: position, hash });
    }
    this.#storage.append({ index, leaf, nodes });
    return { index, leafHash: leafHash.slice() };
  }

  /** The leaf bytes at `index`. */
  leaf(index: number): Uint8Array {
    this.#checkIndex(index, this.size, 'index');
    return this.#storage.leaf(index);
  }

  /** RFC 9162 §2.1.1 leaf hash HASH(0x00 || leaf) of the leaf at `index`. */
  leafHash(index: number): Uint8Array {
    this.#checkIndex(index, this.size, 'index');
    return this.#storage.node(0, index);
  }

  /** RFC 9162 §2.1.1 MTH of the first `size` leaves (default: all of them). */
  root(size: number = this.size): Uint8Array {
    this.#checkSize(size, 'size');
    return size === 0 ? emptyRoot() : this.#subtreeHash(0, size);
  }

  /** The head at the current size, stamped with `timestamp` (Unix ms). */
  treeHead(timestamp: number): TreeHead {
    auint(timestamp, 'timestamp');
    const size = this.size;
    return { size, root: this.root(size), timestamp };
  }

  /** RFC 9162 §2.1.3.1 PATH(m, D_n): the inclusion proof of leaf `index` in the tree of `size` leaves. */
  inclusionProof(index: number, size: number = this.size): Uint8Array[] {
    this.#checkSize(size, 'size');
    this.#checkIndex(index, size, 'index');
    const proof: Uint8Array[] = [];
    this.#path(index, 0, size, proof);
    return proof;
  }

  /**
   * RFC 9162 §2.1.4.1 PROOF(m, D_n): the consistency proof from the tree of `first` leaves to the tree of
   * `second` leaves. Empty when first = second or first = 0 (see verifyConsistency).
   */
  consistencyProof(first: number, second: number = this.size): Uint8Array[] {
    this.#checkSize(second, 'second');
    auint(first, 'first');
    if (first > second) {
      throw new ValidationError('out-of-range', `"first" expected <= second (${second}), got ${first}`);
    }
    const proof: Uint8Array[] = [];
    if (first > 0 && first < second) this.#subproof(first, 0, second, true, proof);
    return proof;
  }

  /**
   * MTH(D[start:end]), end > start. Complete aligned subtrees come from storage; the rest follows the
   * RFC's split, so the work is O(log n) hashes however large the log is.
   */
  #subtreeHash(start: number, end: number): Uint8Array {
    const n = end - start;
    if (isPowerOfTwo(n) && start % n === 0) return this.#storage.node(log2(n), start / n);
    if (n < 1) throw new InternalError('empty-subtree', `subtree [${start}, ${end}) is empty`);
    const k = splitPoint(n);
    return hashChildren(this.#subtreeHash(start, start + k), this.#subtreeHash(start + k, end));
  }

  /** PATH(m, D[start:end]) of RFC 9162 §2.1.3.1, appending hashes bottom-up as the RFC orders them. */
  #path(m: number, start: number, end: number, out: Uint8Array[]): void {
    const n = end - start;
    if (n === 1) return; // PATH(0, {d(0)}) = {}
    const k = splitPoint(n);
    if (m < k) {
      this.#path(m, start, start + k, out); // PATH(m, D[0:k]) : MTH(D[k:n])
      out.push(this.#subtreeHash(start + k, end));
    } else {
      this.#path(m - k, start + k, end, out); // PATH(m - k, D[k:n]) : MTH(D[0:k])
      out.push(this.#subtreeHash(start, start + k));
    }
  }

  /** SUBPROOF(m, D[start:end], b) of RFC 9162 §2.1.4.1. */
  #subproof(m: number, start: number, end: number, complete: boolean, out: Uint8Array[]): void {
    const n = end - start;
    if (m === n) {
      // SUBPROOF(m, D[m], true) = {}; SUBPROOF(m, D[m], false) = {MTH(D[m])}
      if (!complete) out.push(this.#subtreeHash(start, end));
      return;
    }
    const k = splitPoint(n);
    if (m <= k) {
      this.#subproof(m, start, start + k, complete, out); // SUBPROOF(m, D[0:k], b) : MTH(D[k:n])
      out.push(this.#subtreeHash(start + k, end));
    } else {
      this.#subproof(m - k, start + k, end, false, out); // SUBPROOF(m - k, D[k:n], false) : MTH(D[0:k])
      out.push(this.#subtreeHash(start, start + k));
    }
  }

  #checkSize(size: number, field: string): void {
    auint(size, field);
    const current = this.size;
    if (size > current) {
      throw new ValidationError('out-of-range', `"${field}" expected <= log size ${current}, got ${size}`);
    }
  }

  #checkIndex(index: number, size: number, field: string): void {
    auint(index, field);
    if (index >= size) {
      throw new ValidationError('out-of-range', `"${field}" expected < tree size ${size}, got ${index}`);
    }
  }
}
