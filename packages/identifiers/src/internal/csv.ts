/** RFC 4180 CSV lists through csv-parse, streamed: a header row, columns chosen by name. */
import { parse, type CsvError } from 'csv-parse';
import { ValidationError } from '@venn/errors';
import type { IngestReject, RawRow } from './rows.js';
import { rowReject } from './rows.js';
import { byteChunks, type ByteCounter, type ByteInput } from './sources.js';
import { excerpt, trim } from './text.js';

export interface ColumnNames {
  readonly value: string;
  readonly accountRef?: string | undefined;
  readonly category?: string | undefined;
  readonly firstSeen?: string | undefined;
  readonly reason?: string | undefined;
}

interface ColumnIndexes {
  readonly count: number;
  readonly value: number;
  readonly accountRef: number;
  readonly category: number;
  readonly firstSeen: number;
  readonly reason: number;
}

function resolveColumns(header: string[], names: ColumnNames, line: number): ColumnIndexes {
  const trimmed = header.map((name) => trim(name));
  const shown = excerpt(trimmed.map((name) => JSON.stringify(name)).join(', '), 200);
  const find = (option: string, name: string | undefined): number => {
    if (name === undefined) return -1;
    const first = trimmed.indexOf(name);
    if (first === -1) {
      throw new ValidationError('ingest-missing-column', `"${option}" names column ${JSON.stringify(name)}, which the header row (line ${line}) does not have; header: ${shown}`);
    }
    if (trimmed.indexOf(name, first + 1) !== -1) {
      throw new ValidationError('ingest-duplicate-column', `"${option}" names column ${JSON.stringify(name)}, which the header row (line ${line}) has more than once`);
    }
    return first;
  };
  return {
    count: header.length,
    value: find('column', names.value),
    accountRef: find('accountColumn', names.accountRef),
    category: find('labelColumns.category', names.category),
    firstSeen: find('labelColumns.first_seen', names.firstSeen),
    reason: find('labelColumns.reason', names.reason),
  };
}

/** Line breaks inside a record's fields; csv-parse counts a CRLF inside quotes as two lines. */
function lineBreaks(fields: readonly string[]): { breaks: number; crlf: number } {
  let breaks = 0;
  let crlf = 0;
  for (const field of fields) {
    if (field.indexOf('\n') === -1 && field.indexOf('\r') === -1) continue;
    for (let i = 0; i < field.length; i++) {
      const code = field.charCodeAt(i);
      if (code === 0x0d) {
        breaks++;
        if (field.charCodeAt(i + 1) === 0x0a) {
          crlf++;
          i++;
        }
      } else if (code === 0x0a) {
        breaks++;
      }
    }
  }
  return { breaks, crlf };
}

/** csv-parse puts its line counter on errors as an untyped context field. */
function errorLine(error: { readonly [key: string]: unknown }): number {
  return typeof error['lines'] === 'number' ? error['lines'] : 0;
}

const QUOTE_ERRORS = new Set(['INVALID_OPENING_QUOTE', 'CSV_INVALID_CLOSING_QUOTE', 'CSV_QUOTE_NOT_CLOSED', 'CSV_NON_TRIMABLE_CHAR_AFTER_CLOSING_QUOTE']);

export async function* csvRows(input: ByteInput, names: ColumnNames, maxRecordBytes: number, counter: ByteCounter): AsyncGenerator<(RawRow | IngestReject)[]> {
  const skipped: { afterRecords: number; error: CsvError }[] = [];
  const parser = parse({
    bom: true,
    record_delimiter: ['\r\n', '\n', '\r'],
    relax_column_count: true,
    // Blank lines come through as [""] so that every physical line is accounted for.
    skip_empty_lines: false,
    skip_records_with_error: true,
    max_record_size: maxRecordBytes,
    on_skip: (error) => {
      if (error === undefined) return undefined;
      // csv-parse drops the rest of its buffer after this error, so stopping is the only honest option.
      if (error.code === 'CSV_MAX_RECORD_SIZE') throw error;
      skipped.push({ afterRecords: parser.info.records, error });
      return undefined;
    },
  });
  // Errors surface through parser.errored after each write; the listener only keeps the
  // 'error' event from being unhandled.
  parser.on('error', () => undefined);

  let columns: ColumnIndexes | undefined;
  let records = 0;
  // Physical line on which the next record starts. csv-parse's `info` would give it at about
  // 2 µs a row, and counts a CRLF inside quotes twice; counting here is exact and cheap.
  let nextLine = 1;
  let crlfSoFar = 0;

  const skipReject = (error: CsvError): IngestReject => {
    const line = nextLine;
    // Resynchronize with the line on which csv-parse gave up on the record.
    nextLine = Math.max(nextLine, errorLine(error) - crlfSoFar) + 1;
    const what = QUOTE_ERRORS.has(error.code) ? 'unbalanced or misplaced double quote' : 'malformed record';
    return rowReject(line, 'csv-syntax', `line ${line}: ${what} (${error.code})`);
  };

  const take = (record: string[], batch: (RawRow | IngestReject)[]): void => {
    records++;
    while (skipped.length > 0 && (skipped[0]?.afterRecords ?? 0) < records) {
      const next = skipped.shift();
      if (next !== undefined) batch.push(skipReject(next.error));
    }
    const { breaks, crlf } = lineBreaks(record);
    crlfSoFar += crlf;
    const line = nextLine;
    nextLine += 1 + breaks;
    if (record.length === 1 && record[0] === '') return; // a blank line
    if (columns === undefined) {
      columns = resolveColumns(record, names, line);
      return;
    }
    if (record.length !== columns.count) {
      batch.push(rowReject(line, 'field-count', `line ${line}: expected ${columns.count} fields as in the header, got ${record.length}`));
      return;
    }
    batch.push({
      line,
      value: record[columns.value],
      accountRef: record[columns.accountRef],
      category: record[columns.category],
      firstSeen: record[columns.firstSeen],
      reason: record[columns.reason],
    });
  };

  const drain = (): (RawRow | IngestReject)[] => {
    const batch: (RawRow | IngestReject)[] = [];
    for (let record = parser.read() as string[] | null; record !== null; record = parser.read() as string[] | null) take(record, batch);
    return batch;
  };

  const failIfErrored = (): void => {
    const error = parser.errored;
    if (error === null) return;
    if ((error as CsvError).code === 'CSV_MAX_RECORD_SIZE') {
      const line = Math.max(nextLine, errorLine(error as CsvError) - crlfSoFar);
      throw new ValidationError('ingest-record-too-large', `line ${line}: a CSV record exceeds ${maxRecordBytes} bytes (an unclosed quote?); the file was not read to the end`, { cause: error });
    }
    throw new ValidationError('ingest-csv', `the CSV input could not be parsed: ${error.message}`, { cause: error });
  };

  try {
    for await (const chunk of byteChunks(input, counter)) {
      // csv-parse parses a written chunk synchronously; its records are then read out at once.
      parser.write(chunk);
      const batch = drain();
      if (batch.length > 0) yield batch;
      failIfErrored();
    }
    parser.end();
    const tail: (RawRow | IngestReject)[] = [];
    // The last record is pushed by the parser's flush, which runs asynchronously after end().
    for await (const record of parser as AsyncIterable<string[]>) take(record, tail);
    failIfErrored();
    for (const { error } of skipped.splice(0)) tail.push(skipReject(error));
    if (tail.length > 0) yield tail;
  } finally {
    parser.destroy();
  }
  if (columns === undefined) throw new ValidationError('ingest-empty-file', 'the CSV input has no header row');
}
