/**
 * `npm run vectors` (scripts/vectors.mjs) regenerates every generated vector file: run into a
 * temporary directory, it reproduces each committed file of protocol-spec/vectors byte for byte,
 * and the only files it does not write are those taken from RFCs and Wycheproof.
 */
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';

const ROOT = new URL('../../', import.meta.url).pathname;
const VECTORS = join(ROOT, 'protocol-spec', 'vectors');
/** Vector files copied from their published sources, not generated. */
const EXTERNAL = /^(rfc\d+-|wycheproof-)/;

const out = mkdtempSync(join(tmpdir(), 'venn-vectors-'));
afterAll(() => rmSync(out, { recursive: true, force: true }));

describe('npm run vectors', () => {
  it('regenerates every generated vector file byte for byte', () => {
    const run = spawnSync(process.execPath, [join(ROOT, 'scripts', 'vectors.mjs'), '--out', out], { cwd: ROOT, encoding: 'utf8' });
    expect(run.status, run.stderr).toBe(0);
    const committed = readdirSync(VECTORS).filter((name) => name.endsWith('.json')).sort();
    const written = readdirSync(out).sort();
    expect(written).toEqual(committed.filter((name) => !EXTERNAL.test(name)));
    for (const name of written) {
      expect(readFileSync(join(out, name)).equals(readFileSync(join(VECTORS, name))), `${name} differs from what the generators write`).toBe(true);
    }
  }, 120_000);
});
