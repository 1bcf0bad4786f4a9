/**
 * The files a node hands to auditors, built from its store (protocol-spec/audit.md §8, §10):
 * a round's transcript bundle and the whole exported log. `venn audit` and the analyst console
 * both write them through here.
 */
import { Cron } from 'croner';
import { buildTranscriptBundle, encodeExportedLog, encodeTranscriptBundle, type AuditRoster, type ExportedLog, type SignedTreeHead } from '@venn/audit';
import { ValidationError } from '@venn/errors';
import { rosterDigest, type Roster } from '@venn/transport';
import { hex } from './command.js';
import { epochRoundId } from './epoch-ids.js';
import { scheduledInitiator, scheduledRoundId } from './schedule.js';
import type { RoundRecord, Store, TreeHeadRecord } from './store.js';

export function signedHead(record: TreeHeadRecord): SignedTreeHead {
  return { size: record.treeSize, root: record.root, timestamp: record.timestamp, signature: record.signature };
}

/** The latest signed head, which must cover `index` when given. */
export function latestHead(store: Store, index?: number): SignedTreeHead {
  const head = store.latestTreeHead();
  if (head === undefined) throw new ValidationError('no-tree-head', 'the log has no signed head yet (the daemon signs one each time a round ends)');
  if (index !== undefined && head.treeSize <= index) {
    throw new ValidationError('no-tree-head', `the latest signed head (size ${head.treeSize}) does not cover leaf ${index} yet; start the daemon so it signs one`);
  }
  return signedHead(head);
}

/** The logged attempt of a round: `attempt` if given, else the latest attempt with a leaf. */
export function loggedAttempt(store: Store, roundId: Uint8Array, attempt?: number): { round: RoundRecord; index: number } {
  const attempts = store.attempts(roundId).filter((round) => attempt === undefined || round.attempt === attempt);
  for (const round of attempts.reverse()) {
    const index = store.logIndexOfRound(round.row);
    if (index !== undefined) return { round, index };
  }
  const which = attempt === undefined ? 'any attempt' : `attempt ${attempt}`;
  throw new ValidationError('round-not-logged', `"round" expected a round whose attempt is in the log, got ${hex(roundId)} with ${which} not logged (it has not ended yet)`);
}

/** audit.md §8: the transcript bundle of one logged attempt, encoded. */
export function transcriptBundleOf(store: Store, exporter: string, logged: { round: RoundRecord; index: number }): { bytes: Uint8Array; frames: number; treeHead: SignedTreeHead } {
  const treeHead = latestHead(store, logged.index);
  const messages = store.transcript(logged.round.row).map((entry) => ({ direction: entry.direction, bytes: entry.message }));
  const bundle = buildTranscriptBundle({
    exporter,
    leaf: store.log.leaf(logged.index),
    leafIndex: logged.index,
    treeHead,
    inclusionProof: store.log.inclusionProof(logged.index, treeHead.size),
    messages,
  });
  return { bytes: encodeTranscriptBundle(bundle), frames: bundle.initiator.frames.length + bundle.responder.frames.length, treeHead };
}

/** audit.md §10: the node's whole log, its signed heads and the heads peers sent, from one snapshot. */
export function exportedLogOf(store: Store, logId: string): ExportedLog {
  return store.db.transaction((): ExportedLog => {
    // One read transaction: leaves and heads from the same snapshot while the daemon appends.
    const leaves = (store.db.prepare('SELECT leaf FROM log_leaves ORDER BY idx').pluck().all() as Buffer[]).map((leaf) => new Uint8Array(leaf));
    const heads = (store.db.prepare('SELECT tree_size, root, timestamp, signature FROM tree_heads ORDER BY tree_size').all() as Array<{ tree_size: number; root: Buffer; timestamp: number; signature: Buffer }>)
      .map((row) => ({ size: row.tree_size, root: new Uint8Array(row.root), timestamp: row.timestamp, signature: new Uint8Array(row.signature) }));
    // audit.md §10.1: each peer head with its receipt, the opening of the session whose OFFER first
    // carried it and that attempt's leaf, the evidence the cross-check decides pending rounds by.
    const peerHeads = (store.db.prepare(`SELECT p.peer_id, p.tree_size, p.root, p.timestamp, p.signature, r.started_at AS opened, l.idx AS leaf_index
      FROM peer_heads p LEFT JOIN rounds r ON r.id = p.round_row LEFT JOIN log_rounds l ON l.round_row = p.round_row
      ORDER BY p.peer_id, p.tree_size, p.timestamp`).all() as Array<{ peer_id: string; tree_size: number; root: Buffer; timestamp: number; signature: Buffer; opened: number | null; leaf_index: number | null }>)
      .map((row) => ({
        peerId: row.peer_id,
        head: { size: row.tree_size, root: new Uint8Array(row.root), timestamp: row.timestamp, signature: new Uint8Array(row.signature) },
        opened: row.opened,
        leafIndex: row.leaf_index,
      }));
    return { logId, leaves, heads, peerHeads };
  }).deferred();
}

export function encodedLogOf(store: Store, logId: string): Uint8Array {
  return encodeExportedLog(exportedLogOf(store, logId));
}

/** Whether `slot` (Unix seconds) is an instant of `cron`; one whose search runs past the dates croner handles is not. */
function isCronInstant(cron: Cron, slot: number): boolean {
  try {
    return cron.nextRun(new Date(slot * 1000 - 1000))?.getTime() === slot * 1000;
  } catch (error) {
    if (error instanceof RangeError) return false;
    throw error;
  }
}

/** The roster as the auditor's checks need it: keys, policies and the schedule of node.md §3–§4. */
export function auditRosterOf(roster: Roster): AuditRoster {
  const digest = rosterDigest(roster);
  const cron = new Cron(roster.schedule.cron, { timezone: roster.schedule.timezone, paused: true });
  return {
    digest,
    members: roster.members.map((member) => ({
      id: member.id,
      identityKey: member.identityKey,
      policy: { maxPeerSetSize: member.policy.maxPeerSetSize, modes: [...member.policy.modes], shareLabels: [...member.policy.shareLabels] },
    })),
    schedule: {
      // A slot is an instant the cron matches: the first run after one second earlier is the slot itself.
      isSlot: (slot) => Number.isSafeInteger(slot) && isCronInstant(cron, slot),
      scheduledRoundId: (slot, a, b) => scheduledRoundId(digest, slot, a, b),
      scheduledInitiator: (roundId, a, b) => scheduledInitiator(roundId, a, b),
      epochRoundId: (id, index) => epochRoundId(id, index),
    },
  };
}
