/** Locating and opening a node directory: its config, store, identity and installed roster. */
import { existsSync } from 'node:fs';
import { resolve } from 'node:path';
import { loadConfig, type NodeConfig } from './config.js';
import { Store } from './store.js';
import { UsageError, stringOption, type CommandSpec, type ParsedValues } from './command.js';

export function dirOption(values: ParsedValues, spec: CommandSpec): string {
  const dir = stringOption(values, 'dir', spec, true) ?? process.env['VENN_DIR'];
  if (dir === undefined || dir === '') throw new UsageError(`"--dir" expected the node directory (or VENN_DIR), got nothing (see venn ${spec.name} --help)`);
  return resolve(dir);
}

export function openNode(dir: string, now?: () => number): { config: NodeConfig; store: Store } {
  const config = loadConfig(dir);
  const store = Store.open(config.paths.store, now === undefined ? {} : { now });
  return { config, store };
}

/** For commands that only read: the store opened read-only (works on a store this user cannot write). */
export function openNodeForReading(dir: string): { config: NodeConfig; store: Store } {
  const config = loadConfig(dir);
  return { config, store: Store.openForReading(config.paths.store) };
}

export function hasRoster(config: NodeConfig): boolean {
  return existsSync(config.paths.roster);
}
