/** Files that hold identifiers or account references: created mode 0600, written whole, then renamed into place. */
import { closeSync, fsyncSync, openSync, renameSync, rmSync, writeSync } from 'node:fs';
import { resolve } from 'node:path';

/** Writes `content` to `path` (replacing it) through a new 0600 file, so no reader sees a partial or wider-readable file. */
export function writePrivateFile(path: string, content: string | Uint8Array): string {
  const target = resolve(path);
  const temporary = `${target}.${process.pid}.tmp`;
  // 'wx': a fresh file, so the mode is the one given here and not that of an older file.
  const fd = openSync(temporary, 'wx', 0o600);
  try {
    writeSync(fd, typeof content === 'string' ? Buffer.from(content, 'utf8') : content);
    fsyncSync(fd);
  } catch (error) {
    closeSync(fd);
    rmSync(temporary, { force: true });
    throw error;
  }
  closeSync(fd);
  renameSync(temporary, target);
  return target;
}
