/** @venn/audit: the RFC 9162 Merkle log of rounds, its proofs, round-record leaves and signed tree heads. */
export { HASH_BYTES, emptyRoot, hashChildren, hashLeaf } from './internal/hash.js';
export { MAX_PROOF_HASHES, verifyConsistency, verifyInclusion } from './internal/verify.js';
export { MemoryLogStorage } from './internal/storage.js';
export type { LogAppend, LogStorage, SubtreeHash } from './internal/storage.js';
export { MerkleLog } from './internal/log.js';
export type { TreeHead } from './internal/log.js';
export {
  MAX_ROUND_RECORD_BYTES,
  ROUND_RECORD_VERSION,
  decodeRoundRecord,
  encodeRoundRecord,
} from './internal/round-record.js';
export type { RoundRecord, RoundStatus } from './internal/round-record.js';
export { PURPOSE_ATTEMPT, PURPOSE_EPOCH_ATTEMPT, attemptAccounts } from './internal/attempt-accounts.js';
export type { AttemptAccounts, AttemptParty } from './internal/attempt-accounts.js';
export {
  SIGNED_TREE_HEAD_BYTES,
  SIGNED_TREE_HEAD_VERSION,
  TREE_HEAD_DOMAIN,
  decodeSignedTreeHead,
  encodeSignedTreeHead,
  signTreeHead,
  treeHeadSigningInput,
  verifyHeadConsistency,
  verifyTreeHead,
} from './internal/tree-head.js';
export type { SignedTreeHead } from './internal/tree-head.js';
export { rosterMember } from './internal/audit-roster.js';
export type { AuditRoster, AuditRosterMember, AuditSchedule } from './internal/audit-roster.js';
export {
  BUNDLE_FORMAT,
  BUNDLE_VERSION,
  MAX_BUNDLE_BYTES,
  MAX_BUNDLE_FRAMES,
  buildTranscriptBundle,
  decodeTranscriptBundle,
  emptyLabelsDigest,
  encodeTranscriptBundle,
} from './internal/bundle.js';
export type { BundleParty, BundleSource, RecordedMessage, TranscriptBundle } from './internal/bundle.js';
export { BUNDLE_CHECKS, verifyTranscriptBundle } from './internal/verify-bundle.js';
export type { BundleCheck, BundleCheckName, BundleReport, BundleSummary, FaultParty, VerifyOptions } from './internal/verify-bundle.js';
export {
  EXPORTED_LOG_FORMAT,
  EXPORTED_LOG_VERSION,
  MAX_EXPORTED_LOG_BYTES,
  MIN_EXPORTED_LEAF_BYTES,
  decodeExportedLog,
  encodeExportedLog,
} from './internal/exported-log.js';
export type { ExportedLog, PeerTreeHead } from './internal/exported-log.js';
export { SETTLE_WINDOW_MS, crossCheckLogs } from './internal/cross-check.js';
export type { CrossCheckIssue, CrossCheckIssueKind, CrossCheckLogSummary, CrossCheckReport } from './internal/cross-check.js';
