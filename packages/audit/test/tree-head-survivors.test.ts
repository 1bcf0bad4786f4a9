/**
 * Signed tree heads (audit.md §4) at the edges tree-head.test.ts leaves open: a log id that is not
 * a string is refused as the roster member id it should be, every malformed field of a head names
 * itself, and a wire form cut short names the field being read when it ran out.
 */
import { CodecError } from '@venn/errors';
import { describe, expect, it } from 'vitest';
import {
  SIGNED_TREE_HEAD_BYTES,
  decodeSignedTreeHead,
  encodeSignedTreeHead,
  treeHeadSigningInput,
  verifyTreeHead,
  type SignedTreeHead,
  type TreeHead,
} from '../src/index.js';
import { refusal } from './round-harness.js';

const head: TreeHead = { size: 7, root: new Uint8Array(32).fill(0x11), timestamp: 1_767_225_600_000 };
const signed: SignedTreeHead = { ...head, signature: new Uint8Array(64).fill(0x22) };
const ID_EXPECTED = '"logId" expected a roster member id (1 to 63 characters a-z, 0-9, "-"), got';

describe('the log id a head is signed for', () => {
  // A number, a one-element array and a String object all read as a valid id once turned into text.
  it.each([
    ['the number 42', 42, 'number 42'],
    ['the array ["lab-a"]', ['lab-a'], 'array of length 1'],
    ['a String object "lab-a"', new String('lab-a'), 'object'],
  ])('a log id that is not a string (%s) is refused as invalid-field, not turned into text', (_, logId, described) => {
    expect(refusal(() => treeHeadSigningInput(head, logId as unknown as string))).toEqual({ code: 'invalid-field', message: `${ID_EXPECTED} ${described}` });
    expect(refusal(() => verifyTreeHead(signed, logId as unknown as string, new Uint8Array(32)))).toEqual({ code: 'invalid-field', message: `${ID_EXPECTED} ${described}` });
  });

  it('a string that is no roster member id is refused with the same message', () => {
    expect(refusal(() => treeHeadSigningInput(head, 'Lab_A'))).toEqual({ code: 'invalid-field', message: `${ID_EXPECTED} "Lab_A"` });
  });
});

describe('a malformed head names its field', () => {
  it.each([
    ['size', { ...signed, size: -1 }, 'invalid-integer', '"size" expected a non-negative safe integer, got number -1'],
    ['root', { ...signed, root: new Uint8Array(31) }, 'wrong-length', '"root" expected Uint8Array of length 32, got length=31'],
    ['timestamp', { ...signed, timestamp: 1.5 }, 'invalid-integer', '"timestamp" expected a non-negative safe integer, got number 1.5'],
  ])('%s: signing input, encoding and verification all refuse it by name', (_, bad, code, message) => {
    expect(refusal(() => treeHeadSigningInput(bad, 'lab-a'))).toEqual({ code, message });
    expect(refusal(() => encodeSignedTreeHead(bad))).toEqual({ code, message });
    expect(refusal(() => verifyTreeHead(bad, 'lab-a', new Uint8Array(32)))).toEqual({ code, message });
  });

  it('encoding refuses a signature of 63 bytes or none by the name "signature"', () => {
    expect(refusal(() => encodeSignedTreeHead({ ...signed, signature: new Uint8Array(63) }))).toEqual({
      code: 'wrong-length',
      message: '"signature" expected Uint8Array of length 64, got length=63',
    });
    expect(refusal(() => encodeSignedTreeHead(head as SignedTreeHead))).toEqual({ code: 'invalid-type', message: '"signature" expected Uint8Array, got undefined' });
  });
});

describe('a wire form cut short names the field being read', () => {
  const wire = encodeSignedTreeHead(signed);
  // version (1) || size (8) || root (32) || timestamp (8) || signature (64)
  it.each([
    ['size', 1, 8],
    ['root', 9, 32],
    ['timestamp', 41, 8],
    ['signature', 49, 64],
  ])('cut inside "%s" (at offset %s, %s bytes)', (field, offset, length) => {
    expect(wire.length).toBe(SIGNED_TREE_HEAD_BYTES);
    for (const cut of [offset, offset + length - 1]) {
      expect(refusal(() => decodeSignedTreeHead(wire.subarray(0, cut)), [CodecError])).toEqual({
        code: 'truncated',
        message: `signed tree head "${field}" expected ${length} more bytes at offset ${offset}, got ${cut - offset}`,
      });
    }
    expect(decodeSignedTreeHead(wire).signature).toEqual(signed.signature);
  });

  it('no bytes at all are cut inside "version"; a version other than 1 is refused with the one expected', () => {
    expect(refusal(() => decodeSignedTreeHead(new Uint8Array(0)), [CodecError])).toEqual({ code: 'truncated', message: 'signed tree head "version" expected 1 more bytes at offset 0, got 0' });
    const v2 = wire.slice();
    v2[0] = 2;
    expect(refusal(() => decodeSignedTreeHead(v2), [CodecError])).toEqual({ code: 'unsupported-version', message: 'signed tree head "version" expected 1, got 2' });
  });

  it('a size or timestamp above 2^53 - 1 is refused by name', () => {
    const high = wire.slice();
    high.fill(0xff, 1, 9);
    expect(refusal(() => decodeSignedTreeHead(high), [CodecError])).toEqual({ code: 'out-of-range', message: 'signed tree head "size" expected at most 2^53 - 1, got 18446744073709551615' });
    const late = wire.slice();
    late.fill(0xff, 41, 49);
    expect(refusal(() => decodeSignedTreeHead(late), [CodecError])).toEqual({ code: 'out-of-range', message: 'signed tree head "timestamp" expected at most 2^53 - 1, got 18446744073709551615' });
  });
});
