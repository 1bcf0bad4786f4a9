/**
 * `venn ingest` on the inputs that used to lose rows quietly (protocol-spec/identifiers.md §8):
 * every row is accepted, rejected with its line or loses only a bad label, and the exit code
 * says whether the file was taken. Rejects files hold raw identifiers: 0600, only when needed.
 */
import { chmodSync, existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ensureBuilt } from './helpers/build.js';
import { venn } from './helpers/cli.js';
import { ownedDirectory, unprivileged } from './helpers/unprivileged.js';

const root = mkdtempSync(join(tmpdir(), 'venn-ingest-report-'));
chmodSync(root, 0o755);
const dir = join(root, 'node');
afterAll(() => rmSync(root, { recursive: true, force: true }));
beforeAll(async () => {
  ensureBuilt();
  expect((await venn(['init', '--dir', dir, '--id', 'lab-a', '--listen', '127.0.0.1:7001'])).code).toBe(0);
});

function file(name: string, content: string | Buffer): string {
  const path = join(root, name);
  writeFileSync(path, content);
  return path;
}

function query<T>(sql: string, ...params: unknown[]): T[] {
  const db = new Database(join(dir, 'venn.db'), { readonly: true });
  try {
    return db.prepare(sql).all(...params) as T[];
  } finally {
    db.close();
  }
}

const itemsOf = (list: string): Array<{ account_ref: string; category: string | null; first_seen: string | null }> =>
  query('SELECT i.account_ref, i.category, i.first_seen FROM list_items i JOIN lists l ON l.id = i.list_id WHERE l.name = ? ORDER BY i.account_ref', list);
const listExists = (list: string): boolean => query('SELECT 1 FROM lists WHERE name = ?', list).length > 0;

interface Report {
  rows: number; accepted: number; duplicates: number; rejected: number; rejectsPath: string | null; listSize: number;
  rejectCounts: Array<{ code: string; reason: string; count: number }>;
  labelsDropped: Array<{ label: string; reason: string; count: number }>;
}

async function ingest(args: string[], path: string): Promise<{ code: number | null; report: Report | undefined; stderr: string; stdout: string }> {
  const result = await venn(['ingest', '--dir', dir, '--kind', 'email', '--json', ...args, path]);
  let report: Report | undefined;
  try {
    report = JSON.parse(result.stdout) as Report;
  } catch {
    report = undefined;
  }
  return { code: result.code, report, stderr: result.stderr, stdout: result.stdout };
}

const valid = (n: number, prefix = 'ok'): string[] => Array.from({ length: n }, (_, i) => `${prefix}${i}@example.com,${prefix}-${i}`);

describe('rows are never swallowed', () => {
  it('an unclosed quote rejects its own line and the rows after it are read', async () => {
    const path = file('unclosed.csv', ['email,account', '"broken@example.com,acct-x', ...valid(10)].join('\n') + '\n');
    const { code, report, stderr } = await ingest(['--list', 'unclosed', '--account-column', 'account'], path);
    expect(stderr).toBe('');
    expect(code).toBe(0);
    expect(report).toMatchObject({ rows: 11, accepted: 10, rejected: 1, rejectCounts: [{ code: 'invalid-row', reason: 'csv-syntax', count: 1 }] });
    expect(readFileSync(report!.rejectsPath!, 'utf8')).toMatch(/\r\n2,invalid-row,csv-syntax,"?line 2: /);
    expect(itemsOf('unclosed')).toHaveLength(10);
  });

  it('a misplaced quote inside a field spanning lines does not take the next rows with it', async () => {
    const path = file('misquoted.csv', ['email,account', 'a@example.com,"acct', 'b"x', ...valid(3)].join('\n') + '\n');
    const { code, report } = await ingest(['--list', 'misquoted', '--account-column', 'account'], path);
    expect(code).toBe(0);
    // Line 2 opens a quote that closes on line 3 followed by junk: line 2 is rejected, line 3 is
    // read on its own (one field, the header has two: rejected), and the three rows after it count.
    expect(report).toMatchObject({ accepted: 3, rejected: 2 });
    expect(itemsOf('misquoted').map((item) => item.account_ref)).toEqual(['ok-0', 'ok-1', 'ok-2']);
  });

  it('a row missing its trailing empty fields is read with those fields empty', async () => {
    const path = file('short.csv', 'email,account,category\nshort@example.com,acct-1\nfull@example.com,acct-2,fraud\n');
    const { code, report } = await ingest(['--list', 'short', '--account-column', 'account', '--category-column', 'category'], path);
    expect(code).toBe(0);
    expect(report).toMatchObject({ rows: 2, accepted: 2, rejected: 0 });
    expect(itemsOf('short')).toEqual([{ account_ref: 'acct-1', category: null, first_seen: null }, { account_ref: 'acct-2', category: 'fraud', first_seen: null }]);
  });

  it('a bad optional label drops the label with a warning and keeps the identifier', async () => {
    const path = file('labels.csv', 'email,account,first_seen\nlabel@example.com,acct-1,2026/10/07\ngood@example.com,acct-2,2026-10-07\n');
    const { code, report } = await ingest(['--list', 'labels', '--account-column', 'account', '--first-seen-column', 'first_seen'], path);
    expect(code).toBe(0);
    expect(report).toMatchObject({ rows: 2, accepted: 2, rejected: 0, labelsDropped: [{ label: 'first_seen', reason: 'label-first-seen', count: 1 }] });
    expect(itemsOf('labels')).toEqual([{ account_ref: 'acct-1', category: null, first_seen: null }, { account_ref: 'acct-2', category: null, first_seen: '2026-10-07' }]);
    const text = await venn(['ingest', '--dir', dir, '--kind', 'email', '--list', 'labels', '--account-column', 'account', '--first-seen-column', 'first_seen', path]);
    expect(text.stdout).toMatch(/1 label dropped: first_seen \(label-first-seen\) 1/);
  });

  it.each(['csv', 'jsonl'])('an oversized record is one rejected row in %s and the rest is read', async (format) => {
    const huge = 'x'.repeat(5 * 1024 * 1024);
    const lines = format === 'csv'
      ? ['email,account', `big@example.com,${huge}`, ...valid(4)]
      : [`{"email":"big@example.com","account":"${huge}"}`, ...valid(4).map((row) => JSON.stringify({ email: row.split(',')[0], account: row.split(',')[1] }))];
    const path = file(`oversized.${format}`, `${lines.join('\n')}\n`);
    const { code, report } = await ingest(['--list', `oversized-${format}`, '--account-column', 'account'], path);
    expect(code).toBe(0);
    expect(report).toMatchObject({ rows: 5, accepted: 4, rejected: 1 });
    expect(report!.rejectCounts).toEqual([{ code: 'invalid-row', reason: format === 'csv' ? 'record-too-large' : 'line-too-long', count: 1 }]);
  });
});

describe('a file that cannot be taken fails, and leaves nothing behind', () => {
  it('a JSONL member that no row has is an error before reading, like a CSV column', async () => {
    const path = file('typo.jsonl', `${valid(8).map((row) => JSON.stringify({ email: row.split(',')[0] })).join('\n')}\n`);
    const { code, stderr } = await ingest(['--list', 'typo', '--column', 'emial'], path);
    expect(code).toBe(1);
    expect(stderr.trimEnd().split('\n')).toHaveLength(1);
    expect(stderr).toMatch(/"column" names member "emial", which no object .*has.*\[ingest-missing-column\]/);
    expect(listExists('typo')).toBe(false);
    expect(existsSync(`${path}.rejects.csv`)).toBe(false);
  });

  it('more rejects than the threshold: the report is printed, nothing is stored, exit 1', async () => {
    const path = file('all-bad.csv', `email\n${Array.from({ length: 30_000 }, (_, i) => `not-an-email-${i}`).join('\n')}\n`);
    const { code, report, stderr } = await ingest(['--list', 'all-bad'], path);
    expect(code).toBe(1);
    expect(report).toMatchObject({ rows: 30_000, accepted: 0, rejected: 30_000, rejectCounts: [{ code: 'invalid-email', reason: 'email-at-sign', count: 30_000 }] });
    expect(stderr).toMatch(/30000 of 30000 rows rejected \(100%\), more than ingest.maxRejectPercent 50%.*\[ingest-too-many-rejects\]/);
    expect(listExists('all-bad')).toBe(false);
  });

  it('the threshold is an option: 60% rejects pass under --max-rejects 70', async () => {
    const path = file('mostly-bad.csv', ['email,account', ...valid(4), ...Array.from({ length: 6 }, (_, i) => `bad-${i},x`)].join('\n') + '\n');
    const refused = await ingest(['--list', 'mostly-bad', '--account-column', 'account'], path);
    expect(refused.code).toBe(1);
    expect(listExists('mostly-bad')).toBe(false);
    const taken = await ingest(['--list', 'mostly-bad', '--account-column', 'account', '--max-rejects', '70'], path);
    expect(taken.code).toBe(0);
    expect(taken.report).toMatchObject({ accepted: 4, rejected: 6 });
    expect(itemsOf('mostly-bad')).toHaveLength(4);
  });
});

describe('rejects files', () => {
  it('are created 0600, only when a row is rejected, and can be put elsewhere with --rejects', async () => {
    const clean = file('clean.csv', `email\n${valid(3).map((row) => row.split(',')[0]).join('\n')}\n`);
    const cleanResult = await ingest(['--list', 'clean'], clean);
    expect(cleanResult.code).toBe(0);
    expect(cleanResult.report?.rejectsPath).toBeNull();
    expect(existsSync(`${clean}.rejects.csv`)).toBe(false);

    const messy = file('messy.csv', `email\n${valid(3).map((row) => row.split(',')[0]).join('\n')}\nnot-an-email\n`);
    const beside = await ingest(['--list', 'messy'], messy);
    expect(beside.report?.rejectsPath).toBe(`${messy}.rejects.csv`);
    expect(statSync(`${messy}.rejects.csv`).mode & 0o777).toBe(0o600);

    const elsewhere = join(root, 'private', 'messy-rejects.csv');
    mkdirSync(join(root, 'private'));
    const moved = await ingest(['--list', 'messy', '--rejects', elsewhere], messy);
    expect(moved.code).toBe(0);
    expect(moved.report?.rejectsPath).toBe(elsewhere);
    expect(statSync(elsewhere).mode & 0o777).toBe(0o600);
    expect(readFileSync(elsewhere, 'utf8')).toMatch(/\r\n5,invalid-email,email-at-sign,/);
  });

  it('an input in a read-only directory: an environment error naming the path, and --rejects as the way out', async () => {
    const home = ownedDirectory(join(root, 'unprivileged'));
    const node = join(home, 'node');
    expect((await venn(['init', '--dir', node, '--id', 'lab-u', '--listen', '127.0.0.1:7002'], unprivileged)).code).toBe(0);
    const exports = join(root, 'read-only-exports');
    mkdirSync(exports, { mode: 0o755 });
    const input = join(exports, 'list.csv');
    writeFileSync(input, 'email\nx@example.com\nnot-an-email\ny@example.com\n');
    chmodSync(input, 0o644);
    const blocked = await venn(['ingest', '--dir', node, '--kind', 'email', '--max-rejects', '50', input], unprivileged);
    expect(blocked.code).toBe(3);
    expect(blocked.stderr).toContain(`${input}.rejects.csv`);
    expect(blocked.stderr).toMatch(/--rejects/);
    const redirected = await venn(['ingest', '--dir', node, '--kind', 'email', '--json', '--rejects', join(home, 'list.rejects.csv'), input], unprivileged);
    expect(redirected.stderr).toBe('');
    expect(redirected.code).toBe(0);
    expect(JSON.parse(redirected.stdout)).toMatchObject({ accepted: 2, rejected: 1, rejectsPath: join(home, 'list.rejects.csv') });
  });
});

describe('the config\'s ingest settings (node.md §3: ingest.rejectsDir, ingest.maxRejectPercent)', () => {
  const configured = join(root, 'configured');
  const rejectsDir = join(root, 'configured-rejects');
  beforeAll(async () => {
    expect((await venn(['init', '--dir', configured, '--id', 'lab-c', '--listen', '127.0.0.1:7003'])).code).toBe(0);
    const configPath = join(configured, 'venn.config.json');
    const config = JSON.parse(readFileSync(configPath, 'utf8')) as Record<string, unknown>;
    writeFileSync(configPath, JSON.stringify({ ...config, ingest: { rejectsDir, maxRejectPercent: 20 } }, null, 2));
  });
  const ingestInto = async (args: string[], input?: string): Promise<{ code: number | null; report: Report | undefined; stderr: string }> => {
    const result = await venn(['ingest', '--dir', configured, '--kind', 'email', '--json', ...args], input === undefined ? {} : { input });
    let report: Report | undefined;
    try {
      report = JSON.parse(result.stdout) as Report;
    } catch {
      report = undefined;
    }
    return { code: result.code, report, stderr: result.stderr };
  };
  const configuredItems = (list: string): number => {
    const db = new Database(join(configured, 'venn.db'), { readonly: true });
    try {
      return (db.prepare('SELECT count(*) AS n FROM list_items i JOIN lists l ON l.id = i.list_id WHERE l.name = ?').get(list) as { n: number }).n;
    } finally {
      db.close();
    }
  };

  it('rejects go to ingest.rejectsDir (created 0700, files 0600), not beside the input; none when nothing is rejected', async () => {
    const messy = file('configured-messy.csv', `email\n${valid(9).map((row) => row.split(',')[0]).join('\n')}\nnot-an-email\n`);
    const moved = await ingestInto(['--list', 'messy', messy]);
    expect(moved.stderr).toBe('');
    expect(moved.code).toBe(0);
    expect(moved.report).toMatchObject({ accepted: 9, rejected: 1, rejectsPath: join(rejectsDir, 'configured-messy.csv.rejects.csv') });
    expect(statSync(join(rejectsDir, 'configured-messy.csv.rejects.csv')).mode & 0o777).toBe(0o600);
    expect(statSync(rejectsDir).mode & 0o777).toBe(0o700);
    expect(readFileSync(join(rejectsDir, 'configured-messy.csv.rejects.csv'), 'utf8')).toMatch(/\r\n11,invalid-email,email-at-sign,.*not-an-email/);
    expect(existsSync(`${messy}.rejects.csv`)).toBe(false);

    const clean = file('configured-clean.csv', `email\n${valid(3).map((row) => row.split(',')[0]).join('\n')}\n`);
    const none = await ingestInto(['--list', 'clean', clean]);
    expect(none.code).toBe(0);
    expect(none.report?.rejectsPath).toBeNull();
    expect(existsSync(join(rejectsDir, 'configured-clean.csv.rejects.csv'))).toBe(false);
    expect(existsSync(`${clean}.rejects.csv`)).toBe(false);

    // --rejects wins over the config.
    const given = join(root, 'given.rejects.csv');
    const overridden = await ingestInto(['--list', 'messy', '--rejects', given, messy]);
    expect(overridden.report?.rejectsPath).toBe(given);
    expect(statSync(given).mode & 0o777).toBe(0o600);
  });

  it('standard input: rejects go to ingest.rejectsDir when set, else DIR/rejects/ (0700), 0600, none when nothing is rejected', async () => {
    const input = `email\n${valid(9).map((row) => row.split(',')[0]).join('\n')}\nnot-an-email\n`;
    const viaConfig = await ingestInto(['--list', 'stdin', '--format', 'csv', '-'], input);
    expect(viaConfig.code).toBe(0);
    expect(viaConfig.report?.rejectsPath?.startsWith(`${rejectsDir}/stdin-`)).toBe(true);
    expect(statSync(viaConfig.report!.rejectsPath!).mode & 0o777).toBe(0o600);

    const plain = await venn(['ingest', '--dir', dir, '--kind', 'email', '--json', '--list', 'stdin', '--format', 'csv', '-'], { input });
    expect(plain.stderr).toBe('');
    expect(plain.code).toBe(0);
    const report = JSON.parse(plain.stdout) as Report;
    expect(report).toMatchObject({ accepted: 9, rejected: 1 });
    expect(report.rejectsPath).toMatch(new RegExp(`^${join(dir, 'rejects').replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}/stdin-[^/]+\\.rejects\\.csv$`));
    expect(statSync(report.rejectsPath!).mode & 0o777).toBe(0o600);
    expect(statSync(join(dir, 'rejects')).mode & 0o777).toBe(0o700);
    expect(readFileSync(report.rejectsPath!, 'utf8')).toMatch(/\r\n11,invalid-email,email-at-sign,.*not-an-email/);

    const before = readdirSync(join(dir, 'rejects')).length;
    const clean = await venn(['ingest', '--dir', dir, '--kind', 'email', '--json', '--list', 'stdin', '--format', 'csv', '-'], { input: `email\n${valid(3, 'clean').map((row) => row.split(',')[0]).join('\n')}\n` });
    expect(clean.code).toBe(0);
    expect((JSON.parse(clean.stdout) as Report).rejectsPath).toBeNull();
    expect(readdirSync(join(dir, 'rejects'))).toHaveLength(before);
  });

  it('ingest.maxRejectPercent is the threshold: over it the report is printed and ingest exits 1; --max-rejects overrides it', async () => {
    // 3 of 10 rows rejected: 30%, over the configured 20% but under the default 50%.
    const path = file('configured-30.csv', `email\n${valid(7).map((row) => row.split(',')[0]).join('\n')}\nbad-1\nbad-2\nbad-3\n`);
    const refused = await ingestInto(['--list', 'thirty', path]);
    expect(refused.code).toBe(1);
    expect(refused.report).toMatchObject({ rows: 10, accepted: 7, rejected: 3, rejectsPath: join(rejectsDir, 'configured-30.csv.rejects.csv') });
    expect(refused.stderr).toMatch(/3 of 10 rows rejected \(30%\), more than ingest.maxRejectPercent 20%.*\[ingest-too-many-rejects\]/);
    expect(configuredItems('thirty')).toBe(0);
    const text = await venn(['ingest', '--dir', configured, '--kind', 'email', '--list', 'thirty', path]);
    expect(text.code).toBe(1);
    expect(text.stdout).toMatch(/10 rows: 7 accepted, 0 duplicates, 3 rejected .*; list thirty unchanged/);

    const taken = await ingestInto(['--list', 'thirty', '--max-rejects', '30', path]);
    expect(taken.stderr).toBe('');
    expect(taken.code).toBe(0);
    expect(configuredItems('thirty')).toBe(7);

    // The default node (50%) takes the same file.
    const elsewhere = await ingest(['--list', 'thirty'], path);
    expect(elsewhere.code).toBe(0);
  });
});
