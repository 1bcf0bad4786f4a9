/** Fires once per roster slot, on the injected clock and timers; croner only evaluates the cron. */
import type { RosterSchedule } from '@venn/transport';
import { MAX_TIMER_MS, type TimerHandle, type Timers } from './clock.js';
import { currentSlots, nextSlot, type Slot } from './schedule.js';

export interface SchedulerOptions {
  readonly schedule: RosterSchedule;
  readonly now: () => number;
  readonly timers: Timers;
  /** Called at each slot start, and at start-up for slots whose window is still open. */
  readonly onSlot: (slot: Slot, catchUp: boolean) => void;
  /** A throwing slot handler is reported here; the scheduler keeps its cadence. */
  readonly onError?: (error: unknown, slot: Slot) => void;
}

export class Scheduler {
  private timer: TimerHandle | undefined;
  private pending: Slot | null = null;
  private stopped = true;
  private readonly options: SchedulerOptions;

  constructor(options: SchedulerOptions) {
    this.options = options;
  }

  start(): void {
    if (!this.stopped) return;
    this.stopped = false;
    const now = this.options.now();
    // Slots already open (a restart inside a window) still run, so retries can complete them.
    for (const slot of currentSlots(this.options.schedule, now, 0)) {
      if (slot.start * 1000 <= now) this.dispatch(slot, true);
    }
    this.arm(nextSlot(this.options.schedule, now));
  }

  stop(): void {
    this.stopped = true;
    if (this.timer !== undefined) this.options.timers.clearTimeout(this.timer);
    this.timer = undefined;
    this.pending = null;
  }

  /** The slot the scheduler is waiting for. */
  get next(): Slot | null {
    return this.pending;
  }

  private arm(slot: Slot | null): void {
    this.pending = slot;
    if (slot === null || this.stopped) return;
    const delay = Math.max(0, slot.start * 1000 - this.options.now());
    this.timer = this.options.timers.setTimeout(() => this.fire(slot), Math.min(delay, MAX_TIMER_MS));
  }

  private fire(slot: Slot): void {
    this.timer = undefined;
    if (this.stopped) return;
    // A timer can fire early (long waits are stepped; clocks can be adjusted): wait on.
    if (this.options.now() < slot.start * 1000) {
      this.arm(slot);
      return;
    }
    this.dispatch(slot, false);
    this.arm(nextSlot(this.options.schedule, Math.max(this.options.now(), slot.start * 1000)));
  }

  private dispatch(slot: Slot, catchUp: boolean): void {
    try {
      this.options.onSlot(slot, catchUp);
    } catch (error) {
      this.options.onError?.(error, slot);
    }
  }
}
