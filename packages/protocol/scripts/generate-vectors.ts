/**
 * Writes protocol-spec/vectors/venn-*.json (SPEC §12). Run from the repository root with
 * `npm run vectors`; `--check` compares instead of writing and fails on any difference.
 */
import { readFileSync, writeFileSync } from 'node:fs';
import { VECTOR_FILES, buildVennVectors, vectorText } from './venn-vectors.js';

const vectorsDir = new URL('../../../../protocol-spec/vectors/', import.meta.url);
const check = process.argv.includes('--check');

const rfc9496 = JSON.parse(readFileSync(new URL('rfc9496-ristretto255.json', vectorsDir), 'utf8')) as {
  invalid_encodings: Array<{ reason: string; hex: string }>;
};
const vectors = await buildVennVectors(rfc9496.invalid_encodings);
let stale = 0;
for (const file of VECTOR_FILES) {
  const text = vectorText(vectors[file]);
  const path = new URL(file, vectorsDir);
  if (check) {
    let current = '';
    try {
      current = readFileSync(path, 'utf8');
    } catch {
      // missing counts as stale
    }
    if (current !== text) {
      stale++;
      console.error(`${file}: differs from the generator's output`);
    }
  } else {
    writeFileSync(path, text);
    console.log(`wrote protocol-spec/vectors/${file}`);
  }
}
if (stale > 0) process.exit(1);
