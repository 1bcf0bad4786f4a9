import { chmodSync, existsSync, mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parseRoster, rosterDigest } from '@venn/transport';
import { ensureBuilt } from './helpers/build.js';
import { venn } from './helpers/cli.js';

const root = mkdtempSync(join(tmpdir(), 'venn-cli-'));
afterAll(() => rmSync(root, { recursive: true, force: true }));
beforeAll(() => ensureBuilt());

/** Exactly one line on stderr: what the contract promises for every failure. */
function oneLine(stderr: string): string {
  expect(stderr.endsWith('\n')).toBe(true);
  expect(stderr.trimEnd().split('\n')).toHaveLength(1);
  return stderr.trimEnd();
}

describe('venn init', () => {
  it('creates config, a 0600 identity key, the store, and prints a valid roster entry', async () => {
    const dir = join(root, 'lab-a');
    const result = await venn(['init', '--dir', dir, '--id', 'lab-a', '--listen', '127.0.0.1:7001', '--admin', '127.0.0.1:7101', '--name', 'Lab A', '--share-labels', 'category,reason']);
    expect(result.stderr).toBe('');
    expect(result.code).toBe(0);
    const entry = JSON.parse(result.stdout) as Record<string, unknown>;
    expect(entry).toMatchObject({ id: 'lab-a', name: 'Lab A', endpoint: 'ws://127.0.0.1:7001', policy: { shareLabels: ['category', 'reason'], maxPeerSetSize: 1_000_000 } });
    expect(entry['identityKey']).toMatch(/^[0-9a-f]{64}$/);
    expect(statSync(join(dir, 'identity.key')).mode & 0o777).toBe(0o600);
    expect(statSync(join(dir, 'admin.token')).mode & 0o777).toBe(0o600);
    expect(statSync(join(dir, 'venn.db')).isFile()).toBe(true);
    const config = JSON.parse(readFileSync(join(dir, 'venn.config.json'), 'utf8')) as Record<string, unknown>;
    expect(config).toMatchObject({ version: 1, id: 'lab-a', listen: '127.0.0.1:7001', admin: '127.0.0.1:7101' });
    // The entry is accepted by the roster parser as a member.
    expect(() => parseRoster({ version: 1, federation: { name: 'f', epoch: 1 }, schedule: { cron: '0 * * * *', windowMinutes: 5, timezone: 'UTC' }, members: [entry] })).not.toThrow();
  });

  it('publishes an endpoint with a path, as a proxy routing by path needs (transport.md §6.6)', async () => {
    const dir = join(root, 'proxied');
    const result = await venn(['init', '--dir', dir, '--id', 'lab-p', '--listen', '127.0.0.1:7010', '--endpoint', 'wss://venn.lab-p.example/venn']);
    expect(result.code).toBe(0);
    const entry = JSON.parse(result.stdout) as Record<string, unknown>;
    expect(entry['endpoint']).toBe('wss://venn.lab-p.example/venn');
    expect(() => parseRoster({ version: 1, federation: { name: 'f', epoch: 1 }, schedule: { cron: '0 * * * *', windowMinutes: 5, timezone: 'UTC' }, members: [entry] })).not.toThrow();
  });

  it('seals the key when VENN_KEY_PASSPHRASE is set', async () => {
    const dir = join(root, 'sealed');
    const result = await venn(['init', '--dir', dir, '--id', 'lab-s', '--listen', '127.0.0.1:7009'], { env: { VENN_KEY_PASSPHRASE: 'hunter2 hunter2' } });
    expect(result.code).toBe(0);
    const key = JSON.parse(readFileSync(join(dir, 'identity.key'), 'utf8')) as Record<string, unknown>;
    expect(key['seed']).toBeUndefined();
    expect(key['sealed']).toMatchObject({ kdf: 'argon2id13', cipher: 'xsalsa20poly1305' });
  });

  it('refuses to initialize a directory twice', async () => {
    const dir = join(root, 'twice');
    expect((await venn(['init', '--dir', dir, '--id', 'lab-t', '--listen', '127.0.0.1:7002'])).code).toBe(0);
    const again = await venn(['init', '--dir', dir, '--id', 'lab-t', '--listen', '127.0.0.1:7002']);
    expect(again.code).toBe(1);
    expect(oneLine(again.stderr)).toMatch(/venn init: "--dir" expected a new or empty node directory.*\[already-initialized\]/);
  });

  it('venn synth writes lists as large as one round carries (2^20) and refuses one more, naming the limit', async () => {
    const result = await venn(['synth', '--out', join(root, 'synth-too-large'), '--size', '1048577']);
    expect(result.code).not.toBe(0);
    expect(oneLine(result.stderr)).toMatch(/"--size" expected an integer between 1 and 1048576, got "1048577"/);
    expect(existsSync(join(root, 'synth-too-large'))).toBe(false);
  });

  const bad: Array<[string, string[], RegExp]> = [
    ['a bad lab id', ['--id', 'Lab A', '--listen', '127.0.0.1:1'], /"--id" expected 1 to 63 characters/],
    ['a listen address without a port', ['--id', 'lab-x', '--listen', 'localhost'], /"listen" expected HOST:PORT.*got "localhost"/],
    ['an out-of-range port', ['--id', 'lab-x', '--listen', '127.0.0.1:99999'], /"listen" expected a port between 0 and 65535/],
    ['an unknown mode', ['--id', 'lab-x', '--listen', '127.0.0.1:1', '--modes', 'union'], /"--modes" expected a comma-separated list of intersection, cardinality, got "union"/],
    ['a zero cap', ['--id', 'lab-x', '--listen', '127.0.0.1:1', '--max-peer-set-size', '0'], /"--max-peer-set-size" expected an integer between 1 and 1048576, got "0"/],
    ['a cap above the protocol maximum', ['--id', 'lab-x', '--listen', '127.0.0.1:1', '--max-peer-set-size', '1048577'], /"--max-peer-set-size" expected an integer between 1 and 1048576, got "1048577"/],
    ['a missing --id', ['--listen', '127.0.0.1:1'], /"--id" expected LAB_ID, got nothing/],
    ['an unknown flag', ['--id', 'lab-x', '--listen', '127.0.0.1:1', '--colour'], /Unknown option '--colour'/],
    ['an http endpoint', ['--id', 'lab-x', '--listen', '127.0.0.1:1', '--endpoint', 'http://venn.lab-x.example'], /"--endpoint" expected a ws:\/\/ or wss:\/\/ URL/],
    ['an endpoint with a query', ['--id', 'lab-x', '--listen', '127.0.0.1:1', '--endpoint', 'wss://venn.lab-x.example/venn?x=1'], /"--endpoint" expected .* no credentials, query or fragment, got "wss:\/\/venn.lab-x.example\/venn\?x=1"/],
  ];
  it.each(bad)('rejects %s with a one-line reason and creates nothing', async (_name, args, message) => {
    const dir = join(root, `bad-${Math.random().toString(16).slice(2)}`);
    const result = await venn(['init', '--dir', dir, ...args]);
    expect(result.code).not.toBe(0);
    expect(oneLine(result.stderr)).toMatch(message);
    expect(() => statSync(dir)).toThrow();
  });
});

describe('venn roster', () => {
  it('builds a roster from entries and installs it; both print the same digest', async () => {
    const entries: string[] = [];
    for (const [id, port] of [['lab-c', 7011], ['lab-b', 7012]] as const) {
      const result = await venn(['init', '--dir', join(root, id), '--id', id, '--listen', `127.0.0.1:${port}`, '--admin', `127.0.0.1:${port + 100}`]);
      expect(result.code).toBe(0);
      const path = join(root, `${id}.entry.json`);
      writeFileSync(path, result.stdout);
      entries.push(path);
    }
    const out = join(root, 'roster.json');
    const built = await venn(['roster', 'build', '--name', 'venn-test', '--schedule', '0 */4 * * *', '--window', '4', '--out', out, ...entries]);
    expect(built.stderr).toBe('');
    expect(built.code).toBe(0);
    const roster = parseRoster(readFileSync(out, 'utf8'));
    expect(built.stdout.trim()).toBe(Buffer.from(rosterDigest(roster)).toString('hex'));
    expect(roster.members.map((m) => m.id)).toEqual(['lab-b', 'lab-c']);
    expect(roster.schedule).toEqual({ cron: '0 */4 * * *', windowMinutes: 4, timezone: 'UTC' });

    const used = await venn(['roster', 'use', '--dir', join(root, 'lab-b'), out, '--json']);
    expect(used.code).toBe(0);
    expect(JSON.parse(used.stdout)).toMatchObject({ digest: built.stdout.trim(), peers: ['lab-c'] });
    expect(readFileSync(join(root, 'lab-b', 'roster.json'), 'utf8')).toBe(readFileSync(out, 'utf8'));

    // A node that is not in the roster refuses it.
    const outsider = await venn(['roster', 'use', '--dir', join(root, 'lab-a'), out]);
    expect(outsider.code).toBe(1);
    expect(oneLine(outsider.stderr)).toMatch(/expected an entry for this node \(lab-a\), got ids lab-b, lab-c \[not-a-member\]/);
  });

  it('names the field of a bad entry', async () => {
    const path = join(root, 'bad.entry.json');
    writeFileSync(path, JSON.stringify({ id: 'lab-z', name: 'Z', endpoint: 'http://x:1', identityKey: 'zz', policy: {} }));
    const result = await venn(['roster', 'build', '--name', 'f', '--out', join(root, 'never.json'), path]);
    expect(result.code).toBe(1);
    expect(oneLine(result.stderr)).toMatch(/members\[0\]\.endpoint expected a ws:\/\/ or wss:\/\/ URL, got "http:\/\/x:1"/);
  });

  it('rejects an unknown subcommand', async () => {
    const result = await venn(['roster', 'merge']);
    expect(result.code).toBe(2);
    expect(oneLine(result.stderr)).toMatch(/expected "build" or "use" after venn roster, got "merge"/);
  });
});

describe('read-only commands on a fresh node', () => {
  it('rounds, matches and status answer with empty results and the daemon down', async () => {
    const dir = join(root, 'lab-b');
    const rounds = await venn(['rounds', '--dir', dir, '--json']);
    expect(rounds.code).toBe(0);
    expect(JSON.parse(rounds.stdout)).toEqual([]);
    const matches = await venn(['matches', '--dir', dir, '--format', 'csv']);
    expect(matches.code).toBe(0);
    // The label columns follow the roster's peers, so an empty queue already has them.
    expect(matches.stdout).toBe('account_ref,kinds,peers,identifiers,first_matched,latest_match,state,note,reviewed_at,label_lab-c_category,label_lab-c_first_seen,label_lab-c_reason\r\n');
    const status = await venn(['status', '--dir', dir, '--json']);
    expect(status.code).toBe(0);
    const report = JSON.parse(status.stdout) as Record<string, unknown>;
    expect(report).toMatchObject({ node: 'lab-b', daemon: { up: false }, elements: 0, lists: [], log: { size: 0 } });
    const day = new Date().toISOString().slice(0, 10);
    expect(report['peers']).toEqual([{
      id: 'lab-c', endpoint: 'ws://127.0.0.1:7011', lastRound: null, roundsToday: 0,
      quota: { day, rounds: { used: 0, limit: 8, left: 8 }, adHocRounds: { used: 0, limit: 4, left: 4 } },
      // node.md §5.2–§5.3 defaults: 2 × the cap a day and a round, 3 abandonments a day.
      budget: { used: 0, limit: 2_000_000, left: 2_000_000, windowHours: 24, served: 0, reserved: 0, perRoundLimit: 2_000_000 },
      abandonments: { last24h: 0, limit: 3, suspended: false },
    }]);
    expect(Date.parse(String(report['nextSlot']))).toBeGreaterThan(Date.now() - 1000);
  });

  it('reports a missing node directory in one line', async () => {
    const result = await venn(['rounds', '--dir', join(root, 'nope')]);
    expect(result.code).toBe(1);
    expect(oneLine(result.stderr)).toMatch(/expected a Venn node config file.*\[config-not-found\]/);
  });

  it('rejects a bad --format and an unknown round id', async () => {
    const dir = join(root, 'lab-b');
    const format = await venn(['matches', '--dir', dir, '--format', 'xml']);
    expect(format.code).toBe(2);
    expect(oneLine(format.stderr)).toMatch(/"--format" expected table, json or csv, got "xml"/);
    const round = await venn(['matches', '--dir', dir, '--round', 'deadbeefdeadbeef']);
    expect(round.code).toBe(1);
    expect(oneLine(round.stderr)).toMatch(/\[unknown-round\]/);
    const state = await venn(['matches', '--dir', dir, '--format', 'csv', '--state', 'closed']);
    expect(state.code).toBe(1);
    expect(oneLine(state.stderr)).toBe('venn matches: "state" expected one of new, reviewed, actioned, false-positive, got "closed" [invalid-filter]');
    const since = await venn(['matches', '--dir', dir, '--since', '2030-02-30']);
    expect(oneLine(since.stderr)).toMatch(/"since" expected a UTC day YYYY-MM-DD, got "2030-02-30" \[invalid-filter\]/);
  });
});

describe('venn start', () => {
  it('refuses an admin token file readable by group or others, naming the path and its mode', async () => {
    const dir = join(root, 'token-mode');
    expect((await venn(['init', '--dir', dir, '--id', 'lab-m', '--listen', '127.0.0.1:0', '--admin', '127.0.0.1:0'])).code).toBe(0);
    const token = join(dir, 'admin.token');
    for (const mode of [0o644, 0o640, 0o604]) {
      chmodSync(token, mode);
      const result = await venn(['start', '--dir', dir]);
      expect(result.code).toBe(1);
      expect(oneLine(result.stderr)).toBe(`venn start: "adminToken" ${token} expected mode 0600, got 0${mode.toString(8)} (run chmod 600 ${token}) [admin-token-permissions]`);
    }
    chmodSync(token, 0o600);
    writeFileSync(token, '\n');
    const empty = await venn(['start', '--dir', dir]);
    expect(empty.code).toBe(1);
    expect(oneLine(empty.stderr)).toMatch(/"adminToken" .*admin\.token expected a token of at least 32 characters, got 0 \[admin-token-invalid\]/);
  });
});

describe('help', () => {
  it.each(['init', 'rounds', 'matches', 'status', 'roster build', 'roster use'])('venn %s --help', async (command) => {
    const result = await venn([...command.split(' '), '--help']);
    expect(result.code).toBe(0);
    expect(result.stdout).toMatch(new RegExp(`^usage: venn ${command} `));
    expect(result.stdout).toContain('--help');
  });

  it('lists the commands', async () => {
    const result = await venn(['--help']);
    expect(result.code).toBe(0);
    for (const name of ['init', 'roster', 'rounds', 'matches', 'status']) expect(result.stdout).toContain(`  ${name}`);
  });
});
