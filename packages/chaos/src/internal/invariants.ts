/**
 * The invariants a chaos run must keep, checked from the stores' contents (snapshots taken while
 * running and the final read), the audit commands' outputs and the harness's own records. Each
 * check returns violations; a run passes when there are none.
 */
import type { AttemptRow, MatchKeys, StoreSnapshot } from './evidence.js';

export interface Limits {
  readonly maxEvaluationsPerDay: number;
  readonly maxEvaluationsPerRound: number;
  readonly maxRoundsPerDay: number;
  readonly maxAdHocRoundsPerDay: number;
}

export interface ProofOutcome {
  readonly node: string;
  readonly from: number;
  readonly to: number;
  /** The root at `from` as `venn audit prove` printed it. */
  readonly fromRoot: string;
  readonly verified: boolean;
}

export interface RestartRecord {
  readonly node: string;
  readonly cause: string;
  /** Milliseconds from the restart (or the fault's end) to a healthy daemon; null if it never became healthy. */
  readonly healthyMs: number | null;
}

export interface ExitRecord {
  readonly node: string;
  readonly code: number | null;
  readonly signal: string | null;
  /** Caused by the harness (kill -9, SIGTERM, a torn file, a full disk). */
  readonly expected: boolean;
  readonly detail: string;
}

export interface CrossCheckOutcome {
  readonly a: string;
  readonly b: string;
  readonly exitCode: number | null;
  readonly issues: readonly { readonly kind: string; readonly roundId: string | null; readonly detail: string }[];
}

export interface RunEvidence {
  readonly nodes: readonly string[];
  /** Snapshots in the order they were taken. */
  readonly snapshots: readonly StoreSnapshot[];
  readonly final: ReadonlyMap<string, StoreSnapshot>;
  readonly matchKeys: ReadonlyMap<string, MatchKeys>;
  /** node → peer → the sorted kind:account keys the ground truth says a round of the two finds. */
  readonly expected: Readonly<Record<string, Readonly<Record<string, readonly string[]>>>>;
  /** node → peer → what the node grants the peer. */
  readonly limits: Readonly<Record<string, Readonly<Record<string, Limits>>>>;
  /** node → log size → root recomputed from the final log's leaves, for every head size ever seen. */
  readonly rootsAt: ReadonlyMap<string, ReadonlyMap<number, string>>;
  readonly proofs: readonly ProofOutcome[];
  readonly crossChecks: readonly CrossCheckOutcome[];
  readonly restarts: readonly RestartRecord[];
  readonly exits: readonly ExitRecord[];
  readonly peakRssMiB: Readonly<Record<string, number>>;
  readonly rssLimitMiB: number;
}

export type InvariantName =
  | 'paired-results' | 'one-sided-completion' | 'ground-truth' | 'durability' | 'log-append-only' | 'log-proof' | 'cross-check'
  | 'budget' | 'quota' | 'round-once' | 'healthy-restart' | 'unexpected-exit' | 'memory' | 'quiesced';

export interface Violation {
  readonly invariant: InvariantName;
  readonly node: string | null;
  readonly detail: string;
}

const FINISHED_WITH_RESULT = new Set(['completed', 'disputed']);

/**
 * Reasons for which an attempt ends between the two FINISH messages without any party misbehaving:
 * a crash, a stop, or a connection cut. A completion whose peer recorded such an end is a lost last
 * FINISH, the two generals' problem that protocol v1 cannot close (audit.md §10.2).
 */
const CUT_SHORT = new Set([
  'daemon-restart', 'shutdown', 'cancelled', 'connection-lost', 'timeout', 'heartbeat-timeout', 'idle-timeout', 'internal-error', 'normal', 'shutting-down',
]);

/** Round ids (full hex) whose completion on one side met a crash or cut on the other: lost last FINISH. */
export function lostLastFinish(evidence: Pick<RunEvidence, 'final'>): Set<string> {
  const out = new Set<string>();
  for (const [node, snapshot] of evidence.final) {
    for (const attempt of snapshot.attempts.values()) {
      if (!FINISHED_WITH_RESULT.has(attempt.status)) continue;
      const peer = evidence.final.get(attempt.peer);
      if (peer === undefined) continue;
      const theirs = [...peer.attempts.values()].filter((p) => p.peer === node && p.roundId === attempt.roundId);
      if (theirs.some((p) => FINISHED_WITH_RESULT.has(p.status) && p.transcriptHash === attempt.transcriptHash)) continue;
      if (theirs.some((p) => p.status === 'aborted' && CUT_SHORT.has(p.reason ?? ''))) out.add(attempt.roundId);
    }
  }
  return out;
}

function sameAttempt(a: AttemptRow, b: AttemptRow): boolean {
  return a.roundId === b.roundId && a.attempt === b.attempt && a.peer === b.peer && a.role === b.role && a.status === b.status && a.reason === b.reason
    && a.transcriptHash === b.transcriptHash && a.intersectionSize === b.intersectionSize && a.peerClaimedSize === b.peerClaimedSize
    && a.evaluationsSent === b.evaluationsSent && a.matchesHash === b.matchesHash && a.matchCount === b.matchCount;
}

/** Every completed attempt has one partner with the same transcript on the peer, with the same results. */
export function checkPairedResults(evidence: RunEvidence): Violation[] {
  const out: Violation[] = [];
  const cut = lostLastFinish(evidence);
  for (const [node, snapshot] of evidence.final) {
    for (const attempt of snapshot.attempts.values()) {
      if (!FINISHED_WITH_RESULT.has(attempt.status)) continue;
      const peer = evidence.final.get(attempt.peer);
      if (peer === undefined) continue;
      const partners = [...peer.attempts.values()].filter((p) => p.peer === node && p.roundId === attempt.roundId && p.transcriptHash === attempt.transcriptHash);
      const partner = partners.find((p) => FINISHED_WITH_RESULT.has(p.status));
      const where = `round ${attempt.roundId.slice(0, 16)} attempt ${attempt.attempt} (${attempt.role}) with ${attempt.peer}`;
      if (partner === undefined && cut.has(attempt.roundId)) continue;
      if (partner === undefined) {
        const seen = partners.map((p) => `${p.status}${p.reason === null ? '' : ` ${p.reason}`}`).join(', ');
        out.push({ invariant: 'one-sided-completion', node, detail: `${where}: ${attempt.status} here, ${seen === '' ? 'no attempt with this transcript' : seen} at ${attempt.peer}` });
        continue;
      }
      if (partner.status !== attempt.status || partner.intersectionSize !== attempt.peerClaimedSize || partner.peerClaimedSize !== attempt.intersectionSize) {
        out.push({ invariant: 'paired-results', node, detail: `${where}: ${attempt.status} ${attempt.intersectionSize}/${attempt.peerClaimedSize} here, ${partner.status} ${partner.intersectionSize}/${partner.peerClaimedSize} at ${attempt.peer}` });
      }
    }
  }
  return out;
}

/** A completed round found exactly the matches the synthetic lists planted for the pair. */
export function checkGroundTruth(evidence: RunEvidence): Violation[] {
  const out: Violation[] = [];
  for (const [node, snapshot] of evidence.final) {
    const keys = evidence.matchKeys.get(node);
    for (const attempt of snapshot.attempts.values()) {
      if (attempt.status !== 'completed') continue;
      const expected = evidence.expected[node]?.[attempt.peer] ?? [];
      const found = keys?.get(attempt.row) ?? [];
      const missing = expected.filter((key) => !found.includes(key));
      const extra = found.filter((key) => !expected.includes(key));
      if (missing.length > 0 || extra.length > 0) {
        out.push({ invariant: 'ground-truth', node, detail: `round ${attempt.roundId.slice(0, 16)} attempt ${attempt.attempt} with ${attempt.peer}: ${found.length} matches, expected ${expected.length}; missing ${missing.slice(0, 3).join(' ')}${missing.length > 3 ? ' …' : ''}; unexpected ${extra.slice(0, 3).join(' ')}${extra.length > 3 ? ' …' : ''}` });
      }
    }
  }
  return out;
}

/** Nothing committed is lost or changed later: each snapshot against every later one of the node. */
export function checkDurability(evidence: RunEvidence): Violation[] {
  const out: Violation[] = [];
  const byNode = new Map<string, StoreSnapshot[]>();
  for (const snapshot of evidence.snapshots) byNode.set(snapshot.node, [...(byNode.get(snapshot.node) ?? []), snapshot]);
  for (const [node, final] of evidence.final) byNode.set(node, [...(byNode.get(node) ?? []), final]);
  for (const [node, list] of byNode) {
    // Comparing each snapshot with the next is enough: a row lost and then back is caught at the loss.
    for (let i = 1; i < list.length; i++) {
      const before = list[i - 1]!;
      const after = list[i]!;
      for (const [row, attempt] of before.attempts) {
        const later = after.attempts.get(row);
        if (later === undefined) out.push({ invariant: 'durability', node, detail: `attempt row ${row} (round ${attempt.roundId.slice(0, 16)} attempt ${attempt.attempt}, ${attempt.status}) was lost between snapshots ${i - 1} and ${i}` });
        else if (!sameAttempt(attempt, later)) out.push({ invariant: 'durability', node, detail: `attempt row ${row} (round ${attempt.roundId.slice(0, 16)}) changed after it finished: ${JSON.stringify(attempt)} → ${JSON.stringify(later)}` });
      }
      if (after.leaves.length < before.leaves.length) out.push({ invariant: 'log-append-only', node, detail: `log shrank from ${before.leaves.length} to ${after.leaves.length} leaves` });
      for (let j = 0; j < Math.min(before.leaves.length, after.leaves.length); j++) {
        if (before.leaves[j] !== after.leaves[j]) {
          out.push({ invariant: 'log-append-only', node, detail: `leaf ${j} changed` });
          break;
        }
      }
      const roots = new Map(after.heads.map((h) => [h.size, h.root]));
      for (const head of before.heads) {
        const root = roots.get(head.size);
        if (root === undefined) out.push({ invariant: 'durability', node, detail: `signed head of size ${head.size} was lost` });
        else if (root !== head.root) out.push({ invariant: 'log-append-only', node, detail: `signed head of size ${head.size} changed root` });
      }
    }
  }
  return out;
}

/** Every head a lab ever signed is a prefix of its final log (roots recomputed; `venn audit prove` agrees). */
export function checkLogConsistency(evidence: RunEvidence): Violation[] {
  const out: Violation[] = [];
  const seen = new Map<string, Map<number, string>>();
  for (const snapshot of [...evidence.snapshots, ...evidence.final.values()]) {
    const heads = seen.get(snapshot.node) ?? new Map<number, string>();
    for (const head of snapshot.heads) {
      const earlier = heads.get(head.size);
      if (earlier !== undefined && earlier !== head.root) out.push({ invariant: 'log-append-only', node: snapshot.node, detail: `two signed heads of size ${head.size} with different roots` });
      heads.set(head.size, head.root);
    }
    seen.set(snapshot.node, heads);
  }
  for (const [node, heads] of seen) {
    const roots = evidence.rootsAt.get(node);
    const size = evidence.final.get(node)?.leaves.length ?? 0;
    for (const [headSize, root] of heads) {
      if (headSize > size) out.push({ invariant: 'log-append-only', node, detail: `signed a head of size ${headSize}; the final log has ${size} leaves` });
      else if (roots?.get(headSize) !== root) out.push({ invariant: 'log-append-only', node, detail: `head of size ${headSize} has root ${root.slice(0, 16)}; the final log's root at that size is ${(roots?.get(headSize) ?? 'unknown').slice(0, 16)}` });
    }
  }
  for (const proof of evidence.proofs) {
    const root = seen.get(proof.node)?.get(proof.from);
    if (!proof.verified) out.push({ invariant: 'log-proof', node: proof.node, detail: `venn audit prove --from ${proof.from} --to ${proof.to} does not verify` });
    else if (root !== undefined && root !== proof.fromRoot) out.push({ invariant: 'log-proof', node: proof.node, detail: `venn audit prove --from ${proof.from}: root ${proof.fromRoot.slice(0, 16)}, the signed head's is ${root.slice(0, 16)}` });
  }
  return out;
}

/** Every pair of exported logs cross-checks clean, but for the lost last FINISHes counted apart. */
export function checkCrossChecks(evidence: RunEvidence): Violation[] {
  const cut = lostLastFinish(evidence);
  return evidence.crossChecks.flatMap((check) => {
    const issues = check.issues.filter((issue) => !(issue.kind === 'one-sided-completion' && issue.roundId !== null && cut.has(issue.roundId)));
    const failed = issues.length > 0 || (check.exitCode !== 0 && check.issues.length === 0);
    if (!failed) return [];
    const listed = issues.slice(0, 5).map((issue) => `${issue.kind}: ${issue.detail}`).join('; ');
    return [{ invariant: 'cross-check' as const, node: null, detail: `venn audit cross-check ${check.a} ${check.b} exit ${check.exitCode}: ${listed}${issues.length > 5 ? ` (+${issues.length - 5})` : ''}` }];
  });
}

/** Evaluations served stay within every limit (node.md §5.2), and round quotas within theirs (§5.1). */
export function checkBudgets(evidence: RunEvidence): Violation[] {
  const out: Violation[] = [];
  for (const [node, snapshot] of evidence.final) {
    const perPeer = new Map<string, number>();
    const perRound = new Map<string, number>();
    for (const attempt of snapshot.attempts.values()) {
      if (attempt.evaluationsSent > attempt.allowance) out.push({ invariant: 'budget', node, detail: `attempt row ${attempt.row} served ${attempt.evaluationsSent} evaluations with an allowance of ${attempt.allowance}` });
      perPeer.set(attempt.peer, (perPeer.get(attempt.peer) ?? 0) + attempt.evaluationsSent);
      const key = `${attempt.peer}/${attempt.roundId}`;
      perRound.set(key, (perRound.get(key) ?? 0) + attempt.evaluationsSent);
    }
    // The run lasts far less than 24 hours of any node's clock, jumps included: everything served counts.
    for (const [peer, served] of perPeer) {
      const limit = evidence.limits[node]?.[peer]?.maxEvaluationsPerDay;
      if (limit !== undefined && served > limit) out.push({ invariant: 'budget', node, detail: `served ${peer} ${served} evaluations in the run; maxEvaluationsPerDay is ${limit}` });
    }
    for (const [key, served] of perRound) {
      const [peer, roundId] = key.split('/') as [string, string];
      const limit = evidence.limits[node]?.[peer]?.maxEvaluationsPerRound;
      if (limit !== undefined && served > limit) out.push({ invariant: 'budget', node, detail: `served ${peer} ${served} evaluations on round ${roundId.slice(0, 16)}; maxEvaluationsPerRound is ${limit}` });
    }
    for (const quota of snapshot.quotas) {
      const limits = evidence.limits[node]?.[quota.peer];
      if (limits === undefined) continue;
      if (quota.rounds > limits.maxRoundsPerDay) out.push({ invariant: 'quota', node, detail: `accepted ${quota.rounds} rounds from ${quota.peer} on ${quota.day}; maxRoundsPerDay is ${limits.maxRoundsPerDay}` });
      if (quota.adHocRounds > limits.maxAdHocRoundsPerDay) out.push({ invariant: 'quota', node, detail: `accepted ${quota.adHocRounds} ad-hoc rounds from ${quota.peer} on ${quota.day}; maxAdHocRoundsPerDay is ${limits.maxAdHocRoundsPerDay}` });
    }
  }
  return out;
}

/** A round id delivers its result once: one completed (or disputed) attempt per node, one transcript per pair. */
export function checkRoundOnce(evidence: RunEvidence): Violation[] {
  const out: Violation[] = [];
  const transcripts = new Map<string, Set<string>>();
  for (const [node, snapshot] of evidence.final) {
    const finished = new Map<string, number>();
    for (const attempt of snapshot.attempts.values()) {
      if (!FINISHED_WITH_RESULT.has(attempt.status)) continue;
      finished.set(attempt.roundId, (finished.get(attempt.roundId) ?? 0) + 1);
      const set = transcripts.get(attempt.roundId) ?? new Set<string>();
      set.add(attempt.transcriptHash ?? '');
      transcripts.set(attempt.roundId, set);
    }
    for (const [roundId, count] of finished) if (count > 1) out.push({ invariant: 'round-once', node, detail: `round ${roundId.slice(0, 16)} delivered a result ${count} times` });
  }
  for (const [roundId, set] of transcripts) if (set.size > 1) out.push({ invariant: 'round-once', node: null, detail: `round ${roundId.slice(0, 16)} completed with ${set.size} different transcripts` });
  return out;
}

export function checkProcesses(evidence: RunEvidence): Violation[] {
  const out: Violation[] = [];
  for (const restart of evidence.restarts) {
    if (restart.healthyMs === null) out.push({ invariant: 'healthy-restart', node: restart.node, detail: `never became healthy after ${restart.cause}` });
  }
  for (const exit of evidence.exits) {
    if (!exit.expected) out.push({ invariant: 'unexpected-exit', node: exit.node, detail: `exited with code ${exit.code} signal ${exit.signal}: ${exit.detail}` });
  }
  for (const [node, peak] of Object.entries(evidence.peakRssMiB)) {
    if (peak > evidence.rssLimitMiB) out.push({ invariant: 'memory', node, detail: `peak RSS ${peak.toFixed(0)} MiB over the bound of ${evidence.rssLimitMiB} MiB` });
  }
  for (const [node, snapshot] of evidence.final) {
    if (snapshot.open > 0) out.push({ invariant: 'quiesced', node, detail: `${snapshot.open} attempts still open after the run quiesced` });
  }
  return out;
}

export const CHECKS: ReadonlyArray<(evidence: RunEvidence) => Violation[]> = [
  checkPairedResults, checkGroundTruth, checkDurability, checkLogConsistency, checkCrossChecks, checkBudgets, checkRoundOnce, checkProcesses,
];

export function checkInvariants(evidence: RunEvidence): Violation[] {
  return CHECKS.flatMap((check) => check(evidence));
}
