/**
 * The admin endpoint: /healthz, Prometheus /metrics and a small JSON API for `venn round` and
 * `venn status`. Loopback by default; state-changing requests need the node's admin token.
 */
import { timingSafeEqual } from 'node:crypto';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { VennError } from '@venn/errors';
import type { Logger } from './logger.js';
import type { NodeMetrics } from './metrics.js';

export interface AdminReply {
  readonly status: number;
  readonly body: unknown;
}

export interface AdminHandlers {
  /** 200 while serving, 503 while shutting down. */
  health(): AdminReply;
  status(): Promise<unknown> | unknown;
  startRound(request: { peer: unknown; mode: unknown }): Promise<AdminReply>;
  /** Long-polls up to waitMs for the round to reach a final state. */
  roundStatus(roundIdHex: string, waitMs: number): Promise<AdminReply>;
  /** POST /v1/lists: a change to identifier lists from a command (list-writer.ts). */
  lists?(request: unknown): Promise<AdminReply> | AdminReply;
  /** POST /v1/reload: what SIGHUP does. */
  reload?(): Promise<AdminReply> | AdminReply;
}

export interface AdminServer {
  readonly host: string;
  readonly port: number;
  close(): Promise<void>;
}

const MAX_BODY_BYTES = 16 * 1024;
/** List changes carry batches of digests (list-writer.ts ADMIN_BATCH, about 1 MiB of JSON). */
const MAX_LIST_BODY_BYTES = 8 * 1024 * 1024;
const MAX_WAIT_MS = 60_000;

function send(res: ServerResponse, status: number, body: unknown): void {
  const text = JSON.stringify(body);
  res.writeHead(status, { 'content-type': 'application/json; charset=utf-8', 'content-length': Buffer.byteLength(text), 'cache-control': 'no-store' });
  res.end(text);
}

function errorBody(code: string, message: string): unknown {
  return { error: { code, message } };
}

function readBody(req: IncomingMessage, limit = MAX_BODY_BYTES): Promise<unknown> {
  return new Promise((resolve, reject) => {
    const declared = Number(req.headers['content-length'] ?? '0');
    if (declared > limit) {
      reject(new VennError('body-too-large', `request body expected at most ${limit} bytes, got content-length ${declared}`));
      return;
    }
    const chunks: Buffer[] = [];
    let size = 0;
    req.on('data', (chunk: Buffer) => {
      size += chunk.length;
      if (size > limit) {
        req.destroy();
        reject(new VennError('body-too-large', `request body expected at most ${limit} bytes`));
        return;
      }
      chunks.push(chunk);
    });
    req.on('end', () => {
      const text = Buffer.concat(chunks).toString('utf8');
      try {
        resolve(text === '' ? {} : (JSON.parse(text) as unknown));
      } catch {
        reject(new VennError('invalid-json', 'request body expected JSON'));
      }
    });
    req.on('error', reject);
  });
}

function authorized(req: IncomingMessage, token: string): boolean {
  const header = req.headers.authorization ?? '';
  const presented = Buffer.from(header.startsWith('Bearer ') ? header.slice(7).trim() : '');
  const expected = Buffer.from(token);
  // Constant-time: the comparison must not reveal how much of a guessed token was right.
  return presented.length === expected.length && timingSafeEqual(presented, expected);
}

export function startAdminServer(options: { host: string; port: number; token: string; handlers: AdminHandlers; metrics: NodeMetrics; logger: Logger }): Promise<AdminServer> {
  const { handlers, metrics, logger } = options;
  const route = async (req: IncomingMessage, res: ServerResponse): Promise<string> => {
    const url = new URL(req.url ?? '/', 'http://admin.invalid');
    const path = url.pathname;
    if (req.method === 'GET' && path === '/healthz') {
      const reply = handlers.health();
      send(res, reply.status, reply.body);
      return 'healthz';
    }
    if (req.method === 'GET' && path === '/metrics') {
      const text = await metrics.text();
      res.writeHead(200, { 'content-type': metrics.contentType, 'content-length': Buffer.byteLength(text) });
      res.end(text);
      return 'metrics';
    }
    if (req.method === 'GET' && path === '/v1/status') {
      send(res, 200, await handlers.status());
      return 'status';
    }
    if (path === '/v1/rounds' && req.method === 'POST') {
      if (!authorized(req, options.token)) {
        send(res, 401, errorBody('unauthorized', 'POST /v1/rounds expected "authorization: Bearer <admin token>" (the node\'s admin.token)'));
        return 'rounds';
      }
      const body = (await readBody(req)) as Record<string, unknown> | null;
      const reply = await handlers.startRound({ peer: body?.['peer'], mode: body?.['mode'] });
      send(res, reply.status, reply.body);
      return 'rounds';
    }
    if ((path === '/v1/lists' && handlers.lists !== undefined) || (path === '/v1/reload' && handlers.reload !== undefined)) {
      const name = path.slice(4);
      if (req.method !== 'POST') {
        send(res, 405, errorBody('method-not-allowed', `${path} expected POST, got ${req.method ?? '?'}`));
        return name;
      }
      if (!authorized(req, options.token)) {
        send(res, 401, errorBody('unauthorized', `POST ${path} expected "authorization: Bearer <admin token>" (the node's admin.token)`));
        return name;
      }
      const reply = path === '/v1/lists' ? await handlers.lists!(await readBody(req, MAX_LIST_BODY_BYTES)) : await handlers.reload!();
      send(res, reply.status, reply.body);
      return name;
    }
    const match = /^\/v1\/rounds\/([0-9a-f]{64})$/.exec(path);
    if (match !== null && req.method === 'GET') {
      const wait = Number(url.searchParams.get('wait') ?? '0');
      const waitMs = Number.isFinite(wait) && wait > 0 ? Math.min(wait * 1000, MAX_WAIT_MS) : 0;
      const reply = await handlers.roundStatus(match[1]!, waitMs);
      send(res, reply.status, reply.body);
      return 'round';
    }
    send(res, 404, errorBody('not-found', `no admin route ${req.method ?? '?'} ${path}`));
    return 'unknown';
  };

  const server: Server = createServer((req, res) => {
    route(req, res)
      .then((name) => metrics.adminRequests.inc({ route: name, code: String(res.statusCode) }))
      .catch((error: unknown) => {
        const known = error instanceof VennError;
        if (!known) logger.error({ err: error }, 'admin request failed');
        if (!res.headersSent) send(res, known ? 400 : 500, errorBody(known ? error.code : 'internal-error', known ? error.message : 'internal error'));
        else res.destroy();
      });
  });
  // Bounded: slow or idle admin clients cannot pile up.
  server.headersTimeout = 10_000;
  server.requestTimeout = MAX_WAIT_MS + 10_000;
  server.keepAliveTimeout = 5_000;
  server.maxConnections = 64;
  return new Promise((resolve, reject) => {
    server.once('error', reject);
    server.listen(options.port, options.host, () => {
      server.off('error', reject);
      const address = server.address() as AddressInfo;
      resolve({
        host: address.address,
        port: address.port,
        close: () => new Promise<void>((done) => {
          server.close(() => done());
          server.closeAllConnections();
        }),
      });
    });
  });
}
