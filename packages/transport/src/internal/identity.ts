/** Checks a node's own identity against the roster before it serves or dials. */
import { ValidationError } from '@venn/errors';
import { abytes, equalPublicBytes } from './bytes.js';
import type { NodeIdentity } from './handshake.js';
import { ed25519PublicKey } from './primitives.js';
import { findMember, type Roster } from './roster.js';

export function checkIdentity(roster: Roster, identity: NodeIdentity): void {
  const member = findMember(roster, identity.id);
  if (member === undefined) {
    throw new ValidationError('identity-not-in-roster', `"identity.id" expected the id of a roster member, got ${JSON.stringify(identity.id)}`);
  }
  abytes(identity.secretKey, 64, 'identity.secretKey');
  if (!equalPublicBytes(ed25519PublicKey(identity.secretKey), member.identityKey)) {
    throw new ValidationError('identity-key-mismatch', `"identity.secretKey" expected the key whose public half is members[${identity.id}].identityKey in the roster`);
  }
}
