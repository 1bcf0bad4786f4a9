/**
 * The package's own memory on libsodium's WebAssembly heap (src/internal/sodium.ts):
 * - the scratch region: every slot 16-byte aligned, disjoint, as large as documented and no larger
 *   in total; placed inside its allocation and zeroed at ready() even when malloc hands back
 *   dirty, misaligned memory; refusals (no module, no HEAPU8, a missing export, malloc returning
 *   0) are typed, name what is wrong, and ready() can be retried after one;
 * - withHeapBytes: the scratch message slot up to MSG_BYTES, above it a temporary allocation that
 *   is zeroed before it is freed, also when `use` throws;
 * - withBulk: the kept region starts at 64 KiB, is reused for every size it holds, grows by
 *   doubling up to 1 MiB (wiping and freeing the old one), and larger sizes get a one-off
 *   allocation that is zeroed and freed; malloc returning 0 is refused with the size asked for,
 *   and the kept region survives the refusal;
 * - wipeHeap zeroes exactly the range it is given.
 *
 * The allocator is observed by wrapping `_malloc` / `_free` of libsodium's module object (the one
 * `lib()` returns), and each withBulk test imports a fresh copy of sodium.ts (vi.resetModules) so
 * that it starts with no kept region whatever ran before it.
 */
import { afterEach, describe, expect, it, vi } from 'vitest';
import sodium from 'libsodium-wrappers-sumo';
import { expand_message_xmd } from '@noble/curves/abstract/hash-to-curve.js';
import { sha512 } from '@noble/hashes/sha2.js';
import { InternalError } from '@venn/errors';
import { CHUNK_POINTS, MSG_BYTES, UNIFORM_BYTES, lib, ready, slots, wipeHeap, withHeapBytes } from '../src/internal/sodium.js';
import type { Scratch, SodiumModule } from '../src/internal/sodium.js';
import { heapPattern, hex } from './vectors.js';

type SodiumInternals = typeof import('../src/internal/sodium.js');

await ready();
await sodium.ready;

/** libsodium's Emscripten module: the object sodium.ts calls `_malloc`, `_free` and `HEAPU8` on. */
const raw = (sodium as unknown as { libsodium: SodiumModule }).libsodium;
const realMalloc = raw._malloc;
const realFree = raw._free;
const KIB64 = 1 << 16;
const MIB = 1 << 20;

/** Every slot of the scratch region with the bytes it must hold. */
function slotSizes(s: Scratch): [keyof Scratch, number][] {
  return [
    ['scalar', 32], ['nonce', 32], ['product', 32], ['weight', 32], ['challenge', 32], ['response', 32],
    ['point', 32], ['out', 32], ['term', 32], ['accM', 32], ['accZ', 32], ['t2', 32], ['t3', 32],
    ['wide', 64], ['b0', 64], ['state', s.stateBytes], ['zpadState', s.stateBytes], ['msg', MSG_BYTES],
    ['uniform', UNIFORM_BYTES], ['chunkIn', CHUNK_POINTS * 32], ['chunkOut', CHUNK_POINTS * 32],
    ['seed', 32], ['publicKey', 32], ['secretKey', 64], ['signature', 64], ['aeadKey', 32], ['aeadNonce', 24],
    ['hashKey', 64], ['hashOut', 64],
  ];
}
const roundUp16 = (n: number): number => Math.ceil(n / 16) * 16;
/** Bytes the scratch region spans, from the documented slot sizes. */
const SCRATCH_BYTES = slotSizes(slots()).reduce((sum, [, size]) => sum + roundUp16(size), 0);


/** Scans the whole libsodium memory for a byte string (a fresh view: growth replaces HEAPU8). */
function onHeap(needle: Uint8Array): boolean {
  const heap = raw.HEAPU8;
  return Buffer.from(heap.buffer, heap.byteOffset, heap.length).indexOf(Buffer.from(needle)) !== -1;
}

const allZero = (from: number, to: number): boolean => raw.HEAPU8.subarray(from, to).every((byte) => byte === 0);

interface Allocator {
  /** Every successful malloc: size asked for and pointer returned. */
  readonly mallocs: { size: number; ptr: number }[];
  /** Every free: the pointer, and whether the whole allocation was zero when it was handed back. */
  readonly frees: { ptr: number; zeroed: boolean | undefined }[];
  /** When set, the next malloc returns 0 (and is not recorded in `mallocs`). */
  refuseNext: boolean;
  /** Calls malloc was asked for, refused ones included. */
  asked: number[];
}

let tracked: Allocator | undefined;

/** Wraps `_malloc` and `_free` of the module object; undone after each test. */
function trackAllocator(): Allocator {
  const sizes = new Map<number, number>();
  const allocator: Allocator = { mallocs: [], frees: [], refuseNext: false, asked: [] };
  vi.spyOn(raw, '_malloc').mockImplementation((size: number) => {
    allocator.asked.push(size);
    if (allocator.refuseNext) {
      allocator.refuseNext = false;
      return 0;
    }
    const ptr = realMalloc(size);
    sizes.set(ptr, size);
    allocator.mallocs.push({ size, ptr });
    return ptr;
  });
  vi.spyOn(raw, '_free').mockImplementation((ptr: number) => {
    const size = sizes.get(ptr);
    allocator.frees.push({ ptr, zeroed: size === undefined ? undefined : allZero(ptr, ptr + size) });
    sizes.delete(ptr);
    realFree(ptr);
  });
  tracked = allocator;
  return allocator;
}

afterEach(() => {
  vi.restoreAllMocks();
  // Hand back what a fresh module kept (its bulk region), so repeated runs do not grow the heap.
  if (tracked !== undefined) {
    const freed = new Set(tracked.frees.map(({ ptr }) => ptr));
    for (const { ptr } of tracked.mallocs) if (!freed.has(ptr)) realFree(ptr);
    tracked = undefined;
  }
});

/** A copy of sodium.ts with its own module state (no kept bulk region), and its error classes. */
async function freshSodium(): Promise<{ mod: SodiumInternals; errors: typeof import('@venn/errors') }> {
  vi.resetModules();
  const mod = await import('../src/internal/sodium.js');
  const errors = await import('@venn/errors');
  return { mod, errors };
}

/** Runs `run`, which must throw synchronously, and returns what it threw. */
function thrown(run: () => unknown): unknown {
  try {
    run();
  } catch (error) {
    return error;
  }
  throw new Error('expected a throw');
}

async function rejection(promise: Promise<unknown>): Promise<unknown> {
  try {
    await promise;
  } catch (error) {
    return error;
  }
  throw new Error('expected a rejection');
}

function expectInternal(error: unknown, errors: typeof import('@venn/errors'), code: string, message: string): void {
  expect(error).toBeInstanceOf(errors.InternalError);
  expect((error as InstanceType<typeof errors.InternalError>).code).toBe(code);
  expect((error as Error).message).toBe(message);
}

describe('scratch region layout', () => {
  it('every slot is 16-byte aligned, disjoint, as large as documented, and the region is packed', () => {
    const s = slots();
    expect(s.stateBytes).toBe(raw._crypto_hash_sha512_statebytes());
    const entries = slotSizes(s).map(([name, size]) => ({ name, at: s[name], size })).sort((a, b) => a.at - b.at);
    expect(entries).toHaveLength(29);
    for (const { name, at } of entries) expect([name, at % 16]).toEqual([name, 0]);
    for (let i = 1; i < entries.length; i++) {
      const before = entries[i - 1]!;
      expect([before.name, entries[i]!.at - before.at >= before.size]).toEqual([before.name, true]);
    }
    // No gaps beyond the 16-byte rounding: the region is exactly the rounded slot sizes.
    const last = entries[entries.length - 1]!;
    expect(roundUp16(last.at + last.size) - entries[0]!.at).toBe(SCRATCH_BYTES);
  });
});

describe('ready(): the scratch allocation', () => {
  it('lies inside its allocation, 16-byte aligned, and is zeroed even when malloc returns dirty, misaligned memory', async () => {
    const { mod } = await freshSodium();
    const index = await import('../src/index.js');
    const asked: { size: number; base: number }[] = [];
    // A real allocation, filled with 0xa5 and handed out 4 bytes in, so that it is not 16-byte aligned.
    vi.spyOn(raw, '_malloc').mockImplementationOnce((size: number) => {
      const real = realMalloc(size + 32);
      raw.HEAPU8.fill(0xa5, real, real + size + 32);
      asked.push({ size, base: real + 4 });
      return real + 4;
    });
    await index.ready();
    expect(asked).toHaveLength(1);
    const { size, base } = asked[0]!;
    expect(base % 16).not.toBe(0);
    const s = mod.slots();
    for (const [name, bytes] of slotSizes(s)) {
      // Each slot is aligned, and starts and ends inside the bytes malloc was asked for.
      expect([name, s[name] % 16, s[name] >= base, s[name] + bytes <= base + size]).toEqual([name, 0, true, true]);
    }
    expect(s.scalar - base).toBeLessThan(16);
    // Everything malloc returned is zero, except the SHA-512 state that has absorbed Z_pad.
    expect(allZero(base, s.zpadState)).toBe(true);
    expect(allZero(s.zpadState + s.stateBytes, base + size)).toBe(true);
    expect(allZero(s.zpadState, s.zpadState + s.stateBytes)).toBe(false);
    // Z_pad was absorbed from zeroed memory: expand_message_xmd matches an independent implementation.
    const msg = heapPattern(300, 1);
    const dst = new TextEncoder().encode('VENN-V1-sodium-heap');
    expect(hex(index.expandMessageXmd(msg, dst, 96))).toBe(hex(expand_message_xmd(msg, dst, 96, sha512)));
    realFree(base - 4);
  });

  it('refuses a malloc that returns 0 with the size it asked for; ready() then retries and runs once', async () => {
    const { mod, errors } = await freshSodium();
    const allocator = trackAllocator();
    allocator.refuseNext = true;
    const first = mod.ready();
    expectInternal(await rejection(first), errors, 'sodium-module', `libsodium malloc of ${SCRATCH_BYTES} bytes failed`);
    expect(allocator.asked).toEqual([SCRATCH_BYTES + 15]);
    expectInternal(thrown(() => mod.lib()), errors, 'not-ready', '@venn/crypto used before `await ready()` resolved');
    // A failed attempt is forgotten: the next call initialises again, and succeeds.
    const second = mod.ready();
    expect(second).not.toBe(first);
    await second;
    expect(mod.ready()).toBe(second);
    await mod.ready();
    expect(allocator.asked).toEqual([SCRATCH_BYTES + 15, SCRATCH_BYTES + 15]);
    expect(mod.lib()).toBe(raw);
    expect(mod.slots().scalar % 16).toBe(0);
  });

  it('lib(), slots() and wrapper() refuse with not-ready until ready() resolves', async () => {
    const { mod, errors } = await freshSodium();
    const message = '@venn/crypto used before `await ready()` resolved';
    expectInternal(thrown(() => mod.lib()), errors, 'not-ready', message);
    expectInternal(thrown(() => mod.slots()), errors, 'not-ready', message);
    expectInternal(thrown(() => mod.wrapper()), errors, 'not-ready', message);
    expectInternal(thrown(() => mod.wipeHeap(0, 0)), errors, 'not-ready', message);
    expectInternal(thrown(() => mod.withBulk(1, () => 0)), errors, 'not-ready', message);
    await mod.ready();
    expect(mod.wrapper()).toBe(sodium);
    expect(mod.lib()).toBe(raw);
  });
});

describe('ready(): a libsodium build it cannot use', () => {
  const REQUIRED = [
    '_malloc', '_free', '_crypto_hash_sha512', '_crypto_hash_sha512_init', '_crypto_hash_sha512_update',
    '_crypto_hash_sha512_final', '_crypto_hash_sha512_statebytes', '_crypto_core_ristretto255_is_valid_point',
    '_crypto_core_ristretto255_add', '_crypto_core_ristretto255_from_hash', '_crypto_core_ristretto255_scalar_reduce',
    '_crypto_core_ristretto255_scalar_mul', '_crypto_core_ristretto255_scalar_sub', '_crypto_scalarmult_ristretto255',
    '_crypto_scalarmult_ristretto255_base', '_crypto_sign_seed_keypair', '_crypto_sign_detached',
    '_crypto_sign_verify_detached', '_randombytes_buf', '_crypto_aead_xchacha20poly1305_ietf_encrypt',
    '_crypto_aead_xchacha20poly1305_ietf_decrypt', '_crypto_generichash',
  ];

  /** sodium.ts loaded against a wrapper whose `libsodium` is `module`; returns ready()'s rejection. */
  async function readyWith(module: unknown): Promise<{ error: unknown; errors: typeof import('@venn/errors') }> {
    vi.resetModules();
    vi.doMock('libsodium-wrappers-sumo', () => ({ default: { ready: Promise.resolve(), libsodium: module } }));
    try {
      const { mod, errors } = await freshSodium();
      const error = await rejection(mod.ready());
      expectInternal(thrown(() => mod.lib()), errors, 'not-ready', '@venn/crypto used before `await ready()` resolved');
      return { error, errors };
    } finally {
      vi.doUnmock('libsodium-wrappers-sumo');
      vi.resetModules();
    }
  }

  /** The real module with one property hidden. */
  const without = (name: string): unknown => new Proxy(raw, { get: (target, key, receiver) => (key === name ? undefined : Reflect.get(target, key, receiver)) });

  it('no module object at all', async () => {
    const { error, errors } = await readyWith(undefined);
    expectInternal(error, errors, 'sodium-module', 'libsodium-wrappers-sumo does not expose its WebAssembly module');
  });

  it('a module without a HEAPU8 byte view', async () => {
    for (const module of [without('HEAPU8'), new Proxy(raw, { get: (target, key) => (key === 'HEAPU8' ? new Int8Array(16) : Reflect.get(target, key)) })]) {
      const { error, errors } = await readyWith(module);
      expectInternal(error, errors, 'sodium-module', 'libsodium-wrappers-sumo does not expose its WebAssembly module');
    }
  });

  it.each(REQUIRED)('a module without %s (not the sumo build) is refused, naming it', async (name) => {
    expect(typeof (raw as unknown as Record<string, unknown>)[name]).toBe('function');
    const { error, errors } = await readyWith(without(name));
    expectInternal(error, errors, 'sodium-module', `libsodium module lacks export ${name}; the sumo build is required`);
  });

  it('the real module, passed the same way, is accepted (the refusals above are about the missing piece)', async () => {
    vi.resetModules();
    vi.doMock('libsodium-wrappers-sumo', () => ({ default: { ready: Promise.resolve(), libsodium: without('_not_an_export') } }));
    try {
      const { mod } = await freshSodium();
      await mod.ready();
      expect(mod.slots().scalar % 16).toBe(0);
    } finally {
      vi.doUnmock('libsodium-wrappers-sumo');
      vi.resetModules();
    }
  });
});

describe('withHeapBytes', () => {
  it(`up to ${MSG_BYTES} bytes: placed in the scratch message slot, no malloc`, () => {
    const allocator = trackAllocator();
    for (const length of [0, 1, MSG_BYTES - 1, MSG_BYTES]) {
      const bytes = heapPattern(length, 10 + length);
      const seen = withHeapBytes(bytes, (ptr) => ({ ptr, held: raw.HEAPU8.slice(ptr, ptr + length) }));
      expect(seen.ptr).toBe(slots().msg);
      expect(hex(seen.held)).toBe(hex(bytes));
    }
    expect(allocator.asked).toEqual([]);
    expect(allocator.frees).toEqual([]);
  });

  it(`over ${MSG_BYTES} bytes: a temporary allocation, zeroed before it is freed, also when use throws`, () => {
    const allocator = trackAllocator();
    const bytes = heapPattern(MSG_BYTES + 1, 20);
    const seen = withHeapBytes(bytes, (ptr) => ({ ptr, held: raw.HEAPU8.slice(ptr, ptr + bytes.length) }));
    expect(hex(seen.held)).toBe(hex(bytes));
    expect(allocator.mallocs).toEqual([{ size: MSG_BYTES + 1, ptr: seen.ptr }]);
    expect(seen.ptr).not.toBe(slots().msg);
    expect(allocator.frees).toEqual([{ ptr: seen.ptr, zeroed: true }]);
    expect(onHeap(bytes.subarray(2000, 2064))).toBe(false);

    const failure = new Error('use failed');
    const big = heapPattern(10_000, 21);
    let at = 0;
    expect(thrown(() => withHeapBytes(big, (ptr) => {
      at = ptr;
      throw failure;
    }))).toBe(failure);
    expect(allocator.mallocs[1]).toEqual({ size: 10_000, ptr: at });
    expect(allocator.frees[1]).toEqual({ ptr: at, zeroed: true });
    expect(onHeap(big.subarray(5000, 5064))).toBe(false);
  });

  it('malloc returning 0 is refused with the size, before use runs', () => {
    const allocator = trackAllocator();
    allocator.refuseNext = true;
    const use = vi.fn(() => 1);
    const error = thrown(() => withHeapBytes(new Uint8Array(5000), use));
    expect(error).toBeInstanceOf(InternalError);
    expect((error as InternalError).code).toBe('sodium-module');
    expect((error as Error).message).toBe('libsodium malloc of 5000 bytes failed');
    expect(use).not.toHaveBeenCalled();
    expect(allocator.frees).toEqual([]);
  });
});

describe('withBulk: the kept region', () => {
  it('starts at 64 KiB and is reused, at the same address, for every size it holds', async () => {
    const { mod } = await freshSodium();
    await mod.ready();
    const allocator = trackAllocator();
    const ptrs = [1, KIB64, 100, KIB64 - 1, KIB64].map((size) => mod.withBulk(size, (ptr) => ptr));
    expect(allocator.mallocs).toHaveLength(1);
    expect(allocator.mallocs[0]!.size).toBe(KIB64);
    expect(ptrs).toEqual(Array(5).fill(allocator.mallocs[0]!.ptr));
    expect(allocator.frees).toEqual([]);
    // The value use returns is withBulk's result.
    expect(mod.withBulk(10, (ptr) => `at ${ptr}`)).toBe(`at ${allocator.mallocs[0]!.ptr}`);
  });

  it('grows by doubling (or to the size asked, if larger) up to 1 MiB, zeroing and freeing each old region', async () => {
    const { mod } = await freshSodium();
    await mod.ready();
    const allocator = trackAllocator();
    // Each call leaves a pattern behind (breaking use's contract) to show the old region is wiped anyway.
    const steps = [
      { size: 1000, grown: KIB64 },
      { size: KIB64 + 1, grown: 2 * KIB64 },
      { size: 300_000, grown: 300_000 },
      { size: 300_001, grown: 600_000 },
      { size: MIB, grown: MIB },
    ];
    const left: Uint8Array[] = [];
    const ptrs = steps.map(({ size }, i) => mod.withBulk(size, (ptr) => {
      const junk = heapPattern(size, 100 + i);
      raw.HEAPU8.set(junk, ptr);
      left.push(junk);
      return ptr;
    }));
    expect(allocator.mallocs.map(({ size }) => size)).toEqual(steps.map(({ grown }) => grown));
    expect(ptrs).toEqual(allocator.mallocs.map(({ ptr }) => ptr));
    // Exactly the regions it allocated are handed back, each one all zero, in order.
    expect(allocator.frees).toEqual(ptrs.slice(0, -1).map((ptr) => ({ ptr, zeroed: true })));
    for (const junk of left.slice(0, -1)) expect(onHeap(junk.subarray(junk.length >> 1, (junk.length >> 1) + 64))).toBe(false);
    // The 1 MiB region is kept: any size up to it reuses it.
    raw.HEAPU8.fill(0, ptrs[4]!, ptrs[4]! + MIB);
    expect(mod.withBulk(MIB, (ptr) => ptr)).toBe(ptrs[4]);
    expect(mod.withBulk(1, (ptr) => ptr)).toBe(ptrs[4]);
    expect(allocator.mallocs).toHaveLength(5);
  });

  it('over 1 MiB: a one-off allocation of exactly that size, zeroed and freed, also when use throws; the kept region stays', async () => {
    const { mod } = await freshSodium();
    await mod.ready();
    const allocator = trackAllocator();
    const kept = mod.withBulk(MIB, (ptr) => ptr);
    expect(allocator.mallocs).toEqual([{ size: MIB, ptr: kept }]);

    const junk = heapPattern(MIB + 1, 7);
    const once = mod.withBulk(MIB + 1, (ptr) => {
      raw.HEAPU8.set(junk, ptr);
      return ptr;
    });
    expect(once).not.toBe(kept);
    expect(allocator.mallocs[1]).toEqual({ size: MIB + 1, ptr: once });
    expect(allocator.frees).toEqual([{ ptr: once, zeroed: true }]);
    expect(onHeap(junk.subarray(MIB >> 1, (MIB >> 1) + 64))).toBe(false);

    const failure = new Error('use failed');
    let at = 0;
    const junk2 = heapPattern(2 * MIB, 8);
    expect(thrown(() => mod.withBulk(2 * MIB, (ptr) => {
      at = ptr;
      raw.HEAPU8.set(junk2, ptr);
      throw failure;
    }))).toBe(failure);
    expect(allocator.mallocs[2]).toEqual({ size: 2 * MIB, ptr: at });
    expect(allocator.frees[1]).toEqual({ ptr: at, zeroed: true });
    expect(onHeap(junk2.subarray(MIB, MIB + 64))).toBe(false);

    // The kept 1 MiB region was neither replaced nor freed.
    expect(mod.withBulk(5, (ptr) => ptr)).toBe(kept);
    expect(allocator.mallocs).toHaveLength(3);
    expect(allocator.frees.map(({ ptr }) => ptr)).not.toContain(kept);
  });

  it('malloc returning 0 is refused with the size asked of malloc, before use runs; the kept region survives', async () => {
    const { mod, errors } = await freshSodium();
    await mod.ready();
    const allocator = trackAllocator();
    const kept = mod.withBulk(10, (ptr) => ptr);
    const use = vi.fn((ptr: number) => ptr);

    allocator.refuseNext = true;
    expectInternal(thrown(() => mod.withBulk(KIB64 + 1, use)), errors, 'sodium-module', `libsodium malloc of ${2 * KIB64} bytes failed`);
    allocator.refuseNext = true;
    expectInternal(thrown(() => mod.withBulk(MIB + 1, use)), errors, 'sodium-module', `libsodium malloc of ${MIB + 1} bytes failed`);
    expect(use).not.toHaveBeenCalled();
    expect(allocator.asked).toEqual([KIB64, 2 * KIB64, MIB + 1]);
    expect(allocator.frees).toEqual([]);

    expect(mod.withBulk(KIB64, (ptr) => ptr)).toBe(kept);
    expect(mod.withBulk(KIB64 + 1, (ptr) => ptr)).not.toBe(kept);
    expect(allocator.frees).toEqual([{ ptr: kept, zeroed: true }]);
  });
});

describe('wipeHeap', () => {
  it('zeroes exactly [ptr, ptr + length)', () => {
    const ptr = realMalloc(64);
    try {
      raw.HEAPU8.fill(0xa5, ptr, ptr + 64);
      wipeHeap(ptr + 8, 32);
      expect(allZero(ptr + 8, ptr + 40)).toBe(true);
      expect(raw.HEAPU8.slice(ptr, ptr + 8).every((byte) => byte === 0xa5)).toBe(true);
      expect(raw.HEAPU8.slice(ptr + 40, ptr + 64).every((byte) => byte === 0xa5)).toBe(true);
      expect(lib()).toBe(raw);
    } finally {
      raw.HEAPU8.fill(0, ptr, ptr + 64);
      realFree(ptr);
    }
  });
});
