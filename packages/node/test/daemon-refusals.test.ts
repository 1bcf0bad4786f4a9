/** What a daemon refuses, and how both sides record it: caps, outsiders, replays, quotas, bad config. */
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { TransportError } from '@venn/errors';
import { connect, parseRoster } from '@venn/transport';
import { loadKeyFile } from '../src/internal/keyfile.js';
import { scheduledRoundId } from '../src/internal/schedule.js';
import { rosterDigest } from '@venn/transport';
import { ensureBuilt } from './helpers/build.js';
import { venn } from './helpers/cli.js';
import { Federation, emails, sessionEnds } from './helpers/federation.js';

beforeAll(() => ensureBuilt());

const NEVER_SOON = '0 0 1 1 *';
const CLOCK = Date.parse('2030-06-01T12:00:00Z');

function transcriptKinds(dir: string, roundId: string): Array<[string, number]> {
  const db = new Database(join(dir, 'venn.db'), { readonly: true });
  try {
    const rows = db.prepare(`SELECT m.direction, m.message FROM transcript_messages m JOIN rounds r ON r.id = m.round_row
      WHERE hex(r.round_id) = upper(?) ORDER BY m.seq`).all(roundId) as Array<{ direction: string; message: Buffer }>;
    // The msgpack map's "t" field is the message type (1 OFFER … 7 ABORT); find it without a decoder.
    return rows.map((row) => [row.direction, row.message[row.message.indexOf(Buffer.from([0xa1, 0x74])) + 2] ?? -1]);
  } finally {
    db.close();
  }
}

function oneLine(stderr: string): string {
  expect(stderr.trimEnd().split('\n')).toHaveLength(1);
  return stderr.trim();
}

describe('refusals between roster members', () => {
  let federation: Federation;

  beforeAll(async () => {
    federation = await Federation.create({
      ids: ['lab-a', 'lab-b', 'lab-c', 'lab-d'], cron: NEVER_SOON,
      config: { 'lab-b': { peers: { 'lab-c': { maxPeerSetSize: 50 }, 'lab-a': { maxRoundsPerDay: 2 }, 'lab-d': { maxAdHocRoundsPerDay: 0 } } } },
    });
    await federation.ingest('lab-a', emails(0, 40));
    await federation.ingest('lab-b', emails(20, 80));
    await federation.ingest('lab-c', emails(0, 100));
    await federation.startAll(CLOCK);
  }, 60_000);
  afterAll(() => federation.close());

  it('a peer whose set exceeds the cap is refused before evaluation, and both sides record why', async () => {
    const c = federation.node('lab-c');
    const b = federation.node('lab-b');
    const result = await venn(['round', '--dir', c.dir, '--peer', 'lab-b', '--json']);
    expect(result.code).toBe(1);
    expect(oneLine(result.stderr)).toMatch(/^venn round: round aborted: set-too-large: aborted by lab-b: peer set size 100 exceeds this party's maxPeerSetSize 50$/);
    const outcome = JSON.parse(result.stdout) as { roundId: string };
    const responder = await b.waitForLog((line) => line.msg === 'round attempt finished' && line['roundId'] === outcome.roundId, 30_000);
    expect(responder).toMatchObject({ status: 'aborted', reason: 'set-too-large', peer: 'lab-c' });
    const roundsB = JSON.parse((await venn(['rounds', '--dir', b.dir, '--json'])).stdout) as Array<Record<string, unknown>>;
    expect(roundsB[0]).toMatchObject({ roundId: outcome.roundId, status: 'aborted', reason: 'set-too-large', peerSetSize: 100 });
    const roundsC = JSON.parse((await venn(['rounds', '--dir', c.dir, '--json'])).stdout) as Array<Record<string, unknown>>;
    expect(roundsC[0]).toMatchObject({ roundId: outcome.roundId, status: 'aborted', reason: 'set-too-large' });
    // lab-b read lab-c's OFFER and answered ABORT: not one of lab-c's points reached an evaluation.
    expect(transcriptKinds(b.dir, outcome.roundId)).toEqual([['received', 1], ['sent', 7]]);
    expect(transcriptKinds(c.dir, outcome.roundId)).toEqual([['sent', 1], ['received', 7]]);
    // transport.md §5.5: an ABORT ends the session like a FINISH does, with an authenticated CLOSE normal.
    const ends = [...sessionEnds(b, 'lab-c'), ...sessionEnds(c, 'lab-b')];
    expect(ends.map((line) => line['reason'])).toEqual(['normal', 'normal']);
  });

  it('a replayed round id is refused, and the daily quota holds', async () => {
    const a = federation.node('lab-a');
    const b = federation.node('lab-b');
    const first = await venn(['round', '--dir', a.dir, '--peer', 'lab-b', '--json']);
    expect(first.code).toBe(0);
    const { roundId } = JSON.parse(first.stdout) as { roundId: string };

    // Replay: lab-a's own key and roster, the completed round id as the session purpose.
    const roster = parseRoster(readFileSync(federation.rosterPath, 'utf8'));
    const identity = await loadKeyFile(join(a.dir, 'identity.key'));
    const replay = connect({ roster, identity: { id: 'lab-a', secretKey: identity.secretKey }, peerId: 'lab-b', purpose: new Uint8Array(Buffer.from(roundId, 'hex')) });
    await expect(replay).rejects.toBeInstanceOf(TransportError);
    await expect(replay).rejects.toMatchObject({ code: 'round-replayed', reason: 'purpose-refused', by: 'peer', detail: expect.stringContaining('already completed here') as string });
    await b.waitForLog((line) => line.msg === 'round refused' && line['reason'] === 'round-replayed' && line['roundId'] === roundId, 10_000);

    // lab-b allows lab-a two rounds a day; the replay did not count, so one more runs and the next is refused.
    expect((await venn(['round', '--dir', a.dir, '--peer', 'lab-b'])).code).toBe(0);
    const third = await venn(['round', '--dir', a.dir, '--peer', 'lab-b']);
    expect(third.code).toBe(1);
    expect(oneLine(third.stderr)).toMatch(/round aborted: quota-exceeded: refused by peer: "maxRoundsPerDay" for lab-a expected at most 2 rounds on 2030-06-01, got round 3/);
    const metrics = String((await b.admin('/metrics')).body);
    expect(metrics).toMatch(/venn_round_refusals_total\{reason="round-replayed",node="lab-b"\} 1/);
    expect(metrics).toMatch(/venn_round_refusals_total\{reason="quota-exceeded",node="lab-b"\} 1/);
  });

  it('a scheduled round id outside its slot window is an ad-hoc round, refused without ad-hoc quota', async () => {
    const roster = parseRoster(readFileSync(federation.rosterPath, 'utf8'));
    const identity = await loadKeyFile(join(federation.node('lab-d').dir, 'identity.key'));
    // The slot of 2030-01-01 closed months before the nodes' clock (2030-06-01).
    const stale = scheduledRoundId(rosterDigest(roster), Date.parse('2030-01-01T00:00:00Z') / 1000, 'lab-b', 'lab-d');
    const attempt = connect({ roster, identity: { id: 'lab-d', secretKey: identity.secretKey }, peerId: 'lab-b', purpose: stale });
    await expect(attempt).rejects.toMatchObject({ code: 'quota-exceeded', reason: 'purpose-refused', detail: expect.stringMatching(/^"maxAdHocRoundsPerDay" for lab-d expected at most 0 ad-hoc rounds/) as string });
  });

  it('a lab not in the roster is refused at the handshake', async () => {
    const b = federation.node('lab-b');
    // lab-x is a real node with a roster of its own that lists lab-b's genuine entry.
    const outsider = await Federation.create({ ids: ['lab-x'], cron: NEVER_SOON });
    try {
      const x = outsider.node('lab-x');
      const entries = [JSON.parse(readFileSync(join(outsider.root, 'lab-x.entry.json'), 'utf8')), JSON.parse(readFileSync(join(federation.root, 'lab-b.entry.json'), 'utf8'))];
      const rosterPath = join(outsider.root, 'outsider-roster.json');
      writeFileSync(rosterPath, JSON.stringify({ version: 1, federation: { name: 'outsiders', epoch: 1 }, schedule: { cron: NEVER_SOON, windowMinutes: 10, timezone: 'UTC' }, members: entries }));
      expect((await venn(['roster', 'use', '--dir', x.dir, rosterPath])).code).toBe(0);
      await outsider.ingest('lab-x', emails(0, 10));
      await outsider.startAll(CLOCK);
      const result = await venn(['round', '--dir', x.dir, '--peer', 'lab-b']);
      expect(result.code).toBe(1);
      expect(oneLine(result.stderr)).toMatch(/round aborted: roster-mismatch/);
      await b.waitForLog((line) => line['component'] === 'transport' && line['reason'] === 'roster-mismatch', 10_000);
      const metrics = String((await b.admin('/metrics')).body);
      expect(metrics).toMatch(/venn_rejected_connections_total\{reason="roster-mismatch",node="lab-b"\} [1-9]/);
      const roundsB = JSON.parse((await venn(['rounds', '--dir', b.dir, '--json'])).stdout) as Array<{ peer: string }>;
      expect(roundsB.some((round) => round.peer === 'lab-x')).toBe(false);
    } finally {
      await outsider.close();
    }
  });
});

describe('config errors', () => {
  let federation: Federation;
  beforeAll(async () => {
    federation = await Federation.create({ ids: ['lab-a', 'lab-b'], cron: NEVER_SOON });
  }, 60_000);
  afterAll(() => federation.close());

  it('venn start names every bad field in one line and exits non-zero', async () => {
    const dir = federation.node('lab-a').dir;
    const path = join(dir, 'venn.config.json');
    const config = JSON.parse(readFileSync(path, 'utf8')) as Record<string, unknown>;
    writeFileSync(path, JSON.stringify({ ...config, clockSkewSeconds: -5, retry: { multiplier: 0.5 }, peers: { 'lab-b': { modes: ['everything'] } }, colour: 'blue' }));
    const result = await venn(['start', '--dir', dir]);
    expect(result.code).toBe(1);
    const line = oneLine(result.stderr);
    expect(line).toContain('"clockSkewSeconds" expected a number >= 0, got number -5');
    expect(line).toContain('"retry.multiplier" expected a number >= 1, got number 0.5');
    expect(line).toContain('"peers.lab-b.modes[0]" expected one of "intersection", "cardinality", got "everything"');
    expect(line).toContain('"colour" expected no such field (unknown field), got "blue"');
    expect(line).toMatch(/\[invalid-config\]$/);
    writeFileSync(path, JSON.stringify(config));
  });

  it('venn start without an installed roster says how to install one', async () => {
    const dir = federation.node('lab-b').dir;
    const { rmSync } = await import('node:fs');
    rmSync(join(dir, 'roster.json'));
    const result = await venn(['start', '--dir', dir]);
    expect(result.code).toBe(1);
    expect(oneLine(result.stderr)).toMatch(/expected an installed roster .* \(run venn roster use --dir .* ROSTER\.json\), got none \[no-roster\]/);
  });

  it('venn start refuses a sealed key without its passphrase', async () => {
    const sealed = await Federation.create({ ids: ['lab-s', 'lab-t'], cron: NEVER_SOON, initArgs: {} });
    try {
      const dir = join(sealed.root, 'sealed-node');
      const init = await venn(['init', '--dir', dir, '--id', 'lab-s', '--listen', '127.0.0.1:1'], { env: { VENN_KEY_PASSPHRASE: 'pass phrase' } });
      expect(init.code).toBe(0);
      const result = await venn(['start', '--dir', dir], { env: { VENN_KEY_PASSPHRASE: undefined } });
      expect(result.code).toBe(1);
      expect(oneLine(result.stderr)).toMatch(/passphrase-protected; expected the passphrase in VENN_KEY_PASSPHRASE, got none \[passphrase-required\]/);
    } finally {
      await sealed.close();
    }
  });
});

interface RoundRow { roundId: string; attempt: number | null; peer: string; role: string; status: string; reason: string | null; detail: string | null; mode?: string | null; count?: number }
interface Quota { used: number; limit: number; left: number }
interface StatusPeer { id: string; quota: { day: string; rounds: Quota; adHocRounds: Quota } }
/** The daemon's own report (GET /v1/status, in `venn status --json` as daemon.peers), by its clock. */
interface DaemonPeer { id: string; quota: { day: string; rounds: number; maxRoundsPerDay: number; adHocRounds: number; maxAdHocRoundsPerDay: number } }

describe('quota and policy refusals, as both sides record them and venn status reports them', () => {
  let federation: Federation;
  const rounds = async (id: string): Promise<RoundRow[]> => {
    const result = await venn(['rounds', '--dir', federation.node(id).dir, '--json']);
    expect(result.code, result.stderr).toBe(0);
    return JSON.parse(result.stdout) as RoundRow[];
  };
  const statusPeers = async (id: string): Promise<{ cli: StatusPeer[]; daemon: DaemonPeer[] }> => {
    const result = await venn(['status', '--dir', federation.node(id).dir, '--json']);
    expect(result.code, result.stderr).toBe(0);
    const report = JSON.parse(result.stdout) as { peers: StatusPeer[]; daemon: { up: boolean; peers: DaemonPeer[] } };
    expect(report.daemon.up).toBe(true);
    return { cli: report.peers, daemon: report.daemon.peers };
  };
  /** Runs an ad-hoc round from `from` with lab-b that lab-b refuses or aborts; returns its id. */
  const refusedRound = async (from: string, args: string[], stderr: RegExp): Promise<string> => {
    const result = await venn(['round', '--dir', federation.node(from).dir, '--peer', 'lab-b', '--json', ...args]);
    expect(result.code).toBe(1);
    expect(oneLine(result.stderr)).toMatch(stderr);
    return (JSON.parse(result.stdout) as { roundId: string }).roundId;
  };

  beforeAll(async () => {
    const cardinality = ['--modes', 'intersection,cardinality', '--accept-semi-honest-cardinality'];
    federation = await Federation.create({
      ids: ['lab-a', 'lab-b', 'lab-c', 'lab-d'], cron: NEVER_SOON,
      initArgs: { 'lab-b': cardinality, 'lab-c': cardinality },
      // lab-b publishes cardinality in its roster entry but does not run it with lab-c.
      config: { 'lab-b': { peers: { 'lab-a': { maxAdHocRoundsPerDay: 2 }, 'lab-c': { modes: ['intersection'] }, 'lab-d': { maxRoundsPerDay: 1 } } } },
    });
    for (const id of ['lab-a', 'lab-b', 'lab-c', 'lab-d']) await federation.ingest(id, emails(0, 20));
    // The real clock: venn status counts today's quota by the machine's clock.
    await federation.startAll(Date.now());
  }, 90_000);
  afterAll(() => federation.close());

  it('maxAdHocRoundsPerDay reached: the initiator records the refusal code, the responder a refused row; status shows used and left', async () => {
    for (let i = 0; i < 2; i++) expect((await venn(['round', '--dir', federation.node('lab-a').dir, '--peer', 'lab-b'])).code).toBe(0);
    const roundId = await refusedRound('lab-a', [], /^venn round: round aborted: quota-exceeded: refused by peer: "maxAdHocRoundsPerDay" for lab-a expected at most 2 ad-hoc rounds on \d{4}-\d{2}-\d{2}, got round 3/);
    expect((await rounds('lab-a')).filter((row) => row.roundId === roundId)).toMatchObject([
      { attempt: 1, peer: 'lab-b', role: 'initiator', status: 'aborted', reason: 'quota-exceeded', detail: expect.stringContaining('"maxAdHocRoundsPerDay" for lab-a') },
    ]);
    expect((await rounds('lab-b')).filter((row) => row.roundId === roundId)).toMatchObject([
      { attempt: null, peer: 'lab-a', role: 'responder', status: 'refused', reason: 'quota-exceeded', count: 1, detail: expect.stringContaining('"maxAdHocRoundsPerDay" for lab-a') },
    ]);
    const text = await venn(['rounds', '--dir', federation.node('lab-b').dir]);
    expect(text.stdout.split('\n').find((line) => line.startsWith(roundId.slice(0, 16)))).toMatch(/lab-a +responder .*refused +quota-exceeded/);

    // lab-b's quota toward lab-a: two ad-hoc rounds of 2 used (the refusal is not one), 6 of 8 rounds left.
    const b = await statusPeers('lab-b');
    expect(b.cli.find((peer) => peer.id === 'lab-a')?.quota).toMatchObject({ rounds: { used: 2, limit: 8, left: 6 }, adHocRounds: { used: 2, limit: 2, left: 0 } });
    expect(b.daemon.find((peer) => peer.id === 'lab-a')?.quota).toMatchObject({ rounds: 2, maxRoundsPerDay: 8, adHocRounds: 2, maxAdHocRoundsPerDay: 2 });
    // lab-a's own count was given back when lab-b refused (node.md §5.1).
    expect((await statusPeers('lab-a')).cli.find((peer) => peer.id === 'lab-b')?.quota).toMatchObject({ rounds: { used: 2, limit: 8, left: 6 }, adHocRounds: { used: 2, limit: 4, left: 2 } });
    const table = (await venn(['status', '--dir', federation.node('lab-b').dir])).stdout;
    expect(table.split('\n').find((line) => line.startsWith('lab-a '))).toMatch(/ 2\/8 +2\/2 +6 \(ad hoc 0\) /);
  });

  it('maxRoundsPerDay reached: likewise on both sides', async () => {
    expect((await venn(['round', '--dir', federation.node('lab-d').dir, '--peer', 'lab-b'])).code).toBe(0);
    const roundId = await refusedRound('lab-d', [], /^venn round: round aborted: quota-exceeded: refused by peer: "maxRoundsPerDay" for lab-d expected at most 1 rounds on \d{4}-\d{2}-\d{2}, got round 2/);
    expect((await rounds('lab-d')).filter((row) => row.roundId === roundId)).toMatchObject([{ role: 'initiator', status: 'aborted', reason: 'quota-exceeded' }]);
    expect((await rounds('lab-b')).filter((row) => row.roundId === roundId)).toMatchObject([{ peer: 'lab-d', role: 'responder', status: 'refused', reason: 'quota-exceeded' }]);
    const b = await statusPeers('lab-b');
    expect(b.cli.find((peer) => peer.id === 'lab-d')?.quota).toMatchObject({ rounds: { used: 1, limit: 1, left: 0 }, adHocRounds: { used: 1, limit: 4, left: 3 } });
    expect(b.daemon.find((peer) => peer.id === 'lab-d')?.quota).toMatchObject({ rounds: 1, maxRoundsPerDay: 1, adHocRounds: 1, maxAdHocRoundsPerDay: 4 });
    const table = (await venn(['status', '--dir', federation.node('lab-b').dir])).stdout;
    expect(table.split('\n').find((line) => line.startsWith('lab-d '))).toMatch(/ 1\/1 +1\/4 +0 \(ad hoc 0\) /);
  });

  it('a mode the responder does not allow the peer: both sides record policy-mismatch', async () => {
    const roundId = await refusedRound('lab-c', ['--mode', 'cardinality'], /^venn round: round aborted: policy-mismatch: /);
    const [c] = (await rounds('lab-c')).filter((row) => row.roundId === roundId);
    const [b] = (await rounds('lab-b')).filter((row) => row.roundId === roundId);
    expect(c).toMatchObject({ peer: 'lab-b', role: 'initiator', status: 'aborted', reason: 'policy-mismatch' });
    expect(b).toMatchObject({ peer: 'lab-c', role: 'responder', status: 'aborted', reason: 'policy-mismatch' });
    expect(b!.detail).toMatch(/cardinality/);
    // The responder refused before evaluating anything: nothing was served either way.
    for (const row of [b, c]) expect(row).toMatchObject({ evaluationsSent: 0, evaluationsReceived: 0 });
  });
});
