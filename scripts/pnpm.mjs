#!/usr/bin/env node
// Runs the pinned pnpm (package.json "packageManager") through npx, so a machine with only
// Node and npm can install, build and test Venn without a global pnpm.
import { spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';

const root = new URL('..', import.meta.url);
const { packageManager } = JSON.parse(readFileSync(new URL('package.json', root), 'utf8'));
const result = spawnSync('npx', ['-y', packageManager, ...process.argv.slice(2)], {
  stdio: 'inherit',
  cwd: root,
  shell: process.platform === 'win32',
});
if (result.error) {
  console.error(`venn: could not start ${packageManager} through npx: ${result.error.message}`);
  process.exit(1);
}
process.exit(result.status ?? 1);
