/**
 * The round worker's part of a key-epoch round (SPEC §13): this node's changes since the epoch's
 * last completed round, read from the store, the epoch state as batch lookups for the round, the
 * changes a completed round stages in the store, and the counts it reports to the main thread,
 * whose commit of the round applies them (epoch-store.ts).
 */
import { wipe } from '@venn/crypto';
import { MAX_SET_SIZE } from '@venn/wire';
import type { CompletedResult, EpochRoundInput, OwnSet } from '@venn/protocol';
import { EpochStateReader, EpochStore, type EpochChanges } from './epoch-store.js';
import type { EpochJob, EpochOutcome } from './round-compute.js';
import { Store } from './store.js';

export interface EpochRoundParts {
  readonly ownSet: OwnSet;
  readonly epoch: EpochRoundInput;
  /** whether more changes wait than this round carries (the epoch fills in further rounds) */
  readonly more: boolean;
  /** the lists' fingerprint in the snapshot the changes were read from (node.md §10.3) */
  readonly listsMark: string;
  /** closes the store connection and wipes the epoch key the job carried */
  close(): void;
}

/**
 * Builds the own additions and the epoch input of one round from the job and the store. The
 * changes earlier rounds staged are settled first, in `writer` (the worker's own read-write
 * connection), so the state read here is exactly what the epoch's completed rounds left.
 */
export function epochRoundParts(storePath: string, job: EpochJob, writer: Store): EpochRoundParts {
  try {
    new EpochStore(writer).settle(job.epochRow);
  } catch (error) {
    wipe(job.key);
    throw error;
  }
  const store = Store.open(storePath, { readonly: true });
  try {
    const reader = new EpochStateReader(store.db, job.epochRow);
    // One read transaction: additions and removals come from the same snapshot of the lists.
    // The lists' fingerprint too (node.md §10.3): it is what the epoch records the round carried.
    const changes = store.db.transaction(() => ({ ...reader.changes(job.maxAdditions, MAX_SET_SIZE), listsMark: reader.listsMark() })).deferred();
    const additions = changes.additions;
    const digestAt = (index: number): Uint8Array => additions.subarray(index * 32, index * 32 + 32);
    const removals = changes.removedDigests.length / 32;
    const ownSet: OwnSet = {
      size: additions.length / 32,
      load: () => ({ digests: additions, labelOf: (index: number) => reader.labelOf(digestAt(index)) }),
    };
    const epoch: EpochRoundInput = {
      id: job.id,
      index: job.index,
      previousHash: job.previousHash,
      key: job.key,
      peerKey: job.peerKey,
      ownCount: job.ownCount,
      peerCount: job.peerCount,
      removals,
      maxPeerEpochSetSize: job.maxPeerEpochSetSize,
      load: () => ({
        removedDigests: changes.removedDigests,
        removedValues: changes.removedValues,
        intersectionSize: job.intersectionSize,
        peerHas: (values) => reader.peerHas(values),
        ownWithValues: (values) => reader.ownWithValues(values),
        ownHasDigests: (digests) => reader.ownHasDigests(digests),
        labelOf: (digest) => reader.labelOf(digest),
      }),
    };
    return {
      ownSet,
      epoch,
      more: changes.more || changes.moreRemovals,
      listsMark: changes.listsMark,
      close: () => {
        store.close();
        wipe(job.key);
      },
    };
  } catch (error) {
    store.close();
    wipe(job.key);
    throw error;
  }
}

/** The element changes of a completed epoch round, which the worker stages (EpochStore.stageRound). */
export function epochChangesOf(result: CompletedResult): EpochChanges {
  const epoch = result.epoch!;
  return {
    addedDigests: epoch.added.digests,
    addedValues: epoch.added.values,
    removedDigests: epoch.removed,
    peerAdded: epoch.peerAdded,
    peerRemoved: epoch.peerRemoved,
    endedMatches: epoch.endedMatches,
  };
}

/** What a completed epoch round changed, for the main thread (EpochStore.applyRound): counts, not the elements. */
export function epochOutcomeOf(result: CompletedResult, more: boolean, offered: number, listsMark: string): EpochOutcome {
  const epoch = result.epoch!;
  return {
    listsMark,
    additions: epoch.added.digests.length / 32,
    removals: epoch.removed.length / 32,
    peerAdditions: epoch.peerAdded.length / 32,
    peerRemovals: epoch.peerRemoved.length / 32,
    endedMatches: epoch.endedMatches.length / 32,
    newMatches: epoch.newMatches.length / 32,
    ownCount: epoch.ownCount,
    peerCount: epoch.peerCount,
    intersectionSize: epoch.intersectionSize,
    peerKey: epoch.peerKey,
    transcriptHash: result.transcriptHash,
    peerCap: result.peerOffer.maxPeerSetSize,
    peerEpochCap: result.peerOffer.epoch?.epochCap ?? 0,
    // More waiting, or the round carried fewer additions than this node had (a responder lowers them to the peer's caps).
    ownMore: more || epoch.added.digests.length / 32 < offered,
    // The peer lowered its additions to the caps, or stated more than it added: it may have more.
    peerMayHaveMore: result.peerOffer.setSize >= result.ownOffer.maxPeerSetSize,
  };
}
