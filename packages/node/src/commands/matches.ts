/** `venn matches`: one row per local identifier that a peer also holds. */
import type { CommandIo } from '../cli.js';
import { UsageError, formatTable, hex, isoTime, parseCommand, stringOption, writeJson, type CommandSpec } from '../internal/command.js';
import { dirOption, hasRoster, openNodeForReading } from '../internal/node-dir.js';
import { readPublicKey } from '../internal/keyfile.js';
import { loadInstalledRoster } from '../internal/roster.js';
import type { MatchRecord } from '../internal/store.js';

export const spec: CommandSpec = {
  name: 'matches',
  summary: 'List local identifiers matched in completed rounds: kind, local account, the peers that hold it, the round and the peers\' shared labels.',
  synopsis: '',
  positionals: { min: 0, max: 0 },
  options: {
    dir: { type: 'string', value: 'DIR', description: 'node directory' },
    peer: { type: 'string', value: 'LAB_ID', description: 'only matches with this peer' },
    round: { type: 'string', value: 'ROUND_ID', description: 'only matches from this round (hex id or a unique prefix of 8+ digits)' },
    format: { type: 'string', value: 'table|json|csv', description: 'output format (default table)' },
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
  const named = stringOption(values, 'format', spec, true);
  if (values['json'] === true && named !== undefined && named !== 'json') throw new UsageError(`"--json" expected no --format or --format json, got --format ${named}`);
  const format = values['json'] === true ? 'json' : named ?? 'table';
  if (format !== 'table' && format !== 'json' && format !== 'csv') throw new UsageError(`"--format" expected table, json or csv, got ${JSON.stringify(format)}`);
  const { config, store } = openNodeForReading(dirOption(values, spec));
  try {
    const peer = stringOption(values, 'peer', spec, true);
    if (peer !== undefined && hasRoster(config)) {
      // A peer the roster does not name can have no matches: a typo, not an empty answer.
      const members = loadInstalledRoster(config, readPublicKey(config.paths.identityKey)).peers.map((m) => m.id);
      if (!members.includes(peer)) throw new UsageError(`"--peer" expected one of the roster's peers (${members.join(', ')}), got ${JSON.stringify(peer)}`);
    }
    const roundText = stringOption(values, 'round', spec, true);
    const rows = foldMatches(store.matches({ peerId: peer, roundId: roundText === undefined ? undefined : store.resolveRoundId(roundText) }));
    if (format === 'json') {
      writeJson(io, rows);
    } else if (format === 'csv') {
      const header = ['kind', 'list', 'account_ref', 'digest', 'peers', 'round', 'matched_at', 'peer_labels'];
      const lines = rows.map((row) => [row.kind, row.list, row.accountRef ?? '', row.digest, row.peers.join(';'), row.round, row.matchedAt,
        Object.keys(row.peerLabels).length === 0 ? '' : JSON.stringify(row.peerLabels)].map(csvCell).join(','));
      io.stdout.write(`${[header.join(','), ...lines].join('\r\n')}\r\n`);
    } else {
      io.stdout.write(formatTable(['KIND', 'ACCOUNT', 'PEERS', 'ROUND', 'PEER LABELS'],
        rows.map((row) => [row.kind, row.accountRef ?? '', row.peers.join(','), row.round.slice(0, 16), labelText(row.peerLabels)])));
    }
    return 0;
  } finally {
    store.close();
  }
}
