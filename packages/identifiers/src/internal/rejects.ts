/**
 * The rejects file: one RFC 4180 CSV row per rejected input row, and per dropped label
 * (protocol-spec/identifiers.md §8). It holds raw identifiers, so it is created 0600, and only
 * once there is something to write.
 */
import { closeSync, createWriteStream, fchmodSync, openSync, readSync, unlinkSync, type WriteStream } from 'node:fs';
import { EnvironmentError, ValidationError } from '@venn/errors';
import type { IngestReject, LabelWarning } from './rows.js';

export const REJECTS_HEADER = 'line,code,reason,message,value\r\n';

function csvField(value: string): string {
  return /[",\r\n]|^\s|\s$/.test(value) ? `"${value.replaceAll('"', '""')}"` : value;
}

/** Errors from the file system that the machine causes, not the input. */
const ENVIRONMENT_CODES = new Set(['EACCES', 'EPERM', 'EROFS', 'ENOSPC', 'EDQUOT', 'ENOENT', 'ENOTDIR', 'EISDIR']);

function writeFailure(path: string, error: unknown): Error {
  const code = (error as NodeJS.ErrnoException).code;
  const message = `rejects file "${path}" could not be written: ${(error as Error).message}`;
  if (code !== undefined && ENVIRONMENT_CODES.has(code)) {
    return new EnvironmentError('ingest-rejects-write', `${message}; choose another place with --rejects PATH`, { cause: error });
  }
  return new ValidationError('ingest-rejects-write', message, { cause: error });
}

/** Removes a rejects file left by an earlier run of the same input, so that it cannot mislead. */
export function removeStaleRejects(path: string): void {
  let fd: number;
  try {
    fd = openSync(path, 'r');
  } catch {
    return;
  }
  const head = Buffer.alloc(REJECTS_HEADER.length);
  try {
    readSync(fd, head, 0, head.length, 0);
  } finally {
    closeSync(fd);
  }
  // Only a file this writer made: a path that names something else is left alone.
  if (head.toString('utf8') === REJECTS_HEADER) {
    try {
      unlinkSync(path);
    } catch {
      // Not ours to remove after all (a read-only directory): it stays, and the report says none.
    }
  }
}

export class RejectsWriter {
  readonly path: string;
  #stream: WriteStream | undefined;
  #error: Error | undefined;
  #waiting: Promise<void> | undefined;
  rows = 0;

  constructor(path: string) {
    this.path = path;
  }

  /** Opens the file on first use: 0600 whether it is new or left by an older run. */
  #open(): WriteStream {
    if (this.#stream !== undefined) return this.#stream;
    let fd: number;
    try {
      fd = openSync(this.path, 'w', 0o600);
      fchmodSync(fd, 0o600);
    } catch (error) {
      throw writeFailure(this.path, error);
    }
    const stream = createWriteStream('', { fd });
    stream.on('error', (error) => {
      this.#error = error;
    });
    stream.write(REJECTS_HEADER);
    this.#stream = stream;
    return stream;
  }

  #check(): void {
    if (this.#error !== undefined) throw writeFailure(this.path, this.#error);
  }

  /** Whether anything was written (and so whether the file exists). */
  get written(): boolean {
    return this.#stream !== undefined;
  }

  async write(reject: IngestReject): Promise<void> {
    this.rows++;
    await this.#line([String(reject.line), reject.code, reject.reason, reject.message, reject.value ?? '']);
  }

  /** A dropped label: code `label-dropped`, the label's reason, the dropped value (not the identifier). */
  async warn(line: number, warning: LabelWarning): Promise<void> {
    await this.#line([String(line), 'label-dropped', warning.reason, warning.message, warning.value ?? '']);
  }

  async #line(fields: readonly string[]): Promise<void> {
    this.#check();
    const stream = this.#open();
    if (!stream.write(`${fields.map(csvField).join(',')}\r\n`)) {
      // Backpressure: wait for the file to catch up rather than buffer rejects in memory. One
      // pair of listeners per wait, removed when it ends (no listener piles up per reject).
      this.#waiting ??= new Promise<void>((resolve) => {
        const done = (): void => {
          stream.off('drain', done);
          stream.off('close', done);
          this.#waiting = undefined;
          resolve();
        };
        stream.on('drain', done);
        stream.on('close', done);
      });
      await this.#waiting;
      this.#check();
    }
  }

  async close(): Promise<void> {
    const stream = this.#stream;
    if (stream === undefined) return;
    await new Promise<void>((resolve) => {
      stream.end(() => resolve());
      stream.once('error', () => resolve());
    });
    this.#check();
  }
}
