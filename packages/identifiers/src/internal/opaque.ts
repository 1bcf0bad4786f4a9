/** `payment_fingerprint`, `device_id` and `account` (protocol-spec/identifiers.md §7.1, §7.2, §7.6). */
import type { IdentifierKind } from '../kinds.js';
import { reject } from './text.js';

// §3: stand-ins that exports use for a missing value; every lab has them, so they never match.
const PLACEHOLDER_WORDS: ReadonlySet<string> = new Set(['null', 'nil', 'none', 'undefined', 'unknown', 'n/a']);
const ZEROS_AND_HYPHENS = /^[0-]+$/;

export function isPlaceholder(trimmed: string): boolean {
  return ZEROS_AND_HYPHENS.test(trimmed) || (trimmed.length <= 9 && PLACEHOLDER_WORDS.has(trimmed.toLowerCase()));
}

function rejectPlaceholder(kind: IdentifierKind, trimmed: string): void {
  if (isPlaceholder(trimmed)) reject(kind, 'placeholder', trimmed, 'a stand-in for a missing value, shared by unrelated accounts');
}

const PRINTABLE_ASCII = /^[\x21-\x7e]+$/;

export function canonicalPaymentFingerprint(trimmed: string): string {
  if (!PRINTABLE_ASCII.test(trimmed)) {
    reject('payment_fingerprint', 'opaque-charset', trimmed, 'expected printable ASCII U+0021-U+007E only');
  }
  rejectPlaceholder('payment_fingerprint', trimmed);
  return trimmed;
}

// §7.2 rule 1: the UUID spellings, captured as the five hex groups.
const UUID = /^(?:\{([0-9a-f]{8})-([0-9a-f]{4})-([0-9a-f]{4})-([0-9a-f]{4})-([0-9a-f]{12})\}|(?:urn:uuid:)?([0-9a-f]{8})-([0-9a-f]{4})-([0-9a-f]{4})-([0-9a-f]{4})-([0-9a-f]{12})|([0-9a-f]{8})([0-9a-f]{4})([0-9a-f]{4})([0-9a-f]{4})([0-9a-f]{12}))$/i;
const HEX = /^[0-9a-f]+$/i;
const MAX_UUID = 'ffffffff-ffff-ffff-ffff-ffffffffffff';

export function canonicalDeviceId(trimmed: string): string {
  const uuid = UUID.exec(trimmed);
  if (uuid !== null) {
    const groups = uuid.slice(1).filter((group) => group !== undefined);
    const canonical = groups.join('-').toLowerCase();
    if (ZEROS_AND_HYPHENS.test(canonical) || canonical === MAX_UUID) {
      reject('device_id', 'placeholder', trimmed, 'the Nil or Max UUID stands in for a missing device ID');
    }
    return canonical;
  }
  if (HEX.test(trimmed)) {
    const canonical = trimmed.toLowerCase();
    rejectPlaceholder('device_id', canonical);
    return canonical;
  }
  rejectPlaceholder('device_id', trimmed);
  return trimmed;
}

export function canonicalAccount(trimmed: string): string {
  const canonical = trimmed.normalize('NFC');
  rejectPlaceholder('account', canonical);
  return canonical;
}
