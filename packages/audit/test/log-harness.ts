/**
 * Two labs' logs for the cross-check tests (audit.md §10): each lab's Merkle log, its signed heads
 * and the peer heads it received with their receipt evidence, built round by round on one clock,
 * with hooks (Tamper) to make one side log, sign or send something else.
 */
import { sha256, sha512 } from '@noble/hashes/sha2.js';
import {
  MemoryLogStorage,
  MerkleLog,
  encodeRoundRecord,
  encodeSignedTreeHead,
  signTreeHead,
  type CrossCheckReport,
  type ExportedLog,
  type RoundRecord,
  type SignedTreeHead,
} from '../src/index.js';
import { auditRoster, keys, rosterDigest } from './round-harness.js';

const encoder = new TextEncoder();
export const roster = auditRoster();

/** Rounds of one pair run this far apart: more than the settle window (audit.md §10.2), 25 hours. */
export const SPACING = 30 * 3_600_000;
export const T0 = 1_900_000_000_000;

/** One lab's node: its log, its signed heads and the heads it received from the other lab. */
export class Lab {
  readonly log = new MerkleLog(new MemoryLogStorage());
  readonly heads: SignedTreeHead[] = [];
  readonly received: Array<{ peerId: string; head: SignedTreeHead; opened: number | null; leafIndex: number | null }> = [];
  clock = T0;

  constructor(readonly id: string, readonly secretKey: Uint8Array) {}

  /** Appends a leaf and signs the new head, as the daemon does when an attempt ends. */
  append(leaf: Uint8Array): void {
    this.log.append(leaf);
    this.clock += 1000;
    this.heads.push(signTreeHead(this.log.treeHead(this.clock), this.id, this.secretKey.slice()));
  }

  /** Stores a peer's head from an OFFER with the receipt evidence the node keeps: the first receipt only. */
  receive(peerId: string, head: SignedTreeHead, opened: number | null, leafIndex: number | null): void {
    if (this.received.some((entry) => entry.peerId === peerId && Buffer.from(encodeSignedTreeHead(entry.head)).equals(Buffer.from(encodeSignedTreeHead(head))))) return;
    this.received.push({ peerId, head, opened, leafIndex });
  }

  latest(): SignedTreeHead | undefined {
    return this.heads.at(-1);
  }

  exported(): ExportedLog {
    return { logId: this.id, leaves: Array.from({ length: this.log.size }, (_, i) => this.log.leaf(i)), heads: this.heads, peerHeads: this.received };
  }
}

export function record(n: number, overrides: Partial<RoundRecord> = {}, spacing = SPACING): RoundRecord {
  const merged: RoundRecord = {
    roundId: sha256(encoder.encode(`round ${n}`)), attempt: 1, rosterDigest, slot: 1_900_000_000 + n * 3600, initiatorId: 'lab-a', responderId: 'lab-b',
    status: 'completed', reason: '', transcriptHash: sha512(encoder.encode(`transcript ${n}`)), initiatorClaim: n, responderClaim: n,
    timestamp: T0 + n * spacing, initiatorSetSize: 100 + n, responderSetSize: 200 + n, initiatorEvaluations: 200 + n, responderEvaluations: 100 + n, endedBy: null,
    ...overrides,
  };
  return v2(merged, overrides);
}

/** audit.md §3: an aborted attempt says who ended it and served at most what it was asked. */
export function v2(record: RoundRecord, overrides: Partial<RoundRecord> = {}): RoundRecord {
  if (record.status !== 'aborted') return record;
  return {
    ...record, endedBy: overrides.endedBy ?? record.endedBy ?? 'responder',
    initiatorEvaluations: overrides.initiatorEvaluations ?? 0, responderEvaluations: overrides.responderEvaluations ?? 0,
  };
}

export interface Tamper {
  /** What lab-b logs for round n (null: nothing). */
  readonly leafB?: (n: number, leaf: RoundRecord) => RoundRecord | null;
  /** Leaves lab-a logs before round n's (attempts that never reached lab-b). */
  readonly beforeA?: (n: number) => RoundRecord[];
  /** What lab-a logs for round n (null: nothing). */
  readonly leafA?: (n: number, leaf: RoundRecord) => RoundRecord | null;
  /** The clock lab-a signs its head of round n with (default: the round's time). */
  readonly headClockA?: (n: number) => number;
  /** Whether lab-a puts its head in round n's OFFER (default: always; false sends nil). */
  readonly sendsHeadA?: (n: number) => boolean;
  /** Milliseconds between rounds (default SPACING). */
  readonly spacing?: number;
}

/**
 * Two labs that ran `rounds` rounds together (and lab-a one with a third lab) on one clock: each
 * round both send their latest heads in OFFERs over a session opened 5 s before the round ends,
 * then each logs its leaf and signs a new head, and stores the peer's head with that receipt.
 */
export function federation(rounds: number, tamper: Tamper = {}): { a: Lab; b: Lab } {
  const a = new Lab('lab-a', keys.initiator.secretKey);
  const b = new Lab('lab-b', keys.responder.secretKey);
  for (let n = 0; n < rounds; n++) {
    const headA = tamper.sendsHeadA?.(n) === false ? undefined : a.latest();
    const headB = b.latest();
    const leaf = record(n, {}, tamper.spacing);
    const opened = leaf.timestamp - 5000;
    a.clock = tamper.headClockA?.(n) ?? leaf.timestamp;
    b.clock = leaf.timestamp;
    for (const early of tamper.beforeA?.(n) ?? []) a.append(encodeRoundRecord(v2(early)));
    const ours = tamper.leafA === undefined ? leaf : tamper.leafA(n, leaf);
    if (ours !== null) a.append(encodeRoundRecord(v2(ours)));
    if (headB !== undefined) a.receive('lab-b', headB, opened, ours === null ? null : a.log.size - 1);
    const theirs = tamper.leafB === undefined ? leaf : tamper.leafB(n, leaf);
    if (theirs !== null) b.append(encodeRoundRecord(v2(theirs)));
    if (headA !== undefined) b.receive('lab-a', headA, opened, theirs === null ? null : b.log.size - 1);
    if (n === 1) a.append(encodeRoundRecord(record(100, { initiatorId: 'lab-a', responderId: 'lab-c', timestamp: leaf.timestamp + 5000 })));
  }
  return { a, b };
}

export const kinds = (report: CrossCheckReport): string[] => report.issues.map((issue) => `${issue.kind}:${issue.lab ?? '-'}`);
