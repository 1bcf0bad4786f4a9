/** @venn/identifiers: canonical forms and digests of identifier kinds (protocol-spec/identifiers.md). */
export { IDENTIFIER_KINDS, isIdentifierKind } from './kinds.js';
export type { IdentifierKind } from './kinds.js';
export { InvalidIdentifierError } from './errors.js';
export type { IdentifierSubject, RejectReason } from './errors.js';
export { DIGEST_LENGTH, DIGEST_TAG, canonicalize, digestToHex, hashIdentifier, identifierDigest, parsePrehashed } from './canonical.js';
export type { CanonicalizeOptions, HashedIdentifier } from './canonical.js';
export { DEFAULT_MAX_RECORD_BYTES, ingestFile, readIdentifiers } from './ingest.js';
export type { DroppedLabelCount, IngestEvent, IngestFileOptions, IngestLabels, IngestRecord, IngestReject, IngestSummary, LabelWarning, ReadIdentifiersOptions, RejectCount } from './ingest.js';
