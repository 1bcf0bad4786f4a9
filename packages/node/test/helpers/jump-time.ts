/**
 * A clock for daemons that run with real sockets and workers but must live through minutes or
 * days of schedule in a test: it runs at real speed, and jump(ms) moves it forward at once.
 * Short timers (under `virtualFromMs`) are real timers, so sessions and drains behave as in
 * production; longer ones (schedule ticks, round deadlines, epoch ends) fire when a jump reaches
 * them. Nothing in a test sleeps: it jumps, then waits for the daemons' own events.
 */
import type { Timers } from '../../src/internal/clock.js';

export class JumpTime implements Timers {
  private jumped = 0;
  private sequence = 0;
  private readonly origin = Date.now();
  private readonly virtual = new Map<number, { at: number; callback: () => void }>();
  private readonly real = new Map<number, NodeJS.Timeout>();

  constructor(private readonly startMs: number, private readonly virtualFromMs = 1_000) {}

  readonly now = (): number => this.startMs + (Date.now() - this.origin) + this.jumped;

  setTimeout(callback: () => void, ms: number): number {
    const id = ++this.sequence;
    if (ms < this.virtualFromMs) {
      const handle = setTimeout(() => {
        this.real.delete(id);
        callback();
      }, Math.max(0, ms));
      this.real.set(id, handle);
    } else {
      this.virtual.set(id, { at: this.now() + ms, callback });
    }
    return id;
  }

  clearTimeout(handle: unknown): void {
    const id = handle as number;
    const real = this.real.get(id);
    if (real !== undefined) clearTimeout(real);
    this.real.delete(id);
    this.virtual.delete(id);
  }

  /** Moves the clock `ms` forward and runs, in time order, the long timers that came due. */
  jump(ms: number): void {
    this.jumped += ms;
    for (;;) {
      const now = this.now();
      let next: [number, { at: number; callback: () => void }] | undefined;
      for (const entry of this.virtual) if (entry[1].at <= now && (next === undefined || entry[1].at < next[1].at)) next = entry;
      if (next === undefined) return;
      this.virtual.delete(next[0]);
      next[1].callback();
    }
  }

  /** Jumps to the instant `atMs` of this clock (no-op if it has passed). */
  jumpTo(atMs: number): void {
    this.jump(Math.max(0, atMs - this.now()));
  }

  dispose(): void {
    for (const handle of this.real.values()) clearTimeout(handle);
    this.real.clear();
    this.virtual.clear();
  }
}
