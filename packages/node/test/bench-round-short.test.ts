/**
 * bench:round at a small size: the built benchmark (packages/node/bench/round.ts) runs one mutual
 * round between two real daemons (child processes, SQLite files, loopback sockets) and its JSON
 * report holds the exact intersection, both sides' costs and the event-loop lag per window.
 */
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { ensureBenchBuilt, repoRoot } from './helpers/build.js';
import { runScript } from './helpers/cli.js';

const script = join(repoRoot, 'packages/node/bench/dist/round.js');

beforeAll(() => ensureBenchBuilt(), 180_000);

describe('bench:round, short', () => {
  it('runs a 3,000 × 3,000 round to the expected intersection and reports costs and lag windows', async () => {
    const result = await runScript(script, ['--n', '3000', '--overlap', '0.2']);
    expect(result.code, `${result.stdout}\n${result.stderr}`).toBe(0);
    const report = JSON.parse(result.stdout.trim().split('\n').at(-1)!) as Record<string, any>;
    expect(report['status']).toEqual({ 'lab-a': 'completed', 'lab-b': 'completed' });
    expect(report['expectedIntersection']).toBe(600);
    expect(report['intersectionSize']).toBe(600);
    // Both sides' BLINDED and EVALUATED streams: 3,000 points of 32 bytes each way, twice.
    expect(report['wire'].payloadBytes).toBeGreaterThan(4 * 3000 * 32);
    for (const id of ['lab-a', 'lab-b']) {
      expect(report['cpuSeconds'][id]).toBeGreaterThan(0);
      expect(report['peakRssMiB'][id]).toBeGreaterThan(report['rssBeforeMiB'][id] - 1);
      expect(report['adminLatencyMs'][id].samples).toBeGreaterThan(0);
      // At least the window that closes after both ends are committed; a lag is a positive duration.
      expect(report['eventLoopLagWindows'][id]).toBeGreaterThanOrEqual(1);
      expect(report['eventLoopLagMaxMs'][id]).toBeGreaterThan(0);
      expect(report['eventLoopLagWindowsOver50Ms'][id]).toBeLessThanOrEqual(report['eventLoopLagWindows'][id]);
      // What the lag is made of (Linux): the main thread's longest work and wait in any window.
      expect(report['mainThreadWorkMaxMs'][id]).toBeGreaterThan(0);
      expect(report['mainThreadWaitMaxMs'][id]).toBeGreaterThanOrEqual(0);
      expect(report['mainThreadBlockedMaxMs'][id]).toBeGreaterThanOrEqual(0);
      expect(report['mainThreadWorkWindowsOver50Ms'][id]).toBeLessThanOrEqual(report['eventLoopLagWindows'][id]);
      // Stalls of the virtual CPU, charged to the thread as run and left out of its work.
      expect(report['mainThreadStallMaxMs'][id]).toBeGreaterThanOrEqual(0);
      expect(report['mainThreadStallWindowsOver50Ms'][id]).toBeLessThanOrEqual(report['eventLoopLagWindows'][id]);
    }
    expect(result.stdout).toMatch(/lab-a {13}event-loop lag max [0-9.]+ ms \(window ending \+[0-9.]+ s\); \d+ of \d+ windows over 50 ms.*; main-thread work max [0-9.]+ ms \(\+[0-9.]+ s\), \d+ windows over 50 ms; longest stall [0-9.]+ ms \(\d+ windows over 50 ms\); longest wait for a CPU [0-9.]+ ms; longest blocked [0-9.]+ ms$/m);
  }, 240_000);
});
