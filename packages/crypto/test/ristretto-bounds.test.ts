/**
 * The exactness argument of wasm/ristretto.c's floating-point field arithmetic (wasm/bounds.mjs),
 * recomputed from the limb offsets in the C source: inputs up to four carried elements never
 * produce a partial sum at or above 2^53, so every addition and multiplication is exact.
 */
import { describe, expect, it } from 'vitest';
import { analyse, carriedBounds, limbOffsets, productSums } from '../wasm/bounds.mjs';

const OFF = limbOffsets() as number[];

describe('floating-point limb bounds (wasm/bounds.mjs)', () => {
  it('reads the limb offsets ceil(21.25·i) from ristretto.c', () => {
    expect(OFF).toEqual(Array.from({ length: 13 }, (_, i) => Math.ceil((255 * i) / 12)));
  });

  it('keeps every product sum below 2^53 for inputs of up to four carried elements', () => {
    const result = analyse(OFF, 4) as { worstSumBits: number; exact: boolean; carriedExcess: number[] };
    expect(result.exact).toBe(true);
    expect(result.worstSumBits).toBeLessThan(53);
    // Carried limbs stay within 0.1% of half their width (limbs 1 and 7 take the last carries).
    for (const excess of result.carriedExcess) expect(excess).toBeLessThan(1.001);
  });

  it('would catch inputs that overflow: five carried elements exceed 2^53', () => {
    expect((analyse(OFF, 5) as { exact: boolean }).exact).toBe(false);
  });

  it('refuses a layout whose products land below their limb weight', () => {
    const shifted = OFF.map((o, i) => (i === 3 ? o + 2 : o));
    expect(() => productSums(shifted, new Array(12).fill(1), new Array(12).fill(1))).toThrow(/lands below/);
  });

  it('models the carry: a limb far above its width leaves a remainder of at most half a unit', () => {
    const W = OFF.slice(1).map((o, i) => o - OFF[i]!);
    const bounds = carriedBounds(OFF, new Array(12).fill(2 ** 52)) as number[];
    bounds.forEach((b, i) => {
      expect(b).toBeGreaterThanOrEqual(2 ** (W[i]! - 1));
      expect(b).toBeLessThan(2 ** (W[i]! - 1) * 1.01);
    });
  });
});
