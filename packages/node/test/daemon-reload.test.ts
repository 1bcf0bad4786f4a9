/**
 * SIGHUP reloads what can be reloaded (protocol-spec/node.md §6.1): the configuration, the roster
 * installed by `venn roster use`, the TLS files. It never stops the daemon, logs what changed, and
 * a round already running finishes under the roster and keys it started with.
 */
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { decodeRoundRecord } from '@venn/audit';
import { ensureBuilt } from './helpers/build.js';
import { venn } from './helpers/cli.js';
import { Federation, emails, type NodeProcess } from './helpers/federation.js';

async function midRound(node: NodeProcess): Promise<void> {
  const deadline = Date.now() + 90_000;
  for (;;) {
    const { body } = await node.admin('/v1/status');
    const running = (body as { runningRounds?: Array<{ processed: number; total: number }> }).runningRounds ?? [];
    if (running.some((r) => r.processed > 0 && r.processed < r.total)) return;
    if (Date.now() > deadline) throw new Error(`${node.id}: no round in progress within 90 s; logs: ${JSON.stringify(node.logs.slice(-6))}`);
    await new Promise((wake) => setTimeout(wake, 10));
  }
}

/** The roster digest recorded in the audit-log leaf of each finished attempt, oldest first. */
function leafRosterDigests(dir: string): string[] {
  const db = new Database(join(dir, 'venn.db'), { readonly: true });
  try {
    const leaves = db.prepare('SELECT leaf FROM log_leaves ORDER BY idx').pluck().all() as Buffer[];
    return leaves.map((leaf) => Buffer.from(decodeRoundRecord(new Uint8Array(leaf)).rosterDigest).toString('hex'));
  } finally {
    db.close();
  }
}

const rosterDigestOf = async (node: NodeProcess): Promise<string> => ((await node.admin('/v1/status')).body as { rosterDigest: string }).rosterDigest;

describe('SIGHUP', () => {
  let federation: Federation;
  let a: NodeProcess;
  let b: NodeProcess;

  beforeAll(async () => {
    ensureBuilt();
    federation = await Federation.create({ ids: ['lab-a', 'lab-b'] });
    a = federation.node('lab-a');
    b = federation.node('lab-b');
    await federation.ingest('lab-a', emails(0, 12_000));
    await federation.ingest('lab-b', emails(11_000, 24_000));
    await federation.startAll(Date.parse('2031-06-01T12:00:00Z'));
  }, 120_000);
  afterAll(() => federation.close());

  it('with nothing changed: a log line, and the daemon keeps serving', async () => {
    const reloaded = a.nextLog((line) => line.msg === 'reloaded', 10_000, 'reload line');
    a.signal('SIGHUP');
    expect(await reloaded).toMatchObject({ signal: 'SIGHUP', changed: [] });
    expect(a.exitResult).toBeUndefined();
    expect((await a.admin('/healthz')).status).toBe(200);
  });

  it('names the configuration fields it applied and those that need a restart', async () => {
    const path = join(a.dir, 'venn.config.json');
    const config = JSON.parse(readFileSync(path, 'utf8')) as Record<string, unknown>;
    writeFileSync(path, JSON.stringify({ ...config, logLevel: 'debug', clockSkewSeconds: 60, workers: 3 }, null, 2));
    const reloaded = a.nextLog((line) => line.msg === 'reloaded', 10_000, 'reload line');
    a.signal('SIGHUP');
    const line = await reloaded;
    expect(line['changed']).toEqual(['clockSkewSeconds', 'logLevel']);
    expect(line['needsRestart']).toEqual(['workers']);
    expect(a.exitResult).toBeUndefined();
  });

  it('a broken configuration is refused with its reason and the running one is kept', async () => {
    const path = join(a.dir, 'venn.config.json');
    const good = readFileSync(path, 'utf8');
    writeFileSync(path, JSON.stringify({ ...(JSON.parse(good) as object), retry: { multiplier: 0.5 } }));
    const refused = a.nextLog((line) => line.msg === 'reload refused', 10_000, 'refusal');
    a.signal('SIGHUP');
    expect(String((await refused)['detail'])).toMatch(/"retry\.multiplier" expected a number >= 1/);
    writeFileSync(path, good);
    expect((await a.admin('/healthz')).status).toBe(200);
  });

  it('a roster installed mid-round applies to the next round; the running one finishes under its own', async () => {
    const before = await rosterDigestOf(a);
    const round = venn(['round', '--dir', a.dir, '--peer', 'lab-b', '--json']);
    await midRound(b);
    const roster2 = join(federation.root, 'roster-2.json');
    const built = await venn(['roster', 'build', '--name', 'venn-test', '--epoch', '2', '--schedule', '0 0 1 1 *', '--window', '10', '--out', roster2,
      join(federation.root, 'lab-a.entry.json'), join(federation.root, 'lab-b.entry.json')]);
    expect(built.code, built.stderr).toBe(0);
    const after = built.stdout.trim();
    for (const node of [a, b]) {
      // roster use only installs the file here; the signal is what applies it.
      writeFileSync(join(node.dir, 'roster.json'), readFileSync(roster2));
      const reloaded = node.nextLog((line) => line.msg === 'reloaded', 10_000, 'reload line');
      node.signal('SIGHUP');
      expect(await reloaded).toMatchObject({ rosterDigest: after, previousRosterDigest: before });
    }
    const first = JSON.parse((await round).stdout) as { status: string; intersectionSize: number };
    expect(first).toMatchObject({ status: 'completed', intersectionSize: 1000 });
    expect(await rosterDigestOf(a)).toBe(after);
    const second = await venn(['round', '--dir', b.dir, '--peer', 'lab-a', '--json']);
    expect(second.stderr).toBe('');
    expect(JSON.parse(second.stdout)).toMatchObject({ status: 'completed', intersectionSize: 1000 });
    // venn round returns once the initiator (lab-b) committed its end; the responder commits its own a moment later.
    for (const node of [a, b]) await node.waitForLog((line) => line.msg === 'round attempt finished' && node.finishedRounds().indexOf(line) === 1, 30_000, 'the second round\'s end');
    for (const node of [a, b]) expect(leafRosterDigests(node.dir)).toEqual([before, after]);
  }, 240_000);
});

describe('venn roster use against a running daemon', () => {
  let federation: Federation;
  let a: NodeProcess;
  let b: NodeProcess;
  const entries = (): string[] => ['lab-a', 'lab-b'].map((id) => join(federation.root, `${id}.entry.json`));
  const build = async (name: string, epoch: number, cron: string): Promise<{ path: string; digest: string }> => {
    const path = join(federation.root, name);
    const built = await venn(['roster', 'build', '--name', 'venn-test', '--epoch', String(epoch), '--schedule', cron, '--window', '10', '--out', path, ...entries()]);
    expect(built.code, built.stderr).toBe(0);
    return { path, digest: built.stdout.trim() };
  };
  const status = async (node: NodeProcess): Promise<{ roster: { digest: string; schedule: { cron: string } }; nextSlot: string; daemon: { up: boolean; rosterDigest: string; nextSlot: string } }> => {
    const result = await venn(['status', '--dir', node.dir, '--json']);
    expect(result.code, result.stderr).toBe(0);
    return JSON.parse(result.stdout) as never;
  };

  beforeAll(async () => {
    ensureBuilt();
    // Both publish 48 rounds a day; lab-a allows lab-b only 10 in its own configuration.
    federation = await Federation.create({
      ids: ['lab-a', 'lab-b'], cron: '0 0 1 1 *',
      initArgs: { 'lab-a': ['--max-rounds-per-day', '48'], 'lab-b': ['--max-rounds-per-day', '48'] },
      config: { 'lab-a': { peers: { 'lab-b': { maxRoundsPerDay: 10 } } } },
    });
    a = federation.node('lab-a');
    b = federation.node('lab-b');
    await federation.ingest('lab-a', emails(0, 50));
    await federation.ingest('lab-b', emails(20, 70));
    await federation.startAll(Date.parse('2031-06-01T12:00:00Z'));
  }, 60_000);
  afterAll(() => federation.close());

  it('installs the roster, the daemon logs what changed in it and runs its schedule and rounds under it', async () => {
    const before = (await status(a)).daemon.rosterDigest;
    const next = await build('roster-daily.json', 2, '30 6 * * *');
    for (const node of [a, b]) {
      const reloaded = node.nextLog((line) => line.msg === 'reloaded', 30_000, 'reload line');
      const used = await venn(['roster', 'use', '--dir', node.dir, next.path]);
      expect(used.code, used.stderr).toBe(0);
      expect(used.stdout).toBe(`${next.digest}\nthe running daemon reloaded it\n`);
      expect(await reloaded).toMatchObject({
        signal: 'admin', changed: [], rosterDigest: next.digest, previousRosterDigest: before,
        rosterChanged: ['federation.epoch', 'schedule.cron'],
        schedule: { cron: '30 6 * * *', windowMinutes: 10, timezone: 'UTC' }, previousSchedule: { cron: '0 0 1 1 *' },
        nextSlot: '2031-06-02T06:30:00.000Z',
      });
      const now = await status(node);
      expect(now.daemon).toMatchObject({ up: true, rosterDigest: next.digest, nextSlot: '2031-06-02T06:30:00.000Z' });
      expect(now.roster).toMatchObject({ digest: next.digest, schedule: { cron: '30 6 * * *' } });
    }
    const round = await venn(['round', '--dir', a.dir, '--peer', 'lab-b', '--json']);
    expect(round.code, round.stderr).toBe(0);
    expect(JSON.parse(round.stdout)).toMatchObject({ status: 'completed', intersectionSize: 30 });
    expect(leafRosterDigests(a.dir).at(-1)).toBe(next.digest);
  }, 60_000);

  it('a roster whose schedule exceeds maxRoundsPerDay is refused by roster use and by a reload; the daemon keeps the old one', async () => {
    const running = (await status(a)).daemon.rosterDigest;
    // Every 30 minutes is 48 rounds a UTC day: what the members publish, more than lab-a allows lab-b.
    const dense = await build('roster-dense.json', 3, '*/30 * * * *');
    const reloads = a.logs.filter((line) => line.msg === 'reloaded' || line.msg === 'reload refused').length;
    const used = await venn(['roster', 'use', '--dir', a.dir, dense.path]);
    expect(used.code).toBe(1);
    expect(used.stderr).toMatch(/^venn roster: "schedule" "\*\/30 \* \* \* \*" \(UTC\) expected at most 10 slots in a UTC day \("maxRoundsPerDay" of this node's policy for lab-b \(venn\.config\.json\)\), got 48 on \d{4}-\d{2}-\d{2} \[schedule-over-quota\]\n$/);
    // Nothing was installed and the daemon was not asked to reload.
    expect(readFileSync(join(a.dir, 'roster.json'), 'utf8')).toBe(readFileSync(join(federation.root, 'roster-daily.json'), 'utf8'));
    expect(a.logs.filter((line) => line.msg === 'reloaded' || line.msg === 'reload refused')).toHaveLength(reloads);

    // The same file put in place by other means, then SIGHUP: the daemon refuses it, naming both numbers.
    const installed = readFileSync(join(a.dir, 'roster.json'));
    writeFileSync(join(a.dir, 'roster.json'), readFileSync(dense.path));
    const refused = a.nextLog((line) => line.msg === 'reload refused', 10_000, 'reload refusal');
    a.signal('SIGHUP');
    const line = await refused;
    expect(line).toMatchObject({ signal: 'SIGHUP', code: 'schedule-over-quota' });
    expect(String(line['detail'])).toMatch(/expected at most 10 slots in a UTC day \("maxRoundsPerDay" of this node's policy for lab-b \(venn\.config\.json\)\), got 48 on /);
    expect(a.exitResult).toBeUndefined();
    expect((await status(a)).daemon).toMatchObject({ up: true, rosterDigest: running, nextSlot: '2031-06-02T06:30:00.000Z' });
    // Still the old roster: a round with lab-b (which runs it too) completes and is logged under it.
    const round = await venn(['round', '--dir', b.dir, '--peer', 'lab-a', '--json']);
    expect(round.code, round.stderr).toBe(0);
    expect(leafRosterDigests(a.dir).at(-1)).toBe(running);
    writeFileSync(join(a.dir, 'roster.json'), installed);
  }, 60_000);
});
