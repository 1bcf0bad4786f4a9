/** RFC 9380 expand_message_xmd (SHA-512), hash_to_ristretto255, and RFC 9497 HashToScalar. */
import { CryptoError, ValidationError, describe } from '@venn/errors';
import { POINT_BYTES, SCALAR_BYTES, abytes, bytesArg, isZero32 } from './internal/check.js';
import { HASH_CHUNK_MESSAGES, fromUniformBytesBatch, hashToGroupChunk } from './internal/batch.js';
import { MSG_BYTES, UNIFORM_BYTES, lib, slots } from './internal/sodium.js';

const MAX_DST_BYTES = 255;

/**
 * DST_prime = DST || I2OSP(len(DST), 1) (RFC 9380 §5.3.1). DSTs must be 1..255 bytes: §3.1 says
 * tags MUST have nonzero length and §5.3.1 aborts on longer ones (we do not apply §5.3.3 silently).
 */
export function dstPrime(dst: Uint8Array, field = 'dst'): Uint8Array {
  bytesArg(dst, field);
  if (dst.length === 0 || dst.length > MAX_DST_BYTES) {
    throw new ValidationError('invalid-length', `"${field}" expected Uint8Array of length 1..255, got length=${dst.length}`);
  }
  const prime = new Uint8Array(dst.length + 1);
  prime.set(dst);
  prime[dst.length] = dst.length;
  return prime;
}

/**
 * Writes expand_message_xmd(msg, DST, lenInBytes) with H = SHA-512 to the heap at `outPtr`
 * (RFC 9380 §5.3.1). `outPtr` must have room for ceil(lenInBytes / 64) · 64 bytes.
 * Arguments are trusted: callers validate them.
 */
export function expandIntoHeap(msg: Uint8Array, prime: Uint8Array, lenInBytes: number, outPtr: number): void {
  const m = lib();
  const s = slots();
  const ell = Math.ceil(lenInBytes / 64);
  let heap = m.HEAPU8;
  // b_0 = H(Z_pad || msg || l_i_b_str || I2OSP(0, 1) || DST_prime); Z_pad was absorbed at ready().
  heap.copyWithin(s.state, s.zpadState, s.zpadState + s.stateBytes);
  for (let offset = 0; offset < msg.length; offset += MSG_BYTES) {
    const part = msg.subarray(offset, offset + MSG_BYTES);
    heap.set(part, s.msg);
    m._crypto_hash_sha512_update(s.state, s.msg, part.length, 0);
  }
  heap[s.msg] = lenInBytes >>> 8;
  heap[s.msg + 1] = lenInBytes & 0xff;
  heap[s.msg + 2] = 0;
  heap.set(prime, s.msg + 3);
  m._crypto_hash_sha512_update(s.state, s.msg, 3 + prime.length, 0);
  m._crypto_hash_sha512_final(s.state, s.b0);
  heap = m.HEAPU8;
  // b_1 = H(b_0 || I2OSP(1, 1) || DST_prime); b_i = H(strxor(b_0, b_(i-1)) || I2OSP(i, 1) || DST_prime).
  const tail = 64 + 1 + prime.length;
  heap.set(prime, s.msg + 65);
  for (let i = 1; i <= ell; i++) {
    const previous = outPtr + (i - 2) * 64;
    for (let j = 0; j < 64; j++) {
      heap[s.msg + j] = i === 1 ? heap[s.b0 + j]! : heap[s.b0 + j]! ^ heap[previous + j]!;
    }
    heap[s.msg + 64] = i;
    m._crypto_hash_sha512(outPtr + (i - 1) * 64, s.msg, tail, 0);
  }
}

/** RFC 9380 §5.3.1 expand_message_xmd with SHA-512. lenInBytes is 1..16320 (ell <= 255). */
export function expandMessageXmd(msg: Uint8Array, dst: Uint8Array, lenInBytes: number): Uint8Array {
  bytesArg(msg, 'msg');
  const prime = dstPrime(dst);
  if (!Number.isSafeInteger(lenInBytes) || lenInBytes < 1 || lenInBytes > UNIFORM_BYTES) {
    // RFC 9380 §5.3.1 step 2: ABORT if ell > 255 (or len_in_bytes > 65535).
    throw new ValidationError('invalid-length', `"lenInBytes" expected an integer in 1..${UNIFORM_BYTES}, got ${describe(lenInBytes)}`);
  }
  const s = slots();
  expandIntoHeap(msg, prime, lenInBytes, s.uniform);
  return lib().HEAPU8.slice(s.uniform, s.uniform + lenInBytes);
}

/**
 * RFC 9496 §4.3.4 element derivation of 64 uniform bytes (wasm/ristretto.c). Not exported from the
 * package: callers want hashToGroup; this exists so the RFC 9496 Appendix A.3 vectors can test it.
 */
export function elementFromUniformBytes(uniform: Uint8Array): Uint8Array {
  abytes(uniform, 64, 'uniform');
  return fromUniformBytesBatch(uniform);
}

/**
 * RFC 9380 hash_to_ristretto255 of msgs[i] for every i, packed (Appendix B: expand_message_xmd
 * with SHA-512 to 64 bytes, then RFC 9496 §4.3.4), in wasm/ristretto.c. Public data. The identity
 * has negligible probability but is refused, since RFC 9497 §3.3.1 Blind MUST reject it.
 */
function hashToGroupPacked(msgs: readonly Uint8Array[], prime: Uint8Array, field: (i: number) => string): Uint8Array {
  const out = new Uint8Array(msgs.length * POINT_BYTES);
  for (let start = 0; start < msgs.length; start += HASH_CHUNK_MESSAGES) {
    hashToGroupChunk(msgs, start, Math.min(msgs.length, start + HASH_CHUNK_MESSAGES), prime, out, start * POINT_BYTES);
  }
  for (let i = 0; i < msgs.length; i++) {
    if (isZero32(out, i * POINT_BYTES) === 1) {
      throw new CryptoError('identity-element', `"${field(i)}" hashes to the identity element`);
    }
  }
  return out;
}

/** RFC 9380 hash_to_ristretto255(msg) with the given DST; the identity is refused. */
export function hashToGroup(msg: Uint8Array, dst: Uint8Array): Uint8Array {
  bytesArg(msg, 'msg');
  return hashToGroupPacked([msg], dstPrime(dst), () => 'msg');
}

/** hashToGroup for each message, packed 32·m bytes in the same order. */
export function hashToGroupMany(msgs: readonly Uint8Array[], dst: Uint8Array): Uint8Array {
  if (!Array.isArray(msgs)) {
    throw new ValidationError('invalid-length', `"msgs" expected an array of Uint8Array, got ${describe(msgs)}`);
  }
  const prime = dstPrime(dst);
  for (let i = 0; i < msgs.length; i++) bytesArg(msgs[i], `msgs[${i}]`);
  return hashToGroupPacked(msgs, prime, (i) => `msgs[${i}]`);
}

/** RFC 9497 §4.1 HashToScalar into heap slot `outPtr`: expand to 64 bytes, little-endian, mod L. */
export function hashToScalarInto(msg: Uint8Array, prime: Uint8Array, outPtr: number): void {
  const s = slots();
  expandIntoHeap(msg, prime, 64, s.wide);
  lib()._crypto_core_ristretto255_scalar_reduce(outPtr, s.wide);
}

/** RFC 9497 §4.1 HashToScalar for ristretto255-SHA512 with an explicit DST. */
export function hashToScalar(msg: Uint8Array, dst: Uint8Array): Uint8Array {
  bytesArg(msg, 'msg');
  const prime = dstPrime(dst);
  const s = slots();
  hashToScalarInto(msg, prime, s.weight);
  return lib().HEAPU8.slice(s.weight, s.weight + SCALAR_BYTES);
}

/** SHA-512 of `input` (a short transcript that fits the message slot) into heap slot `outPtr`. */
export function sha512Into(input: Uint8Array, outPtr: number): void {
  const m = lib();
  const s = slots();
  m._crypto_hash_sha512_init(s.state);
  for (let offset = 0; offset < input.length; offset += MSG_BYTES) {
    const part = input.subarray(offset, offset + MSG_BYTES);
    m.HEAPU8.set(part, s.msg);
    m._crypto_hash_sha512_update(s.state, s.msg, part.length, 0);
  }
  m._crypto_hash_sha512_final(s.state, outPtr);
}
