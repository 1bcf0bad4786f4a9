/**
 * A dial that never reaches a Venn peer (node.md §5.1, §6): a peer whose daemon is down, or an
 * endpoint that takes the TCP connection and drops it, is `peer-unreachable`, costs no quota and is
 * not counted as a malformed handshake; an endpoint that answers with garbage still is one.
 */
import { createServer, type Server, type Socket } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ensureBuilt } from './helpers/build.js';
import { venn } from './helpers/cli.js';
import { Federation, emails, type LogLine, type NodeProcess } from './helpers/federation.js';

beforeAll(() => ensureBuilt());

const NEVER_SOON = '0 0 1 1 *';
const CLOCK = Date.parse('2030-06-01T12:00:00Z');

interface RoundRow { roundId: string; peer: string; role: string; status: string; reason: string | null; endedBy: string | null; abandoned: boolean }
interface PeerQuota { id: string; quota: { rounds: number; adHocRounds: number } }

/** A TCP listener on 127.0.0.1:`port` that does `onSocket` to every connection it takes. */
async function listen(port: number, onSocket: (socket: Socket) => void): Promise<Server> {
  const server = createServer(onSocket);
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, '127.0.0.1', () => resolve());
  });
  return server;
}

async function rounds(node: NodeProcess, peer: string): Promise<RoundRow[]> {
  const result = await venn(['rounds', '--dir', node.dir, '--peer', peer, '--json']);
  expect(result.code).toBe(0);
  return JSON.parse(result.stdout) as RoundRow[];
}

/** The daemon's own account of today's quota toward `peer`, as `venn status` shows it. */
async function quota(node: NodeProcess, peer: string): Promise<PeerQuota['quota']> {
  const result = await venn(['status', '--dir', node.dir, '--json']);
  expect(result.code).toBe(0);
  const report = JSON.parse(result.stdout) as { daemon: { up: boolean; peers: PeerQuota[] } };
  expect(report.daemon.up).toBe(true);
  return report.daemon.peers.find((p) => p.id === peer)!.quota;
}

async function metric(node: NodeProcess, series: string): Promise<number> {
  const text = String((await node.admin('/metrics')).body);
  const line = text.split('\n').find((l) => l.startsWith(`${series} `));
  expect(line, `${series} in /metrics`).toBeDefined();
  return Number(line!.slice(series.length + 1));
}

const malformed = 'venn_rejected_connections_total{reason="handshake-malformed",node="lab-a"}';
const unreachable = (peer: string): string => `venn_dial_failures_total{peer="${peer}",reason="peer-unreachable",node="lab-a"}`;

/** The transport's end line for the connection of round `roundId` (transport.md §6.5). */
function transportEnd(node: NodeProcess, roundId: string): LogLine | undefined {
  return node.logs.find((line) => line['component'] === 'transport' && line['roundId'] === roundId && typeof line.msg === 'string'
    && /^(closing connection|peer closed the connection): /.test(line.msg));
}

describe('dials that never reach a Venn peer', () => {
  let federation: Federation;
  const servers: Server[] = [];

  beforeAll(async () => {
    // lab-a allows lab-b one ad-hoc round a day: a second dial that counted would be refused.
    federation = await Federation.create({
      ids: ['lab-a', 'lab-b', 'lab-c', 'lab-d'], cron: NEVER_SOON,
      config: { 'lab-a': { peers: { 'lab-b': { maxAdHocRoundsPerDay: 1 }, 'lab-c': { maxAdHocRoundsPerDay: 1 } } } },
    });
    await federation.ingest('lab-a', emails(0, 20));
    // Only lab-a runs: lab-b's port is closed, lab-c's and lab-d's are taken by the listeners below.
    const a = federation.node('lab-a');
    a.clockOffsetMs = CLOCK - Date.now();
    a.start();
    await a.started();
    // lab-c: takes the TCP connection and drops it before any byte.
    servers.push(await listen(federation.node('lab-c').port, (socket) => socket.destroy()));
    // lab-d: answers the WebSocket upgrade with bytes that are not HTTP.
    servers.push(await listen(federation.node('lab-d').port, (socket) => {
      socket.on('error', () => undefined);
      socket.end(Buffer.from('\x00\xffnot a venn node\r\n\r\n', 'latin1'));
    }));
  }, 60_000);

  afterAll(async () => {
    for (const server of servers) server.close();
    await federation.close();
  });

  it('a peer whose daemon is down is peer-unreachable, ended by the initiator, and costs no quota', async () => {
    const a = federation.node('lab-a');
    expect(await metric(a, malformed)).toBe(0);
    expect(await metric(a, unreachable('lab-b'))).toBe(0);
    // Three dials in a row: with a quota of one ad-hoc round a day, each must reach the network.
    for (let i = 1; i <= 3; i++) {
      const result = await venn(['round', '--dir', a.dir, '--peer', 'lab-b', '--json']);
      expect(result.code).toBe(1);
      expect(result.stderr).toMatch(/^venn round: round aborted: peer-unreachable: /);
      const { roundId } = JSON.parse(result.stdout) as { roundId: string };
      const logged = await a.waitForLog((line) => line.msg === 'could not open a session with the peer' && line['roundId'] === roundId, 10_000);
      expect(logged).toMatchObject({ reason: 'peer-unreachable', peer: 'lab-b', role: 'initiator' });
      // transport.md §6.5: nothing answered the upgrade, so no connection was malformed.
      expect(transportEnd(a, roundId)).toMatchObject({ reason: 'connect-failed', by: 'local' });
      expect(await metric(a, unreachable('lab-b'))).toBe(i);
    }
    const recorded = await rounds(a, 'lab-b');
    expect(recorded).toHaveLength(3);
    for (const round of recorded) {
      expect(round).toMatchObject({ peer: 'lab-b', role: 'initiator', status: 'aborted', reason: 'peer-unreachable', endedBy: 'initiator', abandoned: false });
    }
    expect(await quota(a, 'lab-b')).toMatchObject({ rounds: 0, adHocRounds: 0 });
    expect(await metric(a, malformed)).toBe(0);
  }, 60_000);

  it('a peer that takes the connection and drops it before the handshake is peer-unreachable too', async () => {
    const a = federation.node('lab-a');
    const before = await metric(a, malformed);
    for (let i = 1; i <= 2; i++) {
      const result = await venn(['round', '--dir', a.dir, '--peer', 'lab-c', '--json']);
      expect(result.code).toBe(1);
      expect(result.stderr).toMatch(/^venn round: round aborted: peer-unreachable: /);
      const { roundId } = JSON.parse(result.stdout) as { roundId: string };
      expect(transportEnd(a, roundId)).toMatchObject({ reason: 'connect-failed', by: 'local' });
    }
    const recorded = await rounds(a, 'lab-c');
    expect(recorded.map((round) => [round.reason, round.endedBy])).toEqual([['peer-unreachable', 'initiator'], ['peer-unreachable', 'initiator']]);
    expect(await quota(a, 'lab-c')).toMatchObject({ rounds: 0, adHocRounds: 0 });
    expect(await metric(a, unreachable('lab-c'))).toBe(2);
    expect(await metric(a, malformed)).toBe(before);
  }, 60_000);

  it('a peer that answers the handshake with garbage is handshake-malformed, and counted as one', async () => {
    const a = federation.node('lab-a');
    const before = await metric(a, malformed);
    const result = await venn(['round', '--dir', a.dir, '--peer', 'lab-d', '--json']);
    expect(result.code).toBe(1);
    expect(result.stderr).toMatch(/^venn round: round aborted: handshake-malformed: /);
    const { roundId } = JSON.parse(result.stdout) as { roundId: string };
    expect(transportEnd(a, roundId)).toMatchObject({ reason: 'handshake-malformed', by: 'local' });
    const [round] = await rounds(a, 'lab-d');
    // The endpoint answered: it, not the network, ended the attempt.
    expect(round).toMatchObject({ status: 'aborted', reason: 'handshake-malformed', endedBy: 'responder' });
    expect(await metric(a, malformed)).toBe(before + 1);
    expect(await metric(a, unreachable('lab-d'))).toBe(0);
  }, 60_000);
});
