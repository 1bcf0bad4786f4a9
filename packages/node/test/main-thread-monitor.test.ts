/**
 * main-thread-monitor.ts: the main thread's own work and its waits for a CPU, told apart from
 * Linux's schedstat. The readings are checked on fixed input, then on this real thread: a
 * synchronous busy stretch shows whole as work, an idle stretch does not, a sleep in a system call
 * shows as blocked, and CPU hogs in child processes (more runnable threads than the machine has
 * cores) show as waiting.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { availableParallelism } from 'node:os';
import { setTimeout as sleep } from 'node:timers/promises';
import { afterEach, describe, expect, it } from 'vitest';
import { MainThreadMonitor, parseSchedstat } from '../src/internal/main-thread-monitor.js';
import { threadCpuMs } from '../src/internal/thread-cpu.js';

function spin(ms: number): void {
  const until = performance.now() + ms;
  while (performance.now() < until) {
    // busy: this thread's own work
  }
}

/** Busy until this thread has had `ms` of CPU (on a loaded machine that takes longer in wall time). */
function spinCpu(ms: number): void {
  const start = threadCpuMs()!;
  const deadline = performance.now() + 20_000;
  while (threadCpuMs()! - start < ms && performance.now() < deadline) spin(1);
}

describe('parseSchedstat', () => {
  it('reads run and wait nanoseconds as milliseconds', () => {
    expect(parseSchedstat('1500000000 250000 42\n')).toEqual({ runMs: 1500, waitMs: 0.25 });
    expect(parseSchedstat('0 0 0')).toEqual({ runMs: 0, waitMs: 0 });
  });

  it('refuses anything that is not two counts', () => {
    for (const junk of ['', '\n', '12', '12 x 3', '-1 2 3', '1.5 2 3', 'run wait slices', '0x10 1 1', ' 1  2']) {
      expect(parseSchedstat(junk), JSON.stringify(junk)).toBeNull();
    }
  });
});

describe('MainThreadMonitor on given readings', () => {
  it('keeps the largest step of each field between two readings, and resets each when taken', () => {
    const lines = ['0 0 0', '5000000 1000000 1', '65000000 3000000 2', '70000000 43000000 3', '71000000 44000000 4'];
    let next = 0;
    const monitor = new MainThreadMonitor(() => lines[next++]!, 1000);
    expect(monitor.start()).toBe(true);
    monitor.tick();
    monitor.tick();
    expect(monitor.takeMaxRunMs()).toBe(60);
    expect(monitor.takeMaxRunMs()).toBe(0);
    monitor.tick();
    monitor.tick();
    expect(monitor.takeMaxRunMs()).toBe(5);
    expect(monitor.takeMaxWaitMs()).toBe(40);
    expect(monitor.takeMaxWaitMs()).toBe(0);
    monitor.stop();
  });

  it('counts what is left of the time between two readings, after the interval, the run and the wait, as blocked', () => {
    const lines = ['0 0 0', '2000000 1000000 1', '3000000 1000000 2', '63000000 1000000 3'];
    const clock = [0, 13, 133, 205];
    let next = 0;
    let at = 0;
    const monitor = new MainThreadMonitor(() => lines[next++]!, 10, () => clock[at++]!);
    expect(monitor.start()).toBe(true);
    monitor.tick(); // 13 ms: 10 of interval, 2 running, 1 waiting
    expect(monitor.takeMaxBlockedMs()).toBe(0);
    monitor.tick(); // 120 ms: 10 of interval, 1 running, 109 blocked
    monitor.tick(); // 72 ms with 60 running: nothing blocked
    expect(monitor.takeMaxBlockedMs()).toBe(109);
    expect(monitor.takeMaxBlockedMs()).toBe(0);
    expect(monitor.takeMaxRunMs()).toBe(60);
    monitor.stop();
  });

  it('does not start where schedstat cannot be read or parsed, and skips a bad reading', () => {
    expect(new MainThreadMonitor(() => { throw new Error('ENOENT'); }).start()).toBe(false);
    expect(new MainThreadMonitor(() => 'not a schedstat').start()).toBe(false);
    const lines = ['0 0 0', 'garbage', '30000000 0 0'];
    let next = 0;
    const monitor = new MainThreadMonitor(() => lines[next++]!, 1000);
    expect(monitor.start()).toBe(true);
    monitor.tick();
    monitor.tick();
    expect(monitor.takeMaxRunMs()).toBe(30);
    monitor.stop();
  });
});

describe.runIf(process.platform === 'linux')('MainThreadMonitor on this thread', () => {
  const hogs: ChildProcess[] = [];
  afterEach(() => {
    for (const hog of hogs.splice(0)) hog.kill('SIGKILL');
  });

  it('shows a synchronous 120 ms task whole as work, and an idle stretch as none', async () => {
    const monitor = new MainThreadMonitor();
    expect(monitor.start()).toBe(true);
    try {
      await sleep(50);
      monitor.takeMaxRunMs();
      spinCpu(120);
      await sleep(30);
      expect(monitor.takeMaxRunMs()).toBeGreaterThanOrEqual(100);
      await sleep(200);
      expect(monitor.takeMaxRunMs()).toBeLessThan(50);
    } finally {
      monitor.stop();
    }
  });

  it('shows a 120 ms sleep in a system call as blocked, not as work', async () => {
    const monitor = new MainThreadMonitor();
    expect(monitor.start()).toBe(true);
    try {
      await sleep(50);
      monitor.takeMaxBlockedMs();
      monitor.takeMaxRunMs();
      // futex(2) with a timeout: the thread sleeps in the kernel, as in an fsync.
      Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, 120);
      await sleep(30);
      expect(monitor.takeMaxBlockedMs()).toBeGreaterThanOrEqual(90);
      expect(monitor.takeMaxRunMs()).toBeLessThan(50);
    } finally {
      monitor.stop();
    }
  });

  it('shows time the thread had work but no CPU as waiting, when more threads want to run than there are cores', async () => {
    const monitor = new MainThreadMonitor();
    expect(monitor.start()).toBe(true);
    try {
      for (let i = 0; i < availableParallelism() + 1; i++) {
        hogs.push(spawn(process.execPath, ['-e', 'for (;;) {}'], { stdio: 'ignore' }));
      }
      await sleep(200);
      monitor.takeMaxWaitMs();
      // Busy in 5 ms steps for a second, so that this thread is runnable throughout.
      const until = performance.now() + 1000;
      while (performance.now() < until) {
        spin(5);
        await new Promise((resolve) => setImmediate(resolve));
      }
      expect(monitor.takeMaxWaitMs()).toBeGreaterThan(2);
    } finally {
      monitor.stop();
    }
  });
});
