import { readdirSync, readFileSync } from 'node:fs';

/** The nice value of each thread of this process, by thread id (proc(5): field 19 of /proc/<pid>/task/<tid>/stat). */
export function threadNice(): Map<number, number> {
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

/** The threads of this process at nice `nice`, once there is at least one (or `timeoutMs` passed). */
export async function threadsAt(nice: number, timeoutMs = 20_000): Promise<number[]> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const found = [...threadNice()].filter(([, value]) => value === nice).map(([tid]) => tid);
    if (found.length > 0 || Date.now() > deadline) return found;
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}
