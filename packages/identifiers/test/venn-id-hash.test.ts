// `venn id hash` run as a child process from the built CLI (packages/node/dist/cli.js).
import { spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { beforeAll, expect, test } from 'vitest';

const root = fileURLToPath(new URL('../../../', import.meta.url));
const cli = fileURLToPath(new URL('../../node/dist/cli.js', import.meta.url));
const vectors = JSON.parse(readFileSync(new URL('../../../protocol-spec/vectors/identifiers.json', import.meta.url), 'utf8')) as {
  kinds: Record<string, { valid: { input: string; region?: string; canonical: string; digest: string; hygiene?: { reason: string; rule: string } }[] }>;
};

beforeAll(() => {
  // Always build: tsc -b is incremental, and a stale dist would test old code.
  const build = spawnSync('npx', ['tsc', '-b', 'packages/node'], { cwd: root, encoding: 'utf8' });
  expect(build.status, `${build.stdout}${build.stderr}`).toBe(0);
}, 600_000);

function venn(args: string[], stdin?: string): { status: number | null; stdout: string; stderr: string } {
  const result = spawnSync(process.execPath, [cli, ...args], { cwd: root, encoding: 'utf8', ...(stdin === undefined ? {} : { input: stdin }) });
  return { status: result.status, stdout: result.stdout, stderr: result.stderr };
}

function lines(stdout: string): string[][] {
  return stdout.trimEnd().split('\n').map((line) => line.split('\t'));
}

test.each([
  ['email', [' Alice@Example.COM ', 'alice@example.com'], []],
  ['phone', ['+1 (415) 555-0200', '+14155550200'], ['--region', 'US']],
  ['ip', ['2001:DB8:0:0:0:0:0:1', '2001:db8::1'], []],
])('acceptance: equivalent %s spellings print equal digests', (kind, values, extra) => {
  const { status, stdout, stderr } = venn(['id', 'hash', '--kind', kind, ...extra, ...values]);
  expect(stderr).toBe('');
  expect(status).toBe(0);
  const [a, b] = lines(stdout);
  expect(a?.[0]).toBe(kind);
  expect(a?.[2]).toMatch(/^[0-9a-f]{64}$/);
  expect(a).toEqual(b);
});

test.each(Object.keys(vectors.kinds))('prints the canonical forms and digests of the %s vectors', (kind) => {
  const cases = (vectors.kinds[kind]?.valid ?? []).filter((c) => c.region === undefined);
  const kept = cases.filter((c) => c.hygiene === undefined);
  const listed = cases.filter((c) => c.hygiene !== undefined);
  const { status, stdout, stderr } = venn(['id', 'hash', '--kind', kind, '--', ...cases.map((c) => c.input)]);
  expect(status).toBe(listed.length === 0 ? 0 : 1);
  expect(lines(stdout)).toEqual(kept.map((c) => [kind, c.canonical, c.digest]));
  for (const c of listed) expect(stderr).toContain(`(${c.hygiene?.reason}): hygiene rule ${c.hygiene?.rule}`);
  // --no-hygiene prints every canonical form (identifiers.md §4-§7 alone).
  const bare = venn(['id', 'hash', '--kind', kind, '--no-hygiene', '--', ...cases.map((c) => c.input)]);
  expect(bare.status).toBe(0);
  expect(lines(bare.stdout)).toEqual(cases.map((c) => [kind, c.canonical, c.digest]));
});

test('issue examples: a full-width plus is the international prefix; shared values are refused with their rule', () => {
  const wide = venn(['id', 'hash', '--kind', 'phone', '--region', 'DE', '--no-hygiene', '\uff0b44 20 7946 0958']);
  expect(lines(wide.stdout)).toEqual([['phone', '+442079460958', expect.stringMatching(/^[0-9a-f]{64}$/) as unknown as string]]);
  const shared = venn(['id', 'hash', '--kind', 'device_id', '--json', '9774d56d682e549c', '02:00:00:00:00:00']);
  expect(shared.status).toBe(1);
  expect(shared.stdout.trimEnd().split('\n').map((line) => (JSON.parse(line) as { error: { reason: string; rule: string } }).error)).toMatchObject([
    { reason: 'identifier-shared', rule: 'android-id-froyo' },
    { reason: 'identifier-shared', rule: 'mac-android-hidden' },
  ]);
});

test('--json prints one JSON line per value, including rejected ones', () => {
  const { status, stdout } = venn(['id', 'hash', '--kind', 'device_id', '--json', '{550E8400-E29B-41D4-A716-446655440000}', '00000000-0000-0000-0000-000000000000']);
  expect(status).toBe(1);
  const [ok, bad] = stdout.trimEnd().split('\n').map((line) => JSON.parse(line) as Record<string, unknown>);
  expect(ok).toEqual({ kind: 'device_id', input: '{550E8400-E29B-41D4-A716-446655440000}', canonical: '550e8400-e29b-41d4-a716-446655440000', digest: expect.stringMatching(/^[0-9a-f]{64}$/) as string });
  expect(bad).toMatchObject({ kind: 'device_id', error: { code: 'invalid-device-id', reason: 'identifier-placeholder', rule: 'placeholder-filler' } });
});

test('an invalid value exits 1 naming the value and the reason; the valid values are still printed', () => {
  const { status, stdout, stderr } = venn(['id', 'hash', '--kind', 'email', 'alice', 'bob@example.com']);
  expect(status).toBe(1);
  expect(lines(stdout).map((l) => l[1])).toEqual(['bob@example.com']);
  expect(stderr).toContain('"alice"');
  expect(stderr).toContain('email-at-sign');
});

test('reads values from standard input with "-"', () => {
  const { status, stdout } = venn(['id', 'hash', '--kind', 'wallet', '-'], '0x5aAeb6053F3E94C9b9A09f33669435E7Ef1BeAed\r\nBC1QW508D6QEJXTDG4Y5R3ZARVARY0C5XW7KV8F3T4\n');
  expect(status).toBe(0);
  expect(lines(stdout).map((l) => l[1])).toEqual(['0x5aaeb6053f3e94c9b9a09f33669435e7ef1beaed', 'bc1qw508d6qejxtdg4y5r3zarvary0c5xw7kv8f3t4']);
});

test('--help works at both levels; usage errors exit 2', () => {
  const help = venn(['id', 'hash', '--help']);
  expect(help.status).toBe(0);
  expect(help.stdout).toContain('usage: venn id hash');
  expect(help.stdout).toContain('--region CC');
  expect(venn(['id', '--help']).stdout).toContain('hash');
  expect(venn(['id', 'hash', '--kind', 'mail', 'x']).status).toBe(2);
  expect(venn(['id', 'hash', '--kind', 'email']).status).toBe(2);
  expect(venn(['id', 'hash', 'a@b.co']).status).toBe(2);
  expect(venn(['id', 'hash', '--kind', 'phone', '--region', 'ZZ', '+14155550200']).status).toBe(2);
  expect(venn(['id', 'frobnicate']).status).toBe(2);
});
