/** Fixed big-endian binary layouts for log leaves and tree heads: a bounded writer and a strict reader. */
import { CodecError } from '@venn/errors';

/** Roster member ids (protocol-spec/roster.md) and abort reason codes share this shape: lower-case kebab. */
export const ID_PATTERN = /^[a-z0-9][a-z0-9-]{0,62}$/;
export const MAX_ID_BYTES = 63;

const textEncoder = new TextEncoder();

/** Builds one record; callers validate values first, so this only lays bytes out. */
export class ByteWriter {
  readonly #bytes: Uint8Array;
  readonly #view: DataView;
  #offset = 0;

  constructor(capacity: number) {
    this.#bytes = new Uint8Array(capacity);
    this.#view = new DataView(this.#bytes.buffer);
  }

  u8(value: number): void {
    this.#view.setUint8(this.#offset, value);
    this.#offset += 1;
  }

  u32(value: number): void {
    this.#view.setUint32(this.#offset, value);
    this.#offset += 4;
  }

  /** Safe integers only (checked by the caller), written as u64 big-endian. */
  u64(value: number): void {
    this.#view.setBigUint64(this.#offset, BigInt(value));
    this.#offset += 8;
  }

  bytes(value: Uint8Array): void {
    this.#bytes.set(value, this.#offset);
    this.#offset += value.length;
  }

  /** u8 length, then the bytes (at most 255). */
  shortBytes(value: Uint8Array): void {
    this.u8(value.length);
    this.bytes(value);
  }

  /** u8 length, then ASCII; used for ids and reason codes that already matched ID_PATTERN. */
  shortAscii(value: string): void {
    this.shortBytes(textEncoder.encode(value));
  }

  finish(): Uint8Array {
    return this.#bytes.slice(0, this.#offset);
  }
}

/** Reads a record front to back; every read checks the remaining length first and names its field. */
export class ByteReader {
  readonly #bytes: Uint8Array;
  readonly #view: DataView;
  readonly #what: string;
  #offset = 0;

  constructor(bytes: Uint8Array, what: string) {
    this.#bytes = bytes;
    this.#view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
    this.#what = what;
  }

  #need(length: number, field: string): void {
    if (this.#offset + length > this.#bytes.length) {
      throw new CodecError(
        'truncated',
        `${this.#what} "${field}" expected ${length} more bytes at offset ${this.#offset}, got ${this.#bytes.length - this.#offset}`,
      );
    }
  }

  u8(field: string): number {
    this.#need(1, field);
    const value = this.#view.getUint8(this.#offset);
    this.#offset += 1;
    return value;
  }

  u32(field: string): number {
    this.#need(4, field);
    const value = this.#view.getUint32(this.#offset);
    this.#offset += 4;
    return value;
  }

  /** u64 big-endian; values above 2^53 - 1 cannot be held exactly and are refused. */
  u64(field: string): number {
    this.#need(8, field);
    const value = this.#view.getBigUint64(this.#offset);
    this.#offset += 8;
    if (value > BigInt(Number.MAX_SAFE_INTEGER)) {
      throw new CodecError('out-of-range', `${this.#what} "${field}" expected at most 2^53 - 1, got ${value}`);
    }
    return Number(value);
  }

  bytes(length: number, field: string): Uint8Array {
    this.#need(length, field);
    const value = this.#bytes.slice(this.#offset, this.#offset + length);
    this.#offset += length;
    return value;
  }

  /** u8 length then bytes, the length bounded by `max`. */
  shortBytes(field: string, max: number): Uint8Array {
    const length = this.u8(field);
    if (length > max) {
      throw new CodecError('wrong-length', `${this.#what} "${field}" expected at most ${max} bytes, got length=${length}`);
    }
    return this.bytes(length, field);
  }

  /** u8 length then ASCII matching `pattern` (or empty when `allowEmpty`). */
  shortAscii(field: string, pattern: RegExp, allowEmpty: boolean): string {
    const raw = this.shortBytes(field, MAX_ID_BYTES);
    let text = '';
    for (const byte of raw) text += String.fromCharCode(byte);
    if (!(allowEmpty && text === '') && !pattern.test(text)) {
      throw new CodecError(
        'invalid-field',
        `${this.#what} "${field}" expected ${allowEmpty ? 'empty or ' : ''}1 to 63 characters a-z, 0-9 and "-", got ${JSON.stringify(text)}`,
      );
    }
    return text;
  }

  /** Canonical encodings end exactly here: trailing bytes would give one record two encodings. */
  end(): void {
    if (this.#offset !== this.#bytes.length) {
      throw new CodecError(
        'trailing-bytes',
        `${this.#what} expected to end at offset ${this.#offset}, got ${this.#bytes.length - this.#offset} trailing bytes`,
      );
    }
  }
}
