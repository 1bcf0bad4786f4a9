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

const out = mkdtempSync(join(tmpdir(), 'venn-mutation-'));
afterAll(() => rmSync(out, { recursive: true, force: true }));

describe('npm run mutation', () => {
  it('mutates @venn/wire\'s chunking, runs the wire tests against each mutant and reports every mutant killed', () => {
    const run = spawnSync(process.execPath, [join(repoRoot, 'scripts/mutation/run.mjs'), '--package', 'wire', '--mutate', 'src/internal/chunking.ts', '--concurrency', '1', '--out', out], { encoding: 'utf8', timeout: 240_000 });
    expect(run.status, run.stderr).toBe(0);
    const report = JSON.parse(readFileSync(join(out, 'wire.json'), 'utf8')) as { files: Record<string, { mutants: Array<{ status: string; mutatorName: string }> }> };
    expect(Object.keys(report.files)).toEqual(['src/internal/chunking.ts']);
    const mutants = report.files['src/internal/chunking.ts']!.mutants;
    expect(mutants.length).toBeGreaterThanOrEqual(5);
    expect(mutants.filter((mutant) => mutant.status !== 'Killed')).toEqual([]);
    expect(readFileSync(join(out, 'wire-survivors.txt'), 'utf8')).toBe('');
    expect(run.stdout).toMatch(new RegExp(`^wire +${mutants.length} +0 +0 +0 +100\\.0 % +0 +100\\.0 % +\\d+ s$`, 'm'));
  }, 300_000);

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
