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
export type { Roster, RosterMember, RosterSchedule, MemberPolicy, RoundMode, ShareLabel } from './internal/roster.js';
