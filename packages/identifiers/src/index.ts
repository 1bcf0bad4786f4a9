/** @venn/identifiers: canonical forms and digests of identifier kinds (protocol-spec/identifiers.md). */
export { IDENTIFIER_KINDS, isIdentifierKind } from './kinds.js';
export type { IdentifierKind } from './kinds.js';
export { HYGIENE_REASONS, InvalidIdentifierError } from './errors.js';
export type { HygieneReason, IdentifierSubject, RejectReason } from './errors.js';
export {
  DIGEST_LENGTH, DIGEST_TAG, canonicalize, digestToHex, hashIdentifier, hygieneList, identifierDigest, parseHygieneFile, parsePrehashed, readHygieneFile,
} from './canonical.js';
export type { CanonicalizeOptions, HashedIdentifier, HygieneListOptions, PrehashedOptions } from './canonical.js';
export { BUILT_IN_HYGIENE, BUILT_IN_RULES, HYGIENE_ADDITIONS_TAG, HYGIENE_VERSION, HygieneList, MAX_HYGIENE_ENTRIES, hygieneAdditionsDigest } from './hygiene.js';
export type { HygieneEntry, HygieneHit, HygieneRuleInfo } from './hygiene.js';
export { MAX_RULES_STRING, PHONE_METADATA_VERSION, identifierRules, identifierRulesDiff, identifierRulesString, parseIdentifierRules } from './rules.js';
export type { IdentifierRules, IdentifierRulesOptions } from './rules.js';
export { ACCOUNT_PLATFORMS, ACCOUNT_PLATFORM_ALIASES } from './internal/opaque.js';
export { DEFAULT_MAX_RECORD_BYTES, ingestFile, readIdentifiers } from './ingest.js';
export type { DroppedLabelCount, IngestEvent, IngestFileOptions, IngestLabels, IngestRecord, IngestReject, IngestSummary, LabelWarning, ReadIdentifiersOptions, RejectCount } from './ingest.js';
