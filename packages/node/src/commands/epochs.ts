/**
 * `venn epochs look`: asks the running daemon to look at its key epochs now, as it does every
 * incrementalMinutes (node.md §10.3), so that what was just ingested or removed is carried at
 * once instead of at the next interval.
 */
import { ValidationError } from '@venn/errors';
import type { CommandIo } from '../main.js';
import { adminRequest, readAdminToken } from '../internal/admin-client.js';
import { UsageError, formatTable, parseCommand, stringOption, writeJson, type CommandSpec } from '../internal/command.js';
import { loadConfig } from '../internal/config.js';
import type { EpochLook } from '../internal/daemon.js';
import { dirOption } from '../internal/node-dir.js';

export const lookSpec: CommandSpec = {
  name: 'epochs look',
  summary: 'Ask the running daemon to look at each peer\'s key epoch now, exactly as it does every incrementalMinutes (node.md §10.3): start an epoch where none is open, run the epoch\'s next round where this node initiates it and its lists changed (or the peer asked), or ask the initiator to run it. Prints what it did for each peer; the rounds themselves run in the daemon (venn rounds shows them).',
  synopsis: '',
  positionals: { min: 0, max: 0 },
  options: {
    dir: { type: 'string', value: 'DIR', description: 'node directory' },
    peer: { type: 'string', value: 'LAB_ID', description: 'only the epoch with this peer' },
    json: { type: 'boolean', description: 'print JSON' },
  },
};

type PeerLook = EpochLook & { readonly peer: string };

/** One line of what a look did for a peer. */
export function describeLook(look: PeerLook): string {
  switch (look.action) {
    case 'round':
      return look.index === 0
        ? `started epoch ${look.epochId.slice(0, 16)}…: round 0 (start) ${look.roundId.slice(0, 16)}…`
        : `dialed round ${look.index} (${look.kind}) of epoch ${look.epochId.slice(0, 16)}…: ${look.roundId.slice(0, 16)}…`;
    case 'nudge':
      return `asked ${look.peer}, the epoch's initiator, to run round ${look.index} of epoch ${look.epochId.slice(0, 16)}…: ${look.roundId.slice(0, 16)}…`;
    case 'pending':
      return `a round with ${look.peer} is under way; the look is taken once it has ended`;
    case 'none':
      return 'nothing to carry (no change since the epoch\'s last round, or no epoch allowed with this peer)';
  }
}

async function look(argv: string[], io: CommandIo): Promise<number> {
  const parsed = parseCommand(lookSpec, argv, io);
  if (parsed === null) return 0;
  const { values } = parsed;
  const config = loadConfig(dirOption(values, lookSpec));
  const peer = stringOption(values, 'peer', lookSpec, true);
  const response = await adminRequest(config, 'POST', '/v1/epochs/look', { body: peer === undefined ? {} : { peer }, token: readAdminToken(config), timeoutMs: 10_000 });
  if (response.status !== 200) {
    const error = (response.body as { error?: { code?: string; message?: string } } | null)?.error;
    throw new ValidationError(error?.code ?? 'admin-error', error?.message ?? `the daemon answered ${response.status}`);
  }
  const looks = (response.body as { looks: PeerLook[] }).looks;
  if (values['json'] === true) {
    writeJson(io, looks);
    return 0;
  }
  io.stdout.write(formatTable(['PEER', 'ACTION', 'WHAT'], looks.map((entry) => [entry.peer, entry.action, describeLook(entry)])));
  return 0;
}

export async function run(argv: string[], io: CommandIo): Promise<number> {
  const [sub, ...rest] = argv;
  if (sub === 'look') return look(rest, io);
  if (sub === undefined || sub === '--help' || sub === '-h') {
    io.stdout.write('usage: venn epochs look [options]\n\nKey epochs (node.md §10). The subcommand takes --help.\n');
    return sub === undefined ? 2 : 0;
  }
  throw new UsageError(`expected "look" after venn epochs, got ${JSON.stringify(sub)}`);
}
