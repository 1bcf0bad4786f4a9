/**
 * protocol-spec/node.md §4.1: a schedule with more slots in a UTC day than a maxRoundsPerDay that
 * binds the pair is refused where it is set (roster build, roster use, start), naming both numbers.
 */
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { MAX_SLOTS_PER_UTC_DAY, busiestUtcDay, checkScheduleQuota } from '../src/internal/schedule-quota.js';
import { ensureBuilt } from './helpers/build.js';
import { venn } from './helpers/cli.js';

const from = Date.parse('2031-03-01T00:00:00Z');

describe('slots per UTC day', () => {
  it.each([
    ['0 */6 * * *', 'UTC', 4],
    ['*/30 * * * *', 'UTC', 48],
    ['0 9 1 * *', 'UTC', 1],
    ['0 0 1 1 *', 'UTC', 1],
    ['0 1-23/2 * * 1', 'UTC', 12],
    // 22:00-01:00 in Asia/Tokyo (UTC+9) is 13:00-16:00 UTC of one day: 4 slots, not split.
    ['0 22,23,0,1 * * *', 'Asia/Tokyo', 4],
  ])('%s (%s) has at most %i slots in a UTC day', (cron, timezone, slots) => {
    expect(busiestUtcDay({ cron, windowMinutes: 10, timezone }, from)?.slots).toBe(slots);
  });

  it('names the busiest day, both numbers and who set the quota; a quota of 0 blocks on purpose and is skipped', () => {
    const schedule = { cron: '0 * 15 * *', windowMinutes: 10, timezone: 'UTC' };
    expect(() => checkScheduleQuota(schedule, [{ who: 'lab-b\'s entry', maxRoundsPerDay: 8 }, { who: 'x', maxRoundsPerDay: 0 }], from))
      .toThrow(/"schedule" "0 \* 15 \* \*" \(UTC\) expected at most 8 slots in a UTC day \("maxRoundsPerDay" of lab-b's entry\), got 24 on 2031-03-15/);
    expect(() => checkScheduleQuota(schedule, [{ who: 'x', maxRoundsPerDay: 24 }], from)).not.toThrow();
  });

  it('a cron of every minute fills a UTC day: 1,440 slots, refused under that quota and bound by nothing from it up', () => {
    const everyMinute = { cron: '* * * * *', windowMinutes: 1, timezone: 'Europe/Paris' };
    expect(busiestUtcDay(everyMinute, from, MAX_SLOTS_PER_UTC_DAY - 1)?.slots).toBe(MAX_SLOTS_PER_UTC_DAY);
    expect(() => checkScheduleQuota(everyMinute, [{ who: 'x', maxRoundsPerDay: MAX_SLOTS_PER_UTC_DAY - 1 }], from)).toThrow(/expected at most 1439 slots in a UTC day .* got 1440/);
    expect(() => checkScheduleQuota(everyMinute, [{ who: 'x', maxRoundsPerDay: MAX_SLOTS_PER_UTC_DAY }], from)).not.toThrow();
  });
});

describe('through the CLI', () => {
  const root = mkdtempSync(join(tmpdir(), 'venn-quota-'));
  const entries: string[] = [];
  beforeAll(async () => {
    ensureBuilt();
    for (const [id, port] of [['lab-a', 7311], ['lab-b', 7312]] as const) {
      const init = await venn(['init', '--dir', join(root, id), '--id', id, '--listen', `127.0.0.1:${port}`, '--admin', `127.0.0.1:${port + 100}`, '--max-rounds-per-day', '48']);
      expect(init.code).toBe(0);
      writeFileSync(join(root, `${id}.json`), init.stdout);
      entries.push(join(root, `${id}.json`));
    }
  });
  afterAll(() => rmSync(root, { recursive: true, force: true }));

  it('roster build refuses a schedule denser than a member\'s maxRoundsPerDay', async () => {
    const entry = JSON.parse(readFileSync(entries[1]!, 'utf8')) as { policy: { maxRoundsPerDay: number } };
    entry.policy.maxRoundsPerDay = 8;
    writeFileSync(join(root, 'lab-b-8.json'), JSON.stringify(entry));
    const result = await venn(['roster', 'build', '--name', 'q', '--schedule', '*/30 * * * *', '--out', join(root, 'never.json'), entries[0]!, join(root, 'lab-b-8.json')]);
    expect(result.code).toBe(1);
    expect(result.stderr).toMatch(/expected at most 8 slots in a UTC day \("maxRoundsPerDay" of lab-b's entry\), got 48 on \d{4}-\d{2}-\d{2} \[schedule-over-quota\]/);
  });

  it('roster use and start refuse it against this node\'s own policy', async () => {
    const roster = join(root, 'roster.json');
    expect((await venn(['roster', 'build', '--name', 'q', '--schedule', '*/30 * * * *', '--out', roster, ...entries])).code).toBe(0);
    expect((await venn(['roster', 'use', '--dir', join(root, 'lab-a'), roster])).code).toBe(0);
    const configPath = join(root, 'lab-a', 'venn.config.json');
    const config = JSON.parse(readFileSync(configPath, 'utf8')) as Record<string, unknown>;
    writeFileSync(configPath, JSON.stringify({ ...config, peers: { 'lab-b': { maxRoundsPerDay: 10 } } }));
    const use = await venn(['roster', 'use', '--dir', join(root, 'lab-a'), roster]);
    expect(use.code).toBe(1);
    expect(use.stderr).toMatch(/expected at most 10 slots in a UTC day \("maxRoundsPerDay" of this node's policy for lab-b \(venn\.config\.json\)\), got 48/);
    const start = await venn(['start', '--dir', join(root, 'lab-a')]);
    expect(start.code).toBe(1);
    expect(start.stderr).toMatch(/expected at most 10 slots in a UTC day .* got 48 .*\[schedule-over-quota\]/);
  });
});
