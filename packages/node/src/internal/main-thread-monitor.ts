/**
 * What held the daemon's main thread (node.md §7, GET /metrics). A timer every 10 ms reads the
 * thread's /proc/thread-self/schedstat, whose first two fields are the nanoseconds the thread has
 * run on a CPU and the nanoseconds it has waited, runnable, for one. Between two ticks:
 * - the run time is the thread's own work since the previous tick, less any stall (below). A task,
 *   or a run of tasks with no timer phase between them, longer than the interval shows whole, plus
 *   at most one interval;
 * - the wait is time in which the thread had work but the scheduler ran other threads;
 * - what is left of the time between two readings, after the interval itself, the run and the
 *   wait, is time the thread was blocked: asleep in a system call (an fsync, a read from disk).
 *   Work done inside the interval is subtracted too, so this is a lower bound.
 * - a stall: on a virtual machine the host can take a virtual CPU away. The guest kernel then
 *   charges the whole absence to the thread that was on that CPU as run time, while the CPU's own
 *   tick accounting (its /proc/stat line) advances by nothing: no CPU time Venn spent. When an interval's run is at least
 *   STALL_MIN_MS, the CPU the thread is on is read (/proc/thread-self/stat); the time that CPU
 *   did not account over the interval, when it is at least STALL_MIN_MS, is a stall, and is taken
 *   off the run (never below zero). A thread that moved to another CPU after the stall keeps it
 *   in its run: the split errs toward counting work.
 * The event-loop lag prom-client reports (nodejs_eventloop_lag_*) is the lateness of a timer, so
 * it counts all four; these tell them apart. The maxima reset when read, as a scrape reads them.
 * Linux only: elsewhere `start` returns false and nothing is measured.
 */
import { closeSync, openSync, readSync } from 'node:fs';

/** Cumulative milliseconds the thread has run on a CPU and waited for one. */
export interface SchedTimes {
  readonly runMs: number;
  readonly waitMs: number;
}

/** The first two fields of a schedstat line ("<run ns> <wait ns> <timeslices>"), or null if they are not that. */
export function parseSchedstat(text: string): SchedTimes | null {
  const fields = text.trim().split(' ');
  if (fields.length < 2 || !/^\d+$/.test(fields[0]!) || !/^\d+$/.test(fields[1]!)) return null;
  return { runMs: Number(fields[0]) / 1e6, waitMs: Number(fields[1]) / 1e6 };
}

/**
 * The milliseconds each CPU has accounted in any state (user, nice, system, idle, iowait, irq,
 * softirq, steal: the first eight fields of the "cpuN" lines of /proc/stat, in USER_HZ = 100
 * ticks), by CPU number (offline CPUs have no line); null if the text holds no such line or a
 * malformed one.
 */
export function parseCpuTimes(text: string): Map<number, number> | null {
  const times = new Map<number, number>();
  for (const line of text.split('\n')) {
    if (!/^cpu\d/.test(line)) continue;
    const match = /^cpu(\d{1,4})((?: \d{1,19}){8,})$/.exec(line.trimEnd());
    if (match === null) return null;
    const cpu = Number(match[1]);
    if (times.has(cpu)) return null;
    const fields = match[2]!.trim().split(' ').slice(0, 8).map(Number);
    times.set(cpu, fields.reduce((sum, ticks) => sum + ticks, 0) * 10);
  }
  return times.size === 0 ? null : times;
}

/**
 * The CPU a thread last ran on: field 39 of /proc/<pid>/task/<tid>/stat, counted after the
 * command name's closing parenthesis (the name itself may hold spaces and parentheses); null if
 * the text is not such a line.
 */
export function parseProcessor(text: string): number | null {
  const close = text.lastIndexOf(')');
  if (close < 0) return null;
  const fields = text.slice(close + 2).trim().split(' ');
  const field = fields[36];
  if (fields.length < 37 || field === undefined || !/^\d+$/.test(field)) return null;
  const cpu = Number(field);
  return cpu > 4095 ? null : cpu;
}

/**
 * A file read again and again through one open descriptor. For a /proc file a read at offset 0
 * makes the kernel generate the text anew, so a reading costs no open and close (on this project's
 * 2-core machine about 8 µs for /proc/stat instead of 45–75 µs with readFileSync). The descriptor
 * is opened by the first read, on the calling thread: /proc/thread-self is then that thread.
 */
export class ProcReader {
  private fd: number | undefined;
  private readonly buffer: Buffer;

  constructor(private readonly path: string, size = 65_536) {
    this.buffer = Buffer.alloc(size);
  }

  /** The file's text; one longer than the buffer is cut after its last whole line. */
  read(): string {
    this.fd ??= openSync(this.path, 'r');
    const length = readSync(this.fd, this.buffer, 0, this.buffer.length, 0);
    const end = length === this.buffer.length ? this.buffer.lastIndexOf(10, length - 1) + 1 : length;
    return this.buffer.toString('latin1', 0, end);
  }

  close(): void {
    if (this.fd !== undefined) closeSync(this.fd);
    this.fd = undefined;
  }
}

export const MONITOR_INTERVAL_MS = 10;
/**
 * The least run, and the least unaccounted CPU time, counted as a stall. A CPU's /proc/stat line
 * moves in 10 ms steps and its busy time in ticks (4 ms at HZ 250), so an honest interval can
 * miss up to about 14 ms of it.
 */
export const STALL_MIN_MS = 20;

/** Where the monitor reads; each is a file's text, or throws. */
export interface MonitorSources {
  /** the thread's /proc/thread-self/schedstat */
  readonly schedstat?: () => string;
  /** /proc/stat; without it no stall is detected */
  readonly cpuTimes?: (() => string) | null;
  /** the thread's /proc/thread-self/stat */
  readonly processor?: () => string;
  readonly intervalMs?: number;
  readonly now?: () => number;
}

export class MainThreadMonitor {
  private last: SchedTimes | null = null;
  /** /proc/stat's text at the previous reading, parsed only when an interval is looked into. */
  private lastCpuTimes: string | null = null;
  private lastAt = 0;
  private maxRun = 0;
  private maxWait = 0;
  private maxBlocked = 0;
  private maxStall = 0;
  private timer: NodeJS.Timeout | undefined;
  private readonly read: () => string;
  private readonly readCpuTimes: (() => string) | null;
  private readonly readProcessor: () => string;
  private readonly intervalMs: number;
  private readonly now: () => number;
  /** The files this monitor opened itself, closed by stop(). */
  private readonly opened: ProcReader[] = [];

  constructor(sources: MonitorSources = {}) {
    const own = (path: string, size?: number): (() => string) => {
      const reader = new ProcReader(path, size);
      this.opened.push(reader);
      return () => reader.read();
    };
    // The calling thread's files: start() and tick() run on the thread measured, so thread-self is it.
    this.read = sources.schedstat ?? own('/proc/thread-self/schedstat', 256);
    this.readCpuTimes = sources.cpuTimes === undefined ? own('/proc/stat') : sources.cpuTimes;
    this.readProcessor = sources.processor ?? own('/proc/thread-self/stat', 4096);
    this.intervalMs = sources.intervalMs ?? MONITOR_INTERVAL_MS;
    this.now = sources.now ?? (() => performance.now());
  }

  /** Starts ticking; false (and nothing measured) where the thread's schedstat cannot be read. */
  start(): boolean {
    if (this.timer !== undefined) return true;
    this.last = this.sample();
    this.lastCpuTimes = this.sampleCpuTimes();
    this.lastAt = this.now();
    if (this.last === null) {
      this.stop();
      return false;
    }
    this.timer = setInterval(() => this.tick(), this.intervalMs);
    this.timer.unref();
    return true;
  }

  stop(): void {
    if (this.timer !== undefined) clearInterval(this.timer);
    this.timer = undefined;
    for (const reader of this.opened) reader.close();
  }

  /** One reading: folds the run, stall, wait and blocked time since the previous reading into the maxima. */
  tick(): void {
    const now = this.sample();
    const cpuTimes = this.sampleCpuTimes();
    const at = this.now();
    if (now === null) return;
    if (this.last !== null) {
      const run = now.runMs - this.last.runMs;
      const wait = now.waitMs - this.last.waitMs;
      const stall = run >= STALL_MIN_MS ? this.stall(run, at - this.lastAt, this.lastCpuTimes, cpuTimes) : 0;
      this.maxRun = Math.max(this.maxRun, run - stall);
      this.maxStall = Math.max(this.maxStall, stall);
      this.maxWait = Math.max(this.maxWait, wait);
      // The stall is in the run the kernel charged, so it is not blocked time either.
      this.maxBlocked = Math.max(this.maxBlocked, at - this.lastAt - this.intervalMs - run - wait);
    }
    this.last = now;
    this.lastCpuTimes = cpuTimes;
    this.lastAt = at;
  }

  /** The longest run of the thread between two readings since the last call, stalls taken off (ms); resets it. */
  takeMaxRunMs(): number {
    const value = this.maxRun;
    this.maxRun = 0;
    return value;
  }

  /** The longest wait for a CPU between two readings since the last call (ms); resets it. */
  takeMaxWaitMs(): number {
    const value = this.maxWait;
    this.maxWait = 0;
    return value;
  }

  /** The longest time blocked in a system call between two readings since the last call (ms); resets it. */
  takeMaxBlockedMs(): number {
    const value = this.maxBlocked;
    this.maxBlocked = 0;
    return value;
  }

  /** The longest stall charged to the thread as run between two readings since the last call (ms); resets it. */
  takeMaxStallMs(): number {
    const value = this.maxStall;
    this.maxStall = 0;
    return value;
  }

  /** The part of `run` its CPU did not account over `elapsed` ms (see the header); 0 if unknown. */
  private stall(run: number, elapsed: number, beforeText: string | null, afterText: string | null): number {
    const before = beforeText === null ? null : parseCpuTimes(beforeText);
    const after = afterText === null ? null : parseCpuTimes(afterText);
    if (before === null || after === null) return 0;
    let cpu: number | null;
    try {
      cpu = parseProcessor(this.readProcessor());
    } catch {
      cpu = null;
    }
    const from = cpu === null ? undefined : before.get(cpu);
    const to = cpu === null ? undefined : after.get(cpu);
    if (from === undefined || to === undefined) return 0;
    const missing = elapsed - (to - from);
    return missing >= STALL_MIN_MS ? Math.min(run, missing) : 0;
  }

  private sampleCpuTimes(): string | null {
    if (this.readCpuTimes === null) return null;
    try {
      return this.readCpuTimes();
    } catch {
      return null;
    }
  }

  private sample(): SchedTimes | null {
    try {
      return parseSchedstat(this.read());
    } catch {
      return null;
    }
  }
}
