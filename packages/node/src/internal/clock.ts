/** Clock and timers, injected everywhere time matters so tests drive time instead of sleeping. */
export type TimerHandle = unknown;

/** Same shape as @venn/transport's Timers, so one instance serves the whole daemon. */
export interface Timers {
  setTimeout(callback: () => void, ms: number): TimerHandle;
  clearTimeout(handle: TimerHandle): void;
}

/** Node's own timers; a timer never keeps the process alive on its own. */
export const systemTimers: Timers = {
  setTimeout(callback, ms) {
    const handle = setTimeout(callback, ms);
    handle.unref();
    return handle;
  },
  clearTimeout(handle) {
    clearTimeout(handle as NodeJS.Timeout);
  },
};

/** Longest delay Node's setTimeout honours (2^31 - 1 ms); longer waits are re-armed in steps. */
export const MAX_TIMER_MS = 2 ** 31 - 1;

/**
 * A clock that starts at `startMs` and then advances with real time: lets a daemon run a drill
 * or a test "as of" another instant (venn start --clock-start) with every other part unchanged.
 */
export function offsetClock(startMs: number, realNow: () => number = Date.now): () => number {
  const origin = realNow();
  return () => startMs + (realNow() - origin);
}
