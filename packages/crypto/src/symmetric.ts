/**
 * XChaCha20-Poly1305-IETF and keyed BLAKE2b (RFC 7693) on libsodium's raw exports. The wrappers
 * copy keys into heap memory and free it unwiped; here every key, plaintext and derived output
 * that touches the heap is zeroed before returning, on success and on failure alike.
 */
import { CryptoError, ValidationError, describe } from '@venn/errors';
import { abytes, bytesArg } from './internal/check.js';
import { lib, slots, wipeHeap, withBulk } from './internal/sodium.js';

export const AEAD_KEY_BYTES = 32;
export const AEAD_NONCE_BYTES = 24;
export const AEAD_TAG_BYTES = 16;
/** crypto_generichash_blake2b KEYBYTES_MIN/MAX and BYTES_MIN/MAX (RFC 7693 §2.1 allows 1..64; libsodium requires >= 16). */
export const BLAKE2B_KEY_BYTES_MIN = 16;
export const BLAKE2B_KEY_BYTES_MAX = 64;
export const BLAKE2B_OUT_BYTES_MIN = 16;
export const BLAKE2B_OUT_BYTES_MAX = 64;

/** XChaCha20-Poly1305-IETF encryption: returns ciphertext || 16-byte tag. */
export function aeadSeal(key: Uint8Array, nonce: Uint8Array, ad: Uint8Array, plaintext: Uint8Array): Uint8Array {
  abytes(key, AEAD_KEY_BYTES, 'key');
  abytes(nonce, AEAD_NONCE_BYTES, 'nonce');
  bytesArg(ad, 'ad');
  bytesArg(plaintext, 'plaintext');
  const m = lib();
  const s = slots();
  const size = ad.length + 2 * plaintext.length + AEAD_TAG_BYTES;
  return withBulk(size, (adPtr) => {
    const inPtr = adPtr + ad.length;
    const outPtr = inPtr + plaintext.length;
    try {
      // Read HEAPU8 after withBulk: a malloc may have grown the memory and replaced the view.
      const heap = m.HEAPU8;
      heap.set(key, s.aeadKey);
      heap.set(nonce, s.aeadNonce);
      heap.set(ad, adPtr);
      heap.set(plaintext, inPtr);
      const rc = m._crypto_aead_xchacha20poly1305_ietf_encrypt(
        outPtr, 0, inPtr, plaintext.length, 0, adPtr, ad.length, 0, 0, s.aeadNonce, s.aeadKey,
      );
      if (rc !== 0) throw new CryptoError('aead-failed', `XChaCha20-Poly1305 encryption refused a ${plaintext.length}-byte plaintext`);
      return heap.slice(outPtr, outPtr + plaintext.length + AEAD_TAG_BYTES);
    } finally {
      wipeHeap(s.aeadKey, AEAD_KEY_BYTES);
      wipeHeap(adPtr, size);
    }
  });
}

/**
 * XChaCha20-Poly1305-IETF decryption of ciphertext || tag. A tag that does not verify (wrong key,
 * nonce, AD or any altered byte) throws CryptoError 'aead-open-failed'; no plaintext is released.
 */
export function aeadOpen(key: Uint8Array, nonce: Uint8Array, ad: Uint8Array, ciphertext: Uint8Array): Uint8Array {
  abytes(key, AEAD_KEY_BYTES, 'key');
  abytes(nonce, AEAD_NONCE_BYTES, 'nonce');
  bytesArg(ad, 'ad');
  bytesArg(ciphertext, 'ciphertext');
  if (ciphertext.length < AEAD_TAG_BYTES) {
    throw new ValidationError('invalid-length', `"ciphertext" expected at least ${AEAD_TAG_BYTES} bytes (the tag), got length=${ciphertext.length}`);
  }
  const m = lib();
  const s = slots();
  const plaintextBytes = ciphertext.length - AEAD_TAG_BYTES;
  const size = ad.length + ciphertext.length + plaintextBytes;
  return withBulk(size, (adPtr) => {
    const inPtr = adPtr + ad.length;
    const outPtr = inPtr + ciphertext.length;
    try {
      const heap = m.HEAPU8;
      heap.set(key, s.aeadKey);
      heap.set(nonce, s.aeadNonce);
      heap.set(ad, adPtr);
      heap.set(ciphertext, inPtr);
      const rc = m._crypto_aead_xchacha20poly1305_ietf_decrypt(
        outPtr, 0, 0, inPtr, ciphertext.length, 0, adPtr, ad.length, 0, s.aeadNonce, s.aeadKey,
      );
      if (rc !== 0) throw new CryptoError('aead-open-failed', '"ciphertext" failed XChaCha20-Poly1305 authentication (wrong key, nonce, ad or altered bytes)');
      return heap.slice(outPtr, outPtr + plaintextBytes);
    } finally {
      wipeHeap(s.aeadKey, AEAD_KEY_BYTES);
      wipeHeap(adPtr, size);
    }
  });
}

/** Keyed BLAKE2b (RFC 7693 §2.5) of `message`, `outLength` bytes long; key and message may be secret. */
export function keyedBlake2b(key: Uint8Array, message: Uint8Array, outLength: number): Uint8Array {
  if (!(key instanceof Uint8Array) || key.length < BLAKE2B_KEY_BYTES_MIN || key.length > BLAKE2B_KEY_BYTES_MAX) {
    const got = key instanceof Uint8Array ? `length=${key.length}` : describe(key);
    throw new ValidationError('invalid-length', `"key" expected Uint8Array of length ${BLAKE2B_KEY_BYTES_MIN}..${BLAKE2B_KEY_BYTES_MAX}, got ${got}`);
  }
  bytesArg(message, 'message');
  if (!Number.isInteger(outLength) || outLength < BLAKE2B_OUT_BYTES_MIN || outLength > BLAKE2B_OUT_BYTES_MAX) {
    throw new ValidationError('invalid-length', `"outLength" expected an integer in ${BLAKE2B_OUT_BYTES_MIN}..${BLAKE2B_OUT_BYTES_MAX}, got ${describe(outLength)}`);
  }
  const m = lib();
  const s = slots();
  // One byte at least, so the input pointer is a real allocation even for an empty message.
  const size = Math.max(1, message.length);
  return withBulk(size, (inPtr) => {
    try {
      const heap = m.HEAPU8;
      heap.set(key, s.hashKey);
      heap.set(message, inPtr);
      const rc = m._crypto_generichash(s.hashOut, outLength, inPtr, message.length, 0, s.hashKey, key.length);
      if (rc !== 0) throw new CryptoError('blake2b-failed', `keyed BLAKE2b refused a ${message.length}-byte message`);
      return heap.slice(s.hashOut, s.hashOut + outLength);
    } finally {
      wipeHeap(s.hashKey, BLAKE2B_KEY_BYTES_MAX);
      wipeHeap(inPtr, size);
      // libsodium's blake2b_final leaves the digest in an unwiped buffer on the WebAssembly stack,
      // and the stack is not exported. Repeating the call with the same lengths on the now-zero
      // key and message runs the same frames at the same addresses and overwrites that residue
      // with a public value.
      m._crypto_generichash(s.hashOut, outLength, inPtr, message.length, 0, s.hashKey, key.length);
      wipeHeap(s.hashOut, BLAKE2B_OUT_BYTES_MAX);
    }
  });
}
