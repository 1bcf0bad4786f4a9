// Times appends and proof generation/verification on a large in-memory Merkle log.
// Run after a build: npx tsc -b packages/audit && node packages/audit/bench/log-proofs.mjs [--n 100000]
import { MemoryLogStorage, MerkleLog, hashLeaf, verifyConsistency, verifyInclusion } from '../dist/index.js';

const flag = process.argv.indexOf('--n');
const n = flag >= 0 ? Number(process.argv[flag + 1]) : 100_000;
const leaf = (i) => new TextEncoder().encode(`leaf ${i}`);

const log = new MerkleLog(new MemoryLogStorage());
let started = performance.now();
for (let i = 0; i < n; i++) log.append(leaf(i));
const appendMs = performance.now() - started;
const root = log.root();

// A fixed xorshift stream picks the indices and sizes, so runs are comparable.
let state = 0x12345678;
const next = () => {
  state ^= state << 13;
  state ^= state >>> 17;
  state ^= state << 5;
  return (state >>> 0) % n;
};
const samples = 1000;
const indices = Array.from({ length: samples }, next);

started = performance.now();
const inclusion = indices.map((i) => log.inclusionProof(i));
const inclusionGenUs = ((performance.now() - started) * 1000) / samples;
started = performance.now();
indices.forEach((i, k) => {
  if (!verifyInclusion(hashLeaf(leaf(i)), i, n, inclusion[k], root)) throw new Error(`inclusion ${i} failed`);
});
const inclusionVerifyUs = ((performance.now() - started) * 1000) / samples;

const sizes = indices.map((i) => i + 1);
started = performance.now();
const consistency = sizes.map((m) => log.consistencyProof(m));
const consistencyGenUs = ((performance.now() - started) * 1000) / samples;
const firstRoots = sizes.map((m) => log.root(m));
started = performance.now();
sizes.forEach((m, k) => {
  if (!verifyConsistency(m, n, firstRoots[k], root, consistency[k])) throw new Error(`consistency ${m} failed`);
});
const consistencyVerifyUs = ((performance.now() - started) * 1000) / samples;

console.log(`leaves: ${n}`);
console.log(`append: ${((appendMs * 1000) / n).toFixed(1)} µs/leaf (${appendMs.toFixed(0)} ms total)`);
console.log(`inclusion proof: generate ${inclusionGenUs.toFixed(1)} µs, verify ${inclusionVerifyUs.toFixed(1)} µs (mean of ${samples})`);
console.log(`consistency proof: generate ${consistencyGenUs.toFixed(1)} µs, verify ${consistencyVerifyUs.toFixed(1)} µs (mean of ${samples})`);
