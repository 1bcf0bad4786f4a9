/** `email` and `email_folded` (protocol-spec/identifiers.md §4, §5): RFC 5321/5322 addr-spec, RFC 6531/6532, UTS #46. */
import { domainToASCII } from 'node:url';
import type { IdentifierKind } from '../kinds.js';
import { isAscii, reject, utf8Length } from './text.js';

type EmailKind = Extract<IdentifierKind, 'email' | 'email_folded'>;

// RFC 5322 §3.2.3 atext, extended by RFC 6532 §3.2 with non-ASCII characters other than white space.
const ASCII_ATEXT = "A-Za-z0-9!#$%&'*+\\-/=?^_`{|}~";
const ATOM = `(?:[${ASCII_ATEXT}]|[^\\x00-\\x7f\\p{Zs}\\p{Zl}\\p{Zp}\\u{FEFF}])+`;
const DOT_ATOM = new RegExp(`^${ATOM}(?:\\.${ATOM})*$`, 'u');
// §4 step 3: the format characters (General_Category Cf, Unicode 17.0), written out so the set
// does not move with the engine's Unicode version. Invisible, so they make look-alike addresses.
const FORMAT_CHARACTER = /[\u00ad\u0600-\u0605\u061c\u06dd\u070f\u0890\u0891\u08e2\u180e\u200b-\u200f\u202a-\u202e\u2060-\u2064\u2066-\u206f\ufeff\ufff9-\ufffb\u{110bd}\u{110cd}\u{13430}-\u{1343f}\u{1bca0}-\u{1bca3}\u{1d173}-\u{1d17a}\u{e0001}\u{e0020}-\u{e007f}]/u;
const ASCII_DOT_ATOM = new RegExp(`^[${ASCII_ATEXT}]+(?:\\.[${ASCII_ATEXT}]+)*$`);

// §4 step 4: the only ASCII characters a domain may contain before IDNA mapping.
const DOMAIN_ASCII_ALLOWED = /^(?:[a-z0-9.-]|[^\x00-\x7f])*$/u;
const LDH_LABEL = /^[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?$/;
// A last label that URL parsers read as an IPv4 number (WHATWG "ends in a number").
const NUMERIC_LABEL = /^(?:[0-9]+|0x[0-9a-f]*)$/;

const MAX_LOCAL_OCTETS = 64; // RFC 5321 §4.5.3.1.1
const MAX_DOMAIN_OCTETS = 253;
const MAX_ADDRESS_OCTETS = 254; // RFC 5321 §4.5.3.1.3: 256 including the angle brackets

export function canonicalEmail(kind: EmailKind, trimmed: string): string {
  // §4 step 1; NFC twice because case mapping does not preserve normalization (Unicode §3.13).
  const s = isAscii(trimmed) ? trimmed.toLowerCase() : trimmed.normalize('NFC').toLowerCase().normalize('NFC');

  const at = s.indexOf('@');
  if (at === -1 || s.indexOf('@', at + 1) !== -1) {
    const count = at === -1 ? 0 : s.split('@').length - 1;
    reject(kind, 'email-at-sign', trimmed, `expected exactly one "@", found ${count}`);
  }
  const local = s.slice(0, at);
  const domain = s.slice(at + 1);

  if (!isAscii(local)) {
    const format = FORMAT_CHARACTER.exec(local);
    if (format !== null) {
      const code = (format[0].codePointAt(0) ?? 0).toString(16).toUpperCase().padStart(4, '0');
      reject(kind, 'email-local-part', trimmed, `local part contains the invisible format character U+${code}`);
    }
  }
  const isDotAtom = isAscii(local) ? ASCII_DOT_ATOM.test(local) : DOT_ATOM.test(local);
  if (!isDotAtom) {
    reject(kind, 'email-local-part', trimmed, 'expected a dot-atom local part (RFC 5322 §3.2.3): atext separated by single dots, no quoting');
  }
  const localOctets = utf8Length(local);
  if (localOctets > MAX_LOCAL_OCTETS) {
    reject(kind, 'email-local-part', trimmed, `local part is ${localOctets} octets, expected at most ${MAX_LOCAL_OCTETS} (RFC 5321 §4.5.3.1.1)`);
  }

  const asciiDomain = toAsciiHostName(kind, trimmed, domain);
  let canonical = `${local}@${asciiDomain}`;
  const octets = utf8Length(canonical);
  if (octets > MAX_ADDRESS_OCTETS) {
    reject(kind, 'email-too-long', trimmed, `address is ${octets} octets, expected at most ${MAX_ADDRESS_OCTETS} (RFC 5321 §4.5.3.1.3)`);
  }
  if (kind === 'email_folded') canonical = foldEmail(local, asciiDomain);
  return canonical;
}

function toAsciiHostName(kind: EmailKind, input: string, domain: string): string {
  if (!DOMAIN_ASCII_ALLOWED.test(domain)) {
    reject(kind, 'email-domain', input, 'domain may contain only letters, digits, "-", "." and non-ASCII characters');
  }
  // Pure-ASCII LDH labels without an "xn--" prefix are left unchanged by UTS #46 ToASCII, so the
  // mapping call is skipped for them; every other domain goes through it.
  let ascii = domain;
  if (!isAscii(domain) || domain.startsWith('xn--') || domain.includes('.xn--')) {
    ascii = domainToASCII(domain);
    if (ascii === '') reject(kind, 'email-domain', input, 'domain fails IDNA (UTS #46) processing');
  }
  if (ascii.length > MAX_DOMAIN_OCTETS) {
    reject(kind, 'email-domain', input, `domain is ${ascii.length} octets, expected at most ${MAX_DOMAIN_OCTETS}`);
  }
  const labels = ascii.split('.');
  if (labels.length < 2) reject(kind, 'email-domain', input, 'domain needs at least two labels');
  for (const label of labels) {
    if (!LDH_LABEL.test(label)) {
      reject(kind, 'email-domain', input, `domain label ${JSON.stringify(label)} is not 1-63 letters, digits or inner hyphens`);
    }
  }
  if (NUMERIC_LABEL.test(labels[labels.length - 1] ?? '')) {
    reject(kind, 'email-domain', input, 'the last domain label is numeric (an IP address, not a host name)');
  }
  return ascii;
}

const GMAIL_DOMAINS: ReadonlySet<string> = new Set(['gmail.com', 'googlemail.com']);

/** §5: subaddress removal, then Gmail dot folding. Input is an `email` canonical form. */
function foldEmail(local: string, domain: string): string {
  let folded = local;
  const plus = folded.indexOf('+', 1);
  if (plus !== -1) {
    folded = folded.slice(0, plus);
    while (folded.endsWith('.')) folded = folded.slice(0, -1);
  }
  if (GMAIL_DOMAINS.has(domain)) return `${folded.replaceAll('.', '')}@gmail.com`;
  return `${folded}@${domain}`;
}
