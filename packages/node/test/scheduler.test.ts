import { describe, expect, it } from 'vitest';
import { Scheduler } from '../src/internal/scheduler.js';
import type { Slot } from '../src/internal/schedule.js';
import { FakeTime } from './helpers/fake-time.js';

const iso = (seconds: number): string => new Date(seconds * 1000).toISOString();

describe('Scheduler', () => {
  it('fires every slot at its start on the injected clock', () => {
    const time = new FakeTime(Date.parse('2025-03-01T05:50:00Z'));
    const fired: Array<[string, string, boolean]> = [];
    const scheduler = new Scheduler({
      schedule: { cron: '0 */6 * * *', windowMinutes: 30, timezone: 'UTC' }, now: time.now, timers: time,
      onSlot: (slot: Slot, catchUp) => fired.push([iso(slot.start), new Date(time.now()).toISOString(), catchUp]),
    });
    scheduler.start();
    expect(fired).toEqual([]);
    expect(iso(scheduler.next!.start)).toBe('2025-03-01T06:00:00.000Z');
    time.advance(9 * 60_000 + 59_999);
    expect(fired).toEqual([]);
    time.advance(1);
    expect(fired).toEqual([['2025-03-01T06:00:00.000Z', '2025-03-01T06:00:00.000Z', false]]);
    time.advance(13 * 3600_000);
    expect(fired.map(([slot]) => slot)).toEqual(['2025-03-01T06:00:00.000Z', '2025-03-01T12:00:00.000Z', '2025-03-01T18:00:00.000Z']);
    expect(time.pendingTimers).toBe(1);
  });

  it('catches up on a slot whose window is still open at start-up', () => {
    const time = new FakeTime(Date.parse('2025-03-01T06:10:00Z'));
    const fired: Array<[string, boolean]> = [];
    new Scheduler({
      schedule: { cron: '0 */6 * * *', windowMinutes: 30, timezone: 'UTC' }, now: time.now, timers: time,
      onSlot: (slot, catchUp) => fired.push([iso(slot.start), catchUp]),
    }).start();
    expect(fired).toEqual([['2025-03-01T06:00:00.000Z', true]]);
  });

  it('does not catch up on a closed window', () => {
    const time = new FakeTime(Date.parse('2025-03-01T06:31:00Z'));
    const fired: string[] = [];
    new Scheduler({ schedule: { cron: '0 */6 * * *', windowMinutes: 30, timezone: 'UTC' }, now: time.now, timers: time, onSlot: (slot) => fired.push(iso(slot.start)) }).start();
    expect(fired).toEqual([]);
  });

  it('stops firing after stop()', () => {
    const time = new FakeTime(Date.parse('2025-03-01T05:59:00Z'));
    const fired: string[] = [];
    const scheduler = new Scheduler({ schedule: { cron: '* * * * *', windowMinutes: 1, timezone: 'UTC' }, now: time.now, timers: time, onSlot: (slot) => fired.push(iso(slot.start)) });
    scheduler.start();
    time.advance(60_000);
    expect(fired).toEqual(['2025-03-01T05:59:00.000Z', '2025-03-01T06:00:00.000Z']);
    scheduler.stop();
    time.advance(600_000);
    expect(fired).toHaveLength(2);
    expect(time.pendingTimers).toBe(0);
  });

  it('re-arms across waits longer than a Node timer allows', () => {
    const time = new FakeTime(Date.parse('2025-01-01T00:00:00Z'));
    const fired: string[] = [];
    // Once a year: about 365 days, more than the 24.8-day timer limit.
    new Scheduler({ schedule: { cron: '0 0 1 1 *', windowMinutes: 60, timezone: 'UTC' }, now: time.now, timers: time, onSlot: (slot) => fired.push(iso(slot.start)) }).start();
    expect(fired).toEqual(['2025-01-01T00:00:00.000Z']);
    time.advance(364 * 86_400_000);
    expect(fired).toHaveLength(1);
    time.advance(2 * 86_400_000);
    expect(fired).toEqual(['2025-01-01T00:00:00.000Z', '2026-01-01T00:00:00.000Z']);
  });

  it('keeps going when a slot handler throws', () => {
    const time = new FakeTime(Date.parse('2025-03-01T05:59:30Z'));
    let calls = 0;
    const errors: string[] = [];
    const scheduler = new Scheduler({
      schedule: { cron: '* * * * *', windowMinutes: 1, timezone: 'UTC' }, now: time.now, timers: time,
      onSlot: () => { calls++; throw new Error('boom'); }, onError: (error, slot) => errors.push(`${(error as Error).message} ${iso(slot.start)}`),
    });
    scheduler.start();
    time.advance(30_000);
    time.advance(60_000);
    expect(calls).toBe(3);
    expect(errors).toEqual(['boom 2025-03-01T05:59:00.000Z', 'boom 2025-03-01T06:00:00.000Z', 'boom 2025-03-01T06:01:00.000Z']);
  });
});
