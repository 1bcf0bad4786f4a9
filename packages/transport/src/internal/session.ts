/**
 * One WebSocket connection from dial or accept to its end (transport.md §5-6): the one place
 * where a connection ends, is logged and is counted, and the Session the application sees once
 * the handshake has authenticated the peer.
 */
import type WebSocket from 'ws';
import { TransportError, ValidationError } from '@venn/errors';
import { toHex } from './bytes.js';
import {
  FRAME_KIND_ACCEPT,
  FRAME_KIND_CLOSE,
  FRAME_KIND_DATA,
  FrameOpener,
  FrameSealer,
  decodeCloseBody,
  encodeCloseBody,
} from './frames.js';
import type { HandshakeResult } from './handshake.js';
import type { LinkContext, TimerHandle } from './options.js';
import { CLOSE_CODES, isCloseReason, reasonForCloseCode, type CloseReason } from './reasons.js';

export interface SessionCloseInfo {
  readonly reason: CloseReason;
  /**
   * The code the ending side gave: the reason itself, or for `purpose-refused` the responder's
   * own refusal code (transport.md §4.4), e.g. `outside-schedule`.
   */
  readonly code: string;
  /** Who ended it: this node, or the peer (as the peer reported it). */
  readonly by: 'local' | 'peer';
  readonly detail: string;
}

/**
 * A session that could not be opened, or ended other than normally. `code` is the refusal code
 * when the responder refused (its own code for a refused purpose, else the close reason), so
 * callers branch on it instead of parsing the message.
 */
export class SessionError extends TransportError {
  /** The transport close reason (transport.md §6.5). */
  readonly reason: CloseReason;
  readonly by: 'local' | 'peer';
  /** The ending side's explanation, without the code. */
  readonly detail: string;

  constructor(info: SessionCloseInfo, message: string, options?: { cause?: unknown }) {
    super(info.code, message, options);
    this.reason = info.reason;
    this.by = info.by;
    this.detail = info.detail;
  }
}

/** `reason by side (detail)`, with the refusal code in front of the detail when it differs. */
export function describeEnd(info: SessionCloseInfo): string {
  const detail = info.code === info.reason ? info.detail : `${info.code}: ${info.detail}`;
  return `${info.reason} by ${info.by} (${detail})`;
}

export type SessionRole = 'initiator' | 'responder';

/** An authenticated, encrypted session with one roster member. */
export interface Session extends AsyncIterable<Uint8Array> {
  readonly peerId: string;
  /** The purpose (round id) both sides bound into the handshake transcript. */
  readonly purpose: Uint8Array;
  readonly role: SessionRole;
  /** Final handshake transcript hash: a channel binding that round transcripts may record. */
  readonly handshakeHash: Uint8Array;
  readonly remoteAddress: string;
  /** Seals and sends one application payload; resolves once the socket is below its high-water mark. */
  send(payload: Uint8Array): Promise<void>;
  /** Sends an authenticated CLOSE and ends the session; resolves when the socket is closed. */
  close(detail?: string): Promise<SessionCloseInfo>;
  readonly closed: Promise<SessionCloseInfo>;
}

const PLAIN_CAUSES: Partial<Record<CloseReason, string>> = {
  'roster-mismatch': 'the roster digests differ: both nodes must load the same roster file',
  'unknown-identity': 'the peer is not a member of the roster',
  'bad-signature': 'the peer did not prove possession of its roster identity key',
  'unexpected-peer': 'the peer authenticated as another member than expected',
  'handshake-timeout': 'the handshake did not finish in time',
  'purpose-refused': 'the responder refused the purpose (round id) of the session',
  'connection-lost': 'the connection ended without an authenticated CLOSE frame (possible truncation)',
  'connect-failed': 'the peer could not be reached: no HTTP answer to the WebSocket upgrade (refused, dropped, unresolved or timed out)',
  'frame-too-large': 'a message exceeded the size limit',
  'tls-failed': 'the TLS handshake failed: the certificate is not trusted or not valid for the endpoint, or the endpoint does not speak TLS',
};

// Certificate verification failures as Node reports them (OpenSSL X509_V_ERR_* names).
const CERTIFICATE_ERRORS = new Set([
  'UNABLE_TO_GET_ISSUER_CERT', 'UNABLE_TO_GET_ISSUER_CERT_LOCALLY', 'UNABLE_TO_VERIFY_LEAF_SIGNATURE', 'DEPTH_ZERO_SELF_SIGNED_CERT',
  'SELF_SIGNED_CERT_IN_CHAIN', 'CERT_SIGNATURE_FAILURE', 'CERT_NOT_YET_VALID', 'CERT_HAS_EXPIRED', 'CERT_REVOKED', 'CERT_UNTRUSTED',
  'CERT_REJECTED', 'CERT_CHAIN_TOO_LONG', 'INVALID_CA', 'INVALID_PURPOSE', 'PATH_LENGTH_EXCEEDED', 'HOSTNAME_MISMATCH',
  'UNABLE_TO_DECODE_ISSUER_PUBLIC_KEY', 'UNABLE_TO_DECRYPT_CERT_SIGNATURE', 'ERROR_IN_CERT_NOT_BEFORE_FIELD', 'ERROR_IN_CERT_NOT_AFTER_FIELD',
]);

/** The detail of a failed TLS handshake, or undefined when `error` is not one. */
export function tlsFailureDetail(error: Error & { code?: string }): string | undefined {
  const code = error.code ?? '';
  if (CERTIFICATE_ERRORS.has(code) || code === 'ERR_TLS_CERT_ALTNAME_INVALID') return `certificate rejected: ${code} (${error.message})`;
  // EPROTO is how Node reports an OpenSSL record error, e.g. a wss:// dial to a cleartext listener.
  if (code.startsWith('ERR_SSL_') || code.startsWith('ERR_TLS_') || code === 'EPROTO') return `TLS handshake failed: ${code} (${error.message})`;
  // Node's own wording (_tls_wrap) for a socket that ended mid-handshake; its code alone is a plain ECONNRESET.
  if (error.message.includes('before secure TLS connection was established')) return `TLS handshake failed: ${code} (${error.message})`;
  return undefined;
}

/** Owns the socket's end: exactly one reason per connection, logged and counted once. */
export class Link {
  private info: SessionCloseInfo | undefined;
  private killTimer: TimerHandle | undefined;
  private readonly listeners: ((info: SessionCloseInfo) => void)[] = [];
  readonly closed: Promise<SessionCloseInfo>;
  private resolveClosed!: (info: SessionCloseInfo) => void;
  private socketClosed = false;
  /** Fields that go into every log line for this connection. */
  readonly fields: { role: SessionRole; remoteAddress: string; rosterDigest: string; peer?: string };
  /** Which reason a WebSocket protocol error is reported under: it depends on the stage. */
  protocolErrorReason: CloseReason = 'handshake-malformed';

  constructor(
    readonly ws: WebSocket,
    readonly ctx: LinkContext,
    role: SessionRole,
    remoteAddress: string,
    rosterDigest: string,
  ) {
    this.fields = { role, remoteAddress, rosterDigest };
    this.closed = new Promise((resolve) => {
      this.resolveClosed = resolve;
    });
    ws.on('close', (code: number, reason: Buffer) => this.onSocketClose(code, reason.toString('utf8')));
    ws.on('error', (error: Error & { code?: string }) => {
      // ws closes the socket itself after these; we only name the reason first.
      const tls = tlsFailureDetail(error);
      if (error.code === 'WS_ERR_UNSUPPORTED_MESSAGE_LENGTH') this.end('frame-too-large', error.message);
      else if (tls !== undefined) this.end('tls-failed', tls);
      else this.end(this.errorReason(error), `WebSocket error: ${error.message}`);
    });
  }

  /**
   * Before the dialer has an HTTP answer (`connect-failed` stage), only bytes that are not HTTP
   * (Node's HTTP parser errors, HPE_*) show that something answered; every other error means
   * the peer was not reached. ws's own opening-handshake deadline is the handshake timeout.
   */
  private errorReason(error: Error & { code?: string }): CloseReason {
    if (this.protocolErrorReason !== 'connect-failed') return this.protocolErrorReason;
    if (error.code?.startsWith('HPE_') === true) return 'handshake-malformed';
    if (error.message === 'Opening handshake has timed out') return 'handshake-timeout';
    return 'connect-failed';
  }

  get ended(): boolean {
    return this.info !== undefined;
  }

  onEnd(listener: (info: SessionCloseInfo) => void): void {
    if (this.info !== undefined) listener(this.info);
    else this.listeners.push(listener);
  }

  /**
   * Ends the connection for `reason`: logs, counts and closes with the reason's code (RFC 6455
   * §7.4). `wireText` is the close frame's reason text (at most 123 bytes), the reason by default;
   * `code` is the refusal code sent in an authenticated CLOSE, when it differs from the reason.
   */
  end(reason: CloseReason, detail: string, wireText: string = reason, code: string = reason): void {
    if (this.info !== undefined) return;
    this.settle({ reason, code, by: 'local', detail });
    if (this.socketClosed) return;
    if (reason === 'connection-lost' || reason === 'tls-failed' || this.ws.readyState === this.ws.CONNECTING) {
      this.ws.terminate();
      return;
    }
    this.ws.close(CLOSE_CODES[reason], wireText.slice(0, 123));
    this.killTimer = this.ctx.timers.setTimeout(() => this.ws.terminate(), this.ctx.limits.closeTimeoutMs);
  }

  /** Records an end the peer announced in an authenticated CLOSE frame; its socket close follows. */
  endByPeer(reason: CloseReason, detail: string, code: string = reason): void {
    if (this.info !== undefined) return;
    this.settle({ reason, code, by: 'peer', detail });
    if (this.socketClosed) return;
    if (this.ws.readyState === this.ws.CONNECTING) {
      this.ws.terminate();
      return;
    }
    this.ws.close(CLOSE_CODES.normal, 'normal');
    this.killTimer = this.ctx.timers.setTimeout(() => this.ws.terminate(), this.ctx.limits.closeTimeoutMs);
  }

  private onSocketClose(code: number, text: string): void {
    this.socketClosed = true;
    if (this.killTimer !== undefined) this.ctx.timers.clearTimeout(this.killTimer);
    if (this.info === undefined) {
      // A genuine normal close always follows an authenticated CLOSE frame, which settles first,
      // so a bare 1000 (which anyone on the path can forge) counts as a lost connection.
      const reported = reasonForCloseCode(code);
      const reason = reported === 'normal' ? 'connection-lost' : reported;
      this.settle({ reason, code: reason, by: 'peer', detail: text === '' ? `close code ${code}` : text });
    }
    this.resolveClosed(this.info as SessionCloseInfo);
  }

  private settle(info: SessionCloseInfo): void {
    this.info = info;
    this.ctx.metrics.recordClose(info.reason);
    const cause = PLAIN_CAUSES[info.reason];
    const message =
      info.by === 'local'
        ? `closing connection: ${info.reason}${cause === undefined ? '' : ` (${cause})`}`
        : `peer closed the connection: ${info.reason}${cause === undefined ? '' : ` (${cause})`}`;
    const record = { ...this.fields, reason: info.reason, ...(info.code === info.reason ? {} : { code: info.code }), by: info.by, detail: info.detail };
    if (info.reason === 'normal') this.ctx.logger.info(record, message);
    else if (info.reason === 'internal-error') this.ctx.logger.error(record, message);
    else this.ctx.logger.warn(record, message);
    for (const listener of this.listeners.splice(0)) listener(info);
  }
}

type SessionState = 'awaiting-accept' | 'open' | 'ended';

/** The Session implementation over a Link whose handshake has completed. */
export class SessionImpl implements Session {
  readonly peerId: string;
  readonly purpose: Uint8Array;
  readonly handshakeHash: Uint8Array;
  private readonly sealer: FrameSealer;
  private readonly opener: FrameOpener;
  private state: SessionState;
  private readonly queue: Uint8Array[] = [];
  private queuedBytes = 0;
  private paused = false;
  private waiter: { resolve: (r: IteratorResult<Uint8Array>) => void; reject: (e: unknown) => void } | undefined;
  private failure: SessionError | undefined;
  private counted = false;
  private lastActivity: number;
  private awaitingPong = false;
  private tickTimer: TimerHandle | undefined;
  private iterating = false;
  /** Settles when the initiator sees ACCEPT (or the refusal). */
  readonly accepted: Promise<void>;
  private acceptedResolve!: () => void;
  private acceptedReject!: (e: unknown) => void;

  constructor(
    private readonly link: Link,
    readonly role: SessionRole,
    result: HandshakeResult,
  ) {
    this.peerId = result.peerId;
    this.purpose = result.purpose;
    this.handshakeHash = result.handshakeHash;
    this.sealer = new FrameSealer(result.sendKey);
    this.opener = new FrameOpener(result.receiveKey);
    this.state = role === 'initiator' ? 'awaiting-accept' : 'open';
    this.lastActivity = link.ctx.now();
    link.fields.peer = result.peerId;
    link.protocolErrorReason = 'frame-malformed';
    this.accepted = new Promise((resolve, reject) => {
      this.acceptedResolve = resolve;
      this.acceptedReject = reject;
    });
    // Callers that never await `accepted` (responders) must not see an unhandled rejection.
    this.accepted.catch(() => undefined);
    link.onEnd((info) => this.onLinkEnd(info));
    this.scheduleTick();
  }

  get remoteAddress(): string {
    return this.link.fields.remoteAddress;
  }

  get closed(): Promise<SessionCloseInfo> {
    return this.link.closed;
  }

  /** Responder: tells the initiator its purpose was accepted; the first r2i frame, counter 0. */
  sendAccept(): void {
    this.link.ws.send(this.sealer.seal(FRAME_KIND_ACCEPT, new Uint8Array(0)));
  }

  /** Sends an authenticated CLOSE with `code` before the socket close, so the peer can trust why. */
  endWith(reason: CloseReason, code: string, detail: string): void {
    if (this.link.ended) return;
    let body: Uint8Array;
    let sent = { code, detail };
    try {
      body = encodeCloseBody(code, detail);
    } catch {
      // An application refusal code that is not kebab-case is replaced by the reason itself.
      sent = { code: reason, detail: `${code}: ${detail}` };
      body = encodeCloseBody(sent.code, sent.detail);
    }
    if (this.link.ws.readyState === this.link.ws.OPEN) this.link.ws.send(this.sealer.seal(FRAME_KIND_CLOSE, body));
    this.link.end(reason, sent.detail, reason, sent.code);
  }

  /** Called by the driver for every binary message once the handshake is done. */
  onMessage(frame: Uint8Array): void {
    if (this.state === 'ended') return;
    let opened;
    try {
      opened = this.opener.open(frame);
    } catch (error) {
      const reason = error instanceof TransportError && isCloseReason(error.code) ? error.code : 'frame-malformed';
      this.link.end(reason, (error as Error).message);
      return;
    }
    if (opened.kind === FRAME_KIND_CLOSE) {
      let close;
      try {
        close = decodeCloseBody(opened.body);
      } catch (error) {
        this.link.end('frame-malformed', (error as Error).message);
        return;
      }
      this.onPeerClose(close.code, close.detail);
      return;
    }
    if (opened.kind === FRAME_KIND_ACCEPT) {
      if (this.role !== 'initiator' || this.state !== 'awaiting-accept') {
        this.link.end('protocol-violation', 'ACCEPT received outside the handshake');
        return;
      }
      this.state = 'open';
      this.markOpen();
      this.acceptedResolve();
      return;
    }
    if (this.state !== 'open') {
      this.link.end('protocol-violation', 'DATA received before ACCEPT');
      return;
    }
    this.lastActivity = this.link.ctx.now();
    this.heardFromPeer();
    // Copy out of the WebAssembly-backed result so queued payloads never alias reused memory.
    const payload = opened.body;
    if (this.waiter !== undefined) {
      const { resolve } = this.waiter;
      this.waiter = undefined;
      resolve({ value: payload, done: false });
      return;
    }
    this.queue.push(payload);
    this.queuedBytes += payload.length;
    if (!this.paused && this.queuedBytes > this.link.ctx.limits.receiveHighWaterMark) {
      // transport.md §6.3: stop reading the socket while the application is behind. The peer's
      // pings now wait unread behind its data: a ping of ours tells it we are alive (§6.2).
      this.paused = true;
      this.link.ws.pause();
      this.pingPeer();
    }
  }

  /** Responder side: the session counts as open from the moment ACCEPT is sent. */
  markOpen(): void {
    this.counted = true;
    this.link.ctx.metrics.sessionsEstablished += 1;
    this.link.ctx.metrics.sessionsOpen += 1;
    this.link.ctx.logger.info({ ...this.link.fields, handshakeHash: toHex(this.handshakeHash) }, 'session established');
  }

  private onPeerClose(code: string, detail: string): void {
    const reason: CloseReason = isCloseReason(code) ? code : 'purpose-refused';
    if (this.state === 'awaiting-accept') {
      // A refusal of the purpose carries the responder's own code (e.g. outside-schedule).
      this.acceptedReject(new SessionError({ reason, code, by: 'peer', detail }, `${this.peerId} refused the session: ${code}${detail === '' ? '' : `: ${detail}`}`));
    }
    // Record the end before the socket closes: this CLOSE was authenticated.
    this.link.endByPeer(reason, detail, code);
  }

  private onLinkEnd(info: SessionCloseInfo): void {
    if (this.counted) this.link.ctx.metrics.sessionsOpen -= 1;
    this.counted = false;
    const previous = this.state;
    this.state = 'ended';
    if (this.tickTimer !== undefined) this.link.ctx.timers.clearTimeout(this.tickTimer);
    if (previous === 'awaiting-accept') {
      this.acceptedReject(new SessionError(info, `session with ${this.peerId} ended before ACCEPT: ${describeEnd(info)}`));
    }
    // Only a normal end (ours, or the peer's authenticated CLOSE) finishes iteration quietly.
    if (info.reason !== 'normal') {
      this.failure = new SessionError(info, `session with ${this.peerId} ended: ${describeEnd(info)}`);
    }
    this.sealer.dispose();
    this.opener.dispose();
    if (this.waiter !== undefined) {
      const { resolve, reject } = this.waiter;
      this.waiter = undefined;
      if (this.failure !== undefined) reject(this.failure);
      else resolve({ value: undefined, done: true });
    }
  }

  async send(payload: Uint8Array): Promise<void> {
    if (!(payload instanceof Uint8Array)) throw new ValidationError('invalid-payload', '"payload" expected Uint8Array');
    const max = this.link.ctx.limits.maxMessageBytes;
    if (payload.length > max) {
      throw new ValidationError('payload-too-large', `"payload" expected at most ${max} bytes, got length=${payload.length}`);
    }
    if (this.state !== 'open') {
      throw this.failure ?? new TransportError('session-closed', `session with ${this.peerId} is not open`);
    }
    const frame = this.sealer.seal(FRAME_KIND_DATA, payload);
    this.lastActivity = this.link.ctx.now();
    const { ws } = this.link;
    await new Promise<void>((resolve, reject) => {
      ws.send(frame, (error) => {
        if (error !== undefined && error !== null) reject(new TransportError('connection-lost', `send to ${this.peerId} failed: ${error.message}`, { cause: error }));
        else resolve();
      });
      // Below the high-water mark the caller may go on at once; above it, it waits for this
      // frame's write to complete, which drains everything queued before it (transport.md §6.3).
      if (ws.bufferedAmount <= this.link.ctx.limits.sendHighWaterMark) resolve();
    });
  }

  async close(detail = 'closed by the application'): Promise<SessionCloseInfo> {
    if (this.state === 'open') {
      this.endWith('normal', 'normal', detail);
    } else if (!this.link.ended) {
      this.link.end('normal', detail);
    }
    return this.link.closed;
  }

  [Symbol.asyncIterator](): AsyncIterator<Uint8Array> {
    if (this.iterating) throw new TransportError('already-iterating', 'a session has one reader; iterate it once');
    this.iterating = true;
    return {
      next: () => this.next(),
      return: async () => {
        if (this.state === 'open') await this.close('reader stopped');
        return { value: undefined, done: true };
      },
    };
  }

  private next(): Promise<IteratorResult<Uint8Array>> {
    const payload = this.queue.shift();
    if (payload !== undefined) {
      this.queuedBytes -= payload.length;
      if (this.paused && this.queuedBytes <= this.link.ctx.limits.receiveHighWaterMark / 2) {
        this.paused = false;
        this.link.ws.resume();
      }
      return Promise.resolve({ value: payload, done: false });
    }
    if (this.state === 'ended') {
      return this.failure !== undefined ? Promise.reject(this.failure) : Promise.resolve({ value: undefined, done: true });
    }
    return new Promise((resolve, reject) => {
      this.waiter = { resolve, reject };
    });
  }

  /** One periodic tick does heartbeats and the idle check (transport.md §6.2). */
  private scheduleTick(delayMs = this.link.ctx.limits.heartbeatIntervalMs): void {
    this.tickTimer = this.link.ctx.timers.setTimeout(() => this.tick(), delayMs);
  }

  private tick(): void {
    if (this.state === 'ended') return;
    const { limits, now } = this.link.ctx;
    if (this.paused || this.queue.length > 0) {
      // We stopped reading on purpose; the peer is not idle and its pongs wait in the socket.
      // Its pings wait there too, unanswered: every half interval a ping of ours tells it we are
      // alive, so that its own check does not end the session (§6.2).
      this.awaitingPong = false;
      this.lastActivity = now();
      this.pingPeer();
      this.scheduleTick(Math.max(1, Math.floor(limits.heartbeatIntervalMs / 2)));
      return;
    } else if (this.awaitingPong) {
      this.link.end('heartbeat-timeout', `no pong within ${limits.heartbeatIntervalMs} ms`);
      return;
    } else if (this.state === 'open' && now() - this.lastActivity >= limits.idleTimeoutMs) {
      this.endWith('idle-timeout', 'idle-timeout', `no application frame for ${limits.idleTimeoutMs} ms`);
      return;
    } else {
      this.awaitingPong = true;
      this.link.ws.ping();
    }
    this.scheduleTick();
  }

  private pingPeer(): void {
    if (this.link.ws.readyState === this.link.ws.OPEN) this.link.ws.ping();
  }

  /**
   * Called when a pong, a ping or an authenticated frame arrives from the peer: it is alive. A
   * peer that stopped reading cannot answer our ping (it waits behind the data it has not read
   * yet) but pings us instead (transport.md §6.2).
   */
  heardFromPeer(): void {
    this.awaitingPong = false;
  }
}
