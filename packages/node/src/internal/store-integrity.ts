/**
 * Store integrity (node.md §2.2): SQLite's quick_check before the daemon runs on a store, online
 * backups through SQLite's backup API while it runs, and restores that never roll the log back.
 */
import { chmodSync, copyFileSync, renameSync, rmSync, statSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import Database from 'better-sqlite3';
import { ValidationError, VennError } from '@venn/errors';
import { checkWatermark, readWatermark } from './log-watermark.js';
import { Store, type StoreOptions, type TreeHeadRecord } from './store.js';

/** SQLite result codes that mean the file is not a sound database (sqlite.org/rescode.html). */
const CORRUPT_CODES = /^SQLITE_(CORRUPT|NOTADB)/;

/** How many lines of quick_check's report an error message quotes. */
const REPORTED_PROBLEMS = 3;

function corrupt(path: string, problems: string, cause?: unknown): ValidationError {
  return new ValidationError('store-corrupt', `"store" expected a sound SQLite database at ${path}, got: ${problems}. Stop here: restore the latest backup (venn restore, docs/operating.md §8) rather than run on it`, cause === undefined ? undefined : { cause });
}

/** PRAGMA quick_check (sqlite.org/pragma.html#pragma_quick_check): [] when sound, else its first problems. */
export function quickCheck(db: Database.Database): string[] {
  const rows = db.pragma('quick_check') as Array<{ quick_check: string }>;
  const problems = rows.map((row) => row.quick_check).filter((line) => line !== 'ok');
  return problems;
}

/**
 * Opens the store for the daemon: a file SQLite cannot read as a database, or one quick_check
 * finds damaged, is refused with `store-corrupt` before anything is written to it.
 */
export function openCheckedStore(path: string, options: StoreOptions = {}): Store {
  let store: Store;
  try {
    store = Store.open(path, options);
  } catch (error) {
    const code = (error as { code?: unknown }).code;
    const causeCode = ((error as { cause?: { code?: unknown } }).cause)?.code;
    if (typeof code === 'string' && CORRUPT_CODES.test(code)) throw corrupt(path, (error as Error).message, error);
    if (typeof causeCode === 'string' && CORRUPT_CODES.test(causeCode)) throw corrupt(path, (error as Error).message, error);
    throw error;
  }
  let problems: string[];
  try {
    problems = quickCheck(store.db);
  } catch (error) {
    store.close();
    throw corrupt(path, (error as Error).message, error);
  }
  if (problems.length > 0) {
    store.close();
    throw corrupt(path, `quick_check reported ${problems.length === 100 ? 'at least 100' : problems.length} problem(s): ${problems.slice(0, REPORTED_PROBLEMS).join('; ')}`);
  }
  return store;
}

export interface StoreCopySummary {
  readonly path: string;
  readonly bytes: number;
  readonly logSize: number;
  readonly latestHead: TreeHeadRecord | undefined;
  readonly rounds: number;
}

function summarize(path: string): StoreCopySummary {
  const store = Store.open(path, { readonly: true });
  try {
    const problems = quickCheck(store.db);
    if (problems.length > 0) throw corrupt(path, problems.slice(0, REPORTED_PROBLEMS).join('; '));
    const rounds = store.db.prepare('SELECT count(*) FROM rounds').pluck().get() as number;
    return { path, bytes: statSync(path).size, logSize: store.logSize(), latestHead: store.latestTreeHead(), rounds };
  } finally {
    store.close();
  }
}

/**
 * A consistent copy of a store that may be in use (SQLite's online backup API): the copy is one
 * committed state, taken page by page without stopping the daemon, written to a temporary file
 * (mode 0600: it holds account references), checked, then renamed to `out`.
 */
export async function backupStore(storePath: string, out: string): Promise<StoreCopySummary> {
  const target = resolve(out);
  const temporary = join(dirname(target), `.${process.pid}.venn-backup.tmp`);
  let source: Database.Database;
  try {
    source = new Database(storePath, { readonly: true, fileMustExist: true });
  } catch (cause) {
    throw new ValidationError('store-unavailable', `"store" expected a readable SQLite file at ${storePath}, got ${(cause as Error).message}`, { cause });
  }
  try {
    source.pragma('busy_timeout = 10000');
    await source.backup(temporary);
  } catch (cause) {
    rmSync(temporary, { force: true });
    throw new VennError('backup-failed', `"--out" expected a writable file at ${target}, got ${(cause as Error).message}`, { cause });
  } finally {
    source.close();
  }
  try {
    chmodSync(temporary, 0o600);
    // The copy is a rollback-journal database: it is read and restored as a plain file.
    const copy = new Database(temporary);
    copy.pragma('journal_mode = DELETE');
    copy.close();
    const summary = summarize(temporary);
    renameSync(temporary, target);
    return { ...summary, path: target };
  } catch (error) {
    rmSync(temporary, { force: true });
    throw error;
  }
}

/**
 * Puts a backup in place of a stopped node's store. The backup must pass quick_check and its log
 * must hold the node's high-water mark (node.md §2.2): a restore never rolls the log back.
 */
export function restoreStore(params: { storePath: string; nodeDir: string; backup: string; watermark: string }): StoreCopySummary {
  const backup = resolve(params.backup);
  try {
    statSync(backup);
  } catch (cause) {
    throw new ValidationError('backup-unavailable', `"BACKUP" expected a readable file at ${backup}, got ${(cause as NodeJS.ErrnoException).code ?? 'an error'}`, { cause });
  }
  let summary: StoreCopySummary;
  try {
    summary = summarize(backup);
  } catch (error) {
    if (error instanceof VennError && error.code === 'store-corrupt') throw error;
    const code = (error as { code?: unknown }).code;
    if (typeof code === 'string' && CORRUPT_CODES.test(code)) throw corrupt(backup, (error as Error).message, error);
    throw error;
  }
  const check = Store.open(backup, { readonly: true });
  try {
    checkWatermark(check, readWatermark(params.watermark), params.watermark);
  } finally {
    check.close();
  }
  const temporary = `${params.storePath}.${process.pid}.restore.tmp`;
  copyFileSync(backup, temporary);
  chmodSync(temporary, 0o600);
  // A WAL left by the store being replaced belongs to it, not to the backup.
  rmSync(`${params.storePath}-wal`, { force: true });
  rmSync(`${params.storePath}-shm`, { force: true });
  renameSync(temporary, params.storePath);
  return { ...summary, path: params.storePath };
}
