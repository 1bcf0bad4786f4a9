/**
 * node.md §5.4: the responder's record of refusals, written without waiting for the store's write
 * lock. A refusal is decided and answered on the daemon's main thread; the store may be locked by
 * another connection then (a round worker's paced slices, node.md §10.4), and a write that
 * waited would hold the thread that serves every session and the admin endpoint: a peer that
 * dials many ids would stack those waits. So a refusal is written at once when the lock is free,
 * and otherwise kept here, merged by (peer, round id, code) and written within `retryMs` of the
 * lock coming free. Nothing is dropped: past MAX_PENDING distinct keys a refusal is written
 * waiting for the lock, and close() writes what is kept, waiting.
 */
import type { Logger } from './logger.js';
import type { TimerHandle, Timers } from './clock.js';
import { isStorageFault } from './attempt.js';
import type { RefusalRecord, Store } from './store.js';

/** Distinct (peer, round id, code) kept in memory at most; a peer dialing more ids than this meets a waiting write. */
export const MAX_PENDING = 1000;
/** How long a kept refusal waits before the next try. */
export const RETRY_MS = 100;

export class RefusalLog {
  private readonly pending = new Map<string, RefusalRecord>();
  private timer: TimerHandle | undefined;
  private reported = false;

  constructor(private readonly store: Store, private readonly timers: Timers, private readonly logger: Logger, private readonly now: () => number, private readonly retryMs = RETRY_MS) {}

  /** Refusals decided but not yet in the store. */
  get kept(): number {
    let count = 0;
    for (const entry of this.pending.values()) count += entry.count;
    return count;
  }

  record(peerId: string, roundId: Uint8Array, code: string, detail: string): void {
    const at = this.now();
    const entry: RefusalRecord = { peerId, roundId: roundId.slice(0, 64), code, detail: detail.slice(0, 500), count: 1, firstAt: at, lastAt: at };
    const key = `${peerId}\n${Buffer.from(entry.roundId).toString('hex')}\n${code}`;
    const kept = this.pending.get(key);
    if (kept !== undefined) {
      this.pending.set(key, { ...kept, detail: entry.detail, count: kept.count + 1, lastAt: at });
      return;
    }
    if (this.pending.size === 0 && this.write([entry], false)) return;
    if (this.pending.size >= MAX_PENDING) {
      // Bounded memory: this one waits for the lock (and takes the kept ones with it).
      this.pending.set(key, entry);
      this.flush(true);
      return;
    }
    this.pending.set(key, entry);
    this.schedule();
  }

  /** Writes what is kept; `wait`: for the store's write lock, up to its busy timeout. */
  flush(wait: boolean): void {
    if (this.timer !== undefined) this.timers.clearTimeout(this.timer);
    this.timer = undefined;
    if (this.pending.size === 0 || !this.store.db.open) return;
    const entries = [...this.pending.values()];
    if (this.write(entries, wait)) {
      this.pending.clear();
      return;
    }
    this.schedule();
  }

  /** At shutdown, before the store closes: everything kept is written, waiting for the lock. */
  close(): void {
    this.flush(true);
    if (this.timer !== undefined) this.timers.clearTimeout(this.timer);
    this.timer = undefined;
    if (this.pending.size > 0) this.logger.error({ refusals: this.kept }, 'refusals could not be recorded before the store closed');
  }

  private schedule(): void {
    this.timer ??= this.timers.setTimeout(() => {
      this.timer = undefined;
      try {
        this.flush(false);
      } catch (error) {
        // Not a lock or a disk fault: reported once, kept, tried again.
        if (!this.reported) this.logger.error({ err: error, refusals: this.kept }, 'refusal records could not be written; keeping them and trying again');
        this.reported = true;
        this.schedule();
      }
    }, this.retryMs);
  }

  /** True when written; false when the lock was taken (or the disk refused) and the entries stay kept. */
  private write(entries: readonly RefusalRecord[], wait: boolean): boolean {
    try {
      this.store.recordRefusals(entries, { wait });
      if (this.reported) this.logger.info({ refusals: entries.length }, 'kept refusals recorded');
      this.reported = false;
      return true;
    } catch (error) {
      const code = (error as { code?: unknown }).code;
      if (code === 'SQLITE_BUSY' || isStorageFault(error)) {
        if (isStorageFault(error) && !this.reported) {
          this.reported = true;
          this.logger.error({ err: error, refusals: entries.length }, 'the disk refused refusal records; keeping them and trying again');
        }
        return false;
      }
      throw error;
    }
  }
}
