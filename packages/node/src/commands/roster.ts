/** `venn roster build` assembles lab entries into a roster; `venn roster use` installs one in a node. */
import { readFileSync, renameSync, writeFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { ValidationError } from '@venn/errors';
import { hygieneList } from '@venn/identifiers';
import { parseRoster, rosterDigest } from '@venn/transport';
import type { CommandIo } from '../main.js';
import { UsageError, hex, integerOption, parseCommand, stringOption, writeJson, type CommandSpec } from '../internal/command.js';
import { readPublicKey } from '../internal/keyfile.js';
import { loadConfig } from '../internal/config.js';
import { dirOption } from '../internal/node-dir.js';
import { bindRoster, readRosterFile } from '../internal/roster.js';
import { adminRequest, readAdminToken } from '../internal/admin-client.js';
import { policyFor, tlsRosterIssues, ConfigError, CONFIG_FILE } from '../internal/config.js';
import { NodeLock, NodeLockedError } from '../internal/node-lock.js';
import { checkScheduleQuota, nodeQuotaHolders } from '../internal/schedule-quota.js';
import { join } from 'node:path';

export const buildSpec: CommandSpec = {
  name: 'roster build',
  summary: 'Assemble lab roster entries (as printed by venn init) into a roster file and print its digest.',
  synopsis: 'ENTRY.json...',
  positionals: { min: 1, max: 1024 },
  options: {
    name: { type: 'string', value: 'NAME', description: 'federation name' },
    schedule: { type: 'string', value: 'CRON', description: 'five-field cron of round slots (default "0 */6 * * *")' },
    window: { type: 'string', value: 'MINUTES', description: 'length of each slot\'s window (default 30)' },
    timezone: { type: 'string', value: 'TZ', description: 'time zone of the cron (default UTC)' },
    epoch: { type: 'string', value: 'N', description: 'federation epoch (default 1)' },
    'epoch-days': { type: 'string', value: 'DAYS', description: 'run key epochs of DAYS days (1-28) with incremental rounds instead of the cron\'s rounds (needs --incremental-minutes)' },
    'incremental-minutes': { type: 'string', value: 'MINUTES', description: 'how often key epochs\' incremental rounds may run (1-1440)' },
    out: { type: 'string', value: 'ROSTER.json', description: 'file to write' },
    json: { type: 'boolean', description: 'print the result as JSON' },
  },
};

export const useSpec: CommandSpec = {
  name: 'roster use',
  summary: 'Install a roster in a node directory and print its digest. A running daemon reloads it at once (as on SIGHUP); a round already running finishes under the roster it started with.',
  synopsis: 'ROSTER.json',
  positionals: { min: 1, max: 1 },
  options: {
    dir: { type: 'string', value: 'DIR', description: 'node directory' },
    json: { type: 'boolean', description: 'print the result as JSON' },
  },
};

function readEntry(path: string): unknown {
  try {
    return JSON.parse(readFileSync(path, 'utf8')) as unknown;
  } catch (cause) {
    throw new ValidationError('invalid-entry', `"${path}" expected a JSON roster entry (the output of venn init), got ${(cause as Error).message}`, { cause });
  }
}

async function build(argv: string[], io: CommandIo): Promise<number> {
  const parsed = parseCommand(buildSpec, argv, io);
  if (parsed === null) return 0;
  const { values, positionals } = parsed;
  const out = resolve(stringOption(values, 'out', buildSpec));
  const document = {
    version: 1,
    federation: { name: stringOption(values, 'name', buildSpec), epoch: integerOption(values, 'epoch', buildSpec, 0, 0xffff_ffff) ?? 1 },
    schedule: {
      cron: stringOption(values, 'schedule', buildSpec, true) ?? '0 */6 * * *',
      windowMinutes: integerOption(values, 'window', buildSpec, 1, 1440) ?? 30,
      timezone: stringOption(values, 'timezone', buildSpec, true) ?? 'UTC',
      ...(values['epoch-days'] === undefined && values['incremental-minutes'] === undefined
        ? {}
        : { epochDays: integerOption(values, 'epoch-days', buildSpec, 1, 28), incrementalMinutes: integerOption(values, 'incremental-minutes', buildSpec, 1, 1440) }),
    },
    members: positionals.map((path) => readEntry(resolve(path))),
  };
  // The transport's parser is the one definition of a valid roster; errors name the field path.
  const roster = parseRoster(document);
  // Every slot runs a round per pair: the schedule must fit each member's daily quota.
  checkScheduleQuota(roster.schedule, roster.members.map((m) => ({ who: `${m.id}'s entry`, maxRoundsPerDay: m.policy.maxRoundsPerDay })), Date.now());
  const sorted = { ...document, members: [...(document.members as Array<{ id: string }>)].sort((a, b) => (a.id < b.id ? -1 : a.id > b.id ? 1 : 0)) };
  writeFileSync(out, `${JSON.stringify(sorted, null, 2)}\n`);
  const digest = hex(rosterDigest(roster));
  if (values['json'] === true) writeJson(io, { out, digest, members: roster.members.map((m) => m.id).sort() });
  else io.stdout.write(`${digest}\n`);
  return 0;
}

async function use(argv: string[], io: CommandIo): Promise<number> {
  const parsed = parseCommand(useSpec, argv, io);
  if (parsed === null) return 0;
  const { values, positionals } = parsed;
  const config = loadConfig(dirOption(values, useSpec));
  const source = resolve(positionals[0]!);
  const roster = readRosterFile(source, 'ROSTER.json');
  // identifiers.md §12.5: every roster hygiene addition is already in canonical form (hygiene-invalid otherwise).
  if (roster.identifierHygiene !== undefined) hygieneList({ roster: roster.identifierHygiene });
  const installed = bindRoster(roster, config, readPublicKey(config.paths.identityKey));
  // What venn start would refuse, refused before the file is installed.
  const issues = tlsRosterIssues(config.tls, installed.self, installed.peers);
  if (issues.length > 0) throw new ConfigError(join(config.paths.dir, CONFIG_FILE), issues);
  checkScheduleQuota(roster.schedule, nodeQuotaHolders(installed.self, installed.peers, (peer) => policyFor(config, peer)), Date.now());
  // node.md §1.4: with no daemon running this command holds the directory; with one, it asks it to reload.
  const lock = NodeLock.tryAcquire(config.paths.dir, 'roster use');
  let daemon: Record<string, unknown> | null = null;
  if (!(lock instanceof NodeLock) && lock.holder !== null && lock.holder.command !== 'start') throw new NodeLockedError(config.paths.dir, lock.holder);
  try {
    // Write then rename, so the daemon never reads a half-written roster.
    const temporary = `${config.paths.roster}.tmp-${process.pid}`;
    writeFileSync(temporary, readFileSync(source));
    renameSync(temporary, config.paths.roster);
  } finally {
    if (lock instanceof NodeLock) lock.release();
  }
  if (!(lock instanceof NodeLock)) {
    const response = await adminRequest(config, 'POST', '/v1/reload', { token: readAdminToken(config), timeoutMs: 30_000 });
    const body = response.body as Record<string, unknown> & { error?: { code?: string; message?: string } };
    if (response.status !== 200) {
      throw new ValidationError(body.error?.code ?? 'reload-failed', `the roster is installed, but the running daemon did not reload it: ${body.error?.message ?? `status ${response.status}`}`);
    }
    daemon = body;
  }
  const digest = hex(installed.digest);
  if (values['json'] === true) writeJson(io, { digest, federation: roster.federation, peers: installed.peers.map((m) => m.id), daemonReloaded: daemon !== null });
  else io.stdout.write(`${digest}\n${daemon === null ? '' : 'the running daemon reloaded it\n'}`);
  return 0;
}

export async function run(argv: string[], io: CommandIo): Promise<number> {
  const [sub, ...rest] = argv;
  if (sub === 'build') return build(rest, io);
  if (sub === 'use') return use(rest, io);
  if (sub === undefined || sub === '--help' || sub === '-h') {
    io.stdout.write('usage: venn roster build [options] ENTRY.json...\n       venn roster use --dir DIR ROSTER.json\n\nEach subcommand takes --help.\n');
    return sub === undefined ? 2 : 0;
  }
  throw new UsageError(`expected "build" or "use" after venn roster, got ${JSON.stringify(sub)}`);
}
