/**
 * File permissions do not bind root. Tests of read-only files and directories run the CLI as an
 * unprivileged user when the suite runs as root, and as the current user otherwise.
 */
import { chownSync, mkdirSync, statSync } from 'node:fs';
import { dirname } from 'node:path';

const ROOT = process.getuid?.() === 0;
/** Debian's `nobody`. */
const NOBODY = 65534;

/** Spawn options that drop root; empty when the suite is not root. */
export const unprivileged: { uid?: number; gid?: number } = ROOT ? { uid: NOBODY, gid: NOBODY } : {};

/** A directory the unprivileged user owns (its parents must be searchable by everyone). */
export function ownedDirectory(path: string): string {
  mkdirSync(path, { recursive: true, mode: 0o755 });
  if (ROOT) chownSync(path, NOBODY, NOBODY);
  return path;
}

/**
 * Why user `uid` cannot run `path`: the first parent directory that other users may
 * not search (a clone under `mktemp -d`, which is 0700, say). Undefined when it can, or when
 * `uid` is undefined (the process keeps its own user).
 */
export function unreachableBy(path: string, uid: number | undefined): string | undefined {
  if (uid === undefined) return undefined;
  for (let dir = dirname(path); ; dir = dirname(dir)) {
    const mode = statSync(dir).mode & 0o777;
    if ((mode & 0o001) === 0) {
      return `${dir} (mode ${mode.toString(8).padStart(4, '0')}) cannot be searched by other users, so uid ${uid} cannot reach ${path}; put the repository under directories every user may enter (e.g. mkdir -m 755)`;
    }
    if (dirname(dir) === dir) return undefined;
  }
}
