/**
 * The transcript bundle's decoder and encoder name the field they refuse (audit.md §8.2), for the
 * fields the bundle-survivors tests leave: a party's frames array, a frame that is not bytes or is
 * over the frame bound, a party's labels digest, and an inclusion hash handed to the encoder.
 */
import { CodecError } from '@venn/errors';
import { MAX_FRAME_BYTES } from '@venn/wire';
import { describe, expect, it } from 'vitest';
import { BUNDLE_FORMAT, decodeTranscriptBundle, encodeSignedTreeHead, encodeTranscriptBundle, type BundleParty, type TranscriptBundle } from '../src/index.js';
import { OrderedMap, writeCanonical, type AuditValue } from '../src/internal/msgpack.js';
import { digest, exportBundle, playRound, refusal } from './round-harness.js';

const valid = exportBundle(playRound({ elements: { initiator: ['s1', 'a1'].map(digest), responder: ['s1', 'b1', 'b2'].map(digest) } }), 'initiator');

function partyMap(party: BundleParty, change: Record<string, AuditValue> = {}): OrderedMap {
  return new OrderedMap(Object.entries({ frames: party.frames, labels: party.labelsDigest, rejected: party.rejectedFrameDigest, ...change }));
}

/** The bundle file of `valid` written field by field, with the initiator's or responder's values replaced (no encoder checks). */
function file(initiator: Record<string, AuditValue> = {}, responder: Record<string, AuditValue> = {}): Uint8Array {
  return writeCanonical(new OrderedMap(Object.entries({
    fmt: BUNDLE_FORMAT, v: 1, exporter: valid.exporter, leaf: valid.leaf, index: valid.leafIndex,
    head: encodeSignedTreeHead(valid.treeHead), inclusion: valid.inclusionProof,
    initiator: partyMap(valid.initiator, initiator), responder: partyMap(valid.responder, responder),
  })));
}

const decodeRefusal = (bytes: Uint8Array): { code: string; message: string } => refusal(() => decodeTranscriptBundle(bytes), [CodecError]);

const typeRefusal = (field: string, expected: string) => ({ code: 'wrong-type', message: expect.stringMatching(new RegExp(`^transcript bundle "${field.replace(/[[\]]/g, '\\$&')}" expected ${expected}, got msgpack type byte 0x[0-9a-f]{2} at offset \\d+$`)) });

describe('decodeTranscriptBundle names the party field it refuses', () => {
  it('frames that are not an array, by role', () => {
    expect(decodeRefusal(file({}, { frames: 'x' }))).toEqual(typeRefusal('responder.frames', 'an array'));
    expect(decodeRefusal(file({ frames: 7 }))).toEqual(typeRefusal('initiator.frames', 'an array'));
  });

  it('a frame that is not bytes, by role and index', () => {
    expect(decodeRefusal(file({}, { frames: [Uint8Array.of(1), 'frame'] }))).toEqual(typeRefusal('responder.frames[1]', 'bin'));
  });

  it(`a frame of ${MAX_FRAME_BYTES + 1} bytes is refused as wrong-length by role and index; one of ${MAX_FRAME_BYTES} is read`, () => {
    expect(decodeRefusal(file({ frames: [Uint8Array.of(1), new Uint8Array(MAX_FRAME_BYTES + 1)] }))).toEqual({
      code: 'wrong-length', message: `transcript bundle "initiator.frames[1]" expected at most ${MAX_FRAME_BYTES} bytes, got length=${MAX_FRAME_BYTES + 1}`,
    });
    expect(decodeTranscriptBundle(file({ frames: [new Uint8Array(MAX_FRAME_BYTES).fill(7)] })).initiator.frames[0]).toHaveLength(MAX_FRAME_BYTES);
  });

  it('a labels digest that is not 64 bytes of bin, by role', () => {
    expect(decodeRefusal(file({}, { labels: new Uint8Array(32) }))).toEqual({ code: 'wrong-length', message: 'transcript bundle "responder.labels" expected 64 bytes, got length=32' });
    expect(decodeRefusal(file({ labels: 'x' }))).toEqual(typeRefusal('initiator.labels', 'bin'));
  });
});

describe('encodeTranscriptBundle names the inclusion hash it refuses', () => {
  it('by its index in the proof', () => {
    expect(refusal(() => encodeTranscriptBundle({ ...valid, inclusionProof: [new Uint8Array(32), new Uint8Array(31)] } as TranscriptBundle))).toEqual({
      code: 'wrong-length', message: '"inclusionProof[1]" expected Uint8Array of length 32, got length=31',
    });
  });
});
