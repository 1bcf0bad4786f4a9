/**
 * audit.md §10.1 exported logs: one canonical encoding per log. The encoder sorts own heads by size
 * and peer heads by (peer, size, timestamp, root, signature) and refuses repeats; the decoder
 * refuses any other order, a repeated entry, leaves outside 65..MAX_ROUND_RECORD_BYTES, the wrong
 * format or version, and keeps each receipt (opened, leaf) or its absence. A log operator cannot
 * hand the auditor a second encoding of its log, or reorder it to hide a head.
 */
import { CodecError, ValidationError } from '@venn/errors';
import { describe, expect, it } from 'vitest';
import {
  EXPORTED_LOG_FORMAT,
  EXPORTED_LOG_VERSION,
  MAX_ROUND_RECORD_BYTES,
  MIN_EXPORTED_LEAF_BYTES,
  SIGNED_TREE_HEAD_BYTES,
  decodeExportedLog,
  encodeExportedLog,
  encodeSignedTreeHead,
  signTreeHead,
  type ExportedLog,
  type PeerTreeHead,
  type SignedTreeHead,
} from '../src/index.js';
import { OrderedMap, writeCanonical, type AuditValue } from '../src/internal/msgpack.js';
import { caught, keys } from './round-harness.js';

const head = (size: number, timestamp: number, rootFill: number, owner: 'lab-a' | 'lab-b' = 'lab-b'): SignedTreeHead =>
  signTreeHead({ size, timestamp, root: new Uint8Array(32).fill(rootFill) }, owner, (owner === 'lab-a' ? keys.initiator : keys.responder).secretKey.slice());
const leaf = (length: number, fill = 1): Uint8Array => new Uint8Array(length).fill(fill);
const peer = (peerId: string, h: SignedTreeHead, opened: number | null = null, leafIndex: number | null = null): PeerTreeHead => ({ peerId, head: h, opened, leafIndex });

/** The raw file, in any order the test chooses: what a malicious exporter could write. */
function rawLog(log: ExportedLog, overrides: Partial<Record<'fmt' | 'v', AuditValue>> = {}): Uint8Array {
  return writeCanonical(new OrderedMap([
    ['fmt', overrides.fmt ?? EXPORTED_LOG_FORMAT],
    ['v', overrides.v ?? EXPORTED_LOG_VERSION],
    ['log', log.logId],
    ['leaves', log.leaves],
    ['heads', log.heads.map(encodeSignedTreeHead)],
    ['peers', log.peerHeads.map((p) => new OrderedMap([['peer', p.peerId], ['head', encodeSignedTreeHead(p.head)], ['opened', p.opened], ['leaf', p.leafIndex]]))],
  ]));
}

const base: ExportedLog = { logId: 'lab-a', leaves: [leaf(70)], heads: [head(1, 10, 1, 'lab-a')], peerHeads: [] };

describe('peer heads in canonical order', () => {
  // Each pair differs in exactly one sort key, the first listed sorting first.
  const pairs: Array<[string, PeerTreeHead, PeerTreeHead]> = [
    ['peer id', peer('lab-b', head(9, 90, 9)), peer('lab-c', head(1, 10, 1))],
    ['size', peer('lab-b', head(2, 90, 9)), peer('lab-b', head(3, 10, 1))],
    ['timestamp', peer('lab-b', head(3, 10, 9)), peer('lab-b', head(3, 11, 1))],
    ['root', peer('lab-b', head(3, 10, 1)), peer('lab-b', head(3, 10, 2))],
  ];

  it.each(pairs)('by %s: the encoder sorts them, the decoder keeps that order and refuses the other', (_, first, second) => {
    const log = { ...base, peerHeads: [second, first] };
    const decoded = decodeExportedLog(encodeExportedLog(log));
    expect(decoded.peerHeads.map((p) => [p.peerId, p.head.size, p.head.timestamp, p.head.root[0]])).toEqual(
      [first, second].map((p) => [p.peerId, p.head.size, p.head.timestamp, p.head.root[0]]),
    );
    const error = caught(() => decodeExportedLog(rawLog(log)));
    expect(error).toBeInstanceOf(CodecError);
    expect(error.code).toBe('non-canonical-encoding');
  });

  it('two signatures over one head sort by signature; the same entry twice is refused both ways', () => {
    const h = head(3, 10, 1);
    const forged: SignedTreeHead = { ...h, signature: h.signature.map((byte, i) => (i === 0 ? byte ^ 0xff : byte)) };
    const [low, high] = h.signature[0]! < forged.signature[0]! ? [h, forged] : [forged, h];
    const decoded = decodeExportedLog(encodeExportedLog({ ...base, peerHeads: [peer('lab-b', high), peer('lab-b', low)] }));
    expect(decoded.peerHeads.map((p) => p.head.signature[0])).toEqual([low.signature[0], high.signature[0]]);
    expect(caught(() => decodeExportedLog(rawLog({ ...base, peerHeads: [peer('lab-b', high), peer('lab-b', low)] }))).code).toBe('non-canonical-encoding');
    const twice = { ...base, peerHeads: [peer('lab-b', h, 5, 0), peer('lab-b', h, 6, 0)] };
    const encodeError = caught(() => encodeExportedLog(twice));
    expect(encodeError).toBeInstanceOf(ValidationError);
    expect(encodeError.code).toBe('duplicate-head');
    expect(caught(() => decodeExportedLog(rawLog(twice))).code).toBe('non-canonical-encoding');
  });

  it('keeps each receipt, or its absence, and refuses a malformed one on encoding', () => {
    const log = { ...base, peerHeads: [peer('lab-b', head(1, 10, 1), null, 0), peer('lab-b', head(2, 10, 1), 1_900_000_000_000, null), peer('lab-c', head(1, 10, 1), 0, 7)] };
    const decoded = decodeExportedLog(encodeExportedLog(log));
    expect(decoded.peerHeads.map((p) => [p.peerId, p.opened, p.leafIndex])).toEqual([['lab-b', null, 0], ['lab-b', 1_900_000_000_000, null], ['lab-c', 0, 7]]);
    for (const bad of [peer('lab-b', head(1, 10, 1), -1, null), peer('lab-b', head(1, 10, 1), null, 1.5)]) {
      const error = caught(() => encodeExportedLog({ ...base, peerHeads: [bad] }));
      expect(error).toBeInstanceOf(ValidationError);
      expect(error.code).toBe('invalid-integer');
    }
    expect(caught(() => encodeExportedLog({ ...base, peerHeads: [peer('Lab_B', head(1, 10, 1))] })).code).toBe('invalid-field');
  });
});

describe('own heads, leaves and the header', () => {
  it('own heads are sorted by size on encoding; the decoder refuses a smaller or equal size after a larger one', () => {
    const heads = [head(5, 50, 5, 'lab-a'), head(2, 20, 2, 'lab-a'), head(3, 30, 3, 'lab-a')];
    const decoded = decodeExportedLog(encodeExportedLog({ ...base, heads }));
    expect(decoded.heads.map((h) => h.size)).toEqual([2, 3, 5]);
    expect(caught(() => decodeExportedLog(rawLog({ ...base, heads }))).code).toBe('non-canonical-encoding');
    const same = [head(2, 20, 2, 'lab-a'), head(2, 21, 3, 'lab-a')];
    expect(caught(() => decodeExportedLog(rawLog({ ...base, heads: same }))).code).toBe('non-canonical-encoding');
    const encodeError = caught(() => encodeExportedLog({ ...base, heads: same }));
    expect(encodeError).toBeInstanceOf(ValidationError);
    expect(encodeError.code).toBe('duplicate-head');
  });

  it(`leaves of ${MIN_EXPORTED_LEAF_BYTES} to ${MAX_ROUND_RECORD_BYTES} bytes pass both ways; one byte less or more is refused`, () => {
    const ok = { ...base, leaves: [leaf(MIN_EXPORTED_LEAF_BYTES, 2), leaf(MAX_ROUND_RECORD_BYTES, 3)] };
    const decoded = decodeExportedLog(encodeExportedLog(ok));
    expect(decoded.leaves.map((l) => [l.length, l[0]])).toEqual([[MIN_EXPORTED_LEAF_BYTES, 2], [MAX_ROUND_RECORD_BYTES, 3]]);
    for (const length of [MIN_EXPORTED_LEAF_BYTES - 1, MAX_ROUND_RECORD_BYTES + 1]) {
      const bad = { ...base, leaves: [leaf(length)] };
      const encodeError = caught(() => encodeExportedLog(bad));
      expect(encodeError).toBeInstanceOf(ValidationError);
      expect(encodeError.code).toBe('wrong-length');
      const decodeError = caught(() => decodeExportedLog(rawLog(bad)));
      expect(decodeError).toBeInstanceOf(CodecError);
      expect(decodeError.code).toBe('wrong-length');
    }
    expect(caught(() => encodeExportedLog({ ...base, leaves: ['leaf' as unknown as Uint8Array] })).code).toBe('invalid-type');
  });

  it('refuses another format, another version, an invalid log id and malformed arguments', () => {
    expect(caught(() => decodeExportedLog(rawLog(base, { fmt: 'venn-bundle' }))).code).toBe('wrong-format');
    expect(caught(() => decodeExportedLog(rawLog(base, { v: 1 }))).code).toBe('unsupported-version');
    expect(caught(() => decodeExportedLog(rawLog(base, { v: 3 }))).code).toBe('unsupported-version');
    expect(caught(() => decodeExportedLog(rawLog({ ...base, logId: 'Lab-A' }))).code).toBe('invalid-field');
    expect(caught(() => decodeExportedLog(new Uint8Array(0))).code).toBe('empty');
    expect(caught(() => decodeExportedLog('log' as unknown as Uint8Array)).code).toBe('invalid-type');
    for (const [input, got] of [[null, 'null'], [5, 'number 5'], ['log', '"log"']] as const) {
      const error = caught(() => encodeExportedLog(input as unknown as ExportedLog));
      expect(error).toBeInstanceOf(ValidationError);
      expect({ code: error.code, message: error.message }).toEqual({ code: 'invalid-type', message: `"log" expected an object, got ${got}` });
    }
    expect(caught(() => encodeExportedLog({ ...base, logId: 'Lab-A' })).code).toBe('invalid-field');
    expect(caught(() => encodeExportedLog({ ...base, heads: undefined as unknown as SignedTreeHead[] })).code).toBe('invalid-type');
    expect(caught(() => encodeExportedLog({ ...base, leaves: undefined as unknown as Uint8Array[] })).code).toBe('invalid-type');
    expect(caught(() => encodeExportedLog({ ...base, peerHeads: undefined as unknown as PeerTreeHead[] })).code).toBe('invalid-type');
  });

  it('round-trips a whole log byte for byte, and a byte appended is trailing', () => {
    const log: ExportedLog = {
      logId: 'lab-a', leaves: [leaf(65, 4), leaf(100, 5)], heads: [head(1, 10, 1, 'lab-a'), head(2, 20, 2, 'lab-a')],
      peerHeads: [peer('lab-b', head(4, 40, 4), 1_900_000_000_000, 1)],
    };
    const bytes = encodeExportedLog(log);
    expect(bytes).toEqual(rawLog(log));
    const decoded = decodeExportedLog(bytes);
    expect(encodeExportedLog(decoded)).toEqual(bytes);
    expect(decoded.logId).toBe('lab-a');
    expect(decoded.heads.map((h) => h.timestamp)).toEqual([10, 20]);
    expect(caught(() => decodeExportedLog(Uint8Array.from([...bytes, 0]))).code).toBe('trailing-bytes');
  });

  it('refuses a leaf or head count the remaining bytes cannot hold, before reading an entry', () => {
    // leaves: array32 claiming 2^20 leaves in a file of a few hundred bytes.
    const bytes = rawLog(base);
    const at = bytes.indexOf(0x91, bytes.indexOf(0xa6, 0)); // fixarray(1) of leaves follows its key
    const forged = Uint8Array.from([...bytes.subarray(0, at), 0xdd, 0x00, 0x10, 0x00, 0x00, ...bytes.subarray(at + 1)]);
    expect(caught(() => decodeExportedLog(forged)).code).toBe('truncated');
  });

  it('names the leaf it refuses: an oversize or malformed leaves[i]', () => {
    const oversize = caught(() => decodeExportedLog(rawLog({ ...base, leaves: [leaf(70), leaf(MAX_ROUND_RECORD_BYTES + 1)] })));
    expect(oversize).toBeInstanceOf(CodecError);
    expect(oversize.code).toBe('wrong-length');
    expect(oversize.message).toBe(`exported log "leaves[1]" expected at most ${MAX_ROUND_RECORD_BYTES} bytes, got length=${MAX_ROUND_RECORD_BYTES + 1}`);
    // A leaf written as a string instead of bytes: the type byte of leaves[0] is refused.
    const bytes = rawLog(base);
    const at = bytes.indexOf(0x91, bytes.indexOf(0xa6, 0)) + 1; // the bin8 header of leaves[0]
    expect(bytes[at]).toBe(0xc4);
    const forged = bytes.slice();
    forged[at] = 0xd9; // str8 of the same length
    const malformed = caught(() => decodeExportedLog(forged));
    expect(malformed).toBeInstanceOf(CodecError);
    expect(malformed.code).toBe('wrong-type');
    expect(malformed.message).toBe(`exported log "leaves[0]" expected bin, got msgpack type byte 0xd9 at offset ${at}`);
  });

  it('refuses a peer count the remaining bytes cannot hold at the count itself, by the size of the shortest entry', () => {
    // The shortest entry: fixmap, "peer" and a one-character id, "head" and its bin8, "opened" nil, "leaf" nil.
    const shortest = 1 + 5 + 2 + 5 + 2 + SIGNED_TREE_HEAD_BYTES + 7 + 1 + 5 + 1;
    const log = { ...base, peerHeads: [peer('b', head(1, 10, 1)), peer('c', head(1, 10, 1))] };
    const bytes = rawLog(log);
    // Two shortest entries end the file: they decode.
    const at = bytes.length - 2 * shortest - 1;
    expect(bytes[at]).toBe(0x92);
    expect(decodeExportedLog(bytes).peerHeads.map((p) => [p.peerId, p.opened, p.leafIndex])).toEqual([['b', null, null], ['c', null, null]]);
    // A count of three over the same two entries cannot fit: refused at the header, before any entry.
    const forged = bytes.slice();
    forged[at] = 0x93;
    const error = caught(() => decodeExportedLog(forged));
    expect(error).toBeInstanceOf(CodecError);
    expect(error.code).toBe('truncated');
    expect(error.message).toBe(`exported log "peers" claims ${3 * shortest} bytes at offset ${at + 1}, but ${2 * shortest} remain`);
  });
});
