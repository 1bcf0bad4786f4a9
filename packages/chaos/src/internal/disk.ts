/**
 * Real small filesystems for the disk-full fault: each node directory is a size-limited tmpfs,
 * and "the disk fills up" is a ballast file written until the filesystem says ENOSPC. Nothing in
 * the daemon is told: SQLite meets the full disk as it would in production.
 */
import { spawnSync } from 'node:child_process';
import { closeSync, mkdirSync, openSync, rmSync, writeSync } from 'node:fs';
import { join } from 'node:path';

export const BALLAST_FILE = '.chaos-ballast';

/** Mounts a tmpfs of `mib` MiB at `dir` (created if missing); false when this machine refuses (not root, no mount). */
export function mountTmpfs(dir: string, mib: number): { mounted: boolean; detail: string } {
  mkdirSync(dir, { recursive: true });
  const result = spawnSync('mount', ['-t', 'tmpfs', '-o', `size=${mib}m,mode=0700`, 'tmpfs', dir], { encoding: 'utf8' });
  if (result.error !== undefined) return { mounted: false, detail: result.error.message };
  if (result.status !== 0) return { mounted: false, detail: (result.stderr || `mount exited ${result.status}`).trim() };
  return { mounted: true, detail: `tmpfs size=${mib}m` };
}

export function unmount(dir: string): void {
  // Lazy: a process still holding a file open must not keep the run from ending.
  spawnSync('umount', ['-l', dir]);
}

/** Writes a ballast file until the filesystem is full; returns the bytes written. */
export function fillDisk(dir: string): number {
  const fd = openSync(join(dir, BALLAST_FILE), 'a');
  let written = 0;
  try {
    for (let chunk = 1 << 20; chunk >= 512; chunk >>= 1) {
      const block = Buffer.alloc(chunk, 0x42);
      for (;;) {
        try {
          written += writeSync(fd, block);
        } catch (error) {
          if ((error as NodeJS.ErrnoException).code === 'ENOSPC') break;
          throw error;
        }
      }
    }
  } finally {
    closeSync(fd);
  }
  return written;
}

export function clearDisk(dir: string): void {
  rmSync(join(dir, BALLAST_FILE), { force: true });
}
