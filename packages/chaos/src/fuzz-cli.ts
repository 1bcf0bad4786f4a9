/**
 * npm run fuzz -- [--target T] [--runs N] [--seed S] [--jobs J] [--corpus DIR]
 *
 * Structure-aware fuzzing of every decoder of untrusted bytes. Each target runs in a worker thread
 * under a watchdog, so an input that never returns is reported (as a hang, with its input) instead
 * of stopping the run. Exit 0 iff no input crashed, hung, took over 1 s or broke a property.
 */
import { cpus, loadavg } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { Worker } from 'node:worker_threads';
import { emptyStats, inputAt, keepSlowest, writeCorpus, type FuzzStats } from './internal/fuzz/runner.js';
import { TARGET_NAMES, closeTargets, loadTargets, type TargetName } from './internal/fuzz/targets.js';

const here = dirname(fileURLToPath(import.meta.url));
const { values } = parseArgs({
  args: process.argv.slice(2).filter((arg) => arg !== '--'),
  options: {
    target: { type: 'string', default: 'all' },
    runs: { type: 'string', default: '100000' },
    seed: { type: 'string', default: '1' },
    jobs: { type: 'string', default: String(Math.max(1, Math.min(2, cpus().length))) },
    corpus: { type: 'string', default: join(here, '../corpus') },
    'hang-ms': { type: 'string', default: '10000' },
    help: { type: 'boolean', default: false },
  },
});
if (values.help) {
  process.stdout.write(`usage: npm run fuzz -- [--target T|all] [--runs N] [--seed S] [--jobs J] [--corpus DIR]

targets: ${TARGET_NAMES.join(', ')}
Defaults: every target, 100000 inputs each, seed 1, 2 workers, findings minimised into
packages/chaos/corpus/<target>/ (replayed by the test suite).
`);
  process.exit(0);
}
const runs = Number(values.runs);
const seed = Number(values.seed);
const jobs = Number(values.jobs);
const hangMs = Number(values['hang-ms']);
const targets = values.target === 'all' ? [...TARGET_NAMES] : values.target.split(',');
for (const name of targets) {
  if (!(TARGET_NAMES as readonly string[]).includes(name)) {
    process.stderr.write(`fuzz: "--target" expected one of ${TARGET_NAMES.join(', ')} or all, got ${JSON.stringify(name)}\n`);
    process.exit(2);
  }
}
if (!Number.isSafeInteger(runs) || runs < 1 || !Number.isSafeInteger(seed) || !Number.isSafeInteger(jobs) || jobs < 1) {
  process.stderr.write('fuzz: "--runs", "--seed" and "--jobs" expected positive integers\n');
  process.exit(2);
}
const loaded = await loadTargets();

function merge(into: FuzzStats, part: FuzzStats): void {
  into.inputs += part.inputs;
  into.valid += part.valid;
  into.rejected += part.rejected;
  for (const [code, n] of Object.entries(part.codes)) into.codes[code] = (into.codes[code] ?? 0) + n;
  into.findings.push(...part.findings);
  if (part.slowestMs > into.slowestMs) {
    into.slowestMs = part.slowestMs;
    into.slowestIndex = part.slowestIndex;
  }
  into.elapsedMs += part.elapsedMs;
}

/** Runs [from, runs) in a worker; on a hang, reports the input and goes on after it. */
async function runTarget(name: TargetName): Promise<FuzzStats> {
  const total = emptyStats(name);
  let from = 0;
  while (from < runs) {
    const progress = new SharedArrayBuffer(4);
    const index = new Int32Array(progress);
    Atomics.store(index, 0, from);
    const started = performance.now();
    const worker = new Worker(join(here, 'internal/fuzz/worker.js'), { workerData: { target: name, seed, runs, from, corpusDir: values.corpus, progress } });
    const result = await new Promise<{ stats?: FuzzStats; hungAt?: number; error?: Error }>((resolve) => {
      let last = from;
      let lastChange = performance.now();
      const watchdog = setInterval(() => {
        const now = Atomics.load(index, 0);
        if (now !== last) {
          last = now;
          lastChange = performance.now();
        } else if (performance.now() - lastChange > hangMs && performance.now() - started > hangMs * 2) {
          clearInterval(watchdog);
          void worker.terminate();
          resolve({ hungAt: now });
        }
      }, 250);
      worker.once('message', (stats: FuzzStats) => { clearInterval(watchdog); resolve({ stats }); });
      worker.once('error', (error) => { clearInterval(watchdog); resolve({ error }); });
    });
    if (result.stats !== undefined) {
      merge(total, result.stats);
      break;
    }
    if (result.error !== undefined) {
      total.findings.push({ finding: 'worker-crash', error: result.error.message, index: Atomics.load(index, 0), input: new Uint8Array(0), path: null });
      break;
    }
    const at = result.hungAt!;
    const input = inputAt(loaded.get(name)!, seed, at);
    const path = writeCorpus(values.corpus, name, 'hang', input);
    total.inputs += at - from + 1;
    total.elapsedMs += performance.now() - started;
    total.findings.push({ finding: 'hang', error: `input ${at} did not return within ${hangMs} ms`, index: at, input, path });
    from = at + 1;
  }
  return total;
}

const startedAt = performance.now();
const results: FuzzStats[] = [];
const queue = [...targets] as TargetName[];
await Promise.all(Array.from({ length: Math.min(jobs, queue.length) }, async () => {
  for (let name = queue.shift(); name !== undefined; name = queue.shift()) {
    const stats = await runTarget(name);
    results.push(stats);
    // The slowest input stays in the corpus: the test suite replays it, so a decoder that becomes slow on it fails there.
    // It replaces the stored one only when it is the slower of the two, timed now.
    let slowest = '';
    if (stats.slowestIndex >= 0) {
      const kept = await keepSlowest(loaded.get(name)!, join(values.corpus, name, 'slowest.bin'), inputAt(loaded.get(name)!, seed, stats.slowestIndex));
      slowest = `, slowest input ${kept.action}${kept.storedMs === null || kept.candidateMs === null ? '' : ` (stored ${kept.storedMs.toFixed(2)} ms, this run's ${kept.candidateMs.toFixed(2)} ms)`}`;
    }
    process.stderr.write(`fuzz ${name}: ${stats.inputs} inputs in ${(stats.elapsedMs / 1000).toFixed(1)} s, ${stats.findings.length} findings${slowest}\n`);
  }
}));
closeTargets(loaded);
results.sort((a, b) => TARGET_NAMES.indexOf(a.target as TargetName) - TARGET_NAMES.indexOf(b.target as TargetName));

const rows = results.map((s) => {
  const top = Object.entries(s.codes).sort(([, a], [, b]) => b - a).slice(0, 3).map(([code, n]) => `${code} ${n}`).join(', ');
  return [s.target, String(s.inputs), String(s.valid), String(s.rejected), String(s.findings.length), `${s.slowestMs.toFixed(1)} ms`, `${Math.round(s.inputs / Math.max(0.001, s.elapsedMs / 1000))}/s`, top];
});
const headers = ['target', 'inputs', 'valid', 'typed errors', 'crashes', 'slowest input', 'rate', 'most frequent codes'];
const widths = headers.map((h, i) => Math.max(h.length, ...rows.map((r) => r[i]!.length)));
const line = (cells: readonly string[]): string => cells.map((c, i) => c.padEnd(widths[i]!)).join('  ').trimEnd();
const findings = results.flatMap((s) => s.findings.map((f) => ({ target: s.target, ...f })));
const slowest = results.reduce((a, b) => (b.slowestMs > a.slowestMs ? b : a), results[0]!);
process.stdout.write([
  `venn fuzz: seed ${seed}, ${runs} inputs per target, ${jobs} workers, ${((performance.now() - startedAt) / 1000).toFixed(1)} s, load average ${loadavg().map((n) => n.toFixed(2)).join(' ')} on ${cpus().length} cores`,
  '',
  line(headers),
  ...rows.map(line),
  '',
  `total: ${results.reduce((n, s) => n + s.inputs, 0)} inputs, crashes ${findings.length}, slowest input ${slowest.slowestMs.toFixed(1)} ms (${slowest.target} #${slowest.slowestIndex})`,
  ...findings.map((f) => `  ${f.target} #${f.index} ${f.finding}: ${f.error}${f.path === null ? '' : ` → ${f.path}`}`),
  '',
].join('\n'));
process.exitCode = findings.length === 0 ? 0 : 1;
