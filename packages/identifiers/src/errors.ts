/** The typed rejection of one identifier value, carrying the reason code of protocol-spec/identifiers.md §9. */
import { ValidationError } from '@venn/errors';
import type { IdentifierKind } from './kinds.js';

/** Reason codes, exactly as in protocol-spec/identifiers.md §9. */
export type RejectReason =
  | 'malformed-unicode'
  | 'replacement-character'
  | 'too-long'
  | 'empty'
  | 'control-character'
  | 'identifier-placeholder'
  | 'identifier-shared'
  | 'email-at-sign'
  | 'email-local-part'
  | 'email-domain'
  | 'email-too-long'
  | 'phone-region-required'
  | 'phone-syntax'
  | 'phone-extension'
  | 'phone-invalid'
  | 'opaque-charset'
  | 'ip-syntax'
  | 'ip-unspecified'
  | 'ip-loopback'
  | 'ip-family'
  | 'ip-prefix-length'
  | 'ip-nonunique'
  | 'wallet-syntax'
  | 'wallet-checksum'
  | 'prehashed-syntax';

/** The reasons of the hygiene list (protocol-spec/identifiers.md §12). */
export const HYGIENE_REASONS = ['identifier-placeholder', 'identifier-shared', 'ip-nonunique'] as const;
export type HygieneReason = (typeof HYGIENE_REASONS)[number];

/** What was being parsed: a kind, or a prehashed digest (§8.1). */
export type IdentifierSubject = IdentifierKind | 'prehashed';

/**
 * Thrown by canonicalize and parsePrehashed. `code` is `invalid-<kind>` with hyphens
 * (`invalid-device-id`, `invalid-prehashed`); `reason` is the spec's reason code.
 */
export class InvalidIdentifierError extends ValidationError {
  readonly kind: IdentifierSubject;
  readonly reason: RejectReason;
  /** For the hygiene reasons (§12): the id of the hygiene rule that caught the value. */
  readonly rule: string | undefined;

  constructor(kind: IdentifierSubject, reason: RejectReason, message: string, rule?: string) {
    super(`invalid-${kind.replaceAll('_', '-')}`, message);
    this.kind = kind;
    this.reason = reason;
    this.rule = rule;
  }
}
