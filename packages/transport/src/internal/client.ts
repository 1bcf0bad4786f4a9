/** The initiator side (transport.md §6): dial a roster member and run the handshake to ACCEPT. */
import { readFileSync } from 'node:fs';
import { rootCertificates } from 'node:tls';
import { ValidationError } from '@venn/errors';
import WebSocket from 'ws';
import { toHex } from './bytes.js';
import { sealedFrameLength } from './frames.js';
import { InitiatorHandshake, MAX_HANDSHAKE_MESSAGE_BYTES, handshakeFailureReason, type NodeIdentity } from './handshake.js';
import { checkIdentity } from './identity.js';
import {
  TransportMetrics,
  resolveLimits,
  silentLogger,
  systemTimers,
  type LinkContext,
  type Timers,
  type TransportLimits,
  type TransportLogger,
} from './options.js';
import { randomBytes, transportReady } from './primitives.js';
import { isCloseReason } from './reasons.js';
import { findMember, rosterDigest, type Roster } from './roster.js';
import { Link, SessionError, SessionImpl, describeEnd, type Session } from './session.js';

export interface ConnectOptions {
  readonly roster: Roster;
  readonly identity: NodeIdentity;
  /** The member to dial; its roster identity key is the only one accepted from the responder. */
  readonly peerId: string;
  /** The round id this session is for, 1 to 64 bytes, bound into the handshake transcript. */
  readonly purpose: Uint8Array;
  /** Overrides the member's roster endpoint (tests, port forwarding). */
  readonly url?: string;
  readonly limits?: Partial<TransportLimits>;
  /**
   * Trust anchors for wss:// (transport.md §6.4). Without `caFile`, Node's default store. With it,
   * only its PEM certificates, plus Node's bundled public CAs when `includeSystemCa` is true.
   */
  readonly tls?: { readonly caFile?: string; readonly includeSystemCa?: boolean };
  /** Source address to dial from. */
  readonly localAddress?: string;
  readonly logger?: TransportLogger;
  readonly metrics?: TransportMetrics;
  readonly timers?: Timers;
  readonly now?: () => number;
  readonly rng?: (n: number) => Uint8Array;
}

/** Dials `peerId` and resolves with an authenticated session once the responder has accepted the purpose. */
export async function connect(options: ConnectOptions): Promise<Session> {
  await transportReady();
  checkIdentity(options.roster, options.identity);
  const member = findMember(options.roster, options.peerId);
  if (member === undefined) {
    throw new ValidationError('unknown-peer', `"peerId" expected the id of a roster member, got ${JSON.stringify(options.peerId)}`);
  }
  const limits = resolveLimits(options.limits);
  const ctx: LinkContext = {
    limits,
    logger: options.logger ?? silentLogger,
    metrics: options.metrics ?? new TransportMetrics(),
    timers: options.timers ?? systemTimers,
    now: options.now ?? Date.now,
  };
  const url = options.url ?? member.endpoint;
  const handshake = new InitiatorHandshake({
    roster: options.roster,
    identity: options.identity,
    peerId: options.peerId,
    purpose: options.purpose,
    ephemeralSecret: (options.rng ?? randomBytes)(32),
  });
  const ws = new WebSocket(url, {
    maxPayload: sealedFrameLength(limits.maxMessageBytes),
    perMessageDeflate: false,
    followRedirects: false,
    handshakeTimeout: limits.handshakeTimeoutMs,
    ...trustAnchors(options.tls),
    ...(options.localAddress === undefined ? {} : { localAddress: options.localAddress }),
  });
  const link = new Link(ws, ctx, 'initiator', url, toHex(rosterDigest(options.roster)));
  link.fields.peer = options.peerId;
  // transport.md §6.5: until the responder answers the upgrade, a failure means it was not reached.
  link.protocolErrorReason = 'connect-failed';
  ws.on('upgrade', () => { link.protocolErrorReason = 'handshake-malformed'; });

  return new Promise<Session>((resolve, reject) => {
    let session: SessionImpl | undefined;
    let settled = false;
    const timer = ctx.timers.setTimeout(() => link.end('handshake-timeout', `no accepted session within ${limits.handshakeTimeoutMs} ms`), limits.handshakeTimeoutMs);
    link.onEnd((info) => {
      ctx.timers.clearTimeout(timer);
      handshake.dispose();
      if (settled) return;
      settled = true;
      reject(new SessionError(info, `session with ${options.peerId} at ${url} failed: ${describeEnd(info)}`));
    });
    ws.on('unexpected-response', (_req, res) => {
      const header = res.headers['x-venn-reason'];
      const reason = typeof header === 'string' && isCloseReason(header) ? header : 'handshake-malformed';
      link.endByPeer(reason, `HTTP ${res.statusCode ?? 0} instead of a WebSocket upgrade`);
    });
    ws.on('open', () => ws.send(handshake.hello()));
    ws.on('pong', () => session?.heardFromPeer());
    ws.on('ping', () => session?.heardFromPeer());
    ws.on('message', (data: Buffer, isBinary: boolean) => {
      if (link.ended) return;
      const bytes = new Uint8Array(data.buffer, data.byteOffset, data.byteLength);
      if (session !== undefined) {
        if (!isBinary) link.end('frame-malformed', 'text message in a session');
        else session.onMessage(bytes);
        return;
      }
      if (!isBinary) return link.end('handshake-malformed', 'text message during the handshake');
      if (bytes.length > MAX_HANDSHAKE_MESSAGE_BYTES) return link.end('frame-too-large', `handshake message of ${bytes.length} bytes`);
      let auth;
      try {
        auth = handshake.readResponse(bytes);
      } catch (error) {
        return link.end(handshakeFailureReason(error), (error as Error).message);
      }
      ws.send(auth);
      const established = new SessionImpl(link, 'initiator', handshake.result());
      session = established;
      established.accepted.then(
        () => {
          ctx.timers.clearTimeout(timer);
          if (settled) return;
          settled = true;
          resolve(established);
        },
        (error: unknown) => {
          if (settled) return;
          settled = true;
          reject(error);
        },
      );
    });
  });
}

/** The `ca` option for the TLS client: absent keeps Node's default store. */
function trustAnchors(tls: ConnectOptions['tls']): { ca?: Array<string | Buffer> } {
  if (tls?.caFile === undefined) return {};
  let pem: Buffer;
  try {
    pem = readFileSync(tls.caFile);
  } catch (cause) {
    throw new ValidationError('tls-ca-unreadable', `"tls.caFile" expected a readable PEM file, got ${(cause as NodeJS.ErrnoException).code ?? 'an error'} at ${tls.caFile}`, { cause });
  }
  // Node replaces its whole default store when `ca` is given, so the bundled roots are added back on request.
  return { ca: tls.includeSystemCa === true ? [...rootCertificates, pem] : [pem] };
}
