/**
 * CPU time of the calling thread, for the cost of a round (node.md §2, `venn rounds`). A round
 * holds one worker thread for its whole life (worker-pool.ts), so the difference of two readings
 * in that thread is the CPU the round's crypto and its store reads took there, whatever other
 * rounds run meanwhile; `process.cpuUsage()` would count every thread of the process.
 */
import { readFileSync } from 'node:fs';

type ThreadCpuUsage = () => { user: number; system: number };

/** Where a thread's CPU time can be read; the process's own by default (tests pass others). */
export interface ThreadCpuSources {
  readonly threadCpuUsage?: ThreadCpuUsage | undefined;
  readonly platform: NodeJS.Platform;
  readonly readSchedstat: () => string;
}

const PROCESS_SOURCES: ThreadCpuSources = {
  get threadCpuUsage() {
    const usage = (process as unknown as { threadCpuUsage?: ThreadCpuUsage }).threadCpuUsage;
    return typeof usage === 'function' ? usage.bind(process) : undefined;
  },
  platform: process.platform,
  // A synchronous read runs on the calling thread, so thread-self is this thread.
  readSchedstat: () => readFileSync('/proc/thread-self/schedstat', 'latin1'),
};

/**
 * Milliseconds of CPU this thread has used (user and system), or null where it cannot be read:
 * `process.threadCpuUsage()` (Node 23.9 and later), else Linux's `/proc/thread-self/schedstat`
 * (its first field: nanoseconds the thread ran on a CPU), else nothing.
 */
export function threadCpuMs(sources: ThreadCpuSources = PROCESS_SOURCES): number | null {
  const usage = sources.threadCpuUsage;
  if (typeof usage === 'function') {
    const { user, system } = usage();
    return (user + system) / 1000;
  }
  if (sources.platform !== 'linux') return null;
  try {
    const field = sources.readSchedstat().split(' ', 1)[0] ?? '';
    const ns = /^\d+$/.test(field) ? Number(field) : Number.NaN;
    return Number.isFinite(ns) ? ns / 1e6 : null;
  } catch {
    return null;
  }
}
