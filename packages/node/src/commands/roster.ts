/** `venn roster build` assembles lab entries into a roster; `venn roster use` installs one in a node. */
import { readFileSync, renameSync, writeFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { ValidationError } from '@venn/errors';
import { parseRoster, rosterDigest } from '@venn/transport';
import type { CommandIo } from '../cli.js';
import { UsageError, hex, integerOption, parseCommand, stringOption, writeJson, type CommandSpec } from '../internal/command.js';
import { readPublicKey } from '../internal/keyfile.js';
import { loadConfig } from '../internal/config.js';
import { dirOption } from '../internal/node-dir.js';
import { bindRoster, readRosterFile } from '../internal/roster.js';

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
    out: { type: 'string', value: 'ROSTER.json', description: 'file to write' },
    json: { type: 'boolean', description: 'print the result as JSON' },
  },
};

export const useSpec: CommandSpec = {
  name: 'roster use',
  summary: 'Install a roster in a node directory and print its digest. Restart a running daemon to apply it.',
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
    },
    members: positionals.map((path) => readEntry(resolve(path))),
  };
  // The transport's parser is the one definition of a valid roster; errors name the field path.
  const roster = parseRoster(document);
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
  const installed = bindRoster(roster, config, readPublicKey(config.paths.identityKey));
  // Write then rename, so the daemon never reads a half-written roster.
  const temporary = `${config.paths.roster}.tmp-${process.pid}`;
  writeFileSync(temporary, readFileSync(source));
  renameSync(temporary, config.paths.roster);
  const digest = hex(installed.digest);
  if (values['json'] === true) writeJson(io, { digest, federation: roster.federation, peers: installed.peers.map((m) => m.id) });
  else io.stdout.write(`${digest}\n`);
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
