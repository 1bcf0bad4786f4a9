/**
 * Transcript bundles (audit.md §8.2) at the edges of their schema: the 784-frame bound, every field
 * the encoder checks named in its refusal, the decoder's field names and fixed lengths, the array
 * length checked against the bytes that remain before any hash is read, and `fmt` read before the
 * key count. Only a frame that fails to decode is kept as a rejected frame's digest.
 */
import { sha512 } from '@noble/hashes/sha2.js';
import { CodecError } from '@venn/errors';
import { MAX_FRAME_BYTES, MAX_POINT_CHUNKS, decodeMessage } from '@venn/wire';
import { describe, expect, it } from 'vitest';
import {
  BUNDLE_FORMAT,
  MAX_BUNDLE_FRAMES,
  MAX_PROOF_HASHES,
  MAX_ROUND_RECORD_BYTES,
  buildTranscriptBundle,
  decodeTranscriptBundle,
  encodeSignedTreeHead,
  encodeTranscriptBundle,
  type BundleParty,
  type TranscriptBundle,
} from '../src/index.js';
import { OrderedMap, writeCanonical, type AuditValue } from '../src/internal/msgpack.js';
import { caught, digest, exportBundle, playRound, refusal } from './round-harness.js';

const hex = (bytes: Uint8Array): string => Buffer.from(bytes).toString('hex');

const played = playRound({ elements: { initiator: ['s1', 'a1'].map(digest), responder: ['s1', 'b1', 'b2'].map(digest) } });
const valid = exportBundle(played, 'initiator');
const offer = played.records.initiator.find((m) => m.direction === 'sent' && decodeMessage(m.bytes).kind === 'offer')!;
const source = { exporter: valid.exporter, leaf: valid.leaf, leafIndex: valid.leafIndex, treeHead: valid.treeHead, inclusionProof: valid.inclusionProof };

/** audit.md §8.2: the most frames one party's part of a bundle holds. */
const SPEC_MAX_FRAMES = 784;

/** A party's map as the schema orders it, with some values replaced. */
function partyMap(party: BundleParty, change: Record<string, AuditValue> = {}): OrderedMap {
  return new OrderedMap(Object.entries({ frames: party.frames, labels: party.labelsDigest, rejected: party.rejectedFrameDigest, ...change }));
}

/** The bundle file of `valid` written field by field, with top-level or responder values replaced (no encoder checks). */
function file(change: Record<string, AuditValue> = {}, responder: Record<string, AuditValue> = {}): Uint8Array {
  return writeCanonical(new OrderedMap(Object.entries({
    fmt: BUNDLE_FORMAT,
    v: 1,
    exporter: valid.exporter,
    leaf: valid.leaf,
    index: valid.leafIndex,
    head: encodeSignedTreeHead(valid.treeHead),
    inclusion: valid.inclusionProof,
    initiator: partyMap(valid.initiator),
    responder: partyMap(valid.responder, responder),
    ...change,
  })));
}

const decodeRefusal = (bytes: Uint8Array): { code: string; message: string } => refusal(() => decodeTranscriptBundle(bytes), [CodecError]);
const encodeRefusal = (bundle: unknown): { code: string; message: string } => refusal(() => encodeTranscriptBundle(bundle as TranscriptBundle));

describe('the bundle frame bound of audit.md §8.2', () => {
  it(`is ${SPEC_MAX_FRAMES}: three point streams of ${MAX_POINT_CHUNKS} chunks, the OFFER, PROOF, FINISH, ABORT and an offending frame fit with room to spare`, () => {
    expect(3 * MAX_POINT_CHUNKS + 5).toBeLessThanOrEqual(SPEC_MAX_FRAMES);
    expect(MAX_BUNDLE_FRAMES).toBe(SPEC_MAX_FRAMES);
  });

  it(`buildTranscriptBundle keeps ${SPEC_MAX_FRAMES} frames of the peer and refuses ${SPEC_MAX_FRAMES + 1} from the peer`, () => {
    const received = { direction: 'received' as const, bytes: offer.bytes };
    const full = buildTranscriptBundle({ ...source, messages: [offer, ...Array.from({ length: SPEC_MAX_FRAMES }, () => received)] });
    expect(full.initiator.frames).toHaveLength(1);
    expect(full.responder.frames).toHaveLength(SPEC_MAX_FRAMES);
    expect(refusal(() => buildTranscriptBundle({ ...source, messages: Array.from({ length: SPEC_MAX_FRAMES + 1 }, () => received) }))).toEqual({
      code: 'too-many-frames', message: `"messages" expected at most ${SPEC_MAX_FRAMES} non-LABELS frames from the responder, got ${SPEC_MAX_FRAMES + 1}`,
    });
  });

  it(`encodeTranscriptBundle writes ${SPEC_MAX_FRAMES} frames of a party, which decode back, and refuses ${SPEC_MAX_FRAMES + 1} naming the party's frames`, () => {
    const frames = Array.from({ length: SPEC_MAX_FRAMES }, (_, i) => Uint8Array.of(i & 0x7f));
    const bytes = encodeTranscriptBundle({ ...valid, initiator: { ...valid.initiator, frames } });
    expect(decodeTranscriptBundle(bytes).initiator.frames.map(hex)).toEqual(frames.map(hex));
    expect(encodeRefusal({ ...valid, responder: { ...valid.responder, frames: [...frames, Uint8Array.of(1)] } })).toEqual({
      code: 'invalid-field', message: `"responder.frames" expected an array of at most ${SPEC_MAX_FRAMES} frames, got array of length ${SPEC_MAX_FRAMES + 1}`,
    });
  });
});

describe('buildTranscriptBundle: the source object and frames that cannot be read', () => {
  it('refuses a source that is not an object as invalid-type, naming "source"', () => {
    for (const [input, got] of [[null, 'null'], ['bundle', '"bundle"'], [7, 'number 7']] as const) {
      expect(refusal(() => buildTranscriptBundle(input as never))).toEqual({ code: 'invalid-type', message: `"source" expected an object, got ${got}` });
    }
  });

  it('keeps only a frame that fails to decode as the peer\'s rejected digest: any other error reading a frame propagates', () => {
    // Passes the Uint8Array check, but its bytes cannot be read: reading it is the exporter's own failure, not the peer's frame.
    const unreadable = Object.create(Uint8Array.prototype, { length: { value: 1 } }) as Uint8Array;
    const error = caught(() => buildTranscriptBundle({ ...source, messages: [offer, { direction: 'received', bytes: unreadable }] }));
    expect(error).toBeInstanceOf(TypeError);
    expect(error).not.toBeInstanceOf(CodecError);
    const junk = Uint8Array.of(0xc1);
    const bundle = buildTranscriptBundle({ ...source, messages: [offer, { direction: 'received', bytes: junk }] });
    expect(hex(bundle.responder.rejectedFrameDigest!)).toBe(hex(sha512(junk)));
  });
});

describe('encodeTranscriptBundle names each field it refuses', () => {
  it('an exporter that is not an id, and a leaf that is not bytes or longer than a round record', () => {
    expect(encodeRefusal({ ...valid, exporter: '' })).toEqual({ code: 'invalid-field', message: '"exporter" expected a roster member id (1 to 63 characters a-z, 0-9, "-"), got ""' });
    expect(encodeRefusal({ ...valid, leaf: 'leaf' })).toEqual({ code: 'invalid-type', message: '"leaf" expected Uint8Array, got "leaf"' });
    expect(encodeRefusal({ ...valid, leaf: new Uint8Array(MAX_ROUND_RECORD_BYTES + 1) })).toEqual({
      code: 'wrong-length', message: `"leaf" expected at most ${MAX_ROUND_RECORD_BYTES} bytes, got length=${MAX_ROUND_RECORD_BYTES + 1}`,
    });
    const longest = new Uint8Array(MAX_ROUND_RECORD_BYTES).fill(7);
    expect(hex(decodeTranscriptBundle(encodeTranscriptBundle({ ...valid, leaf: longest })).leaf)).toBe(hex(longest));
  });

  it(`an inclusion proof that is not an array or holds more than ${MAX_PROOF_HASHES} hashes; ${MAX_PROOF_HASHES} are written`, () => {
    expect(encodeRefusal({ ...valid, inclusionProof: 'proof' })).toEqual({
      code: 'invalid-field', message: `"inclusionProof" expected an array of at most ${MAX_PROOF_HASHES} hashes, got "proof"`,
    });
    const hashes = Array.from({ length: MAX_PROOF_HASHES + 1 }, (_, i) => new Uint8Array(32).fill(i));
    expect(encodeRefusal({ ...valid, inclusionProof: hashes })).toEqual({
      code: 'invalid-field', message: `"inclusionProof" expected an array of at most ${MAX_PROOF_HASHES} hashes, got array of length ${MAX_PROOF_HASHES + 1}`,
    });
    const most = hashes.slice(0, MAX_PROOF_HASHES);
    expect(decodeTranscriptBundle(encodeTranscriptBundle({ ...valid, inclusionProof: most })).inclusionProof.map(hex)).toEqual(most.map(hex));
  });

  it('a party that is not an object, by its role', () => {
    expect(encodeRefusal({ ...valid, initiator: null })).toEqual({ code: 'invalid-type', message: '"initiator" expected an object, got null' });
    expect(encodeRefusal({ ...valid, responder: 5 })).toEqual({ code: 'invalid-type', message: '"responder" expected an object, got number 5' });
    expect(encodeRefusal({ ...valid, responder: 'party' })).toEqual({ code: 'invalid-type', message: '"responder" expected an object, got "party"' });
  });

  it('frames that are not an array, and a frame that is not bytes, by role and index', () => {
    expect(encodeRefusal({ ...valid, initiator: { ...valid.initiator, frames: 'frames' } })).toEqual({
      code: 'invalid-field', message: `"initiator.frames" expected an array of at most ${SPEC_MAX_FRAMES} frames, got "frames"`,
    });
    expect(encodeRefusal({ ...valid, initiator: { ...valid.initiator, frames: { length: 1 } } })).toEqual({
      code: 'invalid-field', message: `"initiator.frames" expected an array of at most ${SPEC_MAX_FRAMES} frames, got object`,
    });
    expect(encodeRefusal({ ...valid, responder: { ...valid.responder, frames: [Uint8Array.of(1), 'frame'] } })).toEqual({
      code: 'invalid-type', message: '"responder.frames[1]" expected Uint8Array, got "frame"',
    });
  });

  it(`a frame of 0 or ${MAX_FRAME_BYTES + 1} bytes is refused as wrong-length by role and index; one of ${MAX_FRAME_BYTES} is written`, () => {
    expect(encodeRefusal({ ...valid, responder: { ...valid.responder, frames: [new Uint8Array(0)] } })).toEqual({
      code: 'wrong-length', message: `"responder.frames[0]" expected 1 to ${MAX_FRAME_BYTES} bytes, got length=0`,
    });
    expect(encodeRefusal({ ...valid, initiator: { ...valid.initiator, frames: [Uint8Array.of(1), new Uint8Array(MAX_FRAME_BYTES + 1)] } })).toEqual({
      code: 'wrong-length', message: `"initiator.frames[1]" expected 1 to ${MAX_FRAME_BYTES} bytes, got length=${MAX_FRAME_BYTES + 1}`,
    });
    const largest = new Uint8Array(MAX_FRAME_BYTES).fill(0x5a);
    const decoded = decodeTranscriptBundle(encodeTranscriptBundle({ ...valid, initiator: { ...valid.initiator, frames: [largest] } }));
    expect(decoded.initiator.frames).toHaveLength(1);
    expect(hex(decoded.initiator.frames[0]!)).toBe(hex(largest));
  });

  it('a labels digest or a rejected frame digest that is not 64 bytes, by role', () => {
    expect(encodeRefusal({ ...valid, initiator: { ...valid.initiator, labelsDigest: new Uint8Array(32) } })).toEqual({
      code: 'wrong-length', message: '"initiator.labelsDigest" expected Uint8Array of length 64, got length=32',
    });
    expect(encodeRefusal({ ...valid, responder: { ...valid.responder, rejectedFrameDigest: new Uint8Array(32) } })).toEqual({
      code: 'wrong-length', message: '"responder.rejectedFrameDigest" expected Uint8Array of length 64, got length=32',
    });
    expect(encodeRefusal({ ...valid, initiator: { ...valid.initiator, rejectedFrameDigest: 'digest' } })).toEqual({
      code: 'invalid-type', message: '"initiator.rejectedFrameDigest" expected Uint8Array, got "digest"',
    });
    const rejected = new Uint8Array(64).fill(0xee);
    expect(hex(decodeTranscriptBundle(encodeTranscriptBundle({ ...valid, responder: { ...valid.responder, rejectedFrameDigest: rejected } })).responder.rejectedFrameDigest!)).toBe(hex(rejected));
  });
});

describe('decodeTranscriptBundle names each field it refuses', () => {
  it('the file written field by field is the encoder\'s file', () => {
    expect(hex(file())).toBe(hex(encodeTranscriptBundle(valid)));
  });

  it('reads "fmt" and "v" before the key count: another kind of file or a future version with other keys is named as such', () => {
    const exportedLog = writeCanonical(new OrderedMap([['fmt', 'venn-exported-log'], ['v', 1], ['log', 'lab-a']]));
    expect(decodeRefusal(exportedLog).code).toBe('wrong-format');
    const future = writeCanonical(new OrderedMap([['fmt', BUNDLE_FORMAT], ['v', 2], ['bundles', []]]));
    expect(decodeRefusal(future).code).toBe('unsupported-version');
    const longer = file({ fmt: BUNDLE_FORMAT, v: 2, extra: 1 });
    expect(decodeRefusal(longer).code).toBe('unsupported-version');
  });

  const wrongType: Array<[string, AuditValue, string, string]> = [
    ['fmt', 7, 'str', '07'],
    ['v', 'one', 'an unsigned integer', 'a3'],
    ['leaf', 7, 'bin', '07'],
    ['index', 'six', 'an unsigned integer', 'a3'],
    ['head', 7, 'bin', '07'],
    ['inclusion', 7, 'an array', '07'],
  ];
  it.each(wrongType)('a "%s" of the wrong msgpack type is refused naming it', (field, value, expected, tag) => {
    const { code, message } = decodeRefusal(file({ [field]: value }));
    expect(code).toBe('wrong-type');
    expect(message).toMatch(new RegExp(`^transcript bundle "${field}" expected ${expected}, got msgpack type byte 0x${tag} at offset \\d+$`));
  });

  it('an exporter outside the id pattern is refused naming "exporter"', () => {
    const { code, message } = decodeRefusal(file({ exporter: 'LAB-A' }));
    expect(code).toBe('invalid-field');
    expect(message).toMatch(/^transcript bundle "exporter" expected to match .+, got "LAB-A"$/);
  });

  it(`a leaf longer than ${MAX_ROUND_RECORD_BYTES} bytes is refused as wrong-length; one of exactly that length is read`, () => {
    expect(decodeRefusal(file({ leaf: new Uint8Array(MAX_ROUND_RECORD_BYTES + 1) }))).toEqual({
      code: 'wrong-length', message: `transcript bundle "leaf" expected at most ${MAX_ROUND_RECORD_BYTES} bytes, got length=${MAX_ROUND_RECORD_BYTES + 1}`,
    });
    expect(decodeTranscriptBundle(file({ leaf: new Uint8Array(MAX_ROUND_RECORD_BYTES) })).leaf).toHaveLength(MAX_ROUND_RECORD_BYTES);
  });

  it('an inclusion hash of 31 or 33 bytes is refused as wrong-length naming inclusion[i]', () => {
    const hash = new Uint8Array(32).fill(3);
    expect(decodeRefusal(file({ inclusion: [hash, new Uint8Array(31)] }))).toEqual({
      code: 'wrong-length', message: 'transcript bundle "inclusion[1]" expected 32 bytes, got length=31',
    });
    expect(decodeRefusal(file({ inclusion: [new Uint8Array(33)] }))).toEqual({
      code: 'wrong-length', message: 'transcript bundle "inclusion[0]" expected 32 bytes, got length=33',
    });
  });

  it('an inclusion array claiming more hashes than the bytes left can hold is refused at its header, 34 bytes a hash', () => {
    const fifteen = Array.from({ length: 15 }, (_, i) => new Uint8Array(32).fill(i));
    const bytes = file({ inclusion: fifteen });
    const key = Buffer.from(bytes).indexOf(Buffer.from([0xa9, ...new TextEncoder().encode('inclusion')]));
    const header = key + 10;
    expect(bytes[header]).toBe(0x90 | 15);
    // Three whole hashes follow the header, then the file ends.
    const cut = bytes.subarray(0, header + 1 + 3 * 34);
    expect(decodeRefusal(cut)).toEqual({
      code: 'truncated', message: `transcript bundle "inclusion" claims ${15 * 34} bytes at offset ${header + 1}, but ${3 * 34} remain`,
    });
  });

  it('a rejected frame digest that is not 64 bytes is refused naming the party\'s "rejected"; one of 64 is read', () => {
    expect(decodeRefusal(file({}, { rejected: new Uint8Array(32) }))).toEqual({
      code: 'wrong-length', message: 'transcript bundle "responder.rejected" expected 64 bytes, got length=32',
    });
    expect(decodeRefusal(file({}, { rejected: new Uint8Array(65) }))).toEqual({
      code: 'wrong-length', message: 'transcript bundle "responder.rejected" expected 64 bytes, got length=65',
    });
    const rejected = new Uint8Array(64).fill(9);
    expect(hex(decodeTranscriptBundle(file({}, { rejected })).responder.rejectedFrameDigest!)).toBe(hex(rejected));
  });

  it('a frame of 0 bytes is refused as wrong-length, naming the party and the index', () => {
    expect(decodeRefusal(file({}, { frames: [Uint8Array.of(1), new Uint8Array(0)] }))).toEqual({
      code: 'wrong-length', message: `transcript bundle "responder.frames[1]" expected 1 to ${MAX_FRAME_BYTES} bytes, got length=0`,
    });
  });
});

