/**
 * The Merkle hash primitives (src/internal/hash.ts) and the binary reader's end check
 * (src/internal/codec.ts): hashLeaf and hashChildren name the argument they refuse, isPowerOfTwo is
 * false below 1 (0 would otherwise halve forever), and a record with bytes after its end is refused
 * with the offset where it ends and the exact count of bytes that follow.
 */
import { CodecError } from '@venn/errors';
import { describe, expect, it } from 'vitest';
import { decodeRoundRecord, encodeRoundRecord, hashChildren, hashLeaf, type RoundRecord } from '../src/index.js';
import { ByteReader } from '../src/internal/codec.js';
import { isPowerOfTwo } from '../src/internal/hash.js';
import { refusal } from './round-harness.js';

describe('the Merkle hash primitives', () => {
  it('hashLeaf names the leaf that is not bytes', () => {
    expect(refusal(() => hashLeaf('round 0' as unknown as Uint8Array))).toEqual({ code: 'invalid-type', message: '"leaf" expected Uint8Array, got "round 0"' });
  });

  it('hashChildren names the left or right child of the wrong length', () => {
    const node = new Uint8Array(32).fill(1);
    expect(refusal(() => hashChildren(new Uint8Array(31), node))).toEqual({ code: 'wrong-length', message: '"left" expected Uint8Array of length 32, got length=31' });
    expect(refusal(() => hashChildren(node, new Uint8Array(33)))).toEqual({ code: 'wrong-length', message: '"right" expected Uint8Array of length 32, got length=33' });
  });

  it('isPowerOfTwo is false for 0 and negative numbers, true for 1, 2, 4 and 2^52', () => {
    // 0 would halve to 0 forever: the guard n < 1 ends it first.
    expect(isPowerOfTwo(0)).toBe(false);
    expect(isPowerOfTwo(-4)).toBe(false);
    expect(isPowerOfTwo(-1)).toBe(false);
    for (const n of [1, 2, 4, 2 ** 52]) expect(isPowerOfTwo(n)).toBe(true);
    for (const n of [3, 6, 2 ** 52 + 2]) expect(isPowerOfTwo(n)).toBe(false);
  });
});

describe('bytes after the end of a record', () => {
  const record: RoundRecord = {
    roundId: new Uint8Array(32).fill(0x11),
    attempt: 0,
    rosterDigest: new Uint8Array(32).fill(0x22),
    slot: null,
    status: 'completed',
    initiatorId: 'lab-a',
    responderId: 'lab-b',
    initiatorClaim: 3,
    responderClaim: 3,
    timestamp: 1_700_000_000_000,
    transcriptHash: new Uint8Array(64).fill(0x33),
    initiatorSetSize: 5,
    responderSetSize: 6,
    initiatorEvaluations: 6,
    responderEvaluations: 5,
    endedBy: null,
    reason: '',
  };

  it('a round record with three bytes appended names where it ends and counts the three', () => {
    const bytes = encodeRoundRecord(record);
    expect(decodeRoundRecord(bytes)).toEqual(record);
    const error = refusal(() => decodeRoundRecord(Uint8Array.from([...bytes, 0, 0, 0])), [CodecError]);
    expect(error).toEqual({ code: 'trailing-bytes', message: `round record expected to end at offset ${bytes.length}, got 3 trailing bytes` });
  });

  it('the reader counts the bytes left after the last field read', () => {
    const reader = new ByteReader(Uint8Array.of(1, 2, 3, 4, 5), 'test record');
    reader.u8('a');
    reader.u8('b');
    expect(refusal(() => reader.end(), [CodecError])).toEqual({ code: 'trailing-bytes', message: 'test record expected to end at offset 2, got 3 trailing bytes' });
  });
});
