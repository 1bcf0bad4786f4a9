/**
 * The CPU time a round's cost records (node.md §2) is its worker thread's alone: a thread that
 * waits while another thread of the process computes reads (almost) nothing, and a thread that
 * computes reads about its own time.
 */
import { Worker } from 'node:worker_threads';
import { beforeAll, describe, expect, it } from 'vitest';
import { threadCpuMs } from '../src/internal/thread-cpu.js';
import { ensureBuilt } from './helpers/build.js';

beforeAll(() => ensureBuilt());

const MEASURED = process.platform === 'linux' || typeof (process as unknown as { threadCpuUsage?: unknown }).threadCpuUsage === 'function';

function burn(ms: number): void {
  const until = performance.now() + ms;
  let x = 0;
  while (performance.now() < until) x += Math.sqrt(x + 1);
  if (x < 0) throw new Error('unreachable');
}

/** A worker thread (the built module, as round workers run it) that idles or computes for `ms` and reports its own reading. */
function inWorker(mode: 'idle' | 'burn', ms: number): Promise<number | null> {
  const url = new URL('../dist/internal/thread-cpu.js', import.meta.url).href;
  const source = `
    const { parentPort, workerData } = require('node:worker_threads');
    import(workerData.url).then(async ({ threadCpuMs }) => {
      const before = threadCpuMs();
      if (workerData.mode === 'idle') await new Promise((resolve) => setTimeout(resolve, workerData.ms));
      else { const until = performance.now() + workerData.ms; let x = 0; while (performance.now() < until) x += Math.sqrt(x + 1); }
      const after = threadCpuMs();
      parentPort.postMessage(before === null || after === null ? null : after - before);
    });`;
  const worker = new Worker(source, { eval: true, workerData: { url, mode, ms } });
  return new Promise((resolve, reject) => {
    worker.once('message', (value: number | null) => {
      void worker.terminate();
      resolve(value);
    });
    worker.once('error', reject);
  });
}

describe('threadCpuMs', () => {
  it.runIf(MEASURED)('counts this thread\'s computing, and not another thread\'s', async () => {
    const before = threadCpuMs()!;
    burn(150);
    expect(threadCpuMs()! - before).toBeGreaterThan(60);
    // The worker waits 300 ms while this thread computes for 250 ms of them.
    const idle = inWorker('idle', 300);
    burn(250);
    expect(await idle).toBeLessThan(40);
    expect(await inWorker('burn', 150)).toBeGreaterThan(60);
  });

  it.runIf(!MEASURED)('is null where the platform does not tell a thread\'s CPU time', () => {
    expect(threadCpuMs()).toBeNull();
  });
});
