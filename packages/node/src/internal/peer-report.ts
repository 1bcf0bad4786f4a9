/**
 * What a node grants and has given each peer (node.md §5): the last attempt, today's quota, the
 * evaluation budget and the abandonments. One shape for `GET /v1/status`, `GET /v1/peers`,
 * `venn peers`, the console and /metrics; `venn status` shows the daemon's as `daemon.peers`
 * and its own, read from the store, as `peers` (quota as used, limit and left).
 */
import { hex } from './command.js';
import { policyFor, type NodeConfig } from './config.js';
import { DAY_MS, utcDay, type RoundRecord, type Store } from './store.js';

export interface PeerReport {
  readonly id: string;
  readonly endpoint: string | null;
  readonly lastRound: {
    readonly roundId: string; readonly attempt: number; readonly role: string; readonly origin: string; readonly mode: string | null;
    readonly status: string; readonly reason: string | null; readonly startedAt: string | null; readonly finishedAt: string | null;
    readonly durationMs: number | null; readonly localSetSize: number | null; readonly peerSetSize: number | null;
    readonly intersectionSize: number | null; readonly evaluationsSent: number; readonly evaluationsReceived: number;
  } | null;
  readonly quota: { readonly day: string; readonly rounds: number; readonly maxRoundsPerDay: number; readonly adHocRounds: number; readonly maxAdHocRoundsPerDay: number };
  /** Evaluations this node serves the peer per rolling 24 hours (node.md §5.2). */
  readonly budget: {
    readonly windowHours: number; readonly limit: number; readonly used: number; readonly served: number; readonly reserved: number;
    readonly left: number; readonly perRoundLimit: number; readonly maxPeerSetSize: number;
  };
  readonly abandonments: { readonly last24h: number; readonly limit: number; readonly suspended: boolean; readonly suspendedAt: string | null; readonly detail: string | null };
}

const iso = (ms: number | null): string | null => (ms === null ? null : new Date(ms).toISOString());

function lastRoundView(round: RoundRecord | undefined): PeerReport['lastRound'] {
  if (round === undefined) return null;
  return {
    roundId: hex(round.roundId), attempt: round.attempt, role: round.role, origin: round.origin, mode: round.mode, status: round.status,
    reason: round.reason, startedAt: iso(round.startedAt), finishedAt: iso(round.finishedAt),
    durationMs: round.startedAt === null || round.finishedAt === null ? null : round.finishedAt - round.startedAt,
    localSetSize: round.localSetSize, peerSetSize: round.peerSetSize, intersectionSize: round.intersectionSize,
    evaluationsSent: round.evaluationsSent, evaluationsReceived: round.evaluationsReceived,
  };
}

export function peerReports(store: Store, config: NodeConfig, peers: ReadonlyArray<{ readonly id: string; readonly endpoint?: string }>, now: number): PeerReport[] {
  const last = store.lastRoundByPeer();
  const day = utcDay(now);
  return peers.map((peer) => {
    const policy = policyFor(config, peer.id);
    const usage = store.budgetUsage(peer.id, now);
    const quota = store.quotaUsage(peer.id, day);
    const suspension = store.openSuspension(peer.id);
    return {
      id: peer.id,
      endpoint: peer.endpoint ?? null,
      lastRound: lastRoundView(last.get(peer.id)),
      quota: { day, rounds: quota.rounds, maxRoundsPerDay: policy.maxRoundsPerDay, adHocRounds: quota.adHocRounds, maxAdHocRoundsPerDay: policy.maxAdHocRoundsPerDay },
      budget: {
        windowHours: DAY_MS / 3_600_000, limit: policy.maxEvaluationsPerDay, used: usage.used, served: usage.served, reserved: usage.reserved,
        left: Math.max(0, policy.maxEvaluationsPerDay - usage.used), perRoundLimit: policy.maxEvaluationsPerRound, maxPeerSetSize: policy.maxPeerSetSize,
      },
      abandonments: {
        last24h: store.abandonments(peer.id, now), limit: policy.maxAbandonmentsPerDay, suspended: suspension !== undefined,
        suspendedAt: iso(suspension?.suspendedAt ?? null), detail: suspension?.detail ?? null,
      },
    };
  });
}
