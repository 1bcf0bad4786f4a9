/**
 * How Venn is installed and run: the `venn` bin through npm, the Dockerfile (linted with
 * dockerfile-utils; no container engine runs here), the systemd unit (systemd-analyze verify
 * where systemd is installed) and the install notes in the READMEs.
 */
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { validate } from 'dockerfile-utils';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ensureBuilt, repoRoot } from './helpers/build.js';
import { venn } from './helpers/cli.js';

const root = mkdtempSync(join(tmpdir(), 'venn-packaging-'));
beforeAll(() => ensureBuilt());
afterAll(() => rmSync(root, { recursive: true, force: true }));
const read = (path: string): string => readFileSync(join(repoRoot, path), 'utf8');
// Skipped only where systemd-analyze is missing and .ci/run did not promise it (VENN_REQUIRE_SYSTEM_TOOLS): CI runs it.
const systemdAnalyze = process.env['VENN_REQUIRE_SYSTEM_TOOLS'] === '1' || spawnSync('systemd-analyze', ['--version']).status === 0;

describe('npm install -g gives a venn command', () => {
  it('through the repository\'s bin entry', () => {
    const prefix = join(root, 'global');
    const install = spawnSync('npm', ['install', '-g', '--prefix', prefix, '--no-audit', '--no-fund', repoRoot], { encoding: 'utf8', timeout: 180_000 });
    expect(install.status, install.stderr).toBe(0);
    const version = spawnSync(join(prefix, 'bin', 'venn'), ['--version'], { encoding: 'utf8' });
    expect(version.stdout).toMatch(/^venn \d+\.\d+\.\d+\n$/);
    const help = spawnSync(join(prefix, 'bin', 'venn'), ['help', 'start'], { encoding: 'utf8' });
    expect(help.stdout).toMatch(/^usage: venn start /);
  }, 200_000);
});

describe('the Dockerfile', () => {
  const text = read('Dockerfile');
  const instructions = text.split('\n').filter((line) => /^[A-Z]+\s/.test(line));

  it('lints clean', () => {
    expect(validate(text).map((d) => `${d.range.start.line + 1}: ${d.message}`)).toEqual([]);
    // The linter does see problems: a broken copy of the file is reported.
    expect(validate(text.replace('EXPOSE 7001 7100', 'EXPOSE port')).length).toBeGreaterThan(0);
  });

  it('builds in one stage, runs as a non-root user in another, keeps the node directory in a volume, checks /healthz', () => {
    const from = instructions.filter((line) => line.startsWith('FROM '));
    expect(from.length).toBeGreaterThanOrEqual(2);
    expect(from[0]).toMatch(/ AS build$/);
    const runtime = text.slice(text.lastIndexOf('\nFROM '));
    expect(runtime).toMatch(/^USER venn$/m);
    expect(runtime).toMatch(/^VOLUME \["\/var\/lib\/venn"\]$/m);
    expect(runtime).toMatch(/^HEALTHCHECK .*\n\s+CMD \["node", "\/opt\/venn\/deploy\/healthcheck\.mjs"\]$/m);
    expect(read('deploy/healthcheck.mjs')).toContain('/healthz');
    expect(runtime).toMatch(/^ENTRYPOINT \["venn"\]$/m);
    expect(runtime).toMatch(/^COPY --from=build /m);
  });
});

describe('the systemd unit', () => {
  const unit = read('deploy/venn.service');

  it.skipIf(!systemdAnalyze)('passes systemd-analyze verify', () => {
    const result = spawnSync('systemd-analyze', ['verify', join(repoRoot, 'deploy/venn.service')], { encoding: 'utf8' });
    expect(result.stderr).toBe('');
    expect(result.status).toBe(0);
  });

  it('is hardened, reloads on SIGHUP, does not restart on environment errors, and is the one the guide shows', () => {
    for (const line of ['NoNewPrivileges=true', 'ProtectSystem=strict', 'ProtectHome=true', 'PrivateTmp=true', 'ReadWritePaths=/var/lib/venn', 'UMask=0077', 'CapabilityBoundingSet=', 'User=venn']) {
      expect(unit).toContain(`\n${line}\n`);
    }
    expect(unit).toMatch(/^ExecReload=\/bin\/kill -HUP \$MAINPID$/m);
    expect(unit).toMatch(/^RestartPreventExitStatus=2 3$/m);
    expect(read('docs/operating.md')).toContain(`\`\`\`ini\n${unit}\`\`\``);
  });
});

describe('the install notes', () => {
  it('the README says when a C++ toolchain is needed', () => {
    expect(read('README.md')).toMatch(/C\+\+\s+toolchain/);
    expect(read('docs/operating.md')).toMatch(/C\+\+\s+toolchain/);
  });

  it('every venn command in packages/node/README.md exists', async () => {
    const readme = read('packages/node/README.md');
    const commands = [...readme.matchAll(/^venn ([a-z]+(?: (?:build|use|drop|hash))?)/gm)].map((m) => m[1]!);
    expect(commands.length).toBeGreaterThan(6);
    expect(readme).not.toMatch(/pnpm venn/);
    for (const command of new Set(commands)) {
      const help = await venn([...command.split(' '), '--help']);
      expect(help.code, command).toBe(0);
    }
  });
});
