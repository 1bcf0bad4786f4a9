/** Byte helpers for secrets: constant-time comparison and wiping. */
import { bytesArg } from './internal/check.js';
import { wrapper } from './internal/sodium.js';

/**
 * True iff a and b hold the same bytes. Runs over every byte without early exit; only the lengths
 * (public) may end it early.
 */
export function constantTimeEqual(a: Uint8Array, b: Uint8Array): boolean {
  bytesArg(a, 'a');
  bytesArg(b, 'b');
  if (a.length !== b.length) return false;
  let difference = 0;
  for (let i = 0; i < a.length; i++) difference |= a[i]! ^ b[i]!;
  return difference === 0;
}

/** Zeroes `bytes` in place (sodium.memzero). */
export function wipe(bytes: Uint8Array): void {
  bytesArg(bytes, 'bytes');
  wrapper().memzero(bytes);
}
