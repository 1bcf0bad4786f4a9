/** The round-record leaf (audit.md §3): round trips, canonical bytes, and a junk table of typed errors. */
import fc from 'fast-check';
import { CodecError, ValidationError } from '@venn/errors';
import { describe, expect, it } from 'vitest';
import {
  MAX_ROUND_RECORD_BYTES,
  decodeRoundRecord,
  encodeRoundRecord,
  type RoundRecord,
} from '../src/index.js';
import { caught, refusal as refused } from './round-harness.js';

const id = fc.stringMatching(/^[a-z0-9][a-z0-9-]{0,62}$/);
const count = fc.integer({ min: 0, max: Number.MAX_SAFE_INTEGER });
const bytes32 = fc.uint8Array({ minLength: 32, maxLength: 32 });

/** Records that obey the status rules of audit.md §3. */
const record: fc.Arbitrary<RoundRecord> = fc
  .record({
    roundId: bytes32,
    attempt: fc.integer({ min: 0, max: 0xffff_ffff }),
    rosterDigest: bytes32,
    slot: fc.option(count, { nil: null }),
    ids: fc.uniqueArray(id, { minLength: 2, maxLength: 2 }),
    status: fc.constantFrom('completed', 'aborted', 'disputed') as fc.Arbitrary<RoundRecord['status']>,
    reasonCode: id,
    transcriptHash: fc.uint8Array({ minLength: 64, maxLength: 64 }),
    claims: fc.tuple(count, count),
    optionalClaims: fc.tuple(fc.option(count, { nil: null }), fc.option(count, { nil: null })),
    timestamp: count,
    abortedEarly: fc.boolean(),
    setSizes: fc.tuple(fc.integer({ min: 0, max: 1_048_576 }), fc.integer({ min: 0, max: 1_048_576 })),
    optionalSizes: fc.tuple(fc.option(fc.integer({ min: 0, max: 1_048_576 }), { nil: null }), fc.option(fc.integer({ min: 0, max: 1_048_576 }), { nil: null })),
    served: fc.tuple(fc.double({ min: 0, max: 1, noNaN: true }), fc.double({ min: 0, max: 1, noNaN: true })),
    endedBy: fc.constantFrom('initiator', 'responder') as fc.Arbitrary<'initiator' | 'responder'>,
  })
  .map((r) => {
    const [initiatorId, responderId] = r.ids as [string, string];
    let [initiatorClaim, responderClaim]: [number | null, number | null] = r.claims;
    let reason = r.reasonCode;
    let transcriptHash = r.transcriptHash;
    let [initiatorSetSize, responderSetSize]: [number | null, number | null] = r.setSizes;
    // Completed and disputed rounds evaluated both whole lists (audit.md §3).
    let initiatorEvaluations = responderSetSize ?? 0;
    let responderEvaluations = initiatorSetSize ?? 0;
    let endedBy: RoundRecord['endedBy'] = null;
    if (r.status === 'completed') {
      responderClaim = initiatorClaim;
      reason = '';
    } else if (r.status === 'disputed') {
      if (initiatorClaim === responderClaim) responderClaim = initiatorClaim === 0 ? 1 : initiatorClaim - 1;
    } else {
      [initiatorClaim, responderClaim] = r.optionalClaims;
      [initiatorSetSize, responderSetSize] = r.optionalSizes;
      // An aborted attempt served at most the other party's declared set.
      initiatorEvaluations = Math.floor(r.served[0] * (responderSetSize ?? 0));
      responderEvaluations = Math.floor(r.served[1] * (initiatorSetSize ?? 0));
      endedBy = r.endedBy;
      if (r.abortedEarly) transcriptHash = new Uint8Array(0);
    }
    return {
      roundId: r.roundId,
      attempt: r.attempt,
      rosterDigest: r.rosterDigest,
      slot: r.slot,
      initiatorId,
      responderId,
      status: r.status,
      reason,
      transcriptHash,
      initiatorClaim,
      responderClaim,
      timestamp: r.timestamp,
      initiatorSetSize,
      responderSetSize,
      initiatorEvaluations,
      responderEvaluations,
      endedBy,
    };
  });

const completed: RoundRecord = {
  roundId: new Uint8Array(32).fill(0xaa),
  attempt: 2,
  rosterDigest: new Uint8Array(32).fill(0xbb),
  slot: 1_767_225_600,
  initiatorId: 'lab-a',
  responderId: 'lab-b',
  status: 'completed',
  reason: '',
  transcriptHash: new Uint8Array(64).fill(0xcc),
  initiatorClaim: 1234,
  responderClaim: 1234,
  timestamp: 1_767_225_612_345,
  initiatorSetSize: 5000,
  responderSetSize: 7000,
  initiatorEvaluations: 7000,
  responderEvaluations: 5000,
  endedBy: null,
};

function hex(b: Uint8Array): string {
  return Buffer.from(b).toString('hex');
}

describe('round record encoding', () => {
  it('lays out the fields exactly as audit.md §3 says', () => {
    const u64 = (n: number): string => n.toString(16).padStart(16, '0');
    const u32 = (n: number): string => n.toString(16).padStart(8, '0');
    const expected =
      '02' +
      'aa'.repeat(32) +
      'bb'.repeat(32) +
      '00000002' + // attempt
      '1f' + // flags: slot, initiator claim, responder claim, both set sizes
      u64(1_767_225_600) +
      '01' + // completed
      u64(1234) +
      u64(1234) +
      u64(1_767_225_612_345) +
      u32(5000) + u32(7000) + // set sizes
      u32(7000) + u32(5000) + // evaluations each way: each party evaluated the other's whole set
      '00' + // endedBy: none for a completed round
      '40' + 'cc'.repeat(64) +
      '05' + hex(new TextEncoder().encode('lab-a')) +
      '05' + hex(new TextEncoder().encode('lab-b')) +
      '00';
    expect(hex(encodeRoundRecord(completed))).toBe(expected);
  });

  it('round-trips every valid record, and decoding then encoding gives the same bytes', () => {
    fc.assert(
      fc.property(record, (r) => {
        const encoded = encodeRoundRecord(r);
        expect(encoded.length).toBeLessThanOrEqual(MAX_ROUND_RECORD_BYTES);
        const decoded = decodeRoundRecord(encoded);
        expect(decoded).toEqual(r);
        expect(hex(encodeRoundRecord(decoded))).toBe(hex(encoded));
      }),
      { numRuns: 500 },
    );
  });

  it('any single-byte change either fails to decode or decodes to a record with exactly those bytes', () => {
    fc.assert(
      fc.property(record, fc.nat(), fc.integer({ min: 1, max: 255 }), (r, position, delta) => {
        const mutated = encodeRoundRecord(r);
        const at = position % mutated.length;
        mutated[at] = (mutated[at]! + delta) & 0xff;
        let decoded: RoundRecord;
        try {
          decoded = decodeRoundRecord(mutated);
        } catch (error) {
          expect(error).toBeInstanceOf(CodecError);
          return;
        }
        expect(hex(encodeRoundRecord(decoded))).toBe(hex(mutated));
        expect(decoded).not.toEqual(r);
      }),
      { numRuns: 1000 },
    );
  });

  it('every truncation is a CodecError', () => {
    const encoded = encodeRoundRecord(completed);
    for (let length = 0; length < encoded.length; length++) {
      expect(() => decodeRoundRecord(encoded.slice(0, length)), `length ${length}`).toThrow(CodecError);
    }
  });
});

describe('round record junk table', () => {
  const good = encodeRoundRecord(completed);
  const patched = (offset: number, ...values: number[]): Uint8Array => {
    const copy = good.slice();
    copy.set(values, offset);
    return copy;
  };
  const FLAGS = 1 + 32 + 32 + 4;
  const SLOT = FLAGS + 1;
  const STATUS = SLOT + 8;
  const CLAIM_A = STATUS + 1;
  const TIMESTAMP = CLAIM_A + 16;
  const SET_SIZES = TIMESTAMP + 8;
  const EVALUATIONS = SET_SIZES + 8;
  const ENDED_BY = EVALUATIONS + 8;
  const TH_LEN = ENDED_BY + 1;
  const INITIATOR_LEN = TH_LEN + 1 + 64;

  const cases: [string, unknown, string][] = [
    ['not bytes', 'hello', 'invalid-type'],
    ['an array', [1, 2, 3], 'invalid-type'],
    ['empty', new Uint8Array(0), 'truncated'],
    ['one trailing byte', Uint8Array.from([...good, 0]), 'trailing-bytes'],
    ['far too large', new Uint8Array(1 << 20), 'too-large'],
    ['version 0', patched(0, 0), 'unsupported-version'],
    ['version 1', patched(0, 1), 'unsupported-version'],
    ['version 3', patched(0, 3), 'unsupported-version'],
    ['unknown flag bit', patched(FLAGS, 0x3f), 'invalid-field'],
    ['slot absent but non-zero', patched(FLAGS, 0x1e), 'non-canonical-encoding'],
    ['responder set size absent but non-zero', patched(FLAGS, 0x0f), 'non-canonical-encoding'],
    ['set size above MAX_SET_SIZE', patched(SET_SIZES, 0x00, 0x10, 0x00, 0x01), 'invalid-field'],
    ['completed with endedBy', patched(ENDED_BY, 2), 'inconsistent-record'],
    ['endedBy 3', patched(ENDED_BY, 3), 'invalid-field'],
    ['completed with evaluations short of the other set', patched(EVALUATIONS, 0, 0, 0x1b, 0x57), 'inconsistent-record'],
    ['status 0', patched(STATUS, 0), 'invalid-field'],
    ['status 4', patched(STATUS, 4), 'invalid-field'],
    ['claim above 2^53', patched(CLAIM_A, 0x00, 0x20), 'out-of-range'],
    ['timestamp of 2^64 - 1', patched(TIMESTAMP, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff), 'out-of-range'],
    ['transcript hash longer than 64', patched(TH_LEN, 65), 'wrong-length'],
    ['id with an upper-case letter', patched(INITIATOR_LEN + 1, 0x4c), 'invalid-field'],
    ['empty initiator id', patched(INITIATOR_LEN, 0), 'invalid-field'],
    ['initiator id starting with "-"', patched(INITIATOR_LEN + 1, 0x2d), 'invalid-field'],
    ['completed with unequal claims', patched(CLAIM_A + 7, 0xd3), 'inconsistent-record'],
    ['completed without the responder claim', patched(FLAGS, 0x1b, ...new Array(8).fill(0)), 'non-canonical-encoding'],
    ['same initiator and responder', (() => {
      const copy = good.slice();
      copy[INITIATOR_LEN + 11] = 0x61; // responder "lab-b" -> "lab-a"
      return copy;
    })(), 'invalid-field'],
  ];

  it.each(cases)('%s', (_name, input, code) => {
    try {
      decodeRoundRecord(input as Uint8Array);
      expect.unreachable('decoded junk');
    } catch (error) {
      expect(error).toBeInstanceOf(CodecError);
      expect((error as CodecError).code).toBe(code);
    }
  });
});

describe('encoding refuses invalid records with ValidationError', () => {
  const bad: [string, Partial<Record<keyof RoundRecord, unknown>>][] = [
    ['short round id', { roundId: new Uint8Array(31) }],
    ['roster digest of wrong type', { rosterDigest: 'ab'.repeat(32) }],
    ['negative attempt', { attempt: -1 }],
    ['attempt above u32', { attempt: 2 ** 32 }],
    ['fractional slot', { slot: 1.5 }],
    ['unsafe timestamp', { timestamp: 2 ** 53 }],
    ['unknown status', { status: 'done' }],
    ['id too long', { initiatorId: 'a'.repeat(64) }],
    ['id with a space', { responderId: 'lab b' }],
    ['same ids', { responderId: 'lab-a' }],
    ['completed with a reason', { reason: 'peer-abort' }],
    ['completed with one claim', { responderClaim: null }],
    ['completed with unequal claims', { responderClaim: 1235 }],
    ['completed without transcript hash', { transcriptHash: new Uint8Array(0) }],
    ['disputed with equal claims', { status: 'disputed' }],
    ['aborted without a reason', { status: 'aborted' }],
    ['reason not kebab-case', { status: 'aborted', reason: 'Bad Proof' }],
    ['transcript hash of 65 bytes', { transcriptHash: new Uint8Array(65) }],
    ['negative claim', { initiatorClaim: -1, responderClaim: -1 }],
    ['completed with a 32-byte transcript hash', { transcriptHash: new Uint8Array(32) }],
    ['completed without a set size', { initiatorSetSize: null }],
    ['completed with endedBy', { endedBy: 'initiator' }],
    ['completed with evaluations other than the other set', { initiatorEvaluations: 6999 }],
    ['aborted without endedBy', { status: 'aborted', reason: 'peer-abort' }],
    ['aborted with evaluations beyond the other set', { status: 'aborted', reason: 'peer-abort', endedBy: 'responder', initiatorEvaluations: 7001 }],
    ['evaluations that are not a count', { initiatorEvaluations: 1.5 }],
    ['set size above MAX_SET_SIZE', { initiatorSetSize: 1_048_577 }],
  ];

  it.each(bad)('%s', (_name, change) => {
    const input = { ...completed, ...change } as RoundRecord;
    expect(() => encodeRoundRecord(input)).toThrow(ValidationError);
  });

  it('names "reason" when it is neither empty nor a kebab-case code, before any check of the status', () => {
    for (const reason of ['Bad Proof', 42, null, 'a'.repeat(64)]) {
      expect(() => encodeRoundRecord({ ...completed, reason } as unknown as RoundRecord)).toThrow(
        expect.objectContaining({ code: 'invalid-field', message: expect.stringContaining('"reason" expected empty or a kebab-case reason code') }) as Error,
      );
    }
  });

  it('accepts the statuses in their valid shapes', () => {
    const aborted: RoundRecord = {
      ...completed,
      status: 'aborted',
      reason: 'bad-proof',
      transcriptHash: new Uint8Array(0),
      initiatorClaim: null,
      responderClaim: null,
      slot: null,
      responderSetSize: null,
      initiatorEvaluations: 0,
      responderEvaluations: 4096,
      endedBy: 'initiator',
    };
    const disputed: RoundRecord = { ...completed, status: 'disputed', responderClaim: 1233 };
    expect(decodeRoundRecord(encodeRoundRecord(aborted))).toEqual(aborted);
    expect(decodeRoundRecord(encodeRoundRecord(disputed))).toEqual(disputed);
    expect(() => encodeRoundRecord(null as unknown as RoundRecord)).toThrow(ValidationError);
  });
});

describe('the refusals name the field and say what was expected', () => {
  /** The ValidationError (encoding) or CodecError (decoding) `action` throws: its code and exact message. */
  const refusal = (action: () => unknown): { code: string; message: string } => refused(action, [ValidationError, CodecError]);

  it('a timestamp that is not a count of Unix milliseconds', () => {
    expect(refusal(() => encodeRoundRecord({ ...completed, timestamp: -1 }))).toEqual({
      code: 'invalid-field', message: '"timestamp" expected Unix milliseconds as a non-negative safe integer, got number -1',
    });
  });

  it('an aborted round with an empty reason, whatever else it states', () => {
    // endedBy is set, so the empty reason is the only fault the record has.
    const aborted: RoundRecord = { ...completed, status: 'aborted', reason: '', initiatorClaim: null, responderClaim: null, endedBy: 'responder' };
    expect(refusal(() => encodeRoundRecord(aborted))).toEqual({ code: 'inconsistent-record', message: '"reason" expected an abort reason code for an aborted round, got ""' });
    // Without endedBy as well, the reason is still the one named.
    expect(refusal(() => encodeRoundRecord({ ...aborted, endedBy: null }))).toEqual({ code: 'inconsistent-record', message: '"reason" expected an abort reason code for an aborted round, got ""' });
    expect(decodeRoundRecord(encodeRoundRecord({ ...aborted, reason: 'peer-abort' }))).toMatchObject({ status: 'aborted', reason: 'peer-abort', endedBy: 'responder' });
  });

  it('an aborted round that names no party as having ended it', () => {
    expect(refusal(() => encodeRoundRecord({ ...completed, status: 'aborted', reason: 'peer-abort', endedBy: null }))).toEqual({
      code: 'inconsistent-record', message: '"endedBy" expected the party that ended an aborted round, got none',
    });
  });

  it('a responder id outside the id pattern, on decoding', () => {
    const bytes = encodeRoundRecord(completed);
    // The responder id "lab-b" is the last but one field; its first byte made upper case.
    const at = bytes.length - 1 - 5;
    expect(String.fromCharCode(...bytes.subarray(at, at + 5))).toBe('lab-b');
    const forged = bytes.slice();
    forged[at] = 0x4c;
    expect(refusal(() => decodeRoundRecord(forged))).toEqual({
      code: 'invalid-field', message: 'round record "responderId" expected 1 to 63 characters a-z, 0-9 and "-", got "Lab-b"',
    });
  });
});

describe('the decoder names the field it refuses, and the encoder refuses an id that is not a string', () => {
  /** The CodecError or ValidationError `action` throws: its class, code and exact message. */
  function refusal(action: () => unknown): { type: string; code: string; message: string } {
    const error = caught(action);
    expect(error instanceof ValidationError || error instanceof CodecError, `${error.constructor.name}: ${error.message}`).toBe(true);
    return { type: error.constructor.name, code: error.code, message: error.message };
  }

  // An aborted attempt that made no claim: both claim flags clear, so the claims are written as zero.
  const aborted: RoundRecord = { ...completed, status: 'aborted', reason: 'peer-abort', initiatorClaim: null, responderClaim: null, endedBy: 'responder' };
  /** version, roundId, rosterDigest, attempt, flags, slot, status: the initiator's claim starts here. */
  const INITIATOR_CLAIM_AT = 1 + 32 + 32 + 4 + 1 + 8 + 1;

  it('an absent initiator claim written as anything but zero is a second encoding, named as "initiatorClaim"', () => {
    const bytes = encodeRoundRecord(aborted);
    expect(hex(bytes.subarray(INITIATOR_CLAIM_AT, INITIATOR_CLAIM_AT + 16))).toBe('00'.repeat(16));
    const forged = bytes.slice();
    forged[INITIATOR_CLAIM_AT + 7] = 5;
    expect(refusal(() => decodeRoundRecord(forged))).toEqual({
      type: 'CodecError', code: 'non-canonical-encoding', message: 'round record "initiatorClaim" expected 0 when absent, got 5',
    });
    // The same byte in the responder's claim is named as the responder's.
    const responder = bytes.slice();
    responder[INITIATOR_CLAIM_AT + 15] = 5;
    expect(refusal(() => decodeRoundRecord(responder))).toEqual({
      type: 'CodecError', code: 'non-canonical-encoding', message: 'round record "responderClaim" expected 0 when absent, got 5',
    });
  });

  it('an initiator id outside the id pattern, on decoding', () => {
    const bytes = encodeRoundRecord(completed);
    // The initiator id "lab-a" follows the 64-byte transcript hash; its first byte made upper case.
    const at = bytes.length - 1 - 6 - 5;
    expect(String.fromCharCode(...bytes.subarray(at, at + 5))).toBe('lab-a');
    const forged = bytes.slice();
    forged[at] = 0x4c;
    expect(refusal(() => decodeRoundRecord(forged))).toEqual({
      type: 'CodecError', code: 'invalid-field', message: 'round record "initiatorId" expected 1 to 63 characters a-z, 0-9 and "-", got "Lab-a"',
    });
  });

  it('a record cut short names the field it was reading: the flags, the initiator\'s evaluation count', () => {
    const bytes = encodeRoundRecord(completed);
    // version, roundId, rosterDigest, attempt: the flags byte is at offset 69.
    expect(refusal(() => decodeRoundRecord(bytes.subarray(0, 69)))).toEqual({
      type: 'CodecError', code: 'truncated', message: 'round record "flags" expected 1 more bytes at offset 69, got 0',
    });
    // ... flags, slot, status, two claims, timestamp, two set sizes: the initiator's evaluations at 111.
    expect(refusal(() => decodeRoundRecord(bytes.subarray(0, 113)))).toEqual({
      type: 'CodecError', code: 'truncated', message: 'round record "initiatorEvaluations" expected 4 more bytes at offset 111, got 2',
    });
  });

  it('a reason outside the reason pattern, on decoding', () => {
    const bytes = encodeRoundRecord(aborted);
    // The reason "peer-abort" is the last field; its first byte made upper case.
    const at = bytes.length - 10;
    expect(String.fromCharCode(...bytes.subarray(at))).toBe('peer-abort');
    const forged = bytes.slice();
    forged[at] = 0x50;
    expect(refusal(() => decodeRoundRecord(forged))).toEqual({
      type: 'CodecError', code: 'invalid-field', message: 'round record "reason" expected empty or 1 to 63 characters a-z, 0-9 and "-", got "Peer-abort"',
    });
  });

  it('an initiator or responder id that is not a string, even one whose text would match the pattern', () => {
    expect(refusal(() => encodeRoundRecord({ ...completed, initiatorId: 123 } as unknown as RoundRecord))).toEqual({
      type: 'ValidationError', code: 'invalid-field', message: '"initiatorId" expected a roster member id (1 to 63 characters a-z, 0-9, "-"), got number 123',
    });
    expect(refusal(() => encodeRoundRecord({ ...completed, responderId: ['lab-b'] } as unknown as RoundRecord))).toMatchObject({
      type: 'ValidationError', code: 'invalid-field', message: expect.stringMatching(/^"responderId" expected a roster member id \(1 to 63 characters a-z, 0-9, "-"\), got /),
    });
  });
});
