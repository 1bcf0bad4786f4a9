/**
 * RFC 4180 lists, streamed: a header row, columns chosen by name, any one-character delimiter
 * (comma, tab, ...). A record that breaks the quoting rules is rejected at the line where it
 * starts and reading resumes at the next physical line, so one stray quote never takes the rows
 * after it along (protocol-spec/identifiers.md §8).
 */
import { StringDecoder } from 'node:string_decoder';
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
  /** Per-row default region for phone numbers. */
  readonly region?: string | undefined;
}

interface ColumnIndexes {
  readonly count: number;
  readonly value: number;
  readonly accountRef: number;
  readonly category: number;
  readonly firstSeen: number;
  readonly reason: number;
  readonly region: number;
}

function resolveColumns(header: readonly string[], names: ColumnNames, line: number): ColumnIndexes {
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
    region: find('regionColumn', names.region),
  };
}

const QUOTE = '"';
type FieldState = 'start' | 'unquoted' | 'quoted' | 'closed';

/**
 * One record, fed a physical line at a time. A quoted field may span lines (the line break is
 * part of its value); anything else that breaks RFC 4180 is an error for the whole record.
 */
class RecordReader {
  readonly fields: string[] = [];
  private field = '';
  private state: FieldState = 'start';

  constructor(private readonly delimiter: string) {}

  /** Reads one line; 'open' means a quoted field continues on the next line. */
  feed(line: string): 'done' | 'open' | { error: string } {
    const { delimiter } = this;
    let i = 0;
    const n = line.length;
    while (i < n) {
      if (this.state === 'start') {
        if (line[i] === QUOTE) {
          this.state = 'quoted';
          i++;
        } else {
          this.state = 'unquoted';
        }
      } else if (this.state === 'unquoted') {
        const end = line.indexOf(delimiter, i);
        const segment = line.slice(i, end === -1 ? n : end);
        if (segment.includes(QUOTE)) return { error: 'a double quote inside an unquoted field' };
        this.field += segment;
        if (end === -1) {
          i = n;
        } else {
          this.endField();
          i = end + 1;
        }
      } else if (this.state === 'quoted') {
        const quote = line.indexOf(QUOTE, i);
        if (quote === -1) {
          this.field += line.slice(i);
          i = n;
        } else if (line[quote + 1] === QUOTE) {
          this.field += line.slice(i, quote + 1);
          i = quote + 2;
        } else {
          this.field += line.slice(i, quote);
          this.state = 'closed';
          i = quote + 1;
        }
      } else if (line[i] === delimiter) {
        this.endField();
        i++;
      } else {
        return { error: 'characters after the closing double quote of a field' };
      }
    }
    if (this.state === 'quoted') return 'open';
    this.endField();
    return 'done';
  }

  /** A line break inside a quoted field is part of its value, as written. */
  lineBreak(terminator: string): void {
    this.field += terminator;
  }

  private endField(): void {
    this.fields.push(this.field);
    this.field = '';
    this.state = 'start';
  }
}

interface PhysicalLine {
  readonly text: string;
  readonly line: number;
  readonly terminator: string;
}

/** A record whose quoted field spans lines: the lines so far, kept to re-read if it breaks. */
interface OpenRecord {
  readonly reader: RecordReader;
  readonly line: number;
  readonly lines: PhysicalLine[];
  size: number;
}

const sizeOf = (text: string): number => Buffer.byteLength(text);

export interface CsvFormat {
  readonly delimiter: string;
  readonly maxRecordBytes: number;
}

export async function* csvRows(input: ByteInput, names: ColumnNames, format: CsvFormat, counter: ByteCounter): AsyncGenerator<(RawRow | IngestReject)[]> {
  const { delimiter, maxRecordBytes } = format;
  let columns: ColumnIndexes | undefined;
  let lineNumber = 0;
  let open: OpenRecord | undefined;
  let batch: (RawRow | IngestReject)[] = [];

  const emit = (fields: readonly string[], line: number): void => {
    if (fields.length === 1 && fields[0] === '') return; // a blank line
    if (columns === undefined) {
      columns = resolveColumns(fields, names, line);
      return;
    }
    // Trailing empty fields are often left out by exporters: read them as empty. More fields
    // than the header would shift values between columns, so such a row is rejected.
    if (fields.length > columns.count) {
      batch.push(rowReject(line, 'field-count', `line ${line}: expected ${columns.count} fields as in the header, got ${fields.length}`));
      return;
    }
    const at = (index: number): string | undefined => (index === -1 ? undefined : fields[index]);
    batch.push({
      line,
      value: at(columns.value),
      accountRef: at(columns.accountRef),
      category: at(columns.category),
      firstSeen: at(columns.firstSeen),
      reason: at(columns.reason),
      region: at(columns.region),
    });
  };

  const reject = (line: number, reason: string, message: string): void => {
    if (columns === undefined) throw new ValidationError('ingest-csv', `the header row (line ${line}) could not be read: ${message}`);
    batch.push(rowReject(line, reason, `line ${line}: ${message}`));
  };

  /** The record failed: reject the line it started on and read the lines after it afresh. */
  const abandon = (record: OpenRecord, message: string, pending: PhysicalLine[]): void => {
    reject(record.line, 'csv-syntax', message);
    pending.unshift(...record.lines.slice(1));
  };

  const readLine = (physical: PhysicalLine, pending: PhysicalLine[]): void => {
    if (open !== undefined) {
      const record = open;
      record.lines.push(physical);
      record.size += sizeOf(physical.text) + physical.terminator.length;
      if (record.size > maxRecordBytes) {
        open = undefined;
        abandon(record, `a quoted field is still open after ${maxRecordBytes} bytes (an unclosed double quote?)`, pending);
        return;
      }
      const result = record.reader.feed(physical.text);
      if (result === 'open') {
        record.reader.lineBreak(physical.terminator);
        return;
      }
      open = undefined;
      if (result === 'done') emit(record.reader.fields, record.line);
      else abandon(record, result.error, pending);
      return;
    }
    // Most lines hold no quote at all: split them without the field-by-field reader.
    if (!physical.text.includes(QUOTE)) {
      emit(physical.text.split(delimiter), physical.line);
      return;
    }
    const reader = new RecordReader(delimiter);
    const result = reader.feed(physical.text);
    if (result === 'done') {
      emit(reader.fields, physical.line);
    } else if (result === 'open') {
      reader.lineBreak(physical.terminator);
      open = { reader, line: physical.line, lines: [physical], size: sizeOf(physical.text) + physical.terminator.length };
    } else {
      reject(physical.line, 'csv-syntax', result.error);
    }
  };

  /** Reads `first`, then whatever an abandoned record handed back, in line order. */
  const read = (first: PhysicalLine): void => {
    const pending: PhysicalLine[] = [first];
    for (let next = pending.shift(); next !== undefined; next = pending.shift()) readLine(next, pending);
  };

  const decoder = new StringDecoder('utf8');
  let carry = '';
  // Set while the rest of an over-long line is skipped without being held in memory.
  let skipping: number | undefined;
  let first = true;

  const scan = (text: string, final: boolean): void => {
    let pos = 0;
    let nextLf = -2;
    let nextCr = -2;
    for (;;) {
      if (nextLf !== -1 && nextLf < pos) nextLf = text.indexOf('\n', pos);
      if (nextCr !== -1 && nextCr < pos) nextCr = text.indexOf('\r', pos);
      const end = nextLf === -1 ? nextCr : nextCr === -1 ? nextLf : Math.min(nextLf, nextCr);
      if (end === -1 || (end === nextCr && end === text.length - 1 && !final)) {
        // No complete line left (a CR at the very end may be the first half of a CRLF).
        const rest = text.slice(pos);
        if (skipping !== undefined) {
          carry = '';
        } else if (sizeOf(rest) > maxRecordBytes) {
          lineNumber++;
          skipping = lineNumber;
          carry = '';
        } else {
          carry = rest;
        }
        if (final && carry !== '') {
          lineNumber++;
          read({ text: carry, line: lineNumber, terminator: '' });
          carry = '';
        }
        if (final && skipping !== undefined) {
          const line = skipping;
          skipping = undefined;
          reject(line, 'record-too-large', `longer than ${maxRecordBytes} bytes`);
        }
        return;
      }
      const terminator = text[end] === '\r' && text[end + 1] === '\n' ? '\r\n' : text[end]!;
      if (skipping !== undefined) {
        const line = skipping;
        skipping = undefined;
        if (open !== undefined) {
          const record = open;
          open = undefined;
          const pending: PhysicalLine[] = [];
          abandon(record, `a quoted field is still open after ${maxRecordBytes} bytes (an unclosed double quote?)`, pending);
          for (const next of pending) read(next);
        }
        reject(line, 'record-too-large', `longer than ${maxRecordBytes} bytes`);
      } else {
        lineNumber++;
        read({ text: text.slice(pos, end), line: lineNumber, terminator });
      }
      pos = end + terminator.length;
    }
  };

  for await (const chunk of byteChunks(input, counter)) {
    let text = decoder.write(chunk);
    if (first) {
      first = false;
      if (text.charCodeAt(0) === 0xfeff) text = text.slice(1);
    }
    scan(carry + text, false);
    if (batch.length > 0) {
      yield batch;
      batch = [];
    }
  }
  scan(carry + decoder.end(), true);
  // A quote still open at the end was never closed: its first line is rejected and the lines
  // after it are read afresh (they may open another quote that never closes).
  while (open !== undefined) {
    const record: OpenRecord = open;
    open = undefined;
    const pending: PhysicalLine[] = [];
    abandon(record, 'the double quote that opens a field is never closed', pending);
    for (const next of pending) read(next);
  }
  if (batch.length > 0) yield batch;
  if (columns === undefined) throw new ValidationError('ingest-empty-file', 'the CSV input has no header row');
}
