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

/** Where the running platform tells a thread's CPU time (the fallbacks are tested with stand-in sources below). */
const MEASURED = process.platform === 'linux' || typeof (process as unknown as { threadCpuUsage?: unknown }).threadCpuUsage === 'function';

/**
 * A fixed amount of computing (about 170 ms of CPU on this class of machine), not a fixed wall
 * time: on a loaded machine a thread gets less CPU per wall millisecond, but the same work costs
 * about the same CPU.
 */
const WORK = 15_000_000;

function burn(iterations: number): void {
  let x = 0;
  for (let i = 0; i < iterations; i++) x += Math.sqrt(x + 1);
  if (x < 0) throw new Error('unreachable');
}

/** A worker thread (the built module, as round workers run it) that idles for `amount` ms or computes `amount` iterations, and reports its own reading. */
function inWorker(mode: 'idle' | 'burn', amount: number): Promise<number | null> {
  const url = new URL('../dist/internal/thread-cpu.js', import.meta.url).href;
  const source = `
    const { parentPort, workerData } = require('node:worker_threads');
    import(workerData.url).then(async ({ threadCpuMs }) => {
      const before = threadCpuMs();
      if (workerData.mode === 'idle') await new Promise((resolve) => setTimeout(resolve, workerData.amount));
      else { let x = 0; for (let i = 0; i < workerData.amount; i++) x += Math.sqrt(x + 1); if (x < 0) throw new Error('unreachable'); }
      const after = threadCpuMs();
      parentPort.postMessage(before === null || after === null ? null : after - before);
    });`;
  const worker = new Worker(source, { eval: true, workerData: { url, mode, amount } });
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
    burn(WORK);
    expect(threadCpuMs()! - before).toBeGreaterThan(60);
    // The worker waits 300 ms while this thread computes.
    const idle = inWorker('idle', 300);
    burn(2 * WORK);
    expect(await idle).toBeLessThan(40);
    expect(await inWorker('burn', WORK)).toBeGreaterThan(60);
  });

  it('reads threadCpuUsage where the platform has it, schedstat on Linux, and is null where neither tells', () => {
    const none = (): string => { throw new Error('ENOENT: no /proc here'); };
    // A Node with process.threadCpuUsage (23.9 and later): microseconds of user and system time.
    expect(threadCpuMs({ threadCpuUsage: () => ({ user: 1500, system: 500 }), platform: 'darwin', readSchedstat: none })).toBe(2);
    // Linux without it: the first field of /proc/thread-self/schedstat, in nanoseconds.
    expect(threadCpuMs({ platform: 'linux', readSchedstat: () => '12500000 300 7\n' })).toBe(12.5);
    // Neither: another platform, no /proc, or a schedstat that is not a count.
    expect(threadCpuMs({ platform: 'darwin', readSchedstat: () => '12500000 300 7\n' })).toBeNull();
    expect(threadCpuMs({ platform: 'linux', readSchedstat: none })).toBeNull();
    for (const junk of ['', 'x 1 2', '-5 1 2', '1e9 1 2', ' 12 1 2']) expect(threadCpuMs({ platform: 'linux', readSchedstat: () => junk })).toBeNull();
  });
});
