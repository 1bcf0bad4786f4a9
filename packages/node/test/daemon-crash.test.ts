/** Crash and shutdown: kill -9 mid-round then restart, and SIGTERM during a round. */
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { verifyConsistency } from '@venn/audit';
import { Store } from '../src/internal/store.js';
import { ensureBuilt } from './helpers/build.js';
import { venn } from './helpers/cli.js';
import { Federation, emails, type NodeProcess } from './helpers/federation.js';

beforeAll(() => ensureBuilt());

const SLOT = Date.parse('2031-01-01T00:00:00Z');

/** Admin round-trip times observed while rounds were running. */
const adminLatencies: number[] = [];

/** Waits (on the daemon's own status endpoint) until a round is past its first elements. */
async function whenRoundInProgress(node: NodeProcess, timeoutMs = 60_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const asked = performance.now();
    const { body } = await node.admin('/v1/status');
    adminLatencies.push(performance.now() - asked);
    const running = (body as { runningRounds: Array<{ processed: number; total: number }> }).runningRounds;
    // Progress counts points this party has blinded or evaluated: never more than the round holds.
    for (const round of running) expect(round.processed).toBeLessThanOrEqual(round.total);
    if (running.length > 0 && running[0]!.processed > 0 && running[0]!.processed < running[0]!.total) return;
    if (Date.now() > deadline) throw new Error(`${node.id}: no round in progress within ${timeoutMs} ms`);
    await new Promise((resolve) => setTimeout(resolve, 25));
  }
}

function storeSummary(dir: string): { integrity: unknown; open: number; rounds: Array<{ attempt: number; status: string; reason: string | null }>; matchRows: number; duplicates: number; logSize: number; finished: number } {
  const db = new Database(join(dir, 'venn.db'), { readonly: true });
  try {
    return {
      integrity: db.pragma('integrity_check', { simple: true }),
      open: (db.prepare("SELECT count(*) AS n FROM rounds WHERE status IN ('scheduled', 'running')").get() as { n: number }).n,
      rounds: db.prepare('SELECT attempt, status, reason FROM rounds ORDER BY id').all() as Array<{ attempt: number; status: string; reason: string | null }>,
      matchRows: (db.prepare('SELECT count(*) AS n FROM matches').get() as { n: number }).n,
      duplicates: (db.prepare('SELECT count(*) AS n FROM (SELECT digest FROM matches GROUP BY round_row, digest HAVING count(*) > 1)').get() as { n: number }).n,
      logSize: (db.prepare('SELECT count(*) AS n FROM log_leaves').get() as { n: number }).n,
      finished: (db.prepare("SELECT count(*) AS n FROM rounds WHERE status IN ('completed', 'aborted', 'disputed')").get() as { n: number }).n,
    };
  } finally {
    db.close();
  }
}

describe('kill -9 of a daemon mid-round', () => {
  let federation: Federation;
  const lists = { 'lab-a': emails(0, 6000), 'lab-b': emails(3000, 9000) };

  beforeAll(async () => {
    const retry = { initialDelaySeconds: 0.5, maxDelaySeconds: 2, multiplier: 2 };
    federation = await Federation.create({ ids: ['lab-a', 'lab-b'], cron: '0 0 1 1 *', windowMinutes: 10, config: { 'lab-a': { retry }, 'lab-b': { retry } } });
    await federation.ingest('lab-a', lists['lab-a']);
    await federation.ingest('lab-b', lists['lab-b']);
    await federation.startAll(SLOT - 2000);
  }, 60_000);
  afterAll(() => federation.close());

  it('marks the round aborted on restart, retries it to completion, and loses or duplicates no committed row', async () => {
    const starting = await Promise.race(['lab-a', 'lab-b'].map((id) => federation.node(id).waitForLog((line) => line.msg === 'round attempt starting', 30_000).then(() => id)));
    const initiator = federation.node(starting);
    const responder = federation.node(starting === 'lab-a' ? 'lab-b' : 'lab-a');
    await whenRoundInProgress(initiator);
    const headBefore = (JSON.parse((await venn(['status', '--dir', initiator.dir, '--json'])).stdout) as { log: { head: { treeSize: number; root: string } } }).log.head;

    initiator.signal('SIGKILL');
    expect(await initiator.exited()).toMatchObject({ signal: 'SIGKILL' });
    const lost = await responder.waitForLog((line) => line.msg === 'round attempt finished', 30_000, 'aborted attempt');
    expect(lost).toMatchObject({ status: 'aborted', attempt: 1 });
    expect(storeSummary(initiator.dir)).toMatchObject({ integrity: 'ok', open: 1 });

    initiator.start();
    await initiator.started();
    expect(initiator.runLogs().find((line) => line.msg === 'round left open by a previous run marked aborted')).toMatchObject({ reason: 'daemon-restart', attempt: 1 });
    const [doneI, doneR] = await Promise.all([
      initiator.waitForLog((line) => line.msg === 'round attempt finished' && line['status'] === 'completed', 90_000, 'completed retry'),
      responder.waitForLog((line) => line.msg === 'round attempt finished' && line['status'] === 'completed', 90_000, 'completed retry'),
    ]);
    expect(doneI['attempt']).toBeGreaterThanOrEqual(2);
    expect(doneR['roundId']).toBe(doneI['roundId']);
    expect(doneI['intersectionSize']).toBe(3000);

    for (const node of [initiator, responder]) {
      const summary = storeSummary(node.dir);
      expect(summary.integrity).toBe('ok');
      expect(summary.open).toBe(0);
      expect(summary.rounds[0]).toMatchObject({ attempt: 1, status: 'aborted' });
      expect(summary.rounds.at(-1)).toMatchObject({ status: 'completed' });
      expect(summary.rounds.filter((r) => r.status === 'completed')).toHaveLength(1);
      expect(summary.matchRows).toBe(3000);
      expect(summary.duplicates).toBe(0);
      // One log leaf per finished attempt, the crashed one included.
      expect(summary.logSize).toBe(summary.finished);
    }
    expect(storeSummary(initiator.dir).rounds[0]).toMatchObject({ reason: 'daemon-restart' });
    const matches = JSON.parse((await venn(['matches', '--dir', initiator.dir, '--format', 'json'])).stdout) as Array<{ accountRef: string }>;
    expect(new Set(matches.map((m) => m.accountRef)).size).toBe(3000);

    // The log continued across the crash: the head from before is a prefix of the head after.
    const store = Store.open(join(initiator.dir, 'venn.db'));
    try {
      const after = store.log.root();
      expect(verifyConsistency(headBefore.treeSize, store.logSize(), new Uint8Array(Buffer.from(headBefore.root, 'hex')), after, store.log.consistencyProof(headBefore.treeSize))).toBe(true);
    } finally {
      store.close();
    }
  }, 180_000);
});

describe('SIGTERM during a round', () => {
  let federation: Federation;

  beforeAll(async () => {
    federation = await Federation.create({ ids: ['lab-a', 'lab-b'], cron: '0 0 1 1 *' });
    await federation.ingest('lab-a', emails(0, 6000));
    await federation.ingest('lab-b', emails(100, 6100));
    await federation.startAll(SLOT + 3600_000);
  }, 60_000);
  afterAll(() => federation.close());

  it('aborts the round on both sides with the reason, exits 0 and leaves a clean store', async () => {
    const a = federation.node('lab-a');
    const b = federation.node('lab-b');
    const round = venn(['round', '--dir', a.dir, '--peer', 'lab-b']);
    await whenRoundInProgress(b);
    b.signal('SIGTERM');
    expect(await b.exited()).toEqual({ code: 0, signal: null });
    expect(b.logs.at(-1)).toMatchObject({ msg: 'venn node stopped' });
    expect(b.logs.find((line) => line.msg === 'round attempt finished')).toMatchObject({ status: 'aborted', reason: 'shutdown' });

    const result = await round;
    expect(result.code).toBe(1);
    expect(result.stderr.trim()).toMatch(/^venn round: round aborted: cancelled: aborted by lab-b: the node is shutting down$/);

    for (const node of [a, b]) {
      const summary = storeSummary(node.dir);
      expect(summary).toMatchObject({ integrity: 'ok', open: 0, matchRows: 0 });
      expect(summary.rounds).toEqual([{ attempt: 1, status: 'aborted', reason: node === b ? 'shutdown' : 'cancelled' }]);
      expect(summary.logSize).toBe(1);
    }
    // A clean stop leaves nothing for the next start to repair.
    // The crypto runs in worker threads: the admin endpoint kept answering during the rounds.
    // A crypto batch on the main thread would stall every poll taken during it; on a loaded machine
    // a single poll may still wait for the scheduler, so the bound is on the 90th percentile.
    expect(adminLatencies.length).toBeGreaterThan(1);
    const sorted = [...adminLatencies].sort((x, y) => x - y);
    expect(sorted[Math.floor(sorted.length * 0.9)]).toBeLessThan(500);
    b.start();
    await b.started();
    expect(b.runLogs().filter((line) => line.msg === 'round left open by a previous run marked aborted')).toEqual([]);
    expect(b.runLogs().some((line) => line.msg === 'venn node started')).toBe(true);
  }, 120_000);
});
