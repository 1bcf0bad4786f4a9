/**
 * node.md §2.2: quick_check before the daemon runs on a store, online backups, and restores that
 * never roll the audit log back (the high-water mark outside the store).
 */
import { closeSync, copyFileSync, existsSync, mkdtempSync, openSync, readFileSync, rmSync, statSync, writeFileSync, writeSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { encodeRoundRecord, signTreeHead } from '@venn/audit';
import { ed25519KeyPairFromSeed, ready as cryptoReady } from '@venn/crypto';
import { VennError } from '@venn/errors';
import { checkWatermark, readWatermark, writeWatermark } from '../src/internal/log-watermark.js';
import { NodeLock } from '../src/internal/node-lock.js';
import { backupStore, openCheckedStore, restoreStore } from '../src/internal/store-integrity.js';
import { Store } from '../src/internal/store.js';
import { ensureBuilt } from './helpers/build.js';
import { venn } from './helpers/cli.js';
import { Federation, emails } from './helpers/federation.js';

const work = mkdtempSync(join(tmpdir(), 'venn-integrity-'));
afterAll(() => rmSync(work, { recursive: true, force: true }));

function codeOf(fn: () => unknown): string | undefined {
  try {
    fn();
  } catch (error) {
    return error instanceof VennError ? error.code : `untyped: ${(error as Error).message}`;
  }
  return undefined;
}

const ROSTER = new Uint8Array(32).fill(7);
let SECRET = new Uint8Array(64);

/** Appends `count` aborted-round leaves to the store's log (the form a crash leaves). */
function appendLeaves(store: Store, count: number, clock = 1_700_000_000_000): void {
  for (let i = 0; i < count; i++) {
    const roundId = new Uint8Array(32).fill(store.logSize() + 1);
    store.log.append(encodeRoundRecord({
      roundId, attempt: 1, rosterDigest: ROSTER, slot: null, initiatorId: 'lab-a', responderId: 'lab-b', status: 'aborted', reason: 'peer-unreachable',
      transcriptHash: new Uint8Array(0), initiatorClaim: null, responderClaim: null, timestamp: clock + i,
      initiatorSetSize: null, responderSetSize: null, initiatorEvaluations: 0, responderEvaluations: 0, endedBy: 'initiator',
    }));
  }
}

function signAndMark(store: Store, mark: string): void {
  const head = signTreeHead(store.log.treeHead(1_700_000_000_000 + store.logSize()), 'lab-a', SECRET);
  store.saveTreeHead({ treeSize: head.size, root: head.root, timestamp: head.timestamp, signature: head.signature });
  writeWatermark(mark, 'lab-a', head);
}

describe('quick_check at start', () => {
  it('opens a sound store', () => {
    const path = join(work, 'sound.db');
    Store.open(path).close();
    const store = openCheckedStore(path);
    expect(store.schemaVersion()).toBeGreaterThan(0);
    store.close();
  });

  it('refuses a file that is not a database with store-corrupt', () => {
    const path = join(work, 'junk.db');
    writeFileSync(path, Buffer.alloc(8192, 0x5a));
    expect(codeOf(() => openCheckedStore(path))).toBe('store-corrupt');
  });

  it('refuses a store whose pages were overwritten with store-corrupt, naming the problem', () => {
    const path = join(work, 'damaged.db');
    const store = Store.open(path);
    const list = store.ensureList('l', 'email');
    store.addItems(list.id, Array.from({ length: 3000 }, (_, i) => ({ digest: new Uint8Array(32).fill(i % 251).map((b, j) => (j === 0 ? i >> 8 : j === 1 ? i & 255 : b)), accountRef: `a${i}` })));
    store.db.pragma('wal_checkpoint(TRUNCATE)');
    store.db.pragma('journal_mode = DELETE');
    store.close();
    // Overwrite the middle of the file with garbage: b-tree pages of the list items.
    const size = statSync(path).size;
    const fd = openSync(path, 'r+');
    writeSync(fd, Buffer.alloc(4096 * 3, 0xa5), 0, 4096 * 3, Math.floor(size / 2 / 4096) * 4096);
    closeSync(fd);
    let error: unknown;
    try {
      openCheckedStore(path).close();
    } catch (caught) {
      error = caught;
    }
    expect(error).toBeInstanceOf(VennError);
    expect((error as VennError).code).toBe('store-corrupt');
    expect((error as VennError).message).toContain(path);
  });
});

describe('the log high-water mark', () => {
  beforeAll(async () => {
    await cryptoReady();
    SECRET = ed25519KeyPairFromSeed(new Uint8Array(32).fill(3)).secretKey;
  });

  it('refuses a restored store whose log is shorter than a signed head (log-rollback), and a forked one (log-fork)', async () => {
    const dir = mkdtempSync(join(work, 'mark-'));
    const path = join(dir, 'venn.db');
    const mark = join(dir, 'log-watermark.json');
    const store = Store.open(path);
    appendLeaves(store, 3);
    signAndMark(store, mark);
    const backup = join(dir, 'backup.db');
    const summary = await backupStore(path, backup);
    expect(summary.logSize).toBe(3);
    expect(statSync(backup).mode & 0o777).toBe(0o600);
    appendLeaves(store, 2);
    signAndMark(store, mark);
    store.close();
    expect(readWatermark(mark)?.head.size).toBe(5);

    // The backup lacks leaves 3 and 4, which a head already covers.
    const old = Store.open(backup);
    expect(codeOf(() => checkWatermark(old, readWatermark(mark), mark))).toBe('log-rollback');
    // Appending other leaves to the old log: the same size, another root.
    const forked = join(dir, 'forked.db');
    copyFileSync(backup, forked);
    old.close();
    const fork = Store.open(forked);
    appendLeaves(fork, 1, 1_800_000_000_000);
    const other = Store.open(path);
    expect(fork.log.root(4)).not.toEqual(other.log.root(4));
    other.close();
    appendLeaves(fork, 3);
    expect(codeOf(() => checkWatermark(fork, readWatermark(mark), mark))).toBe('log-fork');
    fork.close();

    // restoreStore refuses the old backup and leaves the store untouched.
    const before = readFileSync(path);
    expect(codeOf(() => restoreStore({ storePath: path, nodeDir: dir, backup, watermark: mark }))).toBe('log-rollback');
    expect(readFileSync(path).equals(before)).toBe(true);
  });

  it('never lowers the mark, and refuses a torn mark file with invalid-watermark', () => {
    const dir = mkdtempSync(join(work, 'torn-'));
    const mark = join(dir, 'log-watermark.json');
    const store = Store.open(join(dir, 'venn.db'));
    appendLeaves(store, 2);
    signAndMark(store, mark);
    const small = signTreeHead(store.log.treeHead(1), 'lab-a', SECRET);
    appendLeaves(store, 1);
    writeWatermark(mark, 'lab-a', { ...small, size: 1, root: store.log.root(1) });
    expect(readWatermark(mark)?.head.size).toBe(2);
    store.close();
    const text = readFileSync(mark, 'utf8');
    for (const cut of [0, 1, Math.floor(text.length / 2), text.length - 3]) {
      writeFileSync(mark, text.slice(0, cut));
      expect(codeOf(() => readWatermark(mark))).toBe('invalid-watermark');
    }
  });
});

describe('venn backup and venn restore against real daemons', () => {
  let federation: Federation;

  beforeAll(async () => {
    ensureBuilt();
    federation = await Federation.create({ ids: ['lab-a', 'lab-b'] });
    await federation.ingest('lab-a', emails(0, 300));
    await federation.ingest('lab-b', emails(200, 500));
    await federation.startAll(Date.parse('2031-03-01T00:00:00Z'));
  }, 60_000);
  afterAll(() => federation.close());

  async function round(): Promise<void> {
    const a = federation.node('lab-a');
    const started = await a.admin('/v1/rounds', { method: 'POST', body: { peer: 'lab-b' } });
    expect(started.status).toBe(202);
    const id = (started.body as { roundId: string }).roundId;
    const done = await a.admin(`/v1/rounds/${id}?wait=60`);
    expect((done.body as { status: string }).status).toBe('completed');
  }

  it('backs up a running node consistently; a restore that would roll the log back is refused and the daemon refuses the old store; a current backup restores', async () => {
    const a = federation.node('lab-a');
    await round();
    const early = join(federation.root, 'early.db');
    const backedUp = await venn(['backup', '--dir', a.dir, '--out', early, '--json']);
    expect(backedUp.code, backedUp.stderr).toBe(0);
    const earlySummary = JSON.parse(backedUp.stdout) as { logSize: number; latestHead: { size: number } | null };
    expect(earlySummary.logSize).toBeGreaterThan(0);
    expect(earlySummary.latestHead?.size).toBe(earlySummary.logSize);
    await round();

    // While the daemon runs, restore refuses outright.
    const busy = await venn(['restore', '--dir', a.dir, early]);
    expect(busy.code).toBe(1);
    expect(busy.stderr).toContain('[daemon-running]');

    await a.stop();
    // Another process owning the node directory (here this one, as an ingest would) blocks a restore.
    const current0 = readFileSync(join(a.dir, 'venn.db'));
    const lock = NodeLock.acquire(a.dir, 'ingest');
    const locked = await venn(['restore', '--dir', a.dir, early]);
    lock.release();
    expect(locked.code).toBe(3);
    expect(locked.stderr).toContain('[node-dir-locked]');
    expect(readFileSync(join(a.dir, 'venn.db')).equals(current0)).toBe(true);

    const refused = await venn(['restore', '--dir', a.dir, early]);
    expect(refused.code).toBe(1);
    expect(refused.stderr).toContain('[log-rollback]');

    // An operator who copies the old file by hand gets the same refusal from the daemon itself.
    const store = join(a.dir, 'venn.db');
    const current = join(federation.root, 'current.db');
    const kept = await venn(['backup', '--dir', a.dir, '--out', current]);
    expect(kept.code, kept.stderr).toBe(0);
    copyFileSync(early, store);
    for (const suffix of ['-wal', '-shm']) rmSync(`${store}${suffix}`, { force: true });
    a.start();
    const exit = await a.exited();
    expect(exit.code).toBe(1);
    expect(a.stderr).toContain('[log-rollback]');

    // The newest backup holds every signed head: it restores, and the node runs rounds again.
    const restored = await venn(['restore', '--dir', a.dir, current, '--json']);
    expect(restored.code, restored.stderr).toBe(0);
    expect(existsSync(`${store}-wal`)).toBe(false);
    a.start();
    await a.started();
    await round();
  }, 120_000);
});
