/**
 * The admin endpoint: /healthz, Prometheus /metrics, a small JSON API for `venn round` and
 * `venn status`, and the analyst console under /console. Loopback by default; everything but
 * /healthz needs the node's admin token (node.md §7) and a Host header naming this endpoint.
 */
import { createHash, timingSafeEqual } from 'node:crypto';
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
  /** Budgets, abandonments and suspensions per peer (node.md §5.2–§5.3). */
  peers(): AdminReply;
  /** Clears a peer's suspension (node.md §5.3); `by` names who asked. */
  clearPeer(peerId: string, by: string): AdminReply;
  /** POST /v1/lists: a change to identifier lists from a command (list-writer.ts). */
  lists?(request: unknown): Promise<AdminReply> | AdminReply;
  /** POST /v1/reload: what SIGHUP does. */
  reload?(): Promise<AdminReply> | AdminReply;
  /** POST /v1/epochs/look: each peer's key epoch (or one peer's) looked at now, as at an interval tick (node.md §10.3). */
  epochLook?(request: { peer: unknown }): Promise<AdminReply> | AdminReply;
}

/** A sub-application mounted under a path prefix (the analyst console); it authenticates its own requests. */
export interface AdminMount {
  readonly prefix: string;
  /** Answers the request; returns the route name for the request metric. */
  handle(req: IncomingMessage, res: ServerResponse, url: URL): Promise<string>;
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

/**
 * Constant-time: the comparison must not reveal how much of a guessed token was right, nor its
 * length (both sides are hashed to 32 bytes first).
 */
export function tokenMatches(presented: string, token: string): boolean {
  const a = createHash('sha256').update(presented, 'utf8').digest();
  const b = createHash('sha256').update(token, 'utf8').digest();
  return timingSafeEqual(a, b) && token !== '';
}

function authorized(req: IncomingMessage, token: string): boolean {
  const header = req.headers.authorization ?? '';
  return header.startsWith('Bearer ') && tokenMatches(header.slice(7).trim(), token);
}

const LOOPBACK_NAMES = ['localhost', '127.0.0.1', '[::1]'];

function isLoopbackOrWildcard(host: string): boolean {
  return host === 'localhost' || host === '::1' || /^127\.\d{1,3}\.\d{1,3}\.\d{1,3}$/.test(host) || host === '0.0.0.0' || host === '::' || host === '';
}

/**
 * node.md §7: the Host header values the endpoint answers (lower case). A page on another origin
 * that rebinds its DNS name to this address still sends its own name as Host, and is refused.
 * `extra` holds operator-listed names (`adminAllowedHosts`): a bare name is accepted with or
 * without this endpoint's port, a HOST:PORT entry exactly.
 */
export function acceptedHosts(host: string, port: number, extra: readonly string[]): Set<string> {
  const names = new Set<string>();
  const bracketed = host.includes(':') ? `[${host}]` : host;
  if (host !== '0.0.0.0' && host !== '::' && host !== '') names.add(bracketed.toLowerCase());
  // The CLI dials loopback for a wildcard bind, so loopback names are this endpoint's own there too.
  if (isLoopbackOrWildcard(host)) for (const name of LOOPBACK_NAMES) names.add(name);
  const accepted = new Set<string>();
  for (const name of names) {
    accepted.add(`${name}:${port}`);
    // A client omits the port from Host when it is the scheme's default.
    if (port === 80) accepted.add(name);
  }
  for (const entry of extra) {
    const lower = entry.trim().toLowerCase();
    if (/:[0-9]+$/.test(lower) && (lower.startsWith('[') || lower.split(':').length === 2)) {
      accepted.add(lower);
    } else {
      accepted.add(lower);
      accepted.add(`${lower}:${port}`);
    }
  }
  return accepted;
}

export function startAdminServer(options: {
  host: string; port: number; token: string; handlers: AdminHandlers; metrics: NodeMetrics; logger: Logger;
  /** Host names besides the listen address and loopback names (config `adminAllowedHosts`). */
  allowedHosts?: readonly string[];
  mounts?: readonly AdminMount[];
}): Promise<AdminServer> {
  const { handlers, metrics, logger } = options;
  let hosts: Set<string> | undefined;
  const route = async (req: IncomingMessage, res: ServerResponse): Promise<string> => {
    const url = new URL(req.url ?? '/', 'http://admin.invalid');
    const path = url.pathname;
    if (req.method === 'GET' && path === '/healthz') {
      // Open to any Host: probes name the node by whatever address they reach it at, and it reveals nothing.
      const reply = handlers.health();
      send(res, reply.status, reply.body);
      return 'healthz';
    }
    hosts ??= acceptedHosts(options.host, listenPort, options.allowedHosts ?? []);
    const host = (req.headers.host ?? '').trim().toLowerCase();
    if (!hosts.has(host)) {
      send(res, 421, errorBody('misdirected-request', `"host" expected one of ${[...hosts].join(', ')} (adminAllowedHosts lists more), got ${JSON.stringify(host.slice(0, 100))}`));
      return 'misdirected';
    }
    const mount = options.mounts?.find((m) => path === m.prefix || path.startsWith(`${m.prefix}/`));
    if (mount !== undefined) return mount.handle(req, res, url);
    if ((path === '/metrics' || path === '/v1' || path.startsWith('/v1/')) && !authorized(req, options.token)) {
      send(res, 401, errorBody('unauthorized', `${req.method ?? 'GET'} ${path} expected "authorization: Bearer <admin token>" (the node's admin.token)`));
      return 'unauthorized';
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
    if (path === '/v1/epochs/look' && handlers.epochLook !== undefined) {
      if (req.method !== 'POST') {
        send(res, 405, errorBody('method-not-allowed', `${path} expected POST, got ${req.method ?? '?'}`));
        return 'epochs-look';
      }
      const body = (await readBody(req)) as Record<string, unknown> | null;
      const reply = await handlers.epochLook({ peer: body?.['peer'] });
      send(res, reply.status, reply.body);
      return 'epochs-look';
    }
    const match = /^\/v1\/rounds\/([0-9a-f]{64})$/.exec(path);
    if (match !== null && req.method === 'GET') {
      const wait = Number(url.searchParams.get('wait') ?? '0');
      const waitMs = Number.isFinite(wait) && wait > 0 ? Math.min(wait * 1000, MAX_WAIT_MS) : 0;
      const reply = await handlers.roundStatus(match[1]!, waitMs);
      send(res, reply.status, reply.body);
      return 'round';
    }
    if (req.method === 'GET' && path === '/v1/peers') {
      if (!authorized(req, options.token)) {
        send(res, 401, errorBody('unauthorized', 'GET /v1/peers expected "authorization: Bearer <admin token>" (the node\'s admin.token)'));
        return 'peers';
      }
      const reply = handlers.peers();
      send(res, reply.status, reply.body);
      return 'peers';
    }
    const clear = /^\/v1\/peers\/([a-z0-9][a-z0-9-]{0,62})\/clear$/.exec(path);
    if (clear !== null && req.method === 'POST') {
      if (!authorized(req, options.token)) {
        send(res, 401, errorBody('unauthorized', `POST ${path} expected "authorization: Bearer <admin token>" (the node's admin.token)`));
        return 'peer-clear';
      }
      const body = (await readBody(req)) as Record<string, unknown> | null;
      const by = typeof body?.['by'] === 'string' && body['by'] !== '' ? body['by'] : 'admin API';
      const reply = handlers.clearPeer(clear[1]!, by);
      send(res, reply.status, reply.body);
      return 'peer-clear';
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
  let listenPort = options.port;
  return new Promise((resolve, reject) => {
    server.once('error', reject);
    server.listen(options.port, options.host, () => {
      server.off('error', reject);
      const address = server.address() as AddressInfo;
      listenPort = address.port;
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
