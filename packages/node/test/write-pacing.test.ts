/**
 * node.md §10.4: a round worker writes a large batch (a key epoch round's state changes, a round's
 * matches) in paced slices, so that the daemon's main thread, whose writes wait in SQLite's busy
 * handler with its event loop stopped, gets the store's write lock within tens of milliseconds and
 * not after the whole batch. The attack these tests start from: with three labs, a peer that
 * makes this node run a key epoch start of 2^20 each way (its right under the protocol) held the
 * write lock for seconds, and every round start, end and signed head of the node's other peers
 * waited that long. Measured here with a real worker thread on a real SQLite file.
 */
import { statSync } from 'node:fs';
import { Worker } from 'node:worker_threads';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { EpochChanges } from '../src/internal/epoch-store.js';
import { Store } from '../src/internal/store.js';
import { workerExecArgv } from '../src/internal/worker-pool.js';
import { WORKER_PACING, nextSliceRows, writePaced, type WritePacing } from '../src/internal/write-pacing.js';
import { ensureBuilt } from './helpers/build.js';
import { NONE, epochAttempt, openEpochStore, pack, removeEpochStores, sha } from './helpers/epoch-state.js';

beforeAll(() => ensureBuilt());

afterAll(removeEpochStores);

/** One transaction for the whole batch: how the worker staged before the pacing. */
const ONE_TRANSACTION: WritePacing = { holdMs: 0, pauseMs: 0, firstRows: 1e9, syncEveryMs: 0 };

const open = openEpochStore;

/**
 * The store's connection as the daemon runs it: automatic checkpoint off, since the checkpoint
 * thread checkpoints (node.md §2). Left on, this thread's small commits would copy the worker's
 * pages into the database file and fsync it, and their times would measure that, not the lock.
 */
function daemonLike<T extends { store: Store }>(opened: T): T {
  opened.store.db.pragma('wal_autocheckpoint = 0');
  return opened;
}
const attempt = epochAttempt;

interface Contention {
  /** how long the worker's stageRound took (ms) */
  readonly stageMs: number;
  /** how long each of this thread's writes took while the worker staged (ms) */
  readonly waits: number[];
}

/**
 * A worker thread (the built modules, as round workers run them) stages an epoch start of `n`
 * elements each way into the store at `path` with `pacing`, while this thread records a third
 * lab's round start (a row in `rounds`, fsynced) every 20 ms and times each.
 */
async function stageAgainstWrites(path: string, store: Store, epochRow: number, roundRow: number, n: number, pacing: WritePacing): Promise<Contention> {
  const dist = new URL('../dist/internal/', import.meta.url).href;
  const source = `
    const { parentPort, workerData } = require('node:worker_threads');
    const { createHash } = require('node:crypto');
    (async () => {
      const { Store } = await import(workerData.dist + 'store.js');
      const { EpochStore } = await import(workerData.dist + 'epoch-store.js');
      const sha = (text) => createHash('sha256').update(text).digest();
      const pack = (values) => { const out = new Uint8Array(values.length * 32); values.forEach((v, i) => out.set(v, i * 32)); return out; };
      const own = Array.from({ length: workerData.n }, (_, i) => sha('own' + i)).sort(Buffer.compare);
      const changes = {
        addedDigests: pack(own), addedValues: pack(Array.from({ length: workerData.n }, (_, i) => sha('D' + i))), removedDigests: new Uint8Array(0),
        peerAdded: pack(Array.from({ length: workerData.n }, (_, i) => sha('P' + i))), peerRemoved: new Uint8Array(0), endedMatches: new Uint8Array(0),
      };
      const store = Store.open(workerData.path);
      parentPort.postMessage({ type: 'start' });
      const started = performance.now();
      const staged = new EpochStore(store).stageRound(workerData.epochRow, workerData.roundRow, changes, workerData.pacing);
      const stageMs = performance.now() - started;
      store.close();
      parentPort.postMessage({ type: 'done', staged, stageMs });
    })().catch((error) => parentPort.postMessage({ type: 'error', message: String(error && error.stack || error) }));`;
  const worker = new Worker(source, { eval: true, execArgv: workerExecArgv(process.execArgv), workerData: { dist, path, n, epochRow, roundRow, pacing } });
  const waits: number[] = [];
  let writing = false;
  let k = 0;
  const write = (): void => {
    if (!writing) return;
    const started = performance.now();
    const round = store.createRound({ roundId: sha(`lab-c ${k++}`), peerId: 'lab-c', role: 'responder', origin: 'ad-hoc', slot: null, mode: null });
    waits.push(performance.now() - started);
    expect(round.peerId).toBe('lab-c');
    setTimeout(write, 20);
  };
  try {
    return await new Promise<Contention>((resolve, reject) => {
      worker.on('message', (message: { type: string; staged?: boolean; stageMs?: number; message?: string }) => {
        if (message.type === 'start') {
          writing = true;
          setTimeout(write, 5);
        } else if (message.type === 'done') {
          writing = false;
          if (message.staged !== true) reject(new Error('the worker staged nothing'));
          else resolve({ stageMs: message.stageMs!, waits });
        } else {
          writing = false;
          reject(new Error(message.message));
        }
      });
      worker.once('error', reject);
    });
  } finally {
    writing = false;
    await worker.terminate();
  }
}

describe('a round worker\'s large writes leave the write lock to the main thread (node.md §10.4)', () => {
  it('an epoch start staged in one transaction holds every other write for about as long as the staging; paced, a write waits milliseconds', async () => {
    const n = 60_000;
    const one = daemonLike(open());
    const before = await stageAgainstWrites(one.path, one.store, one.epochRow, attempt(one.store, one.epochs, one.epochRow, 0), n, ONE_TRANSACTION);
    // The attack as it was: the first write after the worker took the lock waited for nearly all
    // of the staging (which also counts the sorts before it).
    expect(before.waits.length).toBeGreaterThan(0);
    expect(Math.max(...before.waits)).toBeGreaterThan(before.stageMs * 0.4);
    one.store.close();

    // Writes went on throughout the staging (one every 20 ms was tried), the typical one within
    // milliseconds, and the worst below what one transaction cost. By design a write waits at
    // most 33 ms with slices on time, plus its own fsync. On a loaded machine a slice overruns
    // when its thread waits for a core while it holds the lock, and the waiting thread's own
    // sleeps in the busy handler wake late, so a single staging can show one wait of hundreds of
    // milliseconds. The worst is therefore bounded loosely, and the staging is measured again (up
    // to three times) when one exceeds it: staged in one transaction, every run fails the bound,
    // since its first write waits for nearly the whole staging.
    const bound = Math.max(...before.waits) * 0.5;
    let paced = daemonLike(open());
    let row = attempt(paced.store, paced.epochs, paced.epochRow, 0);
    let after = await stageAgainstWrites(paced.path, paced.store, paced.epochRow, row, n, WORKER_PACING);
    for (let run = 1; run < 3 && Math.max(...after.waits) >= bound; run++) {
      paced.store.close();
      paced = daemonLike(open());
      row = attempt(paced.store, paced.epochs, paced.epochRow, 0);
      after = await stageAgainstWrites(paced.path, paced.store, paced.epochRow, row, n, WORKER_PACING);
    }
    const worst = Math.max(...after.waits);
    expect(after.waits.length).toBeGreaterThan(after.stageMs / 100);
    expect([...after.waits].sort((a, b) => a - b)[after.waits.length >> 1]).toBeLessThan(40);
    expect(worst).toBeLessThan(bound);
    // And the batch is all there, staged.
    expect(paced.store.db.prepare('SELECT (SELECT count(*) FROM epoch_own) + (SELECT count(*) FROM epoch_peer)').pluck().get()).toBe(2 * n);
    expect(paced.store.db.prepare('SELECT staged FROM epoch_rounds WHERE round_row = ?').pluck().get(row)).toBe(1);
    paced.store.close();
  }, 60_000);

  it('writes about the write-ahead log of one transaction: each table\'s rows go in in its key order', () => {
    // An index whose inserts came in random order (epoch_own by value, before schema 11) made
    // every short transaction rewrite most of its pages: ten times the log at 10^5 elements.
    const walGrowth = (pacing: WritePacing): number => {
      const { path, store, epochs, epochRow } = open();
      const row = attempt(store, epochs, epochRow, 0);
      const n = 20_000;
      const own = Array.from({ length: n }, (_, i) => sha(`own ${i}`)).sort((a, b) => Buffer.compare(a, b));
      const changes: EpochChanges = {
        addedDigests: pack(own), addedValues: pack(own.map((_, i) => sha(`D ${i}`))), removedDigests: NONE,
        peerAdded: pack(Array.from({ length: n }, (_, i) => sha(`peer ${i}`))), peerRemoved: NONE, endedMatches: NONE,
      };
      const before = statSync(`${path}-wal`).size;
      expect(epochs.stageRound(epochRow, row, changes, pacing)).toBe(true);
      const grown = statSync(`${path}-wal`).size - before;
      store.close();
      return grown;
    };
    const one = walGrowth(ONE_TRANSACTION);
    const sliced = walGrowth({ holdMs: 0, pauseMs: 0, firstRows: 500, syncEveryMs: 1e9 });
    expect(one).toBeGreaterThan(1_000_000);
    // 120 slices of 500 rows, each rewriting the right edge of five B-trees; the random-order
    // index rewrote some 300 of its pages in each, about fifteen times the log.
    expect(sliced / one).toBeLessThan(2.5);
  });

  it('a staging that fails part-way leaves a staged round whose rows never count and are undone by settle', () => {
    const { store, epochs, epochRow } = open();
    const row = attempt(store, epochs, epochRow, 0);
    // In byte order, as the worker stages them; the 11th repeats the 10th, so the slice that holds
    // it (rows 16-20: 3 own rows and their 3 rows by value come first) fails (UNIQUE) after three
    // slices of 5 committed.
    const peer = Array.from({ length: 12 }, (_, i) => sha(`peer ${i}`)).sort((a, b) => Buffer.compare(a, b));
    peer[10] = peer[9]!;
    const own = Array.from({ length: 3 }, (_, i) => sha(`own ${i}`)).sort((a, b) => Buffer.compare(a, b));
    const changes: EpochChanges = { addedDigests: pack(own), addedValues: pack(own.map((d) => sha(`D ${Buffer.from(d).toString('hex')}`))), removedDigests: NONE, peerAdded: pack(peer), peerRemoved: NONE, endedMatches: NONE };
    const fives: WritePacing = { holdMs: 0, pauseMs: 0, firstRows: 5, syncEveryMs: 0 };
    expect(() => epochs.stageRound(epochRow, row, changes, fives)).toThrow(/UNIQUE/);
    const rows = (): number => store.db.prepare('SELECT (SELECT count(*) FROM epoch_own) + (SELECT count(*) FROM epoch_own_values) + (SELECT count(*) FROM epoch_peer)').pluck().get() as number;
    // Three slices of 5 rows are on disk, and the round is marked staged.
    expect(rows()).toBe(15);
    expect(store.db.prepare('SELECT staged FROM epoch_rounds WHERE round_row = ?').pluck().get(row)).toBe(1);
    // Nothing of it counts: the round was never applied.
    expect(store.db.prepare('SELECT (SELECT count(*) FROM epoch_own_state) + (SELECT count(*) FROM epoch_peer_state)').pluck().get()).toBe(0);
    // While the attempt is still running, settling it is refused (one round at a time).
    expect(() => epochs.settle(epochRow)).toThrow(expect.objectContaining({ code: 'epoch-round-pending' }) as Error);
    store.finishRound(row, { status: 'aborted', reason: 'internal-error', detail: 'recording the round\'s matches and changes failed' });
    expect(epochs.settle(epochRow)).toEqual({ discarded: 1, removed: 0 });
    expect(rows()).toBe(0);
    expect(store.db.prepare('SELECT staged FROM epoch_rounds WHERE round_row = ?').pluck().get(row)).toBe(0);
    store.close();
  });
});

describe('writePaced', () => {
  it('runs the first slice with 0 rows, and each slice in its own transaction, pausing between them', () => {
    const { store } = open();
    const db = store.db;
    const slices: Array<{ first: boolean; rows: number; inTransaction: boolean; synchronous: number; at: number }> = [];
    const record = (first: boolean, rows: number): number => {
      slices.push({ first, rows, inTransaction: db.inTransaction, synchronous: db.pragma('synchronous', { simple: true }) as number, at: performance.now() });
      return rows;
    };
    expect(writePaced(db, 0, { holdMs: 0, pauseMs: 0, firstRows: 4, syncEveryMs: 0 }, record)).toBe(true);
    expect(slices).toEqual([expect.objectContaining({ first: true, rows: 0, inTransaction: true })]);

    slices.length = 0;
    // Fixed slices of 4 (holdMs 0), 30 ms apart, fsynced only at the end (syncEveryMs unreachable).
    expect(writePaced(db, 10, { holdMs: 0, pauseMs: 30, firstRows: 4, syncEveryMs: 1e9 }, record)).toBe(true);
    expect(slices.map((s) => [s.first, s.rows, s.inTransaction])).toEqual([[true, 4, true], [false, 4, true], [false, 2, true]]);
    // synchronous: NORMAL (1) between, FULL (2) for the last slice, and the connection's own setting afterwards.
    expect(slices.map((s) => s.synchronous)).toEqual([1, 1, 2]);
    expect(db.pragma('synchronous', { simple: true })).toBe(2);
    for (let i = 1; i < slices.length; i++) expect(slices[i]!.at - slices[i - 1]!.at).toBeGreaterThanOrEqual(29);

    slices.length = 0;
    // syncEveryMs 0: every slice fsynced.
    expect(writePaced(db, 9, { holdMs: 0, pauseMs: 0, firstRows: 4, syncEveryMs: 0 }, record)).toBe(true);
    expect(slices.map((s) => s.synchronous)).toEqual([2, 2, 2]);
    store.close();
  });

  it('stops when a slice says so, and a slice that throws rolls back only itself', () => {
    const { store } = open();
    const db = store.db;
    db.exec('CREATE TABLE t (x INTEGER)');
    const insert = db.prepare('INSERT INTO t (x) VALUES (?)');
    let next = 0;
    const writeRows = (rows: number): number => {
      for (let i = 0; i < rows; i++) insert.run(next++);
      return rows;
    };
    const fixed: WritePacing = { holdMs: 0, pauseMs: 0, firstRows: 3, syncEveryMs: 0 };
    let calls = 0;
    expect(writePaced(db, 9, fixed, (_first, rows) => (++calls === 2 ? null : writeRows(rows)))).toBe(false);
    expect(db.prepare('SELECT count(*) FROM t').pluck().get()).toBe(3);
    calls = 0;
    expect(() => writePaced(db, 9, fixed, (_first, rows) => {
      writeRows(rows);
      if (++calls === 3) throw new Error('the disk refused');
      return rows;
    })).toThrow('the disk refused');
    // 3 from before, then two slices of 3; the third slice's rows rolled back.
    expect(db.prepare('SELECT count(*) FROM t').pluck().get()).toBe(9);
    expect(db.inTransaction).toBe(false);
    // A slice that writes nothing while rows are left would loop for ever: refused.
    expect(() => writePaced(db, 5, fixed, (first) => (first ? 3 : 0))).toThrow(expect.objectContaining({ code: 'paced-write-stalled' }) as Error);
    store.close();
  });

  it('sizes the next slice from the time the last one took, at most doubling or halving it', () => {
    const pacing: WritePacing = { holdMs: 20, pauseMs: 15, firstRows: 1024, syncEveryMs: 100 };
    expect(nextSliceRows(1000, 20, pacing)).toBe(1000);
    expect(nextSliceRows(1000, 10, pacing)).toBe(2000);
    expect(nextSliceRows(1000, 1, pacing)).toBe(2000);
    expect(nextSliceRows(1000, 0, pacing)).toBe(2000);
    expect(nextSliceRows(1000, 25, pacing)).toBe(800);
    expect(nextSliceRows(1000, 400, pacing)).toBe(500);
    expect(nextSliceRows(100, 400, pacing)).toBe(64);
    expect(nextSliceRows(60_000, 1, pacing)).toBe(65_536);
  });
});
