/**
 * `venn backup`: a consistent online copy of the store while the daemon runs (SQLite's backup
 * API); `venn restore`: puts a backup in place of a stopped node's store, refusing one that would
 * roll the audit log back (node.md §2.2).
 */
import type { CommandIo } from '../main.js';
import { adminRequest } from '../internal/admin-client.js';
import { UsageError, hex, parseCommand, stringOption, writeJson, type CommandSpec } from '../internal/command.js';
import { loadConfig } from '../internal/config.js';
import { watermarkPath } from '../internal/log-watermark.js';
import { dirOption } from '../internal/node-dir.js';
import { NodeLock } from '../internal/node-lock.js';
import { backupStore, restoreStore, type StoreCopySummary } from '../internal/store-integrity.js';
import { ValidationError } from '@venn/errors';

export const spec: CommandSpec = {
  name: 'backup',
  summary: 'Write a consistent copy of the node\'s store to FILE, while the daemon runs or not (SQLite\'s online backup API). The copy is checked with quick_check and created mode 0600.',
  synopsis: '',
  positionals: { min: 0, max: 0 },
  details: 'A backup is restored with venn restore while the daemon is stopped. A restore is refused when the backup\'s audit log lacks heads the node has signed since (node.md §2.2): back up after every slot.',
  options: {
    dir: { type: 'string', value: 'DIR', description: 'node directory' },
    out: { type: 'string', value: 'FILE', description: 'file to write (replaced if it exists)' },
    json: { type: 'boolean', description: 'print the summary as JSON' },
  },
};

export const restoreSpec: CommandSpec = {
  name: 'restore',
  summary: 'Replace a stopped node\'s store with BACKUP (from venn backup). The backup must pass quick_check and its audit log must hold every head this node signed (log-watermark.json); otherwise nothing changes.',
  synopsis: 'BACKUP',
  positionals: { min: 1, max: 1 },
  details: 'Lists ingested since the backup must be ingested again. A refusal with log-rollback means the backup is older than heads peers already hold: restore a newer backup, or start a new log under a new identity (docs/operating.md §8).',
  options: {
    dir: { type: 'string', value: 'DIR', description: 'node directory' },
    json: { type: 'boolean', description: 'print the summary as JSON' },
  },
};

function describe(summary: StoreCopySummary): Record<string, unknown> {
  const head = summary.latestHead;
  return {
    path: summary.path, bytes: summary.bytes, rounds: summary.rounds, logSize: summary.logSize,
    latestHead: head === undefined ? null : { size: head.treeSize, root: hex(head.root), timestamp: new Date(head.timestamp).toISOString() },
  };
}

function print(io: CommandIo, verb: string, summary: StoreCopySummary, json: boolean): void {
  if (json) {
    writeJson(io, describe(summary));
    return;
  }
  const head = summary.latestHead;
  io.stdout.write(`${verb} ${summary.path}: ${summary.bytes} bytes, ${summary.rounds} round attempts, log size ${summary.logSize}${head === undefined ? '' : `, latest signed head ${head.treeSize} at ${new Date(head.timestamp).toISOString()}`}; quick_check ok\n`);
}

export async function run(argv: string[], io: CommandIo): Promise<number> {
  const parsed = parseCommand(spec, argv, io);
  if (parsed === null) return 0;
  const config = loadConfig(dirOption(parsed.values, spec));
  const out = stringOption(parsed.values, 'out', spec);
  const summary = await backupStore(config.paths.store, out);
  print(io, 'backed up to', summary, parsed.values['json'] === true);
  return 0;
}

export async function runRestore(argv: string[], io: CommandIo): Promise<number> {
  const parsed = parseCommand(restoreSpec, argv, io);
  if (parsed === null) return 0;
  const dir = dirOption(parsed.values, restoreSpec);
  const config = loadConfig(dir);
  const backup = parsed.positionals[0];
  if (backup === undefined) throw new UsageError('"BACKUP" expected a file written by venn backup');
  // The daemon holds the store open; replacing it underneath would lose what it writes next.
  const running = await adminRequest(config, 'GET', '/healthz', { timeoutMs: 1000 }).then(() => true, () => false);
  if (running) throw new ValidationError('daemon-running', `"--dir" expected a stopped node, got a daemon answering on ${config.admin.host}:${config.admin.port}: stop it first (SIGTERM)`);
  // node.md §1.4: no other process (a daemon starting, an ingest) may have the store open meanwhile.
  const lock = NodeLock.acquire(dir, 'restore');
  try {
    const summary = restoreStore({ storePath: config.paths.store, nodeDir: dir, backup, watermark: watermarkPath(dir) });
    print(io, 'restored', summary, parsed.values['json'] === true);
  } finally {
    lock.release();
  }
  return 0;
}
