/**
 * The log's storage and fixed-layout codec, and the roster shape the auditor relies on:
 * MemoryLogStorage refuses an append at any index but the current size and any subtree that is not
 * the next at its level, leaving no trace (so a log cannot fork or be rewritten in place); reads of
 * absent leaves and nodes throw typed errors and return copies; ByteReader refuses reads beyond the
 * record, u64 values above 2^53 - 1, over-long short fields, ids outside the pattern and trailing
 * bytes; checkRoster refuses a roster without the shape the checks rely on.
 */
import { CodecError, InternalError, ValidationError } from '@venn/errors';
import { describe, expect, it } from 'vitest';
import { MemoryLogStorage, MerkleLog, hashChildren, hashLeaf } from '../src/index.js';
import { checkRoster, rosterMember, type AuditRoster } from '../src/internal/audit-roster.js';
import { ByteReader, ByteWriter, ID_PATTERN, MAX_ID_BYTES } from '../src/internal/codec.js';
import { auditRoster, caught } from './round-harness.js';

const bytes = (...values: number[]): Uint8Array => Uint8Array.from(values);
const node = (level: number, index: number, fill: number) => ({ level, index, hash: new Uint8Array(32).fill(fill) });

describe('MemoryLogStorage', () => {
  it('stores leaves and nodes, and hands out copies', () => {
    const storage = new MemoryLogStorage();
    expect(storage.size()).toBe(0);
    storage.append({ index: 0, leaf: bytes(1, 2), nodes: [node(0, 0, 0xa0)] });
    storage.append({ index: 1, leaf: bytes(3), nodes: [node(0, 1, 0xa1), node(1, 0, 0xb0)] });
    expect(storage.size()).toBe(2);
    expect(storage.leaf(0)).toEqual(bytes(1, 2));
    expect(storage.leaf(1)).toEqual(bytes(3));
    expect(storage.node(0, 1)).toEqual(new Uint8Array(32).fill(0xa1));
    expect(storage.node(1, 0)).toEqual(new Uint8Array(32).fill(0xb0));
    const leaf = storage.leaf(0);
    leaf[0] = 9;
    const hash = storage.node(1, 0);
    hash[0] = 9;
    expect(storage.leaf(0)).toEqual(bytes(1, 2));
    expect(storage.node(1, 0)[0]).toBe(0xb0);
  });

  it('keeps its own copy of what was appended', () => {
    const storage = new MemoryLogStorage();
    const leaf = bytes(5, 6);
    const entry = node(0, 0, 0xa0);
    storage.append({ index: 0, leaf, nodes: [entry] });
    leaf[0] = 0;
    entry.hash[0] = 0;
    expect(storage.leaf(0)).toEqual(bytes(5, 6));
    expect(storage.node(0, 0)[0]).toBe(0xa0);
  });

  it('refuses reads of absent leaves (out-of-range) and nodes (missing-node), and malformed indices (invalid-integer)', () => {
    const storage = new MemoryLogStorage();
    storage.append({ index: 0, leaf: bytes(1), nodes: [node(0, 0, 0xa0)] });
    const leaf = caught(() => storage.leaf(1));
    expect(leaf).toBeInstanceOf(ValidationError);
    expect(leaf.code).toBe('out-of-range');
    const missing = caught(() => storage.node(0, 1));
    expect(missing).toBeInstanceOf(InternalError);
    expect(missing.code).toBe('missing-node');
    const level = caught(() => storage.node(1, 0));
    expect(level).toBeInstanceOf(InternalError);
    expect(level.code).toBe('missing-node');
    const malformed: Array<[() => unknown, string]> = [[() => storage.leaf(-1), '"index"'], [() => storage.leaf(0.5), '"index"'], [() => storage.node(-1, 0), '"level"'], [() => storage.node(0, -1), '"index"']];
    for (const [action, field] of malformed) {
      const error = caught(action);
      expect(error).toBeInstanceOf(ValidationError);
      expect(error.code).toBe('invalid-integer');
      // The error names the argument that was wrong.
      expect(error.message.startsWith(`${field} expected`)).toBe(true);
    }
  });

  it('refuses an append at an index other than the current size: a rewrite or a gap (append-conflict)', () => {
    const storage = new MemoryLogStorage();
    storage.append({ index: 0, leaf: bytes(1), nodes: [node(0, 0, 0xa0)] });
    for (const index of [0, 2]) {
      const error = caught(() => storage.append({ index, leaf: bytes(7), nodes: [node(0, 1, 0xa7)] }));
      expect(error).toBeInstanceOf(InternalError);
      expect(error.code).toBe('append-conflict');
    }
    expect(storage.size()).toBe(1);
    expect(storage.leaf(0)).toEqual(bytes(1));
    expect(caught(() => storage.node(0, 1)).code).toBe('missing-node');
  });

  it('refuses a subtree that is not the next at its level, and then writes nothing at all', () => {
    const storage = new MemoryLogStorage();
    storage.append({ index: 0, leaf: bytes(1), nodes: [node(0, 0, 0xa0)] });
    // The level-0 node is right, the level-1 node skips one: nothing of the append may remain.
    const error = caught(() => storage.append({ index: 1, leaf: bytes(2), nodes: [node(0, 1, 0xa1), node(1, 1, 0xb1)] }));
    expect(error).toBeInstanceOf(InternalError);
    expect(error.code).toBe('append-conflict');
    expect(error.message).toBe('subtree (level=1, index=1) is not the next one at its level (0)');
    expect(storage.size()).toBe(1);
    expect(caught(() => storage.leaf(1)).code).toBe('out-of-range');
    expect(caught(() => storage.node(0, 1)).code).toBe('missing-node');
    // A node of a level never written must start at index 0.
    expect(caught(() => storage.append({ index: 1, leaf: bytes(2), nodes: [node(0, 1, 0xa1), node(3, 1, 0xb1)] })).code).toBe('append-conflict');
    // A repeated level-0 index is refused as well.
    expect(caught(() => storage.append({ index: 1, leaf: bytes(2), nodes: [node(0, 0, 0xa1)] })).code).toBe('append-conflict');
    // The right append still goes through afterwards.
    storage.append({ index: 1, leaf: bytes(2), nodes: [node(0, 1, 0xa1), node(1, 0, 0xb0)] });
    expect(storage.size()).toBe(2);
    expect(storage.node(1, 0)[0]).toBe(0xb0);
  });

  it('backs a MerkleLog whose nodes are the RFC 9162 subtree hashes', () => {
    const storage = new MemoryLogStorage();
    const log = new MerkleLog(storage);
    for (let i = 0; i < 5; i++) log.append(bytes(i));
    expect(storage.size()).toBe(5);
    for (let i = 0; i < 5; i++) expect(storage.node(0, i)).toEqual(hashLeaf(bytes(i)));
    expect(caught(() => storage.node(1, 2)).code).toBe('missing-node');
    expect(caught(() => storage.node(3, 0)).code).toBe('missing-node');
    const h = (i: number) => hashLeaf(bytes(i));
    expect(storage.node(1, 1)).toEqual(hashChildren(h(2), h(3)));
    expect(storage.node(2, 0)).toEqual(hashChildren(hashChildren(h(0), h(1)), hashChildren(h(2), h(3))));
  });
});

describe('ByteWriter and ByteReader', () => {
  it('lay out u8, u32, u64, bytes and short fields big-endian, and read them back', () => {
    const w = new ByteWriter(64);
    w.u8(0xfe);
    w.u32(0x0102_0304);
    w.u64(0x0001_0203_0405_0607);
    w.bytes(bytes(9, 9));
    w.shortBytes(bytes(7, 8, 9));
    w.shortAscii('lab-a');
    const out = w.finish();
    expect(Buffer.from(out).toString('hex')).toBe('fe' + '01020304' + '0001020304050607' + '0909' + '03070809' + '056c61622d61');
    const r = new ByteReader(out, 'record');
    expect(r.u8('a')).toBe(0xfe);
    expect(r.u32('b')).toBe(0x0102_0304);
    expect(r.u64('c')).toBe(0x0001_0203_0405_0607);
    expect(r.bytes(2, 'd')).toEqual(bytes(9, 9));
    expect(r.shortBytes('e', 3)).toEqual(bytes(7, 8, 9));
    expect(r.shortAscii('f', ID_PATTERN, false)).toBe('lab-a');
    r.end();
  });

  it('reads at the view of a subarray, not of its backing buffer', () => {
    const backing = bytes(0xff, 0xff, 0x00, 0x00, 0x00, 0x05, 0x07);
    const r = new ByteReader(backing.subarray(2), 'record');
    expect(r.u32('n')).toBe(5);
    expect(r.u8('m')).toBe(7);
    r.end();
  });

  it('refuses a read past the end with truncated, at every width', () => {
    const reads: Array<[Uint8Array, (r: ByteReader) => unknown]> = [
      [bytes(), (r) => r.u8('a')], [bytes(0, 0, 1), (r) => r.u32('a')], [bytes(0, 0, 0, 0, 0, 0, 1), (r) => r.u64('a')],
      [bytes(1, 2, 3), (r) => r.bytes(4, 'a')], [bytes(3, 1, 2), (r) => r.shortBytes('a', 10)], [bytes(), (r) => r.shortBytes('a', 10)],
    ];
    for (const [input, read] of reads) {
      const error = caught(() => read(new ByteReader(input, 'record')));
      expect(error).toBeInstanceOf(CodecError);
      expect(error.code).toBe('truncated');
    }
    // After a read, the bytes already consumed count: 2 of 3 bytes read leaves too few for a u32.
    const partway = new ByteReader(bytes(1, 2, 0, 0, 0, 1), 'record');
    expect(partway.bytes(3, 'skip')).toEqual(bytes(1, 2, 0));
    expect(caught(() => partway.u32('n')).code).toBe('truncated');
    // Exactly the bytes left is fine.
    const exact = new ByteReader(bytes(0, 0, 0, 1), 'record');
    expect(exact.u32('n')).toBe(1);
    exact.end();
  });

  it('refuses a u64 above 2^53 - 1 with out-of-range, and reads 2^53 - 1 itself', () => {
    const max = new ByteWriter(8);
    max.u64(Number.MAX_SAFE_INTEGER);
    expect(new ByteReader(max.finish(), 'record').u64('n')).toBe(Number.MAX_SAFE_INTEGER);
    const error = caught(() => new ByteReader(bytes(0, 0x20, 0, 0, 0, 0, 0, 0), 'record').u64('n'));
    expect(error).toBeInstanceOf(CodecError);
    expect(error.code).toBe('out-of-range');
  });

  it('bounds a short field by its maximum (wrong-length) and an id by the pattern (invalid-field)', () => {
    expect(caught(() => new ByteReader(bytes(3, 1, 2, 3), 'record').shortBytes('s', 2)).code).toBe('wrong-length');
    expect(new ByteReader(bytes(2, 1, 2), 'record').shortBytes('s', 2)).toEqual(bytes(1, 2));
    const long = new ByteWriter(MAX_ID_BYTES + 2);
    long.shortAscii('a'.repeat(MAX_ID_BYTES + 1));
    expect(caught(() => new ByteReader(long.finish(), 'record').shortAscii('id', ID_PATTERN, false)).code).toBe('wrong-length');
    const at63 = new ByteWriter(MAX_ID_BYTES + 1);
    at63.shortAscii('a'.repeat(MAX_ID_BYTES));
    expect(new ByteReader(at63.finish(), 'record').shortAscii('id', ID_PATTERN, false)).toBe('a'.repeat(63));
    for (const text of ['Lab-a', '-lab', 'lab_a', 'lab a']) {
      const w = new ByteWriter(16);
      w.shortAscii(text);
      const error = caught(() => new ByteReader(w.finish(), 'record').shortAscii('id', ID_PATTERN, false));
      expect(error).toBeInstanceOf(CodecError);
      expect(error.code).toBe('invalid-field');
    }
  });

  it('accepts an empty id only where allowed', () => {
    expect(new ByteReader(bytes(0), 'record').shortAscii('reason', ID_PATTERN, true)).toBe('');
    expect(caught(() => new ByteReader(bytes(0), 'record').shortAscii('id', ID_PATTERN, false)).code).toBe('invalid-field');
    // allowEmpty does not let a malformed non-empty id through.
    expect(caught(() => new ByteReader(bytes(1, 0x41), 'record').shortAscii('reason', ID_PATTERN, true)).code).toBe('invalid-field');
  });

  it('refuses trailing bytes', () => {
    const r = new ByteReader(bytes(1, 2), 'record');
    r.u8('a');
    const error = caught(() => r.end());
    expect(error).toBeInstanceOf(CodecError);
    expect(error.code).toBe('trailing-bytes');
  });
});

describe('checkRoster and rosterMember', () => {
  const good = auditRoster();

  it('accepts the harness roster and finds its members by id', () => {
    expect(() => checkRoster(good)).not.toThrow();
    expect(rosterMember(good, 'lab-b')?.id).toBe('lab-b');
    expect(rosterMember(good, 'lab-c')).toBeUndefined();
  });

  const member = good.members[0]!;
  const cases: Array<[string, unknown, string]> = [
    ['null', null, 'invalid-type'],
    ['a string', 'roster', 'invalid-type'],
    ['a short digest', { ...good, digest: new Uint8Array(31) }, 'invalid-field'],
    ['a digest that is no Uint8Array', { ...good, digest: Array.from(new Uint8Array(32)) }, 'invalid-field'],
    ['members that are no array', { ...good, members: {} }, 'invalid-field'],
    ['a null member', { ...good, members: [member, null] }, 'invalid-field'],
    ['a member id that is no string', { ...good, members: [{ ...member, id: 7 }] }, 'invalid-field'],
    ['an identity key of 31 bytes', { ...good, members: [{ ...member, identityKey: new Uint8Array(31) }] }, 'invalid-field'],
    ['an identity key that is no Uint8Array', { ...good, members: [{ ...member, identityKey: 'key' }] }, 'invalid-field'],
    ['a member without policy', { ...good, members: [{ ...member, policy: undefined }] }, 'invalid-field'],
    ['a cap that is no number', { ...good, members: [{ ...member, policy: { ...member.policy, maxPeerSetSize: '5' } }] }, 'invalid-field'],
    ['modes that are no array', { ...good, members: [{ ...member, policy: { ...member.policy, modes: 'intersection' } }] }, 'invalid-field'],
    ['label fields that are no array', { ...good, members: [{ ...member, policy: { ...member.policy, shareLabels: null } }] }, 'invalid-field'],
    ['no schedule', { ...good, schedule: undefined }, 'invalid-field'],
    ['a schedule without isSlot', { ...good, schedule: { ...good.schedule, isSlot: undefined } }, 'invalid-field'],
    ['a schedule without scheduledRoundId', { ...good, schedule: { ...good.schedule, scheduledRoundId: 1 } }, 'invalid-field'],
    ['a schedule without scheduledInitiator', { ...good, schedule: { ...good.schedule, scheduledInitiator: null } }, 'invalid-field'],
  ];
  it.each(cases)('refuses %s with ValidationError', (_, roster, code) => {
    const error = caught(() => checkRoster(roster as AuditRoster));
    expect(error).toBeInstanceOf(ValidationError);
    expect(error.code).toBe(code);
  });
});
