/**
 * audit.md §10.2 through the CLI: a round one lab committed completed while the other aborted it
 * (the last FINISH never arrived in time) is reported by `venn audit cross-check` of the two
 * labs' exported logs as `one-sided-completion`, naming the round, with a non-zero exit.
 *
 * Two real daemons (in this process, real sockets, workers and SQLite files) share a clock that
 * can jump. The instant the first of them commits the round completed, before its last FINISH
 * leaves, the clock jumps past the round timeout: the other side's attempt times out and is
 * committed aborted, and the FINISH arrives after the attempt ended.
 */
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

const CLOCK = Date.parse('2031-09-01T12:00:00Z');
const ROUND_TIMEOUT_SECONDS = 120;

class LogSink extends Writable {
  readonly lines: Array<Record<string, unknown>> = [];
  override _write(chunk: Buffer, _encoding: BufferEncoding, done: () => void): void {
    for (const text of chunk.toString().split('\n')) if (text.trim() !== '') this.lines.push(JSON.parse(text) as Record<string, unknown>);
    done();
  }
}

describe('cross-check of a round one side completed and the other aborted', () => {
  let federation: Federation;
  let time: JumpTime;
  const daemons: Record<string, Daemon> = {};
  const logs: Record<string, LogSink> = {};

  beforeAll(async () => {
    const config = { roundTimeoutSeconds: ROUND_TIMEOUT_SECONDS };
    federation = await Federation.create({ ids: ['lab-a', 'lab-b'], config: { 'lab-a': config, 'lab-b': config } });
    await federation.ingest('lab-a', emails(0, 60));
    await federation.ingest('lab-b', emails(30, 90));
    time = new JumpTime(CLOCK);
    for (const id of ['lab-a', 'lab-b']) {
      logs[id] = new LogSink();
      daemons[id] = await Daemon.start({ dir: federation.node(id).dir, now: time.now, timers: time, logDestination: logs[id] });
    }
  }, 60_000);

  afterAll(async () => {
    for (const daemon of Object.values(daemons)) await daemon.stop().catch(() => undefined);
    time.dispose();
    await federation.close();
  });

  it('venn audit cross-check exits 1 naming the round as one-sided-completion', async () => {
    // The first side to commit the round completed: at that instant (synchronously, before its
    // FINISH is written to the socket) the shared clock passes the other side's round deadline.
    const firstCompletion = new Promise<{ id: string; record: RoundRecord }>((resolve) => {
      let jumped = false;
      for (const [id, daemon] of Object.entries(daemons)) {
        daemon.events.on('final', (_roundId: string, record: RoundRecord) => {
          if (jumped || record.status !== 'completed') return;
          jumped = true;
          time.jump(ROUND_TIMEOUT_SECONDS * 1000 + 1000);
          resolve({ id, record });
        });
      }
    });
    const round = await venn(['round', '--dir', federation.node('lab-a').dir, '--peer', 'lab-b', '--json']);
    const completed = await firstCompletion;
    const roundId = Buffer.from(completed.record.roundId).toString('hex');
    const other = completed.id === 'lab-a' ? 'lab-b' : 'lab-a';

    // Both sides' own records, through the CLI: completed on one, aborted by the timeout on the other.
    const rounds = async (id: string): Promise<Array<Record<string, unknown>>> => {
      const listed = await venn(['rounds', '--dir', federation.node(id).dir, '--json']);
      expect(listed.code, listed.stderr).toBe(0);
      return (JSON.parse(listed.stdout) as Array<Record<string, unknown>>).filter((row) => row['roundId'] === roundId && row['attempt'] === 1);
    };
    expect(await rounds(completed.id)).toMatchObject([{ status: 'completed', intersectionSize: 30 }]);
    expect(await rounds(other)).toMatchObject([{ status: 'aborted', reason: 'timeout' }]);
    // lab-a ran `venn round`: it reports its own side's outcome.
    if (completed.id === 'lab-a') expect(round.code, round.stderr).toBe(0);
    else expect(round.stderr).toMatch(/round aborted: timeout/);

    for (const id of ['lab-a', 'lab-b']) {
      const exported = await venn(['audit', 'export-log', '--dir', federation.node(id).dir, '--out', join(federation.root, `${id}.log`)]);
      expect(exported.code, exported.stderr).toBe(0);
    }
    const files = [join(federation.root, 'lab-a.log'), join(federation.root, 'lab-b.log')];
    const check = await venn(['audit', 'cross-check', ...files, '--roster', federation.rosterPath, '--json']);
    expect(check.code).toBe(1);
    const report = JSON.parse(check.stdout) as { consistent: boolean; issues: Array<{ kind: string; roundId: string | null; detail: string }> };
    expect(report.consistent).toBe(false);
    const oneSided = report.issues.filter((issue) => issue.kind === 'one-sided-completion');
    expect(oneSided).toHaveLength(1);
    expect(oneSided[0]).toMatchObject({ roundId });
    expect(oneSided[0]!.detail).toContain(`${completed.id} recorded round ${roundId.slice(0, 16)}`);
    expect(oneSided[0]!.detail).toContain('aborted');
    // The plain-text report says the same in one line per issue.
    const text = await venn(['audit', 'cross-check', ...files, '--roster', federation.rosterPath]);
    expect(text.code).toBe(1);
    expect(`${text.stdout}${text.stderr}`).toMatch(new RegExp(`one-sided-completion.*${roundId.slice(0, 16)}`));
  }, 120_000);
});
