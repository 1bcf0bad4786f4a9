// protocol-spec/vectors/identifiers.json against @venn/identifiers: canonical forms, digests,
// collisions, near misses and rejection reasons (protocol-spec/identifiers.md).
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { describe, expect, test } from 'vitest';
import {
  IDENTIFIER_KINDS,
  InvalidIdentifierError,
  canonicalize,
  digestToHex,
  hashIdentifier,
  identifierDigest,
  parsePrehashed,
  type IdentifierKind,
} from '../src/index.js';

interface ValidCase { input: string; region?: string; canonical: string; digest: string }
interface InvalidCase { input: string; region?: string; reason: string; note?: string }
interface KindVectors {
  valid: ValidCase[];
  equivalent: { inputs: { input: string; region?: string }[]; canonical: string; digest: string }[];
  near_misses: { note: string; values: ValidCase[] }[];
  invalid: InvalidCase[];
}
interface Vectors {
  source: string;
  version: number;
  tag: string;
  kinds: Record<IdentifierKind, KindVectors>;
  cross_kind: { note: string; canonical: string; digests: Partial<Record<IdentifierKind, string>> }[];
  prehashed: { kind: IdentifierKind; valid: { input: string; digest: string }[]; invalid: InvalidCase[] };
}

const path = fileURLToPath(new URL('../../../protocol-spec/vectors/identifiers.json', import.meta.url));
const vectors = JSON.parse(readFileSync(path, 'utf8')) as Vectors;

function options(region: string | undefined): { region?: string } {
  return region === undefined ? {} : { region };
}

function label(input: string): string {
  return JSON.stringify(input.length > 60 ? `${input.slice(0, 60)}…` : input);
}

test('the vector file names its source and version and covers every kind with at least 10 valid and some invalid inputs', () => {
  expect(vectors.source).toMatch(/identifiers\.md/);
  expect(vectors.version).toBe(1);
  expect(vectors.tag).toBe('venn/identifier/v1');
  expect(Object.keys(vectors.kinds).sort()).toEqual([...IDENTIFIER_KINDS].sort());
  for (const kind of IDENTIFIER_KINDS) {
    expect(vectors.kinds[kind].valid.length, kind).toBeGreaterThanOrEqual(10);
    expect(vectors.kinds[kind].invalid.length, kind).toBeGreaterThanOrEqual(5);
    expect(vectors.kinds[kind].near_misses.length, kind).toBeGreaterThanOrEqual(1);
  }
});

describe.each(IDENTIFIER_KINDS)('%s', (kind) => {
  const set = vectors.kinds[kind];

  test.each(set.valid.map((c) => [label(c.input), c.region ?? '-', c] as const))('valid %s (region %s)', (_name, _region, c) => {
    const hashed = hashIdentifier(kind, c.input, options(c.region));
    expect(hashed.canonical).toBe(c.canonical);
    expect(digestToHex(hashed.digest)).toBe(c.digest);
    expect(digestToHex(identifierDigest(kind, c.canonical))).toBe(c.digest);
  });

  test.each(set.invalid.map((c) => [label(c.input), c.reason, c] as const))('invalid %s: %s', (_name, reason, c) => {
    let thrown: unknown;
    try {
      canonicalize(kind, c.input, options(c.region));
    } catch (error) {
      thrown = error;
    }
    expect(thrown).toBeInstanceOf(InvalidIdentifierError);
    const error = thrown as InvalidIdentifierError;
    expect(error.reason).toBe(reason);
    expect(error.kind).toBe(kind);
    expect(error.code).toBe(`invalid-${kind.replaceAll('_', '-')}`);
    expect(error.message).toContain(`(${reason})`);
  });

  test('equivalent spellings collide', () => {
    for (const group of set.equivalent) {
      const digests = new Set(group.inputs.map(({ input, region }) => digestToHex(hashIdentifier(kind, input, options(region)).digest)));
      expect([...digests]).toEqual([group.digest]);
    }
  });

  test('near misses do not collide', () => {
    for (const { note, values } of set.near_misses) {
      const digests = values.map(({ input, region }) => digestToHex(hashIdentifier(kind, input, options(region)).digest));
      expect(digests, note).toEqual(values.map((v) => v.digest));
      expect(new Set(digests).size, note).toBe(values.length);
    }
  });
});

test.each(vectors.cross_kind.map((c) => [c.canonical, c] as const))('the kind separates digests of %s', (canonical, c) => {
  const entries = Object.entries(c.digests) as [IdentifierKind, string][];
  for (const [kind, digest] of entries) expect(digestToHex(identifierDigest(kind, canonical))).toBe(digest);
  expect(new Set(entries.map(([, digest]) => digest)).size).toBe(entries.length);
});

describe('prehashed digests (spec §8.1)', () => {
  test.each(vectors.prehashed.valid.map((c) => [label(c.input), c] as const))('valid %s', (_name, c) => {
    expect(digestToHex(parsePrehashed(c.input))).toBe(c.digest);
  });

  test.each(vectors.prehashed.invalid.map((c) => [label(c.input), c.reason, c] as const))('invalid %s: %s', (_name, reason, c) => {
    expect(() => parsePrehashed(c.input)).toThrowError(expect.objectContaining({ reason, code: 'invalid-prehashed' }) as Error);
  });

  test('a prehashed digest equals the digest of the raw value', () => {
    const [first] = vectors.prehashed.valid;
    expect(first).toBeDefined();
    expect(digestToHex(hashIdentifier(vectors.prehashed.kind, 'alice@example.com').digest)).toBe(first?.digest);
  });
});

test('the acceptance examples of issue 3 collide', () => {
  const same = (kind: IdentifierKind, a: string, b: string, region?: string): void => {
    expect(digestToHex(hashIdentifier(kind, a, options(region)).digest)).toBe(digestToHex(hashIdentifier(kind, b, options(region)).digest));
  };
  same('email', ' Alice@Example.COM ', 'alice@example.com');
  same('phone', '+1 (415) 555-0100', '+14155550100', 'US');
  same('ip', '2001:DB8:0:0:0:0:0:1', '2001:db8::1');
});
