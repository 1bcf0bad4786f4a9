/**
 * The msgpack subset of audit files (audit.md §8.1), byte by byte: the canonical writer picks the
 * shortest header at every length boundary, and the strict reader accepts exactly that encoding,
 * refusing longer headers (non-canonical-encoding), wrong types, claimed lengths beyond the bytes
 * left (truncated), values over their bound and maps whose keys are missing, extra or reordered.
 * A lab or log operator that hands the auditor a second encoding of the same file, or a header
 * claiming more than the file holds, must get a typed CodecError with the right code.
 */
import { CodecError, ValidationError } from '@venn/errors';
import { describe, expect, it } from 'vitest';
import { OrderedMap, StrictReader, writeCanonical, type AuditValue } from '../src/internal/msgpack.js';

function codeOf(action: () => unknown, kind: typeof CodecError | typeof ValidationError = CodecError): string {
  try {
    action();
  } catch (error) {
    expect(error).toBeInstanceOf(kind);
    return (error as CodecError).code;
  }
  throw new Error('expected the action to throw');
}

const hex = (bytes: Uint8Array): string => Buffer.from(bytes).toString('hex');
const reader = (...bytes: number[]): StrictReader => new StrictReader(Uint8Array.from(bytes), 'test file');
const readerOf = (bytes: Uint8Array): StrictReader => new StrictReader(bytes, 'test file');

describe('writer: the shortest header at every boundary', () => {
  it.each([
    [0, '00'], [0x7f, '7f'], [0x80, 'cc80'], [0xff, 'ccff'], [0x100, 'cd0100'], [0xffff, 'cdffff'],
    [0x1_0000, 'ce00010000'], [0xffff_ffff, 'ceffffffff'], [0x1_0000_0000, 'cf0000000100000000'],
    [Number.MAX_SAFE_INTEGER, 'cf001fffffffffffff'],
  ])('the integer %s is written as %s and read back', (value, expected) => {
    const bytes = writeCanonical(value);
    expect(hex(bytes)).toBe(expected);
    const read = readerOf(bytes);
    expect(read.uint('n', Number.MAX_SAFE_INTEGER)).toBe(value);
    read.end();
  });

  it.each([-1, 1.5, 2 ** 53, Number.NaN])('refuses to write %s with out-of-range', (value) => {
    expect(codeOf(() => writeCanonical(value), ValidationError)).toBe('out-of-range');
    expect(codeOf(() => writeCanonical([value]), ValidationError)).toBe('out-of-range');
  });

  it('writes nil as 0xc0, and nil() consumes it only when it is there', () => {
    expect(hex(writeCanonical(null))).toBe('c0');
    const read = reader(0xc0, 0x05);
    expect(read.nil()).toBe(true);
    expect(read.remaining).toBe(1);
    expect(read.nil()).toBe(false);
    expect(read.remaining).toBe(1);
    expect(read.uint('n', 5)).toBe(5);
    expect(read.nil()).toBe(false);
    read.end();
  });

  it.each([
    [0, 'a0'], [31, 'bf'], [32, 'd920'], [255, 'd9ff'], [256, 'da0100'], [0xffff, 'daffff'], [0x1_0000, 'db00010000'],
  ])('a string of %s bytes has the header %s and is read back', (length, head) => {
    const text = 'x'.repeat(length);
    const bytes = writeCanonical(text);
    expect(bytes.length).toBe(head.length / 2 + length);
    expect(hex(bytes.subarray(0, head.length / 2))).toBe(head);
    const read = readerOf(bytes);
    expect(read.str('s', length)).toBe(text);
    read.end();
  });

  it('counts a string in UTF-8 bytes, not characters', () => {
    const text = 'é'.repeat(16); // 32 bytes, 16 characters
    const bytes = writeCanonical(text);
    expect(hex(bytes.subarray(0, 2))).toBe('d920');
    expect(bytes.length).toBe(34);
    expect(readerOf(bytes).str('s', 32)).toBe(text);
  });

  it.each([
    [0, 'c400'], [255, 'c4ff'], [256, 'c50100'], [0xffff, 'c5ffff'], [0x1_0000, 'c600010000'],
  ])('a bin of %s bytes has the header %s and is read back as a copy', (length, head) => {
    const value = new Uint8Array(length).fill(7);
    const bytes = writeCanonical(value);
    expect(bytes.length).toBe(head.length / 2 + length);
    expect(hex(bytes.subarray(0, head.length / 2))).toBe(head);
    const read = readerOf(bytes);
    const got = read.bin('b', { length });
    expect(got.length).toBe(length);
    expect(got.every((byte) => byte === 7)).toBe(true);
    read.end();
    if (length > 0) {
      bytes[bytes.length - 1] = 9;
      expect(got[length - 1]).toBe(7);
    }
  });

  it.each([
    [0, '90'], [15, '9f'], [16, 'dc0010'], [0xffff, 'dcffff'], [0x1_0000, 'dd00010000'],
  ])('an array of %s nils has the header %s and is read back', (count, head) => {
    const value: AuditValue[] = Array.from({ length: count }, () => null);
    const bytes = writeCanonical(value);
    expect(bytes.length).toBe(head.length / 2 + count);
    expect(hex(bytes.subarray(0, head.length / 2))).toBe(head);
    const read = readerOf(bytes);
    expect(read.array('a', count, 1)).toBe(count);
    let nils = 0;
    for (let i = 0; i < count; i++) if (read.nil()) nils++;
    expect(nils).toBe(count);
    read.end();
  });

  it.each([
    [0, '80'], [15, '8f'], [16, 'de0010'], [0xffff, 'deffff'], [0x1_0000, 'df00010000'],
  ])('a map of %s keys has the header %s and is read back in order', (count, head) => {
    const keys = Array.from({ length: count }, (_, i) => `k${i}`);
    const bytes = writeCanonical(new OrderedMap(keys.map((key, i) => [key, i % 100] as const)));
    expect(hex(bytes.subarray(0, head.length / 2))).toBe(head);
    const read = readerOf(bytes);
    const map = read.map('m', keys);
    let matching = 0;
    for (let i = 0; i < count; i++) {
      map.key(keys[i]!);
      if (read.uint(keys[i]!, 99) === i % 100) matching++;
    }
    expect(matching).toBe(count);
    read.end();
  });

  it('writes nested values in order: a map holding an array, a bin and a string', () => {
    const value = new OrderedMap([['a', [1, null, 'x']], ['b', Uint8Array.of(1, 2)], ['c', 300]]);
    expect(hex(writeCanonical(value))).toBe('83a16193' + '01c0a178' + 'a162c4020102' + 'a163cd012c');
  });
});

describe('reader: unsigned integers', () => {
  it.each([
    [[0xcc, 0x7f], 0x7f], [[0xcd, 0x00, 0xff], 0xff], [[0xce, 0x00, 0x00, 0xff, 0xff], 0xffff],
    [[0xcf, 0, 0, 0, 0, 0xff, 0xff, 0xff, 0xff], 0xffff_ffff],
  ])('a longer header than the value needs (%j) is non-canonical', (bytes) => {
    expect(codeOf(() => reader(...bytes).uint('n', Number.MAX_SAFE_INTEGER))).toBe('non-canonical-encoding');
  });

  it.each([
    [[0xcc, 0x80], 0x80], [[0xcd, 0x01, 0x00], 0x100], [[0xce, 0x00, 0x01, 0x00, 0x00], 0x1_0000],
    [[0xcf, 0, 0, 0, 1, 0, 0, 0, 0], 0x1_0000_0000],
  ])('the smallest value of each header (%j) is accepted', (bytes, value) => {
    const read = reader(...bytes);
    expect(read.uint('n', Number.MAX_SAFE_INTEGER)).toBe(value);
    read.end();
  });

  it('refuses a uint64 beyond 2^53 - 1, and a value over the field maximum, with out-of-range', () => {
    expect(codeOf(() => reader(0xcf, 0, 0x20, 0, 0, 0, 0, 0, 0).uint('n', Number.MAX_SAFE_INTEGER))).toBe('out-of-range');
    expect(codeOf(() => reader(0x0b).uint('n', 10))).toBe('out-of-range');
    expect(reader(0x0a).uint('n', 10)).toBe(10);
    expect(codeOf(() => reader(0xcd, 0x01, 0x00).uint('n', 0xff))).toBe('out-of-range');
  });

  it.each([[0x80], [0xc0], [0xd0, 0x01], [0xe0], [0xa0], [0xc4, 0x00]])('refuses the type byte %j with wrong-type', (...bytes) => {
    expect(codeOf(() => reader(...bytes).uint('n', 10))).toBe('wrong-type');
  });

  it.each([[[]], [[0xcc]], [[0xcd, 0x01]], [[0xce, 0, 1, 0]], [[0xcf, 0, 0, 0, 1, 0, 0, 0]]])('refuses %j, cut short, with truncated', (bytes) => {
    expect(codeOf(() => reader(...bytes).uint('n', Number.MAX_SAFE_INTEGER))).toBe('truncated');
  });

  it('advances by exactly the header and value, so the next value reads right', () => {
    const read = reader(0xcd, 0x01, 0x00, 0xce, 0x00, 0x01, 0x00, 0x00, 0xcf, 0, 0, 0, 1, 0, 0, 0, 0, 0x07);
    expect(read.uint('a', Number.MAX_SAFE_INTEGER)).toBe(0x100);
    expect(read.remaining).toBe(15);
    expect(read.uint('b', Number.MAX_SAFE_INTEGER)).toBe(0x1_0000);
    expect(read.remaining).toBe(10);
    expect(read.uint('c', Number.MAX_SAFE_INTEGER)).toBe(0x1_0000_0000);
    expect(read.remaining).toBe(1);
    expect(read.uint('d', 7)).toBe(7);
    read.end();
  });
});

describe('reader: bin', () => {
  it('refuses a longer header than the length needs', () => {
    expect(codeOf(() => reader(0xc5, 0x00, 0xff, ...new Uint8Array(0xff)).bin('b', { max: 0x1_0000 }))).toBe('non-canonical-encoding');
    expect(codeOf(() => readerOf(Uint8Array.of(0xc6, 0x00, 0x00, 0xff, 0xff)).bin('b', { max: 0x1_0000 }))).toBe('non-canonical-encoding');
    const at256 = readerOf(Uint8Array.from([0xc5, 0x01, 0x00, ...new Uint8Array(256)]));
    expect(at256.bin('b', { max: 256 }).length).toBe(256);
    at256.end();
  });

  it('checks an exact length and a maximum', () => {
    expect(codeOf(() => reader(0xc4, 0x02, 1, 2).bin('b', { length: 3 }))).toBe('wrong-length');
    expect(codeOf(() => reader(0xc4, 0x02, 1, 2).bin('b', { length: 1 }))).toBe('wrong-length');
    expect(codeOf(() => reader(0xc4, 0x02, 1, 2).bin('b', { max: 1 }))).toBe('wrong-length');
    expect(reader(0xc4, 0x02, 1, 2).bin('b', { max: 2 })).toEqual(Uint8Array.of(1, 2));
    expect(reader(0xc4, 0x02, 1, 2).bin('b', { length: 2 })).toEqual(Uint8Array.of(1, 2));
  });

  it('refuses a length beyond the bytes left with truncated, and other types with wrong-type', () => {
    expect(codeOf(() => reader(0xc4, 0x03, 1, 2).bin('b', { max: 10 }))).toBe('truncated');
    expect(codeOf(() => reader(0xc5, 0x01).bin('b', { max: 10 }))).toBe('truncated');
    expect(codeOf(() => reader(0xa2, 1, 2).bin('b', { max: 10 }))).toBe('wrong-type');
    expect(codeOf(() => reader(0xc7, 0x00).bin('b', { max: 10 }))).toBe('wrong-type');
  });

  it('reads a bin inside a larger buffer at its own offset', () => {
    const backing = Uint8Array.of(0xee, 0xee, 0xc4, 0x02, 5, 6, 0xc4, 0x01, 9);
    const read = new StrictReader(backing.subarray(2), 'test file');
    expect(read.bin('a', { length: 2 })).toEqual(Uint8Array.of(5, 6));
    expect(read.bin('b', { max: 1 })).toEqual(Uint8Array.of(9));
    read.end();
  });
});

describe('reader: str', () => {
  it('refuses a longer header than the length needs', () => {
    expect(codeOf(() => readerOf(Uint8Array.from([0xd9, 31, ...new Uint8Array(31).fill(0x61)])).str('s', 100))).toBe('non-canonical-encoding');
    expect(codeOf(() => readerOf(Uint8Array.from([0xda, 0x00, 0xff, ...new Uint8Array(0xff).fill(0x61)])).str('s', 1000))).toBe('non-canonical-encoding');
    expect(codeOf(() => readerOf(Uint8Array.of(0xdb, 0x00, 0x00, 0xff, 0xff)).str('s', 0x1_0000))).toBe('non-canonical-encoding');
    expect(readerOf(Uint8Array.from([0xd9, 32, ...new Uint8Array(32).fill(0x61)])).str('s', 32)).toBe('a'.repeat(32));
    expect(readerOf(Uint8Array.from([0xda, 0x01, 0x00, ...new Uint8Array(256).fill(0x61)])).str('s', 256)).toBe('a'.repeat(256));
  });

  it('checks the byte length against the maximum, then the bytes left', () => {
    expect(codeOf(() => reader(0xa3, 0x61, 0x62, 0x63).str('s', 2))).toBe('wrong-length');
    expect(reader(0xa3, 0x61, 0x62, 0x63).str('s', 3)).toBe('abc');
    expect(codeOf(() => reader(0xa3, 0x61, 0x62).str('s', 3))).toBe('truncated');
    expect(codeOf(() => reader(0xbf, 0x61).str('s', 1))).toBe('wrong-length');
  });

  it('refuses invalid UTF-8, other types, and text outside the pattern', () => {
    expect(codeOf(() => reader(0xa2, 0xc3, 0x28).str('s', 10))).toBe('invalid-utf8');
    expect(codeOf(() => reader(0xc4, 0x01, 0x61).str('s', 10))).toBe('wrong-type');
    expect(codeOf(() => reader(0x9f).str('s', 10))).toBe('wrong-type');
    expect(codeOf(() => reader(0xc0).str('s', 10))).toBe('wrong-type');
    expect(codeOf(() => reader(0xa2, 0x41, 0x42).str('s', 10, /^[a-z]+$/))).toBe('invalid-field');
    expect(reader(0xa2, 0x61, 0x62).str('s', 10, /^[a-z]+$/)).toBe('ab');
  });

  it('reads consecutive strings of each header form', () => {
    const bytes = Uint8Array.from([0xa1, 0x61, 0xd9, 32, ...new Uint8Array(32).fill(0x62), 0xda, 0x01, 0x00, ...new Uint8Array(256).fill(0x63), 0xa0]);
    const read = readerOf(bytes);
    expect(read.str('a', 1)).toBe('a');
    expect(read.str('b', 32)).toBe('b'.repeat(32));
    expect(read.str('c', 256)).toBe('c'.repeat(256));
    expect(read.str('d', 0)).toBe('');
    read.end();
  });
});

describe('reader: arrays', () => {
  it('refuses a longer header than the count needs', () => {
    expect(codeOf(() => reader(0xdc, 0x00, 0x0f).array('a', 100, 0))).toBe('non-canonical-encoding');
    expect(codeOf(() => reader(0xdd, 0x00, 0x00, 0xff, 0xff).array('a', 0x1_0000, 0))).toBe('non-canonical-encoding');
    expect(reader(0xdc, 0x00, 0x10).array('a', 16, 0)).toBe(16);
    expect(reader(0xdd, 0x00, 0x01, 0x00, 0x00).array('a', 0x1_0000, 0)).toBe(0x1_0000);
  });

  it('refuses more items than the maximum with too-large, and a count the bytes left cannot hold with truncated', () => {
    expect(codeOf(() => reader(0x93, 1, 2, 3).array('a', 2, 1))).toBe('too-large');
    expect(reader(0x93, 1, 2, 3).array('a', 3, 1)).toBe(3);
    expect(codeOf(() => reader(0x93, 1, 2).array('a', 3, 1))).toBe('truncated');
    expect(codeOf(() => reader(0x92, 1, 2).array('a', 3, 2))).toBe('truncated');
    expect(reader(0x92, 1, 2, 3, 4).array('a', 3, 2)).toBe(2);
    // An array32 header claiming 2^20 items of 32 bytes in a short file is refused before any allocation.
    expect(codeOf(() => reader(0xdd, 0x00, 0x10, 0x00, 0x00).array('a', 2 ** 20, 32))).toBe('truncated');
  });

  it('refuses other types with wrong-type', () => {
    expect(codeOf(() => reader(0x80).array('a', 3, 1))).toBe('wrong-type');
    expect(codeOf(() => reader(0xa0).array('a', 3, 1))).toBe('wrong-type');
    expect(codeOf(() => reader(0xde, 0x00, 0x10).array('a', 30, 0))).toBe('wrong-type');
  });
});

describe('reader: maps', () => {
  const ab = writeCanonical(new OrderedMap([['a', 1], ['b', 2]]));

  it('reads the schema keys in order and checks the count', () => {
    const read = readerOf(ab);
    const map = read.map('m', ['a', 'b']);
    map.key('a');
    expect(read.uint('a', 9)).toBe(1);
    map.key('b');
    expect(read.uint('b', 9)).toBe(2);
    read.end();
  });

  it('refuses a map with fewer keys (missing-field) or more keys (unknown-field) than the schema', () => {
    expect(codeOf(() => readerOf(ab).map('m', ['a', 'b', 'c']))).toBe('missing-field');
    expect(codeOf(() => readerOf(ab).map('m', ['a']))).toBe('unknown-field');
  });

  it('with countLater, checks the count only when asked, and a short map runs out of keys with missing-field', () => {
    const read = readerOf(ab);
    const map = read.map('m', ['a', 'b', 'c'], true);
    map.key('a');
    read.uint('a', 9);
    map.key('b');
    read.uint('b', 9);
    expect(codeOf(() => map.key('c'))).toBe('missing-field');
    expect(codeOf(() => map.checkCount())).toBe('missing-field');
    const long = readerOf(ab).map('m', ['a'], true);
    expect(codeOf(() => long.checkCount())).toBe('unknown-field');
    const exact = readerOf(ab).map('m', ['a', 'b'], true);
    expect(() => exact.checkCount()).not.toThrow();
  });

  it('refuses reordered keys with non-canonical-encoding and a foreign key with unknown-field', () => {
    const swapped = readerOf(writeCanonical(new OrderedMap([['b', 2], ['a', 1]])));
    expect(codeOf(() => swapped.map('m', ['a', 'b']).key('a'))).toBe('non-canonical-encoding');
    const foreign = readerOf(writeCanonical(new OrderedMap([['z', 2], ['a', 1]])));
    expect(codeOf(() => foreign.map('m', ['a', 'b']).key('a'))).toBe('unknown-field');
  });

  it('refuses a longer header than the count needs, and other types', () => {
    expect(codeOf(() => reader(0xde, 0x00, 0x0f).map('m', []))).toBe('non-canonical-encoding');
    expect(codeOf(() => reader(0xdf, 0x00, 0x00, 0xff, 0xff).map('m', []))).toBe('non-canonical-encoding');
    expect(codeOf(() => reader(0x90).map('m', []))).toBe('wrong-type');
    // A positive fixint or a nil below the fixmap range is no map either.
    expect(codeOf(() => reader(0x00).map('m', []))).toBe('wrong-type');
    expect(codeOf(() => reader(0x05).map('m', ['a', 'b', 'c', 'd', 'e']))).toBe('wrong-type');
    expect(codeOf(() => reader(0xdc, 0x00, 0x10).map('m', []))).toBe('wrong-type');
    const keys16 = Array.from({ length: 16 }, (_, i) => `k${i}`);
    expect(() => reader(0xde, 0x00, 0x10).map('m', keys16)).not.toThrow();
    const keys65536 = Array.from({ length: 0x1_0000 }, (_, i) => `${i}`);
    expect(() => reader(0xdf, 0x00, 0x01, 0x00, 0x00).map('m', keys65536)).not.toThrow();
  });

  it('refuses a key longer than 64 bytes before comparing it', () => {
    const long = 'k'.repeat(65);
    expect(codeOf(() => readerOf(writeCanonical(new OrderedMap([[long, 1]]))).map('m', [long]).key(long))).toBe('wrong-length');
    const at64 = 'k'.repeat(64);
    expect(() => readerOf(writeCanonical(new OrderedMap([[at64, 1]]))).map('m', [at64]).key(at64)).not.toThrow();
  });
});

describe('reader: the end of the file', () => {
  it('refuses trailing bytes with trailing-bytes and passes at the end', () => {
    const read = reader(0x01, 0x02);
    expect(read.uint('n', 9)).toBe(1);
    expect(codeOf(() => read.end())).toBe('trailing-bytes');
    expect(read.uint('n', 9)).toBe(2);
    expect(() => read.end()).not.toThrow();
  });
});

describe('errors name the file, the field and the offset', () => {
  const messageOf = (action: () => unknown): string => {
    try {
      action();
    } catch (error) {
      expect(error).toBeInstanceOf(CodecError);
      return (error as CodecError).message;
    }
    throw new Error('expected the action to throw');
  };

  it('a wrong type byte, at the offset it was read from', () => {
    const read = reader(0x01, 0x05);
    read.uint('first', 9);
    expect(messageOf(() => read.bin('b', { max: 4 }))).toBe('test file "b" expected bin, got msgpack type byte 0x05 at offset 1');
    expect(messageOf(() => reader(0xc0).str('s', 4))).toBe('test file "s" expected str, got msgpack type byte 0xc0 at offset 0');
    expect(messageOf(() => reader(0xc0).uint('n', 4))).toBe('test file "n" expected an unsigned integer, got msgpack type byte 0xc0 at offset 0');
    expect(messageOf(() => reader(0x80).array('a', 4, 0))).toBe('test file "a" expected an array, got msgpack type byte 0x80 at offset 0');
    expect(messageOf(() => reader(0x90).map('m', []))).toBe('test file "m" expected a map, got msgpack type byte 0x90 at offset 0');
  });

  it('a claimed length beyond the end: how many bytes, where, and how many remain', () => {
    expect(messageOf(() => reader(0x9a).array('a', 9, 0))).toBe('test file "a" expected at most 9 items, got 10');
    const read = reader(0x01, 0xc4, 0x05, 1, 2);
    read.uint('n', 9);
    expect(messageOf(() => read.bin('b', { max: 9 }))).toBe('test file "b" claims 5 bytes at offset 3, but 2 remain');
  });

  it('a longer header, a value over its bound, a length off its bound', () => {
    expect(messageOf(() => reader(0xcc, 0x05).uint('n', 9))).toBe('test file "n" expected the shortest header for length 5, got a longer one at offset 2');
    expect(messageOf(() => reader(0x0b).uint('n', 10))).toBe('test file "n" expected at most 10, got 11');
    expect(messageOf(() => reader(0xc4, 0x02, 1, 2).bin('b', { length: 3 }))).toBe('test file "b" expected 3 bytes, got length=2');
    expect(messageOf(() => reader(0xc4, 0x02, 1, 2).bin('b', { max: 1 }))).toBe('test file "b" expected at most 1 bytes, got length=2');
  });

  it('text outside its pattern and an unknown key are quoted, cut at 64 characters', () => {
    const long = 'A'.repeat(70);
    expect(messageOf(() => readerOf(writeCanonical(long)).str('s', 100, /^[a-z]+$/))).toBe(`test file "s" expected to match ^[a-z]+$, got "${'A'.repeat(64)}"`);
    const key = 'z'.repeat(64);
    const map = readerOf(writeCanonical(new OrderedMap([[key, 1]]))).map('m', ['a']);
    expect(messageOf(() => map.key('a'))).toBe(`test file "m" expected key "a", got unknown key "${key}"`);
  });

  it('a map of the wrong size names the schema keys and the count', () => {
    const ab = writeCanonical(new OrderedMap([['a', 1], ['b', 2]]));
    expect(messageOf(() => readerOf(ab).map('m', ['a']))).toBe('test file "m" expected a map of 1 keys (a), got 2');
    expect(messageOf(() => readerOf(ab).map('m', ['a', 'b', 'c']))).toBe('test file "m" expected a map of 3 keys (a, b, c), got 2');
  });

  it('invalid UTF-8 keeps the decoder\'s error as its cause', () => {
    try {
      reader(0xa2, 0xc3, 0x28).str('s', 10);
      expect.unreachable();
    } catch (error) {
      expect((error as CodecError).code).toBe('invalid-utf8');
      expect((error as CodecError).cause).toBeInstanceOf(TypeError);
    }
  });

  it('trailing bytes: where the file should end and how many follow', () => {
    const read = reader(0x01, 0x02, 0x03);
    read.uint('n', 9);
    expect(messageOf(() => read.end())).toBe('test file expected to end at offset 1, got 2 trailing bytes');
  });
});
