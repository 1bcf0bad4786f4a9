/**
 * The fuzzers in the test suite: every minimised finding in packages/chaos/corpus replays to a
 * value or a typed error within 1 s; a short seeded run of every target finds nothing; and the
 * runner does report an untyped exception, a slow input and a non-canonical encoding it accepted.
 */
import { mkdtempSync, readFileSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ValidationError } from '@venn/errors';
import { classify, fuzzTarget, inputAt, keepSlowest, minimise } from '../src/internal/fuzz/runner.js';
import { FuzzFinding, TARGET_NAMES, closeTargets, corpusFiles, loadTargets, type FuzzTarget, type TargetName } from '../src/internal/fuzz/targets.js';
import { ensureBuilt } from '../../node/test/helpers/build.js';

const CORPUS = join(dirname(fileURLToPath(import.meta.url)), '../corpus');
let targets: Map<TargetName, FuzzTarget>;

beforeAll(async () => {
  // The CSV and JSONL seeds come from the built `venn synth`.
  ensureBuilt();
  targets = await loadTargets();
}, 120_000);

afterAll(() => closeTargets(targets));

describe('fuzz corpus replay', () => {
  it('has a target for every decoder the issue names, each with valid seeds', async () => {
    expect([...targets.keys()].sort()).toEqual([...TARGET_NAMES].sort());
    for (const target of targets.values()) {
      expect(target.seeds.length, target.name).toBeGreaterThan(0);
      const outcomes = await Promise.all(target.seeds.map((seed) => classify(target, seed)));
      // Seeds include the vector files' negative cases, but each target has a valid one.
      expect(outcomes.some((o) => o.kind === 'valid'), target.name).toBe(true);
      expect(outcomes.filter((o) => o.kind === 'finding'), target.name).toEqual([]);
    }
  });

  it('leaves nothing in the temporary directory once its targets are closed', async () => {
    // os.tmpdir() follows TMPDIR: the targets are built into an empty directory of this test's own.
    const scratch = mkdtempSync(join(tmpdir(), 'venn-fuzz-tmp-'));
    const previous = process.env.TMPDIR;
    process.env.TMPDIR = scratch;
    let loaded: Map<TargetName, FuzzTarget>;
    try {
      loaded = await loadTargets();
    } finally {
      if (previous === undefined) delete process.env.TMPDIR;
      else process.env.TMPDIR = previous;
    }
    try {
      // The config target keeps one directory for its file while it is open.
      expect(readdirSync(scratch).map((name) => name.replace(/-[^-]+$/, ''))).toEqual(['venn-fuzz-config']);
      expect(() => loaded.get('config')!.run(new TextEncoder().encode('{"version":1,"id":"lab-a","listen":"127.0.0.1:7000"}'))).not.toThrow();
      closeTargets(loaded);
      expect(readdirSync(scratch)).toEqual([]);
    } finally {
      rmSync(scratch, { recursive: true, force: true });
    }
  }, 120_000);

  it('replaces the stored slowest input only with one that is slower when both are timed now', async () => {
    // A decoder whose time is the input's first byte in milliseconds.
    const timed: FuzzTarget = {
      name: 'timed', description: 'busy-waits input[0] ms', structure: 'binary', seeds: [Uint8Array.of(0)],
      run(input) {
        const until = performance.now() + (input[0] ?? 0);
        while (performance.now() < until) { /* busy */ }
        return input.length;
      },
    };
    const scratch = mkdtempSync(join(tmpdir(), 'venn-fuzz-slowest-'));
    try {
      const path = join(scratch, 'timed', 'slowest.bin');
      expect((await keepSlowest(timed, path, Uint8Array.of(8))).action).toBe('written');
      expect([...readFileSync(path)]).toEqual([8]);
      // Faster, equal, or slower by less than the margin: the stored input stays.
      expect((await keepSlowest(timed, path, Uint8Array.of(1))).action).toBe('kept');
      // The same bytes again are kept without timing either.
      expect(await keepSlowest(timed, path, Uint8Array.of(8))).toEqual({ action: 'kept', storedMs: null, candidateMs: null });
      expect((await keepSlowest(timed, path, Uint8Array.of(8, 0))).action).toBe('kept');
      expect([...readFileSync(path)]).toEqual([8]);
      // Clearly slower: it replaces the stored one, and the times are reported.
      const replaced = await keepSlowest(timed, path, Uint8Array.of(30));
      expect(replaced.action).toBe('replaced');
      expect(replaced.storedMs).toBeGreaterThanOrEqual(8);
      expect(replaced.candidateMs).toBeGreaterThanOrEqual(30);
      expect([...readFileSync(path)]).toEqual([30]);
      // A stored file that is not an input of this decoder's speed is judged by timing too, not trusted.
      writeFileSync(path, Uint8Array.of(0));
      expect((await keepSlowest(timed, path, Uint8Array.of(5))).action).toBe('replaced');
    } finally {
      rmSync(scratch, { recursive: true, force: true });
    }
  });

  it.each([...TARGET_NAMES])('replays the corpus of %s to values or typed errors within 1 s', async (name) => {
    const target = targets.get(name)!;
    const files = corpusFiles(CORPUS, name);
    // Every target keeps at least the slowest input of the last default run (npm run fuzz).
    expect(files.length).toBeGreaterThan(0);
    for (const file of files) {
      const outcome = await classify(target, new Uint8Array(readFileSync(file)));
      expect(outcome.kind, `${file}: ${outcome.kind === 'finding' ? outcome.error : ''}`).not.toBe('finding');
    }
  });

  it.each([...TARGET_NAMES])('%s: 300 seeded mutants end in a value or a typed error', async (name) => {
    const stats = await fuzzTarget(targets.get(name)!, { seed: 20_261_203, runs: 300, corpusDir: null });
    expect(stats.findings.map((f) => `${f.finding}: ${f.error}`)).toEqual([]);
    expect(stats.inputs).toBe(300);
    // The mutants reach the decoders' rules, not just the first length check. (A bad list row is
    // a reject event, not an error: CSV and JSONL inputs mostly decode.)
    const minimumCodes: Partial<Record<TargetName, number>> = { csv: 1, jsonl: 0, config: 1 };
    expect(Object.keys(stats.codes).length, JSON.stringify(stats.codes)).toBeGreaterThanOrEqual(minimumCodes[name] ?? 3);
    expect(stats.valid + stats.rejected).toBe(300);
  });

  it('draws the same input for the same seed and index, so a hang is reported by its index', () => {
    const target = targets.get('wire')!;
    expect(Buffer.from(inputAt(target, 5, 1234)).equals(Buffer.from(inputAt(target, 5, 1234)))).toBe(true);
    expect(Buffer.from(inputAt(target, 5, 1234)).equals(Buffer.from(inputAt(target, 6, 1234)))).toBe(false);
  });
});

describe('the fuzz runner reports what it must', () => {
  const broken = (run: (input: Uint8Array) => unknown): FuzzTarget => ({ name: 'broken', description: 'a decoder with a planted bug', structure: 'binary', seeds: [new Uint8Array(64).fill(1)], run });

  it('an untyped exception is a finding, minimised to the bytes that cause it', async () => {
    // Planted bug: a 0xff byte anywhere reads past an array (TypeError); anything else is a typed error.
    const target = broken((input) => {
      if (input.includes(0xff)) return (undefined as unknown as { length: number }).length;
      throw new ValidationError('invalid-input', '"input" expected no 0xff');
    });
    const stats = await fuzzTarget(target, { seed: 3, runs: 400, corpusDir: null });
    const finding = stats.findings[0];
    expect(finding?.finding).toBe('untyped-exception');
    expect(finding?.error).toMatch(/^TypeError/);
    expect(Array.from(finding!.input)).toEqual([0xff]);
    expect(stats.rejected).toBeGreaterThan(0);
  });

  it('an input slower than 1 s is a finding', async () => {
    const target = broken((input) => {
      if (input.length > 64) {
        const until = performance.now() + 1100;
        while (performance.now() < until) { /* a decoder stuck on long input */ }
      }
      return input.length;
    });
    const outcome = await classify(target, new Uint8Array(65));
    expect(outcome.kind === 'finding' && outcome.finding).toBe('slow-input');
  });

  it('an input slow once, as a pause of a loaded machine makes it, is not a finding: it must be slow every time', async () => {
    let calls = 0;
    const target = broken((input) => {
      calls += 1;
      if (calls === 1) {
        const until = performance.now() + 1100;
        while (performance.now() < until) { /* the process was descheduled */ }
      }
      return input.length;
    });
    const outcome = await classify(target, new Uint8Array(65));
    expect(outcome.kind).toBe('valid');
    expect(calls).toBe(2);
  });

  it('a canonical format that accepts a second encoding is a finding', async () => {
    const target = broken((input) => {
      if (input[0] === 0x00) throw new FuzzFinding('non-canonical-accepted', 'accepted a leading zero');
      return input;
    });
    const outcome = await classify(target, Uint8Array.of(0, 1, 2, 3));
    expect(outcome.kind === 'finding' && outcome.finding).toBe('non-canonical-accepted');
    expect(Array.from(await minimise(target, Uint8Array.of(0, 1, 2, 3), 'non-canonical-accepted'))).toEqual([0]);
  });
});
