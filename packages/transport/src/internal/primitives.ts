/**
 * The libsodium primitives the transport uses (transport.md §2): X25519 (RFC 7748), Ed25519
 * (RFC 8032), keyed BLAKE2b-256 (RFC 7693) and XChaCha20-Poly1305-IETF. All secret-key work runs in
 * libsodium's constant-time code; nothing here touches @noble/curves with a secret.
 */
import sodium from 'libsodium-wrappers-sumo';
import {
  aeadOpen as cryptoAeadOpen,
  aeadSeal as cryptoAeadSeal,
  ed25519KeyPairFromSeed,
  ed25519Sign as cryptoSign,
  ed25519Verify as cryptoVerify,
  keyedBlake2b,
  ready as cryptoReady,
} from '@venn/crypto';
import { CryptoError, InternalError } from '@venn/errors';
import { abytes } from './bytes.js';

let loaded = false;

/** Resolves once libsodium's WebAssembly module is loaded; every other function here needs it. */
export async function transportReady(): Promise<void> {
  await Promise.all([sodium.ready, cryptoReady()]);
  loaded = true;
}

function lib(): typeof sodium {
  if (!loaded) throw new InternalError('sodium-not-ready', 'libsodium used before transportReady() resolved');
  return sodium;
}

export const KEY_BYTES = 32;
export const SIGNATURE_BYTES = 64;
export const AEAD_TAG_BYTES = 16;
export const AEAD_NONCE_BYTES = 24;
/** libsodium's Ed25519 secret key: seed || publicKey. */
const IDENTITY_SECRET_KEY_BYTES = 64;

export interface X25519KeyPair {
  readonly publicKey: Uint8Array;
  readonly secretKey: Uint8Array;
}

interface RawSodium {
  HEAPU8: Uint8Array;
  _malloc(size: number): number;
  _free(ptr: number): void;
  _crypto_scalarmult(q: number, n: number, p: number): number;
  _crypto_scalarmult_base(q: number, n: number): number;
}

/**
 * The wrappers copy arguments into heap memory and free it without zeroing, which would leave
 * ephemeral secrets behind and weaken forward secrecy; X25519 therefore runs on the raw module
 * in one region that is zeroed after every use.
 */
function withX25519Heap<T>(use: (m: RawSodium, q: number, n: number, p: number) => T): T {
  const m = (lib() as unknown as { libsodium: RawSodium }).libsodium;
  const base = m._malloc(96);
  if (base === 0) throw new InternalError('sodium-malloc', 'libsodium malloc of 96 bytes failed');
  try {
    return use(m, base, base + 32, base + 64);
  } finally {
    m.HEAPU8.fill(0, base, base + 96);
    m._free(base);
  }
}

/** Ephemeral key pair from 32 bytes of injected randomness; libsodium clamps the scalar (RFC 7748 §5). */
export function x25519KeyPair(secretKey: Uint8Array): X25519KeyPair {
  abytes(secretKey, KEY_BYTES, 'ephemeralSecret');
  const publicKey = withX25519Heap((m, q, n) => {
    m.HEAPU8.set(secretKey, n);
    m._crypto_scalarmult_base(q, n);
    return m.HEAPU8.slice(q, q + KEY_BYTES);
  });
  return { publicKey, secretKey };
}

/**
 * X25519(secret, peerPublic). RFC 7748 §6.1: an all-zero output means the peer sent a low-order
 * point and MUST be refused, or the "shared" secret is known to everyone. libsodium already
 * refuses known low-order points (non-zero return); the zero check stays as a second guard.
 */
export function x25519(secretKey: Uint8Array, peerPublicKey: Uint8Array): Uint8Array {
  abytes(secretKey, KEY_BYTES, 'secretKey');
  abytes(peerPublicKey, KEY_BYTES, 'peerPublicKey');
  const shared = withX25519Heap((m, q, n, p) => {
    m.HEAPU8.set(secretKey, n);
    m.HEAPU8.set(peerPublicKey, p);
    return m._crypto_scalarmult(q, n, p) === 0 ? m.HEAPU8.slice(q, q + KEY_BYTES) : undefined;
  });
  if (shared === undefined) {
    throw new CryptoError('x25519-low-order', 'X25519 peer key is of low order (RFC 7748 §6.1)');
  }
  if (lib().is_zero(shared)) {
    throw new CryptoError('x25519-low-order', 'X25519 shared secret is all zero (RFC 7748 §6.1)');
  }
  return shared;
}

/**
 * BLAKE2b-256 of `message`, keyed with a 32-byte key when one is given (RFC 7693 §2.5). Keyed calls
 * carry handshake secrets and go through @venn/crypto, which wipes them from libsodium's heap;
 * unkeyed calls only hash the public transcript, so the wrapper's unwiped copy is harmless.
 */
export function blake2b256(message: Uint8Array, key?: Uint8Array): Uint8Array {
  if (key !== undefined) {
    lib();
    return keyedBlake2b(key, message, 32);
  }
  return lib().crypto_generichash(32, message, null);
}

/** Identity signatures go through @venn/crypto, which wipes the secret key from libsodium's heap. */
export function ed25519Sign(message: Uint8Array, secretKey: Uint8Array): Uint8Array {
  lib();
  return cryptoSign(secretKey, message);
}

export function ed25519Verify(signature: Uint8Array, message: Uint8Array, publicKey: Uint8Array): boolean {
  lib();
  try {
    return cryptoVerify(publicKey, message, signature);
  } catch {
    return false;
  }
}

/**
 * The public key derived from the seed half of `secretKey` (seed || publicKey), through
 * @venn/crypto: the wrapper would copy the whole identity key into the heap and leave it there.
 */
export function ed25519PublicKey(secretKey: Uint8Array): Uint8Array {
  lib();
  abytes(secretKey, IDENTITY_SECRET_KEY_BYTES, 'secretKey');
  const derived = ed25519KeyPairFromSeed(secretKey.subarray(0, KEY_BYTES));
  wipe(derived.secretKey);
  return derived.publicKey;
}

/** Traffic and handshake keys go through @venn/crypto, which wipes key and plaintext from libsodium's heap. */
export function aeadSeal(plaintext: Uint8Array, ad: Uint8Array, nonce: Uint8Array, key: Uint8Array): Uint8Array {
  lib();
  return cryptoAeadSeal(key, nonce, ad, plaintext);
}

/** Returns undefined when the tag does not verify, so callers choose the typed error. */
export function aeadOpen(ciphertext: Uint8Array, ad: Uint8Array, nonce: Uint8Array, key: Uint8Array): Uint8Array | undefined {
  lib();
  if (ciphertext.length < AEAD_TAG_BYTES) return undefined;
  try {
    return cryptoAeadOpen(key, nonce, ad, ciphertext);
  } catch (error) {
    if (error instanceof CryptoError && error.code === 'aead-open-failed') return undefined;
    throw error;
  }
}

export function randomBytes(n: number): Uint8Array {
  return lib().randombytes_buf(n);
}

/** Overwrites secret bytes in place once they are no longer needed. */
export function wipe(...buffers: (Uint8Array | undefined)[]): void {
  for (const b of buffers) if (b !== undefined) lib().memzero(b);
}
