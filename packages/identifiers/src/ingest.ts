/** Streaming readers for identifier lists (CSV, JSONL) and the ingest report (protocol-spec/identifiers.md §8). */
import { access, constants } from 'node:fs/promises';
import { ValidationError, describe } from '@venn/errors';
import { csvRows, type ColumnNames } from './internal/csv.js';
import { DigestSet } from './internal/digest-set.js';
import { jsonlRows } from './internal/jsonl.js';
import { normalizeRegion } from './internal/phone.js';
import { RejectsWriter } from './internal/rejects.js';
import { toEvent, type IngestEvent, type IngestRecord, type IngestReject, type RawRow, type RowRules } from './internal/rows.js';
import type { ByteCounter, ByteInput } from './internal/sources.js';
import { HygieneList } from './hygiene.js';
import { isIdentifierKind, IDENTIFIER_KINDS, type IdentifierKind } from './kinds.js';

export type { IngestEvent, IngestLabels, IngestRecord, IngestReject } from './internal/rows.js';

/** A record (header row, quoted line breaks included) or JSONL line longer than this is refused. */
export const DEFAULT_MAX_RECORD_BYTES = 4 * 1024 * 1024;

export interface ReadIdentifiersOptions {
  readonly format: 'csv' | 'jsonl';
  readonly kind: IdentifierKind;
  /** CSV column or JSONL member holding the identifier; defaults to the kind's name. */
  readonly column?: string | undefined;
  /** Default region for phone numbers without "+" (ISO 3166-1 alpha-2). */
  readonly region?: string | undefined;
  /** Values are hex digests per spec §10 instead of raw identifiers (§8.1). */
  readonly prehashed?: boolean | undefined;
  /** Column or member with the lab's local account reference; it never leaves the node. */
  readonly accountColumn?: string | undefined;
  /** Columns or members with the shareable labels. Only those named are read. */
  readonly labelColumns?: { readonly category?: string; readonly first_seen?: string; readonly reason?: string } | undefined;
  readonly maxRecordBytes?: number | undefined;
  /** The hygiene list in force (identifiers.md §12; see hygieneList). Default: the built-in list. */
  readonly hygiene?: HygieneList | undefined;
}

interface Plan {
  readonly format: 'csv' | 'jsonl';
  readonly names: ColumnNames;
  readonly rules: RowRules;
  readonly maxRecordBytes: number;
}

function plan(options: ReadIdentifiersOptions): Plan {
  if (typeof options !== 'object' || options === null) throw new ValidationError('invalid-options', `"options" expected an object, got ${describe(options)}`);
  const { format, kind } = options;
  if (format !== 'csv' && format !== 'jsonl') throw new ValidationError('invalid-options', `"format" expected "csv" or "jsonl", got ${describe(format)}`);
  if (!isIdentifierKind(kind)) throw new ValidationError('invalid-kind', `"kind" expected one of ${IDENTIFIER_KINDS.join(', ')}, got ${describe(kind)}`);
  const maxRecordBytes = options.maxRecordBytes ?? DEFAULT_MAX_RECORD_BYTES;
  if (!Number.isSafeInteger(maxRecordBytes) || maxRecordBytes < 1024) {
    throw new ValidationError('invalid-options', `"maxRecordBytes" expected an integer of at least 1024, got ${describe(maxRecordBytes)}`);
  }
  const column = options.column ?? kind;
  for (const [field, name] of [['column', column], ['accountColumn', options.accountColumn], ['labelColumns.category', options.labelColumns?.category], ['labelColumns.first_seen', options.labelColumns?.first_seen], ['labelColumns.reason', options.labelColumns?.reason]] as const) {
    if (name !== undefined && (typeof name !== 'string' || name.length === 0)) {
      throw new ValidationError('invalid-options', `"${field}" expected a non-empty column name, got ${describe(name)}`);
    }
  }
  if (options.hygiene !== undefined && !(options.hygiene instanceof HygieneList)) {
    throw new ValidationError('invalid-options', `"hygiene" expected a HygieneList, got ${describe(options.hygiene)}`);
  }
  // A bad region would reject every row; refuse it before reading anything.
  const region = kind === 'phone' && options.region !== undefined && options.prehashed !== true ? normalizeRegion(options.region) : undefined;
  return {
    format,
    maxRecordBytes,
    names: { value: column, accountRef: options.accountColumn, category: options.labelColumns?.category, firstSeen: options.labelColumns?.first_seen, reason: options.labelColumns?.reason },
    rules: { kind, region, prehashed: options.prehashed === true, column, hygiene: options.hygiene },
  };
}

/**
 * Rows in batches of one input chunk each: per-row async steps would cost more than the row.
 * Rows become events only as they are consumed, so each event dies young.
 */
async function* rowBatches(input: ByteInput, options: ReadIdentifiersOptions, counter: ByteCounter): AsyncGenerator<{ rows: (RawRow | IngestReject)[]; rules: RowRules }> {
  const { format, names, rules, maxRecordBytes } = plan(options);
  const batches = format === 'csv' ? csvRows(input, names, maxRecordBytes, counter) : jsonlRows(input, names, maxRecordBytes, counter);
  for await (const rows of batches) yield { rows, rules };
}

function toIngestEvent(row: RawRow | IngestReject, rules: RowRules): IngestEvent {
  return 'type' in row ? row : toEvent(row, rules);
}

async function* events(input: ByteInput, options: ReadIdentifiersOptions): AsyncGenerator<IngestEvent> {
  for await (const { rows, rules } of rowBatches(input, options, { bytes: 0 })) {
    for (const row of rows) yield toIngestEvent(row, rules);
  }
}

/**
 * Reads a CSV (RFC 4180, header row) or JSONL list as a stream and yields one event per row:
 * a record with its digest, or a reject with its line and reason. Memory stays constant.
 * Throws a ValidationError for problems that concern the whole input: a missing column, no
 * header, UTF-16 input, a CSV record over `maxRecordBytes`, an unreadable file.
 */
export function readIdentifiers(input: string | AsyncIterable<Uint8Array | string>, options: ReadIdentifiersOptions): AsyncGenerator<IngestEvent> {
  // Bad options throw here, at the call, rather than at the first iteration.
  plan(options);
  return events(input, options);
}

export interface IngestFileOptions extends ReadIdentifiersOptions {
  /** Where rejected rows are written; defaults to `<path>.rejects.csv`. */
  readonly rejectsPath?: string | undefined;
  /** Receives each accepted, non-duplicate record in file order; awaited when it returns a promise. */
  readonly onRecord?: ((record: IngestRecord) => void | Promise<void>) | undefined;
  readonly onProgress?: ((rows: number, bytes: number) => void) | undefined;
  /** Rows between onProgress calls (default 100,000); it is also called once at the end. */
  readonly progressEvery?: number | undefined;
  /**
   * Duplicate detection. Returns true when the digest was seen before and records it otherwise.
   * Without it, an in-memory set of the file's digests is kept (about 40 bytes per distinct row).
   */
  readonly seen?: ((digest: Uint8Array) => boolean | Promise<boolean>) | undefined;
}

export interface IngestSummary {
  /** Data rows read: accepted + duplicates + rejected. */
  readonly rows: number;
  readonly accepted: number;
  readonly duplicates: number;
  readonly rejected: number;
  readonly bytes: number;
  readonly rejectsPath: string;
  /** Rejected rows per reason (identifiers.md §9). */
  readonly rejectReasons: Readonly<Record<string, number>>;
  /** Rows rejected by the hygiene list (§12), per rule id. */
  readonly hygieneRules: Readonly<Record<string, number>>;
}

/**
 * Ingests one list file: every row is accepted (passed to onRecord), counted as a duplicate of
 * an earlier row with the same digest, or rejected and written to the rejects file with its
 * line and reason. The rejects file is always written, so a stale one never misleads.
 */
export async function ingestFile(path: string, options: IngestFileOptions): Promise<IngestSummary> {
  if (typeof path !== 'string' || path.length === 0) throw new ValidationError('invalid-input', `"path" expected a file path, got ${describe(path)}`);
  plan(options);
  const progressEvery = options.progressEvery ?? 100_000;
  if (!Number.isSafeInteger(progressEvery) || progressEvery < 1) {
    throw new ValidationError('invalid-options', `"progressEvery" expected a positive integer, got ${describe(progressEvery)}`);
  }
  const rejectsPath = options.rejectsPath ?? `${path}.rejects.csv`;
  // Fail on an unreadable input before a rejects file is created next to it.
  try {
    await access(path, constants.R_OK);
  } catch (error) {
    throw new ValidationError('ingest-read', `"${path}" could not be read: ${error instanceof Error ? error.message : String(error)}`, { cause: error });
  }
  const counter: ByteCounter = { bytes: 0 };
  const digests = options.seen === undefined ? new DigestSet() : undefined;
  const seen = options.seen ?? ((digest: Uint8Array) => !(digests as DigestSet).add(digest));
  const rejects = new RejectsWriter(rejectsPath);
  let rows = 0;
  let accepted = 0;
  let duplicates = 0;
  let rejected = 0;
  const rejectReasons: Record<string, number> = {};
  const hygieneRules: Record<string, number> = {};
  try {
    for await (const { rows: batch, rules } of rowBatches(path, options, counter)) {
      for (const row of batch) {
        const event = toIngestEvent(row, rules);
        rows++;
        if (event.type === 'reject') {
          rejected++;
          rejectReasons[event.reason] = (rejectReasons[event.reason] ?? 0) + 1;
          if (event.rule !== undefined) hygieneRules[event.rule] = (hygieneRules[event.rule] ?? 0) + 1;
          await rejects.write(event);
        } else {
          const duplicate = seen(event.digest);
          if (typeof duplicate === 'boolean' ? duplicate : await duplicate) {
            duplicates++;
          } else {
            accepted++;
            const pending = options.onRecord?.(event);
            if (pending !== undefined) await pending;
          }
        }
        if (rows % progressEvery === 0) options.onProgress?.(rows, counter.bytes);
      }
    }
  } finally {
    await rejects.close();
  }
  options.onProgress?.(rows, counter.bytes);
  return { rows, accepted, duplicates, rejected, bytes: counter.bytes, rejectsPath, rejectReasons, hygieneRules };
}
