// dudect-style timing test of the secret-scalar multiplication (not part of the tests).
// Build first, then run from the repository root:
//   npx tsc -b packages/crypto && node packages/crypto/bench/dudect.mjs [samples] [fixed]
// samples (default 20000) per implementation and fixed scalar; fixed is the fixed-class scalar:
// "one", "two", "max" (L - 1), "low" (2^128 + 1) or "sparse" (one and two, the default).
// k = 1 is the sparsest scalar for libsodium's radix-16 digits; the batched module works on
// k/2 mod L, so k = 2 is the sparsest there (one non-zero digit). Classes: the fixed scalar vs a
// fresh random scalar per measurement, in random order, same public points; the scalar is copied
// into one buffer before each (untimed) measurement so that both classes read warm memory. Prints |t| for:
//   - scalarMultPacked on two points (the batched SIMD module, what blind/evaluate use);
//   - libsodium's crypto_scalarmult_ristretto255 on one point (raw export, preloaded heap);
//   - a positive control: the variable-time multi-scalar multiplication (public scalars only,
//     wasm/msm.c) used with the same two classes, which must show a leak.
// |t| > 4.5 is the usual threshold for "the timing depends on the class".
import { loadavg } from 'node:os';
import sodium from 'libsodium-wrappers-sumo';
import { hashToGroupMany, ready, scalarMultPacked } from '../dist/index.js';
import { MsmBatch } from '../dist/internal/msm.js';
import { T_THRESHOLD, collect, leakage, xorshift } from './timing.mjs';

// `npm run dudect -- 5000` passes the separator through; drop it.
const args = process.argv.slice(2).filter((arg) => arg !== '--');
const samples = Number(args[0] ?? 20000);
const fixedName = args[1] ?? 'sparse';
if (!Number.isSafeInteger(samples) || samples < 1000) throw new Error(`samples must be an integer >= 1000, got ${args[0]}`);
await ready();
await sodium.ready;

const L = 2n ** 252n + 27742317777372353535851937790883648493n;
const bytesOf = (value) => Uint8Array.from({ length: 32 }, (_, i) => Number((value >> BigInt(8 * i)) & 0xffn));
const NAMED = { one: 1n, two: 2n, max: L - 1n, low: 2n ** 128n + 1n };
const fixedNames = fixedName === 'sparse' ? ['one', 'two'] : [fixedName];
for (const name of fixedNames) if (NAMED[name] === undefined) throw new Error(`unknown fixed scalar "${name}" (one, two, max, low, sparse)`);
const pool = Array.from({ length: 1024 }, () => sodium.crypto_core_ristretto255_scalar_random());
const points = hashToGroupMany([new TextEncoder().encode('dudect a'), new TextEncoder().encode('dudect b')], new TextEncoder().encode('dudect'));
const random = xorshift(Date.now() & 0xffffffff);

function report(name, times) {
  const r = leakage(times);
  const verdict = r.maxAbsT > T_THRESHOLD ? 'LEAK (|t| > 4.5)' : 'no leak detected';
  console.log(
    `${name.padEnd(46)} max |t| ${r.maxAbsT.toFixed(2).padStart(7)} (all samples t = ${r.allSamplesT.toFixed(2)}, ` +
      `crop ${r.worstCrop.toFixed(3)})  medians fixed/random ${(r.medianNs[0] / 1e3).toFixed(1)}/${(r.medianNs[1] / 1e3).toFixed(1)} µs  ` +
      `n = ${r.samples[0]}+${r.samples[1]}  ${verdict}`,
  );
}

console.log(
  `dudect, node ${process.version}, ${samples} samples per implementation and fixed scalar; ` +
    `load average ${loadavg().map((x) => x.toFixed(2)).join(' ')}`,
);

const raw = sodium.libsodium;
const scalarPtr = raw._malloc(32);
const pointPtr = raw._malloc(32);
const outPtr = raw._malloc(32);
raw.HEAPU8.set(points.subarray(0, 32), pointPtr);
const control = new MsmBatch(2, 1);
if (control.decode(points, 0, true) !== -1) throw new Error('control points refused');

for (const name of fixedNames) {
  const fixed = bytesOf(NAMED[name]);
  console.log(`-- fixed class k = ${name}`);
  let next = 0;
  const pick = (cls) => (cls === 0 ? fixed : pool[next++ % pool.length]);

  // Both classes pass the same buffer, so the scalar's memory is equally warm in both.
  const k = new Uint8Array(32);
  report(
    'scalarMultPacked, 2 points (batched module)',
    collect({ samples, random, prepare: (cls) => k.set(pick(cls)), run: () => scalarMultPacked(k, points) }),
  );
  report(
    'libsodium crypto_scalarmult_ristretto255, 1 point',
    collect({
      samples,
      random,
      prepare: (cls) => raw.HEAPU8.set(pick(cls), scalarPtr),
      run: () => raw._crypto_scalarmult_ristretto255(outPtr, scalarPtr, pointPtr),
    }),
  );
  report(
    'control: variable-time MSM (public scalars)',
    collect({
      samples: Math.min(samples, 20000),
      random,
      prepare: (cls) => {
        const scalar = pick(cls);
        control.setScalar(0, scalar, 0);
        control.setScalar(1, scalar, 0);
      },
      run: () => control.multiply(0),
    }),
  );
}
raw.HEAPU8.fill(0, scalarPtr, scalarPtr + 32);
