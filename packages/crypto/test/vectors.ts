/** Test helpers: reads RFC vectors from protocol-spec/vectors, converts hex, catches refusals, makes heap-scan bytes. */
import { readFileSync } from 'node:fs';

export function loadVectors<T>(file: string): T & { source: string; version: number } {
  const url = new URL(`../../../protocol-spec/vectors/${file}`, import.meta.url);
  return JSON.parse(readFileSync(url, 'utf8')) as T & { source: string; version: number };
}

export function unhex(hex: string): Uint8Array {
  if (hex.length % 2 !== 0 || !/^[0-9a-f]*$/i.test(hex)) throw new Error(`bad hex in vector: ${hex}`);
  return Uint8Array.from(hex.match(/../g) ?? [], (byte) => parseInt(byte, 16));
}

export function hex(bytes: Uint8Array): string {
  return Array.from(bytes, (byte) => byte.toString(16).padStart(2, '0')).join('');
}

export function concatBytes(...parts: Uint8Array[]): Uint8Array {
  const out = new Uint8Array(parts.reduce((n, p) => n + p.length, 0));
  let offset = 0;
  for (const part of parts) {
    out.set(part, offset);
    offset += part.length;
  }
  return out;
}

/** Little-endian 32-byte encoding of a small non-negative integer or bigint. */
export function scalarOf(value: number | bigint): Uint8Array {
  let v = BigInt(value);
  const out = new Uint8Array(32);
  for (let i = 0; i < 32; i++) {
    out[i] = Number(v & 0xffn);
    v >>= 8n;
  }
  return out;
}

export function scalarToBigint(bytes: Uint8Array): bigint {
  let v = 0n;
  for (let i = bytes.length - 1; i >= 0; i--) v = (v << 8n) | BigInt(bytes[i]!);
  return v;
}

/** An rng that replays RFC 9497's fixed proof nonce: r || 0^32 (reduces to r). */
export function fixedNonce(r: Uint8Array): (length: number) => Uint8Array {
  return (length: number) => {
    if (length !== 64) throw new Error(`expected a 64-byte draw, got ${length}`);
    return concatBytes(r, new Uint8Array(32));
  };
}

export const L = 2n ** 252n + 27742317777372353535851937790883648493n;

/** Runs `run`, which must throw, and returns the error with its code and message. */
export function refusal(run: () => unknown): { error: unknown; code: string; message: string } {
  try {
    run();
  } catch (error) {
    return { error, code: (error as { code: string }).code, message: (error as Error).message };
  }
  throw new Error('expected a refusal');
}

/**
 * Test bytes for scans of libsodium's heap: an xorshift32 stream, so that no 64-byte window of one
 * message occurs in another or in what other tests left on the heap (a linear pattern of i would,
 * shifted), and a partial wipe is visible.
 */
export function heapPattern(length: number, seed: number): Uint8Array {
  let state = (seed * 0x9e3779b1) >>> 0 || 1;
  return Uint8Array.from({ length }, () => {
    state ^= state << 13;
    state ^= state >>> 17;
    state ^= state << 5;
    state >>>= 0;
    return state >>> 24;
  });
}
