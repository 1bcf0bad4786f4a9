/**
 * node.md §10.4: how a round worker writes a large batch (a key epoch round's state changes, a
 * round's matches) into the store without holding its write lock for long. SQLite has one writer
 * at a time; the daemon's main thread writes too (a round's start and end, signed heads), and
 * while the lock is held elsewhere it waits in SQLite's busy handler, its event loop stopped.
 *
 * So the batch is written in slices, each its own transaction, sized to hold the lock about
 * `holdMs`, and the worker pauses `pauseMs` between slices. Back to back, the slices would leave
 * the lock free for microseconds only, and the waiting connection would almost never find it
 * free: SQLite's busy handler sleeps between its tries, 1, 2, 5, 10, 15, 20, 25 … ms, so it tries
 * at 1, 3, 8, 18, 33, 53 … ms after it first found the lock held. With slices of 20 ms and pauses
 * of 15 ms, one of its tries falls in a pause by 33 ms (a slice that overruns by half still lets it
 * in by 53 ms), for a worker that spends about 57 % of its staging time holding the lock. Every
 * slice is its own transaction, so slices cost more than one long transaction; the pacing trades
 * that for a main thread that is never stopped for long.
 */
import type Database from 'better-sqlite3';
import { InternalError } from '@venn/errors';

export interface WritePacing {
  /**
   * the time a slice aims to hold the write lock (ms); 0 keeps every slice at `firstRows` rows
   * (tests that count slices)
   */
  readonly holdMs: number;
  /** the pause between slices (ms) */
  readonly pauseMs: number;
  /** rows of the first slice; later slices are sized from the time the one before took */
  readonly firstRows: number;
  /**
   * A slice's commit is fsynced (synchronous FULL) once the slices since the last fsynced one
   * took this long (ms), and always for the last slice; the others are committed without fsync
   * (NORMAL). Every commit of the store is fsynced (node.md §2), and a commit fsyncs the
   * write-ahead log up to its own end: unsynced slices would be synced by whichever commit comes
   * next, the main thread's among them. Bounded so, a main-thread commit between two slices
   * syncs at most this many milliseconds' worth of the worker's pages.
   */
  readonly syncEveryMs: number;
}

export const WORKER_PACING: WritePacing = { holdMs: 20, pauseMs: 15, firstRows: 1024, syncEveryMs: 100 };

/** Bounds of a slice's rows, whatever the times measured. */
const MIN_ROWS = 64;
const MAX_ROWS = 65_536;

/**
 * Writes `total` rows in slices (node.md §10.4): `slice(first, rows)` runs inside an IMMEDIATE
 * transaction, writes `rows` rows (the next ones of the batch) and returns how many it wrote, or
 * null to stop: that slice's transaction is committed (it should have written nothing) and no
 * further slice runs. Returns true once all `total` rows are written, false if a slice stopped. A
 * slice that throws rolls back its own transaction only; the ones before it stay committed. The
 * first slice runs even when `total` is 0, so it can check and mark what the batch is for.
 */
export function writePaced(db: Database.Database, total: number, pacing: WritePacing, slice: (first: boolean, rows: number) => number | null): boolean {
  const before = db.pragma('synchronous', { simple: true }) as number;
  let rows = Math.max(1, pacing.firstRows);
  let done = 0;
  let unsyncedMs = 0;
  try {
    for (let first = true; ; first = false) {
      const want = Math.min(rows, total - done);
      const sync = done + want >= total || unsyncedMs >= pacing.syncEveryMs;
      db.pragma(`synchronous = ${sync ? 'FULL' : 'NORMAL'}`);
      const start = performance.now();
      const wrote = db.transaction(() => slice(first, want)).immediate();
      const took = performance.now() - start;
      if (wrote === null) return false;
      done += wrote;
      if (done >= total) return true;
      if (wrote === 0) throw new InternalError('paced-write-stalled', `a slice wrote no row with ${total - done} of ${total} left`);
      if (sync) {
        unsyncedMs = 0;
      } else {
        unsyncedMs += took;
        if (pacing.holdMs > 0) rows = nextSliceRows(rows, took, pacing);
      }
      pauseThread(pacing.pauseMs);
    }
  } finally {
    db.pragma(`synchronous = ${before}`);
  }
}

/** Blocks this thread for `ms` (a worker's pause between slices; the pause is the point). */
export function pauseThread(ms: number): void {
  if (ms <= 0) return;
  Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, ms);
}

/**
 * The rows of the next slice: the last slice's rows scaled to `holdMs` by the time it took, at
 * most doubled or halved at a time, within MIN_ROWS..MAX_ROWS.
 */
export function nextSliceRows(rows: number, tookMs: number, pacing: WritePacing): number {
  const scaled = tookMs <= 0 ? rows * 2 : rows * (pacing.holdMs / tookMs);
  const bounded = Math.min(rows * 2, Math.max(rows / 2, scaled));
  return Math.max(MIN_ROWS, Math.min(MAX_ROWS, Math.floor(bounded)));
}
