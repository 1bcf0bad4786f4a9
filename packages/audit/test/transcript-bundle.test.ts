/** Transcript bundles (audit.md §8): building from recorded frames, canonical round trips, and the decoder's junk table. */
import { sha512 } from '@noble/hashes/sha2.js';
import { CodecError, ValidationError } from '@venn/errors';
import { Transcript, streamIndex } from '@venn/protocol';
import { decodeMessage } from '@venn/wire';
import { describe, expect, it } from 'vitest';
import {
  MAX_BUNDLE_BYTES,
  MAX_BUNDLE_FRAMES,
  buildTranscriptBundle,
  decodeTranscriptBundle,
  emptyLabelsDigest,
  encodeTranscriptBundle,
  type TranscriptBundle,
} from '../src/index.js';
import { caught, digest, exportBundle, ids, keys, playRound, type PlayedRound } from './round-harness.js';

const hex = (bytes: Uint8Array): string => Buffer.from(bytes).toString('hex');
const ascii = (text: string): number[] => [...new TextEncoder().encode(text)];

const labelled: PlayedRound = playRound({
  elements: { initiator: ['s1', 's2', 'a1'].map(digest), responder: ['s2', 'b1', 's1', 'b2'].map(digest) },
  policy: { initiator: { labelFields: ['category', 'reason'] }, responder: { labelFields: ['category', 'first_seen', 'reason'] } },
  labels: {
    initiator: [{ category: 'distillation', reason: 'scripted prompts' }, undefined, undefined],
    responder: [undefined, undefined, { category: 'card-testing', reason: 'shared card' }, undefined],
  },
});
const valid = exportBundle(labelled, 'initiator');
const validBytes = encodeTranscriptBundle(valid);

/** Replaces the first occurrence of `find` (which must occur) by `replace`. */
function splice(bytes: Uint8Array, find: readonly number[], replace: readonly number[]): Uint8Array {
  const at = Buffer.from(bytes).indexOf(Buffer.from(find));
  if (at < 0) throw new Error(`pattern ${Buffer.from(find).toString('hex')} not in the bundle`);
  return Uint8Array.from([...bytes.subarray(0, at), ...replace, ...bytes.subarray(at + find.length)]);
}

describe('buildTranscriptBundle', () => {
  it('keeps every non-LABELS frame of each party in sending order and hashes LABELS into their stream digest', () => {
    for (const role of ['initiator', 'responder'] as const) {
      const sent = labelled.records[role].filter((m) => m.direction === 'sent').map((m) => m.bytes);
      const kinds = sent.map((bytes) => decodeMessage(bytes).kind);
      expect(kinds).toContain('labels');
      const expected = sent.filter((_, i) => kinds[i] !== 'labels').map(hex);
      expect(valid[role].frames.map(hex)).toEqual(expected);
      const transcript = new Transcript();
      sent.forEach((bytes, i) => { if (kinds[i] === 'labels') transcript.absorb(role, 'labels', bytes); });
      expect(hex(valid[role].labelsDigest)).toBe(hex(transcript.streamDigest(streamIndex(role, 'labels'))));
      expect(hex(valid[role].labelsDigest)).not.toBe(hex(emptyLabelsDigest(role)));
      expect(valid[role].rejectedFrameDigest).toBeNull();
    }
  });

  it('the exporter\'s and the peer\'s bundles carry the same frames and digests', () => {
    const other = exportBundle(labelled, 'responder');
    for (const role of ['initiator', 'responder'] as const) {
      expect(other[role].frames.map(hex)).toEqual(valid[role].frames.map(hex));
      expect(hex(other[role].labelsDigest)).toBe(hex(valid[role].labelsDigest));
    }
  });

  it('keeps a received frame that does not decode only as its SHA-512', () => {
    const junk = Uint8Array.from([0x82, 0xa1, 0x74, 0x09, 0xa3, ...ascii('rid'), 0xc0]);
    const bundle = buildTranscriptBundle({
      exporter: valid.exporter,
      leaf: valid.leaf,
      leafIndex: valid.leafIndex,
      treeHead: valid.treeHead,
      inclusionProof: valid.inclusionProof,
      messages: [...labelled.records.initiator, { direction: 'received', bytes: junk }, { direction: 'received', bytes: Uint8Array.of(0xc1) }],
    });
    expect(hex(bundle.responder.rejectedFrameDigest!)).toBe(hex(sha512(junk)));
    expect(bundle.responder.frames.map(hex)).toEqual(valid.responder.frames.map(hex));
    expect(bundle.initiator.rejectedFrameDigest).toBeNull();
  });

  const base = { exporter: valid.exporter, leaf: valid.leaf, leafIndex: valid.leafIndex, treeHead: valid.treeHead, inclusionProof: valid.inclusionProof, messages: labelled.records.initiator };
  const junk: Array<[string, Record<string, unknown>, typeof ValidationError | typeof CodecError, string]> = [
    ['an exporter that is not a party of the leaf', { exporter: 'lab-c' }, ValidationError, 'not-a-party'],
    ['an exporter id with upper case', { exporter: 'Lab-A' }, ValidationError, 'invalid-field'],
    ['a leaf that is not a round record', { leaf: Uint8Array.of(2, 2, 3) }, CodecError, 'truncated'],
    ['a leaf index that is negative', { leafIndex: -1 }, ValidationError, 'invalid-integer'],
    ['an inclusion proof hash of 31 bytes', { inclusionProof: [new Uint8Array(31)] }, ValidationError, 'wrong-length'],
    ['messages that are not an array', { messages: 'frames' }, ValidationError, 'invalid-type'],
    ['a message with an unknown direction', { messages: [{ direction: 'sideways', bytes: Uint8Array.of(0x80) }] }, ValidationError, 'invalid-field'],
    ['a message without bytes', { messages: [{ direction: 'sent', bytes: 'x' }] }, ValidationError, 'invalid-type'],
    ['more frames than a party can send', { messages: Array.from({ length: MAX_BUNDLE_FRAMES + 1 }, () => labelled.records.initiator[0]!) }, ValidationError, 'too-many-frames'],
  ];
  it.each(junk)('refuses %s', (_, change, type, code) => {
    const attempt = (): unknown => buildTranscriptBundle({ ...base, ...change } as never);
    expect(attempt).toThrow(type);
    expect(attempt).toThrow(expect.objectContaining({ code }));
  });
});

describe('encode / decode', () => {
  it('round-trips to identical bytes', () => {
    const decoded = decodeTranscriptBundle(validBytes);
    expect(hex(encodeTranscriptBundle(decoded))).toBe(hex(validBytes));
    expect(decoded.exporter).toBe(ids.initiator);
    expect(decoded.leafIndex).toBe(valid.leafIndex);
    expect(decoded.inclusionProof.map(hex)).toEqual(valid.inclusionProof.map(hex));
    expect(decoded.treeHead.signature).toEqual(valid.treeHead.signature);
  });

  it('refuses to encode a bundle that breaks its schema', () => {
    expect(() => encodeTranscriptBundle({ ...valid, initiator: { ...valid.initiator, labelsDigest: new Uint8Array(32) } })).toThrow(ValidationError);
    expect(() => encodeTranscriptBundle({ ...valid, responder: { ...valid.responder, frames: [new Uint8Array(0)] } })).toThrow(ValidationError);
    expect(() => encodeTranscriptBundle({ ...valid, exporter: '' })).toThrow(ValidationError);
    expect(() => encodeTranscriptBundle(null as unknown as TranscriptBundle)).toThrow(ValidationError);
  });

  const index = ascii('index');
  const head = ascii('head');
  const exporterKey = [0xa8, ...ascii('exporter')];
  const junk: Array<[string, () => unknown, string]> = [
    ['a string', () => 'bundle', 'invalid-type'],
    ['no bytes', () => new Uint8Array(0), 'empty'],
    ['more bytes than any bundle', () => new Uint8Array(MAX_BUNDLE_BYTES + 1), 'too-large'],
    ['an array instead of a map', () => Uint8Array.of(0x91, 0x01), 'wrong-type'],
    ['the last byte missing', () => validBytes.subarray(0, validBytes.length - 1), 'truncated'],
    ['only the first half', () => validBytes.subarray(0, validBytes.length >> 1), 'truncated'],
    ['a trailing byte', () => Uint8Array.from([...validBytes, 0x00]), 'trailing-bytes'],
    ['another file format', () => splice(validBytes, ascii('venn-transcript-bundle'), ascii('venn-transcript-bundlf')), 'wrong-format'],
    ['version 2', () => splice(validBytes, [0xa1, 0x76, 0x01], [0xa1, 0x76, 0x02]), 'unsupported-version'],
    ['a map with one key fewer', () => Uint8Array.from([validBytes[0]! - 1, ...validBytes.subarray(1)]), 'missing-field'],
    ['a map with one key more', () => Uint8Array.from([validBytes[0]! + 1, ...validBytes.subarray(1)]), 'unknown-field'],
    ['an unknown key', () => splice(validBytes, exporterKey, [0xa8, ...ascii('exported')]), 'unknown-field'],
    ['keys out of canonical order', () => splice(validBytes, [0xa4, ...ascii('leaf')], [0xa4, ...head]), 'non-canonical-encoding'],
    ['an index in a longer form than needed', () => splice(validBytes, [0xa5, ...index, valid.leafIndex], [0xa5, ...index, 0xcc, valid.leafIndex]), 'non-canonical-encoding'],
    ['an index as a float', () => splice(validBytes, [0xa5, ...index, valid.leafIndex], [0xa5, ...index, 0xcb, 0x40, 0x14, 0, 0, 0, 0, 0, 0]), 'wrong-type'],
    ['an index above 2^53 - 1', () => splice(validBytes, [0xa5, ...index, valid.leafIndex], [0xa5, ...index, 0xcf, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff]), 'out-of-range'],
    ['a head of 112 bytes', () => splice(validBytes, [0xa4, ...head, 0xc4, 113], [0xa4, ...head, 0xc4, 112]), 'wrong-length'],
    ['a head of version 2', () => splice(validBytes, [0xa4, ...head, 0xc4, 113, 0x01], [0xa4, ...head, 0xc4, 113, 0x02]), 'unsupported-version'],
    ['an exporter id in upper case', () => splice(validBytes, [...exporterKey, 0xa5, ...ascii('lab-a')], [...exporterKey, 0xa5, ...ascii('LAB-A')]), 'invalid-field'],
    ['an exporter id that is not UTF-8', () => splice(validBytes, [...exporterKey, 0xa5, ...ascii('lab-a')], [...exporterKey, 0xa5, 0xff, 0xfe, 0x61, 0x62, 0x63]), 'invalid-utf8'],
    ['a frames array claiming 2^32 - 1 items', () => splice(validBytes, [0xa6, ...ascii('frames'), 0x90 | valid.initiator.frames.length], [0xa6, ...ascii('frames'), 0xdd, 0xff, 0xff, 0xff, 0xff]), 'too-large'],
    ['a frames array in a longer form than needed', () => splice(validBytes, [0xa6, ...ascii('frames'), 0x90 | valid.initiator.frames.length], [0xa6, ...ascii('frames'), 0xdc, 0x00, valid.initiator.frames.length]), 'non-canonical-encoding'],
    ['a labels digest of 63 bytes', () => splice(validBytes, [0xa6, ...ascii('labels'), 0xc4, 64], [0xa6, ...ascii('labels'), 0xc4, 63]), 'wrong-length'],
    ['a rejected frame digest that is a boolean', () => splice(validBytes, [0xa8, ...ascii('rejected'), 0xc0], [0xa8, ...ascii('rejected'), 0xc2]), 'wrong-type'],
    ['a msgpack ext value', () => splice(validBytes, [0xa8, ...ascii('rejected'), 0xc0], [0xa8, ...ascii('rejected'), 0xd4, 0x01, 0x00]), 'wrong-type'],
  ];
  it.each(junk)('refuses %s with a typed CodecError', (_, input, code) => {
    const attempt = (): unknown => decodeTranscriptBundle(input() as Uint8Array);
    expect(attempt).toThrow(CodecError);
    expect(attempt).toThrow(expect.objectContaining({ code }));
  });

  it('keeps the signed head, so a decoded bundle still verifies its head signature', async () => {
    const { verifyTreeHead } = await import('../src/index.js');
    expect(verifyTreeHead(decodeTranscriptBundle(validBytes).treeHead, ids.initiator, keys.initiator.publicKey)).toBe(true);
  });
});

describe('buildTranscriptBundle: the frame bound, the refusals\' texts and copies of the recorded bytes', () => {
  const base = { exporter: valid.exporter, leaf: valid.leaf, leafIndex: valid.leafIndex, treeHead: valid.treeHead, inclusionProof: valid.inclusionProof };
  const offer = labelled.records.initiator.find((m) => m.direction === 'sent' && decodeMessage(m.bytes).kind === 'offer')!;

  it(`keeps exactly ${MAX_BUNDLE_FRAMES} non-LABELS frames of one party; one more is refused, naming the party and the count`, () => {
    const bundle = buildTranscriptBundle({ ...base, messages: Array.from({ length: MAX_BUNDLE_FRAMES }, () => offer) });
    expect(bundle.initiator.frames).toHaveLength(MAX_BUNDLE_FRAMES);
    expect(bundle.responder.frames).toHaveLength(0);
    const error = caught(() => buildTranscriptBundle({ ...base, messages: Array.from({ length: MAX_BUNDLE_FRAMES + 1 }, () => offer) }));
    expect(error).toBeInstanceOf(ValidationError);
    expect(error.code).toBe('too-many-frames');
    expect(error.message).toBe(`"messages" expected at most ${MAX_BUNDLE_FRAMES} non-LABELS frames from the initiator, got ${MAX_BUNDLE_FRAMES + 1}`);
  });

  it('a message with an unknown direction or without bytes is refused naming messages[i] and what it got', () => {
    const direction = caught(() => buildTranscriptBundle({ ...base, messages: [offer, { direction: 'sideways', bytes: offer.bytes }] } as never));
    expect(direction).toBeInstanceOf(ValidationError);
    expect({ code: direction.code, message: direction.message }).toEqual({ code: 'invalid-field', message: '"messages[1].direction" expected "sent" or "received", got "sideways"' });
    const bytes = caught(() => buildTranscriptBundle({ ...base, messages: [offer, { direction: 'sent', bytes: 'x' }] } as never));
    expect(bytes).toBeInstanceOf(ValidationError);
    expect({ code: bytes.code, message: bytes.message }).toEqual({ code: 'invalid-type', message: '"messages[1].bytes" expected Uint8Array, got "x"' });
  });

  it('copies each frame: changing the recorded bytes afterwards does not change the bundle', () => {
    const messages = labelled.records.initiator.map((m) => ({ direction: m.direction, bytes: m.bytes.slice() }));
    const bundle = buildTranscriptBundle({ ...base, messages });
    const before = bundle.initiator.frames.map(hex);
    expect(before).toEqual(valid.initiator.frames.map(hex));
    for (const m of messages) m.bytes.fill(0);
    expect(bundle.initiator.frames.map(hex)).toEqual(before);
    expect(bundle.responder.frames.map(hex)).toEqual(valid.responder.frames.map(hex));
  });

  it('an exporter outside the id pattern is refused naming "exporter" and what it got', () => {
    const error = caught(() => buildTranscriptBundle({ ...base, exporter: 'Lab-A', messages: [offer] }));
    expect(error).toBeInstanceOf(ValidationError);
    expect({ code: error.code, message: error.message }).toEqual({
      code: 'invalid-field', message: '"exporter" expected a roster member id (1 to 63 characters a-z, 0-9, "-"), got "Lab-A"',
    });
  });

  it(`decodeTranscriptBundle reads a file of exactly ${MAX_BUNDLE_BYTES} bytes and refuses one more as too-large, before reading it`, () => {
    // One zeroed buffer; the decoder reads only the first byte of the largest file, a 0x00 where the map is due.
    const bytes = new Uint8Array(MAX_BUNDLE_BYTES + 1);
    const largest = caught(() => decodeTranscriptBundle(bytes.subarray(0, MAX_BUNDLE_BYTES)));
    expect(largest).toBeInstanceOf(CodecError);
    expect({ code: largest.code, message: largest.message }).toEqual({ code: 'wrong-type', message: 'transcript bundle "bundle" expected a map, got msgpack type byte 0x00 at offset 0' });
    const over = caught(() => decodeTranscriptBundle(bytes));
    expect(over).toBeInstanceOf(CodecError);
    expect({ code: over.code, message: over.message }).toEqual({ code: 'too-large', message: `transcript bundle expected at most ${MAX_BUNDLE_BYTES} bytes, got length=${MAX_BUNDLE_BYTES + 1}` });
  });

  it('encodeTranscriptBundle refuses a bundle that is not an object as invalid-type, before any field', () => {
    for (const [input, got] of [[5, 'number 5'], ['bundle', '"bundle"'], [null, 'null'], [undefined, 'undefined']] as const) {
      const error = caught(() => encodeTranscriptBundle(input as unknown as TranscriptBundle));
      expect(error).toBeInstanceOf(ValidationError);
      expect({ code: error.code, message: error.message }).toEqual({ code: 'invalid-type', message: `"bundle" expected an object, got ${got}` });
    }
  });
});
