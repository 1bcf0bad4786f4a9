/** Limits, clocks, logging and counters shared by the server and the client (transport.md §6). */
import { MAX_FRAME_BYTES } from '@venn/wire';
import type { CloseReason } from './reasons.js';
import { CLOSE_REASONS } from './reasons.js';
import { MAX_HANDSHAKE_MESSAGE_BYTES } from './handshake.js';

/**
 * Largest application payload one frame carries by default: the wire codec's largest round
 * message, so every valid message fits and nothing larger is ever buffered.
 */
export const DEFAULT_MAX_MESSAGE_BYTES = MAX_FRAME_BYTES;

export interface TransportLimits {
  /** Largest application payload per frame; `maxPayload` is set to the sealed size of this. */
  readonly maxMessageBytes: number;
  /** From TCP accept (server) or dial (client) to an authenticated, accepted session. */
  readonly handshakeTimeoutMs: number;
  /** A session with no application frame in either direction for this long is closed. */
  readonly idleTimeoutMs: number;
  /** A WebSocket ping is sent this often; a ping still unanswered at the next tick, with nothing else heard from the peer, ends the session. */
  readonly heartbeatIntervalMs: number;
  /** How long a closing connection may take to finish the close handshake before it is cut. */
  readonly closeTimeoutMs: number;
  /** Connections not yet authenticated, in total (server). */
  readonly maxUnauthenticated: number;
  /** Connections not yet authenticated from one IPv4 address or IPv6 /64 (server). */
  readonly maxUnauthenticatedPerAddress: number;
  /** Authenticated sessions held at once (server). */
  readonly maxSessions: number;
  /** Bytes an unauthenticated peer may send before it is cut off with 1009. */
  readonly handshakeByteBudget: number;
  /** send() waits while more than this many bytes are queued in the socket. */
  readonly sendHighWaterMark: number;
  /** Reading pauses while the application leaves more than this many received bytes unconsumed. */
  readonly receiveHighWaterMark: number;
}

export const DEFAULT_LIMITS: TransportLimits = Object.freeze({
  maxMessageBytes: DEFAULT_MAX_MESSAGE_BYTES,
  handshakeTimeoutMs: 10_000,
  idleTimeoutMs: 300_000,
  heartbeatIntervalMs: 15_000,
  closeTimeoutMs: 5_000,
  maxUnauthenticated: 256,
  maxUnauthenticatedPerAddress: 16,
  maxSessions: 256,
  handshakeByteBudget: 16 * 1024,
  sendHighWaterMark: 4 * 1024 * 1024,
  receiveHighWaterMark: 8 * 1024 * 1024,
});

export function resolveLimits(overrides: Partial<TransportLimits> | undefined): TransportLimits {
  const limits = { ...DEFAULT_LIMITS, ...overrides };
  for (const [name, value] of Object.entries(limits)) {
    if (!Number.isSafeInteger(value) || value <= 0) {
      throw new RangeError(`"limits.${name}" expected a positive integer, got ${String(value)}`);
    }
  }
  if (limits.handshakeByteBudget < MAX_HANDSHAKE_MESSAGE_BYTES * 2) {
    throw new RangeError(`"limits.handshakeByteBudget" expected at least ${MAX_HANDSHAKE_MESSAGE_BYTES * 2}, got ${limits.handshakeByteBudget}`);
  }
  return limits;
}

/** pino-compatible: `logger.warn({ reason, peer }, 'message')`. */
export interface TransportLogger {
  info(obj: object, msg: string): void;
  warn(obj: object, msg: string): void;
  error(obj: object, msg: string): void;
}

export const silentLogger: TransportLogger = { info() {}, warn() {}, error() {} };

export type TimerHandle = unknown;

/** Injected so tests drive timeouts without sleeping. */
export interface Timers {
  setTimeout(callback: () => void, ms: number): TimerHandle;
  clearTimeout(handle: TimerHandle): void;
}

export const systemTimers: Timers = {
  setTimeout(callback, ms) {
    const handle = setTimeout(callback, ms);
    handle.unref();
    return handle;
  },
  clearTimeout(handle) {
    clearTimeout(handle as NodeJS.Timeout);
  },
};

export interface TransportMetricsSnapshot {
  readonly connectionsAccepted: number;
  readonly sessionsEstablished: number;
  readonly sessionsOpen: number;
  readonly unauthenticatedOpen: number;
  readonly peakUnauthenticated: number;
  /** Every connection end, by reason; everything but `normal` is a rejection or a failure. */
  readonly closes: Readonly<Record<CloseReason, number>>;
}

/** Counters per reason, read by the daemon's metrics endpoint. One instance may serve a server and its dials. */
export class TransportMetrics {
  connectionsAccepted = 0;
  sessionsEstablished = 0;
  sessionsOpen = 0;
  unauthenticatedOpen = 0;
  peakUnauthenticated = 0;
  private readonly closes = new Map<CloseReason, number>();

  recordClose(reason: CloseReason): void {
    this.closes.set(reason, (this.closes.get(reason) ?? 0) + 1);
  }

  unauthenticatedOpened(): void {
    this.unauthenticatedOpen += 1;
    this.peakUnauthenticated = Math.max(this.peakUnauthenticated, this.unauthenticatedOpen);
  }

  snapshot(): TransportMetricsSnapshot {
    const closes = Object.fromEntries(CLOSE_REASONS.map((r) => [r, this.closes.get(r) ?? 0])) as Record<CloseReason, number>;
    return {
      connectionsAccepted: this.connectionsAccepted,
      sessionsEstablished: this.sessionsEstablished,
      sessionsOpen: this.sessionsOpen,
      unauthenticatedOpen: this.unauthenticatedOpen,
      peakUnauthenticated: this.peakUnauthenticated,
      closes,
    };
  }
}

/** Everything a connection needs from its server or dial. */
export interface LinkContext {
  readonly limits: TransportLimits;
  readonly logger: TransportLogger;
  readonly metrics: TransportMetrics;
  readonly timers: Timers;
  readonly now: () => number;
}
