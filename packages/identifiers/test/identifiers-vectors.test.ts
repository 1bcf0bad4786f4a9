// protocol-spec/vectors/identifiers.json against @venn/identifiers: canonical forms, digests,
// collisions, near misses, rejection reasons, the hygiene list and the rules string
// and list files (protocol-spec/identifiers.md).
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { describe, expect, test } from 'vitest';
import { ValidationError } from '@venn/errors';
import {
  BUILT_IN_RULES,
  HYGIENE_REASONS,
  IDENTIFIER_KINDS,
  InvalidIdentifierError,
  PHONE_METADATA_VERSION,
  canonicalize,
  digestToHex,
  hashIdentifier,
  hygieneAdditionsDigest,
  hygieneList,
  identifierDigest,
  identifierRules,
  identifierRulesString,
  parseHygieneFile,
  parseIdentifierRules,
  parsePrehashed,
  readIdentifiers,
  type HygieneEntry,
  type IdentifierKind,
  type ReadIdentifiersOptions,
} from '../src/index.js';
import { PLACEHOLDER_WORDS } from '../src/internal/hygiene.js';

interface Hygiene { reason: string; rule: string }
interface ValidCase { input: string; region?: string; canonical: string; digest: string; hygiene?: Hygiene }
interface InvalidCase { input: string; region?: string; reason: string; rule?: string; note?: string }
interface KindVectors {
  valid: ValidCase[];
  equivalent: { inputs: { input: string; region?: string }[]; canonical: string; digest: string; hygiene?: Hygiene }[];
  near_misses: { note: string; values: ValidCase[] }[];
  invalid: InvalidCase[];
}
interface HygieneCase { kind: IdentifierKind; input: string; canonical?: string; digest?: string; reason?: string; rule?: string; listed?: string; note?: string }
interface Vectors {
  source: string;
  version: number;
  tag: string;
  seed: string;
  phone_metadata: string;
  kinds: Record<IdentifierKind, KindVectors>;
  cross_kind: { note: string; canonical: string; digests: Partial<Record<IdentifierKind, string>> }[];
  prehashed: { kind: IdentifierKind; valid: { input: string; digest: string }[]; invalid: InvalidCase[]; listed: HygieneCase[] };
  hygiene: {
    version: number;
    cases: HygieneCase[];
    ip: HygieneCase[];
    not_listed: HygieneCase[];
    roster_additions: { entries: HygieneEntry[]; digest: string; cases: HygieneCase[]; invalid: { entries: unknown[]; error: string; note: string }[] };
    local_file: { text: string; entries: HygieneEntry[]; invalid: { text: string; error: string; note: string }[] };
  };
  rules: { built_in: string; with_roster_additions: string; invalid: Array<{ text: string; error: string }> };
  list_files: {
    invalid: { description: string; options: ReadIdentifiersOptions; input: string; error: string }[];
    rows: { description: string; options: ReadIdentifiersOptions; input: string; rejects: { line: number; code: string; reason: string }[]; dropped?: { line: number; label: string; reason: string }[] }[];
  };
}

const path = fileURLToPath(new URL('../../../protocol-spec/vectors/identifiers.json', import.meta.url));
const vectors = JSON.parse(readFileSync(path, 'utf8')) as Vectors;

function options(region: string | undefined): { region?: string } {
  return region === undefined ? {} : { region };
}

function label(input: string): string {
  return JSON.stringify(input.length > 60 ? `${input.slice(0, 60)}…` : input);
}

function rejection(run: () => unknown): InvalidIdentifierError {
  let thrown: unknown;
  try {
    run();
  } catch (error) {
    thrown = error;
  }
  expect(thrown).toBeInstanceOf(InvalidIdentifierError);
  return thrown as InvalidIdentifierError;
}

test('the vector file names its source, version and seed and covers every kind with at least 10 valid and some invalid inputs', () => {
  expect(vectors.source).toMatch(/identifiers\.md/);
  expect(vectors.version).toBe(2);
  expect(vectors.tag).toBe('venn/identifier/v2');
  expect(vectors.seed).toMatch(/^venn identifiers/);
  expect(vectors.phone_metadata).toBe(`libphonenumber-js ${PHONE_METADATA_VERSION} (max)`);
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
    expect(canonicalize(kind, c.input, { ...options(c.region), hygiene: false })).toBe(c.canonical);
    expect(digestToHex(identifierDigest(kind, c.canonical))).toBe(c.digest);
    if (c.hygiene === undefined) {
      const hashed = hashIdentifier(kind, c.input, options(c.region));
      expect(hashed.canonical).toBe(c.canonical);
      expect(digestToHex(hashed.digest)).toBe(c.digest);
    } else {
      const error = rejection(() => hashIdentifier(kind, c.input, options(c.region)));
      expect({ reason: error.reason, rule: error.rule }).toEqual(c.hygiene);
    }
  });

  test.each(set.invalid.map((c) => [label(c.input), c.reason, c] as const))('invalid %s: %s', (_name, reason, c) => {
    const error = rejection(() => canonicalize(kind, c.input, options(c.region)));
    expect(error.reason).toBe(reason);
    expect(error.rule).toBe(c.rule);
    expect(error.kind).toBe(kind);
    expect(error.code).toBe(`invalid-${kind.replaceAll('_', '-')}`);
    expect(error.message).toContain(`(${reason})`);
  });

  test('equivalent spellings collide', () => {
    for (const group of set.equivalent) {
      const digests = new Set(group.inputs.map(({ input, region }) => digestToHex(identifierDigest(kind, canonicalize(kind, input, { ...options(region), hygiene: false })))));
      expect([...digests]).toEqual([group.digest]);
    }
  });

  test('near misses do not collide', () => {
    for (const { note, values } of set.near_misses) {
      const digests = values.map(({ input, region }) => digestToHex(identifierDigest(kind, canonicalize(kind, input, { ...options(region), hygiene: false }))));
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
    expect(() => parsePrehashed(c.input)).toThrowError(expect.objectContaining({ reason, rule: c.rule, code: 'invalid-prehashed' }) as Error);
  });

  test.each(vectors.prehashed.listed.map((c) => [c.kind, c.note ?? c.input, c] as const))('%s list: %s', (kind, _note, c) => {
    if (c.reason === undefined) {
      expect(digestToHex(parsePrehashed(c.input, { kind }))).toBe(c.digest);
    } else {
      expect(() => parsePrehashed(c.input, { kind })).toThrowError(expect.objectContaining({ reason: c.reason, rule: c.rule, code: 'invalid-prehashed' }) as Error);
      // Without a kind there is nothing to compare against.
      expect(parsePrehashed(c.input).length).toBe(32);
    }
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
  same('phone', '+1 (415) 555-0200', '+14155550200', 'US');
  same('ip', '2001:DB8:0:0:0:0:0:1', '2001:db8::1');
});

function checkHygieneCase(c: HygieneCase, list = hygieneList()): void {
  const screened = c.reason === undefined || (HYGIENE_REASONS as readonly string[]).includes(c.reason);
  if (c.canonical !== undefined && screened) expect(canonicalize(c.kind, c.input, { hygiene: false })).toBe(c.canonical);
  if (c.reason === undefined) {
    expect(digestToHex(hashIdentifier(c.kind, c.input, { hygiene: list }).digest)).toBe(c.digest);
    return;
  }
  const error = rejection(() => canonicalize(c.kind, c.input, { hygiene: list }));
  expect({ reason: error.reason, rule: error.rule }).toEqual({ reason: c.reason, rule: c.rule });
  expect(error.message).toContain(`(${c.reason})`);
  // The hygiene check works on the canonical form, whatever the metadata makes of the number.
  if (c.rule !== undefined && c.canonical !== undefined) expect(list.check(c.kind, c.canonical)?.rule).toBe(c.rule);
  // A value rejected earlier (e.g. phone-invalid) whose canonical form is on the list.
  if (c.listed !== undefined && c.canonical !== undefined) expect(list.check(c.kind, c.canonical)?.rule).toBe(c.listed);
}

describe('hygiene list (spec §12)', () => {
  const h = vectors.hygiene;

  test.each(h.cases.map((c) => [c.kind, label(c.input), c] as const))('%s %s', (_kind, _input, c) => checkHygieneCase(c));
  test.each(h.ip.map((c) => [c.kind, c.input, c.note ?? '', c] as const))('%s %s (%s)', (_kind, _input, _note, c) => checkHygieneCase(c));
  test.each(h.not_listed.map((c) => [c.kind, label(c.input), c] as const))('not listed: %s %s', (_kind, _input, c) => checkHygieneCase(c));

  test('every rule of the built-in list has a vector, and no vector names an unknown rule', () => {
    const covered = new Set<string>([
      ...h.cases.map((c) => c.rule), ...h.cases.map((c) => c.listed), ...h.ip.map((c) => c.rule), ...vectors.prehashed.invalid.map((c) => c.rule), ...vectors.prehashed.listed.map((c) => c.rule),
      ...IDENTIFIER_KINDS.flatMap((kind) => [...vectors.kinds[kind].valid.map((c) => c.hygiene?.rule), ...vectors.kinds[kind].invalid.map((c) => c.rule)]),
    ].filter((rule): rule is string => rule !== undefined));
    const ids = BUILT_IN_RULES.map((rule) => rule.id);
    expect(ids.filter((id) => !covered.has(id))).toEqual([]);
    expect([...covered].filter((rule) => !ids.includes(rule))).toEqual([]);
    // Each IP rule has a vector for every kind it applies to, inside and next to its ranges.
    for (const rule of BUILT_IN_RULES.filter((r) => r.reason === 'ip-nonunique')) {
      for (const kind of rule.kinds) expect(h.ip.some((c) => c.kind === kind && c.rule === rule.id), `${rule.id} ${kind}`).toBe(true);
    }
    expect(h.ip.filter((c) => c.reason === undefined).length).toBeGreaterThan(20);
  });

  test('every placeholder word and every Ofcom drama prefix of the list has its own vector', () => {
    for (const word of PLACEHOLDER_WORDS) {
      expect(h.cases.some((c) => c.rule === 'placeholder-word' && c.canonical?.toLowerCase().endsWith(word) === true && c.canonical.length - word.length <= 7), word).toBe(true);
    }
    const ofcom = (BUILT_IN_RULES.find((r) => r.id === 'ofcom-drama')?.description ?? '').split(' ').map((p) => p.replace(/x+$/, ''));
    expect(ofcom.length).toBe(19);
    for (const prefix of ofcom) expect(h.cases.some((c) => (c.rule ?? c.listed) === 'ofcom-drama' && c.canonical?.startsWith(prefix) === true), prefix).toBe(true);
  });

  test('roster additions: digest, the rules they catch and what they leave alone', () => {
    const { entries, digest, cases } = h.roster_additions;
    expect(hygieneAdditionsDigest(entries)).toBe(digest);
    expect(hygieneAdditionsDigest([...entries].reverse())).toBe(digest);
    const list = hygieneList({ roster: entries });
    expect(list.rosterDigest).toBe(digest);
    for (const c of cases) checkHygieneCase(c, list);
    // Without the additions the same values are accepted.
    for (const c of cases.filter((x) => x.reason !== undefined)) expect(() => canonicalize(c.kind, c.input)).not.toThrow();
  });

  test.each(h.roster_additions.invalid.map((c) => [c.note, c] as const))('roster additions refused: %s', (_note, c) => {
    expect(() => hygieneList({ roster: c.entries })).toThrowError(expect.objectContaining({ code: c.error }) as Error);
  });

  test('a local extension file is read into canonical entries', () => {
    const { text, entries } = h.local_file;
    expect(parseHygieneFile(text, 'local.txt')).toEqual(entries);
    const list = hygieneList({ local: parseHygieneFile(text, 'local.txt') });
    expect(list.rosterDigest).toBeUndefined();
    expect(list.check('ip_v4_24', '198.51.100.0/24')).toEqual(expect.objectContaining({ reason: 'ip-nonunique', rule: 'local-extension' }));
    expect(list.check('account', 'github:sharedbot')).toEqual(expect.objectContaining({ reason: 'identifier-shared', rule: 'local-extension' }));
  });

  test.each(h.local_file.invalid.map((c) => [c.note, c] as const))('local file refused: %s', (_note, c) => {
    let thrown: unknown;
    try {
      parseHygieneFile(c.text, 'local.txt');
    } catch (error) {
      thrown = error;
    }
    expect(thrown).toBeInstanceOf(ValidationError);
    expect(thrown).toMatchObject({ code: c.error });
    expect((thrown as Error).message).toContain('local.txt');
  });
});

describe('rules in force (spec §13)', () => {
  test('the built-in rules string, and with roster additions', () => {
    expect(identifierRulesString(identifierRules())).toBe(vectors.rules.built_in);
    const list = hygieneList({ roster: vectors.hygiene.roster_additions.entries });
    expect(identifierRulesString(identifierRules({ hygiene: list }))).toBe(vectors.rules.with_roster_additions);
    // Local extensions only remove this lab's own values: they do not change the rules string.
    const local = hygieneList({ roster: vectors.hygiene.roster_additions.entries, local: vectors.hygiene.local_file.entries });
    expect(identifierRulesString(identifierRules({ hygiene: local }))).toBe(vectors.rules.with_roster_additions);
    expect(Buffer.byteLength(vectors.rules.with_roster_additions, 'utf8')).toBeLessThanOrEqual(128);
    expect(parseIdentifierRules(vectors.rules.built_in)).toEqual(identifierRules());
  });

  test.each(vectors.rules.invalid.map(({ text, error }) => [label(text), text, error] as const))('refused: %s', (_name, text, error) => {
    expect(() => parseIdentifierRules(text)).toThrowError(expect.objectContaining({ code: error }) as Error);
  });
});

describe('list files (spec §8)', () => {
  /** The file's bytes in chunks of 7, so that no check depends on seeing the whole file at once. */
  async function* bytes(input: string): AsyncGenerator<Uint8Array> {
    const all = Buffer.from(input, 'hex');
    for (let at = 0; at < all.length; at += 7) yield all.subarray(at, at + 7);
  }

  test.each(vectors.list_files.invalid.map((c) => [c.description, c] as const))('stopped: %s', async (_name, c) => {
    let thrown: unknown;
    try {
      for await (const event of readIdentifiers(bytes(c.input), c.options)) expect.fail(`no row is reported before the error, got ${JSON.stringify(event)}`);
    } catch (error) {
      thrown = error;
    }
    expect(thrown).toBeInstanceOf(ValidationError);
    expect(thrown).toMatchObject({ code: c.error });
  });

  test.each(vectors.list_files.rows.map((c) => [c.description, c] as const))('rows: %s', async (_name, c) => {
    const rejects: { line: number; code: string; reason: string }[] = [];
    const dropped: { line: number; label: string; reason: string }[] = [];
    let accepted = 0;
    for await (const event of readIdentifiers(bytes(c.input), c.options)) {
      if (event.type === 'reject') {
        rejects.push({ line: event.line, code: event.code, reason: event.reason });
        continue;
      }
      accepted++;
      for (const warning of event.warnings ?? []) dropped.push({ line: event.line, label: warning.label, reason: warning.reason });
    }
    expect(rejects).toEqual(c.rejects);
    expect(dropped).toEqual(c.dropped ?? []);
    expect(accepted, 'rows other than the rejected ones are accepted').toBeGreaterThan(0);
  });
});
