/**
 * Two documented details with no test of their own: a repeated digest keeps the label of its first
 * occurrence (ownSetFromDigests), and the FINISH signature input refuses a size that does not fit
 * its 4 bytes (SPEC §8) instead of wrapping it.
 */
import { sha256 } from '@noble/hashes/sha2.js';
import { InternalError } from '@venn/errors';
import { describe, expect, it } from 'vitest';
import { ownSetFromDigests } from '../src/index.js';
import { finishSignatureInput } from '../src/internal/finish.js';

const digest = (text: string): Uint8Array => sha256(new TextEncoder().encode(text));

describe('ownSetFromDigests', () => {
  it('keeps each repeated digest once, with the label of its first occurrence', () => {
    const a = digest('a');
    const b = digest('b');
    const elements = [b, a, a, b, a, a, b];
    const labels = elements.map((_, i) => ({ reason: `at ${i}` }));
    const set = ownSetFromDigests(elements, labels);
    expect(set.size).toBe(2);
    const loaded = set.load();
    const order = Buffer.compare(Buffer.from(a), Buffer.from(b)) < 0 ? ['a', 'b'] : ['b', 'a'];
    const firstOf = { a: 'at 1', b: 'at 0' } as const;
    order.forEach((name, index) => {
      expect(Buffer.from(loaded.digests.subarray(index * 32, (index + 1) * 32))).toEqual(Buffer.from(name === 'a' ? a : b));
      expect(loaded.labelOf!(index)).toEqual({ reason: firstOf[name as 'a' | 'b'] });
    });
  });
});

describe('finishSignatureInput', () => {
  const roundId = new Uint8Array(32).fill(7);
  const hash = new Uint8Array(64).fill(9);

  it('encodes sizes up to 2^32 − 1 in the last 4 bytes, big-endian', () => {
    const input = finishSignatureInput('initiator', roundId, hash, 0xffff_ffff);
    expect(Buffer.from(input.subarray(-4)).toString('hex')).toBe('ffffffff');
    expect(Buffer.from(finishSignatureInput('responder', roundId, hash, 258).subarray(-4)).toString('hex')).toBe('00000102');
  });

  it.each([2 ** 32, -1, 1.5])('refuses size %d instead of wrapping it', (size) => {
    expect(() => finishSignatureInput('initiator', roundId, hash, size)).toThrow(InternalError);
    expect(() => finishSignatureInput('initiator', roundId, hash, size)).toThrow(`FINISH size ${size} does not fit I2OSP(size, 4)`);
  });
});
