/**
 * The Federation page's data: the roster's labs and, per peer, the last round, today's quota and,
 * when the daemon reports them, evaluation budgets and abandonments. Anything the daemon's status
 * report does not carry is computed from the store where it can be, else reported as absent.
 */
import { hex } from '../command.js';
import { policyFor, type NodeConfig } from '../config.js';
import type { InstalledRoster } from '../roster.js';
import { utcDay, type RoundRecord, type Store } from '../store.js';

export interface LastRound {
  readonly roundId: string; readonly attempt: number; readonly role: string; readonly origin: string; readonly mode: string | null;
  readonly status: string; readonly reason: string | null; readonly startedAt: string | null; readonly finishedAt: string | null;
  readonly durationMs: number | null; readonly localSetSize: number | null; readonly peerSetSize: number | null; readonly intersectionSize: number | null;
}

export interface PeerView {
  readonly id: string;
  readonly name: string;
  readonly endpoint: string;
  /** What the peer published in the roster. */
  readonly policy: { readonly maxPeerSetSize: number; readonly maxRoundsPerDay: number; readonly modes: readonly string[]; readonly shareLabels: readonly string[] };
  readonly lastRound: LastRound | null;
  readonly quota: { readonly day: string; readonly rounds: number; readonly maxRoundsPerDay: number; readonly adHocRounds: number; readonly maxAdHocRoundsPerDay: number };
  /** Evaluation budget over a sliding window; null when the daemon does not report one. */
  readonly budget: Record<string, unknown> | null;
  /** Rounds the peer abandoned after taking evaluations; null when the daemon does not report them. */
  readonly abandonments: Record<string, unknown> | null;
}

export interface FederationView {
  readonly node: { readonly id: string; readonly name: string; readonly endpoint: string };
  readonly federation: { readonly name: string; readonly epoch: number };
  readonly schedule: { readonly cron: string; readonly windowMinutes: number; readonly timezone: string };
  readonly nextSlot: string | null;
  readonly peers: PeerView[];
  readonly running: unknown[];
  /** Where the per-peer figures came from: the daemon's status report, or this store alone. */
  readonly source: 'status-report' | 'store';
}

const iso = (ms: number | null): string | null => (ms === null ? null : new Date(ms).toISOString());

function lastRoundOf(round: RoundRecord | undefined): LastRound | null {
  if (round === undefined) return null;
  return {
    roundId: hex(round.roundId), attempt: round.attempt, role: round.role, origin: round.origin, mode: round.mode, status: round.status, reason: round.reason,
    startedAt: iso(round.startedAt), finishedAt: iso(round.finishedAt),
    durationMs: round.startedAt === null || round.finishedAt === null ? null : round.finishedAt - round.startedAt,
    localSetSize: round.localSetSize, peerSetSize: round.peerSetSize, intersectionSize: round.intersectionSize,
  };
}

const isRecord = (value: unknown): value is Record<string, unknown> => value !== null && typeof value === 'object' && !Array.isArray(value);

export function federationView(input: { config: NodeConfig; roster: InstalledRoster; store: Store; now: number; status: Record<string, unknown> }): FederationView {
  const { config, roster, store, status } = input;
  const reported = Array.isArray(status['peers']) ? (status['peers'] as unknown[]).filter(isRecord) : [];
  const last = store.lastRoundByPeer();
  const day = utcDay(input.now);
  const peers = roster.peers.map((member): PeerView => {
    const fromStatus = reported.find((entry) => entry['id'] === member.id);
    const policy = policyFor(config, member.id);
    const usage = store.quotaUsage(member.id, day);
    const quota = isRecord(fromStatus?.['quota'])
      ? fromStatus['quota'] as unknown as PeerView['quota']
      : { day, rounds: usage.rounds, maxRoundsPerDay: policy.maxRoundsPerDay, adHocRounds: usage.adHocRounds, maxAdHocRoundsPerDay: policy.maxAdHocRoundsPerDay };
    return {
      id: member.id, name: member.name, endpoint: member.endpoint,
      policy: { maxPeerSetSize: member.policy.maxPeerSetSize, maxRoundsPerDay: member.policy.maxRoundsPerDay, modes: member.policy.modes, shareLabels: member.policy.shareLabels },
      lastRound: isRecord(fromStatus?.['lastRound']) ? fromStatus['lastRound'] as unknown as LastRound : lastRoundOf(last.get(member.id)),
      quota,
      budget: isRecord(fromStatus?.['budget']) ? fromStatus['budget'] : null,
      abandonments: isRecord(fromStatus?.['abandonments']) ? fromStatus['abandonments'] : null,
    };
  });
  return {
    node: { id: config.id, name: roster.self.name, endpoint: roster.self.endpoint },
    federation: { name: roster.roster.federation.name, epoch: roster.roster.federation.epoch },
    schedule: { cron: roster.roster.schedule.cron, windowMinutes: roster.roster.schedule.windowMinutes, timezone: roster.roster.schedule.timezone },
    nextSlot: typeof status['nextSlot'] === 'string' ? status['nextSlot'] : null,
    peers,
    running: Array.isArray(status['runningRounds']) ? status['runningRounds'] as unknown[] : [],
    source: reported.length > 0 ? 'status-report' : 'store',
  };
}
