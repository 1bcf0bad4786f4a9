/** `phone` (protocol-spec/identifiers.md §6): E.164 through libphonenumber-js with the "max" metadata. */
import metadata from 'libphonenumber-js/metadata.max.json';
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

/** Every country calling code of the metadata, geographic and not; ITU-T E.164 keeps them prefix-free. */
const CALLING_CODES: ReadonlySet<string> = new Set(Object.keys(metadata.country_calling_codes));

/**
 * Splits an E.164 canonical form into its country calling code and national significant number
 * (identifiers.md §12.3). Undefined when no calling code of the metadata starts it.
 */
export function splitE164(canonical: string): { readonly cc: string; readonly nsn: string } | undefined {
  for (let length = 1; length <= 3; length++) {
    const cc = canonical.slice(1, 1 + length);
    if (CALLING_CODES.has(cc)) return { cc, nsn: canonical.slice(1 + length) };
  }
  return undefined;
}

// §6 step 2: keypad signals; libphonenumber reads "#" as an extension mark in some positions only.
const KEYPAD_SIGNAL = /[#*\uff03\uff0a]/;

export function canonicalPhone(trimmed: string, region: CountryCode | undefined): string {
  // §6 step 1: a leading full-width plus U+FF0B is the international prefix, as "+" is.
  // libphonenumber-js drops it (and then reads the number as national), so it is folded here.
  const value = trimmed.charCodeAt(0) === 0xff0b ? `+${trimmed.slice(1)}` : trimmed;
  if (region === undefined && !value.startsWith('+')) {
    reject('phone', 'phone-region-required', trimmed, 'a number without a leading "+" needs the list\'s default region');
  }
  if (KEYPAD_SIGNAL.test(value)) {
    reject('phone', 'phone-syntax', trimmed, '"#" and "*" are keypad signals, not digits of a telephone number');
  }
  let parsed: PhoneNumber;
  try {
    // extract: false: the whole value must be the number, not text containing one.
    parsed = parsePhoneNumberWithError(value, { ...(region === undefined ? {} : { defaultCountry: region }), extract: false });
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
