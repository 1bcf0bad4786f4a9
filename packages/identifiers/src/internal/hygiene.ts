/**
 * The hygiene list (protocol-spec/identifiers.md §12): canonical values and ranges that identify
 * no single account, so that matching on them would link unrelated accounts. Each rule has a
 * stable id that the rejects file and the ingest summary name.
 */
import type { HygieneReason } from '../errors.js';
import type { IdentifierKind } from '../kinds.js';
import { parseIPv4, parseIPv6 } from './ip.js';
import { splitE164 } from './phone.js';

/** §12: the version of the built-in list; a change to any rule or entry bumps it. */
export const HYGIENE_VERSION = 1;

export interface HygieneHit {
  readonly rule: string;
  readonly reason: HygieneReason;
  readonly detail: string;
}

/** One rule of the built-in list, as documented in identifiers.md §12. */
export interface HygieneRuleInfo {
  readonly id: string;
  readonly reason: HygieneReason;
  readonly kinds: readonly IdentifierKind[];
  readonly description: string;
}

// ---------------------------------------------------------------- §12.1 placeholders

/** Stand-ins that programs and spreadsheets write for a missing value; compared ASCII-case-insensitively. */
export const PLACEHOLDER_WORDS: readonly string[] = [
  'null', 'nil', 'none', 'undefined', 'unknown', 'n/a', 'na', 'nan', 'inf', '-inf', 'infinity', '-infinity',
  'true', 'false', '(null)', '<null>', '[null]', '(none)', '<none>', '{}', '[]', '""', "''",
  '#n/a', '#null!', '#value!', '#ref!', '#div/0!', '#name?', '#num!',
  'redacted', '[redacted]', 'deleted', '[deleted]', 'not available', 'not set', 'unset', 'tbd',
];
const WORDS: ReadonlySet<string> = new Set(PLACEHOLDER_WORDS);
const MAX_WORD = Math.max(...PLACEHOLDER_WORDS.map((word) => word.length));
// Zero in any decimal spelling (0, 0.0, -0, .0, 0e0), and minus one (-1, -1.0, -01).
const ZERO_NUMBER = /^[+-]?(?:0+(?:\.0*)?|\.0+)(?:[eE][+-]?[0-9]+)?$/;
const MINUS_ONE = /^-0*1(?:\.0*)?$/;
// Only filler characters: nothing of an identifier is left.
const FILLER = /^[0\-._*?/#: ]+$/;

function placeholder(subject: string): HygieneHit | undefined {
  if (subject.length <= MAX_WORD && WORDS.has(subject.replace(/[A-Z]+/g, (upper) => upper.toLowerCase()))) {
    return { rule: 'placeholder-word', reason: 'identifier-placeholder', detail: 'a word that stands for a missing value' };
  }
  if (ZERO_NUMBER.test(subject) || MINUS_ONE.test(subject)) {
    return { rule: 'placeholder-number', reason: 'identifier-placeholder', detail: 'the number 0 or -1 stands for a missing value' };
  }
  if (FILLER.test(subject)) return { rule: 'placeholder-filler', reason: 'identifier-placeholder', detail: 'only filler characters (0 - . _ * ? / # : and space)' };
  return undefined;
}

// ---------------------------------------------------------------- §12.2 shared device IDs, wallets

const HEX_ALL_F = /^[f:-]+$/;

const DEVICE_SHARED: ReadonlyMap<string, { rule: string; detail: string }> = new Map([
  ['9774d56d682e549c', { rule: 'android-id-froyo', detail: 'the ANDROID_ID that many Android 2.2 devices report' }],
  ['02:00:00:00:00:00', { rule: 'mac-android-hidden', detail: 'the MAC address Android 6 and later report to every app' }],
  ['020000000000', { rule: 'mac-android-hidden', detail: 'the MAC address Android 6 and later report to every app' }],
]);

const WALLET_ENTRIES: ReadonlyMap<string, HygieneHit> = new Map([
  ['0x0000000000000000000000000000000000000000', { rule: 'evm-zero-address', reason: 'identifier-placeholder', detail: 'the zero address belongs to no one' }],
  ['0x000000000000000000000000000000000000dead', { rule: 'evm-burn-address', reason: 'identifier-shared', detail: 'a burn address that belongs to no one' }],
]);

function deviceId(canonical: string): HygieneHit | undefined {
  const shared = DEVICE_SHARED.get(canonical);
  if (shared !== undefined) return { ...shared, reason: 'identifier-shared' };
  const found = placeholder(canonical);
  if (found !== undefined) return found;
  // Hex IDs, UUIDs and MACs of all "f": the Max UUID, the broadcast MAC, unset 64-bit IDs.
  if (/^[0-9a-f:-]+$/.test(canonical) && HEX_ALL_F.test(canonical) && /f/.test(canonical)) {
    return { rule: 'hex-all-f', reason: 'identifier-placeholder', detail: 'every hex digit is "f": an unset ID' };
  }
  return undefined;
}

const PLATFORM = /^([A-Za-z0-9][A-Za-z0-9._-]{0,31}):/;

function account(canonical: string): HygieneHit | undefined {
  const prefix = PLATFORM.exec(canonical);
  const handle = prefix === null ? canonical : canonical.slice(prefix[0].length);
  if (handle.length === 0) return { rule: 'account-empty-handle', reason: 'identifier-placeholder', detail: 'a platform prefix without a handle' };
  return placeholder(handle);
}

// ---------------------------------------------------------------- §12.3 phones

// Ofcom, "Telephone numbers for drama": E.164 prefixes followed by exactly three more digits.
const OFCOM_DRAMA = [
  '+441134960', '+441144960', '+441154960', '+441164960', '+441174960', '+441184960',
  '+441214960', '+441314960', '+441414960', '+441514960', '+441614960',
  '+442079460', '+442920180', '+442896496', '+441632960', '+447700900',
  '+448081570', '+449098790', '+443069990',
];
const OFCOM_DRAMA_NUMBER = new RegExp(`^(?:${OFCOM_DRAMA.map((p) => p.replace('+', '\\+')).join('|')})[0-9]{3}$`);
// NANP: 555-0100 through 555-0199 in every area code are reserved for fiction.
const NANP_FICTION = /^\+1[2-9][0-9]{2}55501[0-9]{2}$/;
const CYCLE = '01234567890123456789';

function phone(canonical: string): HygieneHit | undefined {
  if (NANP_FICTION.test(canonical)) return { rule: 'nanp-fiction', reason: 'identifier-placeholder', detail: 'NANP 555-01xx, reserved for fiction' };
  if (OFCOM_DRAMA_NUMBER.test(canonical)) return { rule: 'ofcom-drama', reason: 'identifier-placeholder', detail: 'an Ofcom range reserved for drama' };
  const split = splitE164(canonical);
  if (split !== undefined && split.nsn.length >= 8) {
    const head = split.nsn.slice(0, 8);
    if (CYCLE.includes(head) || CYCLE.includes([...head].reverse().join(''))) {
      return { rule: 'sequential-digits', reason: 'identifier-placeholder', detail: 'the national number starts with eight consecutive digits (a typed-in fake)' };
    }
  }
  return undefined;
}

// ---------------------------------------------------------------- §12.4 IP addresses and networks

/** A range: the first `length` bits of an address (IPv4: 32 bits as a number, IPv6: eight 16-bit groups). */
export interface IpRange {
  readonly family: 4 | 6;
  /** IPv4: the address as a number; IPv6: its eight groups. */
  readonly v4: number;
  readonly groups: readonly number[];
  readonly length: number;
}

interface IpRule {
  readonly id: string;
  readonly ranges: readonly IpRange[];
  readonly detail: string;
  /** Only for the prefix kind: the range is narrower than the kind's network and merges it. */
  readonly networkOnly?: boolean;
}

/** Parses `ADDRESS/LENGTH` (the address in any spelling §7.3 accepts; IPv4-mapped is not folded). */
export function parseRange(text: string): IpRange | undefined {
  const slash = text.indexOf('/');
  if (slash === -1 || !/^(?:0|[1-9][0-9]{0,2})$/.test(text.slice(slash + 1))) return undefined;
  const address = text.slice(0, slash);
  const length = Number(text.slice(slash + 1));
  if (address.includes(':')) {
    const groups = parseIPv6(address);
    if (groups === undefined || length > 128) return undefined;
    return { family: 6, v4: 0, groups, length };
  }
  const v4 = parseIPv4(address);
  if (v4 === undefined || length > 32) return undefined;
  return { family: 4, v4, groups: [], length };
}

function range(text: string): IpRange {
  const parsed = parseRange(text);
  if (parsed === undefined) throw new Error(`bad built-in range ${text}`);
  return parsed;
}

const IPV4_RULES: readonly IpRule[] = [
  { id: 'ipv4-this-network', ranges: [range('0.0.0.0/8')], detail: '"this network" (RFC 791, RFC 1122)' },
  { id: 'ipv4-private', ranges: [range('10.0.0.0/8'), range('172.16.0.0/12'), range('192.168.0.0/16')], detail: 'private address space (RFC 1918), reused by every network' },
  { id: 'ipv4-cgnat', ranges: [range('100.64.0.0/10')], detail: 'shared address space behind carrier-grade NAT (RFC 6598)' },
  { id: 'ipv4-link-local', ranges: [range('169.254.0.0/16')], detail: 'link-local (RFC 3927)' },
  { id: 'ipv4-protocol-assignments', ranges: [range('192.0.0.0/24')], detail: 'IETF protocol assignments, e.g. the DS-Lite B4 address every such customer has (RFC 6890, RFC 6333)' },
  { id: 'ipv4-multicast', ranges: [range('224.0.0.0/4')], detail: 'multicast (RFC 5771)' },
  { id: 'ipv4-broadcast', ranges: [range('255.255.255.255/32')], detail: 'limited broadcast (RFC 919)' },
  { id: 'ipv4-reserved', ranges: [range('240.0.0.0/4')], detail: 'reserved (RFC 1112)' },
];

const IPV6_RULES: readonly IpRule[] = [
  { id: 'ipv6-link-local', ranges: [range('fe80::/10')], detail: 'link-local (RFC 4291)' },
  { id: 'ipv6-site-local', ranges: [range('fec0::/10')], detail: 'site-local, deprecated (RFC 3879)' },
  { id: 'ipv6-unique-local', ranges: [range('fc00::/7')], detail: 'unique local addresses, private to a site (RFC 4193)' },
  { id: 'ipv6-multicast', ranges: [range('ff00::/8')], detail: 'multicast (RFC 4291)' },
  { id: 'ipv6-nat64', ranges: [range('64:ff9b::/96'), range('64:ff9b:1::/48')], detail: 'NAT64 prefixes (RFC 6052, RFC 8215): every IPv4 client behind a translator shares the /64', networkOnly: true },
  { id: 'ipv6-ipv4-embedded', ranges: [range('::/64')], detail: 'IPv4-compatible and IPv4-translated addresses (RFC 4291, RFC 6145) share ::/64', networkOnly: true },
  { id: 'ipv6-teredo', ranges: [range('2001::/32')], detail: 'Teredo (RFC 4380): the /64 is the Teredo server, shared by its clients', networkOnly: true },
  { id: 'ipv6-6to4', ranges: [range('2002::/16')], detail: '6to4 (RFC 3056): relays merge clients', networkOnly: true },
];

/** True when the first min(a.length, b.length) bits agree: one range contains the other. */
export function overlaps(a: IpRange, b: IpRange): boolean {
  if (a.family !== b.family) return false;
  let bits = Math.min(a.length, b.length);
  if (a.family === 4) {
    const scale = 2 ** (32 - bits);
    return Math.floor(a.v4 / scale) === Math.floor(b.v4 / scale);
  }
  for (let i = 0; bits > 0; i++, bits -= 16) {
    const shift = Math.max(0, 16 - bits);
    if ((a.groups[i] ?? 0) >> shift !== (b.groups[i] ?? 0) >> shift) return false;
  }
  return true;
}

/** The address (`ip`) or network (prefix kinds) of an IP canonical form, as a range. */
export function ipSubject(kind: IdentifierKind, canonical: string): IpRange | undefined {
  const slash = kind === 'ip' ? -1 : canonical.indexOf('/');
  const address = slash === -1 ? canonical : canonical.slice(0, slash);
  if (address.includes(':')) {
    const groups = parseIPv6(address);
    return groups === undefined ? undefined : { family: 6, v4: 0, groups, length: kind === 'ip' ? 128 : 64 };
  }
  const v4 = parseIPv4(address);
  return v4 === undefined ? undefined : { family: 4, v4, groups: [], length: kind === 'ip' ? 32 : 24 };
}

function ipHit(kind: IdentifierKind, canonical: string): HygieneHit | undefined {
  const subject = ipSubject(kind, canonical);
  if (subject === undefined) return undefined;
  for (const rule of subject.family === 4 ? IPV4_RULES : IPV6_RULES) {
    if (rule.networkOnly === true && kind === 'ip') continue;
    if (rule.ranges.some((r) => overlaps(r, subject))) return { rule: rule.id, reason: 'ip-nonunique', detail: rule.detail };
  }
  return undefined;
}

// ---------------------------------------------------------------- the built-in list

/** §12: the built-in rule that catches `canonical` of `kind`, if any. */
export function builtInHit(kind: IdentifierKind, canonical: string): HygieneHit | undefined {
  switch (kind) {
    case 'payment_fingerprint':
      return placeholder(canonical);
    case 'device_id':
      return deviceId(canonical);
    case 'account':
      return account(canonical);
    case 'wallet':
      return WALLET_ENTRIES.get(canonical);
    case 'phone':
      return phone(canonical);
    case 'ip':
    case 'ip_v4_24':
    case 'ip_v6_64':
      return ipHit(kind, canonical);
    case 'email':
    case 'email_folded':
      return undefined;
  }
}

/**
 * §12.6: the canonical values whose digests a prehashed list of `kind` is checked against: the
 * exact entries, and the placeholder words in lower, upper and capitalized spelling.
 */
export function builtInExactValues(kind: IdentifierKind): string[] {
  const words = PLACEHOLDER_WORDS.flatMap((w) => [w, w.toUpperCase(), `${w.slice(0, 1).toUpperCase()}${w.slice(1)}`]);
  const numbers = ['0', '0.0', '-1', '-'];
  switch (kind) {
    case 'payment_fingerprint':
    case 'account':
      return [...new Set([...words, ...numbers])];
    case 'device_id':
      return [...new Set([...words, ...numbers, ...DEVICE_SHARED.keys(), '00000000-0000-0000-0000-000000000000', 'ffffffff-ffff-ffff-ffff-ffffffffffff', '00:00:00:00:00:00', 'ff:ff:ff:ff:ff:ff', '0000000000000000', 'ffffffffffffffff'])];
    case 'wallet':
      return [...WALLET_ENTRIES.keys()];
    default:
      return [];
  }
}

/** The rules of the built-in list, for documentation and the ingest summary. */
export const BUILT_IN_RULES: readonly HygieneRuleInfo[] = [
  { id: 'placeholder-word', reason: 'identifier-placeholder', kinds: ['payment_fingerprint', 'device_id', 'account'], description: `one of ${PLACEHOLDER_WORDS.join(' ')}` },
  { id: 'placeholder-number', reason: 'identifier-placeholder', kinds: ['payment_fingerprint', 'device_id', 'account'], description: 'a decimal number equal to 0 or -1' },
  { id: 'placeholder-filler', reason: 'identifier-placeholder', kinds: ['payment_fingerprint', 'device_id', 'account'], description: 'only the characters 0 - . _ * ? / # : and space' },
  { id: 'account-empty-handle', reason: 'identifier-placeholder', kinds: ['account'], description: 'a platform prefix without a handle' },
  { id: 'hex-all-f', reason: 'identifier-placeholder', kinds: ['device_id'], description: 'a hex ID, UUID or MAC of only "f"' },
  { id: 'android-id-froyo', reason: 'identifier-shared', kinds: ['device_id'], description: '9774d56d682e549c' },
  { id: 'mac-android-hidden', reason: 'identifier-shared', kinds: ['device_id'], description: '02:00:00:00:00:00 (and 020000000000)' },
  { id: 'evm-zero-address', reason: 'identifier-placeholder', kinds: ['wallet'], description: '0x0000000000000000000000000000000000000000' },
  { id: 'evm-burn-address', reason: 'identifier-shared', kinds: ['wallet'], description: '0x000000000000000000000000000000000000dead' },
  { id: 'nanp-fiction', reason: 'identifier-placeholder', kinds: ['phone'], description: '+1 NPA 555 0100 to 0199' },
  { id: 'ofcom-drama', reason: 'identifier-placeholder', kinds: ['phone'], description: `${OFCOM_DRAMA.map((p) => `${p}xxx`).join(' ')}` },
  { id: 'sequential-digits', reason: 'identifier-placeholder', kinds: ['phone'], description: 'a national significant number starting with eight consecutive digits' },
  ...IPV4_RULES.map((r) => ({ id: r.id, reason: 'ip-nonunique' as const, kinds: ['ip', 'ip_v4_24'] as IdentifierKind[], description: r.detail })),
  ...IPV6_RULES.map((r) => ({ id: r.id, reason: 'ip-nonunique' as const, kinds: (r.networkOnly === true ? ['ip_v6_64'] : ['ip', 'ip_v6_64']) as IdentifierKind[], description: r.detail })),
  { id: 'placeholder-zero-digest', reason: 'identifier-placeholder', kinds: [], description: 'the all-zero prehashed digest' },
];
