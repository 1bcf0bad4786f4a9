/**
 * Cross-checking two labs' exported logs (audit.md §10.2): every head checked against its owner's
 * roster key and leaves, heads compared across the two exports to expose split views, and the
 * rounds the two labs ran with each other matched leaf by leaf.
 */
import { ValidationError } from '@venn/errors';
import { checkRoster, rosterMember, type AuditRoster } from './audit-roster.js';
import { bytesEqual, isoTime } from './bytes.js';
import { encodeExportedLog, type ExportedLog } from './exported-log.js';
import { MerkleLog } from './log.js';
import { decodeRoundRecord, type RoundRecord } from './round-record.js';
import { MemoryLogStorage } from './storage.js';
import { verifyTreeHead, type SignedTreeHead } from './tree-head.js';

export type CrossCheckIssueKind =
  | 'invalid-log'
  | 'invalid-head'
  | 'split-view'
  | 'missing-round'
  | 'transcript-mismatch'
  | 'record-mismatch'
  | 'one-sided-completion';

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
  /** Leaves of the round ids the two labs ran together (a leaf of either log names both), whatever member ids they name. */
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
   * Rounds one log holds and the other lacks, and heads one lab holds that are larger than the other's
   * export, while the holder has no evidence yet that the other lab's export was taken late enough to
   * include them (audit.md §10.2). Not issues; compare later exports.
   */
  readonly pending: readonly CrossCheckIssue[];
}

/** node.md §1.1: the largest `roundTimeoutSeconds`; an attempt lasts at most this long. */
const MAX_ROUND_TIMEOUT_MS = 86_400_000;
/** Slack for the holder's own clock between two of its readings (steps, drift). */
const CLOCK_MARGIN_MS = 3_600_000;
/**
 * audit.md §10.2: an honest lab's attempt of a round ends at most this long after its peer's
 * attempt ended (it started before the peer's ended and lasts at most MAX_ROUND_TIMEOUT_MS).
 */
export const SETTLE_WINDOW_MS = MAX_ROUND_TIMEOUT_MS + CLOCK_MARGIN_MS;

const hex = (bytes: Uint8Array): string => Buffer.from(bytes).toString('hex');
const hours = (ms: number): string => `${(ms / 3_600_000).toFixed(1)} h`;

interface LogView {
  readonly export: ExportedLog;
  readonly tree: MerkleLog;
  /** Decoded leaves (null where a leaf does not decode), by index. */
  readonly records: ReadonlyArray<RoundRecord | null>;
  readonly latestHead: SignedTreeHead | null;
}

/** A head of the owner's log that the holder received, its signature verified, with the holder's receipt. */
interface HeldHead {
  readonly head: SignedTreeHead;
  readonly opened: number | null;
  readonly leafIndex: number | null;
}

/**
 * What the holder can show about how late the owner's export was taken (audit.md §10.2), from its
 * own receipts and its own leaves only: the owner's timestamps never excuse the owner.
 */
interface Evidence {
  /** The held head with the latest opening among those the owner's export must contain. */
  readonly coveredHead: HeldHead | null;
  /** The holder's latest leaf whose transcript the owner's export also holds. */
  readonly pairedLeaf: RoundRecord | null;
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

/**
 * audit.md §4, §5 steps 1–3: every head of `owner`'s log, from both exports, against its key and
 * leaves. Returns the heads `holder` received that verify, and the latest timestamp among the
 * owner's own verified heads (the owner's account of when it exported, used only against it).
 */
function verifyHeads(owner: LogView, holder: LogView, roster: AuditRoster, issues: CrossCheckIssue[]): { held: HeldHead[]; ownLatest: number | null } {
  const id = owner.export.logId;
  const key = rosterMember(roster, id)?.identityKey;
  if (key === undefined) return { held: [], ownLatest: null };
  const held: HeldHead[] = [];
  let ownLatest: number | null = null;
  // Two validly signed heads of one size with different roots prove equivocation on their own (audit.md §4).
  const bySize = new Map<number, { root: Uint8Array; from: string; reported: boolean }>();
  const sources: Array<{ head: SignedTreeHead; from: string; receipt: HeldHead | null }> = [
    ...owner.export.heads.map((head) => ({ head, from: id, receipt: null })),
    ...holder.export.peerHeads.filter((peer) => peer.peerId === id).map((peer) => ({ head: peer.head, from: holder.export.logId, receipt: { head: peer.head, opened: peer.opened, leafIndex: peer.leafIndex } })),
  ];
  for (const { head, from, receipt } of sources) {
    const where = from === id ? `${id}'s own head` : `the head of ${id} that ${from} received`;
    if (!verifyTreeHead(head, id, key)) {
      // A head is used only after its signature verifies (audit.md §4); the file that carries a bad one is at fault.
      issues.push({ kind: 'invalid-head', lab: from, detail: `${where} of size ${head.size} is not signed by ${id}'s roster key` });
      continue;
    }
    if (receipt === null) ownLatest = Math.max(ownLatest ?? 0, head.timestamp);
    else held.push(receipt);
    if (head.size <= owner.tree.size) {
      const root = owner.tree.root(head.size);
      if (!bytesEqual(root, head.root)) {
        issues.push({ kind: 'split-view', lab: id, detail: `${where} of size ${head.size} has root ${hex(head.root).slice(0, 16)}…, but ${id}'s exported leaves give ${hex(root).slice(0, 16)}… at that size` });
      }
    } else if (from === id) {
      issues.push({ kind: 'invalid-log', lab: id, detail: `${id} exported ${owner.tree.size} leaves but signed a head of size ${head.size}` });
    } else {
      const first = bySize.get(head.size);
      if (first === undefined) bySize.set(head.size, { root: head.root, from, reported: false });
      else if (!first.reported && !bytesEqual(first.root, head.root)) {
        first.reported = true;
        issues.push({ kind: 'split-view', lab: id, detail: `${id} signed two heads of size ${head.size} with different roots (${first.from === from ? `both held by ${from}` : `held by ${first.from} and ${from}`})` });
      }
    }
  }
  return { held, ownLatest };
}

/** True if the owner's export must contain `held`'s tree: not larger, or the owner's own later head says so. */
function covered(held: HeldHead, owner: LogView, ownLatest: number | null): boolean {
  return held.head.size <= owner.tree.size || (ownLatest !== null && ownLatest >= held.head.timestamp);
}

function gatherEvidence(owner: LogView, holder: LogView, held: readonly HeldHead[], ownLatest: number | null, pair: ReadonlySet<string>): Evidence {
  let coveredHead: HeldHead | null = null;
  for (const entry of held) {
    if (entry.opened === null || !covered(entry, owner, ownLatest)) continue;
    if (coveredHead === null || entry.opened > coveredHead.opened!) coveredHead = entry;
  }
  const ownerTranscripts = new Set<string>();
  for (const record of owner.records) if (record !== null && record.transcriptHash.length > 0) ownerTranscripts.add(hex(record.transcriptHash));
  let pairedLeaf: RoundRecord | null = null;
  for (const record of holder.records) {
    if (record === null || record.transcriptHash.length === 0 || !pair.has(record.initiatorId) || !pair.has(record.responderId)) continue;
    if (!ownerTranscripts.has(hex(record.transcriptHash))) continue;
    if (pairedLeaf === null || record.timestamp > pairedLeaf.timestamp) pairedLeaf = record;
  }
  return { coveredHead, pairedLeaf };
}

/**
 * audit.md §10.2: the holder's evidence that the owner's export was taken after the owner must have
 * logged everything that overlapped the holder's attempts ending by `since` (holder's clock), when
 * the owner's attempts may end up to `lag` later. Null when there is none yet.
 */
function settledSince(evidence: Evidence, since: number, lag: number, owner: string, holder: string): string | null {
  const { coveredHead, pairedLeaf } = evidence;
  if (coveredHead !== null && coveredHead.opened! > since + lag) {
    return `${holder} received ${owner}'s head of size ${coveredHead.head.size} in a session it opened at ${isoTime(coveredHead.opened!)}, ${hours(coveredHead.opened! - since)} later, and ${owner}'s export contains that head's tree`;
  }
  if (pairedLeaf !== null && pairedLeaf.timestamp > since + lag + MAX_ROUND_TIMEOUT_MS) {
    return `${owner}'s export holds round ${hex(pairedLeaf.roundId).slice(0, 16)}…, whose attempt ${holder} ended at ${isoTime(pairedLeaf.timestamp)}, ${hours(pairedLeaf.timestamp - since)} later`;
  }
  return null;
}

/** Heads the holder has of the owner's log beyond the owner's export: the log shrank, or the export is older (pending). */
function checkHeldHeadsBeyondExport(owner: LogView, holder: LogView, held: readonly HeldHead[], ownLatest: number | null, evidence: Evidence, issues: CrossCheckIssue[], pending: CrossCheckIssue[]): void {
  const id = owner.export.logId;
  const from = holder.export.logId;
  const size = owner.tree.size;
  for (const entry of held) {
    const { head } = entry;
    if (head.size <= size) continue;
    if (ownLatest !== null && ownLatest >= head.timestamp) {
      // The owner's own signed heads say it exported after this head, with fewer leaves: the log shrank.
      issues.push({ kind: 'split-view', lab: id, detail: `${from} received a head of ${id} of size ${head.size} (at ${isoTime(head.timestamp)}), larger than ${id}'s head signed at ${isoTime(ownLatest)} and its ${size} exported leaves` });
      continue;
    }
    // The owner signed this head before the holder logged the attempt that carried it; an export
    // holding a round that began later than that must be at least this large.
    const leaf = entry.leafIndex === null ? null : holder.records[entry.leafIndex] ?? null;
    // Only a leaf of a round between the two can have carried the owner's head.
    const carried = leaf !== null && [leaf.initiatorId, leaf.responderId].includes(id) && [leaf.initiatorId, leaf.responderId].includes(from) ? leaf : null;
    const later = carried === null ? null : settledSince({ coveredHead: null, pairedLeaf: evidence.pairedLeaf }, carried.timestamp, CLOCK_MARGIN_MS, id, from);
    if (later !== null) {
      issues.push({ kind: 'split-view', lab: id, detail: `${from} received a head of ${id} of size ${head.size}, yet ${id}'s export has ${size} leaves although it was taken later: ${later}` });
    } else {
      pending.push({ kind: 'split-view', lab: id, detail: `${from} holds a head of ${id} of size ${head.size}, larger than ${id}'s export of ${size} leaves, and no evidence yet that the export was taken after it` });
    }
  }
}

/** How many of the other lab's leaves a one-sided-completion names; the rest are counted. */
const MAX_LISTED_LEAVES = 8;
const finishedStatus = (record: RoundRecord): boolean => record.status === 'completed' || record.status === 'disputed';
const describeLeaf = (record: RoundRecord): string => `attempt ${record.attempt} ${record.status}${record.reason === '' ? '' : ` (${record.reason})`}`;
/** The set sizes and evaluation counts of a leaf (audit.md §3): both leaves of a finished transcript state the same. */
const COUNT_FIELDS = ['initiatorSetSize', 'responderSetSize', 'initiatorEvaluations', 'responderEvaluations'] as const;
const describeClaims = (record: RoundRecord): string => `claims ${record.initiatorClaim ?? '-'}/${record.responderClaim ?? '-'}`;

/**
 * Cross-checks the exported logs of two labs against the roster. Rounds are matched by round id
 * (every leaf of a round id that either log records between the two, whatever ids it names);
 * within a round id, attempts by transcript hash (attempt numbers are each node's own count, so
 * an attempt that never reached the peer shifts them). Call @venn/crypto's ready() first.
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
  const pair = new Set([a.logId, b.logId]);
  // Index i: the heads of views[i]'s log that the other lab holds, and that lab's evidence about views[i]'s export.
  const heads = [verifyHeads(views[0], views[1], roster, issues), verifyHeads(views[1], views[0], roster, issues)] as const;
  const evidence = [0, 1].map((i) => gatherEvidence(views[i]!, views[1 - i]!, heads[i]!.held, heads[i]!.ownLatest, pair)) as [Evidence, Evidence];
  for (const i of [0, 1] as const) checkHeldHeadsBeyondExport(views[i], views[1 - i]!, heads[i].held, heads[i].ownLatest, evidence[i], issues, pending);

  // audit.md §10.2: the round ids the two ran together are those a leaf of either log records
  // between the two. Every leaf of such a round id takes part, whatever member ids it names: a
  // round id binds its pair (node.md §3, §10.2), so a leaf naming another lab under it is a
  // record-mismatch, never a round the comparison may skip (and leave pending for ever).
  const between = (record: RoundRecord): boolean => pair.has(record.initiatorId) && pair.has(record.responderId);
  const pairRounds = new Set<string>();
  for (const v of views) for (const record of v.records) if (record !== null && between(record)) pairRounds.add(hex(record.roundId));
  const shared = views.map((v) => {
    const byRound = new Map<string, RoundRecord[]>();
    for (const record of v.records) {
      if (record === null || !pairRounds.has(hex(record.roundId))) continue;
      const key = hex(record.roundId);
      const list = byRound.get(key);
      if (list === undefined) byRound.set(key, [record]);
      else list.push(record);
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
      // Only the holder's leaves of the round with the other lab: its leaves naming a third lab under that id are its own contradiction.
      for (const record of sides[present].filter(between)) {
        const base = `${holder} logged attempt ${record.attempt} (${record.status}${record.reason === '' ? '' : `, ${record.reason}`}) at ${isoTime(record.timestamp)}; ${lacking}'s log has no leaf of round ${roundId.slice(0, 16)}…`;
        // audit.md §10.2: missing unless the holder's own evidence shows the other export came late enough.
        const settled = settledSince(evidence[absent], record.timestamp, SETTLE_WINDOW_MS, lacking, holder);
        if (settled !== null) issues.push({ kind: 'missing-round', lab: lacking, roundId, attempts: [record.attempt], detail: `${base}, although ${settled}` });
        else pending.push({ kind: 'missing-round', lab: lacking, roundId, attempts: [record.attempt], detail: `${base}; ${holder} has no evidence yet that ${lacking}'s export was taken more than ${hours(SETTLE_WINDOW_MS)} after it` });
      }
    }
    if (sides[0].length === 0 || sides[1].length === 0) continue;
    matchedRounds++;
    // audit.md §3: both logs agree on the fields the two sides share, member ids included (§10.2:
    // a record-mismatch names no lab, so logging the peer's round id with other ids frames nobody).
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
    pairAttempts(roundId, sides, [a.logId, b.logId], issues);
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

/**
 * audit.md §10.2: the attempts of one round id in both logs, paired by transcript hash. Unequal
 * claims, transcripts that pair with nothing on both sides, and an attempt one lab completed while
 * the other recorded no completion of it are issues.
 */
function pairAttempts(roundId: string, sides: readonly [readonly RoundRecord[], readonly RoundRecord[]], labs: readonly [string, string], issues: CrossCheckIssue[]): void {
  const short = `${roundId.slice(0, 16)}…`;
  // Each list is consumed front to back through `next`, so pairing stays linear however many leaves repeat a transcript.
  const byTranscript = new Map<string, { readonly list: RoundRecord[]; next: number }>();
  for (const y of sides[1]) {
    if (y.transcriptHash.length === 0) continue;
    const key = hex(y.transcriptHash);
    const entry = byTranscript.get(key);
    if (entry === undefined) byTranscript.set(key, { list: [y], next: 0 });
    else entry.list.push(y);
  }
  const paired = [new Set<RoundRecord>(), new Set<RoundRecord>()] as const;
  for (const x of sides[0]) {
    if (x.transcriptHash.length === 0) continue;
    const entry = byTranscript.get(hex(x.transcriptHash));
    const match = entry?.list[entry.next];
    if (entry === undefined || match === undefined) continue;
    entry.next++;
    paired[0].add(x);
    paired[1].add(match);
    if ((x.initiatorClaim !== null && match.initiatorClaim !== null && x.initiatorClaim !== match.initiatorClaim)
      || (x.responderClaim !== null && match.responderClaim !== null && x.responderClaim !== match.responderClaim)) {
      issues.push({ kind: 'record-mismatch', lab: null, roundId, attempts: [x.attempt, match.attempt], detail: `the two logs record different FINISH claims for one transcript of round ${short}` });
    }
    const counts = COUNT_FIELDS.filter((field) => x[field] !== match[field]);
    if (finishedStatus(x) && finishedStatus(match) && counts.length > 0) {
      const both = counts.map((field) => `${field} ${String(x[field])} and ${String(match[field])}`).join(', ');
      issues.push({ kind: 'record-mismatch', lab: null, roundId, attempts: [x.attempt, match.attempt], detail: `the two logs record different counts for one finished transcript of round ${short}: ${both}` });
    }
    if (finishedStatus(x) !== finishedStatus(match)) {
      const [done, other, doneLab, otherLab] = finishedStatus(x) ? [x, match, labs[0], labs[1]] : [match, x, labs[1], labs[0]];
      issues.push({
        kind: 'one-sided-completion', lab: null, roundId, attempts: [x.attempt, match.attempt],
        detail: `${doneLab} recorded round ${short} ${describeLeaf(done)} with ${describeClaims(done)}; ${otherLab} recorded the same transcript ${describeLeaf(other)}`,
      });
    }
  }
  // audit.md §3: an aborted attempt's hash is its logger's own view (a frame in flight when the
  // session broke is recorded by its sender only), so only a TH_final needs an equal partner.
  const unpaired = sides.map((side, i) => side.filter((record) => record.transcriptHash.length > 0 && !paired[i]!.has(record) && finishedStatus(record))) as [RoundRecord[], RoundRecord[]];
  // Both labs logged a final transcript for the round but not the same one: they did not sign one transcript.
  const count = Math.min(unpaired[0].length, unpaired[1].length);
  for (let i = 0; i < count; i++) {
    const x = unpaired[0][i]!;
    const y = unpaired[1][i]!;
    paired[0].add(x);
    paired[1].add(y);
    issues.push({
      kind: 'transcript-mismatch', lab: null, roundId, attempts: [x.attempt, y.attempt],
      detail: `${labs[0]} logged transcript ${hex(x.transcriptHash).slice(0, 16)}… and ${labs[1]} ${hex(y.transcriptHash).slice(0, 16)}… for round ${short}`,
    });
  }
  // A completion (or dispute) the other lab holds no leaf of: it recorded the round only as aborted.
  for (const [i, j] of [[0, 1], [1, 0]] as const) {
    const done = unpaired[i].slice(count).filter(finishedStatus);
    if (done.length === 0) continue;
    const others = sides[j].filter((record) => !paired[j].has(record));
    const shown = others.slice(0, MAX_LISTED_LEAVES);
    const account = others.length === 0
      ? 'no leaf of that attempt'
      : `${shown.map(describeLeaf).join(', ')}${others.length > shown.length ? ` and ${others.length - shown.length} more aborted attempts` : ''}`;
    for (const leaf of done) {
      issues.push({
        kind: 'one-sided-completion', lab: null, roundId, attempts: [leaf.attempt, ...shown.map((record) => record.attempt)],
        detail: `${labs[i]} recorded round ${short} ${describeLeaf(leaf)} with ${describeClaims(leaf)}; ${labs[j]} recorded no completion of it: ${account}`,
      });
    }
  }
}
