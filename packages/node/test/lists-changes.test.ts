/**
 * node.md §10.3: the lists' fingerprint that decides whether a key epoch has something to carry.
 * It is a counter raised by every transaction that changes list items, so every path that changes
 * the lists (ingest, a re-ingest that moves seen_at, an aborted ingest, removal, drop, retention)
 * changes it, reading it is one row, and a change that keeps the count and the latest ingest time
 * (what the fingerprint was before schema version 10) is still seen. The statements that write
 * list items are pinned, so a new one is a decision.
 */
import { createHash } from 'node:crypto';
import { mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { EpochStateReader, EpochStore } from '../src/internal/epoch-store.js';
import { abortIngest, beginIngest, dropList, expireItems, finishIngest, removeItems } from '../src/internal/list-store.js';
import { Store } from '../src/internal/store.js';

const dirs: string[] = [];
afterAll(() => {
  for (const dir of dirs) rmSync(dir, { recursive: true, force: true });
});

const sha = (text: string): Uint8Array => new Uint8Array(createHash('sha256').update(text).digest());

function open(now: () => number = Date.now): { store: Store; epochs: EpochStore; path: string } {
  const dir = mkdtempSync(join(tmpdir(), 'venn-lists-changes-'));
  dirs.push(dir);
  const path = join(dir, 'venn.db');
  const store = Store.open(path, { now });
  return { store, epochs: new EpochStore(store), path };
}

function ingest(store: Store, list: string, names: readonly string[]): number {
  const { ingestId, listId } = beginIngest(store, { list, kind: 'email', source: 'test.csv', sha256: null, rules: 'venn-identifiers/1' });
  store.addItems(listId, names.map((name) => ({ digest: sha(name), accountRef: `acct-${name}` })), ingestId);
  finishIngest(store, ingestId, { rows: names.length, accepted: names.length, duplicates: 0, rejected: 0, rejectsPath: null, sha256: null });
  return ingestId;
}

describe('the lists fingerprint (node.md §10.3)', () => {
  it('changes with every path that changes a list item, and with nothing else', () => {
    let clock = 1_700_000_000_000;
    const { store, epochs } = open(() => clock);
    const marks = [epochs.listsMark()];
    const changed = (what: string): void => {
      const mark = epochs.listsMark();
      expect(marks, what).not.toContain(mark);
      marks.push(mark);
    };
    const unchanged = (what: string): void => expect(epochs.listsMark(), what).toBe(marks.at(-1));

    ingest(store, 'seen', ['a', 'b', 'c']);
    changed('an ingest');
    // Reading, and writing other tables, leave it as it is.
    store.db.prepare('SELECT count(*) FROM list_items').get();
    store.createRound({ roundId: sha('round'), peerId: 'lab-b', role: 'initiator', origin: 'ad-hoc', slot: null, mode: 'intersection' });
    unchanged('a read and a round row');

    clock += 1000;
    ingest(store, 'seen', ['a']);
    changed('a re-ingest that only moves seen_at');

    const failed = ingest(store, 'seen', ['d']);
    changed('an ingest of a new item');
    abortIngest(store, failed);
    changed('an aborted ingest');

    removeItems(store, 'seen', [sha('b')]);
    changed('a removal');
    removeItems(store, 'seen', [sha('not there')]);
    unchanged('a removal that found nothing');

    ingest(store, 'other', ['x']);
    changed('an ingest into another list');
    dropList(store, 'other');
    changed('a drop');

    store.db.prepare('UPDATE lists SET ttl_seconds = 1, ttl_basis = ? WHERE name = ?').run('ingest', 'seen');
    unchanged('a retention set on the list');
    clock += 10_000;
    expect(expireItems(store, clock).map((entry) => entry.list)).toEqual(['seen']);
    changed('retention');
    store.close();
  });

  it('sees a removal and an addition that keep the count and the latest ingest time', () => {
    const clock = 1_700_000_000_000;
    const { store, epochs } = open(() => clock);
    ingest(store, 'seen', ['a', 'b']);
    const count = (): number => (store.db.prepare('SELECT count(*) FROM list_items').pluck().get() as number);
    const latest = (): number => (store.db.prepare('SELECT max(seen_at) FROM list_items').pluck().get() as number);
    const before = { mark: epochs.listsMark(), count: count(), latest: latest() };
    // Same millisecond: b leaves, c arrives. A count and the latest seen_at do not move.
    store.db.transaction(() => {
      removeItems(store, 'seen', [sha('b')]);
      ingest(store, 'seen', ['c']);
    })();
    expect({ count: count(), latest: latest() }).toEqual({ count: before.count, latest: before.latest });
    expect(epochs.listsMark()).not.toBe(before.mark);
    store.close();
  });

  it('is the same counter in the round worker\'s own connection, and it survives a reopen', () => {
    const { store, epochs, path } = open();
    ingest(store, 'seen', ['a', 'b', 'c']);
    const worker = Store.open(path);
    try {
      expect(new EpochStateReader(worker.db, 0).listsMark()).toBe(epochs.listsMark());
    } finally {
      worker.close();
    }
    const mark = epochs.listsMark();
    store.close();
    const again = Store.open(path);
    expect(new EpochStore(again).listsMark()).toBe(mark);
    again.close();
  });

  it('is raised on every path that writes list items: the writing statements are exactly the ones covered above', () => {
    const src = join(import.meta.dirname, '..', 'src');
    const sites: string[] = [];
    const walk = (dir: string): void => {
      for (const entry of readdirSync(dir, { withFileTypes: true })) {
        const path = join(dir, entry.name);
        if (entry.isDirectory()) walk(path);
        else if (entry.name.endsWith('.ts') && entry.name !== 'migrations.ts') {
          for (const match of readFileSync(path, 'utf8').matchAll(/(INSERT(?: OR \w+)? INTO|DELETE FROM|UPDATE) list_items\b/g)) {
            sites.push(`${path.slice(src.length + 1)}: ${match[1]}`);
          }
        }
      }
    };
    walk(src);
    // Each of these runs in a transaction that calls Store.listsChanged() (the first test drives
    // every one of them). A statement added here must do the same (node.md §10.3).
    expect(sites.sort()).toEqual([
      'internal/list-store.ts: DELETE FROM', // abortIngest
      'internal/list-store.ts: DELETE FROM', // removeItems
      'internal/list-store.ts: DELETE FROM', // dropList
      'internal/list-store.ts: DELETE FROM', // expireItems
      'internal/store.ts: INSERT OR IGNORE INTO', // addItems
      'internal/store.ts: UPDATE', // addItems, a re-ingest
    ]);
  });

  it('cannot be lowered, rewritten or deleted', () => {
    const { store, epochs } = open();
    ingest(store, 'seen', ['a']);
    const mark = epochs.listsMark();
    expect(() => store.db.prepare('UPDATE lists_changes SET counter = 0 WHERE id = 1').run()).toThrow(/lists_changes only rises/);
    expect(() => store.db.prepare('UPDATE lists_changes SET id = 2 WHERE id = 1').run()).toThrow(/lists_changes only rises/);
    expect(() => store.db.prepare('DELETE FROM lists_changes').run()).toThrow(/lists_changes is kept/);
    expect(() => store.db.prepare('INSERT INTO lists_changes (id, counter) VALUES (2, 0)').run()).toThrow(/CHECK constraint/);
    expect(epochs.listsMark()).toBe(mark);
    store.close();
  });
});
