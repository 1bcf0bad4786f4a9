/**
 * A disk that fills up during a round (node.md §6): a real size-limited filesystem under the
 * node's directory, filled while the round runs. The daemon keeps serving, says what it cannot
 * write, and records the attempt's end once the disk has room again; nothing committed is lost
 * and the next round completes.
 */
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ensureBuilt } from './helpers/build.js';
import { venn } from './helpers/cli.js';
import { Federation, emails, type NodeProcess } from './helpers/federation.js';
// The chaos harness's real full disk: a ballast file written until ENOSPC.
import { clearDisk, fillDisk } from '../../chaos/src/internal/disk.js';

beforeAll(() => ensureBuilt());

const CLOCK = Date.parse('2030-06-01T12:00:00Z');
/**
 * Fills the disk under a node's store. The WAL is emptied first: its file keeps the size it grew
 * to and SQLite reuses that space, so without this a write could still land there.
 */
function fillStoreDisk(dir: string): void {
  const db = new Database(join(dir, 'venn.db'));
  try {
    db.pragma('busy_timeout = 10000');
    db.pragma('wal_checkpoint(TRUNCATE)');
  } finally {
    db.close();
  }
  fillDisk(dir);
}

async function whenRoundInProgress(node: NodeProcess): Promise<void> {
  const deadline = Date.now() + 60_000;
  for (;;) {
    const running = ((await node.admin('/v1/status')).body as { runningRounds: Array<{ processed: number; total: number }> }).runningRounds;
    if (running.length > 0 && running[0]!.processed > 0 && running[0]!.processed < running[0]!.total) return;
    if (Date.now() > deadline) throw new Error(`${node.id}: no round in progress within 60 s`);
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
}

function rows(dir: string): { rounds: Array<{ attempt: number; status: string; reason: string | null }>; open: number; logLeaves: number; integrity: unknown } {
  const db = new Database(join(dir, 'venn.db'), { readonly: true });
  try {
    return {
      rounds: db.prepare('SELECT attempt, status, reason FROM rounds ORDER BY id').all() as Array<{ attempt: number; status: string; reason: string | null }>,
      open: (db.prepare("SELECT count(*) AS n FROM rounds WHERE status IN ('scheduled', 'running')").get() as { n: number }).n,
      logLeaves: (db.prepare('SELECT count(*) AS n FROM log_leaves').get() as { n: number }).n,
      integrity: db.pragma('integrity_check', { simple: true }),
    };
  } finally {
    db.close();
  }
}

describe('the disk fills up during a round', () => {
  let federation: Federation;

  beforeAll(async () => {
    federation = await Federation.create({ ids: ['lab-a', 'lab-b'], cron: '0 0 1 1 *', tmpfsMiB: { 'lab-b': 48 } });
    await federation.ingest('lab-a', emails(0, 20_000));
    await federation.ingest('lab-b', emails(19_000, 39_000));
    await federation.startAll(CLOCK);
  }, 120_000);
  afterAll(() => federation.close());

  it('keeps the daemon up, records the attempt once the disk has room, and the next round completes', async () => {
    const a = federation.node('lab-a');
    const b = federation.node('lab-b');
    const round = venn(['round', '--dir', a.dir, '--peer', 'lab-b']);
    await whenRoundInProgress(b);
    fillStoreDisk(b.dir);

    // The store refuses a write; the daemon names it and waits for room instead of exiting.
    const refused = await b.waitForLog((line) => line.msg === 'the disk refused a write of the round\'s end; trying again until it has room', 60_000, 'the disk-full line');
    expect(refused).toMatchObject({ level: 'error' });
    expect(b.exitResult).toBeUndefined();
    const health = await b.admin('/healthz');
    expect(health.status).toBe(200);
    await new Promise((resolve) => setTimeout(resolve, 1500));
    expect(b.exitResult).toBeUndefined();
    expect(b.finishedRounds()).toEqual([]);

    clearDisk(b.dir);
    const finished = await b.waitForLog((line) => line.msg === 'round attempt finished', 30_000, 'the attempt\'s end');
    expect((await round).code).toBe(1);
    const after = rows(b.dir);
    expect(after.open).toBe(0);
    expect(after.rounds).toEqual([{ attempt: 1, status: finished['status'], reason: finished['reason'] ?? null }]);
    expect(after.logLeaves).toBe(1);

    const again = await venn(['round', '--dir', a.dir, '--peer', 'lab-b', '--json']);
    expect(again.stderr).toBe('');
    expect(again.code).toBe(0);
    expect(JSON.parse(again.stdout)).toMatchObject({ status: 'completed', intersectionSize: 1000 });
    const final = rows(b.dir);
    expect(final).toMatchObject({ open: 0, logLeaves: 2, integrity: 'ok' });
    expect(b.exitResult).toBeUndefined();
  }, 180_000);

  it('stops cleanly on SIGTERM while the disk is still full, and the next start records the attempt', async () => {
    const a = federation.node('lab-a');
    const b = federation.node('lab-b');
    const before = rows(b.dir);
    const round = venn(['round', '--dir', a.dir, '--peer', 'lab-b']);
    await whenRoundInProgress(b);
    fillStoreDisk(b.dir);
    await b.nextLog((line) => line.msg === 'the disk refused a write of the round\'s end; trying again until it has room', 60_000, 'the disk-full line');
    b.signal('SIGTERM');
    expect(await b.exited()).toEqual({ code: 0, signal: null });
    expect(b.runLogs().some((line) => line.msg === 'the disk refused the attempt\'s end and the node is shutting down; the next start records the attempt as aborted')).toBe(true);
    expect((await round).code).toBe(1);

    clearDisk(b.dir);
    b.start();
    await b.started();
    expect(b.runLogs().filter((line) => line.msg === 'round left open by a previous run marked aborted')).toHaveLength(1);
    const after = rows(b.dir);
    expect(after).toMatchObject({ open: 0, logLeaves: before.logLeaves + 1, integrity: 'ok' });
    expect(after.rounds.at(-1)).toMatchObject({ status: 'aborted', reason: 'daemon-restart' });
  }, 180_000);
});
