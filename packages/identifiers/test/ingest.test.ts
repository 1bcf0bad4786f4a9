// Streaming list readers and the ingest report (protocol-spec/identifiers.md §8): RFC 4180 CSV,
// JSONL, line numbers, metadata, prehashed input, duplicates and the rejects file.
import { createHash } from 'node:crypto';
import { existsSync, mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Readable } from 'node:stream';
import { gzipSync } from 'node:zlib';
import { parse as parseCsv } from 'csv-parse/sync';
import fc from 'fast-check';
import { afterAll, describe, expect, test } from 'vitest';
import { digestToHex, hashIdentifier, hygieneList, ingestFile, parseHygieneFile, readIdentifiers, type IngestEvent, type ReadIdentifiersOptions } from '../src/index.js';

const dir = mkdtempSync(join(tmpdir(), 'venn-ingest-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));
let fileCount = 0;

function file(content: string | Buffer, ext = 'csv'): string {
  const path = join(dir, `list-${fileCount++}.${ext}`);
  writeFileSync(path, content);
  return path;
}

async function collect(input: string | AsyncIterable<Uint8Array | string>, options: ReadIdentifiersOptions): Promise<IngestEvent[]> {
  const out: IngestEvent[] = [];
  for await (const event of readIdentifiers(input, options)) out.push(event);
  return out;
}

/** Compact view: "line:canonical" for records, "line!reason" for rejects. */
function brief(events: IngestEvent[]): string[] {
  return events.map((e) => (e.type === 'record' ? `${e.line}:${e.canonical ?? digestToHex(e.digest).slice(0, 8)}` : `${e.line}!${e.reason}`));
}

/** A stream that delivers `content` in chunks of the given sizes, cycling. */
function chunked(content: Buffer, sizes: number[]): Readable {
  const chunks: Buffer[] = [];
  for (let at = 0, i = 0; at < content.length; i++) {
    const size = Math.max(1, sizes[i % sizes.length] ?? 1);
    chunks.push(content.subarray(at, at + size));
    at += size;
  }
  return Readable.from(chunks);
}

const email = { format: 'csv', kind: 'email' } as const;

describe('CSV (RFC 4180)', () => {
  test('picks the column by name, follows quoting, and numbers rows by the line they start on', async () => {
    const csv = [
      'id,"email",note', // line 1
      '1,Alice@Example.com,plain', // 2
      '2,"bob@example.com","with, comma"', // 3
      '', // 4: blank
      '3,"carol@example.com","two\r\nlines"', // 5-6
      '4,"dave@example.com","say ""hi"""', // 7
      '5,"erin@example.com","three\nshort\nlines"', // 8-10
      '6,frank@example.com,last', // 11
    ].join('\r\n');
    expect(brief(await collect(file(csv), email))).toEqual(['2:alice@example.com', '3:bob@example.com', '5:carol@example.com', '7:dave@example.com', '8:erin@example.com', '11:frank@example.com']);
  });

  test('accepts LF, CRLF and a UTF-8 byte order mark, and a last line without a line break', async () => {
    const csv = '\ufeffemail\na@example.com\r\nb@example.com\nc@example.com';
    expect(brief(await collect(file(csv), email))).toEqual(['2:a@example.com', '3:b@example.com', '4:c@example.com']);
  });

  test('header names are trimmed; a missing or doubled column is one clear error', async () => {
    expect(brief(await collect(file(' email \na@example.com\n'), email))).toEqual(['2:a@example.com']);
    await expect(collect(file('mail,id\na@example.com,1\n'), email)).rejects.toMatchObject({ code: 'ingest-missing-column', message: expect.stringContaining('"mail", "id"') as string });
    await expect(collect(file('email,email\na,b\n'), email)).rejects.toMatchObject({ code: 'ingest-duplicate-column' });
    await expect(collect(file('email\na@example.com\n'), { ...email, accountColumn: 'account' })).rejects.toMatchObject({ code: 'ingest-missing-column', message: expect.stringContaining('"accountColumn"') as string });
  });

  test('rows with more fields than the header are rejected, not shifted; missing trailing fields are empty', async () => {
    const csv = 'email,account\na@example.com,1\nb@example.com\nc@example.com,3,extra\nd@example.com,4\n';
    const events = await collect(file(csv), { ...email, accountColumn: 'account' });
    expect(brief(events)).toEqual(['2:a@example.com', '3:b@example.com', '4!field-count', '5:d@example.com']);
    expect(events[1]).not.toHaveProperty('accountRef');
    // A row short of the identifier column itself has no identifier.
    expect(brief(await collect(file('account,email\n1,a@example.com\n2\n'), email))).toEqual(['2:a@example.com', '3!missing-field']);
  });

  test('misplaced quotes are rejected per row and reading goes on', async () => {
    const csv = 'email\nok@example.com\nab"c@example.com\nnext@example.com\n';
    expect(brief(await collect(file(csv), email))).toEqual(['2:ok@example.com', '3!csv-syntax', '4:next@example.com']);
  });

  test('an unclosed quote rejects the line where its record starts, and the lines after it are read', async () => {
    const csv = 'email\nok@example.com\n"unclosed@example.com\nnot-swallowed@example.com\nlast@example.com';
    expect(brief(await collect(file(csv), email))).toEqual(['2:ok@example.com', '3!csv-syntax', '4:not-swallowed@example.com', '5:last@example.com']);
    // Every quote that never closes is one reject; each line after it is still read.
    const twice = 'email,note\na@example.com,"one\nb@example.com,"two\nc@example.com,x\n';
    expect(brief(await collect(file(twice), email))).toEqual(['2!csv-syntax', '3!csv-syntax', '4:c@example.com']);
  });

  test('a quoted field that spans lines and then breaks the rules gives its lines back', async () => {
    const csv = 'email,note\na@example.com,"spans\nb@example.com,"x"y\nc@example.com,fine\n';
    // Line 2's quote closes on line 3 before "y": line 2 is rejected, line 3 read afresh (and
    // rejected for its own quote), line 4 is read.
    expect(brief(await collect(file(csv), email))).toEqual(['2!csv-syntax', '3!csv-syntax', '4:c@example.com']);
  });

  test('a record over maxRecordBytes is one rejected row, quoted or not, and the rest is read', async () => {
    const long = 'x'.repeat(3000);
    const csv = `email,note\na@example.com,${long}\nb@example.com,"${long}\nmore"\nc@example.com,ok\n`;
    const events = await collect(chunked(Buffer.from(csv), [500, 777]), { ...email, maxRecordBytes: 1024 });
    expect(brief(events)).toEqual(['2!record-too-large', '3!record-too-large', '4!csv-syntax', '5:c@example.com']);
  });

  test('tab-separated and other one-character delimiters', async () => {
    const tsv = 'email\taccount\n"a@example.com"\tu,1\nb@example.com\tu2\n';
    const events = await collect(file(tsv, 'tsv'), { ...email, delimiter: '\t', accountColumn: 'account' });
    expect(brief(events)).toEqual(['2:a@example.com', '3:b@example.com']);
    expect(events[0]).toMatchObject({ accountRef: 'u,1' });
    expect(brief(await collect(file('email;n\na@example.com;1\n'), { ...email, delimiter: ';' }))).toEqual(['2:a@example.com']);
    for (const delimiter of ['', '""', '"', '\n', ',,']) {
      expect(() => readIdentifiers(file('email\n'), { ...email, delimiter })).toThrow(expect.objectContaining({ code: 'invalid-options' }) as Error);
    }
  });

  test('a region column gives each phone its own default region; blank cells keep the list\'s', async () => {
    // Numbers outside the hygiene list's fiction ranges (identifiers.md §12.3).
    const csv = 'phone,cc\n020 7123 4567,GB\n(415) 863-2917,\n(415) 863-2918,ZZ\n';
    expect(brief(await collect(file(csv), { format: 'csv', kind: 'phone', region: 'US', regionColumn: 'cc' }))).toEqual(['2:+442071234567', '3:+14158632917', '4!region']);
    expect(() => readIdentifiers(file(csv), { ...email, regionColumn: 'cc' })).toThrow(expect.objectContaining({ code: 'invalid-options' }) as Error);
  });

  test('reads the account reference and the labels it is told to, and validates them', async () => {
    const csv = [
      'email,acct,cat,seen,why',
      'a@example.com,u-1,fraud,2024-02-29,"distillation, ring"',
      'b@example.com,,, ,',
      'c@example.com,u-3,x,2023-02-29,',
      `d@example.com,u-4,${'c'.repeat(65)},,`,
      'e@example.com,u-5,ok,2024-06-01T12:30:00Z,',
      'f@example.com,u-6,ok,2024-06-01T25:00:00Z,',
    ].join('\n');
    const events = await collect(file(csv), { ...email, accountColumn: 'acct', labelColumns: { category: 'cat', first_seen: 'seen', reason: 'why' } });
    expect(events[0]).toMatchObject({ type: 'record', line: 2, accountRef: 'u-1', labels: { category: 'fraud', first_seen: '2024-02-29', reason: 'distillation, ring' } });
    expect(events[1]).toMatchObject({ type: 'record', line: 3 });
    expect(events[1]).not.toHaveProperty('accountRef');
    expect(events[1]).not.toHaveProperty('labels');
    // A label that breaks its rule is dropped with a warning; the identifier is kept.
    expect(brief(events.slice(2))).toEqual(['4:c@example.com', '5:d@example.com', '6:e@example.com', '7:f@example.com']);
    expect(events[2]).toMatchObject({ labels: { category: 'x' }, warnings: [{ label: 'first_seen', reason: 'label-first-seen', value: '2023-02-29' }] });
    expect(events[3]).toMatchObject({ warnings: [{ label: 'category', reason: 'label-category' }] });
    expect(events[3]).not.toHaveProperty('labels');
    expect(events[5]).toMatchObject({ labels: { category: 'ok' }, warnings: [{ label: 'first_seen' }] });
  });

  test('prehashed input yields the digests as given, without canonical forms', async () => {
    const alice = digestToHex(hashIdentifier('email', 'alice@example.com').digest);
    const csv = `digest\n${alice}\n${alice.toUpperCase()}\nalice@example.com\n${'0'.repeat(64)}\n`;
    const events = await collect(file(csv), { ...email, column: 'digest', prehashed: true });
    expect(events.map((e) => (e.type === 'record' ? digestToHex(e.digest) : e.reason))).toEqual([alice, alice, 'prehashed-syntax', 'identifier-placeholder']);
    expect(events[0]).not.toHaveProperty('canonical');
    expect(events[2]).toMatchObject({ code: 'invalid-prehashed' });
  });

  test('phone lists use the region given for the list', async () => {
    const csv = 'phone\n(415) 555-0200\n+44 20 7946 1958\n555-0200\n';
    expect(brief(await collect(file(csv), { format: 'csv', kind: 'phone', region: 'US' }))).toEqual(['2:+14155550200', '3:+442079461958', '4!phone-invalid']);
    await expect(collect(file(csv), { format: 'csv', kind: 'phone', region: 'XX' })).rejects.toMatchObject({ code: 'invalid-region' });
  });
});

describe('JSONL', () => {
  const jsonl = { format: 'jsonl', kind: 'email' } as const;

  test('one object per line; blank lines skipped; bad lines rejected with their line', async () => {
    const text = ['{"email":"A@example.com","acct":"u1"}', '', '{"email":5}', 'not json', '[1]', '{"other":1}', '{"email":null}', '{"email":"last@example.com"}\r'].join('\n');
    const events = await collect(file(text, 'jsonl'), { ...jsonl, accountColumn: 'acct' });
    expect(brief(events)).toEqual(['1:a@example.com', '3!field-type', '4!json-syntax', '5!json-not-object', '6!missing-field', '7!missing-field', '8:last@example.com']);
    expect(events[0]).toMatchObject({ accountRef: 'u1' });
  });

  test('a byte order mark is skipped and members named "__proto__" are plain data', async () => {
    const text = '\ufeff{"email":"a@example.com"}\n{"__proto__":"x","email":"b@example.com"}\n';
    expect(brief(await collect(file(text, 'jsonl'), jsonl))).toEqual(['1:a@example.com', '2:b@example.com']);
  });

  test('an over-long line is rejected on its own and the next line is read', async () => {
    const text = `{"email":"a@example.com"}\n{"email":"${'x'.repeat(5000)}@example.com"}\n{"email":"c@example.com"}`;
    const events = await collect(chunked(Buffer.from(text), [700]), { ...jsonl, maxRecordBytes: 1024 });
    expect(brief(events)).toEqual(['1:a@example.com', '2!line-too-long', '3:c@example.com']);
  });

  test('a dotted name reaches into nested objects; a key with the whole name comes first', async () => {
    const text = ['{"user":{"email":"a@example.com","id":"u1"}}', '{"user.email":"b@example.com","user":{"email":"ignored@example.com"}}', '{"user":{"email":["c@example.com"]}}', '{"user":"d@example.com"}'].join('\n');
    const events = await collect(file(text, 'jsonl'), { ...jsonl, column: 'user.email', accountColumn: 'user.id' });
    expect(brief(events)).toEqual(['1:a@example.com', '2:b@example.com', '3!field-type', '4!missing-field']);
    expect(events[0]).toMatchObject({ accountRef: 'u1' });
  });

  test('a member that no object has is one error, before any row is reported', async () => {
    const rows = (n: number): string => Array.from({ length: n }, (_, i) => JSON.stringify({ email: `u${i}@example.com` })).join('\n');
    await expect(collect(file(rows(8), 'jsonl'), { ...jsonl, column: 'emial' })).rejects.toMatchObject({ code: 'ingest-missing-column', message: expect.stringContaining('"column" names member "emial", which no object has') as string });
    await expect(collect(file(rows(1500), 'jsonl'), { ...jsonl, column: 'emial' })).rejects.toMatchObject({ message: expect.stringMatching(/no object of the first \d{4} has/) as string });
    await expect(collect(file(rows(3), 'jsonl'), { ...jsonl, accountColumn: 'acount' })).rejects.toMatchObject({ code: 'ingest-missing-column', message: expect.stringContaining('"accountColumn" names member "acount"') as string });
    // Sparse members are fine: one object having it is enough.
    const sparse = `${rows(3)}\n{"email":"x@example.com","acct":"a"}`;
    expect(await collect(file(sparse, 'jsonl'), { ...jsonl, accountColumn: 'acct' })).toHaveLength(4);
  });
});

describe('ingestFile', () => {
  test('counts accepted, duplicate and rejected rows and writes each reject with its line and reason', async () => {
    const csv = 'email\nalice@example.com\n Alice@Example.COM \nbob@example.com\nnot-an-address\n\n"x@@example.com"\nbob@example.com\n';
    const path = file(csv);
    const accepted: string[] = [];
    const summary = await ingestFile(path, { ...email, onRecord: (record) => void accepted.push(`${record.line}:${record.canonical}`) });
    expect(summary).toMatchObject({ rows: 6, accepted: 2, duplicates: 2, rejected: 2, rejectsPath: `${path}.rejects.csv`, bytes: Buffer.byteLength(csv) });
    expect(accepted).toEqual(['2:alice@example.com', '4:bob@example.com']);
    const rejects = parseCsv(readFileSync(summary.rejectsPath!), { columns: true }) as Record<string, string>[];
    expect(rejects.map((r) => [r['line'], r['code'], r['reason'], r['value']])).toEqual([
      ['5', 'invalid-email', 'email-at-sign', 'not-an-address'],
      ['7', 'invalid-email', 'email-at-sign', 'x@@example.com'],
    ]);
    expect(rejects[0]?.['message']).toContain('expected exactly one "@"');
  });

  test('hygiene rejections go to the rejects file with their reason and rule, and are counted per reason and rule', async () => {
    const csv = 'device_id,acct\n9774D56D682E549C,a1\n02:00:00:00:00:00,a2\nnull,a3\n550e8400-e29b-41d4-a716-446655440000,a4\nDEVICE-XYZ,a5\nNaN,a6\n';
    const path = file(csv);
    const local = hygieneList({ local: parseHygieneFile('device_id DEVICE-XYZ\n', 'local.txt') });
    const summary = await ingestFile(path, { format: 'csv', kind: 'device_id', accountColumn: 'acct', hygiene: local });
    expect(summary).toMatchObject({ rows: 6, accepted: 1, rejected: 5 });
    expect(summary.rejectReasons).toEqual({ 'identifier-shared': 3, 'identifier-placeholder': 2 });
    expect(summary.hygieneRules).toEqual({ 'android-id-froyo': 1, 'mac-android-hidden': 1, 'placeholder-word': 2, 'local-extension': 1 });
    const rejects = parseCsv(readFileSync(summary.rejectsPath!), { columns: true }) as Record<string, string>[];
    expect(rejects.map((r) => [r['line'], r['code'], r['reason'], r['value']])).toEqual([
      ['2', 'invalid-device-id', 'identifier-shared', '9774D56D682E549C'],
      ['3', 'invalid-device-id', 'identifier-shared', '02:00:00:00:00:00'],
      ['4', 'invalid-device-id', 'identifier-placeholder', 'null'],
      ['6', 'invalid-device-id', 'identifier-shared', 'DEVICE-XYZ'],
      ['7', 'invalid-device-id', 'identifier-placeholder', 'NaN'],
    ]);
    expect(rejects[0]?.['message']).toContain('hygiene rule android-id-froyo');
    // Without the local file the lab's own value is accepted.
    expect((await ingestFile(path, { format: 'csv', kind: 'device_id' })).hygieneRules).not.toHaveProperty('local-extension');
    await expect(ingestFile(path, { format: 'csv', kind: 'device_id', hygiene: {} as never })).rejects.toMatchObject({ code: 'invalid-options' });
  });

  test('prehashed lists refuse the digests of the listed exact values of their kind', async () => {
    const shared = createHash('sha256').update('venn/identifier/v2\0device_id\0' + '9774d56d682e549c').digest('hex');
    const events = await collect(file(`digest\n${shared}\n`), { format: 'csv', kind: 'device_id', column: 'digest', prehashed: true });
    expect(events).toMatchObject([{ type: 'reject', code: 'invalid-prehashed', reason: 'identifier-shared', rule: 'android-id-froyo' }]);
  });

  test('the rejects file is 0600, written only when something is rejected, and a stale one is removed', async () => {
    const path = file('email\nnot-an-address\n');
    const rejectsPath = join(dir, 'custom.rejects.csv');
    const first = await ingestFile(path, { ...email, rejectsPath });
    expect(first).toMatchObject({ rejected: 1, rejectsPath, rejectCounts: [{ code: 'invalid-email', reason: 'email-at-sign', count: 1 }] });
    expect(statSync(rejectsPath).mode & 0o777).toBe(0o600);
    writeFileSync(path, 'email\na@example.com\n');
    expect(await ingestFile(path, { ...email, rejectsPath })).toMatchObject({ rejected: 0, rejectsPath: null, rejectCounts: [] });
    expect(existsSync(rejectsPath)).toBe(false);
    // A file at that path that this writer did not make is left alone.
    writeFileSync(rejectsPath, 'notes\n');
    await ingestFile(path, { ...email, rejectsPath });
    expect(readFileSync(rejectsPath, 'utf8')).toBe('notes\n');
  });

  test('dropped labels are counted and written to the rejects file with their value, never the identifier', async () => {
    const path = file('email,seen\nsecret@example.com,2026/10/07\n');
    const summary = await ingestFile(path, { ...email, labelColumns: { first_seen: 'seen' } });
    expect(summary).toMatchObject({ accepted: 1, rejected: 0, labelsDropped: [{ label: 'first_seen', reason: 'label-first-seen', count: 1 }] });
    const text = readFileSync(summary.rejectsPath!, 'utf8');
    expect(text).toMatch(/\r\n2,label-dropped,label-first-seen,.*2026\/10\/07\r\n$/);
    expect(text).not.toContain('secret@example.com');
  });

  test('gzip input and streams are read like files', async () => {
    const csv = 'email\na@example.com\nnot-an-address\n';
    const gz = file(gzipSync(csv), 'csv.gz');
    expect(await ingestFile(gz, email)).toMatchObject({ rows: 2, accepted: 1, rejected: 1 });
    const rejectsPath = join(dir, 'stream.rejects.csv');
    expect(await ingestFile(chunked(gzipSync(csv), [3, 5]), { ...email, rejectsPath })).toMatchObject({ rows: 2, accepted: 1, rejected: 1, rejectsPath });
    await expect(ingestFile(Readable.from([Buffer.from(csv)]), email)).rejects.toMatchObject({ code: 'invalid-options' });
    await expect(ingestFile(file(Buffer.concat([Buffer.from([0x1f, 0x8b]), Buffer.from('not gzip at all')]), 'csv.gz'), email)).rejects.toMatchObject({ code: 'ingest-gzip' });
  });

  test('no listener piles up on the rejects file across many rejects', async () => {
    const warnings: Error[] = [];
    const onWarning = (warning: Error): void => void warnings.push(warning);
    process.on('warning', onWarning);
    try {
      const path = file(`email\n${Array.from({ length: 60_000 }, (_, i) => `bad-${i}`).join('\n')}\n`);
      expect((await ingestFile(path, email)).rejected).toBe(60_000);
      await new Promise((resolve) => setImmediate(resolve));
    } finally {
      process.off('warning', onWarning);
    }
    expect(warnings.filter((w) => w.name === 'MaxListenersExceededWarning')).toEqual([]);
  });

  test('a caller-supplied seen predicate replaces the in-memory set, and async callbacks are awaited in order', async () => {
    const store = new Set<string>(['ca0c4d5b']);
    const seen = async (digest: Uint8Array): Promise<boolean> => {
      const key = digestToHex(digest).slice(0, 8);
      if (store.has(key)) return true;
      store.add(key);
      return false;
    };
    const order: number[] = [];
    const path = file('email\na@example.com\nb@example.com\na@example.com\n');
    const preloaded = digestToHex(hashIdentifier('email', 'b@example.com').digest).slice(0, 8);
    store.add(preloaded);
    const summary = await ingestFile(path, {
      ...email,
      seen,
      onRecord: async (record) => {
        await new Promise((resolve) => setImmediate(resolve));
        order.push(record.line);
      },
    });
    expect(summary).toMatchObject({ accepted: 1, duplicates: 2 });
    expect(order).toEqual([2]);
  });

  test('reports progress by rows and bytes, and once at the end', async () => {
    const rows = Array.from({ length: 25 }, (_, i) => `user${i}@example.com`);
    const path = file(`email\n${rows.join('\n')}\n`);
    const calls: [number, number][] = [];
    await ingestFile(path, { ...email, progressEvery: 10, onProgress: (r, b) => void calls.push([r, b]) });
    expect(calls.map(([r]) => r)).toEqual([10, 20, 25]);
    expect(calls.at(-1)?.[1]).toBe(readFileSync(path).length);
  });

  test('duplicate counts match a naive set over thousands of digests (prehashed, with repeats)', async () => {
    await fc.assert(
      fc.asyncProperty(fc.array(fc.nat({ max: 2999 }), { minLength: 1, maxLength: 6000 }), async (picks) => {
        const digests = picks.map((n) => digestToHex(hashIdentifier('account', `user-${n}`).digest));
        const path = file(`digest\n${digests.join('\n')}\n`);
        const summary = await ingestFile(path, { format: 'csv', kind: 'account', column: 'digest', prehashed: true });
        const distinct = new Set(digests).size;
        expect(summary).toMatchObject({ accepted: distinct, duplicates: digests.length - distinct, rejected: 0 });
      }),
      { numRuns: 8 },
    );
  });

  test('options are checked before anything is read', async () => {
    const path = file('email\na@example.com\n');
    await expect(ingestFile(path, { format: 'xml' as 'csv', kind: 'email' })).rejects.toMatchObject({ code: 'invalid-options' });
    await expect(ingestFile(path, { format: 'csv', kind: 'mail' as 'email' })).rejects.toMatchObject({ code: 'invalid-kind' });
    await expect(ingestFile(path, { ...email, progressEvery: 0 })).rejects.toMatchObject({ code: 'invalid-options' });
    await expect(ingestFile(path, { ...email, column: '' })).rejects.toMatchObject({ code: 'invalid-options' });
    await expect(ingestFile(join(dir, 'missing.csv'), email)).rejects.toMatchObject({ code: 'ingest-read' });
  });
});

describe('junk inputs give per-row rejects or one clear error, never a crash', () => {
  const binary = Buffer.from(Array.from({ length: 4096 }, (_, i) => (i * 7919) % 256));
  const cases: [string, Buffer | string, 'csv' | 'jsonl', { error?: string; reasons?: string[] }][] = [
    ['binary CSV', binary, 'csv', { error: 'ingest-missing-column' }],
    ['binary JSONL', binary, 'jsonl', { reasons: ['json-syntax'] }],
    ['empty CSV', '', 'csv', { error: 'ingest-empty-file' }],
    ['empty JSONL', '', 'jsonl', { error: 'ingest-empty-file' }],
    ['CSV with a header only', 'email\n', 'csv', { reasons: [] }],
    ['CSV with only blank lines', '\n\n\r\n', 'csv', { error: 'ingest-empty-file' }],
    ['1 MB CSV line', `email\n${'a'.repeat(1 << 20)}@example.com\nok@example.com\n`, 'csv', { reasons: ['too-long'] }],
    ['1 MB JSONL line', `{"email":"${'a'.repeat(1 << 20)}@example.com"}\n{"email":"ok@example.com"}\n`, 'jsonl', { reasons: ['too-long'] }],
    ['unclosed quote running past the record limit', `email\n"${'a'.repeat(5 << 20)}\nok@example.com\n`, 'csv', { reasons: ['record-too-large'] }],
    ['unclosed quote spanning lines past the record limit', `email\n"x\n${'a'.repeat(1 << 20)}\n`.repeat(5) + 'ok@example.com\n', 'csv', { reasons: ['csv-syntax'] }],
    ['unbalanced quotes in many rows', 'email\na"b@example.com\n"c"d@example.com\n"e@example.com\n', 'csv', { reasons: ['csv-syntax'] }],
    ['Latin-1 CSV', Buffer.from('email\nj\xfcrgen@example.com\nok@example.com\n', 'latin1'), 'csv', { reasons: ['replacement-character'] }],
    ['Latin-1 JSONL', Buffer.from('{"email":"j\xfcrgen@example.com"}\n', 'latin1'), 'jsonl', { reasons: ['replacement-character'] }],
    ['UTF-16 CSV', Buffer.from('\ufeffemail\r\na@example.com\r\n', 'utf16le'), 'csv', { error: 'ingest-encoding' }],
    ['UTF-16 JSONL', Buffer.from('\ufeff{"email":"a@example.com"}\n', 'utf16le'), 'jsonl', { error: 'ingest-encoding' }],
    ['NUL bytes inside a value', 'email\na\u0000b@example.com\n', 'csv', { reasons: ['control-character'] }],
    ['missing column in CSV', 'address\na@example.com\n', 'csv', { error: 'ingest-missing-column' }],
    ['missing member in JSONL', '{"address":"a@example.com"}\n', 'jsonl', { error: 'ingest-missing-column' }],
    ['gzip magic, then junk', Buffer.from([0x1f, 0x8b, 0x08, 0x00, 0x01, 0x02]), 'csv', { error: 'ingest-gzip' }],
    ['a JSON document instead of JSONL', '{\n  "email": "a@example.com"\n}\n', 'jsonl', { reasons: ['json-syntax'] }],
  ];

  test.each(cases)('%s', async (_name, content, format, expected) => {
    const path = file(content, format);
    let summary: Awaited<ReturnType<typeof ingestFile>> | undefined;
    let error: unknown;
    try {
      summary = await ingestFile(path, { format, kind: 'email' });
    } catch (caught) {
      error = caught;
    }
    if (expected.error !== undefined) {
      expect(error).toMatchObject({ name: 'ValidationError', code: expected.error });
      return;
    }
    expect(error).toBeUndefined();
    const path_ = summary?.rejectsPath ?? null;
    const rejects = path_ === null ? [] : parseCsv(readFileSync(path_), { columns: true, relax_column_count: true }) as Record<string, string>[];
    expect(rejects.length).toBe(summary?.rejected);
    for (const reason of expected.reasons ?? []) expect(rejects.map((r) => r['reason'])).toContain(reason);
    // The valid row after a junk row is still read.
    if (String(content).includes('ok@example.com')) expect(summary?.accepted).toBe(1);
  });
});

describe('properties', () => {
  const cell = fc.string({ unit: fc.constantFrom('a', 'B', ',', '"', '\n', '\r\n', ' ', 'é', '@', '.'), maxLength: 12 });

  test('values survive RFC 4180 quoting and any chunking; line numbers count physical lines', async () => {
    await fc.assert(
      fc.asyncProperty(fc.array(fc.tuple(cell, cell), { minLength: 1, maxLength: 30 }), fc.array(fc.integer({ min: 1, max: 40 }), { minLength: 1, maxLength: 5 }), async (rows, sizes) => {
        const quote = (v: string): string => `"${v.replaceAll('"', '""')}"`;
        let text = 'note,account\r\n';
        let line = 2;
        const expected: string[] = [];
        for (const [note, account] of rows) {
          text += `${quote(note)},${quote(account)}\r\n`;
          let event: string;
          try {
            event = `${line}:${hashIdentifier('account', account).canonical}`;
          } catch (error) {
            event = `${line}!${(error as { reason: string }).reason}`;
          }
          expected.push(event);
          line += 1 + (note.match(/\r\n|\n/g)?.length ?? 0) + (account.match(/\r\n|\n/g)?.length ?? 0);
        }
        const events = await collect(chunked(Buffer.from(text), sizes), { format: 'csv', kind: 'account' });
        expect(brief(events)).toEqual(expected);
      }),
      { numRuns: 60 },
    );
  });

  test('JSONL gives the same digests as CSV for the same values, whatever the chunking', async () => {
    await fc.assert(
      fc.asyncProperty(fc.array(fc.string({ unit: 'grapheme', minLength: 1, maxLength: 10 }), { minLength: 1, maxLength: 20 }), fc.integer({ min: 1, max: 16 }), async (values, size) => {
        const jsonlText = values.map((v) => JSON.stringify({ account: v })).join('\n');
        const csvText = `account\n${values.map((v) => `"${v.replaceAll('"', '""')}"`).join('\n')}\n`;
        const fromJsonl = await collect(chunked(Buffer.from(jsonlText), [size]), { format: 'jsonl', kind: 'account' });
        const fromCsv = await collect(chunked(Buffer.from(csvText), [size]), { format: 'csv', kind: 'account' });
        const digests = (events: IngestEvent[]): string[] => events.map((e) => (e.type === 'record' ? digestToHex(e.digest) : e.reason));
        expect(digests(fromJsonl)).toEqual(digests(fromCsv));
      }),
      { numRuns: 60 },
    );
  });
});
