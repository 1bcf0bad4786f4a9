/**
 * Every code that a decoder, a round receiver or the bundle verifier can raise on bytes has a
 * negative vector naming it: the codes come from the tables of protocol-spec/errors.md, the
 * expected codes from the vector files. The package tests run each vector against the reference
 * implementation; this test only checks that no code of errors.md is left without one.
 *
 * A row is not a decoder's when its text says so: `(encoding)` and `(assembling)` rows are raised
 * by writers, `local:` and `never sent:` ABORT codes by no frame, and the codes errors.md §6 names
 * as the API's (input that is not bytes) have no bytes to put in a vector. Any other code without a
 * vector must be listed in NO_VECTOR with the reason, and is checked to still have none.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';

const ROOT = new URL('../../', import.meta.url).pathname;
const SPEC = join(ROOT, 'protocol-spec');
const errorsMd = readFileSync(join(SPEC, 'errors.md'), 'utf8');
// eslint-disable-next-line @typescript-eslint/no-explicit-any
const vector = (name: string): any => JSON.parse(readFileSync(join(SPEC, 'vectors', name), 'utf8'));

/** The text of a section of errors.md, from its heading to the next heading of any level. */
function section(heading: string): string {
  const start = errorsMd.indexOf(`\n${heading}`);
  expect(start, `errors.md has a heading "${heading}"`).toBeGreaterThan(0);
  const rest = errorsMd.slice(start + 1);
  const end = rest.slice(1).search(/\n#{2,3} /);
  return end < 0 ? rest : rest.slice(0, end + 1);
}

const backticked = (text: string): string[] => [...text.matchAll(/`([a-z0-9][a-z0-9-]*)`/g)].map((m) => m[1]!);

/** Rows of the first table of a section: the codes of the first cell and the text of the second. */
function rows(text: string): { codes: string[]; when: string }[] {
  const out: { codes: string[]; when: string }[] = [];
  let tables = 0;
  let inTable = false;
  for (const line of text.split('\n')) {
    if (!line.startsWith('|')) {
      inTable = false;
      continue;
    }
    if (!inTable) {
      inTable = true;
      tables++;
      continue; // header row
    }
    if (tables > 1) break;
    if (/^\|\s*-/.test(line)) continue;
    const cells = line.split('|').slice(1, -1).map((c) => c.trim());
    out.push({ codes: backticked(cells[0]!), when: cells[1] ?? '' });
  }
  return out;
}

/** errors.md §6's intro: codes of input that is not bytes "concern the reference implementation's API more than the format". */
const API_ONLY = ((): Set<string> => {
  const sentence = /\(([^)]*)\) concern the reference\s+implementation's API/.exec(section('## 6.'));
  expect(sentence, 'errors.md §6 names the codes of the API').not.toBeNull();
  return new Set(backticked(sentence![1]!));
})();

/** Codes a reader of the format raises on bytes, from the section's table. */
function decoderCodes(text: string): string[] {
  return rows(text)
    .filter((row) => !/^\((encoding|assembling)\)/.test(row.when) && !/^(local|never sent):/.test(row.when))
    .flatMap((row) => row.codes)
    .filter((code) => !API_ONLY.has(code));
}

/** Codes without a vector, each with the reason; the test fails if one of them gets a vector. */
const NO_VECTOR: Readonly<Record<string, Readonly<Record<string, string>>>> = {
  '## 4.': { 'identifier-rules-stale': "decided by the receiver's own store (lists built under other identifier rules than those in force), whatever the frame" },
  '### 6.1': { malformed: 'errors.md §6.1: the structure scan refuses every frame known to reach the msgpack parser first' },
  '### 6.7': { 'key-file-unavailable': 'a file that cannot be read has no bytes' },
};

const log = vector('audit-log-v1.json');
const bundle = vector('audit-bundle-v1.json');
const negative = vector('venn-negative.json');
const epoch = vector('venn-epoch.json');

type Case = { heading: string; what: string; codes: () => string[]; vectors: () => string[] };
const CASES: Case[] = [
  {
    heading: '## 4.', what: 'ABORT codes a received frame causes (venn-negative.json, venn-epoch.json)',
    codes: () => decoderCodes(section('## 4.')),
    vectors: () => [...negative.cases.map((c: { abort: string }) => c.abort), ...epoch.negative.map((c: { abort: string }) => c.abort)],
  },
  {
    heading: '### 6.1', what: 'round message decoding codes (venn-negative.json codec_error)',
    codes: () => decoderCodes(section('### 6.1')),
    vectors: () => negative.cases.flatMap((c: { codec_error?: string }) => (c.codec_error === undefined ? [] : [c.codec_error])),
  },
  {
    heading: '### 6.2', what: 'round record codes (audit-log-v1.json invalid_round_records)',
    codes: () => decoderCodes(section('### 6.2')),
    vectors: () => log.invalid_round_records.map((c: { error: string }) => c.error),
  },
  {
    heading: '### 6.3', what: 'signed tree head codes (audit-log-v1.json invalid_tree_heads)',
    codes: () => decoderCodes(section('### 6.3')),
    vectors: () => log.invalid_tree_heads.map((c: { error: string }) => c.error),
  },
  {
    heading: '### 6.4', what: 'transcript bundle codes (audit-bundle-v1.json invalid_bundles)',
    codes: () => decoderCodes(section('### 6.4')),
    vectors: () => bundle.invalid_bundles.map((c: { error: string }) => c.error),
  },
  {
    heading: '### 6.5', what: 'exported log codes (audit-log-v1.json invalid_exported_logs)',
    codes: () => {
      const text = section('### 6.5');
      // "The msgpack codes of §6.4 (`truncated`, …)": the codes it shares with bundles, listed in its prose.
      const shared = /The msgpack codes of §6\.4 \(([^)]*)\)/.exec(text);
      expect(shared, 'errors.md §6.5 lists the msgpack codes it shares with §6.4').not.toBeNull();
      return [...backticked(shared![1]!), ...decoderCodes(text)];
    },
    vectors: () => log.invalid_exported_logs.map((c: { error: string }) => c.error),
  },
  {
    heading: '### 6.6', what: 'roster codes (roster-v1.json invalid)',
    codes: () => decoderCodes(section('### 6.6')),
    vectors: () => vector('roster-v1.json').invalid.map((c: { error: string }) => c.error),
  },
  {
    heading: '### 6.7', what: 'identity key file codes (identity-key-file-v1.json invalid)',
    codes: () => decoderCodes(section('### 6.7 ')),
    vectors: () => vector('identity-key-file-v1.json').invalid.map((c: { error: string }) => c.error),
  },
  {
    heading: '## 7.', what: 'bundle verifier checks (audit-bundle-v1.json verifier_cases and key_epoch.verifier_cases)',
    codes: () => decoderCodes(section('## 7.')),
    vectors: () => [...bundle.verifier_cases, ...bundle.key_epoch.verifier_cases].flatMap((c: { check?: string }) => (c.check === undefined ? [] : [c.check])),
  },
];

describe('negative vectors cover errors.md', () => {
  it.each(CASES.map((c) => [c.what, c] as const))('%s', (_, c) => {
    const codes = [...new Set(c.codes())];
    expect(codes.length, `errors.md ${c.heading} lists codes`).toBeGreaterThan(2);
    const covered = new Set(c.vectors());
    const exempt = NO_VECTOR[c.heading] ?? {};
    expect(codes.filter((code) => !covered.has(code) && !(code in exempt)), 'codes of errors.md without a negative vector').toEqual([]);
    expect(Object.keys(exempt).filter((code) => covered.has(code)), 'codes listed as without a vector that now have one').toEqual([]);
    expect(Object.keys(exempt).filter((code) => !codes.includes(code)), 'codes listed as without a vector that errors.md does not list here').toEqual([]);
    expect([...covered].filter((code) => !codes.includes(code) && !API_ONLY.has(code)), 'vector codes errors.md does not list here').toEqual([]);
  });
});
