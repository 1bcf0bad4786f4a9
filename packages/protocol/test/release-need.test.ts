/**
 * SPEC §4.4 need_X(a): the argument checks of releaseNeed, by code and exact text, and the
 * largest counts it accepts. (release-rule.test.ts covers the rule itself and the engine.)
 */
import { InternalError } from '@venn/errors';
import { releaseNeed } from '@venn/protocol';
import { MAX_POINT_CHUNKS } from '@venn/wire';
import { describe, expect, it } from 'vitest';
import { thrown } from './harness.js';

describe('releaseNeed argument checks', () => {
  it('MAX_POINT_CHUNKS is 256', () => {
    expect(MAX_POINT_CHUNKS).toBe(256);
  });

  it.each<[string, number, number, number, string, string]>([
    ['own chunks past the largest list', 257, 2, 0, 'invalid-chunk-count', '"ownChunks" expected an integer in 0..256, got 257'],
    ['negative own chunks', -1, 2, 0, 'invalid-chunk-count', '"ownChunks" expected an integer in 0..256, got -1'],
    ['fractional own chunks', 1.5, 2, 0, 'invalid-chunk-count', '"ownChunks" expected an integer in 0..256, got 1.5'],
    ['own chunks NaN', Number.NaN, 2, 0, 'invalid-chunk-count', '"ownChunks" expected an integer in 0..256, got NaN'],
    ['peer chunks past the largest list', 2, 257, 0, 'invalid-chunk-count', '"peerChunks" expected an integer in 0..256, got 257'],
    ['negative peer chunks', 2, -1, 0, 'invalid-chunk-count', '"peerChunks" expected an integer in 0..256, got -1'],
    ['infinite peer chunks', 2, Number.POSITIVE_INFINITY, 0, 'invalid-chunk-count', '"peerChunks" expected an integer in 0..256, got Infinity'],
    ['a chunk beyond the peer list', 2, 2, 2, 'invalid-chunk', '"index" expected an integer in 0..1, got 2'],
    ['a negative chunk', 2, 2, -1, 'invalid-chunk', '"index" expected an integer in 0..1, got -1'],
    ['any chunk of an empty peer list', 2, 0, 0, 'invalid-chunk', '"index" expected an integer in 0..-1, got 0'],
  ])('refuses %s', (_, own, peer, index, code, message) => {
    const error = thrown(() => releaseNeed(own, peer, index));
    expect(error).toBeInstanceOf(InternalError);
    expect(error.code).toBe(code);
    expect(error.message).toBe(message);
  });

  it('accepts 256 chunks on either side, and none of its own', () => {
    expect(releaseNeed(256, 256, 255)).toBe(255);
    expect(releaseNeed(256, 1, 0)).toBe(255);
    expect(releaseNeed(1, 256, 0)).toBe(0);
    expect(releaseNeed(0, 256, 255)).toBe(-1);
    expect(releaseNeed(3, 2, 0)).toBe(1);
  });
});
