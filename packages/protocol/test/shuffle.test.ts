/** SPEC Appendix A: the batched-draw shuffle consumes the rng stream exactly like per-step draws. */
import type { Rng } from '@venn/crypto';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { seededRng } from '../scripts/seeded-rng.js';
import { randomPermutation } from '../src/internal/shuffle.js';

/** The text of Appendix A, one 4-byte draw per attempt. */
function perStep(n: number, rng: Rng): number[] {
  const order = Array.from({ length: n }, (_, i) => i);
  for (let i = n - 1; i > 0; i--) {
    const limit = 2 ** 32 - (2 ** 32 % (i + 1));
    let u: number;
    do u = Buffer.from(rng(4)).readUInt32BE(0);
    while (u >= limit);
    const j = u % (i + 1);
    [order[i], order[j]] = [order[j]!, order[i]!];
  }
  return order;
}

/** A stream that rejects often: every other u32 is 0xffffffff, above every limit. */
function rejecting(seed: string): Rng {
  const inner = seededRng(seed);
  let word = 0;
  return (length) => {
    const out = inner(length);
    for (let at = 0; at + 4 <= length; at += 4, word++) if (word % 2 === 0) out.fill(0xff, at, at + 4);
    return out;
  };
}

describe('randomPermutation', () => {
  it('matches the per-step algorithm and leaves the stream at the same place (property)', () => {
    fc.assert(
      fc.property(fc.integer({ min: 0, max: 300 }), fc.string(), fc.boolean(), (n, seed, harsh) => {
        const make = harsh ? rejecting : seededRng;
        const a = make(seed);
        const b = make(seed);
        expect(Array.from(randomPermutation(n, a))).toEqual(perStep(n, b));
        expect(Buffer.from(a(8)).toString('hex')).toBe(Buffer.from(b(8)).toString('hex'));
      }),
      { numRuns: 200 },
    );
  });

  it('is a permutation and roughly uniform over the 6 orders of 3 items', () => {
    const rng = seededRng('uniformity');
    const counts = new Map<string, number>();
    const runs = 6000;
    for (let r = 0; r < runs; r++) {
      const key = Array.from(randomPermutation(3, rng)).join('');
      counts.set(key, (counts.get(key) ?? 0) + 1);
    }
    expect([...counts.keys()].sort()).toEqual(['012', '021', '102', '120', '201', '210']);
    // Chi-square with 5 degrees of freedom; 20.5 is the 0.1% critical value.
    const chi = [...counts.values()].reduce((sum, c) => sum + (c - runs / 6) ** 2 / (runs / 6), 0);
    expect(chi).toBeLessThan(20.5);
  });
});
