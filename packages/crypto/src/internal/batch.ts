/**
 * Loader and chunk interface for the batched ristretto255 module (wasm/ristretto.c, SIMD128):
 * constant-time k·P_i for one secret scalar and many public points, and hash_to_ristretto255
 * (RFC 9380) for many messages. After every secret-scalar call the scalar slot, the work area and
 * the module's whole stack are zeroed, on success and on error alike.
 */
import { InternalError } from '@venn/errors';
import { POINT_BYTES, SCALAR_BYTES } from './check.js';
import { RISTRETTO_WASM_BASE64 } from './ristretto-wasm.js';
import { lib } from './sodium.js';

/** The slice of the WebAssembly JS API we use (the project's lib settings omit its DOM typings). */
interface WasmMemory {
  readonly buffer: ArrayBuffer;
  grow(pages: number): number;
}
interface WasmApi {
  Module: new (bytes: Uint8Array) => object;
  Instance: new (module: object, imports: object) => { readonly exports: unknown };
}
const WebAssemblyApi = (globalThis as unknown as { WebAssembly: WasmApi }).WebAssembly;

interface RistrettoExports {
  readonly memory: WasmMemory;
  readonly __data_end: { readonly value: number };
  readonly __heap_base: { readonly value: number };
  scalarmult_batch(count: number, scalar: number, points: number, out: number, work: number): number;
  scalarmult_work_bytes(count: number): number;
  hash_to_group_batch(count: number, msgs: number, lens: number, dstPrime: number, dstPrimeLength: number, out: number, uniform: number): void;
  from_uniform_batch(count: number, uniform: number, out: number): void;
}

/** Points per secret-scalar call: one field inversion is shared by every pair of a chunk. */
export const SCALARMULT_CHUNK_POINTS = 256;
/** Messages per hash-to-group call. */
export const HASH_CHUNK_MESSAGES = 256;
const PAGE_BYTES = 65536;
const MAX_DST_PRIME_BYTES = 256;

interface Layout {
  readonly x: RistrettoExports;
  /** [start, end) of the module's stack (it grows down from __heap_base). */
  readonly stackStart: number;
  readonly stackEnd: number;
  readonly scalar: number;
  readonly points: number;
  readonly out: number;
  readonly work: number;
  readonly workBytes: number;
  readonly lens: number;
  readonly dst: number;
  readonly uniform: number;
  /** Message bytes for hash-to-group start here; the memory grows to fit them. */
  readonly messages: number;
}

let layoutCache: Layout | undefined;

const align16 = (n: number): number => Math.ceil(n / 16) * 16;

/** Instantiates the module synchronously on first use (≈60 KB; compiles in a few milliseconds). */
function layout(): Layout {
  // Like every other entry point of the package, the module refuses to run before ready().
  lib();
  if (layoutCache !== undefined) return layoutCache;
  let x: RistrettoExports;
  try {
    const bytes = Uint8Array.from(Buffer.from(RISTRETTO_WASM_BASE64, 'base64'));
    x = new WebAssemblyApi.Instance(new WebAssemblyApi.Module(bytes), {}).exports as unknown as RistrettoExports;
  } catch (error) {
    throw new InternalError('ristretto-module', 'the batched ristretto255 WebAssembly module failed to load', { cause: error });
  }
  let cursor = align16(x.__heap_base.value);
  const take = (size: number): number => {
    const at = cursor;
    cursor += align16(size);
    return at;
  };
  const workBytes = x.scalarmult_work_bytes(SCALARMULT_CHUNK_POINTS);
  const chunkBytes = Math.max(SCALARMULT_CHUNK_POINTS, HASH_CHUNK_MESSAGES) * POINT_BYTES;
  const result: Layout = {
    x,
    stackStart: x.__data_end.value,
    stackEnd: x.__heap_base.value,
    scalar: take(SCALAR_BYTES),
    points: take(SCALARMULT_CHUNK_POINTS * POINT_BYTES),
    out: take(chunkBytes),
    work: take(workBytes),
    workBytes,
    lens: take(HASH_CHUNK_MESSAGES * 4),
    dst: take(MAX_DST_PRIME_BYTES),
    uniform: take(128),
    messages: cursor,
  };
  ensureBytes(x, cursor);
  layoutCache = result;
  return result;
}

function ensureBytes(x: RistrettoExports, end: number): void {
  const needed = Math.ceil(end / PAGE_BYTES) - x.memory.buffer.byteLength / PAGE_BYTES;
  if (needed > 0) x.memory.grow(needed);
}

/**
 * out = k·P_i (encoded) for up to SCALARMULT_CHUNK_POINTS packed public points, in constant time
 * in k. k must already be checked (canonical, non-zero). Returns -1, or the index of the first
 * point that is not a canonical encoding (RFC 9496 §4.3.1) or is the identity (RFC 9497 §3.3);
 * in that case `out` is untouched. The module's stack, work area and scalar slot are zeroed
 * before returning or throwing.
 */
export function secretScalarMultChunk(k: Uint8Array, points: Uint8Array, out: Uint8Array): number {
  const l = layout();
  const count = points.length / POINT_BYTES;
  const heap = new Uint8Array(l.x.memory.buffer);
  try {
    heap.set(k, l.scalar);
    heap.set(points, l.points);
    const status = l.x.scalarmult_batch(count, l.scalar, l.points, l.out, l.work);
    if (status !== 0) return -status - 1;
    out.set(heap.subarray(l.out, l.out + points.length));
    return -1;
  } finally {
    heap.fill(0, l.scalar, l.scalar + SCALAR_BYTES);
    heap.fill(0, l.work, l.work + l.x.scalarmult_work_bytes(count));
    heap.fill(0, l.stackStart, l.stackEnd);
  }
}

/**
 * hash_to_ristretto255(msgs[i]) for i in [start, end) (at most HASH_CHUNK_MESSAGES) into `out`
 * at `outOffset`, with DST_prime = DST || I2OSP(len(DST), 1) (RFC 9380 §5.3.1). Public data.
 * An identity result encodes as 32 zero bytes; the caller refuses it.
 */
export function hashToGroupChunk(
  msgs: readonly Uint8Array[],
  start: number,
  end: number,
  dstPrime: Uint8Array,
  out: Uint8Array,
  outOffset: number,
): void {
  const l = layout();
  let total = 0;
  for (let i = start; i < end; i++) total += msgs[i]!.length;
  ensureBytes(l.x, l.messages + total);
  // Read the buffer after growing: grow detaches the previous ArrayBuffer.
  const heap = new Uint8Array(l.x.memory.buffer);
  const lens = new Uint32Array(l.x.memory.buffer, l.lens, HASH_CHUNK_MESSAGES);
  let cursor = l.messages;
  for (let i = start; i < end; i++) {
    const msg = msgs[i]!;
    heap.set(msg, cursor);
    cursor += msg.length;
    lens[i - start] = msg.length;
  }
  heap.set(dstPrime, l.dst);
  const count = end - start;
  l.x.hash_to_group_batch(count, l.messages, l.lens, l.dst, dstPrime.length, l.out, l.uniform);
  out.set(heap.subarray(l.out, l.out + count * POINT_BYTES), outOffset);
}

/** RFC 9496 §4.3.4 element derivation of each 64-byte block of `uniform` (public data), packed. */
export function fromUniformBytesBatch(uniform: Uint8Array): Uint8Array {
  const l = layout();
  const count = uniform.length / 64;
  const out = new Uint8Array(count * POINT_BYTES);
  for (let start = 0; start < count; start += HASH_CHUNK_MESSAGES) {
    const n = Math.min(HASH_CHUNK_MESSAGES, count - start);
    ensureBytes(l.x, l.messages + n * 64);
    const heap = new Uint8Array(l.x.memory.buffer);
    heap.set(uniform.subarray(start * 64, (start + n) * 64), l.messages);
    l.x.from_uniform_batch(n, l.messages, l.out);
    out.set(heap.subarray(l.out, l.out + n * POINT_BYTES), start * POINT_BYTES);
  }
  return out;
}

/**
 * The module's memory and the regions zeroed after every secret-scalar call, so tests can scan
 * them for leftovers the way they scan libsodium's heap.
 */
export function batchModuleMemory(): {
  readonly memory: Uint8Array;
  readonly stack: readonly [number, number];
  readonly work: readonly [number, number];
  readonly scalar: number;
} {
  const l = layout();
  return {
    memory: new Uint8Array(l.x.memory.buffer),
    stack: [l.stackStart, l.stackEnd],
    work: [l.work, l.work + l.workBytes],
    scalar: l.scalar,
  };
}
