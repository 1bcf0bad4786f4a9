/**
 * node.md §10: key epochs between two real daemons (in this process, real sockets, workers and
 * SQLite files) whose clocks jump through the schedule: the epoch's start, incremental rounds
 * that carry only additions and removals, matches equal to a fresh full round's, the key store,
 * a restart that resumes the epoch, one that cannot and starts a new one, and the epoch's end.
 */
import { readFileSync, readdirSync, statSync, unlinkSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { Writable } from 'node:stream';
import Database from 'better-sqlite3';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { connect, parseRoster, rosterDigest } from '@venn/transport';
import { Daemon } from '../src/internal/daemon.js';
import { epochId, epochRoundId } from '../src/internal/epoch-ids.js';
import type { EpochRecord } from '../src/internal/epoch-store.js';
import { scheduledInitiator } from '../src/internal/schedule.js';
import { EpochKeyStore } from '../src/internal/epoch-keys.js';
import { loadKeyFile } from '../src/internal/keyfile.js';
import { Store, type RoundRecord } from '../src/internal/store.js';
import { ensureBuilt } from './helpers/build.js';
import { venn } from './helpers/cli.js';
import { Federation, emails } from './helpers/federation.js';
import { JumpTime } from './helpers/jump-time.js';

beforeAll(() => ensureBuilt());

const DAY = 86_400_000;
/** The middle of a 7-day epoch slot (slots start at multiples of 7 days from the Unix epoch). */
const START = 2_900 * 7 * DAY + 2 * DAY + 30_000;
const INTERVAL = 5 * 60_000;

class LogSink extends Writable {
  readonly lines: string[] = [];
  override _write(chunk: Buffer, _encoding: BufferEncoding, done: () => void): void {
    this.lines.push(chunk.toString());
    done();
  }
}

interface Lab {
  daemon: Daemon;
  logs: LogSink;
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

async function matchedAccounts(dir: string): Promise<string[]> {
  const result = await venn(['matches', '--dir', dir, '--format', 'json']);
  expect(result.code, result.stderr).toBe(0);
  return (JSON.parse(result.stdout) as Array<{ accountRef: string | null }>).map((row) => row.accountRef ?? '').sort();
}

/** Waits, on the real clock, until `done()` holds; fails after `ms`. */
async function until(done: () => boolean, ms: number): Promise<void> {
  const deadline = Date.now() + ms;
  while (!done()) {
    if (Date.now() > deadline) throw new Error(`condition not met within ${ms} ms`);
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
}

const accounts = (list: readonly string[]): string[] => list.map((email) => `acct-${email.split('@')[0]}`).sort();

describe('key epochs between two daemons', () => {
  let federation: Federation;
  let time: JumpTime;
  const labs: Record<string, Lab> = {};
  const listA = emails(0, 120);
  const listB = emails(80, 200);
  /** lab-a's records of the epoch's rounds 0 and 1, for the audit below */
  const epochRounds: RoundRecord[] = [];
  /** the epoch that ended at its slot's end, for the replay below */
  let ended: EpochRecord | undefined;

  const start = async (id: string): Promise<Lab> => {
    const logs = new LogSink();
    const daemon = await Daemon.start({ dir: federation.node(id).dir, now: time.now, timers: time, logDestination: logs });
    labs[id] = { daemon, logs };
    return labs[id]!;
  };

  beforeAll(async () => {
    federation = await Federation.create({ ids: ['lab-a', 'lab-b'], epochs: { days: 7, incrementalMinutes: 5 } });
    await federation.ingest('lab-a', listA);
    await federation.ingest('lab-b', listB);
    time = new JumpTime(START);
  }, 60_000);

  afterAll(async () => {
    for (const lab of Object.values(labs)) await lab.daemon.stop().catch(() => undefined);
    time.dispose();
    await federation.close();
  });

  it('starts an epoch with a full round at once; both sides match what a plain round would', async () => {
    const doneA = finishedRounds((await start('lab-a')).daemon);
    const doneB = finishedRounds((await start('lab-b')).daemon);
    const [[a], [b]] = await Promise.all([doneA, doneB]);
    expect(a).toMatchObject({ status: 'completed', intersectionSize: 40, origin: 'scheduled', slot: null });
    epochRounds.push(a!);
    expect(b).toMatchObject({ status: 'completed', intersectionSize: 40 });
    expect(a!.evaluationsSent + b!.evaluationsSent).toBe(240);
    const epochA = labs['lab-a']!.daemon.epochState('lab-b');
    expect(epochA).toMatchObject({ status: 'open', nextIndex: 1, ownCount: 120, peerCount: 120, intersectionSize: 40 });
    expect(await matchedAccounts(federation.node('lab-a').dir)).toEqual(accounts(emails(80, 120)));
  }, 120_000);

  it('carries only the changes at the next tick: new matches on both sides, removals honoured, evaluations of the additions only', async () => {
    // lab-a adds 10 that lab-b holds and 5 that it does not; lab-b removes 5 that lab-a holds.
    await federation.ingest('lab-a', [...emails(150, 160), ...emails(300, 305)], 'late');
    const removals = join(federation.root, 'removals.csv');
    writeFileSync(removals, `email\n${emails(80, 85).join('\n')}\n`);
    const removed = await venn(['remove', '--dir', federation.node('lab-b').dir, '--list', 'suspicious', removals]);
    expect(removed.code, removed.stderr).toBe(0);
    const next = Promise.all([finishedRounds(labs['lab-a']!.daemon), finishedRounds(labs['lab-b']!.daemon)]);
    time.jump(INTERVAL);
    const [[a], [b]] = await next;
    expect(a).toMatchObject({ status: 'completed', intersectionSize: 45 });
    expect(b).toMatchObject({ status: 'completed', intersectionSize: 45 });
    epochRounds.push(a!);
    // Only the additions were evaluated: lab-a's 15 by lab-b, none of lab-b's.
    expect([a!.role === 'initiator' ? a!.evaluationsReceived : b!.evaluationsSent]).toEqual([15]);
    expect(a!.evaluationsSent + b!.evaluationsSent).toBe(15);
    const info = labs['lab-a']!.daemon.epochRoundInfo(a!.row);
    expect(info).toMatchObject({ index: 1, kind: 'incremental', additions: 15, removals: 0, peerAdditions: 0, peerRemovals: 5, newMatches: 10, endedMatches: 5 });
    // venn rounds tells the epoch's start from its incremental round, with what each carried and cost.
    const listed = await venn(['rounds', '--dir', federation.node('lab-a').dir, '--json']);
    expect(listed.code, listed.stderr).toBe(0);
    const rows = JSON.parse(listed.stdout) as Array<{ roundId: string; evaluationsSent: number; evaluationsReceived: number; epoch?: Record<string, unknown> }>;
    const rowOf = (record: RoundRecord) => rows.find((row) => row.roundId === Buffer.from(record.roundId).toString('hex'));
    expect(rowOf(epochRounds[0]!)?.epoch).toMatchObject({ index: 0, kind: 'start', additions: 120, peerAdditions: 120 });
    expect(rowOf(a!)).toMatchObject({ evaluationsSent: a!.evaluationsSent, epoch: { index: 1, kind: 'incremental', additions: 15, removals: 0, peerAdditions: 0, peerRemovals: 5 } });
    const table = await venn(['rounds', '--dir', federation.node('lab-a').dir]);
    expect(table.stdout).toContain('epoch incremental #1 (+15 -0, peer +0 -5)');
  }, 120_000);

  it('leaves bundles an auditor verifies: the incremental round alone, and against its chain with the epoch start', async () => {
    const dir = federation.node('lab-a').dir;
    const [start, incremental] = await Promise.all(epochRounds.map(async (record, i) => {
      const out = join(federation.root, `epoch-round-${i}.bundle`);
      const exported = await venn(['audit', 'export', '--dir', dir, '--round', Buffer.from(record.roundId).toString('hex'), '--out', out]);
      expect(exported.code, exported.stderr).toBe(0);
      return out;
    }));
    const alone = await venn(['audit', 'verify', incremental!, '--roster', federation.rosterPath]);
    expect(alone.code, alone.stderr).toBe(0);
    const chained = await venn(['audit', 'verify', incremental!, '--previous', start!, '--roster', federation.rosterPath, '--json']);
    expect(chained.code, chained.stderr).toBe(0);
    const report = JSON.parse(chained.stdout) as { valid: boolean; checks: Array<{ name: string; status: string }>; summary: Record<string, unknown> };
    expect(report.valid).toBe(true);
    // With the previous round given, the chain and the epoch's intersection are checked, not skipped.
    expect(report.checks.filter((check) => ['epoch', 'epoch-chain', 'intersection-size'].includes(check.name)).map((check) => check.status)).toEqual(['pass', 'pass', 'pass']);
    // The incremental round given as its own predecessor is no chain: the verifier refuses it.
    const wrong = await venn(['audit', 'verify', incremental!, '--previous', incremental!, '--roster', federation.rosterPath]);
    expect(wrong.code).toBe(1);
    expect(wrong.stderr).toMatch(/check "epoch-chain" skipped: needs the bundle of round 0 of the epoch \(none of the bundles given is\)/);
    // Cross-checking the two labs' logs pairs the epoch's rounds like any others and finds them in both.
    for (const id of ['lab-a', 'lab-b']) {
      const exported = await venn(['audit', 'export-log', '--dir', federation.node(id).dir, '--out', join(federation.root, `${id}-epoch.log`)]);
      expect(exported.code, exported.stderr).toBe(0);
    }
    const check = await venn(['audit', 'cross-check', join(federation.root, 'lab-a-epoch.log'), join(federation.root, 'lab-b-epoch.log'), '--roster', federation.rosterPath]);
    expect(check.code, check.stderr).toBe(0);
    expect(check.stdout).toContain('2 rounds in both logs');
    expect(check.stdout).toMatch(/consistent: no issue found\n$/);
  }, 60_000);

  it('keeps the epoch key in the key store only: sealed, mode 0600, in no store file and no log line', async () => {
    for (const id of ['lab-a', 'lab-b']) {
      const dir = federation.node(id).dir;
      const keyDir = join(dir, 'epoch-keys');
      expect(statSync(keyDir).mode & 0o777).toBe(0o700);
      const files = readdirSync(keyDir);
      expect(files).toHaveLength(1);
      expect(statSync(join(keyDir, files[0]!)).mode & 0o777).toBe(0o600);
      const identity = await loadKeyFile(join(dir, 'identity.key'));
      const keys = await EpochKeyStore.open(keyDir, identity.secretKey);
      const epoch = labs[id]!.daemon.epochState(id === 'lab-a' ? 'lab-b' : 'lab-a')!;
      const k = keys.read(epoch.epochId, epoch.ownKey);
      keys.close();
      const needles = [Buffer.from(k), Buffer.from(Buffer.from(k).toString('hex')), Buffer.from(Buffer.from(k).toString('base64'))];
      const haystacks = [readFileSync(join(dir, 'epoch-keys', files[0]!)), ...['venn.db', 'venn.db-wal'].map((name) => { try { return readFileSync(join(dir, name)); } catch { return Buffer.alloc(0); } }), Buffer.from(labs[id]!.logs.lines.join(''))];
      for (const haystack of haystacks) for (const needle of needles) expect(haystack.includes(needle)).toBe(false);
      k.fill(0);
    }
  }, 60_000);

  it('resumes the epoch after a restart, the chain intact', async () => {
    await labs['lab-b']!.daemon.stop();
    await start('lab-b');
    expect(labs['lab-b']!.logs.lines.some((line) => line.includes('key epoch resumed'))).toBe(true);
    await federation.ingest('lab-b', emails(10, 12), 'late');
    const next = Promise.all([finishedRounds(labs['lab-a']!.daemon), finishedRounds(labs['lab-b']!.daemon)]);
    time.jump(INTERVAL);
    const [[a]] = await next;
    expect(a).toMatchObject({ status: 'completed', intersectionSize: 47 });
    expect(labs['lab-a']!.daemon.epochRoundInfo(a!.row)).toMatchObject({ index: 2 });
  }, 120_000);

  /** Rows of the epoch's D_X and T_X in the lab's store (node.md §10.4: purged once it ended). */
  function stateRows(id: string, epochRow: number): number {
    const db = new Database(join(federation.node(id).dir, 'venn.db'), { readonly: true, fileMustExist: true });
    try {
      return db.prepare('SELECT (SELECT count(*) FROM epoch_own WHERE epoch_row = ?) + (SELECT count(*) FROM epoch_peer WHERE epoch_row = ?)').pluck().get(epochRow, epochRow) as number;
    } finally {
      db.close();
    }
  }

  it('starts a new epoch when a restart cannot resume (the key file is gone)', async () => {
    const dir = federation.node('lab-b').dir;
    const before = labs['lab-b']!.daemon.epochState('lab-a')!;
    expect(stateRows('lab-b', before.row)).toBeGreaterThan(0);
    await labs['lab-b']!.daemon.stop();
    for (const file of readdirSync(join(dir, 'epoch-keys'))) unlinkSync(join(dir, 'epoch-keys', file));
    const next = finishedRounds(labs['lab-a']!.daemon);
    await start('lab-b');
    expect(labs['lab-b']!.logs.lines.some((line) => line.includes('key-unavailable'))).toBe(true);
    // The epoch ended at start-up; the daemon deletes its state after it.
    await until(() => stateRows('lab-b', before.row) === 0, 10_000);
    // lab-b's next step (at start) asks for a new epoch; the next completed round is its start.
    await next;
    const after = labs['lab-a']!.daemon.epochState('lab-b')!;
    expect(Buffer.from(after.epochId).equals(Buffer.from(before.epochId))).toBe(false);
    expect(after).toMatchObject({ generation: 1, nextIndex: 1, intersectionSize: 47 });
    // lab-a commits its end before FINISH reaches lab-b; the clock must not jump before lab-b commits too.
    await until(() => labs['lab-b']!.daemon.epochState('lab-a')?.nextIndex === 1, 30_000);
    expect(labs['lab-b']!.daemon.epochState('lab-a')).toMatchObject({ generation: 1, nextIndex: 1, intersectionSize: 47 });
  }, 120_000);

  it('ends the epoch at its slot\'s end: the key erased, a new epoch started', async () => {
    const old = labs['lab-a']!.daemon.epochState('lab-b')!;
    ended = old;
    expect(stateRows('lab-a', old.row)).toBeGreaterThan(0);
    const next = finishedRounds(labs['lab-a']!.daemon);
    time.jumpTo(old.endsAt + 1000);
    await next;
    await until(() => stateRows('lab-a', old.row) === 0, 10_000);
    const fresh = labs['lab-a']!.daemon.epochState('lab-b')!;
    expect(fresh.slotStart).toBe(old.slotStart + 7 * 86_400);
    expect(readdirSync(join(federation.node('lab-a').dir, 'epoch-keys'))).toEqual([`${Buffer.from(fresh.epochId).toString('hex')}.key`]);
  }, 120_000);

  it('refuses what a modified peer dials: a round of an ended epoch, an epoch start it does not initiate, a round off the chain', async () => {
    const roster = parseRoster(readFileSync(federation.rosterPath, 'utf8'));
    const identity = await loadKeyFile(join(federation.node('lab-b').dir, 'identity.key'));
    const dial = (purpose: Uint8Array): Promise<unknown> => connect({ roster, identity: { id: 'lab-b', secretKey: identity.secretKey }, peerId: 'lab-a', purpose, now: time.now });
    const open = labs['lab-a']!.daemon.epochState('lab-b')!;

    // A replay of the last completed round of the epoch that ended: refused, nothing runs.
    await expect(dial(epochRoundId(ended!.epochId, ended!.nextIndex - 1))).rejects.toMatchObject({ code: 'epoch-ended', reason: 'purpose-refused' });

    // An epoch start (round 0 of the next generations) that lab-a, not lab-b, initiates: refused, the open epoch untouched.
    const digest = rosterDigest(roster);
    const generation = [1, 2, 3, 4, 5, 6, 7, 8].map((n) => open.generation + n)
      .find((g) => scheduledInitiator(epochId(digest, open.slotStart, g, 'lab-a', 'lab-b'), 'lab-a', 'lab-b') === 'lab-a');
    expect(generation).toBeDefined();
    await expect(dial(epochRoundId(epochId(digest, open.slotStart, generation!, 'lab-a', 'lab-b'), 0))).rejects.toMatchObject({ code: 'not-initiator', reason: 'purpose-refused' });
    expect(labs['lab-a']!.daemon.epochState('lab-b')).toMatchObject({ row: open.row, status: 'open', nextIndex: open.nextIndex });

    // An epoch start backdated to the previous epoch slot, or post-dated to the next: refused as such.
    // (The previous slot's generations up to the ended epoch's ran there: their round 0 ids are replays, refused as round-replayed.)
    await expect(dial(epochRoundId(epochId(digest, ended!.slotStart, 0, 'lab-a', 'lab-b'), 0))).rejects.toMatchObject({ code: 'round-replayed', reason: 'purpose-refused' });
    for (const [slotStart, g] of [[ended!.slotStart, ended!.generation + 1], [open.slotStart + 7 * 86_400, 0]] as const) {
      await expect(dial(epochRoundId(epochId(digest, slotStart, g, 'lab-a', 'lab-b'), 0))).rejects.toMatchObject({ code: 'epoch-mismatch', reason: 'purpose-refused' });
    }
    expect(labs['lab-a']!.daemon.epochState('lab-b')).toMatchObject({ row: open.row, status: 'open', nextIndex: open.nextIndex });

    // The next round but one while lab-a still runs an attempt of the next round (lab-b committed
    // that round's end and dialed on before lab-a committed its own): refused as in progress, the epoch stays open.
    const store = Store.open(join(federation.node('lab-a').dir, 'venn.db'));
    const pending = store.createRound({ roundId: epochRoundId(open.epochId, open.nextIndex), peerId: 'lab-b', role: 'responder', origin: 'scheduled', slot: null, mode: 'intersection' });
    store.markRunning(pending.row, null);
    try {
      await expect(dial(epochRoundId(open.epochId, open.nextIndex + 1))).rejects.toMatchObject({ code: 'round-in-progress', reason: 'purpose-refused' });
      expect(labs['lab-a']!.daemon.epochState('lab-b')).toMatchObject({ row: open.row, status: 'open', nextIndex: open.nextIndex });
    } finally {
      store.finishRound(pending.row, { status: 'aborted', reason: 'daemon-restart', detail: 'a stand-in for an attempt still ending' });
      store.close();
    }

    // A round ahead of the chain (as if lab-b had completed one lab-a did not): the chains diverged, the epoch ends, its key is erased.
    await expect(dial(epochRoundId(open.epochId, open.nextIndex + 1))).rejects.toMatchObject({ code: 'epoch-mismatch', reason: 'purpose-refused' });
    expect(labs['lab-a']!.daemon.epochState('lab-b')).toBeUndefined();
    expect(readdirSync(join(federation.node('lab-a').dir, 'epoch-keys'))).toEqual([]);
    identity.secretKey.fill(0);
  }, 60_000);
});
