/** Rounds of one key epoch played between the harness's two labs, for the tests of previous bundles (audit.md §9.4). */
import type { CompletedResult, Role } from '@venn/protocol';
import { expect } from 'vitest';
import { MapEpochState } from '../../protocol/scripts/epoch-state.js';
import type { TranscriptBundle } from '../src/index.js';
import { digest, epochRoundId, exportBundle, playRound, type InFlight, type PlayedRound } from './round-harness.js';

export interface EpochRun {
  readonly played: PlayedRound[];
  readonly bundles: TranscriptBundle[];
}

/**
 * Plays rounds 0 … upTo − 1 of epoch `epochId`, round i over `lists[i]`, with epoch states seeded
 * from `seed`; `intercept(index)` may change a round's frames in flight. A round both completed is
 * applied to both states.
 */
export function playEpoch(
  epochId: Uint8Array,
  seed: string,
  lists: ReadonlyArray<Record<Role, string[]>>,
  upTo: number,
  intercept: (index: number) => ((m: InFlight) => Uint8Array) | undefined = () => undefined,
): EpochRun {
  const states = { initiator: new MapEpochState(epochId, `${seed}/a`), responder: new MapEpochState(epochId, `${seed}/b`) };
  const played: PlayedRound[] = [];
  const bundles: TranscriptBundle[] = [];
  for (let index = 0; index < upTo; index++) {
    const inputs = (['initiator', 'responder'] as const).map((role) => states[role].next(lists[index]![role].map(digest)));
    const edit = intercept(index);
    const round = playRound({
      roundId: epochRoundId(epochId, index),
      elements: { initiator: inputs[0]!.additions, responder: inputs[1]!.additions },
      epoch: { initiator: inputs[0]!.epoch, responder: inputs[1]!.epoch },
      ...(edit === undefined ? {} : { intercept: edit }),
    });
    played.push(round);
    // A party the peer left mid-round has no result: the peer, which saw the round end, exports it.
    bundles.push(exportBundle(round, round.results.initiator === undefined ? 'responder' : 'initiator'));
    if (round.results.initiator?.status === 'completed' && round.results.responder?.status === 'completed') {
      states.initiator.apply(round.results.initiator as CompletedResult);
      states.responder.apply(round.results.responder as CompletedResult);
    }
  }
  return { played, bundles };
}

/**
 * The two labs' epoch states for epoch `epochId` (seeded from `seed`), round by round:
 * `play(index, lists)` plays round `index` (or another attempt of it) over the lists' digests,
 * with `intercept` changing frames in flight, and applies nothing; `apply(round)` applies a round
 * both completed to both states.
 */
export function epochPlayer(epochId: Uint8Array, seed: string): {
  play: (index: number, lists: Record<Role, string[]>, intercept?: (message: InFlight) => Uint8Array) => PlayedRound;
  apply: (round: PlayedRound) => void;
} {
  const states = { initiator: new MapEpochState(epochId, `${seed}/a`), responder: new MapEpochState(epochId, `${seed}/b`) };
  return {
    play: (index, lists, intercept) => {
      const inputs = (['initiator', 'responder'] as const).map((role) => states[role].next(lists[role].map(digest)));
      return playRound({
        roundId: epochRoundId(epochId, index),
        elements: { initiator: inputs[0]!.additions, responder: inputs[1]!.additions },
        epoch: { initiator: inputs[0]!.epoch, responder: inputs[1]!.epoch },
        ...(intercept === undefined ? {} : { intercept }),
      });
    },
    apply: (round) => {
      expect(round.results.initiator.status).toBe('completed');
      states.initiator.apply(round.results.initiator as CompletedResult);
      states.responder.apply(round.results.responder as CompletedResult);
    },
  };
}
