/**
 * bench:epoch at small, seeded sizes: the built benchmark (packages/node/bench/epoch.ts) runs its
 * churn and asymmetric scenarios between real daemons (child processes, SQLite, loopback sockets)
 * and its final JSON line reports exact matches after the incremental round, an incremental round
 * cheaper than the epoch start, and an asymmetric start of several rounds.
 */
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { ensureBenchBuilt, repoRoot } from './helpers/build.js';
import { runScript, type CliResult } from './helpers/cli.js';

const script = join(repoRoot, 'packages/node/bench/dist/epoch.js');

beforeAll(() => ensureBenchBuilt(), 180_000);

function bench(args: string[]): Promise<CliResult> {
  return runScript(script, args);
}

interface Side { cpuSeconds: number; peakRssMiB: number; lag?: { maxMs: number; atSeconds: number; windows: number; over50: string[]; maxRunMs: number | null; maxStallMs: number | null; maxWaitMs: number | null; maxBlockedMs: number | null; runOver50: number; stallOver50: number } }
type Report = { ok: boolean; results: Array<Record<string, any>> };

function report(stdout: string): Report {
  const last = stdout.trim().split('\n').at(-1)!;
  return JSON.parse(last) as Report;
}

describe('bench:epoch, short', () => {
  it('churn and asymmetric scenarios: exact matches, an incremental round cheaper than the start, a start of several rounds', async () => {
    // Both scenarios at once, each with its own daemons; their first tick falls 30 s after the daemons start.
    const [churn, asymmetric] = await Promise.all([
      bench(['--scenario', 'churn', '--n', '3000', '--overlap', '0.1', '--churn', '0.01', '--first-tick', '30', '--timeout-minutes', '4']),
      bench(['--scenario', 'asymmetric', '--small', '300', '--large', '5000', '--round-cap', '2000', '--first-tick', '30', '--timeout-minutes', '4']),
    ]);
    expect(churn.code, `${churn.stdout}\n${churn.stderr}`).toBe(0);
    expect(asymmetric.code, `${asymmetric.stdout}\n${asymmetric.stderr}`).toBe(0);

    const c = report(churn.stdout).results[0]!;
    expect(c['scenario']).toBe('churn');
    expect(c['ok']).toBe(true);
    // 10 % of 3,000 shared at the start, one round carrying it all.
    expect(c['start'].intersection).toBe(300);
    expect(c['start'].rounds).toEqual([{ idx: 0, kind: 'start', status: 'completed' }]);
    // 1 % churn: 15 additions and 15 removals per side, all carried by incremental round 1.
    expect(c['incremental'].index).toBe(1);
    expect(c['incremental'].carried).toMatchObject({ additions: 15, removals: 15, peerAdditions: 15, peerRemovals: 15 });
    expect(c['incremental'].carried.newMatches).toBeGreaterThan(0);
    expect(c['incremental'].carried.endedMatches).toBeGreaterThan(0);
    expect(c['exactness'].ok).toBe(true);
    for (const id of ['lab-a', 'lab-b']) {
      expect(c['exactness'].sides[id]).toMatchObject({ matches: c['exactness'].expected, missing: 0, extra: 0, counter: c['exactness'].expected });
      const start = c['start'].sides[id] as Side;
      const incremental = c['incremental'].sides[id] as Side;
      expect(start.cpuSeconds).toBeGreaterThan(0);
      // The epoch start's event-loop lag, by scrape window: at least the window that closes once it settled.
      expect(start.lag!.windows).toBeGreaterThanOrEqual(1);
      expect(start.lag!.maxMs).toBeGreaterThan(0);
      expect(start.lag!.over50.length).toBeLessThanOrEqual(start.lag!.windows);
      // And what it is made of (Linux): the main thread's longest own work, wait for a CPU and time blocked.
      expect(start.lag!.maxRunMs).toBeGreaterThan(0);
      expect(start.lag!.maxWaitMs).toBeGreaterThanOrEqual(0);
      expect(start.lag!.maxBlockedMs).toBeGreaterThanOrEqual(0);
      expect(start.lag!.runOver50).toBeLessThanOrEqual(start.lag!.windows);
      expect(start.lag!.maxStallMs).toBeGreaterThanOrEqual(0);
      expect(start.lag!.stallOver50).toBeLessThanOrEqual(start.lag!.windows);
      expect(incremental.cpuSeconds).toBeLessThan(start.cpuSeconds);
      expect(c['incremental'].cpuPercentOfStart[id]).toBeLessThan(100);
    }
    expect(churn.stdout).toMatch(/lab-a {13}epoch start CPU [0-9.]+ s, peak RSS [0-9.]+ MiB; event-loop lag max [0-9.]+ ms \(window ending \+[0-9.]+ s\); \d+ of \d+ windows over 50 ms/);
    expect(churn.stdout).toMatch(/exactness {9}OK/);
    expect(churn.stdout).toMatch(/load average/);

    const a = report(asymmetric.stdout).results[0]!;
    expect(a['scenario']).toBe('asymmetric');
    expect(a['ok']).toBe(true);
    // 5,000 at most 2,000 a round: a start and two fill rounds.
    expect(a['start']).toMatchObject({ rounds: 3, expectedRounds: 3, kinds: ['start', 'fill', 'fill'], intersection: 30, ok: true });
    expect(a['churnRound'].carried).toMatchObject({ small: { additions: 1, removals: 2 }, large: { additions: 25, removals: 25 } });
    expect(a['exactness'].ok).toBe(true);
    for (const id of ['small', 'large']) {
      expect((a['churnRound'].sides[id] as Side).cpuSeconds).toBeLessThan((a['start'].sides[id] as Side).cpuSeconds);
    }
    expect(a['projection'].at['100000000'].rounds).toBe(Math.ceil(1e8 / 2000));
    expect(a['projection'].limit).toMatch(/beyond the limit/);
  }, 240_000);

  it('refuses bad options with the option and what it expected', async () => {
    const bad = await bench(['--churn', '2']);
    expect(bad.code).toBe(2);
    expect(bad.stderr).toContain('"--churn" expected a number from 0 to 0.5, got "2"');
    const unknown = await bench(['--scenario', 'fast']);
    expect(unknown.code).toBe(2);
    expect(unknown.stderr).toContain('"--scenario" expected one of churn, latency, asymmetric, all, got "fast"');
  }, 30_000);
});
