/**
 * Boundary cases of the public API, each on both sides of its limit: DST and context-string
 * lengths (255 / 242 bytes accepted, one more refused), expand_message_xmd output length 1, the
 * rng's eight zero draws, the proof pair limit (65,536 pairs pass the count check, 65,537 do not),
 * sums across the 256-point chunk and to the identity, a forged proof whose commitments are the
 * identity, and keyed BLAKE2b at its key and output length limits.
 */
import { describe, expect, it } from 'vitest';
import sodium from 'libsodium-wrappers-sumo';
import { expand_message_xmd } from '@noble/curves/abstract/hash-to-curve.js';
import { ristretto255_hasher } from '@noble/curves/ed25519.js';
import { sha512 } from '@noble/hashes/sha2.js';
import { CryptoError, ValidationError } from '@venn/errors';
import {
  decodePoint,
  expandMessageXmd,
  generateProof,
  hashToGroup,
  hashToGroupMany,
  hashToScalar,
  keyedBlake2b,
  randomScalar,
  ready,
  scalarBaseMult,
  scalarMult,
  scalarMultPacked,
  sumPacked,
  validatePackedPoints,
  verifyProof,
} from '../src/index.js';
import { L, concatBytes, hex, refusal, scalarOf, scalarToBigint } from './vectors.js';

await ready();
await sodium.ready;

const encoder = new TextEncoder();
const G = scalarBaseMult(scalarOf(1));

describe('DST lengths (RFC 9380 §5.3.1): 255 bytes is the longest accepted', () => {
  const dst255 = Uint8Array.from({ length: 255 }, (_, i) => (i * 7 + 1) & 0xff);
  const msg = encoder.encode('abc');

  it('expandMessageXmd, hashToGroup, hashToGroupMany and hashToScalar accept 255 bytes and agree with noble', () => {
    expect(hex(expandMessageXmd(msg, dst255, 64))).toBe(hex(expand_message_xmd(msg, dst255, 64, sha512)));
    const element = hex(ristretto255_hasher.hashToCurve(msg, { DST: dst255 }).toBytes());
    expect(hex(hashToGroup(msg, dst255))).toBe(element);
    expect(hex(hashToGroupMany([msg, msg], dst255))).toBe(element + element);
    const wide = expand_message_xmd(msg, dst255, 64, sha512);
    expect(scalarToBigint(hashToScalar(msg, dst255))).toBe(scalarToBigint(wide) % L);
  });

  it('256 bytes are refused by every hash with invalid-length', () => {
    const dst256 = new Uint8Array(256).fill(1);
    for (const run of [
      () => expandMessageXmd(msg, dst256, 32),
      () => hashToGroup(msg, dst256),
      () => hashToGroupMany([msg], dst256),
      () => hashToScalar(msg, dst256),
    ]) {
      const { error, code, message } = refusal(run);
      expect(error).toBeInstanceOf(ValidationError);
      expect(code).toBe('invalid-length');
      expect(message).toContain('"dst"');
    }
  });

  it('a one-byte DST is accepted', () => {
    const dst = Uint8Array.of(0x41);
    expect(hex(expandMessageXmd(msg, dst, 32))).toBe(hex(expand_message_xmd(msg, dst, 32, sha512)));
  });
});

describe('expand_message_xmd output lengths', () => {
  const dst = encoder.encode('QUUX-V01-CS02-with-expander-SHA512-256');
  it.each([1, 2, 63, 64, 65, 255, 256, 257, 16_320])('%i bytes agree with noble', (length) => {
    const msg = encoder.encode('q128_' + 'q'.repeat(128));
    const out = expandMessageXmd(msg, dst, length);
    expect(out).toHaveLength(length);
    expect(hex(out)).toBe(hex(expand_message_xmd(msg, dst, length, sha512)));
  });

  it('messages of exactly one and two streaming blocks (4096, 8192 bytes) and one byte more', () => {
    for (const length of [4095, 4096, 4097, 8192, 8193]) {
      const msg = Uint8Array.from({ length }, (_, i) => (i * 13) & 0xff);
      expect(hex(expandMessageXmd(msg, dst, 48))).toBe(hex(expand_message_xmd(msg, dst, 48, sha512)));
    }
  });

  it.each([0, -1, 16_321, 1.5, Number.POSITIVE_INFINITY])('%s is refused with invalid-length', (length) => {
    const { error, code } = refusal(() => expandMessageXmd(new Uint8Array(1), dst, length));
    expect(error).toBeInstanceOf(ValidationError);
    expect(code).toBe('invalid-length');
  });
});

describe('randomScalar gives up after exactly eight zero draws', () => {
  const one = new Uint8Array(64);
  one[0] = 1;

  it('seven zero draws then a non-zero one: eight calls, the eighth draw used', () => {
    let calls = 0;
    const k = randomScalar(() => (++calls < 8 ? new Uint8Array(64) : one.slice()));
    expect(calls).toBe(8);
    expect(hex(k)).toBe(hex(scalarOf(1)));
  });

  it('eight zero draws: invalid-scalar after exactly eight calls, a ninth is never asked for', () => {
    let calls = 0;
    const { error, code, message } = refusal(() => randomScalar(() => (++calls <= 8 ? new Uint8Array(64) : one.slice())));
    expect(error).toBeInstanceOf(CryptoError);
    expect(code).toBe('invalid-scalar');
    expect(message).toContain('"rng"');
    expect(calls).toBe(8);
  });

  it('a draw equal to L (or 2L) reduces to zero and counts as a zero draw', () => {
    const wideOf = (value: bigint): Uint8Array => concatBytes(scalarOf(value), new Uint8Array(32));
    const draws = [wideOf(L), wideOf(2n * L), wideOf(L + 5n)];
    let calls = 0;
    const k = randomScalar(() => draws[calls++]!);
    expect(calls).toBe(3);
    expect(hex(k)).toBe(hex(scalarOf(5)));
  });

  it('an rng that is not a function is invalid-rng, naming the field', () => {
    const { error, code, message } = refusal(() => randomScalar(42 as unknown as (n: number) => Uint8Array));
    expect(error).toBeInstanceOf(ValidationError);
    expect(code).toBe('invalid-rng');
    expect(message).toContain('"rng"');
  });
});

describe('sumPacked', () => {
  it('Σ of 300 copies of G is 300·G (across the 256-point chunk)', () => {
    const points = concatBytes(...Array.from({ length: 300 }, () => G));
    expect(hex(sumPacked(points))).toBe(hex(scalarBaseMult(scalarOf(300))));
    expect(hex(sumPacked(points.subarray(0, 256 * 32)))).toBe(hex(scalarBaseMult(scalarOf(256))));
    expect(hex(sumPacked(points.subarray(0, 257 * 32)))).toBe(hex(scalarBaseMult(scalarOf(257))));
    expect(hex(sumPacked(G))).toBe(hex(G));
  });

  it('a sum that is the identity is refused with identity-element', () => {
    const P = scalarBaseMult(scalarOf(7));
    const minusP = scalarBaseMult(scalarOf(L - 7n));
    const { error, code, message } = refusal(() => sumPacked(concatBytes(P, minusP)));
    expect(error).toBeInstanceOf(CryptoError);
    expect(code).toBe('identity-element');
    expect(message).toContain('"points"');
    // One more term makes it non-identity again.
    expect(hex(sumPacked(concatBytes(P, minusP, G)))).toBe(hex(G));
  });

  it('a bad point past the first chunk is named by its index in the whole list', () => {
    const list = Array.from({ length: 300 }, () => G);
    list[299] = new Uint8Array(32);
    const identity = refusal(() => sumPacked(concatBytes(...list)));
    expect(identity.code).toBe('identity-element');
    expect(identity.message).toContain('"points[299]"');
    list[299] = G;
    list[256] = new Uint8Array(32).fill(0xff);
    const bad = refusal(() => sumPacked(concatBytes(...list)));
    expect(bad.error).toBeInstanceOf(CryptoError);
    expect(bad.code).toBe('non-canonical-point');
    expect(bad.message).toContain('"points[256]"');
  });
});

describe('validatePackedPoints', () => {
  it('accepts 0 and 257 points and names the chunk-crossing index of a bad one', () => {
    expect(() => validatePackedPoints(new Uint8Array(0), 'list')).not.toThrow();
    const list = Array.from({ length: 257 }, () => G);
    expect(() => validatePackedPoints(concatBytes(...list), 'list')).not.toThrow();
    list[256] = new Uint8Array(32);
    const { code, message } = refusal(() => validatePackedPoints(concatBytes(...list), 'list'));
    expect(code).toBe('identity-element');
    expect(message).toContain('"list[256]"');
  });
});

describe('scalarMultPacked around the batch boundaries', () => {
  it.each([0, 1, 2, 3, 257, 513])('%i copies of G times k equal k·G each', (n) => {
    const k = scalarOf(L - 2n);
    const expected = hex(scalarBaseMult(k));
    const out = scalarMultPacked(k, concatBytes(...Array.from({ length: n }, () => G)));
    expect(out).toHaveLength(32 * n);
    for (let i = 0; i < n; i++) expect(hex(out.subarray(32 * i, 32 * i + 32))).toBe(expected);
  });

  // The round lets the evaluation be chunk check 5 (SPEC §4.5): same code, same message, same index.
  it.each([
    ['one point (libsodium)', 1, 0],
    ['two points (batch module)', 2, 1],
    ['258 points, the bad one in the second call', 258, 257],
  ] as const)('with a field name, refuses %s exactly as validatePackedPoints does', (_label, n, at) => {
    for (const bad of [new Uint8Array(32).fill(0xff), new Uint8Array(32)]) {
      const list = Array.from({ length: n }, () => G);
      list[at] = bad;
      const points = concatBytes(...list);
      const checked = refusal(() => validatePackedPoints(points, 'BLINDED[4]'));
      const evaluated = refusal(() => scalarMultPacked(scalarOf(3), points, 'BLINDED[4]'));
      expect(evaluated.error).toBeInstanceOf(CryptoError);
      expect({ code: evaluated.code, message: evaluated.message }).toEqual({ code: checked.code, message: checked.message });
      expect(evaluated.message).toContain(`"BLINDED[4][${at}]"`);
    }
    expect(refusal(() => scalarMultPacked(scalarOf(3), new Uint8Array(33), 'BLINDED[4]')).message).toMatch(/^"BLINDED\[4\]" expected/);
  });

  it('a bad point right after a full 256-point call is named by its global index', () => {
    const list = Array.from({ length: 258 }, () => G);
    list[257] = new Uint8Array(32).fill(0xff);
    const { error, code, message } = refusal(() => scalarMultPacked(scalarOf(3), concatBytes(...list)));
    expect(error).toBeInstanceOf(CryptoError);
    expect(code).toBe('non-canonical-point');
    expect(message).toContain('"points[257]"');
    list[257] = G;
    list[0] = new Uint8Array(32);
    const first = refusal(() => scalarMultPacked(scalarOf(3), concatBytes(...list)));
    expect(first.code).toBe('identity-element');
    expect(first.message).toContain('"points[0]"');
  });
});

describe('proof context strings: 242 bytes is the longest ("HashToScalar-" || context fits 255)', () => {
  const k = scalarOf(9);
  const B = scalarBaseMult(k);
  const C = concatBytes(G, scalarBaseMult(scalarOf(4)));
  const D = scalarMultPacked(k, C);
  const rng = (): Uint8Array => concatBytes(scalarOf(12345), new Uint8Array(32));

  it('242 bytes prove and verify; the proof differs from one under a 241-byte prefix', () => {
    const context = Uint8Array.from({ length: 242 }, (_, i) => 0x20 + (i % 90));
    const proof = generateProof(k, G, B, C, D, context, rng);
    expect(verifyProof(G, B, C, D, proof, context)).toBe(true);
    const shorter = context.subarray(0, 241);
    expect(verifyProof(G, B, C, D, proof, shorter)).toBe(false);
    expect(verifyProof(G, B, C, D, generateProof(k, G, B, C, D, shorter, rng), shorter)).toBe(true);
  });

  it('243 bytes are refused by both with invalid-length naming contextString', () => {
    const context = new Uint8Array(243).fill(0x61);
    const proof = generateProof(k, G, B, C, D, encoder.encode('x'), rng);
    for (const run of [() => generateProof(k, G, B, C, D, context, rng), () => verifyProof(G, B, C, D, proof, context)]) {
      const { error, code, message } = refusal(run);
      expect(error).toBeInstanceOf(ValidationError);
      expect(code).toBe('invalid-length');
      expect(message).toContain('"contextString"');
    }
    // The refusal comes from the context-string check itself, which states the limit.
    expect(refusal(() => verifyProof(G, B, C, D, proof, context)).message).toContain('1..242');
    expect(refusal(() => generateProof(k, G, B, C, D, new Uint8Array(0), rng)).message).toContain('1..242');
  });
});

describe('proof pair count: 1..65,536', () => {
  const k = scalarOf(9);
  const B = scalarBaseMult(k);
  const proof = new Uint8Array(64);
  const context = encoder.encode('VENN-V1-pairs');
  const rng = (): Uint8Array => new Uint8Array(64).fill(2);

  it('65,537 pairs are refused by the count check (invalid-length naming C)', () => {
    const many = new Uint8Array(65_537 * 32);
    for (const run of [() => verifyProof(G, B, many, many, proof, context), () => generateProof(k, G, B, many, many, context, rng)]) {
      const { error, code, message } = refusal(run);
      expect(error).toBeInstanceOf(ValidationError);
      expect(code).toBe('invalid-length');
      expect(message).toContain('"C"');
    }
  });

  it('65,536 pairs pass the count check and reach the point checks', () => {
    const many = new Uint8Array(65_536 * 32);
    const verify = refusal(() => verifyProof(G, B, many, many, proof, context));
    expect(verify.error).toBeInstanceOf(CryptoError);
    expect(verify.code).toBe('identity-element');
    expect(verify.message).toContain('"C[0]"');
    const generate = refusal(() => generateProof(k, G, B, many, many, context, rng));
    expect(generate.error).toBeInstanceOf(CryptoError);
    expect(generate.code).toBe('identity-element');
    expect(generate.message).toContain('"D[0]"');
  });

  it('a D with a different count is refused naming D', () => {
    const { error, code, message } = refusal(() => verifyProof(G, B, concatBytes(G, G), G, proof, context));
    expect(error).toBeInstanceOf(ValidationError);
    expect(code).toBe('invalid-length');
    expect(message).toContain('"D"');
  });
});

describe('verifyProof on forged proofs whose commitments are the identity', () => {
  // A = B = G (k = 1) and D = C: with s = −c, t2 = s·A + c·B and t3 = s·M + c·Z are both the identity.
  const C = concatBytes(scalarBaseMult(scalarOf(3)), scalarBaseMult(scalarOf(11)));
  const context = encoder.encode('VENN-V1-forged');

  it.each([1n, 2n, L - 1n, 2n ** 200n + 3n])('c = %s, s = L − c does not verify', (c) => {
    const forged = concatBytes(scalarOf(c), scalarOf(L - c));
    expect(verifyProof(G, G, C, C, forged, context)).toBe(false);
  });

  it('the honest proof for the same statement (k = 1) verifies', () => {
    const proof = generateProof(scalarOf(1), G, G, C, C, context, () => new Uint8Array(64).fill(5));
    expect(verifyProof(G, G, C, C, proof, context)).toBe(true);
    // Only t2 is the identity: A = G, B = 2G (k = 2), s = −2c.
    const B = scalarBaseMult(scalarOf(2));
    const D = scalarMultPacked(scalarOf(2), C);
    const c = 77n;
    expect(verifyProof(G, B, C, D, concatBytes(scalarOf(c), scalarOf(L - 2n * c)), context)).toBe(false);
  });

  it('the largest canonical c and s (L − 1) are accepted as input; L is refused with invalid-scalar', () => {
    const top = concatBytes(scalarOf(L - 1n), scalarOf(L - 1n));
    expect(verifyProof(G, G, C, C, top, context)).toBe(false);
    for (const bad of [concatBytes(scalarOf(L), scalarOf(1)), concatBytes(scalarOf(1), scalarOf(L))]) {
      const { error, code } = refusal(() => verifyProof(G, G, C, C, bad, context));
      expect(error).toBeInstanceOf(CryptoError);
      expect(code).toBe('invalid-scalar');
    }
    const short = refusal(() => verifyProof(G, G, C, C, new Uint8Array(63), context));
    expect(short.error).toBeInstanceOf(ValidationError);
    expect(short.code).toBe('proof-length');
  });
});

describe('proofs verified in any order', () => {
  // The verifier computes both composites itself: nothing of the last proof generated or verified
  // (the heap's M and Z slots) may stand in for them.
  const context = encoder.encode('VENN-V1-order');
  const rng = (): Uint8Array => new Uint8Array(64).fill(9);
  const statement = (k: bigint, seeds: readonly bigint[]) => {
    const C = concatBytes(...seeds.map((seed) => scalarBaseMult(scalarOf(seed))));
    return { k: scalarOf(k), B: scalarBaseMult(scalarOf(k)), C, D: scalarMultPacked(scalarOf(k), C) };
  };

  it('a proof verifies after another statement\'s proof was generated, and only for its own statement', () => {
    const one = statement(5n, [3n, 7n, 12n]);
    const two = statement(6n, [4n, 8n]);
    const proofOne = generateProof(one.k, G, one.B, one.C, one.D, context, rng);
    const proofTwo = generateProof(two.k, G, two.B, two.C, two.D, context, rng);
    expect(verifyProof(G, one.B, one.C, one.D, proofOne, context)).toBe(true);
    expect(verifyProof(G, two.B, two.C, two.D, proofTwo, context)).toBe(true);
    expect(verifyProof(G, one.B, one.C, one.D, proofOne, context)).toBe(true);
    expect(verifyProof(G, one.B, one.C, one.D, proofTwo, context)).toBe(false);
    // The same statement with one evaluation changed, right after the honest one verified.
    const tampered = one.D.slice();
    tampered.set(scalarBaseMult(scalarOf(99n)), 32);
    expect(verifyProof(G, one.B, one.C, tampered, proofOne, context)).toBe(false);
  });
});

describe('generateProof with a base A other than G', () => {
  it('uses A itself when A merely starts like G (the generator shortcut compares every byte)', () => {
    // The first multiple of G after G whose encoding begins with G's first byte.
    let a = 2n;
    while (scalarBaseMult(scalarOf(a))[0] !== G[0]) a++;
    const A = scalarBaseMult(scalarOf(a));
    expect(hex(A)).not.toBe(hex(G));
    const k = scalarOf(13n);
    const C = concatBytes(scalarBaseMult(scalarOf(5n)), scalarBaseMult(scalarOf(8n)));
    const D = scalarMultPacked(k, C);
    const B = scalarMult(k, A);
    const context = encoder.encode('VENN-V1-base');
    const proof = generateProof(k, A, B, C, D, context, () => new Uint8Array(64).fill(3));
    expect(verifyProof(A, B, C, D, proof, context)).toBe(true);
    // Proved for A, so not for G and k·G.
    expect(verifyProof(G, scalarBaseMult(k), C, D, proof, context)).toBe(false);
  });
});

describe('decodePoint', () => {
  it('returns a copy: changing it leaves the input as it was', () => {
    const input = scalarBaseMult(scalarOf(7n));
    const before = hex(input);
    const decoded = decodePoint(input, 'P');
    expect(hex(decoded)).toBe(before);
    decoded.fill(0);
    expect(hex(input)).toBe(before);
  });
});

describe('secret scalars at the edges of the canonical range', () => {
  it.each([
    ['1', 1n],
    ['2^252', 2n ** 252n],
    ['2^252 − 1', 2n ** 252n - 1n],
    ['L − 1', L - 1n],
    ['2^252 + 2^100', 2n ** 252n + 2n ** 100n],
  ])('%s is accepted and gives the same point by every path', (_name, value) => {
    const k = scalarOf(value);
    const expected = hex(sodium.crypto_scalarmult_ristretto255_base(k));
    expect(hex(scalarBaseMult(k))).toBe(expected);
    expect(hex(scalarMult(k, G))).toBe(expected);
    expect(hex(scalarMultPacked(k, concatBytes(G, G)))).toBe(expected + expected);
  });

  it.each([
    ['L', L],
    ['L + 2^128', L + 2n ** 128n],
    ['2^252 + 2^128 (above L)', 2n ** 252n + 2n ** 128n],
    ['2^253', 2n ** 253n],
    ['2^255', 2n ** 255n],
    ['L with its low byte one higher', L + 1n],
    ['0', 0n],
  ])('%s is refused with invalid-scalar', (_name, value) => {
    const k = scalarOf(value);
    for (const run of [() => scalarBaseMult(k), () => scalarMult(k, G), () => scalarMultPacked(k, concatBytes(G, G))]) {
      const { error, code, message } = refusal(run);
      expect(error).toBeInstanceOf(CryptoError);
      expect(code).toBe('invalid-scalar');
      expect(message).toContain('"k"');
    }
  });
});

describe('keyedBlake2b at its limits', () => {
  const message = encoder.encode('venn transcript');
  it.each([
    [16, 16],
    [16, 64],
    [64, 16],
    [64, 64],
    [32, 33],
  ])('key %i bytes, output %i bytes: equals crypto_generichash', (keyLength, outLength) => {
    const key = Uint8Array.from({ length: keyLength }, (_, i) => i + 1);
    expect(hex(keyedBlake2b(key, message, outLength))).toBe(hex(sodium.crypto_generichash(outLength, message, key)));
    expect(hex(keyedBlake2b(key, new Uint8Array(0), outLength))).toBe(hex(sodium.crypto_generichash(outLength, new Uint8Array(0), key)));
  });

  it.each([
    [15, 32],
    [65, 32],
    [32, 15],
    [32, 65],
  ])('key %i bytes, output %i bytes: invalid-length', (keyLength, outLength) => {
    const { error, code, message: text } = refusal(() => keyedBlake2b(new Uint8Array(keyLength).fill(1), message, outLength));
    expect(error).toBeInstanceOf(ValidationError);
    expect(code).toBe('invalid-length');
    expect(text).toContain(keyLength === 32 ? '"outLength"' : '"key"');
  });
});
