/** Signed tree heads (audit.md §4): Ed25519 over a domain-separated (size, root, timestamp, log id). */
import { ed25519Sign, ed25519Verify } from '@venn/crypto';
import { CodecError, ValidationError, describe } from '@venn/errors';
import { abytes, auint } from './bytes.js';
import { ByteReader, ByteWriter, ID_PATTERN } from './codec.js';
import { HASH_BYTES } from './hash.js';
import type { TreeHead } from './log.js';
import { verifyConsistency } from './verify.js';

/** A tree head with its log owner's Ed25519 signature. */
export interface SignedTreeHead extends TreeHead {
  /** Ed25519 signature by the log owner's identity key over treeHeadSigningInput. */
  readonly signature: Uint8Array;
}

/** Domain separation tag: a tree-head signature can never be replayed as another Venn signature. */
export const TREE_HEAD_DOMAIN = 'VENN-V01-TREE-HEAD';
export const SIGNED_TREE_HEAD_VERSION = 1;
const SIGNATURE_BYTES = 64;
/** version || size || root || timestamp || signature. */
export const SIGNED_TREE_HEAD_BYTES = 1 + 8 + HASH_BYTES + 8 + SIGNATURE_BYTES;

const domainBytes = new TextEncoder().encode(TREE_HEAD_DOMAIN);

function checkLogId(logId: unknown): string {
  if (typeof logId !== 'string' || !ID_PATTERN.test(logId)) {
    throw new ValidationError(
      'invalid-field',
      `"logId" expected a roster member id (1 to 63 characters a-z, 0-9, "-"), got ${describe(logId)}`,
    );
  }
  return logId;
}

function checkHead(head: unknown): TreeHead {
  if (typeof head !== 'object' || head === null) {
    throw new ValidationError('invalid-type', `"head" expected an object, got ${describe(head)}`);
  }
  const h = head as Record<string, unknown>;
  auint(h['size'], 'size');
  abytes(h['root'], HASH_BYTES, 'root');
  auint(h['timestamp'], 'timestamp');
  return head as TreeHead;
}

/**
 * The bytes the log owner signs: "VENN-V01-TREE-HEAD" || u64 size || root || u64 timestamp (Unix ms)
 * || u8 len || logId. The log id binds the head to its owner, so one lab's head cannot be presented
 * as another's even if they were to share a key.
 */
export function treeHeadSigningInput(head: TreeHead, logId: string): Uint8Array {
  checkHead(head);
  checkLogId(logId);
  const w = new ByteWriter(domainBytes.length + 8 + HASH_BYTES + 8 + 1 + logId.length);
  w.bytes(domainBytes);
  w.u64(head.size);
  w.bytes(head.root);
  w.u64(head.timestamp);
  w.shortAscii(logId);
  return w.finish();
}

/** Signs a head with the log owner's Ed25519 identity key (await @venn/crypto ready() first). */
export function signTreeHead(head: TreeHead, logId: string, secretKey: Uint8Array): SignedTreeHead {
  const signature = ed25519Sign(secretKey, treeHeadSigningInput(head, logId));
  return { size: head.size, root: head.root.slice(), timestamp: head.timestamp, signature };
}

/**
 * True iff `head.signature` is the log owner's signature over this exact (size, root, timestamp, logId).
 * Returns false for a signature that does not verify; throws ValidationError for malformed arguments.
 */
export function verifyTreeHead(head: SignedTreeHead, logId: string, publicKey: Uint8Array): boolean {
  checkHead(head);
  abytes((head as { signature?: unknown }).signature, SIGNATURE_BYTES, 'signature');
  return ed25519Verify(publicKey, treeHeadSigningInput(head, logId), head.signature);
}

/**
 * RFC 9162 §2.1.4.2 between two heads of one log, smaller size first. Sizes and roots always come in
 * the pairs their signatures bind, never mixed (audit.md §2.4). Signatures are checked separately.
 */
export function verifyHeadConsistency(first: TreeHead, second: TreeHead, proof: readonly Uint8Array[]): boolean {
  checkHead(first);
  checkHead(second);
  return verifyConsistency(first.size, second.size, first.root, second.root, proof);
}

/** The 113-byte wire form: u8 version || u64 size || root || u64 timestamp || signature. */
export function encodeSignedTreeHead(head: SignedTreeHead): Uint8Array {
  checkHead(head);
  abytes((head as { signature?: unknown }).signature, SIGNATURE_BYTES, 'signature');
  const w = new ByteWriter(SIGNED_TREE_HEAD_BYTES);
  w.u8(SIGNED_TREE_HEAD_VERSION);
  w.u64(head.size);
  w.bytes(head.root);
  w.u64(head.timestamp);
  w.bytes(head.signature);
  return w.finish();
}

/** Decodes the wire form; anything but exactly 113 well-formed bytes throws CodecError. */
export function decodeSignedTreeHead(bytes: Uint8Array): SignedTreeHead {
  if (!(bytes instanceof Uint8Array)) {
    throw new CodecError('invalid-type', `signed tree head expected Uint8Array, got ${describe(bytes)}`);
  }
  if (bytes.length > SIGNED_TREE_HEAD_BYTES) {
    throw new CodecError('too-large', `signed tree head expected ${SIGNED_TREE_HEAD_BYTES} bytes, got length=${bytes.length}`);
  }
  const r = new ByteReader(bytes, 'signed tree head');
  const version = r.u8('version');
  if (version !== SIGNED_TREE_HEAD_VERSION) {
    throw new CodecError('unsupported-version', `signed tree head "version" expected ${SIGNED_TREE_HEAD_VERSION}, got ${version}`);
  }
  const size = r.u64('size');
  const root = r.bytes(HASH_BYTES, 'root');
  const timestamp = r.u64('timestamp');
  const signature = r.bytes(SIGNATURE_BYTES, 'signature');
  r.end();
  return { size, root, timestamp, signature };
}
