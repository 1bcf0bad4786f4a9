/** Ed25519 through libsodium, checked against noble's RFC 8032 implementation (signatures are deterministic). */
import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { ed25519 } from '@noble/curves/ed25519.js';
import { ed25519KeyPairFromSeed, ed25519Sign, ed25519Verify, ready } from '../src/index.js';
import { hex } from './vectors.js';

await ready();

describe('Ed25519', () => {
  it('keys and signatures equal noble byte for byte; verification round-trips', () => {
    fc.assert(
      fc.property(fc.uint8Array({ minLength: 32, maxLength: 32 }), fc.uint8Array({ maxLength: 6000 }), (seed, message) => {
        const { publicKey, secretKey } = ed25519KeyPairFromSeed(seed);
        expect(hex(publicKey)).toBe(hex(ed25519.getPublicKey(seed)));
        expect(hex(secretKey)).toBe(hex(seed) + hex(publicKey));
        const signature = ed25519Sign(secretKey, message);
        expect(hex(signature)).toBe(hex(ed25519.sign(message, seed)));
        expect(ed25519Verify(publicKey, message, signature)).toBe(true);
      }),
      { numRuns: 200 },
    );
  });

  it('rejects a changed message, signature or key', () => {
    fc.assert(
      fc.property(fc.uint8Array({ minLength: 32, maxLength: 32 }), fc.uint8Array({ minLength: 1, maxLength: 100 }), fc.nat(), (seed, message, at) => {
        const { publicKey, secretKey } = ed25519KeyPairFromSeed(seed);
        const signature = ed25519Sign(secretKey, message);
        const otherMessage = message.slice();
        otherMessage[at % message.length]! ^= 1;
        expect(ed25519Verify(publicKey, otherMessage, signature)).toBe(false);
        const otherSignature = signature.slice();
        otherSignature[at % 64]! ^= 0x10;
        expect(ed25519Verify(publicKey, message, otherSignature)).toBe(false);
        const otherKey = ed25519KeyPairFromSeed(seed.map((b) => b ^ 0xff)).publicKey;
        expect(ed25519Verify(otherKey, message, signature)).toBe(false);
      }),
      { numRuns: 100 },
    );
  });

  it('treats a small-order public key as not verifying rather than throwing', () => {
    const smallOrder = new Uint8Array(32);
    smallOrder[0] = 1; // the neutral element
    expect(ed25519Verify(smallOrder, new Uint8Array(1), new Uint8Array(64))).toBe(false);
  });
});
