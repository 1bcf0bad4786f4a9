/**
 * Worst-case inputs for Venn's decoders of untrusted bytes: frames of at most MAX_FRAME_BYTES
 * (SPEC §5.1) built to make a decoder work hard (huge and wide maps, long keys, deep nesting, many
 * tiny values), the largest valid message of each kind, and the largest transcript bundle
 * (audit.md §8.2) and exported log (audit.md §10.1). Used by bench:decode and, at the same sizes,
 * by the decoder tests.
 */
import {
  MAX_CHUNK_POINTS,
  MAX_EPOCH_SET_SIZE,
  MAX_FRAME_BYTES,
  MAX_POINT_CHUNKS,
  MAX_SET_SIZE,
  MAX_LABEL_ENTRIES,
  MAX_IDENTIFIER_RULES_BYTES,
  PROTOCOL_VERSION,
  encodeMessage,
  type Message,
  type MessageKind,
} from '@venn/wire';
import {
  MAX_BUNDLE_FRAMES,
  MAX_EXPORTED_LOG_BYTES,
  MAX_PROOF_HASHES,
  MIN_EXPORTED_LEAF_BYTES,
  SIGNED_TREE_HEAD_BYTES,
  encodeExportedLog,
  encodeRoundRecord,
  encodeTranscriptBundle,
  type ExportedLog,
  type SignedTreeHead,
} from '@venn/audit';

export interface AdversarialFrame {
  readonly name: string;
  /** The message kind the frame claims, or 'any': the structural scan runs before `t` is read. */
  readonly kind: MessageKind | 'any';
  readonly bytes: Uint8Array;
}

const text = new TextEncoder();
const ascii = (value: string): number[] => [...text.encode(value)];
const roundId = new Uint8Array(32).fill(0x11);

function u16(value: number): number[] {
  return [value >> 8, value & 0xff];
}

function u32(value: number): number[] {
  return [value >>> 24, (value >>> 16) & 0xff, (value >>> 8) & 0xff, value & 0xff];
}

/** One frame from a header and `count` entries written by `entry` at fixed `size` bytes each. */
function repeated(header: readonly number[], count: number, size: number, entry: (out: Uint8Array, at: number, i: number) => void, trailer: readonly number[] = []): Uint8Array {
  const frame = new Uint8Array(header.length + count * size + trailer.length);
  frame.set(header);
  for (let i = 0; i < count; i++) entry(frame, header.length + i * size, i);
  frame.set(trailer, header.length + count * size);
  if (frame.length > MAX_FRAME_BYTES) throw new Error(`adversarial frame of ${frame.length} bytes exceeds the frame limit`);
  return frame;
}

/** The most entries of `size` bytes that fit in one frame after a header of `headerBytes`. */
function fill(headerBytes: number, size: number, trailerBytes = 0): number {
  return Math.floor((MAX_FRAME_BYTES - headerBytes - trailerBytes) / size);
}

/** A map of `count` distinct keys of `keyBytes` bytes: 'k' repeated, then the index as two bytes; nil values. */
function prefixKeyMap(count: number, keyBytes: number, keyHeader: readonly number[], map32 = false): Uint8Array {
  const header = map32 ? [0xdf, ...u32(count)] : count < 16 ? [0x80 | count] : [0xde, ...u16(count)];
  const size = keyHeader.length + keyBytes + 1;
  return repeated(header, count, size, (out, at, i) => {
    out.set(keyHeader, at);
    out.fill(0x6b, at + keyHeader.length, at + keyHeader.length + keyBytes - 2);
    out.set(u16(i), at + keyHeader.length + keyBytes - 2);
    out[at + size - 1] = 0xc0;
  });
}

/** `{t: [item × n]}` filling the frame with one repeated item; `t` is read last, by the schema. */
function wideArray(item: readonly number[]): Uint8Array {
  const header = [0x81, 0xa1, ...ascii('t'), 0xdd];
  const count = fill(header.length + 4, item.length);
  return repeated([...header, ...u32(count)], count, item.length, (out, at) => out.set(item, at));
}

/** Frames whose shape attacks the structural scan and msgpackr: the same for every message kind. */
export function structuralFrames(): AdversarialFrame[] {
  const frames: AdversarialFrame[] = [];
  const add = (name: string, bytes: Uint8Array): void => {
    frames.push({ name, kind: 'any', bytes });
  };
  const most16 = Math.min(0xffff, fill(3, 4));
  add(`map16 of ${most16} distinct 2-byte keys`, prefixKeyMap(most16, 2, [0xa2]));
  const dup = prefixKeyMap(most16, 2, [0xa2]);
  dup.set(dup.subarray(3, 6), dup.length - 4); // the last key repeats the first
  add(`map16 of ${most16} keys, the last a duplicate`, dup);
  add(`map32 of ${fill(5, 4)} distinct 2-byte keys`, prefixKeyMap(fill(5, 4), 2, [0xa2], true));
  add(`map16 of ${fill(3, 33)} fixstr keys of 31 bytes, one prefix`, prefixKeyMap(fill(3, 33), 31, [0xbf]));
  add(`map16 of ${fill(3, 258)} str8 keys of 255 bytes, one prefix`, prefixKeyMap(fill(3, 258), 255, [0xd9, 255]));
  add('fixmap of 3 str16 keys of 65,535 bytes', prefixKeyMap(3, 0xffff, [0xda, 0xff, 0xff]));
  const longKey = MAX_FRAME_BYTES - 1 - 5 - 1;
  add(`fixmap of one str32 key of ${longKey} bytes`, repeated([0x81, 0xdb, ...u32(longKey)], longKey, 1, (out, at) => { out[at] = 0x6b; }, [0xc0]));
  add('arrays nested 262,140 deep', repeated([0x81, 0xa1, ...ascii('t')], MAX_FRAME_BYTES - 4, 1, (out, at) => { out[at] = 0x91; }, [0xc0]));
  add('12 maps of 12 empty arrays: containers at the depth limit', (() => {
    const inner = (k: number): number[] => [0x8c, ...Array.from({ length: 12 }, (_, j) => [0xa2, 0x61 + k, 0x61 + j, 0x90]).flat()];
    return new Uint8Array([0x8c, ...Array.from({ length: 12 }, (_, k) => [0xa2, 0x6d, 0x61 + k, ...inner(k)]).flat()]);
  })());
  add('{t: array32 of empty arrays}', wideArray([0x90]));
  add('{t: array32 of empty strings}', wideArray([0xa0]));
  add('{t: array32 of one-byte strings}', wideArray([0xa1, 0x78]));
  add('{t: array32 of empty maps}', wideArray([0x80]));
  add('{t: array32 of empty bins}', wideArray([0xc4, 0x00]));
  add('{t: array32 of uint64 2^53-1}', wideArray([0xcf, 0x00, 0x1f, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff]));
  add('{t: array32 of maps of 12 two-byte keys}', wideArray([0x8c, ...Array.from({ length: 12 }, (_, j) => [0xa2, 0x6b, 0x61 + j, 0xc0]).flat()]));
  add('{t: array16 of 512 maps with a 255-byte key}', (() => {
    const entry = [0x81, 0xd9, 255, ...new Array<number>(253).fill(0x6b), 0x61, 0x61, 0xc0];
    return new Uint8Array([0x81, 0xa1, ...ascii('t'), 0xdc, ...u16(512), ...Array.from({ length: 512 }, () => entry).flat()]);
  })());
  return frames;
}

const head = { size: 2 ** 53 - 1, root: new Uint8Array(32).fill(0x44), timestamp: 2 ** 53 - 1, signature: new Uint8Array(64).fill(0x55) };

/** The largest valid message of each kind (SPEC §5.3–§5.9). */
export function largestMessages(): Record<MessageKind, Message> {
  const fourByte = '\u{1F600}'; // four UTF-8 bytes: the slowest characters to check
  return {
    offer: {
      kind: 'offer', version: PROTOCOL_VERSION, roundId, rosterDigest: new Uint8Array(32).fill(0x22), sender: 'a'.repeat(128), receiver: 'b'.repeat(128),
      mode: 'intersection', setSize: 1_048_576, maxPeerSetSize: 1_048_576, labelFields: ['category', 'first_seen', 'reason'],
      identifierRules: '~'.repeat(MAX_IDENTIFIER_RULES_BYTES), publicKey: new Uint8Array(32).fill(0x33), logHead: head,
      // SPEC §13.3: an epoch round's OFFER carries the `ep` map as well.
      epoch: { id: new Uint8Array(32).fill(0x34), index: 2 ** 32 - 1, previousHash: new Uint8Array(64).fill(0x35), accumulated: MAX_EPOCH_SET_SIZE, removals: MAX_SET_SIZE, epochCap: MAX_EPOCH_SET_SIZE },
    },
    blinded: { kind: 'blinded', roundId, seq: 255, points: new Uint8Array(32 * MAX_CHUNK_POINTS).fill(0x66) },
    evaluated: { kind: 'evaluated', roundId, seq: 255, points: new Uint8Array(32 * MAX_CHUNK_POINTS).fill(0x77), proof: new Uint8Array(64).fill(0x78) },
    proof: { kind: 'proof', roundId, proof: new Uint8Array(64).fill(0x88) },
    labels: {
      kind: 'labels', roundId, seq: 2047, end: false,
      entries: Array.from({ length: MAX_LABEL_ENTRIES }, (_, i) => ({
        key: new Uint8Array(32).fill(i & 0xff), category: fourByte.repeat(16), firstSeen: '2025-12-31', reason: fourByte.repeat(64),
      })),
    },
    finish: { kind: 'finish', roundId, intersectionSize: 1_048_576, signature: new Uint8Array(64).fill(0x99) },
    removed: { kind: 'removed', roundId, seq: MAX_POINT_CHUNKS - 1, points: new Uint8Array(32 * MAX_CHUNK_POINTS).fill(0x5a) },
    abort: { kind: 'abort', roundId, reason: `z${'-z'.repeat(31)}`.slice(0, 63), detail: fourByte.repeat(64) },
  };
}

/**
 * Per kind: its largest valid message, and for the largest kinds that message spoiled so that a
 * decoder does all the work before refusing it (a non-canonical header found only by the final
 * re-encoding, a bad last label).
 */
export function kindFrames(): AdversarialFrame[] {
  const frames: AdversarialFrame[] = [];
  for (const [kind, message] of Object.entries(largestMessages()) as Array<[MessageKind, Message]>) {
    const bytes = encodeMessage(message);
    frames.push({ name: `largest valid ${kind}`, kind, bytes });
    if (kind === 'labels') {
      // The frame's last byte (inside the last entry's reason) made invalid UTF-8: decoded with
      // replacement characters the reason outgrows its bound, found only at the last entry.
      const spoiled = bytes.slice();
      spoiled[spoiled.length - 1] = 0xff;
      frames.push({ name: 'largest labels, invalid UTF-8 in its last byte', kind, bytes: spoiled });
    }
    if (kind === 'blinded' || kind === 'evaluated' || kind === 'removed') {
      // The same points with a map16 header instead of a fixmap: only the canonical check refuses it.
      frames.push({ name: `${kind} of 4,096 points, non-canonical map header`, kind, bytes: new Uint8Array([0xde, 0x00, bytes[0]! & 0x0f, ...bytes.subarray(1)]) });
    }
  }
  return frames;
}

/** Every adversarial frame: the structural attacks (any kind) and each kind's own. */
export function adversarialFrames(): AdversarialFrame[] {
  return [...structuralFrames(), ...kindFrames()];
}

const signature = new Uint8Array(64).fill(0x5a);
/** Receipt evidence of a peer head (audit.md §10.1): the largest values, so every entry is as long as it gets. */
const RECEIPT = { opened: 2 ** 53 - 1, leafIndex: 2 ** 53 - 1 } as const;

/** The largest transcript bundle (audit.md §8.2): every party at MAX_BUNDLE_FRAMES copies of `frame`. */
export function largestBundle(frame: Uint8Array, framesPerParty = MAX_BUNDLE_FRAMES): Uint8Array {
  const leaf = encodeRoundRecord({
    roundId, attempt: 1, rosterDigest: new Uint8Array(32).fill(0x22), slot: null, initiatorId: 'lab-a', responderId: 'lab-b',
    status: 'aborted', reason: 'malformed-message', transcriptHash: new Uint8Array(0), initiatorClaim: null, responderClaim: null, timestamp: 1,
    initiatorSetSize: null, responderSetSize: null, initiatorEvaluations: 0, responderEvaluations: 0, endedBy: 'initiator',
  });
  const party = { frames: new Array<Uint8Array>(framesPerParty).fill(frame), labelsDigest: new Uint8Array(64), rejectedFrameDigest: null };
  return encodeTranscriptBundle({
    exporter: 'lab-a', leaf, leafIndex: 0, treeHead: { size: 1, root: new Uint8Array(32), timestamp: 1, signature },
    inclusionProof: new Array<Uint8Array>(MAX_PROOF_HASHES).fill(new Uint8Array(32)), initiator: party, responder: party,
  });
}

export type LogShape = 'leaves' | 'heads' | 'peers';

/**
 * An exported log (audit.md §10.1) of about `bytes` bytes made of as many of the smallest items of
 * one kind as fit: leaves of the least length the decoder takes, own heads, or peer heads.
 */
export function largestExportedLog(shape: LogShape, bytes = MAX_EXPORTED_LOG_BYTES): Uint8Array {
  const base: ExportedLog = { logId: 'lab-a', leaves: [], heads: [], peerHeads: [] };
  const room = bytes - 64;
  const head = (size: number): SignedTreeHead => ({ size, root: new Uint8Array(32).fill(size & 0xff), timestamp: size, signature });
  if (shape === 'leaves') {
    const leaf = new Uint8Array(MIN_EXPORTED_LEAF_BYTES).fill(1);
    const per = MIN_EXPORTED_LEAF_BYTES + 2;
    return encodeExportedLog({ ...base, leaves: new Array<Uint8Array>(Math.floor(room / per)).fill(leaf) });
  }
  if (shape === 'heads') {
    const count = Math.floor(room / (SIGNED_TREE_HEAD_BYTES + 2));
    return encodeExportedLog({ ...base, heads: Array.from({ length: count }, (_, i) => head(i + 1)) });
  }
  const one = encodeExportedLog({ ...base, peerHeads: [{ peerId: 'lab-b', head: head(1), ...RECEIPT }] }).length - encodeExportedLog(base).length;
  const count = Math.floor(room / one);
  return encodeExportedLog({ ...base, peerHeads: Array.from({ length: count }, (_, i) => ({ peerId: 'lab-b', head: head(i + 1), ...RECEIPT })) });
}
