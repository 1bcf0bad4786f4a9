/** The RFC 9497 contextString of a Venn proof (SPEC §6.1). */
import { InternalError } from '@venn/errors';
import { DLEQ_CONTEXT_PREFIX } from './constants.js';

/** "VENN-V01-DLEQ-" || TH_proof (64 bytes): 78 bytes, so "HashToScalar-" || it fits a 255-byte DST. */
export function proofContextString(proofTranscriptHash: Uint8Array): Uint8Array {
  if (proofTranscriptHash.length !== 64) {
    throw new InternalError('invalid-length', `"proofTranscriptHash" expected 64 bytes, got length=${proofTranscriptHash.length}`);
  }
  const context = new Uint8Array(DLEQ_CONTEXT_PREFIX.length + 64);
  context.set(DLEQ_CONTEXT_PREFIX);
  context.set(proofTranscriptHash, DLEQ_CONTEXT_PREFIX.length);
  return context;
}
