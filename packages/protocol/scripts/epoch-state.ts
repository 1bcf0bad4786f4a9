/**
 * A party's key-epoch state (SPEC §13.2) in plain maps, for vectors and tests: what a node keeps
 * in its store, kept here with no attention to size. It turns a list into the next round's epoch
 * input (additions, removals, lookups) and applies a completed round's result.
 */
import { randomScalar } from '@venn/crypto';
import type { CompletedResult, EpochRoundInput } from '@venn/protocol';
import type { LabelValues } from '@venn/wire';
import { seededRng } from './seeded-rng.js';

const hex = (bytes: Uint8Array): string => Buffer.from(bytes).toString('hex');
const unhex = (text: string): Uint8Array => new Uint8Array(Buffer.from(text, 'hex'));
const at = (bytes: Uint8Array, i: number): Uint8Array => bytes.subarray(i * 32, i * 32 + 32);
const count = (bytes: Uint8Array): number => bytes.length / 32;

function packed(values: readonly Uint8Array[]): Uint8Array {
  const out = new Uint8Array(values.length * 32);
  values.forEach((value, i) => out.set(value, i * 32));
  return out;
}

export class MapEpochState {
  /** k_X: SPEC §13.10 draws it from the party's own stream `seed || "/epoch-key"` */
  readonly key: Uint8Array;
  /** own digest (hex) → D */
  readonly own = new Map<string, Uint8Array>();
  /** T values (hex) */
  readonly peer = new Set<string>();
  /** own digests (hex) of the current matches, kept from new and ended matches */
  readonly matches = new Set<string>();
  /** the peer's labels of current matches */
  readonly labels = new Map<string, LabelValues>();
  intersectionSize = 0;
  index = 0;
  previousHash: Uint8Array = new Uint8Array(64);
  peerKey: Uint8Array | null = null;

  constructor(
    readonly id: Uint8Array,
    seed: string,
    public maxPeerEpochSetSize = 1 << 24,
  ) {
    this.key = randomScalar(seededRng(`${seed}/epoch-key`));
  }

  /** The own additions (ascending) and removals (ascending) for a party whose list is now `list`. */
  changes(list: readonly Uint8Array[]): { additions: Uint8Array[]; removals: Uint8Array[] } {
    const current = new Set(list.map(hex));
    return {
      additions: [...current].filter((digest) => !this.own.has(digest)).sort().map(unhex),
      removals: [...this.own.keys()].filter((digest) => !current.has(digest)).sort().map(unhex),
    };
  }

  /** The epoch input of the next round for a party whose list is now `list`. */
  next(list: readonly Uint8Array[], overrides: Partial<EpochRoundInput> = {}): { epoch: EpochRoundInput; additions: Uint8Array[] } {
    const { additions, removals } = this.changes(list);
    const epoch: EpochRoundInput = {
      id: this.id,
      index: this.index,
      previousHash: this.previousHash,
      key: this.key,
      peerKey: this.peerKey,
      ownCount: this.own.size,
      peerCount: this.peer.size,
      removals: removals.length,
      maxPeerEpochSetSize: this.maxPeerEpochSetSize,
      load: () => {
        const ownByValue = new Map([...this.own].map(([digest, value]) => [hex(value), digest]));
        return {
          removedDigests: packed(removals),
          removedValues: packed(removals.map((digest) => this.own.get(hex(digest))!)),
          intersectionSize: this.intersectionSize,
          peerHas: (values) => Uint8Array.from({ length: count(values) }, (_, i) => (this.peer.has(hex(at(values, i))) ? 1 : 0)),
          ownHasDigests: (digests) => Uint8Array.from({ length: count(digests) }, (_, i) => (this.own.has(hex(at(digests, i))) ? 1 : 0)),
          ownWithValues: (values) => {
            const found = new Uint8Array(count(values));
            const digests = new Uint8Array(values.length);
            for (let i = 0; i < count(values); i++) {
              const digest = ownByValue.get(hex(at(values, i)));
              if (digest === undefined) continue;
              found[i] = 1;
              digests.set(unhex(digest), i * 32);
            }
            return { found, digests };
          },
        };
      },
      ...overrides,
    };
    return { epoch, additions };
  }

  /** Stores what a completed round changed (SPEC §13.2). */
  apply(result: CompletedResult): void {
    const epoch = result.epoch;
    if (epoch === undefined) throw new Error('not an epoch round');
    for (let i = 0; i < count(epoch.removed); i++) this.own.delete(hex(at(epoch.removed, i)));
    for (let i = 0; i < count(epoch.added.digests); i++) this.own.set(hex(at(epoch.added.digests, i)), at(epoch.added.values, i).slice());
    for (let i = 0; i < count(epoch.peerRemoved); i++) this.peer.delete(hex(at(epoch.peerRemoved, i)));
    for (let i = 0; i < count(epoch.peerAdded); i++) this.peer.add(hex(at(epoch.peerAdded, i)));
    for (let i = 0; i < count(epoch.endedMatches); i++) {
      this.matches.delete(hex(at(epoch.endedMatches, i)));
      this.labels.delete(hex(at(epoch.endedMatches, i)));
    }
    for (let i = 0; i < count(epoch.newMatches); i++) {
      const digest = hex(at(epoch.newMatches, i));
      this.matches.add(digest);
      const label = epoch.newMatchLabels.get(i);
      if (label !== undefined) this.labels.set(digest, label);
    }
    if (this.own.size !== epoch.ownCount || this.peer.size !== epoch.peerCount) {
      throw new Error(`epoch counts diverged: own ${this.own.size}/${epoch.ownCount}, peer ${this.peer.size}/${epoch.peerCount}`);
    }
    this.peerKey = epoch.peerKey;
    this.intersectionSize = epoch.intersectionSize;
    this.previousHash = result.transcriptHash;
    this.index++;
  }
}
