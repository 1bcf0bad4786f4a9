/** libsodium (sumo build, WebAssembly) loader and the package's private scratch region on its heap. */
import sodium from 'libsodium-wrappers-sumo';
import { InternalError } from '@venn/errors';

/**
 * The raw Emscripten exports we call. The wrappers copy every argument into fresh heap memory and
 * free it without zeroing, so secret scalars would linger in the heap; calling the exports on our
 * own scratch region lets us wipe them, and skips a malloc/copy/free per call in batch loops.
 * 64-bit lengths are legalised into (low, high) 32-bit halves by Emscripten.
 */
export interface SodiumModule {
  readonly HEAPU8: Uint8Array;
  _malloc(size: number): number;
  _free(ptr: number): void;
  _crypto_hash_sha512(out: number, input: number, lenLow: number, lenHigh: number): number;
  _crypto_hash_sha512_init(state: number): number;
  _crypto_hash_sha512_update(state: number, input: number, lenLow: number, lenHigh: number): number;
  _crypto_hash_sha512_final(state: number, out: number): number;
  _crypto_hash_sha512_statebytes(): number;
  _crypto_core_ristretto255_is_valid_point(point: number): number;
  _crypto_core_ristretto255_add(out: number, p: number, q: number): number;
  _crypto_core_ristretto255_from_hash(out: number, uniform: number): number;
  _crypto_core_ristretto255_scalar_reduce(out: number, wide: number): void;
  _crypto_core_ristretto255_scalar_mul(out: number, x: number, y: number): void;
  _crypto_core_ristretto255_scalar_sub(out: number, x: number, y: number): void;
  _crypto_scalarmult_ristretto255(out: number, scalar: number, point: number): number;
  _crypto_scalarmult_ristretto255_base(out: number, scalar: number): number;
  _crypto_sign_seed_keypair(publicKey: number, secretKey: number, seed: number): number;
  _crypto_sign_detached(sig: number, sigLenPtr: number, msg: number, lenLow: number, lenHigh: number, secretKey: number): number;
  _crypto_sign_verify_detached(sig: number, msg: number, lenLow: number, lenHigh: number, publicKey: number): number;
  _randombytes_buf(out: number, size: number): void;
  _crypto_aead_xchacha20poly1305_ietf_encrypt(
    c: number, clenPtr: number, m: number, mlenLow: number, mlenHigh: number,
    ad: number, adlenLow: number, adlenHigh: number, nsec: number, npub: number, k: number,
  ): number;
  _crypto_aead_xchacha20poly1305_ietf_decrypt(
    m: number, mlenPtr: number, nsec: number, c: number, clenLow: number, clenHigh: number,
    ad: number, adlenLow: number, adlenHigh: number, npub: number, k: number,
  ): number;
  _crypto_generichash(out: number, outlen: number, input: number, inlenLow: number, inlenHigh: number, key: number, keylen: number): number;
}

const REQUIRED_EXPORTS = [
  '_malloc',
  '_free',
  '_crypto_hash_sha512',
  '_crypto_hash_sha512_init',
  '_crypto_hash_sha512_update',
  '_crypto_hash_sha512_final',
  '_crypto_hash_sha512_statebytes',
  '_crypto_core_ristretto255_is_valid_point',
  '_crypto_core_ristretto255_add',
  '_crypto_core_ristretto255_from_hash',
  '_crypto_core_ristretto255_scalar_reduce',
  '_crypto_core_ristretto255_scalar_mul',
  '_crypto_core_ristretto255_scalar_sub',
  '_crypto_scalarmult_ristretto255',
  '_crypto_scalarmult_ristretto255_base',
  '_crypto_sign_seed_keypair',
  '_crypto_sign_detached',
  '_crypto_sign_verify_detached',
  '_randombytes_buf',
  '_crypto_aead_xchacha20poly1305_ietf_encrypt',
  '_crypto_aead_xchacha20poly1305_ietf_decrypt',
  '_crypto_generichash',
] as const;

/** Points handled per copy in packed loops: 8 KiB in, 8 KiB out. */
export const CHUNK_POINTS = 256;
/** Bytes of message streamed into SHA-512 per copy; also the in-heap message size for Ed25519. */
export const MSG_BYTES = 4096;
/** expand_message_xmd output limit: ell <= 255 blocks of 64 bytes (RFC 9380 §5.3.1). */
export const UNIFORM_BYTES = 255 * 64;

/** Byte offsets into the scratch region; every slot is private to this package. */
export interface Scratch {
  /** Secret scalar k (wiped after every use). */
  readonly scalar: number;
  /** Proof nonce r (wiped after every use). */
  readonly nonce: number;
  /** c·k during proof generation (wiped after every use). */
  readonly product: number;
  /** Public scalars: composite weight d_i, challenge c, response s. */
  readonly weight: number;
  readonly challenge: number;
  readonly response: number;
  /** Single points: input, output, a term and two accumulators (M, Z), t2, t3. */
  readonly point: number;
  readonly out: number;
  readonly term: number;
  readonly accM: number;
  readonly accZ: number;
  readonly t2: number;
  readonly t3: number;
  /** 64 uniform bytes (expand output for hash-to-group / hash-to-scalar, or rng output). */
  readonly wide: number;
  /** expand_message_xmd b_0 block. */
  readonly b0: number;
  /** SHA-512 working state and the state after absorbing Z_pad (RFC 9380 §5.3.1 step 4). */
  readonly state: number;
  readonly zpadState: number;
  readonly stateBytes: number;
  /** Streaming message buffer (MSG_BYTES). */
  readonly msg: number;
  /** General expand_message_xmd output (UNIFORM_BYTES). */
  readonly uniform: number;
  /** Packed point chunks (CHUNK_POINTS · 32 each). */
  readonly chunkIn: number;
  readonly chunkOut: number;
  /** Ed25519 seed, public key, secret key, signature. */
  readonly seed: number;
  readonly publicKey: number;
  readonly secretKey: number;
  readonly signature: number;
  /** XChaCha20-Poly1305 key and nonce; keyed BLAKE2b key (up to 64 bytes) and output (wiped after every use). */
  readonly aeadKey: number;
  readonly aeadNonce: number;
  readonly hashKey: number;
  readonly hashOut: number;
}

let module: SodiumModule | undefined;
let scratch: Scratch | undefined;
let initializing: Promise<void> | undefined;

function layout(base: number, stateBytes: number): Scratch {
  let cursor = base;
  // Keep every slot 16-byte aligned; the SHA-512 state holds uint64 words.
  const take = (size: number): number => {
    const at = cursor;
    cursor += Math.ceil(size / 16) * 16;
    return at;
  };
  return {
    scalar: take(32),
    nonce: take(32),
    product: take(32),
    weight: take(32),
    challenge: take(32),
    response: take(32),
    point: take(32),
    out: take(32),
    term: take(32),
    accM: take(32),
    accZ: take(32),
    t2: take(32),
    t3: take(32),
    wide: take(64),
    b0: take(64),
    state: take(stateBytes),
    zpadState: take(stateBytes),
    stateBytes,
    msg: take(MSG_BYTES),
    uniform: take(UNIFORM_BYTES),
    chunkIn: take(CHUNK_POINTS * 32),
    chunkOut: take(CHUNK_POINTS * 32),
    seed: take(32),
    publicKey: take(32),
    secretKey: take(64),
    signature: take(64),
    aeadKey: take(32),
    aeadNonce: take(24),
    hashKey: take(64),
    hashOut: take(64),
  };
}

/** Total bytes used by `layout`; computed from the last slot so the two cannot drift apart. */
function scratchSize(stateBytes: number): number {
  const probe = layout(0, stateBytes);
  return probe.hashOut + 64;
}

async function initialize(): Promise<void> {
  await sodium.ready;
  const raw = (sodium as unknown as { libsodium?: Record<string, unknown> }).libsodium;
  if (raw === undefined || !(raw['HEAPU8'] instanceof Uint8Array)) {
    throw new InternalError('sodium-module', 'libsodium-wrappers-sumo does not expose its WebAssembly module');
  }
  for (const name of REQUIRED_EXPORTS) {
    if (typeof raw[name] !== 'function') {
      throw new InternalError('sodium-module', `libsodium module lacks export ${name}; the sumo build is required`);
    }
  }
  const lib = raw as unknown as SodiumModule;
  const stateBytes = lib._crypto_hash_sha512_statebytes();
  const size = scratchSize(stateBytes);
  // Over-allocate by 15 bytes so the region can start on a 16-byte boundary.
  const base = lib._malloc(size + 15);
  if (base === 0) throw new InternalError('sodium-module', `libsodium malloc of ${size} bytes failed`);
  const s = layout(Math.ceil(base / 16) * 16, stateBytes);
  lib.HEAPU8.fill(0, base, base + size + 15);
  // RFC 9380 §5.3.1: every b_0 starts with Z_pad = I2OSP(0, 128), one full SHA-512 block; absorb it once.
  lib._crypto_hash_sha512_init(s.zpadState);
  lib._crypto_hash_sha512_update(s.zpadState, s.msg, 128, 0);
  module = lib;
  scratch = s;
}

/** Loads libsodium and reserves the scratch region. Idempotent; a failed attempt may be retried. */
export function ready(): Promise<void> {
  initializing ??= initialize().catch((error: unknown) => {
    initializing = undefined;
    throw error;
  });
  return initializing;
}

function notReady(): never {
  throw new InternalError('not-ready', '@venn/crypto used before `await ready()` resolved');
}

/** The raw module; throws InternalError 'not-ready' before ready() has resolved. */
export function lib(): SodiumModule {
  return module ?? notReady();
}

/** The scratch layout; throws InternalError 'not-ready' before ready() has resolved. */
export function slots(): Scratch {
  return scratch ?? notReady();
}

/** The libsodium wrapper object (for randombytes and memzero). */
export function wrapper(): typeof sodium {
  if (module === undefined) notReady();
  return sodium;
}

/**
 * Places `bytes` on the heap and runs `use(ptr)`: in the scratch message slot when it fits,
 * otherwise in a temporary allocation that is zeroed and freed afterwards.
 */
export function withHeapBytes<T>(bytes: Uint8Array, use: (ptr: number) => T): T {
  const m = lib();
  const s = slots();
  if (bytes.length <= MSG_BYTES) {
    m.HEAPU8.set(bytes, s.msg);
    return use(s.msg);
  }
  const ptr = m._malloc(bytes.length);
  if (ptr === 0) throw new InternalError('sodium-module', `libsodium malloc of ${bytes.length} bytes failed`);
  try {
    // Read HEAPU8 after malloc: growing the memory replaces the view.
    m.HEAPU8.set(bytes, ptr);
    return use(ptr);
  } finally {
    m.HEAPU8.fill(0, ptr, ptr + bytes.length);
    m._free(ptr);
  }
}

/**
 * Largest region kept between calls for bulk symmetric work (AD, input and output of a 256 KiB
 * frame fit with room to spare); larger requests get a one-off allocation.
 */
const BULK_KEEP_BYTES = 1 << 20;
let bulkPtr = 0;
let bulkBytes = 0;

/**
 * Runs `use(ptr)` on at least `size` heap bytes. Up to BULK_KEEP_BYTES the region is reused and
 * grown (doubling) rather than allocated per call, so sealing a stream of frames does no malloc;
 * `use` must zero every secret byte it wrote before returning or throwing.
 */
export function withBulk<T>(size: number, use: (ptr: number) => T): T {
  const m = lib();
  if (size <= bulkBytes) return use(bulkPtr);
  if (size <= BULK_KEEP_BYTES) {
    const grown = Math.min(BULK_KEEP_BYTES, Math.max(size, bulkBytes * 2, 1 << 16));
    const ptr = m._malloc(grown);
    if (ptr === 0) throw new InternalError('sodium-module', `libsodium malloc of ${grown} bytes failed`);
    if (bulkPtr !== 0) {
      // Callers leave the region zeroed; wipe again anyway before handing it back to the allocator.
      m.HEAPU8.fill(0, bulkPtr, bulkPtr + bulkBytes);
      m._free(bulkPtr);
    }
    bulkPtr = ptr;
    bulkBytes = grown;
    return use(ptr);
  }
  const ptr = m._malloc(size);
  if (ptr === 0) throw new InternalError('sodium-module', `libsodium malloc of ${size} bytes failed`);
  try {
    return use(ptr);
  } finally {
    m.HEAPU8.fill(0, ptr, ptr + size);
    m._free(ptr);
  }
}

/** Zeroes `length` heap bytes at `ptr`. */
export function wipeHeap(ptr: number, length: number): void {
  lib().HEAPU8.fill(0, ptr, ptr + length);
}
