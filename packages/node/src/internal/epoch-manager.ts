/**
 * Key epochs of a node (node.md §10): which epoch each peer is in, when its rounds run, how a
 * responder recognizes an epoch's round ids at admission, and how epochs start, resume after a
 * restart and end. The attempts themselves run as any other (attempt.ts); this module decides
 * them, hands each its epoch (key, state, index) and reacts to how it ended.
 */
import { wipe } from '@venn/crypto';
import { VennError } from '@venn/errors';
import type { RosterMember } from '@venn/transport';
import { MAX_SET_SIZE } from '@venn/wire';
import { hex } from './command.js';
import { policyFor, type NodeConfig } from './config.js';
import { epochId as deriveEpochId, epochNudgeId, epochRoundId, epochSlotStart } from './epoch-ids.js';
import { EpochKeyStore } from './epoch-keys.js';
import { EpochStore, type EpochRecord, type EpochRoundKind } from './epoch-store.js';
import type { Logger } from './logger.js';
import type { InstalledRoster } from './roster.js';
import type { EpochJob, EpochOutcome } from './round-compute.js';
import { scheduledInitiator } from './schedule.js';
import { DAY_MS, type RoundRecord, type Store } from './store.js';

/** How many generations ahead of the last one known a responder looks for an epoch start. */
const GENERATION_LOOKAHEAD = 8;
/** The soonest a nudge makes the initiator run another round of the same epoch. */
export const NUDGE_INTERVAL_MS = 500;

/**
 * Abort reasons after which an epoch cannot go on (node.md §10.6): the two sides' states or
 * chains no longer agree, or the peer broke the epoch's rules. Both sides end the epoch; the next
 * round starts a new one.
 */
const EPOCH_BREAKING = new Set([
  'epoch-mismatch', 'duplicate-addition', 'bad-removal', 'round-replayed', 'attempts-exhausted', 'epoch-ended', 'size-mismatch',
  'bad-proof', 'bad-point', 'bad-label', 'bad-signature', 'count-mismatch', 'set-too-large', 'policy-mismatch', 'identifier-rules-mismatch', 'unknown',
]);

/** A round of an epoch this node runs or accepts: the epoch row, the round's index and id, and its kind. */
export interface EpochRoundPlan {
  readonly epoch: EpochRecord;
  readonly index: number;
  readonly roundId: Uint8Array;
  readonly kind: EpochRoundKind;
}

/** What a responder makes of a purpose a peer dialed (node.md §10.2, §10.5). */
export type EpochAdmission =
  | { readonly kind: 'round'; readonly plan: EpochRoundPlan }
  | { readonly kind: 'start'; readonly peerId: string; readonly generation: number; readonly roundId: Uint8Array }
  | { readonly kind: 'nudge'; readonly peerId: string; readonly index: number }
  | { readonly kind: 'refuse'; readonly code: string; readonly detail: string };

/** What a tick asks the daemon to do for one peer (node.md §10.3). */
export type EpochAction =
  | { readonly kind: 'round'; readonly peer: RosterMember; readonly plan: EpochRoundPlan }
  | { readonly kind: 'nudge'; readonly peer: RosterMember; readonly purpose: Uint8Array; readonly epochId: Uint8Array; readonly index: number };

export interface EpochManagerHost {
  readonly store: Store;
  readonly logger: Logger;
  readonly now: () => number;
  readonly rng: (n: number) => Uint8Array;
  config(): NodeConfig;
  roster(): InstalledRoster;
}

export class EpochManager {
  readonly epochs: EpochStore;
  private readonly log: Logger;
  /** peers that nudged, with the index of the round they asked for (0 for a new epoch), and when this node last acted on a nudge */
  private readonly nudged = new Map<string, number>();
  private readonly lastNudgedRound = new Map<string, number>();
  /** peers whose nudge has a run scheduled */
  private readonly nudgeDue = new Set<string>();
  /**
   * Peers this node refused the next round but one while it was still ending a round (node.md
   * §10.5 item 3): once that end is committed it nudges them, so their round runs at once.
   */
  private readonly owedNudge = new Set<string>();
  /** Called once an epoch ended: its state waits to be purged (node.md §10.4); the daemon purges it a slice at a time. */
  onEnded: (() => void) | undefined;

  private constructor(private readonly host: EpochManagerHost, readonly keys: EpochKeyStore) {
    this.epochs = new EpochStore(host.store, host.now);
    this.log = host.logger.child({ component: 'epochs' });
  }

  static async open(host: EpochManagerHost, keyDir: string, identitySecretKey: Uint8Array): Promise<EpochManager> {
    return new EpochManager(host, await EpochKeyStore.open(keyDir, identitySecretKey));
  }

  /** roster.md §1: key epochs run when the roster's schedule sets them. */
  get enabled(): boolean {
    return this.host.roster().roster.schedule.epochDays !== undefined;
  }

  private get days(): number {
    return this.host.roster().roster.schedule.epochDays ?? 7;
  }

  /** The interval of incremental rounds, ms (roster schedule.incrementalMinutes). */
  get intervalMs(): number {
    return (this.host.roster().roster.schedule.incrementalMinutes ?? 5) * 60_000;
  }

  private selfId(): string {
    return this.host.config().id;
  }

  private slotOf(nowMs: number): { start: number; endsAt: number } {
    const start = epochSlotStart(nowMs, this.days);
    return { start, endsAt: (start + this.days * 86_400) * 1000 };
  }

  private idOf(slotStart: number, generation: number, peerId: string): Uint8Array {
    return deriveEpochId(this.host.roster().digest, slotStart, generation, this.selfId(), peerId);
  }

  /**
   * node.md §10.6, at start-up: an open epoch resumes if its key file opens and holds the key the
   * store records; otherwise, or past its end, it ends. Key files of epochs that are not open are
   * erased.
   */
  boot(): void {
    const now = this.host.now();
    for (const epoch of this.epochs.openEpochs()) {
      if (now >= epoch.endsAt) {
        this.end(epoch, 'epoch-over');
        continue;
      }
      try {
        wipe(this.keys.read(epoch.epochId, epoch.ownKey));
        this.log.info({ peer: epoch.peerId, epoch: hex(epoch.epochId), nextIndex: epoch.nextIndex }, 'key epoch resumed');
      } catch (error) {
        this.end(epoch, 'key-unavailable', error instanceof VennError ? error.message : String(error));
      }
    }
    const open = new Set(this.epochs.openEpochs().map((epoch) => hex(epoch.epochId)));
    for (const id of this.keys.epochIds()) if (!open.has(id)) this.keys.erase(Uint8Array.from(Buffer.from(id, 'hex')));
  }

  /** Ends an epoch: its key file erased, its state deleted (node.md §10.4). */
  end(epoch: EpochRecord, reason: string, detail?: string): void {
    this.epochs.endEpoch(epoch.row, reason);
    this.keys.erase(epoch.epochId);
    this.onEnded?.();
    this.log.info({ peer: epoch.peerId, epoch: hex(epoch.epochId), reason, ...(detail === undefined ? {} : { detail }), rounds: epoch.nextIndex }, 'key epoch ended');
  }

  /** The peer's open epoch, ended first if its slot is over. */
  private current(peerId: string, now: number): EpochRecord | undefined {
    const open = this.epochs.openEpoch(peerId);
    if (open !== undefined && now >= open.endsAt) {
      this.end(open, 'epoch-over');
      return undefined;
    }
    return open;
  }

  /** Starts a new epoch of the current slot with the peer: its key drawn and stored, its row made. */
  private start(peerId: string, generation: number, role: 'initiator' | 'responder', now: number): EpochRecord {
    const slot = this.slotOf(now);
    const previous = this.epochs.openEpoch(peerId);
    // node.md §10.6: one open epoch per peer; a new start supersedes the old one.
    if (previous !== undefined) this.end(previous, 'superseded');
    const id = this.idOf(slot.start, generation, peerId);
    const ownKey = this.keys.create(id, this.host.rng);
    const epoch = this.epochs.createEpoch({ epochId: id, peerId, role, slotStart: slot.start, generation, endsAt: slot.endsAt, ownKey });
    this.log.info({ peer: peerId, epoch: hex(id), generation, role, endsAt: new Date(slot.endsAt).toISOString() }, 'key epoch started');
    return epoch;
  }

  private kindOf(epoch: EpochRecord): EpochRoundKind {
    return epoch.nextIndex === 0 ? 'start' : epoch.ownMore || epoch.peerMore ? 'fill' : 'incremental';
  }

  private plan(epoch: EpochRecord): EpochRoundPlan {
    return { epoch, index: epoch.nextIndex, roundId: epochRoundId(epoch.epochId, epoch.nextIndex), kind: this.kindOf(epoch) };
  }

  /**
   * node.md §10.3: what this node does for a peer at a tick (or right after a round, `eager`):
   * the initiator of the open epoch runs its next round when either side may have changes; the
   * responder nudges the initiator when it has changes; with no epoch open, the initiator of the
   * next generation starts one and the other side nudges it.
   */
  actionFor(peer: RosterMember, eager = false): EpochAction | undefined {
    const now = this.host.now();
    const policy = policyFor(this.host.config(), peer.id);
    if (policy.modes.length === 0 || !policy.modes.includes('intersection') || !peer.policy.modes.includes('intersection')) return undefined;
    const open = this.current(peer.id, now);
    if (open === undefined) {
      // The epoch about to start covers any nudge the peer sent for it.
      this.nudged.delete(peer.id);
      const slot = this.slotOf(now);
      const generation = this.epochs.lastGeneration(peer.id, slot.start) + 1;
      const id = this.idOf(slot.start, generation, peer.id);
      if (scheduledInitiator(id, this.selfId(), peer.id) === this.selfId()) {
        if (this.epochs.startsSince(peer.id, now - DAY_MS) >= policy.maxEpochStartsPerDay) return undefined;
        return { kind: 'round', peer, plan: this.plan(this.start(peer.id, generation, 'initiator', now)) };
      }
      return eager ? undefined : { kind: 'nudge', peer, purpose: epochNudgeId(id, 0), epochId: id, index: 0 };
    }
    const changed = open.listsMark !== this.epochs.listsMark();
    if (open.role === 'initiator') {
      const nudged = this.nudged.get(open.peerId) === open.nextIndex;
      this.nudged.delete(open.peerId);
      if (open.nextIndex === 0 || changed || open.ownMore || open.peerMore || nudged) return { kind: 'round', peer, plan: this.plan(open) };
      return undefined;
    }
    const owed = this.owedNudge.delete(open.peerId);
    return changed || open.ownMore || owed ? { kind: 'nudge', peer, purpose: epochNudgeId(open.epochId, open.nextIndex), epochId: open.epochId, index: open.nextIndex } : undefined;
  }

  /**
   * node.md §10.5, at the responder's admission: a round id of the open epoch's next round, a new
   * epoch's start (a generation after the last one known in this slot), or a nudge. Undefined: the
   * purpose is no epoch's, and the other rules of node.md §5.1 apply.
   */
  recognize(peerId: string, purpose: Uint8Array): EpochAdmission | undefined {
    if (!this.enabled || purpose.length !== 32) return undefined;
    const now = this.host.now();
    const policy = policyFor(this.host.config(), peerId);
    const same = (x: Uint8Array): boolean => Buffer.compare(x, purpose) === 0;
    const open = this.current(peerId, now);
    if (open !== undefined) {
      if (same(epochRoundId(open.epochId, open.nextIndex))) {
        if (this.epochs.roundsSince(peerId, now - DAY_MS) >= policy.maxEpochRoundsPerDay) {
          return { kind: 'refuse', code: 'quota-exceeded', detail: `"maxEpochRoundsPerDay" for ${peerId} expected at most ${policy.maxEpochRoundsPerDay} epoch rounds in 24 hours` };
        }
        return { kind: 'round', plan: this.plan(open) };
      }
      if (same(epochNudgeId(open.epochId, open.nextIndex))) return { kind: 'nudge', peerId, index: open.nextIndex };
      // The next round but one while this node still ends the next one: the peer committed that
      // round's end and dialed on before this node committed its own; the chains agree.
      if (same(epochRoundId(open.epochId, open.nextIndex + 1)) && this.host.store.isActive(epochRoundId(open.epochId, open.nextIndex))) {
        this.owedNudge.add(peerId);
        return { kind: 'refuse', code: 'round-in-progress', detail: `round ${open.nextIndex + 1} of the epoch; this node is still ending round ${open.nextIndex}` };
      }
      // Another round of this epoch: the two sides' chains diverged (one completed a round the other did not).
      for (let index = Math.max(0, open.nextIndex - 2); index <= open.nextIndex + 2; index++) {
        if (index !== open.nextIndex && same(epochRoundId(open.epochId, index))) {
          this.end(open, 'epoch-mismatch', `${peerId} dialed round ${index}, this node expects round ${open.nextIndex}`);
          return { kind: 'refuse', code: 'epoch-mismatch', detail: `round ${index} of the epoch, this node expected round ${open.nextIndex}; the epoch ended, the next round starts a new one` };
        }
      }
    }
    for (const slotStart of this.candidateSlots(now)) {
      const last = this.epochs.lastGeneration(peerId, slotStart);
      for (let generation = last + 1; generation <= last + GENERATION_LOOKAHEAD; generation++) {
        const id = this.idOf(slotStart, generation, peerId);
        const otherSlot = slotStart !== this.slotOf(now).start;
        if ((same(epochNudgeId(id, 0)) || same(epochRoundId(id, 0))) && otherSlot) {
          const iso = (seconds: number): string => new Date(seconds * 1000).toISOString();
          return { kind: 'refuse', code: 'epoch-mismatch', detail: `epoch ${hex(id)} belongs to the epoch slot starting ${iso(slotStart)}; this node's current slot starts ${iso(this.slotOf(now).start)}` };
        }
        if (same(epochNudgeId(id, 0))) {
          if (scheduledInitiator(id, this.selfId(), peerId) !== this.selfId()) return { kind: 'refuse', code: 'not-initiator', detail: `this node is not the initiator of epoch ${hex(id)}` };
          // node.md §10.6: the peer asks for a new epoch: it no longer holds the open one.
          if (open !== undefined) this.end(open, 'superseded', `${peerId} asked for epoch generation ${generation}`);
          return { kind: 'nudge', peerId, index: 0 };
        }
        if (!same(epochRoundId(id, 0))) continue;
        if (scheduledInitiator(id, this.selfId(), peerId) !== peerId) return { kind: 'refuse', code: 'not-initiator', detail: `${peerId} is not the initiator of epoch ${hex(id)}` };
        // node.md §10.5: each start evaluates everything again and is charged again; starts are counted.
        if (this.epochs.startsSince(peerId, now - DAY_MS) >= policy.maxEpochStartsPerDay) {
          return { kind: 'refuse', code: 'quota-exceeded', detail: `"maxEpochStartsPerDay" for ${peerId} expected at most ${policy.maxEpochStartsPerDay} epoch starts in 24 hours` };
        }
        return { kind: 'start', peerId, generation, roundId: purpose.slice() };
      }
    }
    // A round of an epoch that ended here: refused, so the peer starts a new one.
    const ended = this.endedEpochRound(peerId, purpose);
    if (ended !== undefined) return { kind: 'refuse', code: 'epoch-ended', detail: `epoch ${hex(ended.epochId)} ended here (${ended.endReason ?? 'ended'}); the next round starts a new one` };
    return undefined;
  }

  /**
   * The epoch slots whose starts a responder recognizes: the current one, and the previous and
   * next ones, so that a start backdated or post-dated by a slot is refused as such
   * (`epoch-mismatch`) rather than taken for an ad-hoc round id.
   */
  private candidateSlots(now: number): number[] {
    const current = this.slotOf(now).start;
    const length = this.days * 86_400;
    return [current, current - length, current + length];
  }

  private endedEpochRound(peerId: string, purpose: Uint8Array): EpochRecord | undefined {
    const recent = this.host.store.db.prepare("SELECT id FROM epochs WHERE peer_id = ? AND status = 'ended' ORDER BY id DESC LIMIT 4").pluck().all(peerId) as number[];
    for (const row of recent) {
      const epoch = this.epochs.epoch(row);
      for (let index = Math.max(0, epoch.nextIndex - 2); index <= epoch.nextIndex + 2; index++) {
        if (Buffer.compare(epochRoundId(epoch.epochId, index), purpose) === 0) return epoch;
      }
    }
    return undefined;
  }

  /** The responder's side of an epoch start it admitted (node.md §10.5): the epoch, its key, round 0. */
  acceptStart(admission: Extract<EpochAdmission, { kind: 'start' }>): EpochRoundPlan {
    return this.plan(this.start(admission.peerId, admission.generation, 'responder', this.host.now()));
  }

  /**
   * A peer's nudge (node.md §10.3): noted, and the epoch's next step runs after the returned delay
   * (ms), at most once per NUDGE_INTERVAL_MS; undefined when a run is already due, so a peer that
   * floods nudges gets no more rounds than one nudge would.
   */
  noteNudge(peerId: string, index: number): number | undefined {
    this.nudged.set(peerId, index);
    if (this.nudgeDue.has(peerId)) return undefined;
    const now = this.host.now();
    const due = Math.max(now, (this.lastNudgedRound.get(peerId) ?? 0) + NUDGE_INTERVAL_MS);
    this.lastNudgedRound.set(peerId, due);
    this.nudgeDue.add(peerId);
    return due - now;
  }

  /** The run a nudge scheduled is starting. */
  nudgeRan(peerId: string): void {
    this.nudgeDue.delete(peerId);
  }

  /**
   * The epoch part of an attempt's compute job: the key read from the key store (the caller's
   * copy is wiped once the job has gone to the worker) and the state's counts.
   */
  job(plan: EpochRoundPlan, peer: RosterMember): EpochJob {
    const epoch = this.epochs.epoch(plan.epoch.row);
    const policy = policyFor(this.host.config(), peer.id);
    const key = this.keys.read(epoch.epochId, epoch.ownKey);
    // SPEC §13.3: the initiator sizes its additions by what the peer's caps allow; a responder adapts in the round.
    const room = epoch.peerEpochCap === null ? MAX_SET_SIZE : Math.max(0, epoch.peerEpochCap - epoch.ownCount);
    const maxAdditions = epoch.role === 'responder' ? MAX_SET_SIZE : Math.min(MAX_SET_SIZE, peer.policy.maxPeerSetSize, epoch.peerCap ?? MAX_SET_SIZE, room);
    return {
      epochRow: epoch.row, id: epoch.epochId, index: epoch.nextIndex, previousHash: epoch.previousHash, key, peerKey: epoch.peerKey,
      ownCount: epoch.ownCount, peerCount: epoch.peerCount, intersectionSize: epoch.intersectionSize,
      maxPeerEpochSetSize: policy.maxPeerEpochSetSize, maxAdditions,
    };
  }

  /** Applies a completed round's changes, which its worker staged, inside the transaction that commits the round. */
  apply(plan: EpochRoundPlan, roundRow: number, outcome: EpochOutcome): void {
    // An epoch that ended while its round ran (its slot ended, the peer superseded it) has no state
    // left to move: the round's matches and leaf are committed, the next round starts a new epoch.
    const epoch = this.epochs.epoch(plan.epoch.row);
    if (epoch.status !== 'open') {
      this.log.warn({ peer: epoch.peerId, epoch: hex(epoch.epochId), index: plan.index, endReason: epoch.endReason }, 'a round of an epoch that ended meanwhile completed; its changes are not kept');
      return;
    }
    this.epochs.applyRound(plan.epoch.row, roundRow, outcome);
  }

  /**
   * node.md §10.6: after an epoch's attempt ended. A disputed round, or an abort that breaks the
   * epoch (its chain, its state or its rules), ends the epoch on this side; the next round starts
   * a new one. Returns whether the epoch wants another round at once (more changes wait).
   */
  roundFinished(record: RoundRecord): { eager: boolean } {
    const info = this.epochs.epochRoundOf(record.row);
    if (info === undefined) return { eager: false };
    const epoch = this.epochs.epoch(info.epochRow);
    if (epoch.status !== 'open') return { eager: false };
    if (record.status === 'disputed') {
      this.end(epoch, 'disputed', `round ${info.index}: this node counted ${record.intersectionSize}, ${record.peerId} claimed ${record.peerClaimedSize}`);
      return { eager: true };
    }
    if (record.status === 'aborted') {
      const reason = record.reason ?? 'unknown';
      if (EPOCH_BREAKING.has(reason)) {
        this.end(epoch, reason, record.detail ?? undefined);
        return { eager: true };
      }
      return { eager: false };
    }
    // A peer refused while this round ended waits for the nudge it is owed (node.md §10.5 item 3).
    return { eager: epoch.ownMore || epoch.peerMore || (epoch.role === 'responder' && this.owedNudge.has(record.peerId)) };
  }

  /** An epoch round this node refused to dial (node.md §5.1): an epoch that cannot go on ends. */
  refused(plan: EpochRoundPlan, code: string, detail: string): void {
    const epoch = this.epochs.epoch(plan.epoch.row);
    if (epoch.status === 'open' && (EPOCH_BREAKING.has(code) || code === 'round-complete')) this.end(epoch, code, detail);
  }

  close(): void {
    this.keys.close();
  }
}
