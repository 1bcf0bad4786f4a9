/** Uniform permutations from the injected rng (SPEC §5.4): Fisher–Yates with rejection sampling. */
import type { Rng } from '@venn/crypto';

const RANGE = 0x1_0000_0000;

/** A uniform integer in 0..bound-1 from 4-byte big-endian draws, rejecting the biased tail. */
function uniformBelow(rng: Rng, bound: number): number {
  const limit = RANGE - (RANGE % bound);
  for (;;) {
    const draw = rng(4);
    const value = ((draw[0]! << 24) | (draw[1]! << 16) | (draw[2]! << 8) | draw[3]!) >>> 0;
    if (value < limit) return value % bound;
  }
}

/** A uniformly random permutation of 0..n-1: for i = n-1 down to 1, swap i with uniformBelow(i+1). */
export function randomPermutation(n: number, rng: Rng): Uint32Array {
  const order = new Uint32Array(n);
  for (let i = 0; i < n; i++) order[i] = i;
  for (let i = n - 1; i > 0; i--) {
    const j = uniformBelow(rng, i + 1);
    const held = order[i]!;
    order[i] = order[j]!;
    order[j] = held;
  }
  return order;
}
