/**
 * Transcript bundles (audit.md §8): one round attempt as its exporter saw it, everything an auditor
 * needs to re-verify the round, with LABELS reduced to their transcript stream digests so that no
 * label text is exported. Versioned, canonical msgpack.
 */
import { sha512 } from '@noble/hashes/sha2.js';
import { CodecError, ValidationError, describe } from '@venn/errors';
import { Transcript, streamIndex, type Role } from '@venn/protocol';
import { MAX_FRAME_BYTES, MAX_POINT_CHUNKS, decodeMessage } from '@venn/wire';
import { abytes, auint } from './bytes.js';
import { ID_PATTERN, MAX_ID_BYTES } from './codec.js';
import { HASH_BYTES } from './hash.js';
import { OrderedMap, StrictReader, writeCanonical } from './msgpack.js';
import { MAX_ROUND_RECORD_BYTES, decodeRoundRecord } from './round-record.js';
import { SIGNED_TREE_HEAD_BYTES, decodeSignedTreeHead, encodeSignedTreeHead, type SignedTreeHead } from './tree-head.js';
import { MAX_PROOF_HASHES } from './verify.js';

export const BUNDLE_FORMAT = 'venn-transcript-bundle';
export const BUNDLE_VERSION = 1;
/**
 * Frames one party can send in a round: OFFER, 256 BLINDED, 256 REMOVED (an epoch round, SPEC
 * §13.4), 256 EVALUATED (SPEC §5.4), PROOF, FINISH and ABORT (772), plus room for the one
 * offending frame that ends a round. LABELS frames are not counted: the bundle holds only their
 * stream digest.
 */
export const MAX_BUNDLE_FRAMES = 3 * MAX_POINT_CHUNKS + 16;
/** Two parties' frames at the frame limit, plus the fixed fields; checked before parsing. */
export const MAX_BUNDLE_BYTES = 2 * MAX_BUNDLE_FRAMES * (MAX_FRAME_BYTES + 5) + 64 * 1024;
/** SHA-512 digests: transcript stream digests (SPEC §7.2) and the digest of an undecodable frame. */
export const STREAM_DIGEST_BYTES = 64;

/** One party's messages in a bundle. */
export interface BundleParty {
  /** Every frame this party sent as the exporter recorded it, in sending order, except LABELS. */
  readonly frames: readonly Uint8Array[];
  /** SPEC §7.2 stream digest S_8 (initiator) or S_9 (responder) of its LABELS frames, in their place. */
  readonly labelsDigest: Uint8Array;
  /** SHA-512 of the first frame from this party that did not decode as a Venn message, if any. */
  readonly rejectedFrameDigest: Uint8Array | null;
}

export interface TranscriptBundle {
  /** Roster member id of the lab that exported the bundle; its log holds `leaf`. */
  readonly exporter: string;
  /** The exporter's round record of this attempt (audit.md §3), exactly as in its log. */
  readonly leaf: Uint8Array;
  /** Index of `leaf` in the exporter's log. */
  readonly leafIndex: number;
  /** The exporter's signed tree head at export time. */
  readonly treeHead: SignedTreeHead;
  /** RFC 9162 §2.1.3 inclusion proof of `leaf` at `leafIndex` in the tree of `treeHead`. */
  readonly inclusionProof: readonly Uint8Array[];
  readonly initiator: BundleParty;
  readonly responder: BundleParty;
}

/** One message of a round as the exporter's node recorded it (node store `transcript_messages`). */
export interface RecordedMessage {
  readonly direction: 'sent' | 'received';
  readonly bytes: Uint8Array;
}

export interface BundleSource {
  readonly exporter: string;
  readonly leaf: Uint8Array;
  readonly leafIndex: number;
  readonly treeHead: SignedTreeHead;
  readonly inclusionProof: readonly Uint8Array[];
  /** Every message of the attempt in the order recorded, sent and received. */
  readonly messages: readonly RecordedMessage[];
}

const EMPTY_DIGESTS: Record<Role, Uint8Array> = (() => {
  const transcript = new Transcript();
  return {
    initiator: transcript.streamDigest(streamIndex('initiator', 'labels')),
    responder: transcript.streamDigest(streamIndex('responder', 'labels')),
  };
})();

/** SPEC §7.2: the digest of a LABELS stream with no frame, the value when no label field was agreed. */
export function emptyLabelsDigest(role: Role): Uint8Array {
  return EMPTY_DIGESTS[role].slice();
}

/**
 * Builds the bundle of one attempt from the exporter's recorded messages. The exporter's role comes
 * from the leaf; received frames are the peer's. LABELS frames are hashed into their stream digest
 * (SPEC §7.2) and dropped; a received frame that does not decode is kept only as its SHA-512.
 */
export function buildTranscriptBundle(source: BundleSource): TranscriptBundle {
  if (typeof source !== 'object' || source === null) throw new ValidationError('invalid-type', `"source" expected an object, got ${describe(source)}`);
  abytes(source.leaf, undefined, 'leaf');
  const record = decodeRoundRecord(source.leaf);
  const exporter = checkId(source.exporter, 'exporter');
  let exporterRole: Role;
  if (exporter === record.initiatorId) exporterRole = 'initiator';
  else if (exporter === record.responderId) exporterRole = 'responder';
  else throw new ValidationError('not-a-party', `"exporter" expected ${record.initiatorId} or ${record.responderId} (the parties of the logged round), got ${exporter}`);
  auint(source.leafIndex, 'leafIndex');
  checkProof(source.inclusionProof);
  encodeSignedTreeHead(source.treeHead);
  if (!Array.isArray(source.messages)) throw new ValidationError('invalid-type', `"messages" expected an array, got ${describe(source.messages)}`);

  const peerRole: Role = exporterRole === 'initiator' ? 'responder' : 'initiator';
  const labels = new Transcript();
  const frames: Record<Role, Uint8Array[]> = { initiator: [], responder: [] };
  const rejected: Record<Role, Uint8Array | null> = { initiator: null, responder: null };
  source.messages.forEach((message, i) => {
    if (message.direction !== 'sent' && message.direction !== 'received') {
      throw new ValidationError('invalid-field', `"messages[${i}].direction" expected "sent" or "received", got ${describe(message.direction)}`);
    }
    const bytes = abytes(message.bytes, undefined, `messages[${i}].bytes`);
    const sender = message.direction === 'sent' ? exporterRole : peerRole;
    let kind: string;
    try {
      kind = decodeMessage(bytes).kind;
    } catch (error) {
      if (!(error instanceof CodecError)) throw error;
      // Only the peer's frames can fail to decode; they are its evidence of a malformed message,
      // kept as a digest because raw bytes could carry anything, label text included.
      rejected[sender] ??= sha512(bytes);
      return;
    }
    if (kind === 'labels') labels.absorb(sender, 'labels', bytes);
    else frames[sender].push(bytes.slice());
  });
  for (const role of ['initiator', 'responder'] as const) {
    if (frames[role].length > MAX_BUNDLE_FRAMES) {
      throw new ValidationError('too-many-frames', `"messages" expected at most ${MAX_BUNDLE_FRAMES} non-LABELS frames from the ${role}, got ${frames[role].length}`);
    }
  }
  const party = (role: Role): BundleParty => ({
    frames: frames[role],
    labelsDigest: labels.streamDigest(streamIndex(role, 'labels')),
    rejectedFrameDigest: rejected[role],
  });
  return {
    exporter,
    leaf: source.leaf.slice(),
    leafIndex: source.leafIndex,
    treeHead: source.treeHead,
    inclusionProof: source.inclusionProof.map((hash) => hash.slice()),
    initiator: party('initiator'),
    responder: party('responder'),
  };
}

function checkId(value: unknown, field: string): string {
  if (typeof value !== 'string' || !ID_PATTERN.test(value)) {
    throw new ValidationError('invalid-field', `"${field}" expected a roster member id (1 to 63 characters a-z, 0-9, "-"), got ${describe(value)}`);
  }
  return value;
}

function checkProof(proof: unknown): void {
  if (!Array.isArray(proof) || proof.length > MAX_PROOF_HASHES) {
    throw new ValidationError('invalid-field', `"inclusionProof" expected an array of at most ${MAX_PROOF_HASHES} hashes, got ${describe(proof)}`);
  }
  proof.forEach((hash, i) => abytes(hash, HASH_BYTES, `inclusionProof[${i}]`));
}

function checkParty(party: BundleParty, role: Role): void {
  if (typeof party !== 'object' || party === null) throw new ValidationError('invalid-type', `"${role}" expected an object, got ${describe(party)}`);
  if (!Array.isArray(party.frames) || party.frames.length > MAX_BUNDLE_FRAMES) {
    throw new ValidationError('invalid-field', `"${role}.frames" expected an array of at most ${MAX_BUNDLE_FRAMES} frames, got ${describe(party.frames)}`);
  }
  party.frames.forEach((frame, i) => {
    abytes(frame, undefined, `${role}.frames[${i}]`);
    if (frame.length < 1 || frame.length > MAX_FRAME_BYTES) {
      throw new ValidationError('wrong-length', `"${role}.frames[${i}]" expected 1 to ${MAX_FRAME_BYTES} bytes, got length=${frame.length}`);
    }
  });
  abytes(party.labelsDigest, STREAM_DIGEST_BYTES, `${role}.labelsDigest`);
  if (party.rejectedFrameDigest !== null) abytes(party.rejectedFrameDigest, STREAM_DIGEST_BYTES, `${role}.rejectedFrameDigest`);
}

const TOP_KEYS = ['fmt', 'v', 'exporter', 'leaf', 'index', 'head', 'inclusion', 'initiator', 'responder'] as const;
const PARTY_KEYS = ['frames', 'labels', 'rejected'] as const;

/** Canonical msgpack of a bundle (audit.md §8.2). */
export function encodeTranscriptBundle(bundle: TranscriptBundle): Uint8Array {
  if (typeof bundle !== 'object' || bundle === null) throw new ValidationError('invalid-type', `"bundle" expected an object, got ${describe(bundle)}`);
  checkId(bundle.exporter, 'exporter');
  abytes(bundle.leaf, undefined, 'leaf');
  if (bundle.leaf.length > MAX_ROUND_RECORD_BYTES) {
    throw new ValidationError('wrong-length', `"leaf" expected at most ${MAX_ROUND_RECORD_BYTES} bytes, got length=${bundle.leaf.length}`);
  }
  auint(bundle.leafIndex, 'leafIndex');
  checkProof(bundle.inclusionProof);
  checkParty(bundle.initiator, 'initiator');
  checkParty(bundle.responder, 'responder');
  const party = (p: BundleParty): OrderedMap => new OrderedMap([
    ['frames', p.frames],
    ['labels', p.labelsDigest],
    ['rejected', p.rejectedFrameDigest],
  ]);
  return writeCanonical(new OrderedMap([
    ['fmt', BUNDLE_FORMAT],
    ['v', BUNDLE_VERSION],
    ['exporter', bundle.exporter],
    ['leaf', bundle.leaf],
    ['index', bundle.leafIndex],
    ['head', encodeSignedTreeHead(bundle.treeHead)],
    ['inclusion', bundle.inclusionProof],
    ['initiator', party(bundle.initiator)],
    ['responder', party(bundle.responder)],
  ]));
}

/**
 * Decodes a bundle: size first, then structure and schema in one strict pass, refusing every
 * non-canonical encoding. Frames are not decoded here; the verifier decodes each and blames its
 * sender. Throws CodecError with a stable code.
 */
export function decodeTranscriptBundle(bytes: Uint8Array): TranscriptBundle {
  if (!(bytes instanceof Uint8Array)) throw new CodecError('invalid-type', `transcript bundle expected Uint8Array, got ${describe(bytes)}`);
  if (bytes.length === 0) throw new CodecError('empty', 'transcript bundle expected at least one byte, got length=0');
  if (bytes.length > MAX_BUNDLE_BYTES) throw new CodecError('too-large', `transcript bundle expected at most ${MAX_BUNDLE_BYTES} bytes, got length=${bytes.length}`);
  const r = new StrictReader(bytes, 'transcript bundle');
  const top = r.map('bundle', TOP_KEYS, true);
  top.key('fmt');
  const format = r.str('fmt', 64);
  if (format !== BUNDLE_FORMAT) throw new CodecError('wrong-format', `transcript bundle "fmt" expected ${JSON.stringify(BUNDLE_FORMAT)}, got ${JSON.stringify(format)}`);
  top.key('v');
  const version = r.uint('v', Number.MAX_SAFE_INTEGER);
  if (version !== BUNDLE_VERSION) throw new CodecError('unsupported-version', `transcript bundle "v" expected ${BUNDLE_VERSION}, got ${version}`);
  top.checkCount();
  top.key('exporter');
  const exporter = r.str('exporter', MAX_ID_BYTES, ID_PATTERN);
  top.key('leaf');
  const leaf = r.bin('leaf', { max: MAX_ROUND_RECORD_BYTES });
  top.key('index');
  const leafIndex = r.uint('index', Number.MAX_SAFE_INTEGER);
  top.key('head');
  const treeHead = decodeSignedTreeHead(r.bin('head', { length: SIGNED_TREE_HEAD_BYTES }));
  top.key('inclusion');
  const hashes = r.array('inclusion', MAX_PROOF_HASHES, 2 + HASH_BYTES);
  const inclusionProof: Uint8Array[] = [];
  for (let i = 0; i < hashes; i++) inclusionProof.push(r.bin(`inclusion[${i}]`, { length: HASH_BYTES }));
  const party = (role: Role): BundleParty => {
    const keys = r.map(role, PARTY_KEYS);
    keys.key('frames');
    const count = r.array(`${role}.frames`, MAX_BUNDLE_FRAMES, 3);
    const frames: Uint8Array[] = [];
    for (let i = 0; i < count; i++) {
      const frame = r.bin(`${role}.frames[${i}]`, { max: MAX_FRAME_BYTES });
      if (frame.length === 0) throw new CodecError('wrong-length', `transcript bundle "${role}.frames[${i}]" expected 1 to ${MAX_FRAME_BYTES} bytes, got length=0`);
      frames.push(frame);
    }
    keys.key('labels');
    const labelsDigest = r.bin(`${role}.labels`, { length: STREAM_DIGEST_BYTES });
    keys.key('rejected');
    const rejectedFrameDigest = r.nil() ? null : r.bin(`${role}.rejected`, { length: STREAM_DIGEST_BYTES });
    return { frames, labelsDigest, rejectedFrameDigest };
  };
  top.key('initiator');
  const initiator = party('initiator');
  top.key('responder');
  const responder = party('responder');
  r.end();
  return { exporter, leaf, leafIndex, treeHead, inclusionProof, initiator, responder };
}
