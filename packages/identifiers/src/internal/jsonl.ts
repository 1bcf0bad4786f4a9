/**
 * JSONL lists: one JSON object per line, split on LF in constant memory. Members are named by
 * key, or by a dotted path into nested objects ("user.email") when no key has the whole name.
 */
import type { ColumnNames } from './csv.js';
import type { IngestReject, RawRow } from './rows.js';
import { rowReject } from './rows.js';
import { byteChunks, type ByteCounter, type ByteInput } from './sources.js';
import { excerpt } from './text.js';
import { ValidationError } from '@venn/errors';

const BLANK = /^[ \t\r]*$/;

const ABSENT = Symbol('absent');

/** The member `name` of `object`: an own key of that name, else a dotted path through plain objects. */
function lookup(object: Record<string, unknown>, name: string): unknown {
  if (Object.hasOwn(object, name)) return object[name];
  if (!name.includes('.')) return ABSENT;
  let value: unknown = object;
  for (const part of name.split('.')) {
    if (value === null || typeof value !== 'object' || Array.isArray(value) || !Object.hasOwn(value, part)) return ABSENT;
    value = (value as Record<string, unknown>)[part];
  }
  return value;
}

/** How many members the reader looks for before it decides that the identifier member is missing. */
const PEEK_OBJECTS = 1000;

type MemberOption = 'column' | 'accountColumn' | 'labelColumns.category' | 'labelColumns.first_seen' | 'labelColumns.reason' | 'regionColumn';

function namedMembers(names: ColumnNames): Array<[MemberOption, string, keyof ColumnNames]> {
  const all: Array<[MemberOption, string | undefined, keyof ColumnNames]> = [
    ['column', names.value, 'value'], ['accountColumn', names.accountRef, 'accountRef'], ['labelColumns.category', names.category, 'category'],
    ['labelColumns.first_seen', names.firstSeen, 'firstSeen'], ['labelColumns.reason', names.reason, 'reason'], ['regionColumn', names.region, 'region'],
  ];
  return all.filter((entry): entry is [MemberOption, string, keyof ColumnNames] => entry[1] !== undefined);
}

function parseLine(line: number, bytes: Buffer, names: ColumnNames, found: Set<keyof ColumnNames>): RawRow | IngestReject | undefined {
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
  const member = (key: keyof ColumnNames): unknown => {
    const name = names[key];
    if (name === undefined) return undefined;
    const value = lookup(object, name);
    if (value === ABSENT) return undefined;
    found.add(key);
    return value;
  };
  return {
    line,
    value: member('value'),
    accountRef: member('accountRef'),
    category: member('category'),
    firstSeen: member('firstSeen'),
    reason: member('reason'),
    region: member('region'),
  };
}

function missingMember(option: MemberOption, name: string, scope: string): ValidationError {
  return new ValidationError('ingest-missing-column', `"${option}" names member ${JSON.stringify(name)}, which no object ${scope}has`);
}

export async function* jsonlRows(input: ByteInput, names: ColumnNames, maxLineBytes: number, counter: ByteCounter): AsyncGenerator<(RawRow | IngestReject)[]> {
  let pending: Buffer[] = [];
  let pendingBytes = 0;
  // Set while skipping the rest of an over-long line, which is never held in memory.
  let overlong = false;
  let line = 0;
  let first = true;
  let sawAnything = false;
  const found = new Set<keyof ColumnNames>();
  const members = namedMembers(names);
  // Rows are held back until some object has the identifier member, so that a misspelled
  // member fails the file before any row is reported rather than rejecting every row.
  let held: (RawRow | IngestReject)[] | undefined = [];
  let objectsSeen = 0;
  const release = (rows: (RawRow | IngestReject)[]): (RawRow | IngestReject)[] => {
    if (held === undefined) return rows;
    held.push(...rows);
    objectsSeen += rows.filter((row) => !('type' in row)).length;
    if (found.has('value')) {
      const out = held;
      held = undefined;
      return out;
    }
    if (objectsSeen >= PEEK_OBJECTS) throw missingMember('column', names.value, `of the first ${objectsSeen} `);
    return [];
  };

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
    return parseLine(line, whole, names, found);
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
    const ready = release(batch);
    if (ready.length > 0) yield ready;
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
  const tail: (RawRow | IngestReject)[] = [];
  if (pendingBytes > 0 || overlong) {
    const row = finishLine(Buffer.alloc(0));
    if (row !== undefined) tail.push(row);
  }
  if (!sawAnything) throw new ValidationError('ingest-empty-file', 'the JSONL input is empty');
  const ready = release(tail);
  if (held !== undefined) {
    // The end came while rows were held: some object had to have the identifier member.
    if (objectsSeen > 0) throw missingMember('column', names.value, '');
    ready.push(...held);
  }
  if (ready.length > 0) yield ready;
  // An optional member that no object had is a misspelling, not sparse data.
  for (const [option, name, key] of members) {
    if (key !== 'value' && objectsSeen > 0 && !found.has(key)) throw missingMember(option, name, '');
  }
}
