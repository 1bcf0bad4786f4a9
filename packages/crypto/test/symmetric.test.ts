/**
 * XChaCha20-Poly1305-IETF and keyed BLAKE2b on the raw module: byte-equal to libsodium's wrappers,
 * forgeries refused, junk refused with typed errors, and no key or plaintext left on the heap.
 */
import { randomBytes } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import sodium from 'libsodium-wrappers-sumo';
import { CryptoError, ValidationError, VennError } from '@venn/errors';
import { AEAD_TAG_BYTES, aeadOpen, aeadSeal, keyedBlake2b, ready } from '../src/index.js';
import { hex } from './vectors.js';

await ready();
await sodium.ready;

const bytes = (length: number) => fc.uint8Array({ minLength: length, maxLength: length });

describe('aeadSeal / aeadOpen (XChaCha20-Poly1305-IETF)', () => {
  it('equals the libsodium wrapper byte for byte and round-trips', () => {
    fc.assert(
      fc.property(bytes(32), bytes(24), fc.uint8Array({ maxLength: 64 }), fc.uint8Array({ maxLength: 3000 }), (key, nonce, ad, plaintext) => {
        const sealed = aeadSeal(key, nonce, ad, plaintext);
        expect(sealed.length).toBe(plaintext.length + AEAD_TAG_BYTES);
        expect(hex(sealed)).toBe(hex(sodium.crypto_aead_xchacha20poly1305_ietf_encrypt(plaintext, ad, null, nonce, key)));
        expect(hex(aeadOpen(key, nonce, ad, sealed))).toBe(hex(plaintext));
      }),
      { numRuns: 200 },
    );
  });

  // 256 KiB frames grow the reused region; 1 MiB + 1 goes past what is kept and takes a one-off allocation.
  it.each([0, 65_536, 262_144 + 9, (1 << 20) + 1, 100])('equals the wrapper for a %i-byte plaintext', (length) => {
    const key = randomBytes(32);
    const nonce = randomBytes(24);
    const ad = randomBytes(9);
    const plaintext = randomBytes(length);
    const sealed = aeadSeal(key, nonce, ad, plaintext);
    expect(Buffer.from(sealed).equals(Buffer.from(sodium.crypto_aead_xchacha20poly1305_ietf_encrypt(plaintext, ad, null, nonce, key)))).toBe(true);
    expect(Buffer.from(aeadOpen(key, nonce, ad, sealed)).equals(plaintext)).toBe(true);
    expect(Buffer.from(sodium.crypto_aead_xchacha20poly1305_ietf_decrypt(null, sealed, ad, nonce, key)).equals(plaintext)).toBe(true);
  });

  it('refuses a changed ciphertext, tag, AD, nonce or key with aead-open-failed', () => {
    fc.assert(
      fc.property(bytes(32), bytes(24), fc.uint8Array({ maxLength: 32 }), fc.uint8Array({ maxLength: 200 }), fc.nat(), fc.integer({ min: 1, max: 255 }), (key, nonce, ad, plaintext, at, flip) => {
        const sealed = aeadSeal(key, nonce, ad, plaintext);
        const refused = (k: Uint8Array, n: Uint8Array, a: Uint8Array, c: Uint8Array) => {
          let caught: unknown;
          try {
            aeadOpen(k, n, a, c);
          } catch (error) {
            caught = error;
          }
          expect(caught).toBeInstanceOf(CryptoError);
          expect((caught as CryptoError).code).toBe('aead-open-failed');
        };
        const altered = (b: Uint8Array) => {
          const copy = b.slice();
          copy[at % copy.length] ^= flip;
          return copy;
        };
        refused(key, nonce, ad, altered(sealed));
        refused(altered(key), nonce, ad, sealed);
        refused(key, altered(nonce), ad, sealed);
        if (ad.length > 0) refused(key, nonce, altered(ad), sealed);
        refused(key, nonce, Uint8Array.of(...ad, 0), sealed);
        if (plaintext.length > 0) refused(key, nonce, ad, sealed.subarray(0, sealed.length - 1));
      }),
      { numRuns: 200 },
    );
  });
});

describe('keyedBlake2b (RFC 7693)', () => {
  it('equals crypto_generichash with a key, for every key and output length libsodium accepts', () => {
    fc.assert(
      fc.property(fc.uint8Array({ minLength: 16, maxLength: 64 }), fc.uint8Array({ maxLength: 3000 }), fc.integer({ min: 16, max: 64 }), (key, message, outLength) => {
        const digest = keyedBlake2b(key, message, outLength);
        expect(digest.length).toBe(outLength);
        expect(hex(digest)).toBe(hex(sodium.crypto_generichash(outLength, message, key)));
      }),
      { numRuns: 300 },
    );
  });

  it('equals the wrapper for a message larger than the reused region', () => {
    const key = randomBytes(32);
    const message = randomBytes((1 << 20) + 3);
    expect(hex(keyedBlake2b(key, message, 32))).toBe(hex(sodium.crypto_generichash(32, message, key)));
  });

  it('depends on the key: a one-bit change changes the digest', () => {
    const key = randomBytes(32);
    const message = randomBytes(40);
    const other = Uint8Array.from(key);
    other[0] ^= 1;
    expect(hex(keyedBlake2b(key, message, 32))).not.toBe(hex(keyedBlake2b(other, message, 32)));
  });
});

describe('junk inputs', () => {
  const key = new Uint8Array(32);
  const nonce = new Uint8Array(24);
  const empty = new Uint8Array(0);
  const sealed = aeadSeal(key, nonce, empty, new Uint8Array(5));
  const NOT_BYTES: readonly unknown[] = [undefined, null, 'abc', 32, [1, 2, 3], { length: 32 }, new Uint16Array(16), new ArrayBuffer(32)];
  type Call = readonly [string, () => unknown];
  const calls: Call[] = [];
  for (const junk of NOT_BYTES) {
    const j = junk as Uint8Array;
    const label = Object.prototype.toString.call(junk);
    calls.push([`aeadSeal key ${label}`, () => aeadSeal(j, nonce, empty, empty)]);
    calls.push([`aeadSeal nonce ${label}`, () => aeadSeal(key, j, empty, empty)]);
    calls.push([`aeadSeal ad ${label}`, () => aeadSeal(key, nonce, j, empty)]);
    calls.push([`aeadSeal plaintext ${label}`, () => aeadSeal(key, nonce, empty, j)]);
    calls.push([`aeadOpen key ${label}`, () => aeadOpen(j, nonce, empty, sealed)]);
    calls.push([`aeadOpen nonce ${label}`, () => aeadOpen(key, j, empty, sealed)]);
    calls.push([`aeadOpen ad ${label}`, () => aeadOpen(key, nonce, j, sealed)]);
    calls.push([`aeadOpen ciphertext ${label}`, () => aeadOpen(key, nonce, empty, j)]);
    calls.push([`keyedBlake2b key ${label}`, () => keyedBlake2b(j, empty, 32)]);
    calls.push([`keyedBlake2b message ${label}`, () => keyedBlake2b(key, j, 32)]);
  }
  for (const length of [0, 16, 24, 31, 33, 64]) {
    calls.push([`aeadSeal key length ${length}`, () => aeadSeal(new Uint8Array(length), nonce, empty, empty)]);
    calls.push([`aeadOpen key length ${length}`, () => aeadOpen(new Uint8Array(length), nonce, empty, sealed)]);
  }
  for (const length of [0, 12, 23, 25, 32]) {
    calls.push([`aeadSeal nonce length ${length}`, () => aeadSeal(key, new Uint8Array(length), empty, empty)]);
    calls.push([`aeadOpen nonce length ${length}`, () => aeadOpen(key, new Uint8Array(length), empty, sealed)]);
  }
  for (const length of [0, 1, 15]) calls.push([`aeadOpen ciphertext length ${length}`, () => aeadOpen(key, nonce, empty, new Uint8Array(length))]);
  for (const length of [0, 1, 15, 65, 128]) calls.push([`keyedBlake2b key length ${length}`, () => keyedBlake2b(new Uint8Array(length), empty, 32)]);
  for (const outLength of [0, 15, 65, 32.5, -32, Number.NaN, Infinity, '32', undefined, null]) {
    calls.push([`keyedBlake2b outLength ${String(outLength)}`, () => keyedBlake2b(key, empty, outLength as number)]);
  }

  it.each(calls)('%s throws ValidationError invalid-length', (_label, call) => {
    let caught: unknown;
    try {
      call();
    } catch (error) {
      caught = error;
    }
    expect(caught).toBeInstanceOf(ValidationError);
    expect(caught).toBeInstanceOf(VennError);
    expect((caught as ValidationError).code).toBe('invalid-length');
  });

  it('still works after the junk', () => {
    expect(hex(aeadOpen(key, nonce, empty, sealed))).toBe(hex(new Uint8Array(5)));
  });
});

describe('no secret left on the libsodium heap', () => {
  // Scans the whole WebAssembly memory (heap and stack) for a byte string; the inputs are fresh
  // random values, so any hit is a copy this package failed to wipe.
  const onHeap = (needle: Uint8Array): boolean => {
    const heap = (sodium as unknown as { libsodium: { HEAPU8: Uint8Array } }).libsodium.HEAPU8;
    return Buffer.from(heap.buffer, heap.byteOffset, heap.length).indexOf(Buffer.from(needle)) !== -1;
  };

  it('the scan finds bytes that are on the heap', () => {
    const raw = (sodium as unknown as { libsodium: { HEAPU8: Uint8Array; _malloc(n: number): number; _free(p: number): void } }).libsodium;
    const needle = randomBytes(32);
    expect(onHeap(needle)).toBe(false);
    const ptr = raw._malloc(64);
    raw.HEAPU8.set(needle, ptr + 16);
    expect(onHeap(needle)).toBe(true);
    raw.HEAPU8.fill(0, ptr, ptr + 64);
    raw._free(ptr);
    expect(onHeap(needle)).toBe(false);
  });

  it.each([1000, 70_000, (1 << 20) + 5])('aeadSeal and aeadOpen leave neither key nor plaintext (%i bytes)', (length) => {
    const key = randomBytes(32);
    const nonce = randomBytes(24);
    const ad = randomBytes(13);
    const plaintext = randomBytes(length);
    const probe = plaintext.subarray(0, 64);
    const sealed = aeadSeal(key, nonce, ad, plaintext);
    expect(onHeap(key)).toBe(false);
    expect(onHeap(probe)).toBe(false);
    expect(Buffer.from(aeadOpen(key, nonce, ad, sealed)).equals(plaintext)).toBe(true);
    expect(onHeap(key)).toBe(false);
    expect(onHeap(probe)).toBe(false);
    // A refused open must not leave the key either.
    const forged = sealed.slice();
    forged[0] ^= 1;
    expect(() => aeadOpen(key, nonce, ad, forged)).toThrow(CryptoError);
    expect(onHeap(key)).toBe(false);
  });

  it('keyedBlake2b leaves neither key, message nor digest', () => {
    for (const [keyLength, messageLength, outLength] of [[32, 32, 32], [64, 0, 64], [16, 5000, 16]] as const) {
      const key = randomBytes(keyLength);
      const message = randomBytes(messageLength);
      const digest = keyedBlake2b(key, message, outLength);
      expect(onHeap(key)).toBe(false);
      if (messageLength > 0) expect(onHeap(message.subarray(0, 32))).toBe(false);
      expect(onHeap(digest)).toBe(false);
    }
  });
});
