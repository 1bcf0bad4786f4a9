// Junk inputs against every public canonicalization entry point: each gives a typed VennError,
// never a TypeError or a hang.
import { ValidationError, VennError } from '@venn/errors';
import { describe, expect, test } from 'vitest';
import { readFileSync } from 'node:fs';
import {
  IDENTIFIER_KINDS, InvalidIdentifierError, PHONE_METADATA_VERSION, canonicalize, hashIdentifier, hygieneList, identifierDigest, identifierRules, identifierRulesDiff,
  identifierRulesString, parseHygieneFile, parseIdentifierRules, parsePrehashed, type IdentifierKind,
} from '../src/index.js';

const binary = String.fromCharCode(...Array.from({ length: 256 }, (_, i) => i));
const opaque: IdentifierKind[] = ['account', 'device_id', 'payment_fingerprint'];
/** [name, value, kinds that legitimately accept it] */
const junkStrings: [string, string, IdentifierKind[]][] = [
  ['empty', '', []],
  ['white space only', ' \t\r\n\u3000\ufeff', []],
  ['NUL', '\u0000', []],
  ['all byte values as Latin-1', binary, []],
  // Mojibake is well-formed Unicode; no rule can tell it from a real non-ASCII name.
  ['UTF-8 bytes decoded as Latin-1', Buffer.from('jürgen@exämple.com').toString('latin1'), ['email', 'email_folded', 'account', 'device_id']],
  ['replacement characters from a bad decode', Buffer.from([0xff, 0xfe, 0x41, 0xc3]).toString('utf8'), []],
  ['lone high surrogate', '\ud83d', []],
  ['lone low surrogate', 'a\ude00b', []],
  ['1 MB line', 'a'.repeat(1 << 20), []],
  ['1 MB of separators', '@.:'.repeat(350_000), []],
  ['a CSV row', '"alice@example.com",1,2', opaque],
  ['a JSON object', '{"email":"alice@example.com"}', opaque],
  // Filler characters only: the hygiene list rejects them (identifier-placeholder).
  ['deeply repeated colons', ':'.repeat(1000), []],
  ['many dots', '.'.repeat(1000), []],
  ['deeply repeated colons with a letter', `${':'.repeat(1000)}a`, opaque],
];
const junkValues: [string, unknown][] = [
  ['undefined', undefined],
  ['null', null],
  ['number', 42],
  ['object', { value: 'alice@example.com' }],
  ['bytes', new Uint8Array([0x61])],
];

describe.each(IDENTIFIER_KINDS)('canonicalize(%s, junk)', (kind) => {
  test.each(junkStrings)('%s', (_name, raw, acceptedBy) => {
    const started = performance.now();
    let outcome: unknown;
    try {
      outcome = canonicalize(kind, raw, { region: 'US' });
    } catch (error) {
      outcome = error;
    }
    if (acceptedBy.includes(kind)) {
      expect(typeof outcome).toBe('string');
      expect(canonicalize(kind, outcome as string)).toBe(outcome);
    } else {
      expect(outcome).toBeInstanceOf(InvalidIdentifierError);
    }
    expect(performance.now() - started).toBeLessThan(1000);
  });

  test.each(junkValues)('non-string %s', (_name, raw) => {
    expect(() => canonicalize(kind, raw as string)).toThrowError(ValidationError);
    expect(() => hashIdentifier(kind, raw as string)).toThrowError(ValidationError);
  });
});

test('an unknown kind is a ValidationError naming the allowed kinds', () => {
  for (const kind of ['Email', 'ipv4', '', 'email ', null, 7]) {
    expect(() => canonicalize(kind as IdentifierKind, 'alice@example.com')).toThrowError(expect.objectContaining({ code: 'invalid-kind', message: expect.stringContaining('email_folded') as string }) as Error);
    expect(() => identifierDigest(kind as IdentifierKind, 'alice@example.com')).toThrowError(VennError);
  }
});

test('an unknown phone region is a ValidationError, whatever the value', () => {
  for (const region of ['ZZ', 'USA', 'u', '', '１２', 'XX']) {
    expect(() => canonicalize('phone', '+14155550200', { region })).toThrowError(expect.objectContaining({ code: 'invalid-region' }) as Error);
  }
  // Lowercase codes are accepted; other kinds ignore the region.
  expect(canonicalize('phone', '(415) 555-0200', { region: 'us' })).toBe('+14155550200');
  expect(canonicalize('email', 'a@example.com', { region: 'ZZ' })).toBe('a@example.com');
});

test('options that are not an object are a ValidationError', () => {
  for (const options of [null, 'US', 1]) {
    expect(() => canonicalize('phone', '+14155550100', options as { region?: string })).toThrowError(expect.objectContaining({ code: 'invalid-options' }) as Error);
  }
});

test('identifierDigest takes only non-empty strings', () => {
  for (const canonical of ['', undefined, null, 5, new Uint8Array(3)]) {
    expect(() => identifierDigest('email', canonical as string)).toThrowError(ValidationError);
  }
  expect(identifierDigest('account', '\u{1f600}')).toHaveLength(32);
});

test.each([...junkStrings.map(([n, v]) => [n, v] as [string, unknown]), ...junkValues])('parsePrehashed(junk: %s)', (_name, raw) => {
  expect(() => parsePrehashed(raw as string)).toThrowError(VennError);
});

test('messages name the kind, the value and the reason', () => {
  expect(() => canonicalize('email', 'alice')).toThrowError('email "alice" rejected (email-at-sign): expected exactly one "@", found 0');
  expect(() => canonicalize('ip', '010.0.0.1')).toThrowError(/ip "010\.0\.0\.1" rejected \(ip-syntax\)/);
  // Long values are described by length instead of being echoed whole.
  expect(() => canonicalize('account', 'x'.repeat(2000))).toThrowError(/account string of length 2000 rejected \(too-long\)/);
});

describe('hygiene and rules parsers on junk (spec §12.5, §13)', () => {
  const junk: unknown[] = [null, 42, 'text', {}, [1], [null], [{ kind: 'ip' }], [{ kind: 'ip', value: 7 }], [{ kind: 'ip', value: '' }], [{ kind: 'ip', value: 'x'.repeat(2000) }], [{ kind: 'ip', value: '10.0.0.0/33' }], [{ kind: 'ip', value: '10.0.0.0/08' }], [{ kind: 'ip', value: '::/129' }], [{ kind: 'phone', value: 'call me' }]];
  test.each(junk.map((value) => [JSON.stringify(value) ?? String(value), value] as const))('roster additions %s are a hygiene-invalid ValidationError', (_name, value) => {
    expect(() => hygieneList({ roster: value })).toThrowError(expect.objectContaining({ code: 'hygiene-invalid' }) as Error);
  });

  test.each([
    ['binary', binary],
    ['a kind and no value', 'ip\n'],
    ['an upper-case kind', 'IP 10.0.0.0/8\n'],
    ['an unknown kind', 'fax 123\n'],
    ['a value the kind rejects', 'email not-an-address\n'],
    ['a lone surrogate', 'account a\ud800b\n'],
  ])('a local hygiene file with %s is refused naming the source', (_name, text) => {
    let thrown: unknown;
    try {
      parseHygieneFile(text, 'extra.txt');
    } catch (error) {
      thrown = error;
    }
    expect(thrown).toBeInstanceOf(ValidationError);
    expect(thrown).toMatchObject({ code: 'hygiene-invalid' });
    expect((thrown as Error).message).toMatch(/^extra\.txt:\d+/);
  });

  test('hygiene option junk is a ValidationError', () => {
    for (const hygiene of [null, 'off', {}, true]) {
      expect(() => canonicalize('ip', '192.0.2.1', { hygiene: hygiene as never })).toThrowError(expect.objectContaining({ code: 'invalid-options' }) as Error);
    }
  });

  test.each([undefined, null, 7, '', 'venn/identifier/v2', 'venn/identifier/v0 hygiene/1 libphonenumber-js/1.13.16', 'venn/identifier/v2 hygiene/1 libphonenumber-js/1.13.16\n', 'venn/identifier/v2 hygiene/1 libphonenumber-js/1.13.16 '])('rules string %s is refused', (text) => {
    expect(() => parseIdentifierRules(text)).toThrowError(expect.objectContaining({ code: 'invalid-identifier-rules' }) as Error);
  });
});

test('two rules strings that differ in the phone metadata or the roster additions are told apart, component by component', () => {
  const ours = identifierRulesString(identifierRules());
  const oldMetadata = ours.replace(/libphonenumber-js\/\S+$/, 'libphonenumber-js/1.12.9');
  expect(identifierRulesDiff(ours, ours)).toEqual([]);
  expect(identifierRulesDiff(ours, oldMetadata)).toEqual(['phoneMetadata']);
  const withRoster = identifierRulesString(identifierRules({ hygiene: hygieneList({ roster: [{ kind: 'ip', value: '203.0.113.0/24' }] }) }));
  expect(identifierRulesDiff(ours, withRoster)).toEqual(['hygiene']);
  expect(identifierRulesDiff(ours, 'venn/identifier/v1 hygiene/1 libphonenumber-js/1.13.16')).toContain('spec');
  expect(() => identifierRulesString({ spec: 'venn/identifier/v2', hygiene: 'hygiene/1', phoneMetadata: 'libphonenumber-js/latest' })).toThrowError(expect.objectContaining({ code: 'invalid-identifier-rules' }) as Error);
});

test('the pinned libphonenumber-js is the one installed, and the dependency is an exact version', () => {
  const pkg = JSON.parse(readFileSync(new URL('../package.json', import.meta.url), 'utf8')) as { dependencies: Record<string, string> };
  expect(pkg.dependencies['libphonenumber-js']).toMatch(/^\d+\.\d+\.\d+$/);
  expect(PHONE_METADATA_VERSION).toBe(pkg.dependencies['libphonenumber-js']);
});
