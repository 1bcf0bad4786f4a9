/**
 * Canonical msgpack writer (SPEC §5.1): the shortest header for every int, str, bin, array and map,
 * map keys in the order the schema lists them. msgpackr's Packr writes integers above 2^32 as
 * float64 (e.g. log head timestamps), which SPEC §5.1 forbids; Venn needs exactly one encoding per
 * message so that receivers can reject every other one.
 */
import { InternalError, ValidationError } from '@venn/errors';

/** A msgpack map whose entries keep the order the schema defines. */
export class OrderedMap {
  constructor(readonly entries: ReadonlyArray<readonly [string, WireValue]>) {}
}

export type WireValue = null | boolean | number | string | Uint8Array | readonly WireValue[] | OrderedMap;

const utf8 = new TextEncoder();

export function writeCanonical(value: WireValue): Uint8Array {
  const strings = new Map<string, Uint8Array>();
  const encodeString = (text: string): Uint8Array => {
    let bytes = strings.get(text);
    if (bytes === undefined) {
      bytes = utf8.encode(text);
      strings.set(text, bytes);
    }
    return bytes;
  };
  const out = new Uint8Array(sizeOf(value, encodeString));
  const view = new DataView(out.buffer);
  const end = write(value, out, view, 0, encodeString);
  if (end !== out.length) throw new InternalError('encoder-size', `encoder wrote ${end} bytes, sized ${out.length}`);
  return out;
}

function headerSize(length: number, fixLimit: number): number {
  if (length < fixLimit) return 1;
  if (length < 0x100 && fixLimit !== 16) return 2; // arrays and maps have no 8-bit form
  if (length < 0x1_0000) return 3;
  return 5;
}

function uintSize(value: number): number {
  if (!Number.isSafeInteger(value) || value < 0) {
    throw new ValidationError('out-of-range', `cannot encode ${value}: Venn messages carry only integers in 0..2^53-1`);
  }
  if (value < 0x80) return 1;
  if (value < 0x100) return 2;
  if (value < 0x1_0000) return 3;
  if (value < 0x1_0000_0000) return 5;
  return 9;
}

function sizeOf(value: WireValue, encodeString: (text: string) => Uint8Array): number {
  if (value === null || typeof value === 'boolean') return 1;
  if (typeof value === 'number') return uintSize(value);
  if (typeof value === 'string') {
    const length = encodeString(value).length;
    return headerSize(length, 32) + length;
  }
  if (value instanceof Uint8Array) return (value.length < 0x100 ? 2 : value.length < 0x1_0000 ? 3 : 5) + value.length;
  if (value instanceof OrderedMap) {
    let total = headerSize(value.entries.length, 16);
    for (const [key, entry] of value.entries) total += sizeOf(key, encodeString) + sizeOf(entry, encodeString);
    return total;
  }
  let total = headerSize(value.length, 16);
  for (const item of value) total += sizeOf(item, encodeString);
  return total;
}

function writeHeader(
  out: Uint8Array,
  view: DataView,
  at: number,
  length: number,
  fixBase: number,
  fixLimit: number,
  codes: readonly [number | undefined, number, number],
): number {
  if (length < fixLimit) {
    out[at] = fixBase | length;
    return at + 1;
  }
  if (length < 0x100 && codes[0] !== undefined) {
    out[at] = codes[0];
    out[at + 1] = length;
    return at + 2;
  }
  if (length < 0x1_0000) {
    out[at] = codes[1];
    view.setUint16(at + 1, length);
    return at + 3;
  }
  out[at] = codes[2];
  view.setUint32(at + 1, length);
  return at + 5;
}

function write(
  value: WireValue,
  out: Uint8Array,
  view: DataView,
  at: number,
  encodeString: (text: string) => Uint8Array,
): number {
  if (value === null) {
    out[at] = 0xc0;
    return at + 1;
  }
  if (typeof value === 'boolean') {
    out[at] = value ? 0xc3 : 0xc2;
    return at + 1;
  }
  if (typeof value === 'number') {
    if (value < 0x80) {
      out[at] = value;
      return at + 1;
    }
    if (value < 0x100) {
      out[at] = 0xcc;
      out[at + 1] = value;
      return at + 2;
    }
    if (value < 0x1_0000) {
      out[at] = 0xcd;
      view.setUint16(at + 1, value);
      return at + 3;
    }
    if (value < 0x1_0000_0000) {
      out[at] = 0xce;
      view.setUint32(at + 1, value);
      return at + 5;
    }
    out[at] = 0xcf;
    view.setUint32(at + 1, Math.floor(value / 0x1_0000_0000));
    view.setUint32(at + 5, value >>> 0);
    return at + 9;
  }
  if (typeof value === 'string') {
    const bytes = encodeString(value);
    const next = writeHeader(out, view, at, bytes.length, 0xa0, 32, [0xd9, 0xda, 0xdb]);
    out.set(bytes, next);
    return next + bytes.length;
  }
  if (value instanceof Uint8Array) {
    const next = writeHeader(out, view, at, value.length, 0, 0, [0xc4, 0xc5, 0xc6]);
    out.set(value, next);
    return next + value.length;
  }
  if (value instanceof OrderedMap) {
    let next = writeHeader(out, view, at, value.entries.length, 0x80, 16, [undefined, 0xde, 0xdf]);
    for (const [key, entry] of value.entries) {
      next = write(key, out, view, next, encodeString);
      next = write(entry, out, view, next, encodeString);
    }
    return next;
  }
  let next = writeHeader(out, view, at, value.length, 0x90, 16, [undefined, 0xdc, 0xdd]);
  for (const item of value) next = write(item, out, view, next, encodeString);
  return next;
}
