/**
 * SPEC §6.1: the round's proof is split into segments of at most 65,536 pairs, each an RFC 9497
 * batched proof with contextString "VENN-V01-DLEQ-" || TH_proof || I2OSP(j, 2); verifyRoundProof
 * is the one place that checks them, for the round and for auditors.
 */
import { CryptoError, ValidationError } from '@venn/errors';
import { MAX_PROOF_PAIRS, randomScalar, scalarBaseMult, scalarMultPacked, verifyProof } from '@venn/crypto';
import {
  DLEQ_CONTEXT_PREFIX,
  GENERATOR,
  PROOF_CONTEXT_BYTES,
  Transcript,
  generateRoundProof,
  proofContextString,
  proofPairCount,
  roundProofLength,
  verifyRoundProof,
  type CompletedResult,
  type Round,
  type RoundProofInput,
  type TranscriptRecord,
} from '@venn/protocol';
import { MAX_PROOF_SEGMENTS, PROOF_SEGMENT_PAIRS, decodeMessage, type Message } from '@venn/wire';
import { describe, expect, it } from 'vitest';
import { seededRng } from '../scripts/seeded-rng.js';
import { digest, pair, pump } from './harness.js';

const hex = (bytes: Uint8Array): string => Buffer.from(bytes).toString('hex');
/** L − 1, little-endian: (L − 1)·P = −P, so P and (L − 1)·P sum to the identity. */
const L_MINUS_1 = Uint8Array.from([0xec, 0xd3, 0xf5, 0x5c, 0x1a, 0x63, 0x12, 0x58, 0xd6, 0x9c, 0xf7, 0xa2, 0xde, 0xf9, 0xde, 0x14, ...new Uint8Array(15), 0x10]);

function completed(round: Round): CompletedResult {
  const result = round.result;
  if (result?.status !== 'completed') throw new Error(`expected a completed round, got ${result?.status} ${result?.status === 'aborted' ? result.detail : ''}`);
  return result;
}

/** `count` distinct 32-byte digests: the index, big-endian, in the first 4 bytes. */
function distinctDigests(count: number, offset = 0): Uint8Array[] {
  return Array.from({ length: count }, (_, i) => {
    const out = new Uint8Array(32);
    new DataView(out.buffer).setUint32(0, offset + i);
    out[31] = 0x5e;
    return out;
  });
}

/** A small valid intersection-mode proof input: k·C under K = k·G, proven by generateRoundProof. */
function smallInput(pairs: number, mode: 'intersection' | 'cardinality' = 'intersection'): RoundProofInput {
  const rng = seededRng(`segmented-proof/${mode}/${pairs}`);
  const k = randomScalar(rng);
  const blinded = Uint8Array.from(Buffer.concat(Array.from({ length: pairs }, () => scalarBaseMult(randomScalar(rng)))));
  const evaluated = scalarMultPacked(k, blinded);
  const proofTranscriptHash = new Uint8Array(64).fill(0x3c);
  const publicKey = scalarBaseMult(k);
  return { mode, publicKey, blinded, evaluated, proofTranscriptHash, proof: generateRoundProof(k, mode, publicKey, blinded, evaluated, proofTranscriptHash, rng) };
}

describe('segmentation constants and context (SPEC §5.6, §6.1)', () => {
  it('a segment is what one RFC 9497 proof can index', () => {
    expect(PROOF_SEGMENT_PAIRS).toBe(MAX_PROOF_PAIRS);
    expect(MAX_PROOF_SEGMENTS).toBe(16);
  });

  it.each([
    ['intersection', 0, 0, 0],
    ['intersection', 1, 1, 64],
    ['intersection', 65_536, 65_536, 64],
    ['intersection', 65_537, 65_537, 128],
    ['intersection', 100_000, 100_000, 128],
    ['intersection', 1_048_576, 1_048_576, 1024],
    ['cardinality', 0, 0, 0],
    ['cardinality', 1, 1, 64],
    ['cardinality', 1_048_576, 1, 64],
  ] as const)('%s mode over %i verifier elements: %i pairs, %i proof bytes', (mode, n, pairs, bytes) => {
    expect(proofPairCount(mode, n)).toBe(pairs);
    expect(roundProofLength(mode, n)).toBe(bytes);
  });

  it('contextString is "VENN-V01-DLEQ-" || TH_proof || I2OSP(j, 2)', () => {
    const th = Uint8Array.from({ length: 64 }, (_, i) => i);
    const context = proofContextString(th, 15);
    expect(context.length).toBe(PROOF_CONTEXT_BYTES);
    expect(PROOF_CONTEXT_BYTES).toBe(80);
    expect(hex(context)).toBe(hex(Buffer.concat([Buffer.from('VENN-V01-DLEQ-'), th, Uint8Array.of(0, 15)])));
    expect(hex(context.subarray(0, 14))).toBe(hex(DLEQ_CONTEXT_PREFIX));
  });

  it.each([
    ['a 63-byte transcript hash', new Uint8Array(63), 0],
    ['a negative segment', new Uint8Array(64), -1],
    ['segment 16', new Uint8Array(64), 16],
    ['a fractional segment', new Uint8Array(64), 0.5],
  ])('refuses %s', (_, th, segment) => {
    expect(() => proofContextString(th, segment)).toThrow(/"proofTranscriptHash"|"segment"/);
  });
});

describe('verifyRoundProof (SPEC §4.5 PROOF, §6)', () => {
  const valid = smallInput(5);

  it('accepts the proof generateRoundProof made, as one RFC 9497 proof with the segment-0 context', () => {
    expect(valid.proof.length).toBe(64);
    expect(verifyRoundProof(valid)).toEqual({ valid: true, segments: 1 });
    expect(verifyProof(GENERATOR, valid.publicKey, valid.blinded, valid.evaluated, valid.proof, proofContextString(valid.proofTranscriptHash, 0))).toBe(true);
  });

  it('accepts an empty proof over an empty list, in both modes', () => {
    for (const mode of ['intersection', 'cardinality'] as const) {
      const empty = { ...valid, mode, blinded: new Uint8Array(0), evaluated: new Uint8Array(0), proof: new Uint8Array(0) };
      expect(verifyRoundProof(empty)).toEqual({ valid: true, segments: 0 });
      expect(verifyRoundProof({ ...empty, proof: new Uint8Array(64) })).toMatchObject({ valid: false, fault: 'prover', code: 'bad-proof', segment: null });
    }
  });

  it('verifies a cardinality proof over the sums only', () => {
    const cardinality = smallInput(4, 'cardinality');
    expect(verifyRoundProof(cardinality)).toEqual({ valid: true, segments: 1 });
    // The sum does not depend on the order in which the evaluations were sent.
    const reversed = Buffer.concat(Array.from({ length: 4 }, (_, i) => cardinality.evaluated.subarray((3 - i) * 32, (4 - i) * 32)));
    expect(verifyRoundProof({ ...cardinality, evaluated: reversed })).toEqual({ valid: true, segments: 1 });
  });

  const tampered = (at: number): Uint8Array => {
    const proof = valid.proof.slice();
    proof[at] = proof[at]! ^ 0x01;
    return proof;
  };
  const swapped = Buffer.concat([valid.evaluated.subarray(32, 64), valid.evaluated.subarray(0, 32), valid.evaluated.subarray(64)]);
  const prover = { valid: false, fault: 'prover', code: 'bad-proof' };
  it.each<[string, Partial<RoundProofInput>, object]>([
    ['an empty proof for a non-empty list', { proof: new Uint8Array(0) }, { ...prover, segment: null }],
    ['a proof of 63 bytes', { proof: valid.proof.subarray(0, 63) }, { ...prover, segment: null }],
    ['a proof of two segments for one', { proof: Buffer.concat([valid.proof, valid.proof]) }, { ...prover, segment: null }],
    ['one bit of c flipped', { proof: tampered(3) }, { ...prover, segment: 0 }],
    ['one bit of s flipped', { proof: tampered(40) }, { ...prover, segment: 0 }],
    ['a challenge that is not a canonical scalar', { proof: Uint8Array.from([...new Uint8Array(32).fill(0xff), ...valid.proof.subarray(32)]) }, { ...prover, segment: 0 }],
    ['two evaluations swapped', { evaluated: swapped }, { ...prover, segment: 0 }],
    ['another transcript hash', { proofTranscriptHash: new Uint8Array(64).fill(0x3d) }, { ...prover, segment: 0 }],
    ['another prover key', { publicKey: scalarBaseMult(randomScalar(seededRng('other key'))) }, { ...prover, segment: 0 }],
    ['a prover key that is the identity', { publicKey: new Uint8Array(32) }, { ...prover, segment: 0 }],
    ['the cardinality mode', { mode: 'cardinality' }, { ...prover, segment: 0 }],
  ])('rejects %s, naming the prover', (_, change, verdict) => {
    expect(verifyRoundProof({ ...valid, ...change })).toMatchObject(verdict);
  });

  it('names the verifier when its blinded points sum to the identity, and the prover when its evaluations do', () => {
    const { blinded, evaluated } = valid;
    const P = blinded.subarray(0, 32);
    const minusP = scalarMultPacked(L_MINUS_1, P);
    const cancelling = Buffer.concat([P, minusP]);
    const base = { ...valid, mode: 'cardinality' as const, proof: new Uint8Array(64) };
    expect(verifyRoundProof({ ...base, blinded: cancelling, evaluated: evaluated.subarray(0, 64) })).toMatchObject({ valid: false, fault: 'verifier', code: 'bad-point' });
    expect(verifyRoundProof({ ...base, blinded: blinded.subarray(0, 64), evaluated: cancelling })).toMatchObject({ valid: false, fault: 'prover', code: 'bad-proof' });
  });

  it.each<[string, unknown]>([
    ['no input', undefined],
    ['an unknown mode', { ...valid, mode: 'union' }],
    ['lists of different lengths', { ...valid, evaluated: valid.evaluated.subarray(32) }],
    ['a list that is not packed points', { ...valid, blinded: valid.blinded.subarray(1) }],
    ['a list as an array', { ...valid, blinded: [valid.blinded] }],
    ['a proof as a string', { ...valid, proof: 'ab'.repeat(32) }],
  ])('throws a ValidationError for %s', (_, input) => {
    expect(() => verifyRoundProof(input as RoundProofInput)).toThrow(ValidationError);
  });

  it('generateRoundProof refuses a cardinality list that sums to the identity', () => {
    const rng = seededRng('identity sum');
    const k = randomScalar(rng);
    const P = scalarBaseMult(randomScalar(rng));
    const blinded = Buffer.concat([P, scalarMultPacked(L_MINUS_1, P)]);
    expect(() => generateRoundProof(k, 'cardinality', scalarBaseMult(k), blinded, scalarMultPacked(k, blinded), new Uint8Array(64), rng)).toThrow(CryptoError);
  });
});

describe('a round over more than 65,536 pairs (SPEC §6.1)', () => {
  it('proves the larger list in two segments, each RFC 9497 with its own context, and completes', () => {
    const shared = distinctDigests(3, 7);
    const large = distinctDigests(PROOF_SEGMENT_PAIRS + 1); // holds shared: indices 7, 8, 9
    const small = [...shared, digest('b-only-1'), digest('b-only-2')];
    const records: TranscriptRecord[] = [];
    const { initiator, responder } = pair(large, small, {
      both: { policy: { maxPeerSetSize: 100_000, modes: ['intersection'], labelFields: [] } },
      initiator: { onMessage: (record) => records.push(record) },
    });
    pump(initiator, responder);
    // The initiator verified the responder's two-segment proof over its own 65,537 points.
    const ri = completed(initiator);
    const rr = completed(responder);
    expect(ri.intersectionSize).toBe(3);
    expect(rr.intersectionSize).toBe(3);
    expect(ri.matches.map((m) => hex(m.element))).toEqual(shared.map(hex));

    const transcript = new Transcript();
    const messages: Array<[string, Message]> = [];
    for (const record of records) {
      const message = decodeMessage(record.bytes);
      messages.push([record.sender, message]);
      if (message.kind !== 'finish' && message.kind !== 'abort') transcript.absorb(record.sender, message.kind, record.bytes);
    }
    const find = <K extends Message['kind']>(sender: string, kind: K) => messages.filter(([s, m]) => s === sender && m.kind === kind).map(([, m]) => m as Extract<Message, { kind: K }>);
    const largeBlinded = Buffer.concat(find('initiator', 'blinded').map((m) => m.points));
    const evaluations = Buffer.concat(find('responder', 'evaluated').map((m) => m.points));
    const K = find('responder', 'offer')[0]!.publicKey;
    const pi = find('responder', 'proof')[0]!.proof;
    expect(pi.length).toBe(128);
    expect(find('initiator', 'proof')[0]!.proof.length).toBe(64);

    // Segment 1 holds the one pair 65,536 and is an RFC 9497 proof under the context with I2OSP(1, 2).
    const thProof = transcript.proofHash('responder');
    const lastC = largeBlinded.subarray(PROOF_SEGMENT_PAIRS * 32);
    const lastD = evaluations.subarray(PROOF_SEGMENT_PAIRS * 32);
    expect(lastC.length).toBe(32);
    expect(verifyProof(GENERATOR, K, lastC, lastD, pi.subarray(64), proofContextString(thProof, 1))).toBe(true);
    expect(verifyProof(GENERATOR, K, lastC, lastD, pi.subarray(64), proofContextString(thProof, 0))).toBe(false);
    expect(verifyProof(GENERATOR, K, lastC, lastD, pi.subarray(0, 64), proofContextString(thProof, 1))).toBe(false);

    // verifyRoundProof checks every segment: a flipped bit in the last one fails there.
    const tampered = pi.slice();
    tampered[100] = tampered[100]! ^ 0x01;
    const input = { mode: 'intersection' as const, publicKey: K, blinded: largeBlinded, evaluated: evaluations, proof: tampered, proofTranscriptHash: thProof };
    expect(verifyRoundProof(input)).toMatchObject({ valid: false, fault: 'prover', code: 'bad-proof', segment: 1 });
  }, 300_000);
});
