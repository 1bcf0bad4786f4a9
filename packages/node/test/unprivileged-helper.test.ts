/** The tests that run `venn` as another user say why when that user cannot reach the CLI. */
import { chmodSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { runScript } from './helpers/cli.js';
import { unreachableBy } from './helpers/unprivileged.js';

const root = mkdtempSync(join(tmpdir(), 'venn-unprivileged-'));
afterAll(() => rmSync(root, { recursive: true, force: true }));

describe('unreachableBy', () => {
  it('names the first parent directory other users cannot search, and nothing when all can', async () => {
    chmodSync(root, 0o755);
    const closed = join(root, 'closed');
    mkdirSync(join(closed, 'inner'), { recursive: true, mode: 0o755 });
    chmodSync(closed, 0o700);
    const script = join(closed, 'inner', 'script.mjs');
    writeFileSync(script, 'process.stdout.write("ran")\n');
    expect(unreachableBy(script, 65534)).toBe(`${closed} (mode 0700) cannot be searched by other users, so uid 65534 cannot reach ${script}; put the repository under directories every user may enter (e.g. mkdir -m 755)`);
    await expect(runScript(script, [], { uid: 65534, gid: 65534 })).rejects.toThrow(/cannot be searched by other users/);
    chmodSync(closed, 0o755);
    expect(unreachableBy(script, 65534)).toBeUndefined();
    // Not dropping privileges: nothing to check.
    chmodSync(closed, 0o700);
    expect(unreachableBy(script, undefined)).toBeUndefined();
    expect((await runScript(script, [])).stdout).toBe('ran');
  });
});
