/**
 * The round-record leaf (audit.md §3) at the edges the other round-record tests leave open: the
 * exact code and message of every refusal the shared record rules make, the status rules on
 * claims and set sizes one field at a time, and the field a truncated leaf names at every offset.
 */
import { CodecError, ValidationError } from '@venn/errors';
import { describe, expect, it } from 'vitest';
import { decodeRoundRecord, encodeRoundRecord, type RoundRecord } from '../src/index.js';
import { refusal as refused } from './round-harness.js';

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

/** An attempt the responder ended after both OFFERs, having served part of the initiator's set. */
const aborted: RoundRecord = {
  ...completed,
  status: 'aborted',
  reason: 'peer-abort',
  initiatorClaim: null,
  responderClaim: null,
  initiatorEvaluations: 100,
  responderEvaluations: 200,
  endedBy: 'responder',
};

const disputed: RoundRecord = { ...completed, status: 'disputed', responderClaim: 1233 };

/** The code and exact message of the ValidationError encoding `record` throws. */
const encodeRefusal = (record: unknown): { code: string; message: string } => refused(() => encodeRoundRecord(record as RoundRecord), [ValidationError]);
/** The code and exact message of the CodecError decoding `bytes` throws. */
const decodeRefusal = (bytes: Uint8Array): { code: string; message: string } => refused(() => decodeRoundRecord(bytes), [CodecError]);

describe('a malformed field is refused as invalid-field, named with what was expected and what it got', () => {
  const cases: [string, Partial<Record<keyof RoundRecord, unknown>>, string][] = [
    ['a 31-byte round id', { roundId: new Uint8Array(31) }, '"roundId" expected Uint8Array of length 32, got Uint8Array of length 31'],
    ['a round id given as hex text', { roundId: 'aa'.repeat(32) }, `"roundId" expected Uint8Array of length 32, got "${'aa'.repeat(32)}"`],
    ['a 33-byte roster digest', { rosterDigest: new Uint8Array(33) }, '"rosterDigest" expected Uint8Array of length 32, got Uint8Array of length 33'],
    ['a missing roster digest', { rosterDigest: undefined }, '"rosterDigest" expected Uint8Array of length 32, got undefined'],
    ['an attempt above u32', { attempt: 2 ** 32 }, '"attempt" expected an integer in [0, 2^32 - 1], got number 4294967296'],
    ['a negative attempt', { attempt: -1 }, '"attempt" expected an integer in [0, 2^32 - 1], got number -1'],
    ['a fractional slot', { slot: 1.5 }, '"slot" expected null or a non-negative safe integer, got number 1.5'],
    ['a slot given as text', { slot: '1767225600' }, '"slot" expected null or a non-negative safe integer, got "1767225600"'],
    ['a status outside the three', { status: 'done' }, '"status" expected one of completed, aborted, disputed, got "done"'],
    ['a status that is not a string', { status: 1 }, '"status" expected one of completed, aborted, disputed, got number 1'],
    ['a status named after an Object property', { status: 'toString' }, '"status" expected one of completed, aborted, disputed, got "toString"'],
    // A key lookup would coerce it to "completed": the string test is what refuses it.
    ['a status given as a one-item array of its name', { status: ['completed'] }, '"status" expected one of completed, aborted, disputed, got array of length 1'],
    ['a 65-byte transcript hash', { transcriptHash: new Uint8Array(65) }, '"transcriptHash" expected Uint8Array of at most 64 bytes, got Uint8Array of length 65'],
    ['a transcript hash given as an array', { transcriptHash: new Array(64).fill(0) }, '"transcriptHash" expected Uint8Array of at most 64 bytes, got array of length 64'],
    ['a negative initiator claim', { initiatorClaim: -1, responderClaim: -1 }, '"initiatorClaim" expected null or a non-negative safe integer, got number -1'],
    ['a fractional responder claim', { responderClaim: 1234.5 }, '"responderClaim" expected null or a non-negative safe integer, got number 1234.5'],
    ['an initiator set size above MAX_SET_SIZE', { initiatorSetSize: 1_048_577, responderEvaluations: 1_048_577 }, '"initiatorSetSize" expected null or an integer in [0, 1048576], got number 1048577'],
    ['a negative responder set size', { responderSetSize: -1, initiatorEvaluations: -1 }, '"responderSetSize" expected null or an integer in [0, 1048576], got number -1'],
    ['initiator evaluations above MAX_SET_SIZE', { initiatorEvaluations: 1_048_577 }, '"initiatorEvaluations" expected an integer in [0, 1048576], got number 1048577'],
    ['fractional initiator evaluations', { initiatorEvaluations: 1.5 }, '"initiatorEvaluations" expected an integer in [0, 1048576], got number 1.5'],
    ['responder evaluations above MAX_SET_SIZE', { responderEvaluations: 1_048_577 }, '"responderEvaluations" expected an integer in [0, 1048576], got number 1048577'],
    ['missing responder evaluations', { responderEvaluations: undefined }, '"responderEvaluations" expected an integer in [0, 1048576], got undefined'],
    ['an endedBy that is neither party', { endedBy: 'peer' }, '"endedBy" expected null, "initiator" or "responder", got "peer"'],
    ['an endedBy given as its wire code', { endedBy: 1 }, '"endedBy" expected null, "initiator" or "responder", got number 1'],
    ['the initiator again as responder', { responderId: 'lab-a' }, '"responderId" expected a member other than the initiator, got "lab-a"'],
  ];

  it.each(cases)('%s, in a completed record', (_name, change, message) => {
    expect(encodeRefusal({ ...completed, ...change })).toEqual({ code: 'invalid-field', message });
  });

  it('evaluations above MAX_SET_SIZE in an aborted record, where no set size bounds them first', () => {
    // With no set size recorded, the evaluation count itself is the first fault found.
    const unsized: RoundRecord = { ...aborted, initiatorSetSize: null, responderSetSize: null, initiatorEvaluations: 0, responderEvaluations: 0 };
    expect(encodeRefusal({ ...unsized, initiatorEvaluations: 1_048_577 })).toEqual({
      code: 'invalid-field', message: '"initiatorEvaluations" expected an integer in [0, 1048576], got number 1048577',
    });
    expect(encodeRefusal({ ...unsized, responderEvaluations: 2 ** 32 })).toEqual({
      code: 'invalid-field', message: '"responderEvaluations" expected an integer in [0, 1048576], got number 4294967296',
    });
    expect(encodeRefusal({ ...aborted, responderEvaluations: -1 })).toEqual({
      code: 'invalid-field', message: '"responderEvaluations" expected an integer in [0, 1048576], got number -1',
    });
  });

  it('an endedBy that is neither party, in an aborted record', () => {
    expect(encodeRefusal({ ...aborted, endedBy: 'both' })).toEqual({
      code: 'invalid-field', message: '"endedBy" expected null, "initiator" or "responder", got "both"',
    });
    // Both parties, and none for a completed record, are taken.
    expect(decodeRoundRecord(encodeRoundRecord({ ...aborted, endedBy: 'initiator' })).endedBy).toBe('initiator');
    expect(decodeRoundRecord(encodeRoundRecord(aborted)).endedBy).toBe('responder');
    expect(decodeRoundRecord(encodeRoundRecord(completed)).endedBy).toBeNull();
  });

  it('something other than an object is refused as invalid-type before any field is read', () => {
    expect(encodeRefusal('a record')).toEqual({ code: 'invalid-type', message: '"record" expected an object, got "a record"' });
    expect(encodeRefusal(42)).toEqual({ code: 'invalid-type', message: '"record" expected an object, got number 42' });
    expect(encodeRefusal(undefined)).toEqual({ code: 'invalid-type', message: '"record" expected an object, got undefined' });
    expect(encodeRefusal(null)).toEqual({ code: 'invalid-type', message: '"record" expected an object, got null' });
  });
});

describe('the status rules: claims, transcript hash, endedBy and evaluations', () => {
  it('a completed round needs both claims and they agree', () => {
    expect(encodeRefusal({ ...completed, initiatorClaim: null, responderClaim: null })).toEqual({
      code: 'inconsistent-record', message: 'a completed round expected two equal claims, got null and null',
    });
    expect(encodeRefusal({ ...completed, initiatorClaim: null })).toEqual({
      code: 'inconsistent-record', message: 'a completed round expected two equal claims, got null and 1234',
    });
    expect(encodeRefusal({ ...completed, responderClaim: 1235 })).toEqual({
      code: 'inconsistent-record', message: 'a completed round expected two equal claims, got 1234 and 1235',
    });
  });

  it('a completed round names no reason', () => {
    expect(encodeRefusal({ ...completed, reason: 'peer-abort' })).toEqual({
      code: 'inconsistent-record', message: '"reason" expected empty for a completed round, got "peer-abort"',
    });
  });

  it('a disputed round needs both claims and they differ: one claim alone is refused, whichever is missing', () => {
    expect(encodeRefusal({ ...disputed, initiatorClaim: null })).toEqual({
      code: 'inconsistent-record', message: 'a disputed round expected two different claims, got null and 1233',
    });
    expect(encodeRefusal({ ...disputed, responderClaim: null })).toEqual({
      code: 'inconsistent-record', message: 'a disputed round expected two different claims, got 1234 and null',
    });
    expect(encodeRefusal({ ...disputed, initiatorClaim: null, responderClaim: null })).toEqual({
      code: 'inconsistent-record', message: 'a disputed round expected two different claims, got null and null',
    });
    expect(encodeRefusal({ ...disputed, responderClaim: 1234 })).toEqual({
      code: 'inconsistent-record', message: 'a disputed round expected two different claims, got 1234 and 1234',
    });
    expect(decodeRoundRecord(encodeRoundRecord(disputed))).toEqual(disputed);
  });

  it('a disputed leaf holding one claim is refused on decoding too', () => {
    const bytes = encodeRoundRecord(disputed);
    const FLAGS = 1 + 32 + 32 + 4;
    const RESPONDER_CLAIM = FLAGS + 1 + 8 + 1 + 8;
    const forged = bytes.slice();
    forged[FLAGS] = bytes[FLAGS]! & ~0b00100; // responder claim flag cleared, its value written as zero
    forged.fill(0, RESPONDER_CLAIM, RESPONDER_CLAIM + 8);
    expect(decodeRefusal(forged)).toEqual({
      code: 'inconsistent-record', message: 'a disputed round expected two different claims, got 1234 and null',
    });
  });

  it('a completed or disputed round holds TH_final: 64 bytes', () => {
    expect(encodeRefusal({ ...completed, transcriptHash: new Uint8Array(32) })).toEqual({
      code: 'inconsistent-record', message: '"transcriptHash" expected TH_final (64 bytes) for a completed round, got length=32',
    });
    expect(encodeRefusal({ ...disputed, transcriptHash: new Uint8Array(0) })).toEqual({
      code: 'inconsistent-record', message: '"transcriptHash" expected TH_final (64 bytes) for a disputed round, got length=0',
    });
  });

  it('a completed or disputed round names no party as having ended it', () => {
    expect(encodeRefusal({ ...completed, endedBy: 'initiator' })).toEqual({
      code: 'inconsistent-record', message: '"endedBy" expected none for a completed round, got "initiator"',
    });
    expect(encodeRefusal({ ...disputed, endedBy: 'responder' })).toEqual({
      code: 'inconsistent-record', message: '"endedBy" expected none for a disputed round, got "responder"',
    });
  });

  it('a completed or disputed round evaluated both whole lists: each count equals the other set size', () => {
    const expected = (status: string, sizes: string, evaluations: string): { code: string; message: string } => ({
      code: 'inconsistent-record',
      message: `a ${status} round expected both set sizes with each party's evaluations equal to the other's set size, got sizes ${sizes}, evaluations ${evaluations}`,
    });
    // The responder's evaluations short of the initiator's set, the initiator's right.
    expect(encodeRefusal({ ...completed, responderEvaluations: 4999 })).toEqual(expected('completed', '5000 and 7000', '7000 and 4999'));
    expect(encodeRefusal({ ...disputed, responderEvaluations: 5001 })).toEqual(expected('disputed', '5000 and 7000', '7000 and 5001'));
    expect(encodeRefusal({ ...completed, initiatorEvaluations: 6999 })).toEqual(expected('completed', '5000 and 7000', '6999 and 5000'));
    // A set size missing, whichever it is.
    expect(encodeRefusal({ ...completed, initiatorSetSize: null })).toEqual(expected('completed', 'null and 7000', '7000 and 5000'));
    expect(encodeRefusal({ ...completed, responderSetSize: null })).toEqual(expected('completed', '5000 and null', '7000 and 5000'));
    expect(encodeRefusal({ ...completed, initiatorSetSize: null, responderSetSize: null, initiatorEvaluations: 0, responderEvaluations: 0 })).toEqual(
      expected('completed', 'null and null', '0 and 0'),
    );
  });

  it('an aborted round holds the 64-byte attempt hash or nothing', () => {
    expect(encodeRefusal({ ...aborted, transcriptHash: new Uint8Array(32) })).toEqual({
      code: 'inconsistent-record', message: '"transcriptHash" expected the 64-byte attempt hash or nothing for an aborted round, got length=32',
    });
    expect(decodeRoundRecord(encodeRoundRecord({ ...aborted, transcriptHash: new Uint8Array(0) })).transcriptHash).toEqual(new Uint8Array(0));
  });

  it('an aborted round served at most the other party\'s declared set, each way', () => {
    const expected = (sizes: string, evaluations: string): { code: string; message: string } => ({
      code: 'inconsistent-record',
      message: `an aborted round expected each party's evaluations within the other's set size, got sizes ${sizes}, evaluations ${evaluations}`,
    });
    expect(encodeRefusal({ ...aborted, initiatorEvaluations: 7001 })).toEqual(expected('5000 and 7000', '7001 and 200'));
    expect(encodeRefusal({ ...aborted, responderEvaluations: 5001 })).toEqual(expected('5000 and 7000', '100 and 5001'));
    expect(encodeRefusal({ ...aborted, initiatorSetSize: null })).toEqual(expected('null and 7000', '100 and 200'));
    // Exactly the other set, each way, is taken.
    const whole: RoundRecord = { ...aborted, initiatorEvaluations: 7000, responderEvaluations: 5000 };
    expect(decodeRoundRecord(encodeRoundRecord(whole))).toEqual(whole);
  });
});

describe('the decoder names the field it was reading', () => {
  it('a status code outside 1, 2 and 3 is named as the status byte, before any record rule runs', () => {
    const bytes = encodeRoundRecord(completed);
    const STATUS = 1 + 32 + 32 + 4 + 1 + 8;
    for (const code of [0, 4, 255]) {
      const forged = bytes.slice();
      forged[STATUS] = code;
      expect(decodeRefusal(forged)).toEqual({ code: 'invalid-field', message: `round record "status" expected 1, 2 or 3, got ${code}` });
    }
  });

  it('a leaf cut short at any offset names the field there, its size and its offset', () => {
    const bytes = encodeRoundRecord(completed);
    /** audit.md §3 in order: each field's name, where it starts and how many bytes it takes. */
    const layout: [string, number][] = [
      ['version', 1], ['roundId', 32], ['rosterDigest', 32], ['attempt', 4], ['flags', 1], ['slot', 8], ['status', 1],
      ['initiatorClaim', 8], ['responderClaim', 8], ['timestamp', 8], ['initiatorSetSize', 4], ['responderSetSize', 4],
      ['initiatorEvaluations', 4], ['responderEvaluations', 4], ['endedBy', 1],
      // Short fields: the length byte, then the bytes themselves, both named as the field.
      ['transcriptHash', 1], ['transcriptHash', 64], ['initiatorId', 1], ['initiatorId', 5], ['responderId', 1], ['responderId', 5], ['reason', 1],
    ];
    let start = 0;
    for (const [field, size] of layout) {
      for (let length = start; length < start + size; length++) {
        expect(decodeRefusal(bytes.subarray(0, length)), `cut at ${length}`).toEqual({
          code: 'truncated', message: `round record "${field}" expected ${size} more bytes at offset ${start}, got ${length - start}`,
        });
      }
      start += size;
    }
    expect(start).toBe(bytes.length);
  });

  it('an absent set size written as anything but zero is named as that set size', () => {
    const bytes = encodeRoundRecord({ ...aborted, initiatorSetSize: null, responderSetSize: null, initiatorEvaluations: 0, responderEvaluations: 0 });
    const SET_SIZES = 1 + 32 + 32 + 4 + 1 + 8 + 1 + 8 + 8 + 8;
    const initiator = bytes.slice();
    initiator[SET_SIZES + 3] = 9;
    expect(decodeRefusal(initiator)).toEqual({ code: 'non-canonical-encoding', message: 'round record "initiatorSetSize" expected 0 when absent, got 9' });
    const responder = bytes.slice();
    responder[SET_SIZES + 7] = 9;
    expect(decodeRefusal(responder)).toEqual({ code: 'non-canonical-encoding', message: 'round record "responderSetSize" expected 0 when absent, got 9' });
    const slot = encodeRoundRecord({ ...completed, slot: null }).slice();
    slot[1 + 32 + 32 + 4 + 1 + 7] = 9;
    expect(decodeRefusal(slot)).toEqual({ code: 'non-canonical-encoding', message: 'round record "slot" expected 0 when absent, got 9' });
  });
});
