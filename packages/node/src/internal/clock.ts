/** Clock and timers, injected everywhere time matters so tests drive time instead of sleeping. */
// One Timers shape and one system implementation serve the transport and the daemon alike.
export { systemTimers, type TimerHandle, type Timers } from '@venn/transport';

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
