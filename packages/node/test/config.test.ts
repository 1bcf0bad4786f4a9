import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { ValidationError } from '@venn/errors';
import { ConfigError, loadConfig, parseConfig, policyFor } from '../src/internal/config.js';

const dir = mkdtempSync(join(tmpdir(), 'venn-config-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const minimal = { version: 1, id: 'lab-a', listen: '127.0.0.1:7001' };

describe('parseConfig', () => {
  it('fills documented defaults and resolves paths against the node directory', () => {
    const config = parseConfig(minimal, dir);
    expect(config.id).toBe('lab-a');
    expect(config.listen).toEqual({ host: '127.0.0.1', port: 7001 });
    expect(config.admin).toEqual({ host: '127.0.0.1', port: 7100, allowedHosts: [] });
    expect(config.paths.store).toBe(join(dir, 'venn.db'));
    expect(config.paths.identityKey).toBe(join(dir, 'identity.key'));
    expect(config.logLevel).toBe('info');
    expect(config.clockSkewSeconds).toBe(120);
    expect(config.retry).toEqual({ initialDelaySeconds: 5, maxDelaySeconds: 300, multiplier: 2 });
    expect(config.policy.modes).toEqual(['intersection']);
    expect(config.policy.acceptSemiHonestCardinality).toBe(false);
    // node.md §1.1: budgets left out are twice the cap, per peer.
    expect(policyFor(config, 'lab-b')).toMatchObject({ maxEvaluationsPerDay: 2_000_000, maxEvaluationsPerRound: 2_000_000, maxAttemptsPerRound: 4, maxAbandonmentsPerDay: 3 });
    expect(config.policy.shareLabels).toEqual([]);
  });

  it('reads the Host names the admin endpoint accepts besides its own address', () => {
    const config = parseConfig({ ...minimal, admin: '0.0.0.0:7100', adminAllowedHosts: ['venn-admin.lab-a.example', '[fd00::5]:7100'] }, dir);
    expect(config.admin).toEqual({ host: '0.0.0.0', port: 7100, allowedHosts: ['venn-admin.lab-a.example', '[fd00::5]:7100'] });
  });

  it('does not modify the caller document', () => {
    const document = { ...minimal };
    parseConfig(document, dir);
    expect(document).toEqual(minimal);
  });

  it('parses bracketed IPv6 listen addresses and keeps absolute paths', () => {
    const config = parseConfig({ ...minimal, listen: '[::1]:9000', store: '/var/lib/venn/x.db' }, dir);
    expect(config.listen).toEqual({ host: '::1', port: 9000 });
    expect(config.paths.store).toBe('/var/lib/venn/x.db');
  });

  it('applies per-peer overrides on top of the node policy', () => {
    const config = parseConfig({ ...minimal, policy: { maxPeerSetSize: 500, maxEvaluationsPerDay: 700 }, peers: { 'lab-b': { maxPeerSetSize: 10, modes: ['cardinality'], acceptSemiHonestCardinality: true } } }, dir);
    expect(policyFor(config, 'lab-b')).toMatchObject({ maxPeerSetSize: 10, modes: ['cardinality'], maxRoundsPerDay: 8, maxEvaluationsPerDay: 700, maxEvaluationsPerRound: 20 });
    expect(policyFor(config, 'lab-c')).toMatchObject({ maxPeerSetSize: 500, modes: ['intersection'], maxEvaluationsPerDay: 700, maxEvaluationsPerRound: 1000 });
  });

  it('refuses cardinality mode unless the semi-honest mode is accepted explicitly (SPEC §10.4)', () => {
    for (const document of [{ ...minimal, policy: { modes: ['intersection', 'cardinality'] } }, { ...minimal, peers: { 'lab-b': { modes: ['cardinality'] } } }]) {
      expect(() => parseConfig(document, dir)).toThrow(/modes" expected no "cardinality" unless .*acceptSemiHonestCardinality is true: in cardinality mode a malicious peer learns which of its elements this lab holds/);
    }
    expect(parseConfig({ ...minimal, policy: { modes: ['intersection', 'cardinality'], acceptSemiHonestCardinality: true } }, dir).policy.modes).toEqual(['intersection', 'cardinality']);
  });

  // Each bad document names the field path, the value it saw and what was expected.
  const bad: Array<[string, unknown, string, RegExp]> = [
    ['missing id', { version: 1, listen: '127.0.0.1:1' }, 'id', /expected a value \(required field\), got nothing/],
    ['wrong version', { ...minimal, version: 2 }, 'version', /expected 1, got number 2/],
    ['bad lab id', { ...minimal, id: 'Lab A' }, 'id', /expected a lab id.*got "Lab A"/],
    ['listen without port', { ...minimal, listen: 'localhost' }, 'listen', /expected HOST:PORT.*got "localhost"/],
    ['port out of range', { ...minimal, listen: '127.0.0.1:70000' }, 'listen', /expected a port between 0 and 65535, got "127.0.0.1:70000"/],
    ['admin as number', { ...minimal, admin: 7100 }, 'admin', /expected HOST:PORT.*got number 7100/],
    ['allowed host with a path', { ...minimal, adminAllowedHosts: ['venn.example/console'] }, 'adminAllowedHosts[0]', /expected a host name, or HOST:PORT.*got "venn.example\/console"/],
    ['allowed host with a scheme', { ...minimal, adminAllowedHosts: ['https://venn.example'] }, 'adminAllowedHosts[0]', /expected a host name, or HOST:PORT/],
    ['allowed hosts not a list', { ...minimal, adminAllowedHosts: 'venn.example' }, 'adminAllowedHosts', /expected array, got "venn.example"/],
    ['log level', { ...minimal, logLevel: 'loud' }, 'logLevel', /expected one of "fatal".*got "loud"/],
    ['negative skew', { ...minimal, clockSkewSeconds: -1 }, 'clockSkewSeconds', /expected a number >= 0, got number -1/],
    ['fractional skew', { ...minimal, clockSkewSeconds: 1.5 }, 'clockSkewSeconds', /expected integer, got number 1.5/],
    ['zero backoff', { ...minimal, retry: { initialDelaySeconds: 0 } }, 'retry.initialDelaySeconds', /expected a number > 0, got number 0/],
    ['unknown retry field', { ...minimal, retry: { jitterr: 1 } }, 'retry.jitterr', /expected no such field \(unknown field\), got number 1/],
    ['initial above max', { ...minimal, retry: { initialDelaySeconds: 100, maxDelaySeconds: 10 } }, 'retry.initialDelaySeconds', /expected a number <= retry.maxDelaySeconds \(10\), got 100/],
    ['unknown mode', { ...minimal, policy: { modes: ['intersection', 'union'] } }, 'policy.modes[1]', /expected one of "intersection", "cardinality", got "union"/],
    ['duplicate label field', { ...minimal, policy: { shareLabels: ['reason', 'reason'] } }, 'policy.shareLabels', /expected no duplicate items/],
    ['peer cap negative', { ...minimal, peers: { 'lab-b': { maxPeerSetSize: -5 } } }, 'peers.lab-b.maxPeerSetSize', /expected a number >= 0, got number -5/],
    ['cap above the protocol maximum', { ...minimal, policy: { maxPeerSetSize: 1_048_577 } }, 'policy.maxPeerSetSize', /expected a number <= 1048576, got number 1048577/],
    ['peer key not a lab id', { ...minimal, peers: { 'LAB B': {} } }, 'peers', /expected keys that are lab ids.*got a key "LAB B"/],
    ['policy for itself', { ...minimal, peers: { 'lab-a': {} } }, 'peers.lab-a', /expected policies for other labs only/],
    ['unknown top-level field', { ...minimal, stroe: 'x.db' }, 'stroe', /unknown field/],
    ['not an object', [1, 2], '(root)', /expected object, got array of length 2/],
  ];

  it.each(bad)('%s', (_name, document, field, message) => {
    let caught: unknown;
    try {
      parseConfig(document, dir);
    } catch (error) {
      caught = error;
    }
    expect(caught).toBeInstanceOf(ConfigError);
    const error = caught as ConfigError;
    expect(error.code).toBe('invalid-config');
    expect(error.issues.map((issue) => issue.field)).toContain(field);
    expect(error.message).toContain(`"${field}" expected`);
    expect(error.message).toMatch(message);
  });

  it('reports every violation at once', () => {
    let caught: unknown;
    try {
      parseConfig({ version: 1, id: 'x', listen: 'nope', workers: 0, policy: { maxRoundsPerDay: 'many' } }, dir);
    } catch (error) {
      caught = error;
    }
    expect((caught as ConfigError).issues.map((issue) => issue.field).sort()).toEqual(['listen', 'policy.maxRoundsPerDay', 'workers']);
  });
});

describe('workerNice', () => {
  it('defaults to 10 and refuses anything but an integer from 0 to 19, naming the field', () => {
    expect(parseConfig(minimal, dir).workerNice).toBe(10);
    expect(parseConfig({ ...minimal, workerNice: 0 }, dir).workerNice).toBe(0);
    for (const junk of [-1, 20, 2.5, '10', null, true]) {
      let caught: unknown;
      try {
        parseConfig({ ...minimal, workerNice: junk }, dir);
      } catch (error) {
        caught = error;
      }
      expect(caught, `workerNice ${JSON.stringify(junk)}`).toBeInstanceOf(ConfigError);
      expect((caught as ConfigError).issues.map((issue) => issue.field)).toEqual(['workerNice']);
    }
  });
});

describe('loadConfig', () => {
  it('names the file when it is missing', () => {
    expect(() => loadConfig(join(dir, 'nowhere'))).toThrow(expect.objectContaining({ code: 'config-not-found' }) as Error);
  });

  it('names the file and the parse error for bad JSON', () => {
    const nodeDir = mkdtempSync(join(dir, 'bad-json-'));
    writeFileSync(join(nodeDir, 'venn.config.json'), '{"version": 1,');
    let caught: unknown;
    try {
      loadConfig(nodeDir);
    } catch (error) {
      caught = error;
    }
    expect(caught).toBeInstanceOf(ValidationError);
    expect((caught as ValidationError).message).toContain(join(nodeDir, 'venn.config.json'));
  });

  it('loads a valid file', () => {
    const nodeDir = mkdtempSync(join(dir, 'ok-'));
    writeFileSync(join(nodeDir, 'venn.config.json'), JSON.stringify({ ...minimal, workers: 3 }));
    expect(loadConfig(nodeDir).workers).toBe(3);
  });
});
