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

/** The tables of a section, each as its header's first cell and its rows (the codes of the first cell, the text of the second). */
function tables(text: string): { head: string; rows: { codes: string[]; when: string }[] }[] {
  const out: { head: string; rows: { codes: string[]; when: string }[] }[] = [];
  let current: { head: string; rows: { codes: string[]; when: string }[] } | undefined;
  for (const line of text.split('\n')) {
    if (!line.startsWith('|')) {
      current = undefined;
      continue;
    }
    const cells = line.split('|').slice(1, -1).map((c) => c.trim());
    if (current === undefined) {
      current = { head: cells[0]!, rows: [] };
      out.push(current);
    } else if (!/^-/.test(cells[0]!)) {
      current.rows.push({ codes: backticked(cells[0]!), when: cells[1] ?? '' });
    }
  }
  return out;
}

/** Rows of the first table of a section. */
const rows = (text: string): { codes: string[]; when: string }[] => tables(text)[0]?.rows ?? [];

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

/**
 * Codes no vector can have, each with the reason: no static bytes produce them (a timer, a
 * resource limit, the node's own state or history, a file that cannot be read). The test fails
 * if one of them gets a vector.
 */
const TIMING = 'timing-dependent: no static bytes produce it';
const LIMIT = 'a resource limit: depends on how many connections are open, not on the bytes of one';
const NO_VECTOR: Readonly<Record<string, Readonly<Record<string, string>>>> = {
  '## 4.': { 'identifier-rules-stale': "decided by the receiver's own store (lists built under other identifier rules than those in force), whatever the frame" },
  '## 2.': {
    normal: 'not a failure: the session ended as intended (frames of transport-handshake-v1.json end with a CLOSE normal)',
    shutdown: 'decided by the local server stopping, not by bytes received',
    'internal-error': 'a failure inside the local application, not caused by bytes received',
    'handshake-timeout': TIMING,
    'idle-timeout': TIMING,
    'heartbeat-timeout': TIMING,
    'too-many-unauthenticated': LIMIT,
    'too-many-from-address': LIMIT,
    'too-many-sessions': LIMIT,
    'too-many-connections': LIMIT,
    'connection-lost': 'recorded locally when a connection ends without a CLOSE: no bytes carry it',
    'connect-failed': 'recorded locally by a dialer that got no HTTP answer: no bytes carry it',
    'tls-failed': 'recorded locally when the TLS handshake fails: TLS bytes, not a Venn format',
  },
  '## 3.': {
    'shutting-down': "decided by the node's own state (it is stopping)",
    'round-replayed': "decided by the node's history (the round id already completed or was disputed here)",
    'round-in-progress': "decided by the node's state (an attempt of the round id is running)",
    'policy-mismatch': "decided by the two nodes' local policies, not by the bytes received",
    'not-initiator': "decided by the node's clock (which slot is current)",
    'slot-not-open': "decided by the node's clock",
    'quota-exceeded': "decided by the node's history (the rounds the peer ran today)",
    'attempts-exhausted': "decided by the node's history (attempts of the round id)",
    'peer-suspended': "decided by the node's history and its operator",
    'budget-exceeded': "local: the initiator's own evaluation budget, before dialing",
    'epoch-nudge-noted': "decided by the node's key epoch state",
    'epoch-mismatch': "decided by the node's key epoch state",
    'epoch-ended': "decided by the node's key epoch state",
    'identifier-rules-stale': "decided by the node's own store (lists built under other identifier rules than those in force)",
  },
  '### 6.1': { malformed: 'errors.md §6.1: the structure scan refuses every frame known to reach the msgpack parser first' },
  '### 6.7 ': { 'key-file-unavailable': 'a file that cannot be read has no bytes' },
  '### 6.8': {
    'ingest-read': 'a file that cannot be opened or read has no bytes',
    'ingest-rejects-write': 'a failure to write the local rejects file: no input bytes cause it',
    'hygiene-read': 'a local hygiene file that cannot be read has no bytes',
  },
  '### 6.8 reasons': {
    'record-too-large': 'a resource limit: the vector would be a CSV record over 4 MiB',
    'line-too-long': 'a resource limit: the vector would be a JSONL line over 4 MiB',
  },
};

/**
 * Codes that bytes can cause but no vector names yet: gaps, not exceptions. The test prints them,
 * fails when one gets a vector (remove it here then), and requires errors.md §6 to name each.
 */
const MISSING_VECTOR: Readonly<Record<string, Readonly<Record<string, string>>>> = {
  '## 3.': { 'round-mismatch': 'a purpose that is not 32 bytes; there is no vector file of node refusals' },
};

const log = vector('audit-log-v1.json');
const bundle = vector('audit-bundle-v1.json');
const negative = vector('venn-negative.json');
const epoch = vector('venn-epoch.json');
const transport = vector('transport-handshake-v1.json');
const identifiers = vector('identifiers.json');

/** `allowed`: codes a vector may name that the section's table does not list. */
type Case = { heading: string; what: string; codes: () => string[]; vectors: () => string[]; allowed?: () => string[] };
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
    heading: '### 6.7 ', what: 'identity key file codes (identity-key-file-v1.json invalid)',
    codes: () => decoderCodes(section('### 6.7 ')),
    vectors: () => vector('identity-key-file-v1.json').invalid.map((c: { error: string }) => c.error),
  },
  {
    heading: '## 2.', what: 'transport close reasons the receiver of the handshake or of a frame raises (transport-handshake-v1.json invalid)',
    codes: () => rows(section('## 2.')).flatMap((row) => row.codes),
    vectors: () => transport.invalid.map((c: { error: string }) => c.error),
  },
  {
    heading: '## 3.', what: 'round refusals (the refusal code of transport-handshake-v1.json purpose-refused cases)',
    codes: () => rows(section('## 3.')).flatMap((row) => row.codes),
    // A refusal may carry any code: the vectors use one errors.md §3 names as theirs, outside its table.
    vectors: () => transport.invalid.flatMap((c: { error: string; code?: string }) => (c.error === 'purpose-refused' && c.code !== undefined ? [c.code] : [])),
    allowed: () => backticked(/\(the vectors use ([^)]*)\)/.exec(section('## 3.'))?.[1] ?? ''),
  },
  {
    heading: '### 6.7a', what: 'epoch key file codes (epoch-key-file-v1.json invalid)',
    codes: () => decoderCodes(section('### 6.7a')),
    vectors: () => vector('epoch-key-file-v1.json').invalid.map((c: { error: string }) => c.error),
  },
  {
    heading: '### 6.8', what: 'identifier and list file codes (identifiers.json)',
    codes: () => tables(section('### 6.8')).filter((t) => t.head === 'code').flatMap((t) => t.rows.flatMap((row) => row.codes)),
    vectors: () => [
      ...Object.entries(identifiers.kinds).flatMap(([kind, v]) => ((v as { invalid: unknown[] }).invalid.length > 0 ? [`invalid-${kind.replaceAll('_', '-')}`] : [])),
      ...(identifiers.prehashed.invalid.length > 0 ? ['invalid-prehashed'] : []),
      ...identifiers.list_files.invalid.map((c: { error: string }) => c.error),
      ...identifiers.list_files.rows.flatMap((c: { rejects: { code: string }[] }) => c.rejects.map((r) => r.code)),
      ...[...identifiers.hygiene.roster_additions.invalid, ...identifiers.hygiene.local_file.invalid, ...identifiers.rules.invalid].map((c: { error: string }) => c.error),
    ],
  },
  {
    heading: '### 6.8 reasons', what: 'identifier and row rejection reasons (identifiers.json)',
    codes: () => tables(section('### 6.8')).filter((t) => t.head === 'reason').flatMap((t) => t.rows.flatMap((row) => row.codes)),
    vectors: () => {
      const reasons = (cases: { reason?: string }[]): string[] => cases.flatMap((c) => (c.reason === undefined ? [] : [c.reason]));
      return [
        ...Object.values(identifiers.kinds).flatMap((v) => reasons((v as { invalid: { reason: string }[] }).invalid)),
        ...reasons(identifiers.prehashed.invalid),
        ...reasons(identifiers.prehashed.listed),
        ...reasons([...identifiers.hygiene.cases, ...identifiers.hygiene.ip, ...identifiers.hygiene.roster_additions.cases]),
        ...identifiers.list_files.rows.flatMap((c: { rejects: { reason: string }[]; dropped?: { reason: string }[] }) => reasons([...c.rejects, ...(c.dropped ?? [])])),
      ];
    },
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
    const missing = MISSING_VECTOR[c.heading] ?? {};
    const allowed = new Set(c.allowed?.() ?? []);
    expect(codes.filter((code) => !covered.has(code) && !(code in exempt) && !(code in missing)), 'codes of errors.md without a negative vector').toEqual([]);
    for (const [list, name] of [[exempt, 'without a vector'], [missing, 'missing a vector']] as const) {
      expect(Object.keys(list).filter((code) => covered.has(code)), `codes listed as ${name} that now have one`).toEqual([]);
      expect(Object.keys(list).filter((code) => !codes.includes(code)), `codes listed as ${name} that errors.md does not list here`).toEqual([]);
    }
    expect(Object.keys(exempt).filter((code) => code in missing), 'codes listed both as without a vector and as missing one').toEqual([]);
    expect([...covered].filter((code) => !codes.includes(code) && !API_ONLY.has(code) && !allowed.has(code)), 'vector codes errors.md does not list here').toEqual([]);
  });

  it('errors.md §6 names every code still missing a vector', () => {
    const gaps = Object.entries(MISSING_VECTOR).flatMap(([heading, codes]) => Object.entries(codes).map(([code, why]) => ({ heading, code, why })));
    // Printed on every run: these are gaps to close, not exceptions.
    for (const gap of gaps) console.warn(`MISSING_VECTOR errors.md ${gap.heading.replace(/^#+ /, '§').replace(/\.?\s*$/, '')} \`${gap.code}\`: ${gap.why}`);
    const intro = /Codes that bytes can cause but no vector names yet:([^]*?)(?:\n\n|\n?$)/.exec(section('## 6.'));
    expect(intro, 'errors.md §6 has a paragraph "Codes that bytes can cause but no vector names yet:"').not.toBeNull();
    const named = backticked(intro![1]!);
    expect(gaps.map((gap) => gap.code).filter((code) => !named.includes(code)), 'codes missing a vector that errors.md §6 does not name').toEqual([]);
    expect(named.filter((code) => !gaps.some((gap) => gap.code === code)), 'codes errors.md §6 names as missing a vector that MISSING_VECTOR does not list').toEqual([]);
  });
});
