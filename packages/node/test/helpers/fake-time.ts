/** A manual clock with timers: advance() runs due callbacks in time order. */
import type { Timers } from '../../src/internal/clock.js';

export class FakeTime implements Timers {
  private current: number;
  private sequence = 0;
  private readonly queue = new Map<number, { at: number; callback: () => void }>();

  constructor(startMs: number) {
    this.current = startMs;
  }

  readonly now = (): number => this.current;

  setTimeout(callback: () => void, ms: number): number {
    const id = ++this.sequence;
    this.queue.set(id, { at: this.current + Math.max(0, ms), callback });
    return id;
  }

  clearTimeout(handle: unknown): void {
    this.queue.delete(handle as number);
  }

  get pendingTimers(): number {
    return this.queue.size;
  }

  /** Moves time forward by `ms`, running each timer at its due time (timers may add timers). */
  advance(ms: number): void {
    const end = this.current + ms;
    for (;;) {
      let nextId: number | undefined;
      let next: { at: number; callback: () => void } | undefined;
      for (const [id, timer] of this.queue) {
        if (timer.at <= end && (next === undefined || timer.at < next.at || (timer.at === next.at && id < nextId!))) {
          next = timer;
          nextId = id;
        }
      }
      if (next === undefined || nextId === undefined) break;
      this.queue.delete(nextId);
      this.current = Math.max(this.current, next.at);
      next.callback();
    }
    this.current = end;
  }
}
