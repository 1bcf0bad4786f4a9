/**
 * Loader and batch interface for the variable-time ristretto255 multi-scalar multiplication in
 * WebAssembly (wasm/msm.c). PUBLIC scalars and points only (SPEC.md §3.3): the composite weights
 * of RFC 9497 §2.2.1 and the verifier's (c, s). Secret scalars stay in libsodium.
 */
import { InternalError } from '@venn/errors';
import { POINT_BYTES, SCALAR_BYTES } from './check.js';
import { MSM_WASM_BASE64 } from './msm-wasm.js';

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

interface MsmExports {
  readonly memory: WasmMemory;
  readonly __heap_base: { readonly value: number };
  decode_points(count: number, points: number, table: number, rejectIdentity: number): number;
  msm_table(count: number, scalars: number, table: number, out: number, work: number): void;
  msm_work_bytes(count: number): number;
  msm_table_bytes(): number;
}

const PAGE_BYTES = 65536;
let exportsCache: MsmExports | undefined;

/** Instantiates the module synchronously on first use (≈35 KB; compiles in a few milliseconds). */
function wasm(): MsmExports {
  if (exportsCache !== undefined) return exportsCache;
  try {
    const bytes = Uint8Array.from(Buffer.from(MSM_WASM_BASE64, 'base64'));
    const instance = new WebAssemblyApi.Instance(new WebAssemblyApi.Module(bytes), {});
    exportsCache = instance.exports as unknown as MsmExports;
  } catch (error) {
    throw new InternalError('msm-module', 'the multi-scalar multiplication WebAssembly module failed to load', { cause: error });
  }
  return exportsCache;
}

const align16 = (n: number): number => Math.ceil(n / 16) * 16;

/**
 * One batch of `count` points with up to `tables` decoded point tables sharing one scalar vector.
 * The module's memory is reused by the next batch, so use a batch before creating another.
 */
export class MsmBatch {
  readonly count: number;
  private readonly scalars: number;
  private readonly points: number;
  private readonly out: number;
  private readonly work: number;
  private readonly tables: number[];
  private readonly heap: Uint8Array;
  private readonly exports: MsmExports;

  constructor(count: number, tables: number) {
    const x = wasm();
    this.exports = x;
    this.count = count;
    let cursor = align16(x.__heap_base.value);
    const take = (size: number): number => {
      const at = cursor;
      cursor += align16(size);
      return at;
    };
    this.scalars = take(count * SCALAR_BYTES);
    this.points = take(count * POINT_BYTES);
    this.out = take(POINT_BYTES);
    this.work = take(x.msm_work_bytes(count));
    this.tables = [];
    for (let t = 0; t < tables; t++) this.tables.push(take(count * x.msm_table_bytes()));
    const needed = Math.ceil(cursor / PAGE_BYTES) - x.memory.buffer.byteLength / PAGE_BYTES;
    if (needed > 0) x.memory.grow(needed);
    // Read the buffer after growing: grow detaches the previous ArrayBuffer.
    this.heap = new Uint8Array(x.memory.buffer);
  }

  /** Sets scalar i (32 bytes little-endian, < L) from `source` at `offset`. */
  setScalar(i: number, source: Uint8Array, offset: number): void {
    this.heap.set(source.subarray(offset, offset + SCALAR_BYTES), this.scalars + i * SCALAR_BYTES);
  }

  /**
   * Decodes the packed `points` (count · 32 bytes) into table `table`, or only checks them when
   * `table` is undefined. Returns the index of the first point that is not a canonical encoding
   * (RFC 9496 §4.3.1) or, with `rejectIdentity`, is the identity (RFC 9497 §3.3); −1 if none.
   */
  decode(points: Uint8Array, table: number | undefined, rejectIdentity: boolean): number {
    this.heap.set(points, this.points);
    const tablePtr = table === undefined ? 0 : this.tables[table]!;
    const status = this.exports.decode_points(points.length / POINT_BYTES, this.points, tablePtr, rejectIdentity ? 1 : 0);
    return status === 0 ? -1 : -status - 1;
  }

  /** Σ scalar_i · point_i over a decoded table, encoded (the identity encodes as 32 zero bytes). */
  multiply(table: number): Uint8Array {
    this.exports.msm_table(this.count, this.scalars, this.tables[table]!, this.out, this.work);
    return this.heap.slice(this.out, this.out + POINT_BYTES);
  }
}

/**
 * Σ scalars_i · points_i for packed public scalars and points. Returns the encoding, or the index
 * of the first refused point as `{ invalid: i }`.
 */
export function multiScalarMult(
  scalars: Uint8Array,
  points: Uint8Array,
  rejectIdentity: boolean,
): { readonly sum: Uint8Array } | { readonly invalid: number } {
  const count = points.length / POINT_BYTES;
  const batch = new MsmBatch(count, 1);
  for (let i = 0; i < count; i++) batch.setScalar(i, scalars, i * SCALAR_BYTES);
  const invalid = batch.decode(points, 0, rejectIdentity);
  if (invalid >= 0) return { invalid };
  return { sum: batch.multiply(0) };
}
