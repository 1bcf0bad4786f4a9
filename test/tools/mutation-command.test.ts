/**
 * `npm run mutation` (scripts/mutation/run.mjs) runs StrykerJS for real over a core's TypeScript
 * sources against that package's own tests. A short run: the one small file of @venn/wire that
 * splits sets into chunks, whose mutants the wire tests must all kill.
 */
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { repoRoot } from '../../packages/node/test/helpers/build.js';
// @ts-expect-error: a plain ES module of the mutation script, without type declarations
import { messageTextMutants } from '../../scripts/mutation/message-texts.mjs';
// @ts-expect-error: a plain ES module of the mutation script, without type declarations
import { listMutants, mutantKey, mutateRange, sampleMutants, wilson } from '../../scripts/mutation/sample.mjs';

const out = mkdtempSync(join(tmpdir(), 'venn-mutation-'));
afterAll(() => rmSync(out, { recursive: true, force: true }));

/** The count of Stryker's initial test run ("Ran N tests"). */
const testsRan = (stdout: string): number => Number(/Initial test run succeeded\. Ran (\d+) tests/.exec(stdout)?.[1] ?? NaN);
let wireTests = NaN;

describe('npm run mutation', () => {
  it('mutates @venn/wire\'s chunking, runs the wire tests against each mutant and reports every mutant killed', async () => {
    const run = spawnSync(process.execPath, [join(repoRoot, 'scripts/mutation/run.mjs'), '--package', 'wire', '--mutate', 'src/internal/chunking.ts', '--concurrency', '1', '--out', out], { encoding: 'utf8', timeout: 240_000 });
    expect(run.status, run.stderr).toBe(0);
    wireTests = testsRan(run.stdout);
    expect(wireTests).toBeGreaterThan(100);
    const report = JSON.parse(readFileSync(join(out, 'wire.json'), 'utf8')) as { files: Record<string, { mutants: Array<{ status: string; mutatorName: string }> }> };
    expect(Object.keys(report.files)).toEqual(['src/internal/chunking.ts']);
    const mutants = report.files['src/internal/chunking.ts']!.mutants;
    expect(mutants.length).toBeGreaterThanOrEqual(5);
    expect(mutants.filter((mutant) => mutant.status !== 'Killed')).toEqual([]);
    expect(readFileSync(join(out, 'wire-survivors.txt'), 'utf8')).toBe('');
    expect(run.stdout).toMatch(new RegExp(`^wire +${mutants.length} +0 +0 +0 +100\\.0 % +0 +100\\.0 % +\\d+ s$`, 'm'));
    // --sample draws from the instrumenter's own list: for this file, exactly the mutants the run made.
    const listed = (await listMutants(repoRoot, join(repoRoot, 'packages/wire'))).filter((mutant: { file: string }) => mutant.file === 'src/internal/chunking.ts');
    expect(listed.length).toBe(mutants.length);
  }, 300_000);

  it('--sample draws mutants from the whole package, tests them and counts only them, with the score\'s 95 % interval; --exclude is named', () => {
    const run = spawnSync(process.execPath, [join(repoRoot, 'scripts/mutation/run.mjs'), '--package', 'wire', '--sample', '3', '--seed', '7', '--exclude', 'test/boundaries.test.ts', '--concurrency', '1', '--out', join(out, 'sample')], { encoding: 'utf8', timeout: 240_000 });
    // The run exits 1 if Stryker's report lacks any drawn mutant: the ranges and keys must agree.
    expect(run.status, run.stderr).toBe(0);
    // The left-out file's tests did not run.
    expect(testsRan(run.stdout)).toBeLessThan(wireTests);
    expect(run.stdout).toMatch(/^mutation: wire \(packages\/wire\/src, 1 runners, 3 of \d+ mutants drawn with seed 7; left out, so the score is a lower bound: test\/boundaries\.test\.ts\)$/m);
    const row = /^wire +(\d+) +(\d+) +(\d+) +(\d+) /m.exec(run.stdout);
    expect(row).not.toBeNull();
    expect(row!.slice(1, 5).map(Number).reduce((a, b) => a + b, 0)).toBe(3);
    expect(run.stdout).toMatch(/^wire: a sample of 3 of \d+ mutants \(seed 7; \d+ tested, counting those inside the drawn ones' ranges\); 95 % interval of the whole package's score \d+\.\d–\d+\.\d %, without message texts \d+\.\d–\d+\.\d %$/m);
  }, 300_000);

  it('refuses a sample of no mutants, a sample with --mutate, a seed that is not a number, and --exclude of what is not a test file of the package', () => {
    const refuse = (args: string[]) => spawnSync(process.execPath, [join(repoRoot, 'scripts/mutation/run.mjs'), '--package', 'wire', ...args, '--out', out], { encoding: 'utf8' });
    expect(refuse(['--sample', '0']).stderr).toBe('mutation: "--sample" expected a positive integer, got "0"\n');
    expect(refuse(['--sample', '4', '--mutate', 'src/index.ts']).stderr).toBe('mutation: "--sample" draws from the whole package; it cannot be combined with "--mutate"\n');
    expect(refuse(['--exclude', 'src/index.ts']).stderr).toBe('mutation: "--exclude" expected test files inside the package (test/NAME.test.ts), got "src/index.ts"\n');
    expect(refuse(['--exclude', 'test/no-such.test.ts']).stderr).toBe('mutation: "--exclude" names test/no-such.test.ts, which packages/wire does not have\n');
    const seed = refuse(['--sample', '4', '--seed', 'x']);
    expect(seed.status).toBe(2);
    expect(seed.stderr).toBe('mutation: "--seed" expected a non-negative integer, got "x"\n');
  });

  it('refuses a package that is not a core, naming the choices', () => {
    const run = spawnSync(process.execPath, [join(repoRoot, 'scripts/mutation/run.mjs'), '--package', 'node', '--out', out], { encoding: 'utf8' });
    expect(run.status).toBe(2);
    expect(run.stderr).toBe('mutation: "--package" expected some of wire, protocol, audit, crypto, got "node"\n');
  });
});

describe('message-text mutants', () => {
  const lines = [
    "if (a) throw new CodecError('too-long', `frame of ${n} bytes`);",
    'if (b) throw new CodecError(',
    "  'truncated',",
    "  'a message (with a paren)',",
    ');',
    "if (c) throw new ValidationError('unpinned', 'text');",
    "const label = 'not a message';",
    "if (d) throw new CodecError('after', 'x'), 'outside';",
  ];
  const source = lines.join('\n');
  const at = (line: number, needle: string): { line: number; column: number } => ({ line, column: lines[line - 1]!.indexOf(needle) + 1 });
  const mutant = (id: string, line: number, needle: string, status: string, mutatorName = 'StringLiteral') => ({ id, mutatorName, status, location: { start: at(line, needle), end: at(line, needle) } });

  it('are the surviving texts inside an error whose code literal\'s mutant was killed, and nothing else', () => {
    const mutants = [
      mutant('code-1', 1, "'too-long'", 'Killed'),
      mutant('text-1', 1, '`frame', 'Survived'),
      mutant('branch-1', 1, 'a)', 'Survived', 'ConditionalExpression'),
      mutant('code-2', 3, "'truncated'", 'Timeout'),
      mutant('text-2', 4, "'a message", 'Survived'),
      mutant('code-3', 6, "'unpinned'", 'Survived'),
      mutant('text-3', 6, "'text'", 'Survived'),
      mutant('label', 7, "'not", 'Survived'),
      mutant('code-4', 8, "'after'", 'Killed'),
      mutant('text-4', 8, "'x'", 'Survived'),
      mutant('outside', 8, "'outside'", 'Survived'),
      mutant('text-killed', 1, '`frame', 'Killed'),
    ];
    expect([...(messageTextMutants(source, mutants) as Set<string>)].sort()).toEqual(['text-1', 'text-2', 'text-4']);
  });
});

describe('sampling mutants', () => {
  it('lists the mutants a whole run makes, with ranges Stryker reads back (lines 1-based, columns 0-based)', async () => {
    const mutants = await listMutants(repoRoot, join(repoRoot, 'packages/wire'));
    const chunking = mutants.filter((mutant: { file: string }) => mutant.file === 'src/internal/chunking.ts');
    expect(chunking.length).toBeGreaterThanOrEqual(5);
    const source = readFileSync(join(repoRoot, 'packages/wire/src/internal/chunking.ts'), 'utf8').split('\n');
    for (const mutant of chunking) {
      const range = /^src\/internal\/chunking\.ts:(\d+):(\d+)-(\d+):(\d+)$/.exec(mutateRange(mutant));
      expect(range).not.toBeNull();
      const [startLine, startColumn] = [Number(range![1]), Number(range![2])];
      // The range starts at the mutated code: line N of the file (1-based), column C (0-based).
      expect(source[startLine - 1]!.length).toBeGreaterThan(startColumn);
      expect(mutant.start.line).toBe(startLine - 1);
    }
  });

  it('draws the same sample from the same seed, another from another, without repeats', () => {
    const list = Array.from({ length: 500 }, (_, i) => ({ file: 'src/x.ts', start: { line: i, column: 0 }, end: { line: i, column: 1 }, mutatorName: 'M', replacement: String(i) }));
    const a = sampleMutants(list, 40, '1');
    expect(sampleMutants(list, 40, '1')).toEqual(a);
    expect(sampleMutants(list, 40, '2')).not.toEqual(a);
    expect(new Set(a.map(mutantKey)).size).toBe(40);
    expect(sampleMutants(list, 900, '1')).toHaveLength(500);
    // Roughly uniform: over 50 seeds, each half of the list gets about half of the draws.
    let low = 0;
    for (let seed = 0; seed < 50; seed++) low += sampleMutants(list, 40, String(seed)).filter((m: { start: { line: number } }) => m.start.line < 250).length;
    expect(low / (50 * 40)).toBeGreaterThan(0.45);
    expect(low / (50 * 40)).toBeLessThan(0.55);
  });

  it('gives the Wilson 95 % interval', () => {
    const at90 = wilson(90, 100);
    expect(at90.low).toBeCloseTo(82.56, 1);
    expect(at90.high).toBeCloseTo(94.48, 1);
    expect(wilson(3, 3).high).toBe(100);
    expect(wilson(0, 0)).toEqual({ low: 0, high: 100 });
  });
});
