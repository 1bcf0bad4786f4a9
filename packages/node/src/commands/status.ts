/** `venn status`: whether the daemon is up, peers and their last round, next slot, lists, log head. */
import type { CommandIo } from '../main.js';
import { formatTable, hex, isoTime, parseCommand, writeJson, type CommandSpec } from '../internal/command.js';
import { adminRequest } from '../internal/admin-client.js';
import { hygieneFor } from '../internal/hygiene.js';
import { readPublicKey } from '../internal/keyfile.js';
import { loadConfig, policyFor } from '../internal/config.js';
import { dirOption, hasRoster } from '../internal/node-dir.js';
import { Store } from '../internal/store.js';
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

/** One column of the peers table: its header and its cell for a peer. */
interface PeerColumn {
  readonly header: string;
  cell(peer: PeerReport): string;
}

interface Allowance {
  readonly used: number;
  readonly limit: number;
  readonly left: number;
}

interface PeerReport {
  readonly id: string;
  readonly endpoint: string | null;
  readonly lastRound: { roundId: string; attempt: number; status: string; reason: string | null; finishedAt: string | null } | null;
  readonly roundsToday: number;
  /** This node's daily quotas toward the peer (node.md §5): distinct rounds per UTC day, and ad-hoc ones. */
  readonly quota: { readonly day: string; readonly rounds: Allowance; readonly adHocRounds: Allowance };
  /** Evaluations this node serves the peer per rolling 24 hours (node.md §5.2), read from the store. */
  readonly budget: Allowance & { readonly windowHours: number; readonly served: number; readonly reserved: number; readonly perRoundLimit: number };
  /** Attempts the peer abandoned in the last 24 hours and whether it is suspended (node.md §5.3). */
  readonly abandonments: { readonly last24h: number; readonly limit: number; readonly suspended: boolean };
}

const allowance = (used: number, limit: number): Allowance => ({ used, limit, left: Math.max(0, limit - used) });


const PEER_COLUMNS: readonly PeerColumn[] = [
  { header: 'PEER', cell: (p) => p.id },
  { header: 'LAST ROUND', cell: (p) => p.lastRound?.roundId.slice(0, 16) ?? '-' },
  { header: 'STATUS', cell: (p) => p.lastRound?.status ?? '-' },
  { header: 'REASON', cell: (p) => p.lastRound?.reason ?? '' },
  { header: 'FINISHED', cell: (p) => p.lastRound?.finishedAt ?? '' },
  { header: 'ROUNDS TODAY', cell: (p) => `${p.quota.rounds.used}/${p.quota.rounds.limit}` },
  { header: 'AD-HOC TODAY', cell: (p) => `${p.quota.adHocRounds.used}/${p.quota.adHocRounds.limit}` },
  { header: 'LEFT TODAY', cell: (p) => `${p.quota.rounds.left} (ad hoc ${Math.min(p.quota.rounds.left, p.quota.adHocRounds.left)})` },
  { header: 'EVALUATIONS 24H', cell: (p) => `${p.budget.used}/${p.budget.limit} (${p.budget.left} left)` },
  { header: 'ABANDONED 24H', cell: (p) => `${p.abandonments.last24h}/${p.abandonments.limit}${p.abandonments.suspended ? ' SUSPENDED' : ''}` },
];

export async function run(argv: string[], io: CommandIo): Promise<number> {
  const parsed = parseCommand(spec, argv, io);
  if (parsed === null) return 0;
  const { values } = parsed;
  const config = loadConfig(dirOption(values, spec));
  // Read-only: status works on a store this user may not write, and never changes one.
  const store = Store.openForReading(config.paths.store);
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
    const day = utcDay(now);
    const peers: PeerReport[] = peerIds.map((id) => {
      const round = last.get(id);
      const usage = store.quotaUsage(id, day);
      const policy = policyFor(config, id);
      const evaluations = store.budgetUsage(id, now);
      return {
        id,
        endpoint: installed?.peers.find((m) => m.id === id)?.endpoint ?? null,
        lastRound: round === undefined ? null : {
          roundId: hex(round.roundId), attempt: round.attempt, status: round.status, reason: round.reason, finishedAt: round.finishedAt === null ? null : isoTime(round.finishedAt),
        },
        roundsToday: usage.rounds,
        quota: { day, rounds: allowance(usage.rounds, policy.maxRoundsPerDay), adHocRounds: allowance(usage.adHocRounds, policy.maxAdHocRoundsPerDay) },
        budget: {
          ...allowance(evaluations.used, policy.maxEvaluationsPerDay), windowHours: 24, served: evaluations.served, reserved: evaluations.reserved,
          perRoundLimit: policy.maxEvaluationsPerRound,
        },
        abandonments: { last24h: store.abandonments(id, now), limit: policy.maxAbandonmentsPerDay, suspended: store.openSuspension(id) !== undefined },
      };
    });
    const slot = installed === null ? null : nextSlot(installed.roster.schedule, now);
    // identifiers.md §13: the running daemon's rules, else those the installed code and roster give.
    const identifierRules = typeof daemon['identifierRules'] === 'string' ? daemon['identifierRules'] : hygieneFor(config).rules;
    const lists = store.listSummaries().map((l) => ({ ...l, stale: l.rules !== identifierRules }));
    const head = store.latestTreeHead();
    const report = {
      node: config.id,
      dir: config.paths.dir,
      daemon,
      roster: installed === null ? null : { digest: hex(installed.digest), federation: installed.roster.federation, schedule: installed.roster.schedule },
      nextSlot: slot === null ? null : new Date(slot.start * 1000).toISOString(),
      peers,
      identifierRules,
      lists,
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
      `rules     ${identifierRules}${lists.some((l) => l.stale) ? ` (STALE lists: ${lists.filter((l) => l.stale).map((l) => l.name).join(', ')}; no round runs until they are ingested again, see venn lists)` : ''}`,
      `log       ${report.log.size} leaves${report.log.head === null ? '' : `, head ${report.log.head.treeSize} ${report.log.head.root} at ${report.log.head.timestamp}`}`,
      '',
    ];
    io.stdout.write(lines.join('\n'));
    io.stdout.write(formatTable(PEER_COLUMNS.map((c) => c.header), peers.map((p) => PEER_COLUMNS.map((c) => c.cell(p)))));
    io.stdout.write('\n');
    io.stdout.write(formatTable(['LIST', 'KIND', 'ITEMS', 'DIGESTS', 'RULES'], report.lists.map((l) => [l.name, l.kind, String(l.items), String(l.digests), l.stale ? `${l.rules ?? 'unknown'} STALE` : 'in force'])));
    return 0;
  } finally {
    store.close();
  }
}
