/**
 * Cross-checking two labs' exported logs (audit.md §10.2): every head checked against its owner's
 * roster key and leaves, heads compared across the two exports to expose split views, and the
 * rounds the two labs ran with each other matched leaf by leaf.
 */
import { ValidationError } from '@venn/errors';
import { checkRoster, rosterMember, type AuditRoster } from './audit-roster.js';
import { bytesEqual } from './bytes.js';
import { encodeExportedLog, type ExportedLog } from './exported-log.js';
import { MerkleLog } from './log.js';
import { decodeRoundRecord, type RoundRecord } from './round-record.js';
import { MemoryLogStorage } from './storage.js';
import { verifyTreeHead, type SignedTreeHead } from './tree-head.js';

export type CrossCheckIssueKind = 'invalid-log' | 'invalid-head' | 'split-view' | 'missing-round' | 'transcript-mismatch' | 'record-mismatch';

export interface CrossCheckIssue {
  readonly kind: CrossCheckIssueKind;
  /** The lab the issue is about: whose log is broken, equivocates or lacks the round; null when the two disagree and neither is shown at fault. */
  readonly lab: string | null;
  readonly roundId?: string;
  readonly attempts?: readonly number[];
  readonly detail: string;
}

export interface CrossCheckLogSummary {
  readonly id: string;
  readonly size: number;
  readonly heads: number;
  readonly latestHead: { readonly size: number; readonly root: string; readonly timestamp: number } | null;
  /** Heads of the other lab's log that this lab received in OFFERs. */
  readonly peerHeadsOfOther: number;
  /** Leaves of rounds between the two labs. */
  readonly sharedLeaves: number;
}

export interface CrossCheckReport {
  /** True iff no issue was found. */
  readonly consistent: boolean;
  readonly logs: readonly [CrossCheckLogSummary, CrossCheckLogSummary];
  /** Round ids the two labs ran with each other, present in both logs. */
  readonly matchedRounds: number;
  readonly issues: readonly CrossCheckIssue[];
  /**
   * Rounds in one log whose leaf is newer than the other export's latest head: the other lab may
   * not have logged them yet when it exported. Not issues; compare later exports.
   */
  readonly pending: readonly CrossCheckIssue[];
}

const hex = (bytes: Uint8Array): string => Buffer.from(bytes).toString('hex');

interface LogView {
  readonly export: ExportedLog;
  readonly tree: MerkleLog;
  /** Decoded leaves (null where a leaf does not decode), by index. */
  readonly records: ReadonlyArray<RoundRecord | null>;
  readonly latestHead: SignedTreeHead | null;
}

function view(log: ExportedLog, issues: CrossCheckIssue[]): LogView {
  const tree = new MerkleLog(new MemoryLogStorage());
  const records = log.leaves.map((leaf, index) => {
    tree.append(leaf);
    try {
      const record = decodeRoundRecord(leaf);
      if (record.initiatorId !== log.logId && record.responderId !== log.logId) {
        issues.push({ kind: 'invalid-log', lab: log.logId, detail: `leaf ${index} records a round between ${record.initiatorId} and ${record.responderId}, to which ${log.logId} is no party` });
      }
      return record;
    } catch (error) {
      // audit.md §5 step 4: a leaf that does not decode is a broken log.
      issues.push({ kind: 'invalid-log', lab: log.logId, detail: `leaf ${index} is not a round record: ${(error as Error).message}` });
      return null;
    }
  });
  const latestHead = log.heads.reduce<SignedTreeHead | null>((latest, head) => (latest === null || head.size > latest.size ? head : latest), null);
  return { export: log, tree, records, latestHead };
}

/** audit.md §4, §5 steps 1–3: every head of `owner`'s log, from both exports, against its key and leaves. */
function checkHeads(owner: LogView, holder: LogView, roster: AuditRoster, issues: CrossCheckIssue[], pending: CrossCheckIssue[]): void {
  const id = owner.export.logId;
  const key = rosterMember(roster, id)?.identityKey;
  if (key === undefined) return;
  const sources: Array<{ head: SignedTreeHead; from: string }> = [
    ...owner.export.heads.map((head) => ({ head, from: id })),
    ...holder.export.peerHeads.filter((peer) => peer.peerId === id).map((peer) => ({ head: peer.head, from: holder.export.logId })),
  ];
  const verified: Array<{ head: SignedTreeHead; from: string }> = [];
  for (const { head, from } of sources) {
    const where = from === id ? `${id}'s own head` : `the head of ${id} that ${from} received`;
    if (!verifyTreeHead(head, id, key)) {
      // A head is used only after its signature verifies (audit.md §4); the file that carries a bad one is at fault.
      issues.push({ kind: 'invalid-head', lab: from, detail: `${where} of size ${head.size} is not signed by ${id}'s roster key` });
      continue;
    }
    verified.push({ head, from });
    const size = owner.tree.size;
    if (head.size <= size) {
      const root = owner.tree.root(head.size);
      if (!bytesEqual(root, head.root)) {
        issues.push({ kind: 'split-view', lab: id, detail: `${where} of size ${head.size} has root ${hex(head.root).slice(0, 16)}…, but ${id}'s exported leaves give ${hex(root).slice(0, 16)}… at that size` });
      }
    } else if (from === id) {
      issues.push({ kind: 'invalid-log', lab: id, detail: `${id} exported ${size} leaves but signed a head of size ${head.size}` });
    } else if (owner.latestHead === null || head.timestamp > owner.latestHead.timestamp) {
      pending.push({ kind: 'split-view', lab: id, detail: `${from} holds a head of ${id} of size ${head.size}, newer than ${id}'s export of ${size} leaves` });
    } else {
      // Signed before the export's latest head, yet larger: the log shrank between the two heads.
      issues.push({ kind: 'split-view', lab: id, detail: `${from} received a head of ${id} of size ${head.size} (at ${new Date(head.timestamp).toISOString()}), larger than ${id}'s later head of size ${owner.latestHead.size} and its ${size} exported leaves` });
    }
  }
  // Two validly signed heads of one size with different roots prove equivocation on their own (audit.md §4).
  for (let i = 0; i < verified.length; i++) {
    for (let j = i + 1; j < verified.length; j++) {
      const x = verified[i]!;
      const y = verified[j]!;
      if (x.head.size === y.head.size && x.head.size > owner.tree.size && !bytesEqual(x.head.root, y.head.root)) {
        issues.push({ kind: 'split-view', lab: id, detail: `${id} signed two heads of size ${x.head.size} with different roots (held by ${x.from} and ${y.from})` });
      }
    }
  }
}

/**
 * Cross-checks the exported logs of two labs against the roster. Rounds are matched by round id;
 * within a round id, attempts by transcript hash (attempt numbers are each node's own count, so an
 * attempt that never reached the peer shifts them). Call @venn/crypto's ready() first.
 */
export function crossCheckLogs(a: ExportedLog, b: ExportedLog, roster: AuditRoster): CrossCheckReport {
  checkRoster(roster);
  // The encoder checks the schema of each log; a malformed one is the caller's mistake.
  encodeExportedLog(a);
  encodeExportedLog(b);
  if (a.logId === b.logId) throw new ValidationError('same-log', `cross-check expected the logs of two labs, got two of ${a.logId}`);
  const issues: CrossCheckIssue[] = [];
  const pending: CrossCheckIssue[] = [];
  for (const log of [a, b]) {
    if (rosterMember(roster, log.logId) === undefined) issues.push({ kind: 'invalid-log', lab: log.logId, detail: `${log.logId} is not a member of the roster` });
  }
  const views = [view(a, issues), view(b, issues)] as const;
  checkHeads(views[0], views[1], roster, issues, pending);
  checkHeads(views[1], views[0], roster, issues, pending);

  const pair = new Set([a.logId, b.logId]);
  const shared = views.map((v) => {
    const byRound = new Map<string, RoundRecord[]>();
    for (const record of v.records) {
      if (record === null || !pair.has(record.initiatorId) || !pair.has(record.responderId)) continue;
      const key = hex(record.roundId);
      byRound.set(key, [...(byRound.get(key) ?? []), record]);
    }
    return byRound;
  }) as [Map<string, RoundRecord[]>, Map<string, RoundRecord[]>];

  let matchedRounds = 0;
  const roundIds = new Set([...shared[0].keys(), ...shared[1].keys()]);
  for (const roundId of roundIds) {
    const sides = [shared[0].get(roundId) ?? [], shared[1].get(roundId) ?? []] as const;
    for (const [present, absent] of [[0, 1], [1, 0]] as const) {
      if (sides[present].length === 0 || sides[absent].length > 0) continue;
      const holder = views[present].export.logId;
      const lacking = views[absent].export.logId;
      const latest = views[absent].latestHead;
      for (const record of sides[present]) {
        const entry: CrossCheckIssue = {
          kind: 'missing-round', lab: lacking, roundId, attempts: [record.attempt],
          detail: `${holder} logged attempt ${record.attempt} (${record.status}${record.reason === '' ? '' : `, ${record.reason}`}); ${lacking}'s log has no leaf of round ${roundId.slice(0, 16)}…`,
        };
        (latest === null || record.timestamp > latest.timestamp ? pending : issues).push(entry);
      }
    }
    if (sides[0].length === 0 || sides[1].length === 0) continue;
    matchedRounds++;
    // audit.md §3: both logs agree on the fields the two sides share.
    const reference = sides[0][0]!;
    for (const record of [...sides[0], ...sides[1]]) {
      const differing = (['rosterDigest', 'slot', 'initiatorId', 'responderId'] as const).filter((field) => {
        const x = reference[field];
        const y = record[field];
        return x instanceof Uint8Array && y instanceof Uint8Array ? !bytesEqual(x, y) : x !== y;
      });
      if (differing.length > 0) {
        issues.push({ kind: 'record-mismatch', lab: null, roundId, attempts: [reference.attempt, record.attempt], detail: `the two logs record round ${roundId.slice(0, 16)}… with different ${differing.join(', ')}` });
        break;
      }
    }
    const finished = sides.map((side) => side.filter((record) => record.transcriptHash.length > 0));
    const unpaired = finished.map((side) => [...side]);
    for (const x of finished[0]!) {
      const match = unpaired[1]!.find((y) => bytesEqual(x.transcriptHash, y.transcriptHash));
      if (match === undefined) continue;
      unpaired[0]!.splice(unpaired[0]!.indexOf(x), 1);
      unpaired[1]!.splice(unpaired[1]!.indexOf(match), 1);
      if ((x.initiatorClaim !== null && match.initiatorClaim !== null && x.initiatorClaim !== match.initiatorClaim)
        || (x.responderClaim !== null && match.responderClaim !== null && x.responderClaim !== match.responderClaim)) {
        issues.push({ kind: 'record-mismatch', lab: null, roundId, attempts: [x.attempt, match.attempt], detail: `the two logs record different FINISH claims for one transcript of round ${roundId.slice(0, 16)}…` });
      }
    }
    // Both labs logged a transcript for the round but not the same one: they did not sign one transcript.
    const count = Math.min(unpaired[0]!.length, unpaired[1]!.length);
    for (let i = 0; i < count; i++) {
      const x = unpaired[0]![i]!;
      const y = unpaired[1]![i]!;
      issues.push({
        kind: 'transcript-mismatch', lab: null, roundId, attempts: [x.attempt, y.attempt],
        detail: `${a.logId} logged transcript ${hex(x.transcriptHash).slice(0, 16)}… and ${b.logId} ${hex(y.transcriptHash).slice(0, 16)}… for round ${roundId.slice(0, 16)}…`,
      });
    }
  }

  const summary = (v: LogView, other: LogView, sharedRounds: Map<string, RoundRecord[]>): CrossCheckLogSummary => ({
    id: v.export.logId,
    size: v.tree.size,
    heads: v.export.heads.length,
    latestHead: v.latestHead === null ? null : { size: v.latestHead.size, root: hex(v.latestHead.root), timestamp: v.latestHead.timestamp },
    peerHeadsOfOther: v.export.peerHeads.filter((peer) => peer.peerId === other.export.logId).length,
    sharedLeaves: [...sharedRounds.values()].reduce((n, list) => n + list.length, 0),
  });
  return {
    consistent: issues.length === 0,
    logs: [summary(views[0], views[1], shared[0]), summary(views[1], views[0], shared[1])],
    matchedRounds,
    issues,
    pending,
  };
}
