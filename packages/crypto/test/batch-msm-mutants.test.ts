/**
 * The two WebAssembly loaders (src/internal/batch.ts, src/internal/msm.ts) at their chunk
 * boundaries and with stale scratch contents:
 * - fromUniformBytesBatch (RFC 9496 §4.3.4, 256 blocks per module call) against noble for counts
 *   around one and two chunks, each right after a larger call with other data left in the
 *   module's message and output areas, and on a fresh module;
 * - hashToGroupMany over three module calls with message lengths that differ between calls;
 * - the batched module's layout as batchModuleMemory reports it (packed after the stack);
 * - multiScalarMult / MsmBatch against noble for sizes below and above earlier batches, and the
 *   two tables of one batch kept apart;
 * - a WebAssembly module that fails to load is a typed InternalError with its cause.
 */
import { afterEach, describe, expect, it, vi } from 'vitest';
import { ristretto255, ristretto255_hasher } from '@noble/curves/ed25519.js';
import { sha512 } from '@noble/hashes/sha2.js';
import { hashToGroupMany, ready } from '../src/index.js';
import { HASH_CHUNK_MESSAGES, SCALARMULT_CHUNK_POINTS, batchModuleMemory, fromUniformBytesBatch } from '../src/internal/batch.js';
import { MsmBatch, multiScalarMult } from '../src/internal/msm.js';
import { L, concatBytes, hex, scalarOf } from './vectors.js';

await ready();

const Point = ristretto255.Point;
const encoder = new TextEncoder();
const DST = encoder.encode('HashToGroup-VENN-batch-msm-mutants');

/** `count` 64-byte blocks, SHA-512 of a label and the index: distinct for every label. */
const uniformBlocks = (label: string, count: number): Uint8Array =>
  concatBytes(...Array.from({ length: count }, (_, i) => sha512(encoder.encode(`${label} ${i}`))));

/** noble's RFC 9496 §4.3.4 element derivation, block by block, packed. */
function nobleFromUniform(uniform: Uint8Array): string {
  let out = '';
  for (let i = 0; i < uniform.length; i += 64) out += hex(ristretto255_hasher.deriveToCurve!(uniform.subarray(i, i + 64)).toBytes());
  return out;
}

afterEach(() => {
  vi.unstubAllGlobals();
});

describe('fromUniformBytesBatch (256 blocks per module call) equals noble', () => {
  // First in this file: the module instance is fresh. (Its first memory already holds the message
  // area of a full chunk of blocks, 16 KiB, so only hashToGroupMany's longer messages make it grow.)
  it('on first use: one full chunk and one more block', () => {
    const uniform = uniformBlocks('first', HASH_CHUNK_MESSAGES + 1);
    expect(hex(fromUniformBytesBatch(uniform))).toBe(nobleFromUniform(uniform));
  });

  it.each([1, 2, 255, 256, 257, 258, 511, 512, 513])('%i blocks, right after 600 blocks of other data', (count) => {
    // The larger call leaves its own blocks and results in the message and output areas.
    fromUniformBytesBatch(uniformBlocks(`stale ${count}`, 600));
    const uniform = uniformBlocks(`fresh ${count}`, count);
    const out = fromUniformBytesBatch(uniform);
    expect(out).toHaveLength(32 * count);
    expect(hex(out)).toBe(nobleFromUniform(uniform));
  });

  it('the same blocks give the same elements whatever ran before (no carry-over between calls)', () => {
    const uniform = uniformBlocks('again', 300);
    const first = hex(fromUniformBytesBatch(uniform));
    fromUniformBytesBatch(uniformBlocks('between', 44));
    expect(hex(fromUniformBytesBatch(uniform))).toBe(first);
    expect(hex(fromUniformBytesBatch(new Uint8Array(0)))).toBe('');
  });
});

describe('hashToGroupMany over several module calls equals noble', () => {
  it('message lengths that differ from call to call (each call sets every length it uses)', () => {
    // Lengths chosen so that position j of each 256-message call has a different length in every call.
    const lengthOf = (i: number): number => ((i % HASH_CHUNK_MESSAGES) * 3 + Math.floor(i / HASH_CHUNK_MESSAGES) * 7) % 97;
    const before = Array.from({ length: 2 * HASH_CHUNK_MESSAGES }, (_, i) => new Uint8Array(90 - (i % 80)).fill(i & 0xff));
    hashToGroupMany(before, DST);
    const msgs = Array.from({ length: 2 * HASH_CHUNK_MESSAGES + 3 }, (_, i) => new Uint8Array(lengthOf(i)).fill((i * 13) & 0xff));
    const out = hashToGroupMany(msgs, DST);
    const expected = msgs.map((msg) => hex(ristretto255_hasher.hashToCurve(msg, { DST }).toBytes()));
    for (let i = 0; i < msgs.length; i++) expect(hex(out.subarray(32 * i, 32 * i + 32)), `msgs[${i}]`).toBe(expected[i]);
  });
});

describe('batchModuleMemory reports the layout the loader uses', () => {
  it('scalar slot, then points and outputs of one call, then the work area, packed after the stack', () => {
    const { memory, stack, work, scalar } = batchModuleMemory();
    const align16 = (n: number): number => Math.ceil(n / 16) * 16;
    expect(stack[0]).toBeLessThan(stack[1]);
    expect(scalar).toBe(align16(stack[1]));
    // 32-byte scalar, SCALARMULT_CHUNK_POINTS input points, as many output points (all 16-aligned already).
    expect(work[0]).toBe(scalar + 32 + 2 * SCALARMULT_CHUNK_POINTS * 32);
    expect(work[1]).toBeGreaterThan(work[0]);
    expect(work[1]).toBeLessThanOrEqual(memory.length);
    expect(work[0] % 16).toBe(0);
  });
});

/** Σ s_i·(c_i·G) computed by noble as (Σ s_i·c_i)·G. */
function nobleSum(scalars: readonly bigint[], logs: readonly bigint[]): string {
  const total = scalars.reduce((acc, s, i) => (acc + s * logs[i]!) % L, 0n);
  return total === 0n ? '00'.repeat(32) : hex(Point.BASE.multiply(total).toBytes());
}

function msmCase(label: string, n: number) {
  const logs = Array.from({ length: n }, (_, i) => (BigInt('0x' + hex(sha512(encoder.encode(`${label} log ${i}`)))) % (L - 1n)) + 1n);
  const scalars = Array.from({ length: n }, (_, i) => BigInt('0x' + hex(sha512(encoder.encode(`${label} s ${i}`)))) % L);
  const points = concatBytes(...logs.map((c) => Point.BASE.multiply(c).toBytes()));
  return { logs, scalars, points, packedScalars: concatBytes(...scalars.map(scalarOf)) };
}

describe('multiScalarMult equals noble after larger batches left their scalars and tables behind', () => {
  it.each([1, 2, 3, 16, 17, 64, 65, 300])('%i points after 400 others', (n) => {
    const big = msmCase(`big ${n}`, 400);
    const before = multiScalarMult(big.packedScalars, big.points, true);
    expect(before).toEqual({ sum: expect.any(Uint8Array) });
    const c = msmCase(`case ${n}`, n);
    const result = multiScalarMult(c.packedScalars, c.points, true);
    if (!('sum' in result)) throw new Error(`point ${result.invalid} refused`);
    expect(hex(result.sum)).toBe(nobleSum(c.scalars, c.logs));
  });

  it('MsmBatch: two tables share one scalar vector and stay apart; a check-only decode leaves both', () => {
    const C = msmCase('table C', 5);
    const D = msmCase('table D', 5);
    const batch = new MsmBatch(5, 2);
    for (let i = 0; i < 5; i++) batch.setScalar(i, C.packedScalars, 32 * i);
    expect(batch.decode(C.points, 0, true)).toBe(-1);
    expect(batch.decode(D.points, 1, true)).toBe(-1);
    // Only checked, not decoded into a table.
    expect(batch.decode(msmCase('other', 5).points, undefined, true)).toBe(-1);
    expect(hex(batch.multiply(0))).toBe(nobleSum(C.scalars, C.logs));
    expect(hex(batch.multiply(1))).toBe(nobleSum(C.scalars, D.logs));
  });

  it('setScalar reads 32 bytes at the given offset of a larger buffer', () => {
    const c = msmCase('offset', 3);
    const buffer = concatBytes(new Uint8Array(7), c.packedScalars, new Uint8Array(5).fill(0xff));
    const batch = new MsmBatch(3, 1);
    for (let i = 0; i < 3; i++) batch.setScalar(i, buffer, 7 + 32 * i);
    expect(batch.decode(c.points, 0, true)).toBe(-1);
    expect(hex(batch.multiply(0))).toBe(nobleSum(c.scalars, c.logs));
  });
});

describe('a WebAssembly module that does not load is a typed InternalError', () => {
  const broken = new Error('no WebAssembly here');
  /** Fresh copies of the loaders that see a WebAssembly whose Module constructor throws. */
  async function freshLoaders() {
    vi.resetModules();
    const sodiumFresh = await import('../src/internal/sodium.js');
    await sodiumFresh.ready();
    const errors = await import('@venn/errors');
    vi.stubGlobal('WebAssembly', {
      Module: class {
        constructor() {
          throw broken;
        }
      },
      Instance: (globalThis as unknown as { WebAssembly: { Instance: unknown } }).WebAssembly.Instance,
    });
    const batch = await import('../src/internal/batch.js');
    const msm = await import('../src/internal/msm.js');
    vi.unstubAllGlobals();
    return { batch, msm, errors };
  }

  function caught(run: () => unknown): unknown {
    try {
      run();
    } catch (error) {
      return error;
    }
    throw new Error('expected a throw');
  }

  it('the batched ristretto255 module: ristretto-module, with the cause', async () => {
    const { batch, errors } = await freshLoaders();
    const error = caught(() => batch.fromUniformBytesBatch(new Uint8Array(64)));
    expect(error).toBeInstanceOf(errors.InternalError);
    expect(error).toMatchObject({
      code: 'ristretto-module',
      message: 'the batched ristretto255 WebAssembly module failed to load',
      cause: broken,
    });
  });

  it('the multi-scalar multiplication module: msm-module, with the cause', async () => {
    const { msm, errors } = await freshLoaders();
    const error = caught(() => new msm.MsmBatch(1, 1));
    expect(error).toBeInstanceOf(errors.InternalError);
    expect(error).toMatchObject({
      code: 'msm-module',
      message: 'the multi-scalar multiplication WebAssembly module failed to load',
      cause: broken,
    });
  });
});
