/**
 * The codec at its exact limits (SPEC §5.1): every msgpack header form on both sides of each
 * length where the canonical writer switches form, the scanner's key forms and limits, the frame
 * size limit itself, and the calendar bounds of a LABELS first_seen.
 */
import { CodecError, ValidationError } from '@venn/errors';
import { MAX_ARRAY_ITEMS, MAX_FRAME_BYTES, MAX_MAP_ENTRIES, MAX_NESTING_DEPTH, decodeMessage, encodeMessage } from '@venn/wire';
import { Packr } from 'msgpackr';
import { describe, expect, it } from 'vitest';
import { scanFrame } from '../src/internal/scan.js';
import { OrderedMap, writeCanonical, type WireValue } from '../src/internal/write.js';
import { bytes, roundId } from './fixtures.js';

const packr = new Packr({ useRecords: false, variableMapSize: true });
const pack = (value: unknown): Uint8Array => new Uint8Array(packr.pack(value));

function codeOf(run: () => unknown): string {
  try {
    run();
  } catch (error) {
    expect(error).toBeInstanceOf(CodecError);
    return (error as CodecError).code;
  }
  throw new Error('accepted');
}

const hex = (data: Uint8Array, count: number): string => Buffer.from(data.subarray(0, count)).toString('hex');

describe('the canonical writer at each header boundary', () => {
  it.each([
    [0, '00', 1], [127, '7f', 1], [128, 'cc80', 2], [255, 'ccff', 2], [256, 'cd0100', 3], [65_535, 'cdffff', 3],
    [65_536, 'ce00010000', 5], [0xffff_ffff, 'ceffffffff', 5], [0x1_0000_0000, 'cf0000000100000000', 9],
    [Number.MAX_SAFE_INTEGER, 'cf001fffffffffffff', 9],
  ])('writes the integer %d as %s', (value, expected, length) => {
    const out = writeCanonical(value);
    expect(Buffer.from(out).toString('hex')).toBe(expected);
    expect(out.length).toBe(length);
    expect(Number(packr.unpack(out) as number | bigint)).toBe(value);
  });

  it.each([-1, 1.5, Number.MAX_SAFE_INTEGER + 1, Number.NaN, Number.POSITIVE_INFINITY])('refuses the integer %d with out-of-range', (value) => {
    let caught: unknown;
    try { writeCanonical(value); } catch (error) { caught = error; }
    expect(caught).toBeInstanceOf(ValidationError);
    expect((caught as ValidationError).code).toBe('out-of-range');
  });

  it.each([
    [0, 'a0', 1], [31, 'bf', 1], [32, 'd920', 2], [255, 'd9ff', 2], [256, 'da0100', 3], [65_535, 'daffff', 3], [65_536, 'db00010000', 5],
  ])('writes a string of %d bytes with the header %s', (length, header, headerLength) => {
    const text = 'x'.repeat(length);
    const out = writeCanonical(text);
    expect(hex(out, headerLength)).toBe(header);
    expect(out.length).toBe(headerLength + length);
    expect(packr.unpack(out)).toBe(text);
  });

  it('counts a string\'s UTF-8 bytes, not its characters', () => {
    const text = 'é'.repeat(16); // 32 bytes: past the fixstr limit of 31
    const out = writeCanonical(text);
    expect(hex(out, 2)).toBe('d920');
    expect(out.length).toBe(34);
  });

  it.each([
    [0, 'c400', 2], [255, 'c4ff', 2], [256, 'c50100', 3], [65_535, 'c5ffff', 3], [65_536, 'c600010000', 5],
  ])('writes %d bytes of bin with the header %s', (length, header, headerLength) => {
    const data = bytes(length, 3);
    const out = writeCanonical(data);
    expect(hex(out, headerLength)).toBe(header);
    expect(out.length).toBe(headerLength + length);
    expect(Buffer.from(out.subarray(headerLength)).equals(Buffer.from(data))).toBe(true);
  });

  it.each([
    [0, '90', 1], [15, '9f', 1], [16, 'dc0010', 3], [255, 'dc00ff', 3], [256, 'dc0100', 3], [65_535, 'dcffff', 3], [65_536, 'dd00010000', 5],
  ])('writes an array of %d items with the header %s (arrays have no 8-bit form)', (length, header, headerLength) => {
    const out = writeCanonical(new Array<WireValue>(length).fill(null));
    expect(hex(out, headerLength)).toBe(header);
    expect(out.length).toBe(headerLength + length);
    expect((packr.unpack(out) as unknown[]).length).toBe(length);
  });

  it.each([
    [0, '80', 1], [15, '8f', 1], [16, 'de0010', 3], [255, 'de00ff', 3], [256, 'de0100', 3],
  ])('writes a map of %d entries with the header %s (maps have no 8-bit form)', (length, header, headerLength) => {
    const entries = Array.from({ length }, (_, i) => [`k${i}`, i] as const);
    const out = writeCanonical(new OrderedMap(entries));
    expect(hex(out, headerLength)).toBe(header);
    const decoded = packr.unpack(out) as Record<string, number> | Map<string, number>;
    const keys = decoded instanceof Map ? [...decoded.keys()] : Object.keys(decoded);
    expect(keys).toEqual(entries.map(([key]) => key));
  });

  it('writes nil, false and true as single bytes, and keeps the map order given', () => {
    expect(Buffer.from(writeCanonical([null, false, true])).toString('hex')).toBe('93c0c2c3');
    expect(Buffer.from(writeCanonical(new OrderedMap([['b', 1], ['a', 2]]))).toString('hex')).toBe('82a16201a16102');
  });
});

describe('the scanner at its limits', () => {
  const key = (form: 'fix' | 'str8' | 'str16' | 'str32', text: string): number[] => {
    const data = [...Buffer.from(text, 'latin1')];
    if (form === 'fix') return [0xa0 | data.length, ...data];
    if (form === 'str8') return [0xd9, data.length, ...data];
    if (form === 'str16') return [0xda, 0, data.length, ...data];
    return [0xdb, 0, 0, 0, data.length, ...data];
  };

  it.each(['fix', 'str8', 'str16', 'str32'] as const)('reads a %s map key', (form) => {
    expect(() => scanFrame(Uint8Array.from([0x81, ...key(form, 'ab'), 0x01]))).not.toThrow();
  });

  it.each([['str8', 'fix'], ['str16', 'str8'], ['str32', 'fix']] as const)('finds a duplicate key written once as %s and once as %s', (first, second) => {
    expect(codeOf(() => scanFrame(Uint8Array.from([0x82, ...key(first, 'ab'), 0x01, ...key(second, 'ab'), 0x02])))).toBe('duplicate-key');
  });

  it('tells keys apart by every byte', () => {
    expect(() => scanFrame(Uint8Array.from([0x82, ...key('fix', 'ab'), 0x01, ...key('fix', 'ac'), 0x02]))).not.toThrow();
    expect(() => scanFrame(Uint8Array.from([0x82, ...key('fix', 'a'), 0x01, ...key('fix', 'ab'), 0x02]))).not.toThrow();
  });

  it.each([
    ['an integer key', [0x81, 0x01, 0x01], 'non-string-key'],
    ['a bin key', [0x81, 0xc4, 0x01, 0x61, 0x01], 'non-string-key'],
    ['a str8 key longer than the frame', [0x81, 0xd9, 0x09, 0x61, 0x01], 'truncated'],
    ['a str16 key longer than the frame', [0x81, 0xda, 0x00, 0x09, 0x61, 0x01], 'truncated'],
    ['a str32 key longer than the frame', [0x81, 0xdb, 0x00, 0x00, 0x00, 0x09, 0x61, 0x01], 'truncated'],
    ['a str16 key length cut short', [0x81, 0xda, 0x00], 'truncated'],
    ['a str32 key length cut short', [0x81, 0xdb, 0x00, 0x00, 0x00], 'truncated'],
  ] as const)('refuses %s', (_name, frame, code) => {
    expect(codeOf(() => scanFrame(Uint8Array.from(frame)))).toBe(code);
  });

  it('takes a map of exactly MAX_MAP_ENTRIES entries and refuses one more from the header', () => {
    const entries = (count: number): number[] => Array.from({ length: count }, (_, i) => [0xa1, 0x61 + i, 0x00]).flat();
    expect(MAX_MAP_ENTRIES).toBeLessThan(16);
    expect(() => scanFrame(Uint8Array.from([0x80 | MAX_MAP_ENTRIES, ...entries(MAX_MAP_ENTRIES)]))).not.toThrow();
    // One more, with the bytes for it present: refused for the count, not for the bytes.
    expect(codeOf(() => scanFrame(Uint8Array.from([0x80 | (MAX_MAP_ENTRIES + 1), ...entries(MAX_MAP_ENTRIES + 1)])))).toBe('too-many-entries');
    expect(codeOf(() => scanFrame(Uint8Array.from([0xde, 0x00, MAX_MAP_ENTRIES + 1])))).toBe('too-many-entries');
    expect(codeOf(() => scanFrame(Uint8Array.from([0xdf, 0xff, 0xff, 0xff, 0xff])))).toBe('too-many-entries');
  });

  it('takes an array of exactly MAX_ARRAY_ITEMS items and refuses one more from the header', () => {
    const array = (count: number): Uint8Array => Uint8Array.from([0xdc, count >> 8, count & 0xff, ...new Array<number>(count).fill(0)]);
    expect(() => scanFrame(array(MAX_ARRAY_ITEMS))).not.toThrow();
    expect(codeOf(() => scanFrame(array(MAX_ARRAY_ITEMS + 1)))).toBe('too-many-items');
    expect(codeOf(() => scanFrame(Uint8Array.from([0xdd, 0xff, 0xff, 0xff, 0xff])))).toBe('too-many-items');
  });

  it('claims of more items or entries than bytes remain are refused before walking them', () => {
    expect(codeOf(() => scanFrame(Uint8Array.from([0x93, 0x00, 0x00])))).toBe('truncated');
    expect(codeOf(() => scanFrame(Uint8Array.from([0x82, 0xa1, 0x61, 0x00])))).toBe('truncated');
  });

  it('nests exactly MAX_NESTING_DEPTH containers and refuses one more', () => {
    const nested = (depth: number): Uint8Array => Uint8Array.from([...new Array<number>(depth).fill(0x91), 0x00]);
    expect(() => scanFrame(nested(MAX_NESTING_DEPTH))).not.toThrow();
    expect(codeOf(() => scanFrame(nested(MAX_NESTING_DEPTH + 1)))).toBe('too-deep');
  });

  it.each([
    ['uint8', [0xcc, 0xff]], ['uint16', [0xcd, 0xff, 0xff]], ['uint32', [0xce, 0xff, 0xff, 0xff, 0xff]],
    ['uint64 of 2^53-1', [0xcf, 0x00, 0x1f, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff]],
    ['bin8', [0xc4, 0x01, 0x00]], ['bin16', [0xc5, 0x00, 0x01, 0x00]], ['bin32', [0xc6, 0x00, 0x00, 0x00, 0x01, 0x00]],
    ['str8', [0xd9, 0x01, 0x61]], ['str16', [0xda, 0x00, 0x01, 0x61]], ['str32', [0xdb, 0x00, 0x00, 0x00, 0x01, 0x61]],
    ['nil', [0xc0]], ['false', [0xc2]], ['true', [0xc3]],
  ] as const)('reads %s', (_name, frame) => {
    expect(() => scanFrame(Uint8Array.from(frame))).not.toThrow();
  });

  it.each([
    ['uint64 of 2^53', [0xcf, 0x00, 0x20, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00], 'out-of-range'],
    ['uint16 cut short', [0xcd, 0xff], 'truncated'],
    ['uint32 cut short', [0xce, 0xff, 0xff, 0xff], 'truncated'],
    ['uint64 cut short', [0xcf, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00], 'truncated'],
    ['bin16 longer than the frame', [0xc5, 0x00, 0x02, 0x00], 'truncated'],
    ['bin32 longer than the frame', [0xc6, 0x00, 0x00, 0x00, 0x02, 0x00], 'truncated'],
    ['str16 longer than the frame', [0xda, 0x00, 0x02, 0x61], 'truncated'],
    ['str32 longer than the frame', [0xdb, 0x00, 0x00, 0x00, 0x02, 0x61], 'truncated'],
    ['a float64', [0xcb, 0, 0, 0, 0, 0, 0, 0, 0], 'forbidden-type'],
    ['a negative fixint', [0xff], 'forbidden-type'],
    ['the reserved 0xc1', [0xc1], 'forbidden-type'],
    ['two values', [0x00, 0x00], 'trailing-bytes'],
  ] as const)('refuses %s', (_name, frame, code) => {
    expect(codeOf(() => scanFrame(Uint8Array.from(frame)))).toBe(code);
  });
});

describe('decodeMessage at the frame size limit', () => {
  it('scans a frame of exactly MAX_FRAME_BYTES and refuses one byte more before scanning', () => {
    // A bin32 that fills the frame: past the size check, refused later for not being a message.
    const frame = new Uint8Array(MAX_FRAME_BYTES);
    frame[0] = 0xc6;
    new DataView(frame.buffer).setUint32(1, MAX_FRAME_BYTES - 5);
    expect(codeOf(() => decodeMessage(frame))).not.toBe('frame-too-large');
    const over = new Uint8Array(MAX_FRAME_BYTES + 1);
    over[0] = 0xc6;
    new DataView(over.buffer).setUint32(1, MAX_FRAME_BYTES - 4);
    expect(codeOf(() => decodeMessage(over))).toBe('frame-too-large');
    expect(codeOf(() => decodeMessage(new Uint8Array(0)))).toBe('empty-frame');
  });
});

describe('LABELS first_seen', () => {
  const labels = (seen: string): Uint8Array => pack({ t: 5, rid: roundId, seq: 0, end: true, ent: [{ k: bytes(32, 1), seen }] });

  it.each(['2025-01-01', '2025-12-31', '2025-02-31', '0000-01-01', '9999-12-31'])('takes %s', (seen) => {
    const message = decodeMessage(labels(seen));
    expect(message).toMatchObject({ kind: 'labels', entries: [{ firstSeen: seen }] });
    expect(Buffer.from(encodeMessage(message)).equals(Buffer.from(labels(seen)))).toBe(true);
  });

  it.each(['2025-00-10', '2025-13-01', '2025-01-00', '2025-01-32', '2025-1-010', '2025/01/01', 'x025-01-01', '2025-01-0a'])('refuses %s with unknown-value', (seen) => {
    expect(codeOf(() => decodeMessage(labels(seen)))).toBe('unknown-value');
  });
});
