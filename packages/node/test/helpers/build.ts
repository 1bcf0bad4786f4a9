/**
 * The built command line for tests that run it as a child process. The suite's global setup
 * (test/global-setup.ts) builds packages/node and bundles the CLI once per run; ensureBuilt() is
 * then free. Outside that setup it builds here, under a lock so parallel files do not write
 * dist/ at once.
 */
import { spawnSync } from 'node:child_process';
import { mkdirSync, rmdirSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { inject } from 'vitest';

export const repoRoot = join(dirname(fileURLToPath(import.meta.url)), '../../../..');
export const cliPath = join(repoRoot, 'packages/node/dist/cli.js');
export const distIndex = join(repoRoot, 'packages/node/dist/index.js');

declare module 'vitest' {
  export interface ProvidedContext {
    /** Set by test/global-setup.ts once packages/node is compiled and dist/cli.js bundled. */
    vennCliBuilt: boolean;
  }
}

function sleepMs(ms: number): void {
  Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, ms);
}

/** `tsc -b packages/node` (incremental), then the CLI bundle (packages/node/scripts/bundle-cli.mjs). */
export function buildCli(): void {
  for (const args of [[join(repoRoot, 'node_modules/typescript/bin/tsc'), '-b', 'packages/node'], [join(repoRoot, 'packages/node/scripts/bundle-cli.mjs')]]) {
    const result = spawnSync(process.execPath, args, { cwd: repoRoot, encoding: 'utf8' });
    if (result.status !== 0) throw new Error(`node ${args.join(' ')} failed:\n${result.stdout}${result.stderr}`);
  }
}

export function ensureBuilt(): void {
  if (inject('vennCliBuilt')) return;
  withBuildLock(buildCli);
}

/** ensureBuilt, then the benchmarks (`tsc -b packages/node/bench`), under the same lock as every build here. */
export function ensureBenchBuilt(): void {
  ensureBuilt();
  withBuildLock(() => {
    const args = [join(repoRoot, 'node_modules/typescript/bin/tsc'), '-b', 'packages/node/bench'];
    const result = spawnSync(process.execPath, args, { cwd: repoRoot, encoding: 'utf8' });
    if (result.status !== 0) throw new Error(`node ${args.join(' ')} failed:\n${result.stdout}${result.stderr}`);
  });
}

/** Runs `build` holding a lock directory, so test files running at once never build the same output together. */
function withBuildLock(build: () => void): void {
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
    build();
  } finally {
    rmdirSync(lock);
  }
}
