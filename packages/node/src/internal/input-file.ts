/**
 * Reading a file named on the command line: the path is opened once, non-blocking, and what the
 * descriptor points at is checked before a byte is read. A directory, a named pipe or a device is
 * refused with a typed error naming the argument (a pipe would otherwise be waited on for ever,
 * and a directory fails the read with EISDIR); so is a file over the bound, from its size. The
 * check and the read use the same descriptor, so the path cannot be swapped between them.
 */
import { closeSync, constants, fstatSync, openSync, readSync, type Stats } from 'node:fs';
import { ValidationError } from '@venn/errors';

export interface InputFileOptions {
  /** Refused as `file-too-large` above this many bytes; no bound when absent. */
  readonly max?: number;
  /** The code of every other refusal: the path cannot be opened or read, or is no regular file. */
  readonly code: string;
  /** What the argument expected, in the message of a path that cannot be opened or read. */
  readonly expected?: string;
}

/** The kind of a file that is not a regular one, for the message refusing it. */
function kindOf(stats: Stats): string {
  if (stats.isDirectory()) return 'a directory';
  if (stats.isFIFO()) return 'a named pipe';
  if (stats.isSocket()) return 'a socket';
  if (stats.isCharacterDevice()) return 'a character device';
  if (stats.isBlockDevice()) return 'a block device';
  return 'no regular file';
}

/** The bytes of the regular file at `path`, given as the argument `what`. */
export function readInputFile(path: string, what: string, options: InputFileOptions): Uint8Array {
  const code = options.code;
  const unavailable = (cause: unknown): ValidationError =>
    new ValidationError(code, `"${what}" expected ${options.expected ?? 'a readable file'} at ${path}, got ${(cause as NodeJS.ErrnoException).code ?? 'an error'}`, { cause });
  let fd: number;
  try {
    // O_NONBLOCK: opening a named pipe for reading waits for a writer otherwise. It changes nothing for a regular file.
    fd = openSync(path, constants.O_RDONLY | constants.O_NONBLOCK);
  } catch (cause) {
    throw unavailable(cause);
  }
  try {
    let stats: Stats;
    try {
      stats = fstatSync(fd);
    } catch (cause) {
      throw unavailable(cause);
    }
    if (!stats.isFile()) throw new ValidationError(code, `"${what}" expected a regular file, got ${kindOf(stats)} at ${path}`);
    // Refused before reading: a file larger than any valid one costs no memory.
    if (options.max !== undefined && stats.size > options.max) throw new ValidationError('file-too-large', `"${what}" expected at most ${options.max} bytes, got ${stats.size} at ${path}`);
    // At most the size checked: bytes appended since are not read, and a file that shrank since gives fewer.
    const bytes = new Uint8Array(stats.size);
    let filled = 0;
    while (filled < bytes.length) {
      let read: number;
      try {
        read = readSync(fd, bytes, filled, bytes.length - filled, filled);
      } catch (cause) {
        throw unavailable(cause);
      }
      if (read === 0) break;
      filled += read;
    }
    return filled === bytes.length ? bytes : bytes.subarray(0, filled);
  } finally {
    closeSync(fd);
  }
}
