/**
 * The dudect-style timing harness (bench/timing.mjs, run in full by `npm run dudect`): its
 * statistics on known data, that it sees a real leak (the variable-time multi-scalar
 * multiplication, fixed scalar 1 vs random), and a short seeded run on scalarMultPacked (fixed
 * k = 2, whose half has a single non-zero digit) that fails on a gross timing difference. A short run on a shared machine cannot prove constant time;
 * README.md reports the full runs.
 */
import { describe, expect, it } from 'vitest';
import { hashToGroupMany, ready, scalarMultPacked } from '../src/index.js';
import { MsmBatch } from '../src/internal/msm.js';
import { collect, leakage, welchT, xorshift } from '../bench/timing.mjs';
import { L, scalarOf } from './vectors.js';

await ready();

const encoder = new TextEncoder();
const points = hashToGroupMany([encoder.encode('timing a'), encoder.encode('timing b')], encoder.encode('timing'));
const next = xorshift(0x5eed);
/** Deterministic "random" scalars for the random class. */
const pool = Array.from({ length: 256 }, () => {
  let value = 0n;
  for (let i = 0; i < 8; i++) value = (value << 32n) | BigInt(next());
  return scalarOf((value % (L - 1n)) + 1n);
});
const ONE = scalarOf(1);
// scalarMultPacked works on k/2 mod L, so k = 2 is the sparse scalar there (a single non-zero digit).
const TWO = scalarOf(2);

describe('timing statistics', () => {
  it("Welch's t on known samples", () => {
    // Means 3 and 4, variances 2.5 and 2.5, five samples each: t = -1 / sqrt(0.5 + 0.5) = -1.
    expect(welchT([1, 2, 3, 4, 5], [2, 3, 4, 5, 6])).toBeCloseTo(-1, 12);
    expect(welchT([10, 10, 11, 11], [10, 10, 11, 11])).toBe(0);
  });

  it('leakage() separates shifted distributions and not identical ones', () => {
    const rng = xorshift(7);
    const noise = () => (rng() % 1000) / 10;
    const same = [Array.from({ length: 2000 }, () => 1000 + noise()), Array.from({ length: 2000 }, () => 1000 + noise())];
    expect(leakage(same).maxAbsT).toBeLessThan(4.5);
    const shifted = [same[0]!, same[1]!.map((x) => x + 5)];
    expect(leakage(shifted).maxAbsT).toBeGreaterThan(4.5);
  });
});

describe('timing harness on the real code (seeded class order)', () => {
  it('detects the variable-time MSM (public-scalar code) with a fixed scalar of 1', () => {
    const batch = new MsmBatch(2, 1);
    expect(batch.decode(points, 0, true)).toBe(-1);
    let i = 0;
    const times = collect({
      samples: 1500,
      random: xorshift(1),
      prepare: (cls: number) => {
        const k = cls === 0 ? ONE : pool[i++ % pool.length]!;
        batch.setScalar(0, k, 0);
        batch.setScalar(1, k, 0);
      },
      run: () => batch.multiply(0),
    });
    expect(leakage(times).maxAbsT).toBeGreaterThan(4.5);
  });

  it('finds no gross difference in scalarMultPacked between k = 2 and random k', () => {
    // One buffer for both classes, filled before each measurement, so both read warm memory.
    const k = new Uint8Array(32);
    let i = 0;
    const times = collect({
      samples: 3000,
      random: xorshift(2),
      prepare: (cls: number) => k.set(cls === 0 ? TWO : pool[i++ % pool.length]!),
      run: () => scalarMultPacked(k, points),
    });
    // A digit-dependent shortcut shows up as |t| in the tens or hundreds within this many samples;
    // the bound leaves room for a noisy shared machine. `npm run dudect` applies 4.5.
    expect(leakage(times).maxAbsT).toBeLessThan(10);
  });
});
