/**
 * The analyst console, mounted by the daemon under /console on its admin endpoint: a login form
 * for the admin token, static pages (Preact with htm, uPlot), a JSON API the pages call, a CSV
 * export and a server-sent event stream that tells open pages when a round ends. Every API route
 * needs a session (or the admin token); every state-changing one also the session's CSRF token.
 */
import type { IncomingMessage, ServerResponse } from 'node:http';
import { VennError } from '@venn/errors';
import { tokenMatches, type AdminMount } from '../admin-server.js';
import { auditRosterOf, loggedAttempt, transcriptBundleOf } from '../audit-files.js';
import type { Timers, TimerHandle } from '../clock.js';
import type { NodeConfig } from '../config.js';
import type { Logger } from '../logger.js';
import type { InstalledRoster } from '../roster.js';
import { utcDay, type RoundRecord, type Store } from '../store.js';
import { MAX_UPLOADED_LOG_BYTES, auditView, runCrossCheck } from './audit-view.js';
import { chartsView } from './charts.js';
import { federationView } from './federation.js';
import { parseCookies, readBody, readForm, readJson, redirect, sendDownload, sendError, sendJson, setSecurityHeaders } from './http.js';
import { REVIEW_STATES, accountView, parseQueueFilter, queryQueue, queueCsv, recordReview, type QueueFilter } from './queue.js';
import { Router, type ConsoleRequest } from './router.js';
import { roundsView } from './rounds.js';
import { SESSION_COOKIE, SessionTable, clearedSessionCookie, csrfMatches, sessionCookie, type Session } from './sessions.js';
import { StaticFiles } from './static-files.js';

export interface ConsoleContext {
  readonly config: NodeConfig;
  readonly roster: InstalledRoster;
  readonly store: Store;
  /** The admin token: the login credential. */
  readonly token: string;
  /** This node's identity public key, to check its own signed log heads. */
  readonly publicKey: Uint8Array;
  readonly now: () => number;
  readonly rng: (n: number) => Uint8Array;
  readonly timers: Timers;
  readonly logger: Logger;
  /** The daemon's status report (GET /v1/status). */
  statusReport(): Record<string, unknown>;
  /** Calls `listener` whenever an attempt ends; returns the function that stops it. */
  onRoundFinished(listener: (round: RoundRecord) => void): () => void;
}

export interface AnalystConsole extends AdminMount {
  /** Ends the event streams (the daemon is stopping). */
  close(): void;
}

const MAX_FORM_BYTES = 4096;
const MAX_JSON_BYTES = 16 * 1024;
/** Queue rows per page of the API; the CSV export has every row. */
const MAX_QUEUE_LIMIT = 5000;
const EVENT_HEARTBEAT_MS = 20_000;

/** One open server-sent event stream and the session it belongs to (none for admin-token callers). */
interface EventStream {
  readonly res: ServerResponse;
  readonly sessionId: string | undefined;
  heartbeat: TimerHandle | undefined;
}

/** Errors a caller can fix map to 4xx; the rest are this node's fault. */
function statusOf(code: string): number {
  if (code === 'unknown-account' || code === 'unknown-round' || code === 'round-not-logged' || code === 'no-tree-head') return 404;
  if (code === 'body-too-large') return 413;
  if (code === 'unsupported-media-type') return 415;
  return 400;
}

function integerParam(url: URL, name: string, fallback: number, max: number): number {
  const text = url.searchParams.get(name);
  if (text === null || text === '') return fallback;
  const value = Number(text);
  if (!/^[0-9]+$/.test(text) || !Number.isSafeInteger(value) || value > max) throw new VennError('invalid-parameter', `"${name}" expected an integer between 0 and ${max}, got ${JSON.stringify(text.slice(0, 40))}`);
  return value;
}

export function createConsole(ctx: ConsoleContext): AnalystConsole {
  const files = StaticFiles.load();
  const sessions = new SessionTable({ now: ctx.now, rng: ctx.rng });
  const streams = new Set<EventStream>();
  const peers = ctx.roster.peers.map((member) => member.id);
  const log = ctx.logger.child({ component: 'console' });

  const filterOf = (url: URL): QueueFilter => parseQueueFilter(Object.fromEntries(['peer', 'kind', 'category', 'since', 'until', 'state', 'round'].map((name) => [name, url.searchParams.get(name) ?? undefined])), ctx.store);

  const router = new Router()
    .add('GET', '/console', { name: 'console', access: 'public', handler: ({ res }) => redirect(res, '/console/') })
    .add('GET', '/console/', {
      name: 'console-page', access: 'public',
      handler: ({ req, res }) => {
        if (sessionOf(req) === undefined) redirect(res, '/console/login');
        else files.serve(req, res, 'index.html', { 'cache-control': 'no-store' });
      },
    })
    .add('GET', '/console/login', {
      name: 'console-login', access: 'public',
      handler: ({ req, res }) => {
        if (sessionOf(req) !== undefined) redirect(res, '/console/');
        else files.serve(req, res, 'login.html', { 'cache-control': 'no-store' });
      },
    })
    .add('POST', '/console/login', { name: 'console-login', access: 'public', handler: login })
    .add('POST', '/console/logout', {
      name: 'console-logout', access: 'write',
      handler: ({ req, res }) => {
        sessions.destroy(parseCookies(req.headers.cookie).get(SESSION_COOKIE));
        endStreamsWithoutSession();
        res.setHeader('set-cookie', clearedSessionCookie());
        sendJson(res, 200, { loggedOut: true });
      },
    })
    .addPrefix('GET', '/console/static/', {
      name: 'console-static', access: 'public',
      handler: ({ req, res, url }) => {
        if (!files.serve(req, res, url.pathname.slice('/console/static/'.length))) sendError(res, 404, 'not-found', `no console file ${url.pathname}`);
      },
    })
    .add('GET', '/console/api/session', {
      name: 'console-session', access: 'session',
      handler: ({ res, session }) => sendJson(res, 200, {
        node: ctx.config.id, csrf: session?.csrf ?? null, idleSeconds: Math.floor(sessions.idleMs / 1000), states: REVIEW_STATES, peers,
        federation: ctx.roster.roster.federation,
      }),
    })
    .add('GET', '/console/api/queue', {
      name: 'console-queue', access: 'session',
      handler: ({ res, url }) => {
        const view = queryQueue(ctx.store, filterOf(url));
        const limit = integerParam(url, 'limit', 200, MAX_QUEUE_LIMIT);
        const offset = integerParam(url, 'offset', 0, Number.MAX_SAFE_INTEGER);
        sendJson(res, 200, { ...view, rows: view.rows.slice(offset, offset + limit), total: view.rows.length, limit, offset });
      },
    })
    .add('GET', '/console/api/queue.csv', {
      name: 'console-csv', access: 'session',
      handler: ({ res, url }) => {
        const csv = queueCsv(queryQueue(ctx.store, filterOf(url)), peers);
        sendDownload(res, 'text/csv; charset=utf-8', `venn-matches-${ctx.config.id}-${utcDay(ctx.now())}.csv`, csv);
      },
    })
    .add('GET', '/console/api/account', {
      name: 'console-account', access: 'session',
      handler: ({ res, url }) => {
        const account = url.searchParams.get('ref');
        if (account === null) throw new VennError('invalid-parameter', '"ref" expected a local account reference, got nothing');
        const view = accountView(ctx.store, account);
        if (view === null) throw new VennError('unknown-account', `"ref" expected a local account reference with matches, got ${JSON.stringify(account.slice(0, 100))}`);
        sendJson(res, 200, view);
      },
    })
    .add('POST', '/console/api/reviews', {
      name: 'console-review', access: 'write',
      handler: async ({ req, res }) => {
        const body = await readJson(req, MAX_JSON_BYTES);
        const review = recordReview(ctx.store, { account: body['account'], state: body['state'], note: body['note'], version: body['version'] }, ctx.now());
        // The decision stays on this node: logged without the note, which may name people.
        log.info({ state: review.state }, 'analyst review recorded');
        sendJson(res, 201, review);
      },
    })
    .add('GET', '/console/api/federation', {
      name: 'console-federation', access: 'session',
      handler: ({ res }) => sendJson(res, 200, federationView({ config: ctx.config, roster: ctx.roster, store: ctx.store, now: ctx.now(), status: ctx.statusReport() })),
    })
    .add('GET', '/console/api/rounds', {
      name: 'console-rounds', access: 'session',
      handler: ({ res, url }) => sendJson(res, 200, { rounds: roundsView(ctx.store, integerParam(url, 'limit', 200, 10_000)) }),
    })
    .add('GET', '/console/api/rounds/bundle', {
      name: 'console-bundle', access: 'session',
      handler: ({ res, url }) => {
        const id = url.searchParams.get('round') ?? '';
        if (!/^[0-9a-f]{64}$/.test(id)) throw new VennError('invalid-parameter', `"round" expected a round id of 64 hex digits, got ${JSON.stringify(id.slice(0, 80))}`);
        const attemptText = url.searchParams.get('attempt');
        const attempt = attemptText === null ? undefined : integerParam(url, 'attempt', 1, 0xffff_ffff);
        const roundId = new Uint8Array(Buffer.from(id, 'hex'));
        if (ctx.store.attempts(roundId).length === 0) throw new VennError('unknown-round', `"round" expected the id of a round on this node, got ${id}`);
        const logged = loggedAttempt(ctx.store, roundId, attempt);
        const { bytes } = transcriptBundleOf(ctx.store, ctx.config.id, logged);
        sendDownload(res, 'application/octet-stream', `venn-round-${id.slice(0, 16)}-${logged.round.attempt}.bundle`, bytes);
      },
    })
    .add('GET', '/console/api/audit', {
      name: 'console-audit', access: 'session',
      handler: ({ res }) => sendJson(res, 200, auditView({ store: ctx.store, nodeId: ctx.config.id, publicKey: ctx.publicKey, peers })),
    })
    .add('POST', '/console/api/audit/cross-check', {
      name: 'console-cross-check', access: 'write',
      handler: async ({ req, res }) => {
        const upload = await readBody(req, MAX_UPLOADED_LOG_BYTES);
        const result = runCrossCheck({ store: ctx.store, nodeId: ctx.config.id, roster: auditRosterOf(ctx.roster.roster), peers, upload: new Uint8Array(upload), now: ctx.now() });
        log.info({ peer: result.peer, consistent: result.consistent, issues: result.issues.length }, 'log cross-checked from the console');
        sendJson(res, 200, result);
      },
    })
    .add('GET', '/console/api/charts', { name: 'console-charts', access: 'session', handler: ({ res }) => sendJson(res, 200, chartsView(ctx.store)) })
    .add('GET', '/console/api/events', { name: 'console-events', access: 'session', handler: openEventStream });

  function sessionOf(req: IncomingMessage): Session | undefined {
    return sessions.get(parseCookies(req.headers.cookie).get(SESSION_COOKIE));
  }

  function bearerOf(req: IncomingMessage): boolean {
    const header = req.headers.authorization ?? '';
    return header.startsWith('Bearer ') && tokenMatches(header.slice(7).trim(), ctx.token);
  }

  /** A browser sends Origin on POST; one naming another site is a cross-site request. */
  function sameOrigin(req: IncomingMessage): boolean {
    const origin = req.headers.origin;
    return origin === undefined || origin === `http://${req.headers.host ?? ''}` || origin === `https://${req.headers.host ?? ''}`;
  }

  async function login({ req, res }: ConsoleRequest): Promise<void> {
    if (!sameOrigin(req)) {
      sendError(res, 403, 'cross-origin', 'a console login expected a form on this console, got a request from another origin');
      return;
    }
    const form = await readForm(req, MAX_FORM_BYTES);
    if (!tokenMatches((form.get('token') ?? '').trim(), ctx.token)) {
      log.warn('console login refused: wrong token');
      redirect(res, '/console/login?failed=1');
      return;
    }
    const { id } = sessions.create();
    log.info('console login');
    redirect(res, '/console/', { 'set-cookie': sessionCookie(id, sessions.maxAgeMs) });
  }

  function openEventStream({ req, res }: ConsoleRequest): void {
    res.writeHead(200, { 'content-type': 'text/event-stream; charset=utf-8', 'cache-control': 'no-store', connection: 'keep-alive' });
    res.write('retry: 3000\n\n');
    const stream: EventStream = { res, sessionId: parseCookies(req.headers.cookie).get(SESSION_COOKIE), heartbeat: undefined };
    const beat = (): void => {
      // A stream lives no longer than its session.
      if (stream.sessionId !== undefined && sessions.get(stream.sessionId) === undefined) {
        end(stream);
        return;
      }
      res.write(': keep-alive\n\n');
      stream.heartbeat = ctx.timers.setTimeout(beat, EVENT_HEARTBEAT_MS);
    };
    stream.heartbeat = ctx.timers.setTimeout(beat, EVENT_HEARTBEAT_MS);
    streams.add(stream);
    req.on('close', () => end(stream));
  }

  function end(stream: EventStream): void {
    if (stream.heartbeat !== undefined) ctx.timers.clearTimeout(stream.heartbeat);
    streams.delete(stream);
    if (!stream.res.writableEnded) stream.res.end();
  }

  function endStreamsWithoutSession(): void {
    for (const stream of [...streams]) if (stream.sessionId !== undefined && sessions.get(stream.sessionId) === undefined) end(stream);
  }

  const unsubscribe = ctx.onRoundFinished((round) => {
    const event = {
      roundId: Buffer.from(round.roundId).toString('hex'), attempt: round.attempt, peer: round.peerId, status: round.status, reason: round.reason,
      finishedAt: round.finishedAt, intersectionSize: round.intersectionSize,
    };
    for (const stream of streams) stream.res.write(`event: round\ndata: ${JSON.stringify(event)}\n\n`);
  });

  async function handle(req: IncomingMessage, res: ServerResponse, url: URL): Promise<string> {
    setSecurityHeaders(res);
    const match = router.match(req.method ?? 'GET', url.pathname);
    if (match === undefined) {
      sendError(res, 404, 'not-found', `no console route ${url.pathname}`);
      return 'console-unknown';
    }
    if ('allowed' in match) {
      res.setHeader('allow', match.allowed.join(', '));
      sendError(res, 405, 'method-not-allowed', `${url.pathname} expected ${match.allowed.join(' or ')}, got ${req.method ?? '?'}`);
      return 'console-unknown';
    }
    const { route } = match;
    let session: Session | undefined;
    if (route.access !== 'public') {
      session = sessionOf(req);
      const bearer = session === undefined && bearerOf(req);
      if (session === undefined && !bearer) {
        sendError(res, 401, 'unauthorized', `${url.pathname} expected a console session (log in at /console/login) or "authorization: Bearer <admin token>"`);
        return route.name;
      }
      // CSRF (node.md §7.1): a browser session's writes carry its token in a header no other site can set.
      if (route.access === 'write' && session !== undefined) {
        const presented = req.headers['x-csrf-token'];
        if (!sameOrigin(req) || !csrfMatches(typeof presented === 'string' ? presented : undefined, session)) {
          sendError(res, 403, 'csrf-mismatch', `${req.method ?? 'POST'} ${url.pathname} expected this session's "x-csrf-token" header from this console's origin`);
          return route.name;
        }
      }
    }
    try {
      await route.handler({ req, res, url, session });
    } catch (error) {
      if (!(error instanceof VennError)) throw error;
      if (!res.headersSent) sendError(res, statusOf(error.code), error.code, error.message);
      else res.destroy();
    }
    return route.name;
  }

  return {
    prefix: '/console',
    handle,
    close: () => {
      unsubscribe();
      for (const stream of [...streams]) end(stream);
    },
  };
}
