/**
 * The `venn` bin, packages/node/dist/cli.js, is one bundled file (scripts/bundle-cli.mjs) that
 * carries two things computed when it is built: ajv's standalone code for the config schema and
 * the pinned libphonenumber-js release. These tests hold the bundle to the modules it was built
 * from, and check that it loads no module file of ours at run time.
 */
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { PHONE_METADATA_VERSION } from '@venn/identifiers';
import { CONFIG_FILE, ConfigError, parseConfig } from '../src/internal/config.js';
import { cliPath, ensureBuilt } from './helpers/build.js';
import { venn } from './helpers/cli.js';

const root = mkdtempSync(join(tmpdir(), 'venn-cli-bundle-'));
beforeAll(() => ensureBuilt());
afterAll(() => rmSync(root, { recursive: true, force: true }));

describe('the bundled command line', () => {
  it('imports only Node built-ins and the packages left outside the bundle', () => {
    const text = readFileSync(cliPath, 'utf8');
    const specifiers = new Set<string>();
    for (const match of text.matchAll(/^\s*import\s[^'";]*?\sfrom\s*"([^"]+)";?$|^\s*import\s*"([^"]+)";?$|\bimport\("([^"]+)"\)/gm)) specifiers.add(match[1] ?? match[2] ?? match[3]!);
    const foreign = [...specifiers].filter((specifier) => !specifier.startsWith('node:') && specifier !== 'module' && specifier !== 'better-sqlite3');
    expect(foreign).toEqual([]);
    expect(specifiers).toContain('better-sqlite3');
    // The round worker is bundled beside it, where the worker pool looks for it.
    expect(readFileSync(join(cliPath, '..', 'round-worker.js'), 'utf8')).toMatch(/^#!|^import|^\/\//);
  });

  it('validates venn.config.json exactly as the modules do: the same verdict and the same message for each document', async () => {
    const init = await venn(['init', '--dir', join(root, 'lab-a'), '--id', 'lab-a', '--listen', '127.0.0.1:7999']);
    expect(init.code, init.stderr).toBe(0);
    const base = JSON.parse(readFileSync(join(root, 'lab-a', CONFIG_FILE), 'utf8')) as Record<string, unknown>;
    const documents: Array<Record<string, unknown> | unknown[] | string> = [
      base,
      { ...base, workers: 4, workerNice: 0 },
      { ...base, unknownField: true },
      { ...base, workers: 99, workerNice: -1 },
      { ...base, workers: '2' },
      { ...base, id: '' },
      { ...base, version: 2 },
      { ...base, listen: 7001 },
      { ...base, policy: { maxSetSize: -1 } },
      { ...base, peers: { 'lab-b': { modes: ['bogus'] } } },
      { ...base, retry: { maxAttempts: 'many' } },
      { ...base, adminAllowedHosts: [1, 'x'] },
      Object.fromEntries(Object.entries(base).filter(([key]) => key !== 'id')),
      [],
      'a string',
    ];
    const dirs = documents.map((document, i) => {
      const dir = mkdtempSync(join(root, `doc-${i}-`));
      writeFileSync(join(dir, CONFIG_FILE), JSON.stringify(document));
      return dir;
    });
    const runs = await Promise.all(dirs.map((dir) => venn(['lists', '--dir', dir, '--json'])));
    let refused = 0;
    for (const [i, document] of documents.entries()) {
      let expected: string | undefined;
      try {
        parseConfig(document, dirs[i]!, join(dirs[i]!, CONFIG_FILE));
      } catch (error) {
        if (!(error instanceof ConfigError)) throw error;
        expected = `venn lists: ${error.message.replace(/\s*\n\s*/g, '; ')} [invalid-config]\n`;
      }
      const run = runs[i]!;
      if (expected === undefined) {
        // Valid: the command gets past the config (there is no store yet, so it may still fail, but not on the config).
        expect(run.stderr, `document ${i}`).not.toMatch(/invalid-config/);
      } else {
        refused++;
        expect(run.code, `document ${i}`).toBe(1);
        expect(run.stderr, `document ${i}`).toBe(expected);
      }
    }
    expect(refused).toBe(documents.length - 2);
  }, 60_000);

  it('names the same libphonenumber-js release as @venn/identifiers', async () => {
    const dir = join(root, 'lab-p');
    expect((await venn(['init', '--dir', dir, '--id', 'lab-p', '--listen', '127.0.0.1:7998'])).code).toBe(0);
    writeFileSync(join(root, 'phones.csv'), 'phone\n+33 1 42 68 53 00\n');
    const ingest = await venn(['ingest', '--dir', dir, '--kind', 'phone', '--list', 'p', join(root, 'phones.csv'), '--json']);
    expect(ingest.code, ingest.stderr).toBe(0);
    expect(PHONE_METADATA_VERSION).toMatch(/^\d+\.\d+\.\d+$/);
    expect(ingest.stdout + ingest.stderr).toContain(`libphonenumber-js/${PHONE_METADATA_VERSION}`);
  });
});
