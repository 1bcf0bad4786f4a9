/**
 * The msgpack subset of audit files (transcript bundles, exported logs; audit.md §8.1): a canonical
 * writer and a schema-driven strict reader. Exactly one encoding per value is accepted, so a
 * decoded file re-encodes to the same bytes, and every claimed length is checked against the
 * bytes that remain before anything is allocated for it.
 */
import { CodecError, InternalError, ValidationError } from '@venn/errors';

/** A msgpack map whose keys are written in the order the schema lists them. */
export class OrderedMap {
  constructor(readonly entries: ReadonlyArray<readonly [string, AuditValue]>) {}
}

export interface MapKeys {
  /** Reads the next key and checks that it is `expected`. */
  readonly key: (expected: string) => void;
  /** Checks the map's key count against the schema (see StrictReader.map). */
  readonly checkCount: () => void;
}

export type AuditValue = null | number | string | Uint8Array | readonly AuditValue[] | OrderedMap;

const utf8 = new TextEncoder();
const strictUtf8 = new TextDecoder('utf-8', { fatal: true, ignoreBOM: true });

// ---- writer ------------------------------------------------------------------------------------

function containerHeaderSize(count: number): number {
  return count < 16 ? 1 : count < 0x1_0000 ? 3 : 5;
}

function sizeOf(value: AuditValue): number {
  if (value === null) return 1;
  if (typeof value === 'number') {
    if (!Number.isSafeInteger(value) || value < 0) {
      throw new ValidationError('out-of-range', `cannot encode ${value}: audit files carry only integers in 0..2^53-1`);
    }
    return value < 0x80 ? 1 : value < 0x100 ? 2 : value < 0x1_0000 ? 3 : value < 0x1_0000_0000 ? 5 : 9;
  }
  if (typeof value === 'string') {
    const length = utf8.encode(value).length;
    return (length < 32 ? 1 : length < 0x100 ? 2 : length < 0x1_0000 ? 3 : 5) + length;
  }
  if (value instanceof Uint8Array) return (value.length < 0x100 ? 2 : value.length < 0x1_0000 ? 3 : 5) + value.length;
  if (value instanceof OrderedMap) {
    let total = containerHeaderSize(value.entries.length);
    for (const [key, entry] of value.entries) total += sizeOf(key) + sizeOf(entry);
    return total;
  }
  let total = containerHeaderSize(value.length);
  for (const item of value) total += sizeOf(item);
  return total;
}

/** Canonical encoding: the shortest header for every value, map keys in the given order. */
export function writeCanonical(value: AuditValue): Uint8Array {
  const out = new Uint8Array(sizeOf(value));
  const view = new DataView(out.buffer);
  let at = 0;
  const header = (length: number, fix: { base: number; limit: number } | null, codes: readonly [number | null, number, number]): void => {
    if (fix !== null && length < fix.limit) {
      out[at++] = fix.base | length;
    } else if (length < 0x100 && codes[0] !== null) {
      out[at++] = codes[0];
      out[at++] = length;
    } else if (length < 0x1_0000) {
      out[at++] = codes[1];
      view.setUint16(at, length);
      at += 2;
    } else {
      out[at++] = codes[2];
      view.setUint32(at, length);
      at += 4;
    }
  };
  const write = (item: AuditValue): void => {
    if (item === null) {
      out[at++] = 0xc0;
    } else if (typeof item === 'number') {
      if (item < 0x80) {
        out[at++] = item;
      } else if (item < 0x100) {
        out[at++] = 0xcc;
        out[at++] = item;
      } else if (item < 0x1_0000) {
        out[at++] = 0xcd;
        view.setUint16(at, item);
        at += 2;
      } else if (item < 0x1_0000_0000) {
        out[at++] = 0xce;
        view.setUint32(at, item);
        at += 4;
      } else {
        out[at++] = 0xcf;
        view.setBigUint64(at, BigInt(item));
        at += 8;
      }
    } else if (typeof item === 'string') {
      const bytes = utf8.encode(item);
      header(bytes.length, { base: 0xa0, limit: 32 }, [0xd9, 0xda, 0xdb]);
      out.set(bytes, at);
      at += bytes.length;
    } else if (item instanceof Uint8Array) {
      header(item.length, null, [0xc4, 0xc5, 0xc6]);
      out.set(item, at);
      at += item.length;
    } else if (item instanceof OrderedMap) {
      header(item.entries.length, { base: 0x80, limit: 16 }, [null, 0xde, 0xdf]);
      for (const [key, entry] of item.entries) {
        write(key);
        write(entry);
      }
    } else {
      header(item.length, { base: 0x90, limit: 16 }, [null, 0xdc, 0xdd]);
      for (const entry of item) write(entry);
    }
  };
  write(value);
  if (at !== out.length) throw new InternalError('encoder-size', `audit encoder wrote ${at} bytes, sized ${out.length}`);
  return out;
}

// ---- reader ------------------------------------------------------------------------------------

/**
 * Reads one file front to back along its schema. Each read names its field in errors, refuses any
 * header that is not the shortest form for its length (so there is one encoding per file), and
 * checks every claimed length against the bytes left before it slices or allocates.
 */
export class StrictReader {
  readonly #bytes: Uint8Array;
  readonly #view: DataView;
  readonly #what: string;
  #at = 0;

  constructor(bytes: Uint8Array, what: string) {
    this.#bytes = bytes;
    this.#view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
    this.#what = what;
  }

  get remaining(): number {
    return this.#bytes.length - this.#at;
  }

  #need(count: number, field: string): void {
    if (count > this.remaining) {
      throw new CodecError('truncated', `${this.#what} "${field}" claims ${count} bytes at offset ${this.#at}, but ${this.remaining} remain`);
    }
  }

  #byte(field: string): number {
    this.#need(1, field);
    return this.#bytes[this.#at++]!;
  }

  #u16(field: string): number {
    this.#need(2, field);
    const value = this.#view.getUint16(this.#at);
    this.#at += 2;
    return value;
  }

  #u32(field: string): number {
    this.#need(4, field);
    const value = this.#view.getUint32(this.#at);
    this.#at += 4;
    return value;
  }

  #wrongType(field: string, expected: string, tag: number): CodecError {
    return new CodecError('wrong-type', `${this.#what} "${field}" expected ${expected}, got msgpack type byte 0x${tag.toString(16).padStart(2, '0')} at offset ${this.#at - 1}`);
  }

  #nonCanonical(field: string, length: number): CodecError {
    return new CodecError('non-canonical-encoding', `${this.#what} "${field}" expected the shortest header for length ${length}, got a longer one at offset ${this.#at}`);
  }

  /** True (and consumed) if the next value is nil. */
  nil(): boolean {
    if (this.#bytes[this.#at] === 0xc0) {
      this.#at++;
      return true;
    }
    return false;
  }

  uint(field: string, max: number): number {
    const tag = this.#byte(field);
    let value: number;
    let minimum: number;
    if (tag < 0x80) {
      value = tag;
      minimum = 0;
    } else if (tag === 0xcc) {
      value = this.#byte(field);
      minimum = 0x80;
    } else if (tag === 0xcd) {
      value = this.#u16(field);
      minimum = 0x100;
    } else if (tag === 0xce) {
      value = this.#u32(field);
      minimum = 0x1_0000;
    } else if (tag === 0xcf) {
      this.#need(8, field);
      const big = this.#view.getBigUint64(this.#at);
      this.#at += 8;
      if (big > BigInt(Number.MAX_SAFE_INTEGER)) throw new CodecError('out-of-range', `${this.#what} "${field}" expected at most 2^53 - 1, got ${big}`);
      value = Number(big);
      minimum = 0x1_0000_0000;
    } else {
      throw this.#wrongType(field, 'an unsigned integer', tag);
    }
    if (value < minimum) throw this.#nonCanonical(field, value);
    if (value > max) throw new CodecError('out-of-range', `${this.#what} "${field}" expected at most ${max}, got ${value}`);
    return value;
  }

  /** bin of `length` bytes exactly, or of at most `max` bytes. Returns a copy. */
  bin(field: string, bounds: { readonly length: number } | { readonly max: number }): Uint8Array {
    const tag = this.#byte(field);
    let length: number;
    if (tag === 0xc4) length = this.#byte(field);
    else if (tag === 0xc5) length = this.#u16(field);
    else if (tag === 0xc6) length = this.#u32(field);
    else throw this.#wrongType(field, 'bin', tag);
    if ((tag === 0xc5 && length < 0x100) || (tag === 0xc6 && length < 0x1_0000)) throw this.#nonCanonical(field, length);
    if ('length' in bounds ? length !== bounds.length : length > bounds.max) {
      const expected = 'length' in bounds ? `${bounds.length}` : `at most ${bounds.max}`;
      throw new CodecError('wrong-length', `${this.#what} "${field}" expected ${expected} bytes, got length=${length}`);
    }
    this.#need(length, field);
    const value = this.#bytes.slice(this.#at, this.#at + length);
    this.#at += length;
    return value;
  }

  /** str of at most `maxBytes` UTF-8 bytes, checked against `pattern`. */
  str(field: string, maxBytes: number, pattern?: RegExp): string {
    const tag = this.#byte(field);
    let length: number;
    if (tag >= 0xa0 && tag <= 0xbf) length = tag & 0x1f;
    else if (tag === 0xd9) length = this.#byte(field);
    else if (tag === 0xda) length = this.#u16(field);
    else if (tag === 0xdb) length = this.#u32(field);
    else throw this.#wrongType(field, 'str', tag);
    if ((tag === 0xd9 && length < 32) || (tag === 0xda && length < 0x100) || (tag === 0xdb && length < 0x1_0000)) throw this.#nonCanonical(field, length);
    if (length > maxBytes) throw new CodecError('wrong-length', `${this.#what} "${field}" expected at most ${maxBytes} bytes, got length=${length}`);
    this.#need(length, field);
    let text: string;
    try {
      text = strictUtf8.decode(this.#bytes.subarray(this.#at, this.#at + length));
    } catch (cause) {
      throw new CodecError('invalid-utf8', `${this.#what} "${field}" expected UTF-8 text`, { cause });
    }
    this.#at += length;
    if (pattern !== undefined && !pattern.test(text)) {
      throw new CodecError('invalid-field', `${this.#what} "${field}" expected to match ${pattern.source}, got ${JSON.stringify(text.slice(0, 64))}`);
    }
    return text;
  }

  /**
   * An array header of at most `max` items, each needing at least `minItemBytes` bytes: a count
   * the remaining bytes cannot hold is refused before the caller allocates anything for it.
   */
  array(field: string, max: number, minItemBytes: number): number {
    const tag = this.#byte(field);
    let count: number;
    if (tag >= 0x90 && tag <= 0x9f) count = tag & 0x0f;
    else if (tag === 0xdc) count = this.#u16(field);
    else if (tag === 0xdd) count = this.#u32(field);
    else throw this.#wrongType(field, 'an array', tag);
    if ((tag === 0xdc && count < 16) || (tag === 0xdd && count < 0x1_0000)) throw this.#nonCanonical(field, count);
    if (count > max) throw new CodecError('too-large', `${this.#what} "${field}" expected at most ${max} items, got ${count}`);
    this.#need(count * minItemBytes, field);
    return count;
  }

  /**
   * A map with exactly `keys`, in that order (the canonical order): missing, extra or reordered keys
   * are refused. Returns a reader of the keys, to be called once per key before reading its value.
   * With `countLater`, the key count is checked only by `checkCount()`, so a file can first name
   * its format (a clearer error for the wrong kind of file than "unknown field").
   */
  map(field: string, keys: readonly string[], countLater = false): MapKeys {
    const tag = this.#byte(field);
    let count: number;
    if (tag >= 0x80 && tag <= 0x8f) count = tag & 0x0f;
    else if (tag === 0xde) count = this.#u16(field);
    else if (tag === 0xdf) count = this.#u32(field);
    else throw this.#wrongType(field, 'a map', tag);
    if ((tag === 0xde && count < 16) || (tag === 0xdf && count < 0x1_0000)) throw this.#nonCanonical(field, count);
    const checkCount = (): void => {
      if (count !== keys.length) {
        throw new CodecError(count < keys.length ? 'missing-field' : 'unknown-field', `${this.#what} "${field}" expected a map of ${keys.length} keys (${keys.join(', ')}), got ${count}`);
      }
    };
    if (!countLater) checkCount();
    let read = 0;
    const key = (expected: string): void => {
      // A shorter map than the schema has run out of keys here.
      if (read++ >= count) throw new CodecError('missing-field', `${this.#what} "${field}" expected key "${expected}", got the end of the map`);
      const got = this.str(`${field} key`, 64);
      if (got === expected) return;
      if (keys.includes(got)) {
        throw new CodecError('non-canonical-encoding', `${this.#what} "${field}" expected key "${expected}" here (keys in canonical order), got "${got}"`);
      }
      throw new CodecError('unknown-field', `${this.#what} "${field}" expected key "${expected}", got unknown key ${JSON.stringify(got.slice(0, 64))}`);
    };
    return { key, checkCount };
  }

  /** Files end after their one value. */
  end(): void {
    if (this.remaining !== 0) throw new CodecError('trailing-bytes', `${this.#what} expected to end at offset ${this.#at}, got ${this.remaining} trailing bytes`);
  }
}
