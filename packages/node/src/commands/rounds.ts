/** `venn rounds`: every round attempt with its status and reason. */
import type { CommandIo } from '../main.js';
import { formatTable, hex, integerOption, isoTime, parseCommand, stringOption, writeJson, type CommandSpec } from '../internal/command.js';
import { EpochStore, type EpochRoundInfo } from '../internal/epoch-store.js';
import { dirOption, openNodeForReading } from '../internal/node-dir.js';
import type { RefusalRecord, RoundRecord } from '../internal/store.js';

export const spec: CommandSpec = {
  name: 'rounds',
  summary: 'List rounds (one line per attempt, newest first) with status and reason, the evaluations served each way, who ended an aborted attempt and whether the peer abandoned it, and the rounds this node refused before an attempt (node.md §5). Each attempt shows what it cost: its duration from start to end, the elements this node blinded and evaluated, and the CPU time of the worker thread that ran it (node.md §2). A round of a key epoch shows its kind (start, fill, incremental), its index and, once completed, the additions and removals each side carried (node.md §10).',
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
    // node.md §5.2–§5.3: what went each way and who left.
    evaluationsSent: round.evaluationsSent,
    evaluationsReceived: round.evaluationsReceived,
    endedBy: round.endedBy,
    abandoned: round.abandoned,
    // node.md §2: what the attempt cost this node.
    durationMs: durationMs(round),
    elementsBlinded: round.elementsBlinded,
    elementsEvaluated: round.elementsEvaluated,
    workerCpuMs: round.workerCpuMs === null ? null : Math.round(round.workerCpuMs * 10) / 10,
  };
}

/** From the attempt's start (its session open) to its end, on this node's clock; null until both are known. */
export function durationMs(round: RoundRecord): number | null {
  return round.startedAt === null || round.finishedAt === null ? null : Math.max(0, round.finishedAt - round.startedAt);
}

/** "840 ms", "2.4 s". */
export function formatMs(ms: number | null): string {
  if (ms === null) return '';
  return ms < 1000 ? `${Math.round(ms)} ms` : `${(ms / 1000).toFixed(1)} s`;
}

/** node.md §5.4: a refusal before any attempt, listed with the attempts. */
export function refusalJson(refusal: RefusalRecord): Record<string, unknown> {
  return {
    roundId: hex(refusal.roundId), attempt: null, peer: refusal.peerId, role: 'responder', status: 'refused', reason: refusal.code, detail: refusal.detail,
    count: refusal.count, firstAt: isoTime(refusal.firstAt), lastAt: isoTime(refusal.lastAt),
  };
}

/** node.md §10.4: what a round of a key epoch was and carried, for `venn rounds`. */
export function epochRoundJson(info: EpochRoundInfo): Record<string, unknown> {
  return {
    epochId: hex(info.epochId), index: info.index, kind: info.kind, additions: info.additions, removals: info.removals,
    peerAdditions: info.peerAdditions, peerRemovals: info.peerRemovals, newMatches: info.newMatches, endedMatches: info.endedMatches,
  };
}

function epochOrigin(info: EpochRoundInfo): string {
  const changes = info.additions === null ? '' : ` (+${info.additions} -${info.removals ?? 0}, peer +${info.peerAdditions ?? 0} -${info.peerRemovals ?? 0})`;
  return `epoch ${info.kind} #${info.index}${changes}`;
}

function attemptRow(round: RoundRecord, epoch: EpochRoundInfo | undefined): string[] {
  return [
    hex(round.roundId).slice(0, 16), String(round.attempt), round.peerId, round.role, epoch === undefined ? round.origin : epochOrigin(epoch), round.mode ?? '', round.status,
    round.reason ?? '', round.localSetSize === null ? '' : `${round.localSetSize}/${round.peerSetSize ?? '?'}`,
    round.intersectionSize === null ? '' : String(round.intersectionSize), `${round.evaluationsSent}/${round.evaluationsReceived}`,
    round.endedBy === null ? '' : `${round.endedBy}${round.abandoned ? ' (abandoned)' : ''}`,
    formatMs(durationMs(round)), round.elementsBlinded === null ? '' : `${round.elementsBlinded}/${round.elementsEvaluated ?? 0}`, formatMs(round.workerCpuMs),
    isoTime(round.finishedAt),
  ];
}

function refusalRow(refusal: RefusalRecord): string[] {
  return [
    hex(refusal.roundId).slice(0, 16), '-', refusal.peerId, 'responder', '', '', 'refused', `${refusal.code}${refusal.count > 1 ? ` ×${refusal.count}` : ''}`,
    '', '', '', '', '', '', '', isoTime(refusal.lastAt),
  ];
}

export async function run(argv: string[], io: CommandIo): Promise<number> {
  const parsed = parseCommand(spec, argv, io);
  if (parsed === null) return 0;
  const { values } = parsed;
  const { store } = openNodeForReading(dirOption(values, spec));
  try {
    const peerId = stringOption(values, 'peer', spec, true);
    const limit = integerOption(values, 'limit', spec, 1, 1_000_000) ?? 100;
    const rounds = store.listRounds({ peerId, limit });
    const refusals = store.refusals({ peerId, limit });
    const epochs = new EpochStore(store).epochRounds(rounds.map((round) => round.row));
    // Newest first, attempts and refusals together.
    const entries = [
      ...rounds.map((round) => {
        const epoch = epochs.get(round.row);
        return { at: round.finishedAt ?? round.createdAt, json: epoch === undefined ? roundJson(round) : { ...roundJson(round), epoch: epochRoundJson(epoch) }, row: attemptRow(round, epoch) };
      }),
      ...refusals.map((refusal) => ({ at: refusal.lastAt, json: refusalJson(refusal), row: refusalRow(refusal) })),
    ].sort((a, b) => b.at - a.at).slice(0, limit);
    if (values['json'] === true) {
      writeJson(io, entries.map((entry) => entry.json));
      return 0;
    }
    io.stdout.write(formatTable(
      ['ROUND', 'ATTEMPT', 'PEER', 'ROLE', 'ORIGIN', 'MODE', 'STATUS', 'REASON', 'SIZES', 'MATCHED', 'EVALUATED OUT/IN', 'ENDED BY', 'DURATION', 'BLINDED/EVALUATED', 'WORKER CPU', 'FINISHED'],
      entries.map((entry) => entry.row),
    ));
    return 0;
  } finally {
    store.close();
  }
}
