/**
 * The log's high-water mark (node.md §2.2, audit.md §4.1): the largest head this node ever signed,
 * kept in a file beside the configuration, outside the SQLite store. A store restored from an older
 * backup lacks leaves that heads already sent to peers cover; signing a head over it would show
 * peers two views of one log. The mark survives a restore of the store file and makes the node
 * refuse to sign such a head.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { decodeSignedTreeHead, encodeSignedTreeHead, type SignedTreeHead } from '@venn/audit';
import { CodecError, ValidationError } from '@venn/errors';
import { writePrivateFile } from './private-file.js';
import type { Store } from './store.js';

export const WATERMARK_FILE = 'log-watermark.json';
const WATERMARK_TYPE = 'venn-log-watermark';

/** The mark's path in a node directory. */
export function watermarkPath(nodeDir: string): string {
  return join(nodeDir, WATERMARK_FILE);
}

export interface LogWatermark {
  readonly logId: string;
  readonly head: SignedTreeHead;
}

function hexOf(bytes: Uint8Array): string {
  return Buffer.from(bytes).toString('hex');
}

/** Reads the mark; undefined when the node never signed a head with this code (no file). */
export function readWatermark(path: string): LogWatermark | undefined {
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (cause) {
    if ((cause as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw new ValidationError('invalid-watermark', `"${WATERMARK_FILE}" expected a readable file at ${path}, got ${(cause as NodeJS.ErrnoException).code ?? 'an error'}`, { cause });
  }
  let document: unknown;
  try {
    document = JSON.parse(text);
  } catch (cause) {
    throw new ValidationError('invalid-watermark', `"${WATERMARK_FILE}" expected JSON at ${path}, got unparsable content (${text.length} bytes)`, { cause });
  }
  const doc = document as { version?: unknown; type?: unknown; logId?: unknown; head?: unknown } | null;
  if (doc === null || typeof doc !== 'object' || doc.version !== 1 || doc.type !== WATERMARK_TYPE || typeof doc.logId !== 'string' || typeof doc.head !== 'string' || !/^[0-9a-f]{226}$/.test(doc.head)) {
    throw new ValidationError('invalid-watermark', `"${WATERMARK_FILE}" expected {version: 1, type: "${WATERMARK_TYPE}", logId, head: 226 hex digits} at ${path}, got another shape`);
  }
  let head: SignedTreeHead;
  try {
    head = decodeSignedTreeHead(new Uint8Array(Buffer.from(doc.head, 'hex')));
  } catch (cause) {
    throw new ValidationError('invalid-watermark', `"${WATERMARK_FILE}.head" expected a signed tree head (audit.md §4) at ${path}, got ${(cause as CodecError).code ?? 'an invalid one'}`, { cause });
  }
  return { logId: doc.logId, head };
}

/** Replaces the mark, whole (temporary file, fsync, rename), when a larger head was signed. */
export function writeWatermark(path: string, logId: string, head: SignedTreeHead): void {
  const current = readWatermark(path);
  if (current !== undefined && current.head.size > head.size) return;
  writePrivateFile(path, `${JSON.stringify({ version: 1, type: WATERMARK_TYPE, logId, head: hexOf(encodeSignedTreeHead(head)), size: head.size, signedAt: new Date(head.timestamp).toISOString() }, null, 2)}\n`);
}

/**
 * node.md §2.2: the store's log MUST hold the tree of the mark: at least its size, and the same
 * root at that size. Otherwise the node refuses to start, and so to sign any head.
 */
export function checkWatermark(store: Store, mark: LogWatermark | undefined, path: string): void {
  if (mark === undefined) return;
  const size = store.logSize();
  const at = new Date(mark.head.timestamp).toISOString();
  const forward = 'restore a newer backup whose log holds that head, or start a new log under a new identity (docs/operating.md §8)';
  if (size < mark.head.size) {
    throw new ValidationError('log-rollback', `"store" expected an audit log of at least ${mark.head.size} leaves (this node signed a head of that size at ${at}, ${path}), got ${size}: the store was restored from an older backup or lost rows; signing a smaller head would show peers a split view. ${forward}`);
  }
  const root = store.log.root(mark.head.size);
  if (hexOf(root) !== hexOf(mark.head.root)) {
    throw new ValidationError('log-fork', `"store" expected the audit log's root at size ${mark.head.size} to be ${hexOf(mark.head.root)} (signed at ${at}, ${path}), got ${hexOf(root)}: this log is not the one whose heads peers hold. ${forward}`);
  }
}
