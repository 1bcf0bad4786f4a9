import { Writable } from 'node:stream';
import pino from 'pino';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startAdminServer, type AdminServer } from '../src/internal/admin-server.js';
import { NodeMetrics } from '../src/internal/metrics.js';
import { createProgress } from '../src/internal/progress.js';

const token = 'a'.repeat(64);
const calls: Array<{ route: string; args: unknown }> = [];
let server: AdminServer;
const metrics = new NodeMetrics({ node: 'lab-t' });

beforeAll(async () => {
  server = await startAdminServer({
    host: '127.0.0.1', port: 0, token, metrics, logger: pino({ level: 'silent' }),
    handlers: {
      health: () => ({ status: 200, body: { status: 'ok' } }),
      status: () => ({ node: 'lab-t' }),
      startRound: async (request) => { calls.push({ route: 'start', args: request }); return { status: 202, body: { roundId: 'ab'.repeat(32) } }; },
      roundStatus: async (id, waitMs) => { calls.push({ route: 'round', args: { id, waitMs } }); return { status: 200, body: { roundId: id } }; },
    },
  });
});
afterAll(() => server.close());

const url = (path: string): string => `http://127.0.0.1:${server.port}${path}`;

describe('admin endpoint', () => {
  it('answers /healthz, /v1/status and Prometheus /metrics', async () => {
    expect(await (await fetch(url('/healthz'))).json()).toEqual({ status: 'ok' });
    expect(await (await fetch(url('/v1/status'))).json()).toEqual({ node: 'lab-t' });
    const response = await fetch(url('/metrics'));
    expect(response.headers.get('content-type')).toMatch(/^text\/plain/);
    const text = await response.text();
    expect(text).toContain('# TYPE venn_rounds_total counter');
    expect(text).toContain('venn_admin_requests_total{route="healthz",code="200",node="lab-t"} 1');
  });

  it('requires the admin token to start a round, compared in full', async () => {
    const body = JSON.stringify({ peer: 'lab-b', mode: 'cardinality' });
    const anonymous = await fetch(url('/v1/rounds'), { method: 'POST', body });
    expect(anonymous.status).toBe(401);
    expect(await anonymous.json()).toMatchObject({ error: { code: 'unauthorized' } });
    for (const wrong of ['b'.repeat(64), 'a'.repeat(63), `${token}a`, '']) {
      expect((await fetch(url('/v1/rounds'), { method: 'POST', body, headers: { authorization: `Bearer ${wrong}` } })).status).toBe(401);
    }
    expect(calls.filter((call) => call.route === 'start')).toEqual([]);
    const ok = await fetch(url('/v1/rounds'), { method: 'POST', body, headers: { authorization: `Bearer ${token}` } });
    expect(ok.status).toBe(202);
    expect(calls.at(-1)).toEqual({ route: 'start', args: { peer: 'lab-b', mode: 'cardinality' } });
  });

  it('refuses oversized and malformed bodies with typed errors', async () => {
    const headers = { authorization: `Bearer ${token}` };
    const big = await fetch(url('/v1/rounds'), { method: 'POST', headers, body: JSON.stringify({ peer: 'x'.repeat(20_000) }) });
    expect(big.status).toBe(400);
    expect(await big.json()).toMatchObject({ error: { code: 'body-too-large' } });
    const junk = await fetch(url('/v1/rounds'), { method: 'POST', headers, body: '{"peer":' });
    expect(junk.status).toBe(400);
    expect(await junk.json()).toMatchObject({ error: { code: 'invalid-json' } });
  });

  it('long-polls a round for at most 60 s and rejects malformed ids', async () => {
    const id = 'cd'.repeat(32);
    await fetch(url(`/v1/rounds/${id}?wait=5`));
    expect(calls.at(-1)).toEqual({ route: 'round', args: { id, waitMs: 5000 } });
    await fetch(url(`/v1/rounds/${id}?wait=9999`));
    expect(calls.at(-1)).toEqual({ route: 'round', args: { id, waitMs: 60_000 } });
    await fetch(url(`/v1/rounds/${id}?wait=-1`));
    expect(calls.at(-1)).toEqual({ route: 'round', args: { id, waitMs: 0 } });
    expect((await fetch(url('/v1/rounds/XYZ'))).status).toBe(404);
    expect((await fetch(url(`/v1/rounds/${id}0`))).status).toBe(404);
    expect((await fetch(url('/admin'), { method: 'DELETE' })).status).toBe(404);
  });
});

describe('progress bar', () => {
  function sink(tty: boolean): { stream: NodeJS.WritableStream; text: () => string } {
    let text = '';
    const stream = new Writable({ write(chunk: Buffer, _encoding, done) { text += chunk.toString(); done(); } });
    Object.assign(stream, { isTTY: tty });
    return { stream, text: () => text };
  }

  it('draws on a terminal only', () => {
    const tty = sink(true);
    const progress = createProgress(tty.stream, 'ingest', 200);
    progress.update(50, 'rows');
    progress.finish('done');
    expect(tty.text()).toContain('ingest [########                      ]  25% 50/200 rows');
    expect(tty.text()).toContain('ingest done\n');
    const pipe = sink(false);
    const quiet = createProgress(pipe.stream, 'ingest', 200);
    quiet.update(50);
    quiet.finish('done');
    expect(pipe.text()).toBe('');
  });
});
