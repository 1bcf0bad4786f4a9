/**
 * One process owns a node directory at a time (protocol-spec/node.md §1.4). A second `venn start`
 * on a running node's directory must leave the running daemon, its store and its round alone; a
 * lock left by a killed process must not block a restart; commands that write the store while
 * the daemon runs go through its admin endpoint.
 */
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ensureBuilt } from './helpers/build.js';
import { venn } from './helpers/cli.js';
import { Federation, emails, type NodeProcess } from './helpers/federation.js';

/** Polls the status endpoint until a round has processed some elements and is not done. */
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

describe('the node directory lock', () => {
  let federation: Federation;
  let a: NodeProcess;
  let b: NodeProcess;

  beforeAll(async () => {
    ensureBuilt();
    federation = await Federation.create({ ids: ['lab-a', 'lab-b'] });
    a = federation.node('lab-a');
    b = federation.node('lab-b');
    await federation.ingest('lab-a', emails(0, 12_000));
    await federation.ingest('lab-b', emails(10_500, 24_000));
    await federation.startAll(Date.parse('2031-05-01T12:00:00Z'));
  }, 120_000);
  afterAll(() => federation.close());

  it('a second venn start during a round exits with the environment code and the holder\'s pid, touching nothing', async () => {
    const round = venn(['round', '--dir', b.dir, '--peer', 'lab-a', '--json']);
    await midRound(a);
    const second = await venn(['start', '--dir', a.dir]);
    expect(second.code).toBe(3);
    expect(second.stderr.trimEnd().split('\n')).toHaveLength(1);
    expect(second.stderr).toMatch(new RegExp(`node directory ${a.dir.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')} is in use by pid ${a.child!.pid} \\(venn start.*\\[node-dir-locked\\]`));
    const result = await round;
    expect(result.stderr).toBe('');
    expect(JSON.parse(result.stdout)).toMatchObject({ status: 'completed', intersectionSize: 1500 });
    // The running daemon neither died nor ran crash recovery, and both labs agree on the round.
    expect(a.exitResult).toBeUndefined();
    expect((await a.admin('/healthz')).status).toBe(200);
    expect(a.logs.filter((line) => line.msg === 'round left open by a previous run marked aborted')).toEqual([]);
    for (const node of [a, b]) {
      const rounds = JSON.parse((await venn(['rounds', '--dir', node.dir, '--json'])).stdout) as Array<{ status: string; intersectionSize: number }>;
      expect(rounds).toHaveLength(1);
      expect(rounds[0]).toMatchObject({ status: 'completed', intersectionSize: 1500 });
    }
  }, 120_000);

  it('commands that write the store while the daemon runs go through its admin endpoint', async () => {
    const path = join(federation.root, 'late.csv');
    writeFileSync(path, 'email,account\nlate-1@example.com,late-1\nlate-2@example.com,late-2\n');
    const ingested = await venn(['ingest', '--dir', a.dir, '--kind', 'email', '--list', 'late', '--account-column', 'account', '--json', path]);
    expect(ingested.stderr).toBe('');
    expect(ingested.code).toBe(0);
    expect(JSON.parse(ingested.stdout)).toMatchObject({ list: 'late', accepted: 2, listSize: 2, via: 'daemon' });
    await a.waitForLog((line) => line.msg === 'list items added' && line['list'] === 'late', 10_000, 'the daemon\'s ingest log line');
  }, 60_000);

  it('a lock left by a killed daemon does not block the restart', async () => {
    a.signal('SIGKILL');
    expect(await a.exited()).toMatchObject({ signal: 'SIGKILL' });
    a.start();
    await a.started();
    expect((await a.admin('/healthz')).status).toBe(200);
  }, 60_000);
});
