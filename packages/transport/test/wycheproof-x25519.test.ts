import { readFileSync } from 'node:fs';
import { x25519 as nobleX25519 } from '@noble/curves/ed25519.js';
import { beforeAll, describe, expect, it } from 'vitest';
import { CryptoError, ValidationError } from '@venn/errors';
import { transportReady, x25519 } from '../src/internal/primitives.js';

interface Case {
  tcId: number;
  comment: string;
  flags: string[];
  public: string;
  private: string;
  shared: string;
  result: string;
}
const file = JSON.parse(readFileSync(new URL('../../../protocol-spec/vectors/wycheproof-x25519-low-order.json', import.meta.url), 'utf8')) as {
  source: string;
  testGroups: { tests: Case[] }[];
};
const cases = file.testGroups.flatMap((g) => g.tests);
const bytes = (hex: string) => Uint8Array.from(Buffer.from(hex, 'hex'));

beforeAll(transportReady);

describe('Wycheproof x25519 low-order and zero-shared-secret cases', () => {
  it('carries its provenance and every copied case is one of the two flags', () => {
    expect(file.source).toContain('C2SP/wycheproof');
    expect(cases.length).toBe(31);
    for (const c of cases) expect(c.flags.some((f) => f === 'LowOrderPublic' || f === 'ZeroSharedSecret')).toBe(true);
  });

  it.each(cases.map((c) => [c.tcId, c.comment, c] as const))('tcId %i (%s) is refused with x25519-low-order', (_, __, c) => {
    expect(c.shared).toBe('00'.repeat(32));
    let error: unknown;
    try {
      x25519(bytes(c.private), bytes(c.public));
    } catch (e) {
      error = e;
    }
    expect(error).toBeInstanceOf(CryptoError);
    expect((error as CryptoError).code).toBe('x25519-low-order');
  });

  it.each(cases.map((c) => [c.tcId, c] as const))('tcId %i: an independent implementation also finds no shared secret', (_, c) => {
    // noble throws exactly when the ladder output is zero, so this catches a mistyped public key.
    expect(() => nobleX25519.getSharedSecret(bytes(c.private), bytes(c.public))).toThrow();
  });

  it('still computes ordinary shared secrets (RFC 7748 §6.1 Alice and Bob)', () => {
    const alicePrivate = bytes('77076d0a7318a57d3c16c17251b26645df4c2f87ebc0992ab177fba51db92c2a');
    const bobPublic = bytes('de9edb7d7b7dc1b4d35b61c2ece435373f8343c85b78674dadfc7e146f882b4f');
    expect(Buffer.from(x25519(alicePrivate, bobPublic)).toString('hex')).toBe('4a5d9d5ba4ce2de1728e3bf480350f25e07e21c947d19e3376f09b3c1e161742');
  });
});

describe('x25519 input checks', () => {
  it.each([
    ['short public key', new Uint8Array(32).fill(1), new Uint8Array(31)],
    ['long public key', new Uint8Array(32).fill(1), new Uint8Array(33)],
    ['short secret', new Uint8Array(31), new Uint8Array(32).fill(9)],
  ])('%s → ValidationError before touching the heap', (_, secret, pub) => {
    expect(() => x25519(secret, pub)).toThrow(ValidationError);
  });
});
