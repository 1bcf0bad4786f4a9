#!/usr/bin/env node
/**
 * Bundles the compiled command line (dist/main.js, from `tsc -b`) into one file, dist/cli.js, the
 * `venn` bin, and the round worker into dist/round-worker.js beside it.
 *
 * Why: every `venn` command starts a Node process. Loaded as some 520 separate ES modules, a start
 * spent about half its CPU time resolving, opening and compiling module files (0.6–0.9 s of CPU
 * per command on a two-core machine); one file starts in a fraction of that. Each command's
 * modules are still evaluated only when that command runs (the command table's dynamic imports
 * become lazy initialisers inside the bundle).
 *
 * Left outside the bundle: better-sqlite3 (a native addon, loaded from its package) and the
 * optional native helpers of msgpackr and ws. Paths the code takes from its own location go
 * through packages/node/src/internal/package-root.ts, which works from any depth.
 *
 * Run after `tsc -b`: `node packages/node/scripts/bundle-cli.mjs` (the root `build` script does).
 */
import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { build } from 'esbuild';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const dist = join(root, 'dist');

// @venn/identifiers reads the pinned libphonenumber-js release from that package's package.json,
// resolved from its own directory. From dist/ that package is not resolvable (it is not a
// dependency of @venn/node), so the bundle carries the value, read here from the same file.
const identifiersRoot = join(root, '..', 'identifiers');
const phoneVersion = JSON.parse(readFileSync(createRequire(join(identifiersRoot, 'package.json')).resolve('libphonenumber-js/package.json'), 'utf8')).version;
const PHONE_VERSION_READ = "createRequire(import.meta.url)('libphonenumber-js/package.json').version";

/** Replaces the one runtime read of libphonenumber-js's version; fails the build if the code changed. */
const phoneMetadataVersion = {
  name: 'venn-phone-metadata-version',
  setup(builder) {
    builder.onLoad({ filter: /[\\/]identifiers[\\/]dist[\\/]rules\.js$/ }, (args) => {
      const text = readFileSync(args.path, 'utf8');
      const parts = text.split(PHONE_VERSION_READ);
      if (parts.length !== 2) throw new Error(`${args.path}: expected one ${PHONE_VERSION_READ}, found ${parts.length - 1}`);
      return { contents: parts.join(JSON.stringify(phoneVersion)), loader: 'js' };
    });
  },
};

// dist/internal/config.js compiles the config schema with ajv when it loads: about 110 ms of every
// command that reads a node directory. The bundle carries ajv's standalone code for the same
// schema, compiled here by the same configAjv() instance, in place of that compile.
const CONFIG_COMPILE = 'const validateConfig = configAjv().compile(configSchema);';
const { configAjv, configSchema } = await import(pathToFileURL(join(dist, 'internal', 'config.js')).href);
const standalone = (await import('ajv/dist/standalone/index.js')).default;
const ajv = configAjv({ code: { source: true, esm: true } });
const configValidator = standalone(ajv, ajv.compile(configSchema));

const precompiledConfig = {
  name: 'venn-precompiled-config',
  setup(builder) {
    builder.onResolve({ filter: /^venn:config-validator$/ }, () => ({ path: 'config-validator', namespace: 'venn' }));
    builder.onLoad({ filter: /.*/, namespace: 'venn' }, () => ({ contents: configValidator, loader: 'js', resolveDir: root }));
    builder.onLoad({ filter: /[\\/]node[\\/]dist[\\/]internal[\\/]config\.js$/ }, (args) => {
      const parts = readFileSync(args.path, 'utf8').split(CONFIG_COMPILE);
      if (parts.length !== 2) throw new Error(`${args.path}: expected one ${CONFIG_COMPILE}, found ${parts.length - 1}`);
      return { contents: `import validateConfigStandalone from 'venn:config-validator';\n${parts.join('const validateConfig = validateConfigStandalone;')}`, loader: 'js' };
    });
  },
};

const common = {
  bundle: true,
  platform: 'node',
  format: 'esm',
  target: 'node20',
  // Node packages written as CommonJS call require(); an ES module bundle has none of its own.
  banner: { js: "import { createRequire as __vennCreateRequire } from 'node:module';\nconst require = __vennCreateRequire(import.meta.url);" },
  external: ['better-sqlite3', 'msgpackr-extract', 'bufferutil', 'utf-8-validate'],
  // Conditions of the compiled packages (their "import" exports), never the TypeScript sources.
  conditions: ['import', 'node'],
  sourcemap: 'linked',
  logLevel: 'warning',
  plugins: [phoneMetadataVersion, precompiledConfig],
};

const started = Date.now();
await build({ ...common, entryPoints: [join(dist, 'main.js')], outfile: join(dist, 'cli.js') });
await build({ ...common, entryPoints: [join(dist, 'internal', 'round-worker.js')], outfile: join(dist, 'round-worker.js') });
if (process.argv.includes('--verbose')) process.stdout.write(`bundled dist/cli.js and dist/round-worker.js in ${Date.now() - started} ms\n`);
