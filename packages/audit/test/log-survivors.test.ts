/**
 * The Merkle log's subtree arithmetic (RFC 9162 §2.1): every subtree hash the log reads from its
 * storage is a complete subtree aligned on its own size, one the log stored, for every root,
 * inclusion proof and consistency proof of logs up to 40 leaves; and a consistency proof between
 * equal sizes, or from size 0, is empty at every size. Reads are observed through a LogStorage
 * that records them around the MemoryLogStorage the log writes to.
 */
import { describe, expect, it } from 'vitest';
import { MemoryLogStorage, MerkleLog, type LogAppend, type LogStorage } from '../src/index.js';

const MAX = 40;

/** MemoryLogStorage that records every subtree read (level, index). */
class RecordingStorage implements LogStorage {
  readonly #inner = new MemoryLogStorage();
  readonly reads: Array<[number, number]> = [];

  size(): number {
    return this.#inner.size();
  }

  leaf(index: number): Uint8Array {
    return this.#inner.leaf(index);
  }

  node(level: number, index: number): Uint8Array {
    this.reads.push([level, index]);
    return this.#inner.node(level, index);
  }

  append(entry: LogAppend): void {
    this.#inner.append(entry);
  }
}

function grown(size: number): { log: MerkleLog; storage: RecordingStorage } {
  const storage = new RecordingStorage();
  const log = new MerkleLog(storage);
  for (let i = 0; i < size; i++) log.append(new TextEncoder().encode(`leaf ${i}`));
  return { log, storage };
}

/** The reads that are not a stored complete subtree within the first `size` leaves. */
function strayReads(reads: ReadonlyArray<[number, number]>, size: number): Array<[number, number]> {
  return reads.filter(([level, index]) => !Number.isSafeInteger(level) || !Number.isSafeInteger(index) || level < 0 || index < 0 || (index + 1) * 2 ** level > size);
}

describe('subtrees the log reads from storage', () => {
  const { log, storage } = grown(MAX);

  it('are complete subtrees aligned on their size, within the tree asked for, for every root and inclusion proof', () => {
    for (let size = 1; size <= MAX; size++) {
      storage.reads.length = 0;
      log.root(size);
      for (let index = 0; index < size; index++) log.inclusionProof(index, size);
      expect(strayReads(storage.reads, size), `size ${size}`).toEqual([]);
    }
  });

  it('are complete subtrees aligned on their size, within the second tree, for every consistency proof', () => {
    for (let second = 1; second <= MAX; second++) {
      storage.reads.length = 0;
      for (let first = 0; first <= second; first++) log.consistencyProof(first, second);
      expect(strayReads(storage.reads, second), `second ${second}`).toEqual([]);
    }
  });

  it('the root at a power-of-two size is the one stored subtree hash of that size: one read', () => {
    for (const size of [1, 2, 4, 8, 16, 32]) {
      storage.reads.length = 0;
      log.root(size);
      expect(storage.reads).toEqual([[Math.log2(size), 0]]);
    }
  });
});

describe('consistency proofs that prove nothing', () => {
  const { log, storage } = grown(MAX);

  it('between equal sizes, and from size 0, are empty at every size, reading no subtree', () => {
    storage.reads.length = 0;
    for (let size = 0; size <= MAX; size++) {
      expect(log.consistencyProof(size, size), `${size} to ${size}`).toEqual([]);
      expect(log.consistencyProof(0, size), `0 to ${size}`).toEqual([]);
    }
    expect(storage.reads).toEqual([]);
  });
});
