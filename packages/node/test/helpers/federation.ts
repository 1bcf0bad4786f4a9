/**
 * Real nodes for end-to-end tests: node directories made with the built CLI, daemons as child
 * processes on 127.0.0.1, and waits driven by the daemons' own JSON log lines (no sleeping).
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { cliPath } from './build.js';
import { venn } from './cli.js';
import { loopbackPort } from '../../src/internal/loopback-port.js';
import { mountTmpfs, unmount } from '../../../chaos/src/internal/disk.js';

export type LogLine = Record<string, unknown> & { msg?: string };

export const freePort = loopbackPort;

/** The transport's end-of-connection lines (transport.md §6.5) a node logged for connections with `peer`. */
/** Whether a log line is the end of a session with `peer` (transport.md §5.5). */
export function isSessionEnd(line: LogLine, peer: string): boolean {
  return line['component'] === 'transport' && line['peer'] === peer
    && typeof line.msg === 'string' && /^(closing connection|peer closed the connection): /.test(line.msg);
}

export function sessionEnds(node: NodeProcess, peer: string): LogLine[] {
  return node.logs.filter((line) => isSessionEnd(line, peer));
}

export class NodeProcess {
  child: ChildProcess | undefined;
  readonly logs: LogLine[] = [];
  stderr = '';
  private waiters: Array<{ predicate: (line: LogLine) => boolean; resolve: (line: LogLine) => void }> = [];
  private exitWaiters: Array<(result: { code: number | null; signal: NodeJS.Signals | null }) => void> = [];
  exitResult: { code: number | null; signal: NodeJS.Signals | null } | undefined;
  /** Offset of this node's clock from real time, shared by restarts so the clock stays continuous. */
  clockOffsetMs = 0;

  constructor(readonly id: string, readonly dir: string, readonly port: number, readonly adminPort: number) {}

  /** Index in `logs` of the first line of the current run. */
  private runStart = 0;

  start(env: Record<string, string> = {}): void {
    this.runStart = this.logs.length;
    const clockStart = new Date(Date.now() + this.clockOffsetMs).toISOString();
    this.exitResult = undefined;
    const child = spawn(process.execPath, [cliPath, 'start', '--dir', this.dir, '--clock-start', clockStart], { env: { ...process.env, ...env }, stdio: ['ignore', 'pipe', 'pipe'] });
    this.child = child;
    let buffered = '';
    child.stdout!.on('data', (chunk: Buffer) => {
      buffered += chunk.toString();
      const lines = buffered.split('\n');
      buffered = lines.pop() ?? '';
      for (const text of lines) {
        if (text.trim() === '') continue;
        let line: LogLine;
        try {
          line = JSON.parse(text) as LogLine;
        } catch {
          line = { msg: text, unparsed: true };
        }
        this.logs.push(line);
        this.waiters = this.waiters.filter((waiter) => {
          if (!waiter.predicate(line)) return true;
          waiter.resolve(line);
          return false;
        });
      }
    });
    child.stderr!.on('data', (chunk: Buffer) => { this.stderr += chunk.toString(); });
    child.on('exit', (code, signal) => {
      this.exitResult = { code, signal };
      for (const resolve of this.exitWaiters.splice(0)) resolve({ code, signal });
    });
  }

  /** Resolves with the first log line (past or future) matching `predicate`. */
  waitForLog(predicate: (line: LogLine) => boolean, timeoutMs = 60_000, what = 'log line'): Promise<LogLine> {
    const found = this.logs.find(predicate);
    if (found !== undefined) return Promise.resolve(found);
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`${this.id}: no ${what} within ${timeoutMs} ms; stderr: ${this.stderr}; last logs: ${JSON.stringify(this.logs.slice(-5))}`)), timeoutMs);
      this.waiters.push({ predicate, resolve: (line) => { clearTimeout(timer); resolve(line); } });
    });
  }

  /** Future lines only. */
  nextLog(predicate: (line: LogLine) => boolean, timeoutMs = 60_000, what = 'log line'): Promise<LogLine> {
    const seen = this.logs.length;
    return this.waitForLog((line) => this.logs.indexOf(line) >= seen && predicate(line), timeoutMs, what);
  }

  /** The current run's start line. */
  started(): Promise<LogLine> {
    const from = this.runStart;
    return this.waitForLog((line) => line.msg === 'venn node started' && this.logs.indexOf(line) >= from, 30_000, 'start');
  }

  /** Lines of the current run only. */
  runLogs(): LogLine[] {
    return this.logs.slice(this.runStart);
  }

  exited(): Promise<{ code: number | null; signal: NodeJS.Signals | null }> {
    if (this.exitResult !== undefined) return Promise.resolve(this.exitResult);
    return new Promise((resolve) => this.exitWaiters.push(resolve));
  }

  signal(signal: NodeJS.Signals): void {
    this.child?.kill(signal);
  }

  async stop(): Promise<void> {
    if (this.child === undefined || this.exitResult !== undefined) return;
    this.child.kill('SIGTERM');
    await this.exited();
  }

  /** Finished attempts reported in the log. */
  finishedRounds(): LogLine[] {
    return this.logs.filter((line) => line.msg === 'round attempt finished');
  }

  /** The node's admin token (admin.token in its directory). */
  get adminToken(): string {
    return readFileSync(join(this.dir, 'admin.token'), 'utf8').trim();
  }

  /** A request to the admin endpoint, with the admin token unless `token` is null. */
  async admin(path: string, init: { method?: string; body?: unknown; token?: string | null } = {}): Promise<{ status: number; body: unknown }> {
    const token = init.token === undefined ? this.adminToken : init.token;
    const response = await fetch(`http://127.0.0.1:${this.adminPort}${path}`, {
      method: init.method ?? 'GET',
      headers: { ...(token === null ? {} : { authorization: `Bearer ${token}` }), ...(init.body === undefined ? {} : { 'content-type': 'application/json' }) },
      ...(init.body === undefined ? {} : { body: JSON.stringify(init.body) }),
    });
    const text = await response.text();
    let body: unknown = text;
    try { body = JSON.parse(text); } catch { /* metrics text */ }
    return { status: response.status, body };
  }
}

export interface FederationOptions {
  readonly ids: readonly string[];
  readonly cron?: string;
  readonly windowMinutes?: number;
  /** Extra config fields per node (merged into venn.config.json). */
  readonly config?: Readonly<Record<string, Record<string, unknown>>>;
  readonly initArgs?: Readonly<Record<string, readonly string[]>>;
  /** Key epochs in the roster (node.md §10): days per epoch and minutes between incremental rounds. */
  readonly epochs?: { readonly days: number; readonly incrementalMinutes: number };
  /** Node directories on a size-limited tmpfs of this many MiB (a real full disk; needs root to mount). */
  readonly tmpfsMiB?: Readonly<Record<string, number>>;
}

export class Federation {
  readonly nodes = new Map<string, NodeProcess>();
  rosterPath = '';
  private readonly mounts: string[] = [];

  private constructor(readonly root: string) {}

  static async create(options: FederationOptions): Promise<Federation> {
    const federation = new Federation(mkdtempSync(join(tmpdir(), 'venn-fed-')));
    const entries: string[] = [];
    for (const id of options.ids) {
      const dir = join(federation.root, id);
      const node = new NodeProcess(id, dir, await freePort(), await freePort());
      const mib = options.tmpfsMiB?.[id];
      if (mib !== undefined) {
        const mounted = mountTmpfs(dir, mib);
        if (!mounted.mounted) throw new Error(`mounting a ${mib} MiB tmpfs at ${dir} failed (the test needs root): ${mounted.detail}`);
        federation.mounts.push(dir);
      }
      const init = await venn(['init', '--dir', dir, '--id', id, '--listen', `127.0.0.1:${node.port}`, '--admin', `127.0.0.1:${node.adminPort}`, ...(options.initArgs?.[id] ?? [])]);
      if (init.code !== 0) throw new Error(`init ${id} failed: ${init.stderr}`);
      const entryPath = join(federation.root, `${id}.entry.json`);
      writeFileSync(entryPath, init.stdout);
      entries.push(entryPath);
      const extra = options.config?.[id];
      if (extra !== undefined) {
        const configPath = join(dir, 'venn.config.json');
        const config = JSON.parse(readFileSync(configPath, 'utf8')) as Record<string, unknown>;
        writeFileSync(configPath, JSON.stringify({ ...config, ...extra }, null, 2));
      }
      federation.nodes.set(id, node);
    }
    federation.rosterPath = join(federation.root, 'roster.json');
    const built = await venn(['roster', 'build', '--name', 'venn-test', '--schedule', options.cron ?? '0 0 1 1 *', '--window', String(options.windowMinutes ?? 10),
      ...(options.epochs === undefined ? [] : ['--epoch-days', String(options.epochs.days), '--incremental-minutes', String(options.epochs.incrementalMinutes)]),
      '--out', federation.rosterPath, ...entries]);
    if (built.code !== 0) throw new Error(`roster build failed: ${built.stderr}`);
    for (const node of federation.nodes.values()) {
      const used = await venn(['roster', 'use', '--dir', node.dir, federation.rosterPath]);
      if (used.code !== 0) throw new Error(`roster use failed: ${used.stderr}`);
    }
    return federation;
  }

  node(id: string): NodeProcess {
    const node = this.nodes.get(id);
    if (node === undefined) throw new Error(`no node ${id}`);
    return node;
  }

  /** Writes a CSV of emails (with accounts) and ingests it into `id`'s store. */
  async ingest(id: string, emails: readonly string[], list = 'suspicious'): Promise<void> {
    const path = join(this.root, `${id}-${list}.csv`);
    writeFileSync(path, `email,account,category\n${emails.map((email) => `${email},acct-${email.split('@')[0]},seen-by-${id}`).join('\n')}\n`);
    const result = await venn(['ingest', '--dir', this.node(id).dir, '--kind', 'email', '--list', list, '--account-column', 'account', '--category-column', 'category', path]);
    if (result.code !== 0) throw new Error(`ingest into ${id} failed: ${result.stderr}`);
  }

  /** Starts every node with the same clock, set so it reads `clockStart` now. */
  startAll(clockStartMs: number, env: Record<string, string> = {}): Promise<unknown> {
    const offset = clockStartMs - Date.now();
    for (const node of this.nodes.values()) {
      node.clockOffsetMs = offset;
      node.start(env);
    }
    return Promise.all([...this.nodes.values()].map((node) => node.started()));
  }

  async close(): Promise<void> {
    for (const node of this.nodes.values()) {
      if (node.child !== undefined && node.exitResult === undefined) node.child.kill('SIGKILL');
    }
    await Promise.all([...this.nodes.values()].map((node) => (node.child === undefined ? undefined : node.exited())));
    for (const dir of this.mounts) unmount(dir);
    rmSync(this.root, { recursive: true, force: true });
  }
}

/** Emails e{from}..e{to-1}@example.com. */
export function emails(from: number, to: number): string[] {
  const out: string[] = [];
  for (let i = from; i < to; i++) out.push(`e${i}@example.com`);
  return out;
}
