/**
 * Key epochs (SPEC §13): what a round of an epoch adds to a plain round. The epoch state (each
 * side's doubly blinded values, accumulated over the epoch's rounds) comes in packed buffers; the
 * checks on the peer's additions and removals and the epoch's matching rule live here, over
 * open-addressing tables of packed points (no per-element objects), so that a side holding 2^24
 * elements costs a few hundred MiB, not gigabytes.
 */
import { ProtocolError, ValidationError, describe } from '@venn/errors';
import {
  EPOCH_ID_BYTES,
  MAX_EPOCH_INDEX,
  MAX_EPOCH_SET_SIZE,
  MAX_SET_SIZE,
  POINT_BYTES,
  TRANSCRIPT_HASH_BYTES,
  type EpochOffer,
  type LabelValues,
} from '@venn/wire';
import { PointTable } from './point-table.js';

/**
 * What a party holds of its epoch with the peer before a round (SPEC §13.2), as lookups rather
 * than whole sets: a round then costs work in proportion to what changed on both sides, not to
 * the epoch's size, so a small party's rounds against a party holding millions stay cheap after
 * the epoch's start. Every batch argument is packed 32-byte values.
 */
export interface EpochState {
  /** own elements this round removes: their digests, strictly ascending (`removals` of them) */
  readonly removedDigests: Uint8Array;
  /** the doubly blinded values D of those elements, aligned with `removedDigests` */
  readonly removedValues: Uint8Array;
  /** the size of the epoch's intersection after the previous round (0 for index 0) */
  readonly intersectionSize: number;
  /** for each value, 1 if it is in T (the peer's doubly blinded values before this round), else 0 */
  peerHas(values: Uint8Array): Uint8Array;
  /**
   * for each value, whether it is the D of an own element of the epoch (before this round) and
   * that element's digest (32 zero bytes where not found)
   */
  ownWithValues(values: Uint8Array): { readonly found: Uint8Array; readonly digests: Uint8Array };
  /** for each digest, 1 if it is already an own element of the epoch (additions must be new) */
  ownHasDigests(digests: Uint8Array): Uint8Array;
  /** the label of an own element of the epoch, asked only for newly matched ones when labels are agreed */
  labelOf?(digest: Uint8Array): LabelValues | undefined;
}

/** RoundOptions.epoch: the round is round `index` of epoch `id` (SPEC §13). */
export interface EpochRoundInput {
  /** the epoch id, 32 bytes (node.md §3.1) */
  readonly id: Uint8Array;
  /** the round's index in the epoch: 0 starts it */
  readonly index: number;
  /** own TH_final of round index − 1 of the epoch; 64 zero bytes for index 0 */
  readonly previousHash: Uint8Array;
  /** k_X, the epoch key (32 bytes, a canonical non-zero scalar); the round works on a copy and wipes it */
  readonly key: Uint8Array;
  /** K_Y as the peer committed it in round 0 (32 bytes); null for index 0 */
  readonly peerKey: Uint8Array | null;
  /** own elements in the epoch before this round (`acc` of the own OFFER of round index − 1; 0 for index 0) */
  readonly ownCount: number;
  /** the peer's elements in the epoch before this round */
  readonly peerCount: number;
  /** own elements this round removes (the own OFFER's `rem`); 0 for index 0 */
  readonly removals: number;
  /** the largest accumulated peer set this party holds in the epoch (the own OFFER's `ecap`) */
  readonly maxPeerEpochSetSize: number;
  /** reads the epoch state; called once, when the round reads its own set (SPEC §4.4) */
  load(): EpochState;
}

/** What an epoch round changed, for the caller to store once the round completed (SPEC §13.2). */
export interface EpochRoundResult {
  readonly id: Uint8Array;
  readonly index: number;
  /** own K_X and the peer's K_Y: equal in every round of the epoch */
  readonly ownKey: Uint8Array;
  readonly peerKey: Uint8Array;
  /** own and peer element counts in the epoch after this round (the two OFFERs' `acc`) */
  readonly ownCount: number;
  readonly peerCount: number;
  /** own additions, strictly ascending, with their doubly blinded values D aligned */
  readonly added: { readonly digests: Uint8Array; readonly values: Uint8Array };
  /** own digests removed this round, ascending */
  readonly removed: Uint8Array;
  /** T values added: this party's evaluations of the peer's additions, in stream order */
  readonly peerAdded: Uint8Array;
  /** T values the peer removed, ascending (its REMOVED stream) */
  readonly peerRemoved: Uint8Array;
  /** own digests that match from this round on (an addition on either side), ascending */
  readonly newMatches: Uint8Array;
  /** the peer's labels for new matches, by index into `newMatches` */
  readonly newMatchLabels: ReadonlyMap<number, LabelValues>;
  /** own digests that matched before this round and no longer do (removed by either side), ascending */
  readonly endedMatches: Uint8Array;
  /** the size of the epoch's intersection after this round, claimed in FINISH */
  readonly intersectionSize: number;
}

const ZERO_HASH = new Uint8Array(TRANSCRIPT_HASH_BYTES);

function invalidOption(field: string, expected: string, got: unknown): never {
  throw new ValidationError('invalid-option', `"${field}" expected ${expected}, got ${describe(got)}`);
}

function integerIn(value: unknown, min: number, max: number, field: string): void {
  if (typeof value !== 'number' || !Number.isSafeInteger(value) || value < min || value > max) invalidOption(field, `an integer in ${min}..${max}`, value);
}

function bytesOf(value: unknown, length: number, field: string): void {
  if (!(value instanceof Uint8Array) || value.length !== length) {
    invalidOption(field, `Uint8Array of length ${length}`, value instanceof Uint8Array ? `length=${value.length}` : value);
  }
}

export function validateEpochInput(epoch: EpochRoundInput): void {
  if (typeof epoch !== 'object' || epoch === null) invalidOption('epoch', 'an object', epoch);
  bytesOf(epoch.id, EPOCH_ID_BYTES, 'epoch.id');
  integerIn(epoch.index, 0, MAX_EPOCH_INDEX, 'epoch.index');
  bytesOf(epoch.previousHash, TRANSCRIPT_HASH_BYTES, 'epoch.previousHash');
  bytesOf(epoch.key, POINT_BYTES, 'epoch.key');
  integerIn(epoch.ownCount, 0, MAX_EPOCH_SET_SIZE, 'epoch.ownCount');
  integerIn(epoch.peerCount, 0, MAX_EPOCH_SET_SIZE, 'epoch.peerCount');
  integerIn(epoch.removals, 0, Math.min(MAX_SET_SIZE, epoch.ownCount), 'epoch.removals');
  integerIn(epoch.maxPeerEpochSetSize, 0, MAX_EPOCH_SET_SIZE, 'epoch.maxPeerEpochSetSize');
  if (typeof epoch.load !== 'function') invalidOption('epoch.load', 'a function', epoch.load);
  if (epoch.index === 0) {
    // SPEC §13.3: an epoch starts empty, with no chain link and no peer key yet.
    if (Buffer.compare(epoch.previousHash, ZERO_HASH) !== 0) invalidOption('epoch.previousHash', '64 zero bytes for index 0', 'other bytes');
    if (epoch.peerKey !== null) invalidOption('epoch.peerKey', 'null for index 0', epoch.peerKey);
    if (epoch.ownCount !== 0) invalidOption('epoch.ownCount', '0 for index 0', epoch.ownCount);
    if (epoch.peerCount !== 0) invalidOption('epoch.peerCount', '0 for index 0', epoch.peerCount);
  } else {
    bytesOf(epoch.peerKey, POINT_BYTES, 'epoch.peerKey');
  }
}

/** -1, 0 or 1 as the 32-byte value at `i` of `a` sorts before, equal to or after the one at `j` of `b`. */
export function comparePoints(a: Uint8Array, i: number, b: Uint8Array, j: number): number {
  const x = i * POINT_BYTES;
  const y = j * POINT_BYTES;
  for (let k = 0; k < POINT_BYTES; k++) {
    const d = a[x + k]! - b[y + k]!;
    if (d !== 0) return d < 0 ? -1 : 1;
  }
  return 0;
}

/** Checks the loaded state against the counts the round was given. */
export function checkEpochState(state: EpochState, epoch: EpochRoundInput): void {
  if (typeof state !== 'object' || state === null) invalidOption('epoch.load()', 'an object', state);
  bytesOf(state.removedDigests, epoch.removals * POINT_BYTES, 'epoch.load().removedDigests');
  bytesOf(state.removedValues, epoch.removals * POINT_BYTES, 'epoch.load().removedValues');
  for (let i = 1; i < epoch.removals; i++) {
    if (comparePoints(state.removedDigests, i - 1, state.removedDigests, i) >= 0) invalidOption('epoch.load().removedDigests', 'strictly ascending digests', `digest ${i} out of order`);
  }
  integerIn(state.intersectionSize, 0, Math.min(epoch.ownCount, epoch.peerCount), 'epoch.load().intersectionSize');
  for (const name of ['peerHas', 'ownWithValues', 'ownHasDigests'] as const) {
    if (typeof state[name] !== 'function') invalidOption(`epoch.load().${name}`, 'a function', state[name]);
  }
  if (state.labelOf !== undefined && typeof state.labelOf !== 'function') invalidOption('epoch.load().labelOf', 'a function', state.labelOf);
}

/** A lookup answer of the caller's state, checked for shape: one flag per value asked. */
function flagsOf(flags: unknown, count: number, what: string): Uint8Array {
  if (!(flags instanceof Uint8Array) || flags.length !== count) invalidOption(what, `a Uint8Array of ${count} flags`, flags);
  return flags;
}

/**
 * SPEC §13.6 OFFER checks 10–15 on the peer's OFFER of an epoch round. `ownAccumulated` is the
 * own `acc` this party states (or, for a responder that has not built its OFFER yet, the least it
 * can state: its elements left after its removals).
 */
export function checkEpochOffer(
  offer: { readonly setSize: number; readonly maxPeerSetSize: number; readonly publicKey: Uint8Array; readonly epoch?: EpochOffer | undefined },
  epoch: EpochRoundInput | undefined,
  ownAccumulated: number,
): void {
  const ep = offer.epoch;
  // Check 10: an epoch round and a plain round never mix.
  if (epoch === undefined) {
    if (ep !== undefined) throw new ProtocolError('epoch-mismatch', 'OFFER carries an epoch (ep) but this party runs a plain round');
    return;
  }
  if (ep === undefined) throw new ProtocolError('epoch-mismatch', 'OFFER carries no epoch (ep) but this party runs round of an epoch');
  // Check 11: the same epoch, the same round.
  if (Buffer.compare(ep.id, epoch.id) !== 0) throw new ProtocolError('epoch-mismatch', 'OFFER names another epoch id');
  if (ep.index !== epoch.index) throw new ProtocolError('epoch-mismatch', `OFFER names round ${ep.index} of the epoch, this party runs round ${epoch.index}`);
  // Check 12: the chain link, TH_final of the previous round as this party computed it.
  if (Buffer.compare(ep.previousHash, epoch.previousHash) !== 0) {
    throw new ProtocolError('epoch-mismatch', `OFFER's prev is not the transcript hash of round ${epoch.index - 1} of the epoch`);
  }
  // Check 13: one key per epoch.
  if (epoch.peerKey !== null && Buffer.compare(offer.publicKey, epoch.peerKey) !== 0) {
    throw new ProtocolError('epoch-mismatch', "OFFER's K differs from the key the peer committed to at the epoch's start");
  }
  // Check 14: the peer's count follows from its previous count, its additions and its removals.
  if (ep.removals > epoch.peerCount) {
    throw new ProtocolError('epoch-mismatch', `OFFER removes ${ep.removals} elements but the peer holds ${epoch.peerCount} in the epoch`);
  }
  if (ep.accumulated !== epoch.peerCount + offer.setSize - ep.removals) {
    throw new ProtocolError('epoch-mismatch', `OFFER's acc ${ep.accumulated} expected ${epoch.peerCount} + ${offer.setSize} − ${ep.removals} = ${epoch.peerCount + offer.setSize - ep.removals}`);
  }
  // Check 15: epoch caps, both ways.
  if (ep.accumulated > epoch.maxPeerEpochSetSize) {
    throw new ProtocolError('set-too-large', `peer's epoch set ${ep.accumulated} exceeds this party's epoch cap ${epoch.maxPeerEpochSetSize}`);
  }
  if (ownAccumulated > ep.epochCap) {
    throw new ProtocolError('set-too-large', `own epoch set ${ownAccumulated} exceeds the peer's epoch cap ${ep.epochCap}`);
  }
}

/** The packed 32-byte values at `indices` of `values`, sorted ascending (the REMOVED order, SPEC §13.4). */
export function sortedValuesAt(values: Uint8Array, indices: ArrayLike<number>): Uint8Array {
  const order = Array.from(indices);
  order.sort((a, b) => comparePoints(values, a, values, b));
  const out = new Uint8Array(order.length * POINT_BYTES);
  order.forEach((index, i) => out.set(values.subarray(index * POINT_BYTES, (index + 1) * POINT_BYTES), i * POINT_BYTES));
  return out;
}

/** One new match: its digest, its doubly blinded value, and where it came from. */
interface NewMatch {
  readonly digest: Uint8Array;
  readonly value: Uint8Array;
  /** j for own addition j; −1 for an element already in the epoch */
  readonly addition: number;
}

/** The round's view of the epoch state: the checks on the peer's additions and removals, and the result. */
export class EpochBook {
  private peerRemovedCount = 0;
  private readonly peerRemovedValues: Uint8Array;

  constructor(
    readonly input: EpochRoundInput,
    readonly state: EpochState,
    peerRemovals: number,
  ) {
    this.peerRemovedValues = new Uint8Array(peerRemovals * POINT_BYTES);
  }

  /** The own removed elements' doubly blinded values, ascending: the REMOVED stream. */
  ownRemovedValues(): Uint8Array {
    return sortedValuesAt(this.state.removedValues, Array.from({ length: this.input.removals }, (_, i) => i));
  }

  /** Own additions must be new to the epoch: a repeated one would be evaluated twice under one key. */
  checkAdditions(digests: Uint8Array): void {
    const count = digests.length / POINT_BYTES;
    if (this.input.ownCount === 0 || count === 0) return;
    const flags = flagsOf(this.state.ownHasDigests(digests), count, 'epoch.load().ownHasDigests()');
    const at = flags.indexOf(1);
    if (at >= 0) invalidOption('ownSet.load().digests', 'additions not already in the epoch', `digest ${at} is in the epoch`);
  }

  /**
   * SPEC §13.6 BLINDED check 6: the evaluations of the peer's additions `evaluations[from … from
   * + count)` must not be values of T: an element the peer already added would be evaluated again
   * under the same key, at no cost to the peer and outside its count.
   */
  checkPeerAdditions(evaluations: Uint8Array, from: number, count: number, seq: number): void {
    if (this.input.peerCount === 0 || count === 0) return;
    const flags = flagsOf(this.state.peerHas(evaluations.subarray(from * POINT_BYTES, (from + count) * POINT_BYTES)), count, 'epoch.load().peerHas()');
    const at = flags.indexOf(1);
    if (at >= 0) throw new ProtocolError('duplicate-addition', `BLINDED chunk ${seq} point ${at} is an element the peer already added in this epoch`);
  }

  /** SPEC §13.6 BLINDED check 7, once the stream is complete: no addition repeats another of the round. */
  checkPeerAdditionsDistinct(evaluations: Uint8Array): void {
    const repeat = PointTable.firstRepeat(evaluations);
    if (repeat >= 0) throw new ProtocolError('duplicate-addition', `the peer's additions repeat an element (point ${repeat} of its BLINDED stream)`);
  }

  /**
   * SPEC §13.6 REMOVED checks 5–6: values strictly ascending over the whole stream, each a value
   * of T before this round. `at` is the index of the chunk's first value in the stream.
   */
  acceptPeerRemovals(points: Uint8Array, at: number, seq: number): void {
    const count = points.length / POINT_BYTES;
    for (let i = 0; i < count; i++) {
      const index = at + i;
      if (index === 0) continue;
      const order = i > 0 ? comparePoints(points, i - 1, points, i) : comparePoints(this.peerRemovedValues, index - 1, points, i);
      if (order >= 0) throw new ProtocolError('bad-removal', `REMOVED chunk ${seq} value ${i} is not above the value before it (the stream is strictly ascending)`);
    }
    const flags = flagsOf(this.state.peerHas(points), count, 'epoch.load().peerHas()');
    const missing = flags.indexOf(0);
    if (missing >= 0) throw new ProtocolError('bad-removal', `REMOVED chunk ${seq} value ${missing} is not an element the peer holds in the epoch`);
    this.peerRemovedValues.set(points, at * POINT_BYTES);
    this.peerRemovedCount += count;
  }

  /**
   * SPEC §13.7: the epoch's intersection after this round, and what changed. `added` are the own
   * additions (ascending) with `addedValues` aligned (D returned by the peer); `peerAdded` are
   * this party's evaluations of the peer's additions. Work in proportion to the changes: every
   * question about the epoch's earlier rounds is a batch lookup in the caller's state.
   */
  result(added: Uint8Array, addedValues: Uint8Array, peerAdded: Uint8Array): {
    intersectionSize: number;
    newMatches: Uint8Array;
    newMatchValues: Uint8Array;
    /** j for own addition j; −1 for an element already in the epoch */
    newMatchAddition: Int32Array;
    endedMatches: Uint8Array;
  } {
    const { state, input } = this;
    const peerRemoved = this.peerRemoved();
    const removedByPeer = new PointTable(peerRemoved);
    const fresh = new PointTable(peerAdded);
    const removedBySelf = new PointTable(state.removedDigests);
    const slice = (bytes: Uint8Array, i: number): Uint8Array => bytes.subarray(i * POINT_BYTES, (i + 1) * POINT_BYTES);
    const matches: NewMatch[] = [];
    const ended: Uint8Array[] = [];
    // Own additions: matched iff D is in T after this round (kept from before, or added now).
    const additions = added.length / POINT_BYTES;
    const before = additions === 0 || input.peerCount === 0 ? new Uint8Array(additions) : flagsOf(state.peerHas(addedValues), additions, 'epoch.load().peerHas()');
    for (let j = 0; j < additions; j++) {
      const kept = before[j] === 1 && removedByPeer.find(addedValues, j * POINT_BYTES) < 0;
      if (kept || fresh.find(addedValues, j * POINT_BYTES) >= 0) matches.push({ digest: slice(added, j), value: slice(addedValues, j), addition: j });
    }
    // Own elements of the epoch that the peer's additions match, unless removed now.
    const peerAdditions = peerAdded.length / POINT_BYTES;
    if (input.ownCount > 0 && peerAdditions > 0) {
      const owners = state.ownWithValues(peerAdded);
      const found = flagsOf(owners.found, peerAdditions, 'epoch.load().ownWithValues().found');
      for (let i = 0; i < peerAdditions; i++) {
        if (found[i] !== 1) continue;
        const digest = slice(owners.digests, i);
        if (removedBySelf.find(digest, 0) < 0) matches.push({ digest, value: slice(peerAdded, i), addition: -1 });
      }
    }
    // Matches that end: own removals that matched, and own elements whose value the peer removed.
    const removals = input.removals;
    if (removals > 0 && input.peerCount > 0) {
      const matched = flagsOf(state.peerHas(state.removedValues), removals, 'epoch.load().peerHas()');
      for (let i = 0; i < removals; i++) if (matched[i] === 1) ended.push(slice(state.removedDigests, i));
    }
    const peerRemovals = peerRemoved.length / POINT_BYTES;
    if (input.ownCount > 0 && peerRemovals > 0) {
      const owners = state.ownWithValues(peerRemoved);
      const found = flagsOf(owners.found, peerRemovals, 'epoch.load().ownWithValues().found');
      for (let i = 0; i < peerRemovals; i++) {
        if (found[i] === 1 && removedBySelf.find(owners.digests, i * POINT_BYTES) < 0) ended.push(slice(owners.digests, i));
      }
    }
    const byDigest = (x: Uint8Array, y: Uint8Array): number => comparePoints(x, 0, y, 0);
    matches.sort((x, y) => byDigest(x.digest, y.digest));
    ended.sort(byDigest);
    const newMatches = new Uint8Array(matches.length * POINT_BYTES);
    const newMatchValues = new Uint8Array(matches.length * POINT_BYTES);
    const newMatchAddition = new Int32Array(matches.length);
    matches.forEach((match, k) => {
      newMatches.set(match.digest, k * POINT_BYTES);
      newMatchValues.set(match.value, k * POINT_BYTES);
      newMatchAddition[k] = match.addition;
    });
    const endedMatches = new Uint8Array(ended.length * POINT_BYTES);
    ended.forEach((digest, k) => endedMatches.set(digest, k * POINT_BYTES));
    // The previous intersection, plus what started, minus what ended (SPEC §13.7).
    const intersectionSize = state.intersectionSize + matches.length - ended.length;
    return { intersectionSize, newMatches, newMatchValues, newMatchAddition, endedMatches };
  }

  /** The own digests this round removes, ascending. */
  removedDigests(): Uint8Array {
    return this.state.removedDigests;
  }

  /** The peer's REMOVED values as accepted, ascending. */
  peerRemoved(): Uint8Array {
    return this.peerRemovedCount * POINT_BYTES === this.peerRemovedValues.length ? this.peerRemovedValues : this.peerRemovedValues.slice(0, this.peerRemovedCount * POINT_BYTES);
  }
}
