/** Where a Merkle log keeps its leaves and the hashes of its complete subtrees. */
import { InternalError, ValidationError } from '@venn/errors';
import { auint } from './bytes.js';

/**
 * The hash of one complete, aligned subtree: level 0 holds leaf hashes, and (level, index) covers the
 * leaves [index·2^level, (index+1)·2^level). RFC 9162 trees are left-full, so every complete subtree the
 * MTH recursion meets is aligned like this, and any root or proof needs only O(log n) of them.
 */
export interface SubtreeHash {
  readonly level: number;
  readonly index: number;
  readonly hash: Uint8Array;
}

/** One append: the leaf bytes, its index (= the size before the append) and every subtree it completes. */
export interface LogAppend {
  readonly index: number;
  readonly leaf: Uint8Array;
  /** Level 0 (the leaf hash) first, then each newly complete subtree in increasing level. */
  readonly nodes: readonly SubtreeHash[];
}

/**
 * Storage behind a MerkleLog. Synchronous so a SQLite backend (better-sqlite3) fits directly. `append`
 * MUST be atomic (one transaction) and MUST refuse an index other than the current size, so two writers
 * cannot fork the log. Reads of absent entries throw.
 */
export interface LogStorage {
  /** Number of leaves appended so far. */
  size(): number;
  /** The leaf bytes as appended. */
  leaf(index: number): Uint8Array;
  /** The hash of the complete subtree (level, index); level 0 is the leaf hash. */
  node(level: number, index: number): Uint8Array;
  append(entry: LogAppend): void;
}

/** LogStorage in memory: for tests, tools that replay an exported log, and the verifier. */
export class MemoryLogStorage implements LogStorage {
  readonly #leaves: Uint8Array[] = [];
  readonly #levels: Uint8Array[][] = [];

  size(): number {
    return this.#leaves.length;
  }

  leaf(index: number): Uint8Array {
    const leaf = this.#leaves[auint(index, 'index')];
    if (leaf === undefined) {
      throw new ValidationError('out-of-range', `"index" expected < ${this.#leaves.length}, got ${index}`);
    }
    return leaf.slice();
  }

  node(level: number, index: number): Uint8Array {
    const hash = this.#levels[auint(level, 'level')]?.[auint(index, 'index')];
    if (hash === undefined) {
      throw new InternalError('missing-node', `log storage has no subtree hash at level=${level} index=${index}`);
    }
    return hash.slice();
  }

  append(entry: LogAppend): void {
    if (entry.index !== this.#leaves.length) {
      throw new InternalError(
        'append-conflict',
        `"index" expected the current log size ${this.#leaves.length}, got ${entry.index}`,
      );
    }
    // Validate every node before writing any, so a rejected append leaves no trace (atomicity).
    for (const node of entry.nodes) {
      const level = this.#levels[node.level] ?? [];
      if (level.length !== node.index) {
        throw new InternalError(
          'append-conflict',
          `subtree (level=${node.level}, index=${node.index}) is not the next one at its level (${level.length})`,
        );
      }
    }
    this.#leaves.push(entry.leaf.slice());
    for (const node of entry.nodes) {
      let level = this.#levels[node.level];
      if (level === undefined) {
        level = [];
        this.#levels[node.level] = level;
      }
      level.push(node.hash.slice());
    }
  }
}
