/** transport.md §6.4: wss:// from configured PEM files, with the Venn handshake unchanged inside TLS. */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { TransportError, ValidationError } from '@venn/errors';
import { SessionError, TransportMetrics, connect, createServer, transportReady, type ServerOptions, type Session, type TransportServer } from '../src/index.js';
import { reasonForCloseCode } from '../src/internal/reasons.js';
import { recordingLogger, until } from './helpers/clock.js';
import { makeFederation, type Federation } from './helpers/federation.js';
import { makeCa, makeLeaf, type TestCa } from './helpers/tls.js';

const dir = mkdtempSync(join(tmpdir(), 'venn-wss-'));
let ca: TestCa;
let leaf: { certFile: string; keyFile: string };
let otherCa: TestCa;

beforeAll(async () => {
  await transportReady();
  ca = makeCa(dir);
  leaf = makeLeaf(dir, 'lab-b', 'IP:127.0.0.1', ca);
  otherCa = makeCa(dir, 'other-ca');
});
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const servers: TransportServer[] = [];
afterEach(async () => {
  await Promise.all(servers.splice(0).map((s) => s.close()));
});

const purpose = new TextEncoder().encode('round-wss');

async function serve(f: Federation, extra: Partial<ServerOptions> = {}) {
  const sessions: Session[] = [];
  const server = await createServer({ roster: f.roster, identity: f.identity('lab-b'), onSession: (s) => void sessions.push(s), ...extra });
  servers.push(server);
  return { server, sessions };
}

async function rejection(promise: Promise<unknown>): Promise<unknown> {
  try {
    await promise;
  } catch (error) {
    return error;
  }
  throw new Error('expected a rejection');
}

/** Opens a session, checks one payload crosses it, and closes it. */
async function exchange(f: Federation, url: string, sessions: Session[], tls: { caFile?: string; includeSystemCa?: boolean }): Promise<void> {
  const before = sessions.length;
  const client = await connect({ roster: f.roster, identity: f.identity('lab-a'), peerId: 'lab-b', purpose, url, tls });
  await until(() => sessions.length === before + 1);
  await client.send(new TextEncoder().encode('over tls'));
  for await (const m of sessions[before]!) {
    expect(new TextDecoder().decode(m)).toBe('over tls');
    break;
  }
  await client.close();
}

describe('wss', () => {
  it('authenticates inside TLS when the dialer trusts the issuing CA, alone or with the system CAs', async () => {
    const f = makeFederation(['lab-a', 'lab-b']);
    const { lines, logger } = recordingLogger();
    const { server, sessions } = await serve(f, { tls: leaf, logger });
    expect(server.url).toBe(`wss://127.0.0.1:${server.port}`);
    expect(lines.find((l) => l.msg === 'transport listening')?.obj).toMatchObject({ tls: true });
    await exchange(f, server.url, sessions, { caFile: ca.certFile });
    await exchange(f, server.url, sessions, { caFile: ca.certFile, includeSystemCa: true });
    expect(server.snapshot().sessionsEstablished).toBe(2);
    expect(server.snapshot().closes['tls-failed']).toBe(0);
  });

  // Each case fails in TLS before any Venn message: typed tls-failed on the dialer, logged and
  // counted on both sides, and the server goes on serving a dialer that trusts it.
  const untrusted: Array<[string, () => { caFile?: string; includeSystemCa?: boolean }, RegExp]> = [
    ['the system store only', () => ({}), /certificate rejected: UNABLE_TO_VERIFY_LEAF_SIGNATURE/],
    ['another CA', () => ({ caFile: otherCa.certFile }), /certificate rejected: UNABLE_TO_VERIFY_LEAF_SIGNATURE/],
    ['another CA with the system CAs', () => ({ caFile: otherCa.certFile, includeSystemCa: true }), /certificate rejected: UNABLE_TO_VERIFY_LEAF_SIGNATURE/],
  ];
  it.each(untrusted)('refuses a certificate the dialer does not trust (%s) as tls-failed', async (_name, trust, detail) => {
    const f = makeFederation(['lab-a', 'lab-b']);
    const serverLog = recordingLogger();
    const clientLog = recordingLogger();
    const clientMetrics = new TransportMetrics();
    const { server, sessions } = await serve(f, { tls: leaf, logger: serverLog.logger });
    const error = await rejection(connect({ roster: f.roster, identity: f.identity('lab-a'), peerId: 'lab-b', purpose, url: server.url, tls: trust(), logger: clientLog.logger, metrics: clientMetrics }));
    expect(error).toBeInstanceOf(SessionError);
    expect(error).toMatchObject({ code: 'tls-failed', reason: 'tls-failed', by: 'local' });
    expect((error as SessionError).detail).toMatch(detail);
    const clientLine = clientLog.lines.find((l) => l.obj['reason'] === 'tls-failed');
    expect(clientLine?.level).toBe('warn');
    expect(clientLine?.msg).toContain('certificate is not trusted');
    expect(clientMetrics.snapshot().closes['tls-failed']).toBe(1);
    // The dialer's alert reaches the server, which logs and counts it and admits nothing.
    await until(() => server.snapshot().closes['tls-failed'] === 1);
    expect(serverLog.lines.find((l) => l.obj['reason'] === 'tls-failed')?.obj['detail']).toMatch(/^TLS handshake failed: /);
    expect(server.snapshot().connectionsAccepted).toBe(0);
    await exchange(f, server.url, sessions, { caFile: ca.certFile });
  });

  it('refuses a certificate that does not name the endpoint as tls-failed', async () => {
    const f = makeFederation(['lab-a', 'lab-b']);
    const elsewhere = makeLeaf(dir, 'elsewhere', 'DNS:venn.invalid', ca);
    const { server } = await serve(f, { tls: elsewhere });
    const error = await rejection(connect({ roster: f.roster, identity: f.identity('lab-a'), peerId: 'lab-b', purpose, url: server.url, tls: { caFile: ca.certFile } }));
    expect(error).toMatchObject({ code: 'tls-failed', reason: 'tls-failed' });
    expect((error as SessionError).detail).toMatch(/ERR_TLS_CERT_ALTNAME_INVALID/);
  });

  it('names a wss:// dial to a plain ws:// listener tls-failed, and a ws:// dial to a TLS listener is counted there', async () => {
    const f = makeFederation(['lab-a', 'lab-b']);
    const { server: plain } = await serve(f);
    const error = await rejection(connect({ roster: f.roster, identity: f.identity('lab-a'), peerId: 'lab-b', purpose, url: plain.url.replace('ws://', 'wss://'), tls: { caFile: ca.certFile } }));
    expect(error).toMatchObject({ code: 'tls-failed', reason: 'tls-failed' });
    // The cleartext listener drops the ClientHello as a malformed HTTP request (and counts that).
    expect((error as SessionError).detail).toMatch(/^TLS handshake failed: ECONNRESET \(Client network socket disconnected before secure TLS connection was established\)$/);
    await until(() => plain.snapshot().closes['handshake-malformed'] === 1);

    const { server: secure } = await serve(f, { tls: leaf });
    const cleartext = await rejection(connect({ roster: f.roster, identity: f.identity('lab-a'), peerId: 'lab-b', purpose, url: secure.url.replace('wss://', 'ws://') }));
    // The dialer only sees the socket end before any HTTP answer; the TLS listener knows why.
    expect(cleartext).toBeInstanceOf(SessionError);
    expect(cleartext).toMatchObject({ reason: 'connect-failed', by: 'local', detail: 'WebSocket error: socket hang up' });
    await until(() => secure.snapshot().closes['tls-failed'] === 1);
  });

  it('never takes close code 1015 from the wire as tls-failed', () => {
    expect(reasonForCloseCode(1015)).toBe('connection-lost');
  });
});

describe('wss configuration errors', () => {
  const f = () => makeFederation(['lab-a', 'lab-b']);

  it('names an unreadable trust file', async () => {
    const federation = f();
    const error = await rejection(connect({ roster: federation.roster, identity: federation.identity('lab-a'), peerId: 'lab-b', purpose, url: 'wss://127.0.0.1:1', tls: { caFile: join(dir, 'missing.pem') } }));
    expect(error).toBeInstanceOf(ValidationError);
    expect(error).toMatchObject({ code: 'tls-ca-unreadable', message: expect.stringMatching(/^"tls.caFile" expected a readable PEM file, got ENOENT/) as string });
  });

  const serverCases: Array<[string, () => { certFile: string; keyFile: string }, string, RegExp]> = [
    ['a missing certificate', () => ({ certFile: join(dir, 'missing.pem'), keyFile: leaf.keyFile }), 'tls-file-unreadable', /^"tls.certFile" expected a readable PEM file, got ENOENT/],
    ['a missing key', () => ({ certFile: leaf.certFile, keyFile: join(dir, 'missing.key') }), 'tls-file-unreadable', /^"tls.keyFile" expected a readable PEM file, got ENOENT/],
    ['a key of another certificate', () => ({ certFile: leaf.certFile, keyFile: ca.keyFile }), 'tls-invalid', /^"tls" expected a PEM certificate chain/],
    ['a key file that is not PEM', () => ({ certFile: leaf.certFile, keyFile: leaf.certFile }), 'tls-invalid', /^"tls" expected a PEM certificate chain/],
  ];
  it.each(serverCases)('refuses to serve with %s', async (_name, tls, code, message) => {
    const federation = f();
    const error = await rejection(createServer({ roster: federation.roster, identity: federation.identity('lab-b'), onSession() {}, tls: tls() }));
    expect(error).toBeInstanceOf(ValidationError);
    expect(error).not.toBeInstanceOf(TransportError);
    expect(error).toMatchObject({ code, message: expect.stringMatching(message) as string });
  });
});
