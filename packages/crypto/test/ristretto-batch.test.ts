/**
 * The batched ristretto255 module (wasm/ristretto.c) behind scalarMultPacked and hashToGroupMany:
 * equal to libsodium (scalar multiplication) and noble (hash-to-group) byte for byte on random and
 * edge-case scalars, points and messages; strict decoding with the same typed errors; and no
 * secret left in the module's memory after a call, on success or on error.
 */
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import sodium from 'libsodium-wrappers-sumo';
import { ristretto255_hasher } from '@noble/curves/ed25519.js';
import { CryptoError } from '@venn/errors';
import { hashToGroupMany, ready, scalarBaseMult, scalarMultPacked } from '../src/index.js';
import { batchModuleMemory } from '../src/internal/batch.js';
import { RISTRETTO_WASM_BASE64, RISTRETTO_WASM_SHA256 } from '../src/internal/ristretto-wasm.js';
import { sha256 } from '@noble/hashes/sha2.js';
import { L, concatBytes, hex, loadVectors, scalarOf, scalarToBigint, unhex } from './vectors.js';

await ready();
await sodium.ready;

const encoder = new TextEncoder();
const DST = encoder.encode('HashToGroup-VENN-batch-test');
const mod = (value: bigint): bigint => ((value % L) + L) % L;
const half = (value: bigint): bigint => mod(value * ((L + 1n) / 2n));

/** libsodium's own scalarmult (the wrapper), point by point: an independent implementation. */
function sodiumMultiply(k: Uint8Array, points: Uint8Array): string {
  let out = '';
  for (let i = 0; i < points.length; i += 32) out += hex(sodium.crypto_scalarmult_ristretto255(k, points.subarray(i, i + 32)));
  return out;
}

/**
 * Edge scalars. The module multiplies by k/2 mod L in signed radix-16 digits and doubles at the
 * end, so besides the usual suspects (1, L-1, powers of two, the top bit of L set, all-ones
 * reduced) there are scalars whose halves have extreme digits (all 8, all 7, all 15).
 */
const EDGE_SCALARS: readonly bigint[] = [
  1n, 2n, 3n, 7n, 8n, 9n, 15n, 16n, 17n, 31n, 255n, 256n,
  L - 1n, L - 2n, L - 3n, (L - 1n) / 2n, (L + 1n) / 2n, (L + 3n) / 2n,
  2n ** 252n, 2n ** 252n + 1n, 2n ** 252n - 1n, 2n ** 251n, 2n ** 128n, 2n ** 127n - 1n,
  mod(2n ** 256n - 1n), mod(2n ** 255n - 1n), mod(2n ** 253n - 1n),
  mod(BigInt('0x' + '55'.repeat(32))), mod(BigInt('0x' + 'aa'.repeat(32))),
  mod(2n * BigInt('0x' + '88'.repeat(31) + '08')), mod(2n * BigInt('0x' + '77'.repeat(31) + '07')),
  mod(2n * BigInt('0x' + 'ff'.repeat(31) + '0f')), mod(2n * BigInt('0x' + '80'.repeat(31) + '08')),
  mod(2n * (L - 1n)), mod(2n * (2n ** 252n - 1n)),
].map((value) => {
  if (value <= 0n || value >= L) throw new Error(`edge scalar out of range: ${value}`);
  return value;
});

const G = scalarBaseMult(scalarOf(1));
const MULTIPLES = loadVectors<{ multiples_of_generator: { encodings: string[] } }>('rfc9496-ristretto255.json')
  .multiples_of_generator.encodings.slice(1)
  .map(unhex);

/**
 * Points whose encodings have edge bytes: found among hashes of a counter (deterministic), the
 * first few with a zero low byte, a zero top byte, the largest top byte 0x7f (with and without
 * 0xe0 or more below it), a 0xfe low byte, and a zero or 0xff byte in the middle.
 */
const EDGE_POINTS: readonly Uint8Array[] = (() => {
  const candidates = hashToGroupMany(Array.from({ length: 6000 }, (_, i) => encoder.encode(`edge ${i}`)), DST);
  const wanted: ((s: Uint8Array) => boolean)[] = [
    (s) => s[0] === 0,
    (s) => s[31] === 0,
    (s) => s[31] === 0x7f,
    (s) => s[31] === 0x7f && s[30]! >= 0xe0,
    (s) => s[0] === 0xfe,
    (s) => s[15] === 0,
    (s) => s[16] === 0xff,
  ];
  const found: Uint8Array[] = [];
  for (const test of wanted) {
    let hits = 0;
    for (let i = 0; i < candidates.length && hits < 2; i += 32) {
      const s = candidates.subarray(i, i + 32);
      if (test(s)) {
        found.push(s.slice());
        hits++;
      }
    }
    if (hits === 0) throw new Error('edge point search found nothing; enlarge the candidate set');
  }
  return found;
})();
const FIXED_POINTS = [G, ...MULTIPLES, ...EDGE_POINTS];

const randomScalarArb = fc.bigInt({ min: 1n, max: L - 1n });
const scalarArb = fc.oneof(fc.constantFrom(...EDGE_SCALARS), randomScalarArb);
const pointArb = fc.oneof(
  fc.constantFrom(...FIXED_POINTS),
  fc.uint8Array({ maxLength: 48 }).map((msg) => hashToGroupMany([msg], DST)),
);

describe('generated module', () => {
  it('matches the SHA-256 recorded in its header', () => {
    expect(hex(sha256(Buffer.from(RISTRETTO_WASM_BASE64, 'base64')))).toBe(RISTRETTO_WASM_SHA256);
  });
});

describe('scalarMultPacked (batched, constant time) equals libsodium point by point', () => {
  it('on every edge scalar times every fixed point', () => {
    const points = concatBytes(...FIXED_POINTS);
    for (const k of EDGE_SCALARS) {
      expect(hex(scalarMultPacked(scalarOf(k), points)), `k = ${k}`).toBe(sodiumMultiply(scalarOf(k), points));
    }
  });

  it('on random and edge scalars with random and edge points', () => {
    fc.assert(
      fc.property(scalarArb, fc.array(pointArb, { minLength: 2, maxLength: 24 }), (k, list) => {
        const points = concatBytes(...list);
        expect(hex(scalarMultPacked(scalarOf(k), points))).toBe(sodiumMultiply(scalarOf(k), points));
      }),
      { numRuns: 300 },
    );
  });

  it('matches the RFC 9496 table: j·(i·B) = (i·j)·B', () => {
    const points = concatBytes(...MULTIPLES);
    for (let j = 1; j <= 15; j++) {
      const out = scalarMultPacked(scalarOf(j), points);
      for (let i = 1; i * j <= 15; i++) {
        expect(hex(out.subarray(32 * (i - 1), 32 * i))).toBe(hex(MULTIPLES[i * j - 1]!));
      }
    }
  });

  it('k·P and (L-k)·P are inverses, and halving scalars round-trips (k = 2·(k/2))', () => {
    fc.assert(
      fc.property(randomScalarArb, fc.array(pointArb, { minLength: 2, maxLength: 6 }), (k, list) => {
        const points = concatBytes(...list);
        const kP = scalarMultPacked(scalarOf(k), points);
        const halfThenDouble = scalarMultPacked(scalarOf(2n), scalarMultPacked(scalarOf(half(k)), points));
        expect(hex(halfThenDouble)).toBe(hex(kP));
        const negated = scalarMultPacked(scalarOf(L - k), points);
        for (let i = 0; i < list.length; i++) {
          const sum = sodium.crypto_core_ristretto255_add(kP.subarray(32 * i, 32 * i + 32), negated.subarray(32 * i, 32 * i + 32));
          expect(hex(sum)).toBe('00'.repeat(32));
        }
      }),
      { numRuns: 40 },
    );
  });

  it.each([2, 3, 4, 255, 256, 257, 258, 511, 512, 513])('keeps order across call boundaries (n = %i)', (n) => {
    const points = hashToGroupMany(Array.from({ length: n }, (_, i) => encoder.encode(`order ${n} ${i}`)), DST);
    const k = scalarOf(mod(BigInt('0x' + hex(sodium.randombytes_buf(40)))) || 1n);
    expect(hex(scalarMultPacked(k, points))).toBe(sodiumMultiply(k, points));
  });
});

describe('scalarMultPacked refuses bad scalars before the module sees them', () => {
  it.each([
    ['zero', 0n],
    ['L', L],
    ['L + 1', L + 1n],
    ['2^256 - 1', 2n ** 256n - 1n],
  ])('%s is invalid-scalar, for one point and for a batch', (_name, value) => {
    const bytes = scalarOf(value);
    for (const points of [G, concatBytes(G, G, G)]) {
      expect(() => scalarMultPacked(bytes, points)).toThrow(expect.objectContaining({ code: 'invalid-scalar' }));
    }
  });
});

describe('scalarMultPacked refuses bad points exactly as before', () => {
  const k = scalarOf(11);
  const bad = [
    ['identity', new Uint8Array(32), 'identity-element'],
    ['non-canonical (p)', unhex('edffffffffffffffffffffffffffffffffffffffffffffffffffffffffffff7f'), 'non-canonical-point'],
    ['negative', unhex('0100000000000000000000000000000000000000000000000000000000000000'), 'non-canonical-point'],
    ['top bit set', unhex('e2f2ae0a6abc4e71a884a961c500515f58e30b6aa582dd8db6a65945e08d2df6'), 'non-canonical-point'],
    ['not on the curve', unhex('0200000000000000000000000000000000000000000000000000000000000000'), 'non-canonical-point'],
  ] as const;

  it.each(bad.flatMap(([name, bytes, code]) => [0, 1, 2, 255, 256, 300].map((at) => [name, at, bytes, code] as const)))(
    '%s at index %i',
    (_name, at, bytes, code) => {
      const list = Array.from({ length: 301 }, (_, i) => (i === at ? bytes : MULTIPLES[i % MULTIPLES.length]!));
      // A second bad point later must not win over the first.
      if (at + 1 < list.length) list[at + 1] = new Uint8Array(32).fill(0xff);
      let caught: unknown;
      try {
        scalarMultPacked(k, concatBytes(...list));
      } catch (error) {
        caught = error;
      }
      expect(caught).toBeInstanceOf(CryptoError);
      expect(caught).toMatchObject({ code });
      expect((caught as Error).message).toContain(`"points[${at}]"`);
    },
  );
});

describe('no secret left in the module memory', () => {
  const region = batchModuleMemory();
  const onMemory = (needle: Uint8Array): boolean => {
    const memory = batchModuleMemory().memory;
    return Buffer.from(memory.buffer, memory.byteOffset, memory.length).indexOf(Buffer.from(needle)) !== -1;
  };
  const allZero = (from: number, to: number): boolean => batchModuleMemory().memory.subarray(from, to).every((b) => b === 0);
  /** The module's signed radix-16 digits of k/2 mod L (each digit one signed byte). */
  const digitsOfHalf = (k: bigint): Uint8Array => {
    let value = half(k);
    const digits = new Int8Array(64);
    for (let i = 0; i < 64; i++) {
      digits[i] = Number(value & 15n);
      value >>= 4n;
    }
    for (let i = 0; i < 63; i++) {
      const carry = (digits[i]! + 8) >> 4;
      digits[i]! -= carry * 16;
      digits[i + 1]! += carry;
    }
    return new Uint8Array(digits.buffer);
  };

  it('the scan finds bytes that are in the memory', () => {
    const needle = sodium.randombytes_buf(32);
    expect(onMemory(needle)).toBe(false);
    region.memory.set(needle, region.work[0] + 100);
    expect(onMemory(needle)).toBe(true);
    region.memory.fill(0, region.work[0] + 100, region.work[0] + 132);
    expect(onMemory(needle)).toBe(false);
  });

  it('after a batch: neither k, k/2 nor its digits remain; stack, work area and scalar slot are zero', () => {
    for (let trial = 0; trial < 5; trial++) {
      const k = scalarToBigint(sodium.crypto_core_ristretto255_scalar_random()) || 1n;
      const points = hashToGroupMany(Array.from({ length: 3 + trial * 60 }, (_, i) => encoder.encode(`wipe ${trial} ${i}`)), DST);
      scalarMultPacked(scalarOf(k), points);
      expect(onMemory(scalarOf(k))).toBe(false);
      expect(onMemory(scalarOf(half(k)))).toBe(false);
      expect(onMemory(digitsOfHalf(k))).toBe(false);
      // Short windows of the digit string too (a partial copy would still leak).
      expect(onMemory(digitsOfHalf(k).subarray(20, 36))).toBe(false);
      expect(allZero(region.stack[0], region.stack[1])).toBe(true);
      expect(allZero(region.work[0], region.work[1])).toBe(true);
      expect(allZero(region.scalar, region.scalar + 32)).toBe(true);
    }
  });

  it('after a refused point the same holds', () => {
    const k = scalarToBigint(sodium.crypto_core_ristretto255_scalar_random()) || 1n;
    // The bad point sits in the second call, after a full first call has run with k.
    const points = concatBytes(...Array.from({ length: 300 }, (_, i) => MULTIPLES[i % 15]!), new Uint8Array(32).fill(0xff));
    expect(() => scalarMultPacked(scalarOf(k), points)).toThrow(expect.objectContaining({ code: 'non-canonical-point' }));
    expect(onMemory(scalarOf(k))).toBe(false);
    expect(onMemory(digitsOfHalf(k))).toBe(false);
    expect(allZero(region.stack[0], region.stack[1])).toBe(true);
    expect(allZero(region.work[0], region.work[1])).toBe(true);
  });
});

describe('hashToGroupMany (batched) equals noble hash_to_ristretto255', () => {
  it('on random messages and DSTs, odd and even counts', () => {
    fc.assert(
      fc.property(
        fc.array(fc.uint8Array({ maxLength: 300 }), { minLength: 1, maxLength: 9 }),
        fc.uint8Array({ minLength: 1, maxLength: 255 }),
        (msgs, dst) => {
          const expected = msgs.map((msg) => hex(ristretto255_hasher.hashToCurve(msg, { DST: dst }).toBytes())).join('');
          expect(hex(hashToGroupMany(msgs, dst))).toBe(expected);
        },
      ),
      { numRuns: 200 },
    );
  });

  it('on long messages (several SHA-512 blocks) and across call boundaries', () => {
    const msgs = Array.from({ length: 515 }, (_, i) => new Uint8Array(i % 7 === 0 ? 1000 + i : i % 130).fill(i & 0xff));
    msgs.push(new Uint8Array(200_000).fill(7));
    const out = hashToGroupMany(msgs, DST);
    for (const i of [0, 1, 127, 128, 255, 256, 257, 511, 512, 514, 515]) {
      expect(hex(out.subarray(32 * i, 32 * i + 32)), `msgs[${i}]`).toBe(hex(ristretto255_hasher.hashToCurve(msgs[i]!, { DST }).toBytes()));
    }
  });

  it('reproduces the Venn hash-to-group vectors', () => {
    const file = JSON.parse(readFileSync(new URL('../../../protocol-spec/vectors/venn-hash-to-group.json', import.meta.url), 'utf8')) as {
      dst: string;
      vectors: { digest: string; element: string }[];
    };
    const out = hashToGroupMany(file.vectors.map((v) => unhex(v.digest)), encoder.encode(file.dst));
    expect(hex(out)).toBe(file.vectors.map((v) => v.element).join(''));
  });
});
