import { Writable } from 'node:stream';
import pino from 'pino';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { request } from 'node:http';
import { acceptedHosts, startAdminServer, type AdminServer } from '../src/internal/admin-server.js';
import { NodeMetrics } from '../src/internal/metrics.js';
import { createProgress } from '../src/internal/progress.js';

const token = 'a'.repeat(64);
const calls: Array<{ route: string; args: unknown }> = [];
let server: AdminServer;
const metrics = new NodeMetrics({ node: 'lab-t' });

beforeAll(async () => {
  server = await startAdminServer({
    host: '127.0.0.1', port: 0, token, allowedHosts: ['admin.lab-t.example'], metrics, logger: pino({ level: 'silent' }),
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
const bearer = { authorization: `Bearer ${token}` };

/** A raw HTTP/1.1 GET with a chosen Host header (fetch does not let a caller set Host). */
function getWithHost(path: string, host: string | null, headers: Record<string, string> = bearer): Promise<{ status: number; body: string }> {
  return new Promise((resolve, reject) => {
    const req = request({ host: '127.0.0.1', port: server.port, path, method: 'GET', headers: { ...headers, ...(host === null ? {} : { host }) }, setHost: false }, (res) => {
      let body = '';
      res.on('data', (chunk: Buffer) => { body += chunk.toString(); });
      res.on('end', () => resolve({ status: res.statusCode ?? 0, body }));
    });
    req.on('error', reject);
    req.end();
  });
}

describe('admin endpoint', () => {
  it('answers /healthz, /v1/status and Prometheus /metrics', async () => {
    expect(await (await fetch(url('/healthz'))).json()).toEqual({ status: 'ok' });
    expect(await (await fetch(url('/v1/status'), { headers: bearer })).json()).toEqual({ node: 'lab-t' });
    const response = await fetch(url('/metrics'), { headers: bearer });
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
    await fetch(url(`/v1/rounds/${id}?wait=5`), { headers: bearer });
    expect(calls.at(-1)).toEqual({ route: 'round', args: { id, waitMs: 5000 } });
    await fetch(url(`/v1/rounds/${id}?wait=9999`), { headers: bearer });
    expect(calls.at(-1)).toEqual({ route: 'round', args: { id, waitMs: 60_000 } });
    await fetch(url(`/v1/rounds/${id}?wait=-1`), { headers: bearer });
    expect(calls.at(-1)).toEqual({ route: 'round', args: { id, waitMs: 0 } });
    expect((await fetch(url('/v1/rounds/XYZ'), { headers: bearer })).status).toBe(404);
    expect((await fetch(url(`/v1/rounds/${id}0`), { headers: bearer })).status).toBe(404);
    expect((await fetch(url('/admin'), { method: 'DELETE' })).status).toBe(404);
  });

  it('needs the admin token on every /v1 route and on /metrics; /healthz stays open', async () => {
    const before = calls.length;
    for (const path of ['/v1/status', `/v1/rounds/${'cd'.repeat(32)}`, '/v1/anything', '/metrics']) {
      for (const headers of [{}, { authorization: `Bearer ${'b'.repeat(64)}` }, { authorization: token }]) {
        const response = await fetch(url(path), { headers });
        expect(response.status, `${path} ${JSON.stringify(headers)}`).toBe(401);
        const text = await response.text();
        expect(text).not.toContain('venn_rounds_total');
        expect(text).not.toContain('lab-t');
      }
    }
    // Nothing reached a handler without the token.
    expect(calls.length).toBe(before);
    expect((await fetch(url('/healthz'))).status).toBe(200);
  });

  it('answers 421 to a Host header other than its own address (DNS rebinding)', async () => {
    const port = server.port;
    for (const host of [`127.0.0.1:${port}`, `localhost:${port}`, `LOCALHOST:${port}`, `[::1]:${port}`, `admin.lab-t.example:${port}`, 'admin.lab-t.example']) {
      expect((await getWithHost('/v1/status', host)).status, host).toBe(200);
    }
    for (const host of ['attacker.example', `attacker.example:${port}`, `127.0.0.1:${port + 1}`, `localhost.attacker.example:${port}`, `127.0.0.1`, '']) {
      const response = await getWithHost('/v1/status', host);
      expect(response.status, host).toBe(421);
      expect(JSON.parse(response.body)).toMatchObject({ error: { code: 'misdirected-request' } });
      expect((await getWithHost('/metrics', host)).status, host).toBe(421);
    }
    // HTTP/1.1 without Host: refused by Node's HTTP parser before any route.
    expect((await getWithHost('/v1/status', null)).status).toBe(400);
    // Probes from a load balancer name the node by whatever address they use.
    expect((await getWithHost('/healthz', 'attacker.example', {})).status).toBe(200);
  });

  it('lists the Host names it accepts for each kind of listen address', () => {
    expect([...acceptedHosts('127.0.0.1', 7100, [])].sort()).toEqual(['127.0.0.1:7100', '[::1]:7100', 'localhost:7100']);
    expect([...acceptedHosts('::1', 80, [])].sort()).toEqual(['127.0.0.1', '127.0.0.1:80', '[::1]', '[::1]:80', 'localhost', 'localhost:80']);
    expect([...acceptedHosts('10.1.2.3', 7100, ['Venn.Example.org', 'proxy.example:8443'])].sort()).toEqual(['10.1.2.3:7100', 'proxy.example:8443', 'venn.example.org', 'venn.example.org:7100']);
    // A wildcard bind is reached on loopback too (the CLI dials 127.0.0.1 for 0.0.0.0).
    expect(acceptedHosts('0.0.0.0', 7100, []).has('127.0.0.1:7100')).toBe(true);
    expect(acceptedHosts('0.0.0.0', 7100, []).has('0.0.0.0:7100')).toBe(false);
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
