/**
 * `venn ingest`: streams a CSV, TSV or JSONL list (a file, gzip or not, or standard input) through
 * @venn/identifiers into the store, digests only. An ingest either finishes or adds nothing.
 */
import { mkdirSync, statSync } from 'node:fs';
import { basename, join, resolve } from 'node:path';
import { EnvironmentError, ValidationError } from '@venn/errors';
import { IDENTIFIER_KINDS, ingestFile, isIdentifierKind, type IdentifierKind, type IngestRecord, type IngestSummary } from '@venn/identifiers';
import { hygieneFor, hygieneSummary } from '../internal/hygiene.js';
import type { CommandIo } from '../main.js';
import { UsageError, parseCommand, stringOption, writeJson, type CommandSpec, type ParsedValues } from '../internal/command.js';
import { loadConfig, type NodeConfig } from '../internal/config.js';
import { checkListName, parseDuration, type RetentionBasis } from '../internal/list-store.js';
import { openListWriter, type RetentionInput } from '../internal/list-writer.js';
import { dirOption } from '../internal/node-dir.js';
import { createProgress } from '../internal/progress.js';
import type { ListItem } from '../internal/store.js';

/** Options shared with `venn remove`, which reads files the same way. */
export const readingOptions = {
  column: { type: 'string', value: 'COL', description: 'column (CSV, TSV) or member (JSONL; a dotted path reaches into nested objects) with the identifier (default: the kind)' },
  format: { type: 'string', value: 'csv|tsv|jsonl', description: 'input format (default: from the extension: .csv, .tsv, .jsonl, .ndjson, each optionally .gz; required for -)' },
  delimiter: { type: 'string', value: 'CHAR', description: 'CSV field delimiter: one character, or "tab" (default "," for csv, tab for tsv)' },
  region: { type: 'string', value: 'CC', description: 'default region for phone numbers without "+", e.g. US' },
  'region-column': { type: 'string', value: 'COL', description: 'column with each row\'s own default region (phone lists; a blank cell uses --region)' },
  prehashed: { type: 'boolean', description: 'values are hex digests (protocol-spec/identifiers.md §10), not raw identifiers' },
  rejects: { type: 'string', value: 'PATH', description: 'where to write rejected rows (default FILE.rejects.csv, for standard input DIR/rejects/, or the config\'s ingest.rejectsDir); written 0600, only if some row is rejected' },
} as const;

export const spec: CommandSpec = {
  name: 'ingest',
  summary: 'Load identifiers from a CSV (with a header row), TSV or JSONL file, gzipped or not, or from standard input ("-"), into a list. Only digests and metadata are stored, never raw values. Rejected rows go to a rejects file (0600) with their line and reason, among them values on the hygiene list (protocol-spec/identifiers.md §12: placeholders, shared device IDs, fiction phone ranges, non-unique IPs, the roster\'s identifierHygiene and the file named by hygiene.extraFile). Prints the counts and how many values each hygiene rule caught.',
  synopsis: 'FILE|-',
  positionals: { min: 1, max: 1 },
  details: [
    'A file with more rejected rows than --max-rejects percent (default 50, config ingest.maxRejectPercent) adds nothing and exits 1',
    'after the report. A label that breaks its rule (e.g. first_seen not an RFC 3339 date) is dropped with a warning; the row is kept.',
    'While the daemon runs, the items go through its admin endpoint; otherwise this command takes the node directory\'s lock.',
  ].join('\n'),
  options: {
    dir: { type: 'string', value: 'DIR', description: 'node directory' },
    kind: { type: 'string', value: 'KIND', description: `identifier kind: ${IDENTIFIER_KINDS.join(', ')}` },
    list: { type: 'string', value: 'NAME', description: 'list to add to (default: the kind)' },
    ...readingOptions,
    'account-column': { type: 'string', value: 'COL', description: 'column with the local account reference (stays on this node)' },
    'category-column': { type: 'string', value: 'COL', description: 'column with the label "category"' },
    'first-seen-column': { type: 'string', value: 'COL', description: 'column with the label "first_seen" (RFC 3339 date, e.g. 2026-10-07)' },
    'reason-column': { type: 'string', value: 'COL', description: 'column with the label "reason"' },
    'max-rejects': { type: 'string', value: 'PERCENT', description: 'fail (adding nothing) when more than this share of rows is rejected (default: the config\'s ingest.maxRejectPercent, 50)' },
    ttl: { type: 'string', value: 'DURATION', description: 'retention of the list\'s items, e.g. 90d, 12h, 2w (kept until removed if never set)' },
    'ttl-from': { type: 'string', value: 'ingest|first_seen', description: 'what --ttl counts from: the last ingest that held the item (default) or its first_seen label' },
    json: { type: 'boolean', description: 'print the counts as JSON' },
  },
};

export interface InputPlan {
  /** Absolute path, or null for standard input. */
  readonly file: string | null;
  readonly format: 'csv' | 'jsonl';
  readonly delimiter: string | undefined;
}

/** Where the rows come from and how they are read: from FILE's extension, --format and --delimiter. */
export function inputPlan(positional: string, values: ParsedValues, command: CommandSpec): InputPlan {
  const file = positional === '-' ? null : resolve(positional);
  const named = stringOption(values, 'format', command, true);
  let format: 'csv' | 'tsv' | 'jsonl';
  if (named !== undefined) {
    if (named !== 'csv' && named !== 'tsv' && named !== 'jsonl') throw new UsageError(`"--format" expected csv, tsv or jsonl, got ${JSON.stringify(named)}`);
    format = named;
  } else if (file === null) {
    throw new UsageError('"--format" expected csv, tsv or jsonl when reading standard input ("-"), got nothing');
  } else {
    const name = basename(file).toLowerCase().replace(/\.gz$/, '');
    const extension = /\.(csv|tsv|jsonl|ndjson)$/.exec(name)?.[1];
    if (extension === undefined) throw new UsageError(`FILE expected a .csv, .tsv, .jsonl or .ndjson file (optionally .gz), or --format, got ${JSON.stringify(positional)}`);
    format = extension === 'ndjson' ? 'jsonl' : (extension as 'csv' | 'tsv' | 'jsonl');
  }
  let delimiter = stringOption(values, 'delimiter', command, true);
  if (delimiter !== undefined) {
    if (format === 'jsonl') throw new UsageError('"--delimiter" applies to CSV and TSV input, not JSONL');
    if (delimiter === 'tab' || delimiter === '\\t') delimiter = '\t';
    if (delimiter.length !== 1 || delimiter === '"') throw new UsageError(`"--delimiter" expected one character other than a double quote, or "tab", got ${JSON.stringify(delimiter)}`);
  }
  return { file, format: format === 'jsonl' ? 'jsonl' : 'csv', delimiter: delimiter ?? (format === 'tsv' ? '\t' : undefined) };
}

/** The rejects file: --rejects, else the config's ingest.rejectsDir, else beside the input (stdin: DIR/rejects/). */
export function rejectsPath(plan: InputPlan, values: ParsedValues, command: CommandSpec, config: NodeConfig): string {
  const given = stringOption(values, 'rejects', command, true);
  if (given !== undefined) return resolve(given);
  const name = plan.file === null ? `stdin-${new Date().toISOString().replace(/[:.]/g, '-')}` : basename(plan.file);
  if (config.ingest.rejectsDir !== null) return join(rejectsDirectory(config.ingest.rejectsDir, 'ingest.rejectsDir'), `${name}.rejects.csv`);
  if (plan.file !== null) return `${plan.file}.rejects.csv`;
  return join(rejectsDirectory(join(config.paths.dir, 'rejects'), 'the node directory\'s rejects/'), `${name}.rejects.csv`);
}

/** A directory for rejects files, created 0700 (with its parents) when missing: they hold raw identifiers. */
function rejectsDirectory(dir: string, field: string): string {
  try {
    mkdirSync(dir, { recursive: true, mode: 0o700 });
  } catch (error) {
    throw new EnvironmentError('ingest-rejects-write', `${field} "${dir}" expected a directory this user can create or write, got ${(error as Error).message}; choose another place with --rejects PATH`, { cause: error });
  }
  return dir;
}

function percentOption(values: ParsedValues, name: string, fallback: number): number {
  const text = stringOption(values, name, spec, true);
  if (text === undefined) return fallback;
  const value = Number(text.replace(/%$/, ''));
  if (!/^[0-9]+(\.[0-9]+)?%?$/.test(text) || value > 100) throw new UsageError(`"--${name}" expected a percentage between 0 and 100, got ${JSON.stringify(text)}`);
  return value;
}

export function kindOption(values: ParsedValues, command: CommandSpec): IdentifierKind {
  const kind = stringOption(values, 'kind', command);
  if (!isIdentifierKind(kind)) throw new UsageError(`"--kind" expected one of ${IDENTIFIER_KINDS.join(', ')}, got ${JSON.stringify(kind)}`);
  return kind;
}

/** "3 email-at-sign (invalid-email), 1 csv-syntax (invalid-row)". */
export function rejectBreakdown(summary: Pick<IngestSummary, 'rejectCounts'>): string {
  return summary.rejectCounts.map((r) => `${r.count} ${r.reason} (${r.code})`).join(', ');
}

export async function run(argv: string[], io: CommandIo): Promise<number> {
  const parsed = parseCommand(spec, argv, io);
  if (parsed === null) return 0;
  const { values, positionals } = parsed;
  const plan = inputPlan(positionals[0]!, values, spec);
  const kind = kindOption(values, spec);
  const listName = stringOption(values, 'list', spec, true) ?? kind;
  try {
    checkListName(listName);
  } catch (error) {
    throw new UsageError((error as Error).message);
  }
  const labelColumns: { category?: string; first_seen?: string; reason?: string } = {};
  const category = stringOption(values, 'category-column', spec, true);
  if (category !== undefined) labelColumns.category = category;
  const firstSeen = stringOption(values, 'first-seen-column', spec, true);
  if (firstSeen !== undefined) labelColumns.first_seen = firstSeen;
  const reason = stringOption(values, 'reason-column', spec, true);
  if (reason !== undefined) labelColumns.reason = reason;
  let retention: RetentionInput | undefined;
  const ttl = stringOption(values, 'ttl', spec, true);
  const ttlFrom = stringOption(values, 'ttl-from', spec, true) ?? 'ingest';
  if (ttlFrom !== 'ingest' && ttlFrom !== 'first_seen') throw new UsageError(`"--ttl-from" expected ingest or first_seen, got ${JSON.stringify(ttlFrom)}`);
  if (ttl !== undefined) {
    try {
      retention = { ttlSeconds: parseDuration(ttl, '--ttl'), basis: ttlFrom as RetentionBasis };
    } catch (error) {
      throw new UsageError((error as Error).message);
    }
  } else if (values['ttl-from'] !== undefined) {
    throw new UsageError('"--ttl-from" expected --ttl with it');
  }

  const config = loadConfig(dirOption(values, spec));
  // identifiers.md §12: the built-in list, the roster's additions, this lab's extra file.
  const hygiene = hygieneFor(config);
  const maxRejects = percentOption(values, 'max-rejects', config.ingest.maxRejectPercent);
  const rejects = rejectsPath(plan, values, spec, config);
  let size = 0;
  if (plan.file !== null) {
    try {
      size = statSync(plan.file).size;
    } catch {
      // ingestFile reports an unreadable input with its own typed error.
    }
  }
  const writer = await openListWriter(config, 'ingest');
  let ingestId: number | undefined;
  let finished = false;
  try {
    // identifiers.md §13: the list records the rules its items are canonicalized under.
    ingestId = await writer.beginIngest({ list: listName, kind, source: plan.file ?? '-', sha256: null, rules: hygiene.rules });
    const id = ingestId;
    const progress = createProgress(io.stderr, `ingest ${listName}`, null);
    let batch: ListItem[] = [];
    let inserted = 0;
    let storeDuplicates = 0;
    const flush = async (): Promise<void> => {
      if (batch.length === 0) return;
      const items = batch;
      batch = [];
      const result = await writer.addItems(id, items);
      inserted += result.inserted;
      storeDuplicates += result.duplicates;
    };
    const input = plan.file ?? io.stdin ?? process.stdin;
    const summary = await ingestFile(input, {
      format: plan.format,
      delimiter: plan.delimiter,
      kind,
      column: stringOption(values, 'column', spec, true),
      region: stringOption(values, 'region', spec, true),
      regionColumn: stringOption(values, 'region-column', spec, true),
      prehashed: values['prehashed'] === true,
      accountColumn: stringOption(values, 'account-column', spec, true),
      labelColumns,
      hygiene: hygiene.list,
      rejectsPath: rejects,
      // Duplicates are decided by the store per (list, digest, account): two accounts sharing one
      // identifier are two rows, and re-ingesting a file adds nothing.
      seen: () => false,
      onRecord: (record: IngestRecord) => {
        batch.push({
          digest: record.digest, accountRef: record.accountRef, category: record.labels?.category,
          firstSeen: record.labels?.first_seen, reason: record.labels?.reason,
        });
        return batch.length >= writer.batchSize ? flush() : undefined;
      },
      progressEvery: 10_000,
      onProgress: (rows, bytes) => progress.update(rows, size > 0 ? `rows, ${Math.round((bytes / size) * 100)}% of ${size.toLocaleString('en-US')} bytes` : 'rows'),
    });
    await flush();
    progress.finish();
    const share = summary.rows === 0 ? 0 : (summary.rejected / summary.rows) * 100;
    const refused = share > maxRejects;
    const counts = { rows: summary.rows, accepted: inserted, duplicates: summary.duplicates + storeDuplicates, rejected: summary.rejected, rejectsPath: summary.rejectsPath, sha256: summary.sha256 };
    let listSize = 0;
    if (refused) {
      await writer.abortIngest(id);
    } else {
      listSize = (await writer.finishIngest(id, counts, retention)).listSize;
    }
    finished = true;
    const report = {
      file: plan.file ?? '-', list: listName, kind, ...counts, stored: !refused, listSize,
      rejectCounts: summary.rejectCounts, labelsDropped: summary.labelsDropped, via: writer.via,
      rejectReasons: summary.rejectReasons, hygiene: hygieneSummary(hygiene, summary),
      ...(retention === undefined ? {} : { ttlSeconds: retention.ttlSeconds, ttlFrom: retention.basis }),
    };
    if (values['json'] === true) {
      writeJson(io, report);
    } else {
      const lines = [`${counts.rows} rows: ${counts.accepted} accepted, ${counts.duplicates} duplicates, ${counts.rejected} rejected${counts.rejectsPath === null ? '' : ` (see ${counts.rejectsPath})`}; ${refused ? `list ${listName} unchanged` : `list ${listName} (${kind}) now holds ${listSize}`}`];
      if (summary.rejected > 0) lines.push(`rejected: ${rejectBreakdown(summary)}`);
      lines.push(report.hygiene.text);
      const dropped = summary.labelsDropped.reduce((sum, d) => sum + d.count, 0);
      if (dropped > 0) lines.push(`${dropped} label${dropped === 1 ? '' : 's'} dropped: ${summary.labelsDropped.map((d) => `${d.label} (${d.reason}) ${d.count}`).join(', ')}`);
      io.stdout.write(`${lines.join('\n')}\n`);
    }
    if (refused) {
      throw new ValidationError('ingest-too-many-rejects',
        `${summary.rejected} of ${summary.rows} rows rejected (${Math.round(share)}%), more than ${values['max-rejects'] === undefined ? 'ingest.maxRejectPercent' : '--max-rejects'} ${maxRejects}%; nothing was added${summary.rejectsPath === null ? '' : ` (see ${summary.rejectsPath})`}`);
    }
    return 0;
  } finally {
    if (ingestId !== undefined && !finished) await writer.abortIngest(ingestId).catch(() => undefined);
    writer.close();
  }
}
