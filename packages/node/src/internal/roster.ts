/** The roster installed in a node directory (by `venn roster use`), parsed by @venn/transport. */
import { ValidationError } from '@venn/errors';
import { findMember, parseRoster, rosterDigest, type Roster, type RosterMember } from '@venn/transport';
import type { NodeConfig } from './config.js';
import { readInputFile } from './input-file.js';

export interface InstalledRoster {
  readonly roster: Roster;
  readonly digest: Uint8Array;
  readonly self: RosterMember;
  /** Every member except this node, sorted by id. */
  readonly peers: readonly RosterMember[];
}

export function readRosterFile(path: string, field = 'roster'): Roster {
  // A directory, a named pipe or a device is refused as roster-unavailable, never waited on (input-file.ts).
  const bytes = readInputFile(path, field, { code: 'roster-unavailable', expected: 'a readable roster file' });
  return parseRoster(Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength).toString('utf8'));
}

/** Checks that this node is a member of `roster` under its own identity key. */
export function bindRoster(roster: Roster, config: NodeConfig, publicKey: Uint8Array): InstalledRoster {
  const self = findMember(roster, config.id);
  if (self === undefined) {
    throw new ValidationError('not-a-member', `roster "members" expected an entry for this node (${config.id}), got ids ${roster.members.map((m) => m.id).join(', ')}`);
  }
  if (!Buffer.from(self.identityKey).equals(Buffer.from(publicKey))) {
    throw new ValidationError('roster-key-mismatch', `roster member ${config.id} "identityKey" expected this node's public key ${Buffer.from(publicKey).toString('hex')}, got ${Buffer.from(self.identityKey).toString('hex')}`);
  }
  const peers = roster.members.filter((m) => m.id !== config.id).sort((a, b) => (a.id < b.id ? -1 : a.id > b.id ? 1 : 0));
  return { roster, digest: rosterDigest(roster), self, peers };
}

export function loadInstalledRoster(config: NodeConfig, publicKey: Uint8Array): InstalledRoster {
  let roster: Roster;
  try {
    roster = readRosterFile(config.paths.roster);
  } catch (error) {
    if (error instanceof ValidationError && error.code === 'roster-unavailable') {
      throw new ValidationError('no-roster', `"roster" expected an installed roster at ${config.paths.roster} (run venn roster use --dir ${config.paths.dir} ROSTER.json), got none`, { cause: error });
    }
    throw error;
  }
  return bindRoster(roster, config, publicKey);
}
