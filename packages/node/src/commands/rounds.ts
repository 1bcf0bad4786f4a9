/** `venn rounds`: every round attempt with its status and reason. */
import type { CommandIo } from '../cli.js';
import { formatTable, hex, integerOption, isoTime, parseCommand, stringOption, writeJson, type CommandSpec } from '../internal/command.js';
import { dirOption, openNodeForReading } from '../internal/node-dir.js';
import type { RoundRecord } from '../internal/store.js';

export const spec: CommandSpec = {
  name: 'rounds',
  summary: 'List rounds (one line per attempt, newest first) with status and reason.',
  synopsis: '',
  positionals: { min: 0, max: 0 },
  options: {
    dir: { type: 'string', value: 'DIR', description: 'node directory' },
    peer: { type: 'string', value: 'LAB_ID', description: 'only rounds with this peer' },
    limit: { type: 'string', value: 'N', description: 'at most N rounds (default 100)' },
    json: { type: 'boolean', description: 'print JSON' },
  },
};

export function roundJson(round: RoundRecord): Record<string, unknown> {
  return {
    roundId: hex(round.roundId),
    attempt: round.attempt,
    peer: round.peerId,
    role: round.role,
    origin: round.origin,
    slot: round.slot === null ? null : new Date(round.slot * 1000).toISOString(),
    mode: round.mode,
    status: round.status,
    reason: round.reason,
    detail: round.detail,
    createdAt: isoTime(round.createdAt),
    startedAt: round.startedAt === null ? null : isoTime(round.startedAt),
    finishedAt: round.finishedAt === null ? null : isoTime(round.finishedAt),
    localSetSize: round.localSetSize,
    peerSetSize: round.peerSetSize,
    intersectionSize: round.intersectionSize,
    peerClaimedSize: round.peerClaimedSize,
    transcriptHash: round.transcriptHash === null ? null : hex(round.transcriptHash),
  };
}

export async function run(argv: string[], io: CommandIo): Promise<number> {
  const parsed = parseCommand(spec, argv, io);
  if (parsed === null) return 0;
  const { values } = parsed;
  const { store } = openNodeForReading(dirOption(values, spec));
  try {
    const rounds = store.listRounds({ peerId: stringOption(values, 'peer', spec, true), limit: integerOption(values, 'limit', spec, 1, 1_000_000) ?? 100 });
    if (values['json'] === true) {
      writeJson(io, rounds.map(roundJson));
      return 0;
    }
    io.stdout.write(formatTable(
      ['ROUND', 'ATTEMPT', 'PEER', 'ROLE', 'ORIGIN', 'MODE', 'STATUS', 'REASON', 'SIZES', 'MATCHED', 'FINISHED'],
      rounds.map((round) => [
        hex(round.roundId).slice(0, 16), String(round.attempt), round.peerId, round.role, round.origin, round.mode ?? '', round.status,
        round.reason ?? '', round.localSetSize === null ? '' : `${round.localSetSize}/${round.peerSetSize ?? '?'}`,
        round.intersectionSize === null ? '' : String(round.intersectionSize), isoTime(round.finishedAt),
      ]),
    ));
    return 0;
  } finally {
    store.close();
  }
}
