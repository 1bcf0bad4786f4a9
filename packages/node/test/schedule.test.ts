import { createHash } from 'node:crypto';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { adHocRoundId, backoffDelayMs, currentSlots, matchScheduledRound, nextSlot, scheduledInitiator, scheduledRoundId, scheduledSlotNear } from '../src/internal/schedule.js';

const schedule = { cron: '0 */6 * * *', windowMinutes: 30, timezone: 'UTC' };
const digest = new Uint8Array(32).fill(7);
const hex = (b: Uint8Array): string => Buffer.from(b).toString('hex');
const at = (iso: string): number => Date.parse(iso);

describe('slots', () => {
  it('finds the next slot strictly after a time', () => {
    expect(nextSlot(schedule, at('2025-03-01T05:59:59Z'))).toEqual({ start: at('2025-03-01T06:00:00Z') / 1000, end: at('2025-03-01T06:30:00Z') / 1000 });
    expect(nextSlot(schedule, at('2025-03-01T06:00:00Z'))!.start).toBe(at('2025-03-01T12:00:00Z') / 1000);
  });

  it('honours the roster time zone', () => {
    const paris = { cron: '0 9 * * *', windowMinutes: 10, timezone: 'Europe/Paris' };
    expect(nextSlot(paris, at('2025-01-10T00:00:00Z'))!.start).toBe(at('2025-01-10T08:00:00Z') / 1000);
    expect(nextSlot(paris, at('2025-07-10T00:00:00Z'))!.start).toBe(at('2025-07-10T07:00:00Z') / 1000);
  });

  it('accepts a slot from its start to the end of its window, widened by the clock skew', () => {
    const start = at('2025-03-01T06:00:00Z');
    expect(currentSlots(schedule, start, 0).map((s) => s.start)).toEqual([start / 1000]);
    expect(currentSlots(schedule, start + 30 * 60_000 - 1, 0).map((s) => s.start)).toEqual([start / 1000]);
    expect(currentSlots(schedule, start + 30 * 60_000, 0)).toEqual([]);
    expect(currentSlots(schedule, start - 1, 0)).toEqual([]);
    // A peer 90 s ahead opens the round before our slot starts; 120 s of skew covers it.
    expect(currentSlots(schedule, start - 90_000, 120).map((s) => s.start)).toEqual([start / 1000]);
    expect(currentSlots(schedule, start + 31 * 60_000, 120).map((s) => s.start)).toEqual([start / 1000]);
    expect(currentSlots(schedule, start + 33 * 60_000, 120)).toEqual([]);
  });

  it('lists overlapping slots of a dense schedule oldest first', () => {
    const dense = { cron: '*/5 * * * *', windowMinutes: 12, timezone: 'UTC' };
    const slots = currentSlots(dense, at('2025-03-01T06:11:00Z'), 0).map((s) => new Date(s.start * 1000).toISOString());
    expect(slots).toEqual(['2025-03-01T06:00:00.000Z', '2025-03-01T06:05:00.000Z', '2025-03-01T06:10:00.000Z']);
  });
});

describe('round ids', () => {
  it('matches the node.md §3 construction byte for byte', () => {
    const slot = at('2025-03-01T06:00:00Z') / 1000;
    const u64 = Buffer.alloc(8);
    u64.writeBigUInt64BE(BigInt(slot));
    const expected = createHash('sha256').update(Buffer.concat([
      Buffer.from('venn/round-id/v1'), Buffer.from([0]), Buffer.from(digest), u64,
      Buffer.from([5]), Buffer.from('lab-a'), Buffer.from([5]), Buffer.from('lab-b'),
    ])).digest('hex');
    expect(hex(scheduledRoundId(digest, slot, 'lab-b', 'lab-a'))).toBe(expected);
    expect(hex(scheduledRoundId(digest, slot, 'lab-a', 'lab-b'))).toBe(expected);
  });

  it('reproduces the node.md §3 example', () => {
    const id = scheduledRoundId(digest, Date.parse('2025-03-01T06:00:00Z') / 1000, 'lab-a', 'lab-b');
    expect(hex(id)).toBe('7cc5eab0410901d2d76e322aff6e93d13878e1203fdc157464c01628b2809511');
    expect(scheduledInitiator(id, 'lab-a', 'lab-b')).toBe('lab-b');
  });

  it('changes with every input', () => {
    const base = hex(scheduledRoundId(digest, 1000, 'lab-a', 'lab-b'));
    const other = new Uint8Array(digest);
    other[31] ^= 1;
    expect(hex(scheduledRoundId(other, 1000, 'lab-a', 'lab-b'))).not.toBe(base);
    expect(hex(scheduledRoundId(digest, 1001, 'lab-a', 'lab-b'))).not.toBe(base);
    expect(hex(scheduledRoundId(digest, 1000, 'lab-a', 'lab-c'))).not.toBe(base);
    // Length prefixes keep ("ab","c") and ("a","bc") apart.
    expect(hex(scheduledRoundId(digest, 1000, 'ab', 'c'))).not.toBe(hex(scheduledRoundId(digest, 1000, 'a', 'bc')));
  });

  it('refuses bad inputs with typed errors', () => {
    expect(() => scheduledRoundId(new Uint8Array(31), 0, 'a', 'b')).toThrow(expect.objectContaining({ code: 'invalid-length' }) as Error);
    expect(() => scheduledRoundId(digest, -1, 'a', 'b')).toThrow(expect.objectContaining({ code: 'invalid-slot' }) as Error);
    expect(() => scheduledRoundId(digest, 1.5, 'a', 'b')).toThrow(expect.objectContaining({ code: 'invalid-slot' }) as Error);
    expect(() => scheduledRoundId(digest, 0, 'a', 'a')).toThrow(expect.objectContaining({ code: 'same-lab' }) as Error);
    expect(() => adHocRoundId(digest, 'a', 'b', new Uint8Array(15))).toThrow(expect.objectContaining({ code: 'invalid-length' }) as Error);
  });

  it('ad-hoc ids differ per nonce and direction', () => {
    const nonce = new Uint8Array(16);
    const ab = hex(adHocRoundId(digest, 'a', 'b', nonce));
    expect(hex(adHocRoundId(digest, 'b', 'a', nonce))).not.toBe(ab);
    expect(hex(adHocRoundId(digest, 'a', 'b', new Uint8Array(16).fill(1)))).not.toBe(ab);
  });

  it('both labs compute the same initiator, and each lab initiates some slots', () => {
    fc.assert(fc.property(fc.integer({ min: 0, max: 2 ** 40 }), (slot) => {
      const id = scheduledRoundId(digest, slot, 'lab-a', 'lab-b');
      const initiator = scheduledInitiator(id, 'lab-a', 'lab-b');
      expect(scheduledInitiator(id, 'lab-b', 'lab-a')).toBe(initiator);
      expect(['lab-a', 'lab-b']).toContain(initiator);
    }), { numRuns: 200 });
    const counts = { 'lab-a': 0, 'lab-b': 0 } as Record<string, number>;
    for (let slot = 0; slot < 200; slot++) counts[scheduledInitiator(scheduledRoundId(digest, slot * 21600, 'lab-a', 'lab-b'), 'lab-a', 'lab-b')]! += 1;
    expect(counts['lab-a']).toBeGreaterThan(60);
    expect(counts['lab-b']).toBeGreaterThan(60);
  });

  it('recognizes a scheduled round id only within its window and skew', () => {
    const start = at('2025-03-01T06:00:00Z');
    const id = scheduledRoundId(digest, start / 1000, 'lab-a', 'lab-b');
    expect(matchScheduledRound(id, digest, schedule, start + 60_000, 120, 'lab-b', 'lab-a')?.start).toBe(start / 1000);
    expect(matchScheduledRound(id, digest, schedule, start + 40 * 60_000, 120, 'lab-a', 'lab-b')).toBeNull();
    expect(matchScheduledRound(id, digest, schedule, start + 60_000, 120, 'lab-a', 'lab-c')).toBeNull();
    const previous = scheduledRoundId(digest, start / 1000 - 6 * 3600, 'lab-a', 'lab-b');
    expect(matchScheduledRound(previous, digest, schedule, start + 60_000, 120, 'lab-a', 'lab-b')).toBeNull();
  });

  it('recognizes a scheduled round id of a closed or future window within 6 hours (node.md §5.1 step 8), and no ad-hoc id', () => {
    const everyMinute = { cron: '* * * * *', windowMinutes: 1, timezone: 'UTC' };
    const start = at('2025-03-01T06:00:00Z');
    const id = scheduledRoundId(digest, start / 1000, 'lab-a', 'lab-b');
    // A responder whose clock is 5 minutes behind or ahead: the window is not open, the id is still the pair's.
    for (const offset of [-5 * 60_000, 5 * 60_000, -5 * 3600_000, 5 * 3600_000]) {
      expect(matchScheduledRound(id, digest, everyMinute, start + offset, 120, 'lab-a', 'lab-b')).toBeNull();
      expect(scheduledSlotNear(id, digest, everyMinute, start + offset, 'lab-b', 'lab-a')?.start).toBe(start / 1000);
    }
    expect(scheduledSlotNear(id, digest, everyMinute, start + 7 * 3600_000, 'lab-a', 'lab-b')).toBeNull();
    expect(scheduledSlotNear(id, digest, everyMinute, start, 'lab-a', 'lab-c')).toBeNull();
    expect(scheduledSlotNear(adHocRoundId(digest, 'lab-a', 'lab-b', new Uint8Array(16).fill(1)), digest, everyMinute, start, 'lab-a', 'lab-b')).toBeNull();
  });
});

describe('backoff', () => {
  const retry = { initialDelaySeconds: 2, maxDelaySeconds: 60, multiplier: 2 };
  it('grows exponentially up to the cap, with full jitter', () => {
    expect(backoffDelayMs(1, retry, () => 0.999999)).toBe(1999);
    expect(backoffDelayMs(3, retry, () => 0.999999)).toBe(7999);
    expect(backoffDelayMs(20, retry, () => 0.999999)).toBe(59_999);
    expect(backoffDelayMs(3, retry, () => 0.5)).toBe(4000);
    expect(backoffDelayMs(3, retry, () => 0)).toBe(200);
    fc.assert(fc.property(fc.integer({ min: 1, max: 50 }), fc.double({ min: 0, max: 1, maxExcluded: true, noNaN: true }), (attempt, r) => {
      const delay = backoffDelayMs(attempt, retry, () => r);
      expect(delay).toBeGreaterThanOrEqual(200);
      expect(delay).toBeLessThanOrEqual(60_000);
    }));
  });
});
