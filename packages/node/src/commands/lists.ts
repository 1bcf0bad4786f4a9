/** `venn lists`: each identifier list with its size, sources and retention; `venn lists drop` removes one. */
import { basename } from 'node:path';
import type { CommandIo } from '../main.js';
import { UsageError, formatTable, isoTime, parseCommand, writeJson, type CommandSpec } from '../internal/command.js';
import { loadConfig } from '../internal/config.js';
import { hygieneFor } from '../internal/hygiene.js';
import { checkListName, formatDuration, listDetails, staleListsDetail, type ListDetail } from '../internal/list-store.js';
import { openListWriter, retentionOverrides } from '../internal/list-writer.js';
import { dirOption } from '../internal/node-dir.js';
import { Store } from '../internal/store.js';

export const showSpec: CommandSpec = {
  name: 'lists',
  summary: 'Show each identifier list: kind, items and distinct digests, when it was last ingested, from which files (names and SHA-256 digests), its retention, and the identifier rules it was ingested under (protocol-spec/identifiers.md §13). A list built under other rules than those in force is STALE: no round runs until it is dropped and ingested again.',
  synopsis: '',
  positionals: { min: 0, max: 0 },
  details: 'venn lists drop NAME removes a list (see venn lists drop --help); venn remove removes single identifiers.',
  options: {
    dir: { type: 'string', value: 'DIR', description: 'node directory' },
    json: { type: 'boolean', description: 'print JSON' },
  },
};

export const dropSpec: CommandSpec = {
  name: 'lists drop',
  summary: 'Remove a list and all its items. Its identifiers stop matching from the next round; rounds and matches already recorded are kept.',
  synopsis: 'NAME',
  positionals: { min: 1, max: 1 },
  options: {
    dir: { type: 'string', value: 'DIR', description: 'node directory' },
    json: { type: 'boolean', description: 'print the result as JSON' },
  },
};

function detailJson(list: ListDetail, inForce: string): Record<string, unknown> {
  return {
    name: list.name, kind: list.kind, items: list.items, digests: list.digests, createdAt: isoTime(list.createdAt),
    lastIngestedAt: list.lastIngestedAt === null ? null : isoTime(list.lastIngestedAt),
    retention: list.retention === null ? null : { ttl: formatDuration(list.retention.ttlSeconds), ttlSeconds: list.retention.ttlSeconds, from: list.retention.basis, source: list.retention.source },
    rules: list.rules, stale: list.rules !== inForce,
    ingests: list.ingests.map((g) => ({ file: g.source, sha256: g.sha256, rows: g.rows, accepted: g.accepted, duplicates: g.duplicates, rejected: g.rejected, ingestedAt: isoTime(g.ingestedAt) })),
  };
}

async function show(argv: string[], io: CommandIo): Promise<number> {
  const parsed = parseCommand(showSpec, argv, io);
  if (parsed === null) return 0;
  const config = loadConfig(dirOption(parsed.values, showSpec));
  // identifiers.md §13: the rules in force, from the installed code, roster and configuration.
  const inForce = hygieneFor(config).rules;
  const store = Store.openForReading(config.paths.store);
  try {
    const lists = listDetails(store, retentionOverrides(config));
    if (parsed.values['json'] === true) {
      writeJson(io, lists.map((l) => detailJson(l, inForce)));
      return 0;
    }
    io.stdout.write(formatTable(['LIST', 'KIND', 'ITEMS', 'DIGESTS', 'LAST INGEST', 'RETENTION', 'RULES'], lists.map((l) => [
      l.name, l.kind, String(l.items), String(l.digests), l.lastIngestedAt === null ? '-' : isoTime(l.lastIngestedAt),
      l.retention === null ? 'kept until removed' : `${formatDuration(l.retention.ttlSeconds)} from ${l.retention.basis}${l.retention.source === 'config' ? ' (config)' : ''}`,
      l.rules === inForce ? 'in force' : `${l.rules ?? 'unknown'} STALE`,
    ])));
    io.stdout.write(`\nrules in force: ${inForce}\n`);
    const stale = lists.filter((l) => l.rules !== inForce);
    if (stale.length > 0) io.stdout.write(`${staleListsDetail(stale, inForce)}\n`);
    const files = lists.flatMap((l) => l.ingests.map((g) => [l.name, basename(g.source), g.sha256?.slice(0, 16) ?? '-', String(g.rows), String(g.accepted), String(g.rejected), isoTime(g.ingestedAt)]));
    if (files.length > 0) {
      io.stdout.write('\n');
      io.stdout.write(formatTable(['LIST', 'FILE', 'SHA-256', 'ROWS', 'ADDED', 'REJECTED', 'INGESTED'], files));
    }
    return 0;
  } finally {
    store.close();
  }
}

async function drop(argv: string[], io: CommandIo): Promise<number> {
  const parsed = parseCommand(dropSpec, argv, io);
  if (parsed === null) return 0;
  const name = parsed.positionals[0]!;
  try {
    checkListName(name, 'NAME');
  } catch (error) {
    throw new UsageError((error as Error).message);
  }
  const config = loadConfig(dirOption(parsed.values, dropSpec));
  const writer = await openListWriter(config, 'lists drop');
  try {
    const result = await writer.dropList(name);
    if (parsed.values['json'] === true) writeJson(io, { list: name, ...result, via: writer.via });
    else io.stdout.write(`list ${name} dropped: ${result.items} items, ${result.ingests} ingest records\n`);
    return 0;
  } finally {
    writer.close();
  }
}

export async function run(argv: string[], io: CommandIo): Promise<number> {
  const [sub, ...rest] = argv;
  if (sub === 'drop') return drop(rest, io);
  if (sub === 'show') return show(rest, io);
  if (sub === undefined || sub.startsWith('-')) return show(argv, io);
  throw new UsageError(`expected "drop" or options after venn lists, got ${JSON.stringify(sub)} (see venn lists --help)`);
}
