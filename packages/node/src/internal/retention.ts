/**
 * Retention in the daemon (protocol-spec/node.md §2.1): items whose list retention ran out are
 * removed at start and then every ten minutes, on the node's clock, so they stop matching.
 */
import type { TimerHandle, Timers } from './clock.js';
import { abortUnfinishedIngests, expireItems, type RetentionOverrides } from './list-store.js';
import type { Logger } from './logger.js';
import type { Store } from './store.js';

export const RETENTION_INTERVAL_MS = 10 * 60_000;

export interface Retention {
  /** Runs expiry now (also run at start); returns what was removed, by list. */
  expireNow(): Array<{ list: string; removed: number }>;
  stop(): void;
}

export function startRetention(options: { store: Store; now: () => number; timers: Timers; logger: Logger; overrides: () => RetentionOverrides; intervalMs?: number }): Retention {
  const { store, now, timers, logger } = options;
  const interval = options.intervalMs ?? RETENTION_INTERVAL_MS;
  let handle: TimerHandle | undefined;
  let stopped = false;
  const expireNow = (): Array<{ list: string; removed: number }> => {
    const removed = expireItems(store, now(), options.overrides());
    for (const { list, removed: count } of removed) logger.info({ list, removed: count }, 'identifiers expired');
    return removed;
  };
  const tick = (): void => {
    if (stopped) return;
    try {
      expireNow();
    } catch (error) {
      logger.error({ err: error }, 'retention failed; will try again');
    }
    handle = timers.setTimeout(tick, interval);
  };
  // At start the daemon owns the directory and runs no ingest yet: open ones were interrupted.
  const interrupted = abortUnfinishedIngests(store);
  if (interrupted > 0) logger.warn({ ingests: interrupted }, 'ingests left unfinished by a previous process rolled back');
  tick();
  return {
    expireNow,
    stop() {
      stopped = true;
      if (handle !== undefined) timers.clearTimeout(handle);
    },
  };
}
