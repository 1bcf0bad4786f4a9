// Secret-scalar batch multiplication and hash-to-group: libsodium vs the batched SIMD module
// (not part of the tests). Build first, then run from the repository root:
//   npm run bench:scalarmult            (or: npx tsc -b packages/crypto && node packages/crypto/bench/scalarmult.mjs)
// Optional arguments: the batch sizes (default 1 16 256 4096).
//
// Per-point µs, decode + multiply + encode included, at each n, measured in one process with
// the implementations interleaved round by round (median of the rounds). The figures are CPU
// time of this process (process.cpuUsage), which leaves out the time the process waits for a
// core on a busy machine; the last column repeats the ratio in wall-clock time.
//   - libsodium: what scalarMultPacked did before the batched module, i.e. the points copied
//     into libsodium's heap and crypto_scalarmult_ristretto255 called per point (raw export);
//   - batched module: the chunk call scalarMultPacked uses for two or more points, called
//     directly, so n = 1 shows the module's own cost with one idle lane;
//   - scalarMultPacked: the public function (n = 1 goes to libsodium).
// Then hashToGroupMany against the libsodium path it replaced (expand_message_xmd with
// libsodium's SHA-512, crypto_core_ristretto255_from_hash).
import { loadavg } from 'node:os';
import sodium from 'libsodium-wrappers-sumo';
import { hashToGroupMany, ready, scalarMultPacked } from '../dist/index.js';
import { secretScalarMultChunk, SCALARMULT_CHUNK_POINTS } from '../dist/internal/batch.js';

// `npm run bench:scalarmult -- 16 256` passes the separator through; drop it.
const args = process.argv.slice(2).filter((arg) => arg !== '--');
const sizes = args.length > 0 ? args.map(Number) : [1, 16, 256, 4096];
if (!sizes.every((n) => Number.isSafeInteger(n) && n >= 1)) throw new Error(`batch sizes must be positive integers, got ${args.join(' ')}`);
await ready();
await sodium.ready;
const raw = sodium.libsodium;
const encoder = new TextEncoder();
const DST = encoder.encode('HashToGroup-VENN-V1-bench');
const load = () => loadavg().map((x) => x.toFixed(2)).join(' ');
const cell = (r) => `${r.median.toFixed(1).padStart(7)} [${r.min.toFixed(1).padStart(6)}]`;

/** Runs every entry of `runs` once per round, in turn, until each has ~`budgetMs` of samples. */
function interleave(runs, perCall, budgetMs = 1500) {
  for (const run of runs) run.fn(); // warm-up (and tier-up of the WebAssembly code)
  for (const run of runs) run.fn();
  const cpu = runs.map(() => []);
  const wall = runs.map(() => []);
  const started = performance.now();
  let rounds = 0;
  while (rounds < 5 || (performance.now() - started < budgetMs * runs.length && rounds < 400)) {
    runs.forEach((run, i) => {
      const c0 = process.cpuUsage();
      const t0 = process.hrtime.bigint();
      run.fn();
      const t1 = process.hrtime.bigint();
      const c1 = process.cpuUsage(c0);
      cpu[i].push((c1.user + c1.system) / perCall);
      wall[i].push(Number(t1 - t0) / 1e3 / perCall);
    });
    rounds++;
  }
  const median = (t) => [...t].sort((a, b) => a - b)[t.length >> 1];
  return runs.map((_, i) => ({ median: median(cpu[i]), min: Math.min(...cpu[i]), wall: median(wall[i]), rounds }));
}

/** The libsodium path scalarMultPacked used before: chunks of 256 copied into the heap, one call per point. */
function sodiumPacked(scalarPtr, inPtr, outPtr, k, points) {
  raw.HEAPU8.set(k, scalarPtr);
  const out = new Uint8Array(points.length);
  for (let start = 0; start < points.length; start += 256 * 32) {
    const chunk = points.subarray(start, start + 256 * 32);
    raw.HEAPU8.set(chunk, inPtr);
    for (let j = 0; j < chunk.length; j += 32) {
      if (raw._crypto_scalarmult_ristretto255(outPtr + j, scalarPtr, inPtr + j) !== 0) throw new Error('refused');
    }
    out.set(raw.HEAPU8.subarray(outPtr, outPtr + chunk.length), start);
  }
  raw.HEAPU8.fill(0, scalarPtr, scalarPtr + 32);
  return out;
}

console.log(`secret-scalar multiplication, node ${process.version}; load average ${load()}`);
console.log('CPU µs per point (median of interleaved rounds; min in brackets); ratio in CPU time and in wall time');
console.log('     n   libsodium         batched module    scalarMultPacked   libsodium/batched  (wall)   rounds');
const scalarPtr = raw._malloc(32);
const inPtr = raw._malloc(256 * 32);
const outPtr = raw._malloc(256 * 32);
for (const n of sizes) {
  const k = sodium.crypto_core_ristretto255_scalar_random();
  const points = hashToGroupMany(Array.from({ length: n }, (_, i) => encoder.encode(`bench ${n} ${i}`)), DST);
  const expected = sodiumPacked(scalarPtr, inPtr, outPtr, k, points);
  if (Buffer.compare(Buffer.from(scalarMultPacked(k, points)), Buffer.from(expected)) !== 0) throw new Error('implementations disagree');
  const chunkOut = new Uint8Array(Math.min(n, SCALARMULT_CHUNK_POINTS) * 32);
  const batched = () => {
    for (let start = 0; start < n; start += SCALARMULT_CHUNK_POINTS) {
      const m = Math.min(SCALARMULT_CHUNK_POINTS, n - start);
      secretScalarMultChunk(k, points.subarray(start * 32, (start + m) * 32), chunkOut.subarray(0, m * 32));
    }
  };
  const [lib, mod, pub] = interleave(
    [{ fn: () => sodiumPacked(scalarPtr, inPtr, outPtr, k, points) }, { fn: batched }, { fn: () => scalarMultPacked(k, points) }],
    n,
  );
  console.log(
    `${String(n).padStart(6)} ${cell(lib)}  ${cell(mod)}  ${cell(pub)}    ${(lib.median / mod.median).toFixed(2).padStart(6)}x  ` +
      `${(lib.wall / mod.wall).toFixed(2).padStart(6)}x   ${lib.rounds}`,
  );
}

// hash-to-group: the former libsodium path (raw exports) against hashToGroupMany.
const stateBytes = raw._crypto_hash_sha512_statebytes();
const zpad = raw._malloc(stateBytes);
const state = raw._malloc(stateBytes);
const msgPtr = raw._malloc(4096);
const b0 = raw._malloc(64);
const wide = raw._malloc(64);
const elementPtr = raw._malloc(32);
raw.HEAPU8.fill(0, msgPtr, msgPtr + 128);
raw._crypto_hash_sha512_init(zpad);
raw._crypto_hash_sha512_update(zpad, msgPtr, 128, 0);
const prime = new Uint8Array([...DST, DST.length]);
function sodiumHashToGroupMany(msgs) {
  const out = new Uint8Array(msgs.length * 32);
  msgs.forEach((msg, i) => {
    const heap = raw.HEAPU8;
    heap.copyWithin(state, zpad, zpad + stateBytes);
    heap.set(msg, msgPtr);
    raw._crypto_hash_sha512_update(state, msgPtr, msg.length, 0);
    heap.set([0, 64, 0, ...prime], msgPtr);
    raw._crypto_hash_sha512_update(state, msgPtr, 3 + prime.length, 0);
    raw._crypto_hash_sha512_final(state, b0);
    heap.copyWithin(msgPtr, b0, b0 + 64);
    heap[msgPtr + 64] = 1;
    heap.set(prime, msgPtr + 65);
    raw._crypto_hash_sha512(wide, msgPtr, 65 + prime.length, 0);
    raw._crypto_core_ristretto255_from_hash(elementPtr, wide);
    out.set(heap.subarray(elementPtr, elementPtr + 32), i * 32);
  });
  return out;
}
console.log(`hash_to_ristretto255 (32-byte messages), load average ${load()}`);
console.log('     n   libsodium         hashToGroupMany    libsodium/batched  (wall)   rounds');
for (const n of sizes) {
  const msgs = Array.from({ length: n }, (_, i) => encoder.encode(`identifier-digest-${i}`.padEnd(32, '.')));
  if (Buffer.compare(Buffer.from(sodiumHashToGroupMany(msgs)), Buffer.from(hashToGroupMany(msgs, DST))) !== 0) {
    throw new Error('hash-to-group implementations disagree');
  }
  const [lib, mod] = interleave([{ fn: () => sodiumHashToGroupMany(msgs) }, { fn: () => hashToGroupMany(msgs, DST) }], n, 800);
  console.log(
    `${String(n).padStart(6)} ${cell(lib)}  ${cell(mod)}    ${(lib.median / mod.median).toFixed(2).padStart(6)}x  ` +
      `${(lib.wall / mod.wall).toFixed(2).padStart(6)}x   ${lib.rounds}`,
  );
}
console.log(`load average at the end ${load()}`);
