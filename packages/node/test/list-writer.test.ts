/**
 * List changes as the daemon receives them (POST /v1/lists, protocol-spec/node.md §1.4, §2.1): the
 * admin token, a junk-input table, ingests that finish or leave nothing, and removal that keeps
 * the history of matches already recorded. A real admin server over a real SQLite store.
 */
import { createHash } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pino from 'pino';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startAdminServer, type AdminServer } from '../src/internal/admin-server.js';
import { abortUnfinishedIngests, expireItems, listDetails, parseDuration } from '../src/internal/list-store.js';
import { listRequestReply } from '../src/internal/list-writer.js';
import { NodeMetrics } from '../src/internal/metrics.js';
import { Store } from '../src/internal/store.js';

const token = 'c'.repeat(64);
/** The rules the daemon advertises (identifiers.md §13); an ingest names the rules it ran under. */
const RULES = 'venn/identifier/v2 hygiene/1 libphonenumber-js/1.13.16';
const dir = mkdtempSync(join(tmpdir(), 'venn-list-writer-'));
const sha = (text: string): Uint8Array => new Uint8Array(createHash('sha256').update(text).digest());
const hex = (bytes: Uint8Array): string => Buffer.from(bytes).toString('hex');
let store: Store;
let server: AdminServer;

beforeAll(async () => {
  store = Store.open(join(dir, 'venn.db'));
  server = await startAdminServer({
    host: '127.0.0.1', port: 0, token, metrics: new NodeMetrics({ node: 'lab-t' }), logger: pino({ level: 'silent' }),
    handlers: {
      health: () => ({ status: 200, body: {} }),
      status: () => ({}),
      startRound: () => Promise.resolve({ status: 500, body: {} }),
      roundStatus: () => Promise.resolve({ status: 500, body: {} }),
      lists: (request) => listRequestReply(store, request, { rules: RULES }),
      reload: () => ({ status: 200, body: { changed: [] } }),
    },
  });
});
afterAll(async () => {
  await server.close();
  store.close();
  rmSync(dir, { recursive: true, force: true });
});

async function post(body: unknown, auth = true): Promise<{ status: number; body: Record<string, any> }> {
  const response = await fetch(`http://127.0.0.1:${server.port}/v1/lists`, {
    method: 'POST', body: typeof body === 'string' ? body : JSON.stringify(body), headers: auth ? { authorization: `Bearer ${token}` } : {},
  });
  return { status: response.status, body: (await response.json()) as Record<string, any> };
}

describe('POST /v1/lists', () => {
  it('needs the admin token, for list changes and for reload', async () => {
    expect((await post({ op: 'drop', list: 'x' }, false)).status).toBe(401);
    const reload = await fetch(`http://127.0.0.1:${server.port}/v1/reload`, { method: 'POST' });
    expect(reload.status).toBe(401);
    expect((await fetch(`http://127.0.0.1:${server.port}/v1/reload`, { method: 'GET' })).status).toBe(401);
    expect((await fetch(`http://127.0.0.1:${server.port}/v1/reload`, { method: 'GET', headers: { authorization: `Bearer ${token}` } })).status).toBe(405);
  });

  const junk: Array<[string, unknown, string]> = [
    ['not JSON', '{op', 'invalid-json'],
    ['no op', {}, 'invalid-request'],
    ['an unknown op', { op: 'truncate' }, 'invalid-request'],
    ['a begin without a kind', { op: 'ingest-begin', list: 'a', source: 'f' }, 'invalid-request'],
    ['a bad list name', { op: 'ingest-begin', list: '../etc', kind: 'email', source: 'f', sha256: null, rules: RULES }, 'invalid-list-name'],
    ['a begin without rules', { op: 'ingest-begin', list: 'a', kind: 'email', source: 'f', sha256: null }, 'invalid-request'],
    ['a begin under other rules than the daemon advertises', { op: 'ingest-begin', list: 'a', kind: 'email', source: 'f', sha256: null, rules: 'venn/identifier/v2 hygiene/1 libphonenumber-js/1.12.0' }, 'identifier-rules-stale'],
    ['items for no ingest', { op: 'ingest-items', ingestId: 999, items: [] }, 'unknown-ingest'],
    ['a fractional ingest id', { op: 'ingest-items', ingestId: 1.5, items: [] }, 'invalid-request'],
    ['items that are not an array', { op: 'ingest-items', ingestId: 1, items: 'x' }, 'invalid-request'],
    ['a removal digest of the wrong length', { op: 'remove', list: 'a', digests: ['ab'] }, 'invalid-request'],
    ['a removal from no list', { op: 'remove', list: 'nope', digests: [] }, 'unknown-list'],
    ['dropping no list', { op: 'drop', list: 'nope' }, 'unknown-list'],
    ['a finish without counts', { op: 'ingest-finish', ingestId: 1 }, 'invalid-request'],
    ['counts that are not integers', { op: 'ingest-finish', ingestId: 1, counts: { rows: '2', accepted: 2, duplicates: 0, rejected: 0 } }, 'invalid-request'],
    ['a digest that is not hex', { op: 'ingest-finish', ingestId: 1, counts: { rows: 0, accepted: 0, duplicates: 0, rejected: 0, sha256: 'x' } }, 'invalid-request'],
    ['a retention of zero', { op: 'ingest-finish', ingestId: 1, counts: { rows: 0, accepted: 0, duplicates: 0, rejected: 0 }, retention: { ttlSeconds: 0, basis: 'ingest' } }, 'invalid-request'],
    ['a retention basis unknown', { op: 'ingest-finish', ingestId: 1, counts: { rows: 0, accepted: 0, duplicates: 0, rejected: 0 }, retention: { ttlSeconds: 9, basis: 'mtime' } }, 'invalid-request'],
  ];
  it.each(junk)('answers %s with 400 and a typed code', async (_name, body, code) => {
    const reply = await post(body);
    expect(reply.status).toBe(400);
    expect(reply.body['error']).toMatchObject({ code });
  });

  it('rejects an item digest that is not 64 hex digits, naming the item', async () => {
    const { body: begun } = await post({ op: 'ingest-begin', list: 'junk-items', kind: 'email', source: 'f', sha256: null, rules: RULES });
    const reply = await post({ op: 'ingest-items', ingestId: begun['ingestId'], items: [{ d: hex(sha('a')) }, { d: 'zz' }] });
    expect(reply).toMatchObject({ status: 400, body: { error: { code: 'invalid-request', message: expect.stringContaining('items[1].d') } } });
    expect((await post({ op: 'ingest-abort', ingestId: begun['ingestId'] })).status).toBe(200);
  });

  it('an ingest that finishes adds its items; one aborted leaves no list behind', async () => {
    const { body: begun } = await post({ op: 'ingest-begin', list: 'kept', kind: 'email', source: '/x/kept.csv', sha256: null, rules: RULES });
    expect(await post({ op: 'ingest-items', ingestId: begun['ingestId'], items: [{ d: hex(sha('a')), a: 'acct-a' }, { d: hex(sha('b')), f: '2026-01-01' }] }))
      .toMatchObject({ status: 200, body: { inserted: 2, duplicates: 0 } });
    const finished = await post({ op: 'ingest-finish', ingestId: begun['ingestId'], counts: { rows: 2, accepted: 2, duplicates: 0, rejected: 0, rejectsPath: null, sha256: 'ab'.repeat(32) }, retention: { ttlSeconds: 3600, basis: 'ingest' } });
    expect(finished).toMatchObject({ status: 200, body: { listSize: 2 } });

    const { body: failed } = await post({ op: 'ingest-begin', list: 'never', kind: 'email', source: '/x/never.csv', sha256: null, rules: RULES });
    await post({ op: 'ingest-items', ingestId: failed['ingestId'], items: [{ d: hex(sha('c')) }] });
    expect((await post({ op: 'ingest-abort', ingestId: failed['ingestId'] })).body).toEqual({ removed: 1, listDropped: true });
    const lists = listDetails(store);
    expect(lists.map((l) => l.name)).toEqual(['kept']);
    expect(lists[0]).toMatchObject({ items: 2, retention: { ttlSeconds: 3600, basis: 'ingest', source: 'list' }, ingests: [{ source: '/x/kept.csv', sha256: 'ab'.repeat(32), rows: 2 }] });
  });

  it('an ingest a killed process left open is rolled back by the next owner', () => {
    const list = store.ensureList('interrupted', 'email');
    const id = store.beginIngest(list.id, '/x/interrupted.csv');
    store.addItems(list.id, [{ digest: sha('i') }], id);
    expect(abortUnfinishedIngests(store)).toBe(1);
    expect(listDetails(store).map((l) => l.name)).toEqual(['kept']);
  });

  it('removing, dropping and expiring keep the local side of items a completed round matched', async () => {
    const round = store.createRound({ roundId: sha('round-1'), peerId: 'lab-b', role: 'initiator', origin: 'ad-hoc', slot: null, mode: 'intersection' });
    store.markRunning(round.row, 2);
    store.finishRound(round.row, { status: 'completed', intersectionSize: 1, peerClaimedSize: 1, transcriptHash: sha('t'), matches: [{ digest: sha('a') }] });
    expect(store.matches().map((m) => [m.list, m.accountRef])).toEqual([['kept', 'acct-a']]);
    expect((await post({ op: 'remove', list: 'kept', digests: [hex(sha('a')), hex(sha('zzz'))] })).body).toEqual({ removed: 1, digestsFound: 1, listSize: 1 });
    // The item is gone from the list, its match is not.
    expect(store.matches().map((m) => [m.list, m.accountRef])).toEqual([['kept', 'acct-a']]);
    expect(store.localElements().count).toBe(1);
    // Retention by ingest time, on a clock an hour and a second later.
    expect(expireItems(store, Date.now() + 3_601_000)).toEqual([{ list: 'kept', removed: 1 }]);
    expect((await post({ op: 'drop', list: 'kept' })).body).toEqual({ items: 0, ingests: 1 });
    expect(listDetails(store)).toEqual([]);
    expect(store.matches().map((m) => [m.kind, m.list, m.accountRef])).toEqual([['email', 'kept', 'acct-a']]);
  });
});

describe('durations', () => {
  it.each([['90d', 7_776_000], ['12h', 43_200], ['30m', 1800], ['2w', 1_209_600], ['3600s', 3600]])('%s is %i seconds', (text, seconds) => {
    expect(parseDuration(text, '--ttl')).toBe(seconds);
  });
  it.each(['', '0d', '90', 'd', '1y', '-1d', '1.5d', '9999999999w', ' 90 d'])('%j is refused', (text) => {
    expect(() => parseDuration(text, '--ttl')).toThrow(expect.objectContaining({ code: 'invalid-duration' }) as Error);
  });
});
