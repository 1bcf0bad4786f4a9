import { CodecError, ValidationError } from '@venn/errors';
import {
  LABEL_FIELDS,
  MAX_CHUNK_POINTS,
  MAX_EPOCH_INDEX,
  MAX_EPOCH_SET_SIZE,
  MAX_FRAME_BYTES,
  MAX_IDENTIFIER_RULES_BYTES,
  MAX_LABEL_CHUNKS,
  MAX_POINT_CHUNKS,
  MAX_SET_SIZE,
  MessageType,
  PROTOCOL_VERSION,
  decodeMessage,
  encodeMessage,
  pointChunkCount,
  pointChunkLength,
  type LabelField,
  type Message,
} from '@venn/wire';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { bytes, roundId, samples } from './fixtures.js';

const hex = (value: Uint8Array): string => Buffer.from(value).toString('hex');

describe('round trip', () => {
  it.each(Object.entries(samples))('%s decodes to what was encoded', (_, message) => {
    const frame = encodeMessage(message);
    expect(frame.length).toBeLessThanOrEqual(MAX_FRAME_BYTES);
    expect(decodeMessage(frame)).toEqual(message);
    // Canonical: encoding the decoded message reproduces the frame byte for byte.
    expect(hex(encodeMessage(decodeMessage(frame)))).toBe(hex(frame));
  });

  it('writes the t field as the message type code first', () => {
    for (const message of Object.values(samples)) {
      const frame = encodeMessage(message);
      // fixmap header, fixstr "t", positive fixint type
      expect([frame[1], frame[2], frame[3]]).toEqual([0xa1, 0x74, MessageType[message.kind]]);
    }
  });

  it('encodes an ABORT to the exact canonical bytes of SPEC §5.9', () => {
    const frame = encodeMessage({ kind: 'abort', roundId: bytes(32, 0xab), reason: 'bad-proof', detail: '' });
    expect(hex(frame)).toBe(
      '84' + 'a174' + '07' + 'a3726964' + 'c420' + 'ab'.repeat(32) + 'a4636f6465' + 'a9' + hex(Buffer.from('bad-proof')) + 'a36d7367' + 'a0',
    );
  });

  it('decodes from a Buffer view with a non-zero offset and returns copies', () => {
    const frame = encodeMessage(samples['evaluated']!);
    const backing = Buffer.alloc(frame.length + 7);
    backing.set(frame, 7);
    const view = backing.subarray(7);
    const message = decodeMessage(view);
    expect(message).toEqual(samples['evaluated']);
    backing.fill(0);
    expect(message).toEqual(samples['evaluated']);
  });

  it('fits a full LABELS chunk with maximal values in one frame', () => {
    expect(encodeMessage(samples['labelsFull']!).length).toBeLessThanOrEqual(MAX_FRAME_BYTES);
  });

  const arbitraryMessage: fc.Arbitrary<Message> = (() => {
    const id = fc.uint8Array({ minLength: 32, maxLength: 32 });
    const text = (max: number, min = 0) =>
      fc.string({ unit: 'grapheme', minLength: min, maxLength: max }).filter((s) => {
        const length = Buffer.byteLength(s);
        return length >= min && length <= max && Buffer.from(s).toString() === s;
      });
    const points = fc.integer({ min: 1, max: 64 }).chain((m) => fc.uint8Array({ minLength: 32 * m, maxLength: 32 * m }));
    const fields = fc.subarray([...LABEL_FIELDS]) as fc.Arbitrary<LabelField[]>;
    const printable = fc
      .array(fc.integer({ min: 0x20, max: 0x7e }), { minLength: 1, maxLength: MAX_IDENTIFIER_RULES_BYTES })
      .map((codes) => String.fromCharCode(...codes));
    const proof = fc.constantFrom(0, 64).chain((length) => fc.uint8Array({ minLength: length, maxLength: length }));
    const offer = fc.record({
      kind: fc.constant('offer' as const),
      version: fc.constant(2),
      roundId: id,
      rosterDigest: id,
      sender: text(128, 1),
      receiver: text(128, 1),
      mode: fc.constantFrom('intersection' as const, 'cardinality' as const),
      setSize: fc.integer({ min: 0, max: MAX_SET_SIZE }),
      maxPeerSetSize: fc.integer({ min: 0, max: MAX_SET_SIZE }),
      labelFields: fields,
      identifierRules: printable,
      publicKey: id,
      logHead: fc.option(
        fc.record({
          size: fc.maxSafeNat(),
          root: id,
          timestamp: fc.maxSafeNat(),
          signature: fc.uint8Array({ minLength: 64, maxLength: 64 }),
        }),
        { nil: null },
      ),
    });
    // SPEC §13.3: an epoch round's OFFER carries `ep`.
    const epochOffer = fc.tuple(offer, fc.record({
      id,
      index: fc.integer({ min: 0, max: MAX_EPOCH_INDEX }),
      previousHash: fc.uint8Array({ minLength: 64, maxLength: 64 }),
      accumulated: fc.integer({ min: 0, max: MAX_EPOCH_SET_SIZE }),
      removals: fc.integer({ min: 0, max: MAX_SET_SIZE }),
      epochCap: fc.integer({ min: 0, max: MAX_EPOCH_SET_SIZE }),
    })).map(([plain, epoch]) => ({ ...plain, epoch }));
    const seq = fc.integer({ min: 0, max: MAX_POINT_CHUNKS - 1 });
    const date = fc
      .tuple(fc.integer({ min: 0, max: 9999 }), fc.integer({ min: 1, max: 12 }), fc.integer({ min: 1, max: 31 }))
      .map(([y, m, d]) => `${String(y).padStart(4, '0')}-${String(m).padStart(2, '0')}-${String(d).padStart(2, '0')}`);
    const entry = fc
      .record(
        { key: id, category: text(64, 1), firstSeen: date, reason: text(256, 1) },
        { requiredKeys: ['key'] },
      )
      .filter((e) => e.category !== undefined || e.firstSeen !== undefined || e.reason !== undefined);
    const labels = fc.record({
      kind: fc.constant('labels' as const),
      roundId: id,
      seq: fc.integer({ min: 0, max: MAX_LABEL_CHUNKS - 1 }),
      end: fc.constant(true),
      entries: fc.array(entry, { maxLength: 8 }),
    });
    return fc.oneof(
      offer,
      epochOffer,
      fc.record({ kind: fc.constant('blinded' as const), roundId: id, seq, points }),
      fc.record({ kind: fc.constant('removed' as const), roundId: id, seq, points }),
      fc.record({ kind: fc.constant('evaluated' as const), roundId: id, seq, points, proof }),
      fc.record({ kind: fc.constant('proof' as const), roundId: id, proof }),
      labels,
      fc.record({ kind: fc.constant('finish' as const), roundId: id, intersectionSize: fc.integer({ min: 0, max: MAX_EPOCH_SET_SIZE }), signature: fc.uint8Array({ minLength: 64, maxLength: 64 }) }),
      fc.record({
        kind: fc.constant('abort' as const),
        roundId: id,
        reason: fc.stringMatching(/^[a-z0-9]{1,10}(-[a-z0-9]{1,10}){0,3}$/),
        detail: text(256),
      }),
    ) as fc.Arbitrary<Message>;
  })();

  it('round-trips arbitrary valid messages (property)', () => {
    fc.assert(
      fc.property(arbitraryMessage, (message) => {
        const frame = encodeMessage(message);
        expect(decodeMessage(frame)).toEqual(message);
      }),
      { numRuns: 300 },
    );
  });

  it('rejects every single-byte corruption with a CodecError or decodes to a valid message (property)', () => {
    fc.assert(
      fc.property(arbitraryMessage, fc.nat(), fc.integer({ min: 1, max: 255 }), (message, at, flip) => {
        const frame = encodeMessage(message);
        const corrupt = frame.slice();
        const index = at % corrupt.length;
        corrupt[index] = corrupt[index]! ^ flip;
        try {
          const decoded = decodeMessage(corrupt);
          // A flip inside a byte string still yields a valid message, which must re-encode to itself.
          expect(encodeMessage(decoded)).toEqual(corrupt);
        } catch (error) {
          expect(error).toBeInstanceOf(CodecError);
        }
      }),
      { numRuns: 500 },
    );
  });
});

describe('encoder validation', () => {
  it.each<[string, Message, string]>([
    ['short round id', { kind: 'proof', roundId: bytes(31, 1), proof: bytes(64, 2) }, 'wrong-length'],
    ['a proof of 32 bytes', { kind: 'evaluated', roundId, seq: 0, points: bytes(32, 1), proof: bytes(32, 2) }, 'wrong-length'],
    ['identifier rules with a tab', { ...(samples['offer'] as Extract<Message, { kind: 'offer' }>), identifierRules: 'a\tb' }, 'unknown-value'],
    ['empty chunk', { kind: 'blinded', roundId, seq: 0, points: new Uint8Array(0) }, 'wrong-length'],
    ['oversized chunk', { kind: 'blinded', roundId, seq: 0, points: bytes(32 * (MAX_CHUNK_POINTS + 1), 1) }, 'wrong-length'],
    ['negative size', { kind: 'finish', roundId, intersectionSize: -1, signature: bytes(64, 1) }, 'out-of-range'],
    ['fractional size', { kind: 'finish', roundId, intersectionSize: 1.5, signature: bytes(64, 1) }, 'out-of-range'],
    ['upper-case abort code', { kind: 'abort', roundId, reason: 'BadProof', detail: '' }, 'unknown-value'],
  ])('refuses to encode a message with %s', (_, message, code) => {
    let caught: unknown;
    try {
      encodeMessage(message);
    } catch (error) {
      caught = error;
    }
    expect(caught).toBeInstanceOf(ValidationError);
    expect((caught as ValidationError).code).toBe(code);
  });
});

describe('chunking', () => {
  it.each([
    [0, []],
    [1, [1]],
    [4096, [4096]],
    [4097, [4096, 1]],
    [10_000, [4096, 4096, 1808]],
    [65_536, Array.from({ length: 16 }, () => 4096)],
    [100_000, [...Array.from({ length: 24 }, () => 4096), 1696]],
    [MAX_SET_SIZE, Array.from({ length: 256 }, () => 4096)],
  ])('splits %i points into full chunks and one remainder', (size, lengths) => {
    expect(pointChunkCount(size)).toBe(lengths.length);
    expect(Array.from({ length: pointChunkCount(size) + 1 }, (_, seq) => pointChunkLength(size, seq))).toEqual([
      ...lengths,
      0,
    ]);
  });
});

describe('protocol bounds (SPEC §5.3, §5.4, §5.5, §5.7)', () => {
  it('follow from MAX_SET_SIZE = 2^20', () => {
    expect(PROTOCOL_VERSION).toBe(2);
    expect(MAX_SET_SIZE).toBe(2 ** 20);
    expect(MAX_POINT_CHUNKS).toBe(256);
    expect(MAX_LABEL_CHUNKS).toBe(2048);
    expect(MAX_IDENTIFIER_RULES_BYTES).toBe(128);
    expect(pointChunkCount(MAX_SET_SIZE)).toBe(MAX_POINT_CHUNKS);
  });

  it('carries the largest chunk seq, LABELS seq, set size and identifier rules', () => {
    const largest: Message[] = [
      { kind: 'blinded', roundId, seq: MAX_POINT_CHUNKS - 1, points: bytes(32, 5) },
      { kind: 'evaluated', roundId, seq: MAX_POINT_CHUNKS - 1, points: bytes(32 * MAX_CHUNK_POINTS, 5), proof: bytes(64, 6) },
      { kind: 'labels', roundId, seq: MAX_LABEL_CHUNKS - 1, end: true, entries: [] },
      { kind: 'proof', roundId, proof: bytes(64, 9) },
      { kind: 'finish', roundId, intersectionSize: MAX_SET_SIZE, signature: bytes(64, 1) },
      {
        ...(samples['offer'] as Extract<Message, { kind: 'offer' }>),
        setSize: MAX_SET_SIZE,
        maxPeerSetSize: MAX_SET_SIZE,
        identifierRules: '~'.repeat(MAX_IDENTIFIER_RULES_BYTES),
      },
    ];
    for (const message of largest) expect(decodeMessage(encodeMessage(message))).toEqual(message);
  });

  it('sizes full chunks as SPEC §5.4 and §5.5 state: 131,128 and 131,197 bytes', () => {
    expect(encodeMessage({ kind: 'blinded', roundId, seq: 0, points: bytes(32 * MAX_CHUNK_POINTS, 1) }).length).toBe(131_128);
    expect(encodeMessage({ kind: 'evaluated', roundId, seq: 127, points: bytes(32 * MAX_CHUNK_POINTS, 1), proof: bytes(64, 2) }).length).toBe(131_197);
  });
});
