/**
 * Fast checks for mutants that survived a mutation run of the protocol package outside round.ts:
 * the abort-reason predicate, the domain-separation labels (SPEC §2, §6–§8, §11), the FINISH input
 * guards (SPEC §8), the "policy" option guard, the own set's size cap (SPEC §3.1) and label lookup,
 * PointTable lookups (positions given, points looked up from another buffer), and which failures
 * of the sum proof become a verdict (only CryptoError, SPEC §6.3).
 */
import { CryptoError, InternalError, ValidationError } from '@venn/errors';
import { randomScalar, ready, scalarBaseMult, scalarMultPacked } from '@venn/crypto';
import {
  ABORT_REASONS,
  CHUNK_LABEL,
  DLEQ_CONTEXT_PREFIX,
  FINISH_LABEL,
  HASH_TO_GROUP_DST,
  PointTable,
  STREAM_LABEL,
  TRANSCRIPT_LABEL,
  finishSignatureInput,
  isAbortReason,
  ownSetFromDigests,
  verifySumProof,
} from '@venn/protocol';
import { MAX_SET_SIZE, PROOF_BYTES } from '@venn/wire';
import { describe, expect, it } from 'vitest';
import { validateOptions } from '../src/internal/options.js';
import { seededRng } from '../scripts/seeded-rng.js';
import { options, thrown } from './harness.js';

await ready();

const ascii = (text: string): Uint8Array => new TextEncoder().encode(text);

describe('abort reasons (SPEC §9)', () => {
  it('isAbortReason accepts every listed reason and nothing else', () => {
    for (const reason of ABORT_REASONS) expect(isAbortReason(reason)).toBe(true);
    expect(isAbortReason('bad-proof')).toBe(true);
    expect(isAbortReason('not-a-reason')).toBe(false);
    expect(isAbortReason('')).toBe(false);
  });
});

describe('domain separation labels (SPEC §11 table)', () => {
  it('are the exact ASCII bytes the spec lists', () => {
    expect(FINISH_LABEL).toEqual(ascii('VENN-V02-FINISH'));
    expect(FINISH_LABEL.length).toBe(15);
    expect(CHUNK_LABEL).toEqual(ascii('VENN-V02-CHUNK'));
    expect(DLEQ_CONTEXT_PREFIX).toEqual(ascii('VENN-V02-DLEQ-'));
    expect(STREAM_LABEL).toEqual(ascii('VENN-V02-STREAM'));
    expect(TRANSCRIPT_LABEL).toEqual(ascii('VENN-V02-TRANSCRIPT'));
    expect(HASH_TO_GROUP_DST).toEqual(ascii('VENN-V02-CS01-with-ristretto255_XMD:SHA-512_R255MAP_RO_'));
    expect(HASH_TO_GROUP_DST.length).toBe(55);
  });

  it('the FINISH input starts with "VENN-V02-FINISH" (SPEC §8)', () => {
    const input = finishSignatureInput('initiator', new Uint8Array(32).fill(7), new Uint8Array(64).fill(9), 5);
    expect(input.length).toBe(15 + 1 + 32 + 64 + 4);
    expect(Buffer.from(input.subarray(0, 15)).toString('latin1')).toBe('VENN-V02-FINISH');
  });
});

describe('finishSignatureInput guards (SPEC §8: fixed-length fields)', () => {
  const lengthMessage = 'FINISH input needs a 32-byte round id and a 64-byte transcript hash';
  const expectInternal = (call: () => unknown, message: string): void => {
    const error = thrown(call);
    expect(error).toBeInstanceOf(InternalError);
    expect(error.code).toBe('invalid-length');
    expect(error.message).toBe(message);
  };

  it('refuses a round id that is not 32 bytes (with a good transcript hash)', () => {
    expectInternal(() => finishSignatureInput('initiator', new Uint8Array(31), new Uint8Array(64), 0), lengthMessage);
    expectInternal(() => finishSignatureInput('responder', new Uint8Array(0), new Uint8Array(64), 0), lengthMessage);
  });

  it('refuses a transcript hash that is not 64 bytes (with a good round id)', () => {
    expectInternal(() => finishSignatureInput('initiator', new Uint8Array(32), new Uint8Array(63), 0), lengthMessage);
    expectInternal(() => finishSignatureInput('responder', new Uint8Array(32), new Uint8Array(32), 0), lengthMessage);
  });

  it('refuses a size that does not fit I2OSP(size, 4), with invalid-length', () => {
    expectInternal(() => finishSignatureInput('initiator', new Uint8Array(32), new Uint8Array(64), -1), 'FINISH size -1 does not fit I2OSP(size, 4)');
    expectInternal(() => finishSignatureInput('initiator', new Uint8Array(32), new Uint8Array(64), 2 ** 32), `FINISH size ${2 ** 32} does not fit I2OSP(size, 4)`);
  });
});

describe('"policy" option guard', () => {
  it('refuses a policy that is not an object, naming "policy"', () => {
    for (const [policy, got] of [
      ['strict', '"strict"'],
      [undefined, 'undefined'],
      [7, 'number 7'],
    ] as const) {
      const error = thrown(() => validateOptions({ ...options('initiator', []), policy: policy as never }));
      expect(error).toBeInstanceOf(ValidationError);
      expect(error.code).toBe('invalid-option');
      expect(error.message).toBe(`"policy" expected an object, got ${got}`);
    }
  });
});

describe('ownSetFromDigests: the SPEC §3.1 cap and labels', () => {
  /** `count` distinct digests in ascending order (a big-endian counter in the first 4 bytes). */
  function ascending(count: number): Uint8Array[] {
    const buffer = new Uint8Array(count * 32);
    const view = new DataView(buffer.buffer);
    const out = new Array<Uint8Array>(count);
    for (let i = 0; i < count; i++) {
      view.setUint32(i * 32, i);
      out[i] = buffer.subarray(i * 32, (i + 1) * 32);
    }
    return out;
  }

  it('accepts exactly MAX_SET_SIZE distinct digests and refuses one more', () => {
    const elements = ascending(MAX_SET_SIZE + 1);
    const full = ownSetFromDigests(elements.slice(0, MAX_SET_SIZE));
    expect(full.size).toBe(MAX_SET_SIZE);
    const error = thrown(() => ownSetFromDigests(elements));
    expect(error).toBeInstanceOf(ValidationError);
    expect(error.code).toBe('invalid-own-set');
    expect(error.message).toBe(`"elements" expected at most ${MAX_SET_SIZE} distinct digests (SPEC §3.1), got ${MAX_SET_SIZE + 1}`);
  }, 60_000);

  it('labelOf has no label past the last distinct digest, even when repeats were dropped', () => {
    const a = new Uint8Array(32).fill(1);
    const b = new Uint8Array(32).fill(2);
    const set = ownSetFromDigests([a, a, b], [{ category: 'first' }, { category: 'repeat' }, { category: 'b' }]);
    expect(set.size).toBe(2);
    const loaded = set.load();
    expect(loaded.labelOf?.(0)).toEqual({ category: 'first' });
    expect(loaded.labelOf?.(1)).toEqual({ category: 'b' });
    expect(loaded.labelOf?.(2)).toBeUndefined();
  });
});

describe('PointTable', () => {
  /** `count` packed pseudorandom points (distinct). */
  function points(count: number, salt: number): Uint8Array {
    const out = new Uint8Array(count * 32);
    let x = 0x9e3779b9 ^ salt;
    for (let i = 0; i < out.length; i++) {
      x = (Math.imul(x, 1103515245) + 12345) >>> 0;
      out[i] = x >>> 24;
    }
    for (let i = 0; i < count; i++) new DataView(out.buffer).setUint32(i * 32 + 28, i); // distinct
    return out;
  }

  it('finds each point when queried from a buffer of its own (the hash reads only the point)', () => {
    const packed = points(200, 1);
    const table = new PointTable(packed);
    for (let i = 0; i < 200; i++) {
      const alone = packed.slice(i * 32, (i + 1) * 32);
      expect(table.find(alone, 0)).toBe(i);
      // and from a different place in another buffer, with other bytes around it
      const shifted = new Uint8Array(96).fill(0xee);
      shifted.set(alone, 40);
      expect(table.find(shifted, 40)).toBe(i);
    }
    expect(table.find(new Uint8Array(32), 0)).toBe(-1);
  });

  it('finds points of a table over 2^15 points from another buffer (slots use hash bits ≥ 16)', () => {
    // 40,000 points: 2^17 slots, so the slot depends on bit 16 of the hash, which comes from the
    // point's bytes 2 and 6; the hash must read them from the point itself, not from its neighbour.
    const count = 40_000;
    const packed = points(count, 4);
    const table = new PointTable(packed);
    const query = new Uint8Array(32);
    let missed = 0;
    for (let i = 0; i < count; i++) {
      query.set(packed.subarray(i * 32, (i + 1) * 32));
      if (table.find(query, 0) !== i) missed++;
    }
    expect(missed).toBe(0);
  });

  it('indexes only the positions given, all of them', () => {
    const packed = points(4, 2);
    const point = (i: number): Uint8Array => packed.slice(i * 32, (i + 1) * 32);
    const some = new PointTable(packed, [2, 3]);
    expect(some.find(point(2), 0)).toBe(2);
    expect(some.find(point(3), 0)).toBe(3);
    expect(some.find(point(0), 0)).toBe(-1);
    expect(some.find(point(1), 0)).toBe(-1);
    // more positions than points (a repeated position): every listed one is findable
    const repeated = new PointTable(packed.subarray(0, 64), [0, 0, 1]);
    expect(repeated.find(point(0), 0)).toBe(0);
    expect(repeated.find(point(1), 0)).toBe(1);
  });

  it('answers −1, never a position past the table, for a query with no point at `at`', () => {
    const packed = points(3, 3);
    const table = new PointTable(packed);
    expect(table.find(new Uint8Array(32), 32)).toBe(-1);
    expect(table.find(new Uint8Array(0), 0)).toBe(-1);
  });
});

describe('verifySumProof: only a CryptoError is the prover\'s or verifier\'s fault (SPEC §6.3)', () => {
  /** A packed list whose bytes cannot be read as a chunk: a failure of this party, not a bad point. */
  class Unreadable extends Uint8Array {
    override subarray(): never {
      throw new TypeError('unreadable list');
    }
  }
  const rng = seededRng('small-files-survivors');
  const key = randomScalar(rng);
  const publicKey = scalarBaseMult(key);
  const blinded = scalarBaseMult(randomScalar(rng));
  const evaluated = scalarMultPacked(key, blinded);
  const thrownAny = (call: () => unknown): Error => {
    try {
      call();
    } catch (error) {
      return error as Error;
    }
    throw new Error('expected a throw');
  };
  const base = { publicKey, proofTranscriptHash: new Uint8Array(64).fill(3), proof: new Uint8Array(PROOF_BYTES) };

  it('a non-crypto failure summing the blinded list propagates instead of blaming the verifier', () => {
    const bad = new Unreadable(32);
    bad.set(blinded);
    const error = thrownAny(() => verifySumProof({ ...base, blinded: bad, evaluated }));
    expect(error).toBeInstanceOf(TypeError);
    expect(error).not.toBeInstanceOf(CryptoError);
    expect(error.message).toBe('unreadable list');
  });

  it('a non-crypto failure summing the evaluated list propagates instead of blaming the prover', () => {
    const bad = new Unreadable(32);
    bad.set(evaluated);
    const error = thrownAny(() => verifySumProof({ ...base, blinded, evaluated: bad }));
    expect(error).toBeInstanceOf(TypeError);
    expect(error.message).toBe('unreadable list');
  });

  it('a CryptoError summing the lists is a verdict (control)', () => {
    const verdict = verifySumProof({ ...base, blinded: new Uint8Array(32), evaluated });
    expect(verdict).toMatchObject({ valid: false, fault: 'verifier', code: 'bad-point' });
  });
});
