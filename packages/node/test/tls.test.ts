/**
 * Native TLS in the daemon (transport.md §6.4): the `tls` config fields and their validation,
 * daemons completing rounds over wss:// with self-signed certificates made here with openssl,
 * ws:// endpoints dialed in the clear, and a peer that does not trust a certificate refused with
 * a typed, logged reason while the server goes on serving.
 */
import { execFileSync } from 'node:child_process';
import { X509Certificate } from 'node:crypto';
import { copyFileSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { connect as tlsConnect } from 'node:tls';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ConfigError, dialTls, parseConfig, tlsRosterIssues, type TlsConfig } from '../src/internal/config.js';
import { ensureBuilt } from './helpers/build.js';
import { venn } from './helpers/cli.js';
import { Federation, emails, type LogLine } from './helpers/federation.js';

const NEVER_SOON = '0 0 1 1 *';
const CLOCK = Date.parse('2030-06-01T12:00:00Z');

const certs = mkdtempSync(join(tmpdir(), 'venn-node-tls-'));
afterAll(() => rmSync(certs, { recursive: true, force: true }));

/** A self-signed certificate for 127.0.0.1, as a lab without a CA would make one. */
function selfSigned(name: string): { certFile: string; keyFile: string } {
  const pair = { certFile: join(certs, `${name}.pem`), keyFile: join(certs, `${name}.key`) };
  execFileSync('openssl', [
    'req', '-x509', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:prime256v1', '-nodes', '-days', '2', '-subj', `/CN=${name}`,
    '-addext', 'subjectAltName=IP:127.0.0.1', '-keyout', pair.keyFile, '-out', pair.certFile,
  ], { stdio: 'ignore' });
  return pair;
}

let labA: { certFile: string; keyFile: string };
let labB: { certFile: string; keyFile: string };
/** The federation's trust bundle: every member's self-signed certificate. */
let bundle: string;

beforeAll(() => {
  labA = selfSigned('lab-a');
  labB = selfSigned('lab-b');
  bundle = join(certs, 'federation.pem');
  writeFileSync(bundle, readFileSync(labA.certFile, 'utf8') + readFileSync(labB.certFile, 'utf8'));
});

const minimal = { version: 1, id: 'lab-a', listen: '127.0.0.1:7001' };

function configError(document: unknown, dir = certs): ConfigError {
  try {
    parseConfig(document, dir);
  } catch (error) {
    expect(error).toBeInstanceOf(ConfigError);
    return error as ConfigError;
  }
  throw new Error('expected a ConfigError');
}

describe('tls config', () => {
  it('defaults to ws:// with the system trust store', () => {
    expect(parseConfig(minimal, certs).tls).toEqual({ server: null, caFile: null, systemCa: true });
  });

  it('resolves relative paths against the node directory and keeps absolute ones', () => {
    const dir = mkdtempSync(join(certs, 'node-'));
    mkdirSync(join(dir, 'tls'));
    copyFileSync(labA.certFile, join(dir, 'tls/cert.pem'));
    copyFileSync(labA.keyFile, join(dir, 'tls/key.pem'));
    const config = parseConfig({ ...minimal, tls: { certFile: 'tls/cert.pem', keyFile: 'tls/key.pem', caFile: bundle, systemCa: false } }, dir);
    expect(config.tls).toEqual({ server: { certFile: join(dir, 'tls/cert.pem'), keyFile: join(dir, 'tls/key.pem') }, caFile: bundle, systemCa: false });
  });

  it('accepts a chain file whose first certificate matches the key', () => {
    const chain = join(certs, 'chain.pem');
    writeFileSync(chain, readFileSync(labA.certFile, 'utf8') + readFileSync(labB.certFile, 'utf8'));
    expect(parseConfig({ ...minimal, tls: { certFile: chain, keyFile: labA.keyFile } }, certs).tls.server?.certFile).toBe(chain);
  });

  // Each bad `tls` names its field, what it saw and what was expected, at load time.
  const junk = (name: string, text: string): string => {
    const path = join(certs, name);
    writeFileSync(path, text);
    return path;
  };
  const bad: Array<[string, () => Record<string, unknown>, string, RegExp]> = [
    ['certificate without key', () => ({ certFile: labA.certFile }), 'tls.keyFile', /"tls.keyFile" expected a value when tls.certFile is set, got nothing \(missing\)/],
    ['key without certificate', () => ({ keyFile: labA.keyFile }), 'tls.certFile', /"tls.certFile" expected a value when tls.keyFile is set/],
    ['missing certificate file', () => ({ certFile: 'nowhere/cert.pem', keyFile: labA.keyFile }), 'tls.certFile', /expected a readable PEM file holding the certificate chain, leaf first, got ENOENT at .*nowhere\/cert.pem/],
    ['certificate path is a directory', () => ({ certFile: certs, keyFile: labA.keyFile }), 'tls.certFile', /got EISDIR at /],
    ['missing key file', () => ({ certFile: labA.certFile, keyFile: 'absent.key' }), 'tls.keyFile', /expected a readable, unencrypted PEM private key, got ENOENT/],
    ['certificate file without PEM', () => ({ certFile: junk('text.pem', 'not a certificate'), keyFile: labA.keyFile }), 'tls.certFile', /got no PEM certificate in /],
    ['corrupt PEM certificate', () => ({ certFile: junk('corrupt.pem', '-----BEGIN CERTIFICATE-----\nAAAA\n-----END CERTIFICATE-----\n'), keyFile: labA.keyFile }), 'tls.certFile', /got certificate 1 of .* that does not parse/],
    ['key file holding a certificate', () => ({ certFile: labA.certFile, keyFile: labA.certFile }), 'tls.keyFile', /expected a readable, unencrypted PEM private key, got .*which does not parse/],
    ['key of another certificate', () => ({ certFile: labA.certFile, keyFile: labB.keyFile }), 'tls.keyFile', /expected the private key of the first certificate in tls.certFile, got a key that does not match/],
    ['missing CA file', () => ({ caFile: 'federation.pem.missing' }), 'tls.caFile', /expected a readable PEM file of one or more trust-anchor certificates, got ENOENT/],
    ['empty CA file', () => ({ caFile: junk('empty.pem', '') }), 'tls.caFile', /got no PEM certificate in /],
    ['CA file with a corrupt second certificate', () => ({ caFile: junk('half.pem', `${readFileSync(labA.certFile, 'utf8')}-----BEGIN CERTIFICATE-----\nAAAA\n-----END CERTIFICATE-----\n`) }), 'tls.caFile', /got certificate 2 of .* that does not parse/],
    ['systemCa not a boolean', () => ({ systemCa: 'yes' }), 'tls.systemCa', /expected boolean, got "yes"/],
    ['empty path', () => ({ caFile: '' }), 'tls.caFile', /expected a non-empty string/],
    ['unknown field', () => ({ verify: false }), 'tls.verify', /expected no such field \(unknown field\)/],
    ['not an object', () => ({ tls: 'on' }), 'tls', /expected object, got "on"/],
  ];
  it.each(bad)('%s', (_name, tls, field, message) => {
    const fields = tls();
    const document = 'tls' in fields ? { ...minimal, ...fields } : { ...minimal, tls: fields };
    const error = configError(document);
    expect(error.code).toBe('invalid-config');
    expect(error.issues.map((issue) => issue.field)).toContain(field);
    expect(error.message).toMatch(message);
  });

  it('reports every file problem at once', () => {
    const error = configError({ ...minimal, tls: { certFile: 'a.pem', keyFile: 'b.key', caFile: 'c.pem' } });
    expect(error.issues.map((issue) => issue.field)).toEqual(['tls.certFile', 'tls.keyFile', 'tls.caFile']);
  });
});

describe('tls against the roster', () => {
  const tls = (overrides: Partial<TlsConfig>): TlsConfig => ({ server: null, caFile: null, systemCa: true, ...overrides });
  const self = (endpoint: string) => ({ id: 'lab-a', endpoint });
  const peers = [{ id: 'lab-b', endpoint: 'wss://b.example:443' }, { id: 'lab-c', endpoint: 'ws://c.example:7001' }, { id: 'lab-d', endpoint: 'wss://d.example' }];
  const server = { certFile: '/c.pem', keyFile: '/k.pem' };

  const cases: Array<[string, TlsConfig, string, Array<{ field: string; expected: RegExp }>]> = [
    ['plain node, wss peers, system CAs', tls({}), 'ws://a.example:7001', []],
    ['TLS listener published at wss://', tls({ server }), 'wss://a.example', []],
    ['wss:// endpoint without a listener certificate (a proxy terminates TLS)', tls({}), 'wss://a.example', []],
    ['only a CA file', tls({ caFile: '/ca.pem', systemCa: false }), 'ws://a.example:7001', []],
    ['TLS listener published at ws://', tls({ server }), 'ws://a.example:7001', [{ field: 'tls.certFile', expected: /a wss:\/\/ roster endpoint for this node/ }]],
    ['no trust anchor at all', tls({ systemCa: false }), 'ws://a.example:7001', [{ field: 'tls.caFile', expected: /wss:\/\/ endpoints of lab-b, lab-d/ }]],
  ];
  it.each(cases)('%s', (_name, config, endpoint, expected) => {
    const issues = tlsRosterIssues(config, self(endpoint), peers);
    expect(issues.map((issue) => issue.field)).toEqual(expected.map((e) => e.field));
    issues.forEach((issue, i) => expect(issue.expected).toMatch(expected[i]!.expected));
  });

  it('needs no trust anchor when every peer is at ws://', () => {
    expect(tlsRosterIssues(tls({ systemCa: false }), self('ws://a.example:1'), [{ id: 'lab-c', endpoint: 'ws://c.example:7001' }])).toEqual([]);
  });

  it('dials wss:// with the configured anchors and ws:// without TLS', () => {
    expect(dialTls(tls({ caFile: '/ca.pem' }), 'ws://c.example:7001')).toBeUndefined();
    expect(dialTls(tls({}), 'wss://b.example')).toEqual({});
    expect(dialTls(tls({ caFile: '/ca.pem' }), 'wss://b.example')).toEqual({ caFile: '/ca.pem', includeSystemCa: true });
    expect(dialTls(tls({ caFile: '/ca.pem', systemCa: false }), 'wss://b.example')).toEqual({ caFile: '/ca.pem', includeSystemCa: false });
  });
});

/** Publishes new endpoints for some members: rewrites their entries, rebuilds the roster and installs it everywhere. */
async function publish(federation: Federation, endpoints: Record<string, string>): Promise<void> {
  const entries = [...federation.nodes.keys()].map((id) => {
    const path = join(federation.root, `${id}.entry.json`);
    const entry = JSON.parse(readFileSync(path, 'utf8')) as { endpoint: string };
    const endpoint = endpoints[id];
    if (endpoint !== undefined) writeFileSync(path, JSON.stringify({ ...entry, endpoint }));
    return path;
  });
  const built = await venn(['roster', 'build', '--name', 'venn-test', '--schedule', NEVER_SOON, '--window', '10', '--out', federation.rosterPath, ...entries]);
  expect(built.code, built.stderr).toBe(0);
  for (const node of federation.nodes.values()) expect((await venn(['roster', 'use', '--dir', node.dir, federation.rosterPath])).code).toBe(0);
}

function mergeConfig(dir: string, extra: Record<string, unknown>): void {
  const path = join(dir, 'venn.config.json');
  writeFileSync(path, JSON.stringify({ ...(JSON.parse(readFileSync(path, 'utf8')) as Record<string, unknown>), ...extra }, null, 2));
}

function lastRound(rounds: string): Record<string, unknown> {
  return (JSON.parse(rounds) as Array<Record<string, unknown>>)[0] ?? {};
}

describe('daemons over wss', () => {
  let federation: Federation;

  beforeAll(async () => {
    ensureBuilt();
    federation = await Federation.create({ ids: ['lab-a', 'lab-b', 'lab-c'], cron: NEVER_SOON });
    const a = federation.node('lab-a');
    const b = federation.node('lab-b');
    // lab-b keeps its files in the node directory (relative paths) and trusts only the bundle;
    // lab-a names absolute paths and trusts the bundle on top of the public CAs; lab-c has no TLS.
    mkdirSync(join(b.dir, 'tls'));
    copyFileSync(labB.certFile, join(b.dir, 'tls/cert.pem'));
    copyFileSync(labB.keyFile, join(b.dir, 'tls/key.pem'));
    copyFileSync(bundle, join(b.dir, 'tls/federation.pem'));
    mergeConfig(b.dir, { tls: { certFile: 'tls/cert.pem', keyFile: 'tls/key.pem', caFile: 'tls/federation.pem', systemCa: false } });
    mergeConfig(a.dir, { tls: { ...labA, caFile: bundle } });
    await publish(federation, { 'lab-a': `wss://127.0.0.1:${a.port}`, 'lab-b': `wss://127.0.0.1:${b.port}` });
    await federation.ingest('lab-a', emails(0, 40));
    await federation.ingest('lab-b', emails(25, 90));
    await federation.ingest('lab-c', emails(30, 60));
    await federation.startAll(CLOCK);
  }, 90_000);
  afterAll(() => federation.close());

  const sessionTo = (line: LogLine, scheme: string) => line['component'] === 'transport' && line.msg === 'session established' && String(line['remoteAddress']).startsWith(scheme);

  it('serves TLS with the configured certificate', async () => {
    const b = federation.node('lab-b');
    expect(await b.started()).toMatchObject({ tls: true, endpoint: `wss://127.0.0.1:${b.port}` });
    const fingerprint = await new Promise<string>((resolve, reject) => {
      const socket = tlsConnect({ host: '127.0.0.1', port: b.port, ca: readFileSync(bundle) }, () => {
        const peer = socket.getPeerX509Certificate();
        socket.destroy();
        resolve(peer?.fingerprint256 ?? '');
      });
      socket.once('error', reject);
    });
    expect(fingerprint).toBe(new X509Certificate(readFileSync(labB.certFile)).fingerprint256);
    expect(await federation.node('lab-c').started()).toMatchObject({ tls: false, endpoint: `ws://127.0.0.1:${federation.node('lab-c').port}` });
  });

  it('SIGHUP loads a renewed certificate for new connections, and logs that TLS changed', async () => {
    const b = federation.node('lab-b');
    const served = (ca: Buffer): Promise<string> => new Promise<string>((resolve, reject) => {
      const socket = tlsConnect({ host: '127.0.0.1', port: b.port, ca }, () => {
        const peer = socket.getPeerX509Certificate();
        socket.destroy();
        resolve(peer?.fingerprint256 ?? '');
      });
      socket.once('error', reject);
    });
    const renewed = selfSigned('lab-b-renewed');
    const keep = { cert: readFileSync(join(b.dir, 'tls/cert.pem')), key: readFileSync(join(b.dir, 'tls/key.pem')) };
    try {
      copyFileSync(renewed.certFile, join(b.dir, 'tls/cert.pem'));
      copyFileSync(renewed.keyFile, join(b.dir, 'tls/key.pem'));
      const reloaded = b.nextLog((line) => line.msg === 'reloaded', 10_000, 'reload');
      b.signal('SIGHUP');
      expect((await reloaded)['changed']).toEqual(['tls']);
      expect(await served(readFileSync(renewed.certFile))).toBe(new X509Certificate(readFileSync(renewed.certFile)).fingerprint256);
    } finally {
      writeFileSync(join(b.dir, 'tls/cert.pem'), keep.cert);
      writeFileSync(join(b.dir, 'tls/key.pem'), keep.key);
      const restored = b.nextLog((line) => line.msg === 'reloaded', 10_000, 'reload');
      b.signal('SIGHUP');
      await restored;
    }
    expect(await served(readFileSync(bundle))).toBe(new X509Certificate(readFileSync(labB.certFile)).fingerprint256);
  });

  it('completes an ad-hoc round over wss between two TLS daemons', async () => {
    const a = federation.node('lab-a');
    const b = federation.node('lab-b');
    const result = await venn(['round', '--dir', a.dir, '--peer', 'lab-b', '--json']);
    expect(result.code, result.stderr).toBe(0);
    const round = JSON.parse(result.stdout) as Record<string, unknown>;
    expect(round).toMatchObject({ status: 'completed', intersectionSize: 15, peerClaimedSize: 15 });
    await a.waitForLog((line) => sessionTo(line, `wss://127.0.0.1:${b.port}`) && line['roundId'] === round['roundId'], 10_000);
    const responder = await b.waitForLog((line) => line.msg === 'round attempt finished' && line['roundId'] === round['roundId'], 30_000);
    expect(responder).toMatchObject({ status: 'completed', intersectionSize: 15 });
  });

  it('dials a ws:// endpoint in the clear from a node that serves TLS', async () => {
    const a = federation.node('lab-a');
    const c = federation.node('lab-c');
    const result = await venn(['round', '--dir', a.dir, '--peer', 'lab-c', '--json']);
    expect(result.code, result.stderr).toBe(0);
    const round = JSON.parse(result.stdout) as Record<string, unknown>;
    expect(round).toMatchObject({ status: 'completed', intersectionSize: 10 });
    await a.waitForLog((line) => sessionTo(line, `ws://127.0.0.1:${c.port}`) && line['roundId'] === round['roundId'], 10_000);
  });

  it('a peer that does not trust the certificate gets tls-failed, logged on both sides, and the server keeps serving', async () => {
    const a = federation.node('lab-a');
    const b = federation.node('lab-b');
    const c = federation.node('lab-c');
    const refused = await venn(['round', '--dir', c.dir, '--peer', 'lab-b', '--json']);
    expect(refused.code).toBe(1);
    expect(refused.stderr.trim()).toMatch(/^venn round: round aborted: tls-failed: session with lab-b at wss:\/\/127\.0\.0\.1:\d+ failed: tls-failed by local \(certificate rejected: DEPTH_ZERO_SELF_SIGNED_CERT .*\); this node's trust anchors are set by tls\.caFile and tls\.systemCa$/);
    const { roundId } = JSON.parse(refused.stdout) as { roundId: string };
    const dialer = await c.waitForLog((line) => line.msg === 'could not open a session with the peer' && line['roundId'] === roundId, 10_000);
    expect(dialer).toMatchObject({ level: 'warn', reason: 'tls-failed' });
    expect(await c.waitForLog((line) => line['component'] === 'transport' && line['reason'] === 'tls-failed', 10_000)).toMatchObject({ level: 'warn', by: 'local' });
    expect(lastRound((await venn(['rounds', '--dir', c.dir, '--json'])).stdout)).toMatchObject({ roundId, status: 'aborted', reason: 'tls-failed' });
    // lab-b saw only a failed TLS handshake: logged and counted, no round and no quota used.
    await b.waitForLog((line) => line['component'] === 'transport' && line['reason'] === 'tls-failed' && line['role'] === 'responder', 10_000);
    expect(String((await b.admin('/metrics')).body)).toMatch(/venn_rejected_connections_total\{reason="tls-failed",node="lab-b"\} [1-9]/);
    expect(String((await c.admin('/metrics')).body)).toMatch(/venn_rejected_connections_total\{reason="tls-failed",node="lab-c"\} [1-9]/);
    const roundsB = JSON.parse((await venn(['rounds', '--dir', b.dir, '--json'])).stdout) as Array<{ peer: string }>;
    expect(roundsB.some((round) => round.peer === 'lab-c')).toBe(false);

    const again = await venn(['round', '--dir', a.dir, '--peer', 'lab-b', '--json']);
    expect(again.code, again.stderr).toBe(0);
    expect(JSON.parse(again.stdout)).toMatchObject({ status: 'completed', intersectionSize: 15 });
  });
});

describe('venn start with TLS that cannot work', () => {
  let federation: Federation;
  beforeAll(async () => {
    ensureBuilt();
    federation = await Federation.create({ ids: ['lab-a', 'lab-b'], cron: NEVER_SOON });
    await publish(federation, { 'lab-b': 'wss://127.0.0.1:1' });
  }, 60_000);
  afterAll(() => federation.close());

  it('names tls.caFile when a wss:// peer cannot be verified by anything', async () => {
    const dir = federation.node('lab-a').dir;
    mergeConfig(dir, { tls: { systemCa: false } });
    const result = await venn(['start', '--dir', dir]);
    expect(result.code).toBe(1);
    expect(result.stderr.trim()).toBe(`venn start: ${join(dir, 'venn.config.json')}: "tls.caFile" expected trust anchors for the wss:// endpoints of lab-b (a CA file, or tls.systemCa true), got nothing, and tls.systemCa is false [invalid-config]`);
  });

  it('names tls.certFile when the roster publishes this node at ws://', async () => {
    const dir = federation.node('lab-a').dir;
    mergeConfig(dir, { tls: { ...labA } });
    const result = await venn(['start', '--dir', dir]);
    expect(result.code).toBe(1);
    expect(result.stderr.trim()).toMatch(/"tls\.certFile" expected a wss:\/\/ roster endpoint for this node \(or no tls\.certFile and tls\.keyFile\), got the roster endpoint ws:\/\/127\.0\.0\.1:\d+ for lab-a, which peers dial without TLS \[invalid-config\]$/);
  });

  it('names a certificate file that is gone', async () => {
    const dir = federation.node('lab-a').dir;
    mergeConfig(dir, { tls: { certFile: 'tls/missing.pem', keyFile: labA.keyFile } });
    const result = await venn(['start', '--dir', dir]);
    expect(result.code).toBe(1);
    expect(result.stderr.trim()).toContain(`"tls.certFile" expected a readable PEM file holding the certificate chain, leaf first, got ENOENT at ${join(dir, 'tls/missing.pem')}`);
  });
});
