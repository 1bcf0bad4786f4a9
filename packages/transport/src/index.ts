/** @venn/transport: roster-pinned, mutually authenticated, forward-secret sessions over WebSocket. */
export {
  parseRoster,
  encodeRosterCanonical,
  rosterDigest,
  findMember,
  ROSTER_DIGEST_TAG,
  ROSTER_LIMITS,
  ROUND_MODES,
  SHARE_LABELS,
} from './internal/roster.js';
export type { HygieneAddition, Roster, RosterMember, RosterSchedule, MemberPolicy, RoundMode, ShareLabel } from './internal/roster.js';
export { createServer } from './internal/server.js';
export type { ServerOptions, TransportServer, PurposeDecision } from './internal/server.js';
export { connect } from './internal/client.js';
export type { ConnectOptions } from './internal/client.js';
export { SessionError } from './internal/session.js';
export type { Session, SessionCloseInfo, SessionRole } from './internal/session.js';
export type { NodeIdentity } from './internal/handshake.js';
export { PROTOCOL_VERSION, MAX_PURPOSE_BYTES } from './internal/handshake.js';
// The handshake and frame layers byte by byte (transport.md §4–§5), for tools that drive them
// without sockets, such as the decoders' fuzzers.
export { InitiatorHandshake, ResponderHandshake } from './internal/handshake.js';
export type { HandshakeResult, InitiatorOptions, ResponderOptions } from './internal/handshake.js';
export { FRAME_KIND_ACCEPT, FRAME_KIND_CLOSE, FRAME_KIND_DATA, FrameOpener, FrameSealer, decodeCloseBody, encodeCloseBody } from './internal/frames.js';
export type { FrameKind, OpenedFrame } from './internal/frames.js';
export { TransportMetrics, DEFAULT_LIMITS, DEFAULT_MAX_MESSAGE_BYTES } from './internal/options.js';
export type { TransportLimits, TransportLogger, TransportMetricsSnapshot, Timers, TimerHandle } from './internal/options.js';
export { systemTimers } from './internal/options.js';
export { CLOSE_CODES, CLOSE_REASONS } from './internal/reasons.js';
export type { CloseReason } from './internal/reasons.js';
export { transportReady } from './internal/primitives.js';
export { sealedFrameLength } from './internal/frames.js';
