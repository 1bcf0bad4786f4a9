/**
 * Reads V8 CPU profiles (`node --cpu-prof`) and summarises them for the benchmarks' --profile
 * mode: the top frames by self time, and the main thread's long tasks (stretches without an idle
 * sample longer than a threshold) with the frames that filled them.
 */
import { readFileSync, readdirSync } from 'node:fs';
import { join } from 'node:path';

interface ProfileNode {
  id: number;
  callFrame: { functionName: string; url: string; lineNumber: number };
  children?: number[];
}
interface Profile {
  nodes: ProfileNode[];
  startTime: number;
  samples: number[];
  timeDeltas: number[];
}

export interface ProfileSummary {
  file: string;
  totalMs: number;
  top: Array<{ frame: string; selfMs: number; share: number }>;
  longTasks: Array<{ atMs: number; ms: number; frames: Array<{ frame: string; ms: number }> }>;
}

function frameName(node: ProfileNode): string {
  const { functionName, url, lineNumber } = node.callFrame;
  const where = url === '' ? '' : ` ${url.split('/').slice(-2).join('/')}:${lineNumber + 1}`;
  return `${functionName === '' ? '(anonymous)' : functionName}${where}`;
}

/** The innermost frame of a sample that is our own code or a library's JavaScript (not Node's internals or wasm). */
function ownFrame(id: number, byId: Map<number, ProfileNode>, parent: Map<number, number>): string {
  let cur: number | undefined = id;
  while (cur !== undefined) {
    const node = byId.get(cur)!;
    const url = node.callFrame.url;
    if (url.startsWith('file://') && !url.includes('/node_modules/')) return frameName(node);
    cur = parent.get(cur);
  }
  return frameName(byId.get(id)!);
}

export function summariseProfile(path: string, options: { top?: number; longTaskMs?: number } = {}): ProfileSummary {
  const profile = JSON.parse(readFileSync(path, 'utf8')) as Profile;
  const byId = new Map(profile.nodes.map((node) => [node.id, node]));
  const parent = new Map<number, number>();
  for (const node of profile.nodes) for (const child of node.children ?? []) parent.set(child, node.id);
  const self = new Map<string, number>();
  let total = 0;
  const longTaskUs = (options.longTaskMs ?? 50) * 1000;
  const longTasks: ProfileSummary['longTasks'] = [];
  let taskStart = -1;
  let taskUs = 0;
  let taskFrames = new Map<string, number>();
  let clock = 0;
  const closeTask = (): void => {
    if (taskStart >= 0 && taskUs >= longTaskUs) {
      longTasks.push({
        atMs: Math.round(taskStart / 1000), ms: Math.round(taskUs / 1000),
        frames: [...taskFrames].sort((a, b) => b[1] - a[1]).slice(0, 4).map(([frame, us]) => ({ frame, ms: Math.round(us / 1000) })),
      });
    }
    taskStart = -1;
    taskUs = 0;
    taskFrames = new Map();
  };
  for (let i = 0; i < profile.samples.length; i++) {
    const delta = profile.timeDeltas[i] ?? 0;
    clock += delta;
    const node = byId.get(profile.samples[i]!)!;
    const name = node.callFrame.functionName;
    if (name === '(idle)' || name === '(program)') {
      closeTask();
      continue;
    }
    total += delta;
    self.set(frameName(node), (self.get(frameName(node)) ?? 0) + delta);
    if (taskStart < 0) taskStart = clock;
    taskUs += delta;
    const own = ownFrame(node.id, byId, parent);
    taskFrames.set(own, (taskFrames.get(own) ?? 0) + delta);
  }
  closeTask();
  const top = [...self].sort((a, b) => b[1] - a[1]).slice(0, options.top ?? 12)
    .map(([frame, us]) => ({ frame, selfMs: Math.round(us / 1000), share: total === 0 ? 0 : us / total }));
  return { file: path, totalMs: Math.round(total / 1000), top, longTasks: longTasks.sort((a, b) => b.ms - a.ms).slice(0, 8) };
}

/** Summaries of every profile in `dir`, largest first. */
export function summariseProfiles(dir: string, options?: { top?: number; longTaskMs?: number }): ProfileSummary[] {
  return readdirSync(dir).filter((name) => name.endsWith('.cpuprofile')).map((name) => summariseProfile(join(dir, name), options))
    .sort((a, b) => b.totalMs - a.totalMs);
}

export function printProfile(summary: ProfileSummary, label: string): void {
  console.log(`  profile ${label}: ${summary.totalMs} ms on CPU (${summary.file})`);
  for (const entry of summary.top) console.log(`    ${String(entry.selfMs).padStart(7)} ms ${(100 * entry.share).toFixed(1).padStart(5)} %  ${entry.frame}`);
  if (summary.longTasks.length > 0) {
    console.log('    long tasks (no idle sample for this long):');
    for (const task of summary.longTasks) console.log(`    ${String(task.ms).padStart(7)} ms at +${(task.atMs / 1000).toFixed(1)} s: ${task.frames.map((f) => `${f.frame} ${f.ms} ms`).join(', ')}`);
  }
}
