/**
 * protocol-spec/errors.md lists every error code of the reference implementation: this test fails
 * when the code base uses a code errors.md does not list, or errors.md lists one nothing uses.
 *
 * errors.md: every table row's first cell holds the codes it documents, each in backticks.
 *
 * The code base: every `.ts` file under packages/<name>/src (tests, scripts and benchmarks are
 * not read). A code is found where the code base writes one, in these forms:
 *   1. constructors of the @venn/errors family (`new ValidationError(...)`, ...): the string
 *      literals of the first argument, both branches of a ternary, not literals compared with
 *      `===` or `!==`;
 *   2. subclasses with a fixed code: `super('code', ...)` in a class extending an error class;
 *   3. helpers that take a code, at the argument position listed in CODE_ARGUMENTS;
 *   4. the kebab-case literals of `code:`, `reason:` and `refused:` properties (with a hyphen, so
 *      that label names such as `reason: 'reason'` are not taken for codes);
 *   5. registries, read whole: CLOSE_CODES (keys), ABORT_REASONS, BUNDLE_CHECKS, the daemon's
 *      RETRYABLE set, the RejectReason and CrossCheckIssueKind unions, and `invalid-<kind>` for
 *      every IDENTIFIER_KINDS entry and `prehashed`;
 *   6. the literals returned by the daemon's `kebab()`, which sanitises received codes.
 * Codes raised only as `new InternalError(...)` are Venn's own bugs, never on a wire or in a file:
 * they are not in errors.md but in INTERNAL_ONLY below, so that each new code is a decision.
 */
import { readFileSync, readdirSync, statSync } from 'node:fs';
import { join, relative } from 'node:path';
import { describe, expect, it } from 'vitest';

const ROOT = new URL('../../', import.meta.url).pathname;
const PACKAGES = join(ROOT, 'packages');
const ERRORS_MD = join(ROOT, 'protocol-spec', 'errors.md');

/** The @venn/errors classes whose first constructor argument is the code. */
const ERROR_CLASSES = ['VennError', 'ValidationError', 'CodecError', 'CryptoError', 'ProtocolError', 'TransportError', 'InternalError'];

/** Helpers that take a code, and the 0-based position of that argument. */
const CODE_ARGUMENTS: Readonly<Record<string, readonly number[]>> = {
  fail: [0], // handshake, round-record and verify-bundle failures
  refuse: [0], // the daemon's round refusals
  end: [0], // Link.end(reason)
  endWith: [0, 1], // SessionImpl.endWith(reason, code)
  endByPeer: [0],
  recordClose: [0],
  abort: [0], // the daemon's local abort of an attempt
  abortUnfinished: [0], // crash recovery's reason
  rowReject: [1], // identifiers.md §8 row-level reasons
  reject: [1], // the CSV reader's wrapper of rowReject
  optionalText: [2],
  abytes: [3], // @venn/crypto's argument check with its own code
};

/** Registries read whole: [file under packages/, declaration name, what to read]. */
const REGISTRIES: readonly (readonly [string, string, 'keys' | 'literals'])[] = [
  ['transport/src/internal/reasons.ts', 'CLOSE_CODES', 'keys'],
  ['protocol/src/internal/abort.ts', 'ABORT_REASONS', 'literals'],
  ['audit/src/internal/verify-bundle.ts', 'BUNDLE_CHECKS', 'literals'],
  ['audit/src/internal/cross-check.ts', 'CrossCheckIssueKind', 'literals'],
  ['identifiers/src/errors.ts', 'RejectReason', 'literals'],
  ['node/src/internal/daemon.ts', 'RETRYABLE', 'literals'],
];

/**
 * Codes of InternalErrors only: Venn's own bugs and broken invariants (a store changed under the
 * node, a wiped key used, a worker pool closed), never on a wire or in a file. A new InternalError
 * code goes here; a code raised with any other class goes into errors.md.
 */
const INTERNAL_ONLY: ReadonlySet<string> = new Set([
  'append-conflict', 'bad-migrations', 'empty-subtree', 'encoder-size', 'key-wiped', 'missing-node',
  'msm-module', 'msm-refused', 'not-ready', 'pool-closed', 'round-already-started', 'round-closed', 'round-not-found',
  'round-not-started', 'sodium-malloc', 'sodium-module', 'sodium-not-ready', 'store-changed', 'transcript-closed',
  'attempt-not-running', 'round-not-running', 'ristretto-module', 'invalid-chunk', 'invalid-chunk-count', 'invalid-streams',
  'epoch-not-found', 'epoch-not-open', 'key-store-closed',
  // a key epoch's staged state not what this node wrote (node.md §10.4)
  'epoch-round-not-found', 'epoch-round-not-staged', 'epoch-round-pending', 'lists-changes-missing', 'paced-write-stalled',
  // venn demo and venn synth checking themselves
  'demo-command', 'demo-daemon', 'demo-daemon-exited', 'demo-schedule', 'demo-slot-timeout', 'demo-step-failed',
  'synth-exhausted', 'synth-junk-accepted',
  // the chaos harness setting itself up
  'chaos-setup',
]);

const CODE = /^[a-z0-9](?:[a-z0-9-]{0,63})$/;

function sourceFiles(): string[] {
  const out: string[] = [];
  const walk = (dir: string): void => {
    for (const name of readdirSync(dir)) {
      const path = join(dir, name);
      if (statSync(path).isDirectory()) walk(path);
      else if (path.endsWith('.ts') && !path.endsWith('.d.ts')) out.push(path);
    }
  };
  for (const pkg of readdirSync(PACKAGES)) {
    const src = join(PACKAGES, pkg, 'src');
    if (statSync(join(PACKAGES, pkg)).isDirectory() && readdirSync(join(PACKAGES, pkg)).includes('src')) walk(src);
  }
  return out;
}

/** Skips a quoted literal or template starting at `i`; returns the index of its closing quote. */
function skipQuoted(text: string, i: number): number {
  const quote = text[i];
  for (let j = i + 1; j < text.length; j++) {
    if (text[j] === '\\') j++;
    else if (text[j] === quote) return j;
  }
  return text.length;
}

/** The arguments of the call whose `(` is at `open`, split at top-level commas. */
function callArguments(text: string, open: number): string[] {
  const args: string[] = [];
  let depth = 0;
  let start = open + 1;
  for (let i = open + 1; i < text.length; i++) {
    const c = text[i];
    if (c === "'" || c === '"' || c === '`') i = skipQuoted(text, i);
    else if (c === '(' || c === '[' || c === '{') depth++;
    else if (c === ')' || c === ']' || c === '}') {
      if (depth === 0) {
        args.push(text.slice(start, i));
        return args;
      }
      depth--;
    } else if (c === ',' && depth === 0) {
      args.push(text.slice(start, i));
      start = i + 1;
    }
  }
  return args;
}

/** Code-shaped single-quoted literals of an expression, leaving out those it compares against. */
function codeLiterals(expression: string): string[] {
  const uncompared = expression.replace(/(?:===|!==|==|!=)\s*'[^'\n]*'/g, '').replace(/'[^'\n]*'\s*(?:===|!==|==|!=)/g, '');
  return [...uncompared.matchAll(/'([^'\\\n]*)'/g)].map((m) => m[1]!).filter((s) => CODE.test(s));
}

/** The text of the declaration `name` (const, type or set) up to its end. */
function declaration(text: string, name: string): string {
  const start = text.search(new RegExp(`(?:const|type)\\s+${name}\\b`));
  if (start < 0) throw new Error(`registry ${name} not found`);
  const end = text.indexOf(';', start);
  return text.slice(start, end);
}

interface Found {
  readonly code: string;
  readonly site: string;
  readonly internal: boolean;
}

/** Every code the sources write, by the six rules of the header comment. */
function findCodes(files: readonly { path: string; text: string }[]): Found[] {
  const found: Found[] = [];
  const add = (code: string, site: string, internal = false): void => void found.push({ code, site, internal });
  // Subclasses whose constructor takes the code first are constructors of rule 1 too.
  const classes = [...ERROR_CLASSES];
  for (const { text } of files) {
    for (const m of text.matchAll(/class\s+(\w+Error)\s+extends\s+\w+Error\b[^{]*\{(?:(?!\bclass\b)[^])*?constructor\(\s*code\b/g)) classes.push(m[1]!);
  }
  for (const { path, text } of files) {
    // 1. constructors
    for (const m of text.matchAll(new RegExp(`new\\s+(${classes.join('|')})\\s*\\(`, 'g'))) {
      const first = callArguments(text, m.index + m[0].length - 1)[0] ?? '';
      for (const code of codeLiterals(first)) add(code, `${path}: new ${m[1]}`, m[1] === 'InternalError');
    }
    // 2. subclasses with a fixed code
    if (new RegExp(`class\\s+\\w+\\s+extends\\s+(?:${ERROR_CLASSES.join('|')}|\\w+Error)\\b`).test(text)) {
      for (const m of text.matchAll(/\bsuper\(\s*'([^']+)'/g)) if (CODE.test(m[1]!)) add(m[1]!, `${path}: super`);
    }
    // 3. helpers
    for (const m of text.matchAll(new RegExp(`(?<![\\w.]function\\s)\\b(${Object.keys(CODE_ARGUMENTS).join('|')})\\s*\\(`, 'g'))) {
      if (/function\s+$/.test(text.slice(Math.max(0, m.index - 10), m.index))) continue;
      const args = callArguments(text, m.index + m[0].length - 1);
      for (const position of CODE_ARGUMENTS[m[1]!]!) {
        for (const code of codeLiterals(args[position] ?? '')) add(code, `${path}: ${m[1]}()`);
      }
    }
    // 4. properties
    for (const m of text.matchAll(/\b(code|reason|refused)\s*:\s*([^,}\n]*)/g)) {
      for (const code of codeLiterals(m[2]!)) if (code.includes('-')) add(code, `${path}: ${m[1]}:`);
    }
    // 6. the daemon's sanitiser
    const kebab = text.indexOf('function kebab(');
    if (kebab >= 0) for (const code of codeLiterals(text.slice(kebab, text.indexOf('\n}', kebab)))) add(code, `${path}: kebab()`);
  }
  return found;
}

/** 5. registries, and `invalid-<kind>` for every identifier kind. */
function registryCodes(read: (path: string) => string): Found[] {
  const found: Found[] = [];
  for (const [file, name, what] of REGISTRIES) {
    const text = declaration(read(file), name);
    const items = what === 'keys'
      ? [...text.matchAll(/(?:^|[{,\n])\s*(?:'([^']+)'|([A-Za-z][\w-]*))\s*:/g)].map((m) => m[1] ?? m[2]!)
      : [...text.matchAll(/'([^']+)'/g)].map((m) => m[1]!);
    if (items.length === 0) throw new Error(`registry ${name} is empty`);
    for (const code of items) found.push({ code, site: `${file}: ${name}`, internal: false });
  }
  const kinds = [...declaration(read('identifiers/src/kinds.ts'), 'IDENTIFIER_KINDS').matchAll(/'([^']+)'/g)].map((m) => m[1]!);
  if (kinds.length === 0) throw new Error('IDENTIFIER_KINDS is empty');
  for (const kind of [...kinds, 'prehashed']) found.push({ code: `invalid-${kind.replaceAll('_', '-')}`, site: 'identifiers/src/errors.ts: InvalidIdentifierError', internal: false });
  return found;
}

/** The codes errors.md documents: the backticked codes of every table row's first cell. */
function documentedCodes(markdown: string): Set<string> {
  const codes = new Set<string>();
  for (const line of markdown.split('\n')) {
    if (!line.startsWith('|') || /^\|[-\s|]+\|$/.test(line)) continue;
    const first = line.split('|')[1] ?? '';
    for (const m of first.matchAll(/`([^`]+)`/g)) if (CODE.test(m[1]!)) codes.add(m[1]!);
  }
  return codes;
}

const files = sourceFiles().map((path) => ({ path: relative(PACKAGES, path), text: readFileSync(path, 'utf8') }));
const found = [...findCodes(files), ...registryCodes((file) => readFileSync(join(PACKAGES, file), 'utf8'))];
const documented = documentedCodes(readFileSync(ERRORS_MD, 'utf8'));

const sites = new Map<string, Found[]>();
for (const f of found) sites.set(f.code, [...(sites.get(f.code) ?? []), f]);
const visible = new Set([...sites.keys()].filter((code) => !INTERNAL_ONLY.has(code)));

describe('protocol-spec/errors.md', () => {
  it('lists every code the reference implementation raises, sends or writes', () => {
    const missing = [...visible].filter((code) => !documented.has(code)).sort();
    expect(missing.map((code) => `${code} (${sites.get(code)!.map((f) => f.site).join('; ')})`)).toEqual([]);
  });

  it('lists no code that nothing uses', () => {
    expect([...documented].filter((code) => !visible.has(code)).sort()).toEqual([]);
  });

  it('allows as internal only codes that exist, are raised as InternalErrors alone and are not listed', () => {
    for (const code of INTERNAL_ONLY) {
      expect(sites.get(code)?.map((f) => f.internal), code).not.toContain(false);
      expect(sites.has(code), code).toBe(true);
      expect(documented.has(code), code).toBe(false);
    }
  });

  it('reads every registry and rule (a broken reader would let codes through)', () => {
    const bySite = (needle: string): string[] => found.filter((f) => f.site.includes(needle)).map((f) => f.code);
    expect(bySite('CLOSE_CODES')).toEqual(expect.arrayContaining(['normal', 'frame-too-large', 'connection-lost', 'tls-failed']));
    expect(bySite('CLOSE_CODES')).toHaveLength(28);
    expect(bySite('ABORT_REASONS')).toContain('peer-abort');
    expect(bySite('BUNDLE_CHECKS')).toContain('intersection-size');
    expect(bySite('RejectReason')).toContain('wallet-checksum');
    expect(bySite('InvalidIdentifierError')).toContain('invalid-device-id');
    expect(bySite('new CodecError')).toContain('forbidden-type'); // a literal on the line after `(`
    expect(bySite('new CodecError')).toEqual(expect.arrayContaining(['missing-field', 'unknown-field'])); // a ternary
    expect(bySite('super')).toEqual(expect.arrayContaining(['usage', 'invalid-config']));
    expect(bySite('refuse()')).toContain('not-initiator');
    expect(bySite('rowReject()')).toContain('field-count');
    expect(bySite('reject()')).toContain('csv-syntax');
    expect(bySite('abytes()')).toContain('proof-length');
    expect(bySite('reason:')).toContain('size-mismatch');
    expect(bySite('kebab()')).toContain('unknown');
    expect(documented.size).toBeGreaterThan(150);
  });
});

describe('the code finder', () => {
  const sample = `
    throw new ValidationError('alpha-code', \`"x" expected y\`);
    throw new CodecError(
      'beta-code',
      'message, with a comma');
    throw new CodecError(kind === 'gamma-compared' ? 'delta-code' : 'epsilon-code', 'm');
    throw new InternalError('zeta-internal', 'bug');
    throw new Error('not-a-venn-code');
    return refuse('eta-code', 'detail');
    const r = { status: 'aborted', reason: 'theta-code', code: 'iota-code', label: 'kappa-code' };
    const labels = { reason: 'reason' };
    link.endWith('lambda-code', 'mu-code', 'detail');
    class PolicyError extends ValidationError { constructor(code: string, message: string) { super(code, message); } }
    throw new PolicyError('nu-code', 'm');
  `;
  const codes = findCodes([{ path: 'sample.ts', text: sample }]);
  const names = codes.map((f) => f.code);

  it('finds codes in constructors, helpers and properties', () => {
    expect(names).toEqual(expect.arrayContaining(['alpha-code', 'beta-code', 'delta-code', 'epsilon-code', 'eta-code', 'theta-code', 'iota-code', 'lambda-code', 'mu-code', 'nu-code']));
  });

  it('marks InternalError codes and skips what is not a code', () => {
    expect(codes.find((f) => f.code === 'zeta-internal')?.internal).toBe(true);
    for (const junk of ['gamma-compared', 'not-a-venn-code', 'kappa-code', 'reason', 'message, with a comma']) expect(names).not.toContain(junk);
  });

  it('reads the first cell of every table row of errors.md and nothing else', () => {
    const markdown = '| code | meaning |\n|---|---|\n| `one-code`, `two-code` | uses `not-this` |\n\nText with `nor-this`.\n| `three` | x |';
    expect([...documentedCodes(markdown)].sort()).toEqual(['one-code', 'three', 'two-code']);
  });

  it('splits call arguments at top-level commas only', () => {
    const text = "f('a, b', g(1, 2), { x: 1, y: 2 }, [3, 4])";
    expect(callArguments(text, 1).map((a) => a.trim())).toEqual(["'a, b'", 'g(1, 2)', '{ x: 1, y: 2 }', '[3, 4]']);
  });
});
