/**
 * node.md §4.1: the daemon's slots (croner under the pinned options of schedule.ts) against the
 * vectors of schedule-cron-v1.json and against the spec's own reading in scripts/cron-reference.mjs.
 */
import { readFileSync } from 'node:fs';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { ValidationError } from '@venn/errors';
import { parseRoster } from '@venn/transport';
import { nextSlot } from '../src/internal/schedule.js';
// The generator and the reference evaluator read the spec without croner.
import { builders } from '../scripts/generate-vectors.mjs';
import { nextSlots as referenceNextSlots, parseCron as referenceParseCron } from '../scripts/cron-reference.mjs';

interface CronCase {
  description: string;
  cron: string;
  timezone: string;
  after: string;
  afterUnix: number;
  count: number;
  slots: string[];
  slotsUnix: number[];
}

const vectorsUrl = new URL('../../../protocol-spec/vectors/schedule-cron-v1.json', import.meta.url);
const vectors = JSON.parse(readFileSync(vectorsUrl, 'utf8')) as { source: string; version: number; cases: CronCase[] };
const rosterVectors = JSON.parse(readFileSync(new URL('../../../protocol-spec/vectors/roster-v1.json', import.meta.url), 'utf8')) as { valid: { roster: Record<string, unknown> }[] };

/** The daemon's slot starts after `afterMs`, one nextSlot call at a time, as the scheduler walks them. */
function daemonSlots(cron: string, timezone: string, afterMs: number, count: number): number[] {
  const schedule = { cron, timezone, windowMinutes: 30 };
  const out: number[] = [];
  let cursor = afterMs;
  for (let i = 0; i < count; i++) {
    const slot = nextSlot(schedule, cursor);
    if (slot === null) break;
    out.push(slot.start);
    cursor = slot.start * 1000;
  }
  return out;
}

/** A roster holding `cron`, as the daemon would load it. */
function withCron(cron: string, timezone = 'UTC'): unknown {
  const roster = structuredClone(rosterVectors.valid[0]!.roster) as { schedule: Record<string, unknown> };
  roster.schedule = { ...roster.schedule, cron, timezone };
  return roster;
}

describe('schedule-cron-v1.json', () => {
  it('has provenance and is exactly what the seeded generator produces', async () => {
    expect(vectors.source).toMatch(/generate-vectors\.mjs/);
    expect(vectors).toEqual(await builders['schedule-cron-v1.json']());
  });

  it.each(vectors.cases.map((c) => [c.description, c] as const))('%s', (_, c) => {
    // Every vector cron is a valid roster cron, so a roster can carry it.
    expect(parseRoster(withCron(c.cron, c.timezone)).schedule.cron).toBe(c.cron);
    expect(c.slots.map((s) => Date.parse(s) / 1000)).toEqual(c.slotsUnix);
    expect(daemonSlots(c.cron, c.timezone, c.afterUnix * 1000, c.count)).toEqual(c.slotsUnix);
  });

  it('a cron that selects no date has no slot', () => {
    const never = vectors.cases.find((c) => c.slots.length === 0)!;
    expect(nextSlot({ cron: never.cron, timezone: never.timezone, windowMinutes: 30 }, never.afterUnix * 1000)).toBeNull();
  });
});

// Zones with the transitions that make cron evaluation hard: an hour gap and repeat, a 30-minute
// shift, a 2-hour shift, transitions at midnight, a half-hour and a 45-minute offset.
const ZONES = ['UTC', 'Europe/Paris', 'America/New_York', 'Australia/Lord_Howe', 'America/Santiago', 'Antarctica/Troll', 'Asia/Kolkata', 'Pacific/Chatham'];

/** Instants (Unix seconds) at which `zone` changed its UTC offset during 2024-2026, found by sampling every 15 minutes. */
function transitions(zone: string): number[] {
  const format = new Intl.DateTimeFormat('en-US', { timeZone: zone, hourCycle: 'h23', year: 'numeric', month: 'numeric', day: 'numeric', hour: 'numeric', minute: 'numeric' });
  const offset = (t: number): number => {
    const p = Object.fromEntries(format.formatToParts(new Date(t * 1000)).filter((x) => x.type !== 'literal').map((x) => [x.type, Number(x.value)]));
    return Date.UTC(p['year']!, p['month']! - 1, p['day'], p['hour'], p['minute']) / 1000 - Math.floor(t / 60) * 60;
  };
  const out: number[] = [];
  let previous = offset(Date.UTC(2024, 0, 1) / 1000);
  for (let t = Date.UTC(2024, 0, 1) / 1000; t < Date.UTC(2027, 0, 1) / 1000; t += 900) {
    const current = offset(t);
    if (current !== previous) out.push(t);
    previous = current;
  }
  return out;
}
const TRANSITIONS = new Map(ZONES.map((zone) => [zone, transitions(zone)] as const));

const FIELD_BOUNDS = [
  [0, 59, 60],
  [0, 23, 24],
  [1, 31, 31],
  [1, 12, 12],
  [0, 7, 7],
] as const;

/** Items of the roster.md §1.1 grammar for field `i`. */
function item(i: number): fc.Arbitrary<string> {
  const [min, max, maxStep] = FIELD_BOUNDS[i]!;
  const value = fc.integer({ min, max });
  const range = fc.tuple(value, value).map(([a, b]) => (a <= b ? `${a}-${b}` : `${b}-${a}`));
  const step = fc.integer({ min: 1, max: maxStep });
  return fc.oneof(
    fc.constant('*'),
    value.map(String),
    range,
    step.map((s) => `*/${s}`),
    fc.tuple(range, step).map(([r, s]) => `${r}/${s}`),
  );
}
const field = (i: number): fc.Arbitrary<string> => fc.oneof({ weight: 3, arbitrary: item(i) }, { weight: 1, arbitrary: fc.array(item(i), { minLength: 2, maxLength: 3 }).map((items) => items.join(',')) });
const cronArbitrary = fc.oneof(
  // Fixed times (one minute, one hour) are where the DST rules differ from interval crons.
  fc.tuple(fc.integer({ min: 0, max: 59 }), fc.integer({ min: 0, max: 23 }), field(2), field(3), field(4)).map((f) => f.join(' ')),
  fc.tuple(field(0), field(1), field(2), field(3), field(4)).map((f) => f.join(' ')),
);
const zoneAndStart = fc.constantFrom(...ZONES).chain((zone) => {
  const near = TRANSITIONS.get(zone)!;
  const anywhere = fc.integer({ min: Date.UTC(2024, 0, 1) / 1000, max: Date.UTC(2026, 11, 1) / 1000 });
  const nearTransition = near.length === 0 ? anywhere : fc.tuple(fc.constantFrom(...near), fc.integer({ min: -36 * 60, max: 36 * 60 })).map(([t, minutes]) => t + minutes * 60);
  return fc.tuple(fc.constant(zone), fc.oneof(anywhere, nearTransition));
});

describe('node.md §4.1 against the daemon', () => {
  it('property: the daemon and the spec reading give the same next three slots', () => {
    fc.assert(
      fc.property(cronArbitrary, zoneAndStart, (cron, [zone, after]) => {
        // Both sides must agree on what is a valid roster cron before they agree on its slots.
        expect(() => parseRoster(withCron(cron))).not.toThrow();
        expect(() => referenceParseCron(cron)).not.toThrow();
        expect(daemonSlots(cron, zone, after * 1000, 3)).toEqual(referenceNextSlots(cron, zone, after, 3));
      }),
      { numRuns: 150, seed: 20250301 },
    );
  });

  it.each([
    ['a step on a single value', '5/10 * * * *'],
    ['a minute step over 60', '*/61 * * * *'],
    ['a day-of-week step over 7', '0 0 * * */8'],
    ['a month step over 12', '0 0 1 1-12/13 *'],
    ['names', '0 0 * JAN MON'],
    ['a question mark', '0 0 ? * 1'],
    ['L for the last day', '0 0 L * *'],
    ['six fields', '0 0 0 * * *'],
    ['two spaces', '0  0 * * *'],
  ])('the roster refuses what the spec refuses: %s', (_, cron) => {
    expect(() => referenceParseCron(cron)).toThrow();
    expect(() => parseRoster(withCron(cron))).toThrow(ValidationError);
  });
});
