/** `phone` (protocol-spec/identifiers.md §6): E.164 through libphonenumber-js with the "max" metadata. */
import { isSupportedCountry, parsePhoneNumberWithError, type CountryCode, type PhoneNumber } from 'libphonenumber-js/max';
import { ValidationError, describe } from '@venn/errors';
import { reject } from './text.js';

/** Validates a list's default region (ISO 3166-1 alpha-2, case-insensitive) against the metadata. */
export function normalizeRegion(region: string): CountryCode {
  const upper = typeof region === 'string' ? region.toUpperCase() : '';
  if (!/^[A-Z]{2}$/.test(upper) || !isSupportedCountry(upper)) {
    throw new ValidationError('invalid-region', `"region" expected an ISO 3166-1 alpha-2 code known to the phone metadata (e.g. "US"), got ${describe(region)}`);
  }
  return upper;
}

// libphonenumber reads a leading ASCII or full-width plus as the international prefix.
function hasLeadingPlus(value: string): boolean {
  const first = value.charCodeAt(0);
  return first === 0x2b || first === 0xff0b;
}

export function canonicalPhone(trimmed: string, region: CountryCode | undefined): string {
  if (region === undefined && !hasLeadingPlus(trimmed)) {
    reject('phone', 'phone-region-required', trimmed, 'a number without a leading "+" needs the list\'s default region');
  }
  let parsed: PhoneNumber;
  try {
    // extract: false: the whole value must be the number, not text containing one.
    parsed = parsePhoneNumberWithError(trimmed, { ...(region === undefined ? {} : { defaultCountry: region }), extract: false });
  } catch (error) {
    const code = error instanceof Error ? error.message : String(error);
    if (code === 'INVALID_COUNTRY' || code === 'TOO_LONG' || code === 'INVALID_LENGTH') {
      reject('phone', 'phone-invalid', trimmed, `not a valid number (${code})`);
    }
    reject('phone', 'phone-syntax', trimmed, `not one phone number (${code})`);
  }
  if (parsed.ext !== undefined) {
    reject('phone', 'phone-extension', trimmed, 'has an extension, which E.164 cannot carry');
  }
  if (!parsed.isValid()) {
    reject('phone', 'phone-invalid', trimmed, `${parsed.number} is not a valid number for its region`);
  }
  return parsed.number;
}
