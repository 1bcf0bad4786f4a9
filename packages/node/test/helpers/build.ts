/** Builds packages/node (and its references) once per test run, so child processes run dist/. */
import { spawnSync } from 'node:child_process';
import { mkdirSync, rmdirSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

export const repoRoot = join(dirname(fileURLToPath(import.meta.url)), '../../../..');
export const cliPath = join(repoRoot, 'packages/node/dist/cli.js');
export const distIndex = join(repoRoot, 'packages/node/dist/index.js');

function sleepMs(ms: number): void {
  Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, ms);
}

/** `tsc -b` is incremental; the lock keeps parallel test files from writing dist/ at once. */
export function ensureBuilt(): void {
  const lock = join(tmpdir(), 'venn-node-build.lock');
  for (let waited = 0; ; waited += 100) {
    try {
      mkdirSync(lock);
      break;
    } catch {
      // A lock older than two minutes belongs to a test run that died.
      try { if (Date.now() - statSync(lock).mtimeMs > 120_000) rmdirSync(lock); } catch { /* gone already */ }
      if (waited > 180_000) throw new Error('timed out waiting for the build lock');
      sleepMs(100);
    }
  }
  try {
    const result = spawnSync('npx', ['tsc', '-b', 'packages/node'], { cwd: repoRoot, encoding: 'utf8' });
    if (result.status !== 0) throw new Error(`npx tsc -b packages/node failed:\n${result.stdout}${result.stderr}`);
  } finally {
    rmdirSync(lock);
  }
}
