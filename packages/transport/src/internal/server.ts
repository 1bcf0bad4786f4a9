/**
 * The responder side (transport.md §6): an HTTP(S) server whose upgrade path runs the Venn
 * handshake. Unauthenticated connections are bounded in number, per address, in bytes and in
 * time; every refusal is typed, logged and counted, and the server keeps serving everyone else.
 */
import { readFileSync } from 'node:fs';
import { createServer as createHttpServer, type IncomingMessage, type Server } from 'node:http';
import { createServer as createHttpsServer } from 'node:https';
import type { Socket } from 'node:net';
import type { TLSSocket } from 'node:tls';
import { ValidationError } from '@venn/errors';
import type { Duplex } from 'node:stream';
import { WebSocketServer, type WebSocket } from 'ws';
import { toHex } from './bytes.js';
import { sealedFrameLength } from './frames.js';
import { MAX_HANDSHAKE_MESSAGE_BYTES, ResponderHandshake, handshakeFailureReason, type NodeIdentity } from './handshake.js';
import { addressGroup } from './address.js';
import { checkIdentity } from './identity.js';
import {
  TransportMetrics,
  resolveLimits,
  silentLogger,
  systemTimers,
  type LinkContext,
  type TimerHandle,
  type Timers,
  type TransportLimits,
  type TransportLogger,
  type TransportMetricsSnapshot,
} from './options.js';
import { randomBytes, transportReady } from './primitives.js';
import type { CloseReason } from './reasons.js';
import { rosterDigest, type Roster } from './roster.js';
import { Link, SessionImpl, tlsFailureDetail, type Session } from './session.js';

/** The answer to a purpose: accept, or refuse with a kebab-case code the initiator sees authenticated. */
export type PurposeDecision = { readonly accept: true } | { readonly accept: false; readonly code: string; readonly detail?: string };

export interface ServerOptions {
  readonly host?: string;
  /** 0 picks a free port; read it back from `server.port`. */
  readonly port?: number;
  readonly roster: Roster;
  readonly identity: NodeIdentity;
  /** Called once per authenticated, accepted session. A throw or rejection closes that session only. */
  readonly onSession: (session: Session) => void | Promise<void>;
  /** Decides whether the authenticated peer may open a session for this purpose (round id). Default: accept. */
  readonly acceptPurpose?: (peerId: string, purpose: Uint8Array) => PurposeDecision | Promise<PurposeDecision>;
  readonly limits?: Partial<TransportLimits>;
  /** Serve wss:// with this certificate chain and key (PEM files). The Venn handshake still runs inside. */
  readonly tls?: { readonly certFile: string; readonly keyFile: string };
  readonly logger?: TransportLogger;
  readonly metrics?: TransportMetrics;
  readonly timers?: Timers;
  readonly now?: () => number;
  readonly rng?: (n: number) => Uint8Array;
}

export interface TransportServer {
  readonly host: string;
  readonly port: number;
  /** ws://host:port or wss://host:port. */
  readonly url: string;
  readonly metrics: TransportMetrics;
  snapshot(): TransportMetricsSnapshot;
  /**
   * Applies a new roster and, for a TLS listener, a renewed certificate and key to connections
   * accepted from now on. Sessions already open keep what they were opened with.
   */
  update(changes: { readonly roster?: Roster; readonly tls?: { readonly certFile: string; readonly keyFile: string } }): void;
  /** Stops listening, sends an authenticated CLOSE `shutdown` to every session and waits for them. */
  close(): Promise<void>;
}

interface Admission {
  readonly socket: Duplex;
  readonly remoteAddress: string;
  readonly group: string;
  timer: TimerHandle | undefined;
  link: Link | undefined;
  upgraded: boolean;
  counted: boolean;
  released: boolean;
}

export async function createServer(options: ServerOptions): Promise<TransportServer> {
  await transportReady();
  checkIdentity(options.roster, options.identity);
  const limits = resolveLimits(options.limits);
  const ctx: LinkContext = {
    limits,
    logger: options.logger ?? silentLogger,
    metrics: options.metrics ?? new TransportMetrics(),
    timers: options.timers ?? systemTimers,
    now: options.now ?? Date.now,
  };
  const rng = options.rng ?? randomBytes;
  // Replaced by update(): each connection reads them once, when its handshake starts.
  let roster = options.roster;
  let ourDigest = toHex(rosterDigest(roster));
  const { logger, metrics, timers } = ctx;
  const tls = options.tls;

  const http: Server = tls ? createTlsServer(tls, limits.handshakeTimeoutMs) : createHttpServer();
  // Node's own clocks bound the HTTP phase as a second line behind the injected handshake timer.
  http.headersTimeout = limits.handshakeTimeoutMs;
  http.requestTimeout = limits.handshakeTimeoutMs;
  http.maxHeadersCount = 32;
  // A hard cap on sockets of every kind; past it Node drops new connections unanswered.
  http.maxConnections = limits.maxUnauthenticated + limits.maxSessions;
  // transport.md §6.6: any path, Host and Origin are accepted (identity comes from the handshake
  // alone) and no subprotocol is ever selected, whatever a client offers.
  const wss = new WebSocketServer({
    noServer: true,
    maxPayload: sealedFrameLength(limits.maxMessageBytes),
    perMessageDeflate: false,
    clientTracking: false,
    handleProtocols: () => false,
  });

  const pending = new Map<Duplex, Admission>();
  const perGroup = new Map<string, number>();
  const sessions = new Set<SessionImpl>();
  let closing = false;

  const refuse = (socket: Duplex, remoteAddress: string, reason: CloseReason, detail: string): void => {
    metrics.recordClose(reason);
    logger.warn({ role: 'responder', remoteAddress, reason, rosterDigest: ourDigest, detail }, `refusing connection: ${reason}`);
    socket.on('error', () => undefined);
    if (tls) {
      socket.destroy();
      return;
    }
    socket.write(`HTTP/1.1 503 Service Unavailable\r\nConnection: close\r\nContent-Length: 0\r\nX-Venn-Reason: ${reason}\r\n\r\n`, () => socket.destroy());
  };

  const release = (adm: Admission): void => {
    if (adm.released) return;
    adm.released = true;
    pending.delete(adm.socket);
    const left = (perGroup.get(adm.group) ?? 1) - 1;
    if (left === 0) perGroup.delete(adm.group);
    else perGroup.set(adm.group, left);
    metrics.unauthenticatedOpen -= 1;
  };

  const stopDeadline = (adm: Admission): void => {
    if (adm.timer !== undefined) timers.clearTimeout(adm.timer);
    adm.timer = undefined;
  };

  /** Counts the end of a connection that never became a WebSocket (the Link counts the others). */
  const endBeforeLink = (adm: Admission, reason: CloseReason, detail: string): void => {
    if (adm.counted || adm.link !== undefined) return;
    adm.counted = true;
    metrics.recordClose(reason);
    logger.warn({ role: 'responder', remoteAddress: adm.remoteAddress, reason, rosterDigest: ourDigest, detail }, `closing connection: ${reason}`);
    adm.socket.destroy();
  };

  const admit = (socket: Socket): void => {
    metrics.connectionsAccepted += 1;
    const remoteAddress = socket.remoteAddress ?? 'unknown';
    const group = addressGroup(socket.remoteAddress);
    if (closing) {
      socket.destroy();
      return;
    }
    if (pending.size >= limits.maxUnauthenticated) {
      refuse(socket, remoteAddress, 'too-many-unauthenticated', `${pending.size} connections are already authenticating`);
      return;
    }
    if ((perGroup.get(group) ?? 0) >= limits.maxUnauthenticatedPerAddress) {
      refuse(socket, remoteAddress, 'too-many-from-address', `${group} already has ${limits.maxUnauthenticatedPerAddress} connections authenticating`);
      return;
    }
    const adm: Admission = { socket, remoteAddress, group, timer: undefined, link: undefined, upgraded: false, counted: false, released: false };
    pending.set(socket, adm);
    perGroup.set(group, (perGroup.get(group) ?? 0) + 1);
    metrics.unauthenticatedOpened();
    // transport.md §6.1: the whole handshake, from accept to ACCEPT, has one deadline.
    adm.timer = timers.setTimeout(() => {
      adm.timer = undefined;
      if (adm.link !== undefined) adm.link.end('handshake-timeout', `handshake not finished within ${limits.handshakeTimeoutMs} ms`);
      else endBeforeLink(adm, 'handshake-timeout', `no WebSocket upgrade within ${limits.handshakeTimeoutMs} ms`);
    }, limits.handshakeTimeoutMs);
    socket.on('error', () => undefined);
    socket.once('close', () => {
      release(adm);
      stopDeadline(adm);
      endBeforeLink(adm, adm.upgraded ? 'handshake-malformed' : 'connection-lost', 'socket closed before the WebSocket opened');
    });
  };

  http.on(tls ? 'secureConnection' : 'connection', admit);
  http.on('drop', (data?: { remoteAddress?: string }) => {
    metrics.recordClose('too-many-connections');
    logger.warn({ role: 'responder', remoteAddress: data?.remoteAddress ?? 'unknown', reason: 'too-many-connections' }, 'dropping connection: too-many-connections');
  });
  // A failed TLS handshake never reaches admission: typed, logged and counted here, and only that
  // socket is closed. A dialer that rejects our certificate shows up here as a reset or an alert.
  http.on('tlsClientError', (error: Error & { code?: string }, socket: TLSSocket) => {
    metrics.recordClose('tls-failed');
    const detail = tlsFailureDetail(error) ?? `TLS handshake failed: ${error.code ?? 'error'} (${error.message})`;
    logger.warn({ role: 'responder', remoteAddress: socket.remoteAddress ?? 'unknown', reason: 'tls-failed', rosterDigest: ourDigest, detail }, 'closing connection: tls-failed');
    socket.destroy();
  });
  http.on('clientError', (error: Error, socket: Duplex) => {
    const adm = pending.get(socket);
    if (adm !== undefined) endBeforeLink(adm, 'handshake-malformed', `not an HTTP request: ${error.message}`);
    else socket.destroy();
  });
  http.on('request', (_req, res) => {
    res.writeHead(426, { Connection: 'close', Upgrade: 'websocket', 'Content-Length': '0' });
    res.end();
  });

  http.on('upgrade', (req: IncomingMessage, socket: Duplex, head: Buffer) => {
    const adm = pending.get(socket);
    if (adm === undefined) {
      socket.destroy();
      return;
    }
    adm.upgraded = true;
    // transport.md §6.1: an unauthenticated peer may send only a few KiB in all. Checked per TCP
    // chunk, ahead of ws's own parser, so buffering stays within budget plus one chunk.
    let seen = head.length;
    const onData = (chunk: Buffer): void => {
      seen += chunk.length;
      if (seen <= limits.handshakeByteBudget) return;
      socket.off('data', onData);
      if (adm.link !== undefined) adm.link.end('frame-too-large', `${seen} bytes before authentication (budget ${limits.handshakeByteBudget})`);
      else endBeforeLink(adm, 'frame-too-large', `${seen} bytes before authentication`);
    };
    socket.on('data', onData);
    wss.handleUpgrade(req, socket, head, (ws) => {
      const link = new Link(ws, ctx, 'responder', adm.remoteAddress, ourDigest);
      adm.link = link;
      link.onEnd(() => stopDeadline(adm));
      runResponder(ws, link, adm, () => socket.off('data', onData), roster, ourDigest);
    });
  });

  function runResponder(ws: WebSocket, link: Link, adm: Admission, stopBudget: () => void, roster: Roster, ourDigest: string): void {
    const handshake = new ResponderHandshake({ roster, identity: options.identity, ephemeralSecret: rng(32) });
    let stage: 'hello' | 'auth' | 'deciding' | 'session' = 'hello';
    let session: SessionImpl | undefined;
    ws.on('pong', () => session?.heardFromPeer());
    ws.on('ping', () => session?.heardFromPeer());
    ws.on('message', (data: Buffer, isBinary: boolean) => {
      if (link.ended) return;
      const bytes = new Uint8Array(data.buffer, data.byteOffset, data.byteLength);
      if (stage === 'session' && session !== undefined) {
        if (!isBinary) link.end('frame-malformed', 'text message in a session');
        else session.onMessage(bytes);
        return;
      }
      if (!isBinary) return link.end('handshake-malformed', 'text message during the handshake');
      if (bytes.length > MAX_HANDSHAKE_MESSAGE_BYTES) {
        return link.end('frame-too-large', `handshake message of ${bytes.length} bytes (at most ${MAX_HANDSHAKE_MESSAGE_BYTES})`);
      }
      if (stage === 'hello') {
        try {
          ws.send(handshake.readHello(bytes));
          stage = 'auth';
        } catch (error) {
          const reason = handshakeFailureReason(error);
          link.end(reason, (error as Error).message, reason === 'roster-mismatch' ? `roster-mismatch ${ourDigest}` : reason);
        }
        return;
      }
      if (stage !== 'auth') return link.end('protocol-violation', 'message received while the purpose is being decided');
      let result;
      try {
        result = handshake.readAuth(bytes);
      } catch (error) {
        return link.end(handshakeFailureReason(error), (error as Error).message);
      }
      // Authenticated: the slot for unauthenticated peers is free again, the byte budget lifts.
      release(adm);
      stopBudget();
      session = new SessionImpl(link, 'responder', result);
      if (sessions.size >= limits.maxSessions) {
        return session.endWith('too-many-sessions', 'too-many-sessions', `${sessions.size} sessions already open`);
      }
      stage = 'deciding';
      void decide(ws, link, adm, session, () => {
        stage = 'session';
      });
    });
  }

  /** Runs acceptPurpose, then ACCEPT and onSession; `enterSession` switches the reader to frames first. */
  async function decide(ws: WebSocket, link: Link, adm: Admission, session: SessionImpl, enterSession: () => void): Promise<void> {
    ws.pause();
    let decision: PurposeDecision;
    try {
      decision = options.acceptPurpose === undefined ? { accept: true } : await options.acceptPurpose(session.peerId, session.purpose);
    } catch (error) {
      logger.error({ role: 'responder', peer: session.peerId, error: (error as Error).message }, 'acceptPurpose threw');
      session.endWith('internal-error', 'internal-error', 'the responder could not decide on the purpose');
      return;
    }
    if (link.ended) return;
    stopDeadline(adm);
    ws.resume();
    if (!decision.accept) {
      session.endWith('purpose-refused', decision.code, decision.detail ?? '');
      return;
    }
    enterSession();
    session.sendAccept();
    session.markOpen();
    sessions.add(session);
    link.onEnd(() => sessions.delete(session));
    try {
      await options.onSession(session);
    } catch (error) {
      logger.error({ role: 'responder', peer: session.peerId, error: (error as Error).message }, 'onSession threw; closing its session');
      session.endWith('internal-error', 'internal-error', 'the responder failed while handling the session');
    }
  }

  await new Promise<void>((resolve, reject) => {
    http.once('error', reject);
    http.listen(options.port ?? 0, options.host ?? '127.0.0.1', () => {
      http.off('error', reject);
      resolve();
    });
  });
  const address = http.address();
  const port = typeof address === 'object' && address !== null ? address.port : 0;
  const host = options.host ?? '127.0.0.1';
  logger.info({ role: 'responder', host, port, tls: tls !== undefined, rosterDigest: ourDigest }, 'transport listening');

  return {
    host,
    port,
    url: `${tls ? 'wss' : 'ws'}://${host.includes(':') ? `[${host}]` : host}:${port}`,
    metrics,
    snapshot: () => metrics.snapshot(),
    update(changes) {
      if (changes.roster !== undefined) {
        checkIdentity(changes.roster, options.identity);
        roster = changes.roster;
        ourDigest = toHex(rosterDigest(roster));
      }
      if (changes.tls !== undefined) {
        if (!tls) throw new ValidationError('tls-invalid', '"tls" cannot be added to a listener that serves ws://; restart it');
        (http as ReturnType<typeof createHttpsServer>).setSecureContext({ cert: readPem(changes.tls.certFile, 'tls.certFile'), key: readPem(changes.tls.keyFile, 'tls.keyFile') });
      }
    },
    async close() {
      closing = true;
      const stopped = new Promise<void>((resolve) => http.close(() => resolve()));
      for (const adm of pending.values()) {
        if (adm.link !== undefined) adm.link.end('shutdown', 'server closing');
        else endBeforeLink(adm, 'shutdown', 'server closing');
      }
      const ending = [...sessions].map((s) => {
        s.endWith('shutdown', 'shutdown', 'server closing');
        return s.closed;
      });
      await Promise.all(ending);
      http.closeAllConnections();
      await stopped;
    },
  };
}

function createTlsServer(tls: { readonly certFile: string; readonly keyFile: string }, handshakeTimeout: number): Server {
  const cert = readPem(tls.certFile, 'tls.certFile');
  const key = readPem(tls.keyFile, 'tls.keyFile');
  try {
    return createHttpsServer({ cert, key, handshakeTimeout });
  } catch (cause) {
    throw new ValidationError('tls-invalid', `"tls" expected a PEM certificate chain (tls.certFile) and its private key (tls.keyFile), got ${(cause as Error).message}`, { cause });
  }
}

function readPem(path: string, field: string): Buffer {
  try {
    return readFileSync(path);
  } catch (cause) {
    throw new ValidationError('tls-file-unreadable', `"${field}" expected a readable PEM file, got ${(cause as NodeJS.ErrnoException).code ?? 'an error'} at ${path}`, { cause });
  }
}
