/** Byte helpers with labelled errors: every input check names the field and what was expected. */
import { ValidationError, describe } from '@venn/errors';

/** Checks `value` is a Uint8Array (of `length`, when given) and returns it. */
export function abytes(value: unknown, length: number | undefined, title: string): Uint8Array {
  if (!(value instanceof Uint8Array)) {
    throw new ValidationError('invalid-bytes', `"${title}" expected Uint8Array, got ${describe(value)}`);
  }
  if (length !== undefined && value.length !== length) {
    throw new ValidationError(
      'invalid-bytes',
      `"${title}" expected Uint8Array of length ${length}, got length=${value.length}`,
    );
  }
  return value;
}

const HEX = Array.from({ length: 256 }, (_, i) => i.toString(16).padStart(2, '0'));

export function toHex(bytes: Uint8Array): string {
  let out = '';
  for (const b of bytes) out += HEX[b];
  return out;
}

const LOWER_HEX = /^(?:[0-9a-f]{2})*$/;

/** Decodes lowercase hex; upper case is refused so that every value has one spelling. */
export function fromHex(hex: string, title: string): Uint8Array {
  if (!LOWER_HEX.test(hex)) {
    throw new ValidationError('invalid-hex', `"${title}" expected lowercase hex of even length, got ${describe(hex)}`);
  }
  const out = new Uint8Array(hex.length / 2);
  for (let i = 0; i < out.length; i++) out[i] = Number.parseInt(hex.slice(2 * i, 2 * i + 2), 16);
  return out;
}

export { concatBytes } from '@noble/hashes/utils.js';

const encoder = new TextEncoder();
const strictDecoder = new TextDecoder('utf-8', { fatal: true });

export function utf8(text: string): Uint8Array {
  return encoder.encode(text);
}

/** Decodes UTF-8, returning undefined for invalid sequences instead of inserting U+FFFD. */
export function decodeUtf8(bytes: Uint8Array): string | undefined {
  try {
    return strictDecoder.decode(bytes);
  } catch {
    return undefined;
  }
}

/** Big-endian u64 from a number below 2^53 (counters never get near that bound). */
export function u64be(value: number): Uint8Array {
  const out = new Uint8Array(8);
  const view = new DataView(out.buffer);
  view.setUint32(0, Math.floor(value / 2 ** 32));
  view.setUint32(4, value >>> 0);
  return out;
}

/** Reads a big-endian u64; values at or above 2^53 come back as Infinity so they never match a counter. */
export function readU64be(bytes: Uint8Array, offset: number): number {
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const hi = view.getUint32(offset);
  const lo = view.getUint32(offset + 4);
  if (hi >= 2 ** 21) return Number.POSITIVE_INFINITY;
  return hi * 2 ** 32 + lo;
}

/** Non-constant-time equality, only for public values (digests that travel in clear, ids). */
export function equalPublicBytes(a: Uint8Array, b: Uint8Array): boolean {
  if (a.length !== b.length) return false;
  for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) return false;
  return true;
}
