/**
 * The own set's checks (src/internal/own-set.ts): a loaded set is refused with invalid-own-set and
 * a message saying what is wrong (its length against ownSet.size, a repeated digest or one out of
 * order, a labelOf that is not a function); ownSetFromDigests refuses junk the same way and keeps
 * each distinct digest once, in ascending order.
 */
import { ValidationError } from '@venn/errors';
import { describe, expect, it } from 'vitest';
import { ownSetFromDigests } from '../src/index.js';
import { checkLoadedOwnSet } from '../src/internal/own-set.js';
import { thrown } from './harness.js';

/** Digest with `first` as its first byte and `last` as its last. */
const d = (first: number, last = 0): Uint8Array => {
  const out = new Uint8Array(32);
  out[0] = first;
  out[31] = last;
  return out;
};
const packed = (values: readonly Uint8Array[]): Uint8Array => {
  const out = new Uint8Array(values.length * 32);
  values.forEach((value, i) => out.set(value, i * 32));
  return out;
};

function refused(call: () => unknown): string {
  const error = thrown(call);
  expect(error).toBeInstanceOf(ValidationError);
  expect(error.code).toBe('invalid-own-set');
  return error.message;
}

describe('checkLoadedOwnSet', () => {
  it('accepts strictly ascending digests of the declared count, with or without labelOf', () => {
    expect(() => checkLoadedOwnSet({ digests: packed([d(1), d(1, 1), d(2)]) }, 3)).not.toThrow();
    expect(() => checkLoadedOwnSet({ digests: new Uint8Array(0), labelOf: () => undefined }, 0)).not.toThrow();
    expect(() => checkLoadedOwnSet({ digests: packed([d(0, 255)]) }, 1)).not.toThrow();
  });

  it.each<[string, unknown, number, string]>([
    ['nothing', undefined, 1, '"ownSet.load()" expected an object { digests }, got undefined'],
    ['null', null, 1, '"ownSet.load()" expected an object { digests }, got null'],
    ['digests of the wrong length', { digests: packed([d(1)]) }, 2, '"ownSet.load().digests" expected 2 packed 32-byte digests (64 bytes, "ownSet.size"), got length=32'],
    ['digests that are not bytes', { digests: [d(1)] }, 1, '"ownSet.load().digests" expected 1 packed 32-byte digests (32 bytes, "ownSet.size"), got array of length 1'],
    ['a repeated digest', { digests: packed([d(1), d(2), d(2)]) }, 3, '"ownSet.load().digests" expected strictly ascending distinct digests, but digest 2 repeats digest 1'],
    ['a digest out of order in its last byte', { digests: packed([d(1, 2), d(1, 1)]) }, 2, '"ownSet.load().digests" expected strictly ascending distinct digests, but digest 1 sorts before digest 0'],
    ['a labelOf that is not a function', { digests: packed([d(1)]), labelOf: {} }, 1, '"ownSet.load().labelOf" expected a function, got object'],
  ])('refuses %s', (_, loaded, size, message) => {
    expect(refused(() => checkLoadedOwnSet(loaded as never, size))).toBe(message);
  });
});

describe('ownSetFromDigests', () => {
  it.each<[string, unknown, unknown, string]>([
    ['elements that are not an array', d(1), undefined, '"elements" expected an array of 32-byte digests, got Uint8Array of length 32'],
    ['an element of 31 bytes', [d(1), new Uint8Array(31)], undefined, '"elements[1]" expected Uint8Array of length 32, got length=31'],
    ['an element that is a string', ['x'], undefined, '"elements[0]" expected Uint8Array of length 32, got "x"'],
    ['labels not aligned', [d(1), d(2)], [undefined], '"labels" expected an array aligned with "elements" (length 2), got array of length 1'],
    ['labels not an array', [d(1)], 'label', '"labels" expected an array aligned with "elements" (length 1), got "label"'],
  ])('refuses %s', (_, elements, labels, message) => {
    expect(refused(() => ownSetFromDigests(elements as Uint8Array[], labels as undefined))).toBe(message);
  });

  it('keeps each distinct digest once, ascending, and passes its own check', () => {
    const set = ownSetFromDigests([d(3), d(1, 1), d(3), d(1), d(1, 1)]);
    expect(set.size).toBe(3);
    const loaded = set.load();
    expect(Buffer.from(loaded.digests)).toEqual(Buffer.from(packed([d(1), d(1, 1), d(3)])));
    expect(loaded.labelOf).toBeUndefined();
    expect(() => checkLoadedOwnSet(loaded, set.size)).not.toThrow();
  });

  it('labels follow their digests through the sort', () => {
    const set = ownSetFromDigests([d(9), d(4), d(6)], [{ reason: 'nine' }, undefined, { category: 'six' }]);
    const loaded = set.load();
    expect([0, 1, 2].map((i) => loaded.labelOf!(i))).toEqual([undefined, { category: 'six' }, { reason: 'nine' }]);
  });

  it('an empty list is an empty set', () => {
    const set = ownSetFromDigests([]);
    expect(set.size).toBe(0);
    expect(set.load().digests.length).toBe(0);
  });
});
