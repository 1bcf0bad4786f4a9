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
    expect(run.stdout).toMatch(new RegExp(`^wire +${mutants.length} +0 +0 +0 +100\\.0 % +\\d+ s$`, 'm'));
  }, 300_000);

  it('refuses a package that is not a core, naming the choices', () => {
    const run = spawnSync(process.execPath, [join(repoRoot, 'scripts/mutation/run.mjs'), '--package', 'node', '--out', out], { encoding: 'utf8' });
    expect(run.status).toBe(2);
    expect(run.stderr).toBe('mutation: "--package" expected some of wire, protocol, audit, crypto, got "node"\n');
  });
});
