/**
 * The short version of bench:decode (bench/decode-worst.ts): every worst-case input it times is
 * built here at full frame size and decoded once, and must end as the table says: accepted, or
 * refused with a typed CodecError whose code shows how far the decoder read. A scan that went
 * through a huge map's entries before refusing it, as the quadratic duplicate check did, would end
 * with another code (missing-field, duplicate-key). Timings are left to the benchmark.
 */
import { CodecError } from '@venn/errors';
import { MAX_ARRAY_ITEMS, MAX_FRAME_BYTES, MAX_MAP_ENTRIES, MessageType, decodeMessage } from '@venn/wire';
import { describe, expect, it } from 'vitest';
import { adversarialFrames, largestBundle, largestExportedLog, largestMessages } from '../bench/adversarial.js';
import { MIN_EXPORTED_LEAF_BYTES, SIGNED_TREE_HEAD_BYTES, decodeExportedLog, decodeTranscriptBundle } from '../src/index.js';

function outcome(bytes: Uint8Array): string {
  try {
    decodeMessage(bytes);
    return 'accepted';
  } catch (error) {
    expect(error).toBeInstanceOf(CodecError);
    return (error as CodecError).code;
  }
}

/** What each input must come to: the scan refuses structural attacks from a header, before their contents. */
const expected: Record<string, string> = {
  'map16 of 65535 distinct 2-byte keys': 'too-many-entries',
  'map16 of 65535 keys, the last a duplicate': 'too-many-entries',
  'map32 of 65534 distinct 2-byte keys': 'too-many-entries',
  'map16 of 7943 fixstr keys of 31 bytes, one prefix': 'too-many-entries',
  'map16 of 1016 str8 keys of 255 bytes, one prefix': 'too-many-entries',
  'fixmap of 3 str16 keys of 65,535 bytes': 'missing-field',
  'fixmap of one str32 key of 262137 bytes': 'missing-field',
  'arrays nested 262,140 deep': 'too-deep',
  '12 maps of 12 empty arrays: containers at the depth limit': 'missing-field',
  '{t: array32 of empty arrays}': 'too-many-items',
  '{t: array32 of empty strings}': 'too-many-items',
  '{t: array32 of one-byte strings}': 'too-many-items',
  '{t: array32 of empty maps}': 'too-many-items',
  '{t: array32 of empty bins}': 'too-many-items',
  '{t: array32 of uint64 2^53-1}': 'too-many-items',
  '{t: array32 of maps of 12 two-byte keys}': 'too-many-items',
  '{t: array16 of 512 maps with a 255-byte key}': 'wrong-type',
  'largest valid offer': 'accepted',
  'largest valid blinded': 'accepted',
  'blinded of 4,096 points, non-canonical map header': 'non-canonical-encoding',
  'largest valid evaluated': 'accepted',
  'evaluated of 4,096 points, non-canonical map header': 'non-canonical-encoding',
  'largest valid proof': 'accepted',
  'largest valid labels': 'accepted',
  'largest labels, invalid UTF-8 in its last byte': 'wrong-length',
  'largest valid finish': 'accepted',
  'largest valid removed': 'accepted',
  'removed of 4,096 points, non-canonical map header': 'non-canonical-encoding',
  'largest valid abort': 'accepted',
};

describe('worst-case decoder inputs (bench:decode, one run each)', () => {
  const frames = adversarialFrames();

  it('cover every message kind and stay within the frame limit', () => {
    // Every kind the wire knows (a new kind without its worst case fails here).
    expect(new Set(frames.map((frame) => frame.kind))).toEqual(new Set(['any', ...Object.keys(MessageType)]));
    expect(Object.keys(largestMessages()).sort()).toEqual(Object.keys(MessageType).sort());
    expect(frames.map((frame) => frame.name).sort()).toEqual(Object.keys(expected).sort());
    for (const frame of frames) expect(frame.bytes.length, frame.name).toBeLessThanOrEqual(MAX_FRAME_BYTES);
    // The wide attacks fill the frame.
    expect(Math.max(...frames.map((frame) => frame.bytes.length))).toBe(MAX_FRAME_BYTES);
  });

  it.each(frames.map((frame) => [frame.name, frame] as const))('%s', (name, frame) => {
    expect(outcome(frame.bytes)).toBe(expected[name]);
  });

  it('refuses an oversized container from its header: the error points at the header, not at an entry', () => {
    for (const frame of frames.filter((f) => expected[f.name] === 'too-many-entries' || expected[f.name] === 'too-many-items')) {
      let message = '';
      try {
        decodeMessage(frame.bytes);
      } catch (error) {
        message = (error as Error).message;
      }
      const offset = Number(/at offset (\d+)/.exec(message)?.[1]);
      // The first container header: the frame's own map, or the array right after its one key "t".
      expect([0, 3]).toContain(offset);
      expect(message).toMatch(new RegExp(`more than ${expected[frame.name] === 'too-many-entries' ? MAX_MAP_ENTRIES : MAX_ARRAY_ITEMS}$`));
    }
  });

  it('a transcript bundle of the largest valid LABELS frames decodes, and so does each of its frames', () => {
    const labels = frames.find((frame) => frame.name === 'largest valid labels')!;
    const bundle = decodeTranscriptBundle(largestBundle(labels.bytes, 4));
    expect(bundle.initiator.frames).toHaveLength(4);
    for (const frame of [...bundle.initiator.frames, ...bundle.responder.frames]) expect(outcome(frame)).toBe('accepted');
  });

  it.each(['leaves', 'heads', 'peers'] as const)('an exported log full of the smallest %s decodes to as many as fit', (shape) => {
    const bytes = 1024 * 1024;
    const log = decodeExportedLog(largestExportedLog(shape, bytes));
    const count = shape === 'leaves' ? log.leaves.length : shape === 'heads' ? log.heads.length : log.peerHeads.length;
    // bin8 header + leaf; bin8 header + head; a peer entry: fixmap, "peer" "lab-b", "head" bin8 head,
    // "opened" uint64, "leaf" uint64.
    const per = shape === 'leaves' ? 2 + MIN_EXPORTED_LEAF_BYTES : shape === 'heads' ? 2 + SIGNED_TREE_HEAD_BYTES : 1 + 5 + 6 + 5 + 2 + SIGNED_TREE_HEAD_BYTES + 7 + 9 + 5 + 9;
    expect(count).toBe(Math.floor((bytes - 64) / per));
  });
});
