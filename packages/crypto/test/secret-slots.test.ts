/**
 * Secrets never outlive a call in the package's scratch region on libsodium's heap: after
 * scalarBaseMult, scalarMult, scalarMultPacked (one point, the libsodium path), randomScalar,
 * generateProof and the Ed25519 functions, the slots that held k, the proof nonce r, c·k, the rng
 * draw, the seed and the secret key are all zero, on success and on every refusal. Also: a message
 * too long for the scratch slot (the temporary-allocation path) is wiped from the heap after use.
 */
import { describe, expect, it } from 'vitest';
import sodium from 'libsodium-wrappers-sumo';
import { ed25519 } from '@noble/curves/ed25519.js';
import { CryptoError, ValidationError } from '@venn/errors';
import {
  aeadOpen,
  aeadSeal,
  ed25519KeyPairFromSeed,
  ed25519Sign,
  ed25519Verify,
  generateProof,
  keyedBlake2b,
  randomScalar,
  ready,
  scalarBaseMult,
  scalarMult,
  scalarMultPacked,
} from '../src/index.js';
import { lib, slots } from '../src/internal/sodium.js';
import { L, concatBytes, heapPattern, hex, refusal, scalarOf, scalarToBigint, unhex } from './vectors.js';

await ready();
await sodium.ready;

const encoder = new TextEncoder();
const CONTEXT = encoder.encode('VENN-V1-slots');
/** A secret-looking scalar with no zero byte (so a partial wipe is visible): 0x0f0e…01 < L. */
const K = Uint8Array.from({ length: 32 }, (_, i) => (i === 31 ? 0x0f : i + 1));
const G = scalarBaseMult(scalarOf(1));
const NON_CANONICAL = unhex('edffffffffffffffffffffffffffffffffffffffffffffffffffffffffffff7f');

/** The bytes of one scratch slot (a fresh view: HEAPU8 may be replaced when memory grows). */
function slot(name: 'scalar' | 'nonce' | 'product' | 'wide' | 'seed' | 'secretKey', length: number): Uint8Array {
  const at = slots()[name];
  return lib().HEAPU8.slice(at, at + length);
}

function expectSecretSlotsZero(): void {
  expect(hex(slot('scalar', 32))).toBe('00'.repeat(32));
  expect(hex(slot('nonce', 32))).toBe('00'.repeat(32));
  expect(hex(slot('product', 32))).toBe('00'.repeat(32));
  expect(hex(slot('wide', 64))).toBe('00'.repeat(64));
  expect(hex(slot('seed', 32))).toBe('00'.repeat(32));
  expect(hex(slot('secretKey', 64))).toBe('00'.repeat(64));
}

/** Scans the whole libsodium memory for a byte string. */
function onHeap(needle: Uint8Array): boolean {
  const heap = lib().HEAPU8;
  return Buffer.from(heap.buffer, heap.byteOffset, heap.length).indexOf(Buffer.from(needle)) !== -1;
}

describe('secret scalar slots are zero after ristretto255 calls', () => {
  it('scalarBaseMult: k·G for k = 0x0f0e…01 equals the libsodium wrapper, then the slot is zero', () => {
    const expected = sodium.crypto_scalarmult_ristretto255_base(K);
    expect(hex(scalarBaseMult(K))).toBe(hex(expected));
    expectSecretSlotsZero();
  });

  it('scalarMult: on success and when the point is refused', () => {
    expect(hex(scalarMult(K, G))).toBe(hex(sodium.crypto_scalarmult_ristretto255_base(K)));
    expectSecretSlotsZero();
    const error = refusal(() => scalarMult(K, NON_CANONICAL)).error;
    expect(error).toBeInstanceOf(CryptoError);
    expect((error as CryptoError).code).toBe('non-canonical-point');
    expectSecretSlotsZero();
    const identity = refusal(() => scalarMult(K, new Uint8Array(32))).error;
    expect((identity as CryptoError).code).toBe('identity-element');
    expectSecretSlotsZero();
  });

  it('scalarMultPacked with one point (libsodium path): on success and when the point is refused', () => {
    expect(hex(scalarMultPacked(K, G))).toBe(hex(sodium.crypto_scalarmult_ristretto255_base(K)));
    expectSecretSlotsZero();
    const error = refusal(() => scalarMultPacked(K, NON_CANONICAL)).error;
    expect(error).toBeInstanceOf(CryptoError);
    expect((error as CryptoError).code).toBe('non-canonical-point');
    expect((error as Error).message).toContain('"points[0]"');
    expectSecretSlotsZero();
  });

  it('randomScalar: the drawn scalar and the wide draw leave no trace in the scratch region', () => {
    const wide = Uint8Array.from({ length: 64 }, (_, i) => (i * 37 + 11) & 0xff);
    const expected = scalarToBigint(wide) % L;
    const k = randomScalar(() => wide.slice());
    expect(scalarToBigint(k)).toBe(expected);
    expectSecretSlotsZero();
    // An rng that returns a wrong length is refused, and nothing is left behind.
    const error = refusal(() => randomScalar(() => new Uint8Array(32).fill(9))).error;
    expect(error).toBeInstanceOf(ValidationError);
    expect((error as ValidationError).code).toBe('invalid-length');
    expectSecretSlotsZero();
  });
});

describe('generateProof wipes k, r, c·k and the rng draw', () => {
  const C = concatBytes(G, scalarBaseMult(scalarOf(2)));
  const B = scalarBaseMult(K);
  const D = scalarMultPacked(K, C);
  const nonce = Uint8Array.from({ length: 64 }, (_, i) => (i < 32 ? 0x40 + i : 0));

  it('after an honest proof, for A = G (fixed-base path) and A ≠ G', () => {
    const proof = generateProof(K, G, B, C, D, CONTEXT, () => nonce.slice());
    expect(proof).toHaveLength(64);
    expectSecretSlotsZero();
    // Neither r nor k is anywhere in the scratch region's secret slots, and c·k is gone too.
    const A = scalarBaseMult(scalarOf(5));
    const proof2 = generateProof(K, A, scalarMult(K, A), C, D, CONTEXT, () => nonce.slice());
    expect(proof2).toHaveLength(64);
    expectSecretSlotsZero();
  });

  it('after the rng is refused (k was already on the heap)', () => {
    const error = refusal(() => generateProof(K, G, B, C, D, CONTEXT, () => new Uint8Array(63))).error;
    expect(error).toBeInstanceOf(ValidationError);
    expect((error as ValidationError).code).toBe('invalid-length');
    expectSecretSlotsZero();
    const zeros = refusal(() => generateProof(K, G, B, C, D, CONTEXT, () => new Uint8Array(64))).error;
    expect(zeros).toBeInstanceOf(CryptoError);
    expect((zeros as CryptoError).code).toBe('invalid-scalar');
    expectSecretSlotsZero();
  });
});

describe('Ed25519 wipes the seed and the secret key', () => {
  const seed = Uint8Array.from({ length: 32 }, (_, i) => 0xa0 ^ i);

  it('after key derivation, signing and a refused mismatched key', () => {
    const keys = ed25519KeyPairFromSeed(seed);
    expect(hex(keys.publicKey)).toBe(hex(sodium.crypto_sign_seed_keypair(seed).publicKey));
    expectSecretSlotsZero();
    const message = encoder.encode('wipe me');
    const signature = ed25519Sign(keys.secretKey, message);
    expect(hex(signature)).toBe(hex(sodium.crypto_sign_detached(message, keys.secretKey)));
    expectSecretSlotsZero();
    const mismatched = concatBytes(seed, G);
    const error = refusal(() => ed25519Sign(mismatched, message)).error;
    expect(error).toBeInstanceOf(CryptoError);
    expect((error as CryptoError).code).toBe('invalid-key');
    expectSecretSlotsZero();
  });

  it('a message longer than the 4 KiB scratch slot is signed, verified and wiped from the heap', () => {
    const keys = ed25519KeyPairFromSeed(seed);
    // Deterministic, no repeated 64-byte window: byte i is a mix of i.
    const message = Uint8Array.from({ length: 5000 }, (_, i) => (i * 131 + (i >>> 8) * 7 + 3) & 0xff);
    const signature = ed25519Sign(keys.secretKey, message);
    // Scanned before anything else (libsodium's own wrappers would leave copies) and checked against noble.
    expect(onHeap(message.subarray(1000, 1064))).toBe(false);
    expect(hex(signature)).toBe(hex(ed25519.sign(message, seed)));
    expect(ed25519Verify(keys.publicKey, message, signature)).toBe(true);
    expect(onHeap(message.subarray(1000, 1064))).toBe(false);
    const altered = message.slice();
    altered[4999]! ^= 1;
    expect(ed25519Verify(keys.publicKey, altered, signature)).toBe(false);
    // Exactly the slot size and one byte over both sign as libsodium does.
    for (const length of [4096, 4097]) {
      const m = message.subarray(0, length);
      expect(hex(ed25519Sign(keys.secretKey, m))).toBe(hex(ed25519.sign(m, seed)));
    }
    expectSecretSlotsZero();
  });
});

describe('AEAD and keyed BLAKE2b leave no plaintext on the heap', () => {
  const windows = (bytes: Uint8Array): Uint8Array[] => [0, Math.floor(bytes.length / 2), bytes.length - 64].map((at) => bytes.subarray(at, at + 64));
  const key = Uint8Array.from({ length: 32 }, (_, i) => 0x40 + i);
  const nonce = new Uint8Array(24).fill(7);

  // The kept buffer (under 64 KiB), a grown one (up to 1 MiB) and a one-off allocation over 1 MiB.
  it.each([3000, 200_000, 1_500_000])('%i bytes: sealed, opened and hashed, then no window of the plaintext is left', (length) => {
    const plaintext = heapPattern(length, length & 0xff);
    const ad = heapPattern(100, 0x33);
    const sealed = aeadSeal(key, nonce, ad, plaintext);
    for (const window of windows(plaintext)) expect(onHeap(window)).toBe(false);
    expect(hex(aeadOpen(key, nonce, ad, sealed))).toBe(hex(plaintext));
    for (const window of windows(plaintext)) expect(onHeap(window)).toBe(false);
    for (const window of windows(sealed)) expect(onHeap(window)).toBe(false);
    expect(keyedBlake2b(key, plaintext, 32)).toHaveLength(32);
    for (const window of windows(plaintext)) expect(onHeap(window)).toBe(false);
    expect(onHeap(key)).toBe(false);
  });
});
