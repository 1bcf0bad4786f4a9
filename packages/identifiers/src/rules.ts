/** The identifier rules in force (protocol-spec/identifiers.md §13), as sent in a round's OFFER. */
import { createRequire } from 'node:module';
import { ValidationError, describe } from '@venn/errors';
import { DIGEST_TAG } from './canonical.js';
import { BUILT_IN_HYGIENE, HYGIENE_VERSION, HygieneList } from './hygiene.js';

/** The libphonenumber-js release whose "max" metadata decides phone validity (pinned exactly). */
export const PHONE_METADATA_VERSION: string = (createRequire(import.meta.url)('libphonenumber-js/package.json') as { version: string }).version;

export interface IdentifierRules {
  /** §10: the digest tag, e.g. `venn/identifier/v2`. */
  readonly spec: string;
  /** §12: `hygiene/1`, or `hygiene/1+roster.<16 hex>` when the roster adds entries. */
  readonly hygiene: string;
  /** §6: `libphonenumber-js/<version>`. */
  readonly phoneMetadata: string;
}

export interface IdentifierRulesOptions {
  /** The hygiene list in force; its roster additions are part of the rules, its local extensions are not. */
  readonly hygiene?: HygieneList | undefined;
}

/** §13: the rules this implementation applies at ingest. */
export function identifierRules(options: IdentifierRulesOptions = {}): IdentifierRules {
  if (typeof options !== 'object' || options === null) throw new ValidationError('invalid-options', `"options" expected an object, got ${describe(options)}`);
  const list = options.hygiene ?? BUILT_IN_HYGIENE;
  if (!(list instanceof HygieneList)) throw new ValidationError('invalid-options', `"hygiene" expected a HygieneList, got ${describe(list)}`);
  const roster = list.rosterDigest === undefined ? '' : `+roster.${list.rosterDigest.slice(0, 16)}`;
  return { spec: DIGEST_TAG, hygiene: `hygiene/${HYGIENE_VERSION}${roster}`, phoneMetadata: `libphonenumber-js/${PHONE_METADATA_VERSION}` };
}

/** §13: at most 128 octets. */
export const MAX_RULES_STRING = 128;

const SPEC = /^venn\/identifier\/v[1-9][0-9]{0,3}$/;
const HYGIENE = /^hygiene\/[1-9][0-9]{0,3}(?:\+roster\.[0-9a-f]{16})?$/;
const PHONE = /^libphonenumber-js\/[0-9]{1,4}\.[0-9]{1,4}\.[0-9]{1,4}$/;

/** §13: `SPEC " " HYGIENE " " PHONE`, ASCII, at most 128 octets. */
export function identifierRulesString(rules: IdentifierRules): string {
  if (typeof rules !== 'object' || rules === null) throw new ValidationError('invalid-identifier-rules', `"rules" expected an object, got ${describe(rules)}`);
  const text = `${rules.spec} ${rules.hygiene} ${rules.phoneMetadata}`;
  parseIdentifierRules(text);
  return text;
}

/** The inverse of identifierRulesString; junk is a ValidationError `invalid-identifier-rules`. */
export function parseIdentifierRules(text: unknown): IdentifierRules {
  if (typeof text !== 'string' || text.length > MAX_RULES_STRING) {
    throw new ValidationError('invalid-identifier-rules', `identifier rules expected an ASCII string of at most ${MAX_RULES_STRING} octets, got ${describe(text)}`);
  }
  const parts = text.split(' ');
  const [spec, hygiene, phoneMetadata] = parts;
  if (parts.length !== 3 || !SPEC.test(spec ?? '') || !HYGIENE.test(hygiene ?? '') || !PHONE.test(phoneMetadata ?? '')) {
    throw new ValidationError('invalid-identifier-rules', `identifier rules expected "venn/identifier/vN hygiene/N[+roster.HEX16] libphonenumber-js/X.Y.Z", got ${describe(text)}`);
  }
  return { spec: spec as string, hygiene: hygiene as string, phoneMetadata: phoneMetadata as string };
}

/**
 * §13: the components in which two rules strings differ (empty when they match). Both strings
 * must parse; the comparison itself is byte equality of the whole string.
 */
export function identifierRulesDiff(local: string, peer: string): ('spec' | 'hygiene' | 'phoneMetadata')[] {
  const a = parseIdentifierRules(local);
  const b = parseIdentifierRules(peer);
  return (['spec', 'hygiene', 'phoneMetadata'] as const).filter((key) => a[key] !== b[key]);
}
