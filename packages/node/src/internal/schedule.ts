/**
 * Round slots and round ids (protocol-spec/node.md): slots are the instants of the roster's cron
 * (node.md §4.1, evaluated by croner), a scheduled round's id is derived from the roster digest,
 * the slot and the pair, and the initiator of each pair is chosen from the round id so both sides
 * agree without talking.
 */
import { sha256 } from '@noble/hashes/sha2.js';
import { concatBytes } from '@noble/hashes/utils.js';
import { Cron } from 'croner';
import { ValidationError } from '@venn/errors';
import type { RosterSchedule } from '@venn/transport';

const ROUND_ID_TAG = 'venn/round-id/v1';
const AD_HOC_ROUND_ID_TAG = 'venn/ad-hoc-round-id/v1';
const INITIATOR_TAG = 'venn/initiator/v1';
const encoder = new TextEncoder();

/** Upper bound on slots examined per lookup, so a dense cron cannot make a lookup unbounded. */
const MAX_SLOTS_PER_LOOKUP = 2000;

export interface Slot {
  /** Slot start, Unix seconds. */
  readonly start: number;
  /** End of the slot's window (start + windowMinutes), Unix seconds. */
  readonly end: number;
}

/**
 * node.md §4.1 semantics, pinned rather than left to croner's defaults: five fields only, day of
 * month OR day of week when both are restricted, steps only on `*` or a range, 0-6 weekdays with
 * 7 as Sunday, and the DST rule that treats one-minute-one-hour crons as fixed times.
 */
const CRON_OPTIONS = {
  mode: '5-part',
  domAndDow: false,
  sloppyRanges: false,
  alternativeWeekdays: false,
  fixedTimeRule: 'single-value',
} as const;

function pattern(schedule: RosterSchedule): Cron {
  // Paused: croner only evaluates the pattern; timers are the scheduler's, on its injected clock.
  return new Cron(schedule.cron, { ...CRON_OPTIONS, timezone: schedule.timezone, paused: true });
}

/** The first slot starting strictly after `afterMs`. */
export function nextSlot(schedule: RosterSchedule, afterMs: number): Slot | null {
  const next = pattern(schedule).nextRun(new Date(afterMs));
  if (next === null) return null;
  const start = Math.floor(next.getTime() / 1000);
  return { start, end: start + schedule.windowMinutes * 60 };
}

/**
 * Slots whose window [start, start + windowMinutes) contains `nowMs`, widened by `skewSeconds`
 * on both sides: a peer whose clock is up to `skewSeconds` off still names a slot we accept.
 * Oldest first.
 */
export function currentSlots(schedule: RosterSchedule, nowMs: number, skewSeconds: number): Slot[] {
  const cron = pattern(schedule);
  const windowMs = schedule.windowMinutes * 60_000;
  const skewMs = skewSeconds * 1000;
  const slots: Slot[] = [];
  // croner's nextRun(t) is strictly after t, i.e. start > now - window - skew: the window is open.
  let cursor: Date | null = new Date(nowMs - windowMs - skewMs);
  for (let i = 0; i < MAX_SLOTS_PER_LOOKUP; i++) {
    cursor = cron.nextRun(cursor);
    if (cursor === null || cursor.getTime() > nowMs + skewMs) break;
    const start = Math.floor(cursor.getTime() / 1000);
    slots.push({ start, end: start + schedule.windowMinutes * 60 });
  }
  return slots;
}

function u64(value: number): Uint8Array {
  const out = new Uint8Array(8);
  new DataView(out.buffer).setBigUint64(0, BigInt(value));
  return out;
}

function lengthPrefixed(text: string): Uint8Array {
  const bytes = encoder.encode(text);
  if (bytes.length > 255) throw new ValidationError('invalid-length', `lab id expected at most 255 bytes, got length=${bytes.length}`);
  const out = new Uint8Array(1 + bytes.length);
  out[0] = bytes.length;
  out.set(bytes, 1);
  return out;
}

function sortedPair(a: string, b: string): [string, string] {
  if (a === b) throw new ValidationError('same-lab', `round pair expected two different labs, got ${a} twice`);
  return a < b ? [a, b] : [b, a];
}

function checkDigest(rosterDigest: Uint8Array): void {
  if (!(rosterDigest instanceof Uint8Array) || rosterDigest.length !== 32) {
    throw new ValidationError('invalid-length', `"rosterDigest" expected Uint8Array of length 32, got ${rosterDigest instanceof Uint8Array ? `length=${rosterDigest.length}` : typeof rosterDigest}`);
  }
}

/**
 * node.md §3: round id of the scheduled round of pair {a, b} in the slot starting at `slot`:
 * SHA-256(tag || 0x00 || rosterDigest || u64be(slot) || len || lowId || len || highId).
 */
export function scheduledRoundId(rosterDigest: Uint8Array, slot: number, a: string, b: string): Uint8Array {
  checkDigest(rosterDigest);
  if (!Number.isSafeInteger(slot) || slot < 0) throw new ValidationError('invalid-slot', `"slot" expected a non-negative integer of Unix seconds, got ${slot}`);
  const [low, high] = sortedPair(a, b);
  return sha256(concatBytes(encoder.encode(ROUND_ID_TAG), new Uint8Array([0]), rosterDigest, u64(slot), lengthPrefixed(low), lengthPrefixed(high)));
}

/** node.md §3: an ad-hoc round id binds the roster, the ordered pair and a fresh 16-byte nonce. */
export function adHocRoundId(rosterDigest: Uint8Array, initiator: string, responder: string, nonce: Uint8Array): Uint8Array {
  checkDigest(rosterDigest);
  if (nonce.length !== 16) throw new ValidationError('invalid-length', `"nonce" expected Uint8Array of length 16, got length=${nonce.length}`);
  sortedPair(initiator, responder);
  return sha256(concatBytes(encoder.encode(AD_HOC_ROUND_ID_TAG), new Uint8Array([0]), rosterDigest, lengthPrefixed(initiator), lengthPrefixed(responder), nonce));
}

/**
 * node.md §4: the initiator of a scheduled round is the lab whose SHA-256(tag || roundId || id)
 * is smaller, so the role alternates pseudo-randomly across slots and both sides agree on it.
 */
export function scheduledInitiator(roundId: Uint8Array, a: string, b: string): string {
  const [low, high] = sortedPair(a, b);
  const score = (id: string): Uint8Array => sha256(concatBytes(encoder.encode(INITIATOR_TAG), new Uint8Array([0]), roundId, lengthPrefixed(id)));
  return Buffer.compare(Buffer.from(score(low)), Buffer.from(score(high))) <= 0 ? low : high;
}

/** Which scheduled slot (if any, within skew) `roundId` names for the pair. */
export function matchScheduledRound(roundId: Uint8Array, rosterDigest: Uint8Array, schedule: RosterSchedule, nowMs: number, skewSeconds: number, a: string, b: string): Slot | null {
  for (const slot of currentSlots(schedule, nowMs, skewSeconds)) {
    if (Buffer.from(scheduledRoundId(rosterDigest, slot.start, a, b)).equals(Buffer.from(roundId))) return slot;
  }
  return null;
}

/** How far from the clock a responder still recognises a scheduled round id of the pair (node.md §5.1 step 8). */
export const SCHEDULED_ID_SEARCH_SECONDS = 6 * 3600;

/**
 * The slot within SCHEDULED_ID_SEARCH_SECONDS of `nowMs` (at most 2,000 slots) whose scheduled
 * round id for the pair is `roundId`, whether or not its window is open; null if none.
 */
export function scheduledSlotNear(roundId: Uint8Array, rosterDigest: Uint8Array, schedule: RosterSchedule, nowMs: number, a: string, b: string): Slot | null {
  return matchScheduledRound(roundId, rosterDigest, schedule, nowMs, SCHEDULED_ID_SEARCH_SECONDS, a, b);
}

/**
 * Exponential backoff with full jitter (retry n waits a uniform time in [0, min(max, initial·mult^n)]),
 * so retrying peers spread out instead of colliding.
 */
export function backoffDelayMs(attempt: number, retry: { initialDelaySeconds: number; maxDelaySeconds: number; multiplier: number }, random: () => number): number {
  const ceiling = Math.min(retry.maxDelaySeconds, retry.initialDelaySeconds * retry.multiplier ** Math.max(0, attempt - 1)) * 1000;
  // Never zero: at least a tenth of the initial delay, so a fast failure cannot spin.
  return Math.max(retry.initialDelaySeconds * 100, Math.floor(random() * ceiling));
}
