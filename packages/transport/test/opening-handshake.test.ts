/** transport.md §6.6: what an initiator sends in the WebSocket opening handshake and what a responder accepts. */
import { createServer as createHttpServer, request, type IncomingHttpHeaders, type Server } from 'node:http';
import { createServer as createTcpServer, type AddressInfo, type Socket } from 'node:net';
import { randomBytes } from 'node:crypto';
import { afterEach, beforeAll, describe, expect, it } from 'vitest';
import { SessionError, TransportMetrics, connect, createServer, parseRoster, transportReady, type Session, type TransportServer } from '../src/index.js';
import { until } from './helpers/clock.js';
import { makeFederation, type Federation } from './helpers/federation.js';

beforeAll(transportReady);

const closers: (() => Promise<void>)[] = [];
afterEach(async () => {
  await Promise.all(closers.splice(0).map((close) => close()));
});

const purpose = new TextEncoder().encode('opening-handshake');

/** A plain HTTP server that records every upgrade request and refuses it. */
async function recorder(): Promise<{ port: number; requests: { url: string; headers: IncomingHttpHeaders }[] }> {
  const requests: { url: string; headers: IncomingHttpHeaders }[] = [];
  const http: Server = createHttpServer();
  http.on('upgrade', (req, socket) => {
    requests.push({ url: req.url ?? '', headers: req.headers });
    socket.end('HTTP/1.1 503 Service Unavailable\r\nConnection: close\r\nContent-Length: 0\r\n\r\n');
  });
  await new Promise<void>((resolve) => http.listen(0, '127.0.0.1', resolve));
  closers.push(() => new Promise((resolve) => http.close(() => resolve())));
  return { port: (http.address() as AddressInfo).port, requests };
}

/** The federation of makeFederation with lab-b published at `endpoint`. */
function publishedAt(f: Federation, endpoint: string) {
  const json = structuredClone(f.rosterJson);
  json.members.find((m) => m.id === 'lab-b')!.endpoint = endpoint;
  return parseRoster(json);
}

async function refusal(promise: Promise<unknown>): Promise<SessionError> {
  const error = await promise.then(() => undefined, (e: unknown) => e);
  expect(error).toBeInstanceOf(SessionError);
  return error as SessionError;
}

describe('the initiator', () => {
  it.each([
    ['with a path', '/venn/lab-b', '/venn/lab-b'],
    ['without a path', '', '/'],
    ['with a bare slash', '/', '/'],
  ])('dials the roster endpoint as written (%s): the request-target is its path', async (_, path, target) => {
    const f = makeFederation(['lab-a', 'lab-b']);
    const { port, requests } = await recorder();
    const roster = publishedAt(f, `ws://127.0.0.1:${port}${path}`);
    const error = await refusal(connect({ roster, identity: f.identity('lab-a'), peerId: 'lab-b', purpose }));
    expect(error.reason).toBe('handshake-malformed');
    expect(requests).toHaveLength(1);
    const { url, headers } = requests[0]!;
    expect(url).toBe(target);
    expect(headers['host']).toBe(`127.0.0.1:${port}`);
    // No subprotocol, no compression, no Origin: nothing a responder could route or trust on.
    expect(headers['sec-websocket-protocol']).toBeUndefined();
    expect(headers['sec-websocket-extensions']).toBeUndefined();
    expect(headers['origin']).toBeUndefined();
    expect(headers['upgrade']?.toLowerCase()).toBe('websocket');
    expect(headers['sec-websocket-version']).toBe('13');
  });
});

/** A TCP listener that does `onSocket` to every connection; a closed port once `close` ran. */
async function tcp(onSocket: (socket: Socket) => void): Promise<{ port: number; close: () => Promise<void> }> {
  const sockets = new Set<Socket>();
  const server = createTcpServer((socket) => {
    sockets.add(socket);
    onSocket(socket);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const close = (): Promise<void> => new Promise((resolve) => {
    server.close(() => resolve());
    for (const socket of sockets) socket.destroy();
  });
  closers.push(async () => { if (server.listening) await close(); });
  return { port: (server.address() as AddressInfo).port, close };
}

describe('a dial that gets no HTTP answer (transport.md §6.5)', () => {
  async function dial(port: number): Promise<{ error: SessionError; metrics: TransportMetrics }> {
    const f = makeFederation(['lab-a', 'lab-b']);
    const metrics = new TransportMetrics();
    const error = await refusal(connect({ roster: publishedAt(f, `ws://127.0.0.1:${port}`), identity: f.identity('lab-a'), peerId: 'lab-b', purpose, metrics }));
    return { error, metrics };
  }

  it('to a closed port is connect-failed, not handshake-malformed', async () => {
    const closed = await tcp(() => undefined);
    await closed.close();
    const { error, metrics } = await dial(closed.port);
    expect(error).toMatchObject({ reason: 'connect-failed', code: 'connect-failed', by: 'local' });
    expect(error.detail).toMatch(/ECONNREFUSED/);
    expect(metrics.snapshot().closes).toMatchObject({ 'connect-failed': 1, 'handshake-malformed': 0 });
  });

  it('to a listener that drops the connection before answering is connect-failed', async () => {
    const dropper = await tcp((socket) => socket.destroy());
    const { error, metrics } = await dial(dropper.port);
    expect(error).toMatchObject({ reason: 'connect-failed', by: 'local' });
    expect(metrics.snapshot().closes).toMatchObject({ 'connect-failed': 1, 'handshake-malformed': 0 });
  });

  it('to a listener that answers with bytes that are not HTTP is handshake-malformed', async () => {
    const garbage = await tcp((socket) => {
      socket.on('error', () => undefined);
      socket.end(Buffer.from('\x00\xffnot http\r\n\r\n', 'latin1'));
    });
    const { error, metrics } = await dial(garbage.port);
    expect(error).toMatchObject({ reason: 'handshake-malformed', by: 'local' });
    expect(metrics.snapshot().closes).toMatchObject({ 'connect-failed': 0, 'handshake-malformed': 1 });
  });
});

describe('the responder', () => {
  async function serve(f: Federation): Promise<{ server: TransportServer; sessions: Session[] }> {
    const sessions: Session[] = [];
    const server = await createServer({ roster: f.roster, identity: f.identity('lab-b'), onSession: (s) => void sessions.push(s) });
    closers.push(() => server.close());
    return { server, sessions };
  }

  it.each(['/', '/venn', '/a/b/c', '/venn?x=1&y=2', '/%7Euser/'])('accepts the upgrade and the handshake on path %s', async (path) => {
    const f = makeFederation(['lab-a', 'lab-b']);
    const { server, sessions } = await serve(f);
    const session = await connect({ roster: f.roster, identity: f.identity('lab-a'), peerId: 'lab-b', purpose, url: `${server.url}${path}` });
    await until(() => sessions.length === 1);
    expect(sessions[0]!.peerId).toBe('lab-a');
    await session.close();
  });

  it('ignores Host and Origin, and selects no subprotocol or extension whatever the client offers', async () => {
    const f = makeFederation(['lab-a', 'lab-b']);
    const { server } = await serve(f);
    const answer = await new Promise<{ status: number; headers: IncomingHttpHeaders }>((resolve, reject) => {
      const req = request({
        host: '127.0.0.1',
        port: server.port,
        path: '/somewhere/else?q=1',
        headers: {
          Host: 'unrelated.example:1',
          Origin: 'https://attacker.example',
          Connection: 'Upgrade',
          Upgrade: 'websocket',
          'Sec-WebSocket-Version': '13',
          'Sec-WebSocket-Key': randomBytes(16).toString('base64'),
          'Sec-WebSocket-Protocol': 'venn, chat',
          'Sec-WebSocket-Extensions': 'permessage-deflate; client_max_window_bits',
        },
      });
      req.on('upgrade', (res, socket) => {
        socket.destroy();
        resolve({ status: res.statusCode ?? 0, headers: res.headers });
      });
      req.on('response', (res) => resolve({ status: res.statusCode ?? 0, headers: res.headers }));
      req.on('error', reject);
      req.end();
    });
    expect(answer.status).toBe(101);
    expect(answer.headers['sec-websocket-protocol']).toBeUndefined();
    expect(answer.headers['sec-websocket-extensions']).toBeUndefined();
  });

  it('answers a plain HTTP request 426 on any path', async () => {
    const f = makeFederation(['lab-a', 'lab-b']);
    const { server } = await serve(f);
    const status = await new Promise<number>((resolve, reject) => {
      const req = request({ host: '127.0.0.1', port: server.port, path: '/venn' }, (res) => {
        res.resume();
        resolve(res.statusCode ?? 0);
      });
      req.on('error', reject);
      req.end();
    });
    expect(status).toBe(426);
  });
});
