/**
 * What the auditor's checks need from the pinned roster (protocol-spec/roster.md, node.md §3–§4).
 * The node builds it from roster.json; this package does not parse rosters or evaluate cron, so
 * it stays free of the transport and scheduling code.
 */
import { ValidationError, describe } from '@venn/errors';
import type { LabelField, Mode } from '@venn/wire';

export interface AuditRosterMember {
  readonly id: string;
  /** Ed25519 identity public key (32 bytes): FINISH signatures and tree heads verify under it. */
  readonly identityKey: Uint8Array;
  /** The member's published policy (roster.md §1). */
  readonly policy: {
    readonly maxPeerSetSize: number;
    readonly modes: readonly Mode[];
    readonly shareLabels: readonly LabelField[];
  };
}

/** The roster's schedule, as node.md §3–§4 define it. */
export interface AuditSchedule {
  /** True iff `slot` (Unix seconds) is an instant the roster's cron matches, in its time zone. */
  isSlot(slot: number): boolean;
  /** node.md §3: the round id of the scheduled round of members `a` and `b` at `slot`. */
  scheduledRoundId(slot: number, a: string, b: string): Uint8Array;
  /** node.md §4: which of `a` and `b` initiates the scheduled round `roundId` (and, given an epoch id, the epoch, node.md §10.2). */
  scheduledInitiator(roundId: Uint8Array, a: string, b: string): string;
  /** node.md §10.2: the round id of round `index` of epoch `epochId`; without it the check is not made. */
  epochRoundId?(epochId: Uint8Array, index: number): Uint8Array;
}

export interface AuditRoster {
  /** roster.md §4 digest (32 bytes). */
  readonly digest: Uint8Array;
  readonly members: readonly AuditRosterMember[];
  readonly schedule: AuditSchedule;
}

export function rosterMember(roster: AuditRoster, id: string): AuditRosterMember | undefined {
  return roster.members.find((member) => member.id === id);
}

/** Refuses a roster without the shape the checks rely on; a caller's mistake, not a finding about a bundle. */
export function checkRoster(roster: AuditRoster): void {
  if (typeof roster !== 'object' || roster === null) throw new ValidationError('invalid-type', `"roster" expected an object, got ${describe(roster)}`);
  if (!(roster.digest instanceof Uint8Array) || roster.digest.length !== 32) {
    throw new ValidationError('invalid-field', `"roster.digest" expected Uint8Array of length 32, got ${describe(roster.digest)}`);
  }
  if (!Array.isArray(roster.members)) throw new ValidationError('invalid-field', `"roster.members" expected an array, got ${describe(roster.members)}`);
  roster.members.forEach((member: AuditRosterMember, i) => {
    const policy = member?.policy;
    if (typeof member?.id !== 'string' || !(member.identityKey instanceof Uint8Array) || member.identityKey.length !== 32
      || typeof policy?.maxPeerSetSize !== 'number' || !Array.isArray(policy.modes) || !Array.isArray(policy.shareLabels)) {
      throw new ValidationError('invalid-field', `"roster.members[${i}]" expected { id, identityKey (32 bytes), policy { maxPeerSetSize, modes, shareLabels } }, got ${describe(member)}`);
    }
  });
  const schedule = roster.schedule;
  if (typeof schedule?.isSlot !== 'function' || typeof schedule.scheduledRoundId !== 'function' || typeof schedule.scheduledInitiator !== 'function') {
    throw new ValidationError('invalid-field', '"roster.schedule" expected isSlot, scheduledRoundId and scheduledInitiator functions');
  }
}
