/**
 * One lab's daemon as a child process of the built CLI (`venn start --dir … --clock-start …`):
 * started, signalled, polled for health on its admin endpoint, its peak RSS read from /proc.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { closeSync, fstatSync, openSync, readFileSync, readSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { FaultProxy } from './proxy.js';
import { loopbackPort } from '@venn/node';

/** packages/chaos/{src,dist}/internal → packages/node/dist/cli.js */
export const CLI_PATH = join(dirname(fileURLToPath(import.meta.url)), '../../../node/dist/cli.js');

export const freePort = loopbackPort;

export interface CliResult {
  readonly code: number | null;
  readonly stdout: string;
  readonly stderr: string;
}

/** Runs the built `venn` CLI to its end. */
export function venn(args: readonly string[], timeoutMs = 120_000): Promise<CliResult> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [CLI_PATH, ...args], { stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    const timer = setTimeout(() => child.kill('SIGKILL'), timeoutMs);
    child.stdout.on('data', (chunk: Buffer) => { stdout += chunk.toString(); });
    child.stderr.on('data', (chunk: Buffer) => { stderr += chunk.toString(); });
    child.on('error', reject);
    child.on('close', (code) => {
      clearTimeout(timer);
      resolve({ code, stdout, stderr });
    });
  });
}

export interface ExitInfo {
  readonly code: number | null;
  readonly signal: NodeJS.Signals | null;
  readonly stderr: string;
}

/** Daemons still running: killed if the harness's process exits first (a test timing out). */
const live = new Set<ChildProcess>();
process.once('exit', () => {
  for (const child of live) child.kill('SIGKILL');
});

export class DaemonProcess {
  child: ChildProcess | undefined;
  /** Offset of the node's clock from real time; kept across restarts, changed by clock jumps. */
  clockOffsetMs = 0;
  peakRssMiB = 0;
  /** A fault of the harness is using this node (no other process fault starts on it). */
  busy = false;
  /** Set before the harness signals or breaks the node, so its exit is not a violation. */
  expectExit: string | undefined;
  stopped = false;
  private stderr = '';
  private exitWaiters: Array<(info: ExitInfo) => void> = [];
  lastExit: ExitInfo | undefined;
  private token: string | undefined;

  constructor(
    readonly id: string,
    readonly dir: string,
    readonly listenPort: number,
    readonly adminPort: number,
    readonly proxy: FaultProxy,
    private readonly logPath: string,
    private readonly onExit: (daemon: DaemonProcess, info: ExitInfo) => void,
  ) {}

  get running(): boolean {
    return this.child !== undefined && this.lastExit === undefined;
  }

  get pid(): number | undefined {
    return this.child?.pid;
  }

  start(): void {
    const clockStart = new Date(Date.now() + this.clockOffsetMs).toISOString();
    const log = openSync(this.logPath, 'a');
    this.lastExit = undefined;
    this.stderr = '';
    this.stopped = false;
    const child = spawn(process.execPath, [CLI_PATH, 'start', '--dir', this.dir, '--clock-start', clockStart], { stdio: ['ignore', log, 'pipe'] });
    closeSync(log);
    this.child = child;
    live.add(child);
    child.stderr!.on('data', (chunk: Buffer) => { this.stderr = (this.stderr + chunk.toString()).slice(-4000); });
    child.on('exit', (code, signal) => {
      live.delete(child);
      const info = { code, signal, stderr: this.stderr };
      this.sampleRss();
      this.lastExit = info;
      for (const resolve of this.exitWaiters.splice(0)) resolve(info);
      this.onExit(this, info);
    });
  }

  /** The last fatal line of the daemon's log (an uncaught error goes there, not to stderr): its message and error. */
  lastFatal(): string | undefined {
    let text: string;
    try {
      const fd = openSync(this.logPath, 'r');
      try {
        const size = fstatSync(fd).size;
        const tail = Buffer.alloc(Math.min(size, 64 * 1024));
        readSync(fd, tail, 0, tail.length, size - tail.length);
        text = tail.toString('utf8');
      } finally {
        closeSync(fd);
      }
    } catch {
      return undefined;
    }
    for (const line of text.split('\n').reverse()) {
      if (!line.includes('"level":"fatal"') && !line.includes('"level":60')) continue;
      try {
        const entry = JSON.parse(line) as { msg?: string; err?: { message?: string; code?: string } };
        return `${entry.msg ?? 'fatal'}: ${entry.err?.message ?? ''}${entry.err?.code === undefined ? '' : ` (${entry.err.code})`}`;
      } catch {
        return line.slice(0, 300);
      }
    }
    return undefined;
  }

  exited(timeoutMs = 60_000): Promise<ExitInfo | undefined> {
    if (this.lastExit !== undefined || this.child === undefined) return Promise.resolve(this.lastExit);
    return new Promise((resolve) => {
      const timer = setTimeout(() => resolve(undefined), timeoutMs);
      this.exitWaiters.push((info) => { clearTimeout(timer); resolve(info); });
    });
  }

  signal(signal: NodeJS.Signals): void {
    this.sampleRss();
    this.child?.kill(signal);
  }

  /** VmHWM of the running process, folded into the peak over every run of this node. */
  sampleRss(): void {
    const pid = this.child?.pid;
    if (pid === undefined || this.lastExit !== undefined) return;
    try {
      const hwm = /VmHWM:\s+(\d+) kB/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
      if (hwm !== null) this.peakRssMiB = Math.max(this.peakRssMiB, Number(hwm[1]) / 1024);
    } catch {
      // The process is gone; its last sample stands.
    }
  }

  get adminToken(): string {
    this.token ??= readFileSync(join(this.dir, 'admin.token'), 'utf8').trim();
    return this.token;
  }

  async admin(path: string, init: { method?: string; body?: unknown; timeoutMs?: number } = {}): Promise<{ status: number; body: unknown }> {
    const response = await fetch(`http://127.0.0.1:${this.adminPort}${path}`, {
      method: init.method ?? 'GET',
      headers: { authorization: `Bearer ${this.adminToken}`, ...(init.body === undefined ? {} : { 'content-type': 'application/json' }) },
      ...(init.body === undefined ? {} : { body: JSON.stringify(init.body) }),
      signal: AbortSignal.timeout(init.timeoutMs ?? 10_000),
    });
    const text = await response.text();
    let body: unknown = text;
    try { body = JSON.parse(text); } catch { /* not JSON */ }
    return { status: response.status, body };
  }

  /** Polls /healthz until it answers 200; the milliseconds it took, or null past the deadline or on exit. */
  async waitHealthy(timeoutMs: number): Promise<number | null> {
    const started = performance.now();
    while (performance.now() - started < timeoutMs) {
      if (!this.running) return null;
      try {
        const response = await fetch(`http://127.0.0.1:${this.adminPort}/healthz`, { signal: AbortSignal.timeout(2000) });
        await response.arrayBuffer();
        if (response.status === 200) return performance.now() - started;
      } catch {
        // Not listening yet.
      }
      await new Promise((resolve) => setTimeout(resolve, 50));
    }
    return null;
  }

  /** Running attempts as the daemon reports them; [] when it does not answer. */
  async runningRounds(): Promise<number> {
    try {
      const { status, body } = await this.admin('/v1/status', { timeoutMs: 3000 });
      if (status !== 200) return 0;
      return (body as { runningRounds?: unknown[] }).runningRounds?.length ?? 0;
    } catch {
      return 0;
    }
  }
}
