/** `venn matches`: one row per local identifier that a peer also holds. */
import type { CommandIo } from '../cli.js';
import { UsageError, formatTable, hex, isoTime, parseCommand, stringOption, writeJson, type CommandSpec } from '../internal/command.js';
import { dirOption, openNode } from '../internal/node-dir.js';
import type { MatchRecord } from '../internal/store.js';

export const spec: CommandSpec = {
  name: 'matches',
  summary: 'List local identifiers matched in completed rounds: kind, local account, the peers that hold it, the round and the peers\' shared labels. A match whose identifier more than sharedValueAccounts local accounts hold (config, default 5) is marked SHARED: likely a value that identifies no single account.',
  synopsis: '',
  positionals: { min: 0, max: 0 },
  options: {
    dir: { type: 'string', value: 'DIR', description: 'node directory' },
    peer: { type: 'string', value: 'LAB_ID', description: 'only matches with this peer' },
    round: { type: 'string', value: 'ROUND_ID', description: 'only matches from this round (hex id or a unique prefix of 8+ digits)' },
    format: { type: 'string', value: 'table|json|csv', description: 'output format (default table)' },
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
  readonly peerLabels: Record<string, { category?: string; firstSeen?: string; reason?: string }>;
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
    if (Object.keys(record.peerLabels).length > 0) entry.row.peerLabels[record.peerId] = record.peerLabels;
    if (record.finishedAt >= entry.finishedAt) {
      entry.finishedAt = record.finishedAt;
      entry.row = { ...entry.row, round: hex(record.roundId), matchedAt: isoTime(record.finishedAt) };
    }
  }
  return [...rows.values()].map(({ row }) => ({ ...row, peers: row.peers.sort() }));
}

function csvCell(value: string): string {
  // RFC 4180 quoting; a leading = + - @ is prefixed so spreadsheets do not evaluate it.
  const safe = /^[=+\-@\t\r]/.test(value) ? `'${value}` : value;
  return /[",\r\n]/.test(safe) ? `"${safe.replace(/"/g, '""')}"` : safe;
}

function labelText(labels: MatchRow['peerLabels']): string {
  return Object.entries(labels).map(([peer, fields]) => `${peer}:${Object.entries(fields).map(([k, v]) => `${k}=${v}`).join(',')}`).join(' ');
}

export async function run(argv: string[], io: CommandIo): Promise<number> {
  const parsed = parseCommand(spec, argv, io);
  if (parsed === null) return 0;
  const { values } = parsed;
  const format = stringOption(values, 'format', spec, true) ?? 'table';
  if (format !== 'table' && format !== 'json' && format !== 'csv') throw new UsageError(`"--format" expected table, json or csv, got ${JSON.stringify(format)}`);
  const { config, store } = openNode(dirOption(values, spec));
  try {
    const roundText = stringOption(values, 'round', spec, true);
    const folded = foldMatches(store.matches({ peerId: stringOption(values, 'peer', spec, true), roundId: roundText === undefined ? undefined : store.resolveRoundId(roundText) }));
    const rows = markShared(folded, store.matchedDigestAccounts(), config.sharedValueAccounts);
    if (format === 'json') {
      writeJson(io, rows);
    } else if (format === 'csv') {
      const header = ['kind', 'list', 'account_ref', 'digest', 'peers', 'round', 'matched_at', 'peer_labels'];
      const lines = rows.map((row) => [row.kind, row.list, row.accountRef ?? '', row.digest, row.peers.join(';'), row.round, row.matchedAt,
        Object.keys(row.peerLabels).length === 0 ? '' : JSON.stringify(row.peerLabels)].map(csvCell).join(','));
      io.stdout.write(`${[header.join(','), ...lines].join('\r\n')}\r\n`);
    } else {
      io.stdout.write(formatTable(['KIND', 'ACCOUNT', 'PEERS', 'ROUND', 'PEER LABELS', 'SHARED'],
        rows.map((row) => [row.kind, row.accountRef ?? '', row.peers.join(','), row.round.slice(0, 16), labelText(row.peerLabels), row.shared === true ? `yes (${row.accounts} accounts)` : ''])));
    }
    return 0;
  } finally {
    store.close();
  }
}
