/** Input checks shared by the audit package: labelled errors naming the field and what was expected. */
import { ValidationError, describe } from '@venn/errors';

/** Asserts a Uint8Array, optionally of an exact length; the error names the field. */
export function abytes(value: unknown, length: number | undefined, field: string): Uint8Array {
  if (!(value instanceof Uint8Array)) {
    throw new ValidationError('invalid-type', `"${field}" expected Uint8Array, got ${describe(value)}`);
  }
  if (length !== undefined && value.length !== length) {
    throw new ValidationError(
      'wrong-length',
      `"${field}" expected Uint8Array of length ${length}, got length=${value.length}`,
    );
  }
  return value;
}

/** Asserts a non-negative safe integer (tree sizes, indices, timestamps fit u64 and stay exact in JS). */
export function auint(value: unknown, field: string): number {
  if (typeof value !== 'number' || !Number.isSafeInteger(value) || value < 0) {
    throw new ValidationError(
      'invalid-integer',
      `"${field}" expected a non-negative safe integer, got ${describe(value)}`,
    );
  }
  return value;
}

/** Byte equality on public data (hashes, roots): early exit is fine, nothing here is secret. */
export function bytesEqual(a: Uint8Array, b: Uint8Array): boolean {
  if (a.length !== b.length) return false;
  for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) return false;
  return true;
}

/** The last instant an ECMAScript date holds, in ms (275760-09-13T00:00:00Z); timestamps up to 2^53 − 1 go past it. */
export const LAST_DATE_MS = 8.64e15;

/** A self-asserted timestamp for a report: ISO 8601 when a date holds it, else the number of ms. */
export function isoTime(ms: number): string {
  return Number.isFinite(ms) && Math.abs(ms) <= LAST_DATE_MS ? new Date(ms).toISOString() : `${ms} ms`;
}
