/** The junk-input table of SPEC §5.1: every malformed frame yields a CodecError with a stable code. */
import { CodecError } from '@venn/errors';
import { MAX_FRAME_BYTES, decodeMessage, encodeMessage } from '@venn/wire';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { bytes, fromHex, pack, roundId, samples, validBlinded, validEvaluated, validOffer } from './fixtures.js';

const frameOf = (name: string): Uint8Array => encodeMessage(samples[name]!);

function codeOf(input: unknown): string {
  try {
    decodeMessage(input as Uint8Array);
  } catch (error) {
    expect(error).toBeInstanceOf(CodecError);
    return (error as CodecError).code;
  }
  throw new Error('decodeMessage accepted the input');
}

const without = (record: Record<string, unknown>, key: string) => {
  const copy = { ...record };
  delete copy[key];
  return copy;
};
const validEntry = { k: bytes(32, 1), cat: 'x' };
/** msgpackr writes a BigInt as int64 (0xd3); the same value as uint64 (0xcf), the form a peer could send. */
const asUint64 = (frame: Uint8Array): Uint8Array => {
  const copy = frame.slice();
  copy[Buffer.from(copy).indexOf(0xd3)] = 0xcf;
  return copy;
};
const validEpoch = { id: bytes(32, 1), i: 1, prev: bytes(64, 4), acc: 3, rem: 0, ecap: 10 };

// [case, input, expected code]
const table: Array<[string, unknown, string]> = [
  // not bytes at all
  ['a string instead of bytes', 'hello', 'not-bytes'],
  ['an array of numbers instead of bytes', [0x80], 'not-bytes'],
  // size, checked first
  ['an empty frame', new Uint8Array(0), 'empty-frame'],
  ['a frame one byte over the limit', new Uint8Array(MAX_FRAME_BYTES + 1), 'frame-too-large'],
  // structure
  ['a bare integer', fromHex('07'), 'not-a-map'],
  ['an array at the top', pack([1, 2]), 'not-a-map'],
  ['nil at the top', fromHex('c0'), 'not-a-map'],
  ['the reserved byte 0xc1', fromHex('c1'), 'forbidden-type'],
  ['a float64 value', fromHex('81 a174 cb3ff0000000000000'), 'forbidden-type'],
  ['a float32 value', fromHex('81 a174 ca3f800000'), 'forbidden-type'],
  ['a negative fixint', fromHex('81 a174 ff'), 'forbidden-type'],
  ['an int8', fromHex('81 a174 d001'), 'forbidden-type'],
  ['a fixext (msgpackr record)', fromHex('81 a174 d47200'), 'forbidden-type'],
  ['an ext8 (structured clone)', fromHex('81 a174 c7017000'), 'forbidden-type'],
  ['a timestamp extension', fromHex('81 a174 d6ff00000000'), 'forbidden-type'],
  ['a uint64 above 2^53-1', fromHex('81 a174 cf0020000000000000'), 'out-of-range'],
  ['nesting four deep', fromHex('81 a161 91 91 90'), 'too-deep'],
  ['an integer map key', fromHex('81 01 02'), 'non-string-key'],
  ['a bin map key', fromHex('81 c40174 02'), 'non-string-key'],
  ['a duplicate map key', fromHex('82 a174 02 a174 03'), 'duplicate-key'],
  ['trailing bytes after the message', new Uint8Array([...frameOf('proof'), 0x00]), 'trailing-bytes'],
  ['two messages in one frame', new Uint8Array([...frameOf('proof'), ...frameOf('proof')]), 'trailing-bytes'],
  // huge claimed lengths: each header claims far more than the frame holds
  ['a bin32 claiming 4 GiB', fromHex('81 a174 c6ffffffff'), 'truncated'],
  ['a str32 claiming 4 GiB', fromHex('81 a174 dbffffffff 41'), 'truncated'],
  ['an array32 claiming 2^32-1 items', fromHex('81 a174 ddffffffff 00'), 'too-many-items'],
  ['a map32 claiming 2^32-1 entries', fromHex('df ffffffff a174 01'), 'too-many-entries'],
  ['a map16 claiming 65535 entries', fromHex('de ffff a174 01'), 'too-many-entries'],
  ['a fixmap of 12 entries claiming more bytes than remain', fromHex('8c a174 01'), 'truncated'],
  ['an array16 of 512 items claiming more bytes than remain', fromHex('81 a174 dc0200 c0'), 'truncated'],
  // containers larger than any schema allows, refused from their header (SPEC §5.1 step 2)
  ['a map16 of 15 entries', fromHex('de000f' + Array.from({ length: 15 }, (_, i) => 'a1' + (0x61 + i).toString(16) + 'c0').join('')), 'too-many-entries'],
  ['a nested map of 15 entries', fromHex('81 a174 de000f' + Array.from({ length: 15 }, (_, i) => 'a1' + (0x61 + i).toString(16) + 'c0').join('')), 'too-many-entries'],
  ['an array16 of 513 nils', fromHex('81 a174 dc0201' + 'c0'.repeat(513)), 'too-many-items'],
  ['an array32 of 513 nils', fromHex('81 a174 dd00000201' + 'c0'.repeat(513)), 'too-many-items'],
  ['a duplicate key as the twelfth entry', fromHex('8c' + Array.from({ length: 11 }, (_, i) => 'a1' + (0x61 + i).toString(16) + 'c0').join('') + 'a161c0'), 'duplicate-key'],
  ['a duplicate long key (str8)', fromHex('82 d920' + '6b'.repeat(32) + 'c0 d920' + '6b'.repeat(32) + 'c0'), 'duplicate-key'],
  // Distinct bytes are distinct keys to the scan, even when both decode to U+FFFD; the schema then refuses them.
  ['two keys of invalid UTF-8 that decode alike', fromHex('83 a174 02 a1ff c0 a1fe c0'), 'unknown-field'],
  ['a duplicate key inside a nested map', fromHex('81 a174 82 a178 01 a178 02'), 'duplicate-key'],
  ['a bin16 one byte short', fromHex('81 a174 c50003 0000'), 'truncated'],
  ['a header cut inside its length', fromHex('81 a174 c600'), 'truncated'],
  ['a map cut after the key', fromHex('81 a174'), 'truncated'],
  // schema
  ['a map without t', pack({ rid: roundId }), 'missing-field'],
  ['t as a string', pack({ t: 'offer' }), 'wrong-type'],
  ['t = 0', pack({ ...validBlinded, t: 0 }), 'unknown-type'],
  ['t = 9', pack({ ...validBlinded, t: 9 }), 'unknown-type'],
  // REMOVED (SPEC §13.4) is chunked like BLINDED
  ['REMOVED without pts', pack(without({ ...validBlinded, t: 8 }, 'pts')), 'missing-field'],
  ['REMOVED with a pi field', pack({ ...validBlinded, t: 8, pi: bytes(64, 1) }), 'unknown-field'],
  ['REMOVED seq = 256', pack({ ...validBlinded, t: 8, seq: 256 }), 'out-of-range'],
  ['REMOVED pts of 33 bytes', pack({ ...validBlinded, t: 8, pts: bytes(33, 1) }), 'wrong-length'],
  ['REMOVED with no points', pack({ ...validBlinded, t: 8, pts: new Uint8Array(0) }), 'wrong-length'],
  ['REMOVED with 4097 points', pack({ ...validBlinded, t: 8, pts: bytes(32 * 4097, 1) }), 'wrong-length'],
  ['BLINDED without pts', pack(without(validBlinded, 'pts')), 'missing-field'],
  ['BLINDED without rid', pack(without(validBlinded, 'rid')), 'missing-field'],
  ['BLINDED with an extra field', pack({ ...validBlinded, extra: 1 }), 'unknown-field'],
  ['BLINDED with __proto__', fromHex('85 a174 02 a3726964 c420' + '11'.repeat(32) + 'a3736571 00 a3707473 c420' + '07'.repeat(32) + 'a95f5f70726f746f5f5f 01'), 'unknown-field'],
  ['BLINDED rid as a string', pack({ ...validBlinded, rid: 'r'.repeat(32) }), 'wrong-type'],
  ['BLINDED rid of 31 bytes', pack({ ...validBlinded, rid: bytes(31, 1) }), 'wrong-length'],
  ['BLINDED rid of 33 bytes', pack({ ...validBlinded, rid: bytes(33, 1) }), 'wrong-length'],
  ['BLINDED seq as a string', pack({ ...validBlinded, seq: '0' }), 'wrong-type'],
  ['BLINDED seq = 256', pack({ ...validBlinded, seq: 256 }), 'out-of-range'],
  ['BLINDED seq = 2^32', pack({ ...validBlinded, seq: 2 ** 32 }), 'forbidden-type'],
  ['BLINDED pts as an array of points', pack({ ...validBlinded, pts: [bytes(32, 1), bytes(32, 2)] }), 'wrong-type'],
  ['BLINDED pts of 33 bytes', pack({ ...validBlinded, pts: bytes(33, 1) }), 'wrong-length'],
  ['BLINDED pts of 31 bytes', pack({ ...validBlinded, pts: bytes(31, 1) }), 'wrong-length'],
  ['BLINDED with no points', pack({ ...validBlinded, pts: new Uint8Array(0) }), 'wrong-length'],
  ['BLINDED with 4097 points', pack({ ...validBlinded, pts: bytes(32 * 4097, 1) }), 'wrong-length'],
  ['EVALUATED pts as nil', pack({ ...validEvaluated, pts: null }), 'wrong-type'],
  ['EVALUATED without pi (the v1 form)', pack(without(validEvaluated, 'pi')), 'missing-field'],
  ['EVALUATED pi as nil', pack({ ...validEvaluated, pi: null }), 'wrong-type'],
  ['EVALUATED pi of 63 bytes', pack({ ...validEvaluated, pi: bytes(63, 1) }), 'wrong-length'],
  ['EVALUATED pi of 65 bytes', pack({ ...validEvaluated, pi: bytes(65, 1) }), 'wrong-length'],
  ['EVALUATED pi of two proofs', pack({ ...validEvaluated, pi: bytes(128, 1) }), 'wrong-length'],
  ['EVALUATED with an extra field', pack({ ...validEvaluated, extra: 1 }), 'unknown-field'],
  ['BLINDED with a pi field', pack({ ...validBlinded, pi: bytes(64, 1) }), 'unknown-field'],
  ['OFFER of version 3 with other fields', pack({ t: 1, v: 3, future: true }), 'unsupported-version'],
  ['OFFER of version 1 (withdrawn), without idr', pack(without({ ...validOffer, v: 1 }, 'idr')), 'unsupported-version'],
  ['OFFER of version 0', pack({ ...validOffer, v: 0 }), 'unsupported-version'],
  ['OFFER without idr', pack(without(validOffer, 'idr')), 'missing-field'],
  ['OFFER with an empty idr', pack({ ...validOffer, idr: '' }), 'wrong-length'],
  ['OFFER with an idr of 129 bytes', pack({ ...validOffer, idr: 'r'.repeat(129) }), 'wrong-length'],
  ['OFFER with idr as bytes', pack({ ...validOffer, idr: bytes(8, 0x41) }), 'wrong-type'],
  ['OFFER with a newline in idr', pack({ ...validOffer, idr: 'rules\n2' }), 'unknown-value'],
  ['OFFER with a DEL in idr', pack({ ...validOffer, idr: 'rules\x7f' }), 'unknown-value'],
  ['OFFER with non-ASCII idr', pack({ ...validOffer, idr: 'règles' }), 'unknown-value'],
  ['OFFER without v', pack(without(validOffer, 'v')), 'missing-field'],
  ['OFFER without head', pack(without(validOffer, 'head')), 'missing-field'],
  ['OFFER with an unknown mode', pack({ ...validOffer, mode: 'union' }), 'unknown-value'],
  ['OFFER with a mode of 17 bytes', pack({ ...validOffer, mode: 'i'.repeat(17) }), 'wrong-length'],
  ['OFFER with n over the protocol maximum', pack({ ...validOffer, n: 1_048_577 }), 'out-of-range'],
  ['OFFER with cap over the protocol maximum', pack({ ...validOffer, cap: 2_000_000 }), 'out-of-range'],
  ['OFFER with an empty sender', pack({ ...validOffer, from: '' }), 'wrong-length'],
  ['OFFER with a 129-byte receiver', pack({ ...validOffer, to: 'b'.repeat(129) }), 'wrong-length'],
  ['OFFER with an unknown label field', pack({ ...validOffer, lf: ['email'] }), 'unknown-value'],
  ['OFFER with a numeric label field', pack({ ...validOffer, lf: [1] }), 'wrong-type'],
  ['OFFER with label fields out of order', pack({ ...validOffer, lf: ['reason', 'category'] }), 'non-canonical-encoding'],
  ['OFFER with a repeated label field', pack({ ...validOffer, lf: ['reason', 'reason'] }), 'non-canonical-encoding'],
  ['OFFER with four label fields', pack({ ...validOffer, lf: ['category', 'first_seen', 'reason', 'reason'] }), 'wrong-length'],
  ['OFFER with K of 31 bytes', pack({ ...validOffer, K: bytes(31, 3) }), 'wrong-length'],
  ['OFFER with head as bytes', pack({ ...validOffer, head: bytes(32, 1) }), 'wrong-type'],
  ['OFFER with a head missing sig', pack({ ...validOffer, head: { size: 1, root: bytes(32, 1), ts: 5 } }), 'missing-field'],
  // the epoch map `ep` (SPEC §13.3)
  ['OFFER with ep as bytes', pack({ ...validOffer, ep: bytes(32, 1) }), 'wrong-type'],
  ['OFFER with ep as nil', pack({ ...validOffer, ep: null }), 'wrong-type'],
  ['OFFER with an ep missing prev', pack({ ...validOffer, ep: without(validEpoch, 'prev') }), 'missing-field'],
  ['OFFER with an ep carrying an extra key', pack({ ...validOffer, ep: { ...validEpoch, k: bytes(32, 1) } }), 'unknown-field'],
  ['OFFER with an epoch id of 31 bytes', pack({ ...validOffer, ep: { ...validEpoch, id: bytes(31, 1) } }), 'wrong-length'],
  ['OFFER with a prev of 32 bytes', pack({ ...validOffer, ep: { ...validEpoch, prev: bytes(32, 1) } }), 'wrong-length'],
  ['OFFER with an epoch index of 2^32 (a uint64)', asUint64(pack({ ...validOffer, ep: { ...validEpoch, i: 2n ** 32n } })), 'out-of-range'],
  ['OFFER with acc over 2^24', pack({ ...validOffer, ep: { ...validEpoch, acc: 16_777_217 } }), 'out-of-range'],
  ['OFFER with ecap over 2^24', pack({ ...validOffer, ep: { ...validEpoch, ecap: 16_777_217 } }), 'out-of-range'],
  ['OFFER with rem over 2^20', pack({ ...validOffer, ep: { ...validEpoch, rem: 1_048_577 } }), 'out-of-range'],
  ['OFFER with acc as a string', pack({ ...validOffer, ep: { ...validEpoch, acc: '3' } }), 'wrong-type'],
  ['OFFER with ep keys out of order', pack({ ...validOffer, ep: { i: 0, id: bytes(32, 1), prev: bytes(64, 0), acc: 3, rem: 0, ecap: 10 } }), 'non-canonical-encoding'],
  ['OFFER with ep before head', pack({ t: 1, v: 2, rid: roundId, rd: bytes(32, 2), from: 'lab-a', to: 'lab-b', mode: 'intersection', n: 3, cap: 10, lf: [], idr: 'venn-identifiers/1', K: bytes(32, 3), ep: validEpoch, head: null }), 'non-canonical-encoding'],
  ['OFFER with a head signature of 63 bytes', pack({ ...validOffer, head: { size: 1, root: bytes(32, 1), ts: 5, sig: bytes(63, 1) } }), 'wrong-length'],
  ['PROOF of 63 bytes', pack({ t: 4, rid: roundId, pi: bytes(63, 1) }), 'wrong-length'],
  ['PROOF of 65 bytes', pack({ t: 4, rid: roundId, pi: bytes(65, 1) }), 'wrong-length'],
  ['PROOF of one and a half proofs', pack({ t: 4, rid: roundId, pi: bytes(96, 1) }), 'wrong-length'],
  ['PROOF of two proofs (a v1 segmented PROOF)', pack({ t: 4, rid: roundId, pi: bytes(128, 1) }), 'wrong-length'],
  ['PROOF as two scalars', pack({ t: 4, rid: roundId, pi: [bytes(32, 1), bytes(32, 1)] }), 'wrong-type'],
  ['LABELS seq = 2048', pack({ t: 5, rid: roundId, seq: 2048, end: true, ent: [] }), 'out-of-range'],
  ['LABELS with entries as a map', pack({ t: 5, rid: roundId, seq: 0, end: true, ent: { a: 1 } }), 'wrong-type'],
  ['LABELS end as 1', pack({ t: 5, rid: roundId, seq: 0, end: 1, ent: [] }), 'wrong-type'],
  ['LABELS short chunk that is not the last', pack({ t: 5, rid: roundId, seq: 0, end: false, ent: [validEntry] }), 'wrong-length'],
  ['LABELS with 513 entries', pack({ t: 5, rid: roundId, seq: 0, end: true, ent: Array.from({ length: 513 }, () => validEntry) }), 'too-many-items'],
  ['LABELS entry without a key', pack({ t: 5, rid: roundId, seq: 0, end: true, ent: [{ cat: 'x' }] }), 'missing-field'],
  ['LABELS entry with no label field', pack({ t: 5, rid: roundId, seq: 0, end: true, ent: [{ k: bytes(32, 1) }] }), 'missing-field'],
  ['LABELS entry with an unknown field', pack({ t: 5, rid: roundId, seq: 0, end: true, ent: [{ ...validEntry, email: 'a@b' }] }), 'unknown-field'],
  ['LABELS entry that is a string', pack({ t: 5, rid: roundId, seq: 0, end: true, ent: ['x'] }), 'wrong-type'],
  ['LABELS category of 65 bytes', pack({ t: 5, rid: roundId, seq: 0, end: true, ent: [{ k: bytes(32, 1), cat: 'c'.repeat(65) }] }), 'wrong-length'],
  ['LABELS empty category', pack({ t: 5, rid: roundId, seq: 0, end: true, ent: [{ k: bytes(32, 1), cat: '' }] }), 'wrong-length'],
  ['LABELS reason of 257 bytes', pack({ t: 5, rid: roundId, seq: 0, end: true, ent: [{ k: bytes(32, 1), rsn: 'r'.repeat(257) }] }), 'wrong-length'],
  ['LABELS first_seen with a time', pack({ t: 5, rid: roundId, seq: 0, end: true, ent: [{ k: bytes(32, 1), seen: '2025-01-01T00:00:00Z' }] }), 'wrong-length'],
  ['LABELS first_seen month 13', pack({ t: 5, rid: roundId, seq: 0, end: true, ent: [{ k: bytes(32, 1), seen: '2025-13-01' }] }), 'unknown-value'],
  ['LABELS first_seen as a number', pack({ t: 5, rid: roundId, seq: 0, end: true, ent: [{ k: bytes(32, 1), seen: 20250101 }] }), 'wrong-type'],
  ['FINISH size over the maximum epoch set size', pack({ t: 6, rid: roundId, size: 16_777_217, sig: bytes(64, 1) }), 'out-of-range'],
  ['FINISH signature of 32 bytes', pack({ t: 6, rid: roundId, size: 1, sig: bytes(32, 1) }), 'wrong-length'],
  ['ABORT with a code containing spaces', pack({ t: 7, rid: roundId, code: 'bad proof', msg: '' }), 'unknown-value'],
  ['ABORT with an empty code', pack({ t: 7, rid: roundId, code: '', msg: '' }), 'wrong-length'],
  ['ABORT with a detail of 257 bytes', pack({ t: 7, rid: roundId, code: 'x', msg: 'd'.repeat(257) }), 'wrong-length'],
  // canonical form, checked after the schema
  ['a fixint written as uint8', fromHex('84 a174 cc07 a3726964 c420' + 'ab'.repeat(32) + 'a4636f6465 a178 a36d7367 a0'), 'non-canonical-encoding'],
  ['a short string written as str8', fromHex('84 a174 07 a3726964 c420' + 'ab'.repeat(32) + 'a4636f6465 d90178 a36d7367 a0'), 'non-canonical-encoding'],
  ['a small bin written as bin16', fromHex('84 a174 07 a3726964 c50020' + 'ab'.repeat(32) + 'a4636f6465 a178 a36d7367 a0'), 'non-canonical-encoding'],
  ['a fixmap written as map16', fromHex('de0004 a174 07 a3726964 c420' + 'ab'.repeat(32) + 'a4636f6465 a178 a36d7367 a0'), 'non-canonical-encoding'],
  ['keys in another order', fromHex('84 a3726964 c420' + 'ab'.repeat(32) + 'a174 07 a4636f6465 a178 a36d7367 a0'), 'non-canonical-encoding'],
  ['invalid UTF-8 in a string', fromHex('84 a174 07 a3726964 c420' + 'ab'.repeat(32) + 'a4636f6465 a178 a36d7367 a2c328'), 'non-canonical-encoding'],
];

describe('decoder junk table', () => {
  it.each(table)('%s → %s', (_, input, code) => {
    expect(codeOf(input)).toBe(code);
  });

  it.each(Object.keys(samples))('every truncation of a %s frame is rejected', (name) => {
    const frame = frameOf(name);
    // Every strict prefix must fail; sample the long frames so the table stays fast.
    const step = Math.max(1, Math.floor(frame.length / 400));
    for (let length = 0; length < frame.length; length += step) {
      expect(['empty-frame', 'truncated']).toContain(codeOf(frame.subarray(0, length)));
    }
    expect(['truncated']).toContain(codeOf(frame.subarray(0, frame.length - 1)));
  });

  it('rejects random bytes with a CodecError and nothing else (property)', () => {
    fc.assert(
      fc.property(fc.uint8Array({ minLength: 0, maxLength: 512 }), (junk) => {
        try {
          decodeMessage(junk);
        } catch (error) {
          expect(error).toBeInstanceOf(CodecError);
          return;
        }
        // Random bytes that happen to decode must be a canonical, valid message.
        expect(decodeMessage(encodeMessage(decodeMessage(junk)))).toEqual(decodeMessage(junk));
      }),
      { numRuns: 2000 },
    );
  });

  it('rejects random msgpack values with a CodecError (property)', () => {
    fc.assert(
      fc.property(fc.anything({ maxDepth: 4, withTypedArray: true, withNullPrototype: true }), (value) => {
        let frame: Uint8Array;
        try {
          frame = pack(value);
        } catch {
          return; // not encodable by msgpackr; nothing to decode
        }
        try {
          decodeMessage(frame);
        } catch (error) {
          expect(error).toBeInstanceOf(CodecError);
        }
      }),
      { numRuns: 500 },
    );
  });

  it('rejects a frame claiming a 4 GiB bin fast and without growing memory', () => {
    const frames: Array<[Uint8Array, string]> = [
      [fromHex('81 a174 c6ffffffff'), 'truncated'],
      [fromHex('83 a174 02 a3726964 c420' + '11'.repeat(32) + 'a3707473 c6ffffffff'), 'truncated'],
      [fromHex('81 a174 ddffffffff 00'), 'too-many-items'],
      [fromHex('df ffffffff a174 01'), 'too-many-entries'],
    ];
    for (const [frame] of frames) codeOf(frame); // warm up
    const before = process.memoryUsage();
    const started = performance.now();
    for (let i = 0; i < 2_000; i++) for (const [frame, code] of frames) expect(codeOf(frame)).toBe(code);
    const elapsed = performance.now() - started;
    const after = process.memoryUsage();
    // 8,000 rejections; one allocation in proportion to a claimed size would cost gigabytes.
    expect(elapsed).toBeLessThan(2_000);
    expect(after.arrayBuffers - before.arrayBuffers).toBeLessThan(16 * 1024 * 1024);
    expect(after.rss - before.rss).toBeLessThan(64 * 1024 * 1024);
  });
});

/** A map16 of `entries` distinct two-byte keys (fixstr 2) with nil values: 4 bytes an entry, ~260 KB at 65,000. */
function wideMap(entries: number): Uint8Array {
  const frame = new Uint8Array(3 + 4 * entries);
  frame.set([0xde, entries >> 8, entries & 0xff]);
  for (let i = 0; i < entries; i++) frame.set([0xa2, i >> 8, i & 0xff, 0xc0], 3 + 4 * i);
  return frame;
}

function errorOf(input: Uint8Array): CodecError {
  try {
    decodeMessage(input);
  } catch (error) {
    expect(error).toBeInstanceOf(CodecError);
    return error as CodecError;
  }
  throw new Error('decodeMessage accepted the input');
}

describe('maps larger than any message schema (SPEC §5.1 step 2)', () => {
  // One 260 KB frame of 65,000 distinct keys used to take seconds in the duplicate-key check, on the
  // daemon's main thread, for the responder's first frame of a session.
  it('refuses a 65,000-entry map by its header, before reading any entry', () => {
    const frame = wideMap(65_000);
    expect(frame.length).toBeLessThanOrEqual(MAX_FRAME_BYTES);
    const error = errorOf(frame);
    expect(error.code).toBe('too-many-entries');
    expect(error.message).toContain('map of 65000 entries at offset 0');
  });

  it('does not read the entries of an oversized map: a forbidden first key changes nothing', () => {
    const frame = wideMap(65_000);
    frame[3] = 0xc1; // the first key, were it read, would be 'non-string-key'
    expect(errorOf(frame).code).toBe('too-many-entries');
  });
});

describe('map keys', () => {
  it('reads str16 keys as keys (then the schema rejects the non-canonical form)', () => {
    const frame = encodeMessage(samples['abort']!);
    // Rewrite the first key "t" (a1 74) as str16 (da 0001 74).
    const longKey = new Uint8Array([frame[0]!, 0xda, 0x00, 0x01, 0x74, ...frame.subarray(3)]);
    expect(codeOf(longKey)).toBe('non-canonical-encoding');
  });
});
