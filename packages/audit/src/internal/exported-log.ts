/**
 * Exported logs (audit.md §10.1): a lab's whole round log with its own signed heads and the heads it
 * received from peers in OFFERs, as one versioned, canonical msgpack file for cross-checking.
 */
import { CodecError, ValidationError, describe } from '@venn/errors';
import { abytes, auint } from './bytes.js';
import { ID_PATTERN, MAX_ID_BYTES } from './codec.js';
import { OrderedMap, StrictReader, writeCanonical } from './msgpack.js';
import { MAX_ROUND_RECORD_BYTES } from './round-record.js';
import { SIGNED_TREE_HEAD_BYTES, decodeSignedTreeHead, encodeSignedTreeHead, type SignedTreeHead } from './tree-head.js';

export const EXPORTED_LOG_FORMAT = 'venn-log';
/** audit.md §10.1: version 2 added the receipt of each peer head (`opened`, `leaf`). */
export const EXPORTED_LOG_VERSION = 2;
/** Refused before parsing: about 700,000 leaves of the largest size, far beyond a lab's yearly rounds. */
export const MAX_EXPORTED_LOG_BYTES = 256 * 1024 * 1024;
/**
 * Every round record starts with its version byte, round id and roster digest (audit.md §3), so no
 * leaf is shorter; the bound also caps a 256 MiB file at about four million leaves to decode.
 */
export const MIN_EXPORTED_LEAF_BYTES = 65;

/** A signed head of a peer's log, as received in that peer's OFFER, with the holder's evidence of when. */
export interface PeerTreeHead {
  readonly peerId: string;
  readonly head: SignedTreeHead;
  /**
   * The holder's clock (Unix ms) when the session of the attempt whose OFFER first carried this
   * head opened: the peer sent the head after it. Null when the holder has no record of it.
   */
  readonly opened: number | null;
  /** The holder's log index of that attempt's leaf; null when it has none. */
  readonly leafIndex: number | null;
}

export interface ExportedLog {
  /** Roster member id of the lab whose log this is. */
  readonly logId: string;
  /** Every leaf (round record bytes) in log order. */
  readonly leaves: readonly Uint8Array[];
  /** The lab's own signed heads, in increasing size. */
  readonly heads: readonly SignedTreeHead[];
  /** Heads the lab received from peers, ordered by peer id, size, timestamp and root. */
  readonly peerHeads: readonly PeerTreeHead[];
}

const TOP_KEYS = ['fmt', 'v', 'log', 'leaves', 'heads', 'peers'] as const;
const PEER_KEYS = ['peer', 'head', 'opened', 'leaf'] as const;

function comparePeerHeads(a: PeerTreeHead, b: PeerTreeHead): number {
  if (a.peerId !== b.peerId) return a.peerId < b.peerId ? -1 : 1;
  if (a.head.size !== b.head.size) return a.head.size - b.head.size;
  if (a.head.timestamp !== b.head.timestamp) return a.head.timestamp - b.head.timestamp;
  return Buffer.compare(Buffer.from(a.head.root), Buffer.from(b.head.root)) || Buffer.compare(Buffer.from(a.head.signature), Buffer.from(b.head.signature));
}

function checkId(value: unknown, field: string): string {
  if (typeof value !== 'string' || !ID_PATTERN.test(value)) {
    throw new ValidationError('invalid-field', `"${field}" expected a roster member id (1 to 63 characters a-z, 0-9, "-"), got ${describe(value)}`);
  }
  return value;
}

/** Canonical msgpack of an exported log; own heads are sorted by size, peer heads by (peer, size, timestamp, root). */
export function encodeExportedLog(log: ExportedLog): Uint8Array {
  if (typeof log !== 'object' || log === null) throw new ValidationError('invalid-type', `"log" expected an object, got ${describe(log)}`);
  checkId(log.logId, 'logId');
  if (!Array.isArray(log.leaves) || !Array.isArray(log.heads) || !Array.isArray(log.peerHeads)) {
    throw new ValidationError('invalid-type', '"leaves", "heads" and "peerHeads" expected arrays');
  }
  log.leaves.forEach((leaf, i) => {
    abytes(leaf, undefined, `leaves[${i}]`);
    if (leaf.length < MIN_EXPORTED_LEAF_BYTES || leaf.length > MAX_ROUND_RECORD_BYTES) {
      throw new ValidationError('wrong-length', `"leaves[${i}]" expected ${MIN_EXPORTED_LEAF_BYTES} to ${MAX_ROUND_RECORD_BYTES} bytes, got length=${leaf.length}`);
    }
  });
  const heads = [...log.heads].sort((x, y) => x.size - y.size);
  for (let i = 1; i < heads.length; i++) {
    if (heads[i]!.size === heads[i - 1]!.size) throw new ValidationError('duplicate-head', `"heads" expected one head per size, got two of size ${heads[i]!.size}`);
  }
  const peers = [...log.peerHeads].sort(comparePeerHeads);
  peers.forEach((peer, i) => {
    checkId(peer.peerId, `peerHeads[${i}].peerId`);
    if (peer.opened !== null) auint(peer.opened, `peerHeads[${i}].opened`);
    if (peer.leafIndex !== null) auint(peer.leafIndex, `peerHeads[${i}].leafIndex`);
    // One entry per head (the node keeps its first receipt): a repeat would have no canonical order.
    if (i > 0 && comparePeerHeads(peers[i - 1]!, peer) === 0) throw new ValidationError('duplicate-head', `"peerHeads" expected each head of ${peer.peerId} once, got the head of size ${peer.head.size} twice`);
  });
  return writeCanonical(new OrderedMap([
    ['fmt', EXPORTED_LOG_FORMAT],
    ['v', EXPORTED_LOG_VERSION],
    ['log', log.logId],
    ['leaves', log.leaves],
    ['heads', heads.map(encodeSignedTreeHead)],
    ['peers', peers.map((peer) => new OrderedMap([['peer', peer.peerId], ['head', encodeSignedTreeHead(peer.head)], ['opened', peer.opened], ['leaf', peer.leafIndex]]))],
  ]));
}

/** Decodes an exported log strictly: size first, one pass, canonical encoding and order only. Throws CodecError. */
export function decodeExportedLog(bytes: Uint8Array): ExportedLog {
  if (!(bytes instanceof Uint8Array)) throw new CodecError('invalid-type', `exported log expected Uint8Array, got ${describe(bytes)}`);
  if (bytes.length === 0) throw new CodecError('empty', 'exported log expected at least one byte, got length=0');
  if (bytes.length > MAX_EXPORTED_LOG_BYTES) throw new CodecError('too-large', `exported log expected at most ${MAX_EXPORTED_LOG_BYTES} bytes, got length=${bytes.length}`);
  const r = new StrictReader(bytes, 'exported log');
  const top = r.map('log file', TOP_KEYS, true);
  top.key('fmt');
  const format = r.str('fmt', 64);
  if (format !== EXPORTED_LOG_FORMAT) throw new CodecError('wrong-format', `exported log "fmt" expected ${JSON.stringify(EXPORTED_LOG_FORMAT)}, got ${JSON.stringify(format)}`);
  top.key('v');
  const version = r.uint('v', Number.MAX_SAFE_INTEGER);
  if (version !== EXPORTED_LOG_VERSION) throw new CodecError('unsupported-version', `exported log "v" expected ${EXPORTED_LOG_VERSION}, got ${version}`);
  top.checkCount();
  top.key('log');
  const logId = r.str('log', MAX_ID_BYTES, ID_PATTERN);
  top.key('leaves');
  const leafCount = r.array('leaves', Number.MAX_SAFE_INTEGER, 2 + MIN_EXPORTED_LEAF_BYTES);
  const leaves: Uint8Array[] = [];
  for (let i = 0; i < leafCount; i++) {
    const leaf = r.bin(`leaves[${i}]`, { max: MAX_ROUND_RECORD_BYTES });
    if (leaf.length < MIN_EXPORTED_LEAF_BYTES) throw new CodecError('wrong-length', `exported log "leaves[${i}]" expected ${MIN_EXPORTED_LEAF_BYTES} to ${MAX_ROUND_RECORD_BYTES} bytes, got length=${leaf.length}`);
    leaves.push(leaf);
  }
  top.key('heads');
  const headCount = r.array('heads', Number.MAX_SAFE_INTEGER, 2 + SIGNED_TREE_HEAD_BYTES);
  const heads: SignedTreeHead[] = [];
  for (let i = 0; i < headCount; i++) {
    const head = decodeSignedTreeHead(r.bin(`heads[${i}]`, { length: SIGNED_TREE_HEAD_BYTES }));
    // Canonical order, one head per size (the store keys heads by size).
    if (i > 0 && head.size <= heads[i - 1]!.size) throw new CodecError('non-canonical-encoding', `exported log "heads[${i}]" expected a size above ${heads[i - 1]!.size}, got ${head.size}`);
    heads.push(head);
  }
  top.key('peers');
  // map, "peer", id, "head", head, "opened", nil, "leaf", nil: the shortest entry.
  const peerCount = r.array('peers', Number.MAX_SAFE_INTEGER, 1 + 5 + 2 + 5 + 2 + SIGNED_TREE_HEAD_BYTES + 7 + 1 + 5 + 1);
  const peerHeads: PeerTreeHead[] = [];
  for (let i = 0; i < peerCount; i++) {
    const keys = r.map(`peers[${i}]`, PEER_KEYS);
    keys.key('peer');
    const peerId = r.str(`peers[${i}].peer`, MAX_ID_BYTES, ID_PATTERN);
    keys.key('head');
    const head = decodeSignedTreeHead(r.bin(`peers[${i}].head`, { length: SIGNED_TREE_HEAD_BYTES }));
    keys.key('opened');
    const opened = r.nil() ? null : r.uint(`peers[${i}].opened`, Number.MAX_SAFE_INTEGER);
    keys.key('leaf');
    const leafIndex = r.nil() ? null : r.uint(`peers[${i}].leaf`, Number.MAX_SAFE_INTEGER);
    const entry = { peerId, head, opened, leafIndex };
    if (i > 0 && comparePeerHeads(peerHeads[i - 1]!, entry) >= 0) {
      throw new CodecError('non-canonical-encoding', `exported log "peers[${i}]" expected to sort after the previous entry (peer, size, timestamp, root) and differ from it`);
    }
    peerHeads.push(entry);
  }
  r.end();
  return { logId, leaves, heads, peerHeads };
}
