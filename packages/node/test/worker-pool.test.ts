import { readdirSync, readFileSync } from 'node:fs';
import { beforeAll, describe, expect, it } from 'vitest';
import { WorkerPool, workerExecArgv } from '../src/internal/worker-pool.js';
import { ensureBuilt } from './helpers/build.js';

beforeAll(() => ensureBuilt(), 180_000);

describe('workerExecArgv', () => {
  it('drops the venn-source condition in every spelling and keeps every other flag', () => {
    expect(workerExecArgv(['--conditions', 'venn-source', '--conditions', 'module', '--require', 'x.cjs'])).toEqual(['--conditions', 'module', '--require', 'x.cjs']);
    expect(workerExecArgv(['--conditions=venn-source', '-C', 'venn-source', '-C=venn-source', '--max-old-space-size=512'])).toEqual(['--max-old-space-size=512']);
    expect(workerExecArgv([])).toEqual([]);
    expect(workerExecArgv(['--conditions'])).toEqual(['--conditions']);
  });
});

/** The nice value of each thread of this process, by thread id (proc(5): field 19 of /proc/<pid>/task/<tid>/stat). */
function threadNice(): Map<number, number> {
  const out = new Map<number, number>();
  for (const tid of readdirSync('/proc/self/task')) {
    try {
      const stat = readFileSync(`/proc/self/task/${tid}/stat`, 'utf8');
      out.set(Number(tid), Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[16]));
    } catch {
      // The thread ended between the listing and the read.
    }
  }
  return out;
}

async function threadsAt(nice: number, timeoutMs = 20_000): Promise<number[]> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const found = [...threadNice()].filter(([, value]) => value === nice).map(([tid]) => tid);
    if (found.length > 0 || Date.now() > deadline) return found;
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}

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
