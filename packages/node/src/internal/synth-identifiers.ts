/**
 * Synthetic identifiers for venn synth: fresh values per kind from reserved or fictional ranges
 * (example domains, 2001:db8::/32, 198.18.0.0/15), and the messy spellings
 * real exports use for the same value (case, whitespace, phone punctuation, IPv6 forms, UUID
 * braces). Every spelling is checked against @venn/identifiers, so two labs that spell one value
 * differently still hold the same digest (protocol-spec/identifiers.md).
 */
import { domainToUnicode } from 'node:url';
import { keccak_256 } from '@noble/hashes/sha3.js';
import { InternalError } from '@venn/errors';
import { InvalidIdentifierError, canonicalize, type IdentifierKind } from '@venn/identifiers';
import type { SeededRandom } from './synth-random.js';

/** Kinds venn synth can generate; the others (folded emails, IP prefixes) derive from these. */
export const SYNTH_KINDS = ['email', 'phone', 'device_id', 'payment_fingerprint', 'ip', 'wallet', 'account'] as const;
export type SynthKind = (typeof SYNTH_KINDS)[number];
/** The mix the issue names: emails, phones, device IDs, payment fingerprints and IPs. */
export const DEFAULT_SYNTH_KINDS: readonly SynthKind[] = ['email', 'phone', 'device_id', 'payment_fingerprint', 'ip'];
/** Relative frequency of each kind among a lab's identifiers. */
export const KIND_WEIGHTS: Readonly<Record<SynthKind, number>> = { email: 35, phone: 20, device_id: 20, payment_fingerprint: 15, ip: 10, wallet: 8, account: 8 };

export function isSynthKind(value: string): value is SynthKind {
  return (SYNTH_KINDS as readonly string[]).includes(value);
}

const FIRST = ['alice', 'bob', 'carol', 'dmitri', 'elena', 'farah', 'gustavo', 'hana', 'ivan', 'jun', 'kofi', 'lena', 'mateo', 'nadia', 'oliver', 'priya', 'quentin', 'rosa', 'sven', 'tariq', 'uma', 'victor', 'wei', 'ximena', 'yusuf', 'zoe'];
const LAST = ['smith', 'garcia', 'chen', 'okafor', 'novak', 'haddad', 'silva', 'tanaka', 'kowalski', 'nguyen', 'muller', 'rossi', 'kim', 'dubois', 'ivanova', 'patel', 'larsen', 'moreau', 'sato', 'jensen'];
const WORDS = ['prompt', 'relay', 'harvest', 'vector', 'token', 'mirror', 'quartz', 'delta', 'ember', 'pixel', 'orbit', 'cobalt', 'nimbus', 'falcon'];
// Reserved names only (RFC 2606 / RFC 6761), one internationalized, so no real mailbox is named.
const DOMAINS = ['example.com', 'example.net', 'example.org', 'mail.example', 'inbox.example', 'post.example', 'bücher.example', 'correo.example'];
const PLATFORMS = ['github', 'discord', 'telegram', 'x', 'reddit'];
const BASE62 = '0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz';

/** Whitespace seen around exported values; all of it is trimmed by identifiers.md §3. */
const PADDING = [' ', '  ', '\t', '\u00a0', ' \u00a0'];

function email(rng: SeededRandom): string {
  const first = rng.pick(FIRST);
  const last = rng.pick(LAST);
  const local = rng.weighted<() => string>([
    [() => `${first}.${last}`, 4],
    [() => `${first}${last}${rng.range(1, 9999)}`, 3],
    [() => `${first[0] ?? 'x'}.${last}+${rng.pick(WORDS)}`, 2],
    [() => `${first}_${last}.${rng.range(70, 99)}`, 2],
    [() => `${rng.pick(WORDS)}.${rng.pick(WORDS)}${rng.range(10, 999)}`, 2],
  ])();
  return `${local}@${rng.pick(DOMAINS)}`;
}

interface PhonePlan {
  readonly cc: string;
  readonly weight: number;
  national(rng: SeededRandom): string;
}

// National significant numbers. Ranges the regulators set aside for fiction (NANP 555-01xx,
// Ofcom's drama ranges) are on the hygiene list (identifiers.md §12.3), so ingest would reject
// them; numbers are drawn at random instead, as real exports hold them.
const PHONE_PLANS: readonly PhonePlan[] = [
  { cc: '1', weight: 50, national: (rng) => `${rng.pick(['201', '212', '213', '305', '312', '415', '503', '617', '646', '702', '713', '818', '917'])}${rng.range(2, 9)}${rng.range(0, 9)}${rng.range(2, 9)}${String(rng.int(10_000)).padStart(4, '0')}` },
  { cc: '44', weight: 20, national: (rng) => rng.pick([() => `20${rng.pick(['7', '8'])}${String(rng.int(10_000_000)).padStart(7, '0')}`, () => `7${rng.pick(['400', '700', '911'])}${String(rng.int(1_000_000)).padStart(6, '0')}`])() },
  { cc: '49', weight: 10, national: (rng) => `30${String(rng.int(100_000_000)).padStart(8, '0')}` },
  { cc: '33', weight: 10, national: (rng) => `6${String(rng.int(100_000_000)).padStart(8, '0')}` },
  { cc: '91', weight: 5, national: (rng) => `9${String(rng.int(1_000_000_000)).padStart(9, '0')}` },
  { cc: '61', weight: 5, national: (rng) => `4${String(rng.int(100_000_000)).padStart(8, '0')}` },
];

function phone(rng: SeededRandom): string {
  const plan = rng.weighted(PHONE_PLANS.map((p) => [p, p.weight] as const));
  return `+${plan.cc}${plan.national(rng)}`;
}

function uuidV4(rng: SeededRandom): string {
  const hex = rng.hex(32).split('');
  hex[12] = '4';
  hex[16] = rng.pick(['8', '9', 'a', 'b']);
  const h = hex.join('');
  return `${h.slice(0, 8)}-${h.slice(8, 12)}-${h.slice(12, 16)}-${h.slice(16, 20)}-${h.slice(20)}`;
}

function deviceId(rng: SeededRandom): string {
  // Mostly advertising IDs and vendor UUIDs; some 64-bit Android IDs.
  return rng.chance(0.7) ? uuidV4(rng) : rng.hex(16);
}

function paymentFingerprint(rng: SeededRandom): string {
  let out = '';
  for (let i = 0; i < 16; i++) out += BASE62[rng.int(62)];
  return out;
}

function ip(rng: SeededRandom): string {
  if (rng.chance(0.6)) {
    // 198.18.0.0/15 is reserved for benchmarking (RFC 2544): never a real client.
    return `198.${rng.range(18, 19)}.${rng.int(256)}.${rng.range(1, 254)}`;
  }
  // 2001:db8::/32 is the documentation prefix (RFC 3849); zero groups make compression matter.
  const groups = ['2001', 'db8'];
  for (let i = 0; i < 6; i++) groups.push(rng.chance(0.3) ? '0' : rng.int(0x10000).toString(16));
  if (groups.slice(2).every((g) => g === '0')) groups[7] = '1';
  return groups.join(':');
}

function wallet(rng: SeededRandom): string {
  return `0x${rng.hex(40)}`;
}

function account(rng: SeededRandom): string {
  return `${rng.pick(PLATFORMS)}:${rng.pick([...FIRST, ...WORDS])}${rng.pick(['', '_', '-', '.'])}${rng.pick([...LAST, ...WORDS])}${rng.range(1, 9999)}`;
}

const GENERATORS: Readonly<Record<SynthKind, (rng: SeededRandom) => string>> = {
  email, phone, device_id: deviceId, payment_fingerprint: paymentFingerprint, ip, wallet, account,
};

/** A fresh value of `kind` in its canonical form (identifiers.md), drawn from `rng`. */
export function newCanonical(kind: SynthKind, rng: SeededRandom): string {
  // A drawn phone number can fall outside the number plan; draw again (bounded).
  for (let attempt = 0; attempt < 100; attempt++) {
    const raw = GENERATORS[kind](rng);
    try {
      return canonicalize(kind, raw);
    } catch (error) {
      if (!(error instanceof InvalidIdentifierError)) throw error;
    }
  }
  throw new InternalError('synth-exhausted', `synthetic ${kind} expected a valid value within 100 draws, got none`);
}

function capitalize(word: string): string {
  return word.length === 0 ? word : `${word[0]!.toUpperCase()}${word.slice(1)}`;
}

function emailSpellings(canonical: string): string[] {
  const at = canonical.indexOf('@');
  const local = canonical.slice(0, at);
  const domain = canonical.slice(at + 1);
  const unicode = domainToUnicode(domain);
  const capitalLocal = local.split('.').map(capitalize).join('.');
  const capitalDomain = domain.split('.').map((label, i, all) => (i === all.length - 1 ? label.toUpperCase() : capitalize(label))).join('.');
  const out = [canonical, `${capitalLocal}@${domain}`, `${capitalLocal}@${capitalDomain}`, canonical.toUpperCase(), `${local}@${capitalDomain}`];
  if (unicode !== domain && unicode !== '') out.push(`${local}@${unicode}`, `${capitalLocal}@${capitalize(unicode)}`);
  return out;
}

function groups(digits: string, sizes: readonly number[]): string[] {
  const out: string[] = [];
  let at = 0;
  for (const size of sizes) {
    if (at >= digits.length) break;
    out.push(digits.slice(at, at + size));
    at += size;
  }
  if (at < digits.length) out.push(digits.slice(at));
  return out;
}

function phoneSpellings(canonical: string, region: string): string[] {
  const plan = PHONE_PLANS.find((p) => canonical.startsWith(`+${p.cc}`) && canonical.length - 1 - p.cc.length >= 8);
  if (plan === undefined) return [canonical];
  const cc = plan.cc;
  const nsn = canonical.slice(1 + cc.length);
  const spaced = (cc === '1' ? groups(nsn, [3, 3, 4]) : cc === '33' ? groups(nsn, [1, 2, 2, 2, 2]) : groups(nsn, [cc === '44' && nsn.startsWith('20') ? 2 : 4, 4])).join(' ');
  const out = [canonical, `+${cc} ${spaced}`, `+${cc}-${spaced.replace(/ /g, '-')}`, `+${cc}.${spaced.replace(/ /g, '.')}`];
  // The international call prefix of the list's region: 011 from North America, 00 elsewhere.
  out.push(`${region === 'US' ? '011' : '00'} ${cc} ${spaced}`);
  if (cc === '1') {
    const [area, exchange, line] = groups(nsn, [3, 3, 4]);
    out.push(`+1 (${area}) ${exchange}-${line}`);
    if (region === 'US') out.push(`(${area}) ${exchange}-${line}`, `${area}-${exchange}-${line}`, `${area}.${exchange}.${line}`, `1-${area}-${exchange}-${line}`, `${area}${exchange}${line}`);
  } else if (cc !== '91') {
    // European habit: the trunk zero in parentheses after the country code.
    out.push(`+${cc} (0)${spaced}`);
    if (region === 'GB' && cc === '44') out.push(`0${spaced}`, `0${nsn}`);
  }
  return out;
}

function deviceSpellings(canonical: string): string[] {
  if (canonical.length !== 36) return [canonical, canonical.toUpperCase()];
  const upper = canonical.toUpperCase();
  return [canonical, upper, `{${canonical}}`, `{${upper}}`, `urn:uuid:${canonical}`, `URN:UUID:${upper}`, canonical.replace(/-/g, ''), upper.replace(/-/g, '')];
}

function expandV6(canonical: string): string[] {
  const [head = '', tail = ''] = canonical.split('::');
  const left = head === '' ? [] : head.split(':');
  const right = canonical.includes('::') ? (tail === '' ? [] : tail.split(':')) : [];
  const middle = canonical.includes('::') ? new Array<string>(8 - left.length - right.length).fill('0') : [];
  return [...left, ...middle, ...right];
}

function ipSpellings(canonical: string): string[] {
  if (!canonical.includes(':')) {
    // Dual-stack servers log IPv4 clients as IPv4-mapped IPv6 (RFC 4291 §2.5.5.2).
    return [canonical, `::ffff:${canonical}`, `::FFFF:${canonical}`, `0:0:0:0:0:ffff:${canonical}`];
  }
  const full = expandV6(canonical);
  const padded = full.map((g) => g.padStart(4, '0'));
  return [canonical, canonical.toUpperCase(), padded.join(':'), padded.join(':').toUpperCase(), full.join(':')];
}

/** EIP-55 mixed-case checksum spelling of a lowercase 0x address. */
export function eip55(canonical: string): string {
  const hex = canonical.slice(2);
  const hash = keccak_256(new TextEncoder().encode(hex));
  let out = '0x';
  for (let i = 0; i < hex.length; i++) {
    const nibble = ((hash[i >> 1] ?? 0) >> (i % 2 === 0 ? 4 : 0)) & 0x0f;
    out += nibble >= 8 ? hex[i]!.toUpperCase() : hex[i]!;
  }
  return out;
}

function walletSpellings(canonical: string): string[] {
  return [canonical, canonical.slice(2), `0x${canonical.slice(2).toUpperCase()}`, eip55(canonical)];
}

/** Spellings of `canonical` a lab might export; the canonical form itself is the first. */
export function spellings(kind: SynthKind, canonical: string, region: string): string[] {
  switch (kind) {
    case 'email': return emailSpellings(canonical);
    case 'phone': return phoneSpellings(canonical, region);
    case 'device_id': return deviceSpellings(canonical);
    case 'ip': return ipSpellings(canonical);
    case 'wallet': return walletSpellings(canonical);
    case 'payment_fingerprint':
    case 'account':
      // Case-significant opaque values: only surrounding whitespace varies.
      return [canonical];
  }
}

/**
 * One messy spelling of `canonical`, as a lab in `region` might export it: a random spelling,
 * sometimes padded with whitespace, that canonicalizes back to `canonical`. `messiness` in
 * [0, 1] is the chance of leaving the canonical form at all.
 */
export function messySpelling(kind: SynthKind, canonical: string, region: string, rng: SeededRandom, messiness: number): string {
  if (!rng.chance(messiness)) return canonical;
  const candidates = rng.shuffle(spellings(kind, canonical, region));
  for (const candidate of candidates) {
    const spelled = rng.chance(0.3) ? pad(candidate, rng) : candidate;
    if (sameCanonical(kind, spelled, canonical, region)) return spelled;
  }
  return canonical;
}

function pad(value: string, rng: SeededRandom): string {
  const where = rng.int(3);
  return `${where !== 1 ? rng.pick(PADDING) : ''}${value}${where !== 0 ? rng.pick(PADDING) : ''}`;
}

export function sameCanonical(kind: IdentifierKind, raw: string, canonical: string, region: string): boolean {
  try {
    return canonicalize(kind, raw, kind === 'phone' ? { region } : {}) === canonical;
  } catch (error) {
    if (error instanceof InvalidIdentifierError) return false;
    throw error;
  }
}

/** True when identifiers.md rejects `raw` as `kind` (for a phone list of `region`). */
export function isRejected(kind: IdentifierKind, raw: string, region: string): boolean {
  try {
    canonicalize(kind, raw, kind === 'phone' ? { region } : {});
    return false;
  } catch (error) {
    if (error instanceof InvalidIdentifierError) return true;
    throw error;
  }
}

/** Values real exports contain that identifiers.md rejects, with the reason it gives. */
export const JUNK: Readonly<Record<SynthKind, ReadonlyArray<readonly [string, string]>>> = {
  email: [['n/a', 'email-at-sign'], ['alice@@example.com', 'email-at-sign'], ['Alice Smith <alice@example.com>', 'email-local-part'], ['bob@localhost', 'email-domain']],
  phone: [['+1 415 555 0142 ext. 7', 'phone-extension'], ['call back later', 'phone-syntax'], ['+999 1234 5678', 'phone-invalid'], ['+1 415 555 0142', 'identifier-placeholder'], ['+1 234 567 8900', 'identifier-placeholder']],
  device_id: [['00000000-0000-0000-0000-000000000000', 'identifier-placeholder'], ['unknown', 'identifier-placeholder'], ['FFFFFFFF-FFFF-FFFF-FFFF-FFFFFFFFFFFF', 'identifier-placeholder'], ['9774d56d682e549c', 'identifier-shared'], ['02:00:00:00:00:00', 'identifier-shared']],
  payment_fingerprint: [['N/A', 'identifier-placeholder'], ['fp_ünïcode', 'opaque-charset'], ['null', 'identifier-placeholder'], ['#N/A', 'identifier-placeholder']],
  ip: [['127.0.0.1', 'ip-loopback'], ['0.0.0.0', 'ip-unspecified'], ['203.0.113.300', 'ip-syntax'], ['198.18.4.20:443', 'ip-syntax'], ['::1', 'ip-loopback'], ['10.0.0.1', 'ip-nonunique'], ['100.64.0.1', 'ip-nonunique']],
  wallet: [['0x0000000000000000000000000000000000000000', 'identifier-placeholder'], ['not-a-wallet', 'wallet-syntax']],
  account: [['none', 'identifier-placeholder'], ['undefined', 'identifier-placeholder'], ['github:null', 'identifier-placeholder']],
};
