/**
 * File permissions do not bind root. Tests of read-only files and directories run the CLI as an
 * unprivileged user when the suite runs as root, and as the current user otherwise.
 */
import { chownSync, mkdirSync } from 'node:fs';

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
