/**
 * node.md §5.4: refusals are recorded without waiting for the store's write lock. Another
 * connection may hold that lock (a round worker's slices, node.md §10.4); a refusal decided
 * meanwhile (the peer dialing the next round early, or any peer dialing anything) must not hold the
 * daemon's main thread until the lock is free, and must not be lost either. These tests hold the
 * lock in a second real connection to the same SQLite file.
 */
import { createHash } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { createLogger } from '../src/internal/logger.js';
import { MAX_PENDING, RefusalLog } from '../src/internal/refusal-log.js';
import { Store } from '../src/internal/store.js';
import { systemTimers } from '../src/internal/clock.js';

const dirs: string[] = [];
afterAll(() => {
  for (const dir of dirs) rmSync(dir, { recursive: true, force: true });
});

const sha = (text: string): Uint8Array => new Uint8Array(createHash('sha256').update(text).digest());
const sleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));

function open(): { store: Store; other: Store; log: RefusalLog; clock: { now: number } } {
  const dir = mkdtempSync(join(tmpdir(), 'venn-refusal-log-'));
  dirs.push(dir);
  const path = join(dir, 'venn.db');
  const clock = { now: 1_700_000_000_000 };
  const store = Store.open(path, { now: () => clock.now });
  const other = Store.open(path);
  const log = new RefusalLog(store, systemTimers, createLogger({ level: 'silent', node: 'lab-a' }), () => clock.now, 20);
  return { store, other, log, clock };
}

/** Runs `work` while `other` holds the write lock, as a round worker's slice does. */
function locked<T>(other: Store, work: () => T): T {
  other.db.prepare('BEGIN IMMEDIATE').run();
  try {
    return work();
  } finally {
    other.db.prepare('COMMIT').run();
  }
}

const rows = (store: Store): Array<{ code: string; count: number; firstAt: number; lastAt: number; detail: string }> =>
  store.refusals().map((r) => ({ code: r.code, count: r.count, firstAt: r.firstAt, lastAt: r.lastAt, detail: r.detail })).sort((a, b) => a.code.localeCompare(b.code));

describe('refusal records (node.md §5.4)', () => {
  it('are written at once when the store is free', () => {
    const { store, other, log } = open();
    log.record('lab-b', sha('r'), 'quota-exceeded', 'first');
    expect(log.kept).toBe(0);
    expect(rows(store)).toEqual([expect.objectContaining({ code: 'quota-exceeded', count: 1, detail: 'first' })]);
    log.close();
    other.close();
    store.close();
  });

  it('a write that waits for the lock holds the thread for the busy timeout, then fails (what a daemon did before)', () => {
    const { store, other, log } = open();
    store.db.pragma('busy_timeout = 200');
    const started = performance.now();
    const refusal = { peerId: 'lab-b', roundId: sha('next'), code: 'round-in-progress', detail: 'still ending', count: 1, firstAt: 0, lastAt: 0 };
    locked(other, () => expect(() => store.recordRefusals([refusal], { wait: true })).toThrow(/database is locked/));
    expect(performance.now() - started).toBeGreaterThanOrEqual(150);
    expect(rows(store)).toEqual([]);
    log.close();
    other.close();
    store.close();
  });

  it('do not wait while another connection holds the write lock, and are written once it is free', async () => {
    const { store, other, log, clock } = open();
    const first = clock.now;
    const elapsed = locked(other, () => {
      const started = performance.now();
      log.record('lab-b', sha('next'), 'round-in-progress', 'round 1; still ending round 0');
      clock.now += 5;
      log.record('lab-b', sha('next'), 'round-in-progress', 'round 1; still ending round 0 (again)');
      log.record('lab-c', sha('other'), 'quota-exceeded', 'ad-hoc quota');
      return performance.now() - started;
    });
    // The store's busy timeout is 10 s: a write that waited would have taken it and then thrown.
    expect(elapsed).toBeLessThan(50);
    expect(log.kept).toBe(3);
    expect(rows(store)).toEqual([]);
    for (let i = 0; i < 100 && log.kept > 0; i++) await sleep(10);
    expect(log.kept).toBe(0);
    expect(rows(store)).toEqual([
      { code: 'quota-exceeded', count: 1, firstAt: first + 5, lastAt: first + 5, detail: 'ad-hoc quota' },
      { code: 'round-in-progress', count: 2, firstAt: first, lastAt: first + 5, detail: 'round 1; still ending round 0 (again)' },
    ]);
    log.close();
    other.close();
    store.close();
  });

  it('merge with a row already stored for the same peer, id and code', async () => {
    const { store, other, log, clock } = open();
    const first = clock.now;
    log.record('lab-b', sha('r'), 'round-replayed', 'one');
    clock.now += 1000;
    locked(other, () => log.record('lab-b', sha('r'), 'round-replayed', 'two'));
    for (let i = 0; i < 100 && log.kept > 0; i++) await sleep(10);
    expect(rows(store)).toEqual([{ code: 'round-replayed', count: 2, firstAt: first, lastAt: first + 1000, detail: 'two' }]);
    log.close();
    other.close();
    store.close();
  });

  it('kept at close are written before the store closes', () => {
    const { store, other, log } = open();
    locked(other, () => log.record('lab-b', sha('r'), 'shutting-down', 'the node is shutting down'));
    expect(log.kept).toBe(1);
    log.close();
    expect(log.kept).toBe(0);
    expect(rows(store)).toEqual([expect.objectContaining({ code: 'shutting-down', count: 1 })]);
    other.close();
    store.close();
  });

  it(`keep at most ${MAX_PENDING} distinct keys in memory: past that a refusal waits for the lock, and none is lost`, async () => {
    const { store, other, log } = open();
    store.db.pragma('busy_timeout = 200');
    const waited = locked(other, () => {
      for (let i = 0; i < MAX_PENDING; i++) log.record('lab-b', sha(`id ${i}`), 'round-mismatch', 'junk id');
      expect(log.kept).toBe(MAX_PENDING);
      const started = performance.now();
      log.record('lab-b', sha('one more'), 'round-mismatch', 'junk id');
      return performance.now() - started;
    });
    // It waited for the (shortened) busy timeout, found the lock still held, and kept everything.
    expect(waited).toBeGreaterThanOrEqual(150);
    expect(log.kept).toBe(MAX_PENDING + 1);
    for (let i = 0; i < 200 && log.kept > 0; i++) await sleep(10);
    expect(log.kept).toBe(0);
    expect(store.refusals({ limit: 5000 })).toHaveLength(MAX_PENDING + 1);
    log.close();
    other.close();
    store.close();
  });
});
