/** The release rule of SPEC §4.4: how many of the peer's EVALUATED chunks a party verifies before sending its own. */
import { InternalError } from '@venn/errors';
import { MAX_POINT_CHUNKS } from '@venn/wire';

function chunkCountArg(value: number, field: string): void {
  if (!Number.isSafeInteger(value) || value < 0 || value > MAX_POINT_CHUNKS) {
    throw new InternalError('invalid-chunk-count', `"${field}" expected an integer in 0..${MAX_POINT_CHUNKS}, got ${String(value)}`);
  }
}

/**
 * SPEC §4.4: need_X(a) = ceil((a + 1)·c_X / c_Y) − 1, the number of the peer's EVALUATED chunks
 * party X must have accepted (with verified proofs) before it sends its own EVALUATED chunk a.
 * `ownChunks` is c_X = ceil(n_X / 4096) (X's blinded list, answered by the peer), `peerChunks` is
 * c_Y (the peer's list, answered by X, so a < c_Y). −1 when X's own set is empty.
 */
export function releaseNeed(ownChunks: number, peerChunks: number, index: number): number {
  chunkCountArg(ownChunks, 'ownChunks');
  chunkCountArg(peerChunks, 'peerChunks');
  if (!Number.isSafeInteger(index) || index < 0 || index >= peerChunks) {
    throw new InternalError('invalid-chunk', `"index" expected an integer in 0..${peerChunks - 1}, got ${String(index)}`);
  }
  // Integer ceiling: every operand is at most 256·256, far inside the safe range.
  return Math.floor(((index + 1) * ownChunks + peerChunks - 1) / peerChunks) - 1;
}
