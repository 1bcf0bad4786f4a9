// Worst-case magnitude analysis of the floating-point field arithmetic in ristretto.c.
// Run: node packages/crypto/wasm/bounds.mjs   (test/ristretto-bounds.test.ts runs it too)
//
// Every limb is an integer multiple of its weight 2^OFF[i]; a double represents it exactly while
// the integer (in units of that weight) stays below 2^53. The multiplication sums products f_i·g_j
// (times 19·2^-255 when i + j >= 12) into limb (i + j) mod 12, in units of 2^OFF[(i+j) mod 12]:
// each product is 2^e(i,j) times the product of the two integers, e = OFF[i] + OFF[j] -
// OFF[i+j] (or - 255 - OFF[i+j-12]) in {0, 1}. Partial sums are bounded by the sum of absolute
// values, so if that sum is below 2^53 for every limb, every addition is exact.
//
// Inputs to fe_mul and fe_sq in ristretto.c are at most a sum of four carried elements
// (ge_dbl's T3 = 2Z^2 - Y^2 + X^2 is the largest). This script finds the carried bound as a fixed
// point of "carry(multiply(4·carried, 4·carried))" and checks the product sums against 2^53.
import { readFileSync } from 'node:fs';

/** OFF[] as written in ristretto.c, so the analysis follows the code. */
export function limbOffsets(source = readFileSync(new URL('./ristretto.c', import.meta.url), 'utf8')) {
  const match = /static const int OFF\[13\] = \{([^}]*)\}/.exec(source);
  if (!match) throw new Error('OFF[13] not found in ristretto.c');
  return match[1].split(',').map((x) => Number(x.trim()));
}

/** Largest |sum| per output limb (in units of its weight) for inputs bounded by F and G. */
export function productSums(OFF, F, G) {
  const sums = new Array(12).fill(0);
  for (let i = 0; i < 12; i++) {
    for (let j = 0; j < 12; j++) {
      const k = (i + j) % 12;
      const wrapped = i + j >= 12;
      const e = OFF[i] + OFF[j] - (wrapped ? 255 + OFF[k] : OFF[k]);
      if (e < 0 || e > 1) throw new Error(`product (${i}, ${j}) lands below its limb's weight (e = ${e})`);
      sums[k] += F[i] * G[j] * 2 ** e * (wrapped ? 19 : 1);
    }
  }
  return sums;
}

/** Bounds after fe_carry_into for pre-carry bounds T (rounding to nearest: |remainder| <= half a unit). */
export function carriedBounds(OFF, T) {
  const W = OFF.slice(1).map((o, i) => o - OFF[i]);
  const half = W.map((w) => 2 ** (w - 1));
  const out = [...half];
  let carry = 0;
  for (let i = 0; i < 6; i++) carry = (T[i] + carry) / 2 ** W[i] + 0.5; // chain A: limbs 0..5, carry into 6
  const intoSix = carry;
  carry = 0;
  for (let i = 6; i < 12; i++) carry = (T[i] + carry) / 2 ** W[i] + 0.5; // chain B: limbs 6..11, carry into 0
  const intoZero = 19 * carry;
  out[1] += (half[0] + intoZero) / 2 ** W[0] + 0.5; // limb 0 carried again into limb 1
  out[7] += (half[6] + intoSix) / 2 ** W[6] + 0.5; // limb 6 carried again into limb 7
  return out;
}

/** The fixed point and the worst product sum, in bits. */
export function analyse(OFF = limbOffsets(), factor = 4) {
  const W = OFF.slice(1).map((o, i) => o - OFF[i]);
  let carried = W.map((w) => 2 ** (w - 1));
  let worst = 0;
  for (let round = 0; round < 20; round++) {
    const input = carried.map((b) => factor * b);
    const sums = productSums(OFF, input, input);
    worst = Math.max(...sums);
    const next = carriedBounds(OFF, sums).map((b, i) => Math.max(b, carried[i]));
    if (next.every((b, i) => b === carried[i])) break;
    carried = next;
  }
  return {
    widths: W,
    carriedExcess: carried.map((b, i) => b / 2 ** (W[i] - 1)),
    worstSumBits: Math.log2(worst),
    exact: worst < 2 ** 53,
  };
}

if (import.meta.url === `file://${process.argv[1]}`) {
  const result = analyse();
  console.log(`limb widths: ${result.widths.join(' ')}`);
  console.log(`carried limb bound / 2^(width-1): ${result.carriedExcess.map((x) => x.toFixed(5)).join(' ')}`);
  console.log(`largest product sum for inputs of 4 carried elements: 2^${result.worstSumBits.toFixed(4)} (exact below 2^53: ${result.exact})`);
  for (const factor of [1, 2, 3]) {
    console.log(`  inputs of ${factor} carried element(s): 2^${analyse(undefined, factor).worstSumBits.toFixed(4)}`);
  }
}
