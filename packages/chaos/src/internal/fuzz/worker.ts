/** One fuzz target in a worker thread: the index about to run is kept in shared memory for the hang watchdog. */
import { parentPort, workerData } from 'node:worker_threads';
import { emptyStats, fuzzTarget } from './runner.js';
import { closeTargets, loadTargets, type TargetName } from './targets.js';

interface Job {
  readonly target: TargetName;
  readonly seed: number;
  readonly runs: number;
  readonly from: number;
  readonly corpusDir: string | null;
  readonly progress: SharedArrayBuffer;
}

const job = workerData as Job;
const index = new Int32Array(job.progress);
const targets = await loadTargets();
try {
  const target = targets.get(job.target);
  if (target === undefined) throw new Error(`no fuzz target ${job.target}`);
  const stats = await fuzzTarget(target, { seed: job.seed, runs: job.runs, from: job.from, corpusDir: job.corpusDir, onInput: (i) => Atomics.store(index, 0, i) }, emptyStats(job.target));
  parentPort?.postMessage(stats);
} finally {
  closeTargets(targets);
}
