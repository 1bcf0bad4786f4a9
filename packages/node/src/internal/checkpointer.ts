/**
 * node.md §2: the store's WAL is checkpointed by a thread of its own. SQLite's automatic
 * checkpoint runs inside whichever commit pushes the WAL past its threshold, so a round that
 * writes a 130 MB transcript would copy pages and fsync the database file on the daemon's main
 * thread dozens of times, each a stall of the admin endpoint and every session. The daemon turns
 * the automatic checkpoint off on its connection and this thread runs passive checkpoints (they
 * never block a writer or a reader) every `intervalMs`. If the thread fails, the daemon's
 * connection takes the automatic checkpoint back, so the WAL never grows without bound.
 *
 * The same thread counts the items of each list for the metrics (node.md §7): a count walks every
 * item, over 100 ms at 2^20 items, which a scrape during a round must not spend on the main thread.
 */
import { createRequire } from 'node:module';
import { Worker } from 'node:worker_threads';
import type { Logger } from './logger.js';
import type { Store } from './store.js';

/** Items per list (`venn_list_items`): run on the checkpoint thread, or on the main thread if it failed. */
export const LIST_COUNT_SQL = 'SELECT l.name AS name, l.kind AS kind, (SELECT count(*) FROM list_items i WHERE i.list_id = l.id) AS items FROM lists l ORDER BY l.name';

/** SQLite's default wal_autocheckpoint (pages), restored if the checkpoint thread fails. */
const DEFAULT_AUTOCHECKPOINT_PAGES = 1000;

const WORKER_SOURCE = `
const { parentPort, workerData } = require('node:worker_threads');
// node.md §1 workerNice: on Linux setpriority(2) on pid 0 sets this thread's nice value alone, so
// the copying and fsyncs of a checkpoint yield to the daemon's main thread like the round workers.
if (process.platform === 'linux' && workerData.nice > 0) {
  try { require('node:os').setPriority(0, Math.min(19, workerData.nice)); } catch (error) { /* not permitted here: the daemon's priority */ }
}
const Database = require(workerData.driver);
const db = new Database(workerData.path, { fileMustExist: true });
db.pragma('busy_timeout = 5000');
let running = true;
function checkpoint() {
  try {
    const [result] = db.pragma('wal_checkpoint(PASSIVE)');
    parentPort.postMessage({ type: 'checkpointed', log: result.log, checkpointed: result.checkpointed });
  } catch (error) {
    parentPort.postMessage({ type: 'error', message: String(error && error.message || error) });
  }
}
const timer = setInterval(checkpoint, workerData.intervalMs);
const countLists = db.prepare(workerData.listCountSql);
parentPort.on('message', (message) => {
  if (message === 'now') checkpoint();
  if (message && message.type === 'count-lists') {
    try {
      parentPort.postMessage({ type: 'list-counts', id: message.id, rows: countLists.all() });
    } catch (error) {
      parentPort.postMessage({ type: 'list-counts', id: message.id, error: String(error && error.message || error) });
    }
  }
  if (message === 'close' && running) {
    running = false;
    clearInterval(timer);
    checkpoint();
    db.close();
    parentPort.postMessage({ type: 'closed' });
  }
});
parentPort.postMessage({ type: 'ready' });
`;

/** Items per list, as `venn_list_items` reports them. */
export interface ListCount {
  readonly name: string;
  readonly kind: string;
  readonly items: number;
}

export interface CheckpointStats {
  /** Checkpoints run by the thread. */
  readonly runs: number;
  /** WAL frames in the WAL at the last checkpoint, and how many of them it copied. */
  readonly lastLog: number;
  readonly lastCheckpointed: number;
}

export class Checkpointer {
  private worker: Worker | undefined;
  private runs = 0;
  private lastLog = 0;
  private lastCheckpointed = 0;
  private closing: Promise<void> | undefined;
  private readonly waiters: Array<() => void> = [];
  private nextCount = 0;
  private readonly counts = new Map<number, (rows: ListCount[] | undefined) => void>();

  private constructor(private readonly store: Store, private readonly logger: Logger) {}

  /**
   * Starts the thread for the store at `path` and hands it the checkpoints; resolves once it opened
   * the store. `nice` (node.md §1 `workerNice`) lowers the thread's priority on Linux; 0 leaves it.
   */
  static async start(store: Store, path: string, logger: Logger, intervalMs = 1000, nice = 0): Promise<Checkpointer> {
    const checkpointer = new Checkpointer(store, logger);
    const driver = createRequire(import.meta.url).resolve('better-sqlite3');
    const worker = new Worker(WORKER_SOURCE, { eval: true, workerData: { path, driver, intervalMs, listCountSql: LIST_COUNT_SQL, nice } });
    checkpointer.worker = worker;
    await new Promise<void>((resolve, reject) => {
      const onError = (error: Error): void => reject(error);
      worker.once('error', onError);
      worker.once('message', (message: { type: string }) => {
        worker.off('error', onError);
        if (message.type === 'ready') resolve();
        else reject(new Error(`checkpoint thread did not start: ${JSON.stringify(message)}`));
      });
    }).catch((error: unknown) => {
      checkpointer.fallBack(`could not start: ${(error as Error).message}`);
      throw error;
    });
    // From here on the thread checkpoints; the daemon's commits no longer do.
    store.db.pragma('wal_autocheckpoint = 0');
    worker.on('message', (message: { type: string; log?: number; checkpointed?: number; message?: string }) => {
      if (message.type === 'checkpointed') {
        checkpointer.runs++;
        checkpointer.lastLog = message.log ?? 0;
        checkpointer.lastCheckpointed = message.checkpointed ?? 0;
        for (const resolve of checkpointer.waiters.splice(0)) resolve();
      } else if (message.type === 'list-counts') {
        const reply = message as unknown as { id: number; rows?: ListCount[]; error?: string };
        const resolve = checkpointer.counts.get(reply.id);
        checkpointer.counts.delete(reply.id);
        if (reply.error !== undefined) logger.warn({ detail: reply.error }, 'counting list items failed; the metrics count on the main thread');
        resolve?.(reply.rows);
      } else if (message.type === 'error') {
        logger.warn({ detail: message.message }, 'store checkpoint failed; the next one retries');
      }
    });
    worker.on('error', (error) => checkpointer.fallBack(error.message));
    worker.on('exit', (code) => {
      if (checkpointer.closing === undefined) checkpointer.fallBack(`exited with code ${code}`);
    });
    worker.unref();
    return checkpointer;
  }

  get stats(): CheckpointStats {
    return { runs: this.runs, lastLog: this.lastLog, lastCheckpointed: this.lastCheckpointed };
  }

  /** Runs a checkpoint now; resolves when one has run. */
  checkpointNow(): Promise<void> {
    if (this.worker === undefined || this.closing !== undefined) return Promise.resolve();
    const done = new Promise<void>((resolve) => this.waiters.push(resolve));
    this.worker.postMessage('now');
    return done;
  }

  /** Items per list, counted on this thread; undefined when the thread is gone or the count failed. */
  countLists(): Promise<ListCount[] | undefined> {
    const worker = this.worker;
    if (worker === undefined || this.closing !== undefined) return Promise.resolve(undefined);
    const id = ++this.nextCount;
    const reply = new Promise<ListCount[] | undefined>((resolve) => this.counts.set(id, resolve));
    worker.postMessage({ type: 'count-lists', id });
    return reply;
  }

  private answerCounts(): void {
    for (const resolve of this.counts.values()) resolve(undefined);
    this.counts.clear();
  }

  /** Runs a last checkpoint and ends the thread; the store's connection gets the automatic checkpoint back. */
  close(): Promise<void> {
    this.closing ??= (async () => {
      const worker = this.worker;
      if (worker === undefined) return;
      await new Promise<void>((resolve) => {
        const timer = setTimeout(resolve, 5000);
        worker.on('message', (message: { type: string }) => {
          if (message.type === 'closed') {
            clearTimeout(timer);
            resolve();
          }
        });
        worker.once('exit', () => {
          clearTimeout(timer);
          resolve();
        });
        worker.postMessage('close');
      });
      await worker.terminate();
      this.worker = undefined;
      for (const resolve of this.waiters.splice(0)) resolve();
      this.answerCounts();
      if (this.store.db.open) this.store.db.pragma(`wal_autocheckpoint = ${DEFAULT_AUTOCHECKPOINT_PAGES}`);
    })();
    return this.closing;
  }

  private fallBack(detail: string): void {
    this.logger.warn({ detail }, 'store checkpoint thread failed; the daemon checkpoints on its own thread again');
    this.worker = undefined;
    for (const resolve of this.waiters.splice(0)) resolve();
    this.answerCounts();
    if (this.store.db.open) this.store.db.pragma(`wal_autocheckpoint = ${DEFAULT_AUTOCHECKPOINT_PAGES}`);
  }
}
