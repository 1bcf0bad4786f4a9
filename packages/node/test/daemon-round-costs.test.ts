/**
 * node.md §2 and §10.3 between two real daemons (in this process: real sockets, workers and
 * SQLite files, on a clock that jumps): `venn rounds` shows what each attempt cost (duration,
 * elements blinded and evaluated, the worker thread's CPU), a roster with key epochs installed
 * under running daemons takes effect at the next tick, and `venn epochs look` takes that look at
 * once, so a change is carried without waiting for the interval.
 */
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Writable } from 'node:stream';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Daemon } from '../src/internal/daemon.js';
import type { RoundRecord } from '../src/internal/store.js';
import { ensureBuilt } from './helpers/build.js';
import { venn } from './helpers/cli.js';
import { Federation, emails } from './helpers/federation.js';
import { JumpTime } from './helpers/jump-time.js';

beforeAll(() => ensureBuilt());

const DAY = 86_400_000;
/** The middle of a 7-day epoch slot, 30 s after an interval tick. */
const START = 2_900 * 7 * DAY + 2 * DAY + 30_000;
const INTERVAL = 5 * 60_000;

class Quiet extends Writable {
  override _write(_chunk: Buffer, _encoding: BufferEncoding, done: () => void): void {
    done();
  }
}

/** A row of `venn rounds --json`, as far as this test reads it. */
interface RoundRow {
  roundId: string; peer: string; role: string; status: string; startedAt: string | null; finishedAt: string | null;
  evaluationsSent: number; evaluationsReceived: number;
  durationMs: number | null; elementsBlinded: number | null; elementsEvaluated: number | null; workerCpuMs: number | null;
  epoch?: { index: number; kind: string; additions: number | null; peerAdditions: number | null; newMatches: number | null };
}

async function roundsOf(dir: string): Promise<RoundRow[]> {
  const result = await venn(['rounds', '--dir', dir, '--json']);
  expect(result.code, result.stderr).toBe(0);
  return JSON.parse(result.stdout) as RoundRow[];
}

/** Resolves with the next `count` attempts the daemon commits as completed (or disputed). */
function finishedRounds(daemon: Daemon, count = 1): Promise<RoundRecord[]> {
  return new Promise((resolve) => {
    const seen: RoundRecord[] = [];
    const listener = (_id: string, record: RoundRecord): void => {
      if (record.status === 'aborted') return;
      seen.push(record);
      if (seen.length === count) {
        daemon.events.off('final', listener);
        resolve(seen);
      }
    };
    daemon.events.on('final', listener);
  });
}

/** The worker's CPU time where the platform tells it (Linux, or Node with process.threadCpuUsage), else null. */
const CPU_MEASURED = process.platform === 'linux' || typeof (process as unknown as { threadCpuUsage?: unknown }).threadCpuUsage === 'function';

describe('round costs and venn epochs look between two daemons', () => {
  let federation: Federation;
  let time: JumpTime;
  const daemons: Record<string, Daemon> = {};
  const dir = (id: string): string => federation.node(id).dir;

  beforeAll(async () => {
    // A plain roster first: the cron's slot (1 January) is far from the clock.
    federation = await Federation.create({ ids: ['lab-a', 'lab-b'] });
    await federation.ingest('lab-a', emails(0, 40));
    await federation.ingest('lab-b', emails(20, 70));
    time = new JumpTime(START);
    for (const id of ['lab-a', 'lab-b']) daemons[id] = await Daemon.start({ dir: dir(id), now: time.now, timers: time, logDestination: new Quiet() });
  }, 60_000);

  afterAll(async () => {
    for (const daemon of Object.values(daemons)) await daemon.stop().catch(() => undefined);
    time.dispose();
    await federation.close();
  });

  it('venn rounds shows what a plain round cost each side: duration, elements blinded and evaluated, worker CPU', async () => {
    const round = await venn(['round', '--dir', dir('lab-a'), '--peer', 'lab-b', '--json']);
    expect(round.code, round.stderr).toBe(0);
    const roundId = (JSON.parse(round.stdout) as { roundId: string }).roundId;
    const [a] = (await roundsOf(dir('lab-a'))).filter((row) => row.roundId === roundId);
    const [b] = (await roundsOf(dir('lab-b'))).filter((row) => row.roundId === roundId);
    // Each side blinds its own set and evaluates the peer's: 40 and 50 elements.
    expect(a).toMatchObject({ status: 'completed', role: 'initiator', elementsBlinded: 40, elementsEvaluated: 50, evaluationsSent: 50, evaluationsReceived: 40 });
    expect(b).toMatchObject({ status: 'completed', role: 'responder', elementsBlinded: 50, elementsEvaluated: 40, evaluationsSent: 40, evaluationsReceived: 50 });
    for (const row of [a!, b!]) {
      expect(row.durationMs).toBe(Date.parse(row.finishedAt!) - Date.parse(row.startedAt!));
      expect(row.durationMs).toBeGreaterThanOrEqual(0);
      if (CPU_MEASURED) {
        // Blinding and evaluating 90 points, proofs and signatures: some milliseconds, and not more than the round lasted.
        expect(row.workerCpuMs).toBeGreaterThan(0);
        expect(row.workerCpuMs!).toBeLessThanOrEqual(row.durationMs! + 1);
      } else {
        expect(row.workerCpuMs).toBeNull();
      }
    }
    const table = await venn(['rounds', '--dir', dir('lab-a')]);
    expect(table.code, table.stderr).toBe(0);
    const [header, ...lines] = table.stdout.trimEnd().split('\n');
    expect(header).toMatch(/ENDED BY +DURATION +BLINDED\/EVALUATED +WORKER CPU +FINISHED$/);
    const line = lines.find((text) => text.startsWith(roundId.slice(0, 16)));
    expect(line).toContain('ad-hoc');
    expect(line).toMatch(/ (\d+ ms|\d+\.\d s) +40\/50 +(\d+ ms|\d+\.\d s) +\d{4}-/);
  }, 60_000);

  it('venn epochs look is refused while the roster sets no key epochs, with the code', async () => {
    const result = await venn(['epochs', 'look', '--dir', dir('lab-a')]);
    expect(result.code).toBe(1);
    expect(result.stderr).toMatch(/the installed roster sets no key epochs.*\[key-epochs-off\]/);
  });

  it('a roster with key epochs installed under running daemons starts their epochs at the next tick', async () => {
    const rosterPath = join(federation.root, 'roster-epochs.json');
    const built = await venn(['roster', 'build', '--name', 'venn-test', '--epoch', '2', '--schedule', '0 0 1 1 *', '--window', '10', '--epoch-days', '7', '--incremental-minutes', '5',
      '--out', rosterPath, join(federation.root, 'lab-a.entry.json'), join(federation.root, 'lab-b.entry.json')]);
    expect(built.code, built.stderr).toBe(0);
    for (const id of ['lab-a', 'lab-b']) {
      const used = await venn(['roster', 'use', '--dir', dir(id), rosterPath]);
      expect(used.code, used.stderr).toBe(0);
      expect(used.stdout).toContain('the running daemon reloaded it');
    }
    expect(daemons['lab-a']!.epochState('lab-b')).toBeUndefined();
    // The tick the new roster sets (every 5 minutes) starts the epoch; the reload alone started nothing.
    const next = Promise.all([finishedRounds(daemons['lab-a']!), finishedRounds(daemons['lab-b']!)]);
    time.jump(INTERVAL);
    const [[a]] = await next;
    expect(a).toMatchObject({ status: 'completed', intersectionSize: 20 });
    expect(daemons['lab-a']!.epochState('lab-b')).toMatchObject({ status: 'open', nextIndex: 1, ownCount: 40, peerCount: 50 });
    const row = (await roundsOf(dir('lab-a'))).find((r) => r.roundId === Buffer.from(a!.roundId).toString('hex'));
    // The epoch start carries and costs each side's whole set, like a plain round.
    expect(row).toMatchObject({ elementsBlinded: 40, elementsEvaluated: 50, epoch: { index: 0, kind: 'start', additions: 40, peerAdditions: 50 } });
  }, 120_000);

  it('venn epochs look carries a change at once, without waiting for the tick; the incremental round costs only the change', async () => {
    const none = await venn(['epochs', 'look', '--dir', dir('lab-a'), '--json']);
    expect(none.code, none.stderr).toBe(0);
    expect(JSON.parse(none.stdout)).toEqual([{ peer: 'lab-b', action: 'none' }]);

    // lab-a flags one identifier lab-b holds, and one it does not.
    await federation.ingest('lab-a', [...emails(60, 61), ...emails(500, 501)], 'late');
    const next = Promise.all([finishedRounds(daemons['lab-a']!), finishedRounds(daemons['lab-b']!)]);
    const looked = await venn(['epochs', 'look', '--dir', dir('lab-a'), '--peer', 'lab-b', '--json']);
    expect(looked.code, looked.stderr).toBe(0);
    const [look] = JSON.parse(looked.stdout) as Array<{ peer: string; action: string; index: number; roundId: string; kind?: string }>;
    const epoch = daemons['lab-a']!.epochState('lab-b')!;
    // lab-a runs the round if it initiates the epoch, or asks lab-b, the initiator, to run it.
    expect(look).toMatchObject({ peer: 'lab-b', action: epoch.role === 'initiator' ? 'round' : 'nudge', index: 1 });
    const [[a], [b]] = await next;
    expect(Buffer.from(a!.roundId).toString('hex')).toBe(look!.roundId);
    const rowA = (await roundsOf(dir('lab-a'))).find((r) => r.roundId === look!.roundId);
    const rowB = (await roundsOf(dir('lab-b'))).find((r) => r.roundId === look!.roundId);
    expect(rowA).toMatchObject({ status: 'completed', elementsBlinded: 2, elementsEvaluated: 0, epoch: { index: 1, kind: 'incremental', additions: 2, peerAdditions: 0, newMatches: 1 } });
    expect(rowB).toMatchObject({ status: 'completed', elementsBlinded: 0, elementsEvaluated: 2, epoch: { index: 1, kind: 'incremental', additions: 0, peerAdditions: 2, newMatches: 1 } });
    expect(b).toMatchObject({ intersectionSize: 21 });
    const table = await venn(['rounds', '--dir', dir('lab-a')]);
    expect(table.stdout).toMatch(/epoch incremental #1 \(\+2 -0, peer \+0 -0\).* 2\/0 /);
  }, 120_000);

  it('venn epochs look names an unknown peer', async () => {
    const result = await venn(['epochs', 'look', '--dir', dir('lab-a'), '--peer', 'lab-z']);
    expect(result.code).toBe(1);
    expect(result.stderr).toMatch(/"peer" expected one of lab-b, got "lab-z" \[unknown-peer\]/);
  });
});

describe('venn epochs on the command line', () => {
  it('needs the "look" subcommand and a running daemon', async () => {
    const bare = await venn(['epochs']);
    expect(bare.code).toBe(2);
    expect(bare.stdout).toMatch(/^usage: venn epochs look \[options\]/);
    const other = await venn(['epochs', 'start']);
    expect(other.code).toBe(2);
    expect(other.stderr).toMatch(/expected "look" after venn epochs, got "start" \[usage\]/);
    const missing = await venn(['epochs', 'look', '--dir', join(tmpdir(), 'venn-no-such-node-dir')]);
    expect(missing.code).toBe(1);
    expect(missing.stderr).toMatch(/\[config-not-found\]/);
  });
});
