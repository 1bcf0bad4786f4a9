/**
 * `venn remove`: removes identifiers from a list, read from a file or standard input with the
 * same canonicalization as `venn ingest`. They stop matching from the next round; matches
 * already recorded keep their history.
 */
import { ValidationError } from '@venn/errors';
import { digestToHex, ingestFile, isIdentifierKind } from '@venn/identifiers';
import type { CommandIo } from '../main.js';
import { UsageError, parseCommand, stringOption, writeJson, type CommandSpec } from '../internal/command.js';
import { loadConfig } from '../internal/config.js';
import { ADMIN_BATCH, openListWriter } from '../internal/list-writer.js';
import { dirOption } from '../internal/node-dir.js';
import { inputPlan, readingOptions, rejectBreakdown, rejectsPath } from './ingest.js';

export const spec: CommandSpec = {
  name: 'remove',
  summary: 'Remove from a list every item whose identifier appears in FILE (CSV, TSV or JSONL, gzipped or not) or standard input ("-"), whatever its account. Identifiers are read with the list\'s kind and canonicalized as by venn ingest. Removed identifiers stop matching from the next round; matches already recorded are kept.',
  synopsis: 'FILE|-',
  positionals: { min: 1, max: 1 },
  details: 'Exits 1 after removing the rest when some row of FILE cannot be read as an identifier (see the rejects file).',
  options: {
    dir: { type: 'string', value: 'DIR', description: 'node directory' },
    list: { type: 'string', value: 'NAME', description: 'the list to remove from' },
    ...readingOptions,
    json: { type: 'boolean', description: 'print the counts as JSON' },
  },
};

export async function run(argv: string[], io: CommandIo): Promise<number> {
  const parsed = parseCommand(spec, argv, io);
  if (parsed === null) return 0;
  const { values, positionals } = parsed;
  const plan = inputPlan(positionals[0]!, values, spec);
  const list = stringOption(values, 'list', spec);
  const config = loadConfig(dirOption(values, spec));
  const rejects = rejectsPath(plan, values, spec, config);
  const writer = await openListWriter(config, 'remove');
  try {
    const kind = await writer.listKind(list);
    if (!isIdentifierKind(kind)) throw new ValidationError('unknown-kind', `list ${list} has kind ${kind}, which this version does not know`);
    const digests = new Map<string, Uint8Array>();
    const summary = await ingestFile(plan.file ?? io.stdin ?? process.stdin, {
      format: plan.format, delimiter: plan.delimiter, kind,
      column: stringOption(values, 'column', spec, true), region: stringOption(values, 'region', spec, true),
      regionColumn: stringOption(values, 'region-column', spec, true), prehashed: values['prehashed'] === true,
      rejectsPath: rejects,
      onRecord: (record) => void digests.set(digestToHex(record.digest), record.digest),
    });
    let removed = 0;
    let digestsFound = 0;
    let listSize = 0;
    const all = [...digests.values()];
    for (let at = 0; at < all.length || at === 0; at += ADMIN_BATCH) {
      const result = await writer.removeItems(list, all.slice(at, at + ADMIN_BATCH));
      removed += result.removed;
      digestsFound += result.digestsFound;
      listSize = result.listSize;
      if (all.length === 0) break;
    }
    const report = {
      file: plan.file ?? '-', list, kind, rows: summary.rows, identifiers: digests.size, found: digestsFound, notFound: digests.size - digestsFound,
      removed, rejected: summary.rejected, rejectsPath: summary.rejectsPath, rejectCounts: summary.rejectCounts, listSize, via: writer.via,
    };
    if (values['json'] === true) {
      writeJson(io, report);
    } else {
      io.stdout.write(`${summary.rows} rows, ${digests.size} distinct identifiers: ${digestsFound} found and removed (${removed} items), ${report.notFound} not in list ${list}, ${summary.rejected} rejected${summary.rejectsPath === null ? '' : ` (see ${summary.rejectsPath})`}; list ${list} now holds ${listSize}\n`);
    }
    if (summary.rejected > 0) {
      throw new ValidationError('remove-rejects', `${summary.rejected} rows could not be read as ${kind} identifiers and were not removed: ${rejectBreakdown(summary)}${summary.rejectsPath === null ? '' : ` (see ${summary.rejectsPath})`}`);
    }
    return 0;
  } catch (error) {
    if (error instanceof ValidationError && error.code === 'unknown-list') throw new UsageError(error.message);
    throw error;
  } finally {
    writer.close();
  }
}
