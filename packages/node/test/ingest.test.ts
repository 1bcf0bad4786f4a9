import { spawn } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { gzipSync } from 'node:zlib';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { PHONE_METADATA_VERSION, hashIdentifier, hygieneAdditionsDigest } from '@venn/identifiers';
import { Store } from '../src/internal/store.js';
import { cliPath, ensureBuilt } from './helpers/build.js';
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
    expect(result.stdout).toBe(`5 rows: 0 accepted, 4 duplicates, 1 rejected (see ${path}.rejects.csv); list suspicious (email) now holds 3\nrejected: 1 email-at-sign (invalid-email)\n`
      + `hygiene (venn/identifier/v2 hygiene/1 libphonenumber-js/${PHONE_METADATA_VERSION}): no value rejected\n`);
  });

  it('reads JSONL, phone numbers with a region, and prehashed digests', async () => {
    const phones = file('phones.jsonl', '{"phone":"+1 (415) 555-0200","account":"p1"}\n{"phone":"415-555-0201","account":"p2"}\n');
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

    const phones = file('regions.csv', 'phone,country\n020 7123 4567,GB\n(415) 867-1234,\n');
    expect(await ingest(['--kind', 'phone', '--list', 'regions', '--region', 'US', '--region-column', 'country', phones])).toMatchObject({ accepted: 2, rejected: 0 });
    expect(listDigests('regions')).toEqual([digestOf('phone', '+442071234567'), digestOf('phone', '+14158671234')].sort());
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

describe('a large ingest', () => {
  // 60,000 rows, as a file, gzipped and on standard input: Node prints no warning
  // (MaxListenersExceededWarning or any other) and the only output is the report.
  const rows = 60_000;
  const csv = `email,account\n${Array.from({ length: rows }, (_, i) => `bulk${i}@example.com,acct-${i}`).join('\n')}\n`;
  it.each([
    ['a file', (): [string[], { input?: Buffer }] => [[file('bulk.csv', csv)], {}]],
    ['a gzipped file', (): [string[], { input?: Buffer }] => {
      const path = join(root, 'bulk.csv.gz');
      writeFileSync(path, gzipSync(csv));
      return [[path], {}];
    }],
    ['gzip on standard input', (): [string[], { input?: Buffer }] => [['--format', 'csv', '-'], { input: gzipSync(csv) }]],
  ])('of %s prints nothing on stderr', async (name, input) => {
    const [args, options] = input();
    const list = `bulk-${name.replace(/ /g, '-')}`;
    const result = await venn(['ingest', '--dir', dir, '--kind', 'email', '--list', list, '--account-column', 'account', '--json', ...args], options);
    expect(result.stderr).not.toMatch(/Warning/);
    expect(result.stderr).toBe('');
    expect(result.code).toBe(0);
    expect(JSON.parse(result.stdout)).toMatchObject({ rows, accepted: rows, rejected: 0, listSize: rows });
  }, 300_000);

  it('writes a large list into the store in few, sorted transactions: 200,000 rows write under 2 KB a row', async () => {
    // Transactions of 5,000 items in file order rewrote pages all over the indexes at each commit:
    // 200,000 rows wrote 1.3 GB (6.6 KB a row), and 4,000,000 rows about 100 GB.
    const fresh = join(root, 'large-node');
    expect((await venn(['init', '--dir', fresh, '--id', 'lab-a', '--listen', '127.0.0.1:7001'])).code).toBe(0);
    const large = 200_000;
    const path = join(root, 'large.csv');
    writeFileSync(path, `email\n${Array.from({ length: large }, (_, i) => `large${i}@example.com`).join('\n')}\n`, { mode: 0o600 });
    // The command's own bytes written (write and pwrite calls, /proc/self/io), reported as it exits.
    const report = join(root, 'large.io');
    const preload = file('io-report.cjs', `process.on('exit', () => require('node:fs').writeFileSync(${JSON.stringify(report)}, require('node:fs').readFileSync('/proc/self/io')));\n`);
    const result = await venn(['ingest', '--dir', fresh, '--kind', 'email', '--list', 'large', '--json', path], { env: { NODE_OPTIONS: `--require ${preload}` } });
    expect(result.code, result.stderr).toBe(0);
    expect(JSON.parse(result.stdout)).toMatchObject({ rows: large, accepted: large, listSize: large, via: 'store' });
    const written = Number(/^wchar: (\d+)$/m.exec(readFileSync(report, 'utf8'))?.[1]);
    expect(written).toBeGreaterThan(large * 32);
    expect(written).toBeLessThan(large * 2048);
    // Sorted batches change nothing in what is stored: every digest once, in the list.
    const db = new Database(join(fresh, 'venn.db'), { readonly: true });
    try {
      expect(db.prepare("SELECT count(DISTINCT digest) FROM list_items i JOIN lists l ON l.id = i.list_id WHERE l.name = 'large'").pluck().get()).toBe(large);
      const digest = Buffer.from(hashIdentifier('email', 'large199999@example.com').digest);
      expect(db.prepare('SELECT count(*) FROM list_items WHERE digest = ?').pluck().get(digest)).toBe(1);
    } finally {
      db.close();
    }
  }, 120_000);

  it('shows none of an ingest\'s items before it finished, and a killed ingest leaves none', async () => {
    const fresh = join(root, 'killed-node');
    expect((await venn(['init', '--dir', fresh, '--id', 'lab-a', '--listen', '127.0.0.1:7001'])).code).toBe(0);
    const path = join(root, 'killed.csv');
    writeFileSync(path, `email\n${Array.from({ length: 400_000 }, (_, i) => `killed${i}@example.com`).join('\n')}\n`, { mode: 0o600 });
    const child = spawn(process.execPath, [cliPath, 'ingest', '--dir', fresh, '--kind', 'email', '--list', 'killed', path], { stdio: 'ignore' });
    const exited = new Promise((resolve) => child.once('exit', resolve));
    const store = join(fresh, 'venn.db');
    // Wait until the ingest has written a good part of its items (30 MB of WAL: more than one batch of 100,000) without finishing.
    for (let i = 0; ; i++) {
      const begun = existsSync(`${store}-wal`) && statSync(`${store}-wal`).size > 30 << 20;
      if (begun) break;
      if (i > 600 || child.exitCode !== null) throw new Error('the ingest finished or failed before it could be observed in progress');
      await new Promise((resolve) => setTimeout(resolve, 50));
    }
    const db = new Database(store, { readonly: true });
    try {
      expect(db.prepare('SELECT count(*) FROM ingests WHERE finished_at IS NULL').pluck().get()).toBe(1);
      expect(db.prepare('SELECT count(*) FROM list_items').pluck().get()).toBe(0);
    } finally {
      db.close();
    }
    child.kill('SIGKILL');
    await exited;
    // The next command that takes the node rolls the unfinished ingest back: no list, no items.
    const next = await venn(['ingest', '--dir', fresh, '--kind', 'email', '--list', 'after', '--json', file('after.csv', 'email\nafter@example.com\n')]);
    expect(next.code, next.stderr).toBe(0);
    const after = new Database(store, { readonly: true });
    try {
      expect(after.prepare('SELECT name FROM lists ORDER BY name').pluck().all()).toEqual(['after']);
      expect(after.prepare('SELECT count(*) FROM list_items').pluck().get()).toBe(1);
    } finally {
      after.close();
    }
  }, 120_000);
});

describe('identifier hygiene at ingest (identifiers.md §12)', () => {
  const hdir = join(root, 'hygiene-node');
  const additions = [{ kind: 'device_id', value: 'abcdef0123456789' }, { kind: 'ip', value: '203.0.113.0/24' }];

  beforeAll(async () => {
    const init = await venn(['init', '--dir', hdir, '--id', 'lab-h', '--listen', '127.0.0.1:7021']);
    expect(init.code).toBe(0);
    const roster = { version: 1, federation: { name: 'f', epoch: 1 }, schedule: { cron: '0 */3 * * *', windowMinutes: 5, timezone: 'UTC' }, members: [JSON.parse(init.stdout) as unknown], identifierHygiene: additions };
    const rosterPath = file('hygiene-roster.json', JSON.stringify(roster));
    expect((await venn(['roster', 'use', '--dir', hdir, rosterPath])).code).toBe(0);
    const extra = file('extra-hygiene.txt', '# shared by our own test accounts\ndevice_id TEST-DEVICE-1\nip 198.51.100.0/24\n');
    const configPath = join(hdir, 'venn.config.json');
    const config = JSON.parse(readFileSync(configPath, 'utf8')) as Record<string, unknown>;
    writeFileSync(configPath, JSON.stringify({ ...config, hygiene: { extraFile: extra }, sharedValueAccounts: 2 }));
  });

  it('rejects listed values into the rejects file, counts them per rule, and prints the summary', async () => {
    const path = file('devices.csv', 'device_id,account\n9774D56D682E549C,a1\n02-00-00-00-00-00,a2\nnull,a3\nABCDEF0123456789,a4\nTEST-DEVICE-1,a5\n550e8400-e29b-41d4-a716-446655440000,a6\n9774d56d682e549c,a7\n');
    const json = await venn(['ingest', '--dir', hdir, '--kind', 'device_id', '--account-column', 'account', '--json', '--max-rejects', '100', path]);
    expect(json.stderr).toBe('');
    expect(json.code).toBe(0);
    const report = JSON.parse(json.stdout) as Record<string, unknown>;
    expect(report).toMatchObject({ rows: 7, accepted: 1, rejected: 6, rejectReasons: { 'identifier-shared': 5, 'identifier-placeholder': 1 } });
    expect(report['hygiene']).toMatchObject({
      rules: `venn/identifier/v2 hygiene/1+roster.${hygieneAdditionsDigest(additions).slice(0, 16)} libphonenumber-js/${PHONE_METADATA_VERSION}`,
      rosterEntries: 2, localEntries: 2, rejected: 6,
      byRule: { 'android-id-froyo': 2, 'mac-android-hidden': 1, 'placeholder-word': 1, 'roster-addition': 1, 'local-extension': 1 },
    });
    const rejects = readFileSync(`${path}.rejects.csv`, 'utf8').trimEnd().split(/\r?\n/).slice(1).map((line) => line.split(',').slice(0, 3).join(','));
    expect(rejects).toEqual(['2,invalid-device-id,identifier-shared', '3,invalid-device-id,identifier-shared', '4,invalid-device-id,identifier-placeholder',
      '5,invalid-device-id,identifier-shared', '6,invalid-device-id,identifier-shared', '8,invalid-device-id,identifier-shared']);

    const text = await venn(['ingest', '--dir', hdir, '--kind', 'device_id', '--list', 'again', '--account-column', 'account', '--max-rejects', '100', path]);
    expect(text.stdout.split('\n').find((line) => line.startsWith('hygiene '))).toBe(`hygiene (${String((report['hygiene'] as { rules: string }).rules)}; 2 roster additions, 2 local entries): 6 rejected: android-id-froyo 2, local-extension 1, mac-android-hidden 1, placeholder-word 1, roster-addition 1`);
  });

  it('applies the roster ranges and local ranges to IP prefixes, and the built-in IP ranges', async () => {
    const path = file('ips.csv', 'ip\n203.0.113.9\n198.51.100.7\n192.168.1.77\n100.64.0.1\n198.18.0.1\n');
    const result = await venn(['ingest', '--dir', hdir, '--kind', 'ip_v4_24', '--column', 'ip', '--json', '--max-rejects', '100', path]);
    expect(JSON.parse(result.stdout)).toMatchObject({ accepted: 1, rejected: 4, hygiene: { byRule: { 'roster-addition': 1, 'local-extension': 1, 'ipv4-private': 1, 'ipv4-cgnat': 1 } } });
  });

  it('refuses a bad extra file before reading the list, naming the config field and the line', async () => {
    const configPath = join(hdir, 'venn.config.json');
    const saved = readFileSync(configPath, 'utf8');
    const badExtra = file('bad-hygiene.txt', 'device_id ok\nphone 415 555 0199\n');
    writeFileSync(configPath, JSON.stringify({ ...(JSON.parse(saved) as object), hygiene: { extraFile: badExtra } }));
    try {
      const result = await venn(['ingest', '--dir', hdir, '--kind', 'email', file('one.csv', 'email\na@example.com\n')]);
      expect(result.code).toBe(1);
      expect(result.stderr).toMatch(/"hygiene\.extraFile": .*bad-hygiene\.txt:2\.value is not a phone.*\[hygiene-invalid\]/);
    } finally {
      writeFileSync(configPath, saved);
    }
  });

  it('venn roster use refuses a roster whose identifierHygiene entry is not canonical, naming the field, and installs nothing', async () => {
    const installed = readFileSync(join(hdir, 'roster.json'), 'utf8');
    const roster = JSON.parse(installed) as Record<string, unknown>;
    const bad = file('bad-hygiene-roster.json', JSON.stringify({ ...roster, identifierHygiene: [...additions, { kind: 'device_id', value: 'ABCDEF0123456789' }] }));
    const result = await venn(['roster', 'use', '--dir', hdir, bad]);
    expect(result.code).toBe(1);
    expect(result.stderr).toMatch(/identifierHygiene\[2\]\.value.*\[hygiene-invalid\]/);
    expect(readFileSync(join(hdir, 'roster.json'), 'utf8')).toBe(installed);
  });

  it('venn matches marks a match whose digest more local accounts hold than sharedValueAccounts', async () => {
    const shared = hashIdentifier('device_id', 'shared-device').digest;
    const single = hashIdentifier('device_id', 'single-device').digest;
    const store = Store.open(join(hdir, 'venn.db'));
    try {
      const list = store.ensureList('devices-m', 'device_id');
      store.addItems(list.id, [{ digest: shared, accountRef: 'm1' }, { digest: shared, accountRef: 'm2' }, { digest: shared, accountRef: 'm3' }, { digest: single, accountRef: 'm4' }]);
      const round = store.createRound({ roundId: new Uint8Array(32).fill(7), peerId: 'lab-x', role: 'initiator', origin: 'ad-hoc', slot: null, mode: 'intersection' });
      store.markRunning(round.row, 4);
      store.finishRound(round.row, { status: 'completed', matches: [{ digest: shared }, { digest: single }] });
    } finally {
      store.close();
    }
    const json = await venn(['matches', '--dir', hdir, '--format', 'json']);
    expect(json.code).toBe(0);
    const rows = (JSON.parse(json.stdout) as Array<{ accountRef: string; accounts: number; shared: boolean }>).map((r) => [r.accountRef, r.accounts, r.shared]);
    expect(rows).toEqual([['m1', 3, true], ['m2', 3, true], ['m3', 3, true], ['m4', 1, false]]);
    const table = await venn(['matches', '--dir', hdir]);
    expect(table.stdout).toMatch(/SHARED/);
    expect(table.stdout.split('\n').filter((line) => line.includes('yes (3 accounts)'))).toHaveLength(3);
    expect(table.stdout.split('\n').find((line) => line.includes('m4'))).not.toMatch(/yes/);
  });
});
