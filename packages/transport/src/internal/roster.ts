/**
 * The federation roster (protocol-spec/roster.md): strict parsing, RFC 8785-style canonical JSON,
 * and the domain-separated SHA-256 roster digest that both ends of a session must agree on.
 */
import { ed25519 } from '@noble/curves/ed25519.js';
import { sha256 } from '@noble/hashes/sha2.js';
import { CodecError, ValidationError } from '@venn/errors';
import { MAX_SET_SIZE } from '@venn/wire';
import { concatBytes, fromHex, toHex, utf8 } from './bytes.js';

export const ROSTER_VERSION = 1;
export const ROUND_MODES = ['cardinality', 'intersection'] as const;
export const SHARE_LABELS = ['category', 'first_seen', 'reason'] as const;
export type RoundMode = (typeof ROUND_MODES)[number];
export type ShareLabel = (typeof SHARE_LABELS)[number];

export interface MemberPolicy {
  readonly maxPeerSetSize: number;
  readonly maxRoundsPerDay: number;
  readonly modes: readonly RoundMode[];
  readonly shareLabels: readonly ShareLabel[];
}

export interface RosterMember {
  readonly id: string;
  readonly name: string;
  readonly endpoint: string;
  /** Ed25519 public key, 32 bytes. */
  readonly identityKey: Uint8Array;
  readonly policy: MemberPolicy;
}

export interface RosterSchedule {
  readonly cron: string;
  readonly windowMinutes: number;
  readonly timezone: string;
  /** Optional, with incrementalMinutes: pairs run key epochs of this many days (node.md §10). */
  readonly epochDays?: number;
  /** Optional, with epochDays: how often an epoch's incremental rounds may run, in minutes. */
  readonly incrementalMinutes?: number;
}

/** One addition to the identifier hygiene list (identifiers.md §12.5) that every member applies at ingest. */
export interface HygieneAddition {
  readonly kind: string;
  readonly value: string;
}

export interface Roster {
  readonly version: 1;
  readonly federation: { readonly name: string; readonly epoch: number };
  readonly schedule: RosterSchedule;
  readonly members: readonly RosterMember[];
  /** Optional; absent when the roster adds nothing to the hygiene list. */
  readonly identifierHygiene?: readonly HygieneAddition[];
}

/** Limits from roster.md §2; they keep every field small enough for the handshake's u8 lengths. */
export const ROSTER_LIMITS = {
  maxMembers: 1024,
  maxNameLength: 128,
  maxEndpointLength: 512,
  maxTimezoneLength: 64,
  maxEpoch: 0xffff_ffff,
  // SPEC §5.3: no OFFER can state a larger cap, so a larger roster policy could not be honoured.
  maxPeerSetSize: MAX_SET_SIZE,
  maxRoundsPerDay: 1440,
  maxWindowMinutes: 1440,
  maxEpochDays: 28,
  maxIncrementalMinutes: 1440,
  maxHygieneAdditions: 100_000,
  maxHygieneValueLength: 1024,
} as const;

const MEMBER_ID = /^[a-z0-9](?:[a-z0-9-]{0,62})$/;
const FEDERATION_NAME = /^[A-Za-z0-9](?:[A-Za-z0-9._-]{0,63})$/;
const TIMEZONE = /^[A-Za-z]+(?:[/_+-][A-Za-z0-9]+)*$/;
const IDENTITY_KEY = /^[0-9a-f]{64}$/;
const CONTROL = /[\u0000-\u001f\u007f-\u009f]/;
// identifiers.md §2: kind names are lowercase ASCII with "_"; @venn/identifiers checks the value.
const IDENTIFIER_KIND = /^[a-z][a-z0-9_]{0,31}$/;
// In /u mode a paired surrogate is one code point, so this matches only unpaired halves.
const LONE_SURROGATE = /\p{Cs}/u;

/** Shows a rejected value in an error message without echoing large content. */
function shown(value: unknown): string {
  if (value === undefined) return 'nothing';
  if (value === null) return 'null';
  if (typeof value === 'string') return value.length > 80 ? `a string of length ${value.length}` : JSON.stringify(value);
  if (typeof value === 'number' || typeof value === 'boolean') return String(value);
  if (Array.isArray(value)) return `an array of length ${value.length}`;
  return typeof value === 'object' ? 'an object' : typeof value;
}

function invalid(path: string, expected: string, value: unknown): ValidationError {
  return new ValidationError('roster-invalid', `${path} expected ${expected}, got ${shown(value)}`);
}

function record(value: unknown, path: string, fields: readonly string[]): Record<string, unknown> {
  if (typeof value !== 'object' || value === null || Array.isArray(value)) throw invalid(path, 'an object', value);
  for (const key of Object.keys(value)) {
    if (!fields.includes(key)) {
      throw new ValidationError(
        'roster-unknown-field',
        `${path === '' ? '' : `${path}.`}${key} is not a roster field (expected one of ${fields.join(', ')})`,
      );
    }
  }
  return value as Record<string, unknown>;
}

function field(path: string, key: string): string {
  return path === '' ? key : `${path}.${key}`;
}

function integer(value: unknown, path: string, min: number, max: number): number {
  if (typeof value !== 'number' || !Number.isInteger(value) || value < min || value > max) {
    throw invalid(path, `an integer in [${min}, ${max}]`, value);
  }
  return value;
}

function text(value: unknown, path: string, maxLength: number): string {
  if (typeof value !== 'string' || value.length === 0 || value.length > maxLength) {
    throw invalid(path, `a non-empty string of at most ${maxLength} characters`, value);
  }
  // Lone surrogates would make the canonical UTF-8 encoding ambiguous (RFC 8785 §3.2.2.2).
  if (LONE_SURROGATE.test(value) || CONTROL.test(value)) {
    throw invalid(path, 'well-formed text without control characters', value);
  }
  return value;
}

function matching(value: unknown, path: string, pattern: RegExp, expected: string): string {
  if (typeof value !== 'string' || !pattern.test(value)) throw invalid(path, expected, value);
  return value;
}

function setOf<T extends string>(value: unknown, path: string, allowed: readonly T[], minItems: number): T[] {
  if (!Array.isArray(value) || value.length < minItems || value.length > allowed.length) {
    throw invalid(path, `an array of ${minItems === 0 ? 'zero' : 'one'} or more of ${allowed.join(', ')}`, value);
  }
  const seen = new Set<string>();
  value.forEach((item: unknown, i) => {
    if (typeof item !== 'string' || !(allowed as readonly string[]).includes(item)) {
      throw invalid(`${path}[${i}]`, `one of ${allowed.join(', ')}`, item);
    }
    if (seen.has(item)) throw invalid(`${path}[${i}]`, 'a value not listed before', item);
    seen.add(item);
  });
  return value as T[];
}

/** roster.md §1.1: each field's name, bounds, and the largest step (the number of values it has). */
const CRON_FIELDS: readonly { readonly label: string; readonly min: number; readonly max: number; readonly maxStep: number }[] = [
  { label: 'minute', min: 0, max: 59, maxStep: 60 },
  { label: 'hour', min: 0, max: 23, maxStep: 24 },
  { label: 'day of month', min: 1, max: 31, maxStep: 31 },
  { label: 'month', min: 1, max: 12, maxStep: 12 },
  // 0 and 7 are both Sunday: seven distinct days.
  { label: 'day of week', min: 0, max: 7, maxStep: 7 },
];

const CRON_ITEM = /^(?:(\*)|(\d{1,2})(?:-(\d{1,2}))?)(?:\/(\d{1,2}))?$/;

/**
 * roster.md §1.1: five fields, each a comma-separated list of `*`, `n` or `a-b`, the star and
 * ranges optionally with a step `/s`. Names (MON, JAN), `?`, `L`, `W`, `#`, a step on a single
 * value and steps wider than the field are refused, so every node reads one meaning (node.md §4.1).
 */
function cron(value: unknown, path: string): string {
  if (typeof value !== 'string' || value.length > 128) throw invalid(path, 'a five-field cron expression', value);
  const parts = value.split(' ');
  if (parts.length !== 5) throw invalid(path, 'a five-field cron expression separated by single spaces', value);
  parts.forEach((part, i) => {
    const { label, min, max, maxStep } = CRON_FIELDS[i] as (typeof CRON_FIELDS)[number];
    for (const item of part.split(',')) {
      const m = CRON_ITEM.exec(item);
      const inRange = (s: string | undefined): boolean => s === undefined || (Number(s) >= min && Number(s) <= max);
      if (m === null || !inRange(m[2]) || !inRange(m[3])) {
        throw invalid(path, `a cron ${label} field of *, n, a-b, */s or a-b/s with values in [${min}, ${max}]`, value);
      }
      if (m[2] !== undefined && m[3] === undefined && m[4] !== undefined) {
        throw invalid(path, `a cron ${label} step on * or a range (*/s or a-b/s), not on a single value`, value);
      }
      if (m[4] !== undefined && (Number(m[4]) < 1 || Number(m[4]) > maxStep)) {
        throw invalid(path, `a cron ${label} step in [1, ${maxStep}]`, value);
      }
      if (m[2] !== undefined && m[3] !== undefined && Number(m[2]) > Number(m[3])) {
        throw invalid(path, `an ascending ${label} range`, value);
      }
    }
  });
  return value;
}

function timezone(value: unknown, path: string): string {
  // Bounded before the pattern: its repeated group backtracks once per "/" and overflows the
  // regexp stack on a few megabytes of "A/A/…!".
  if (typeof value !== 'string' || value.length > ROSTER_LIMITS.maxTimezoneLength) {
    throw invalid(path, `an IANA time zone name of at most ${ROSTER_LIMITS.maxTimezoneLength} characters such as "UTC" or "Europe/Paris"`, value);
  }
  const name = matching(value, path, TIMEZONE, 'an IANA time zone name such as "UTC" or "Europe/Paris"');
  try {
    new Intl.DateTimeFormat('en-US', { timeZone: name });
  } catch {
    throw invalid(path, 'a time zone known to this runtime', value);
  }
  return name;
}

function endpoint(value: unknown, path: string): string {
  if (typeof value !== 'string' || value.length > ROSTER_LIMITS.maxEndpointLength) {
    throw invalid(path, 'a ws:// or wss:// URL', value);
  }
  let url: URL;
  try {
    url = new URL(value);
  } catch {
    throw invalid(path, 'a ws:// or wss:// URL', value);
  }
  if ((url.protocol !== 'ws:' && url.protocol !== 'wss:') || url.hostname === '') {
    throw invalid(path, 'a ws:// or wss:// URL', value);
  }
  if (url.username !== '' || url.password !== '' || url.search !== '' || url.hash !== '') {
    throw invalid(path, 'a URL without credentials, query or fragment', value);
  }
  return value;
}

function identityKey(value: unknown, path: string): Uint8Array {
  const hex = matching(value, path, IDENTITY_KEY, '64 lowercase hex characters (an Ed25519 public key)');
  // Public data, so noble's variable-time decoding is fine here. A small-order key would let
  // anyone forge signatures that verify under it (RFC 8032 §5.1.7 does not exclude them).
  let smallOrder: boolean;
  try {
    smallOrder = ed25519.Point.fromHex(hex).isSmallOrder();
  } catch {
    throw invalid(path, 'the encoding of a point on Ed25519', value);
  }
  if (smallOrder) throw invalid(path, 'an Ed25519 key that is not of small order', value);
  return fromHex(hex, path);
}

function policy(value: unknown, path: string): MemberPolicy {
  const p = record(value, path, ['maxPeerSetSize', 'maxRoundsPerDay', 'modes', 'shareLabels']);
  return {
    maxPeerSetSize: integer(p['maxPeerSetSize'], field(path, 'maxPeerSetSize'), 1, ROSTER_LIMITS.maxPeerSetSize),
    maxRoundsPerDay: integer(p['maxRoundsPerDay'], field(path, 'maxRoundsPerDay'), 1, ROSTER_LIMITS.maxRoundsPerDay),
    modes: setOf(p['modes'], field(path, 'modes'), ROUND_MODES, 1),
    shareLabels: setOf(p['shareLabels'], field(path, 'shareLabels'), SHARE_LABELS, 0),
  };
}

function member(value: unknown, path: string): RosterMember {
  const m = record(value, path, ['id', 'name', 'endpoint', 'identityKey', 'policy']);
  return {
    id: matching(m['id'], field(path, 'id'), MEMBER_ID, 'an id of 1 to 63 characters a-z, 0-9 and "-", not starting with "-"'),
    name: text(m['name'], field(path, 'name'), ROSTER_LIMITS.maxNameLength),
    endpoint: endpoint(m['endpoint'], field(path, 'endpoint')),
    identityKey: identityKey(m['identityKey'], field(path, 'identityKey')),
    policy: policy(m['policy'], field(path, 'policy')),
  };
}

function hygieneAdditions(value: unknown, path: string): HygieneAddition[] {
  if (!Array.isArray(value) || value.length === 0 || value.length > ROSTER_LIMITS.maxHygieneAdditions) {
    throw invalid(path, `an array of 1 to ${ROSTER_LIMITS.maxHygieneAdditions} entries {kind, value}`, value);
  }
  const seen = new Set<string>();
  return value.map((item: unknown, i) => {
    const at = `${path}[${i}]`;
    const e = record(item, at, ['kind', 'value']);
    const entry = {
      kind: matching(e['kind'], field(at, 'kind'), IDENTIFIER_KIND, 'an identifier kind name (identifiers.md §2)'),
      value: text(e['value'], field(at, 'value'), ROSTER_LIMITS.maxHygieneValueLength),
    };
    const key = `${entry.kind}\u0000${entry.value}`;
    if (seen.has(key)) throw invalid(at, 'an entry not listed before', item);
    seen.add(key);
    return entry;
  });
}

/**
 * Parses and validates a roster (a JSON string or an already parsed value). Every failure is a
 * ValidationError naming the exact field path, the value and what was expected.
 */
export function parseRoster(json: unknown): Roster {
  let value = json;
  if (typeof json === 'string') {
    try {
      value = JSON.parse(json) as unknown;
    } catch (cause) {
      throw new CodecError('roster-not-json', 'roster expected JSON text, got text that does not parse', { cause });
    }
  }
  const r = record(value, '', ['version', 'federation', 'schedule', 'members', 'identifierHygiene']);
  if (r['version'] !== ROSTER_VERSION) throw invalid('version', `${ROSTER_VERSION}`, r['version']);
  const f = record(r['federation'], 'federation', ['name', 'epoch']);
  const federation = {
    name: matching(f['name'], 'federation.name', FEDERATION_NAME, '1 to 64 characters A-Z, a-z, 0-9, ".", "_" and "-"'),
    epoch: integer(f['epoch'], 'federation.epoch', 0, ROSTER_LIMITS.maxEpoch),
  };
  const s = record(r['schedule'], 'schedule', ['cron', 'windowMinutes', 'timezone', 'epochDays', 'incrementalMinutes']);
  // roster.md §1: key epochs are optional, and their two fields come together.
  if ((s['epochDays'] === undefined) !== (s['incrementalMinutes'] === undefined)) {
    const missing = s['epochDays'] === undefined ? 'epochDays' : 'incrementalMinutes';
    throw invalid(`schedule.${missing}`, `present together with schedule.${missing === 'epochDays' ? 'incrementalMinutes' : 'epochDays'}`, undefined);
  }
  const schedule = {
    cron: cron(s['cron'], 'schedule.cron'),
    windowMinutes: integer(s['windowMinutes'], 'schedule.windowMinutes', 1, ROSTER_LIMITS.maxWindowMinutes),
    timezone: timezone(s['timezone'], 'schedule.timezone'),
    ...(s['epochDays'] === undefined
      ? {}
      : {
          epochDays: integer(s['epochDays'], 'schedule.epochDays', 1, ROSTER_LIMITS.maxEpochDays),
          incrementalMinutes: integer(s['incrementalMinutes'], 'schedule.incrementalMinutes', 1, ROSTER_LIMITS.maxIncrementalMinutes),
        }),
  };
  const list = r['members'];
  if (!Array.isArray(list) || list.length === 0 || list.length > ROSTER_LIMITS.maxMembers) {
    throw invalid('members', `an array of 1 to ${ROSTER_LIMITS.maxMembers} members`, list);
  }
  const members = list.map((m: unknown, i) => member(m, `members[${i}]`));
  const ids = new Map<string, number>();
  const keys = new Map<string, number>();
  const endpoints = new Map<string, number>();
  members.forEach((m, i) => {
    const key = toHex(m.identityKey);
    // Endpoints are compared after URL normalisation so "ws://H:1" and "ws://h:1/" count as one.
    const where = new URL(m.endpoint).href;
    for (const [map, value, what] of [
      [ids, m.id, 'id'],
      [keys, key, 'identityKey'],
      [endpoints, where, 'endpoint'],
    ] as const) {
      const first = map.get(value);
      if (first !== undefined) {
        throw new ValidationError(
          'roster-duplicate',
          `members[${i}].${what} expected a value not used by another member, got the same ${what} as members[${first}]`,
        );
      }
      map.set(value, i);
    }
  });
  const additions = r['identifierHygiene'] === undefined ? undefined : hygieneAdditions(r['identifierHygiene'], 'identifierHygiene');
  return { version: ROSTER_VERSION, federation, schedule, members, ...(additions === undefined ? {} : { identifierHygiene: additions }) };
}

/** RFC 8785 (JCS) serialisation for the value shapes a roster has: objects, arrays, strings, safe integers. */
function canonicalJson(value: unknown): string {
  if (typeof value === 'string') return JSON.stringify(value);
  if (typeof value === 'number') return String(value);
  if (Array.isArray(value)) return `[${value.map(canonicalJson).join(',')}]`;
  const entries = Object.entries(value as Record<string, unknown>).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
  return `{${entries.map(([k, v]) => `${JSON.stringify(k)}:${canonicalJson(v)}`).join(',')}}`;
}

/** Sets are sorted so that the order they were written in never changes the digest. */
function sorted<T extends string>(values: readonly T[]): T[] {
  return [...values].sort();
}

/** The canonical JSON value of a roster (roster.md §3): members sorted by id, sets sorted, keys hex. */
export function canonicalRosterValue(roster: Roster): unknown {
  const members = [...roster.members].sort((a, b) => (a.id < b.id ? -1 : a.id > b.id ? 1 : 0));
  return {
    version: roster.version,
    federation: { name: roster.federation.name, epoch: roster.federation.epoch },
    schedule: {
      cron: roster.schedule.cron,
      windowMinutes: roster.schedule.windowMinutes,
      timezone: roster.schedule.timezone,
      // Omitted when absent, so rosters without key epochs keep their digest.
      ...(roster.schedule.epochDays === undefined ? {} : { epochDays: roster.schedule.epochDays, incrementalMinutes: roster.schedule.incrementalMinutes }),
    },
    members: members.map((m) => ({
      id: m.id,
      name: m.name,
      endpoint: m.endpoint,
      identityKey: toHex(m.identityKey),
      policy: {
        maxPeerSetSize: m.policy.maxPeerSetSize,
        maxRoundsPerDay: m.policy.maxRoundsPerDay,
        modes: sorted(m.policy.modes),
        shareLabels: sorted(m.policy.shareLabels),
      },
    })),
    // Omitted when absent, so rosters without additions keep their digest.
    ...(roster.identifierHygiene === undefined
      ? {}
      : {
          identifierHygiene: [...roster.identifierHygiene]
            .sort((a, b) => (a.kind < b.kind ? -1 : a.kind > b.kind ? 1 : a.value < b.value ? -1 : a.value > b.value ? 1 : 0))
            .map((e) => ({ kind: e.kind, value: e.value })),
        }),
  };
}

/** UTF-8 of the RFC 8785 canonical JSON of the roster (roster.md §3). */
export function encodeRosterCanonical(roster: Roster): Uint8Array {
  return utf8(canonicalJson(canonicalRosterValue(roster)));
}

/** roster.md §4: the tag keeps a roster digest from ever colliding with another Venn hash input. */
export const ROSTER_DIGEST_TAG = 'venn/roster-digest/v1';

/** SHA-256(tag || 0x00 || canonical roster), 32 bytes. */
export function rosterDigest(roster: Roster): Uint8Array {
  return sha256(concatBytes(utf8(ROSTER_DIGEST_TAG), new Uint8Array([0]), encodeRosterCanonical(roster)));
}

export function findMember(roster: Roster, id: string): RosterMember | undefined {
  return roster.members.find((m) => m.id === id);
}
