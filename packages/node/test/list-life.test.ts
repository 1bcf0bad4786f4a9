/**
 * The life of a list (protocol-spec/node.md §2.1) with real daemons: venn lists, failed ingests
 * that leave nothing, removal and dropping through the running daemon, retention on the daemon's
 * clock; removed identifiers stop matching in the next real round while recorded matches stay.
 */
import { createHash } from 'node:crypto';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ensureBuilt } from './helpers/build.js';
import { venn } from './helpers/cli.js';
import { Federation, emails, type NodeProcess } from './helpers/federation.js';

interface ListJson {
  name: string; kind: string; items: number; digests: number; lastIngestedAt: string | null;
  retention: { ttl: string; ttlSeconds: number; from: string; source: string } | null;
  ingests: Array<{ file: string; sha256: string | null; rows: number; accepted: number; rejected: number; ingestedAt: string }>;
}
interface MatchJson { kind: string; list: string; accountRef: string | null; peers: string[]; round: string }

async function json<T>(args: string[]): Promise<T> {
  const result = await venn(args);
  expect(result.stderr, args.join(' ')).toBe('');
  expect(result.code, args.join(' ')).toBe(0);
  return JSON.parse(result.stdout) as T;
}

async function round(from: NodeProcess, peer: string): Promise<{ roundId: string; status: string; intersectionSize: number }> {
  return json(['round', '--dir', from.dir, '--peer', peer, '--json']);
}

describe('the life of a list', () => {
  let federation: Federation;
  let a: NodeProcess;
  let b: NodeProcess;
  let suspiciousFile: string;
  let firstRound: string;

  beforeAll(async () => {
    ensureBuilt();
    // The config's retention for a list overrides the one venn ingest --ttl gave it (node.md §2.1).
    federation = await Federation.create({ ids: ['lab-a', 'lab-b'], config: { 'lab-a': { lists: { 'by-config': { ttl: '1d' } } } } });
    a = federation.node('lab-a');
    b = federation.node('lab-b');
    await federation.ingest('lab-a', emails(0, 100));
    suspiciousFile = join(federation.root, 'lab-a-suspicious.csv');
    await federation.ingest('lab-a', Array.from({ length: 10 }, (_, i) => `f${i}@example.com`), 'extra');
    const shortLived = join(federation.root, 'short-lived.csv');
    writeFileSync(shortLived, `email,account\n${Array.from({ length: 10 }, (_, i) => `g${i}@example.com,g-${i}`).join('\n')}\n`);
    const ttl = await venn(['ingest', '--dir', a.dir, '--kind', 'email', '--list', 'short-lived', '--account-column', 'account', '--ttl', '1d', shortLived]);
    expect(ttl.code, ttl.stderr).toBe(0);
    const byConfig = join(federation.root, 'by-config.csv');
    writeFileSync(byConfig, `email\n${Array.from({ length: 10 }, (_, i) => `h${i}@example.com`).join('\n')}\n`);
    const configured = await venn(['ingest', '--dir', a.dir, '--kind', 'email', '--list', 'by-config', '--ttl', '52w', byConfig]);
    expect(configured.code, configured.stderr).toBe(0);
    // Ingested now, first seen 29 days ago (k0-k4) or 10 days ago (k5-k9): 30 days from first_seen.
    const day = (daysAgo: number): string => new Date(Date.now() - daysAgo * 86_400_000).toISOString().slice(0, 10);
    const byFirstSeen = join(federation.root, 'by-first-seen.csv');
    writeFileSync(byFirstSeen, `email,account,first_seen\n${Array.from({ length: 10 }, (_, i) => `k${i}@example.com,k-${i},${day(i < 5 ? 29 : 10)}`).join('\n')}\n`);
    const firstSeen = await venn(['ingest', '--dir', a.dir, '--kind', 'email', '--list', 'by-first-seen', '--account-column', 'account', '--first-seen-column', 'first_seen', '--ttl', '30d', '--ttl-from', 'first_seen', byFirstSeen]);
    expect(firstSeen.code, firstSeen.stderr).toBe(0);
    const held = (prefix: string): string[] => Array.from({ length: 10 }, (_, i) => `${prefix}${i}@example.com`);
    await federation.ingest('lab-b', [...emails(50, 150), ...held('f'), ...held('g'), ...held('h'), ...held('k')]);
  }, 120_000);
  afterAll(() => federation.close());

  it('venn lists shows each list\'s kind, size, last ingest, files with their SHA-256 and retention', async () => {
    const lists = await json<ListJson[]>(['lists', '--dir', a.dir, '--json']);
    expect(lists.map((l) => l.name)).toEqual(['by-config', 'by-first-seen', 'extra', 'short-lived', 'suspicious']);
    const suspicious = lists.find((l) => l.name === 'suspicious')!;
    expect(suspicious).toMatchObject({ kind: 'email', items: 100, digests: 100, retention: null });
    expect(Date.parse(suspicious.lastIngestedAt ?? '')).toBeGreaterThan(Date.now() - 600_000);
    expect(suspicious.ingests).toEqual([expect.objectContaining({
      file: suspiciousFile, sha256: createHash('sha256').update(readFileSync(suspiciousFile)).digest('hex'), rows: 100, accepted: 100, rejected: 0,
    })]);
    expect(lists.find((l) => l.name === 'short-lived')?.retention).toEqual({ ttl: '1d', ttlSeconds: 86_400, from: 'ingest', source: 'list' });
    expect(lists.find((l) => l.name === 'by-config')?.retention).toEqual({ ttl: '1d', ttlSeconds: 86_400, from: 'ingest', source: 'config' });
    expect(lists.find((l) => l.name === 'by-first-seen')?.retention).toEqual({ ttl: '30d', ttlSeconds: 2_592_000, from: 'first_seen', source: 'list' });
    const text = await venn(['lists', '--dir', a.dir]);
    expect(text.stdout).toMatch(/short-lived\s+email\s+10\s+10\s+\S+\s+1d from ingest/);
    expect(text.stdout).toMatch(/by-config\s+email\s+10\s+10\s+\S+\s+1d from ingest \(config\)/);
    expect(text.stdout).toMatch(/by-first-seen\s+email\s+10\s+10\s+\S+\s+30d from first_seen/);
    expect(text.stdout).toContain(createHash('sha256').update(readFileSync(suspiciousFile)).digest('hex').slice(0, 16));
  });

  it('a failed ingest creates no list', async () => {
    const utf16 = join(federation.root, 'utf16.csv');
    writeFileSync(utf16, Buffer.from('\ufeffemail\r\nx@example.com\r\n', 'utf16le'));
    const empty = join(federation.root, 'empty.csv');
    writeFileSync(empty, '');
    const phones = join(federation.root, 'phones.csv');
    writeFileSync(phones, 'phone\n(415) 555-0100\n');
    const failures: string[][] = [
      ['--kind', 'email', '--list', 'from-empty', empty],
      ['--kind', 'email', '--list', 'from-utf16', utf16],
      ['--kind', 'email', '--list', 'missing-column', '--column', 'mail', suspiciousFile],
      ['--kind', 'phone', '--list', 'bad-region', '--region', 'XX', phones],
      ['--kind', 'email', '--list', 'abuse emails', suspiciousFile],
    ];
    for (const args of failures) {
      const result = await venn(['ingest', '--dir', a.dir, ...args]);
      expect(result.code, args.join(' ')).not.toBe(0);
      expect(result.stderr.trimEnd().split('\n'), args.join(' ')).toHaveLength(1);
    }
    expect((await json<ListJson[]>(['lists', '--dir', a.dir, '--json'])).map((l) => l.name)).toEqual(['by-config', 'by-first-seen', 'extra', 'short-lived', 'suspicious']);
  });

  it('identifiers removed or dropped while the daemon runs stop matching in the next round; recorded matches stay', async () => {
    await federation.startAll(Date.now());
    const first = await round(b, 'lab-a');
    // 50 of suspicious, 10 each of extra, short-lived, by-config and by-first-seen: nothing expired at start.
    expect(first).toMatchObject({ status: 'completed', intersectionSize: 90 });
    firstRound = first.roundId;

    // Spelled differently from the ingested value: removal canonicalizes like ingest.
    const removed = await venn(['remove', '--dir', a.dir, '--list', 'suspicious', '--format', 'csv', '--json', '-'], { input: 'email\n E60@Example.COM \ne61@example.com\nnobody@example.com\n' });
    expect(removed.stderr).toBe('');
    expect(removed.code).toBe(0);
    expect(JSON.parse(removed.stdout)).toMatchObject({ list: 'suspicious', identifiers: 3, found: 2, notFound: 1, removed: 2, listSize: 98, via: 'daemon' });
    const dropped = await json<{ items: number; via: string }>(['lists', 'drop', '--dir', a.dir, 'extra', '--json']);
    expect(dropped).toMatchObject({ items: 10, via: 'daemon' });

    const second = await round(b, 'lab-a');
    expect(second).toMatchObject({ status: 'completed', intersectionSize: 78 });
    const latest = await json<MatchJson[]>(['matches', '--dir', a.dir, '--round', second.roundId, '--json']);
    expect(latest).toHaveLength(78);
    expect(latest.some((m) => m.accountRef === 'acct-e60' || m.list === 'extra')).toBe(false);
    // The first round's matches keep their list and account, removed or not.
    const history = await json<MatchJson[]>(['matches', '--dir', a.dir, '--round', firstRound, '--json']);
    expect(history).toHaveLength(90);
    expect(history.filter((m) => m.accountRef === 'acct-e60' || m.accountRef === 'acct-e61').map((m) => m.list)).toEqual(['suspicious', 'suspicious']);
    expect(history.filter((m) => m.list === 'extra')).toHaveLength(10);
    expect((await json<Array<{ status: string }>>(['rounds', '--dir', a.dir, '--json'])).map((r) => r.status)).toEqual(['completed', 'completed']);
  }, 120_000);

  it('a list past its retention (from venn ingest --ttl, from the config, from first_seen) expires on the daemon\'s clock and stops matching', async () => {
    await a.stop();
    a.clockOffsetMs += 2 * 86_400_000;
    a.start();
    await a.started();
    await a.waitForLog((line) => line.msg === 'identifiers expired' && line['list'] === 'short-lived' && line['removed'] === 10, 30_000, 'expiry');
    await a.waitForLog((line) => line.msg === 'identifiers expired' && line['list'] === 'by-config' && line['removed'] === 10, 30_000, 'expiry by config');
    // Counted from first_seen, k0-k4 are now 31 days old; counted from the ingest, none would be.
    await a.waitForLog((line) => line.msg === 'identifiers expired' && line['list'] === 'by-first-seen' && line['removed'] === 5, 30_000, 'expiry by first_seen');
    const third = await round(b, 'lab-a');
    expect(third).toMatchObject({ status: 'completed', intersectionSize: 53 });
    const lists = await json<ListJson[]>(['lists', '--dir', a.dir, '--json']);
    expect(lists.find((l) => l.name === 'short-lived')).toMatchObject({ items: 0 });
    expect(lists.find((l) => l.name === 'by-config')).toMatchObject({ items: 0 });
    expect(lists.find((l) => l.name === 'by-first-seen')).toMatchObject({ items: 5 });
    const matched = await json<MatchJson[]>(['matches', '--dir', a.dir, '--round', third.roundId, '--json']);
    expect(matched.filter((m) => m.list === 'by-first-seen').map((m) => m.accountRef).sort()).toEqual(['k-5', 'k-6', 'k-7', 'k-8', 'k-9']);
    expect(matched.some((m) => m.list === 'by-config' || m.list === 'short-lived')).toBe(false);
  }, 120_000);
});
