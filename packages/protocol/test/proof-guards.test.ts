/**
 * Pins WHICH check of the proof module (src/internal/proof.ts) refuses a bad input, not just that
 * something throws: the input guards of generateChunkProof / verifyChunkProof / generateSumProof /
 * verifySumProof throw ValidationError('invalid-proof-input') themselves (no `cause`, the field
 * named), a bad context (TH_pre, index) is the same code wrapping the context module's
 * InternalError as `cause`, and errors the proof module does not own (a malformed prover key)
 * pass through with crypto's own code instead of becoming a verdict. Verdicts are pinned by
 * `fault`, `code` and which failure they report (length, malformed pi, or a pi that does not verify).
 */
import { sha512 } from '@noble/hashes/sha2.js';
import { CryptoError, InternalError, ValidationError } from '@venn/errors';
import { randomScalar, ready, scalarBaseMult, scalarMultPacked } from '@venn/crypto';
import {
  generateChunkProof,
  generateSumProof,
  verifyChunkProof,
  verifySumProof,
  type ChunkProofInput,
  type SumProofInput,
} from '@venn/protocol';
import { describe, expect, it } from 'vitest';
import { seededRng } from '../scripts/seeded-rng.js';
import { thrown } from './harness.js';

await ready();

/** The proof module's own guard fired: its class and code, no cause, and the field it names. */
function expectGuard(call: () => unknown, field: string): void {
  const error = thrown(call);
  expect(error).toBeInstanceOf(ValidationError);
  expect(error.code).toBe('invalid-proof-input');
  expect(error.cause).toBeUndefined();
  expect(error.message).toContain(`"${field}"`);
}

/** The context check fired: invalid-proof-input wrapping the context module's InternalError `code`. */
function expectContextError(call: () => unknown, causeCode: string): void {
  const error = thrown(call);
  expect(error).toBeInstanceOf(ValidationError);
  expect(error.code).toBe('invalid-proof-input');
  expect(error.cause).toBeInstanceOf(InternalError);
  expect((error.cause as InternalError).code).toBe(causeCode);
  expect(error.message).toMatch(/^chunk proof context: /);
}

const rng = seededRng('proof-guards');
const key = randomScalar(rng);
const points = (count: number): Uint8Array => Uint8Array.from(Buffer.concat(Array.from({ length: count }, () => scalarBaseMult(randomScalar(rng)))));
const blinded = points(3);
const chunk: ChunkProofInput = {
  publicKey: scalarBaseMult(key),
  prover: 'initiator',
  preTranscriptHash: sha512(new TextEncoder().encode('proof-guards TH_pre')),
  index: 7,
  blinded,
  evaluated: scalarMultPacked(key, blinded),
};
const chunkProof = generateChunkProof(key, chunk, rng);
const valid = { ...chunk, proof: chunkProof };

describe('chunk proof input guards (SPEC §6.1: 1 … 4,096 pairs, one role, packed points)', () => {
  it('accepts a valid chunk proven by the initiator (the role the other tests do not use)', () => {
    expect(chunkProof).toHaveLength(64);
    expect(verifyChunkProof(valid)).toEqual({ valid: true });
  });

  it.each<[string, unknown]>([
    ['undefined', undefined],
    ['null', null],
    ['a string', 'chunk'],
    ['a number', 7],
  ])('refuses %s as the input with the "input" guard, before reading any field', (_, input) => {
    expectGuard(() => verifyChunkProof(input as ChunkProofInput & { proof: Uint8Array }), 'input');
    expectGuard(() => generateChunkProof(key, input as ChunkProofInput, rng), 'input');
  });

  it.each<[string, unknown]>([
    ['an unknown role', 'auditor'],
    ['an empty role', ''],
    ['no role', undefined],
  ])('refuses %s with the "prover" guard (generate and verify)', (_, prover) => {
    expectGuard(() => verifyChunkProof({ ...valid, prover: prover as 'initiator' }), 'prover');
    expectGuard(() => generateChunkProof(key, { ...chunk, prover: prover as 'initiator' }, rng), 'prover');
  });

  it.each<[string, Partial<ChunkProofInput>, string]>([
    ['blinded points that are not packed (33 bytes)', { blinded: new Uint8Array(33), evaluated: new Uint8Array(33) }, 'blinded'],
    ['blinded points as an array', { blinded: [blinded] as unknown as Uint8Array }, 'blinded'],
    ['evaluations that are not packed (one byte short)', { evaluated: chunk.evaluated.subarray(1) }, 'evaluated'],
    ['evaluations as an array', { evaluated: [chunk.evaluated] as unknown as Uint8Array }, 'evaluated'],
    ['one evaluation fewer than blinded points', { evaluated: chunk.evaluated.subarray(32) }, 'evaluated'],
    ['one evaluation more than blinded points', { evaluated: Uint8Array.from([...chunk.evaluated, ...chunk.evaluated.subarray(0, 32)]) }, 'evaluated'],
    ['an empty chunk', { blinded: new Uint8Array(0), evaluated: new Uint8Array(0) }, 'blinded'],
    ['4,097 pairs', { blinded: new Uint8Array(32 * 4097), evaluated: new Uint8Array(32 * 4097) }, 'blinded'],
  ])('refuses %s with its own guard, not a later check', (_, change, field) => {
    expectGuard(() => verifyChunkProof({ ...valid, ...change }), field);
    expectGuard(() => generateChunkProof(key, { ...chunk, ...change }, rng), field);
  });

  it('names the counts in the length guards', () => {
    expect(thrown(() => verifyChunkProof({ ...valid, evaluated: chunk.evaluated.subarray(32) })).message).toBe('"evaluated" expected 3 packed points to match "blinded", got 2');
    expect(thrown(() => verifyChunkProof({ ...valid, blinded: new Uint8Array(0), evaluated: new Uint8Array(0) })).message).toContain('expected 1..4096 points (one chunk), got 0');
    expect(thrown(() => verifyChunkProof({ ...valid, blinded: new Uint8Array(33), evaluated: new Uint8Array(33) })).message).toContain('length=33');
    expect(thrown(() => verifyChunkProof({ ...valid, blinded: [blinded] as unknown as Uint8Array })).message).toContain('array of length 1');
    expect(thrown(() => verifyChunkProof({ ...valid, proof: 'ab'.repeat(32) as unknown as Uint8Array })).message).toContain(`"proof" expected Uint8Array, got "${'ab'.repeat(32)}"`);
  });

  it('refuses a pi that is not bytes with its own guard (a 64-character string is not 64 bytes)', () => {
    expectGuard(() => verifyChunkProof({ ...valid, proof: 'ab'.repeat(32) as unknown as Uint8Array }), 'proof');
    expectGuard(() => verifyChunkProof({ ...valid, proof: Array.from(chunkProof) as unknown as Uint8Array }), 'proof');
  });

  it.each<[string, Partial<ChunkProofInput>, string]>([
    ['a TH_pre of 32 bytes', { preTranscriptHash: new Uint8Array(32) }, 'invalid-length'],
    ['chunk index 256', { index: 256 }, 'invalid-chunk'],
    ['a negative chunk index', { index: -1 }, 'invalid-chunk'],
  ])('reports %s as a context error with the context module\'s code as cause (generate and verify)', (_, change, causeCode) => {
    expectContextError(() => verifyChunkProof({ ...valid, ...change }), causeCode);
    expectContextError(() => generateChunkProof(key, { ...chunk, ...change }, rng), causeCode);
  });

  it('checks the pi length before building the context: a short pi over a bad TH_pre is a verdict, not a throw', () => {
    const verdict = verifyChunkProof({ ...valid, preTranscriptHash: new Uint8Array(32), proof: chunkProof.subarray(0, 63) });
    expect(verdict).toEqual({ valid: false, fault: 'prover', code: 'bad-proof', detail: 'chunk 7 carries a proof of 63 bytes, expected 64' });
  });

  it('tells a malformed pi (a scalar ≥ L) from one that does not verify', () => {
    const nonCanonical = Uint8Array.from([...new Uint8Array(32).fill(0xff), ...chunkProof.subarray(32)]);
    const malformed = verifyChunkProof({ ...valid, proof: nonCanonical });
    expect(malformed).toMatchObject({ valid: false, fault: 'prover', code: 'bad-proof' });
    expect(malformed.valid === false && malformed.detail).toMatch(/^the proof of chunk 7 \(3 pairs\) is malformed: /);
    const flipped = chunkProof.slice();
    flipped[40] = flipped[40]! ^ 1;
    expect(verifyChunkProof({ ...valid, proof: flipped })).toEqual({ valid: false, fault: 'prover', code: 'bad-proof', detail: 'the proof of chunk 7 (3 pairs) does not verify' });
  });

  it('lets a prover key of the wrong length through as crypto\'s ValidationError, not a verdict', () => {
    const error = thrown(() => verifyChunkProof({ ...valid, publicKey: new Uint8Array(31) }));
    expect(error).toBeInstanceOf(ValidationError);
    expect(error.code).toBe('invalid-length');
    expect(error.message).toContain('"B"');
  });

  it('reports a prover key that is no valid element (a CryptoError) as a malformed proof, naming the prover', () => {
    const verdict = verifyChunkProof({ ...valid, publicKey: new Uint8Array(32).fill(0xff) });
    expect(verdict).toMatchObject({ valid: false, fault: 'prover', code: 'bad-proof' });
    expect(verdict.valid === false && verdict.detail).toMatch(/is malformed: /);
  });
});

describe('sum proof input guards (SPEC §6.3)', () => {
  const list = points(4);
  const input: SumProofInput = { publicKey: scalarBaseMult(key), proofTranscriptHash: new Uint8Array(64).fill(0x5a), blinded: list, evaluated: scalarMultPacked(key, list) };
  const proof = generateSumProof(key, input, rng);

  it('accepts its own proof', () => {
    expect(proof).toHaveLength(64);
    expect(verifySumProof({ ...input, proof })).toEqual({ valid: true });
  });

  it.each<[string, unknown]>([
    ['undefined', undefined],
    ['null', null],
    ['a string', 'sum'],
  ])('refuses %s as the input with the "input" guard', (_, bad) => {
    expectGuard(() => verifySumProof(bad as SumProofInput & { proof: Uint8Array }), 'input');
    expectGuard(() => generateSumProof(key, bad as SumProofInput, rng), 'input');
  });

  it.each<[string, Partial<SumProofInput>, string]>([
    ['a blinded list that is not packed', { blinded: list.subarray(3) }, 'blinded'],
    ['a blinded list as an array', { blinded: [list] as unknown as Uint8Array }, 'blinded'],
    ['an evaluated list that is not packed', { evaluated: input.evaluated.subarray(5) }, 'evaluated'],
    ['one evaluation fewer', { evaluated: input.evaluated.subarray(32) }, 'evaluated'],
    ['evaluations for an empty list', { blinded: new Uint8Array(0) }, 'evaluated'],
  ])('refuses %s with its own guard (generate and verify)', (_, change, field) => {
    expectGuard(() => verifySumProof({ ...input, ...change, proof }), field);
    expectGuard(() => generateSumProof(key, { ...input, ...change }, rng), field);
  });

  it('names the counts of a length mismatch', () => {
    expect(thrown(() => verifySumProof({ ...input, evaluated: input.evaluated.subarray(32), proof })).message).toBe('"evaluated" expected 4 packed points to match "blinded", got 3');
  });

  it('refuses a pi that is not bytes with its own guard', () => {
    expectGuard(() => verifySumProof({ ...input, proof: 'ab'.repeat(32) as unknown as Uint8Array }), 'proof');
    expectGuard(() => verifySumProof({ ...input, blinded: new Uint8Array(0), evaluated: new Uint8Array(0), proof: 'x' as unknown as Uint8Array }), 'proof');
  });

  it('returns an empty pi for an empty list without touching the key or the context', () => {
    const empty = { ...input, blinded: new Uint8Array(0), evaluated: new Uint8Array(0), proofTranscriptHash: new Uint8Array(3) };
    expect(generateSumProof(new Uint8Array(32), empty, rng)).toEqual(new Uint8Array(0));
    expect(verifySumProof({ ...empty, proof: new Uint8Array(0) })).toEqual({ valid: true });
  });

  it('checks the pi length against the list size, before any context is built', () => {
    const bad = { ...input, proofTranscriptHash: new Uint8Array(3) };
    expect(verifySumProof({ ...bad, proof: proof.subarray(0, 63) })).toEqual({ valid: false, fault: 'prover', code: 'bad-proof', detail: 'PROOF carries 63 bytes, expected 64 for a list of 4' });
    expect(verifySumProof({ ...bad, blinded: new Uint8Array(0), evaluated: new Uint8Array(0), proof })).toEqual({
      valid: false,
      fault: 'prover',
      code: 'bad-proof',
      detail: 'PROOF carries 64 bytes, expected 0 for a list of 0',
    });
  });

  it('builds the sum context from TH_proof: a TH_proof of the wrong length is an InternalError', () => {
    const error = thrown(() => verifySumProof({ ...input, proofTranscriptHash: new Uint8Array(63), proof }));
    expect(error).toBeInstanceOf(InternalError);
    expect(error.code).toBe('invalid-length');
    const generated = thrown(() => generateSumProof(key, { ...input, proofTranscriptHash: new Uint8Array(63) }, rng));
    expect(generated).toBeInstanceOf(InternalError);
    expect(generated.code).toBe('invalid-length');
  });

  it('tells the sum verdicts apart by detail: sums, malformed pi, pi that does not verify', () => {
    const nonCanonical = Uint8Array.from([...new Uint8Array(32).fill(0xff), ...proof.subarray(32)]);
    const malformed = verifySumProof({ ...input, proof: nonCanonical });
    expect(malformed).toMatchObject({ valid: false, fault: 'prover', code: 'bad-proof' });
    expect(malformed.valid === false && malformed.detail).toMatch(/^the sum proof is malformed: /);
    const flipped = proof.slice();
    flipped[40] = flipped[40]! ^ 1;
    expect(verifySumProof({ ...input, proof: flipped })).toEqual({ valid: false, fault: 'prover', code: 'bad-proof', detail: 'the sum proof does not verify' });
  });

  it('reports an invalid blinded encoding as the verifier\'s bad-point and an invalid evaluation as the prover\'s bad-proof', () => {
    const badPoint = list.slice();
    badPoint.fill(0xff, 0, 32);
    const verifier = verifySumProof({ ...input, blinded: badPoint, proof });
    expect(verifier).toMatchObject({ valid: false, fault: 'verifier', code: 'bad-point' });
    expect(verifier.valid === false && verifier.detail).toMatch(/^the verifier's blinded points sum to no usable element: /);
    const badEvaluation = input.evaluated.slice();
    badEvaluation.fill(0xff, 32, 64);
    const prover = verifySumProof({ ...input, evaluated: badEvaluation, proof });
    expect(prover).toMatchObject({ valid: false, fault: 'prover', code: 'bad-proof' });
    expect(prover.valid === false && prover.detail).toMatch(/^the prover's evaluations sum to no usable element: /);
  });

  it('lets a prover key of the wrong length through as crypto\'s ValidationError; an invalid key element is a malformed proof', () => {
    const error = thrown(() => verifySumProof({ ...input, publicKey: new Uint8Array(31), proof }));
    expect(error).toBeInstanceOf(ValidationError);
    expect(error.code).toBe('invalid-length');
    const verdict = verifySumProof({ ...input, publicKey: new Uint8Array(32).fill(0xff), proof });
    expect(verdict).toMatchObject({ valid: false, fault: 'prover', code: 'bad-proof' });
    expect(verdict.valid === false && verdict.detail).toMatch(/^the sum proof is malformed: /);
    expect(() => generateSumProof(key, { ...input, publicKey: new Uint8Array(32).fill(0xff) }, rng)).toThrow(CryptoError);
  });
});
