/**
 * Exported logs (audit.md §10.1) at the edges exported-log-mutants.test.ts leaves open: every field
 * the encoder refuses and every field of a file the decoder refuses is named in the message, with
 * its index in the list; a log or peer id that is not a string is refused rather than written as
 * another msgpack type; a heads or peers count the file cannot hold is refused at its header, and a
 * peer head of the wrong length is refused as such before it is decoded.
 */
import { CodecError } from '@venn/errors';
import { describe, expect, it } from 'vitest';
import {
  EXPORTED_LOG_FORMAT,
  EXPORTED_LOG_VERSION,
  SIGNED_TREE_HEAD_BYTES,
  decodeExportedLog,
  encodeExportedLog,
  encodeSignedTreeHead,
  type ExportedLog,
  type PeerTreeHead,
  type SignedTreeHead,
} from '../src/index.js';
import { OrderedMap, writeCanonical, type AuditValue } from '../src/internal/msgpack.js';
import { refusal } from './round-harness.js';

// Neither side checks signatures here, so fixed bytes stand in for them.
const head = (size: number, fill = size): SignedTreeHead => ({ size, timestamp: 1_767_225_600_000 + size, root: new Uint8Array(32).fill(fill), signature: new Uint8Array(64).fill(fill) });
const peer = (peerId: string, h: SignedTreeHead, opened: number | null = null, leafIndex: number | null = null): PeerTreeHead => ({ peerId, head: h, opened, leafIndex });
const leaf = new Uint8Array(70).fill(1);
const base: ExportedLog = { logId: 'lab-a', leaves: [leaf], heads: [head(1)], peerHeads: [peer('lab-b', head(1))] };
const ID_EXPECTED = 'expected a roster member id (1 to 63 characters a-z, 0-9, "-"), got';

const encodeRefusal = (log: unknown): { code: string; message: string } => refusal(() => encodeExportedLog(log as ExportedLog));
const decodeRefusal = (bytes: Uint8Array): { code: string; message: string } => refusal(() => decodeExportedLog(bytes), [CodecError]);

type Fields = { fmt: AuditValue; v: AuditValue; log: AuditValue; leaves: AuditValue; heads: AuditValue; peers: AuditValue };
/** A file as a malicious exporter may write it: any value under each key, in canonical order. */
function rawFile(fields: Partial<Fields>): Uint8Array {
  const all: Fields = {
    fmt: EXPORTED_LOG_FORMAT,
    v: EXPORTED_LOG_VERSION,
    log: 'lab-a',
    leaves: [leaf],
    heads: [encodeSignedTreeHead(head(1))],
    peers: [],
    ...fields,
  };
  return writeCanonical(new OrderedMap(Object.entries(all)));
}
const peerEntry = (fields: Partial<Record<'peer' | 'head' | 'opened' | 'leaf', AuditValue>>): OrderedMap =>
  new OrderedMap(Object.entries({ peer: 'lab-b', head: encodeSignedTreeHead(head(1)), opened: null, leaf: null, ...fields }));
/** Offset of the first byte of `tail` in `bytes`, which ends with it. */
const offsetOfTail = (bytes: Uint8Array, tail: Uint8Array): number => {
  expect(Buffer.from(bytes.subarray(bytes.length - tail.length))).toEqual(Buffer.from(tail));
  return bytes.length - tail.length;
};

describe('the encoder names every field it refuses', () => {
  it('a log id that is not a roster member id, or not a string at all, is invalid-field "logId"', () => {
    expect(encodeRefusal({ ...base, logId: 'Lab_A' })).toEqual({ code: 'invalid-field', message: `"logId" ${ID_EXPECTED} "Lab_A"` });
    // 42 and ["lab-a"] read as valid ids once turned into text; they must not reach the file as a number or an array.
    expect(encodeRefusal({ ...base, logId: 42 })).toEqual({ code: 'invalid-field', message: `"logId" ${ID_EXPECTED} number 42` });
    expect(encodeRefusal({ ...base, logId: ['lab-a'] })).toEqual({ code: 'invalid-field', message: `"logId" ${ID_EXPECTED} array of length 1` });
  });

  it('a peer id that is not a string is invalid-field "peerHeads[i].peerId", at its index after sorting', () => {
    expect(encodeRefusal({ ...base, peerHeads: [peer('lab-b', head(1)), peer('zz_z', head(1))] })).toEqual({
      code: 'invalid-field',
      message: `"peerHeads[1].peerId" ${ID_EXPECTED} "zz_z"`,
    });
    expect(encodeRefusal({ ...base, peerHeads: [{ ...peer('lab-b', head(1)), peerId: 7 }] })).toEqual({ code: 'invalid-field', message: `"peerHeads[0].peerId" ${ID_EXPECTED} number 7` });
  });

  it('a leaf that is not bytes is named with its index', () => {
    expect(encodeRefusal({ ...base, leaves: [leaf, 'x'] })).toEqual({ code: 'invalid-type', message: '"leaves[1]" expected Uint8Array, got "x"' });
  });

  it('a malformed receipt is named "peerHeads[i].opened" or "peerHeads[i].leafIndex"', () => {
    const first = peer('lab-b', head(1), 5, 0);
    expect(encodeRefusal({ ...base, peerHeads: [first, peer('lab-b', head(2), -1, null)] })).toEqual({
      code: 'invalid-integer',
      message: '"peerHeads[1].opened" expected a non-negative safe integer, got number -1',
    });
    expect(encodeRefusal({ ...base, peerHeads: [first, peer('lab-b', head(2), null, 1.5)] })).toEqual({
      code: 'invalid-integer',
      message: '"peerHeads[1].leafIndex" expected a non-negative safe integer, got number 1.5',
    });
  });
});

describe('the decoder names every field it refuses', () => {
  it('a file that is not a map is refused as the "log file"', () => {
    expect(decodeRefusal(writeCanonical([]))).toEqual({ code: 'wrong-type', message: 'exported log "log file" expected a map, got msgpack type byte 0x90 at offset 0' });
  });

  it('a format, version or log id of the wrong type or shape names "fmt", "v" or "log"', () => {
    // Offsets: map header 0, "fmt" 1-4, its value 5; "venn-log" 5-13, "v" 14-15, its value 16.
    expect(decodeRefusal(rawFile({ fmt: 5 }))).toEqual({ code: 'wrong-type', message: 'exported log "fmt" expected str, got msgpack type byte 0x05 at offset 5' });
    expect(decodeRefusal(rawFile({ v: '2' }))).toEqual({ code: 'wrong-type', message: 'exported log "v" expected an unsigned integer, got msgpack type byte 0xa1 at offset 16' });
    expect(decodeRefusal(rawFile({ log: 'Lab_A' }))).toEqual({ code: 'invalid-field', message: 'exported log "log" expected to match ^[a-z0-9][a-z0-9-]{0,62}$, got "Lab_A"' });
  });

  it('leaves, heads or peers that are not arrays are named', () => {
    for (const field of ['leaves', 'heads', 'peers'] as const) {
      const bytes = rawFile({ [field]: 'x' });
      const at = field === 'peers' ? bytes.length - 2 : Buffer.from(bytes).indexOf(Buffer.from([0xa1, 0x78]));
      expect(decodeRefusal(bytes)).toEqual({ code: 'wrong-type', message: `exported log "${field}" expected an array, got msgpack type byte 0xa1 at offset ${at}` });
    }
  });

  it('a heads count the rest of the file cannot hold is refused at the "heads" header, at 115 bytes a head', () => {
    const full = rawFile({ heads: [1, 2, 3].map((size) => encodeSignedTreeHead(head(size))), peers: [] });
    // ... heads header, three heads of 2 + 113 bytes, "peers" (6 bytes), an empty array (1 byte).
    const header = full.length - 1 - 6 - 3 * (2 + SIGNED_TREE_HEAD_BYTES) - 1;
    expect(full[header]).toBe(0x93);
    // Everything but the last byte of the third head: 344 bytes left, 345 claimed.
    const cut = full.subarray(0, full.length - 8);
    expect(decodeRefusal(cut)).toEqual({ code: 'truncated', message: `exported log "heads" claims 345 bytes at offset ${header + 1}, but 344 remain` });
    expect(decodeExportedLog(full).heads.map((h) => h.size)).toEqual([1, 2, 3]);
  });

  it('an own head of the wrong length is named "heads[i]"', () => {
    const bytes = rawFile({ heads: [encodeSignedTreeHead(head(1)), encodeSignedTreeHead(head(2)).subarray(0, 112)], peers: [] });
    expect(decodeRefusal(bytes)).toEqual({ code: 'wrong-length', message: 'exported log "heads[1]" expected 113 bytes, got length=112' });
  });

  it('a peer entry that is not a map is named "peers[i]"', () => {
    const junk = new Uint8Array(150);
    const bytes = rawFile({ peers: [peerEntry({}), junk] });
    const at = offsetOfTail(bytes, writeCanonical(junk));
    expect(decodeRefusal(bytes)).toEqual({ code: 'wrong-type', message: `exported log "peers[1]" expected a map, got msgpack type byte 0xc4 at offset ${at}` });
  });

  it('a peer id that is no roster member id is named "peers[i].peer"', () => {
    expect(decodeRefusal(rawFile({ peers: [peerEntry({}), peerEntry({ peer: 'Lab_B' })] }))).toEqual({
      code: 'invalid-field',
      message: 'exported log "peers[1].peer" expected to match ^[a-z0-9][a-z0-9-]{0,62}$, got "Lab_B"',
    });
  });

  it('a peer head of 112 or 114 bytes is refused as "peers[i].head" of the wrong length, not decoded', () => {
    const opened = 1_900_000_000_000; // 9 bytes: the entries still hold the minimum the peers header claims.
    for (const length of [SIGNED_TREE_HEAD_BYTES - 1, SIGNED_TREE_HEAD_BYTES + 1]) {
      const wire = new Uint8Array(length);
      wire.set(encodeSignedTreeHead(head(2)).subarray(0, Math.min(length, SIGNED_TREE_HEAD_BYTES)));
      const bytes = rawFile({ peers: [peerEntry({ opened }), peerEntry({ head: wire, opened })] });
      expect(decodeRefusal(bytes)).toEqual({ code: 'wrong-length', message: `exported log "peers[1].head" expected 113 bytes, got length=${length}` });
    }
  });

  it('a receipt that is neither nil nor an unsigned integer is named "peers[i].opened" or "peers[i].leaf"', () => {
    const opened = rawFile({ peers: [peerEntry({}), peerEntry({ opened: 'x' })] });
    const openedAt = offsetOfTail(opened, Uint8Array.from([0xa1, 0x78, 0xa4, ...Buffer.from('leaf'), 0xc0]));
    expect(decodeRefusal(opened)).toEqual({ code: 'wrong-type', message: `exported log "peers[1].opened" expected an unsigned integer, got msgpack type byte 0xa1 at offset ${openedAt}` });
    const leafIndex = rawFile({ peers: [peerEntry({}), peerEntry({ leaf: 'x' })] });
    expect(decodeRefusal(leafIndex)).toEqual({ code: 'wrong-type', message: `exported log "peers[1].leaf" expected an unsigned integer, got msgpack type byte 0xa1 at offset ${leafIndex.length - 2}` });
  });
});
