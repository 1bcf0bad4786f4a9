/** `payment_fingerprint`, `device_id` and `account` (protocol-spec/identifiers.md §7.1, §7.2, §7.6). */
import { reject, trim } from './text.js';

const PRINTABLE_ASCII = /^[\x21-\x7e]+$/;

export function canonicalPaymentFingerprint(trimmed: string): string {
  if (!PRINTABLE_ASCII.test(trimmed)) {
    reject('payment_fingerprint', 'opaque-charset', trimmed, 'expected printable ASCII U+0021-U+007E only');
  }
  return trimmed;
}

// §7.2 rule 1: the UUID spellings, captured as the five hex groups.
const UUID = /^(?:\{([0-9a-f]{8})-([0-9a-f]{4})-([0-9a-f]{4})-([0-9a-f]{4})-([0-9a-f]{12})\}|(?:urn:uuid:)?([0-9a-f]{8})-([0-9a-f]{4})-([0-9a-f]{4})-([0-9a-f]{4})-([0-9a-f]{12})|([0-9a-f]{8})([0-9a-f]{4})([0-9a-f]{4})([0-9a-f]{4})([0-9a-f]{12}))$/i;
// §7.2 rule 2: an IEEE 802 MAC address, six octets separated all by ":" or all by "-", or three
// groups of four separated by ".".
const MAC = /^[0-9a-f]{2}([:-])[0-9a-f]{2}(?:\1[0-9a-f]{2}){4}$/i;
const MAC_DOTTED = /^([0-9a-f]{4})\.([0-9a-f]{4})\.([0-9a-f]{4})$/i;
const HEX = /^[0-9a-f]+$/i;

export function canonicalDeviceId(trimmed: string): string {
  const uuid = UUID.exec(trimmed);
  if (uuid !== null) {
    const groups = uuid.slice(1).filter((group) => group !== undefined);
    return groups.join('-').toLowerCase();
  }
  if (MAC.test(trimmed)) return trimmed.toLowerCase().replaceAll('-', ':');
  const dotted = MAC_DOTTED.exec(trimmed);
  if (dotted !== null) return dotted.slice(1).join('').toLowerCase().replace(/(..)(?!$)/g, '$1:');
  if (HEX.test(trimmed)) return trimmed.toLowerCase();
  return trimmed;
}

/**
 * §7.6 table: platforms whose handles are case-insensitive. `sigils` are spellings of a mention
 * that are not part of the handle (removed once, before folding); `alias` renames the platform.
 */
interface Platform {
  readonly sigils: readonly string[];
}

export const ACCOUNT_PLATFORMS: Readonly<Record<string, Platform>> = {
  github: { sigils: ['@'] },
  instagram: { sigils: ['@'] },
  reddit: { sigils: ['/u/', 'u/'] },
  telegram: { sigils: ['@'] },
  twitch: { sigils: ['@'] },
  x: { sigils: ['@'] },
};
export const ACCOUNT_PLATFORM_ALIASES: Readonly<Record<string, string>> = { twitter: 'x' };

// §7.6 step 2: a platform prefix, as URI schemes are spelled (letters, digits, ".", "_", "-").
const PLATFORM_PREFIX = /^([A-Za-z0-9][A-Za-z0-9._-]{0,31}):/;

export function canonicalAccount(trimmed: string): string {
  const value = trimmed.normalize('NFC');
  const prefix = PLATFORM_PREFIX.exec(value);
  if (prefix === null) return value;
  const named = (prefix[1] as string).toLowerCase();
  const platform = ACCOUNT_PLATFORM_ALIASES[named] ?? named;
  let handle = trim(value.slice(prefix[0].length));
  const rules = Object.hasOwn(ACCOUNT_PLATFORMS, platform) ? ACCOUNT_PLATFORMS[platform] : undefined;
  if (rules !== undefined) {
    const sigil = rules.sigils.find((s) => handle.toLowerCase().startsWith(s));
    if (sigil !== undefined) handle = trim(handle.slice(sigil.length));
    handle = handle.replace(/[A-Z]+/g, (upper) => upper.toLowerCase());
  }
  return `${platform}:${handle}`;
}
