/** One row of an identifier list to a record or a reject (protocol-spec/identifiers.md §8). */
import { ValidationError, describe as describeValue } from '@venn/errors';
import { hashIdentifier, parsePrehashed } from '../canonical.js';
import { InvalidIdentifierError } from '../errors.js';
import type { HygieneList } from '../hygiene.js';
import type { IdentifierKind } from '../kinds.js';
import { normalizeRegion } from './phone.js';
import { excerpt, isControl, trim } from './text.js';

export interface IngestLabels {
  readonly category?: string;
  readonly first_seen?: string;
  readonly reason?: string;
}

/** A label that broke its rule (§8): the row is kept without it. */
export interface LabelWarning {
  readonly label: 'category' | 'first_seen' | 'reason';
  /** `label-category`, `label-first-seen` or `label-reason`. */
  readonly reason: string;
  readonly message: string;
  /** The dropped label value, shortened; never the identifier. */
  readonly value?: string;
}

/** An accepted row. `accountRef` is the lab's own key: it never leaves the node. */
export interface IngestRecord {
  readonly type: 'record';
  /** Line of the input file on which the row starts (1-based; a CSV header is line 1). */
  readonly line: number;
  readonly digest: Uint8Array;
  /** The canonical form; absent for prehashed input. */
  readonly canonical?: string;
  readonly accountRef?: string;
  /** Shareable only inside rounds whose policy allows labels. */
  readonly labels?: IngestLabels;
  /** Labels dropped from this row, each with its reason. */
  readonly warnings?: readonly LabelWarning[];
}

/** A rejected row: `code` is `invalid-<kind>`, `invalid-prehashed` or `invalid-row`. */
export interface IngestReject {
  readonly type: 'reject';
  readonly line: number;
  readonly code: string;
  readonly reason: string;
  readonly message: string;
  /** The offending value, shortened to 256 characters. */
  readonly value?: string;
  /** For a hygiene reason (identifiers.md §12): the rule that caught the value. */
  readonly rule?: string;
}

export type IngestEvent = IngestRecord | IngestReject;

/** What a format reader extracts from one row, before validation. */
export interface RawRow {
  readonly line: number;
  readonly value: unknown;
  readonly accountRef?: unknown;
  readonly category?: unknown;
  readonly firstSeen?: unknown;
  readonly reason?: unknown;
  /** The row's own default region for phone numbers (a region column), if any. */
  readonly region?: unknown;
}

export interface RowRules {
  readonly kind: IdentifierKind;
  readonly region: string | undefined;
  readonly prehashed: boolean;
  /** The hygiene list in force (identifiers.md §12); undefined applies the built-in list. */
  readonly hygiene?: HygieneList | undefined;
  /** Name of the identifier column or member, for messages. */
  readonly column: string;
}

export function rowReject(line: number, reason: string, message: string, value?: unknown): IngestReject {
  const shown = typeof value === 'string' ? { value: excerpt(value) } : {};
  return { type: 'reject', line, code: 'invalid-row', reason, message, ...shown };
}

const MAX_ACCOUNT_REF = 256;
const MAX_CATEGORY = 64;
const MAX_REASON = 256;
// RFC 3339 §5.6 full-date, or date-time with optional fraction and a Z or numeric offset.
const RFC3339 = /^(\d{4})-(\d{2})-(\d{2})(?:[Tt](\d{2}):(\d{2}):(\d{2})(?:\.\d+)?(?:[Zz]|[+-](\d{2}):(\d{2})))?$/;

function isRfc3339(value: string): boolean {
  const m = RFC3339.exec(value);
  if (m === null) return false;
  const [year, month, day] = [Number(m[1]), Number(m[2]), Number(m[3])];
  if (month < 1 || month > 12 || day < 1) return false;
  // Day 0 of the next month is the last day of this one (UTC, so no DST or leap-second surprises).
  if (day > new Date(Date.UTC(year, month, 0)).getUTCDate()) return false;
  if (m[4] === undefined) return true;
  const [hour, minute, second] = [Number(m[4]), Number(m[5]), Number(m[6])];
  if (hour > 23 || minute > 59 || second > 60) return false;
  return m[7] === undefined || (Number(m[7]) <= 23 && Number(m[8]) <= 59);
}

type Checked = { ok: true; value: string | undefined } | { ok: false; reject: IngestReject };

/** Optional metadata text: absent when missing or blank; trimmed; no controls; bounded length. */
function optionalText(line: number, field: string, reason: string, raw: unknown, maxChars: number): Checked {
  if (raw === undefined || raw === null) return { ok: true, value: undefined };
  if (typeof raw !== 'string') return { ok: false, reject: rowReject(line, 'field-type', `"${field}" expected a string, got ${describeValue(raw)}`) };
  const value = trim(raw);
  if (value.length === 0) return { ok: true, value: undefined };
  let chars = 0;
  for (const ch of value) {
    const code = ch.codePointAt(0) ?? 0;
    if (isControl(code) || (code >= 0xd800 && code <= 0xdfff) || code === 0xfffd) {
      return { ok: false, reject: rowReject(line, reason, `"${field}" contains a control character or malformed text`, raw) };
    }
    chars++;
  }
  if (chars > maxChars) return { ok: false, reject: rowReject(line, reason, `"${field}" expected at most ${maxChars} characters, got ${chars}`, raw) };
  return { ok: true, value };
}

export function toEvent(row: RawRow, rules: RowRules): IngestEvent {
  const { line, value } = row;
  if (value === undefined || value === null) {
    return rowReject(line, 'missing-field', `"${rules.column}" is missing from this row`);
  }
  if (typeof value !== 'string') {
    return rowReject(line, 'field-type', `"${rules.column}" expected a string, got ${describeValue(value)}`);
  }
  let region: string | undefined = rules.region;
  if (rules.kind === 'phone' && !rules.prehashed && row.region !== undefined && row.region !== null) {
    // A region column names each row's own default region; a blank cell keeps the list's.
    if (typeof row.region !== 'string') return rowReject(line, 'field-type', `"region" expected a string, got ${describeValue(row.region)}`);
    const text = trim(row.region);
    if (text !== '') {
      try {
        region = normalizeRegion(text);
      } catch (error) {
        if (error instanceof ValidationError) return rowReject(line, 'region', `line ${line}: ${error.message}`, text);
        throw error;
      }
    }
  }
  let digest: Uint8Array;
  let canonical: string | undefined;
  try {
    if (rules.prehashed) {
      digest = parsePrehashed(value, { kind: rules.kind, hygiene: rules.hygiene });
    } else {
      const hashed = hashIdentifier(rules.kind, value, { region, hygiene: rules.hygiene });
      digest = hashed.digest;
      canonical = hashed.canonical;
    }
  } catch (error) {
    if (error instanceof InvalidIdentifierError) {
      return { type: 'reject', line, code: error.code, reason: error.reason, message: error.message, value: excerpt(value), ...(error.rule === undefined ? {} : { rule: error.rule }) };
    }
    throw error;
  }

  // The account reference is the lab's key for the row: a bad one rejects the row.
  const accountRef = optionalText(line, 'accountRef', 'account-ref', row.accountRef, MAX_ACCOUNT_REF);
  if (!accountRef.ok) return accountRef.reject;
  // A bad label costs only that label: the identifier is kept, with a warning (§8).
  const warnings: LabelWarning[] = [];
  const label = (name: LabelWarning['label'], checked: Checked): string | undefined => {
    if (checked.ok) return checked.value;
    warnings.push({ label: name, reason: checked.reject.reason, message: checked.reject.message, ...(checked.reject.value === undefined ? {} : { value: checked.reject.value }) });
    return undefined;
  };
  const category = label('category', optionalText(line, 'category', 'label-category', row.category, MAX_CATEGORY));
  const reason = label('reason', optionalText(line, 'reason', 'label-reason', row.reason, MAX_REASON));
  let firstSeen = label('first_seen', optionalText(line, 'first_seen', 'label-first-seen', row.firstSeen, 64));
  if (firstSeen !== undefined && !isRfc3339(firstSeen)) {
    warnings.push({ label: 'first_seen', reason: 'label-first-seen', message: `"first_seen" expected an RFC 3339 date or date-time, got ${describeValue(firstSeen)}`, value: excerpt(firstSeen) });
    firstSeen = undefined;
  }

  const labels: { category?: string; first_seen?: string; reason?: string } = {};
  if (category !== undefined) labels.category = category;
  if (firstSeen !== undefined) labels.first_seen = firstSeen;
  if (reason !== undefined) labels.reason = reason;
  return {
    type: 'record',
    line,
    digest,
    ...(canonical === undefined ? {} : { canonical }),
    ...(accountRef.value === undefined ? {} : { accountRef: accountRef.value }),
    ...(Object.keys(labels).length === 0 ? {} : { labels }),
    ...(warnings.length === 0 ? {} : { warnings }),
  };
}
