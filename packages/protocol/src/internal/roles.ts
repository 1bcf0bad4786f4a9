/** The two roles of a round and their one-byte codes (SPEC §4.1, §7.1). */
export type Role = 'initiator' | 'responder';

export const ROLE_BYTE: Readonly<Record<Role, number>> = { initiator: 0x01, responder: 0x02 };

export function otherRole(role: Role): Role {
  return role === 'initiator' ? 'responder' : 'initiator';
}
