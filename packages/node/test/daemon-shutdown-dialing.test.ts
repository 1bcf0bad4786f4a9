/**
 * node.md §6: SIGTERM while the initiator is still dialing. The attempt is recorded before the
 * dial; a graceful stop must end it (with its leaf) before the store closes, never leave it open.
 */
import { createServer, type Server, type Socket } from 'node:net';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ensureBuilt } from './helpers/build.js';
import { Federation, emails } from './helpers/federation.js';

beforeAll(() => ensureBuilt());

describe('SIGTERM during a dial', () => {
  let federation: Federation;
  let silent: Server;
  const sockets: Socket[] = [];

  beforeAll(async () => {
    federation = await Federation.create({ ids: ['lab-a', 'lab-b'] });
    await federation.ingest('lab-a', emails(0, 50));
    // lab-b's port answers TCP and then nothing: the dial waits for the handshake timeout.
    silent = createServer((socket) => { sockets.push(socket); socket.on('error', () => undefined); });
    await new Promise<void>((resolve) => silent.listen(federation.node('lab-b').port, '127.0.0.1', resolve));
    const a = federation.node('lab-a');
    a.start();
    await a.started();
  }, 60_000);
  afterAll(async () => {
    for (const socket of sockets) socket.destroy();
    await new Promise<void>((resolve) => silent.close(() => resolve()));
    await federation.close();
  });

  it('ends the attempt being dialed, with its leaf, before the store closes', async () => {
    const a = federation.node('lab-a');
    const started = await a.admin('/v1/rounds', { method: 'POST', body: { peer: 'lab-b' } });
    expect(started.status).toBe(202);
    await new Promise<void>((resolve) => {
      const check = (): void => (sockets.length > 0 ? resolve() : void setTimeout(check, 20));
      check();
    });
    a.signal('SIGTERM');
    const exit = await a.exited();
    expect(exit.code).toBe(0);
    const db = new Database(join(a.dir, 'venn.db'), { readonly: true });
    try {
      const rows = db.prepare('SELECT status, reason FROM rounds').all() as Array<{ status: string; reason: string | null }>;
      expect(rows).toHaveLength(1);
      expect(rows[0]!.status).toBe('aborted');
      const leaves = db.prepare('SELECT count(*) FROM log_leaves').pluck().get() as number;
      expect(leaves).toBe(1);
    } finally {
      db.close();
    }
    expect(a.stderr).not.toContain('database connection is not open');
  }, 60_000);
});
