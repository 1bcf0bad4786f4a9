/** The append-only log over LogStorage: restarts, append conflicts, 100k-leaf proofs, junk arguments. */
import { InternalError, ValidationError } from '@venn/errors';
import { describe, expect, it } from 'vitest';
import {
  MemoryLogStorage,
  MerkleLog,
  decodeRoundRecord,
  emptyRoot,
  encodeRoundRecord,
  hashChildren,
  hashLeaf,
  verifyConsistency,
  verifyInclusion,
  type LogAppend,
  type LogStorage,
  type RoundRecord,
} from '../src/index.js';

const hex = (b: Uint8Array): string => Buffer.from(b).toString('hex');
const leaf = (i: number): Uint8Array => new TextEncoder().encode(`leaf ${i}`);

/** Real storage, with its node reads counted: proves proof generation touches O(log n) stored hashes. */
class CountingStorage implements LogStorage {
  readonly inner = new MemoryLogStorage();
  reads = 0;
  size(): number {
    return this.inner.size();
  }
  leaf(index: number): Uint8Array {
    return this.inner.leaf(index);
  }
  node(level: number, index: number): Uint8Array {
    this.reads++;
    return this.inner.node(level, index);
  }
  append(entry: LogAppend): void {
    this.inner.append(entry);
  }
}

describe('MerkleLog over LogStorage', () => {
  it('starts empty with the empty root', () => {
    const log = new MerkleLog(new MemoryLogStorage());
    expect(log.size).toBe(0);
    expect(hex(log.root())).toBe(hex(emptyRoot()));
    expect(log.consistencyProof(0, 0)).toEqual([]);
  });

  it('returns each leaf, its RFC 9162 hash and index on append', () => {
    const log = new MerkleLog(new MemoryLogStorage());
    for (let i = 0; i < 20; i++) {
      const appended = log.append(leaf(i));
      expect(appended.index).toBe(i);
      expect(hex(appended.leafHash)).toBe(hex(hashLeaf(leaf(i))));
    }
    expect(hex(log.leaf(7))).toBe(hex(leaf(7)));
    expect(hex(log.leafHash(7))).toBe(hex(hashLeaf(leaf(7))));
  });

  it('stores one leaf hash plus each subtree the append completes, in one storage call', () => {
    const appends: LogAppend[] = [];
    const storage = new MemoryLogStorage();
    const recording: LogStorage = {
      size: () => storage.size(),
      leaf: (i) => storage.leaf(i),
      node: (l, i) => storage.node(l, i),
      append: (entry) => {
        appends.push(entry);
        storage.append(entry);
      },
    };
    const log = new MerkleLog(recording);
    for (let i = 0; i < 8; i++) log.append(leaf(i));
    expect(appends.map((a) => a.nodes.map((n) => `${n.level}/${n.index}`).join(' '))).toEqual([
      '0/0',
      '0/1 1/0',
      '0/2',
      '0/3 1/1 2/0',
      '0/4',
      '0/5 1/2',
      '0/6',
      '0/7 1/3 2/1 3/0',
    ]);
    expect(hex(appends[7]!.nodes[3]!.hash)).toBe(hex(log.root(8)));
  });

  it('continues after a restart: a new MerkleLog over the same storage keeps heads consistent', () => {
    const storage = new MemoryLogStorage();
    const before = new MerkleLog(storage);
    for (let i = 0; i < 37; i++) before.append(leaf(i));
    const headBefore = before.treeHead(1000);

    const after = new MerkleLog(storage); // the daemon restarted and reopened its store
    expect(after.size).toBe(37);
    expect(hex(after.root())).toBe(hex(headBefore.root));
    for (let i = 37; i < 100; i++) after.append(leaf(i));
    const headAfter = after.treeHead(2000);
    const proof = after.consistencyProof(headBefore.size, headAfter.size);
    expect(verifyConsistency(headBefore.size, headAfter.size, headBefore.root, headAfter.root, proof)).toBe(true);

    const straight = new MerkleLog(new MemoryLogStorage());
    for (let i = 0; i < 100; i++) straight.append(leaf(i));
    expect(hex(straight.root())).toBe(hex(headAfter.root));
  });

  it('refuses an append at a stale index, so two writers cannot fork the log', () => {
    const storage = new MemoryLogStorage();
    const log = new MerkleLog(storage);
    log.append(leaf(0));
    const stale: LogAppend = { index: 0, leaf: leaf(9), nodes: [{ level: 0, index: 0, hash: hashLeaf(leaf(9)) }] };
    expect(() => storage.append(stale)).toThrow(InternalError);
    const skipped: LogAppend = { index: 1, leaf: leaf(1), nodes: [{ level: 0, index: 2, hash: hashLeaf(leaf(1)) }] };
    expect(() => storage.append(skipped)).toThrow(InternalError);
    expect(storage.size()).toBe(1); // nothing half-written
    expect(hex(log.root())).toBe(hex(hashLeaf(leaf(0))));
  });

  it('hands out copies: mutating a returned hash or leaf does not change the log', () => {
    const log = new MerkleLog(new MemoryLogStorage());
    for (let i = 0; i < 5; i++) log.append(leaf(i));
    const root = hex(log.root());
    log.inclusionProof(0).forEach((h) => h.fill(0));
    log.leafHash(4).fill(0);
    log.leaf(4).fill(0);
    log.root().fill(0);
    expect(hex(log.root())).toBe(root);
    expect(hex(log.leaf(4))).toBe(hex(leaf(4)));
  });

  it('logs round records and proves each one', () => {
    const log = new MerkleLog(new MemoryLogStorage());
    const records: RoundRecord[] = Array.from({ length: 9 }, (_, i) => ({
      roundId: new Uint8Array(32).fill(i),
      attempt: 1,
      rosterDigest: new Uint8Array(32).fill(0xee),
      slot: 1_767_225_600 + i * 21_600,
      initiatorId: 'lab-a',
      responderId: 'lab-b',
      status: i === 4 ? 'aborted' : 'completed',
      reason: i === 4 ? 'bad-proof' : '',
      transcriptHash: new Uint8Array(64).fill(i + 1),
      initiatorClaim: i === 4 ? null : i * 10,
      responderClaim: i === 4 ? null : i * 10,
      timestamp: 1_767_225_600_000 + i,
      initiatorSetSize: 100 + i,
      responderSetSize: 200 + i,
      initiatorEvaluations: i === 4 ? 0 : 200 + i,
      responderEvaluations: i === 4 ? 40 : 100 + i,
      endedBy: i === 4 ? 'responder' : null,
    }));
    for (const record of records) log.append(encodeRoundRecord(record));
    const root = log.root();
    records.forEach((record, i) => {
      expect(decodeRoundRecord(log.leaf(i))).toEqual(record);
      const leafHash = hashLeaf(encodeRoundRecord(record));
      expect(verifyInclusion(leafHash, i, log.size, log.inclusionProof(i), root)).toBe(true);
    });
  });
});

describe('a 100,000-leaf log', () => {
  it('produces inclusion and consistency proofs from O(log n) stored hashes, in milliseconds', () => {
    const storage = new CountingStorage();
    const log = new MerkleLog(storage);
    const n = 100_000;
    for (let i = 0; i < n; i++) log.append(leaf(i));
    const root = log.root();

    const indices = [0, 1, 4095, 4096, 65_535, 65_536, 99_998, 99_999, 31_337, 77_777];
    const sizes = [1, 2, 3, 1000, 4096, 65_536, 65_537, 99_999];
    storage.reads = 0;
    const started = performance.now();
    let proofs = 0;
    let maxReads = 0;
    for (const index of indices) {
      const before = storage.reads;
      const proof = log.inclusionProof(index);
      maxReads = Math.max(maxReads, storage.reads - before);
      expect(verifyInclusion(hashLeaf(leaf(index)), index, n, proof, root)).toBe(true);
      proofs++;
    }
    for (const m of sizes) {
      const before = storage.reads;
      const proof = log.consistencyProof(m);
      maxReads = Math.max(maxReads, storage.reads - before);
      expect(verifyConsistency(m, n, log.root(m), root, proof)).toBe(true);
      proofs++;
    }
    const perProof = (performance.now() - started) / proofs;
    // ceil(log2 100000) = 17 levels; each proof hash is one stored node or a right edge of <= 17 of them.
    expect(maxReads).toBeLessThanOrEqual(17 * 17);
    // Generous bound for a shared CI machine; measured well under 1 ms per proof with verification.
    expect(perProof).toBeLessThan(50);
  });
});

describe('junk arguments are ValidationErrors', () => {
  const log = new MerkleLog(new MemoryLogStorage());
  for (let i = 0; i < 10; i++) log.append(leaf(i));
  const root = log.root();
  const proof = log.inclusionProof(3);

  const cases: [string, () => unknown][] = [
    ['hashLeaf of a string', () => hashLeaf('leaf' as unknown as Uint8Array)],
    ['hashChildren with a 31-byte left', () => hashChildren(new Uint8Array(31), root)],
    ['hashChildren with a 33-byte right', () => hashChildren(root, new Uint8Array(33))],
    ['append a string', () => log.append('leaf' as unknown as Uint8Array)],
    ['leaf index = size', () => log.leaf(10)],
    ['leaf hash at -1', () => log.leafHash(-1)],
    ['root of a larger size', () => log.root(11)],
    ['root of a fractional size', () => log.root(2.5)],
    ['inclusion proof index = size', () => log.inclusionProof(5, 5)],
    ['inclusion proof size beyond the log', () => log.inclusionProof(3, 11)],
    ['inclusion proof of NaN', () => log.inclusionProof(Number.NaN)],
    ['consistency first > second', () => log.consistencyProof(6, 5)],
    ['consistency second beyond the log', () => log.consistencyProof(1, 11)],
    ['consistency of a negative size', () => log.consistencyProof(-1)],
    ['tree head with a negative timestamp', () => log.treeHead(-5)],
    ['verifyInclusion short leaf hash', () => verifyInclusion(new Uint8Array(31), 3, 10, proof, root)],
    ['verifyInclusion proof element of 33 bytes', () => verifyInclusion(log.leafHash(3), 3, 10, [...proof.slice(1), new Uint8Array(33)], root)],
    ['verifyInclusion proof not an array', () => verifyInclusion(log.leafHash(3), 3, 10, 'x' as unknown as Uint8Array[], root)],
    ['verifyInclusion empty garbage element', () => verifyInclusion(log.leafHash(3), 3, 10, [...proof, new Uint8Array(0)], root)],
    ['verifyInclusion negative index', () => verifyInclusion(log.leafHash(3), -3, 10, proof, root)],
    ['verifyInclusion size above 2^53', () => verifyInclusion(log.leafHash(3), 3, 2 ** 53, proof, root)],
    ['verifyInclusion root of wrong type', () => verifyInclusion(log.leafHash(3), 3, 10, proof, 'root' as unknown as Uint8Array)],
    ['verifyConsistency short root', () => verifyConsistency(3, 10, new Uint8Array(31), root, [])],
    ['verifyConsistency fractional size', () => verifyConsistency(3.5, 10, root, root, [])],
    ['verifyConsistency element of wrong type', () => verifyConsistency(3, 10, root, root, [null as unknown as Uint8Array])],
  ];

  it.each(cases)('%s', (_name, call) => {
    expect(call).toThrow(ValidationError);
  });

  it('an overlong proof is simply false, read no further than its length', () => {
    const long = Array.from({ length: 65 }, () => new Uint8Array(32));
    expect(verifyInclusion(log.leafHash(3), 3, 10, long, root)).toBe(false);
    expect(verifyConsistency(3, 10, log.root(3), root, long)).toBe(false);
    const huge = new Array(1_000_000);
    expect(verifyInclusion(log.leafHash(3), 3, 10, huge, root)).toBe(false);
  });
});
