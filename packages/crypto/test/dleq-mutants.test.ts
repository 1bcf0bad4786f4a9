/**
 * Batched DLEQ proofs (src/dleq.ts) pinned where the RFC vectors and the round-trip properties
 * leave room:
 * - generateProof equals an independent RFC 9497 §2.2.1 implementation written here on noble
 *   (composite seed, transcripts, weights, challenge) byte for byte, for 1 to 257 pairs, so a
 *   change to a transcript byte cannot hide behind generate and verify agreeing with each other;
 * - verifyProof accepts those reference proofs and recomputes M and Z itself on every call, so a
 *   stale composite left in the heap by the previous proof never stands in;
 * - pair counts (0 pairs is refused) and the first refused element in C_0, D_0, C_1, … order;
 * - identity composites and identity commitments: a forgery whose commitments are both the
 *   identity and whose challenge matches its own transcript is refused with the real hash; the
 *   cases the hash makes unreachable (M or Z the identity, only one commitment the identity,
 *   libsodium reporting an identity result) are reached by programming libsodium's module object
 *   the way sodium-heap.test.ts observes its allocator (vi.spyOn on the object `lib()` returns),
 *   and a refusal of the multi-scalar multiplication by wrapping it (vi.mock).
 */
import { afterEach, describe, expect, it, vi } from 'vitest';
import sodium from 'libsodium-wrappers-sumo';
import { ristretto255 } from '@noble/curves/ed25519.js';
import { expand_message_xmd } from '@noble/curves/abstract/hash-to-curve.js';
import { sha512 } from '@noble/hashes/sha2.js';
import { CryptoError, InternalError, ValidationError } from '@venn/errors';
import { MAX_PROOF_PAIRS, generateProof, ready, verifyProof } from '../src/index.js';
import * as msm from '../src/internal/msm.js';
import { slots } from '../src/internal/sodium.js';
import type { SodiumModule } from '../src/internal/sodium.js';
import { L, concatBytes, fixedNonce, hex, refusal, scalarOf, scalarToBigint } from './vectors.js';

// The verifier's linear combinations go through multiScalarMult; wrapped (calling the real one) so
// that one test can make it refuse a point, which the verifier's own checks make unreachable.
vi.mock('../src/internal/msm.js', async (importOriginal) => {
  const real = await importOriginal<typeof import('../src/internal/msm.js')>();
  return { ...real, multiScalarMult: vi.fn(real.multiScalarMult) };
});

await ready();
await sodium.ready;

const Point = ristretto255.Point;
type P = InstanceType<typeof Point>;
const raw = (sodium as unknown as { libsodium: SodiumModule }).libsodium;
const encoder = new TextEncoder();
const mod = (value: bigint): bigint => ((value % L) + L) % L;
const i2osp2 = (n: number): Uint8Array => Uint8Array.of(n >>> 8, n & 0xff);
const G = Point.BASE.toBytes();
const ZERO = new Uint8Array(32);
const NON_CANONICAL = new Uint8Array(32).fill(0xff);

afterEach(() => {
  vi.restoreAllMocks();
});

// ---------------------------------------------------------------------------------------------
// Reference: RFC 9497 §2.2.1 GenerateProof with ComputeCompositesFast, on noble and @noble/hashes.

/** HashToScalar (RFC 9497 §4.1, ristretto255-SHA512): expand_message_xmd to 64 bytes, LE, mod L. */
function hashToScalarRef(msg: Uint8Array, context: Uint8Array): bigint {
  const dst = concatBytes(encoder.encode('HashToScalar-'), context);
  return scalarToBigint(expand_message_xmd(msg, dst, 64, sha512)) % L;
}

function compositeWeights(B: Uint8Array, C: Uint8Array, D: Uint8Array, context: Uint8Array): bigint[] {
  const seedDst = concatBytes(encoder.encode('Seed-'), context);
  const seed = sha512(concatBytes(i2osp2(B.length), B, i2osp2(seedDst.length), seedDst));
  const weights: bigint[] = [];
  for (let i = 0; i < C.length / 32; i++) {
    const Ci = C.subarray(32 * i, 32 * i + 32);
    const Di = D.subarray(32 * i, 32 * i + 32);
    const transcript = concatBytes(i2osp2(seed.length), seed, i2osp2(i), i2osp2(32), Ci, i2osp2(32), Di, encoder.encode('Composite'));
    weights.push(hashToScalarRef(transcript, context));
  }
  return weights;
}

function combine(points: Uint8Array, weights: readonly bigint[]): P {
  let sum = Point.ZERO;
  weights.forEach((d, i) => {
    sum = sum.add(Point.fromBytes(points.subarray(32 * i, 32 * i + 32)).multiplyUnsafe(d));
  });
  return sum;
}

/** Encoding as the package writes it into transcripts: the identity as 32 zero bytes. */
const enc = (point: P): Uint8Array => (point.equals(Point.ZERO) ? new Uint8Array(32) : point.toBytes());

function challengeRef(B: Uint8Array, M: P, Z: P, t2: P, t3: P, context: Uint8Array): bigint {
  const parts = [B, enc(M), enc(Z), enc(t2), enc(t3)].flatMap((x) => [i2osp2(32), x]);
  return hashToScalarRef(concatBytes(...parts, encoder.encode('Challenge')), context);
}

function referenceProof(k: bigint, A: Uint8Array, B: Uint8Array, C: Uint8Array, D: Uint8Array, context: Uint8Array, r: bigint): Uint8Array {
  const M = combine(C, compositeWeights(B, C, D, context));
  const Z = M.multiply(k);
  const t2 = Point.fromBytes(A).multiply(r);
  const t3 = M.multiply(r);
  const c = challengeRef(B, M, Z, t2, t3, context);
  return concatBytes(scalarOf(c), scalarOf(mod(r - c * k)));
}

/** A true statement D_i = k·C_i, B = k·A with C_i = c_i·G (c_i from `seed`), built with noble. */
function statement(k: bigint, m: number, seed: number, a = 1n) {
  const C = concatBytes(...Array.from({ length: m }, (_, i) => Point.BASE.multiply(mod(BigInt(seed) * 7919n + BigInt(i) * 104729n + 3n)).toBytes()));
  const D = concatBytes(...Array.from({ length: m }, (_, i) => Point.fromBytes(C.subarray(32 * i, 32 * i + 32)).multiply(k).toBytes()));
  const A = Point.BASE.multiply(a).toBytes();
  const B = Point.fromBytes(A).multiply(k).toBytes();
  return { k, K: scalarOf(k), A, B, C, D };
}

const CONTEXT = encoder.encode('VENN-V1-dleq-mutants');

// ---------------------------------------------------------------------------------------------

describe('generateProof equals the noble reference byte for byte', () => {
  it.each([
    [1, 1n],
    [2, 1n],
    [3, 5n],
    [256, 1n],
    [257, 1n],
  ])('%i pairs, A = %s·G', (m, a) => {
    const k = mod(0x1234_5678_9abc_def0n * BigInt(m) + 17n);
    const st = statement(k, m, m, a);
    const r = mod(0xfeed_beef_cafe_f00dn * 31n + BigInt(m));
    const proof = generateProof(st.K, st.A, st.B, st.C, st.D, CONTEXT, fixedNonce(scalarOf(r)));
    expect(hex(proof)).toBe(hex(referenceProof(k, st.A, st.B, st.C, st.D, CONTEXT, r)));
    expect(verifyProof(st.A, st.B, st.C, st.D, proof, CONTEXT)).toBe(true);
  });

  it('with a one-byte and a 242-byte context string (the DST bounds), still byte for byte', () => {
    const st = statement(99n, 2, 4);
    const r = 123_456_789n;
    for (const context of [Uint8Array.of(0x56), Uint8Array.from({ length: 242 }, (_, i) => (i * 29 + 3) & 0xff)]) {
      const proof = generateProof(st.K, st.A, st.B, st.C, st.D, context, fixedNonce(scalarOf(r)));
      expect(hex(proof)).toBe(hex(referenceProof(99n, st.A, st.B, st.C, st.D, context, r)));
    }
  });

  it('D enters the composite transcript: the same C with another D gives another proof, as the reference says', () => {
    // generateProof does not check D_i = k·C_i (the verifier does), but each D_i is hashed into d_i.
    const st = statement(41n, 3, 6);
    const otherD = statement(42n, 3, 6).D;
    const r = 777n;
    const proof = generateProof(st.K, st.A, st.B, st.C, otherD, CONTEXT, fixedNonce(scalarOf(r)));
    expect(hex(proof)).toBe(hex(referenceProof(41n, st.A, st.B, st.C, otherD, CONTEXT, r)));
    expect(hex(proof)).not.toBe(hex(referenceProof(41n, st.A, st.B, st.C, st.D, CONTEXT, r)));
  });
});

describe('verifyProof on reference proofs, in any order', () => {
  it('accepts reference proofs of 1, 2 and 257 pairs and refuses them for any other statement', () => {
    const statements = [statement(5n, 1, 10), statement(6n, 2, 20), statement(7n, 257, 30, 3n)];
    const proofs = statements.map((st, j) => referenceProof(st.k, st.A, st.B, st.C, st.D, CONTEXT, 1000n + BigInt(j)));
    statements.forEach((st, j) => {
      expect(verifyProof(st.A, st.B, st.C, st.D, proofs[j]!, CONTEXT)).toBe(true);
      const other = proofs[(j + 1) % proofs.length]!;
      expect(verifyProof(st.A, st.B, st.C, st.D, other, CONTEXT)).toBe(false);
    });
  });

  it('a proof verifies right after another statement\'s proof was generated (no composite is reused from the heap)', () => {
    const x = statement(11n, 3, 40);
    const y = statement(12n, 3, 50);
    const proofY = referenceProof(y.k, y.A, y.B, y.C, y.D, CONTEXT, 4242n);
    // Generating for x leaves M_x and Z_x = k_x·M_x in the heap's accumulator slots.
    const proofX = generateProof(x.K, x.A, x.B, x.C, x.D, CONTEXT, fixedNonce(scalarOf(99n)));
    expect(verifyProof(y.A, y.B, y.C, y.D, proofY, CONTEXT)).toBe(true);
    expect(verifyProof(x.A, x.B, x.C, x.D, proofX, CONTEXT)).toBe(true);
    // And y again after x was verified, then x's proof against y's statement.
    expect(verifyProof(y.A, y.B, y.C, y.D, proofY, CONTEXT)).toBe(true);
    expect(verifyProof(y.A, y.B, y.C, y.D, proofX, CONTEXT)).toBe(false);
  });

  it('a false statement (one D_i from another key) does not verify even with an otherwise honest proof', () => {
    const st = statement(13n, 4, 60);
    const D = st.D.slice();
    D.set(Point.fromBytes(st.C.subarray(64, 96)).multiply(14n).toBytes(), 64);
    const proof = referenceProof(13n, st.A, st.B, st.C, D, CONTEXT, 31337n);
    expect(verifyProof(st.A, st.B, st.C, D, proof, CONTEXT)).toBe(false);
  });
});

describe('pair counts', () => {
  const st = statement(3n, 1, 70);
  const proof = referenceProof(3n, st.A, st.B, st.C, st.D, CONTEXT, 5n);

  it('zero pairs are refused by both with invalid-length naming C and the range', () => {
    const empty = new Uint8Array(0);
    for (const run of [
      () => verifyProof(st.A, st.B, empty, empty, proof, CONTEXT),
      () => generateProof(st.K, st.A, st.B, empty, empty, CONTEXT, fixedNonce(scalarOf(5n))),
    ]) {
      const { error, code, message } = refusal(run);
      expect(error).toBeInstanceOf(ValidationError);
      expect(code).toBe('invalid-length');
      expect(message).toBe(`"C" expected 1..${MAX_PROOF_PAIRS} packed points, got 0`);
    }
  });

  it('unequal counts name D and both counts', () => {
    const { error, code, message } = refusal(() => verifyProof(st.A, st.B, concatBytes(st.C, st.C), st.D, proof, CONTEXT));
    expect(error).toBeInstanceOf(ValidationError);
    expect(code).toBe('invalid-length');
    expect(message).toBe('"D" expected 2 packed points to match "C", got 1');
  });
});

describe('the first refused element in C_0, D_0, C_1, D_1, … order', () => {
  const st = statement(9n, 5, 80);
  const proof = referenceProof(9n, st.A, st.B, st.C, st.D, CONTEXT, 6n);
  const withAt = (packed: Uint8Array, at: number, point: Uint8Array): Uint8Array => {
    const copy = packed.slice();
    copy.set(point, 32 * at);
    return copy;
  };
  const verifyRefusal = (C: Uint8Array, D: Uint8Array) => {
    const result = refusal(() => verifyProof(st.A, st.B, C, D, proof, CONTEXT));
    expect(result.error).toBeInstanceOf(CryptoError);
    return { code: result.code, message: result.message };
  };

  it('verifyProof: only D_0 bad is refused naming D[0] (with its own code)', () => {
    expect(verifyRefusal(st.C, withAt(st.D, 0, NON_CANONICAL))).toEqual({
      code: 'non-canonical-point',
      message: '"D[0]" expected a canonical ristretto255 encoding (RFC 9496 §4.3.1), got bytes that do not decode',
    });
    expect(verifyRefusal(st.C, withAt(st.D, 0, ZERO))).toEqual({
      code: 'identity-element',
      message: '"D[0]" expected a non-identity ristretto255 element, got the identity',
    });
  });

  it('verifyProof: D_0 bad wins over a later bad C_3; C_0 wins over D_0', () => {
    expect(verifyRefusal(withAt(st.C, 3, NON_CANONICAL), withAt(st.D, 0, ZERO))).toMatchObject({ code: 'identity-element', message: expect.stringContaining('"D[0]"') });
    expect(verifyRefusal(withAt(st.C, 0, ZERO), withAt(st.D, 0, NON_CANONICAL))).toMatchObject({ code: 'identity-element', message: expect.stringContaining('"C[0]"') });
    expect(verifyRefusal(withAt(st.C, 1, NON_CANONICAL), withAt(st.D, 2, ZERO))).toMatchObject({ code: 'non-canonical-point', message: expect.stringContaining('"C[1]"') });
    expect(verifyRefusal(withAt(st.C, 4, ZERO), withAt(st.D, 4, ZERO))).toMatchObject({ message: expect.stringContaining('"C[4]"') });
  });

  it('verifyProof: only the last C or the last D bad', () => {
    expect(verifyRefusal(withAt(st.C, 4, NON_CANONICAL), st.D)).toMatchObject({ code: 'non-canonical-point', message: expect.stringContaining('"C[4]"') });
    expect(verifyRefusal(st.C, withAt(st.D, 4, NON_CANONICAL))).toMatchObject({ code: 'non-canonical-point', message: expect.stringContaining('"D[4]"') });
  });

  it('generateProof: only D_0 bad (C all valid) is refused naming D[0]; a bad C is named when D is fine', () => {
    const rng = fixedNonce(scalarOf(8n));
    for (const [bad, code] of [[NON_CANONICAL, 'non-canonical-point'], [ZERO, 'identity-element']] as const) {
      const generated = refusal(() => generateProof(st.K, st.A, st.B, st.C, withAt(st.D, 0, bad), CONTEXT, rng));
      expect(generated.error).toBeInstanceOf(CryptoError);
      expect({ code: generated.code, message: generated.message }).toMatchObject({ code, message: expect.stringContaining('"D[0]"') });
      const badC = refusal(() => generateProof(st.K, st.A, st.B, withAt(st.C, 0, bad), st.D, CONTEXT, rng));
      expect({ code: badC.code, message: badC.message }).toMatchObject({ code, message: expect.stringContaining('"C[0]"') });
      // Past index 0 the error still inspects the refused element's own bytes (its code tells which kind).
      const lastD = refusal(() => generateProof(st.K, st.A, st.B, st.C, withAt(st.D, 4, bad), CONTEXT, rng));
      expect({ code: lastD.code, message: lastD.message }).toMatchObject({ code, message: expect.stringContaining('"D[4]"') });
      const laterC = refusal(() => generateProof(st.K, st.A, st.B, withAt(st.C, 3, bad), st.D, CONTEXT, rng));
      expect({ code: laterC.code, message: laterC.message }).toMatchObject({ code, message: expect.stringContaining('"C[3]"') });
    }
  });
});

describe('a forgery whose commitments t2 and t3 are both the identity is refused (real hash)', () => {
  it('c = H(B, M, Z, 0, 0) and s = −k·c: the challenge matches its transcript, yet the proof fails', () => {
    // With B = k·A and D = k·C, s = −k·c makes t2 = s·A + c·B and t3 = s·M + c·Z both the identity,
    // whatever c is, so c can be chosen as the hash of that very transcript.
    const k = 3n;
    const st = statement(k, 2, 90);
    const M = combine(st.C, compositeWeights(st.B, st.C, st.D, CONTEXT));
    const Z = combine(st.D, compositeWeights(st.B, st.C, st.D, CONTEXT));
    expect(Z.equals(M.multiply(k))).toBe(true);
    const c = challengeRef(st.B, M, Z, Point.ZERO, Point.ZERO, CONTEXT);
    const forged = concatBytes(scalarOf(c), scalarOf(mod(-k * c)));
    expect(verifyProof(st.A, st.B, st.C, st.D, forged, CONTEXT)).toBe(false);
    // The honest proof of the same statement verifies (the refusal is about the identity).
    expect(verifyProof(st.A, st.B, st.C, st.D, referenceProof(k, st.A, st.B, st.C, st.D, CONTEXT, 55n), CONTEXT)).toBe(true);
  });
});

describe('identity composites and commitments the hash cannot produce, programmed through libsodium', () => {
  /**
   * Makes every HashToScalar into the weight slot (the composite weights d_i and, in verifyProof,
   * the recomputed challenge) return the scalar `value`: scalar_reduce of libsodium's module
   * object is what hashToScalarInto calls last.
   */
  function programWeights(value: bigint): void {
    const real = raw._crypto_core_ristretto255_scalar_reduce;
    const weightSlot = slots().weight;
    vi.spyOn(raw, '_crypto_core_ristretto255_scalar_reduce').mockImplementation((out: number, wide: number) => {
      real(out, wide);
      if (out === weightSlot) raw.HEAPU8.set(scalarOf(value), out);
    });
  }

  /** Makes libsodium's scalarmult (or its fixed-base form) report an identity result for output slot `slot`. */
  function identityResultAt(which: '_crypto_scalarmult_ristretto255' | '_crypto_scalarmult_ristretto255_base', slot: number): void {
    const real = raw[which] as (...args: number[]) => number;
    vi.spyOn(raw, which).mockImplementation((...args: number[]) => {
      const status = real(...args);
      return args[0] === slot ? -1 : status;
    });
  }

  const P1 = Point.BASE.multiply(1001n);
  const P2 = Point.BASE.multiply(2002n);
  const P3 = Point.BASE.multiply(3003n);
  const packed = (...points: P[]): Uint8Array => concatBytes(...points.map((p) => p.toBytes()));
  /** A proof (c = 1, s = r − k) that verifies when every weight and the challenge are programmed to 1. */
  const programmedProof = (k: bigint, r: bigint): Uint8Array => concatBytes(scalarOf(1n), scalarOf(mod(r - k)));

  it('control: with weights and challenge programmed to 1, the programmed proof of a true statement verifies', () => {
    programWeights(1n);
    const k = 4n;
    const C = packed(P1, P2);
    const D = packed(P1.multiply(k), P2.multiply(k));
    expect(verifyProof(G, Point.BASE.multiply(k).toBytes(), C, D, programmedProof(k, 10n), CONTEXT)).toBe(true);
    // The programmed hash answers 1, so any c other than 1 fails the final comparison.
    expect(verifyProof(G, Point.BASE.multiply(k).toBytes(), C, D, concatBytes(scalarOf(2n), scalarOf(mod(10n - 2n * k))), CONTEXT)).toBe(false);
  });

  it('verifyProof returns false (does not throw) when only M = Σ d_i·C_i is the identity', () => {
    programWeights(1n);
    const k = 4n;
    // d = (1, 1): M = P1 − P1 = identity while Z = k·P1 + P2 is not.
    const C = packed(P1, P1.negate());
    const D = packed(P1.multiply(k), P2);
    expect(verifyProof(G, Point.BASE.multiply(k).toBytes(), C, D, programmedProof(k, 10n), CONTEXT)).toBe(false);
  });

  it('verifyProof returns false (does not throw) when only Z = Σ d_i·D_i is the identity', () => {
    programWeights(1n);
    const k = 4n;
    const C = packed(P1, P2);
    const D = packed(P3, P3.negate());
    expect(verifyProof(G, Point.BASE.multiply(k).toBytes(), C, D, programmedProof(k, 10n), CONTEXT)).toBe(false);
  });

  it('verifyProof returns false when only t2 is the identity, although the programmed challenge matches', () => {
    programWeights(1n);
    // A = G, B = 2·G, c = 1, s = −2: t2 = −2·G + 2·G = identity; D = 3·C makes t3 = −2·M + 3·M = M.
    const C = packed(P1, P2);
    const D = packed(P1.multiply(3n), P2.multiply(3n));
    const proof = concatBytes(scalarOf(1n), scalarOf(mod(-2n)));
    expect(verifyProof(G, Point.BASE.multiply(2n).toBytes(), C, D, proof, CONTEXT)).toBe(false);
  });

  it('verifyProof returns false when only t3 is the identity, although the programmed challenge matches', () => {
    programWeights(1n);
    // B = 3·G, D = 2·C, c = 1, s = −2: t2 = −2·G + 3·G = G; t3 = −2·M + 2·M = identity.
    const C = packed(P1, P2);
    const D = packed(P1.multiply(2n), P2.multiply(2n));
    const proof = concatBytes(scalarOf(1n), scalarOf(mod(-2n)));
    expect(verifyProof(G, Point.BASE.multiply(3n).toBytes(), C, D, proof, CONTEXT)).toBe(false);
  });

  const expectSecretsWiped = (): void => {
    const s = slots();
    for (const slot of [s.scalar, s.nonce, s.product]) expect(raw.HEAPU8.subarray(slot, slot + 32).every((b) => b === 0)).toBe(true);
  };
  const st = statement(21n, 2, 100, 6n);
  const rng = fixedNonce(scalarOf(424242n));

  it('generateProof refuses a composite M that is the identity, naming C, and wipes k', () => {
    programWeights(0n);
    const { error, code, message } = refusal(() => generateProof(st.K, G, Point.BASE.multiply(21n).toBytes(), st.C, st.D, CONTEXT, rng));
    expect(error).toBeInstanceOf(CryptoError);
    expect({ code, message }).toEqual({ code: 'identity-element', message: '"C": the composite element M is the identity' });
    expectSecretsWiped();
  });

  it.each([
    ['t3 = r·M', 'A ≠ G', '_crypto_scalarmult_ristretto255', 't3'],
    ['t2 = r·A', 'A ≠ G', '_crypto_scalarmult_ristretto255', 't2'],
    ['t2 = r·G', 'A = G (fixed-base path)', '_crypto_scalarmult_ristretto255_base', 't2'],
  ] as const)('generateProof refuses an identity %s reported by libsodium (%s) and wipes k and r', (_what, _base, which, slot) => {
    identityResultAt(which, slots()[slot]);
    const A = _base.startsWith('A = G') ? G : st.A;
    const B = Point.fromBytes(A).multiply(21n).toBytes();
    const { error, code, message } = refusal(() => generateProof(st.K, A, B, st.C, st.D, CONTEXT, rng));
    expect(error).toBeInstanceOf(CryptoError);
    expect({ code, message }).toEqual({ code: 'identity-element', message: 'proof commitment is the identity for a non-zero nonce' });
    expectSecretsWiped();
    // Without the programmed result the same call succeeds and matches the reference.
    vi.restoreAllMocks();
    expect(hex(generateProof(st.K, A, B, st.C, st.D, CONTEXT, rng))).toBe(hex(referenceProof(21n, A, B, st.C, st.D, CONTEXT, 424242n)));
  });
});

describe('a refusal of the verifier\'s linear combination (unreachable: every point was checked) is an InternalError', () => {
  it('names the refused point; without the programmed refusal the same proof verifies', () => {
    const st = statement(17n, 2, 110);
    const proof = referenceProof(17n, st.A, st.B, st.C, st.D, CONTEXT, 2024n);
    vi.mocked(msm.multiScalarMult).mockReturnValueOnce({ invalid: 1 });
    const { error, code, message } = refusal(() => verifyProof(st.A, st.B, st.C, st.D, proof, CONTEXT));
    expect(error).toBeInstanceOf(InternalError);
    expect({ code, message }).toEqual({ code: 'msm-refused', message: 'linear combination refused point 1' });
    expect(verifyProof(st.A, st.B, st.C, st.D, proof, CONTEXT)).toBe(true);
  });
});
