/**
 * When the machine, not Venn, is in the way (protocol-spec/node.md §9): a port in use, a
 * directory that cannot be written, a read-only store, a -shm file left read-only. Each gets exit
 * code 3 and a message naming the path or address; venn status still reads a read-only store.
 * And a bug in the daemon ends as one JSON log line and exit 70, not a raw stack trace.
 */
import { spawnSync } from 'node:child_process';
import { chmodSync, existsSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { createServer, type Server } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ensureBuilt, repoRoot } from './helpers/build.js';
import { venn } from './helpers/cli.js';
import { Federation } from './helpers/federation.js';
import { ownedDirectory, unprivileged } from './helpers/unprivileged.js';

const root = mkdtempSync(join(tmpdir(), 'venn-env-'));
chmodSync(root, 0o755);
beforeAll(() => ensureBuilt());
afterAll(() => rmSync(root, { recursive: true, force: true }));

function listen(port: number): Promise<Server> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(port, '127.0.0.1', () => resolve(server));
  });
}

const oneLine = (stderr: string): string => {
  expect(stderr.trimEnd().split('\n')).toHaveLength(1);
  return stderr;
};

describe('ports in use', () => {
  let federation: Federation;
  beforeAll(async () => {
    federation = await Federation.create({ ids: ['lab-a', 'lab-b'] });
  }, 60_000);
  afterAll(() => federation.close());

  it.each(['listen', 'admin'] as const)('the %s port: exit 3 naming the address, and the directory is free again', async (which) => {
    const node = federation.node('lab-a');
    const port = which === 'listen' ? node.port : node.adminPort;
    const blocker = await listen(port);
    try {
      const result = await venn(['start', '--dir', node.dir]);
      expect(result.code).toBe(3);
      expect(oneLine(result.stderr)).toMatch(new RegExp(`EADDRINUSE.*127\\.0\\.0\\.1:${port}`));
    } finally {
      await new Promise((resolve) => blocker.close(resolve));
    }
    // The failed start released the node lock: the next start works.
    node.start();
    await node.started();
    await node.stop();
  }, 60_000);
});

describe('files and directories this user cannot write', () => {
  const home = ownedDirectory(join(root, 'home'));
  const dir = join(home, 'node');

  beforeAll(async () => {
    const init = await venn(['init', '--dir', dir, '--id', 'lab-u', '--listen', '127.0.0.1:7003', '--admin', '127.0.0.1:7103'], unprivileged);
    expect(init.code, init.stderr).toBe(0);
    writeFileSync(join(home, 'lab-u.json'), init.stdout);
    const peer = await venn(['init', '--dir', join(root, 'peer'), '--id', 'lab-v', '--listen', '127.0.0.1:7005', '--admin', '127.0.0.1:7105']);
    writeFileSync(join(home, 'lab-v.json'), peer.stdout);
    const roster = join(home, 'roster.json');
    expect((await venn(['roster', 'build', '--name', 'env', '--out', roster, join(home, 'lab-u.json'), join(home, 'lab-v.json')])).code).toBe(0);
    chmodSync(roster, 0o644);
    const used = await venn(['roster', 'use', '--dir', dir, roster], unprivileged);
    expect(used.code, used.stderr).toBe(0);
    writeFileSync(join(home, 'list.csv'), 'email\na@example.com\n');
    chmodSync(join(home, 'list.csv'), 0o644);
  });

  it('venn init in a directory it cannot create: exit 3 naming the path', async () => {
    const locked = join(root, 'locked');
    mkdirSync(locked, { mode: 0o755 });
    const result = await venn(['init', '--dir', join(locked, 'node'), '--id', 'lab-x', '--listen', '127.0.0.1:7004'], unprivileged);
    expect(result.code).toBe(3);
    expect(oneLine(result.stderr)).toContain(join(locked, 'node'));
  });

  it('a read-only store: venn status reads it, a command that writes exits 3 naming the store', async () => {
    chmodSync(join(dir, 'venn.db'), 0o444);
    try {
      const status = await venn(['status', '--dir', dir, '--json'], unprivileged);
      expect(status.stderr).toBe('');
      expect(status.code).toBe(0);
      expect(JSON.parse(status.stdout)).toMatchObject({ node: 'lab-u', lists: [], log: { size: 0 } });
      const lists = await venn(['lists', '--dir', dir, '--json'], unprivileged);
      expect(lists.code).toBe(0);
      const ingest = await venn(['ingest', '--dir', dir, '--kind', 'email', join(home, 'list.csv')], unprivileged);
      expect(ingest.code).toBe(3);
      expect(oneLine(ingest.stderr)).toContain(join(dir, 'venn.db'));
    } finally {
      chmodSync(join(dir, 'venn.db'), 0o644);
    }
  });

  it('a -shm file left read-only by another process: exit 3 naming it, for ingest and start', async () => {
    const shm = join(dir, 'venn.db-shm');
    if (!existsSync(shm)) writeFileSync(shm, Buffer.alloc(32_768));
    chmodSync(shm, 0o444);
    // Only the -shm is left read-only here (reading a 0444 store may have left the -wal so too).
    if (existsSync(join(dir, 'venn.db-wal'))) chmodSync(join(dir, 'venn.db-wal'), 0o644);
    const ingest = await venn(['ingest', '--dir', dir, '--kind', 'email', join(home, 'list.csv')], unprivileged);
    expect(ingest.code).toBe(3);
    expect(oneLine(ingest.stderr)).toContain(shm);
    const start = await venn(['start', '--dir', dir], unprivileged);
    expect(start.code).toBe(3);
    expect(oneLine(start.stderr)).toContain(shm);
    rmSync(shm);
    const again = await venn(['ingest', '--dir', dir, '--kind', 'email', join(home, 'list.csv')], unprivileged);
    expect(again.stderr).toBe('');
    expect(again.code).toBe(0);
  });
});

describe('an error nothing caught in the daemon', () => {
  it('is one JSON log line with its stack, and exit 70', () => {
    const dist = join(repoRoot, 'packages/node/dist/internal');
    const script = [
      `const { createLogger } = await import(${JSON.stringify(pathToFileURL(join(dist, 'logger.js')).href)});`,
      `const { installCrashHandlers } = await import(${JSON.stringify(pathToFileURL(join(dist, 'crash.js')).href)});`,
      "installCrashHandlers(createLogger({ level: 'info', node: 'lab-z' }));",
      "setTimeout(() => { throw new Error('a finished round is immutable'); }, 1);",
    ].join('\n');
    const result = spawnSync(process.execPath, ['--input-type=module', '-e', script], { encoding: 'utf8' });
    expect(result.status).toBe(70);
    expect(result.stderr).toBe('');
    const lines = result.stdout.trim().split('\n');
    expect(lines).toHaveLength(1);
    const line = JSON.parse(lines[0]!) as { level: string; msg: string; node: string; err: { message: string; stack: string } };
    expect(line).toMatchObject({ level: 'fatal', msg: 'uncaught error; the daemon exits', node: 'lab-z', err: { message: 'a finished round is immutable' } });
    expect(line.err.stack).toContain('Error: a finished round is immutable');
  });
});
