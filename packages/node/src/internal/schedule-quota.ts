/**
 * A schedule must fit the daily quotas it runs under (protocol-spec/node.md §4): every slot runs
 * one round per pair, and each side counts distinct round ids per peer and UTC day against its
 * maxRoundsPerDay. A cron with more slots in some UTC day than a quota allows would have rounds
 * refused every such day, so rosters and configs that do so are refused up front.
 */
import { Cron } from 'croner';
import { ValidationError } from '@venn/errors';
import type { RosterSchedule } from '@venn/transport';

/** How far ahead slots are counted: a year and a bit covers monthly and yearly patterns. */
const HORIZON_DAYS = 400;
/** Bounds the count for dense crons (every minute is 1440 a day). */
const MAX_SLOTS = 200_000;
/** Slots are at second 0 of a minute (node.md §4.1): no UTC day holds more than its minutes. */
export const MAX_SLOTS_PER_UTC_DAY = 1440;

export interface BusiestDay {
  /** UTC day (YYYY-MM-DD) with the most slots. */
  readonly day: string;
  readonly slots: number;
}

/** The UTC day with the most slot starts in the next HORIZON_DAYS from `fromMs`; stops early past `stopAbove`. */
export function busiestUtcDay(schedule: RosterSchedule, fromMs: number, stopAbove = Infinity): BusiestDay | null {
  const cron = new Cron(schedule.cron, { timezone: schedule.timezone, paused: true });
  const end = fromMs + HORIZON_DAYS * 86_400_000;
  let best: BusiestDay | null = null;
  let day = '';
  let count = 0;
  // From the start of the UTC day of `fromMs`: today counts whole, not only its remaining slots.
  let cursor: Date | null = new Date(Math.floor(fromMs / 86_400_000) * 86_400_000 - 1);
  for (let seen = 0; seen < MAX_SLOTS; seen++) {
    cursor = cron.nextRun(cursor);
    if (cursor === null || cursor.getTime() > end) break;
    const next = cursor.toISOString().slice(0, 10);
    if (next !== day) {
      // A day over the limit is counted to its end, so the number reported is that day's.
      if (best !== null && best.slots > stopAbove) break;
      day = next;
      count = 0;
    }
    count++;
    if (best === null || count > best.slots) best = { day, slots: count };
  }
  return best;
}

export interface QuotaHolder {
  /** Who sets the quota, for the message: "lab-a's roster policy", "this node's policy for lab-b". */
  readonly who: string;
  readonly maxRoundsPerDay: number;
}

/**
 * Throws `schedule-over-quota` when the schedule has a UTC day with more slots than the smallest
 * quota among `holders` (quotas of 0 block a peer on purpose and are skipped).
 */
export function checkScheduleQuota(schedule: RosterSchedule, holders: readonly QuotaHolder[], fromMs: number): void {
  const binding = holders.filter((h) => h.maxRoundsPerDay > 0).sort((a, b) => a.maxRoundsPerDay - b.maxRoundsPerDay)[0];
  // A quota no day can exceed binds nothing: counting a dense cron's slots over the horizon
  // costs seconds of CPU at every start and reload.
  if (binding === undefined || binding.maxRoundsPerDay >= MAX_SLOTS_PER_UTC_DAY) return;
  const busiest = busiestUtcDay(schedule, fromMs, binding.maxRoundsPerDay);
  if (busiest !== null && busiest.slots > binding.maxRoundsPerDay) {
    throw new ValidationError('schedule-over-quota',
      `"schedule" ${JSON.stringify(schedule.cron)} (${schedule.timezone}) expected at most ${binding.maxRoundsPerDay} slots in a UTC day ("maxRoundsPerDay" of ${binding.who}), got ${busiest.slots} on ${busiest.day}`);
  }
}

/** The quotas that bind a node's rounds: each peer's published policy and this node's own toward it. */
export function nodeQuotaHolders(
  self: { readonly id: string; readonly policy: { readonly maxRoundsPerDay: number } },
  peers: ReadonlyArray<{ readonly id: string; readonly policy: { readonly maxRoundsPerDay: number } }>,
  ownPolicyFor: (peerId: string) => { readonly maxRoundsPerDay: number },
): QuotaHolder[] {
  const holders: QuotaHolder[] = [{ who: `${self.id}'s roster entry`, maxRoundsPerDay: self.policy.maxRoundsPerDay }];
  for (const peer of peers) {
    holders.push({ who: `${peer.id}'s roster entry`, maxRoundsPerDay: peer.policy.maxRoundsPerDay });
    holders.push({ who: `this node's policy for ${peer.id} (venn.config.json)`, maxRoundsPerDay: ownPolicyFor(peer.id).maxRoundsPerDay });
  }
  return holders;
}
