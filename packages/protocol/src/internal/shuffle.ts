/** Uniform permutations from the injected rng (SPEC §4.2, Appendix A): Fisher–Yates with rejection sampling. */
import type { Rng } from '@venn/crypto';

const RANGE = 0x1_0000_0000;

/**
 * A uniformly random permutation of 0..n-1: for i = n-1 down to 1, draw a big-endian u32 u,
 * redraw while u ≥ 2^32 − (2^32 mod (i+1)), and swap i with u mod (i+1).
 * The 4(n−1) bytes needed without rejections are requested at once (one rng call per element
 * costs more than the shuffle); bytes are still consumed in stream order, so the result is the
 * same as drawing 4 bytes per step.
 */
export function randomPermutation(n: number, rng: Rng): Uint32Array {
  const order = new Uint32Array(n);
  for (let i = 0; i < n; i++) order[i] = i;
  if (n < 2) return order;
  let pool = rng(4 * (n - 1));
  let at = 0;
  const draw = (): number => {
    if (at + 4 > pool.length) {
      pool.fill(0);
      pool = rng(4);
      at = 0;
    }
    const value = ((pool[at]! << 24) | (pool[at + 1]! << 16) | (pool[at + 2]! << 8) | pool[at + 3]!) >>> 0;
    at += 4;
    return value;
  };
  for (let i = n - 1; i > 0; i--) {
    const bound = i + 1;
    const limit = RANGE - (RANGE % bound);
    let value = draw();
    while (value >= limit) value = draw();
    const j = value % bound;
    const held = order[i]!;
    order[i] = order[j]!;
    order[j] = held;
  }
  // The permutation hides the input order from the peer; leave no copy of its randomness.
  pool.fill(0);
  return order;
}
