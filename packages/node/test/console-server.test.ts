/**
 * The analyst console's server over real HTTP, without a browser: sessions and their expiry,
 * static files, refusals, junk parameters and bodies, and the event stream's life.
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { request } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pino from 'pino';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { main } from '../src/main.js';
import { startAdminServer, type AdminServer } from '../src/internal/admin-server.js';
import { loadConfig } from '../src/internal/config.js';
import { createConsole, type AnalystConsole } from '../src/internal/console/console.js';
import { SessionTable, csrfMatches } from '../src/internal/console/sessions.js';
import { StaticFiles } from '../src/internal/console/static-files.js';
import { readPublicKey } from '../src/internal/keyfile.js';
import { NodeMetrics } from '../src/internal/metrics.js';
import { loadInstalledRoster } from '../src/internal/roster.js';
import { Store, type RoundRecord } from '../src/internal/store.js';
import { FakeTime } from './helpers/fake-time.js';

const root = mkdtempSync(join(tmpdir(), 'venn-console-'));
const time = new FakeTime(Date.parse('2030-05-01T12:00:00Z'));
let counter = 0;
const rng = (n: number): Uint8Array => new Uint8Array(n).fill(++counter % 251);
let store: Store;
let server: AdminServer;
let analystConsole: AnalystConsole;
let token = '';
const roundListeners: Array<(round: RoundRecord) => void> = [];
let statusReport: Record<string, unknown> = { nextSlot: '2031-01-01T00:00:00.000Z' };

async function cli(args: string[]): Promise<string> {
  let out = '';
  let err = '';
  const code = await main(args, { stdout: { write: (t: string) => { out += t; return true; } } as never, stderr: { write: (t: string) => { err += t; return true; } } as never });
  if (code !== 0) throw new Error(`venn ${args.join(' ')}: ${err}`);
  return out;
}

beforeAll(async () => {
  for (const [id, port] of [['lab-a', 1], ['lab-b', 2]] as const) {
    writeFileSync(join(root, `${id}.json`), await cli(['init', '--dir', join(root, id), '--id', id, '--listen', `127.0.0.1:${17_000 + port}`]));
  }
  await cli(['roster', 'build', '--name', 't', '--schedule', '0 0 1 1 *', '--window', '5', '--out', join(root, 'roster.json'), join(root, 'lab-a.json'), join(root, 'lab-b.json')]);
  await cli(['roster', 'use', '--dir', join(root, 'lab-a'), join(root, 'roster.json')]);
  const config = loadConfig(join(root, 'lab-a'));
  token = '0123456789abcdef'.repeat(4);
  store = Store.open(config.paths.store, { now: time.now });
  const logger = pino({ level: 'silent' });
  analystConsole = createConsole({
    config, roster: loadInstalledRoster(config, readPublicKey(config.paths.identityKey)), store, token, publicKey: readPublicKey(config.paths.identityKey),
    now: time.now, rng, timers: time, logger, statusReport: () => statusReport,
    onRoundFinished: (listener) => { roundListeners.push(listener); return () => roundListeners.splice(roundListeners.indexOf(listener), 1); },
  });
  server = await startAdminServer({
    host: '127.0.0.1', port: 0, token, mounts: [analystConsole], metrics: new NodeMetrics({ node: 'lab-a' }), logger,
    handlers: { health: () => ({ status: 200, body: {} }), status: () => ({}), startRound: async () => ({ status: 500, body: {} }), roundStatus: async () => ({ status: 500, body: {} }) },
  });
});
afterAll(async () => {
  analystConsole?.close();
  await server?.close();
  store?.close();
  rmSync(root, { recursive: true, force: true });
});

const url = (path: string): string => `http://127.0.0.1:${server.port}${path}`;

async function login(): Promise<{ cookie: string; csrf: string }> {
  const response = await fetch(url('/console/login'), { method: 'POST', redirect: 'manual', headers: { 'content-type': 'application/x-www-form-urlencoded' }, body: `token=${token}` });
  expect(response.status).toBe(303);
  expect(response.headers.get('location')).toBe('/console/');
  const cookie = response.headers.get('set-cookie')!.split(';')[0]!;
  const session = await (await fetch(url('/console/api/session'), { headers: { cookie } })).json() as { csrf: string };
  return { cookie, csrf: session.csrf };
}

describe('console sessions', () => {
  it('end after 30 idle minutes, 12 hours after login whatever the use, and the oldest goes past the limit', () => {
    const clock = new FakeTime(0);
    const table = new SessionTable({ now: clock.now, rng: (n) => new Uint8Array(n).fill(++counter % 251), maxSessions: 2 });
    const first = table.create();
    clock.advance(29 * 60_000);
    expect(table.get(first.id)).toBe(first.session);
    clock.advance(29 * 60_000);
    expect(table.get(first.id)).toBe(first.session);
    clock.advance(31 * 60_000);
    expect(table.get(first.id)).toBeUndefined();
    const busy = table.create();
    for (let minutes = 0; minutes < 12 * 60; minutes += 20) {
      clock.advance(20 * 60_000);
      if (minutes + 20 < 12 * 60) expect(table.get(busy.id), `${minutes}`).toBeDefined();
    }
    clock.advance(60_000);
    expect(table.get(busy.id)).toBeUndefined();
    const [x, y, z] = [table.create(), table.create(), table.create()];
    expect(table.size).toBe(2);
    expect(table.get(x.id)).toBeUndefined();
    expect(table.get(y.id)).toBeDefined();
    expect(table.get(z.id)).toBeDefined();
    expect(csrfMatches(z.session.csrf, z.session)).toBe(true);
    for (const wrong of [undefined, '', y.session.csrf, `${z.session.csrf}x`]) expect(csrfMatches(wrong, z.session)).toBe(false);
    for (const junk of [undefined, '', 'x'.repeat(500), 'not-a-session']) expect(table.get(junk)).toBeUndefined();
  });
});

describe('console static files', () => {
  it('serves the pages and the libraries from the package with their content types, and revalidates by ETag', async () => {
    const files = StaticFiles.load();
    expect(files.names).toEqual(expect.arrayContaining(['index.html', 'login.html', 'app.js', 'styles.css', 'pages/queue.js', 'vendor/htm-preact-standalone.js', 'vendor/uplot.js', 'vendor/uplot.css']));
    for (const [path, type, cache] of [['app.js', 'text/javascript; charset=utf-8', 'no-cache'], ['styles.css', 'text/css; charset=utf-8', 'no-cache'], ['vendor/uplot.js', 'text/javascript; charset=utf-8', 'max-age=3600']]) {
      const response = await fetch(url(`/console/static/${path}`));
      expect(response.status, path).toBe(200);
      expect(response.headers.get('content-type')).toBe(type);
      expect(response.headers.get('cache-control')).toBe(cache);
      expect(response.headers.get('x-content-type-options')).toBe('nosniff');
      const again = await fetch(url(`/console/static/${path}`), { headers: { 'if-none-match': response.headers.get('etag')! } });
      expect(again.status).toBe(304);
    }
    for (const path of ['/console/static/nope.js', '/console/static/..%2f..%2fvenn.config.json', '/console/static/%2e%2e/%2e%2e/admin.token', '/console/static/']) {
      const response = await fetch(url(path));
      expect(response.status, path).toBe(404);
      expect(await response.text()).not.toContain(token);
    }
  });
});

describe('console over HTTP', () => {
  it('keeps pages and API behind a session; the login takes only a same-origin form with the right token', async () => {
    const page = await fetch(url('/console/'), { redirect: 'manual' });
    expect(page.status).toBe(303);
    expect(page.headers.get('location')).toBe('/console/login');
    expect((await fetch(url('/console/api/session'))).status).toBe(401);
    const wrongType = await fetch(url('/console/login'), { method: 'POST', redirect: 'manual', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ token }) });
    expect(wrongType.status).toBe(415);
    const foreign = await fetch(url('/console/login'), { method: 'POST', redirect: 'manual', headers: { 'content-type': 'application/x-www-form-urlencoded', origin: 'http://attacker.example' }, body: `token=${token}` });
    expect(foreign.status).toBe(403);
    expect(foreign.headers.get('set-cookie')).toBeNull();
    const wrong = await fetch(url('/console/login'), { method: 'POST', redirect: 'manual', headers: { 'content-type': 'application/x-www-form-urlencoded' }, body: `token=${token.slice(1)}x` });
    expect(wrong.headers.get('location')).toBe('/console/login?failed=1');
    expect(wrong.headers.get('set-cookie')).toBeNull();
    const response = await fetch(url('/console/login'), { method: 'POST', redirect: 'manual', headers: { 'content-type': 'application/x-www-form-urlencoded' }, body: `token=${token}` });
    expect(response.headers.get('set-cookie')).toMatch(/^venn_console=[A-Za-z0-9_-]{43}; Path=\/console; HttpOnly; SameSite=Strict; Max-Age=43200$/);
    // The admin token works in place of a session (scripts), never in the URL.
    expect((await fetch(url('/console/api/session'), { headers: { authorization: `Bearer ${token}` } })).status).toBe(200);
    expect((await fetch(url(`/console/api/session?token=${token}`))).status).toBe(401);
  });

  it('ends a session after 30 idle minutes and on logout', async () => {
    const { cookie, csrf } = await login();
    time.advance(29 * 60_000);
    expect((await fetch(url('/console/api/queue'), { headers: { cookie } })).status).toBe(200);
    time.advance(31 * 60_000);
    expect((await fetch(url('/console/api/queue'), { headers: { cookie } })).status).toBe(401);
    const again = await login();
    expect((await fetch(url('/console/logout'), { method: 'POST', headers: { cookie: again.cookie, 'x-csrf-token': csrf } })).status).toBe(403);
    const out = await fetch(url('/console/logout'), { method: 'POST', headers: { cookie: again.cookie, 'x-csrf-token': again.csrf } });
    expect(out.status).toBe(200);
    expect(out.headers.get('set-cookie')).toContain('Max-Age=0');
    expect((await fetch(url('/console/api/queue'), { headers: { cookie: again.cookie } })).status).toBe(401);
  });

  it('answers junk parameters and bodies with typed errors', async () => {
    const { cookie, csrf } = await login();
    const cases: Array<[string, RequestInit, number, string]> = [
      ['/console/api/queue?limit=abc', {}, 400, 'invalid-parameter'],
      ['/console/api/queue?limit=-1', {}, 400, 'invalid-parameter'],
      ['/console/api/queue?limit=999999', {}, 400, 'invalid-parameter'],
      ['/console/api/queue?state=bogus', {}, 400, 'invalid-filter'],
      ['/console/api/queue.csv?since=yesterday', {}, 400, 'invalid-filter'],
      ['/console/api/queue?round=zz', {}, 400, 'invalid-round-id'],
      ['/console/api/account', {}, 400, 'invalid-parameter'],
      ['/console/api/account?ref=nobody', {}, 404, 'unknown-account'],
      ['/console/api/rounds?limit=x', {}, 400, 'invalid-parameter'],
      ['/console/api/rounds/bundle?round=xyz', {}, 400, 'invalid-parameter'],
      [`/console/api/rounds/bundle?round=${'ab'.repeat(32)}`, {}, 404, 'unknown-round'],
      ['/console/api/reviews', { method: 'POST', body: '{"account":' }, 400, 'invalid-json'],
      ['/console/api/reviews', { method: 'POST', body: '[1,2]' }, 400, 'invalid-json'],
      ['/console/api/reviews', { method: 'POST', body: JSON.stringify({ account: 'nobody', state: 'reviewed', note: '', version: 0 }) }, 404, 'unknown-account'],
      ['/console/api/reviews', { method: 'POST', body: JSON.stringify({ note: 'x'.repeat(20_000) }) }, 413, 'body-too-large'],
      ['/console/api/audit/cross-check', { method: 'POST', body: 'not a log' }, 400, 'malformed'],
      ['/console/api/queue', { method: 'POST', body: '{}' }, 405, 'method-not-allowed'],
      ['/console/nothing-here', {}, 404, 'not-found'],
    ];
    for (const [path, init, status, code] of cases) {
      const response = await fetch(url(path), { ...init, headers: { cookie, 'x-csrf-token': csrf, 'content-type': 'application/json' } });
      const body = await response.json() as { error: { code: string; message: string } };
      expect(response.status, path).toBe(status);
      if (code !== 'malformed') expect(body.error.code, path).toBe(code);
      else expect(body.error.code, path).toMatch(/^[a-z-]+$/);
      expect(body.error.message.length, path).toBeGreaterThan(10);
    }
  });

  it('shows budgets and abandonments when the daemon reports them, and says so when it does not', async () => {
    const headers = { authorization: `Bearer ${token}` };
    const bare = await (await fetch(url('/console/api/federation'), { headers })).json() as Record<string, any>;
    expect(bare).toMatchObject({ source: 'store', nextSlot: '2031-01-01T00:00:00.000Z', federation: { name: 't', epoch: 1 } });
    expect(bare['peers']).toEqual([expect.objectContaining({
      id: 'lab-b', lastRound: null, budget: null, abandonments: null,
      quota: { day: '2030-05-01', rounds: 0, maxRoundsPerDay: 8, adHocRounds: 0, maxAdHocRoundsPerDay: 4 },
    })]);
    const budget = { windowHours: 24, limit: 2_000_000, used: 500_000, reserved: 0, left: 1_500_000, perRoundLimit: 1_000_000 };
    const abandonments = { last24h: 2, limit: 3, suspended: false, suspendedAt: null };
    const lastRound = { roundId: 'cd'.repeat(32), attempt: 2, role: 'responder', origin: 'scheduled', mode: 'intersection', status: 'aborted', reason: 'peer-abandoned', startedAt: '2030-05-01T11:00:00.000Z', finishedAt: '2030-05-01T11:00:05.000Z', durationMs: 5000, localSetSize: 10, peerSetSize: 12, intersectionSize: null };
    statusReport = { nextSlot: null, peers: [{ id: 'lab-b', endpoint: 'ws://x', lastRound, quota: { day: '2030-05-01', rounds: 3, maxRoundsPerDay: 8, adHocRounds: 1, maxAdHocRoundsPerDay: 4 }, budget, abandonments }] };
    const reported = await (await fetch(url('/console/api/federation'), { headers })).json() as Record<string, any>;
    expect(reported['source']).toBe('status-report');
    expect(reported['peers'][0]).toMatchObject({ id: 'lab-b', budget, abandonments, lastRound, quota: { rounds: 3, adHocRounds: 1 } });
    statusReport = { nextSlot: null };
  });

  it('streams round ends to a session until the session ends', async () => {
    const { cookie, csrf } = await login();
    const events: string[] = [];
    const ended = new Promise<void>((resolve, reject) => {
      const req = request(url('/console/api/events'), { headers: { cookie } }, (res) => {
        expect(res.statusCode).toBe(200);
        expect(res.headers['content-type']).toBe('text/event-stream; charset=utf-8');
        res.on('data', (chunk: Buffer) => {
          events.push(chunk.toString());
          if (chunk.toString().includes('retry:')) {
            for (const listener of roundListeners) listener({ roundId: new Uint8Array(32).fill(7), attempt: 1, peerId: 'lab-b', status: 'completed', reason: null, finishedAt: time.now(), intersectionSize: 4 } as RoundRecord);
            void fetch(url('/console/logout'), { method: 'POST', headers: { cookie, 'x-csrf-token': csrf } });
          }
        });
        res.on('end', resolve);
      });
      req.on('error', reject);
      req.end();
    });
    await ended;
    const text = events.join('');
    expect(text).toContain('event: round');
    expect(text).toContain(`"roundId":"${'07'.repeat(32)}"`);
    expect(text).toContain('"intersectionSize":4');
  });
});
