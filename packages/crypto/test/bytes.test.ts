import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { constantTimeEqual, randomScalar, ready, systemRng, wipe } from '../src/index.js';
import { L, scalarToBigint } from './vectors.js';

await ready();

describe('constantTimeEqual', () => {
  it('agrees with byte-wise equality', () => {
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 40 }), fc.uint8Array({ maxLength: 40 }), (a, b) => {
        const equal = a.length === b.length && a.every((x, i) => x === b[i]);
        expect(constantTimeEqual(a, b)).toBe(equal);
        expect(constantTimeEqual(a, a.slice())).toBe(true);
      }),
    );
  });

  it('notices a difference in the last byte only', () => {
    const a = new Uint8Array(64).fill(7);
    const b = a.slice();
    b[63] = 8;
    expect(constantTimeEqual(a, b)).toBe(false);
  });
});

describe('wipe', () => {
  it('zeroes in place', () => {
    const secret = new Uint8Array(32).fill(0xaa);
    wipe(secret);
    expect(secret.every((x) => x === 0)).toBe(true);
  });
});

describe('randomScalar', () => {
  it('reduces 64 rng bytes mod L and wipes the rng output', () => {
    fc.assert(
      fc.property(fc.uint8Array({ minLength: 64, maxLength: 64 }).filter((b) => b.some((x) => x !== 0)), (wide) => {
        const expected = scalarToBigint(wide) % L;
        fc.pre(expected !== 0n);
        const handed = wide.slice();
        const k = randomScalar(() => handed);
        expect(scalarToBigint(k)).toBe(expected);
        expect(handed.every((x) => x === 0)).toBe(true);
      }),
    );
  });

  it('retries on a zero draw and uses the next one', () => {
    const draws = [new Uint8Array(64), new Uint8Array(64), new Uint8Array(64).fill(1)];
    let calls = 0;
    const k = randomScalar(() => draws[calls++]!);
    expect(calls).toBe(3);
    expect(scalarToBigint(k)).toBe(scalarToBigint(new Uint8Array(64).fill(1)) % L);
  });

  it('gives distinct canonical scalars from the system rng', () => {
    const seen = new Set<string>();
    for (let i = 0; i < 50; i++) {
      const k = randomScalar(systemRng);
      expect(scalarToBigint(k) < L).toBe(true);
      seen.add(Buffer.from(k).toString('hex'));
    }
    expect(seen.size).toBe(50);
  });

  it('fills every byte of a system rng draw longer than one 64 KiB platform call', () => {
    const length = 3 * 65_536 + 17;
    const bytes = systemRng(length);
    expect(bytes).toHaveLength(length);
    // Each 64 KiB block and the short tail are random: none is left zero, and no block repeats another.
    const blocks = [0, 1, 2, 3].map((i) => bytes.subarray(i * 65_536, Math.min(length, (i + 1) * 65_536)));
    for (const block of blocks) expect(block.some((byte) => byte !== 0)).toBe(true);
    expect(new Set(blocks.slice(0, 3).map((block) => Buffer.from(block).toString('hex'))).size).toBe(3);
    // A byte histogram close to uniform (chi-square of 256 bins, far below what a stuck or skewed source gives).
    const counts = new Array<number>(256).fill(0);
    for (const byte of bytes) counts[byte]!++;
    const expected = length / 256;
    const chi = counts.reduce((sum, c) => sum + ((c - expected) ** 2) / expected, 0);
    expect(chi).toBeLessThan(400);
    expect(systemRng(0)).toHaveLength(0);
  });
});
