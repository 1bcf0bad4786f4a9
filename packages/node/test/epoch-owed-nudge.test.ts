/**
 * node.md §10.5 item 3: a responder that refuses the next round but one while it is still ending a
 * round (round-in-progress) nudges the initiator once it has committed that end, so the round runs
 * at once instead of at the next interval. Real stores, config and roster from `venn init`.
 */
import { join } from 'node:path';
import { Writable } from 'node:stream';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ready, systemRng } from '@venn/crypto';
import { loadConfig } from '../src/internal/config.js';
import { epochNudgeId, epochRoundId } from '../src/internal/epoch-ids.js';
import { EpochManager } from '../src/internal/epoch-manager.js';
import { loadKeyFile } from '../src/internal/keyfile.js';
import { createLogger } from '../src/internal/logger.js';
import { loadInstalledRoster } from '../src/internal/roster.js';
import { Store } from '../src/internal/store.js';
import { ensureBuilt } from './helpers/build.js';
import { Federation } from './helpers/federation.js';

let federation: Federation;
beforeAll(async () => {
  await ensureBuilt();
  await ready();
  federation = await Federation.create({ ids: ['lab-a', 'lab-b'], epochs: { days: 7, incrementalMinutes: 5 } });
}, 120_000);
afterAll(async () => federation?.close());

describe('a round-in-progress refusal owes the peer a nudge', () => {
  it('refuses the next round but one while ending a round, then nudges for it once that end is committed', async () => {
    const dir = federation.node('lab-a').dir;
    const config = loadConfig(dir);
    const identity = await loadKeyFile(join(dir, 'identity.key'));
    const roster = loadInstalledRoster(config, identity.publicKey);
    const peer = roster.peers.find((m) => m.id === 'lab-b')!;
    const store = Store.open(config.paths.store);
    const logger = createLogger({ level: 'error', node: 'lab-a', destination: new Writable({ write: (_chunk, _encoding, done) => done() }) });
    const manager = await EpochManager.open({ store, logger, now: Date.now, rng: systemRng, config: () => config, roster: () => roster }, join(dir, 'epoch-keys'), identity.secretKey);
    try {
      const epochId = new Uint8Array(32).fill(7);
      const ownKey = manager.keys.create(epochId, systemRng);
      const epoch = manager.epochs.createEpoch({ epochId, peerId: 'lab-b', role: 'responder', slotStart: 0, generation: 0, endsAt: Date.now() + 86_400_000, ownKey });
      const round = store.createRound({ roundId: epochRoundId(epochId, 0), peerId: 'lab-b', role: 'responder', origin: 'scheduled', slot: null, mode: 'intersection' });
      store.markRunning(round.row, 0);
      manager.epochs.recordEpochRound(round.row, epoch.row, 0, 'start');

      // lab-b committed round 0 and dials round 1 while this node still ends round 0.
      expect(manager.recognize('lab-b', epochRoundId(epochId, 1))).toMatchObject({ kind: 'refuse', code: 'round-in-progress' });

      // Its end is committed: the changes it staged applied, the epoch at round 1.
      const none = new Uint8Array(0);
      manager.epochs.stageRound(epoch.row, round.row, { addedDigests: none, addedValues: none, removedDigests: none, peerAdded: none, peerRemoved: none, endedMatches: none });
      const outcome = {
        listsMark: manager.epochs.listsMark(), additions: 0, removals: 0, peerAdditions: 0, peerRemovals: 0, endedMatches: 0, newMatches: 0, ownCount: 0, peerCount: 0,
        intersectionSize: 0, peerKey: ownKey, transcriptHash: new Uint8Array(64).fill(1), peerCap: 10, peerEpochCap: 10, ownMore: false, peerMayHaveMore: false,
      };
      const finished = store.finishRound(round.row, {
        status: 'completed', intersectionSize: 0, peerClaimedSize: 0, transcriptHash: outcome.transcriptHash, stagedMatches: 0,
        within: (row) => manager.apply({ epoch, index: 0, roundId: epochRoundId(epochId, 0), kind: 'start' }, row.row, outcome),
      });

      // Nothing changed and nothing more to add, yet the end calls for a step: the nudge for round 1, once.
      expect(manager.roundFinished(finished)).toEqual({ eager: true });
      const action = manager.actionFor(peer, true);
      expect(action).toMatchObject({ kind: 'nudge', index: 1 });
      expect(Buffer.from((action as { purpose: Uint8Array }).purpose).equals(Buffer.from(epochNudgeId(epochId, 1)))).toBe(true);
      expect(manager.actionFor(peer, true)).toBeUndefined();
    } finally {
      manager.close();
      store.close();
    }
  }, 60_000);
});
