/** The Rounds page's data: every attempt, newest first, with its per-phase compute times. */
import { hex } from '../command.js';
import type { Store } from '../store.js';

export interface RoundRow {
  readonly roundId: string; readonly attempt: number; readonly peer: string; readonly role: string; readonly origin: string; readonly mode: string | null;
  readonly status: string; readonly reason: string | null; readonly startedAt: number | null; readonly finishedAt: number | null; readonly durationMs: number | null;
  readonly localSetSize: number | null; readonly peerSetSize: number | null; readonly intersectionSize: number | null;
  /** Milliseconds per protocol phase, as timed in the round worker. */
  readonly phases: Record<string, number>;
  /** Whether the attempt has an audit-log leaf, so its transcript bundle can be exported. */
  readonly logged: boolean;
}

export function roundsView(store: Store, limit: number): RoundRow[] {
  return store.listRounds({ limit }).map((round) => ({
    roundId: hex(round.roundId), attempt: round.attempt, peer: round.peerId, role: round.role, origin: round.origin, mode: round.mode,
    status: round.status, reason: round.reason, startedAt: round.startedAt, finishedAt: round.finishedAt,
    durationMs: round.startedAt === null || round.finishedAt === null ? null : round.finishedAt - round.startedAt,
    localSetSize: round.localSetSize, peerSetSize: round.peerSetSize, intersectionSize: round.intersectionSize,
    phases: store.roundPhases(round.row), logged: store.logIndexOfRound(round.row) !== undefined,
  }));
}
