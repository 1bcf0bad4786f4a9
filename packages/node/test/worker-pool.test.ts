import { beforeAll, describe, expect, it } from 'vitest';
import { WorkerPool, workerExecArgv } from '../src/internal/worker-pool.js';
import { ensureBuilt } from './helpers/build.js';
import { threadNice, threadsAt } from './helpers/threads.js';

beforeAll(() => ensureBuilt(), 180_000);

describe('workerExecArgv', () => {
  it('drops the venn-source condition in every spelling and keeps every other flag', () => {
    expect(workerExecArgv(['--conditions', 'venn-source', '--conditions', 'module', '--require', 'x.cjs'])).toEqual(['--conditions', 'module', '--require', 'x.cjs']);
    expect(workerExecArgv(['--conditions=venn-source', '-C', 'venn-source', '-C=venn-source', '--max-old-space-size=512'])).toEqual(['--max-old-space-size=512']);
    expect(workerExecArgv([])).toEqual([]);
    expect(workerExecArgv(['--conditions'])).toEqual(['--conditions']);
  });
});

describe('round worker priority (node.md §1 workerNice)', () => {
  it('lowers each round worker thread to the configured nice value and leaves the main thread as it was', async () => {
    const mainBefore = threadNice().get(process.pid);
    expect(mainBefore).toBe(0);
    const pool = new WorkerPool(2, undefined, 7);
    try {
      const first = await pool.acquire();
      const second = await pool.acquire();
      // Two worker threads, each at nice 7; the main thread unchanged.
      const deadline = Date.now() + 20_000;
      let lowered: number[] = [];
      while (lowered.length < 2 && Date.now() < deadline) lowered = await threadsAt(7, 1_000);
      expect(lowered.length).toBe(2);
      expect(threadNice().get(process.pid)).toBe(0);
      first.release(true);
      second.release(true);
    } finally {
      await pool.close();
    }
  }, 60_000);

  it('changes no thread with nice 0', async () => {
    const pool = new WorkerPool(1, undefined, 0);
    try {
      const worker = await pool.acquire();
      await new Promise((resolve) => setTimeout(resolve, 2_000));
      expect([...threadNice().values()].every((value) => value === 0)).toBe(true);
      worker.release(true);
    } finally {
      await pool.close();
    }
  }, 60_000);
});
