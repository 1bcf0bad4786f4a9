/**
 * The exact errors of the codec and the canonical writer: every CodecError and ValidationError with
 * its code and full message (each names the field and what was expected), encodeMessage's wrapping
 * of them, and the few paths the junk table cannot reach (msgpackr failing after the scan, the
 * writer's size check).
 */
import { CodecError, InternalError, ValidationError, VennError } from '@venn/errors';
import { describe, expect, it } from 'vitest';
import { decodeMessage, encodeMessage, type Message } from '../src/index.js';
import { writeCanonical, type WireValue } from '../src/internal/write.js';
import { bytes, fromHex, pack, roundId, samples, validBlinded, validEvaluated, validOffer } from './fixtures.js';


function thrown(run: () => unknown): unknown {
  try {
    run();
  } catch (error) {
    return error;
  }
  throw new Error('accepted');
}

function expectCodecError(input: unknown, code: string, message: string): CodecError {
  const error = thrown(() => decodeMessage(input as Uint8Array));
  expect(error).toBeInstanceOf(CodecError);
  expect((error as CodecError).code).toBe(code);
  expect((error as CodecError).message).toBe(message);
  return error as CodecError;
}

const validEpoch = { id: bytes(32, 1), i: 1, prev: bytes(64, 4), acc: 3, rem: 0, ecap: 10 };
const validEntry = { k: bytes(32, 1), cat: 'x' };
const without = (record: Record<string, unknown>, key: string): Record<string, unknown> => {
  const copy = { ...record };
  delete copy[key];
  return copy;
};
const labels = (fields: Record<string, unknown>): Uint8Array => pack({ t: 5, rid: roundId, seq: 0, end: true, ent: [], ...fields });

describe('encodeMessage', () => {
  it('wraps a schema failure in a ValidationError naming the message kind, with the CodecError as its cause', () => {
    const error = thrown(() => encodeMessage({ kind: 'abort', roundId, reason: 'BadProof', detail: '' }));
    expect(error).toBeInstanceOf(ValidationError);
    expect((error as ValidationError).code).toBe('unknown-value');
    expect((error as ValidationError).message).toBe('cannot encode abort: "abort.code" expected a kebab-case code, got "BadProof"');
    const cause = (error as ValidationError).cause;
    expect(cause).toBeInstanceOf(CodecError);
    expect((cause as CodecError).code).toBe('unknown-value');
    expect((cause as CodecError).message).toBe('"abort.code" expected a kebab-case code, got "BadProof"');
  });

  it('wraps a writer failure the same way, keeping the ValidationError as its cause', () => {
    const error = thrown(() => encodeMessage({ kind: 'finish', roundId, intersectionSize: -1, signature: bytes(64, 1) }));
    expect(error).toBeInstanceOf(ValidationError);
    expect((error as ValidationError).code).toBe('out-of-range');
    expect((error as ValidationError).message).toBe('cannot encode finish: cannot encode -1: Venn messages carry only integers in 0..2^53-1');
    expect(((error as ValidationError).cause as ValidationError).message).toBe('cannot encode -1: Venn messages carry only integers in 0..2^53-1');
  });

  it('lets an error that is not a VennError (a message object missing a field) through unwrapped', () => {
    const broken = { kind: 'proof', roundId } as unknown as Message;
    const error = thrown(() => encodeMessage(broken));
    expect(error).toBeInstanceOf(TypeError);
    expect(error).not.toBeInstanceOf(VennError);
  });
});

describe('decodeMessage before the schema', () => {
  it('names what it got instead of bytes', () => {
    expectCodecError('hello', 'not-bytes', '"frame" expected Uint8Array, got "hello"');
  });

  it('refuses an empty frame', () => {
    expectCodecError(new Uint8Array(0), 'empty-frame', '"frame" is empty');
  });

  it('reports msgpackr failing after the scan as malformed, keeping its error as the cause', () => {
    // msgpackr caches a DataView on the frame it reads; a frame that takes no new property makes it
    // throw after the scan has passed the (valid) bytes.
    const frame = Object.preventExtensions(encodeMessage(samples['proof']!).slice());
    const error = expectCodecError(frame, 'malformed', 'frame is not valid msgpack');
    expect(error.cause).toBeInstanceOf(TypeError);
  });

  it('names the kind of a frame that is not in canonical form', () => {
    const frame = fromHex('84 a174 cc07 a3726964 c420' + 'ab'.repeat(32) + 'a4636f6465 a178 a36d7367 a0');
    expectCodecError(frame, 'non-canonical-encoding', 'abort frame is not in canonical msgpack form');
  });
});

describe('decodeMessage: the message map and its type', () => {
  it.each<[string, Uint8Array, string, string]>([
    ['a bare integer', fromHex('07'), 'not-a-map', 'message expected a msgpack map, got number 7'],
    ['a map without t', pack({ rid: roundId }), 'missing-field', '"message.t" is missing'],
    ['t as a string', pack({ t: 'offer' }), 'wrong-type', '"message.t" expected an unsigned integer, got "offer"'],
    ['t = 9', pack({ ...validBlinded, t: 9 }), 'unknown-type', '"message.t" expected a message type in 1..8, got 9'],
  ])('refuses %s', (_, frame, code, message) => {
    expectCodecError(frame, code, message);
  });

  it('takes EVALUATED seq up to 255 and refuses 256', () => {
    expect(decodeMessage(pack({ ...validEvaluated, seq: 255 }))).toMatchObject({ kind: 'evaluated', seq: 255 });
    expectCodecError(pack({ ...validEvaluated, seq: 256 }), 'out-of-range', '"evaluated.seq" expected an integer in 0..255, got 256');
  });
});

describe('decodeMessage: OFFER', () => {
  it.each<[string, Uint8Array, string, string]>([
    ['an extra field', pack({ ...validOffer, extra: 1 }), 'unknown-field', '"offer" has unexpected field "extra"'],
    ['no v', pack(without(validOffer, 'v')), 'missing-field', '"offer.v" is missing'],
    ['version 3', pack({ ...validOffer, v: 3 }), 'unsupported-version', '"offer.v" expected 2, got 3'],
    ['an unknown mode', pack({ ...validOffer, mode: 'union' }), 'unknown-value', '"offer.mode" expected one of intersection, cardinality, got "union"'],
    ['ep as bytes', pack({ ...validOffer, ep: bytes(32, 1) }), 'wrong-type', '"offer.ep" expected a map, got Uint8Array of length 32'],
    ['an ep missing prev', pack({ ...validOffer, ep: without(validEpoch, 'prev') }), 'missing-field', '"offer.ep.prev" is missing'],
    ['lf as a string', pack({ ...validOffer, lf: 'category' }), 'wrong-type', '"offer.lf" expected an array, got "category"'],
    ['an unknown label field', pack({ ...validOffer, lf: ['category', 'email'] }), 'unknown-value', '"offer.lf[1]" expected one of category, first_seen, reason, got "email"'],
    ['a numeric label field', pack({ ...validOffer, lf: [1] }), 'wrong-type', '"offer.lf[0]" expected one of category, first_seen, reason, got number 1'],
    ['label fields out of order', pack({ ...validOffer, lf: ['reason', 'category'] }), 'non-canonical-encoding', '"offer.lf" must list label fields once each in the order category, first_seen, reason'],
    ['an empty idr', pack({ ...validOffer, idr: '' }), 'wrong-length', '"offer.idr" expected a string of 1..128 UTF-8 bytes, got 0'],
    ['a newline in idr', pack({ ...validOffer, idr: 'rules\n2' }), 'unknown-value', '"offer.idr" expected printable ASCII (0x20..0x7e), got "rules\\n2"'],
    ['head as bytes', pack({ ...validOffer, head: bytes(32, 1) }), 'wrong-type', '"offer.head" expected a map, got Uint8Array of length 32'],
    ['a head missing sig', pack({ ...validOffer, head: { size: 1, root: bytes(32, 1), ts: 5 } }), 'missing-field', '"offer.head.sig" is missing'],
  ])('refuses %s', (_, frame, code, message) => {
    expectCodecError(frame, code, message);
  });
});

describe('decodeMessage: PROOF, LABELS, FINISH, ABORT', () => {
  it.each<[string, Uint8Array, string, string]>([
    ['PROOF with an extra field', pack({ t: 4, rid: roundId, pi: bytes(64, 1), x: 1 }), 'unknown-field', '"proof" has unexpected field "x"'],
    ['PROOF pi as nil', pack({ t: 4, rid: roundId, pi: null }), 'wrong-type', '"proof.pi" expected bin, got null'],
    ['PROOF pi of 63 bytes', pack({ t: 4, rid: roundId, pi: bytes(63, 1) }), 'wrong-length', '"proof.pi" expected bin of length 0 or 64, got length=63'],
    ['EVALUATED pi of 65 bytes', pack({ ...validEvaluated, pi: bytes(65, 1) }), 'wrong-length', '"evaluated.pi" expected bin of length 0 or 64, got length=65'],
    ['LABELS seq = 2048', labels({ seq: 2048 }), 'out-of-range', '"labels.seq" expected an integer in 0..2047, got 2048'],
    ['a short LABELS chunk that is not the last', labels({ end: false, ent: [validEntry] }), 'wrong-length', '"labels.ent" expected 512 entries in a chunk that is not the last, got 1'],
    ['a LABELS entry that is a string', labels({ ent: [validEntry, 'x'] }), 'wrong-type', '"labels.ent[1]" expected a map, got "x"'],
    ['a LABELS entry with no label field', labels({ ent: [validEntry, { k: bytes(32, 1) }] }), 'missing-field', '"labels.ent[1]" carries no label field'],
    ['a LABELS entry with an unknown field', labels({ ent: [{ ...validEntry, email: 'a@b' }] }), 'unknown-field', '"labels.ent[0]" has unexpected field "email"'],
    ['first_seen month 13', labels({ ent: [{ k: bytes(32, 1), seen: '2025-13-01' }] }), 'unknown-value', '"labels.ent[0].seen" expected an RFC 3339 full-date YYYY-MM-DD, got "2025-13-01"'],
    ['FINISH size over 2^24', pack({ t: 6, rid: roundId, size: 16_777_217, sig: bytes(64, 1) }), 'out-of-range', '"finish.size" expected an integer in 0..16777216, got 16777217'],
    ['ABORT with an empty code', pack({ t: 7, rid: roundId, code: '', msg: '' }), 'wrong-length', '"abort.code" expected a string of 1..64 UTF-8 bytes, got 0'],
    ['ABORT with a code containing a space', pack({ t: 7, rid: roundId, code: 'bad proof', msg: '' }), 'unknown-value', '"abort.code" expected a kebab-case code, got "bad proof"'],
  ])('refuses %s', (_, frame, code, message) => {
    expectCodecError(frame, code, message);
  });
});

describe('writeCanonical', () => {
  it('refuses a negative integer, naming it', () => {
    const error = thrown(() => writeCanonical(-1));
    expect(error).toBeInstanceOf(ValidationError);
    expect((error as ValidationError).code).toBe('out-of-range');
    expect((error as ValidationError).message).toBe('cannot encode -1: Venn messages carry only integers in 0..2^53-1');
  });

  it('refuses to return a frame whose written length differs from its computed size', () => {
    // An array whose one item is 200 (2 bytes) when sized and 1 (1 byte) when written.
    let reads = 0;
    const shifting: WireValue[] = [0];
    Object.defineProperty(shifting, Symbol.iterator, {
      value: function* () {
        yield reads++ === 0 ? 200 : 1;
      },
    });
    const error = thrown(() => writeCanonical(shifting));
    expect(error).toBeInstanceOf(InternalError);
    expect((error as InternalError).code).toBe('encoder-size');
    expect((error as InternalError).message).toBe('encoder wrote 2 bytes, sized 3');
  });
});

// White-box: these reach msgpackr through properties of the frame object (its cached `dataView`, its
// `subarray`, its `length`), not through its bytes. They pin the Unpackr options and the length
// comparison, which no byte string alone can tell apart.
describe('decodeMessage against a frame object that misleads msgpackr', () => {
  it('keeps the structured-clone extension off even when a stale cached DataView walks msgpackr past the scan', () => {
    // The scan sees [bin16 of 6 bytes, 7]; msgpackr, reading lengths from a zeroed DataView, sees an
    // empty bin and then the structured-clone id extension 0x69 hidden in the bin's bytes.
    const frame = fromHex('92 c50006 d669 00000001 07');
    Object.assign(frame, { dataView: new DataView(new ArrayBuffer(frame.length)) });
    const error = expectCodecError(frame, 'malformed', 'frame is not valid msgpack');
    expect((error.cause as Error).message).toBe('Structured clone extension is disabled');
  });

  it('lets msgpackr hand out views of the frame, so each bin is copied once, by the schema', () => {
    const frame = encodeMessage(samples['proof']!).slice();
    const views: number[] = [];
    Object.defineProperty(frame, 'subarray', {
      value(this: Uint8Array, start: number, end: number) {
        views.push(end - start);
        return Uint8Array.prototype.subarray.call(this, start, end);
      },
    });
    expect(decodeMessage(frame)).toEqual(samples['proof']);
    expect(views).toEqual([32, 64]);
  });

  it('compares the frame\'s length with the canonical re-encoding\'s, not only the bytes', () => {
    // The frame reports one byte more once msgpackr has cached its DataView, i.e. after the scan.
    const frame = encodeMessage(samples['proof']!).slice();
    const length = frame.length;
    let cached: DataView | undefined;
    Object.defineProperty(frame, 'dataView', {
      get: () => cached,
      set: (view: DataView) => {
        cached = view;
      },
    });
    Object.defineProperty(frame, 'length', { get: () => (cached === undefined ? length : length + 1) });
    expectCodecError(frame, 'non-canonical-encoding', 'proof frame is not in canonical msgpack form');
  });
});
