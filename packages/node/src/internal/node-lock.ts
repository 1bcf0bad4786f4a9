/**
 * One process at a time owns a node directory (protocol-spec/node.md §1.4): the daemon for its
 * whole life, a command that writes the store for its run. The lock is an exclusive SQLite lock
 * (a POSIX advisory lock underneath) on DIR/venn.lock, so the kernel drops it when the holder
 * exits, kill -9 included: a stale lock never blocks a restart.
 */
import { readFileSync, renameSync, unlinkSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { EnvironmentError } from '@venn/errors';

export const LOCK_FILE = 'venn.lock';
/** Who holds the lock, for the message a second process prints; the lock itself is LOCK_FILE. */
export const HOLDER_FILE = 'venn.lock.json';

export interface LockHolder {
  readonly pid: number;
  /** The venn command that holds it, e.g. "start" or "ingest". */
  readonly command: string;
  readonly since: string;
}

function readHolder(dir: string): LockHolder | null {
  try {
    const parsed = JSON.parse(readFileSync(join(dir, HOLDER_FILE), 'utf8')) as Partial<LockHolder>;
    if (typeof parsed.pid !== 'number' || typeof parsed.command !== 'string' || typeof parsed.since !== 'string') return null;
    // The file may be left by a process that died; its pid is then no one's, or someone else's.
    process.kill(parsed.pid, 0);
    return { pid: parsed.pid, command: parsed.command, since: parsed.since };
  } catch {
    return null;
  }
}

/** The holder as a phrase: "pid 1234 (venn start since 2031-05-01T12:00:00.000Z)". */
export function describeHolder(holder: LockHolder | null): string {
  return holder === null ? 'another process' : `pid ${holder.pid} (venn ${holder.command} since ${holder.since})`;
}

export class NodeLockedError extends EnvironmentError {
  readonly holder: LockHolder | null;

  constructor(dir: string, holder: LockHolder | null) {
    super('node-dir-locked', `node directory ${dir} is in use by ${describeHolder(holder)}; one process at a time may own it`);
    this.holder = holder;
  }
}

export class NodeLock {
  private constructor(readonly dir: string, private readonly db: Database.Database) {}

  /** Takes the lock or throws NodeLockedError naming the holder. */
  static acquire(dir: string, command: string): NodeLock {
    const attempt = NodeLock.tryAcquire(dir, command);
    if (attempt instanceof NodeLock) return attempt;
    throw new NodeLockedError(dir, attempt.holder);
  }

  /** Takes the lock, or reports who holds it. Never waits. */
  static tryAcquire(dir: string, command: string): NodeLock | { readonly holder: LockHolder | null } {
    const path = join(dir, LOCK_FILE);
    let db: Database.Database;
    try {
      db = new Database(path, { timeout: 0 });
    } catch (cause) {
      throw new EnvironmentError('node-dir-unwritable', `"${path}" expected a lock file this user can create and write in the node directory, got ${(cause as Error).message}`, { cause });
    }
    try {
      // EXCLUSIVE locking mode keeps the write lock after COMMIT, until the connection closes.
      db.pragma('locking_mode = EXCLUSIVE');
      db.exec('BEGIN EXCLUSIVE');
      db.exec('CREATE TABLE IF NOT EXISTS holder (id INTEGER PRIMARY KEY CHECK (id = 1), pid INTEGER NOT NULL)');
      db.prepare('INSERT OR REPLACE INTO holder (id, pid) VALUES (1, ?)').run(process.pid);
      db.exec('COMMIT');
    } catch (cause) {
      db.close();
      const code = (cause as { code?: string }).code ?? '';
      if (code.startsWith('SQLITE_BUSY') || code.startsWith('SQLITE_LOCKED')) return { holder: readHolder(dir) };
      throw new EnvironmentError('node-dir-unwritable', `"${path}" expected a lock file this user can write, got ${(cause as Error).message}`, { cause });
    }
    const holder: LockHolder = { pid: process.pid, command, since: new Date().toISOString() };
    const target = join(dir, HOLDER_FILE);
    const temporary = `${target}.${process.pid}.tmp`;
    try {
      writeFileSync(temporary, `${JSON.stringify(holder)}\n`, { mode: 0o644 });
      renameSync(temporary, target);
    } catch {
      // The holder file only improves a message; the lock is what counts.
    }
    return new NodeLock(dir, db);
  }

  /** Who holds the lock now, if anyone does (null when it is free or the holder is unknown). */
  static holder(dir: string): LockHolder | null {
    return readHolder(dir);
  }

  release(): void {
    if (!this.db.open) return;
    const target = join(this.dir, HOLDER_FILE);
    if (readHolder(this.dir)?.pid === process.pid) {
      try {
        unlinkSync(target);
      } catch {
        // Already gone.
      }
    }
    this.db.close();
  }
}
