/**
 * `venn audit verify` and `venn audit cross-check` on an input path that is no regular file: a
 * directory or a named pipe where a bundle or an exported log should be. audit.md §11: failures
 * print one line on stderr with the error code in brackets and exit 1, never an internal error,
 * and a pipe is refused, not waited on.
 */
import { spawnSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Writable } from 'node:stream';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ready as cryptoReady } from '@venn/crypto';
import { main } from '../src/main.js';

const root = mkdtempSync(join(tmpdir(), 'venn-audit-input-paths-'));
afterAll(() => rmSync(root, { recursive: true, force: true }));

interface Run { code: number; stdout: string; stderr: string }

async function venn(args: string[]): Promise<Run> {
  let stdout = '';
  let stderr = '';
  const sink = (append: (text: string) => void): Writable => new Writable({ write(chunk: Buffer, _encoding, done) { append(chunk.toString()); done(); } });
  const code = await main(args, { stdout: sink((text) => { stdout += text; }), stderr: sink((text) => { stderr += text; }) });
  return { code, stdout, stderr };
}

const dirs = { 'lab-a': join(root, 'lab-a'), 'lab-b': join(root, 'lab-b') };
const rosterPath = join(root, 'roster.json');
const file = (name: string): string => join(root, name);

beforeAll(async () => {
  await cryptoReady();
  const entries: string[] = [];
  for (const [i, [id, dir]] of Object.entries(dirs).entries()) {
    const init = await venn(['init', '--dir', dir, '--id', id, '--listen', `127.0.0.1:${7501 + i}`, '--admin', `127.0.0.1:${7601 + i}`]);
    expect(init.code).toBe(0);
    writeFileSync(file(`${id}.json`), init.stdout);
    entries.push(file(`${id}.json`));
  }
  const built = await venn(['roster', 'build', '--name', 'audit-input-paths', '--schedule', '0 0 * * *', '--out', rosterPath, ...entries]);
  expect(built.stderr).toBe('');
  expect(built.code).toBe(0);
}, 60_000);

describe('venn audit verify / cross-check on a path that is no regular file', () => {
  // A directory has a small stat size, so a size check alone lets it through to the read, which
  // fails with EISDIR; it is refused as no regular file before any read, with one typed line.
  const directories: Array<[string, (dir: string) => string[], RegExp]> = [
    ['verify FILE', (dir) => ['audit', 'verify', dir, '--roster', rosterPath], /"FILE" expected a regular file, got a directory at /],
    ['verify --previous', (dir) => ['audit', 'verify', file('empty.bundle'), '--previous', dir, '--roster', rosterPath], /"PREV" expected a regular file, got a directory at /],
    ['cross-check LOG_A', (dir) => ['audit', 'cross-check', dir, dir, '--roster', rosterPath], /"LOG" expected a regular file, got a directory at /],
  ];
  it.each(directories)('a directory given as %s is refused with exit 1 and one [file-unavailable] line, not an internal error', async (what, args, message) => {
    const dir = file(`dir-${what.replace(/\W+/g, '-')}`);
    mkdirSync(dir, { recursive: true });
    writeFileSync(file('empty.bundle'), '');
    const result = await venn(args(dir));
    expect(result.stderr).not.toContain('internal error');
    expect(result.stderr.trimEnd().split('\n')).toHaveLength(1);
    expect(result.stderr).toMatch(/^venn audit: /);
    expect(result.stderr).toMatch(message);
    expect(result.stderr).toMatch(/ \[file-unavailable\]\n$/);
    expect(result.code).toBe(1);
  });

  // A named pipe stats as size 0, and reading it waits for a writer that never comes. It is
  // refused from the descriptor it was opened on (non-blocking), within a second. Run in a child
  // process with a 3 s timeout, so a hang cannot block this test run.
  for (const [what, args, code] of [
    ['verify FILE', (fifo: string) => ['audit', 'verify', fifo, '--roster', rosterPath], 'file-unavailable'],
    ['cross-check LOG_A', (fifo: string) => ['audit', 'cross-check', fifo, fifo, '--roster', rosterPath], 'file-unavailable'],
    ['verify --roster', (fifo: string) => ['audit', 'verify', file('empty.bundle'), '--roster', fifo], 'roster-unavailable'],
  ] as const) {
    it(`a named pipe given as ${what} is refused within a second with one [${code}] line, not waited on for ever`, () => {
      const fifo = file(`pipe-${what.replace(/\W+/g, '-')}`);
      expect(spawnSync('mkfifo', [fifo]).status).toBe(0);
      writeFileSync(file('empty.bundle'), '');
      const cli = fileURLToPath(new URL('../dist/cli.js', import.meta.url));
      const started = Date.now();
      const run = spawnSync(process.execPath, [cli, ...args(fifo)], { timeout: 3000, encoding: 'utf8' });
      expect(run.signal).toBeNull();
      expect(Date.now() - started).toBeLessThan(2000);
      expect(run.status).toBe(1);
      expect(run.stderr.trimEnd().split('\n')).toHaveLength(1);
      expect(run.stderr).toMatch(/^venn audit: ".+" expected a regular file, got a named pipe at /);
      expect(run.stderr).toMatch(new RegExp(` \\[${code}\\]\n$`));
    });
  }
});
