/** The rules common to every kind (protocol-spec/identifiers.md §3) and small string helpers. */
import { describe } from '@venn/errors';
import { InvalidIdentifierError, type IdentifierSubject, type RejectReason } from '../errors.js';

export const MAX_INPUT_OCTETS = 1024;

/** §3 step 3: the trim set T, written out so it does not move with the engine's Unicode version. */
export function isTrimmable(code: number): boolean {
  if (code <= 0x20) return code === 0x20 || (code >= 0x09 && code <= 0x0d);
  if (code < 0xa0) return false;
  return (
    code === 0xa0 ||
    code === 0x1680 ||
    (code >= 0x2000 && code <= 0x200a) ||
    code === 0x2028 ||
    code === 0x2029 ||
    code === 0x202f ||
    code === 0x205f ||
    code === 0x3000 ||
    code === 0xfeff
  );
}

export function trim(value: string): string {
  let start = 0;
  let end = value.length;
  while (start < end && isTrimmable(value.charCodeAt(start))) start++;
  while (end > start && isTrimmable(value.charCodeAt(end - 1))) end--;
  return start === 0 && end === value.length ? value : value.slice(start, end);
}

export function isControl(code: number): boolean {
  return code < 0x20 || (code >= 0x7f && code <= 0x9f);
}

export function reject(kind: IdentifierSubject, reason: RejectReason, value: string, detail: string): never {
  throw new InvalidIdentifierError(kind, reason, `${kind} ${describe(value)} rejected (${reason}): ${detail}`);
}

/**
 * §3 steps 1–5, in order: well-formed, at most 1024 octets, trim, non-empty, no controls.
 * Scans the whole raw value so the reason does not depend on where the scan stops.
 */
export function applyCommonRules(kind: IdentifierSubject, raw: string): string {
  let octets = 0;
  for (let i = 0; i < raw.length; i++) {
    const code = raw.charCodeAt(i);
    if (code < 0x80) {
      octets += 1;
    } else if (code < 0x800) {
      octets += 2;
    } else if (code >= 0xd800 && code <= 0xdbff) {
      const next = raw.charCodeAt(i + 1);
      if (!(next >= 0xdc00 && next <= 0xdfff)) reject(kind, 'malformed-unicode', raw, `unpaired surrogate at index ${i}`);
      octets += 4;
      i++;
    } else if (code >= 0xdc00 && code <= 0xdfff) {
      reject(kind, 'malformed-unicode', raw, `unpaired surrogate at index ${i}`);
    } else if (code === 0xfffd) {
      reject(kind, 'replacement-character', raw, `U+FFFD at index ${i}: the source was not valid UTF-8`);
    } else {
      octets += 3;
    }
  }
  if (octets > MAX_INPUT_OCTETS) reject(kind, 'too-long', raw, `expected at most ${MAX_INPUT_OCTETS} octets, got ${octets}`);
  const trimmed = trim(raw);
  if (trimmed.length === 0) reject(kind, 'empty', raw, 'nothing left after trimming white space');
  for (let i = 0; i < trimmed.length; i++) {
    const code = trimmed.charCodeAt(i);
    if (isControl(code)) {
      reject(kind, 'control-character', raw, `control character U+${code.toString(16).toUpperCase().padStart(4, '0')} at index ${i}`);
    }
  }
  return trimmed;
}

/** UTF-8 length of a well-formed string. */
export function utf8Length(value: string): number {
  return Buffer.byteLength(value, 'utf8');
}

const ASCII = /^[\x00-\x7f]*$/;

export function isAscii(value: string): boolean {
  return ASCII.test(value);
}

/** Shortens a value for a report without splitting a surrogate pair. */
export function excerpt(value: string, max = 256): string {
  if (value.length <= max) return value;
  let end = max;
  const last = value.charCodeAt(end - 1);
  if (last >= 0xd800 && last <= 0xdbff) end--;
  return `${value.slice(0, end)}…`;
}
