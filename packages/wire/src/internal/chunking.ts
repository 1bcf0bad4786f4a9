/** Deterministic chunking of point streams (SPEC §5.4): full chunks, then one shorter remainder. */
import { MAX_CHUNK_POINTS } from './constants.js';

/** Number of BLINDED (or EVALUATED) chunks for a set of `setSize` elements; 0 for an empty set. */
export function pointChunkCount(setSize: number): number {
  return Math.ceil(setSize / MAX_CHUNK_POINTS);
}

/** Points carried by chunk `seq` of a stream of `setSize` points; 0 if there is no such chunk. */
export function pointChunkLength(setSize: number, seq: number): number {
  return Math.max(0, Math.min(MAX_CHUNK_POINTS, setSize - seq * MAX_CHUNK_POINTS));
}
