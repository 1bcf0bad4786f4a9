/** @venn/protocol: the Venn PSI round, protocol version 2, as a sans-I/O state machine (protocol-spec/SPEC.md §4–§9). */
export { createRound, type Round } from './internal/round.js';
export { ABORT_REASONS, isAbortReason, type AbortReason } from './internal/abort.js';
export type { Role } from './internal/roles.js';
export type {
  AbortedResult,
  CompletedResult,
  Outbound,
  Phase,
  PhaseTimer,
  RoundOptions,
  RoundPolicy,
  RoundResult,
  TranscriptRecord,
} from './internal/types.js';
export { ownSetFromDigests, type LoadedOwnSet, type OwnSet } from './internal/own-set.js';
export { comparePoints, type EpochRoundInput, type EpochRoundResult, type EpochState } from './internal/epoch.js';
export {
  CHUNK_LABEL,
  DLEQ_CONTEXT_PREFIX,
  FINISH_LABEL,
  GENERATOR,
  HASH_TO_GROUP_DST,
  PURPOSE_ATTEMPT,
  PURPOSE_EPOCH_ATTEMPT,
  PURPOSE_EPOCH_FINISH,
  PURPOSE_EPOCH_PRE,
  PURPOSE_FINISH,
  PURPOSE_PRE,
  PURPOSE_PROOF,
  STREAM_LABEL,
  TRANSCRIPT_LABEL,
} from './internal/constants.js';
export { EPOCH_STREAM_COUNT, STREAM_COUNT, Transcript, frameHeader, streamIndex, type TranscriptKind } from './internal/transcript.js';
export { finishSignatureInput } from './internal/finish.js';
export { PROOF_CONTEXT_BYTES, chunkContextString, chunkTranscriptHash, sumContextString } from './internal/context.js';
export {
  generateChunkProof,
  generateSumProof,
  verifyChunkProof,
  verifySumProof,
  type ChunkProofInput,
  type ProofVerdict,
  type SumProofInput,
} from './internal/proof.js';
export { releaseNeed } from './internal/release.js';
export { PointTable } from './internal/point-table.js';
