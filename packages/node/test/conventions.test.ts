/**
 * The command line's conventions, through the built CLI: --version and venn version, venn help
 * COMMAND, --json on every command that prints data, usage errors for impossible filters.
 */
import { readFileSync, rmSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ensureBuilt, repoRoot } from './helpers/build.js';
import { venn } from './helpers/cli.js';

const version = (JSON.parse(readFileSync(join(repoRoot, 'packages/node/package.json'), 'utf8')) as { version: string }).version;
const root = mkdtempSync(join(tmpdir(), 'venn-conventions-'));
beforeAll(() => ensureBuilt());
afterAll(() => rmSync(root, { recursive: true, force: true }));

describe('conventions', () => {
  it('venn --version, venn -V and venn version print the version; --json adds Node and the protocol', async () => {
    for (const args of [['--version'], ['-V'], ['version']]) {
      const result = await venn(args);
      expect(result.code, args.join(' ')).toBe(0);
      expect(result.stdout).toBe(`venn ${version}\n`);
    }
    const json = await venn(['version', '--json']);
    expect(JSON.parse(json.stdout)).toEqual({ venn: version, node: process.versions.node, protocol: 1 });
  });

  it.each(['ingest', 'remove', 'lists', 'lists drop', 'status', 'roster use', 'audit verify', 'id hash'])('venn help %s prints that command\'s help', async (command) => {
    const help = await venn(['help', ...command.split(' ')]);
    const direct = await venn([...command.split(' '), '--help']);
    expect(help.code).toBe(0);
    expect(help.stdout).toMatch(new RegExp(`^usage: venn ${command} `));
    expect(help.stdout).toBe(direct.stdout);
  });

  it('venn help with no command lists the commands and the exit codes', async () => {
    const result = await venn(['help']);
    expect(result.code).toBe(0);
    for (const name of ['ingest', 'remove', 'lists', 'version']) expect(result.stdout).toContain(`  ${name}`);
    expect(result.stdout).toMatch(/3 the environment/);
  });

  it.each([
    'init', 'roster build', 'roster use', 'ingest', 'remove', 'lists', 'lists drop', 'round', 'rounds', 'matches', 'status', 'id hash',
    'audit verify', 'audit head', 'audit prove', 'audit cross-check', 'synth', 'version',
  ])('venn %s accepts --json', async (command) => {
    const help = await venn([...command.split(' '), '--help']);
    expect(help.stdout).toMatch(/^ {2}--json\b/m);
  });

  it('venn matches --json is --format json; a peer the roster does not name is a usage error', async () => {
    const entries: string[] = [];
    for (const [id, port] of [['lab-a', 7211], ['lab-b', 7212]] as const) {
      const init = await venn(['init', '--dir', join(root, id), '--id', id, '--listen', `127.0.0.1:${port}`, '--json']);
      expect(init.code, init.stderr).toBe(0);
      writeFileSync(join(root, `${id}.json`), init.stdout);
      entries.push(join(root, `${id}.json`));
    }
    expect((await venn(['roster', 'build', '--name', 'c', '--out', join(root, 'roster.json'), ...entries])).code).toBe(0);
    expect((await venn(['roster', 'use', '--dir', join(root, 'lab-a'), join(root, 'roster.json')])).code).toBe(0);
    const json = await venn(['matches', '--dir', join(root, 'lab-a'), '--json']);
    expect(json.code).toBe(0);
    expect(JSON.parse(json.stdout)).toEqual([]);
    const both = await venn(['matches', '--dir', join(root, 'lab-a'), '--json', '--format', 'csv']);
    expect(both.code).toBe(2);
    const typo = await venn(['matches', '--dir', join(root, 'lab-a'), '--peer', 'lab-c']);
    expect(typo.code).toBe(2);
    expect(typo.stderr).toMatch(/"--peer" expected one of the roster's peers \(lab-b\), got "lab-c" \[usage\]/);
    expect((await venn(['matches', '--dir', join(root, 'lab-a'), '--peer', 'lab-b', '--json'])).code).toBe(0);
  });
});
