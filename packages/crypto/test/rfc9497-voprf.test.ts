import { describe, expect, it } from 'vitest';
import { ristretto255 } from '@noble/curves/ed25519.js';
import { sha512 } from '@noble/hashes/sha2.js';
import {
  generateProof,
  hashToGroup,
  hashToScalar,
  ready,
  scalarBaseMult,
  scalarMult,
  scalarMultPacked,
  verifyProof,
} from '../src/index.js';
import { L, concatBytes, fixedNonce, hex, loadVectors, scalarOf, scalarToBigint, unhex } from './vectors.js';

interface ModeVectors {
  groupDST: string;
  identifier: string;
  keyInfo: string;
  mode: number;
  seed: string;
  skSm: string;
  pkSm?: string;
  vectors: {
    Batch: number;
    Blind: string;
    BlindedElement: string;
    EvaluationElement: string;
    Info?: string;
    Input: string;
    Output: string;
    Proof?: { proof: string; r: string };
  }[];
}

const file = loadVectors<{ vectors: ModeVectors[] }>('rfc9497-ristretto255-sha512.json');
const encoder = new TextEncoder();
const MODE_NAMES = ['OPRF', 'VOPRF', 'POPRF'] as const;
const G = scalarOf(1);

/** RFC 9497 §3.1: contextString = "OPRFV1-" || I2OSP(mode, 1) || "-" || identifier. */
function contextString(mode: number): Uint8Array {
  return concatBytes(encoder.encode('OPRFV1-'), Uint8Array.of(mode), encoder.encode('-ristretto255-SHA512'));
}

function i2osp2(n: number): Uint8Array {
  return Uint8Array.of(n >>> 8, n & 0xff);
}

const split = (field: string): Uint8Array[] => field.split(',').map(unhex);
const invert = (scalar: Uint8Array): Uint8Array => scalarOf(ristretto255.Point.Fn.inv(scalarToBigint(scalar)));

await ready();

describe('RFC 9497 vectors file', () => {
  it('carries provenance and all three modes', () => {
    expect(file.source).toMatch(/RFC 9497/);
    expect(file.version).toBe(1);
    expect(file.vectors.map((v) => v.mode)).toEqual([0, 1, 2]);
  });
});

describe.each(file.vectors.map((v) => [MODE_NAMES[v.mode]!, v] as const))('RFC 9497 Appendix A.1 ristretto255-SHA512 %s', (_name, suite) => {
  const context = contextString(suite.mode);
  const skS = unhex(suite.skSm);
  const base = scalarBaseMult(G);

  it('DeriveKeyPair (§3.2.1) gives skSm and pkSm', () => {
    const deriveInput = concatBytes(unhex(suite.seed), i2osp2(unhex(suite.keyInfo).length), unhex(suite.keyInfo));
    const dst = concatBytes(encoder.encode('DeriveKeyPair'), context);
    // counter = 0 gives a non-zero scalar for these vectors.
    expect(hex(hashToScalar(concatBytes(deriveInput, Uint8Array.of(0)), dst))).toBe(suite.skSm);
    if (suite.pkSm !== undefined) expect(hex(scalarBaseMult(skS))).toBe(suite.pkSm);
  });

  it('groupDST is "HashToGroup-" || contextString', () => {
    expect(hex(concatBytes(encoder.encode('HashToGroup-'), context))).toBe(suite.groupDST);
  });

  it.each(suite.vectors.map((v, i) => [i + 1, v.Batch, v] as const))('vector %i (batch %i)', (_i, batch, v) => {
    const inputs = split(v.Input);
    const blinds = split(v.Blind);
    const blindedExpected = split(v.BlindedElement);
    const evaluatedExpected = split(v.EvaluationElement);
    const outputs = split(v.Output);
    expect(inputs).toHaveLength(batch);

    // Blind (§3.3.1): blindedElement = blind · HashToGroup(input).
    const blinded = inputs.map((input, j) => scalarMult(blinds[j]!, hashToGroup(input, unhex(suite.groupDST))));
    expect(blinded.map(hex)).toEqual(blindedExpected.map(hex));

    // BlindEvaluate: skS · blinded (OPRF, VOPRF) or (skS + m)^-1 · blinded (POPRF, §3.3.3).
    let key = skS;
    let publicKey = suite.pkSm === undefined ? undefined : unhex(suite.pkSm);
    let info: Uint8Array | undefined;
    if (suite.mode === 2) {
      info = unhex(v.Info!);
      const framedInfo = concatBytes(encoder.encode('Info'), i2osp2(info.length), info);
      const m = hashToScalar(framedInfo, concatBytes(encoder.encode('HashToScalar-'), context));
      key = scalarOf((scalarToBigint(skS) + scalarToBigint(m)) % L);
      // The client's tweaked key T = m·G + pkS equals t·G.
      publicKey = scalarBaseMult(key);
    }
    const evaluated = scalarMultPacked(suite.mode === 2 ? invert(key) : key, concatBytes(...blinded));
    expect(hex(evaluated)).toBe(evaluatedExpected.map(hex).join(''));

    if (v.Proof !== undefined) {
      // VOPRF: GenerateProof(skS, G, pkS, blinded, evaluated); POPRF swaps C and D and proves t.
      const [C, D] = suite.mode === 2 ? [evaluated, concatBytes(...blinded)] : [concatBytes(...blinded), evaluated];
      const proof = generateProof(key, base, publicKey!, C, D, context, fixedNonce(unhex(v.Proof.r)));
      expect(hex(proof)).toBe(v.Proof.proof);
      expect(verifyProof(base, publicKey!, C, D, unhex(v.Proof.proof), context)).toBe(true);
      // The same proof under another mode's context string must not verify.
      expect(verifyProof(base, publicKey!, C, D, proof, contextString((suite.mode + 1) % 3))).toBe(false);
    }

    // Finalize (§3.3.1 / §3.3.3): Hash(I2OSP(len(input), 2) || input || [info] || I2OSP(32, 2) || N || "Finalize").
    inputs.forEach((input, j) => {
      const unblinded = scalarMult(invert(blinds[j]!), evaluated.subarray(32 * j, 32 * j + 32));
      const framedInfo = info === undefined ? new Uint8Array(0) : concatBytes(i2osp2(info.length), info);
      const hashInput = concatBytes(i2osp2(input.length), input, framedInfo, i2osp2(32), unblinded, encoder.encode('Finalize'));
      expect(hex(sha512(hashInput))).toBe(hex(outputs[j]!));
    });
  });
});
