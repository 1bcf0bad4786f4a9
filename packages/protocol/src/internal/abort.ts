/** Abort reason codes (SPEC §9): sent in ABORT and used as ProtocolError codes. */
export const ABORT_REASONS = [
  'version-mismatch',
  'round-mismatch',
  'roster-mismatch',
  'policy-mismatch',
  'identifier-rules-mismatch',
  'set-too-large',
  'budget-exceeded',
  'malformed-message',
  'unexpected-message',
  'duplicate-chunk',
  'count-mismatch',
  'bad-point',
  'bad-proof',
  'bad-label',
  'bad-signature',
  // SPEC §13.6: epoch rounds.
  'epoch-mismatch',
  'duplicate-addition',
  'bad-removal',
  'timeout',
  'cancelled',
  'internal-error',
  'peer-abort',
] as const;

export type AbortReason = (typeof ABORT_REASONS)[number];

export function isAbortReason(code: string): code is AbortReason {
  return (ABORT_REASONS as readonly string[]).includes(code);
}
