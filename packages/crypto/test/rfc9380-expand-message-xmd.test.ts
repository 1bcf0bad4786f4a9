import { beforeAll, describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { expand_message_xmd } from '@noble/curves/abstract/hash-to-curve.js';
import { sha512 } from '@noble/hashes/sha2.js';
import { ValidationError } from '@venn/errors';
import { expandMessageXmd, ready } from '../src/index.js';
import { hex, loadVectors } from './vectors.js';

interface Rfc9380 {
  DST: string;
  hash: string;
  name: string;
  tests: { msg: string; len_in_bytes: string; uniform_bytes: string }[];
}

const vectors = loadVectors<Rfc9380>('rfc9380-expand_message_xmd_SHA512_38.json');
const encoder = new TextEncoder();

beforeAll(async () => {
  await ready();
});

describe('RFC 9380 Appendix K.3: expand_message_xmd(SHA-512)', () => {
  it('vectors file carries provenance', () => {
    expect(vectors.source).toMatch(/RFC 9380/);
    expect(vectors.version).toBe(1);
    expect(vectors.hash).toBe('SHA512');
    expect(vectors.tests).toHaveLength(10);
  });

  it.each(vectors.tests.map((t) => [t.msg.length > 20 ? `${t.msg.slice(0, 20)}…` : t.msg, t] as const))(
    'msg=%j',
    (_label, t) => {
      const length = Number.parseInt(t.len_in_bytes, 16);
      const out = expandMessageXmd(encoder.encode(t.msg), encoder.encode(vectors.DST), length);
      expect(hex(out)).toBe(t.uniform_bytes);
    },
  );

  it('matches noble for long messages (streamed through the heap) and odd output lengths', () => {
    fc.assert(
      fc.property(
        fc.uint8Array({ minLength: 0, maxLength: 10_000 }),
        fc.uint8Array({ minLength: 1, maxLength: 255 }),
        fc.integer({ min: 1, max: 1000 }),
        (msg, dst, length) => {
          expect(hex(expandMessageXmd(msg, dst, length))).toBe(hex(expand_message_xmd(msg, dst, length, sha512)));
        },
      ),
      { numRuns: 200 },
    );
  });

  it('accepts the largest output (ell = 255)', () => {
    const dst = encoder.encode(vectors.DST);
    expect(hex(expandMessageXmd(new Uint8Array(3), dst, 255 * 64))).toBe(hex(expand_message_xmd(new Uint8Array(3), dst, 255 * 64, sha512)));
  });

  it.each([
    ['zero length', new Uint8Array(1), 'QUUX', 0],
    ['ell > 255', new Uint8Array(1), 'QUUX', 255 * 64 + 1],
    ['fractional length', new Uint8Array(1), 'QUUX', 32.5],
    ['NaN length', new Uint8Array(1), 'QUUX', Number.NaN],
    ['empty DST (RFC 9380 §3.1)', new Uint8Array(1), '', 32],
    ['DST over 255 bytes', new Uint8Array(1), 'x'.repeat(256), 32],
  ])('refuses %s', (_name, msg, dst, length) => {
    expect(() => expandMessageXmd(msg, encoder.encode(dst), length)).toThrow(ValidationError);
    expect(() => expandMessageXmd(msg, encoder.encode(dst), length)).toThrow(expect.objectContaining({ code: 'invalid-length' }));
  });
});
