// Timing-leak statistics in the style of dudect (Reparaz, Balasch, Verbauwhede, "Dude, is my code
// constant time?", DATE 2017): two classes of secret inputs, measurements taken in random class
// order, Welch's t-test on all samples and on samples cropped at a ladder of percentiles. A |t|
// above 4.5 is the usual sign of a timing difference between the classes.
// Pure functions; used by dudect.mjs and by test/dudect.test.ts.

/** Welch's t statistic of two samples (arrays of numbers). */
export function welchT(a, b) {
  const stats = (xs) => {
    let mean = 0;
    for (const x of xs) mean += x;
    mean /= xs.length;
    let m2 = 0;
    for (const x of xs) m2 += (x - mean) ** 2;
    return { n: xs.length, mean, variance: m2 / (xs.length - 1) };
  };
  const s = stats(a);
  const t = stats(b);
  return (s.mean - t.mean) / Math.sqrt(s.variance / s.n + t.variance / t.n);
}

/** xorshift32: a tiny seeded generator for the class sequence, so test runs replay. */
export function xorshift(seed) {
  let x = seed >>> 0 || 1;
  return () => {
    x ^= x << 13;
    x >>>= 0;
    x ^= x >>> 17;
    x ^= x << 5;
    x >>>= 0;
    return x;
  };
}

/**
 * Runs `samples` measurements. Each picks a class (0 = fixed, 1 = random) from `random`,
 * calls prepare(cls) (untimed), then times run(). The first `warmup` are discarded.
 * Returns the per-class nanosecond timings.
 */
export function collect({ samples, warmup = 100, random, prepare, run }) {
  const times = [[], []];
  for (let i = 0; i < samples + warmup; i++) {
    const cls = random() & 1;
    prepare(cls);
    const start = process.hrtime.bigint();
    run();
    const elapsed = Number(process.hrtime.bigint() - start);
    if (i >= warmup) times[cls].push(elapsed);
  }
  return times;
}

/**
 * dudect's report: t over all samples and over samples below each of the percentiles
 * 1 - 0.5^(10·i/steps) of the pooled timings; the largest |t| (over tests that kept at least
 * `minimum` samples per class) is the verdict.
 */
export function leakage(times, steps = 100, minimum = 100) {
  const pooled = [...times[0], ...times[1]].sort((p, q) => p - q);
  const tests = [{ crop: 1, t: welchT(times[0], times[1]), n: pooled.length }];
  for (let i = 1; i <= steps; i++) {
    const q = 1 - 0.5 ** ((10 * i) / steps);
    const limit = pooled[Math.min(pooled.length - 1, Math.floor(q * pooled.length))];
    const a = times[0].filter((x) => x < limit);
    const b = times[1].filter((x) => x < limit);
    if (a.length >= minimum && b.length >= minimum) tests.push({ crop: q, t: welchT(a, b), n: a.length + b.length });
  }
  let worst = tests[0];
  for (const test of tests) if (Math.abs(test.t) > Math.abs(worst.t)) worst = test;
  const median = (xs) => [...xs].sort((p, q) => p - q)[xs.length >> 1];
  return {
    maxAbsT: Math.abs(worst.t),
    worstCrop: worst.crop,
    allSamplesT: tests[0].t,
    samples: [times[0].length, times[1].length],
    medianNs: [median(times[0]), median(times[1])],
  };
}

/** The usual dudect threshold. */
export const T_THRESHOLD = 4.5;
