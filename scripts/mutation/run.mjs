#!/usr/bin/env node
/**
 * npm run mutation -- [--package wire,protocol,audit,crypto] [--concurrency N] [--mutate GLOB] [--out DIR]
 *                       [--sample N [--seed S]] [--exclude TEST,...]
 *
 * Mutation testing of the security-critical cores with StrykerJS and its vitest runner. Each
 * package's TypeScript sources are mutated and run against that package's own tests (the
 * `venn-source` condition, no build). Prints one row per package: mutants killed, survived,
 * timed out and not covered, and the score, killed + timed out over all valid mutants (Stryker's
 * definition). Reports go to build-output/mutation/ (or --out): PACKAGE.json (Stryker's
 * mutation-testing report) and PACKAGE-survivors.txt (each surviving or uncovered mutant: file,
 * line, mutator, replacement).
 *
 * --sample N tests N mutants drawn at random (seed --seed, default 1) from the whole package and
 * prints the score over them with its 95 % interval (sample.mjs): an estimate in minutes where a
 * whole run of audit or protocol takes hours. Mutants inside a drawn one's range are tested too
 * but not counted.
 *
 * --exclude leaves more test files (paths inside the package, e.g. test/memory.test.ts) out of the
 * run, for packages whose heavy tests cover nearly every mutant. A left-out test kills nothing, so
 * the score is then a lower bound of the score with every test; the header line names them.
 */
import { spawnSync } from 'node:child_process';
import { existsSync, lstatSync, mkdirSync, readFileSync, readdirSync, rmSync, symlinkSync, unlinkSync, writeFileSync } from 'node:fs';
import { cpus, loadavg } from 'node:os';
import { dirname, join, relative, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { messageTextMutants } from './message-texts.mjs';
import { listMutants, mutantKey, mutateRange, reportKey, sampleMutants, wilson } from './sample.mjs';

/**
 * Stryker copies a package into packages/NAME/.stryker-tmp/sandbox-*, two levels deeper than the
 * package. Tests reach the repository by relative paths (../../../protocol-spec/vectors/...,
 * ../../protocol/scripts/...), which from the copy would miss, so the test file would not load and
 * its tests would silently not count. These links make the same paths land on the same files from
 * the copy: packages/NAME/protocol-spec and packages/NAME/.stryker-tmp/SIBLING. Returns their
 * paths, for removal after the run.
 */
function linkRepositoryPaths(dir) {
  const made = [];
  const link = (target, path) => {
    if (existsSync(path) || isLink(path)) return;
    symlinkSync(target, path);
    made.push(path);
  };
  link(join('..', '..', 'protocol-spec'), join(dir, 'protocol-spec'));
  mkdirSync(join(dir, '.stryker-tmp'), { recursive: true });
  for (const sibling of readdirSync(join(root, 'packages'))) link(join('..', '..', sibling), join(dir, '.stryker-tmp', sibling));
  return made;
}

function isLink(path) {
  try { return lstatSync(path).isSymbolicLink(); } catch { return false; }
}

const here = dirname(fileURLToPath(import.meta.url));
const root = join(here, '..', '..');

/** The cores the mutation score is kept for, and the tests too slow to run once per mutant. */
const CORES = {
  wire: { exclude: [] },
  protocol: { exclude: [] },
  audit: { exclude: [] },
  // The timing test measures the machine, not the code's results: under a mutation run's load its
  // verdicts would be noise. The RFC and property tests pin every result.
  crypto: { exclude: ['test/dudect.test.ts'] },
};

const { values } = parseArgs({
  options: {
    package: { type: 'string', default: Object.keys(CORES).join(',') },
    concurrency: { type: 'string', default: String(Math.max(1, cpus().length)) },
    mutate: { type: 'string' },
    out: { type: 'string', default: join(root, 'build-output', 'mutation') },
    sample: { type: 'string' },
    seed: { type: 'string', default: '1' },
    exclude: { type: 'string', default: '' },
    help: { type: 'boolean', default: false },
  },
});
if (values.help) {
  process.stdout.write(`usage: npm run mutation -- [--package ${Object.keys(CORES).join(',')}] [--concurrency N] [--mutate GLOB,...] [--out DIR] [--sample N [--seed S]] [--exclude TEST,...]\n`);
  process.exit(0);
}
const packages = values.package.split(',').filter((name) => name !== '');
for (const name of packages) {
  if (!(name in CORES)) {
    process.stderr.write(`mutation: "--package" expected some of ${Object.keys(CORES).join(', ')}, got "${name}"\n`);
    process.exit(2);
  }
}
const concurrency = Number(values.concurrency);
if (!Number.isSafeInteger(concurrency) || concurrency < 1) {
  process.stderr.write(`mutation: "--concurrency" expected a positive integer, got "${values.concurrency}"\n`);
  process.exit(2);
}

const sampleSize = values.sample === undefined ? undefined : Number(values.sample);
if (sampleSize !== undefined && (!Number.isSafeInteger(sampleSize) || sampleSize < 1)) {
  process.stderr.write(`mutation: "--sample" expected a positive integer, got "${values.sample}"\n`);
  process.exit(2);
}
if (sampleSize !== undefined && values.mutate !== undefined) {
  process.stderr.write('mutation: "--sample" draws from the whole package; it cannot be combined with "--mutate"\n');
  process.exit(2);
}
if (!/^[0-9]{1,9}$/.test(values.seed)) {
  process.stderr.write(`mutation: "--seed" expected a non-negative integer, got "${values.seed}"\n`);
  process.exit(2);
}

const extraExcluded = values.exclude.split(',').filter((name) => name !== '');
for (const name of extraExcluded) {
  if (!/^test\/[A-Za-z0-9._/-]+\.test\.ts$/.test(name)) {
    process.stderr.write(`mutation: "--exclude" expected test files inside the package (test/NAME.test.ts), got "${name}"\n`);
    process.exit(2);
  }
}
for (const name of packages) {
  for (const file of extraExcluded) {
    if (!existsSync(join(root, 'packages', name, file))) {
      process.stderr.write(`mutation: "--exclude" names ${file}, which packages/${name} does not have\n`);
      process.exit(2);
    }
  }
}

const out = resolve(values.out);
mkdirSync(out, { recursive: true });
const rows = [];
for (const name of packages) {
  const dir = join(root, 'packages', name);
  const report = join(out, `${name}.json`);
  let sampled;
  let mutate = values.mutate === undefined ? ['src/**/*.ts', '!src/**/*.d.ts'] : values.mutate.split(',');
  if (sampleSize !== undefined) {
    const all = await listMutants(root, dir);
    const drawn = sampleMutants(all, sampleSize, values.seed);
    sampled = { of: all.length, keys: new Set(drawn.map(mutantKey)) };
    mutate = [...new Set(drawn.map(mutateRange))];
  }
  const config = {
    $schema: relative(out, join(root, 'node_modules/@stryker-mutator/core/schema/stryker-schema.json')),
    packageManager: 'npm',
    testRunner: 'vitest',
    // The tests import their package by name, which vitest cannot trace to the mutated file.
    vitest: { configFile: join(here, 'vitest.config.ts'), related: false },
    plugins: ['@stryker-mutator/vitest-runner'],
    mutate,
    coverageAnalysis: 'perTest',
    concurrency,
    timeoutMS: 10_000,
    reporters: ['json', 'progress'],
    jsonReporter: { fileName: report },
    // Each run has its own sandbox-* directory under the package's .stryker-tmp, removed at its end.
    cleanTempDir: 'always',
    // Stryker rewrites only the package's own tsconfig.json for the sandbox; a nested one (protocol's
    // scripts/) would still extend a path outside it, and vite could not load the tests that import
    // from there. Without it vite uses the package's.
    ignorePatterns: ['dist', 'bench', 'wasm', '*.tsbuildinfo', 'scripts/tsconfig.json', '/protocol-spec'],
    thresholds: { high: 90, low: 80, break: null },
  };
  const configPath = join(out, `${name}.stryker.json`);
  writeFileSync(configPath, `${JSON.stringify(config, null, 2)}\n`);
  rmSync(report, { force: true });
  const started = Date.now();
  const sampleNote = sampled === undefined ? '' : `, ${sampled.keys.size} of ${sampled.of} mutants drawn with seed ${values.seed}`;
  const excluded = [...CORES[name].exclude, ...extraExcluded];
  const excludedNote = extraExcluded.length === 0 ? '' : `; left out, so the score is a lower bound: ${extraExcluded.join(', ')}`;
  process.stdout.write(`mutation: ${name} (packages/${name}/src, ${concurrency} runners${sampleNote}${excludedNote})\n`);
  const links = linkRepositoryPaths(dir);
  let run;
  try {
    run = spawnSync(process.execPath, [join(root, 'node_modules/@stryker-mutator/core/bin/stryker.js'), 'run', configPath], {
      cwd: dir, stdio: 'inherit', env: { ...process.env, VENN_MUTATION_EXCLUDE: excluded.join(',') },
    });
  } finally {
    for (const path of links) unlinkSync(path);
  }
  if (run.status !== 0) {
    process.stderr.write(`mutation: stryker failed on ${name} (exit ${run.status ?? run.signal})\n`);
    process.exit(1);
  }
  const result = JSON.parse(readFileSync(report, 'utf8'));
  const counts = { Killed: 0, Survived: 0, Timeout: 0, NoCoverage: 0, CompileError: 0, RuntimeError: 0, Ignored: 0 };
  const survivors = [];
  let messageTexts = 0;
  let found = 0;
  let tested = 0;
  for (const [file, { source, mutants }] of Object.entries(result.files)) {
    const texts = messageTextMutants(source, mutants);
    tested += mutants.length;
    for (const mutant of mutants) {
      // A sampled run counts the drawn mutants only, not the ones inside their ranges.
      if (sampled !== undefined && !sampled.keys.has(reportKey(file, mutant))) continue;
      found++;
      counts[mutant.status] = (counts[mutant.status] ?? 0) + 1;
      if (mutant.status === 'Survived' || mutant.status === 'NoCoverage') {
        const text = texts.has(mutant.id);
        if (text) messageTexts++;
        survivors.push(`${relative(root, join(dir, file))}:${mutant.location.start.line}:${mutant.location.start.column} ${mutant.status} ${mutant.mutatorName}${text ? ' (message text; the error\'s code is pinned)' : ''}: ${JSON.stringify(mutant.replacement ?? '')}`);
      }
    }
  }
  if (sampled !== undefined && found !== sampled.keys.size) {
    process.stderr.write(`mutation: Stryker's report on ${name} holds ${found} of the ${sampled.keys.size} drawn mutants; the instrumenter's list and the run disagree\n`);
    process.exit(1);
  }
  writeFileSync(join(out, `${name}-survivors.txt`), survivors.length === 0 ? '' : `${survivors.join('\n')}\n`);
  const detected = counts.Killed + counts.Timeout;
  const valid = detected + counts.Survived + counts.NoCoverage;
  const interval = sampled === undefined ? undefined : { of: sampled.of, tested, all: wilson(detected, valid), withoutTexts: wilson(detected, valid - messageTexts) };
  rows.push({
    name, ...counts, messageTexts, score: valid === 0 ? 100 : (100 * detected) / valid,
    // The target counts a message-text mutant as equivalent where a test pins the error's code.
    scoreWithoutTexts: valid - messageTexts === 0 ? 100 : (100 * detected) / (valid - messageTexts),
    seconds: (Date.now() - started) / 1000,
    interval,
  });
}

const header = ['package', 'killed', 'timeout', 'survived', 'no coverage', 'score', 'message texts', 'score without them', 'time'];
const lines = rows.map((row) => [row.name, row.Killed, row.Timeout, row.Survived, row.NoCoverage, `${row.score.toFixed(1)} %`, row.messageTexts, `${row.scoreWithoutTexts.toFixed(1)} %`, `${row.seconds.toFixed(0)} s`].map(String));
const widths = header.map((title, i) => Math.max(title.length, ...lines.map((line) => line[i].length)));
const format = (cells) => cells.map((cell, i) => (i === 0 ? cell.padEnd(widths[i]) : cell.padStart(widths[i]))).join('  ');
process.stdout.write(`\n${format(header)}\n${lines.map(format).join('\n')}\n`);
for (const row of rows.filter((entry) => entry.interval !== undefined)) {
  const range = ({ low, high }) => `${low.toFixed(1)}–${high.toFixed(1)} %`;
  process.stdout.write(`${row.name}: a sample of ${row.Killed + row.Timeout + row.Survived + row.NoCoverage + row.CompileError + row.RuntimeError + row.Ignored} of ${row.interval.of} mutants (seed ${values.seed}; ${row.interval.tested} tested, counting those inside the drawn ones' ranges); 95 % interval of the whole package's score ${range(row.interval.all)}, without message texts ${range(row.interval.withoutTexts)}\n`);
}
process.stdout.write(`load average ${loadavg().map((n) => n.toFixed(2)).join(' ')} on ${cpus().length} cores; survivors in ${relative(root, out)}/PACKAGE-survivors.txt\n`);
