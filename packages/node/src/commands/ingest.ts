/** `venn ingest`: streams a CSV or JSONL list through @venn/identifiers into the store (digests only). */
import { statSync } from 'node:fs';
import { extname, resolve } from 'node:path';
import { IDENTIFIER_KINDS, ingestFile, isIdentifierKind, type IngestRecord } from '@venn/identifiers';
import { hygieneFor, hygieneSummary } from '../internal/hygiene.js';
import type { CommandIo } from '../cli.js';
import { UsageError, parseCommand, stringOption, writeJson, type CommandSpec } from '../internal/command.js';
import { dirOption, openNode } from '../internal/node-dir.js';
import { createProgress } from '../internal/progress.js';
import type { ListItem } from '../internal/store.js';

export const spec: CommandSpec = {
  name: 'ingest',
  summary: 'Load identifiers from a .csv (with a header row) or .jsonl file into a list. Only digests and metadata are stored, never raw values. Rejected rows go to FILE.rejects.csv next to the input, among them values on the hygiene list (protocol-spec/identifiers.md §12: placeholders, shared device IDs, fiction phone ranges, non-unique IPs, the roster\'s identifierHygiene and the file named by hygiene.extraFile). Prints the counts and how many values each hygiene rule caught.',
  synopsis: 'FILE',
  positionals: { min: 1, max: 1 },
  options: {
    dir: { type: 'string', value: 'DIR', description: 'node directory' },
    kind: { type: 'string', value: 'KIND', description: `identifier kind: ${IDENTIFIER_KINDS.join(', ')}` },
    list: { type: 'string', value: 'NAME', description: 'list to add to (default: the kind)' },
    column: { type: 'string', value: 'COL', description: 'column (CSV) or member (JSONL) with the identifier (default: the kind)' },
    region: { type: 'string', value: 'CC', description: 'default region for phone numbers without "+", e.g. US' },
    prehashed: { type: 'boolean', description: 'values are hex digests (protocol-spec/identifiers.md), not raw identifiers' },
    'account-column': { type: 'string', value: 'COL', description: 'column with the local account reference (stays on this node)' },
    'category-column': { type: 'string', value: 'COL', description: 'column with the label "category"' },
    'first-seen-column': { type: 'string', value: 'COL', description: 'column with the label "first_seen" (YYYY-MM-DD)' },
    'reason-column': { type: 'string', value: 'COL', description: 'column with the label "reason"' },
    json: { type: 'boolean', description: 'print the counts as JSON' },
  },
};

const BATCH = 10_000;

export async function run(argv: string[], io: CommandIo): Promise<number> {
  const parsed = parseCommand(spec, argv, io);
  if (parsed === null) return 0;
  const { values, positionals } = parsed;
  const file = resolve(positionals[0]!);
  const extension = extname(file).toLowerCase();
  if (extension !== '.csv' && extension !== '.jsonl') throw new UsageError(`FILE expected a .csv or .jsonl file, got ${JSON.stringify(positionals[0])}`);
  const kind = stringOption(values, 'kind', spec);
  if (!isIdentifierKind(kind)) throw new UsageError(`"--kind" expected one of ${IDENTIFIER_KINDS.join(', ')}, got ${JSON.stringify(kind)}`);
  const listName = stringOption(values, 'list', spec, true) ?? kind;
  const labelColumns: { category?: string; first_seen?: string; reason?: string } = {};
  const category = stringOption(values, 'category-column', spec, true);
  if (category !== undefined) labelColumns.category = category;
  const firstSeen = stringOption(values, 'first-seen-column', spec, true);
  if (firstSeen !== undefined) labelColumns.first_seen = firstSeen;
  const reason = stringOption(values, 'reason-column', spec, true);
  if (reason !== undefined) labelColumns.reason = reason;

  const { config, store } = openNode(dirOption(values, spec));
  try {
    // identifiers.md §12: the built-in list, the roster's additions, this lab's extra file.
    const hygiene = hygieneFor(config);
    const list = store.ensureList(listName, kind);
    const ingestId = store.beginIngest(list.id, file);
    let size = 0;
    try {
      size = statSync(file).size;
    } catch {
      // ingestFile reports an unreadable input with its own typed error.
    }
    const progress = createProgress(io.stderr, `ingest ${listName}`, null);
    let batch: ListItem[] = [];
    let inserted = 0;
    let storeDuplicates = 0;
    const flush = (): void => {
      if (batch.length === 0) return;
      const result = store.addItems(list.id, batch, ingestId);
      inserted += result.inserted;
      storeDuplicates += result.duplicates;
      batch = [];
    };
    const summary = await ingestFile(file, {
      format: extension === '.csv' ? 'csv' : 'jsonl',
      kind,
      column: stringOption(values, 'column', spec, true),
      region: stringOption(values, 'region', spec, true),
      prehashed: values['prehashed'] === true,
      accountColumn: stringOption(values, 'account-column', spec, true),
      labelColumns,
      hygiene: hygiene.list,
      // Duplicates are decided by the store per (list, digest, account): two accounts sharing one
      // identifier are two rows, and re-ingesting a file adds nothing.
      seen: () => false,
      onRecord: (record: IngestRecord) => {
        batch.push({
          digest: record.digest, accountRef: record.accountRef, category: record.labels?.category,
          firstSeen: record.labels?.first_seen, reason: record.labels?.reason,
        });
        if (batch.length >= BATCH) flush();
      },
      progressEvery: 10_000,
      onProgress: (rows, bytes) => progress.update(rows, size > 0 ? `rows, ${Math.round((bytes / size) * 100)}% of ${size.toLocaleString('en-US')} bytes` : 'rows'),
    });
    flush();
    progress.finish();
    const counts = {
      file, list: listName, kind, rows: summary.rows, accepted: inserted, duplicates: summary.duplicates + storeDuplicates,
      rejected: summary.rejected, rejectsPath: summary.rejectsPath, listSize: store.listSummaries().find((l) => l.name === listName)?.items ?? 0,
      rejectReasons: summary.rejectReasons,
      hygiene: hygieneSummary(hygiene, summary),
    };
    store.finishIngest(ingestId, { accepted: counts.accepted, duplicates: counts.duplicates, rejected: counts.rejected, rejectsPath: counts.rejectsPath });
    if (values['json'] === true) {
      writeJson(io, counts);
    } else {
      io.stdout.write(`${counts.rows} rows: ${counts.accepted} accepted, ${counts.duplicates} duplicates, ${counts.rejected} rejected${counts.rejected > 0 ? ` (see ${counts.rejectsPath})` : ''}; list ${listName} (${kind}) now holds ${counts.listSize}\n`);
      io.stdout.write(`${counts.hygiene.text}\n`);
    }
    return 0;
  } finally {
    store.close();
  }
}
