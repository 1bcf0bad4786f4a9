/**
 * Key epochs' ids (node.md §10.2): the epoch of a pair of members in an epoch slot, the round ids
 * of its rounds and of the nudge a responder sends when it has changes. Both members derive them
 * from the roster alone, as they derive scheduled round ids (node.md §3).
 */
import { sha256 } from '@noble/hashes/sha2.js';
import { ValidationError } from '@venn/errors';

const encoder = new TextEncoder();
const EPOCH_ID_TAG = 'venn/epoch-id/v1';
const EPOCH_ROUND_ID_TAG = 'venn/epoch-round-id/v1';
const EPOCH_NUDGE_TAG = 'venn/epoch-nudge/v1';

function concat(...parts: Uint8Array[]): Uint8Array {
  return Uint8Array.from(Buffer.concat(parts));
}

function lengthPrefixed(id: string): Uint8Array {
  const bytes = encoder.encode(id);
  return concat(Uint8Array.of(bytes.length), bytes);
}

function u32(value: number, field: string): Uint8Array {
  if (!Number.isSafeInteger(value) || value < 0 || value > 0xffff_ffff) throw new ValidationError('invalid-epoch', `"${field}" expected an integer in 0..4294967295, got ${value}`);
  const out = new Uint8Array(4);
  new DataView(out.buffer).setUint32(0, value);
  return out;
}

function u64(value: number, field: string): Uint8Array {
  if (!Number.isSafeInteger(value) || value < 0) throw new ValidationError('invalid-epoch', `"${field}" expected a non-negative integer, got ${value}`);
  const out = new Uint8Array(8);
  new DataView(out.buffer).setBigUint64(0, BigInt(value));
  return out;
}

function bytes32(value: Uint8Array, field: string): Uint8Array {
  if (!(value instanceof Uint8Array) || value.length !== 32) throw new ValidationError('invalid-length', `"${field}" expected Uint8Array of length 32, got ${value instanceof Uint8Array ? `length=${value.length}` : typeof value}`);
  return value;
}

/**
 * node.md §10.2: the epoch of members a and b that starts at Unix second `start` (an epoch slot),
 * generation `generation` (0 for the slot's first epoch, then one more for each restart):
 * SHA-256("venn/epoch-id/v1" || 0x00 || rosterDigest || u64(start) || u32(generation) || len || low || len || high).
 */
export function epochId(rosterDigest: Uint8Array, start: number, generation: number, a: string, b: string): Uint8Array {
  if (a === b) throw new ValidationError('same-lab', `epoch pair expected two different labs, got ${a} twice`);
  const [low, high] = a < b ? [a, b] : [b, a];
  return sha256(concat(encoder.encode(EPOCH_ID_TAG), Uint8Array.of(0), bytes32(rosterDigest, 'rosterDigest'), u64(start, 'start'), u32(generation, 'generation'), lengthPrefixed(low), lengthPrefixed(high)));
}

/** node.md §10.2: round `index` of epoch `id`: SHA-256("venn/epoch-round-id/v1" || 0x00 || id || u32(index)). */
export function epochRoundId(id: Uint8Array, index: number): Uint8Array {
  return sha256(concat(encoder.encode(EPOCH_ROUND_ID_TAG), Uint8Array.of(0), bytes32(id, 'epochId'), u32(index, 'index')));
}

/** node.md §10.3: the purpose a responder dials to ask for round `index` of epoch `id` early. */
export function epochNudgeId(id: Uint8Array, index: number): Uint8Array {
  return sha256(concat(encoder.encode(EPOCH_NUDGE_TAG), Uint8Array.of(0), bytes32(id, 'epochId'), u32(index, 'index')));
}

/** node.md §10.1: the start (Unix seconds) of the epoch slot that holds `nowMs`, epochs of `days` days from the Unix epoch. */
export function epochSlotStart(nowMs: number, days: number): number {
  const length = days * 86_400;
  return Math.floor(nowMs / 1000 / length) * length;
}
