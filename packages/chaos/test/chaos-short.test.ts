/**
 * A short seeded chaos run in the test suite (the long one is `npm run chaos`): three real
 * daemons behind the fault proxies, every kind of fault at a high rate for about 25 seconds, and
 * no invariant violated.
 */
import { beforeAll, describe, expect, it } from 'vitest';
import { DEFAULT_OPTIONS, runChaos, type ChaosResult } from '../src/internal/harness.js';
import { formatChaosReport } from '../src/internal/report.js';
import { ensureBuilt } from '../../node/test/helpers/build.js';

beforeAll(() => ensureBuilt(), 180_000);

describe('chaos, short and seeded', () => {
  let result: ChaosResult;
  const lines: string[] = [];

  it('runs rounds through kills, restarts, network faults, a full disk and torn files, and keeps every invariant', async () => {
    result = await runChaos({
      ...DEFAULT_OPTIONS, seed: 20_261_203, minutes: 0.4, size: 60, killEverySeconds: 4, faultEverySeconds: 2, adHocEverySeconds: 1,
      disappearSeconds: [4, 6], stallSeconds: [4, 6], kinds: 'email', proofsPerLab: 1, log: (line) => lines.push(line),
    });
    const report = formatChaosReport(result);
    process.stdout.write(report);
    expect(result.violations, `${report}\n${lines.join('\n')}`).toEqual([]);
    expect(result.faults['kill-9']).toBeGreaterThanOrEqual(2);
    expect(Object.values(result.faults).reduce((a, b) => a + b, 0)).toBeGreaterThanOrEqual(5);
    expect(result.roundsCompleted, report).toBeGreaterThan(0);
    expect(result.healthyAfterKillMs.length).toBe(result.faults['kill-9']);
    expect(result.snapshots).toBeGreaterThan(0);
    expect(result.crossChecks).toBe(3);
  }, 120_000);
});
