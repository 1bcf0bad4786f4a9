/** The WebAssembly multi-scalar multiplication (wasm/msm.c) against libsodium, RFC 9496 vectors and edge cases. */
import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import sodium from 'libsodium-wrappers-sumo';
import { ristretto255 } from '@noble/curves/ed25519.js';
import { CryptoError } from '@venn/errors';
import { generateProof, hashToGroupMany, ready, verifyProof } from '../src/index.js';
import { MsmBatch, multiScalarMult } from '../src/internal/msm.js';
import { MSM_WASM_BASE64, MSM_WASM_SHA256 } from '../src/internal/msm-wasm.js';
import { sha256 } from '@noble/hashes/sha2.js';
import { L, concatBytes, hex, loadVectors, scalarOf, unhex } from './vectors.js';

await ready();
await sodium.ready;

const vectors = loadVectors<{
  multiples_of_generator: { encodings: string[] };
  invalid_encodings: { reason: string; hex: string }[];
}>('rfc9496-ristretto255.json');
const encoder = new TextEncoder();
const DST = encoder.encode('HashToGroup-VENN-msm-test');
const multiples = vectors.multiples_of_generator.encodings;
const ZERO = new Uint8Array(32);
const G = unhex(multiples[1]!);

/** Reference: Σ k_i·P_i with libsodium's scalarmult and add (the identity encodes as zeros). */
function reference(scalars: Uint8Array[], points: Uint8Array): Uint8Array {
  let acc = ZERO;
  scalars.forEach((k, i) => {
    const P = points.subarray(i * 32, i * 32 + 32);
    let term = ZERO;
    // libsodium refuses to return the identity (k = 0), which we encode as zeros.
    if (k.some((b) => b !== 0)) term = sodium.crypto_scalarmult_ristretto255(k, P);
    acc = sodium.crypto_core_ristretto255_add(acc, term);
  });
  return acc;
}

function msmOf(scalars: Uint8Array[], points: Uint8Array, rejectIdentity = true): Uint8Array {
  const result = multiScalarMult(concatBytes(...scalars), points, rejectIdentity);
  if (!('sum' in result)) throw new Error(`point ${result.invalid} refused`);
  return result.sum;
}

const edgeScalars = [scalarOf(0), scalarOf(1), scalarOf(2), scalarOf(L - 1n), scalarOf(L - 2n), scalarOf((L - 1n) / 2n), scalarOf(2n ** 252n)];
/** Canonical scalars: uniformly reduced 64-byte strings, or an edge case. */
const scalarArb = fc.oneof(
  { weight: 4, arbitrary: fc.uint8Array({ minLength: 64, maxLength: 64 }).map((wide) => sodium.crypto_core_ristretto255_scalar_reduce(wide)) },
  { weight: 1, arbitrary: fc.constantFrom(...edgeScalars) },
);
const pointsArb = (min: number, max: number) =>
  fc.array(fc.uint8Array({ maxLength: 16 }), { minLength: min, maxLength: max }).map((msgs) => hashToGroupMany(msgs, DST));

describe('generated module', () => {
  it('matches the SHA-256 recorded in its header', () => {
    expect(hex(sha256(Buffer.from(MSM_WASM_BASE64, 'base64')))).toBe(MSM_WASM_SHA256);
  });
});

describe('msm equals the libsodium sum of scalar multiplications', () => {
  it('for small random batches (including edge scalars and repeated points)', () => {
    fc.assert(
      fc.property(
        pointsArb(1, 12).chain((points) =>
          fc.tuple(
            fc.constant(points),
            fc.array(scalarArb, { minLength: points.length / 32, maxLength: points.length / 32 }),
            fc.array(fc.nat(points.length / 32 - 1), { maxLength: 3 }),
          ),
        ),
        ([points, scalars, repeats]) => {
          // Repeat some points (same input at several indices).
          const packed = points.slice();
          repeats.forEach((from, j) => packed.copyWithin(((from + j + 1) % (points.length / 32)) * 32, from * 32, from * 32 + 32));
          expect(hex(msmOf(scalars, packed))).toBe(hex(reference(scalars, packed)));
        },
      ),
      { numRuns: 300 },
    );
  });

  it.each([1, 2, 31, 200, 777, 2000])('for a batch of %i points', (n) => {
    const points = hashToGroupMany(Array.from({ length: n }, (_, i) => encoder.encode(`p${i}`)), DST);
    const scalars = Array.from({ length: n }, (_, i) =>
      sodium.crypto_core_ristretto255_scalar_reduce(concatBytes(sha256(encoder.encode(`k${i}`)), sha256(encoder.encode(`K${i}`)))),
    );
    expect(hex(msmOf(scalars, points))).toBe(hex(reference(scalars, points)));
  });

  it('unreduced 256-bit scalars still give k·P (k mod L)', () => {
    const P = hashToGroupMany([encoder.encode('unreduced')], DST);
    for (const k of [L, L + 1n, 2n ** 253n + 5n, 2n ** 255n, 2n ** 256n - 1n]) {
      expect(hex(msmOf([scalarOf(k)], P))).toBe(hex(reference([scalarOf(k % L)], P)));
    }
  });

  it('n = 1: k·P for edge scalars', () => {
    for (const k of edgeScalars) expect(hex(msmOf([k], G))).toBe(hex(reference([k], G)));
  });

  it('P and −P cancel to the identity (32 zero bytes)', () => {
    const P = hashToGroupMany([encoder.encode('x')], DST);
    const minusP = sodium.crypto_core_ristretto255_sub(ZERO, P);
    const k = scalarOf(123456789n);
    expect(hex(msmOf([k, k], concatBytes(P, minusP)))).toBe(hex(ZERO));
    // (L−1)·P + 1·P = L·P = identity.
    expect(hex(msmOf([scalarOf(L - 1n), scalarOf(1)], concatBytes(P, P)))).toBe(hex(ZERO));
    // All-zero scalars give the identity.
    expect(hex(msmOf([scalarOf(0), scalarOf(0)], concatBytes(P, G)))).toBe(hex(ZERO));
  });

  it('accepts the identity as an input only when not asked to reject it', () => {
    expect(hex(msmOf([scalarOf(5), scalarOf(7)], concatBytes(G, ZERO), false))).toBe(multiples[5]);
    expect(multiScalarMult(concatBytes(scalarOf(5), scalarOf(7)), concatBytes(G, ZERO), true)).toEqual({ invalid: 1 });
  });

  it('agrees with noble on a public multi-scalar product', () => {
    const points = hashToGroupMany([encoder.encode('a'), encoder.encode('b'), encoder.encode('c')], DST);
    const ks = [5n, L - 3n, 2n ** 200n + 17n];
    let expected = ristretto255.Point.ZERO;
    ks.forEach((k, i) => {
      expected = expected.add(ristretto255.Point.fromBytes(points.subarray(i * 32, i * 32 + 32)).multiply(k));
    });
    expect(hex(msmOf(ks.map(scalarOf), points))).toBe(hex(expected.toBytes()));
  });
});

describe('RFC 9496 Appendix A.1: multiples of the generator via msm with n = 1', () => {
  it.each(multiples.map((h, i) => [i, h] as const))('%i·B', (i, expected) => {
    expect(hex(msmOf([scalarOf(i)], G))).toBe(expected);
    // Decoding and re-encoding each vector is the identity map: 1·P = P (0·B is refused as input).
    if (i > 0) expect(hex(msmOf([scalarOf(1)], unhex(expected)))).toBe(expected);
  });
});

describe('RFC 9496 Appendix A.2: invalid encodings are refused at the right index', () => {
  it.each(vectors.invalid_encodings.map((v) => [v.reason, v.hex] as const))('%s: %s', (_reason, encoding) => {
    const bad = unhex(encoding);
    for (const at of [0, 3, 6]) {
      const points = [G, G, G, G, G, G, G];
      points[at] = bad;
      const packed = concatBytes(...points);
      const scalars = concatBytes(...points.map((_, i) => scalarOf(i + 1)));
      expect(multiScalarMult(scalars, packed, true)).toEqual({ invalid: at });
      expect(multiScalarMult(scalars, packed, false)).toEqual({ invalid: at });
      const batch = new MsmBatch(7, 1);
      expect(batch.decode(packed, undefined, true)).toBe(at);
    }
    // The identity before the bad point is refused first when identities are refused.
    const withIdentity = concatBytes(G, ZERO, bad);
    expect(multiScalarMult(concatBytes(scalarOf(1), scalarOf(1), scalarOf(1)), withIdentity, true)).toEqual({ invalid: 1 });
    expect(multiScalarMult(concatBytes(scalarOf(1), scalarOf(1), scalarOf(1)), withIdentity, false)).toEqual({ invalid: 2 });
  });

  it('refuses every non-canonical field encoding and negative s that libsodium refuses', () => {
    // s = p + e for small even/odd e, s with the top bit set, and odd (negative) s.
    const p = 2n ** 255n - 19n;
    const candidates = [p, p + 1n, p + 2n, p + 18n, 2n ** 255n - 1n, 1n, 3n, 2n ** 255n + 2n, 2n ** 256n - 2n];
    for (const value of candidates) {
      const bytes = scalarOf(value & (2n ** 256n - 1n));
      const refused = multiScalarMult(scalarOf(1), bytes, true);
      expect(refused).toEqual({ invalid: 0 });
      expect(sodium.crypto_core_ristretto255_is_valid_point(bytes)).toBe(false);
    }
  });

  it('decides validity exactly as libsodium on random and structured 32-byte strings', () => {
    fc.assert(
      fc.property(fc.uint8Array({ minLength: 32, maxLength: 32 }), fc.boolean(), (bytes, even) => {
        // Half the cases: clear the sign and top bits so more candidates reach the square-root test.
        if (even) {
          bytes[0]! &= 0xfe;
          bytes[31]! &= 0x7f;
        }
        const ours = multiScalarMult(scalarOf(1), bytes, true);
        const valid = bytes.some((b) => b !== 0) && sodium.crypto_core_ristretto255_is_valid_point(bytes);
        expect('sum' in ours).toBe(valid);
        if ('sum' in ours) expect(hex(ours.sum)).toBe(hex(bytes));
      }),
      { numRuns: 2000 },
    );
  });
});

describe('DLEQ composites keep their errors (first refused element in C_0, D_0, C_1, D_1, ... order)', () => {
  const context = encoder.encode('VENN-V1-msm-test');
  const proof = new Uint8Array(64);
  const bad = unhex(vectors.invalid_encodings[0]!.hex);
  const five = (at: number, point: Uint8Array): Uint8Array => {
    const points = [G, G, G, G, G];
    points[at] = point;
    return concatBytes(...points);
  };
  const refusal = (run: () => unknown): { code: string; message: string } => {
    try {
      run();
    } catch (error) {
      expect(error).toBeInstanceOf(CryptoError);
      return { code: (error as CryptoError).code, message: (error as Error).message };
    }
    throw new Error('expected a refusal');
  };

  it('verifyProof names the lower index, and C before D at the same index', () => {
    expect(refusal(() => verifyProof(G, G, five(3, bad), five(1, bad), proof, context)).message).toContain('"D[1]"');
    expect(refusal(() => verifyProof(G, G, five(1, bad), five(3, bad), proof, context)).message).toContain('"C[1]"');
    expect(refusal(() => verifyProof(G, G, five(2, bad), five(2, ZERO), proof, context)).message).toContain('"C[2]"');
    const identity = refusal(() => verifyProof(G, G, five(4, G), five(2, ZERO), proof, context));
    expect(identity).toMatchObject({ code: 'identity-element' });
    expect(identity.message).toContain('"D[2]"');
    expect(refusal(() => verifyProof(G, G, five(0, ZERO), five(4, bad), proof, context))).toMatchObject({ code: 'identity-element' });
    expect(refusal(() => verifyProof(G, G, five(4, bad), five(4, G), proof, context))).toMatchObject({ code: 'non-canonical-point' });
  });

  it('generateProof checks all of D before C', () => {
    const k = scalarOf(7);
    const rng = (n: number): Uint8Array => new Uint8Array(n).fill(3);
    expect(refusal(() => generateProof(k, G, G, five(0, bad), five(4, bad), context, rng)).message).toContain('"D[4]"');
    expect(refusal(() => generateProof(k, G, G, five(1, ZERO), five(4, G), context, rng))).toMatchObject({ code: 'identity-element' });
    expect(refusal(() => generateProof(k, G, G, five(1, ZERO), five(4, G), context, rng)).message).toContain('"C[1]"');
  });
});
