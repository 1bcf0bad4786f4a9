/**
 * Writes protocol-spec/vectors/venn-*.json (SPEC §12). Run from the repository root with
 * `npm run vectors`; `--check` compares instead of writing and fails on any difference; `--out DIR`
 * writes into DIR.
 */
import { readFileSync, writeFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import { VECTOR_FILES, buildVennVectors, vectorText } from './venn-vectors.js';

const vectorsDir = new URL('../../../../protocol-spec/vectors/', import.meta.url);
const check = process.argv.includes('--check');
/** `--out DIR` writes the files there instead (the inputs are still read from protocol-spec/vectors). */
const outAt = process.argv.indexOf('--out');
const outDir = outAt < 0 ? vectorsDir : pathToFileURL(`${resolve(process.argv[outAt + 1]!)}/`);

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
    writeFileSync(new URL(file, outDir), text);
    console.log(`wrote ${new URL(file, outDir).pathname}`);
  }
}
if (stale > 0) process.exit(1);
