/** Canonical forms and digests of identifiers (protocol-spec/identifiers.md §3-§7, §10). */
import { hash } from 'node:crypto';
import { ValidationError, describe } from '@venn/errors';
import { InvalidIdentifierError } from './errors.js';
import { BUILT_IN_HYGIENE, HygieneList, parseHygieneText, readHygieneText, validateHygieneEntries, type HygieneEntry } from './hygiene.js';
import { canonicalEmail } from './internal/email.js';
import { canonicalIp } from './internal/ip.js';
import { canonicalAccount, canonicalDeviceId, canonicalPaymentFingerprint } from './internal/opaque.js';
import { canonicalPhone, normalizeRegion } from './internal/phone.js';
import { applyCommonRules, reject } from './internal/text.js';
import { canonicalWallet } from './internal/wallet.js';
import { IDENTIFIER_KINDS, isIdentifierKind, type IdentifierKind } from './kinds.js';

/** §10: the domain separation tag; a change to any canonical form needs a new one (§11). */
export const DIGEST_TAG = 'venn/identifier/v2';
export const DIGEST_LENGTH = 32;

export interface CanonicalizeOptions {
  /** Default region for phone numbers without a leading "+": ISO 3166-1 alpha-2, e.g. "US". */
  readonly region?: string | undefined;
  /**
   * §12: the hygiene list applied to the canonical form (default: the built-in list). `false`
   * gives the bare canonical form of §4–§7, for tools that show what a value canonicalizes to.
   */
  readonly hygiene?: HygieneList | false | undefined;
}

export interface HashedIdentifier {
  readonly canonical: string;
  readonly digest: Uint8Array;
}

function assertKind(kind: unknown): asserts kind is IdentifierKind {
  if (!isIdentifierKind(kind)) {
    throw new ValidationError('invalid-kind', `"kind" expected one of ${IDENTIFIER_KINDS.join(', ')}, got ${describe(kind)}`);
  }
}

/**
 * The canonical form of `raw` as an identifier of `kind`. Throws InvalidIdentifierError (a
 * ValidationError, code `invalid-<kind>`, `reason` from spec §9) when the value is rejected.
 */
export function canonicalize(kind: IdentifierKind, raw: string, options: CanonicalizeOptions = {}): string {
  assertKind(kind);
  if (typeof raw !== 'string') throw new ValidationError('invalid-input', `"raw" expected a string, got ${describe(raw)}`);
  if (typeof options !== 'object' || options === null) throw new ValidationError('invalid-options', `"options" expected an object, got ${describe(options)}`);
  // The region is checked before the value so a wrong option fails every row the same way.
  const region = kind === 'phone' && options.region !== undefined ? normalizeRegion(options.region) : undefined;
  const hygiene = options.hygiene === undefined ? BUILT_IN_HYGIENE : options.hygiene;
  if (hygiene !== false && !(hygiene instanceof HygieneList)) {
    throw new ValidationError('invalid-options', `"hygiene" expected a HygieneList or false, got ${describe(hygiene)}`);
  }
  const trimmed = applyCommonRules(kind, raw);
  const canonical = canonicalForm(kind, trimmed, region);
  if (hygiene !== false) {
    const hit = hygiene.check(kind, canonical);
    if (hit !== undefined) {
      throw new InvalidIdentifierError(kind, hit.reason, `${kind} ${describe(trimmed)} rejected (${hit.reason}): hygiene rule ${hit.rule}: ${hit.detail}`, hit.rule);
    }
  }
  return canonical;
}

function canonicalForm(kind: IdentifierKind, trimmed: string, region: ReturnType<typeof normalizeRegion> | undefined): string {
  switch (kind) {
    case 'email':
    case 'email_folded':
      return canonicalEmail(kind, trimmed);
    case 'phone':
      return canonicalPhone(trimmed, region);
    case 'payment_fingerprint':
      return canonicalPaymentFingerprint(trimmed);
    case 'device_id':
      return canonicalDeviceId(trimmed);
    case 'ip':
    case 'ip_v4_24':
    case 'ip_v6_64':
      return canonicalIp(kind, trimmed);
    case 'wallet':
      return canonicalWallet(trimmed);
    case 'account':
      return canonicalAccount(trimmed);
  }
}

const prefixes = new Map<IdentifierKind, string>(IDENTIFIER_KINDS.map((kind) => [kind, `${DIGEST_TAG}\0${kind}\0`]));

/**
 * §10: SHA-256(tag || 0x00 || kind || 0x00 || UTF-8(canonical)). `canonical` must come from
 * canonicalize for the same kind; a non-canonical string gives a digest that matches nothing.
 */
export function identifierDigest(kind: IdentifierKind, canonical: string): Uint8Array {
  assertKind(kind);
  if (typeof canonical !== 'string' || canonical.length === 0) {
    throw new ValidationError('invalid-input', `"canonical" expected a non-empty string, got ${describe(canonical)}`);
  }
  // node:crypto's one-shot hash encodes the string as UTF-8 natively; at about 1.3 µs it is the
  // largest single cost of ingesting a row, ahead of pure-JS SHA-256 at about 2 µs.
  const digest = hash('sha256', `${prefixes.get(kind) as string}${canonical}`, 'buffer');
  return new Uint8Array(digest.buffer, digest.byteOffset, digest.byteLength);
}

export function hashIdentifier(kind: IdentifierKind, raw: string, options: CanonicalizeOptions = {}): HashedIdentifier {
  const canonical = canonicalize(kind, raw, options);
  return { canonical, digest: identifierDigest(kind, canonical) };
}

const HEX_DIGEST = /^[0-9a-fA-F]{64}$/;

export interface PrehashedOptions {
  /** The kind the digests were computed for; with it, the hygiene list's exact values are refused (§12.6). */
  readonly kind?: IdentifierKind | undefined;
  readonly hygiene?: HygieneList | false | undefined;
}

/**
 * §8.1: a prehashed digest, 64 hex digits in either case; the all-zero digest is a placeholder.
 * With a kind, a digest of an exact value on the hygiene list is rejected too (§12.6).
 */
export function parsePrehashed(raw: string, options: PrehashedOptions = {}): Uint8Array {
  if (typeof raw !== 'string') throw new ValidationError('invalid-input', `"raw" expected a string, got ${describe(raw)}`);
  const trimmed = applyCommonRules('prehashed', raw);
  if (!HEX_DIGEST.test(trimmed)) reject('prehashed', 'prehashed-syntax', trimmed, `expected ${DIGEST_LENGTH * 2} hex digits`);
  const digest = Uint8Array.from(Buffer.from(trimmed, 'hex'));
  if (digest.every((byte) => byte === 0)) {
    throw new InvalidIdentifierError('prehashed', 'identifier-placeholder', `prehashed ${describe(trimmed)} rejected (identifier-placeholder): hygiene rule placeholder-zero-digest: the all-zero digest is no identifier`, 'placeholder-zero-digest');
  }
  const hygiene = options.hygiene === undefined ? BUILT_IN_HYGIENE : options.hygiene;
  if (hygiene !== false && !(hygiene instanceof HygieneList)) {
    throw new ValidationError('invalid-options', `"hygiene" expected a HygieneList or false, got ${describe(hygiene)}`);
  }
  if (options.kind !== undefined && hygiene !== false) {
    assertKind(options.kind);
    const hit = hygiene.checkPrehashed(options.kind, trimmed.toLowerCase(), DIGEST_TAG);
    if (hit !== undefined) {
      throw new InvalidIdentifierError('prehashed', hit.reason, `prehashed ${describe(trimmed)} rejected (${hit.reason}): hygiene rule ${hit.rule}: the digest of a listed ${options.kind} value`, hit.rule);
    }
  }
  return digest;
}

const canonicalNoHygiene = (kind: IdentifierKind, value: string): string => canonicalize(kind, value, { hygiene: false });

export interface HygieneListOptions {
  /** The roster's `identifierHygiene` additions; every value MUST be in canonical form (§12.5). */
  readonly roster?: unknown;
  /** Local extensions, e.g. from readHygieneFile; they only remove this lab's own values. */
  readonly local?: readonly HygieneEntry[] | undefined;
}

/** §12: the hygiene list in force: the built-in list, the roster additions, local extensions. */
export function hygieneList(options: HygieneListOptions = {}): HygieneList {
  const roster = options.roster === undefined ? [] : validateHygieneEntries(options.roster, 'identifierHygiene', canonicalNoHygiene, true);
  const local = options.local === undefined ? [] : validateHygieneEntries(options.local, 'local hygiene entries', canonicalNoHygiene, false);
  return new HygieneList(roster, local);
}

/** §12.5: reads a local extension file (lines `KIND VALUE`); values are canonicalized. */
export function readHygieneFile(path: string): HygieneEntry[] {
  return readHygieneText(path, canonicalNoHygiene);
}

/** §12.5: parses the text of a local extension file; `source` names it in errors. */
export function parseHygieneFile(text: string, source: string): HygieneEntry[] {
  return parseHygieneText(text, source, canonicalNoHygiene);
}

export function digestToHex(digest: Uint8Array): string {
  return Buffer.from(digest.buffer, digest.byteOffset, digest.byteLength).toString('hex');
}
