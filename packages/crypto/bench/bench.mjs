// Micro-benchmark for @venn/crypto (not part of the tests).
// Build first, then run from the repository root:
//   npx tsc -b packages/crypto && node packages/crypto/bench/bench.mjs [n]
// n (default 1000) is the batch size for packed operations and proofs. Figures are µs per item.
// The WebAssembly multi-scalar multiplication is also measured at n = 1,000 and 10,000.
import sodium from 'libsodium-wrappers-sumo';
import { sha512 } from '@noble/hashes/sha2.js';
import { expand_message_xmd } from '@noble/curves/abstract/hash-to-curve.js';
import {
  decodePoint,
  ed25519KeyPairFromSeed,
  ed25519Sign,
  ed25519Verify,
  expandMessageXmd,
  generateProof,
  hashToGroup,
  hashToGroupMany,
  hashToScalar,
  randomScalar,
  ready,
  scalarBaseMult,
  scalarMult,
  scalarMultPacked,
  sumPacked,
  systemRng,
  validatePackedPoints,
  verifyProof,
} from '../dist/index.js';
import { MsmBatch } from '../dist/internal/msm.js';

const n = Number(process.argv[2] ?? 1000);
await ready();
await sodium.ready;

const rows = [];
/** Runs `run` once to warm up, then `reps` times; reports µs per item (items = reps · perCall). */
function bench(name, reps, run, perCall = 1) {
  run();
  const start = process.hrtime.bigint();
  for (let i = 0; i < reps; i++) run();
  const us = Number(process.hrtime.bigint() - start) / 1e3 / (reps * perCall);
  rows.push([name, us]);
  console.log(`${name.padEnd(58)} ${us.toFixed(2).padStart(9)} µs`);
}

const encoder = new TextEncoder();
const DST = encoder.encode('HashToGroup-VENN-V1-bench');
const SCALAR_DST = encoder.encode('HashToScalar-VENN-V1-bench');
const CONTEXT = encoder.encode('VENN-V1-bench');
const k = randomScalar(systemRng);
const msgs = Array.from({ length: n }, (_, i) => encoder.encode(`identifier-digest-${i}`.padEnd(32, '.')));
const points = hashToGroupMany(msgs, DST);
const P = points.subarray(0, 32);
const G = scalarBaseMult(Uint8Array.of(1, ...new Uint8Array(31)));
const uniform = sodium.randombytes_buf(64);
const transcript = new Uint8Array(145);

console.log(`@venn/crypto micro-benchmark, node ${process.version}, batch n = ${n}`);
console.log('-- libsodium-wrappers calls (baseline: fresh heap copies per call)');
bench('wrapper crypto_scalarmult_ristretto255', 2000, () => sodium.crypto_scalarmult_ristretto255(k, P));
bench('wrapper crypto_scalarmult_ristretto255_base', 2000, () => sodium.crypto_scalarmult_ristretto255_base(k));
bench('wrapper crypto_core_ristretto255_add', 5000, () => sodium.crypto_core_ristretto255_add(P, G));
bench('wrapper crypto_core_ristretto255_from_hash', 5000, () => sodium.crypto_core_ristretto255_from_hash(uniform));
bench('wrapper crypto_core_ristretto255_is_valid_point', 20000, () => sodium.crypto_core_ristretto255_is_valid_point(P));
bench('wrapper crypto_hash_sha512 (145 B)', 20000, () => sodium.crypto_hash_sha512(transcript));
bench('noble sha512 (145 B)', 20000, () => sha512(transcript));
/** expand_message_xmd for 64 output bytes (ell = 1) with the wrapper's SHA-512, for comparison. */
function wrapperExpand64(msg, dst) {
  const prime = new Uint8Array([...dst, dst.length]);
  const b0 = sodium.crypto_hash_sha512(new Uint8Array([...new Uint8Array(128), ...msg, 0, 64, 0, ...prime]));
  return sodium.crypto_hash_sha512(new Uint8Array([...b0, 1, ...prime]));
}
if (sodium.to_hex(wrapperExpand64(msgs[0], DST)) !== sodium.to_hex(expandMessageXmd(msgs[0], DST, 64))) {
  throw new Error('comparison expand_message_xmd disagrees');
}
bench('wrapper hashToGroup: wrapper-SHA-512 expand + from_hash', 3000, () =>
  sodium.crypto_core_ristretto255_from_hash(wrapperExpand64(msgs[0], DST)),
);
bench('wrapper hashToGroup: noble expand + wrapper from_hash', 3000, () =>
  sodium.crypto_core_ristretto255_from_hash(expand_message_xmd(msgs[0], DST, 64, sha512)),
);
bench('wrapper composite term: noble expand, reduce, scalarmult, add', 1000, () => {
  const d = sodium.crypto_core_ristretto255_scalar_reduce(expand_message_xmd(transcript, SCALAR_DST, 64, sha512));
  sodium.crypto_core_ristretto255_add(G, sodium.crypto_scalarmult_ristretto255(d, P));
});

console.log('-- @venn/crypto (raw exports on a reused heap region)');
bench('expandMessageXmd (145 B msg, 64 B out)', 20000, () => expandMessageXmd(transcript, SCALAR_DST, 64));
bench('hashToScalar (145 B msg)', 20000, () => hashToScalar(transcript, SCALAR_DST));
bench('hashToGroup', 5000, () => hashToGroup(msgs[0], DST));
bench(`hashToGroupMany (per message, n = ${n})`, 3, () => hashToGroupMany(msgs, DST), n);
bench('decodePoint', 20000, () => decodePoint(P));
bench(`validatePackedPoints (per point, n = ${n})`, 5, () => validatePackedPoints(points, 'points'), n);
bench('scalarBaseMult', 2000, () => scalarBaseMult(k));
bench('scalarMult', 2000, () => scalarMult(k, P));
bench(`scalarMultPacked (per point, n = ${n})`, 2, () => scalarMultPacked(k, points), n);
bench(`sumPacked (per point, n = ${n})`, 2, () => sumPacked(points), n);

console.log('-- WebAssembly multi-scalar multiplication (public scalars; decode + Pippenger)');
for (const size of [1000, 10000]) {
  const msmPoints = hashToGroupMany(Array.from({ length: size }, (_, i) => encoder.encode(`msm-${i}`)), DST);
  const msmScalars = new Uint8Array(32 * size);
  for (let i = 0; i < size; i++) msmScalars.set(randomScalar(systemRng), 32 * i);
  const expected = sumPacked(scalarMultPacked(Uint8Array.of(1, ...new Uint8Array(31)), msmPoints.subarray(0, 64)));
  const reps = size === 1000 ? 20 : 3;
  let batch;
  bench(`msm decode (per point, n = ${size})`, reps, () => {
    batch = new MsmBatch(size, 1);
    for (let i = 0; i < size; i++) batch.setScalar(i, msmScalars, 32 * i);
    if (batch.decode(msmPoints, 0, true) !== -1) throw new Error('msm refused a valid point');
  }, size);
  bench(`msm Pippenger (per point, n = ${size})`, reps, () => batch.multiply(0), size);
  bench(`msm total: decode + Pippenger (per point, n = ${size})`, reps, () => {
    const b = new MsmBatch(size, 1);
    for (let i = 0; i < size; i++) b.setScalar(i, msmScalars, 32 * i);
    b.decode(msmPoints, 0, true);
    b.multiply(0);
  }, size);
  // Sanity: 1·P0 + 1·P1 through the MSM equals libsodium's sum.
  const check = new MsmBatch(2, 1);
  check.setScalar(0, Uint8Array.of(1, ...new Uint8Array(31)), 0);
  check.setScalar(1, Uint8Array.of(1, ...new Uint8Array(31)), 0);
  check.decode(msmPoints.subarray(0, 64), 0, true);
  if (sodium.to_hex(check.multiply(0)) !== sodium.to_hex(expected)) throw new Error('msm disagrees with libsodium');
}

const D = scalarMultPacked(k, points);
const K = scalarBaseMult(k);
let proof = new Uint8Array(64);
bench(`generateProof (per pair, n = ${n})`, 1, () => {
  proof = generateProof(k, G, K, points, D, CONTEXT, systemRng);
}, n);
let verified = false;
bench(`verifyProof (per pair, n = ${n})`, 1, () => {
  verified = verifyProof(G, K, points, D, proof, CONTEXT);
}, n);
if (!verified) throw new Error('benchmark proof did not verify');

const keys = ed25519KeyPairFromSeed(new Uint8Array(32).fill(7));
const message = new Uint8Array(200);
const signature = ed25519Sign(keys.secretKey, message);
bench('ed25519Sign (200 B, re-derives the public key)', 2000, () => ed25519Sign(keys.secretKey, message));
bench('ed25519Verify (200 B)', 2000, () => ed25519Verify(keys.publicKey, message, signature));

const us = Object.fromEntries(rows);
const perElement =
  us[`hashToGroupMany (per message, n = ${n})`] +
  2 * us[`scalarMultPacked (per point, n = ${n})`] +
  us[`generateProof (per pair, n = ${n})`] +
  us[`verifyProof (per pair, n = ${n})`];
console.log(
  `-- one side of a round, per element (hash + blind + evaluate + prove + verify): ${perElement.toFixed(0)} µs; ` +
    `n = 10,000 → ≈${((perElement * 10_000) / 1e6).toFixed(1)} s`,
);
