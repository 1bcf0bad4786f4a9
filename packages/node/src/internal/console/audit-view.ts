/**
 * The Audit page's data: the log's current signed head, its size over time, and cross-checks of
 * this node's log against peers' exported logs (audit.md §10), run here and kept in the store.
 */
import { crossCheckLogs, decodeExportedLog, verifyTreeHead, type AuditRoster, type CrossCheckIssue } from '@venn/audit';
import { ValidationError } from '@venn/errors';
import { exportedLogOf } from '../audit-files.js';
import { hex } from '../command.js';
import type { Store } from '../store.js';

/** Largest exported log the console accepts; larger ones go through `venn audit cross-check`. */
export const MAX_UPLOADED_LOG_BYTES = 32 * 1024 * 1024;

export interface CrossCheckResult {
  readonly peer: string;
  readonly checkedAt: number;
  readonly consistent: boolean;
  readonly ownLogSize: number;
  readonly peerLogSize: number;
  readonly matchedRounds: number;
  readonly issues: ReadonlyArray<Pick<CrossCheckIssue, 'kind' | 'lab' | 'detail'>>;
}

export interface AuditView {
  readonly head: { readonly size: number; readonly root: string; readonly timestamp: number; readonly signatureValid: boolean } | null;
  readonly logSize: number;
  /** Log size after each append, at most ~500 points (the last always kept). */
  readonly sizeOverTime: Array<{ readonly at: number; readonly size: number }>;
  /** The latest cross-check per roster peer; null where none was run. */
  readonly crossChecks: Array<{ readonly peer: string; readonly last: CrossCheckResult | null }>;
}

interface CrossCheckSql { peer_id: string; checked_at: number; consistent: number; own_log_size: number; peer_log_size: number; matched_rounds: number; issues: string }

function toResult(row: CrossCheckSql): CrossCheckResult {
  return {
    peer: row.peer_id, checkedAt: row.checked_at, consistent: row.consistent === 1, ownLogSize: row.own_log_size, peerLogSize: row.peer_log_size,
    matchedRounds: row.matched_rounds, issues: JSON.parse(row.issues) as CrossCheckResult['issues'],
  };
}

export function auditView(input: { store: Store; nodeId: string; publicKey: Uint8Array; peers: readonly string[] }): AuditView {
  const { store } = input;
  const head = store.latestTreeHead();
  const times = store.db.prepare('SELECT appended_at FROM log_leaves ORDER BY idx').pluck().all() as number[];
  const step = Math.max(1, Math.ceil(times.length / 500));
  const sizeOverTime = times.flatMap((at, index) => (index % step === 0 || index === times.length - 1 ? [{ at, size: index + 1 }] : []));
  const latest = store.db.prepare(`SELECT c.* FROM log_cross_checks c JOIN (SELECT peer_id, max(id) AS id FROM log_cross_checks GROUP BY peer_id) last ON last.id = c.id`).all() as CrossCheckSql[];
  return {
    head: head === undefined ? null : {
      size: head.treeSize, root: hex(head.root), timestamp: head.timestamp,
      signatureValid: verifyTreeHead({ size: head.treeSize, root: head.root, timestamp: head.timestamp, signature: head.signature }, input.nodeId, input.publicKey),
    },
    logSize: store.logSize(),
    sizeOverTime,
    crossChecks: input.peers.map((peer) => {
      const row = latest.find((entry) => entry.peer_id === peer);
      return { peer, last: row === undefined ? null : toResult(row) };
    }),
  };
}

/**
 * Cross-checks this node's log, as exported now, against a peer's exported log, and records the
 * result. The uploaded log must be a roster peer's; junk is refused with the decoder's typed error.
 */
export function runCrossCheck(input: { store: Store; nodeId: string; roster: AuditRoster; peers: readonly string[]; upload: Uint8Array; now: number }): CrossCheckResult {
  const theirs = decodeExportedLog(input.upload);
  if (theirs.logId === input.nodeId) throw new ValidationError('own-log', `"log" expected a peer's exported log, got this node's own (${input.nodeId})`);
  if (!input.peers.includes(theirs.logId)) throw new ValidationError('unknown-log', `"log" expected the log of a roster peer (${input.peers.join(', ')}), got ${JSON.stringify(theirs.logId)}`);
  const ours = exportedLogOf(input.store, input.nodeId);
  const report = crossCheckLogs(ours, theirs, input.roster);
  const issues = report.issues.map((issue) => ({ kind: issue.kind, lab: issue.lab, detail: issue.detail }));
  const result: CrossCheckResult = {
    peer: theirs.logId, checkedAt: input.now, consistent: report.consistent, ownLogSize: ours.leaves.length, peerLogSize: theirs.leaves.length,
    matchedRounds: report.matchedRounds, issues,
  };
  input.store.db.prepare(`INSERT INTO log_cross_checks (peer_id, checked_at, consistent, own_log_size, peer_log_size, matched_rounds, issues)
    VALUES (?, ?, ?, ?, ?, ?, ?)`).run(result.peer, result.checkedAt, result.consistent ? 1 : 0, result.ownLogSize, result.peerLogSize, result.matchedRounds, JSON.stringify(issues));
  return result;
}
