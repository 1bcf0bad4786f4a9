/**
 * What held the daemon's main thread (node.md §7, GET /metrics). A timer every 10 ms reads the
 * thread's /proc/thread-self/schedstat, whose first two fields are the nanoseconds the thread has
 * run on a CPU and the nanoseconds it has waited, runnable, for one. Between two ticks:
 * - the run time is the thread's own work since the previous tick. A task, or a run of tasks with
 *   no timer phase between them, longer than the interval shows whole, plus at most one interval;
 * - the wait is time in which the thread had work but the scheduler ran other threads;
 * - what is left of the time between two readings, after the interval itself, the run and the
 *   wait, is time the thread was blocked: asleep in a system call (an fsync, a read from disk).
 *   Work done inside the interval is subtracted too, so this is a lower bound.
 * The event-loop lag prom-client reports (nodejs_eventloop_lag_*) is the lateness of a timer, so
 * it counts all three; these tell them apart. The maxima reset when read, as a scrape reads them.
 * Linux only: elsewhere `start` returns false and nothing is measured.
 */
import { readFileSync } from 'node:fs';

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

/** The calling thread's schedstat; a synchronous read runs on this thread, so thread-self is it. */
const readOwnSchedstat = (): string => readFileSync('/proc/thread-self/schedstat', 'latin1');

export const MONITOR_INTERVAL_MS = 10;

export class MainThreadMonitor {
  private last: SchedTimes | null = null;
  private lastAt = 0;
  private maxRun = 0;
  private maxWait = 0;
  private maxBlocked = 0;
  private timer: NodeJS.Timeout | undefined;

  constructor(
    private readonly read: () => string = readOwnSchedstat,
    private readonly intervalMs = MONITOR_INTERVAL_MS,
    private readonly now: () => number = () => performance.now(),
  ) {}

  /** Starts ticking; false (and nothing measured) where the thread's schedstat cannot be read. */
  start(): boolean {
    if (this.timer !== undefined) return true;
    this.last = this.sample();
    this.lastAt = this.now();
    if (this.last === null) return false;
    this.timer = setInterval(() => this.tick(), this.intervalMs);
    this.timer.unref();
    return true;
  }

  stop(): void {
    if (this.timer !== undefined) clearInterval(this.timer);
    this.timer = undefined;
  }

  /** One reading: folds the run, wait and blocked time since the previous reading into the maxima. */
  tick(): void {
    const now = this.sample();
    const at = this.now();
    if (now === null) return;
    if (this.last !== null) {
      const run = now.runMs - this.last.runMs;
      const wait = now.waitMs - this.last.waitMs;
      this.maxRun = Math.max(this.maxRun, run);
      this.maxWait = Math.max(this.maxWait, wait);
      this.maxBlocked = Math.max(this.maxBlocked, at - this.lastAt - this.intervalMs - run - wait);
    }
    this.last = now;
    this.lastAt = at;
  }

  /** The longest run of the thread between two readings since the last call (ms); resets it. */
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

  private sample(): SchedTimes | null {
    try {
      return parseSchedstat(this.read());
    } catch {
      return null;
    }
  }
}
