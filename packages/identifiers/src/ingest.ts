/** Streaming readers for identifier lists (CSV, JSONL) and the ingest report (protocol-spec/identifiers.md §8). */
import { createHash } from 'node:crypto';
import { access, constants } from 'node:fs/promises';
import { EnvironmentError, ValidationError, describe } from '@venn/errors';
import { csvRows, type ColumnNames } from './internal/csv.js';
import { DigestSet } from './internal/digest-set.js';
import { jsonlRows } from './internal/jsonl.js';
import { normalizeRegion } from './internal/phone.js';
import { RejectsWriter, removeStaleRejects } from './internal/rejects.js';
import { toEvent, type IngestEvent, type IngestRecord, type IngestReject, type LabelWarning, type RawRow, type RowRules } from './internal/rows.js';
import type { ByteCounter, ByteInput } from './internal/sources.js';
import { HygieneList } from './hygiene.js';
import { isIdentifierKind, IDENTIFIER_KINDS, type IdentifierKind } from './kinds.js';

export type { IngestEvent, IngestLabels, IngestRecord, IngestReject, LabelWarning } from './internal/rows.js';

/** A CSV record (quoted line breaks included) or JSONL line longer than this is one rejected row. */
export const DEFAULT_MAX_RECORD_BYTES = 4 * 1024 * 1024;

export interface ReadIdentifiersOptions {
  readonly format: 'csv' | 'jsonl';
  /** CSV field delimiter, one character: "," (the default), "\t" for TSV, ";", "|". */
  readonly delimiter?: string | undefined;
  readonly kind: IdentifierKind;
  /** CSV column or JSONL member holding the identifier; defaults to the kind's name. */
  readonly column?: string | undefined;
  /** Default region for phone numbers without "+" (ISO 3166-1 alpha-2). */
  readonly region?: string | undefined;
  /** Values are hex digests per spec §10 instead of raw identifiers (§8.1). */
  readonly prehashed?: boolean | undefined;
  /** Column or member with each row's own default region for phone numbers (blank: `region`). */
  readonly regionColumn?: string | undefined;
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
  readonly delimiter: string;
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
  const delimiter = options.delimiter ?? ',';
  if (typeof delimiter !== 'string' || delimiter.length !== 1 || delimiter === '"' || delimiter === '\r' || delimiter === '\n') {
    throw new ValidationError('invalid-options', `"delimiter" expected one character other than a double quote or a line break, got ${describe(delimiter)}`);
  }
  const column = options.column ?? kind;
  for (const [field, name] of [['column', column], ['accountColumn', options.accountColumn], ['regionColumn', options.regionColumn], ['labelColumns.category', options.labelColumns?.category], ['labelColumns.first_seen', options.labelColumns?.first_seen], ['labelColumns.reason', options.labelColumns?.reason]] as const) {
    if (name !== undefined && (typeof name !== 'string' || name.length === 0)) {
      throw new ValidationError('invalid-options', `"${field}" expected a non-empty column name, got ${describe(name)}`);
    }
  }
  if (options.hygiene !== undefined && !(options.hygiene instanceof HygieneList)) {
    throw new ValidationError('invalid-options', `"hygiene" expected a HygieneList, got ${describe(options.hygiene)}`);
  }
  // A bad region would reject every row; refuse it before reading anything.
  const region = kind === 'phone' && options.region !== undefined && options.prehashed !== true ? normalizeRegion(options.region) : undefined;
  if (options.regionColumn !== undefined && kind !== 'phone') {
    throw new ValidationError('invalid-options', `"regionColumn" applies to phone lists only, got kind ${kind}`);
  }
  return {
    format,
    delimiter,
    maxRecordBytes,
    names: {
      value: column, accountRef: options.accountColumn, category: options.labelColumns?.category, firstSeen: options.labelColumns?.first_seen,
      reason: options.labelColumns?.reason, region: options.prehashed === true ? undefined : options.regionColumn,
    },
    rules: { kind, region, prehashed: options.prehashed === true, column, hygiene: options.hygiene },
  };
}

/**
 * Rows in batches of one input chunk each: per-row async steps would cost more than the row.
 * Rows become events only as they are consumed, so each event dies young.
 */
async function* rowBatches(input: ByteInput, options: ReadIdentifiersOptions, counter: ByteCounter): AsyncGenerator<{ rows: (RawRow | IngestReject)[]; rules: RowRules }> {
  const { format, delimiter, names, rules, maxRecordBytes } = plan(options);
  const batches = format === 'csv' ? csvRows(input, names, { delimiter, maxRecordBytes }, counter) : jsonlRows(input, names, maxRecordBytes, counter);
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
 * Throws a ValidationError for problems that concern the whole input: a missing column (a JSONL
 * member that no object has), no header, UTF-16 input, an unreadable file. A record over
 * `maxRecordBytes` and a quoting error are rejected rows, and reading goes on.
 */
export function readIdentifiers(input: string | AsyncIterable<Uint8Array | string>, options: ReadIdentifiersOptions): AsyncGenerator<IngestEvent> {
  // Bad options throw here, at the call, rather than at the first iteration.
  plan(options);
  return events(input, options);
}

export interface IngestFileOptions extends ReadIdentifiersOptions {
  /**
   * Where rejected rows are written; defaults to `<path>.rejects.csv` for a file and is required
   * for a stream. Created 0600 at the first reject; none is written when nothing is rejected.
   */
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

/** How many rows were rejected for one code and reason. */
export interface RejectCount {
  readonly code: string;
  readonly reason: string;
  readonly count: number;
}

/** How many rows lost one label for one reason (the rows themselves were accepted). */
export interface DroppedLabelCount {
  readonly label: LabelWarning['label'];
  readonly reason: string;
  readonly count: number;
}

export interface IngestSummary {
  /** Data rows read: accepted + duplicates + rejected. */
  readonly rows: number;
  readonly accepted: number;
  readonly duplicates: number;
  readonly rejected: number;
  /** Rejects by code and reason, most frequent first; the counts add up to `rejected`. */
  readonly rejectCounts: readonly RejectCount[];
  /** Labels dropped from accepted rows, by label and reason. */
  readonly labelsDropped: readonly DroppedLabelCount[];
  readonly bytes: number;
  /** Rejected rows per reason (identifiers.md §9). */
  readonly rejectReasons: Readonly<Record<string, number>>;
  /** Rows rejected by the hygiene list (§12), per rule id. */
  readonly hygieneRules: Readonly<Record<string, number>>;
  /** SHA-256 of the input as read (the compressed bytes of a gzip file), hex. */
  readonly sha256: string;
  /** The rejects file, or null when nothing was rejected or dropped. */
  readonly rejectsPath: string | null;
}

function sortedCounts<T extends { count: number }>(counts: Map<string, T>): T[] {
  return [...counts.values()].sort((a, b) => b.count - a.count || JSON.stringify(a).localeCompare(JSON.stringify(b)));
}

/**
 * Ingests one list, a file or a stream: every row is accepted (passed to onRecord), counted as a
 * duplicate of an earlier row with the same digest, or rejected and written to the rejects file
 * with its line and reason. A label that breaks its rule is dropped from its row, which is kept;
 * the drop is counted and written to the rejects file too.
 */
export async function ingestFile(input: string | AsyncIterable<Uint8Array | string>, options: IngestFileOptions): Promise<IngestSummary> {
  const path = typeof input === 'string' ? input : undefined;
  if (path !== undefined && path.length === 0) throw new ValidationError('invalid-input', `"path" expected a file path, got ${describe(input)}`);
  if (path === undefined && (typeof input !== 'object' || input === null || !(Symbol.asyncIterator in input))) {
    throw new ValidationError('invalid-input', `"input" expected a file path or a readable stream, got ${describe(input)}`);
  }
  plan(options);
  const progressEvery = options.progressEvery ?? 100_000;
  if (!Number.isSafeInteger(progressEvery) || progressEvery < 1) {
    throw new ValidationError('invalid-options', `"progressEvery" expected a positive integer, got ${describe(progressEvery)}`);
  }
  const rejectsPath = options.rejectsPath ?? (path === undefined ? undefined : `${path}.rejects.csv`);
  if (rejectsPath === undefined) throw new ValidationError('invalid-options', '"rejectsPath" expected a path for the rejects of a stream, got nothing');
  if (path !== undefined) {
    // Fail on an unreadable input before anything else.
    try {
      await access(path, constants.R_OK);
    } catch (error) {
      const code = (error as NodeJS.ErrnoException).code;
      const detail = `"${path}" could not be read: ${error instanceof Error ? error.message : String(error)}`;
      throw code === 'EACCES' || code === 'EPERM' ? new EnvironmentError('ingest-read', detail, { cause: error }) : new ValidationError('ingest-read', detail, { cause: error });
    }
  }
  const hash = createHash('sha256');
  const counter: ByteCounter = { bytes: 0, hash };
  const digests = options.seen === undefined ? new DigestSet() : undefined;
  const seen = options.seen ?? ((digest: Uint8Array) => !(digests as DigestSet).add(digest));
  const rejects = new RejectsWriter(rejectsPath);
  const rejectCounts = new Map<string, RejectCount>();
  const dropped = new Map<string, DroppedLabelCount>();
  let rows = 0;
  let accepted = 0;
  let duplicates = 0;
  let rejected = 0;
  const rejectReasons: Record<string, number> = {};
  const hygieneRules: Record<string, number> = {};
  let finished = false;
  try {
    for await (const { rows: batch, rules } of rowBatches(input, options, counter)) {
      for (const row of batch) {
        const event = toIngestEvent(row, rules);
        rows++;
        if (event.type === 'reject') {
          rejected++;
          rejectReasons[event.reason] = (rejectReasons[event.reason] ?? 0) + 1;
          if (event.rule !== undefined) hygieneRules[event.rule] = (hygieneRules[event.rule] ?? 0) + 1;
          const key = `${event.code}\u0000${event.reason}`;
          const entry = rejectCounts.get(key);
          rejectCounts.set(key, { code: event.code, reason: event.reason, count: (entry?.count ?? 0) + 1 });
          await rejects.write(event);
        } else {
          for (const warning of event.warnings ?? []) {
            const key = `${warning.label}\u0000${warning.reason}`;
            const entry = dropped.get(key);
            dropped.set(key, { label: warning.label, reason: warning.reason, count: (entry?.count ?? 0) + 1 });
            await rejects.warn(event.line, warning);
          }
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
    finished = true;
  } finally {
    await rejects.close();
  }
  // A rejects file left by an earlier run of the same input would describe rows that are fine now.
  if (finished && !rejects.written) removeStaleRejects(rejectsPath);
  options.onProgress?.(rows, counter.bytes);
  return {
    rows, accepted, duplicates, rejected, rejectCounts: sortedCounts(rejectCounts), labelsDropped: sortedCounts(dropped),
    bytes: counter.bytes, sha256: hash.digest('hex'), rejectsPath: rejects.written ? rejectsPath : null, rejectReasons, hygieneRules,
  };
}
