/**
 * The directory of @venn/node's package.json, found from this module's own location. The same
 * code runs from src/internal (tests), dist/internal (the compiled modules) and dist/cli.js (the
 * bundled command line), at different depths, so paths are taken from the package root rather
 * than from this file.
 */
import { existsSync, readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

export function findPackageRoot(from: string, name = '@venn/node'): string {
  for (let dir = dirname(from); ; dir = dirname(dir)) {
    const manifest = join(dir, 'package.json');
    if (existsSync(manifest) && (JSON.parse(readFileSync(manifest, 'utf8')) as { name?: unknown }).name === name) return dir;
    if (dirname(dir) === dir) throw new Error(`no package.json named ${name} in any directory above ${from}`);
  }
}

export const PACKAGE_ROOT: string = findPackageRoot(fileURLToPath(import.meta.url));

/** The command line as run by `venn` (the bundle scripts/bundle-cli.mjs writes). */
export const CLI_PATH: string = join(PACKAGE_ROOT, 'dist', 'cli.js');
