/**
 * The epoch checks of src/internal/epoch.ts one by one, outside a round: the epoch input and the
 * loaded state refused field by field (ValidationError invalid-option, naming the field), the
 * peer's epoch OFFER refused check by check at the ends of each bound (SPEC §13.6 checks 10–15),
 * the peer's additions and removals (duplicate-addition, bad-removal), the matching rule of
 * SPEC §13.7 against an independent reckoning, and the state lookups a round asks for: none about
 * an empty side of the epoch (a node answers each looked-up value with a database query).
 */
import { sha256 } from '@noble/hashes/sha2.js';
import { ProtocolError, ValidationError, type VennError } from '@venn/errors';
import { decodeMessage, encodeMessage, type EpochOffer, type Message } from '@venn/wire';
import { describe, expect, it } from 'vitest';
import type { EpochRoundInput, EpochState } from '../src/index.js';
import { EpochBook, checkEpochOffer, checkEpochState, comparePoints, sortedValuesAt, validateEpochInput } from '../src/internal/epoch.js';
import { EpochParty, element, runEpochRound, unloadedEpochInput } from './epoch-harness.js';
import { thrown } from './harness.js';

const hex = (bytes: Uint8Array): string => Buffer.from(bytes).toString('hex');
const packed = (values: readonly Uint8Array[]): Uint8Array => {
  const out = new Uint8Array(values.length * 32);
  values.forEach((value, i) => out.set(value, i * 32));
  return out;
};
const unpacked = (bytes: Uint8Array): string[] => Array.from({ length: bytes.length / 32 }, (_, i) => hex(bytes.subarray(i * 32, i * 32 + 32)));
const point = (tag: string): Uint8Array => sha256(new TextEncoder().encode(`epoch-mutants/${tag}`));
/** A 32-byte value whose first byte is `first` and last byte `last`: for ordering checks. */
const ordered = (first: number, last = 0): Uint8Array => {
  const out = new Uint8Array(32);
  out[0] = first;
  out[31] = last;
  return out;
};
const ascending = (values: Uint8Array[]): Uint8Array[] => [...values].sort((x, y) => Buffer.compare(x, y));

const input: EpochRoundInput = unloadedEpochInput;

function refusal(call: () => unknown, code = 'invalid-option'): VennError {
  const error = thrown(call);
  expect(error.code).toBe(code);
  expect(error).toBeInstanceOf(code === 'invalid-option' ? ValidationError : ProtocolError);
  return error;
}

type Call = { readonly lookup: string; readonly count: number };

/** An epoch state from plain maps, logging every lookup (which and how many values). */
function mapState(options: {
  own?: ReadonlyArray<readonly [Uint8Array, Uint8Array]>;
  peer?: readonly Uint8Array[];
  removed?: readonly Uint8Array[];
  intersectionSize?: number;
}): EpochState & { calls: Call[] } {
  const own = new Map((options.own ?? []).map(([digest, value]) => [hex(digest), value]));
  const byValue = new Map((options.own ?? []).map(([digest, value]) => [hex(value), digest]));
  const peer = new Set((options.peer ?? []).map(hex));
  const removed = ascending([...(options.removed ?? [])]);
  const calls: Call[] = [];
  const each = (values: Uint8Array, test: (value: string) => boolean): Uint8Array => Uint8Array.from(unpacked(values), (value) => (test(value) ? 1 : 0));
  return {
    calls,
    removedDigests: packed(removed),
    removedValues: packed(removed.map((digest) => own.get(hex(digest))!)),
    intersectionSize: options.intersectionSize ?? 0,
    peerHas: (values) => {
      calls.push({ lookup: 'peerHas', count: values.length / 32 });
      return each(values, (value) => peer.has(value));
    },
    ownHasDigests: (digests) => {
      calls.push({ lookup: 'ownHasDigests', count: digests.length / 32 });
      return each(digests, (digest) => own.has(digest));
    },
    ownWithValues: (values) => {
      calls.push({ lookup: 'ownWithValues', count: values.length / 32 });
      const found = each(values, (value) => byValue.has(value));
      const digests = new Uint8Array(values.length);
      unpacked(values).forEach((value, i) => { if (byValue.has(value)) digests.set(byValue.get(value)!, i * 32); });
      return { found, digests };
    },
  };
}

describe('validateEpochInput: every field, and the epoch start', () => {
  it('accepts a later round and an epoch start as given', () => {
    expect(() => validateEpochInput(input)).not.toThrow();
    expect(() => validateEpochInput({ ...input, index: 0, previousHash: new Uint8Array(64), peerKey: null, ownCount: 0, peerCount: 0 })).not.toThrow();
  });

  it.each([
    ['epoch', null, '"epoch" expected an object, got null'],
    ['epoch', 7, '"epoch" expected an object, got number 7'],
  ])('refuses %s = %s', (_, value, message) => {
    expect(refusal(() => validateEpochInput(value as unknown as EpochRoundInput)).message).toBe(message);
  });

  it.each([
    ['id', new Uint8Array(31), '"epoch.id" expected Uint8Array of length 32, got "length=31"'],
    ['id', 'abc', '"epoch.id" expected Uint8Array of length 32, got "abc"'],
    ['previousHash', new Uint8Array(65), '"epoch.previousHash" expected Uint8Array of length 64, got "length=65"'],
    ['key', new Uint8Array(33), '"epoch.key" expected Uint8Array of length 32, got "length=33"'],
    ['peerKey', new Uint8Array(31), '"epoch.peerKey" expected Uint8Array of length 32, got "length=31"'],
    ['peerKey', null, '"epoch.peerKey" expected Uint8Array of length 32, got null'],
    ['load', 'load', '"epoch.load" expected a function, got "load"'],
    ['removals', 11, '"epoch.removals" expected an integer in 0..10, got number 11'],
  ])('refuses epoch.%s = %s', (field, value, message) => {
    expect(refusal(() => validateEpochInput({ ...input, [field]: value })).message).toBe(message);
  });

  it('index 0 needs 64 zero bytes as prev, no peer key and empty counts (SPEC §13.3)', () => {
    const start = { ...input, index: 0, previousHash: new Uint8Array(64), peerKey: null, ownCount: 0, peerCount: 0 };
    const oneBit = new Uint8Array(64);
    oneBit[63] = 1;
    expect(refusal(() => validateEpochInput({ ...start, previousHash: oneBit })).message).toBe('"epoch.previousHash" expected 64 zero bytes for index 0, got "other bytes"');
    expect(refusal(() => validateEpochInput({ ...start, peerKey: new Uint8Array(32) })).message).toBe('"epoch.peerKey" expected null for index 0, got Uint8Array of length 32');
    expect(refusal(() => validateEpochInput({ ...start, ownCount: 1 })).message).toBe('"epoch.ownCount" expected 0 for index 0, got number 1');
    // Each count is refused under its own name, with its own value.
    expect(refusal(() => validateEpochInput({ ...start, peerCount: 1 })).message).toBe('"epoch.peerCount" expected 0 for index 0, got number 1');
    // A later round may carry any chain link; only its peer key must be a key.
    expect(() => validateEpochInput({ ...input, previousHash: oneBit })).not.toThrow();
  });
});

describe('comparePoints and sortedValuesAt', () => {
  it('orders by the first differing byte, at the given positions of each list', () => {
    const a = packed([ordered(5), ordered(1, 9)]);
    const b = packed([ordered(1, 9), ordered(1, 10), ordered(5)]);
    expect(comparePoints(a, 1, b, 0)).toBe(0);
    expect(comparePoints(a, 1, b, 1)).toBe(-1);
    expect(comparePoints(b, 1, a, 1)).toBe(1);
    expect(comparePoints(a, 0, b, 2)).toBe(0);
    expect(comparePoints(a, 0, b, 1)).toBe(1);
    expect(comparePoints(a, 1, b, 2)).toBe(-1);
  });

  it('returns the values at the indices, ascending, and nothing for no indices', () => {
    const values = packed([ordered(9), ordered(3), ordered(7), ordered(3, 1)]);
    expect(unpacked(sortedValuesAt(values, [0, 2, 1, 3]))).toEqual([ordered(3), ordered(3, 1), ordered(7), ordered(9)].map(hex));
    expect(unpacked(sortedValuesAt(values, [2, 0]))).toEqual([ordered(7), ordered(9)].map(hex));
    expect(sortedValuesAt(values, []).length).toBe(0);
  });
});

describe('checkEpochState: the loaded state against the counts given', () => {
  const removed = [ordered(1), ordered(2)];
  const good = (): EpochState => ({ ...mapState({ own: removed.map((digest, i) => [digest, point(`d${i}`)]), removed, intersectionSize: 4 }) });
  const withRemovals = { ...input, ownCount: 4, peerCount: 6, removals: 2 };

  it('accepts a state that fits, with an intersection as large as the smaller side', () => {
    expect(() => checkEpochState(good(), withRemovals)).not.toThrow();
    expect(() => checkEpochState({ ...good(), labelOf: () => undefined }, withRemovals)).not.toThrow();
  });

  it.each([
    ['not an object', () => null, '"epoch.load()" expected an object, got null'],
    ['a number', () => 7, '"epoch.load()" expected an object, got number 7'],
    ['removedDigests of the wrong length', (s: EpochState) => ({ ...s, removedDigests: new Uint8Array(32) }), '"epoch.load().removedDigests" expected Uint8Array of length 64, got "length=32"'],
    ['removedValues of the wrong length', (s: EpochState) => ({ ...s, removedValues: new Uint8Array(96) }), '"epoch.load().removedValues" expected Uint8Array of length 64, got "length=96"'],
    ['removed digests repeated', (s: EpochState) => ({ ...s, removedDigests: packed([ordered(1), ordered(1)]) }), '"epoch.load().removedDigests" expected strictly ascending digests, got "digest 1 out of order"'],
    ['removed digests descending', (s: EpochState) => ({ ...s, removedDigests: packed([ordered(2), ordered(1)]) }), '"epoch.load().removedDigests" expected strictly ascending digests, got "digest 1 out of order"'],
    ['an intersection larger than the own side', (s: EpochState) => ({ ...s, intersectionSize: 5 }), '"epoch.load().intersectionSize" expected an integer in 0..4, got number 5'],
    ['an intersection below 0', (s: EpochState) => ({ ...s, intersectionSize: -1 }), '"epoch.load().intersectionSize" expected an integer in 0..4, got number -1'],
    ['peerHas missing', (s: EpochState) => ({ ...s, peerHas: 'no' }), '"epoch.load().peerHas" expected a function, got "no"'],
    ['ownWithValues missing', (s: EpochState) => ({ ...s, ownWithValues: 1 }), '"epoch.load().ownWithValues" expected a function, got number 1'],
    ['ownHasDigests missing', (s: EpochState) => ({ ...s, ownHasDigests: null }), '"epoch.load().ownHasDigests" expected a function, got null'],
    ['labelOf not a function', (s: EpochState) => ({ ...s, labelOf: 'x' }), '"epoch.load().labelOf" expected a function, got "x"'],
  ])('refuses %s', (_, change, message) => {
    const state = (change as (s: EpochState) => unknown)(good()) as EpochState;
    expect(refusal(() => checkEpochState(state, withRemovals)).message).toBe(message);
  });

  it('bounds the intersection by the smaller side, whichever it is', () => {
    expect(refusal(() => checkEpochState({ ...good(), intersectionSize: 4 }, { ...withRemovals, ownCount: 6, peerCount: 3 })).message)
      .toBe('"epoch.load().intersectionSize" expected an integer in 0..3, got number 4');
    expect(() => checkEpochState({ ...good(), intersectionSize: 3 }, { ...withRemovals, ownCount: 6, peerCount: 3 })).not.toThrow();
  });
});

describe('checkEpochOffer: SPEC §13.6 checks 10–15 on the peer\'s OFFER', () => {
  const peerKey = new Uint8Array(32).fill(4);
  // The peer held 10, adds 5 and removes 3: acc 12, within this party's cap of 100.
  const ep: EpochOffer = { id: input.id, index: 1, previousHash: input.previousHash, accumulated: 12, removals: 3, epochCap: 50 };
  const offer = (change: Partial<EpochOffer> = {}, setSize = 5, publicKey = peerKey) => ({ setSize, maxPeerSetSize: 100, publicKey, epoch: { ...ep, ...change } });
  const refused = (call: () => unknown, code: string): string => refusal(call, code).message;

  it('accepts an OFFER that follows from the epoch, with both caps met exactly', () => {
    expect(() => checkEpochOffer(offer(), input, 50)).not.toThrow();
    expect(() => checkEpochOffer(offer({ accumulated: 100, removals: 0 }, 90), input, 0)).not.toThrow();
    expect(() => checkEpochOffer(offer({ accumulated: 0, removals: 10 }, 0), input, 0)).not.toThrow();
    // A plain OFFER in a plain round.
    expect(() => checkEpochOffer({ setSize: 1, maxPeerSetSize: 1, publicKey: peerKey }, undefined, 0)).not.toThrow();
  });

  it('check 10: an epoch OFFER in a plain round, and a plain OFFER in an epoch round', () => {
    expect(refused(() => checkEpochOffer(offer(), undefined, 0), 'epoch-mismatch')).toBe('OFFER carries an epoch (ep) but this party runs a plain round');
    expect(refused(() => checkEpochOffer({ setSize: 5, maxPeerSetSize: 100, publicKey: peerKey }, input, 0), 'epoch-mismatch'))
      .toBe('OFFER carries no epoch (ep) but this party runs round of an epoch');
  });

  it('check 11: another epoch, another round', () => {
    expect(refused(() => checkEpochOffer(offer({ id: new Uint8Array(32).fill(9) }), input, 0), 'epoch-mismatch')).toBe('OFFER names another epoch id');
    expect(refused(() => checkEpochOffer(offer({ index: 2 }), input, 0), 'epoch-mismatch')).toBe('OFFER names round 2 of the epoch, this party runs round 1');
  });

  it('check 12: another chain link', () => {
    const prev = new Uint8Array(64).fill(2);
    prev[0] = 3;
    expect(refused(() => checkEpochOffer(offer({ previousHash: prev }), input, 0), 'epoch-mismatch')).toBe('OFFER\'s prev is not the transcript hash of round 0 of the epoch');
  });

  it('check 13: another key than the one committed; none to compare at the epoch\'s start', () => {
    expect(refused(() => checkEpochOffer(offer({}, 5, new Uint8Array(32).fill(5)), input, 0), 'epoch-mismatch'))
      .toBe('OFFER\'s K differs from the key the peer committed to at the epoch\'s start');
    const start = { ...input, index: 0, previousHash: new Uint8Array(64), peerKey: null, peerCount: 0, ownCount: 0 };
    expect(() => checkEpochOffer(offer({ index: 0, previousHash: new Uint8Array(64), accumulated: 5, removals: 0 }, 5, new Uint8Array(32).fill(5)), start, 0)).not.toThrow();
  });

  it('check 14: removals beyond the peer\'s count, and a count that does not add up', () => {
    expect(refused(() => checkEpochOffer(offer({ removals: 11, accumulated: 4 }, 5), input, 0), 'epoch-mismatch')).toBe('OFFER removes 11 elements but the peer holds 10 in the epoch');
    expect(refused(() => checkEpochOffer(offer({ accumulated: 13 }), input, 0), 'epoch-mismatch')).toBe('OFFER\'s acc 13 expected 10 + 5 − 3 = 12');
    expect(refused(() => checkEpochOffer(offer({ accumulated: 11 }), input, 0), 'epoch-mismatch')).toBe('OFFER\'s acc 11 expected 10 + 5 − 3 = 12');
    // acc = peerCount + setSize + removals would pass a sign error: refused.
    expect(refused(() => checkEpochOffer(offer({ accumulated: 18 }), input, 0), 'epoch-mismatch')).toBe('OFFER\'s acc 18 expected 10 + 5 − 3 = 12');
  });

  it('check 15: the peer\'s epoch set over this party\'s cap, and this party\'s over the peer\'s', () => {
    expect(refused(() => checkEpochOffer(offer({ accumulated: 101, removals: 0 }, 91), input, 0), 'set-too-large')).toBe('peer\'s epoch set 101 exceeds this party\'s epoch cap 100');
    expect(refused(() => checkEpochOffer(offer(), input, 51), 'set-too-large')).toBe('own epoch set 51 exceeds the peer\'s epoch cap 50');
  });
});

describe('EpochBook: own additions, the peer\'s additions and removals', () => {
  const d = [0, 1, 2].map((i) => point(`own/${i}`));
  const v = [0, 1, 2].map((i) => point(`value/${i}`));
  const book = (state: EpochState, change: Partial<EpochRoundInput> = {}, peerRemovals = 0): EpochBook => new EpochBook({ ...input, ...change }, state, peerRemovals);

  it('own additions already in the epoch are refused, naming the first one', () => {
    const state = mapState({ own: [[d[1]!, v[1]!]] });
    const error = refusal(() => book(state).checkAdditions(packed([d[0]!, d[1]!])));
    expect(error.message).toBe('"ownSet.load().digests" expected additions not already in the epoch, got "digest 1 is in the epoch"');
    expect(() => book(state).checkAdditions(packed([d[0]!, d[2]!]))).not.toThrow();
  });

  it('a state answering with the wrong number of flags is refused', () => {
    const state = { ...mapState({}), ownHasDigests: () => new Uint8Array(1), peerHas: () => new Uint8Array(3) };
    expect(refusal(() => book(state).checkAdditions(packed([d[0]!, d[1]!]))).message).toBe('"epoch.load().ownHasDigests()" expected a Uint8Array of 2 flags, got Uint8Array of length 1');
    expect(refusal(() => book(state).checkPeerAdditions(packed(v), 0, 2, 0)).message).toBe('"epoch.load().peerHas()" expected a Uint8Array of 2 flags, got Uint8Array of length 3');
    expect(refusal(() => book({ ...state, peerHas: () => [0, 0] as unknown as Uint8Array }).checkPeerAdditions(packed(v), 0, 2, 0)).message)
      .toBe('"epoch.load().peerHas()" expected a Uint8Array of 2 flags, got array of length 2');
  });

  it('the peer\'s additions already in T are duplicate-addition, looked up over the chunk\'s own range', () => {
    const state = mapState({ peer: [v[2]!] });
    const evaluations = packed([v[0]!, v[1]!, v[2]!]);
    expect(() => book(state).checkPeerAdditions(evaluations, 0, 2, 4)).not.toThrow();
    expect(state.calls).toEqual([{ lookup: 'peerHas', count: 2 }]);
    const error = refusal(() => book(state).checkPeerAdditions(evaluations, 1, 2, 4), 'duplicate-addition');
    expect(error.message).toBe('BLINDED chunk 4 point 1 is an element the peer already added in this epoch');
  });

  it('an addition repeated within the round is duplicate-addition, naming its position', () => {
    expect(() => book(mapState({})).checkPeerAdditionsDistinct(packed(v))).not.toThrow();
    const error = refusal(() => book(mapState({})).checkPeerAdditionsDistinct(packed([v[0]!, v[1]!, v[2]!, v[1]!])), 'duplicate-addition');
    expect(error.message).toBe('the peer\'s additions repeat an element (point 3 of its BLINDED stream)');
  });

  it('removals must rise strictly over the whole stream, across chunks, and be values of T', () => {
    const t = [ordered(1), ordered(2), ordered(3), ordered(4)];
    const fresh = (): EpochBook => book(mapState({ peer: t }), {}, 4);
    const b = fresh();
    b.acceptPeerRemovals(packed([t[0]!, t[1]!]), 0, 0);
    expect(unpacked(b.peerRemoved())).toEqual([t[0]!, t[1]!].map(hex));
    b.acceptPeerRemovals(packed([t[2]!]), 2, 1);
    expect(unpacked(b.peerRemoved())).toEqual([t[0]!, t[1]!, t[2]!].map(hex));
    b.acceptPeerRemovals(packed([t[3]!]), 3, 2);
    expect(unpacked(b.peerRemoved())).toEqual(t.map(hex));
    // The next chunk's first value against the last accepted one.
    const again = fresh();
    again.acceptPeerRemovals(packed([t[1]!]), 0, 0);
    expect(refusal(() => again.acceptPeerRemovals(packed([t[1]!]), 1, 1), 'bad-removal').message)
      .toBe('REMOVED chunk 1 value 0 is not above the value before it (the stream is strictly ascending)');
    expect(refusal(() => again.acceptPeerRemovals(packed([t[0]!]), 1, 1), 'bad-removal').message)
      .toBe('REMOVED chunk 1 value 0 is not above the value before it (the stream is strictly ascending)');
    // Within one chunk.
    expect(refusal(() => fresh().acceptPeerRemovals(packed([t[0]!, t[2]!, t[1]!]), 0, 3), 'bad-removal').message)
      .toBe('REMOVED chunk 3 value 2 is not above the value before it (the stream is strictly ascending)');
    expect(refusal(() => fresh().acceptPeerRemovals(packed([t[0]!, t[0]!]), 0, 0), 'bad-removal').message)
      .toBe('REMOVED chunk 0 value 1 is not above the value before it (the stream is strictly ascending)');
    // A value the peer never added.
    expect(refusal(() => fresh().acceptPeerRemovals(packed([t[0]!, ordered(3, 1), t[3]!]), 0, 5), 'bad-removal').message)
      .toBe('REMOVED chunk 5 value 1 is not an element the peer holds in the epoch');
  });

  it('the first addition already in the epoch is named too', () => {
    const state = mapState({ own: [[d[0]!, v[0]!]] });
    expect(refusal(() => book(state).checkAdditions(packed([d[0]!, d[1]!]))).message)
      .toBe('"ownSet.load().digests" expected additions not already in the epoch, got "digest 0 is in the epoch"');
  });

  it('order is checked inside a chunk that starts later in the stream', () => {
    const t = [ordered(1), ordered(2), ordered(3)];
    const b = book(mapState({ peer: t }), {}, 3);
    b.acceptPeerRemovals(packed([t[0]!]), 0, 0);
    expect(refusal(() => b.acceptPeerRemovals(packed([t[2]!, t[1]!]), 1, 1), 'bad-removal').message)
      .toBe('REMOVED chunk 1 value 1 is not above the value before it (the stream is strictly ascending)');
  });

  it('a state answering a removal lookup with the wrong number of flags is refused', () => {
    const state = { ...mapState({}), peerHas: () => new Uint8Array(1) };
    expect(refusal(() => book(state, {}, 2).acceptPeerRemovals(packed([ordered(1), ordered(2)]), 0, 0)).message)
      .toBe('"epoch.load().peerHas()" expected a Uint8Array of 2 flags, got Uint8Array of length 1');
  });

  it('a refused removal chunk is not kept', () => {
    const t = [ordered(1), ordered(2)];
    const b = book(mapState({ peer: t }), {}, 2);
    b.acceptPeerRemovals(packed([t[0]!]), 0, 0);
    expect(() => b.acceptPeerRemovals(packed([ordered(3)]), 1, 1)).toThrow(ProtocolError);
    expect(unpacked(b.peerRemoved())).toEqual([hex(t[0]!)]);
    expect(b.peerRemoved().length).toBe(32);
  });

  it('the own REMOVED stream is the removed values, ascending; removedDigests as loaded', () => {
    const removed = [point('r/0'), point('r/1'), point('r/2')];
    const values = [ordered(9), ordered(2), ordered(5)];
    const state = mapState({ own: removed.map((digest, i) => [digest, values[i]!]), removed });
    const b = book(state, { removals: 3 });
    expect(unpacked(b.ownRemovedValues())).toEqual(ascending(values).map(hex));
    expect(b.removedDigests()).toBe(state.removedDigests);
  });
});

describe('EpochBook.result: SPEC §13.7 against an independent reckoning', () => {
  // Own epoch before the round: d1..d4 (D = own/x). T before: own/2, own/3, and p9, p10.
  const D = (name: string): Uint8Array => point(`D/${name}`);
  const own = ['d1', 'd2', 'd3', 'd8'].map((name) => [point(name), D(name)] as const);
  const peerBefore = [D('d2'), D('d3'), point('p9'), point('p10')];
  const digestOf = (name: string): string => hex(point(name));

  it('starts and ends the right matches and updates the intersection', () => {
    // Own removals: d3 (matched) and d8 (not matched). Peer removals: D(d2) and p10.
    const state = mapState({ own: own as Array<[Uint8Array, Uint8Array]>, peer: peerBefore, removed: [point('d3'), point('d8')], intersectionSize: 2 });
    const book = new EpochBook({ ...input, ownCount: 4, peerCount: 4, removals: 2 }, state, 2);
    book.acceptPeerRemovals(packed(ascending([D('d2'), point('p10')])), 0, 0);
    // Own additions with D as the peer returned it: d4 (no match), d5 = p9 (kept), d6 = p7 (added
    // by the peer now), d7 = p10 (removed by the peer now).
    const additions: Array<[string, Uint8Array]> = [['d4', point('p4')], ['d5', point('p9')], ['d6', point('p7')], ['d7', point('p10')]];
    additions.sort((x, y) => Buffer.compare(point(x[0]), point(y[0])));
    const added = packed(additions.map(([name]) => point(name)));
    const addedValues = packed(additions.map(([, value]) => value));
    // The peer's additions as evaluated here: D(d1) matches own d1; p7 matches addition d6; D(d8)
    // would match d8, which this party removes now.
    const peerAdded = packed([D('d1'), point('p7'), D('d8')]);
    const result = book.result(added, addedValues, peerAdded);

    const expectedNew = ['d1', 'd5', 'd6'].sort((x, y) => digestOf(x).localeCompare(digestOf(y)));
    expect(unpacked(result.newMatches)).toEqual(expectedNew.map(digestOf));
    const valueOf: Record<string, Uint8Array> = { d1: D('d1'), d5: point('p9'), d6: point('p7') };
    expect(unpacked(result.newMatchValues)).toEqual(expectedNew.map((name) => hex(valueOf[name]!)));
    const additionIndex = (name: string): number => additions.findIndex(([n]) => n === name);
    expect(Array.from(result.newMatchAddition)).toEqual(expectedNew.map((name) => (name === 'd1' ? -1 : additionIndex(name))));
    expect(unpacked(result.endedMatches)).toEqual(['d2', 'd3'].map(digestOf).sort());
    expect(result.intersectionSize).toBe(2 + 3 - 2);
  });

  it('a match both sides remove in one round ends once', () => {
    const state = mapState({ own: own as Array<[Uint8Array, Uint8Array]>, peer: peerBefore, removed: [point('d2')], intersectionSize: 2 });
    const book = new EpochBook({ ...input, ownCount: 4, peerCount: 4, removals: 1 }, state, 1);
    book.acceptPeerRemovals(packed([D('d2')]), 0, 0);
    const result = book.result(new Uint8Array(0), new Uint8Array(0), new Uint8Array(0));
    expect(unpacked(result.endedMatches)).toEqual([digestOf('d2')]);
    expect(result.newMatches.length).toBe(0);
    expect(result.newMatchAddition.length).toBe(0);
    expect(result.intersectionSize).toBe(1);
  });

  it('each lookup of the result is checked for shape: own additions, own removals, the peer\'s removals', () => {
    const base = (): ReturnType<typeof mapState> => mapState({ own: own as Array<[Uint8Array, Uint8Array]>, peer: peerBefore, removed: [point('d3')], intersectionSize: 2 });
    const short = (): Uint8Array => new Uint8Array(0);
    // Own additions against T.
    const additions = new EpochBook({ ...input, ownCount: 4, peerCount: 4 }, { ...base(), removedDigests: new Uint8Array(0), removedValues: new Uint8Array(0), peerHas: short }, 0);
    expect(refusal(() => additions.result(packed([point('n')]), packed([point('N')]), new Uint8Array(0))).message)
      .toBe('"epoch.load().peerHas()" expected a Uint8Array of 1 flags, got Uint8Array of length 0');
    // Own removals against T.
    const removals = new EpochBook({ ...input, ownCount: 4, peerCount: 4, removals: 1 }, { ...base(), peerHas: short }, 0);
    expect(refusal(() => removals.result(new Uint8Array(0), new Uint8Array(0), new Uint8Array(0))).message)
      .toBe('"epoch.load().peerHas()" expected a Uint8Array of 1 flags, got Uint8Array of length 0');
    // The peer's removals against own values.
    const state = mapState({ own: own as Array<[Uint8Array, Uint8Array]>, peer: peerBefore });
    const peerRemovals = new EpochBook({ ...input, ownCount: 4, peerCount: 4 }, state, 1);
    peerRemovals.acceptPeerRemovals(packed([D('d2')]), 0, 0);
    const broken = new EpochBook({ ...input, ownCount: 4, peerCount: 4 }, { ...state, ownWithValues: () => ({ found: new Uint8Array(2), digests: new Uint8Array(64) }) }, 1);
    broken.acceptPeerRemovals(packed([D('d2')]), 0, 0);
    expect(refusal(() => broken.result(new Uint8Array(0), new Uint8Array(0), new Uint8Array(0))).message)
      .toBe('"epoch.load().ownWithValues().found" expected a Uint8Array of 1 flags, got Uint8Array of length 2');
    expect(unpacked(peerRemovals.result(new Uint8Array(0), new Uint8Array(0), new Uint8Array(0)).endedMatches)).toEqual([digestOf('d2')]);
  });

  it('a match the peer removes past the first of its removals, which this party removes too, ends once', () => {
    // The peer removes D(d1), D(d2) and D(d3), ascending; this party removes the owner of the
    // last one in that order, so the double removal sits past index 0 of the peer's stream.
    const peerRemoved = ascending([D('d1'), D('d2'), D('d3')]);
    const owner: Record<string, string> = { [hex(D('d1'))]: 'd1', [hex(D('d2'))]: 'd2', [hex(D('d3'))]: 'd3' };
    const last = owner[hex(peerRemoved[2]!)]!;
    const state = mapState({ own: own as Array<[Uint8Array, Uint8Array]>, peer: [D('d1'), D('d2'), D('d3')], removed: [point(last)], intersectionSize: 3 });
    const book = new EpochBook({ ...input, ownCount: 4, peerCount: 3, removals: 1 }, state, 3);
    book.acceptPeerRemovals(packed(peerRemoved), 0, 0);
    const result = book.result(new Uint8Array(0), new Uint8Array(0), new Uint8Array(0));
    expect(unpacked(result.endedMatches)).toEqual(['d1', 'd2', 'd3'].map(digestOf).sort());
    expect(result.intersectionSize).toBe(0);
  });

  it('the state answering with the wrong number of flags is refused', () => {
    const state = { ...mapState({ own: own as Array<[Uint8Array, Uint8Array]>, peer: peerBefore }), ownWithValues: () => ({ found: new Uint8Array(1), digests: new Uint8Array(64) }) };
    const book = new EpochBook({ ...input, ownCount: 4, peerCount: 4 }, state, 0);
    expect(refusal(() => book.result(new Uint8Array(0), new Uint8Array(0), packed([D('d1'), point('x')]))).message)
      .toBe('"epoch.load().ownWithValues().found" expected a Uint8Array of 2 flags, got Uint8Array of length 1');
  });
});

describe('the lookups a round asks of its state', () => {
  const digests = packed([point('a'), point('b')]);

  it('the epoch\'s start asks nothing: both sides are empty', () => {
    const state = mapState({});
    const book = new EpochBook({ ...input, index: 0, ownCount: 0, peerCount: 0 }, state, 0);
    book.checkAdditions(digests);
    book.checkPeerAdditions(digests, 0, 2, 0);
    const result = book.result(digests, packed([point('x'), point('y')]), packed([point('x'), point('z')]));
    expect(state.calls).toEqual([]);
    // The additions the two sides share match all the same.
    expect(unpacked(result.newMatches)).toEqual([hex(point('a'))]);
    expect(result.intersectionSize).toBe(1);
  });

  it('an empty peer side: nothing asked about T, own elements still checked', () => {
    const state = mapState({ own: [[point('o'), point('O')]] });
    const book = new EpochBook({ ...input, ownCount: 1, peerCount: 0, removals: 0 }, state, 0);
    book.checkAdditions(digests);
    book.checkPeerAdditions(digests, 0, 2, 0);
    book.result(digests, packed([point('x'), point('y')]), packed([point('O')]));
    expect(state.calls).toEqual([{ lookup: 'ownHasDigests', count: 2 }, { lookup: 'ownWithValues', count: 1 }]);
  });

  it('an own removal against an empty peer side ends nothing and asks nothing about T', () => {
    const state = mapState({ own: [[point('o'), point('O')]], removed: [point('o')], intersectionSize: 0 });
    const book = new EpochBook({ ...input, ownCount: 1, peerCount: 0, removals: 1 }, state, 0);
    const result = book.result(new Uint8Array(0), new Uint8Array(0), new Uint8Array(0));
    expect(state.calls).toEqual([]);
    expect(result.endedMatches.length).toBe(0);
  });

  it('an empty own side: nothing asked about own elements, T still checked', () => {
    const state = mapState({ peer: [point('t')] });
    const book = new EpochBook({ ...input, ownCount: 0, peerCount: 1 }, state, 1);
    book.checkAdditions(digests);
    book.acceptPeerRemovals(packed([point('t')]), 0, 0);
    book.result(digests, packed([point('x'), point('y')]), packed([point('q')]));
    expect(state.calls).toEqual([{ lookup: 'peerHas', count: 1 }, { lookup: 'peerHas', count: 2 }]);
  });

  it('nothing to check asks nothing', () => {
    const state = mapState({ own: [[point('o'), point('O')]], peer: [point('t')] });
    const book = new EpochBook({ ...input, ownCount: 1, peerCount: 1 }, state, 0);
    book.checkAdditions(new Uint8Array(0));
    book.checkPeerAdditions(digests, 2, 0, 0);
    book.result(new Uint8Array(0), new Uint8Array(0), new Uint8Array(0));
    expect(state.calls).toEqual([]);
  });
});

describe('an epoch responder within the initiator\'s epoch cap (SPEC §13.6)', () => {
  const big = Array.from({ length: 6 }, (_, i) => element('cap', i));
  const sortedBig = [...big].sort((x, y) => Buffer.compare(x, y));

  it('adds only what ecap leaves room for, the first pending digests first, and nothing once full', () => {
    const a = new EpochParty('initiator', 'cap-a');
    a.maxPeerEpochSetSize = 4;
    const b = new EpochParty('responder', 'cap-b');
    const first = runEpochRound(a, b, { initiator: [big[0]!], responder: big });
    expect(unpacked(first.results.responder!.epoch!.added.digests)).toEqual(sortedBig.slice(0, 4).map(hex));
    expect(first.results.initiator!.epoch!.peerCount).toBe(4);
    const second = runEpochRound(a, b, { initiator: [big[0]!], responder: big });
    expect(second.results.responder!.epoch!.added.digests.length).toBe(0);
    expect(b.own.size).toBe(4);
    // One removal makes room for one more.
    const third = runEpochRound(a, b, { initiator: [big[0]!], responder: big.filter((digest) => hex(digest) !== hex(sortedBig[0]!)) });
    expect(unpacked(third.results.responder!.epoch!.added.digests)).toEqual([hex(sortedBig[4]!)]);
    expect(third.results.responder!.epoch!.ownCount).toBe(4);
    expect(third.results.initiator!.epoch!.peerCount).toBe(4);
  });

  it('a responder whose OFFER states an ecap below the initiator\'s epoch set: the initiator refuses with set-too-large', () => {
    const a = new EpochParty('initiator', 'cap-a');
    const b = new EpochParty('responder', 'cap-b');
    const run = runEpochRound(a, b, { initiator: big.slice(0, 3), responder: big.slice(2) }, {
      pump: {
        intercept: (m) => {
          if (m.from !== 'responder' || m.kind !== 'offer') return [m.bytes];
          const offer = decodeMessage(m.bytes) as Extract<Message, { kind: 'offer' }>;
          return [encodeMessage({ ...offer, epoch: { ...offer.epoch!, epochCap: 2 } })];
        },
      },
    });
    const result = run.initiator.result;
    expect(result?.status === 'aborted' && [result.reason, result.detail]).toEqual(['set-too-large', 'own epoch set 3 exceeds the peer\'s epoch cap 2']);
    expect(result?.evaluationsSent).toBe(0);
  });

  it('an ecap below what the responder already holds: it adds nothing and refuses with set-too-large', () => {
    const a = new EpochParty('initiator', 'cap-a');
    a.maxPeerEpochSetSize = 4;
    const b = new EpochParty('responder', 'cap-b');
    runEpochRound(a, b, { initiator: [big[0]!], responder: big });
    a.maxPeerEpochSetSize = 2;
    const run = runEpochRound(a, b, { initiator: [big[0]!], responder: big });
    const result = run.responder.result;
    expect(result?.status).toBe('aborted');
    expect(result?.status === 'aborted' && [result.reason, result.detail]).toEqual(['set-too-large', 'own epoch set 4 exceeds the peer\'s epoch cap 2']);
    expect(result?.evaluationsSent).toBe(0);
  });
});

describe('an epoch round\'s copy of the key (SPEC §3.3) and the labels of its new matches (SPEC §13.7)', () => {
  const labelled = { policy: { maxPeerSetSize: 100, evaluationAllowance: 100, modes: ['intersection' as const], labelFields: ['category' as const], semiHonestCardinality: false, allowIdentifierRulesMismatch: false } };

  it('the copy of the epoch key is wiped as soon as the last EVALUATED chunk is sent, before the round ends', () => {
    const a = new EpochParty('initiator', 'wipe-a');
    const b = new EpochParty('responder', 'wipe-b');
    // The key given to the round records the copy it takes, so the copy's bytes can be watched.
    const key = a.key.slice();
    const copies: Uint8Array[] = [];
    Object.defineProperty(key, 'slice', {
      value: (...args: [number?, number?]): Uint8Array => {
        const copy = Uint8Array.prototype.slice.apply(key, args);
        copies.push(copy);
        return copy;
      },
    });
    const seen: Array<{ sent: string[]; copy: string }> = [];
    const run = runEpochRound(a, b, { initiator: [element('w', 1), element('w', 2)], responder: [element('w', 2), element('w', 3)] }, {
      initiator: { epoch: { key } },
      pump: {
        onDelivered: (to, _frame, sent) => {
          if (to === 'initiator') seen.push({ sent: sent.map((m) => m.kind), copy: hex(copies[0]!) });
        },
      },
    });
    expect(copies).toHaveLength(1);
    const zero = hex(new Uint8Array(32));
    // OFFER in, BLINDED out: the key still held. BLINDED in, the one EVALUATED chunk out: the copy is
    // already zero, while the round still waits for the peer's EVALUATED chunk and FINISH.
    expect(seen.map((s) => s.sent)).toEqual([['blinded'], ['evaluated'], ['finish'], []]);
    expect(seen[0]!.copy).toBe(hex(a.key));
    expect(seen[1]!.copy).toBe(zero);
    expect(run.results.initiator?.status).toBe('completed');
    expect(hex(key)).not.toBe(zero);
  });

  it('asks the state for the label of each new match that is an old element, once, by its digest', () => {
    const a = new EpochParty('initiator', 'old-label-a');
    const b = new EpochParty('responder', 'old-label-b');
    const listA = [element('old', 1), element('old', 2)];
    runEpochRound(a, b, { initiator: listA, responder: [element('old', 2)] }, { initiator: labelled, responder: labelled });
    expect([...b.matches]).toEqual([hex(element('old', 2))]);
    // b now adds element 1, an old element of a: a's state is asked for its label, and only for it.
    const load = a.next(listA).epoch.load;
    const asked: string[] = [];
    const run = runEpochRound(a, b, { initiator: listA, responder: [element('old', 2), element('old', 1)] }, {
      initiator: {
        ...labelled,
        epoch: {
          load: () => ({
            ...load(),
            labelOf: (digest: Uint8Array) => {
              asked.push(hex(digest));
              return { category: 'distillation' };
            },
          }),
        },
      },
      responder: labelled,
    });
    expect(run.results.initiator?.status).toBe('completed');
    expect(asked).toEqual([hex(element('old', 1))]);
    expect(b.labels.get(hex(element('old', 1)))).toEqual({ category: 'distillation' });
    expect([...b.matches].sort()).toEqual([hex(element('old', 1)), hex(element('old', 2))].sort());
  });
});
