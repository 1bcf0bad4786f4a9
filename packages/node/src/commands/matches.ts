/** `venn matches`: one row per local identifier that a peer also holds. */
import type { CommandIo } from '../main.js';
import { UsageError, formatTable, hex, isoTime, parseCommand, stringOption, type CommandSpec } from '../internal/command.js';
import type { NodeConfig } from '../internal/config.js';
import { firstMatchTimes, parseQueueFilter, queryQueue, queueCsv } from '../internal/console/queue.js';
import { readPublicKey } from '../internal/keyfile.js';
import { dirOption, hasRoster, openNodeForReading } from '../internal/node-dir.js';
import { writePrivateFile } from '../internal/private-file.js';
import { loadInstalledRoster, readRosterFile } from '../internal/roster.js';
import type { MatchRecord } from '../internal/store.js';

export const spec: CommandSpec = {
  name: 'matches',
  summary: 'List local identifiers matched in completed rounds: kind, local account, the peers that hold it, the round and the peers\' shared labels. A match whose identifier more than sharedValueAccounts local accounts hold (config, default 5) is marked SHARED: likely a value that identifies no single account. With --format csv, one row per local account: the analyst console\'s queue export.',
  synopsis: '',
  positionals: { min: 0, max: 0 },
  details: 'The CSV has the columns account_ref, kinds, peers, identifiers, first_matched, latest_match, state, note, reviewed_at and label_<peer>_<field> for each roster peer and label field (category, first_seen, reason); several values in a cell are joined with "; ". It is byte for byte the analyst console\'s export for the same filter.',
  options: {
    dir: { type: 'string', value: 'DIR', description: 'node directory' },
    peer: { type: 'string', value: 'LAB_ID', description: 'only matches with this peer' },
    round: { type: 'string', value: 'ROUND_ID', description: 'only matches from this round (hex id or a unique prefix of 8+ digits)' },
    kind: { type: 'string', value: 'KIND', description: 'only identifiers of this kind (email, phone, ...)' },
    category: { type: 'string', value: 'TEXT', description: 'only matches whose peer label category is TEXT' },
    since: { type: 'string', value: 'YYYY-MM-DD', description: 'only matches from rounds that finished on or after this UTC day' },
    until: { type: 'string', value: 'YYYY-MM-DD', description: 'only matches from rounds that finished on or before this UTC day' },
    state: { type: 'string', value: 'STATE', description: 'only accounts in this review state: new, reviewed, actioned or false-positive' },
    format: { type: 'string', value: 'table|json|csv', description: 'output format (default table)' },
    out: { type: 'string', value: 'FILE', description: 'write to FILE (created mode 0600) instead of stdout' },
    json: { type: 'boolean', description: 'print JSON (the same as --format json)' },
  },
};

export interface MatchRow {
  readonly kind: string;
  readonly list: string;
  readonly accountRef: string | null;
  readonly digest: string;
  readonly peers: string[];
  /** The most recent round in which this identifier matched. */
  readonly round: string;
  readonly matchedAt: string;
  /** Label fields each peer chose to share, by peer id. */
  readonly peerLabels: Record<string, { category?: string; first_seen?: string; reason?: string }>;
  /** Distinct local accounts of this list that hold the digest. */
  readonly accounts?: number;
  /** More than the configured sharedValueAccounts hold it: a cheap local sign of a shared identifier. */
  readonly shared?: boolean;
}

/** Adds the number of local accounts holding each row's digest and the shared-value mark. */
export function markShared(rows: readonly MatchRow[], accounts: ReadonlyMap<string, number>, threshold: number): MatchRow[] {
  return rows.map((row) => {
    const n = accounts.get(`${row.list}\u0000${row.digest}`) ?? 1;
    return { ...row, accounts: n, shared: n > threshold };
  });
}

/** Folds per-round match records into one row per local identifier (list, account, digest). */
export function foldMatches(records: readonly MatchRecord[]): MatchRow[] {
  const rows = new Map<string, { row: MatchRow; finishedAt: number }>();
  for (const record of records) {
    const digest = hex(record.digest);
    const key = `${record.list}\u0000${record.accountRef ?? ''}\u0000${digest}`;
    let entry = rows.get(key);
    if (entry === undefined) {
      entry = { row: { kind: record.kind, list: record.list, accountRef: record.accountRef, digest, peers: [], round: hex(record.roundId), matchedAt: isoTime(record.finishedAt), peerLabels: {} }, finishedAt: record.finishedAt };
      rows.set(key, entry);
    }
    if (!entry.row.peers.includes(record.peerId)) entry.row.peers.push(record.peerId);
    if (Object.keys(record.peerLabels).length > 0) {
      // Label fields as the spec names them (identifiers.md §8).
      const { firstSeen, ...rest } = record.peerLabels;
      entry.row.peerLabels[record.peerId] = { ...rest, ...(firstSeen === undefined ? {} : { first_seen: firstSeen }) };
    }
    if (record.finishedAt >= entry.finishedAt) {
      entry.finishedAt = record.finishedAt;
      entry.row = { ...entry.row, round: hex(record.roundId), matchedAt: isoTime(record.finishedAt) };
    }
  }
  return [...rows.values()].map(({ row }) => ({ ...row, peers: row.peers.sort() }));
}

function labelText(labels: MatchRow['peerLabels']): string {
  return Object.entries(labels).map(([peer, fields]) => `${peer}:${Object.entries(fields).map(([k, v]) => `${k}=${v}`).join(',')}`).join(' ');
}

/** The roster's peer ids, for the CSV's label columns; none when no roster is installed. */
function rosterPeers(config: NodeConfig): string[] {
  if (!hasRoster(config)) return [];
  return readRosterFile(config.paths.roster).members.map((member) => member.id).filter((id) => id !== config.id);
}

export async function run(argv: string[], io: CommandIo): Promise<number> {
  const parsed = parseCommand(spec, argv, io);
  if (parsed === null) return 0;
  const { values } = parsed;
  const named = stringOption(values, 'format', spec, true);
  if (values['json'] === true && named !== undefined && named !== 'json') throw new UsageError(`"--json" expected no --format or --format json, got --format ${named}`);
  const format = values['json'] === true ? 'json' : named ?? 'table';
  if (format !== 'table' && format !== 'json' && format !== 'csv') throw new UsageError(`"--format" expected table, json or csv, got ${JSON.stringify(format)}`);
  const out = stringOption(values, 'out', spec, true);
  const { config, store } = openNodeForReading(dirOption(values, spec));
  try {
    const peer = stringOption(values, 'peer', spec, true);
    if (peer !== undefined && hasRoster(config)) {
      // A peer the roster does not name can have no matches: a typo, not an empty answer.
      const members = loadInstalledRoster(config, readPublicKey(config.paths.identityKey)).peers.map((m) => m.id);
      if (!members.includes(peer)) throw new UsageError(`"--peer" expected one of the roster's peers (${members.join(', ')}), got ${JSON.stringify(peer)}`);
    }
    const filter = parseQueueFilter(Object.fromEntries(['peer', 'round', 'kind', 'category', 'since', 'until', 'state'].map((name) => [name, stringOption(values, name, spec, true)])), store);
    const queue = queryQueue(store, filter);
    let text: string;
    if (format === 'csv') {
      text = queueCsv(queue, rosterPeers(config));
    } else {
      // Per identifier: the same filter, matches of the accounts the queue selected.
      const accounts = new Set(queue.rows.map((row) => row.account));
      const since = filter.since === undefined ? -Infinity : Date.parse(`${filter.since}T00:00:00Z`);
      const until = filter.until === undefined ? Infinity : Date.parse(`${filter.until}T00:00:00Z`) + 86_400_000;
      const firsts = firstMatchTimes(store);
      const firstAt = (record: MatchRecord): number => firsts.get(`${record.list}\u0000${hex(record.digest)}\u0000${record.peerId}`) ?? record.finishedAt;
      const records = store.matches({ peerId: filter.peer, roundId: filter.round }).filter((record) => accounts.has(record.accountRef ?? '')
        && (filter.kind === undefined || record.kind === filter.kind) && (filter.category === undefined || record.peerLabels.category === filter.category)
        && firstAt(record) >= since && firstAt(record) < until);
      const rows = markShared(foldMatches(records), store.matchedDigestAccounts(), config.sharedValueAccounts);
      text = format === 'json' ? `${JSON.stringify(rows, null, 2)}\n` : formatTable(['KIND', 'ACCOUNT', 'PEERS', 'ROUND', 'PEER LABELS', 'SHARED'],
        rows.map((row) => [row.kind, row.accountRef ?? '', row.peers.join(','), row.round.slice(0, 16), labelText(row.peerLabels), row.shared === true ? `yes (${row.accounts} accounts)` : '']));
    }
    if (out === undefined) io.stdout.write(text);
    else io.stdout.write(`${writePrivateFile(out, text)}: ${queue.rows.length} account${queue.rows.length === 1 ? '' : 's'}\n`);
    return 0;
  } finally {
    store.close();
  }
}
