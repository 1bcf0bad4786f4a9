/**
 * The exact refusals of the structural pre-scan (SPEC §5.1) and of the schema readers (SPEC §5):
 * every error's code and full message, naming the part of the frame or the field at fault, and the
 * edge forms each accepts (the empty map, the empty and the 31-byte fixstr key, the 15-item fixarray).
 */
import { CodecError } from '@venn/errors';
import { describe, expect, it } from 'vitest';
import { scanFrame } from '../src/internal/scan.js';
import {
  expectKeys,
  readArray,
  readBool,
  readBytes,
  readMap,
  readPacked,
  readString,
  readUint,
} from '../src/internal/schema.js';

function refusal(run: () => unknown): CodecError {
  try {
    run();
  } catch (error) {
    expect(error).toBeInstanceOf(CodecError);
    return error as CodecError;
  }
  throw new Error('accepted');
}

function expectRefused(run: () => unknown, code: string, message: string): void {
  const error = refusal(run);
  expect(error.code).toBe(code);
  expect(error.message).toBe(message);
}

const scan = (frame: readonly number[]) => (): void => scanFrame(Uint8Array.from(frame));

describe('the scanner names what a short frame cuts off', () => {
  it.each([
    ['an empty frame', [], 'value claims 1 bytes but only 0 remain in the frame'],
    ['a fixstr longer than the frame', [0xa3, 0x61], 'fixstr claims 3 bytes but only 1 remain in the frame'],
    ['a bin8 without its length', [0xc4], 'bin8 length claims 1 bytes but only 0 remain in the frame'],
    ['a bin8 longer than the frame', [0xc4, 0x02, 0x00], 'bin8 claims 2 bytes but only 1 remain in the frame'],
    ['a bin16 length cut short', [0xc5, 0x00], 'bin16 length claims 2 bytes but only 1 remain in the frame'],
    ['a bin16 longer than the frame', [0xc5, 0x00, 0x03, 0x00], 'bin16 claims 3 bytes but only 1 remain in the frame'],
    ['a uint8 cut short', [0xcc], 'uint8 claims 1 bytes but only 0 remain in the frame'],
    ['a uint16 cut short', [0xcd, 0xff], 'uint16 claims 2 bytes but only 1 remain in the frame'],
    ['a uint32 cut short', [0xce, 0xff, 0xff], 'uint32 claims 4 bytes but only 2 remain in the frame'],
    ['a uint64 cut short', [0xcf, 0, 0, 0, 0, 0, 0, 0], 'uint64 claims 8 bytes but only 7 remain in the frame'],
    ['a str8 without its length', [0xd9], 'str8 length claims 1 bytes but only 0 remain in the frame'],
    ['a str8 longer than the frame', [0xd9, 0x02, 0x61], 'str8 claims 2 bytes but only 1 remain in the frame'],
    ['a str16 length cut short', [0xda, 0x00], 'str16 length claims 2 bytes but only 1 remain in the frame'],
    ['a str16 longer than the frame', [0xda, 0x00, 0x02, 0x61], 'str16 claims 2 bytes but only 1 remain in the frame'],
    ['a str32 length cut short', [0xdb, 0x00, 0x00], 'str32 length claims 4 bytes but only 2 remain in the frame'],
    ['a str32 longer than the frame', [0xdb, 0x00, 0x00, 0x00, 0x02, 0x61], 'str32 claims 2 bytes but only 1 remain in the frame'],
    ['an array32 length cut short', [0xdd, 0x00, 0x00, 0x00], 'array32 length claims 4 bytes but only 3 remain in the frame'],
    ['a map16 length cut short', [0xde, 0x00], 'map16 length claims 2 bytes but only 1 remain in the frame'],
    ['a map32 length cut short', [0xdf, 0x00, 0x00, 0x00], 'map32 length claims 4 bytes but only 3 remain in the frame'],
    ['an array of more items than bytes', [0x92, 0x00], 'array of 2 elements claims 2 bytes but only 1 remain in the frame'],
    ['a map of more entries than bytes for them', [0x82, 0xa0, 0x00], 'map of 2 entries claims 4 bytes but only 2 remain in the frame'],
    // A map's first value can use up the bytes its header check counted for the later keys.
    ['a map whose next key is missing', [0x82, 0xa0, 0xc4, 0x01, 0x00], 'map key claims 1 bytes but only 0 remain in the frame'],
    ['a map key longer than the frame', [0x81, 0xa5, 0x61], 'map key claims 5 bytes but only 1 remain in the frame'],
    ['a str8 map key without its length', [0x82, 0xa0, 0xc4, 0x00, 0xd9], 'str8 length claims 1 bytes but only 0 remain in the frame'],
    ['a str16 map key length cut short', [0x82, 0xa0, 0xc4, 0x00, 0xda, 0x00], 'str16 length claims 2 bytes but only 1 remain in the frame'],
    ['a str32 map key length cut short', [0x82, 0xa0, 0xc4, 0x00, 0xdb, 0x00, 0x00, 0x00], 'str32 length claims 4 bytes but only 3 remain in the frame'],
  ] as const)('refuses %s as truncated, saying what and how much', (_name, frame, message) => {
    expectRefused(scan(frame), 'truncated', message);
  });
});

describe('the scanner\'s other refusals, message by message', () => {
  it('counts the bytes after the message', () => {
    expectRefused(scan([0x00, 0x00]), 'trailing-bytes', 'frame has 1 bytes after the message');
    expectRefused(scan([0x91, 0x00, 0xc0, 0xc0, 0xc0]), 'trailing-bytes', 'frame has 3 bytes after the message');
  });

  it('gives the offset of a uint64 past 2^53-1', () => {
    expectRefused(scan([0x91, 0xcf, 0x00, 0x20, 0, 0, 0, 0, 0, 0]), 'out-of-range', 'uint64 at offset 1 exceeds 2^53-1');
  });

  it('names a forbidden type in two hex digits with its offset', () => {
    expectRefused(scan([0xc1]), 'forbidden-type', 'msgpack type 0xc1 at offset 0 is not allowed in a Venn message');
    expectRefused(scan([0x92, 0x00, 0xe0]), 'forbidden-type', 'msgpack type 0xe0 at offset 2 is not allowed in a Venn message');
  });

  it('names the container that nests too deep', () => {
    expectRefused(scan([0x91, 0x91, 0x91, 0x91, 0x00]), 'too-deep', 'array at offset 4 nests deeper than 3');
    expectRefused(scan([0x91, 0x91, 0x91, 0x81, 0xa0, 0x00]), 'too-deep', 'map at offset 4 nests deeper than 3');
  });

  it('quotes a duplicate key and the map\'s offset', () => {
    expectRefused(scan([0x91, 0x82, 0xa1, 0x61, 0x00, 0xa1, 0x61, 0x01]), 'duplicate-key', 'map key "a" appears twice in the map at offset 1');
  });

  it('quotes only the first 64 characters of a long duplicate key', () => {
    const key = [0xd9, 70, ...new Array<number>(70).fill(0x61)];
    expectRefused(
      scan([0x82, ...key, 0x00, ...key, 0x01]),
      'duplicate-key',
      `map key "${'a'.repeat(64)}" appears twice in the map at offset 0`,
    );
  });

  it('gives the offset of a key that is not a string', () => {
    expectRefused(scan([0x81, 0x00, 0x00]), 'non-string-key', 'map key at offset 1 is not a string');
  });
});

describe('the scanner\'s edge forms', () => {
  it('reads an empty map', () => {
    expect(() => scanFrame(Uint8Array.from([0x80]))).not.toThrow();
  });

  it('reads a fixarray of 15 items', () => {
    expect(() => scanFrame(Uint8Array.from([0x9f, ...new Array<number>(15).fill(0x00)]))).not.toThrow();
  });

  it('reads the empty string and a 31-byte fixstr as map keys', () => {
    expect(() => scanFrame(Uint8Array.from([0x81, 0xa0, 0x00]))).not.toThrow();
    expect(() => scanFrame(Uint8Array.from([0x81, 0xbf, ...new Array<number>(31).fill(0x61), 0x00]))).not.toThrow();
  });
});

describe('the schema readers, message by message', () => {
  it('takes no optional keys unless given some', () => {
    expectRefused(() => expectKeys({ 'Stryker was here': 1 }, 'm', []), 'unknown-field', '"m" has unexpected field "Stryker was here"');
    expect(() => expectKeys({ a: 1, b: 2 }, 'm', ['a'], ['b'])).not.toThrow();
  });

  it('names an unexpected and a missing field', () => {
    expectRefused(() => expectKeys({ a: 1, b: 2 }, 'm', ['a']), 'unknown-field', '"m" has unexpected field "b"');
    expectRefused(() => expectKeys({ b: 2 }, 'm', ['a', 'b']), 'missing-field', '"m.a" is missing');
  });

  it('refuses a non-integer for an unsigned integer', () => {
    expectRefused(() => readUint({ n: 'x' }, 'm', 'n', 10), 'wrong-type', '"m.n" expected an unsigned integer, got "x"');
    expectRefused(() => readUint({ n: 1.5 }, 'm', 'n', 10), 'wrong-type', '"m.n" expected an unsigned integer, got number 1.5');
  });

  it('refuses an integer below the minimum', () => {
    expectRefused(() => readUint({ n: 0 }, 'm', 'n', 10, 1), 'out-of-range', '"m.n" expected an integer in 1..10, got 0');
    expectRefused(() => readUint({ n: -1 }, 'm', 'n', 10), 'out-of-range', '"m.n" expected an integer in 0..10, got -1');
    expect(readUint({ n: 1 }, 'm', 'n', 10, 1)).toBe(1);
  });

  it('refuses a non-boolean', () => {
    expectRefused(() => readBool({ b: 1 }, 'm', 'b'), 'wrong-type', '"m.b" expected a boolean, got number 1');
  });

  it('refuses a non-bin and a bin of the wrong length', () => {
    expectRefused(() => readBytes({ k: 'x' }, 'm', 'k', 4), 'wrong-type', '"m.k" expected bin, got "x"');
    expectRefused(() => readBytes({ k: new Uint8Array(3) }, 'm', 'k', 4), 'wrong-length', '"m.k" expected bin of length 4, got length=3');
  });

  it('refuses a non-bin for a packed field', () => {
    expectRefused(() => readPacked({ p: [1] }, 'm', 'p', 32, 1, 2), 'wrong-type', '"m.p" expected bin, got array of length 1');
  });

  it('refuses a non-string and a string of the wrong UTF-8 length', () => {
    expectRefused(() => readString({ s: 1 }, 'm', 's', 3), 'wrong-type', '"m.s" expected a string, got number 1');
    expectRefused(() => readString({ s: 'éé' }, 'm', 's', 3, 1), 'wrong-length', '"m.s" expected a string of 1..3 UTF-8 bytes, got 4');
  });

  it('refuses a non-array and an array of too many items', () => {
    expectRefused(() => readArray({ a: null }, 'm', 'a', 2), 'wrong-type', '"m.a" expected an array, got null');
    expectRefused(() => readArray({ a: [1, 2, 3] }, 'm', 'a', 2), 'wrong-length', '"m.a" expected at most 2 items, got 3');
  });

  it('refuses a non-map', () => {
    expectRefused(() => readMap({ x: [] }, 'm', 'x'), 'wrong-type', '"m.x" expected a map, got array of length 0');
  });
});
