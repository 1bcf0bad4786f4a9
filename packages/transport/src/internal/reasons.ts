/**
 * Why a connection ended (transport.md §6.5). Each reason is a stable kebab-case code, logged and
 * counted, with the WebSocket close code sent for it (RFC 6455 §7.4; 4000-4999 are private use).
 */
export const CLOSE_CODES = {
  normal: 1000,
  shutdown: 1001,
  'frame-too-large': 1009,
  'internal-error': 1011,
  'handshake-timeout': 4001,
  'handshake-malformed': 4002,
  'unsupported-version': 4003,
  'roster-mismatch': 4004,
  'unknown-identity': 4005,
  'bad-signature': 4006,
  'handshake-decrypt-failed': 4007,
  'x25519-low-order': 4008,
  'unexpected-peer': 4009,
  'purpose-refused': 4010,
  'frame-auth-failed': 4011,
  'frame-replayed': 4012,
  'frame-out-of-order': 4013,
  'frame-malformed': 4014,
  'idle-timeout': 4015,
  'heartbeat-timeout': 4016,
  'too-many-unauthenticated': 4017,
  'too-many-from-address': 4018,
  'protocol-violation': 4019,
  'too-many-sessions': 4020,
  // Sockets over the server's connection cap are dropped by the kernel-facing layer unanswered.
  'too-many-connections': 4021,
  // Never sent: recorded locally when the socket ends without an authenticated CLOSE frame,
  // which is how a truncated session shows up (transport.md §5.4).
  'connection-lost': 1006,
  // Never sent: recorded locally by a dialer whose connection never reached an HTTP answer (the
  // TCP connection was refused or dropped, the name did not resolve, the connect timed out).
  // There was no WebSocket to close, and 1006 is what RFC 6455 §7.1.5 reports for that.
  'connect-failed': 1006,
  // Never sent: recorded locally when the TLS handshake fails (an untrusted or invalid
  // certificate, or no TLS at a wss:// endpoint). RFC 6455 §7.4.1 reserves 1015 for exactly this.
  'tls-failed': 1015,
} as const;

export type CloseReason = keyof typeof CLOSE_CODES;

export const CLOSE_REASONS = Object.keys(CLOSE_CODES) as CloseReason[];

/** Reasons recorded locally that never travel in a close frame. */
const LOCAL_ONLY: ReadonlySet<CloseReason> = new Set(['connection-lost', 'connect-failed', 'tls-failed']);

const BY_CODE = new Map<number, CloseReason>(
  CLOSE_REASONS.filter((r) => !LOCAL_ONLY.has(r)).map((r) => [CLOSE_CODES[r], r]),
);

/** Maps a received WebSocket close code back to a reason; unknown codes count as lost connections. */
export function reasonForCloseCode(code: number): CloseReason {
  return BY_CODE.get(code) ?? 'connection-lost';
}

export function isCloseReason(value: string): value is CloseReason {
  return Object.hasOwn(CLOSE_CODES, value);
}
