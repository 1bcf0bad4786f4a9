/** JSONL lists: one JSON object per line, split on LF in constant memory. */
import type { ColumnNames } from './csv.js';
import type { IngestReject, RawRow } from './rows.js';
import { rowReject } from './rows.js';
import { byteChunks, type ByteCounter, type ByteInput } from './sources.js';
import { excerpt } from './text.js';
import { ValidationError } from '@venn/errors';

const BLANK = /^[ \t\r]*$/;

function member(object: Record<string, unknown>, name: string | undefined): unknown {
  return name !== undefined && Object.hasOwn(object, name) ? object[name] : undefined;
}

function parseLine(line: number, bytes: Buffer, names: ColumnNames): RawRow | IngestReject | undefined {
  // Invalid UTF-8 becomes U+FFFD here, which the identifier rules reject (identifiers.md §3).
  const text = bytes.toString('utf8');
  if (BLANK.test(text)) return undefined;
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch (error) {
    return rowReject(line, 'json-syntax', `line ${line}: not JSON (${error instanceof Error ? error.message : String(error)})`, excerpt(text));
  }
  if (typeof parsed !== 'object' || parsed === null || Array.isArray(parsed)) {
    return rowReject(line, 'json-not-object', `line ${line}: expected a JSON object`, excerpt(text));
  }
  const object = parsed as Record<string, unknown>;
  return {
    line,
    value: member(object, names.value),
    accountRef: member(object, names.accountRef),
    category: member(object, names.category),
    firstSeen: member(object, names.firstSeen),
    reason: member(object, names.reason),
  };
}

export async function* jsonlRows(input: ByteInput, names: ColumnNames, maxLineBytes: number, counter: ByteCounter): AsyncGenerator<(RawRow | IngestReject)[]> {
  let pending: Buffer[] = [];
  let pendingBytes = 0;
  // Set while skipping the rest of an over-long line, which is never held in memory.
  let overlong = false;
  let line = 0;
  let first = true;
  let sawAnything = false;

  const finishLine = (tail: Buffer): RawRow | IngestReject | undefined => {
    line++;
    if (overlong || pendingBytes + tail.length > maxLineBytes) {
      overlong = false;
      pending = [];
      pendingBytes = 0;
      return rowReject(line, 'line-too-long', `line ${line}: longer than ${maxLineBytes} bytes`);
    }
    const whole = pendingBytes === 0 ? tail : Buffer.concat([...pending, tail]);
    pending = [];
    pendingBytes = 0;
    return parseLine(line, whole, names);
  };

  for await (let chunk of byteChunks(input, counter)) {
    sawAnything = true;
    if (first) {
      first = false;
      if (chunk[0] === 0xef && chunk[1] === 0xbb && chunk[2] === 0xbf) chunk = chunk.subarray(3);
    }
    const batch: (RawRow | IngestReject)[] = [];
    let start = 0;
    for (;;) {
      const newline = chunk.indexOf(0x0a, start);
      if (newline === -1) break;
      const row = finishLine(chunk.subarray(start, newline));
      if (row !== undefined) batch.push(row);
      start = newline + 1;
    }
    if (batch.length > 0) yield batch;
    const rest = chunk.subarray(start);
    if (rest.length > 0 && !overlong) {
      if (pendingBytes + rest.length > maxLineBytes) {
        overlong = true;
        pending = [];
        pendingBytes = 0;
      } else {
        // Copy: the stream may reuse its chunk buffers.
        pending.push(Buffer.from(rest));
        pendingBytes += rest.length;
      }
    }
  }
  if (pendingBytes > 0 || overlong) {
    const row = finishLine(Buffer.alloc(0));
    if (row !== undefined) yield [row];
  }
  if (!sawAnything) throw new ValidationError('ingest-empty-file', 'the JSONL input is empty');
}
