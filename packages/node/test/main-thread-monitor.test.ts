/**
 * main-thread-monitor.ts: the main thread's own work and its waits for a CPU, told apart from
 * Linux's schedstat. The readings are checked on fixed input, then on this real thread: a
 * synchronous busy stretch shows whole as work, an idle stretch does not, a sleep in a system call
 * shows as blocked, and CPU hogs in child processes (more runnable threads than the machine has
 * cores) show as waiting. A stall (the host took the virtual CPU away, and the guest kernel charged
 * the absence to the thread as run) is checked on fixed readings of /proc/stat, since no test can
 * make the host take a CPU away; the readers are checked on this machine's own files.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { availableParallelism } from 'node:os';
import { setTimeout as sleep } from 'node:timers/promises';
import { afterEach, describe, expect, it } from 'vitest';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { MainThreadMonitor, ProcReader, STALL_MIN_MS, parseCpuTimes, parseProcessor, parseSchedstat } from '../src/internal/main-thread-monitor.js';
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
    const monitor = new MainThreadMonitor({ schedstat: () => lines[next++]!, cpuTimes: null, intervalMs: 1000 });
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
    const monitor = new MainThreadMonitor({ schedstat: () => lines[next++]!, cpuTimes: null, intervalMs: 10, now: () => clock[at++]! });
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
    expect(new MainThreadMonitor({ schedstat: () => { throw new Error('ENOENT'); } }).start()).toBe(false);
    expect(new MainThreadMonitor({ schedstat: () => 'not a schedstat' }).start()).toBe(false);
    const lines = ['0 0 0', 'garbage', '30000000 0 0'];
    let next = 0;
    const monitor = new MainThreadMonitor({ schedstat: () => lines[next++]!, cpuTimes: null, intervalMs: 1000 });
    expect(monitor.start()).toBe(true);
    monitor.tick();
    monitor.tick();
    expect(monitor.takeMaxRunMs()).toBe(30);
    monitor.stop();
  });
});

/** /proc/stat's head for two CPUs, each CPU's eight summed fields given in 10 ms ticks. */
function procStat(ticks: readonly number[]): string {
  const lines = ticks.map((t, cpu) => `cpu${cpu} ${t} 0 0 0 0 0 0 0 0 0`);
  return [`cpu  ${ticks.reduce((a, b) => a + b, 0)} 0 0 0 0 0 0 0 0 0`, ...lines, 'intr 3459787 0 0 0', 'ctxt 1', 'btime 1', 'processes 1', 'procs_running 1'].join('\n') + '\n';
}

/** A /proc/<pid>/task/<tid>/stat line of a thread last on `cpu`, its name with a space and a parenthesis. */
function taskStat(cpu: number): string {
  const after = Array.from({ length: 50 }, (_, i) => (i === 36 ? String(cpu) : i === 0 ? 'R' : '0'));
  return `4242 (node (main) x) ${after.join(' ')}\n`;
}

describe('parseCpuTimes', () => {
  it('sums the first eight fields of each cpuN line, in 10 ms ticks, by CPU number', () => {
    const text = 'cpu  300 0 0 0 0 0 0 0 0 0\ncpu0 1 2 3 4 5 6 7 8 900 900\ncpu2 10 0 0 0 0 0 0 0 0 0\nintr 1 2 3\n';
    expect(parseCpuTimes(text)).toEqual(new Map([[0, 360], [2, 100]]));
  });

  it('refuses text with no cpuN line, a short or malformed one, or a CPU twice', () => {
    for (const junk of ['', 'cpu  1 2 3 4 5 6 7 8\n', 'cpu0 1 2 3 4 5 6 7\n', 'cpu0 1 2 3 4 5 6 7 x\n', 'cpu0 1 2 3 4 5 6 7 -8\n', 'cpux 1 2 3 4 5 6 7 8\n', 'cpu0 1 2 3 4 5 6 7 8\ncpu0 1 2 3 4 5 6 7 8\n', 'cpu0  1 2 3 4 5 6 7 8\n', 'cpu99999 1 2 3 4 5 6 7 8\n']) {
      expect(parseCpuTimes(junk), JSON.stringify(junk)).toBeNull();
    }
  });

  it.runIf(process.platform === 'linux')('reads this machine\'s /proc/stat: a line for each online CPU', () => {
    const times = parseCpuTimes(readFileSync('/proc/stat', 'latin1'));
    expect(times).not.toBeNull();
    expect(times!.size).toBe(availableParallelism());
    for (const ms of times!.values()) expect(ms).toBeGreaterThan(0);
  });
});

describe('parseProcessor', () => {
  it('reads field 39, counted after the name\'s last parenthesis', () => {
    expect(parseProcessor(taskStat(1))).toBe(1);
    expect(parseProcessor(taskStat(0))).toBe(0);
  });

  it('refuses a line without a name, too short, or with no CPU number there', () => {
    for (const junk of ['', 'no parenthesis at all', '1 (x) R 0 0', taskStat(1).replace(/ 1 0 0 0 0 0 0 0 0 0 0 0 0 0\n$/, ' x 0 0 0 0 0 0 0 0 0 0 0 0 0\n'), '1 (x) ' + Array(36).fill('0').join(' ') + ' 99999 0\n']) {
      expect(parseProcessor(junk), JSON.stringify(junk)).toBeNull();
    }
  });

  it.runIf(process.platform === 'linux')('reads the CPU this thread is on from its own stat file', () => {
    const cpu = parseProcessor(readFileSync('/proc/thread-self/stat', 'latin1'));
    expect(cpu).not.toBeNull();
    expect(cpu!).toBeLessThan(availableParallelism());
  });
});

describe('ProcReader', () => {
  it('reads the file anew through one descriptor, and cuts a text longer than its buffer after the last whole line', () => {
    const dir = mkdtempSync(join(tmpdir(), 'venn-procreader-'));
    try {
      const path = join(dir, 'f');
      writeFileSync(path, 'one\ntwo\n');
      const reader = new ProcReader(path, 10);
      expect(reader.read()).toBe('one\ntwo\n');
      writeFileSync(path, 'three\nfour\nfive\n');
      expect(reader.read()).toBe('three\n');
      reader.close();
      writeFileSync(path, 'six\n');
      expect(reader.read()).toBe('six\n');
      reader.close();
      reader.close();
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it.runIf(process.platform === 'linux')('sees this thread\'s schedstat move between two reads of one descriptor', () => {
    const reader = new ProcReader('/proc/thread-self/schedstat', 256);
    try {
      const before = parseSchedstat(reader.read())!;
      spinCpu(30);
      const after = parseSchedstat(reader.read())!;
      expect(after.runMs - before.runMs).toBeGreaterThanOrEqual(25);
    } finally {
      reader.close();
    }
  });
});

describe('MainThreadMonitor: a stall of the virtual CPU', () => {
  /**
   * Two readings `elapsed` ms apart (110 unless given): the thread was charged `runMs`; CPU 0 and
   * CPU 1 accounted the given milliseconds meanwhile (multiples of 10, as /proc/stat shows them);
   * the thread is on `cpu` at the second reading.
   */
  function twoReadings(runMs: number, accounted: readonly [number, number], cpu: number, cpuTimes = true, elapsed = 110): { run: number; stall: number; processorReads: number } {
    const sched = ['0 0 0', `${runMs * 1e6} 0 1`];
    const stats = [procStat([1000, 1000]), procStat([1000 + accounted[0] / 10, 1000 + accounted[1] / 10])];
    const clock = [0, elapsed];
    let processorReads = 0;
    const monitor = new MainThreadMonitor({
      schedstat: () => sched.shift()!,
      cpuTimes: cpuTimes ? () => stats.shift()! : null,
      processor: () => { processorReads += 1; return taskStat(cpu); },
      intervalMs: 10,
      now: () => clock.shift()!,
    });
    expect(monitor.start()).toBe(true);
    monitor.tick();
    monitor.stop();
    return { run: monitor.takeMaxRunMs(), stall: monitor.takeMaxStallMs(), processorReads };
  }

  it('takes the time the thread\'s CPU did not account off the run, as a stall', () => {
    // 100 ms charged as run while CPU 0, where the thread is, accounted nothing of 110 ms.
    expect(twoReadings(100, [0, 110], 0)).toEqual({ run: 0, stall: 100, processorReads: 1 });
    // Part of it real work: 60 ms accounted of 110, so 50 ms missing.
    expect(twoReadings(100, [60, 110], 0)).toEqual({ run: 50, stall: 50, processorReads: 1 });
  });

  it('keeps a run its CPU accounted, and one whose CPU is not where the time went missing', () => {
    expect(twoReadings(100, [110, 110], 0)).toEqual({ run: 100, stall: 0, processorReads: 1 });
    // The other CPU stalled: the thread's own CPU accounted all of the time.
    expect(twoReadings(100, [110, 0], 0)).toEqual({ run: 100, stall: 0, processorReads: 1 });
    // On CPU 1, whose line has accounted everything, while CPU 0 missed it.
    expect(twoReadings(100, [0, 110], 1)).toEqual({ run: 100, stall: 0, processorReads: 1 });
  });

  it('ignores what the 10 ms units and the ticks can miss, and short runs', () => {
    // 19 ms missing: within the accounting's own error. 20 ms: a stall.
    expect(twoReadings(100, [90, 110], 0, true, 90 + STALL_MIN_MS - 1)).toEqual({ run: 100, stall: 0, processorReads: 1 });
    expect(twoReadings(100, [90, 110], 0, true, 90 + STALL_MIN_MS)).toEqual({ run: 100 - STALL_MIN_MS, stall: STALL_MIN_MS, processorReads: 1 });
    // A run under the threshold is not looked into: the thread's CPU is not even read.
    expect(twoReadings(STALL_MIN_MS - 1, [0, 0], 0)).toEqual({ run: STALL_MIN_MS - 1, stall: 0, processorReads: 0 });
  });

  it('finds no stall without /proc/stat, or with an unreadable CPU number or stat text', () => {
    expect(twoReadings(100, [0, 110], 0, false)).toEqual({ run: 100, stall: 0, processorReads: 0 });
    // CPU 5 has no line in /proc/stat.
    expect(twoReadings(100, [0, 110], 5)).toEqual({ run: 100, stall: 0, processorReads: 1 });
    const sched = ['0 0 0', '100000000 0 1'];
    const monitor = new MainThreadMonitor({ schedstat: () => sched.shift()!, cpuTimes: () => 'garbage', processor: () => taskStat(0), intervalMs: 10 });
    expect(monitor.start()).toBe(true);
    monitor.tick();
    expect(monitor.takeMaxRunMs()).toBe(100);
    expect(monitor.takeMaxStallMs()).toBe(0);
    const broken = ['0 0 0', '100000000 0 1'];
    const stats = [procStat([0, 0]), procStat([0, 0])];
    const unreadable = new MainThreadMonitor({ schedstat: () => broken.shift()!, cpuTimes: () => stats.shift()!, processor: () => { throw new Error('EACCES'); }, intervalMs: 10 });
    expect(unreadable.start()).toBe(true);
    unreadable.tick();
    expect(unreadable.takeMaxRunMs()).toBe(100);
    expect(unreadable.takeMaxStallMs()).toBe(0);
  });

  it('counts a stall as neither blocked time nor wait', () => {
    const sched = ['0 0 0', '100000000 2000000 1'];
    const stats = [procStat([0, 0]), procStat([0, 11])];
    const clock = [0, 112];
    const monitor = new MainThreadMonitor({ schedstat: () => sched.shift()!, cpuTimes: () => stats.shift()!, processor: () => taskStat(0), intervalMs: 10, now: () => clock.shift()! });
    expect(monitor.start()).toBe(true);
    monitor.tick();
    expect(monitor.takeMaxStallMs()).toBe(100);
    expect(monitor.takeMaxRunMs()).toBe(0);
    expect(monitor.takeMaxWaitMs()).toBe(2);
    expect(monitor.takeMaxBlockedMs()).toBe(0);
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
      // A stall of this machine's virtual CPU during the spin would be taken off the work.
      expect(monitor.takeMaxRunMs() + monitor.takeMaxStallMs()).toBeGreaterThanOrEqual(100);
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
