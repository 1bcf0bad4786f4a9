/**
 * A uniform random sample of a package's mutants, for a score estimate when testing every mutant
 * would take hours (audit has some 4,400). The mutants are listed by Stryker's own instrumenter
 * with Stryker's defaults, so the list is the one a whole run tests; `seed` draws the sample.
 *
 * Stryker has no option to test chosen mutants, only source ranges. A mutant's range is its node's
 * exact location, which also holds the mutants of the nodes inside it (a removed block holds every
 * mutant of the block). Those are tested too, but only the drawn mutants are counted: each mutant
 * is in the count with the same probability, so killed / counted estimates the whole package's
 * score without bias.
 */
import { createHash } from 'node:crypto';
import { readFileSync, readdirSync, realpathSync, statSync } from 'node:fs';
import { createRequire } from 'node:module';
import { join, relative } from 'node:path';
import { pathToFileURL } from 'node:url';

const silent = {
  isTraceEnabled: () => false, isDebugEnabled: () => false, isInfoEnabled: () => false, isWarnEnabled: () => true, isErrorEnabled: () => true, isFatalEnabled: () => true,
  trace() {}, debug() {}, info() {}, warn(...args) { process.stderr.write(`${args.join(' ')}\n`); }, error(...args) { process.stderr.write(`${args.join(' ')}\n`); }, fatal(...args) { process.stderr.write(`${args.join(' ')}\n`); },
};

function sourceFiles(dir) {
  const files = [];
  const walk = (at) => {
    for (const name of readdirSync(at).sort()) {
      const path = join(at, name);
      if (statSync(path).isDirectory()) walk(path);
      else if (path.endsWith('.ts') && !path.endsWith('.d.ts')) files.push(path);
    }
  };
  walk(join(dir, 'src'));
  return files;
}

/**
 * Every mutant of packages/NAME/src/**\/*.ts as a whole Stryker run makes them: `{ file, start, end,
 * mutatorName, replacement }`, `file` relative to the package, lines and columns 0-based.
 */
export async function listMutants(root, dir) {
  // The instrumenter is Stryker core's own dependency, found from core's real location.
  const core = createRequire(realpathSync(join(root, 'node_modules', '@stryker-mutator', 'core', 'package.json')));
  const { Instrumenter } = await import(pathToFileURL(core.resolve('@stryker-mutator/instrumenter')).href);
  const files = sourceFiles(dir).map((name) => ({ name, content: readFileSync(name, 'utf8'), mutate: true }));
  const result = await new Instrumenter(silent).instrument(files, { plugins: null, excludedMutations: [], ignorers: [], noHeader: true });
  return result.mutants.map((mutant) => ({
    file: relative(dir, mutant.fileName),
    start: { line: mutant.location.start.line, column: mutant.location.start.column },
    end: { line: mutant.location.end.line, column: mutant.location.end.column },
    mutatorName: mutant.mutatorName,
    replacement: mutant.replacement,
  }));
}

/** `n` of `mutants`, drawn without replacement by a generator seeded with `seed`; in list order. */
export function sampleMutants(mutants, n, seed) {
  const indices = mutants.map((_, i) => i);
  let counter = 0;
  // SHA-256 in counter mode: the same seed draws the same sample on every machine.
  const next = (bound) => {
    const word = createHash('sha256').update(`venn/mutation-sample/${seed}/${counter++}`).digest().readUIntBE(0, 6);
    return word % bound;
  };
  const take = Math.min(n, mutants.length);
  for (let i = 0; i < take; i++) {
    const j = i + next(indices.length - i);
    [indices[i], indices[j]] = [indices[j], indices[i]];
  }
  return indices.slice(0, take).sort((a, b) => a - b).map((i) => mutants[i]);
}

/** Stryker's `mutate` range for a mutant: lines 1-based, columns 0-based, as Stryker reads them. */
export function mutateRange(mutant) {
  return `${mutant.file}:${mutant.start.line + 1}:${mutant.start.column}-${mutant.end.line + 1}:${mutant.end.column}`;
}

/** One key for a listed mutant and for the same mutant in Stryker's report (lines and columns 1-based there). */
export function mutantKey(mutant) {
  return JSON.stringify([mutant.file, mutant.start.line, mutant.start.column, mutant.end.line, mutant.end.column, mutant.mutatorName, mutant.replacement ?? '']);
}

export function reportKey(file, mutant) {
  const { start, end } = mutant.location;
  return JSON.stringify([file, start.line - 1, start.column - 1, end.line - 1, end.column - 1, mutant.mutatorName, mutant.replacement ?? '']);
}

/** The Wilson score interval of k successes in n at 95 %, as percentages. */
export function wilson(k, n) {
  if (n === 0) return { low: 0, high: 100 };
  const z = 1.959964;
  const p = k / n;
  const denominator = 1 + (z * z) / n;
  const centre = (p + (z * z) / (2 * n)) / denominator;
  const half = (z * Math.sqrt((p * (1 - p)) / n + (z * z) / (4 * n * n))) / denominator;
  return { low: 100 * Math.max(0, centre - half), high: 100 * Math.min(1, centre + half) };
}
