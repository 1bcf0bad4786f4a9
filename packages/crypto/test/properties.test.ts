/** Algebraic and cross-implementation properties (fast-check): libsodium path vs noble, proofs, tampering. */
import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { ristretto255, ristretto255_hasher } from '@noble/curves/ed25519.js';
import {
  generateProof,
  hashToGroup,
  hashToGroupMany,
  randomScalar,
  ready,
  scalarBaseMult,
  scalarMult,
  scalarMultPacked,
  sumPacked,
  verifyProof,
} from '../src/index.js';
import { L, concatBytes, hex, scalarOf, scalarToBigint } from './vectors.js';

await ready();

const Point = ristretto255.Point;
const encoder = new TextEncoder();
const DST = encoder.encode('HashToGroup-VENN-test');
const CONTEXT = encoder.encode('VENN-V1-test');
const G = scalarBaseMult(scalarOf(1));

/** A canonical non-zero scalar from 64 arbitrary bytes, via the public randomScalar. */
const scalarArb = fc.uint8Array({ minLength: 64, maxLength: 64 }).filter((b) => b.some((x) => x !== 0)).map((wide) => randomScalar(() => wide.slice()));
/** Valid non-identity points: hashes of arbitrary messages. */
const pointArb = fc.uint8Array({ maxLength: 64 }).map((msg) => hashToGroup(msg, DST));
const pointsArb = (min: number, max: number) =>
  fc.array(fc.uint8Array({ maxLength: 32 }), { minLength: min, maxLength: max }).map((msgs) => hashToGroupMany(msgs, DST));
/** An rng for proof nonces. */
const nonceArb = fc.uint8Array({ minLength: 64, maxLength: 64 }).filter((b) => b.some((x) => x !== 0));

function replaceAt(packed: Uint8Array, index: number, point: Uint8Array): Uint8Array {
  const copy = packed.slice();
  copy.set(point, index * 32);
  return copy;
}

describe('libsodium and noble agree', () => {
  it('on hashToGroup (noble ristretto255_hasher.hashToCurve, same DST)', () => {
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 200 }), fc.uint8Array({ minLength: 1, maxLength: 64 }), (msg, dst) => {
        expect(hex(hashToGroup(msg, dst))).toBe(hex(ristretto255_hasher.hashToCurve(msg, { DST: dst }).toBytes()));
      }),
      { numRuns: 1000 },
    );
  });

  it('on scalarMult of a non-base point', () => {
    fc.assert(
      fc.property(scalarArb, pointArb, (k, P) => {
        const expected = Point.fromBytes(P).multiply(scalarToBigint(k)).toBytes();
        expect(hex(scalarMult(k, P))).toBe(hex(expected));
      }),
      { numRuns: 1000 },
    );
  });

  it('on scalarBaseMult', () => {
    fc.assert(
      fc.property(scalarArb, (k) => {
        expect(hex(scalarBaseMult(k))).toBe(hex(Point.BASE.multiply(scalarToBigint(k)).toBytes()));
      }),
      { numRuns: 200 },
    );
  });

  it('on sumPacked', () => {
    fc.assert(
      fc.property(pointsArb(1, 12), (points) => {
        let sum = Point.ZERO;
        for (let i = 0; i < points.length; i += 32) sum = sum.add(Point.fromBytes(points.subarray(i, i + 32)));
        expect(hex(sumPacked(points))).toBe(hex(sum.toBytes()));
      }),
      { numRuns: 100 },
    );
  });
});

describe('batch paths equal their single-item versions', () => {
  it('scalarMultPacked is scalarMult per point, in order, across chunk boundaries', () => {
    const msgs = Array.from({ length: 600 }, (_, i) => encoder.encode(`element ${i}`));
    const points = hashToGroupMany(msgs, DST);
    const k = randomScalar(() => new Uint8Array(64).fill(9));
    const packed = scalarMultPacked(k, points);
    for (let i = 0; i < msgs.length; i++) {
      expect(hex(points.subarray(32 * i, 32 * i + 32))).toBe(hex(hashToGroup(msgs[i]!, DST)));
      expect(hex(packed.subarray(32 * i, 32 * i + 32))).toBe(hex(scalarMult(k, points.subarray(32 * i, 32 * i + 32))));
    }
    expect(scalarMultPacked(k, new Uint8Array(0))).toHaveLength(0);
  });

  it('(a·b)·P = a·(b·P) and the blinded-intersection equality holds', () => {
    fc.assert(
      fc.property(scalarArb, scalarArb, pointArb, (a, b, P) => {
        const ab = scalarOf((scalarToBigint(a) * scalarToBigint(b)) % L);
        expect(hex(scalarMult(a, scalarMult(b, P)))).toBe(hex(scalarMult(ab, P)));
        expect(hex(scalarMult(a, scalarMult(b, P)))).toBe(hex(scalarMult(b, scalarMult(a, P))));
      }),
      { numRuns: 100 },
    );
  });
});

describe('batched DLEQ proofs', () => {
  const statement = fc.record({ k: scalarArb, C: pointsArb(1, 4), nonce: nonceArb });

  function prove(k: Uint8Array, C: Uint8Array, nonce: Uint8Array) {
    const B = scalarBaseMult(k);
    const D = scalarMultPacked(k, C);
    const proof = generateProof(k, G, B, C, D, CONTEXT, () => nonce.slice());
    return { B, D, proof };
  }

  it('an honest proof verifies; tampering any one C_i or D_i, or swapping two D_j, makes it fail', () => {
    fc.assert(
      fc.property(statement, pointArb, fc.nat(), fc.nat(), ({ k, C, nonce }, other, i0, j0) => {
        const { B, D, proof } = prove(k, C, nonce);
        expect(proof).toHaveLength(64);
        expect(verifyProof(G, B, C, D, proof, CONTEXT)).toBe(true);
        const m = C.length / 32;
        const i = i0 % m;
        fc.pre(hex(other) !== hex(C.subarray(32 * i, 32 * i + 32)) && hex(other) !== hex(D.subarray(32 * i, 32 * i + 32)));
        expect(verifyProof(G, B, replaceAt(C, i, other), D, proof, CONTEXT)).toBe(false);
        expect(verifyProof(G, B, C, replaceAt(D, i, other), proof, CONTEXT)).toBe(false);
        if (m >= 2) {
          const j = (i + 1 + (j0 % (m - 1))) % m;
          const swapped = replaceAt(replaceAt(D, i, D.subarray(32 * j, 32 * j + 32)), j, D.subarray(32 * i, 32 * i + 32));
          fc.pre(hex(swapped) !== hex(D));
          expect(verifyProof(G, B, C, swapped, proof, CONTEXT)).toBe(false);
        }
      }),
      { numRuns: 1000 },
    );
  });

  it('a proof for another key, another context or a changed (c, s) fails', () => {
    fc.assert(
      fc.property(statement, scalarArb, fc.nat(63), ({ k, C, nonce }, k2, bit) => {
        const { B, D, proof } = prove(k, C, nonce);
        fc.pre(hex(k2) !== hex(k));
        expect(verifyProof(G, scalarBaseMult(k2), C, D, proof, CONTEXT)).toBe(false);
        expect(verifyProof(G, B, C, D, proof, encoder.encode('VENN-V1-other'))).toBe(false);
        // D computed with another key, proven with k: the statement is false.
        expect(verifyProof(G, B, C, scalarMultPacked(k2, C), proof, CONTEXT)).toBe(false);
        // Flip one low bit of c or s (bytes 0..30 keep the scalar canonical).
        const flipped = proof.slice();
        const byte = (bit % 31) + (bit >= 31 ? 32 : 0);
        flipped[byte]! ^= 1;
        expect(verifyProof(G, B, C, D, flipped, CONTEXT)).toBe(false);
      }),
      { numRuns: 100 },
    );
  });

  it('honest proofs with A ≠ G (the fixed-base shortcut is not load-bearing)', () => {
    fc.assert(
      fc.property(statement, pointArb, ({ k, C, nonce }, A) => {
        const B = scalarMult(k, A);
        const D = scalarMultPacked(k, C);
        const proof = generateProof(k, A, B, C, D, CONTEXT, () => nonce.slice());
        expect(verifyProof(A, B, C, D, proof, CONTEXT)).toBe(true);
        expect(verifyProof(G, B, C, D, proof, CONTEXT)).toBe(false);
      }),
      { numRuns: 100 },
    );
  });

  it('a proof whose s is zero is handled (identity intermediate) and fails', () => {
    const k = scalarOf(5);
    const C = hashToGroupMany([encoder.encode('a')], DST);
    const { B, D, proof } = prove(k, C, new Uint8Array(64).fill(1));
    const zeroS = concatBytes(proof.subarray(0, 32), new Uint8Array(32));
    expect(verifyProof(G, B, C, D, zeroS, CONTEXT)).toBe(false);
    const zeroC = concatBytes(new Uint8Array(32), proof.subarray(32));
    expect(verifyProof(G, B, C, D, zeroC, CONTEXT)).toBe(false);
  });
});
