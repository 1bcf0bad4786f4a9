/**
 * CPU time of the calling thread, for the cost of a round (node.md §2, `venn rounds`). A round
 * holds one worker thread for its whole life (worker-pool.ts), so the difference of two readings
 * in that thread is the CPU the round's crypto and its store reads took there, whatever other
 * rounds run meanwhile; `process.cpuUsage()` would count every thread of the process.
 */
import { readFileSync } from 'node:fs';

type ThreadCpuUsage = () => { user: number; system: number };

/**
 * Milliseconds of CPU this thread has used (user and system), or null where it cannot be read:
 * `process.threadCpuUsage()` (Node 23.9 and later), else Linux's `/proc/thread-self/schedstat`
 * (its first field: nanoseconds the thread ran on a CPU), else nothing.
 */
export function threadCpuMs(): number | null {
  const usage = (process as unknown as { threadCpuUsage?: ThreadCpuUsage }).threadCpuUsage;
  if (typeof usage === 'function') {
    const { user, system } = usage.call(process);
    return (user + system) / 1000;
  }
  if (process.platform !== 'linux') return null;
  try {
    // A synchronous read runs on the calling thread, so thread-self is this thread.
    const ns = Number(readFileSync('/proc/thread-self/schedstat', 'latin1').split(' ', 1)[0]);
    return Number.isFinite(ns) && ns >= 0 ? ns / 1e6 : null;
  } catch {
    return null;
  }
}
