/**
 * kill -9 of a lab's daemon in the middle of a scheduled round, as an operator lives it: the
 * peer records the lost attempt, the restarted node marks its open round aborted, the initiator
 * retries within the slot, and both labs end with exactly the planted matches.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Federation, byAccount, ensureCli, matchesOf, roundsOf, venn, vennJson, type NodeProcess } from './helpers.js';

const SLOT = Date.parse('2033-01-01T00:00:00Z');

interface GroundTruth {
  files: Array<{ lab: string; path: string; ingest: string[]; accepted: number }>;
  expected: Record<string, { matches: Array<{ kind: string; account: string; peers: string[] }> }>;
}

/** Polls the daemon's status endpoint until a round is past its first elements and not done. */
async function midRound(node: NodeProcess): Promise<void> {
  const deadline = Date.now() + 60_000;
  for (;;) {
    const { body } = await node.admin('/v1/status');
    const running = (body as { runningRounds?: Array<{ processed: number; total: number }> }).runningRounds ?? [];
    if (running.some((r) => r.processed > 0 && r.processed < r.total)) return;
    if (Date.now() > deadline) throw new Error(`${node.id}: no round in progress within 60 s`);
    await new Promise((wake) => setTimeout(wake, 20));
  }
}

describe('kill -9 mid-round and recovery', () => {
  let federation: Federation;
  let truth: GroundTruth;
  let initiator: NodeProcess;
  let responder: NodeProcess;

  beforeAll(async () => {
    ensureCli();
    const retry = { initialDelaySeconds: 0.5, maxDelaySeconds: 2, multiplier: 2 };
    federation = await Federation.create({ ids: ['lab-a', 'lab-b'], cron: '0 0 1 1 *', windowMinutes: 15, config: { 'lab-a': { retry }, 'lab-b': { retry } } });
    const data = join(federation.root, 'data');
    const synth = await venn(['synth', '--out', data, '--labs', '2', '--size', '3000', '--seed', '21', '--overlap', '0.25']);
    expect(synth.code, synth.stderr).toBe(0);
    truth = JSON.parse(readFileSync(join(data, 'ground-truth.json'), 'utf8')) as GroundTruth;
    for (const file of truth.files) {
      const result = await venn(['ingest', '--dir', federation.node(file.lab).dir, ...file.ingest, join(data, file.path)]);
      expect(result.code, result.stderr).toBe(0);
    }
    await federation.startAll(SLOT - 2000);
    const first = await Promise.race(['lab-a', 'lab-b'].map((id) => federation.node(id).waitForLog((line) => line.msg === 'round attempt starting', 30_000).then(() => id)));
    initiator = federation.node(first);
    responder = federation.node(first === 'lab-a' ? 'lab-b' : 'lab-a');
  }, 120_000);
  afterAll(() => federation.close());

  it('the surviving initiator records the lost attempt and the killed node comes back clean', async () => {
    await midRound(responder);
    responder.signal('SIGKILL');
    expect(await responder.exited()).toMatchObject({ signal: 'SIGKILL' });
    const lost = await initiator.waitForLog((line) => line.msg === 'round attempt finished' && line['attempt'] === 1, 30_000, 'the lost attempt');
    expect(lost).toMatchObject({ status: 'aborted' });

    // While it is down, venn status says so; the store is readable by the CLI.
    const down = await vennJson<{ daemon: { up: boolean } }>(['status', '--dir', responder.dir, '--json']);
    expect(down.daemon.up).toBe(false);

    responder.start();
    await responder.started();
    expect(responder.runLogs().find((line) => line.msg === 'round left open by a previous run marked aborted')).toMatchObject({ reason: 'daemon-restart', attempt: 1 });
  }, 90_000);

  it('the initiator retries within the slot and the round completes on both sides', async () => {
    const [doneI, doneR] = await Promise.all([
      initiator.waitForLog((line) => line.msg === 'round attempt finished' && line['status'] === 'completed', 90_000, 'completed retry'),
      responder.waitForLog((line) => line.msg === 'round attempt finished' && line['status'] === 'completed', 90_000, 'completed retry'),
    ]);
    expect(doneI['roundId']).toBe(doneR['roundId']);
    const roundsI = await roundsOf(initiator.dir);
    const roundsR = await roundsOf(responder.dir);
    // Newest first: the completed attempt on top, attempt 1 aborted at the bottom, one round id.
    expect(roundsR.at(-1)).toMatchObject({ attempt: 1, status: 'aborted', reason: 'daemon-restart', origin: 'scheduled' });
    expect(roundsI.at(-1)).toMatchObject({ attempt: 1, status: 'aborted', origin: 'scheduled' });
    for (const rounds of [roundsI, roundsR]) {
      expect(new Set(rounds.map((r) => r.roundId)).size).toBe(1);
      expect(rounds.filter((r) => r.status === 'completed')).toHaveLength(1);
      expect(rounds[0]).toMatchObject({ status: 'completed', origin: 'scheduled' });
      expect(rounds[0]!.attempt).toBeGreaterThanOrEqual(2);
    }
    expect(roundsI[0]!.transcriptHash).toBe(roundsR[0]!.transcriptHash);
  }, 120_000);

  it('both labs hold exactly the planted matches, none lost or doubled by the crash', async () => {
    for (const node of [initiator, responder]) {
      const rows = await matchesOf(node.dir);
      const planted = new Map(truth.expected[node.id]!.matches.map((m) => [`${m.kind}:${m.account}`, [...m.peers].sort().join(',')]));
      expect(planted.size).toBe(750);
      expect(rows).toHaveLength(planted.size);
      expect(byAccount(rows)).toEqual(planted);
    }
  });

  it('each node\'s log holds one leaf per finished attempt, the crashed one included', async () => {
    for (const node of [initiator, responder]) {
      const status = await vennJson<{ log: { size: number; head: { treeSize: number } | null } }>(['status', '--dir', node.dir, '--json']);
      const rounds = await roundsOf(node.dir);
      expect(status.log.size).toBe(rounds.length);
      expect(status.log.head?.treeSize).toBe(rounds.length);
    }
  });
});
