/** `ip`, `ip_v4_24`, `ip_v6_64` (protocol-spec/identifiers.md §7.3, §7.4): RFC 4291 §2.2 input, RFC 5952 §4 output. */
import type { IdentifierKind } from '../kinds.js';
import { reject } from './text.js';

type IpKind = Extract<IdentifierKind, 'ip' | 'ip_v4_24' | 'ip_v6_64'>;

type Address = { readonly family: 4; readonly v4: number } | { readonly family: 6; readonly groups: readonly number[] };

// Decimal 0-255 without leading zeros: RFC 6943 §3.1.1, "010" is octal to some parsers.
const DECIMAL_OCTET = /^(?:0|[1-9][0-9]{0,2})$/;
const HEX_GROUP = /^[0-9a-fA-F]{1,4}$/;

export function parseIPv4(text: string): number | undefined {
  const parts = text.split('.');
  if (parts.length !== 4) return undefined;
  let value = 0;
  for (const part of parts) {
    if (!DECIMAL_OCTET.test(part)) return undefined;
    const octet = Number(part);
    if (octet > 255) return undefined;
    value = value * 256 + octet;
  }
  return value;
}

function parseGroups(text: string, groups: number[]): boolean {
  if (text === '') return true;
  const parts = text.split(':');
  for (let i = 0; i < parts.length; i++) {
    const part = parts[i] ?? '';
    if (HEX_GROUP.test(part)) {
      groups.push(Number.parseInt(part, 16));
    } else {
      return false;
    }
  }
  return true;
}

/** RFC 4291 §2.2 text forms 1-3. Returns the eight 16-bit groups. */
export function parseIPv6(text: string): number[] | undefined {
  let body = text;
  let tailV4: number | undefined;
  const lastColon = text.lastIndexOf(':');
  if (text.includes('.', lastColon)) {
    // Form 3: dotted IPv4 for the low 32 bits, only as the last element.
    tailV4 = parseIPv4(text.slice(lastColon + 1));
    if (tailV4 === undefined || lastColon === -1) return undefined;
    body = text.slice(0, lastColon + 1);
    // "…::a.b.c.d" keeps its "::"; "…:x:a.b.c.d" loses the separator before the IPv4 part.
    if (!body.endsWith('::')) body = body.slice(0, -1);
  }
  const explicitGroups = 8 - (tailV4 === undefined ? 0 : 2);
  const halves = body.split('::');
  if (halves.length > 2) return undefined;
  const head: number[] = [];
  const tail: number[] = [];
  if (!parseGroups(halves[0] ?? '', head)) return undefined;
  if (halves.length === 2) {
    if (!parseGroups(halves[1] ?? '', tail)) return undefined;
    // "::" stands for one or more zero groups (RFC 4291 §2.2 form 2).
    if (head.length + tail.length > explicitGroups - 1) return undefined;
  } else if (head.length !== explicitGroups) {
    return undefined;
  }
  const groups = [...head, ...new Array<number>(explicitGroups - head.length - tail.length).fill(0), ...tail];
  if (tailV4 !== undefined) groups.push(Math.floor(tailV4 / 0x10000), tailV4 % 0x10000);
  return groups;
}

/** RFC 5952 §4: lowercase, no leading zeros, "::" for the first longest run of two or more zero groups. */
export function formatIPv6(groups: readonly number[]): string {
  let bestStart = -1;
  let bestLength = 1;
  for (let i = 0; i < 8; ) {
    if (groups[i] !== 0) {
      i++;
      continue;
    }
    let j = i;
    while (j < 8 && groups[j] === 0) j++;
    if (j - i > bestLength) {
      bestStart = i;
      bestLength = j - i;
    }
    i = j;
  }
  const hex = groups.map((group) => group.toString(16));
  if (bestStart === -1) return hex.join(':');
  return `${hex.slice(0, bestStart).join(':')}::${hex.slice(bestStart + bestLength).join(':')}`;
}

export function formatIPv4(value: number): string {
  return `${Math.floor(value / 0x1000000)}.${Math.floor(value / 0x10000) % 256}.${Math.floor(value / 0x100) % 256}.${value % 256}`;
}

function isV4Mapped(groups: readonly number[]): boolean {
  return groups[0] === 0 && groups[1] === 0 && groups[2] === 0 && groups[3] === 0 && groups[4] === 0 && groups[5] === 0xffff;
}

function parseAddress(kind: IpKind, input: string, text: string): Address {
  if (text.includes(':')) {
    const groups = parseIPv6(text);
    if (groups === undefined) reject(kind, 'ip-syntax', input, 'not an IPv6 address in RFC 4291 §2.2 text form');
    // RFC 4291 §2.5.5.2 IPv4-mapped: folded to IPv4 (identifiers.md §7.3).
    if (isV4Mapped(groups)) return { family: 4, v4: (groups[6] ?? 0) * 0x10000 + (groups[7] ?? 0) };
    return { family: 6, groups };
  }
  const v4 = parseIPv4(text);
  if (v4 === undefined) reject(kind, 'ip-syntax', input, 'not an IPv4 dotted quad of decimal 0-255 without leading zeros');
  return { family: 4, v4 };
}

/**
 * `network` is true when a prefix kind's value carries its prefix length: it then names a network,
 * and the all-zero network (`0.0.0.0/24`, `::/64`, the canonical form of `0.0.0.1` and of
 * `::192.0.2.1`) is not the unspecified address. Loopback is checked either way.
 */
function checkHost(kind: IpKind, input: string, address: Address, network = false): void {
  if (address.family === 4) {
    if (address.v4 === 0 && !network) reject(kind, 'ip-unspecified', input, 'the unspecified address identifies no client');
    if (Math.floor(address.v4 / 0x1000000) === 127) reject(kind, 'ip-loopback', input, 'a loopback address (127.0.0.0/8) identifies no client');
    return;
  }
  const high = address.groups.slice(0, 7).every((group) => group === 0);
  if (high && address.groups[7] === 0 && !network) reject(kind, 'ip-unspecified', input, 'the unspecified address identifies no client');
  if (high && address.groups[7] === 1) reject(kind, 'ip-loopback', input, 'the loopback address ::1 identifies no client');
}

function format(address: Address): string {
  return address.family === 4 ? formatIPv4(address.v4) : formatIPv6(address.groups);
}

const PREFIX_LENGTH = /^(?:0|[1-9][0-9]*)$/;

/**
 * §7.3, §7.4. The checks run in the order the spec states, so every implementation gives one
 * reason for a value that breaks several rules: slash count, prefix-length syntax, address
 * syntax, family, prefix-length value, unspecified, loopback.
 */
export function canonicalIp(kind: IpKind, trimmed: string): string {
  if (kind === 'ip') {
    const address = parseAddress(kind, trimmed, trimmed);
    checkHost(kind, trimmed, address);
    return format(address);
  }
  const parts = trimmed.split('/');
  if (parts.length > 2) reject(kind, 'ip-syntax', trimmed, 'expected an address or address/prefix-length');
  const prefixText = parts[1];
  if (prefixText !== undefined && !PREFIX_LENGTH.test(prefixText)) {
    reject(kind, 'ip-syntax', trimmed, 'the prefix length is not a decimal number without leading zeros');
  }
  const address = parseAddress(kind, trimmed, parts[0] ?? '');
  const want = kind === 'ip_v4_24' ? 4 : 6;
  if (address.family !== want) {
    reject(kind, 'ip-family', trimmed, want === 4 ? 'expected an IPv4 address' : 'expected an IPv6 address that is not IPv4-mapped');
  }
  const prefixLength = want === 4 ? 24 : 64;
  if (prefixText !== undefined && Number(prefixText) !== prefixLength) {
    reject(kind, 'ip-prefix-length', trimmed, `expected prefix length /${prefixLength}, got /${prefixText}`);
  }
  checkHost(kind, trimmed, address, prefixText !== undefined);
  // Clear the host bits.
  const network: Address =
    address.family === 4
      ? { family: 4, v4: address.v4 - (address.v4 % 256) }
      : { family: 6, groups: [...address.groups.slice(0, 4), 0, 0, 0, 0] };
  return `${format(network)}/${prefixLength}`;
}
