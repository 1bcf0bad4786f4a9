/** @venn/protocol: the Venn PSI round as a sans-I/O state machine (protocol-spec/SPEC.md §4–§9). */
export { createRound, type Round } from './internal/round.js';
export { ABORT_REASONS, isAbortReason, type AbortReason } from './internal/abort.js';
export type { Role } from './internal/roles.js';
export type {
  AbortedResult,
  CompletedResult,
  Outbound,
  Phase,
  PhaseTimer,
  RoundMatch,
  RoundOptions,
  RoundPolicy,
  RoundResult,
  TranscriptRecord,
} from './internal/types.js';
export {
  DLEQ_CONTEXT_PREFIX,
  FINISH_LABEL,
  GENERATOR,
  HASH_TO_GROUP_DST,
  STREAM_LABEL,
  TRANSCRIPT_LABEL,
} from './internal/constants.js';
export { Transcript, frameHeader, streamIndex, type TranscriptKind } from './internal/transcript.js';
export { finishSignatureInput } from './internal/finish.js';
export { PROOF_CONTEXT_BYTES, proofContextString } from './internal/context.js';
export {
  generateRoundProof,
  proofPairCount,
  roundProofLength,
  verifyRoundProof,
  type RoundProofInput,
  type RoundProofVerdict,
} from './internal/proof.js';
