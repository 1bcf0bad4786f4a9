/**
 * SPEC §6: one RFC 9497 batched proof per EVALUATED chunk (intersection), with contextString
 * "VENN-V02-DLEQ-" || TH_chunk(X, a) || I2OSP(a, 2), and one over the sums (cardinality), with
 * "VENN-V02-DLEQ-" || TH_proof(X) || I2OSP(0, 2). verifyChunkProof and verifySumProof are the one
 * place that checks them, for the round and for auditors.
 */
import { sha512 } from '@noble/hashes/sha2.js';
import { CryptoError, InternalError, ValidationError } from '@venn/errors';
import { randomScalar, ready, scalarBaseMult, scalarMultPacked, sumPacked, verifyProof } from '@venn/crypto';
import {
  CHUNK_LABEL,
  DLEQ_CONTEXT_PREFIX,
  GENERATOR,
  PROOF_CONTEXT_BYTES,
  chunkContextString,
  chunkTranscriptHash,
  generateChunkProof,
  generateSumProof,
  sumContextString,
  verifyChunkProof,
  verifySumProof,
  type ChunkProofInput,
  type SumProofInput,
} from '@venn/protocol';
import { MAX_CHUNK_POINTS } from '@venn/wire';
import { describe, expect, it } from 'vitest';
import { seededRng } from '../scripts/seeded-rng.js';

await ready();

const hex = (bytes: Uint8Array): string => Buffer.from(bytes).toString('hex');
/** L − 1, little-endian: (L − 1)·P = −P, so P and (L − 1)·P sum to the identity. */
const L_MINUS_1 = Uint8Array.from([0xec, 0xd3, 0xf5, 0x5c, 0x1a, 0x63, 0x12, 0x58, 0xd6, 0x9c, 0xf7, 0xa2, 0xde, 0xf9, 0xde, 0x14, ...new Uint8Array(15), 0x10]);

/** A valid chunk: D = k·C for `pairs` random points, proven by generateChunkProof. */
function chunkInput(pairs: number, index = 2): ChunkProofInput & { proof: Uint8Array; key: Uint8Array } {
  const rng = seededRng(`chunk-proof/${pairs}/${index}`);
  const key = randomScalar(rng);
  const blinded = Uint8Array.from(Buffer.concat(Array.from({ length: pairs }, () => scalarBaseMult(randomScalar(rng)))));
  const input: ChunkProofInput = {
    publicKey: scalarBaseMult(key),
    prover: 'responder',
    preTranscriptHash: sha512(new TextEncoder().encode('TH_pre')),
    index,
    blinded,
    evaluated: scalarMultPacked(key, blinded),
  };
  return { ...input, key, proof: generateChunkProof(key, input, rng) };
}

describe('context strings (SPEC §6.1)', () => {
  it('TH_chunk = SHA-512("VENN-V02-CHUNK" || role || TH_pre || I2OSP(a, 2) || pts), context = prefix || TH_chunk || I2OSP(a, 2)', () => {
    const pre = Uint8Array.from({ length: 64 }, (_, i) => i);
    const pts = scalarBaseMult(randomScalar(seededRng('pts')));
    const chunkHash = chunkTranscriptHash('initiator', pre, 255, pts);
    expect(hex(chunkHash)).toBe(hex(sha512(Buffer.concat([Buffer.from('VENN-V02-CHUNK'), Uint8Array.of(1), pre, Uint8Array.of(0, 255), pts]))));
    expect(hex(CHUNK_LABEL)).toBe(hex(Buffer.from('VENN-V02-CHUNK')));
    const context = chunkContextString(chunkHash, 255);
    expect(PROOF_CONTEXT_BYTES).toBe(80);
    expect(hex(context)).toBe(hex(Buffer.concat([Buffer.from('VENN-V02-DLEQ-'), chunkHash, Uint8Array.of(0, 255)])));
    expect(hex(context.subarray(0, 14))).toBe(hex(DLEQ_CONTEXT_PREFIX));
    // The role byte separates the two parties' chunk proofs.
    expect(hex(chunkTranscriptHash('responder', pre, 255, pts))).not.toBe(hex(chunkHash));
    expect(hex(sumContextString(pre))).toBe(hex(Buffer.concat([Buffer.from('VENN-V02-DLEQ-'), pre, Uint8Array.of(0, 0)])));
  });

  it.each<[string, () => unknown]>([
    ['a 63-byte TH_pre', () => chunkTranscriptHash('initiator', new Uint8Array(63), 0, new Uint8Array(32))],
    ['chunk index 256', () => chunkTranscriptHash('initiator', new Uint8Array(64), 256, new Uint8Array(32))],
    ['a negative chunk index', () => chunkContextString(new Uint8Array(64), -1)],
    ['a fractional chunk index', () => chunkContextString(new Uint8Array(64), 0.5)],
    ['no points', () => chunkTranscriptHash('initiator', new Uint8Array(64), 0, new Uint8Array(0))],
    ['4,097 points', () => chunkTranscriptHash('initiator', new Uint8Array(64), 0, new Uint8Array(32 * 4097))],
    ['a 65-byte TH_proof', () => sumContextString(new Uint8Array(65))],
  ])('refuses %s', (_, call) => {
    expect(call).toThrow(/expected/);
  });

  // Each refusal by its code and its exact text, naming the argument.
  it.each<[string, () => unknown, string, string]>([
    ['a 63-byte TH_pre', () => chunkTranscriptHash('initiator', new Uint8Array(63), 0, new Uint8Array(32)), 'invalid-length', '"preTranscriptHash" expected 64 bytes, got length=63'],
    ['chunk index 256', () => chunkTranscriptHash('initiator', new Uint8Array(64), 256, new Uint8Array(32)), 'invalid-chunk', '"index" expected an integer in 0..255, got 256'],
    ['no points', () => chunkTranscriptHash('initiator', new Uint8Array(64), 0, new Uint8Array(0)), 'invalid-length', '"points" expected 1..4096 packed 32-byte points'],
    ['points of 33 bytes', () => chunkTranscriptHash('initiator', new Uint8Array(64), 0, new Uint8Array(33)), 'invalid-length', '"points" expected 1..4096 packed 32-byte points'],
    ['points of 31 bytes', () => chunkTranscriptHash('initiator', new Uint8Array(64), 0, new Uint8Array(31)), 'invalid-length', '"points" expected 1..4096 packed 32-byte points'],
    ['4,097 points', () => chunkTranscriptHash('initiator', new Uint8Array(64), 0, new Uint8Array(32 * 4097)), 'invalid-length', '"points" expected 1..4096 packed 32-byte points'],
    ['a 63-byte TH_chunk', () => chunkContextString(new Uint8Array(63), 0), 'invalid-length', '"chunkHash" expected 64 bytes, got length=63'],
    ['a TH_chunk that is not bytes', () => chunkContextString('x'.repeat(64) as unknown as Uint8Array, 0), 'invalid-length', '"chunkHash" expected 64 bytes, got string'],
    ['a negative chunk index', () => chunkContextString(new Uint8Array(64), -1), 'invalid-chunk', '"index" expected an integer in 0..255, got -1'],
    ['a 65-byte TH_proof', () => sumContextString(new Uint8Array(65)), 'invalid-length', '"proofTranscriptHash" expected 64 bytes, got length=65'],
  ])('refuses %s, by code and text', (_, call, code, message) => {
    let error: unknown;
    try {
      call();
    } catch (caught) {
      error = caught;
    }
    expect(error).toBeInstanceOf(InternalError);
    expect((error as InternalError).code).toBe(code);
    expect((error as InternalError).message).toBe(message);
  });

  it('accepts a chunk of exactly 4,096 points and TH_chunk at the largest index', () => {
    const pts = new Uint8Array(32 * MAX_CHUNK_POINTS).fill(7);
    const pre = new Uint8Array(64).fill(3);
    const chunkHash = chunkTranscriptHash('responder', pre, 255, pts);
    expect(hex(chunkHash)).toBe(hex(sha512(Buffer.concat([Buffer.from('VENN-V02-CHUNK'), Uint8Array.of(2), pre, Uint8Array.of(0, 255), pts]))));
    expect(hex(chunkContextString(chunkHash, 255))).toBe(hex(Buffer.concat([Buffer.from('VENN-V02-DLEQ-'), chunkHash, Uint8Array.of(0, 255)])));
  });
});

describe('verifyChunkProof (SPEC §4.5 EVALUATED steps 6–7, §6)', () => {
  const valid = chunkInput(5);

  it('accepts the proof generateChunkProof made, which is one RFC 9497 proof with the chunk context', () => {
    expect(valid.proof).toHaveLength(64);
    expect(verifyChunkProof(valid)).toEqual({ valid: true });
    const context = chunkContextString(chunkTranscriptHash('responder', valid.preTranscriptHash, 2, valid.evaluated), 2);
    expect(verifyProof(GENERATOR, valid.publicKey, valid.blinded, valid.evaluated, valid.proof, context)).toBe(true);
  });

  it('proves a full chunk of 4,096 pairs', () => {
    const full = chunkInput(MAX_CHUNK_POINTS, 0);
    expect(verifyChunkProof(full)).toEqual({ valid: true });
  }, 60_000);

  const tampered = (at: number): Uint8Array => {
    const proof = valid.proof.slice();
    proof[at] = proof[at]! ^ 0x01;
    return proof;
  };
  const swapped = Uint8Array.from(Buffer.concat([valid.evaluated.subarray(32, 64), valid.evaluated.subarray(0, 32), valid.evaluated.subarray(64)]));
  const prover = { valid: false, fault: 'prover', code: 'bad-proof' };
  it.each<[string, Partial<ChunkProofInput & { proof: Uint8Array }>]>([
    ['an empty pi', { proof: new Uint8Array(0) }],
    ['a pi of 63 bytes', { proof: valid.proof.subarray(0, 63) }],
    ['a pi of 65 bytes', { proof: Uint8Array.from([...valid.proof, 0]) }],
    ['one bit of c flipped', { proof: tampered(3) }],
    ['one bit of s flipped', { proof: tampered(40) }],
    ['a challenge that is not a canonical scalar', { proof: Uint8Array.from([...new Uint8Array(32).fill(0xff), ...valid.proof.subarray(32)]) }],
    ['two evaluations swapped', { evaluated: swapped }],
    ['another chunk index (a proof replayed at another position)', { index: 3 }],
    ['the other role (a proof replayed as the peer\'s)', { prover: 'initiator' }],
    ['another TH_pre (a proof from another round)', { preTranscriptHash: new Uint8Array(64).fill(0x3d) }],
    ['another prover key', { publicKey: scalarBaseMult(randomScalar(seededRng('other key'))) }],
    ['a prover key that is the identity', { publicKey: new Uint8Array(32) }],
  ])('rejects %s, naming the prover', (_, change) => {
    expect(verifyChunkProof({ ...valid, ...change })).toMatchObject(prover);
  });

  it('binds every weight to every evaluation of the chunk: the same proof fails for a chunk with one point more', () => {
    // The first five pairs are unchanged; only the chunk's other content differs.
    const longer = chunkInput(6);
    const mixed = { ...longer, blinded: valid.blinded, evaluated: valid.evaluated };
    expect(verifyChunkProof({ ...mixed, proof: longer.proof })).toMatchObject(prover);
  });

  it.each<[string, unknown]>([
    ['no input', undefined],
    ['an unknown role', { ...valid, prover: 'auditor' }],
    ['chunks of different lengths', { ...valid, evaluated: valid.evaluated.subarray(32) }],
    ['an empty chunk', { ...valid, blinded: new Uint8Array(0), evaluated: new Uint8Array(0) }],
    ['more than one chunk of pairs', { ...valid, blinded: new Uint8Array(32 * 4097), evaluated: new Uint8Array(32 * 4097) }],
    ['a chunk that is not packed points', { ...valid, blinded: valid.blinded.subarray(1) }],
    ['a chunk as an array', { ...valid, blinded: [valid.blinded] }],
    ['a proof as a string', { ...valid, proof: 'ab'.repeat(32) }],
    ['a TH_pre of 32 bytes', { ...valid, preTranscriptHash: new Uint8Array(32) }],
  ])('throws a ValidationError for %s', (_, input) => {
    expect(() => verifyChunkProof(input as ChunkProofInput & { proof: Uint8Array })).toThrow(ValidationError);
  });
});

describe('verifySumProof (SPEC §4.5 PROOF, §6.3)', () => {
  const rng = seededRng('sum-proof');
  const key = randomScalar(rng);
  const blinded = Uint8Array.from(Buffer.concat(Array.from({ length: 4 }, () => scalarBaseMult(randomScalar(rng)))));
  const input: SumProofInput = { publicKey: scalarBaseMult(key), proofTranscriptHash: new Uint8Array(64).fill(0x3c), blinded, evaluated: scalarMultPacked(key, blinded) };
  const proof = generateSumProof(key, input, rng);

  it('verifies a proof over the sums only, whatever order the evaluations were sent in', () => {
    expect(proof).toHaveLength(64);
    expect(verifySumProof({ ...input, proof })).toEqual({ valid: true });
    const reversed = Uint8Array.from(Buffer.concat(Array.from({ length: 4 }, (_, i) => input.evaluated.subarray((3 - i) * 32, (4 - i) * 32))));
    expect(verifySumProof({ ...input, evaluated: reversed, proof })).toEqual({ valid: true });
    // Errors that cancel in the sum pass: the sum proof shows no more than that (SPEC §6.3).
    const P = scalarBaseMult(randomScalar(rng));
    const plus = (at: number, Q: Uint8Array): Uint8Array => sumPacked(Uint8Array.from([...input.evaluated.subarray(at * 32, at * 32 + 32), ...Q]));
    const oneShifted = input.evaluated.slice();
    oneShifted.set(plus(0, P), 0);
    expect(verifySumProof({ ...input, evaluated: oneShifted, proof })).toMatchObject({ valid: false, fault: 'prover', code: 'bad-proof' });
    const cancelled = oneShifted.slice();
    cancelled.set(plus(1, scalarMultPacked(L_MINUS_1, P)), 32);
    expect(verifySumProof({ ...input, evaluated: cancelled, proof })).toEqual({ valid: true });
  });

  it('accepts only an empty pi over an empty list', () => {
    const empty = { ...input, blinded: new Uint8Array(0), evaluated: new Uint8Array(0) };
    expect(generateSumProof(key, empty, rng)).toHaveLength(0);
    expect(verifySumProof({ ...empty, proof: new Uint8Array(0) })).toEqual({ valid: true });
    expect(verifySumProof({ ...empty, proof: proof })).toMatchObject({ valid: false, fault: 'prover', code: 'bad-proof' });
    expect(verifySumProof({ ...input, proof: new Uint8Array(0) })).toMatchObject({ valid: false, fault: 'prover', code: 'bad-proof' });
  });

  it('rejects another TH_proof and a tampered pi', () => {
    expect(verifySumProof({ ...input, proofTranscriptHash: new Uint8Array(64).fill(0x3d), proof })).toMatchObject({ valid: false, fault: 'prover' });
    const tampered = proof.slice();
    tampered[40] = tampered[40]! ^ 1;
    expect(verifySumProof({ ...input, proof: tampered })).toMatchObject({ valid: false, fault: 'prover' });
  });

  it('names the verifier when its blinded points sum to the identity, and the prover when its evaluations do', () => {
    const P = blinded.subarray(0, 32);
    const cancelling = Uint8Array.from(Buffer.concat([P, scalarMultPacked(L_MINUS_1, P)]));
    expect(verifySumProof({ ...input, blinded: cancelling, evaluated: input.evaluated.subarray(0, 64), proof })).toMatchObject({ valid: false, fault: 'verifier', code: 'bad-point' });
    expect(verifySumProof({ ...input, blinded: blinded.subarray(0, 64), evaluated: cancelling, proof })).toMatchObject({ valid: false, fault: 'prover', code: 'bad-proof' });
    // The prover refuses to prove over a list that sums to the identity (the round then aborts bad-point).
    expect(() => generateSumProof(key, { ...input, blinded: cancelling, evaluated: scalarMultPacked(key, cancelling) }, rng)).toThrow(CryptoError);
  });

  it.each<[string, unknown]>([
    ['no input', null],
    ['lists of different lengths', { ...input, evaluated: input.evaluated.subarray(32), proof }],
    ['a list that is not packed points', { ...input, blinded: blinded.subarray(3), proof }],
    ['a proof as an array', { ...input, proof: [proof] }],
  ])('throws a ValidationError for %s', (_, bad) => {
    expect(() => verifySumProof(bad as SumProofInput & { proof: Uint8Array })).toThrow(ValidationError);
  });
});
