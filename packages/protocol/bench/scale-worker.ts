/**
 * Worker thread for bench:core's thread scaling (t): blinds its share of the elements
 * (hash-to-group, then k·H(x)) and evaluates the result under a second key, the two steps a
 * daemon's round worker spends most of a round on, and reports its wall and CPU time.
 */
import { parentPort, workerData } from 'node:worker_threads';
import { hashToGroupMany, randomScalar, ready, scalarMultPacked, systemRng } from '@venn/crypto';
import { threadCpuMs } from './common.js';

export interface ScaleInit {
  readonly elements: Uint8Array[];
  readonly dst: Uint8Array;
  /** Elements per call, as a round's chunks. */
  readonly chunk: number;
}

const init = workerData as ScaleInit;
const port = parentPort!;
await ready();
port.postMessage({ type: 'ready' });
port.once('message', () => {
  const blindKey = randomScalar(systemRng);
  const evaluateKey = randomScalar(systemRng);
  const cpuStart = threadCpuMs();
  const started = performance.now();
  for (let at = 0; at < init.elements.length; at += init.chunk) {
    const hashed = hashToGroupMany(init.elements.slice(at, at + init.chunk), init.dst);
    scalarMultPacked(evaluateKey, scalarMultPacked(blindKey, hashed));
  }
  const wallMs = performance.now() - started;
  const cpuEnd = threadCpuMs();
  port.postMessage({ type: 'done', wallMs, cpuMs: cpuStart === undefined || cpuEnd === undefined ? undefined : cpuEnd - cpuStart });
});
