/** Junk and abuse on real sockets: every attack is refused with its typed reason, and service goes on. */
import { connect as tcpConnect, type Socket } from 'node:net';
import sodium from 'libsodium-wrappers-sumo';
import { afterEach, beforeAll, describe, expect, it } from 'vitest';
import { TransportError } from '@venn/errors';
import { CLOSE_CODES, connect, createServer, parseRoster, rosterDigest, transportReady, type ServerOptions, type Session, type TransportServer } from '../src/index.js';
import { FRAME_KIND_ACCEPT, FRAME_KIND_DATA } from '../src/internal/frames.js';
import { InitiatorHandshake } from '../src/internal/handshake.js';
import { ManualClock, recordingLogger, until } from './helpers/clock.js';
import { makeFederation, type Federation } from './helpers/federation.js';
import { openRaw, rawSession } from './helpers/raw.js';

beforeAll(transportReady);

const servers: TransportServer[] = [];
afterEach(async () => {
  await Promise.all(servers.splice(0).map((s) => s.close()));
});

const text = (s: string) => new TextEncoder().encode(s);
const purpose = text('round-abuse');

/** A server whose sessions record how their reading ended. */
async function serve(f: Federation, extra: Partial<ServerOptions> = {}) {
  const sessions: Session[] = [];
  const endings: (string | 'done')[] = [];
  const server = await createServer({
    roster: f.roster,
    identity: f.identity('lab-b'),
    // onSession holds its session until the end, as a round runner does.
    onSession: async (s) => {
      sessions.push(s);
      try {
        for await (const m of s) await s.send(m);
        endings.push('done');
      } catch (e) {
        endings.push((e as TransportError).code);
      }
    },
    ...extra,
  });
  servers.push(server);
  return { server, sessions, endings };
}

/** Proves the server still serves an honest peer after an attack. */
async function honestRoundTrip(f: Federation, server: TransportServer, localAddress?: string) {
  const started = performance.now();
  const session = await connect({ roster: f.roster, identity: f.identity('lab-a'), peerId: 'lab-b', purpose, url: server.url, ...(localAddress === undefined ? {} : { localAddress }) });
  const handshakeMs = performance.now() - started;
  const iterator = session[Symbol.asyncIterator]();
  const rtts: number[] = [];
  for (let i = 0; i < 10; i++) {
    const t = performance.now();
    await session.send(text(`ping ${i}`));
    const echoed = await iterator.next();
    rtts.push(performance.now() - t);
    expect(new TextDecoder().decode(echoed.value)).toBe(`ping ${i}`);
  }
  await session.close();
  return { handshakeMs, rtts };
}

function tcp(port: number, localAddress?: string): Promise<Socket> {
  return new Promise((resolve, reject) => {
    const socket = tcpConnect({ host: '127.0.0.1', port, ...(localAddress === undefined ? {} : { localAddress }) }, () => resolve(socket));
    socket.on('error', reject);
  });
}

const closedSocket = (socket: Socket) => new Promise<void>((resolve) => (socket.destroyed ? resolve() : socket.once('close', () => resolve())));
const upgradeRequest = (port: number) =>
  `GET / HTTP/1.1\r\nHost: 127.0.0.1:${port}\r\nUpgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\n\r\n`;

describe('junk before the handshake', () => {
  it('random bytes instead of HTTP, random and text messages instead of HELLO: typed closes, service goes on', async () => {
    const f = makeFederation(['lab-a', 'lab-b']);
    const { server } = await serve(f);
    const socket = await tcp(server.port);
    socket.on('error', () => undefined);
    socket.write(sodium.randombytes_buf(512));
    await closedSocket(socket);

    const binary = openRaw(server.url);
    await binary.opened;
    binary.send(sodium.randombytes_buf(100));
    expect(await binary.closed).toEqual({ code: CLOSE_CODES['handshake-malformed'], reason: 'handshake-malformed' });

    const textual = openRaw(server.url);
    await textual.opened;
    textual.ws.send('HELLO');
    expect((await textual.closed).code).toBe(CLOSE_CODES['handshake-malformed']);

    await until(() => server.snapshot().closes['handshake-malformed'] === 3);
    await honestRoundTrip(f, server);
  });

  it('plain HTTP requests get 426 and no session', async () => {
    const f = makeFederation(['lab-a', 'lab-b']);
    const { server } = await serve(f);
    const response = await fetch(`http://127.0.0.1:${server.port}/`);
    expect(response.status).toBe(426);
  });
});

describe('slowloris', () => {
  it('drops connections that stall anywhere in the handshake exactly at the timeout', async () => {
    const f = makeFederation(['lab-a', 'lab-b']);
    const clock = new ManualClock();
    const { server } = await serve(f, { timers: clock, now: clock.now, limits: { handshakeTimeoutMs: 10_000 } });
    const partialHttp = await tcp(server.port);
    partialHttp.write('GET / HTTP/1.1\r\nHost: 127.0.0.1\r\n');
    const silent = openRaw(server.url);
    await silent.opened;
    const halfway = openRaw(server.url);
    await halfway.opened;
    const handshake = new InitiatorHandshake({ roster: f.roster, identity: f.identity('lab-a'), peerId: 'lab-b', purpose, ephemeralSecret: sodium.randombytes_buf(32) });
    halfway.send(handshake.hello());
    await halfway.next(); // RESPONSE arrives; AUTH is never sent.
    await until(() => server.snapshot().unauthenticatedOpen === 3);

    clock.advance(9_999);
    expect(server.snapshot().unauthenticatedOpen).toBe(3);
    expect(server.snapshot().closes['handshake-timeout']).toBe(0);
    clock.advance(1);
    expect((await silent.closed).code).toBe(CLOSE_CODES['handshake-timeout']);
    expect((await halfway.closed).code).toBe(CLOSE_CODES['handshake-timeout']);
    await closedSocket(partialHttp);
    await until(() => server.snapshot().unauthenticatedOpen === 0);
    expect(server.snapshot().closes['handshake-timeout']).toBe(3);
  });
});

describe('forged and replayed handshakes', () => {
  async function handshakeWith(server: TransportServer, roster: ReturnType<typeof parseRoster>, identity: { id: string; secretKey: Uint8Array }) {
    const raw = openRaw(server.url);
    await raw.opened;
    const handshake = new InitiatorHandshake({ roster, identity, peerId: 'lab-b', purpose, ephemeralSecret: sodium.randombytes_buf(32) });
    raw.send(handshake.hello());
    raw.send(handshake.readResponse(await raw.next()));
    return raw.closed;
  }

  it('a member id with a signature from the wrong key is refused with bad-signature and logged', async () => {
    const f = makeFederation(['lab-a', 'lab-b']);
    const { lines, logger } = recordingLogger();
    const { server } = await serve(f, { logger });
    const closed = await handshakeWith(server, f.roster, { id: 'lab-a', secretKey: sodium.crypto_sign_keypair().privateKey });
    expect(closed).toEqual({ code: CLOSE_CODES['bad-signature'], reason: 'bad-signature' });
    await until(() => lines.some((l) => l.obj['reason'] === 'bad-signature'));
    await honestRoundTrip(f, server);
  });

  it('an identity outside the roster is refused before any application frame', async () => {
    const f = makeFederation(['lab-a', 'lab-b']);
    const { server, sessions } = await serve(f);
    const closed = await handshakeWith(server, f.roster, { id: 'lab-x', secretKey: sodium.crypto_sign_keypair().privateKey });
    expect(closed.code).toBe(CLOSE_CODES['unknown-identity']);
    expect(sessions).toHaveLength(0);
  });

  it('a stale roster digest is refused and the close names the responder digest', async () => {
    const f = makeFederation(['lab-a', 'lab-b']);
    const { server } = await serve(f);
    const stale = parseRoster({ ...f.rosterJson, federation: { ...f.rosterJson.federation, epoch: 7 } });
    const raw = openRaw(server.url);
    await raw.opened;
    raw.send(new InitiatorHandshake({ roster: stale, identity: f.identity('lab-a'), peerId: 'lab-b', purpose, ephemeralSecret: sodium.randombytes_buf(32) }).hello());
    const closed = await raw.closed;
    expect(closed.code).toBe(CLOSE_CODES['roster-mismatch']);
    expect(closed.reason).toBe(`roster-mismatch ${Buffer.from(rosterDigest(f.roster)).toString('hex')}`);
  });

  it('a recorded HELLO and AUTH replayed on a new connection do not authenticate', async () => {
    const f = makeFederation(['lab-a', 'lab-b']);
    const { server, sessions } = await serve(f);
    const original = await rawSession(server.url, f.roster, f.identity('lab-a'), 'lab-b');
    const recordedFrame = original.sealer.seal(FRAME_KIND_DATA, text('offer'));
    original.raw.send(recordedFrame);
    await original.raw.next();

    const replay = openRaw(server.url);
    await replay.opened;
    replay.send(original.hello);
    await replay.next();
    replay.send(original.auth);
    expect(await replay.closed).toEqual({ code: CLOSE_CODES['handshake-decrypt-failed'], reason: 'handshake-decrypt-failed' });

    // A frame recorded in one session means nothing in another.
    const fresh = await rawSession(server.url, f.roster, f.identity('lab-a'), 'lab-b');
    fresh.raw.send(recordedFrame);
    expect((await fresh.raw.closed).code).toBe(CLOSE_CODES['frame-auth-failed']);
    expect(sessions).toHaveLength(2);
  });
});

describe('frames after the handshake', () => {
  const attacks: [string, (s: Awaited<ReturnType<typeof rawSession>>) => void, keyof typeof CLOSE_CODES][] = [
    ['tampered', (s) => { const f = s.sealer.seal(FRAME_KIND_DATA, text('blinded')); f[20]! ^= 0x80; s.raw.send(f); }, 'frame-auth-failed'],
    ['truncated by one byte', (s) => { const f = s.sealer.seal(FRAME_KIND_DATA, text('blinded')); s.raw.send(f.subarray(0, f.length - 1)); }, 'frame-auth-failed'],
    ['reordered', (s) => { const first = s.sealer.seal(FRAME_KIND_DATA, text('a')); s.raw.send(s.sealer.seal(FRAME_KIND_DATA, text('b'))); s.raw.send(first); }, 'frame-out-of-order'],
    ['duplicated', (s) => { const f = s.sealer.seal(FRAME_KIND_DATA, text('a')); s.raw.send(f); s.raw.send(f); }, 'frame-replayed'],
    ['an ACCEPT from the initiator', (s) => s.raw.send(s.sealer.seal(FRAME_KIND_ACCEPT, new Uint8Array(0))), 'protocol-violation'],
    ['a CLOSE with a malformed body', (s) => s.raw.send(s.sealer.seal(3, new Uint8Array([9, 0x41]))), 'frame-malformed'],
    ['a text message', (s) => s.raw.ws.send('hi'), 'frame-malformed'],
  ];

  it.each(attacks)('%s → closed with its reason; the server session reports it; others go on', async (_, attack, reason) => {
    const f = makeFederation(['lab-a', 'lab-b']);
    const { server, endings } = await serve(f);
    const s = await rawSession(server.url, f.roster, f.identity('lab-a'), 'lab-b');
    attack(s);
    expect(await s.raw.closed).toEqual({ code: CLOSE_CODES[reason], reason });
    await until(() => endings.length === 1);
    expect(endings[0]).toBe(reason);
    expect(server.snapshot().closes[reason]).toBe(1);
    await honestRoundTrip(f, server);
  });

  it('a stream cut short without CLOSE (truncation) fails the reader with connection-lost', async () => {
    const f = makeFederation(['lab-a', 'lab-b']);
    const { server, endings } = await serve(f);
    const s = await rawSession(server.url, f.roster, f.identity('lab-a'), 'lab-b');
    s.raw.send(s.sealer.seal(FRAME_KIND_DATA, text('first chunk')));
    await s.raw.next();
    // A forged WebSocket close 1000 without the authenticated CLOSE frame is still a truncation.
    s.raw.ws.close(1000, 'normal');
    await until(() => endings.length === 1);
    expect(endings[0]).toBe('connection-lost');
  });

  it('an authenticated CLOSE from the peer ends the reader cleanly', async () => {
    const f = makeFederation(['lab-a', 'lab-b']);
    const { server, endings } = await serve(f);
    const s = await rawSession(server.url, f.roster, f.identity('lab-a'), 'lab-b');
    s.raw.send(s.sealer.seal(3, new Uint8Array([6, ...text('normal'), ...text('done')])));
    await until(() => endings.length === 1);
    expect(endings[0]).toBe('done');
    expect((await s.raw.closed).code).toBe(1000);
  });
});

describe('size limits', () => {
  it('a frame over the limit is closed with 1009, before and after authentication', async () => {
    const f = makeFederation(['lab-a', 'lab-b']);
    const { server } = await serve(f, { limits: { maxMessageBytes: 64 * 1024 } });
    const big = await connect({ roster: f.roster, identity: f.identity('lab-a'), peerId: 'lab-b', purpose, url: server.url, limits: { maxMessageBytes: 1024 * 1024 } });
    await big.send(new Uint8Array(128 * 1024));
    expect(await big.closed).toMatchObject({ reason: 'frame-too-large', by: 'peer' });

    const oversizedHello = openRaw(server.url);
    await oversizedHello.opened;
    oversizedHello.send(new Uint8Array(1000).fill(1));
    expect((await oversizedHello.closed).code).toBe(1009);

    // Bytes past the pre-authentication budget are cut off even inside one unfinished message
    // that ws alone would keep buffering (200 KiB declared, under maxPayload).
    const flood = await tcp(server.port);
    const received: Buffer[] = [];
    flood.on('data', (chunk: Buffer) => received.push(chunk));
    flood.write(upgradeRequest(server.port));
    await until(() => Buffer.concat(received).includes('\r\n\r\n'));
    const header = Buffer.from([0x82, 0xff, 0, 0, 0, 0, 0, 0x03, 0x20, 0x00, 0x11, 0x22, 0x33, 0x44]);
    flood.write(Buffer.concat([header, Buffer.alloc(64 * 1024)]));
    await closedSocket(flood);
    const all = Buffer.concat(received);
    const frame = all.subarray(all.indexOf('\r\n\r\n') + 4);
    expect(frame[0]).toBe(0x88);
    expect(frame.readUInt16BE(2)).toBe(1009);
    await until(() => server.snapshot().closes['frame-too-large'] === 3);
    await honestRoundTrip(f, server);
  });
});

describe('1,000 rapid unauthenticated connections', () => {
  it('stays within its bounds while an honest peer connects and exchanges frames', async () => {
    const f = makeFederation(['lab-a', 'lab-b']);
    const limits = { maxUnauthenticated: 128, maxUnauthenticatedPerAddress: 8 };
    const { server } = await serve(f, { limits });
    global.gc?.();
    const base = process.memoryUsage();
    let peakRss = base.rss;
    let peakHeap = base.heapUsed;
    const sampler = setInterval(() => {
      const m = process.memoryUsage();
      peakRss = Math.max(peakRss, m.rss);
      peakHeap = Math.max(peakHeap, m.heapUsed);
    }, 5);

    const attempted = 1000;
    const attackers: Socket[] = [];
    const started = performance.now();
    const storm = Array.from({ length: attempted }, (_, i) => {
      // Ten attacker addresses on the loopback network; the honest peer dials from another.
      const socket = tcpConnect({ host: '127.0.0.1', port: server.port, localAddress: `127.0.0.${10 + (i % 10)}` });
      attackers.push(socket);
      socket.on('error', () => undefined);
      return new Promise<void>((resolve) => {
        socket.once('connect', () => {
          const style = i % 4;
          if (style === 1) socket.write(sodium.randombytes_buf(256));
          else if (style === 2) socket.write(upgradeRequest(server.port));
          else if (style === 3) socket.write('GET / HTTP/1.1\r\nHost: x\r\n');
          resolve();
        });
        socket.once('close', () => resolve());
      });
    });
    const honest = honestRoundTrip(f, server, '127.0.0.2');
    await Promise.all(storm);
    const stormMs = performance.now() - started;
    const { handshakeMs, rtts } = await honest;
    const duringAbuse = server.snapshot();
    clearInterval(sampler);

    for (const s of attackers) s.destroy();
    await until(() => server.snapshot().unauthenticatedOpen === 0 && Object.values(server.snapshot().closes).reduce((a, b) => a + b, 0) >= attempted + 1);
    const after = server.snapshot();
    const refused = after.closes['too-many-from-address'] + after.closes['too-many-unauthenticated'] + after.closes['too-many-connections'];
    rtts.sort((a, b) => a - b);
    const figures = {
      attempted,
      stormMs: Math.round(stormMs),
      refusedAtAdmission: refused,
      handshakeMalformed: after.closes['handshake-malformed'],
      peakUnauthenticated: after.peakUnauthenticated,
      peakRssMiB: +(peakRss / 2 ** 20).toFixed(1),
      rssGrowthMiB: +((peakRss - base.rss) / 2 ** 20).toFixed(1),
      peakHeapGrowthMiB: +((peakHeap - base.heapUsed) / 2 ** 20).toFixed(1),
      honestHandshakeMs: +handshakeMs.toFixed(1),
      honestRttP50Ms: +(rtts[Math.floor(rtts.length / 2)] ?? 0).toFixed(2),
      honestRttMaxMs: +(rtts[rtts.length - 1] ?? 0).toFixed(2),
    };
    console.log(`[abuse] ${JSON.stringify(figures)}`);

    expect(duringAbuse.sessionsEstablished).toBe(1);
    expect(after.peakUnauthenticated).toBeLessThanOrEqual(limits.maxUnauthenticated);
    // Every attempt ended with a counted reason: refused at admission, or closed once admitted.
    const ended = Object.values(after.closes).reduce((a, b) => a + b, 0);
    expect(ended).toBeGreaterThanOrEqual(attempted + 1);
    expect(refused).toBeGreaterThan(0);
    expect(after.closes.normal).toBe(1);
    expect(peakHeap - base.heapUsed).toBeLessThan(96 * 2 ** 20);
    expect(handshakeMs).toBeLessThan(5_000);
  });
});
