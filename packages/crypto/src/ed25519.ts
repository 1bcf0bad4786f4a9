/** Ed25519 identity signatures (RFC 8032) through libsodium, with secret keys wiped from its heap. */
import { CryptoError } from '@venn/errors';
import { abytes, bytesArg } from './internal/check.js';
import { lib, slots, wipeHeap, withHeapBytes } from './internal/sodium.js';

const SEED_BYTES = 32;
const PUBLIC_KEY_BYTES = 32;
const SECRET_KEY_BYTES = 64;
const SIGNATURE_BYTES = 64;

/** libsodium crypto_sign_seed_keypair: secretKey is seed || publicKey (64 bytes). */
export function ed25519KeyPairFromSeed(seed: Uint8Array): { publicKey: Uint8Array; secretKey: Uint8Array } {
  abytes(seed, SEED_BYTES, 'seed');
  const m = lib();
  const s = slots();
  try {
    m.HEAPU8.set(seed, s.seed);
    m._crypto_sign_seed_keypair(s.publicKey, s.secretKey, s.seed);
    return {
      publicKey: m.HEAPU8.slice(s.publicKey, s.publicKey + PUBLIC_KEY_BYTES),
      secretKey: m.HEAPU8.slice(s.secretKey, s.secretKey + SECRET_KEY_BYTES),
    };
  } finally {
    wipeHeap(s.seed, SEED_BYTES);
    wipeHeap(s.secretKey, SECRET_KEY_BYTES);
  }
}

/**
 * Detached Ed25519 signature (64 bytes). The public half of secretKey is re-derived from its seed
 * and must match: signing with a mismatched public key leaks the private key (double-public-key attack).
 */
export function ed25519Sign(secretKey: Uint8Array, message: Uint8Array): Uint8Array {
  abytes(secretKey, SECRET_KEY_BYTES, 'secretKey');
  bytesArg(message, 'message');
  const m = lib();
  const s = slots();
  try {
    m.HEAPU8.set(secretKey.subarray(0, SEED_BYTES), s.seed);
    m._crypto_sign_seed_keypair(s.publicKey, s.secretKey, s.seed);
    let mismatch = 0;
    for (let i = 0; i < PUBLIC_KEY_BYTES; i++) mismatch |= m.HEAPU8[s.publicKey + i]! ^ secretKey[SEED_BYTES + i]!;
    if (mismatch !== 0) {
      throw new CryptoError('invalid-key', '"secretKey" expected seed || publicKey, got a public half that does not match the seed');
    }
    return withHeapBytes(message, (ptr) => {
      m._crypto_sign_detached(s.signature, 0, ptr, message.length, 0, s.secretKey);
      return m.HEAPU8.slice(s.signature, s.signature + SIGNATURE_BYTES);
    });
  } finally {
    wipeHeap(s.seed, SEED_BYTES);
    wipeHeap(s.secretKey, SECRET_KEY_BYTES);
  }
}

/**
 * Verifies a detached Ed25519 signature. libsodium rejects non-canonical S, small-order public
 * keys and R; any such input simply does not verify (false). Wrong lengths throw.
 */
export function ed25519Verify(publicKey: Uint8Array, message: Uint8Array, signature: Uint8Array): boolean {
  abytes(publicKey, PUBLIC_KEY_BYTES, 'publicKey');
  bytesArg(message, 'message');
  abytes(signature, SIGNATURE_BYTES, 'signature');
  const m = lib();
  const s = slots();
  m.HEAPU8.set(publicKey, s.publicKey);
  m.HEAPU8.set(signature, s.signature);
  return withHeapBytes(message, (ptr) => m._crypto_sign_verify_detached(s.signature, ptr, message.length, 0, s.publicKey) === 0);
}
