/** `venn status`: whether the daemon is up, peers and their last round, next slot, lists, log head. */
import type { CommandIo } from '../cli.js';
import { formatTable, hex, isoTime, parseCommand, writeJson, type CommandSpec } from '../internal/command.js';
import { adminRequest } from '../internal/admin-client.js';
import { readPublicKey } from '../internal/keyfile.js';
import { dirOption, hasRoster, openNode } from '../internal/node-dir.js';
import { loadInstalledRoster } from '../internal/roster.js';
import { nextSlot } from '../internal/schedule.js';
import { utcDay } from '../internal/store.js';

export const spec: CommandSpec = {
  name: 'status',
  summary: 'Report whether the daemon is up, the peers and their last round, the next scheduled slot, list sizes and the log head.',
  synopsis: '',
  positionals: { min: 0, max: 0 },
  options: {
    dir: { type: 'string', value: 'DIR', description: 'node directory' },
    json: { type: 'boolean', description: 'print JSON' },
  },
};

export async function run(argv: string[], io: CommandIo): Promise<number> {
  const parsed = parseCommand(spec, argv, io);
  if (parsed === null) return 0;
  const { values } = parsed;
  const { config, store } = openNode(dirOption(values, spec));
  try {
    let daemon: Record<string, unknown> = { up: false, admin: `${config.admin.host}:${config.admin.port}` };
    try {
      const response = await adminRequest(config, 'GET', '/v1/status', { timeoutMs: 2000 });
      if (response.status === 200 && typeof response.body === 'object' && response.body !== null) daemon = { up: true, admin: daemon['admin'], ...(response.body as Record<string, unknown>) };
    } catch {
      // Down or unreachable: reported as up=false.
    }
    const now = Date.now();
    const installed = hasRoster(config) ? loadInstalledRoster(config, readPublicKey(config.paths.identityKey)) : null;
    const last = store.lastRoundByPeer();
    const peerIds = installed === null ? [...last.keys()].sort() : installed.peers.map((m) => m.id);
    const peers = peerIds.map((id) => {
      const round = last.get(id);
      return {
        id,
        endpoint: installed?.peers.find((m) => m.id === id)?.endpoint ?? null,
        lastRound: round === undefined ? null : {
          roundId: hex(round.roundId), attempt: round.attempt, status: round.status, reason: round.reason, finishedAt: round.finishedAt === null ? null : isoTime(round.finishedAt),
        },
        roundsToday: store.quotaUsage(id, utcDay(now)).rounds,
      };
    });
    const slot = installed === null ? null : nextSlot(installed.roster.schedule, now);
    const head = store.latestTreeHead();
    const report = {
      node: config.id,
      dir: config.paths.dir,
      daemon,
      roster: installed === null ? null : { digest: hex(installed.digest), federation: installed.roster.federation, schedule: installed.roster.schedule },
      nextSlot: slot === null ? null : new Date(slot.start * 1000).toISOString(),
      peers,
      lists: store.listSummaries(),
      elements: store.distinctDigestCount(),
      log: { size: store.logSize(), head: head === undefined ? null : { treeSize: head.treeSize, root: hex(head.root), timestamp: isoTime(head.timestamp) } },
    };
    if (values['json'] === true) {
      writeJson(io, report);
      return 0;
    }
    const lines = [
      `node      ${config.id} (${config.paths.dir})`,
      `daemon    ${report.daemon['up'] === true ? `up, admin ${String(report.daemon['admin'])}` : `down (admin ${String(report.daemon['admin'])} not answering)`}`,
      `roster    ${report.roster === null ? 'none installed' : `${report.roster.federation.name} epoch ${report.roster.federation.epoch}, digest ${report.roster.digest}`}`,
      `next slot ${report.nextSlot ?? '-'}`,
      `elements  ${report.elements} distinct digests`,
      `log       ${report.log.size} leaves${report.log.head === null ? '' : `, head ${report.log.head.treeSize} ${report.log.head.root} at ${report.log.head.timestamp}`}`,
      '',
    ];
    io.stdout.write(lines.join('\n'));
    io.stdout.write(formatTable(['PEER', 'LAST ROUND', 'STATUS', 'REASON', 'FINISHED', 'TODAY'], peers.map((p) => [
      p.id, p.lastRound?.roundId.slice(0, 16) ?? '-', p.lastRound?.status ?? '-', p.lastRound?.reason ?? '', p.lastRound?.finishedAt ?? '', String(p.roundsToday),
    ])));
    io.stdout.write('\n');
    io.stdout.write(formatTable(['LIST', 'KIND', 'ITEMS', 'DIGESTS'], report.lists.map((l) => [l.name, l.kind, String(l.items), String(l.digests)])));
    return 0;
  } finally {
    store.close();
  }
}
