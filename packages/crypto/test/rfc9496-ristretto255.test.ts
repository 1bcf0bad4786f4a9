import { beforeAll, describe, expect, it } from 'vitest';
import { ristretto255 } from '@noble/curves/ed25519.js';
import { sha512 } from '@noble/hashes/sha2.js';
import { CryptoError, ValidationError } from '@venn/errors';
import {
  decodePoint,
  ready,
  scalarBaseMult,
  scalarMult,
  scalarMultPacked,
  sumPacked,
  validatePackedPoints,
  verifyProof,
} from '../src/index.js';
import { elementFromUniformBytes } from '../src/hash.js';
import { concatBytes, hex, loadVectors, scalarOf, unhex } from './vectors.js';

interface Rfc9496 {
  multiples_of_generator: { encodings: string[] };
  invalid_encodings: { reason: string; hex: string }[];
  from_uniform_bytes_sha512_of_label: { label: string; element: string }[];
  from_uniform_bytes: { uniform_bytes: string; element: string }[];
}

const vectors = loadVectors<Rfc9496>('rfc9496-ristretto255.json');
const multiples = vectors.multiples_of_generator.encodings;
const G = unhex(multiples[1]!);

beforeAll(async () => {
  await ready();
});

describe('RFC 9496 vectors file', () => {
  it('carries provenance and the expected counts', () => {
    expect(vectors.source).toMatch(/RFC 9496/);
    expect(vectors.version).toBe(1);
    expect(multiples).toHaveLength(16);
    expect(vectors.invalid_encodings).toHaveLength(29);
    expect(vectors.from_uniform_bytes).toHaveLength(11);
  });
});

describe('RFC 9496 Appendix A.1: multiples of the generator', () => {
  it('0·B is the identity, encoded as 32 zero bytes, and is refused everywhere', () => {
    expect(multiples[0]).toBe('00'.repeat(32));
    // The vector says 0·B is the identity; noble's ZERO encodes the same way.
    expect(hex(ristretto255.Point.ZERO.toBytes())).toBe(multiples[0]);
    const identity = unhex(multiples[0]!);
    expect(() => decodePoint(identity)).toThrow(expect.objectContaining({ code: 'identity-element' }));
    // A zero secret scalar is refused before it can produce the identity.
    expect(() => scalarBaseMult(scalarOf(0))).toThrow(expect.objectContaining({ code: 'invalid-scalar' }));
    expect(() => scalarMult(scalarOf(0), G)).toThrow(expect.objectContaining({ code: 'invalid-scalar' }));
  });

  it.each(multiples.slice(1).map((encoding, i) => [i + 1, encoding] as const))('%i·B', (i, encoding) => {
    expect(hex(scalarBaseMult(scalarOf(i)))).toBe(encoding);
    expect(hex(scalarMult(scalarOf(i), G))).toBe(encoding);
    expect(hex(decodePoint(unhex(encoding)))).toBe(encoding);
  });

  it('packed multiplication and sums agree with the table', () => {
    const firstSeven = concatBytes(...multiples.slice(1, 8).map(unhex));
    // 2·(i·B) = (2i)·B for i = 1..7.
    expect(hex(scalarMultPacked(scalarOf(2), firstSeven))).toBe(multiples.slice(1, 8).map((_, i) => multiples[2 * (i + 1)]).join(''));
    // Σ_{i=1..5} i·B = 15·B.
    expect(hex(sumPacked(concatBytes(...multiples.slice(1, 6).map(unhex))))).toBe(multiples[15]);
    expect(() => validatePackedPoints(concatBytes(...multiples.slice(1).map(unhex)), 'multiples')).not.toThrow();
  });
});

describe('RFC 9496 Appendix A.2: invalid encodings', () => {
  const k = scalarOf(7);
  it.each(vectors.invalid_encodings.map((v) => [v.reason, v.hex] as const))('%s: %s', (_reason, encoding) => {
    const bad = unhex(encoding);
    const expectBad = (run: () => unknown, field: string): void => {
      let caught: unknown;
      try {
        run();
      } catch (error) {
        caught = error;
      }
      expect(caught).toBeInstanceOf(CryptoError);
      expect(caught).toMatchObject({ code: 'non-canonical-point' });
      expect((caught as Error).message).toContain(`"${field}"`);
    };
    expectBad(() => decodePoint(bad, 'peerKey'), 'peerKey');
    expectBad(() => scalarMult(k, bad), 'point');
    const packed = concatBytes(G, G, G, bad, G);
    expectBad(() => validatePackedPoints(packed, 'blinded'), 'blinded[3]');
    // Past the first 4,096-point block, the index still counts from the start of the whole list;
    // the identity is refused with its own code.
    const many = Array.from({ length: 5000 }, () => G);
    many[4500] = bad;
    expectBad(() => validatePackedPoints(concatBytes(...many), 'blinded'), 'blinded[4500]');
    many[4500] = G;
    many[4097] = new Uint8Array(32);
    expect(() => validatePackedPoints(concatBytes(...many), 'blinded')).toThrow(expect.objectContaining({ code: 'identity-element', message: expect.stringContaining('"blinded[4097]"') }));
    many[4097] = G;
    expect(() => validatePackedPoints(concatBytes(...many), 'blinded')).not.toThrow();
    expectBad(() => scalarMultPacked(k, packed), 'points[3]');
    expectBad(() => sumPacked(packed), 'points[3]');
    const context = new TextEncoder().encode('test');
    const proof = new Uint8Array(64);
    expectBad(() => verifyProof(G, G, packed, packed, proof, context), 'C[3]');
    expectBad(() => verifyProof(G, G, concatBytes(G, G, G, G, G), packed, proof, context), 'D[3]');
    expectBad(() => verifyProof(bad, G, G, G, proof, context), 'A');
    // Cross-check: noble's decoder refuses it too.
    expect(() => ristretto255.Point.fromBytes(bad)).toThrow();
  });

  it('wrong lengths are ValidationErrors, not CryptoErrors', () => {
    expect(() => decodePoint(new Uint8Array(31))).toThrow(ValidationError);
    expect(() => validatePackedPoints(new Uint8Array(33), 'blinded')).toThrow(ValidationError);
  });
});

describe('RFC 9496 Appendix A.3: element derivation from uniform bytes', () => {
  it.each(vectors.from_uniform_bytes_sha512_of_label.map((v) => [v.label, v.element] as const))(
    'SHA-512("%s")',
    (label, element) => {
      expect(hex(elementFromUniformBytes(sha512(new TextEncoder().encode(label))))).toBe(element);
    },
  );

  it.each(vectors.from_uniform_bytes.map((v) => [v.uniform_bytes, v.element] as const))('%s', (uniform, element) => {
    expect(hex(elementFromUniformBytes(unhex(uniform)))).toBe(element);
  });

  it('refuses anything but 64 bytes', () => {
    expect(() => elementFromUniformBytes(new Uint8Array(63))).toThrow(expect.objectContaining({ code: 'invalid-length' }));
  });
});
