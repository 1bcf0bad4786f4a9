/** Session establishment and frame exchange over real sockets on 127.0.0.1. */
import { execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeAll, describe, expect, it } from 'vitest';
import { TransportError, ValidationError } from '@venn/errors';
import { CLOSE_CODES, SessionError, connect, createServer, parseRoster, transportReady, type ServerOptions, type Session, type TransportServer } from '../src/index.js';
import { ManualClock, recordingLogger, until } from './helpers/clock.js';
import { makeFederation, type Federation } from './helpers/federation.js';
import { rawSession } from './helpers/raw.js';
import { decodeCloseBody } from '../src/internal/frames.js';
import { rosterDigest } from '../src/index.js';

const toHexDigest = (roster: Parameters<typeof rosterDigest>[0]) => Buffer.from(rosterDigest(roster)).toString('hex');

beforeAll(transportReady);

const servers: TransportServer[] = [];
afterEach(async () => {
  await Promise.all(servers.splice(0).map((s) => s.close()));
});

const text = (s: string) => new TextEncoder().encode(s);
const purpose = text('round-2025-01-01T00:00Z-1');

async function serve(f: Federation, extra: Partial<ServerOptions> = {}) {
  const sessions: Session[] = [];
  const server = await createServer({ roster: f.roster, identity: f.identity('lab-b'), onSession: (s) => void sessions.push(s), ...extra });
  servers.push(server);
  return { server, sessions };
}

async function errorOf(promise: Promise<unknown>): Promise<SessionError> {
  try {
    await promise;
  } catch (e) {
    expect(e).toBeInstanceOf(TransportError);
    expect(e).toBeInstanceOf(SessionError);
    return e as SessionError;
  }
  throw new Error('expected a rejection');
}

describe('session establishment', () => {
  it('authenticates both sides, binds the purpose and exchanges frames both ways in order', async () => {
    const f = makeFederation(['lab-a', 'lab-b']);
    const { server, sessions } = await serve(f);
    const client = await connect({ roster: f.roster, identity: f.identity('lab-a'), peerId: 'lab-b', purpose, url: server.url });
    await until(() => sessions.length === 1);
    const responder = sessions[0]!;
    expect(client.peerId).toBe('lab-b');
    expect(responder.peerId).toBe('lab-a');
    expect(responder.purpose).toEqual(purpose);
    expect(client.handshakeHash).toEqual(responder.handshakeHash);
    expect(client.role).toBe('initiator');
    expect(responder.role).toBe('responder');

    const toResponder = Array.from({ length: 50 }, (_, i) => new Uint8Array(i * 97).fill(i));
    const toInitiator = Array.from({ length: 50 }, (_, i) => text(`evaluated chunk ${i}`));
    const received = { responder: [] as Uint8Array[], initiator: [] as Uint8Array[] };
    const reading = Promise.all([
      (async () => { for await (const m of responder) received.responder.push(m); })(),
      (async () => { for await (const m of client) received.initiator.push(m); })(),
    ]);
    await Promise.all([...toResponder.map((m) => client.send(m)), ...toInitiator.map((m) => responder.send(m))]);
    await until(() => received.responder.length === 50 && received.initiator.length === 50);
    expect(received.responder).toEqual(toResponder);
    expect(received.initiator).toEqual(toInitiator);

    const info = await client.close('round finished');
    expect(info).toEqual({ reason: 'normal', code: 'normal', by: 'local', detail: 'round finished' });
    await reading;
    expect(await responder.closed).toEqual({ reason: 'normal', code: 'normal', by: 'peer', detail: 'round finished' });
    expect(server.snapshot().sessionsEstablished).toBe(1);
    expect(server.snapshot().sessionsOpen).toBe(0);
    expect(server.snapshot().closes.normal).toBe(1);
    await expect(client.send(text('late'))).rejects.toThrow(TransportError);
  });

  it('serves several peers at once, each with its own keys', async () => {
    const f = makeFederation(['lab-a', 'lab-b', 'lab-c', 'lab-d']);
    const { server, sessions } = await serve(f);
    const clients = await Promise.all(['lab-a', 'lab-c', 'lab-d'].map((id) => connect({ roster: f.roster, identity: f.identity(id), peerId: 'lab-b', purpose, url: server.url })));
    await until(() => sessions.length === 3);
    expect(new Set(sessions.map((s) => s.peerId))).toEqual(new Set(['lab-a', 'lab-c', 'lab-d']));
    expect(new Set(clients.map((c) => Buffer.from(c.handshakeHash).toString('hex'))).size).toBe(3);
    await Promise.all(clients.map((c) => c.close()));
  });

  it('lets the responder refuse the purpose with a typed, authenticated reason', async () => {
    const f = makeFederation(['lab-a', 'lab-b']);
    const { lines, logger } = recordingLogger();
    const seen: [string, string][] = [];
    const { server, sessions } = await serve(f, {
      logger,
      acceptPurpose: async (peerId, p) => {
        seen.push([peerId, new TextDecoder().decode(p)]);
        return { accept: false, code: 'outside-schedule', detail: 'no round is scheduled now' };
      },
    });
    const client = recordingLogger();
    const error = await errorOf(connect({ roster: f.roster, identity: f.identity('lab-a'), peerId: 'lab-b', purpose, url: server.url, logger: client.logger }));
    // The responder's own code is the error's code; the close reason and detail are fields.
    expect(error.code).toBe('outside-schedule');
    expect(error.reason).toBe('purpose-refused');
    expect(error.by).toBe('peer');
    expect(error.detail).toBe('no round is scheduled now');
    expect(error.message).toContain('outside-schedule: no round is scheduled now');
    expect(seen).toEqual([['lab-a', 'round-2025-01-01T00:00Z-1']]);
    expect(sessions).toHaveLength(0);
    await until(() => server.snapshot().closes['purpose-refused'] === 1);
    for (const side of [lines, client.lines]) {
      expect(side.find((l) => l.obj['reason'] === 'purpose-refused')?.obj).toMatchObject({ code: 'outside-schedule', detail: 'no round is scheduled now' });
    }
    expect(lines.some((l) => l.obj['reason'] === 'purpose-refused' && l.obj['peer'] === 'lab-a')).toBe(true);
  });

  it('carries a refusal code that is not kebab-case as purpose-refused with the code in the detail', async () => {
    const f = makeFederation(['lab-a', 'lab-b']);
    const { server } = await serve(f, { acceptPurpose: () => ({ accept: false, code: 'Quota Exceeded' }) });
    const error = await errorOf(connect({ roster: f.roster, identity: f.identity('lab-a'), peerId: 'lab-b', purpose, url: server.url }));
    expect(error.code).toBe('purpose-refused');
    expect(error.reason).toBe('purpose-refused');
    expect(error.detail).toBe('Quota Exceeded: ');
    expect(error.message).toContain('Quota Exceeded');
  });

  it('refuses a peer with another roster, saying so plainly in both logs', async () => {
    const f = makeFederation(['lab-a', 'lab-b']);
    const server = recordingLogger();
    const client = recordingLogger();
    const { server: s } = await serve(f, { logger: server.logger });
    const stale = parseRoster({ ...f.rosterJson, federation: { ...f.rosterJson.federation, epoch: 2 } });
    const error = await errorOf(connect({ roster: stale, identity: f.identity('lab-a'), peerId: 'lab-b', purpose, url: s.url, logger: client.logger }));
    expect(error.code).toBe('roster-mismatch');
    expect(error.reason).toBe('roster-mismatch');
    expect(error.by).toBe('peer');
    expect(error.detail).toContain(toHexDigest(f.roster));
    for (const side of [server, client]) {
      const line = side.lines.find((l) => l.obj['reason'] === 'roster-mismatch');
      expect(line?.level).toBe('warn');
      expect(line?.msg).toContain('roster digests differ');
    }
    // The responder names both digests; the initiator learns the responder's.
    const serverLine = server.lines.find((l) => l.obj['reason'] === 'roster-mismatch')!;
    const clientLine = client.lines.find((l) => l.obj['reason'] === 'roster-mismatch')!;
    expect(String(serverLine.obj['detail'])).toContain(String(clientLine.obj['rosterDigest']));
    expect(String(clientLine.obj['detail'])).toContain(String(serverLine.obj['rosterDigest']));
    expect(s.snapshot().closes['roster-mismatch']).toBe(1);
  });

  it('refuses to dial a non-member or to serve with a key that is not ours', async () => {
    const f = makeFederation(['lab-a', 'lab-b']);
    await expect(connect({ roster: f.roster, identity: f.identity('lab-a'), peerId: 'lab-z', purpose })).rejects.toThrow(ValidationError);
    await expect(createServer({ roster: f.roster, identity: { id: 'lab-b', secretKey: f.identity('lab-a').secretKey }, onSession() {} })).rejects.toThrow('identity.secretKey');
  });

  it('closes idle sessions with an authenticated idle-timeout, and sends heartbeats meanwhile', async () => {
    const f = makeFederation(['lab-a', 'lab-b']);
    const clock = new ManualClock();
    const { server, sessions } = await serve(f, { timers: clock, now: clock.now, limits: { idleTimeoutMs: 60_000, heartbeatIntervalMs: 10_000 } });
    const s = await rawSession(server.url, f.roster, f.identity('lab-a'), 'lab-b');
    await until(() => sessions.length === 1);
    let pings = 0;
    s.raw.ws.on('ping', () => void (pings += 1));
    for (let t = 1; t <= 5; t++) {
      clock.advance(10_000);
      await until(() => pings === t);
      // Barrier: the server answers our ping only after reading the automatic pong sent before it.
      await new Promise((r) => {
        s.raw.ws.once('pong', r);
        s.raw.ws.ping();
      });
    }
    expect(server.snapshot().closes['idle-timeout']).toBe(0);
    clock.advance(10_000);
    const close = s.opener.open(await s.raw.next());
    expect(close.kind).toBe(3);
    expect(decodeCloseBody(close.body).code).toBe('idle-timeout');
    expect((await s.raw.closed).code).toBe(CLOSE_CODES['idle-timeout']);
    expect(server.snapshot().closes['idle-timeout']).toBe(1);
    await expect(sessions[0]!.closed).resolves.toMatchObject({ reason: 'idle-timeout', by: 'local' });
  });

  it('ends a session whose peer stops answering heartbeats', async () => {
    const f = makeFederation(['lab-a', 'lab-b']);
    const clock = new ManualClock();
    const { server, sessions } = await serve(f, { timers: clock, now: clock.now, limits: { heartbeatIntervalMs: 10_000 } });
    const s = await rawSession(server.url, f.roster, f.identity('lab-a'), 'lab-b');
    await until(() => sessions.length === 1);
    // The raw peer stops reading its socket, so the ping is never answered.
    s.raw.ws.pause();
    clock.advance(10_000);
    clock.advance(10_000);
    await until(() => server.snapshot().closes['heartbeat-timeout'] === 1);
    s.raw.ws.terminate();
  });

  it('keeps a session whose receiver stopped reading for many heartbeat intervals: its pings stand for the pongs it cannot send', async () => {
    const f = makeFederation(['lab-a', 'lab-b']);
    const kib = 1024;
    // The receiver stops reading after 64 KiB; the sender's pings then wait unread behind its data.
    const limits = { receiveHighWaterMark: 64 * kib, sendHighWaterMark: 64 * kib, maxMessageBytes: 64 * kib, heartbeatIntervalMs: 500 };
    const { server, sessions } = await serve(f, { limits });
    const client = await connect({ roster: f.roster, identity: f.identity('lab-a'), peerId: 'lab-b', purpose, url: server.url, limits });
    await until(() => sessions.length === 1);
    const total = 2048;
    let sent = 0;
    const sending = (async () => {
      for (let i = 0; i < total; i++) {
        await client.send(new Uint8Array(32 * kib).fill(i % 256));
        sent += 1;
      }
    })();
    sending.catch(() => undefined);
    // Ten heartbeat intervals with the receiver's application reading nothing (intervals of 500 ms,
    // so that a loaded machine's timer delays stay well inside one).
    await new Promise((r) => setTimeout(r, 5000));
    expect(sent).toBeLessThan(total);
    const reader = sessions[0]![Symbol.asyncIterator]();
    for (let got = 0; got < total; got++) {
      const m = await reader.next();
      expect(m.done).toBe(false);
      expect(m.value![0]).toBe(got % 256);
    }
    await sending;
    // Neither side ended the session: it still carries frames both ways.
    await client.send(text('still open'));
    expect(new TextDecoder().decode((await reader.next()).value)).toBe('still open');
    await sessions[0]!.send(text('and back'));
    const back = client[Symbol.asyncIterator]();
    expect(new TextDecoder().decode((await back.next()).value)).toBe('and back');
    expect(server.snapshot().closes['heartbeat-timeout']).toBe(0);
    await client.close('done');
  });

  it('applies backpressure end to end: a receiver that stops reading stalls the sender, then all arrives', async () => {
    const f = makeFederation(['lab-a', 'lab-b']);
    const mib = 1024 * 1024;
    const limits = { receiveHighWaterMark: mib, sendHighWaterMark: mib, maxMessageBytes: mib };
    const { server, sessions } = await serve(f, { limits });
    const client = await connect({ roster: f.roster, identity: f.identity('lab-a'), peerId: 'lab-b', purpose, url: server.url, limits });
    await until(() => sessions.length === 1);
    const total = 96;
    let sent = 0;
    const sending = (async () => {
      for (let i = 0; i < total; i++) {
        await client.send(new Uint8Array(mib).fill(i));
        sent += 1;
      }
    })();
    // Poll until the sender has made no progress across several samples: it is being held back.
    let last = -1;
    let still = 0;
    while (still < 4) {
      await new Promise((r) => setTimeout(r, 50));
      still = sent === last ? still + 1 : 0;
      last = sent;
    }
    expect(sent).toBeLessThan(total);
    const stalledAt = sent;
    let got = 0;
    for await (const m of sessions[0]!) {
      expect(m[0]).toBe(got % 256);
      expect(m.length).toBe(mib);
      got += 1;
      if (got === total) break;
    }
    await sending;
    expect(got).toBe(total);
    expect(stalledAt).toBeGreaterThan(0);
    console.log(`[backpressure] sender stalled after ${stalledAt} of ${total} MiB with 1 MiB high-water marks`);
  });
});

describe('wss', () => {
  it('runs the Venn handshake inside TLS with a configured certificate and key', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'venn-tls-'));
    const [certFile, keyFile] = [join(dir, 'cert.pem'), join(dir, 'key.pem')];
    try {
      execFileSync('openssl', ['req', '-x509', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:prime256v1', '-nodes', '-days', '1', '-subj', '/CN=127.0.0.1', '-addext', 'subjectAltName=IP:127.0.0.1', '-keyout', keyFile, '-out', certFile], { stdio: 'ignore' });
      const f = makeFederation(['lab-a', 'lab-b']);
      const { server, sessions } = await serve(f, { tls: { certFile, keyFile } });
      expect(server.url.startsWith('wss://')).toBe(true);
      const client = await connect({ roster: f.roster, identity: f.identity('lab-a'), peerId: 'lab-b', purpose, url: server.url, tls: { caFile: certFile } });
      await until(() => sessions.length === 1);
      await client.send(text('over tls'));
      for await (const m of sessions[0]!) {
        expect(new TextDecoder().decode(m)).toBe('over tls');
        break;
      }
      await client.close();
      // Without the CA the TLS layer refuses before any Venn message is sent.
      await expect(connect({ roster: f.roster, identity: f.identity('lab-a'), peerId: 'lab-b', purpose, url: server.url })).rejects.toMatchObject({ code: 'tls-failed', reason: 'tls-failed' });
    } finally {
      // The directory holds a private key: it goes with the test.
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
