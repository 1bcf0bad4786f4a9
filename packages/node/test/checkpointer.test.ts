import { mkdtempSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Writable } from 'node:stream';
import { createHash } from 'node:crypto';
import { afterAll, describe, expect, it } from 'vitest';
import { Checkpointer } from '../src/internal/checkpointer.js';
import { createLogger } from '../src/internal/logger.js';
import { Store } from '../src/internal/store.js';
import { threadNice, threadsAt } from './helpers/threads.js';

const dir = mkdtempSync(join(tmpdir(), 'venn-checkpoint-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

function logged(): { logger: ReturnType<typeof createLogger>; lines: string[] } {
  const lines: string[] = [];
  const logger = createLogger({ level: 'info', node: 'lab-a', destination: new Writable({ write: (chunk, _encoding, done) => { lines.push(String(chunk)); done(); } }) });
  return { logger, lines };
}

const digest = (value: string): Uint8Array => new Uint8Array(createHash('sha256').update(value).digest());

/** 8 MiB of transcript-sized rows, one transaction each, as a round's frames are recorded. */
function write(store: Store): void {
  store.db.exec('CREATE TABLE IF NOT EXISTS filler (id INTEGER PRIMARY KEY, b BLOB)');
  const insert = store.db.prepare('INSERT INTO filler (b) VALUES (?)');
  const blob = Buffer.alloc(131_072, 7);
  for (let i = 0; i < 64; i++) store.db.transaction(() => insert.run(blob))();
}

describe('WAL checkpoints on their own thread (node.md §2)', () => {
  it('takes the checkpoints off the store connection and runs them on its thread', async () => {
    const path = join(dir, 'a.db');
    const store = Store.open(path);
    const { logger } = logged();
    const checkpointer = await Checkpointer.start(store, path, logger, 3_600_000);
    expect(store.db.pragma('wal_autocheckpoint', { simple: true })).toBe(0);
    const before = statSync(path).size;
    write(store);
    // No commit copied the WAL into the database file (SQLite's default would have, past 4 MiB).
    expect(statSync(path).size).toBe(before);
    expect(statSync(`${path}-wal`).size).toBeGreaterThan(8 * 1024 * 1024);
    await checkpointer.checkpointNow();
    expect(checkpointer.stats.runs).toBe(1);
    expect(checkpointer.stats.lastCheckpointed).toBe(checkpointer.stats.lastLog);
    expect(statSync(path).size).toBeGreaterThan(8 * 1024 * 1024);
    await checkpointer.close();
    // Closed: the connection checkpoints on its own again.
    expect(store.db.pragma('wal_autocheckpoint', { simple: true })).toBe(1000);
    store.close();
  });

  it('runs at the round workers\' nice value (workerNice), leaving the main thread as it was, and still checkpoints', async () => {
    const path = join(dir, 'nice.db');
    const store = Store.open(path);
    const { logger } = logged();
    expect(threadNice().get(process.pid)).toBe(0);
    expect(await threadsAt(6, 0)).toEqual([]);
    const checkpointer = await Checkpointer.start(store, path, logger, 3_600_000, 6);
    try {
      expect(await threadsAt(6)).toHaveLength(1);
      expect(threadNice().get(process.pid)).toBe(0);
      write(store);
      await checkpointer.checkpointNow();
      expect(checkpointer.stats.lastCheckpointed).toBe(checkpointer.stats.lastLog);
      expect(checkpointer.stats.lastLog).toBeGreaterThan(0);
    } finally {
      await checkpointer.close();
      store.close();
    }
    // Nice 0 (the default) changes no thread.
    const plain = Store.open(join(dir, 'plain.db'));
    const unchanged = await Checkpointer.start(plain, join(dir, 'plain.db'), logger, 3_600_000);
    try {
      await new Promise((resolve) => setTimeout(resolve, 500));
      expect([...threadNice().values()].every((value) => value === 0)).toBe(true);
    } finally {
      await unchanged.close();
      plain.close();
    }
  }, 60_000);

  it('checkpoints on its interval without being asked', async () => {
    const path = join(dir, 'b.db');
    const store = Store.open(path);
    const { logger } = logged();
    const checkpointer = await Checkpointer.start(store, path, logger, 50);
    const before = statSync(path).size;
    write(store);
    const deadline = Date.now() + 5000;
    while (statSync(path).size <= before + 8 * 1024 * 1024 && Date.now() < deadline) await new Promise((resolve) => setTimeout(resolve, 20));
    expect(statSync(path).size).toBeGreaterThan(before + 8 * 1024 * 1024);
    await checkpointer.close();
    store.close();
  });

  it('counts the items of each list on its thread, for the metrics, and answers undefined once it is gone', async () => {
    const path = join(dir, 'd.db');
    const store = Store.open(path);
    const { logger } = logged();
    const emails = store.ensureList('emails', 'email');
    const phones = store.ensureList('phones', 'phone');
    store.addItems(emails.id, Array.from({ length: 3000 }, (_, i) => ({ digest: digest(`e${i}`), accountRef: `a${i}` })));
    store.addItems(phones.id, Array.from({ length: 7 }, (_, i) => ({ digest: digest(`p${i}`), accountRef: `p${i}` })));
    const checkpointer = await Checkpointer.start(store, path, logger, 3_600_000);
    const counted = await checkpointer.countLists();
    expect(counted).toEqual([{ name: 'emails', kind: 'email', items: 3000 }, { name: 'phones', kind: 'phone', items: 7 }]);
    // Committed after the count: the next count sees it.
    store.addItems(phones.id, [{ digest: digest('p-late'), accountRef: 'late' }]);
    expect((await checkpointer.countLists())?.find((row) => row.name === 'phones')?.items).toBe(8);
    await checkpointer.close();
    expect(await checkpointer.countLists()).toBeUndefined();
    store.close();
  });

  it('gives the checkpoints back to the connection, with a warning, when its thread dies', async () => {
    const path = join(dir, 'c.db');
    const store = Store.open(path);
    const { logger, lines } = logged();
    const checkpointer = await Checkpointer.start(store, path, logger, 3_600_000);
    expect(store.db.pragma('wal_autocheckpoint', { simple: true })).toBe(0);
    await (checkpointer as unknown as { worker: { terminate(): Promise<number> } }).worker.terminate();
    const deadline = Date.now() + 5000;
    while (store.db.pragma('wal_autocheckpoint', { simple: true }) !== 1000 && Date.now() < deadline) await new Promise((resolve) => setTimeout(resolve, 10));
    expect(store.db.pragma('wal_autocheckpoint', { simple: true })).toBe(1000);
    expect(lines.some((line) => line.includes('store checkpoint thread failed'))).toBe(true);
    // A checkpoint asked for now returns at once instead of waiting for a thread that is gone.
    await checkpointer.checkpointNow();
    const before = statSync(path).size;
    write(store);
    expect(statSync(path).size).toBeGreaterThan(before);
    await checkpointer.close();
    store.close();
  });
});
