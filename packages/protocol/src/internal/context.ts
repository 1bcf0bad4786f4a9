/** The RFC 9497 contextString of one Venn proof segment (SPEC §6.1). */
import { InternalError } from '@venn/errors';
import { MAX_PROOF_SEGMENTS } from '@venn/wire';
import { DLEQ_CONTEXT_PREFIX } from './constants.js';

/** Length of a segment's contextString: 14 + 64 + 2 = 80 bytes. */
export const PROOF_CONTEXT_BYTES = DLEQ_CONTEXT_PREFIX.length + 64 + 2;

/**
 * "VENN-V01-DLEQ-" || TH_proof (64 bytes) || I2OSP(segment, 2): 80 bytes, so "HashToScalar-" || it
 * fits a 255-byte DST (RFC 9380 §5.3.1). The segment index keeps each segment's weights and
 * challenge apart from every other segment's (SPEC §6.1).
 */
export function proofContextString(proofTranscriptHash: Uint8Array, segment: number): Uint8Array {
  if (!(proofTranscriptHash instanceof Uint8Array) || proofTranscriptHash.length !== 64) {
    const got = proofTranscriptHash instanceof Uint8Array ? `length=${proofTranscriptHash.length}` : typeof proofTranscriptHash;
    throw new InternalError('invalid-length', `"proofTranscriptHash" expected 64 bytes, got ${got}`);
  }
  if (!Number.isSafeInteger(segment) || segment < 0 || segment >= MAX_PROOF_SEGMENTS) {
    throw new InternalError('invalid-segment', `"segment" expected an integer in 0..${MAX_PROOF_SEGMENTS - 1}, got ${String(segment)}`);
  }
  const context = new Uint8Array(PROOF_CONTEXT_BYTES);
  context.set(DLEQ_CONTEXT_PREFIX);
  context.set(proofTranscriptHash, DLEQ_CONTEXT_PREFIX.length);
  context[PROOF_CONTEXT_BYTES - 2] = segment >>> 8;
  context[PROOF_CONTEXT_BYTES - 1] = segment & 0xff;
  return context;
}
