#!/usr/bin/env node
/**
 * Regenerates every generated vector file of protocol-spec/vectors (`npm run vectors`): the
 * protocol's (venn-*.json), then the audit vectors (which carry the frames of venn-round.json and
 * venn-epoch.json), the identifier, node and transport vectors. The vectors taken from RFCs and
 * Wycheproof are not generated and are left alone.
 *
 * Run: node scripts/vectors.mjs [--out DIR]   (DIR: write there instead; inputs are still read
 * from protocol-spec/vectors, so DIR holds what the generators make of the committed files)
 */
import { spawnSync } from 'node:child_process';
import { resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = fileURLToPath(new URL('..', import.meta.url));
const outAt = process.argv.indexOf('--out');
const out = outAt < 0 ? [] : ['--out', resolve(process.argv[outAt + 1])];

/** The generators in order: the audit vectors read the protocol's. */
export const GENERATORS = [
  [process.execPath, ['node_modules/typescript/bin/tsc', '-b', 'packages/protocol/scripts']],
  [process.execPath, ['packages/protocol/scripts/dist/generate-vectors.js', ...out]],
  [process.execPath, ['packages/audit/scripts/generate-vectors.mjs', '--write', ...out]],
  [process.execPath, ['packages/identifiers/scripts/generate-vectors.mjs', ...out]],
  [process.execPath, ['packages/node/scripts/generate-vectors.mjs', '--write', ...out]],
  [process.execPath, ['packages/transport/scripts/generate-vectors.mjs', '--write', ...out]],
];

for (const [command, args] of GENERATORS) {
  const run = spawnSync(command, args, { cwd: root, stdio: 'inherit' });
  if (run.status !== 0) {
    console.error(`vectors: ${args.join(' ')} failed`);
    process.exit(1);
  }
}
