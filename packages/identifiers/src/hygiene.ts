/**
 * The hygiene list in force (protocol-spec/identifiers.md §12): the built-in list, the roster's
 * additions that every member applies, and this lab's local extensions.
 */
import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { ValidationError, describe } from '@venn/errors';
import { InvalidIdentifierError, type HygieneReason } from './errors.js';
import { BUILT_IN_RULES, HYGIENE_VERSION, builtInExactValues, builtInHit, ipSubject, overlaps, parseRange, type HygieneHit, type HygieneRuleInfo, type IpRange } from './internal/hygiene.js';
import { formatIPv4, formatIPv6 } from './internal/ip.js';
import { IDENTIFIER_KINDS, isIdentifierKind, type IdentifierKind } from './kinds.js';

export { BUILT_IN_RULES, HYGIENE_VERSION };
export type { HygieneHit, HygieneRuleInfo };

/** One added value: a canonical form of `kind`, or for `ip` a range `ADDRESS/LENGTH` (§12.5). */
export interface HygieneEntry {
  readonly kind: IdentifierKind;
  readonly value: string;
}

/** §12.5: at most this many roster additions or local extension entries. */
export const MAX_HYGIENE_ENTRIES = 1_000_000;
/** §12.5: the tag of the roster additions digest. */
export const HYGIENE_ADDITIONS_TAG = 'venn/hygiene-additions/v1';

const IP_KINDS: ReadonlySet<IdentifierKind> = new Set(['ip', 'ip_v4_24', 'ip_v6_64']);

interface Compiled {
  readonly exact: Map<IdentifierKind, Set<string>>;
  readonly ranges: IpRange[];
  readonly count: number;
}

function compile(entries: readonly HygieneEntry[]): Compiled {
  const exact = new Map<IdentifierKind, Set<string>>();
  const ranges: IpRange[] = [];
  for (const entry of entries) {
    const range = entry.kind === 'ip' && entry.value.includes('/') ? parseRange(entry.value) : undefined;
    if (range !== undefined) {
      ranges.push(range);
    } else {
      let set = exact.get(entry.kind);
      if (set === undefined) exact.set(entry.kind, (set = new Set()));
      set.add(entry.value);
    }
  }
  return { exact, ranges, count: entries.length };
}

function extraHit(compiled: Compiled, kind: IdentifierKind, canonical: string, rule: string): HygieneHit | undefined {
  const ip = IP_KINDS.has(kind);
  const reason: HygieneReason = ip ? 'ip-nonunique' : 'identifier-shared';
  if (compiled.exact.get(kind)?.has(canonical) === true) return { rule, reason, detail: `listed in the ${rule === 'roster-addition' ? 'roster' : 'local hygiene file'}` };
  if (ip && compiled.ranges.length > 0) {
    const subject = ipSubject(kind, canonical);
    if (subject !== undefined && compiled.ranges.some((range) => overlaps(range, subject))) {
      return { rule, reason, detail: `in a range listed in the ${rule === 'roster-addition' ? 'roster' : 'local hygiene file'}` };
    }
  }
  return undefined;
}

function digestHex(kind: IdentifierKind, canonical: string, tag: string): string {
  return createHash('sha256').update(`${tag}\0${kind}\0`, 'utf8').update(canonical, 'utf8').digest('hex');
}

/** The hygiene list a node applies: built-in rules, roster additions, local extensions. */
export class HygieneList {
  readonly #roster: Compiled;
  readonly #local: Compiled;
  readonly #prehashed = new Map<IdentifierKind, Map<string, HygieneHit>>();
  /** §12.5: hex SHA-256 of the roster additions, or undefined when the roster adds none. */
  readonly rosterDigest: string | undefined;

  constructor(roster: readonly HygieneEntry[], local: readonly HygieneEntry[]) {
    this.#roster = compile(roster);
    this.#local = compile(local);
    this.rosterDigest = roster.length === 0 ? undefined : hygieneAdditionsDigest(roster);
  }

  get rosterEntries(): number {
    return this.#roster.count;
  }

  get localEntries(): number {
    return this.#local.count;
  }

  /** §12: the rule that catches `canonical` (a canonical form of `kind`), if any. */
  check(kind: IdentifierKind, canonical: string): HygieneHit | undefined {
    return builtInHit(kind, canonical) ?? extraHit(this.#roster, kind, canonical, 'roster-addition') ?? extraHit(this.#local, kind, canonical, 'local-extension');
  }

  /** §12.6: the rule whose exact values include the prehashed `digest` (hex) of `kind`, if any. */
  checkPrehashed(kind: IdentifierKind, digest: string, tag: string): HygieneHit | undefined {
    let table = this.#prehashed.get(kind);
    if (table === undefined) {
      table = new Map();
      for (const value of builtInExactValues(kind)) {
        const hit = builtInHit(kind, value);
        if (hit !== undefined) table.set(digestHex(kind, value, tag), hit);
      }
      for (const [compiled, rule] of [[this.#roster, 'roster-addition'], [this.#local, 'local-extension']] as const) {
        for (const value of compiled.exact.get(kind) ?? []) {
          const hit = extraHit(compiled, kind, value, rule);
          if (hit !== undefined && !table.has(digestHex(kind, value, tag))) table.set(digestHex(kind, value, tag), hit);
        }
      }
      this.#prehashed.set(kind, table);
    }
    return table.get(digest);
  }
}

/** The built-in list alone (§12.1–§12.4). */
export const BUILT_IN_HYGIENE = new HygieneList([], []);

/**
 * §12.5: SHA-256(tag || 0x00 || for each distinct entry in ascending order of (kind, value):
 * kind || 0x00 || UTF-8(value) || 0x00), as 64 hex digits.
 */
export function hygieneAdditionsDigest(entries: readonly HygieneEntry[]): string {
  const keyed = [...new Map(entries.map((e) => [`${e.kind}\0${e.value}`, e])).values()];
  keyed.sort((a, b) => (a.kind < b.kind ? -1 : a.kind > b.kind ? 1 : a.value < b.value ? -1 : a.value > b.value ? 1 : 0));
  const hash = createHash('sha256').update(`${HYGIENE_ADDITIONS_TAG}\0`, 'utf8');
  for (const entry of keyed) hash.update(`${entry.kind}\0`, 'utf8').update(entry.value, 'utf8').update('\0', 'utf8');
  return hash.digest('hex');
}

/** The canonical spelling of an `ip` range entry, or undefined if `value` is not one. */
function canonicalRange(value: string): string | undefined {
  const range = parseRange(value);
  if (range === undefined || value.startsWith('::ffff:')) return undefined;
  if (range.family === 4) {
    const scale = 2 ** (32 - range.length);
    if (range.v4 % scale !== 0) return undefined;
    return `${formatIPv4(range.v4)}/${range.length}`;
  }
  // Host bits clear: every bit past `length` is zero.
  for (let i = 0; i < 8; i++) {
    const keep = Math.max(0, Math.min(16, range.length - i * 16));
    const mask = keep === 0 ? 0 : (0xffff << (16 - keep)) & 0xffff;
    if (((range.groups[i] ?? 0) & ~mask & 0xffff) !== 0) return undefined;
  }
  return `${formatIPv6(range.groups)}/${range.length}`;
}

type Canonicalizer = (kind: IdentifierKind, value: string) => string;

/**
 * Validates entries. `strict` (roster additions) requires every value in its canonical form so
 * that all members hash the same bytes; otherwise (a local file) values are canonicalized.
 */
export function validateHygieneEntries(entries: unknown, where: string, canonical: Canonicalizer, strict: boolean, label: (i: number) => string = (i) => `${where}[${i}]`): HygieneEntry[] {
  if (!Array.isArray(entries) || entries.length > MAX_HYGIENE_ENTRIES) {
    throw new ValidationError('hygiene-invalid', `${where} expected an array of at most ${MAX_HYGIENE_ENTRIES} entries, got ${describe(entries)}`);
  }
  return entries.map((entry: unknown, i): HygieneEntry => {
    const at = label(i);
    if (typeof entry !== 'object' || entry === null || Array.isArray(entry)) throw new ValidationError('hygiene-invalid', `${at} expected an object {kind, value}, got ${describe(entry)}`);
    const { kind, value } = entry as { kind?: unknown; value?: unknown };
    if (!isIdentifierKind(kind)) throw new ValidationError('hygiene-invalid', `${at}.kind expected one of ${IDENTIFIER_KINDS.join(', ')}, got ${describe(kind)}`);
    if (typeof value !== 'string' || value.length === 0 || value.length > 1024) throw new ValidationError('hygiene-invalid', `${at}.value expected a string of 1 to 1024 characters, got ${describe(value)}`);
    if (kind === 'ip' && value.includes('/')) {
      const range = canonicalRange(value);
      if (range === undefined || (strict && range !== value)) {
        throw new ValidationError('hygiene-invalid', `${at}.value expected an IP range ADDRESS/LENGTH in canonical form with the host bits clear (e.g. 203.0.113.0/24), got ${describe(value)}`);
      }
      return { kind, value: range };
    }
    let form: string;
    try {
      form = canonical(kind, value);
    } catch (error) {
      if (error instanceof InvalidIdentifierError) throw new ValidationError('hygiene-invalid', `${at}.value is not a ${kind}: ${error.message}`, { cause: error });
      throw error;
    }
    if (strict && form !== value) throw new ValidationError('hygiene-invalid', `${at}.value expected the canonical form ${JSON.stringify(form)}, got ${describe(value)}`);
    return { kind, value: form };
  });
}

/**
 * §12.5: a local extension file: UTF-8 lines `KIND VALUE` (separated by spaces or tabs; VALUE is
 * the rest of the line, trimmed); blank lines and lines starting with "#" are skipped.
 */
export function parseHygieneText(text: string, source: string, canonical: Canonicalizer): HygieneEntry[] {
  const raw: { kind: string; value: string }[] = [];
  const lineOf: number[] = [];
  const lines = text.replace(/^\ufeff/, '').split(/\r\n|\n|\r/);
  lines.forEach((line, i) => {
    const content = line.trim();
    if (content.length === 0 || content.startsWith('#')) return;
    const m = /^([a-z0-9_]+)[ \t]+(.+)$/.exec(content);
    if (m === null) throw new ValidationError('hygiene-invalid', `${source}:${i + 1} expected "KIND VALUE", got ${describe(content)}`);
    raw.push({ kind: m[1] as string, value: (m[2] as string).trim() });
    lineOf.push(i + 1);
  });
  return validateHygieneEntries(raw, source, canonical, false, (i) => `${source}:${lineOf[i] ?? 0}`);
}

export function readHygieneText(path: string, canonical: Canonicalizer): HygieneEntry[] {
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (error) {
    throw new ValidationError('hygiene-read', `hygiene file "${path}" could not be read: ${error instanceof Error ? error.message : String(error)}`, { cause: error });
  }
  return parseHygieneText(text, path, canonical);
}
