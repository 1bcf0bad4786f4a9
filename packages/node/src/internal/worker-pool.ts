/**
 * A small pool of worker threads for round crypto, so the main thread (admin endpoint, sessions,
 * store) stays responsive while a large round runs. One round holds one worker at a time.
 */
import { Worker } from 'node:worker_threads';
import { fileURLToPath } from 'node:url';
import { InternalError } from '@venn/errors';

/**
 * Under vitest the source is TypeScript; workers then run the compiled module from dist/. In the
 * bundled command line (dist/cli.js) this module sits in dist/, beside the bundled worker
 * (dist/round-worker.js, written by scripts/bundle-cli.mjs); in dist/internal it sits beside the
 * compiled one.
 */
export const ROUND_WORKER_URL = import.meta.url.endsWith('.ts')
  ? new URL('../../dist/internal/round-worker.js', import.meta.url)
  : new URL('./round-worker.js', import.meta.url);

/**
 * The worker is always the built script. A process started from source (the tests, under the
 * `venn-source` export condition) must not hand that condition to it, or the built worker would
 * resolve the workspace packages to their TypeScript sources, which plain Node cannot load.
 */
export function workerExecArgv(argv: readonly string[]): string[] {
  const out: string[] = [];
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i]!;
    if ((arg === '--conditions' || arg === '-C') && argv[i + 1] === 'venn-source') {
      i++;
      continue;
    }
    if (arg === '--conditions=venn-source' || arg === '-C=venn-source') continue;
    out.push(arg);
  }
  return out;
}

export interface PooledWorker {
  readonly worker: Worker;
  /** Returns the worker to the pool, or ends it if it may hold state from a failed round. */
  release(healthy: boolean): void;
}

export class WorkerPool {
  private readonly idle: Worker[] = [];
  private readonly waiting: Array<(worker: Worker) => void> = [];
  private busy = 0;
  private closed = false;

  /**
   * `nice`: the scheduling priority each worker gives its own thread on Linux (node.md §1,
   * `workerNice`); the crypto then yields the CPU to the main thread's sessions, admin endpoint
   * and commits whenever they have work, and uses all of it otherwise.
   */
  constructor(private readonly size: number, private readonly url: URL = ROUND_WORKER_URL, private readonly nice = 0) {}

  get active(): number {
    return this.busy;
  }

  get queued(): number {
    return this.waiting.length;
  }

  /** Resolves with a worker when one is free (FIFO). */
  acquire(): Promise<PooledWorker> {
    if (this.closed) return Promise.reject(new InternalError('pool-closed', 'the worker pool is shut down'));
    return new Promise((resolve) => {
      const hand = (worker: Worker): void => resolve({ worker, release: (healthy) => this.release(worker, healthy) });
      const idle = this.idle.pop();
      if (idle !== undefined) {
        this.busy++;
        hand(idle);
      } else if (this.busy < this.size) {
        this.busy++;
        hand(this.spawn());
      } else {
        this.waiting.push(hand);
      }
    });
  }

  private spawn(): Worker {
    const worker = new Worker(fileURLToPath(this.url), { execArgv: workerExecArgv(process.execArgv), workerData: { nice: this.nice } });
    // An idle worker never keeps the daemon alive.
    worker.unref();
    return worker;
  }

  private release(worker: Worker, healthy: boolean): void {
    if (!healthy || this.closed) void worker.terminate();
    const next = this.waiting.shift();
    if (next !== undefined && !this.closed) {
      next(healthy ? worker : this.spawn());
      return;
    }
    this.busy--;
    if (healthy && !this.closed) this.idle.push(worker);
  }

  async close(): Promise<void> {
    this.closed = true;
    await Promise.all(this.idle.splice(0).map((worker) => worker.terminate()));
  }
}
