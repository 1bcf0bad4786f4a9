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
    for (const node of [a, b]) expect(leafRosterDigests(node.dir)).toEqual([before, after]);
  }, 240_000);
});
