/** Test federations: fresh Ed25519 identities and a valid roster over them. */
import sodium from 'libsodium-wrappers-sumo';
import { parseRoster, type Roster } from '../../src/index.js';

export interface RosterJson {
  version: 1;
  federation: { name: string; epoch: number };
  schedule: { cron: string; windowMinutes: number; timezone: string };
  members: { id: string; name: string; endpoint: string; identityKey: string; policy: Record<string, unknown> }[];
}

export interface Federation {
  roster: Roster;
  rosterJson: RosterJson;
  identity(id: string): { id: string; secretKey: Uint8Array };
}

/** Needs sodium to be ready (call after transportReady()). */
export function makeFederation(ids: readonly string[], epoch = 1): Federation {
  const keys = new Map(ids.map((id) => [id, sodium.crypto_sign_keypair()] as const));
  const rosterJson: RosterJson = {
    version: 1,
    federation: { name: 'venn-test', epoch },
    schedule: { cron: '0 */6 * * *', windowMinutes: 30, timezone: 'UTC' },
    members: ids.map((id, i) => ({
      id,
      name: `Lab ${id}`,
      endpoint: `ws://127.0.0.1:${7100 + i}`,
      identityKey: Buffer.from(keys.get(id)!.publicKey).toString('hex'),
      policy: { maxPeerSetSize: 1_000_000, maxRoundsPerDay: 8, modes: ['intersection'], shareLabels: [] },
    })),
  };
  return {
    roster: parseRoster(rosterJson),
    rosterJson,
    identity: (id) => ({ id, secretKey: keys.get(id)!.privateKey }),
  };
}
