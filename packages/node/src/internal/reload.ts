/**
 * What SIGHUP (or POST /v1/reload) changes in a running daemon (protocol-spec/node.md §6.1): the
 * configuration fields that can change under it, the roster installed by `venn roster use`, and
 * the TLS files. Everything is read and checked first; a bad file changes nothing.
 */
import { isDeepStrictEqual } from 'node:util';
import { join } from 'node:path';
import { CONFIG_FILE, ConfigError, loadConfig, policyFor, tlsRosterIssues, type NodeConfig } from './config.js';
import type { Roster } from '@venn/transport';
import { loadInstalledRoster, type InstalledRoster } from './roster.js';
import { checkScheduleQuota, nodeQuotaHolders } from './schedule-quota.js';

/** Fields applied in place; the others take effect at the next start. */
const RELOADABLE = ['logLevel', 'clockSkewSeconds', 'retry', 'roundTimeoutSeconds', 'policy', 'peers', 'ingest', 'lists'] as const;
const RESTART_ONLY = ['id', 'listen', 'admin', 'paths', 'workers', 'workerNice'] as const;

export interface ReloadPlan {
  /** The configuration to run with: new reloadable fields, the running values of the others. */
  readonly config: NodeConfig;
  /** The new roster, or null when the installed one did not change. */
  readonly roster: InstalledRoster | null;
  /** The listener's certificate and key to load again, or null. */
  readonly tls: { readonly certFile: string; readonly keyFile: string } | null;
  /** Fields applied, sorted ("tls" when certificate files changed). */
  readonly changed: string[];
  /** Fields that differ on disk but need a restart, sorted. */
  readonly needsRestart: string[];
}

/** A fingerprint of the listener's certificate files, to see whether they were renewed. */
export type TlsFingerprint = string | null;

export function planReload(current: { config: NodeConfig; roster: InstalledRoster; tlsFingerprint: TlsFingerprint }, publicKey: Uint8Array, now: number, fingerprint: (config: NodeConfig) => TlsFingerprint): ReloadPlan {
  const next = loadConfig(current.config.paths.dir);
  const changed: string[] = [];
  const needsRestart: string[] = [];
  for (const field of RELOADABLE) if (!isDeepStrictEqual(current.config[field], next[field])) changed.push(field);
  for (const field of RESTART_ONLY) if (!isDeepStrictEqual(current.config[field], next[field])) needsRestart.push(field);

  // TLS: anchors for dialing apply at once; the listener's files are reloaded in place, but
  // switching between ws:// and wss:// needs a new listener.
  let tls: ReloadPlan['tls'] = null;
  const listenerKind = (config: NodeConfig): boolean => config.tls.server !== null;
  if (listenerKind(current.config) !== listenerKind(next)) {
    needsRestart.push('tls');
  } else {
    const renewed = next.tls.server !== null && (!isDeepStrictEqual(current.config.tls.server, next.tls.server) || fingerprint(next) !== current.tlsFingerprint);
    if (renewed) tls = next.tls.server;
    if (renewed || next.tls.caFile !== current.config.tls.caFile || next.tls.systemCa !== current.config.tls.systemCa) changed.push('tls');
  }

  const config: NodeConfig = {
    ...next,
    id: current.config.id, listen: current.config.listen, admin: current.config.admin, paths: current.config.paths, workers: current.config.workers, workerNice: current.config.workerNice,
    tls: needsRestart.includes('tls') ? current.config.tls : next.tls,
  };
  const installed = loadInstalledRoster(config, publicKey);
  const roster = Buffer.from(installed.digest).equals(Buffer.from(current.roster.digest)) ? null : installed;
  const effective = roster ?? current.roster;
  const issues = tlsRosterIssues(config.tls, effective.self, effective.peers);
  if (issues.length > 0) throw new ConfigError(join(config.paths.dir, CONFIG_FILE), issues);
  checkScheduleQuota(effective.roster.schedule, nodeQuotaHolders(effective.self, effective.peers, (peer) => policyFor(config, peer)), now);
  return { config, roster, tls, changed: changed.sort(), needsRestart: needsRestart.sort() };
}

/**
 * What differs between two rosters, for the `reloaded` line (node.md §6.1): `federation.<field>`,
 * `schedule.<field>`, `identifierHygiene`, and `members.<id>` for each member added, removed or
 * whose entry changed; sorted.
 */
export function rosterChanges(before: Roster, after: Roster): string[] {
  const changes: string[] = [];
  for (const part of ['federation', 'schedule'] as const) {
    const old = before[part] as unknown as Record<string, unknown>;
    const now = after[part] as unknown as Record<string, unknown>;
    for (const field of new Set([...Object.keys(old), ...Object.keys(now)])) {
      if (!isDeepStrictEqual(old[field], now[field])) changes.push(`${part}.${field}`);
    }
  }
  if (!isDeepStrictEqual(before.identifierHygiene ?? [], after.identifierHygiene ?? [])) changes.push('identifierHygiene');
  const members = new Map(before.members.map((member) => [member.id, member]));
  for (const member of after.members) {
    if (!isDeepStrictEqual(members.get(member.id), member)) changes.push(`members.${member.id}`);
    members.delete(member.id);
  }
  for (const id of members.keys()) changes.push(`members.${id}`);
  return changes.sort();
}
