/**
 * The demo's daemons: `venn start` child processes whose JSON log lines are parsed as they
 * arrive (and kept in DIR/daemon.log), so the demo follows rounds from the daemons' own words.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { createWriteStream, readFileSync, type WriteStream } from 'node:fs';
import { join } from 'node:path';
import { InternalError } from '@venn/errors';

export type LogLine = Record<string, unknown> & { msg?: string };

export interface DaemonExit {
  readonly code: number | null;
  readonly signal: NodeJS.Signals | null;
}

export class DemoDaemon {
  readonly logs: LogLine[] = [];
  private child: ChildProcess | undefined;
  private stderr = '';
  private logFile: WriteStream | undefined;
  private listeners: Array<(line: LogLine) => void> = [];
  private exit: Promise<DaemonExit> | undefined;
  exitResult: DaemonExit | undefined;
  private token: string | undefined;

  constructor(readonly id: string, readonly dir: string, readonly adminPort: number) {}

  get pid(): number | undefined {
    return this.child?.pid;
  }

  /** Spawns `node cli.js start --dir DIR --clock-start ISO`. */
  start(cliPath: string, clockStart: string | undefined): void {
    const args = [cliPath, 'start', '--dir', this.dir, ...(clockStart === undefined ? [] : ['--clock-start', clockStart])];
    const child = spawn(process.execPath, args, { stdio: ['ignore', 'pipe', 'pipe'], env: { ...process.env } });
    this.child = child;
    this.logFile = createWriteStream(join(this.dir, 'daemon.log'));
    let buffered = '';
    child.stdout!.on('data', (chunk: Buffer) => {
      this.logFile?.write(chunk);
      buffered += chunk.toString('utf8');
      const lines = buffered.split('\n');
      buffered = lines.pop() ?? '';
      for (const text of lines) {
        if (text.trim() === '') continue;
        let line: LogLine;
        try {
          line = JSON.parse(text) as LogLine;
        } catch {
          line = { msg: text };
        }
        this.logs.push(line);
        for (const listener of [...this.listeners]) listener(line);
      }
    });
    child.stderr!.on('data', (chunk: Buffer) => {
      this.stderr += chunk.toString('utf8');
    });
    this.exit = new Promise((resolve) => {
      child.once('exit', (code, signal) => {
        this.exitResult = { code, signal };
        this.logFile?.end();
        resolve(this.exitResult);
      });
    });
  }

  onLog(listener: (line: LogLine) => void): () => void {
    this.listeners.push(listener);
    return () => {
      this.listeners = this.listeners.filter((l) => l !== listener);
    };
  }

  /** The first log line, past or future, that satisfies `predicate`; rejects if the daemon exits first or time runs out. */
  waitFor(predicate: (line: LogLine) => boolean, timeoutMs: number, what: string): Promise<LogLine> {
    const found = this.logs.find(predicate);
    if (found !== undefined) return Promise.resolve(found);
    return new Promise((resolve, reject) => {
      const fail = (reason: string): void => {
        off();
        clearTimeout(timer);
        reject(new InternalError('demo-daemon', `${this.id}: expected ${what}, got ${reason}${this.stderr === '' ? '' : `; stderr: ${this.stderr.trim()}`}`));
      };
      const timer = setTimeout(() => fail(`nothing within ${Math.round(timeoutMs / 1000)} s`), timeoutMs);
      const off = this.onLog((line) => {
        if (!predicate(line)) return;
        off();
        clearTimeout(timer);
        resolve(line);
      });
      void this.exit?.then((result) => fail(`an exit (code ${result.code}, signal ${result.signal})`));
    });
  }

  started(timeoutMs = 60_000): Promise<LogLine> {
    return this.waitFor((line) => line.msg === 'venn node started', timeoutMs, 'the start line');
  }

  /** GET on the admin endpoint with the node's admin token; null when it does not answer. */
  async admin(path: string): Promise<unknown> {
    try {
      this.token ??= readFileSync(join(this.dir, 'admin.token'), 'utf8').trim();
      const response = await fetch(`http://127.0.0.1:${this.adminPort}${path}`, { headers: { authorization: `Bearer ${this.token}` }, signal: AbortSignal.timeout(2000) });
      return response.ok ? ((await response.json()) as unknown) : null;
    } catch {
      return null;
    }
  }

  /** SIGTERM, then the exit; SIGKILL if the daemon has not stopped within `timeoutMs`. */
  async stop(timeoutMs = 30_000): Promise<DaemonExit> {
    if (this.child === undefined || this.exit === undefined) throw new InternalError('demo-daemon', `${this.id}: expected a started daemon, got none`);
    if (this.exitResult !== undefined) return this.exitResult;
    this.child.kill('SIGTERM');
    const timer = setTimeout(() => this.child?.kill('SIGKILL'), timeoutMs);
    const result = await this.exit;
    clearTimeout(timer);
    return result;
  }

  /** For exit paths: no waiting, no grace. */
  kill(): void {
    if (this.child !== undefined && this.exitResult === undefined) this.child.kill('SIGKILL');
  }

  get errorOutput(): string {
    return this.stderr;
  }
}
