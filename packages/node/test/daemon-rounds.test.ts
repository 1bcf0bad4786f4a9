/** Scheduled and ad-hoc rounds between real daemons (child processes, sockets on 127.0.0.1, SQLite files). */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Store } from '../src/internal/store.js';
import { ensureBuilt } from './helpers/build.js';
import { venn } from './helpers/cli.js';
import { Federation, emails, isSessionEnd, sessionEnds, type LogLine } from './helpers/federation.js';

beforeAll(() => ensureBuilt());

const SLOT = Date.parse('2030-01-01T00:00:00Z');
const ONCE_A_YEAR = '0 0 1 1 *';

interface MatchRow { kind: string; accountRef: string | null; peers: string[]; round: string; peerLabels: Record<string, Record<string, string>> }

async function matchesOf(dir: string): Promise<MatchRow[]> {
  const result = await venn(['matches', '--dir', dir, '--format', 'json']);
  expect(result.code).toBe(0);
  return JSON.parse(result.stdout) as MatchRow[];
}

/** Ground truth: for each local account, the peers that also hold its email. */
function expected(own: readonly string[], peers: Record<string, readonly string[]>): Map<string, string[]> {
  const truth = new Map<string, string[]>();
  for (const email of own) {
    const holders = Object.entries(peers).filter(([, list]) => list.includes(email)).map(([id]) => id).sort();
    if (holders.length > 0) truth.set(`acct-${email.split('@')[0]}`, holders);
  }
  return truth;
}

function asMap(rows: readonly MatchRow[]): Map<string, string[]> {
  return new Map(rows.map((row) => [row.accountRef ?? '', row.peers]));
}

const finished = (line: LogLine): boolean => line.msg === 'round attempt finished';

describe('two daemons', () => {
  let federation: Federation;
  const lists = { 'lab-a': [...emails(0, 150), ...emails(500, 520)], 'lab-b': [...emails(100, 300), ...emails(510, 530)] };

  beforeAll(async () => {
    const semiHonest = ['--modes', 'intersection,cardinality', '--accept-semi-honest-cardinality'];
    federation = await Federation.create({ ids: ['lab-a', 'lab-b'], cron: ONCE_A_YEAR, windowMinutes: 10, initArgs: { 'lab-a': ['--share-labels', 'category', ...semiHonest], 'lab-b': ['--share-labels', 'category', ...semiHonest] } });
    await federation.ingest('lab-a', lists['lab-a']);
    await federation.ingest('lab-b', lists['lab-b']);
    // The node clocks read 3 s before the slot: the scheduler fires it on its own.
    await federation.startAll(SLOT - 3000);
  }, 60_000);
  afterAll(() => federation.close());

  it('run the scheduled slot: the pair completes and each lab\'s matches equal the ground truth', async () => {
    const a = federation.node('lab-a');
    const b = federation.node('lab-b');
    const [doneA, doneB] = await Promise.all([a.waitForLog(finished, 60_000, 'finished round'), b.waitForLog(finished, 60_000, 'finished round')]);
    expect(doneA).toMatchObject({ status: 'completed', intersectionSize: 60 });
    expect(doneB).toMatchObject({ status: 'completed', intersectionSize: 60 });
    expect(doneA['roundId']).toBe(doneB['roundId']);
    expect(new Set([doneA['role'], doneB['role']])).toEqual(new Set(['initiator', 'responder']));
    // transport.md §5.5: after FINISH each side closes its session with an authenticated CLOSE normal.
    // The attempt is recorded before the session's close handshake ends, so wait for both.
    await Promise.all([
      a.waitForLog((line) => isSessionEnd(line, 'lab-b'), 10_000, 'session end'),
      b.waitForLog((line) => isSessionEnd(line, 'lab-a'), 10_000, 'session end'),
    ]);
    const ends = [...sessionEnds(a, 'lab-b'), ...sessionEnds(b, 'lab-a')];
    expect(ends.map((line) => line['reason'])).toEqual(['normal', 'normal']);
    expect(ends.some((line) => line['by'] === 'local')).toBe(true);
    // Both nodes fired the same slot and derived the same round id without talking.
    const slotLines = [a, b].map((node) => node.logs.find((line) => line.msg === 'slot started'));
    expect(slotLines.map((line) => line?.['slot'])).toEqual(['2030-01-01T00:00:00.000Z', '2030-01-01T00:00:00.000Z']);
    // Every round line carries the round id.
    for (const node of [a, b]) {
      for (const line of node.logs.filter((l) => typeof l.msg === 'string' && /round/.test(l.msg) && l.msg !== 'slot started')) {
        expect(line['roundId'], JSON.stringify(line)).toMatch(/^[0-9a-f]{64}$/);
      }
    }
    const rowsA = await matchesOf(a.dir);
    const rowsB = await matchesOf(b.dir);
    expect(asMap(rowsA)).toEqual(expected(lists['lab-a'], { 'lab-b': lists['lab-b'] }));
    expect(asMap(rowsB)).toEqual(expected(lists['lab-b'], { 'lab-a': lists['lab-a'] }));
    // Labels shared under both policies arrive with the matches.
    expect(rowsA.every((row) => row.peerLabels['lab-b']?.['category'] === 'seen-by-lab-b')).toBe(true);
    const rounds = await venn(['rounds', '--dir', a.dir, '--json']);
    expect(JSON.parse(rounds.stdout)).toMatchObject([{ origin: 'scheduled', status: 'completed', slot: '2030-01-01T00:00:00.000Z', attempt: 1, intersectionSize: 60, peerClaimedSize: 60 }]);
    // Each side stored the compute time of every protocol phase its worker ran.
    for (const node of [a, b]) {
      const store = Store.open(join(node.dir, 'venn.db'), { readonly: true });
      try {
        const [round] = store.listRounds();
        const phases = store.roundPhases(round!.row);
        expect(Object.keys(phases).sort()).toEqual(['blind', 'evaluate', 'hash-to-group', 'match', 'prove', 'verify']);
        for (const ms of Object.values(phases)) expect(ms).toBeGreaterThanOrEqual(0);
        // Blinding 170 or 220 points takes measurable time; the phases fit in the attempt's wall time.
        expect(phases['blind']).toBeGreaterThan(0);
        expect(Object.values(phases).reduce((sum, ms) => sum + ms, 0)).toBeLessThanOrEqual(round!.finishedAt! - round!.startedAt! + 1);
      } finally {
        store.close();
      }
    }
  });

  it('run an ad-hoc round through venn round and report it', async () => {
    const a = federation.node('lab-a');
    const result = await venn(['round', '--dir', a.dir, '--peer', 'lab-b', '--json']);
    expect(result.stderr).toBe('');
    expect(result.code).toBe(0);
    const outcome = JSON.parse(result.stdout) as Record<string, unknown>;
    expect(outcome).toMatchObject({ peer: 'lab-b', status: 'completed', origin: 'ad-hoc', mode: 'intersection', localSetSize: 170, peerSetSize: 220, intersectionSize: 60, matches: 60 });
    expect(outcome['transcriptHash']).toMatch(/^[0-9a-f]{128}$/);
    // The responder recorded the same round with the same transcript hash.
    const rounds = JSON.parse((await venn(['rounds', '--dir', federation.node('lab-b').dir, '--json'])).stdout) as Array<Record<string, unknown>>;
    expect(rounds.find((r) => r['roundId'] === outcome['roundId'])).toMatchObject({ role: 'responder', origin: 'ad-hoc', status: 'completed', transcriptHash: outcome['transcriptHash'] });
    // Matches from the ad-hoc round are listed under it.
    const byRound = await venn(['matches', '--dir', a.dir, '--round', String(outcome['roundId']).slice(0, 12), '--format', 'csv']);
    expect(byRound.code).toBe(0);
    expect(byRound.stdout.trim().split('\r\n')).toHaveLength(61);
  });

  it('run a cardinality round: sizes only, no matches', async () => {
    const result = await venn(['round', '--dir', federation.node('lab-b').dir, '--peer', 'lab-a', '--mode', 'cardinality', '--json']);
    expect(result.code).toBe(0);
    expect(JSON.parse(result.stdout)).toMatchObject({ status: 'completed', mode: 'cardinality', intersectionSize: 60, matches: 0 });
  });

  it('never log a secret', () => {
    for (const id of ['lab-a', 'lab-b']) {
      const dir = federation.node(id).dir;
      const key = JSON.parse(readFileSync(join(dir, 'identity.key'), 'utf8')) as { seed: string };
      const token = readFileSync(join(dir, 'admin.token'), 'utf8').trim();
      for (const node of [federation.node('lab-a'), federation.node('lab-b')]) {
        const text = node.logs.map((line) => JSON.stringify(line)).join('\n');
        expect(text.length).toBeGreaterThan(1000);
        expect(text).not.toContain(key.seed);
        expect(text).not.toContain(token);
      }
    }
  });

  it('export metrics and status while serving', async () => {
    const a = federation.node('lab-a');
    const metrics = await a.admin('/metrics');
    expect(metrics.status).toBe(200);
    const text = String(metrics.body);
    expect(text).toMatch(/venn_rounds_total\{peer="lab-b",status="completed",role="(initiator|responder)",origin="scheduled",node="lab-a"\} 1/);
    expect(text).toMatch(/venn_round_duration_seconds_count\{node="lab-a",status="completed"\} [1-9]/);
    expect(text).toMatch(/venn_elements_processed_total\{node="lab-a"\} [1-9][0-9]*/);
    expect(text).toContain('venn_peers_connected');
    expect((await a.admin('/healthz')).body).toMatchObject({ status: 'ok', node: 'lab-a' });
    const status = await venn(['status', '--dir', a.dir, '--json']);
    const report = JSON.parse(status.stdout) as Record<string, any>;
    expect(report['daemon']).toMatchObject({ up: true, node: 'lab-a', peersConnected: 0 });
    expect(report['peers'][0]).toMatchObject({ id: 'lab-b', lastRound: { status: 'completed' } });
    expect(report['log']['size']).toBe(3);
    expect(report['log']['head']).toMatchObject({ treeSize: 3 });
    expect(report['lists']).toEqual([{ name: 'suspicious', kind: 'email', items: 170, digests: 170, rules: expect.stringMatching(/^venn\/identifier\/v2 hygiene\/\d+ libphonenumber-js\//), stale: false }]);
  });
});

describe('three daemons', () => {
  let federation: Federation;
  const lists = {
    'lab-a': [...emails(0, 100), ...emails(1000, 1010)],
    'lab-b': [...emails(50, 150), ...emails(1005, 1015)],
    'lab-c': [...emails(90, 200), ...emails(1000, 1003), ...emails(1012, 1020)],
  };

  beforeAll(async () => {
    federation = await Federation.create({ ids: ['lab-a', 'lab-b', 'lab-c'], cron: ONCE_A_YEAR, windowMinutes: 10 });
    for (const [id, list] of Object.entries(lists)) await federation.ingest(id, list);
    await federation.startAll(SLOT - 3000);
  }, 60_000);
  afterAll(() => federation.close());

  it('every pair completes in the slot and each lab\'s matches equal the ground truth', async () => {
    const ids = ['lab-a', 'lab-b', 'lab-c'] as const;
    // Each node takes part in two pairs.
    await Promise.all(ids.map((id) => {
      const node = federation.node(id);
      return node.waitForLog(() => node.finishedRounds().length >= 2, 90_000, 'two finished rounds');
    }));
    const roundIds = new Set<string>();
    for (const id of ids) {
      const rounds = federation.node(id).finishedRounds();
      expect(rounds.map((r) => r['status'])).toEqual(['completed', 'completed']);
      for (const round of rounds) roundIds.add(String(round['roundId']));
    }
    expect(roundIds.size).toBe(3);
    for (const id of ids) {
      const peers = Object.fromEntries(ids.filter((other) => other !== id).map((other) => [other, lists[other]]));
      expect(asMap(await matchesOf(federation.node(id).dir))).toEqual(expected(lists[id], peers));
    }
  }, 120_000);
});
