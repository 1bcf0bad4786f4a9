/**
 * Tests for survivors of crypto's whole mutation run (npm run mutation -- --package crypto):
 * - equalPublic compares exactly `length` bytes, not one past them;
 * - keyedBlake2b's refusal of a key of the wrong length names the length it got;
 * - an MsmBatch lays out its scalars, staging points, output, work area and tables without
 *   overlap, with as many tables as asked for, inside the module's memory.
 */
import { describe, expect, it } from 'vitest';
import { keyedBlake2b, ready } from '../src/index.js';
import { equalPublic } from '../src/internal/check.js';
import { MsmBatch } from '../src/internal/msm.js';

await ready();

describe('equalPublic', () => {
  it('compares the `length` bytes at each offset and nothing after them', () => {
    const a = Uint8Array.of(9, 1, 2, 3);
    const b = Uint8Array.of(1, 2, 4, 7);
    expect(equalPublic(a, 1, b, 0, 2)).toBe(true);
    expect(equalPublic(a, 1, b, 0, 3)).toBe(false);
    expect(equalPublic(a, 0, b, 0, 0)).toBe(true);
  });
});

describe('keyedBlake2b', () => {
  it('names the length of a refused key', () => {
    expect(() => keyedBlake2b(new Uint8Array(15), new Uint8Array(1), 32)).toThrow('"key" expected Uint8Array of length 16..64, got length=15');
  });
});

describe('MsmBatch layout', () => {
  interface Regions { scalars: number; points: number; out: number; work: number; tables: number[]; heap: Uint8Array; exports: { msm_work_bytes(n: number): number; msm_table_bytes(): number } }

  for (const [count, tables] of [[1, 1], [3, 2], [1000, 2], [5000, 1]] as const) {
    it(`keeps the regions of ${count} points and ${tables} table(s) apart, inside the module's memory`, () => {
      const batch = new MsmBatch(count, tables) as unknown as Regions;
      expect(batch.tables).toHaveLength(tables);
      const regions: Array<[string, number, number]> = [
        ['scalars', batch.scalars, count * 32],
        ['points', batch.points, count * 32],
        ['out', batch.out, 32],
        ['work', batch.work, batch.exports.msm_work_bytes(count)],
        ...batch.tables.map((at, t): [string, number, number] => [`table ${t}`, at, count * batch.exports.msm_table_bytes()]),
      ];
      for (let i = 1; i < regions.length; i++) {
        const [name, at] = regions[i]!;
        const [before, beforeAt, beforeBytes] = regions[i - 1]!;
        expect(at, `${name} starts after ${before} ends`).toBeGreaterThanOrEqual(beforeAt + beforeBytes);
      }
      const [, lastAt, lastBytes] = regions.at(-1)!;
      expect(batch.heap.length).toBeGreaterThanOrEqual(lastAt + lastBytes);
    });
  }
});
