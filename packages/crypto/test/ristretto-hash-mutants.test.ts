/**
 * How scalarMultPacked, hashToGroup(Many) and scalarBaseMult (src/ristretto255.ts, src/hash.ts)
 * use the batched module and libsodium, observed from outside:
 * - the batched module's chunk functions are wrapped (vi.mock, calling the real ones) to record
 *   each call, and libsodium's scalarmult export is spied on the module object `lib()` returns
 *   (as sodium-heap.test.ts does with its allocator). README: one point goes to libsodium, two or
 *   more to the batched module in calls of at most 256 points that never leave a single point
 *   for a call of its own; the results equal noble's either way;
 * - the identity checks that prime order makes unreachable (k·P with 0 < k < L, k·G, a hash to
 *   the identity) are reached by programming one result of the real call, and must give the
 *   documented typed errors naming the element.
 */
import { afterEach, describe, expect, it, vi } from 'vitest';
import sodium from 'libsodium-wrappers-sumo';
import { ristretto255, ristretto255_hasher } from '@noble/curves/ed25519.js';
import { CryptoError, InternalError } from '@venn/errors';
import { hashToGroup, hashToGroupMany, ready, scalarBaseMult, scalarMult, scalarMultPacked, sumPacked, validatePackedPoints } from '../src/index.js';
import * as batch from '../src/internal/batch.js';
import { slots } from '../src/internal/sodium.js';
import type { SodiumModule } from '../src/internal/sodium.js';
import { L, concatBytes, hex, refusal, scalarOf } from './vectors.js';

vi.mock('../src/internal/batch.js', async (importOriginal) => {
  const real = await importOriginal<typeof import('../src/internal/batch.js')>();
  return {
    ...real,
    secretScalarMultChunk: vi.fn(real.secretScalarMultChunk),
    hashToGroupChunk: vi.fn(real.hashToGroupChunk),
  };
});

await ready();
await sodium.ready;

const Point = ristretto255.Point;
const raw = (sodium as unknown as { libsodium: SodiumModule }).libsodium;
const encoder = new TextEncoder();
const DST = encoder.encode('HashToGroup-VENN-ristretto-hash-mutants');
const chunkCalls = vi.mocked(batch.secretScalarMultChunk);
const hashCalls = vi.mocked(batch.hashToGroupChunk);
const realChunk = chunkCalls.getMockImplementation()!;
const realHash = hashCalls.getMockImplementation()!;

afterEach(() => {
  chunkCalls.mockClear();
  hashCalls.mockClear();
  chunkCalls.mockImplementation(realChunk);
  hashCalls.mockImplementation(realHash);
  vi.restoreAllMocks();
});

/** c_i·G for c_i = 1000 + 37·i, with the logs, so noble's k·P_i is one fixed-base multiplication. */
function multiplesOfG(count: number) {
  const logs = Array.from({ length: count }, (_, i) => 1000n + 37n * BigInt(i));
  return { logs, points: concatBytes(...logs.map((c) => Point.BASE.multiply(c).toBytes())) };
}

describe('scalarMultPacked: which implementation gets which points', () => {
  it.each([
    [1, []],
    [2, [2]],
    [3, [3]],
    [255, [255]],
    [256, [256]],
    [257, [255, 2]],
    [258, [256, 2]],
    [511, [256, 255]],
    [512, [256, 256]],
    [513, [256, 255, 2]],
  ] as const)('%i points: batched calls of %j, libsodium only for a single point; results equal noble', (count, sizes) => {
    const { logs, points } = multiplesOfG(count);
    const k = L - 12345n;
    const sodiumCalls = vi.spyOn(raw, '_crypto_scalarmult_ristretto255');
    const out = scalarMultPacked(scalarOf(k), points);
    expect(chunkCalls.mock.calls.map(([, chunk]) => chunk.length / 32)).toEqual(sizes);
    expect(sodiumCalls).toHaveBeenCalledTimes(count === 1 ? 1 : 0);
    expect(hex(out)).toBe(logs.map((c) => hex(Point.BASE.multiply((k * c) % L).toBytes())).join(''));
  });

  it('one point right after scalarMult of another point: the libsodium path multiplies the point it was given', () => {
    const { logs, points } = multiplesOfG(2);
    const k = 987_654_321n;
    // scalarMult leaves its own point in the heap's point slot.
    expect(hex(scalarMult(scalarOf(k), points.subarray(32, 64)))).toBe(hex(Point.BASE.multiply((k * logs[1]!) % L).toBytes()));
    expect(hex(scalarMultPacked(scalarOf(k), points.subarray(0, 32)))).toBe(hex(Point.BASE.multiply((k * logs[0]!) % L).toBytes()));
  });

  it('no points: neither implementation is called', () => {
    const sodiumCalls = vi.spyOn(raw, '_crypto_scalarmult_ristretto255');
    expect(scalarMultPacked(scalarOf(5n), new Uint8Array(0))).toHaveLength(0);
    expect(chunkCalls).not.toHaveBeenCalled();
    expect(sodiumCalls).not.toHaveBeenCalled();
  });
});

describe('identity results the group cannot produce are refused (one result programmed)', () => {
  it('an identity output of the batched module is refused naming its global index', () => {
    const { points } = multiplesOfG(300);
    // Calls of 256 and 44 points; the second call's output 3 (points[259]) comes back as the identity.
    let call = 0;
    chunkCalls.mockImplementation((k, chunk, out) => {
      const refused = realChunk(k, chunk, out);
      if (call++ === 1) out.fill(0, 3 * 32, 4 * 32);
      return refused;
    });
    const { error, code, message } = refusal(() => scalarMultPacked(scalarOf(77n), points));
    expect(error).toBeInstanceOf(CryptoError);
    expect({ code, message }).toEqual({ code: 'identity-element', message: '"points[259]": the result of the scalar multiplication is the identity' });
  });

  it('an identity k·G reported by libsodium is an InternalError, and k is wiped', () => {
    const realBase = raw._crypto_scalarmult_ristretto255_base;
    vi.spyOn(raw, '_crypto_scalarmult_ristretto255_base').mockImplementation((out: number, scalar: number) => {
      realBase(out, scalar);
      return -1;
    });
    const { error, code, message } = refusal(() => scalarBaseMult(scalarOf(31n)));
    expect(error).toBeInstanceOf(InternalError);
    expect({ code, message }).toEqual({ code: 'identity-element', message: 'k·G is the identity for a canonical non-zero k' });
    const s = slots();
    expect(raw.HEAPU8.subarray(s.scalar, s.scalar + 32).every((b) => b === 0)).toBe(true);
  });

  /** Makes the hash of message `index` come back as the identity (32 zero bytes). */
  function identityHashAt(index: number): void {
    hashCalls.mockImplementation((msgs, start, end, prime, out, outOffset) => {
      realHash(msgs, start, end, prime, out, outOffset);
      if (index >= start && index < end) out.fill(0, outOffset + 32 * (index - start), outOffset + 32 * (index - start + 1));
    });
  }

  it('hashToGroupMany refuses a message that hashes to the identity, naming it (also in a later call)', () => {
    const msgs = Array.from({ length: 260 }, (_, i) => encoder.encode(`m${i}`));
    for (const index of [0, 3, 258]) {
      identityHashAt(index);
      const { error, code, message } = refusal(() => hashToGroupMany(msgs, DST));
      expect(error).toBeInstanceOf(CryptoError);
      expect({ code, message }).toEqual({ code: 'identity-element', message: `"msgs[${index}]" hashes to the identity element` });
    }
    hashCalls.mockImplementation(realHash);
    // Unprogrammed, the same messages hash as noble hashes them, in calls of 256 and 4 messages.
    hashCalls.mockClear();
    const out = hashToGroupMany(msgs, DST);
    expect(hashCalls.mock.calls.map(([, start, end]) => [start, end])).toEqual([[0, 256], [256, 260]]);
    for (const i of [0, 3, 255, 256, 259]) {
      expect(hex(out.subarray(32 * i, 32 * i + 32))).toBe(hex(ristretto255_hasher.hashToCurve(msgs[i]!, { DST }).toBytes()));
    }
  });

  it('hashToGroupMany calls the module once per 256 messages and not for an empty list', () => {
    for (const count of [0, 1, 256, 512]) {
      hashCalls.mockClear();
      const msgs = Array.from({ length: count }, (_, i) => encoder.encode(`n${i}`));
      expect(hashToGroupMany(msgs, DST)).toHaveLength(32 * count);
      const expected = Array.from({ length: Math.ceil(count / 256) }, (_, j) => [256 * j, Math.min(count, 256 * (j + 1))]);
      expect(hashCalls.mock.calls.map(([, start, end]) => [start, end])).toEqual(expected);
    }
  });

  it('hashToGroup refuses a message that hashes to the identity, naming msg', () => {
    identityHashAt(0);
    const { error, code, message } = refusal(() => hashToGroup(encoder.encode('x'), DST));
    expect(error).toBeInstanceOf(CryptoError);
    expect({ code, message }).toEqual({ code: 'identity-element', message: '"msg" hashes to the identity element' });
  });
});

describe('validatePackedPoints and sumPacked only look at the points they were given', () => {
  // Both copy each chunk of up to 256 points into one heap area; a refused call leaves its chunk there.
  const { logs, points } = multiplesOfG(257);
  const leaveBadChunk = (): void => {
    const list = points.slice(0, 40 * 32);
    list.fill(0xff, 30 * 32, 31 * 32);
    list.fill(0, 35 * 32, 36 * 32);
    expect(refusal(() => validatePackedPoints(list, 'list')).message).toContain('"list[30]"');
    expect(refusal(() => sumPacked(list)).message).toContain('"points[30]"');
  };
  const nobleSum = (count: number): string => hex(Point.BASE.multiply(logs.slice(0, count).reduce((a, b) => a + b, 0n) % L).toBytes());

  it.each([1, 3, 36, 256, 257])('%i valid points after a refused call are accepted and summed as noble sums them', (count) => {
    leaveBadChunk();
    expect(() => validatePackedPoints(points.subarray(0, 32 * count), 'list')).not.toThrow();
    leaveBadChunk();
    expect(hex(sumPacked(points.subarray(0, 32 * count)))).toBe(nobleSum(count));
  });
});
