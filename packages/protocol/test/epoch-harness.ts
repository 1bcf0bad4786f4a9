/**
 * Test harness for key epochs (SPEC §13): two parties that keep their epoch state between rounds
 * the way a node does (own digests with their doubly blinded values, the peer's values), in plain
 * maps, so the round's own bookkeeping is checked against an independent one.
 */
import { sha256 } from '@noble/hashes/sha2.js';
import { createRound, type CompletedResult, type EpochRoundInput, type EpochRoundResult, type Round, type RoundOptions, type Role } from '@venn/protocol';
import type { LabelValues } from '@venn/wire';
import { MapEpochState } from '../scripts/epoch-state.js';
import { seededRng } from '../scripts/seeded-rng.js';
import { options, pump, type PumpOptions } from './harness.js';

export const hex = (bytes: Uint8Array): string => Buffer.from(bytes).toString('hex');

/** 32 distinct bytes per (tag, i): the digests of the tests. */
export function element(tag: string, i: number): Uint8Array {
  return sha256(new TextEncoder().encode(`epoch-test/${tag}/${i}`));
}

export const epochId = sha256(new TextEncoder().encode('epoch-test/epoch-id'));
export const epochRoundId = (index: number): Uint8Array => sha256(new TextEncoder().encode(`epoch-test/round/${index}`));

/** A party's epoch state between rounds, as a node keeps it (scripts/epoch-state.ts). */
export class EpochParty extends MapEpochState {
  constructor(readonly role: Role, seed: string) {
    super(epochId, seed);
  }
}

export interface EpochRun {
  readonly initiator: Round;
  readonly responder: Round;
  readonly results: Record<Role, CompletedResult | undefined>;
}

/**
 * Runs the next round of the epoch between `a` (initiator) and `b` (responder) over their current
 * lists; applies its results to both when it completed on both sides.
 */
export function runEpochRound(
  a: EpochParty,
  b: EpochParty,
  lists: Record<Role, readonly Uint8Array[]>,
  tweak: {
    initiator?: Partial<RoundOptions> & { epoch?: Partial<EpochRoundInput>; labels?: ReadonlyArray<LabelValues | undefined> };
    responder?: Partial<RoundOptions> & { epoch?: Partial<EpochRoundInput>; labels?: ReadonlyArray<LabelValues | undefined> };
    pump?: PumpOptions;
  } = {},
): EpochRun {
  const build = (party: EpochParty, role: Role): Round => {
    const { epoch: epochOverrides, labels, ...rest } = tweak[role] ?? {};
    const { epoch, additions } = party.next(lists[role], epochOverrides);
    const labelsByDigest = labels === undefined ? undefined : new Map(lists[role].map((digest, i) => [hex(digest), labels[i]]));
    return createRound(options(role, additions, {
      roundId: epochRoundId(party.index),
      rng: seededRng(`epoch-test/${role}/${party.index}`),
      epoch: labelsByDigest === undefined ? epoch : { ...epoch, load: () => ({ ...epoch.load(), labelOf: (digest: Uint8Array) => labelsByDigest.get(hex(digest)) }) },
      ...(labelsByDigest === undefined ? {} : { labels: additions.map((digest) => labelsByDigest.get(hex(digest))) }),
      ...rest,
    }));
  };
  const initiator = build(a, 'initiator');
  const responder = build(b, 'responder');
  pump(initiator, responder, tweak.pump);
  const done = (round: Round): CompletedResult | undefined => (round.result?.status === 'completed' || round.result?.status === 'disputed' ? round.result : undefined);
  const results = { initiator: done(initiator), responder: done(responder) };
  if (results.initiator !== undefined && results.responder !== undefined) {
    a.apply(results.initiator);
    b.apply(results.responder);
  }
  return { initiator, responder, results };
}

export function naiveIntersection(x: readonly Uint8Array[], y: readonly Uint8Array[]): string[] {
  const other = new Set(y.map(hex));
  return [...new Set(x.map(hex))].filter((digest) => other.has(digest)).sort();
}

export type { EpochRoundResult };

/** A valid epoch input for round 1 whose state is never loaded: the base of the input checks' tests. */
export const unloadedEpochInput: EpochRoundInput = {
  id: new Uint8Array(32).fill(1),
  index: 1,
  previousHash: new Uint8Array(64).fill(2),
  key: new Uint8Array(32).fill(3),
  peerKey: new Uint8Array(32).fill(4),
  ownCount: 10,
  peerCount: 10,
  removals: 0,
  maxPeerEpochSetSize: 100,
  load: () => { throw new Error('not loaded in these tests'); },
};
