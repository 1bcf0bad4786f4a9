import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { gzipSync } from 'node:zlib';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { hashIdentifier } from '@venn/identifiers';
import { ensureBuilt } from './helpers/build.js';
import { venn } from './helpers/cli.js';

const root = mkdtempSync(join(tmpdir(), 'venn-ingest-'));
const dir = join(root, 'node');
afterAll(() => rmSync(root, { recursive: true, force: true }));
beforeAll(async () => {
  ensureBuilt();
  expect((await venn(['init', '--dir', dir, '--id', 'lab-a', '--listen', '127.0.0.1:7001'])).code).toBe(0);
});

function file(name: string, content: string): string {
  const path = join(root, name);
  writeFileSync(path, content);
  return path;
}

function storedItems(): Array<{ list: string; kind: string; digest: string; account_ref: string; category: string | null }> {
  const db = new Database(join(dir, 'venn.db'), { readonly: true });
  try {
    return db.prepare('SELECT l.name AS list, l.kind, hex(i.digest) AS digest, i.account_ref, i.category FROM list_items i JOIN lists l ON l.id = i.list_id ORDER BY l.name, i.account_ref').all() as never;
  } finally {
    db.close();
  }
}

describe('venn ingest', () => {
  it('stores digests with accounts and labels, never raw values, and writes rejects next to the input', async () => {
    const path = file('emails.csv', 'email,account,category\n Alice@Example.COM ,acct-1,fraud\nbob@example.com,acct-2,\nnot an email,acct-3,x\nalice@example.com,acct-1,fraud\nalice@example.com,acct-9,fraud\n');
    const result = await venn(['ingest', '--dir', dir, '--kind', 'email', '--list', 'suspicious', '--account-column', 'account', '--category-column', 'category', '--json', path]);
    expect(result.stderr).toBe('');
    expect(result.code).toBe(0);
    expect(JSON.parse(result.stdout)).toMatchObject({ list: 'suspicious', kind: 'email', rows: 5, accepted: 3, duplicates: 1, rejected: 1, rejectsPath: `${path}.rejects.csv`, listSize: 3 });
    expect(readFileSync(`${path}.rejects.csv`, 'utf8')).toMatch(/^line,code,reason,message,value\r?\n4,invalid-email,email-at-sign,/);
    const alice = Buffer.from(hashIdentifier('email', 'alice@example.com').digest).toString('hex').toUpperCase();
    expect(storedItems()).toEqual([
      { list: 'suspicious', kind: 'email', digest: alice, account_ref: 'acct-1', category: 'fraud' },
      { list: 'suspicious', kind: 'email', digest: Buffer.from(hashIdentifier('email', 'bob@example.com').digest).toString('hex').toUpperCase(), account_ref: 'acct-2', category: null },
      { list: 'suspicious', kind: 'email', digest: alice, account_ref: 'acct-9', category: 'fraud' },
    ]);
    const bytes = readFileSync(join(dir, 'venn.db'));
    expect(bytes.includes(Buffer.from('alice@example.com'))).toBe(false);
    expect(bytes.includes(Buffer.from('Alice@Example.COM'))).toBe(false);
  });

  it('adds nothing when the same file is ingested again', async () => {
    const path = join(root, 'emails.csv');
    const result = await venn(['ingest', '--dir', dir, '--kind', 'email', '--list', 'suspicious', '--account-column', 'account', path]);
    expect(result.code).toBe(0);
    expect(result.stdout).toBe(`5 rows: 0 accepted, 4 duplicates, 1 rejected (see ${path}.rejects.csv); list suspicious (email) now holds 3\nrejected: 1 email-at-sign (invalid-email)\n`);
  });

  it('reads JSONL, phone numbers with a region, and prehashed digests', async () => {
    const phones = file('phones.jsonl', '{"phone":"+1 (415) 555-0100","account":"p1"}\n{"phone":"415-555-0101","account":"p2"}\n');
    const byRegion = await venn(['ingest', '--dir', dir, '--kind', 'phone', '--region', 'US', '--account-column', 'account', '--json', phones]);
    expect(JSON.parse(byRegion.stdout)).toMatchObject({ list: 'phone', accepted: 2, rejected: 0 });
    const digest = Buffer.from(hashIdentifier('device_id', 'device-123').digest).toString('hex');
    const prehashed = file('devices.csv', `device_id\n${digest}\nzz\n`);
    const result = await venn(['ingest', '--dir', dir, '--kind', 'device_id', '--prehashed', '--json', prehashed]);
    expect(JSON.parse(result.stdout)).toMatchObject({ accepted: 1, rejected: 1 });
    expect(storedItems().filter((item) => item.kind === 'device_id').map((item) => item.digest)).toEqual([digest.toUpperCase()]);
  });

  it('reads the inputs people have: stdin, TSV, another delimiter, NDJSON, gzip, a region column, nested JSON', async () => {
    const digestOf = (kind: 'email' | 'phone', value: string, region?: string): string => Buffer.from(hashIdentifier(kind, value, { region }).digest).toString('hex').toUpperCase();
    const ingest = async (args: string[], input?: string | Uint8Array): Promise<Record<string, unknown>> => {
      const result = await venn(['ingest', '--dir', dir, '--json', ...args], input === undefined ? {} : { input });
      expect(result.stderr, args.join(' ')).toBe('');
      expect(result.code, args.join(' ')).toBe(0);
      return JSON.parse(result.stdout) as Record<string, unknown>;
    };
    const listDigests = (list: string): string[] => storedItems().filter((item) => item.list === list).map((item) => item.digest).sort();

    expect(await ingest(['--kind', 'email', '--list', 'stdin', '--format', 'csv', '-'], 'email\nstdin@example.com\n')).toMatchObject({ file: '-', accepted: 1, rejectsPath: null });
    expect(listDigests('stdin')).toEqual([digestOf('email', 'stdin@example.com')]);
    const refused = await venn(['ingest', '--dir', dir, '--kind', 'email', '-'], { input: 'email\nx@example.com\n' });
    expect(refused.code).toBe(2);
    expect(refused.stderr).toMatch(/"--format" expected csv, tsv or jsonl when reading standard input/);

    expect(await ingest(['--kind', 'email', '--list', 'tsv', '--account-column', 'account', file('tabs.tsv', 'email\taccount\ntab@example.com\tacct,1\n')])).toMatchObject({ accepted: 1 });
    expect(storedItems().find((item) => item.list === 'tsv')?.account_ref).toBe('acct,1');
    expect(await ingest(['--kind', 'email', '--list', 'semicolon', '--delimiter', ';', file('semi.csv', 'id;email\n1;semi@example.com\n')])).toMatchObject({ accepted: 1 });
    expect(await ingest(['--kind', 'email', '--list', 'nested', '--column', 'user.email', file('nested.ndjson', '{"user":{"email":"Nested@Example.com"}}\n')])).toMatchObject({ accepted: 1 });
    expect(listDigests('nested')).toEqual([digestOf('email', 'nested@example.com')]);
    const gz = join(root, 'zipped.csv.gz');
    writeFileSync(gz, gzipSync('email\ngz@example.com\n'));
    expect(await ingest(['--kind', 'email', '--list', 'gz', gz])).toMatchObject({ accepted: 1 });
    expect(await ingest(['--kind', 'email', '--list', 'gz-stdin', '--format', 'csv', '-'], gzipSync('email\ngz@example.com\n'))).toMatchObject({ accepted: 1 });

    const phones = file('regions.csv', 'phone,country\n020 7946 0958,GB\n(415) 555-0100,\n');
    expect(await ingest(['--kind', 'phone', '--list', 'regions', '--region', 'US', '--region-column', 'country', phones])).toMatchObject({ accepted: 2, rejected: 0 });
    expect(listDigests('regions')).toEqual([digestOf('phone', '+442079460958'), digestOf('phone', '+14155550100')].sort());
  });

  const bad: Array<[string, string[], RegExp, number]> = [
    ['an unsupported extension', ['--kind', 'email', 'list.txt'], /FILE expected a \.csv, \.tsv, \.jsonl or \.ndjson file \(optionally \.gz\), or --format, got ".*list\.txt" \[usage\]/, 2],
    ['an unknown kind', ['--kind', 'fax', 'x.csv'], /"--kind" expected one of email,/, 2],
    ['a missing file', ['--kind', 'email', 'missing.csv'], /could not be read/, 1],
    ['a list reused for another kind', ['--kind', 'ip', '--list', 'suspicious', 'emails.csv'], /"--list" "suspicious" expected kind email.*got ip \[list-kind-mismatch\]/, 1],
    ['a column the header lacks', ['--kind', 'email', '--account-column', 'acct', 'emails.csv'], /names column "acct", which the header row \(line 1\) does not have/, 1],
  ];
  it.each(bad)('refuses %s in one line', async (_name, args, message, code) => {
    const result = await venn(['ingest', '--dir', dir, ...args.map((arg) => (arg.endsWith('.csv') || arg.endsWith('.txt') ? join(root, arg) : arg))]);
    expect(result.code).toBe(code);
    expect(result.stderr.trimEnd().split('\n')).toHaveLength(1);
    expect(result.stderr).toMatch(message);
  });
});
