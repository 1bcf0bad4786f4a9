/**
 * A seeded generator for synthetic data (venn synth, venn demo). Not for secrets: it is sfc32
 * (Chris Doty-Humphrey's small fast counting generator), chosen because the same seed must give
 * the same files on every machine and Node version, which Math.random cannot promise.
 */
import { ValidationError } from '@venn/errors';

export class SeededRandom {
  private a: number;
  private b: number;
  private c: number;
  private d: number;

  constructor(seed: number) {
    if (!Number.isSafeInteger(seed) || seed < 0) throw new ValidationError('invalid-seed', `"seed" expected a non-negative safe integer, got ${seed}`);
    // splitmix32 spreads a small seed over the 128-bit state, so seeds 1 and 2 diverge at once.
    let state = (seed ^ Math.floor(seed / 2 ** 32)) >>> 0;
    const next = (): number => {
      state = (state + 0x9e3779b9) >>> 0;
      let z = state;
      z = Math.imul(z ^ (z >>> 16), 0x85ebca6b) >>> 0;
      z = Math.imul(z ^ (z >>> 13), 0xc2b2ae35) >>> 0;
      return (z ^ (z >>> 16)) >>> 0;
    };
    this.a = next();
    this.b = next();
    this.c = next();
    this.d = next();
    for (let i = 0; i < 12; i++) this.uint32();
  }

  uint32(): number {
    const t = (((this.a + this.b) >>> 0) + this.d) >>> 0;
    this.d = (this.d + 1) >>> 0;
    this.a = this.b ^ (this.b >>> 9);
    this.b = (this.c + (this.c << 3)) >>> 0;
    this.c = ((this.c << 21) | (this.c >>> 11)) >>> 0;
    this.c = (this.c + t) >>> 0;
    return t;
  }

  /** Uniform in [0, 1). */
  float(): number {
    return this.uint32() / 2 ** 32;
  }

  /** Uniform integer in [0, n). */
  int(n: number): number {
    return Math.floor(this.float() * n);
  }

  /** Uniform integer in [min, max]. */
  range(min: number, max: number): number {
    return min + this.int(max - min + 1);
  }

  chance(p: number): boolean {
    return this.float() < p;
  }

  pick<T>(items: readonly T[]): T {
    if (items.length === 0) throw new ValidationError('empty-choice', '"items" expected at least one item, got none');
    return items[this.int(items.length)] as T;
  }

  /** Picks by weight; weights need not sum to 1. */
  weighted<T>(items: ReadonlyArray<readonly [T, number]>): T {
    const total = items.reduce((sum, [, weight]) => sum + weight, 0);
    let point = this.float() * total;
    for (const [item, weight] of items) {
      point -= weight;
      if (point < 0) return item;
    }
    return (items.at(-1) as readonly [T, number])[0];
  }

  /** Fisher–Yates, in place. */
  shuffle<T>(items: T[]): T[] {
    for (let i = items.length - 1; i > 0; i--) {
      const j = this.int(i + 1);
      [items[i], items[j]] = [items[j] as T, items[i] as T];
    }
    return items;
  }

  hex(digits: number): string {
    let out = '';
    while (out.length < digits) out += this.uint32().toString(16).padStart(8, '0');
    return out.slice(0, digits);
  }

  /** A fresh generator whose stream depends only on this one's next draw (for independent sub-streams). */
  fork(): SeededRandom {
    return new SeededRandom(this.uint32() * 2 ** 20 + (this.uint32() >>> 12));
  }
}
