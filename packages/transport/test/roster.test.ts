import { readFileSync } from 'node:fs';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { CodecError, ValidationError } from '@venn/errors';
import { encodeRosterCanonical, findMember, parseRoster, rosterDigest } from '../src/index.js';

const vectors = JSON.parse(readFileSync(new URL('../../../protocol-spec/vectors/roster-v1.json', import.meta.url), 'utf8')) as {
  source: string;
  valid: { description: string; roster: unknown; canonical?: string; canonicalHex: string; rosterDigest: string }[];
  invalid: { description: string; roster?: unknown; rosterText?: string; error: string; field: string }[];
};
const hex = (b: Uint8Array) => Buffer.from(b).toString('hex');
const base = vectors.valid[0]!.roster as { members: Record<string, unknown>[] } & Record<string, unknown>;

describe('roster.md vectors', () => {
  it('has provenance', () => {
    expect(vectors.source).toMatch(/generate-vectors\.mjs/);
  });

  it.each(vectors.valid.map((v) => [v.description, v] as const))('%s', (_, v) => {
    const roster = parseRoster(v.roster);
    expect(hex(encodeRosterCanonical(roster))).toBe(v.canonicalHex);
    expect(hex(rosterDigest(roster))).toBe(v.rosterDigest);
    if (v.canonical !== undefined) expect(new TextDecoder().decode(encodeRosterCanonical(roster))).toBe(v.canonical);
  });

  it('member order does not change the digest, the epoch does', () => {
    const [first, shuffled, nextEpoch] = vectors.valid;
    expect(shuffled!.rosterDigest).toBe(first!.rosterDigest);
    expect(nextEpoch!.rosterDigest).not.toBe(first!.rosterDigest);
  });

  it.each(vectors.invalid.map((v) => [v.description, v] as const))('rejects: %s', (_, v) => {
    let error: unknown;
    try {
      parseRoster(v.rosterText ?? v.roster);
    } catch (e) {
      error = e;
    }
    // roster.md §1.2: the code is normative; the class and the message are this implementation's.
    expect(error).toBeInstanceOf(v.error === 'roster-not-json' ? CodecError : ValidationError);
    expect((error as ValidationError).code).toBe(v.error);
    expect((error as ValidationError).message.startsWith(v.field)).toBe(true);
  });

  it('covers every roster error code', () => {
    expect(new Set(vectors.invalid.map((v) => v.error))).toEqual(new Set(['roster-not-json', 'roster-unknown-field', 'roster-duplicate', 'roster-invalid']));
  });
});

describe('parseRoster', () => {
  it('names the field, the value and the expectation', () => {
    const r = structuredClone(base);
    r.members[1]!['identityKey'] = 'zz';
    expect(() => parseRoster(r)).toThrow('members[1].identityKey expected 64 lowercase hex characters (an Ed25519 public key), got "zz"');
  });

  it('accepts JSON text and refuses text that is not JSON with a CodecError', () => {
    expect(parseRoster(JSON.stringify(base)).members).toHaveLength(3);
    expect(() => parseRoster('{"version":1,')).toThrow(CodecError);
  });

  it('decodes identity keys to 32 bytes and finds members by id', () => {
    const roster = parseRoster(base);
    expect(findMember(roster, 'lab-a')?.identityKey).toHaveLength(32);
    expect(findMember(roster, 'lab-z')).toBeUndefined();
  });

  const mutations: [string, (r: Record<string, any>) => void][] = [
    ['null', (r) => Object.keys(r).forEach((k) => delete r[k])],
    ['federation missing', (r) => delete r['federation']],
    ['federation name with a space', (r) => (r['federation'].name = 'venn demo')],
    ['epoch as string', (r) => (r['federation'].epoch = '1')],
    ['epoch fractional', (r) => (r['federation'].epoch = 1.5)],
    ['epoch above 2^32-1', (r) => (r['federation'].epoch = 2 ** 32)],
    ['cron minute 60', (r) => (r['schedule'].cron = '60 * * * *')],
    ['cron step 0', (r) => (r['schedule'].cron = '*/0 * * * *')],
    ['cron descending range', (r) => (r['schedule'].cron = '0 5-1 * * *')],
    ['cron with names', (r) => (r['schedule'].cron = '0 0 * JAN MON')],
    ['window 0 minutes', (r) => (r['schedule'].windowMinutes = 0)],
    ['unknown time zone', (r) => (r['schedule'].timezone = 'Mars/Olympus')],
    ['time zone of 65 characters', (r) => (r['schedule'].timezone = `Europe/${'P'.repeat(58)}`)],
    // Unbounded, this input overflowed the pattern's backtracking stack (a RangeError, not a typed error).
    ['time zone of five million "A/" pairs', (r) => (r['schedule'].timezone = `${'A/'.repeat(5_000_000)}!`)],
    ['time zone as a number', (r) => (r['schedule'].timezone = 0)],
    ['members not an array', (r) => (r['members'] = {})],
    ['member id upper case', (r) => (r['members'][0].id = 'Lab-A')],
    ['member id too long', (r) => (r['members'][0].id = 'a'.repeat(64))],
    ['member name empty', (r) => (r['members'][0].name = '')],
    ['member name with a control character', (r) => (r['members'][0].name = 'Lab\u0007')],
    ['member name with a lone surrogate', (r) => (r['members'][0].name = 'Lab \ud800')],
    ['endpoint with credentials', (r) => (r['members'][0].endpoint = 'ws://user:pw@host:1')],
    ['endpoint with a query', (r) => (r['members'][0].endpoint = 'ws://host:1/?x=1')],
    ['endpoint not a URL', (r) => (r['members'][0].endpoint = 'not a url')],
    ['identity key not on the curve', (r) => (r['members'][0].identityKey = '02' + '00'.repeat(31))],
    ['identity key 31 bytes', (r) => (r['members'][0].identityKey = 'ab'.repeat(31))],
    ['policy missing', (r) => delete r['members'][0].policy],
    ['max peer set size 0', (r) => (r['members'][0].policy.maxPeerSetSize = 0)],
    ['max peer set size above the protocol maximum 2^20', (r) => (r['members'][0].policy.maxPeerSetSize = 1_048_577)],
    ['rounds per day above 1440', (r) => (r['members'][0].policy.maxRoundsPerDay = 1441)],
    ['modes empty', (r) => (r['members'][0].policy.modes = [])],
    ['share labels not an array', (r) => (r['members'][0].policy.shareLabels = 'reason')],
    ['extra top-level field', (r) => (r['signature'] = 'x')],
  ];

  it.each(mutations)('junk: %s → ValidationError', (_, mutate) => {
    const r = structuredClone(base) as Record<string, any>;
    mutate(r);
    expect(() => parseRoster(r)).toThrow(ValidationError);
  });

  it.each([null, undefined, 42, 'null', [], true, new Uint8Array(3)])('junk value %s → typed error', (value) => {
    expect(() => parseRoster(value)).toThrow(ValidationError);
  });

  it('property: any member order and set order gives the same canonical bytes', () => {
    const digest = hex(rosterDigest(parseRoster(base)));
    fc.assert(
      fc.property(fc.array(fc.nat(), { minLength: 3, maxLength: 3 }), fc.boolean(), (keys, flip) => {
        const r = structuredClone(base);
        const order = r.members.map((m, i) => [keys[i]!, m] as const).sort((x, y) => x[0] - y[0]);
        r.members = order.map(([, m]) => m);
        if (flip) for (const m of r.members) (m['policy'] as { shareLabels: string[] }).shareLabels.reverse();
        return hex(rosterDigest(parseRoster(r))) === digest;
      }),
      { numRuns: 50 },
    );
  });

  it('property: changing any member name changes the digest', () => {
    const digest = hex(rosterDigest(parseRoster(base)));
    fc.assert(
      fc.property(fc.integer({ min: 0, max: 2 }), fc.string({ minLength: 1, maxLength: 20 }).filter((s) => !/[\u0000-\u001f\u007f-\u009f]/.test(s) && !/\p{Cs}/u.test(s)), (i, name) => {
        const r = structuredClone(base);
        fc.pre(r.members[i]!['name'] !== name);
        r.members[i]!['name'] = name;
        return hex(rosterDigest(parseRoster(r))) !== digest;
      }),
      { numRuns: 50 },
    );
  });
});
