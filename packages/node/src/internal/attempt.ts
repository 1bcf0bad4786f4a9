/**
 * The life of one round attempt over an open session (node.md §5–§6): the protocol in a worker
 * thread, every frame recorded (and every evaluation charged) before it leaves or once the round
 * took it in, and the end committed once: row, matches, peer head and log leaf in one transaction.
 * Admission, scheduling and retries stay in the daemon; this module owns the attempt's store
 * transitions and its log leaf.
 */
import type { EventEmitter } from 'node:events';
import { setImmediate as nextTurn } from 'node:timers/promises';
import { encodeRoundRecord, verifyTreeHead, type RoundRecord as AuditRecord } from '@venn/audit';
import { VennError } from '@venn/errors';
import type { RosterMember, Session } from '@venn/transport';
import { encodeMessage } from '@venn/wire';
import { frameInfoOf } from './frame-info.js';
import { AttemptRecord } from './attempt-record.js';
import type { TimerHandle, Timers } from './clock.js';
import { hex } from './command.js';
import { policyFor, type NodeConfig, type RoundMode } from './config.js';
import type { Identity } from './keyfile.js';
import type { Logger } from './logger.js';
import type { NodeMetrics } from './metrics.js';
import type { InstalledRoster } from './roster.js';
import { RoundCompute, type ComputeJob, type ComputeOutcome, type FrameInfo, type OutboundFrame } from './round-compute.js';
import type { RoundRecord, RoundRole, Store } from './store.js';
import type { WorkerPool } from './worker-pool.js';
import { wipe } from '@venn/crypto';
import type { EpochManager, EpochRoundPlan } from './epoch-manager.js';

/** What an attempt needs from the daemon that runs it. */
export interface AttemptHost {
  readonly config: NodeConfig;
  readonly store: Store;
  readonly roster: InstalledRoster;
  readonly identity: Identity;
  readonly logger: Logger;
  readonly metrics: NodeMetrics;
  readonly pool: WorkerPool;
  readonly timers: Timers;
  readonly now: () => number;
  /** identifiers.md §13: the rules this node's lists were built under, sent in every OFFER. */
  readonly identifierRules: string;
  /** Emits 'final' (round id hex, record) when an attempt's end is committed. */
  readonly events: EventEmitter;
  /** Signs a tree head over the log as it now stands. */
  signHead(): void;
  /** Called once the attempt's end is committed (suspensions, metrics, retries). */
  attemptFinished(record: RoundRecord, peer: RosterMember | undefined): void;
  /** Whether the daemon is shutting down: a write the disk refused is then left to the next start. */
  isStopping(): boolean;
}

/** SQLite's codes for a disk that is full or failing (SQLITE_FULL, SQLITE_IOERR_*): the same write may succeed later. */
const STORAGE_FAULT = /^SQLITE_(FULL|IOERR)/;

export function isStorageFault(error: unknown): boolean {
  const code = (error as { code?: unknown } | null | undefined)?.code;
  return typeof code === 'string' && STORAGE_FAULT.test(code);
}

/** How long to wait before trying again a write the disk refused, and how often that is logged again. */
const STORAGE_RETRY_MS = 1000;
const STORAGE_REPORT_EVERY = 30;

/**
 * Reasons for which an aborted attempt is this node's own doing, never the peer's: such an attempt
 * is not an abandonment even if evaluations were served (node.md §5.3).
 */
const LOCAL_REASONS = new Set(['shutdown', 'cancelled', 'internal-error', 'daemon-restart', 'tls-failed', 'peer-unreachable', 'budget-overrun']);

/** A round of a key epoch (node.md §10): its plan, and the manager that holds the epoch's key and state. */
export interface AttemptEpoch {
  readonly plan: EpochRoundPlan;
  readonly manager: EpochManager;
}

/** How long a FINISH or ABORT may take to leave, and the session to close, before the end is committed anyway. */
const DRAIN_MS = 5000;

export class Attempt {
  readonly startedAt: number;
  processed = 0;
  total = 0;
  readonly done: Promise<RoundRecord>;
  private readonly log: Logger;
  private readonly recorded: AttemptRecord;
  private compute: RoundCompute | undefined;
  private release: ((healthy: boolean) => void) | undefined;
  private settled = false;
  private sendChain: Promise<void> = Promise.resolve();
  /** Set while settle() commits the attempt's end: queued frames leave only after it. */
  private hold: Promise<void> | undefined;
  private sendFailure: Error | undefined;
  private resolveDone!: (record: RoundRecord) => void;
  private readonly roundTimer: TimerHandle;
  private reported = 0;

  constructor(
    private readonly host: AttemptHost,
    readonly record: RoundRecord,
    private readonly peer: RosterMember,
    private readonly session: Session,
    /** The roster in force when the attempt was decided; a reload does not change it (node.md §6.1). */
    private readonly roster: InstalledRoster = host.roster,
    /** A round of a key epoch (node.md §10). */
    private readonly epoch?: AttemptEpoch,
  ) {
    this.log = host.logger.child({ roundId: hex(record.roundId), attempt: record.attempt, peer: peer.id, role: record.role });
    this.recorded = new AttemptRecord(record.role);
    this.startedAt = host.now();
    this.done = new Promise<RoundRecord>((resolve) => { this.resolveDone = resolve; });
    const seconds = host.config.roundTimeoutSeconds;
    this.roundTimer = host.timers.setTimeout(() => this.abort('timeout', `round not finished within ${seconds} s`), seconds * 1000);
  }

  /**
   * Runs the attempt to its end. `mode` is the round's mode for an initiator or a scheduled
   * responder; null for the responder of an ad-hoc round, which takes the initiator's mode if its
   * policy allows it (SPEC §4.1). The responder's worker blinds nothing before the initiator's
   * OFFER passed its checks (SPEC §4.4).
   */
  run(mode: RoundMode | null): Promise<RoundRecord> {
    const { host, record } = this;
    host.store.markRunning(record.row, null);
    host.metrics.roundsRunning.inc();
    void this.pump(mode).catch((error: unknown) => {
      this.log.error({ err: error }, 'round pump failed');
      void this.settle({ status: 'aborted', reason: 'internal-error', detail: (error as Error).message, peerLogHead: null });
    });
    return this.done;
  }

  /** Local decision to stop (timeout, shutdown): ABORT to the peer, the worker is ended. */
  abort(reason: string, detail: string): void {
    if (this.settled) return;
    this.compute?.cancel(reason, detail);
    const message = encodeMessage({ kind: 'abort', roundId: this.record.roundId, reason: reason === 'shutdown' ? 'cancelled' : reason, detail: detail.slice(0, 200) });
    // The worker may be deep in a batch; it is ended rather than waited for.
    this.detachCompute(false);
    void this.settle({ status: 'aborted', reason, detail, peerLogHead: null }, [{ bytes: message, kind: 'abort', points: 0, setSize: null }]);
  }

  private detachCompute(healthyIfClean: boolean): void {
    if (this.compute === undefined) return;
    const clean = this.compute.detach();
    this.release?.(healthyIfClean && clean);
    this.compute = undefined;
    this.release = undefined;
  }

  /**
   * Queues frames on the session. Every frame is recorded, and an EVALUATED chunk's evaluations
   * charged, before it leaves (node.md §5.2): the round worker does so for its frames, in its own
   * connection, before it hands them over; this thread for the ABORT it sends itself. If the store
   * refuses, nothing of the batch is sent.
   */
  private send(frames: readonly OutboundFrame[], recordedByWorker = false): void {
    const { host, record } = this;
    try {
      // The round worker records and charges its own frames (ComputeJob.row); this thread records
      // only the ABORT it sends itself.
      if (!recordedByWorker) host.store.recordSent(record.row, frames.map((frame) => ({ message: frame.bytes, evaluations: frame.kind === 'evaluated' ? frame.points : 0 })));
    } catch (error) {
      const code = error instanceof VennError ? error.code : 'internal-error';
      this.log.error({ err: error }, 'could not record frames before sending; ending the attempt');
      this.abort(code === 'budget-overrun' ? 'budget-overrun' : 'internal-error', (error as Error).message);
      return;
    }
    for (const frame of frames) {
      this.recorded.add('sent', frame.bytes, frame);
      if (frame.kind === 'evaluated') host.metrics.evaluationsServed.inc({ peer: this.peer.id }, frame.points);
      host.metrics.roundBytes.inc({ direction: 'sent' }, frame.bytes.length);
      host.metrics.roundMessages.inc({ direction: 'sent' });
      // After a failed send nothing more is sent; the reader still drains what the peer sent
      // before its close (often an ABORT with its reason) and then settles the attempt.
      // One frame per turn of the event loop: sealing and writing a burst of chunks at once
      // would hold this thread for as long as the whole burst takes.
      // While the attempt's end is being committed, frames wait (`hold`): its FINISH leaves after
      // the end is on disk, as a crash in between must not lose a completion the peer holds.
      this.sendChain = this.sendChain.then(() => nextTurn()).then(() => this.hold).then(() => (this.sendFailure === undefined ? this.session.send(frame.bytes) : undefined)).catch((error: unknown) => {
        this.sendFailure ??= error as Error;
      });
    }
  }

  /** A received frame the round took in: part of the attempt's record (node.md §6). */
  private consumed(bytes: Uint8Array, processed: boolean, info: FrameInfo): void {
    if (!processed || this.settled) return;
    // Recorded in the store by the round worker before it reported the frame processed.
    this.recorded.add('received', bytes, info);
  }

  private async startCompute(mode: RoundMode | null): Promise<void> {
    const { host, record, peer } = this;
    const pooled = await host.pool.acquire();
    this.release = pooled.release;
    if (this.settled) {
      this.release(true);
      this.release = undefined;
      return;
    }
    this.compute = new RoundCompute(pooled.worker, {
      onSend: (frames) => this.send(frames, true),
      onRecordFailed: (code, message) => {
        this.log.error({ code, detail: message }, 'could not record frames before sending; ending the attempt');
        this.abort(code === 'budget-overrun' ? 'budget-overrun' : 'internal-error', message);
      },
      onConsumed: (bytes, processed, info) => this.consumed(bytes, processed, info),
      onProgress: (processed, total) => {
        this.processed = processed;
        this.total = total;
        if (processed > this.reported) host.metrics.elementsProcessed.inc(processed - this.reported);
        this.reported = processed;
      },
      onOutcome: (outcome) => void this.settle(outcome),
    });
    const policy = policyFor(host.config, peer.id);
    const head = host.store.latestTreeHead();
    const job: ComputeJob = {
      role: record.role, roundId: record.roundId, rosterDigest: this.roster.digest, selfId: host.config.id, peerId: peer.id,
      mode: mode ?? 'offered',
      policy: {
        maxPeerSetSize: policy.maxPeerSetSize, evaluationAllowance: Math.min(record.allowance, policy.maxPeerSetSize), modes: policy.modes,
        labelFields: policy.shareLabels, semiHonestCardinality: policy.acceptSemiHonestCardinality,
        allowIdentifierRulesMismatch: policy.allowIdentifierRulesMismatch,
      },
      identifierRules: host.identifierRules,
      storePath: host.config.paths.store, row: record.row, signingKey: host.identity.secretKey, peerPublicKey: peer.identityKey,
      logHead: head === undefined ? null : { size: head.treeSize, root: head.root, timestamp: head.timestamp, signature: head.signature },
    };
    if (this.epoch !== undefined) {
      // node.md §10.4: the key leaves the key store for this round only; the worker wipes its copy.
      const epochJob = this.epoch.manager.job(this.epoch.plan, peer);
      try {
        this.compute.start({ ...job, epoch: epochJob });
      } finally {
        wipe(epochJob.key);
      }
      return;
    }
    this.compute.start(job);
  }

  private async pump(mode: RoundMode | null): Promise<void> {
    const { host, session, peer } = this;
    await this.startCompute(mode);
    try {
      for await (const bytes of session) {
        if (this.settled) break;
        host.metrics.roundBytes.inc({ direction: 'received' }, bytes.length);
        host.metrics.roundMessages.inc({ direction: 'received' });
        // Bytes go to the worker undecoded: a slow or hostile frame cannot stall this thread.
        await this.compute?.receive(bytes);
      }
      if (!this.settled) {
        await this.settle(this.sendFailure === undefined
          ? { status: 'aborted', reason: 'connection-lost', detail: `${peer.id} closed the session before the round finished`, peerLogHead: null, endedBy: 'peer' }
          : transportOutcome(this.sendFailure, 'sending to the peer failed'));
      }
    } catch (error) {
      if (!this.settled) await this.settle(transportOutcome(error, 'the session failed'));
    }
  }

  /**
   * Runs a store write; when the disk refuses it (full, or an I/O error), logs so and tries again
   * every second until it goes through, since nothing about the attempt may be lost and its FINISH
   * must not leave before its end is on disk (node.md §6). The daemon keeps serving meanwhile.
   * Returns undefined, the write not done, only when the daemon is shutting down: the attempt is
   * then still `running` in the store, and the next start aborts it with its leaf.
   */
  private async whenStored<T>(what: string, write: () => T): Promise<T | undefined> {
    for (let tries = 1; ; tries += 1) {
      try {
        const result = write();
        if (tries > 1) this.log.warn({ tries }, `the disk took ${what} after refusing it`);
        return result;
      } catch (error) {
        if (!isStorageFault(error)) throw error;
        if (this.host.isStopping()) {
          this.log.error({ err: error, tries }, `the disk refused ${what} and the node is shutting down; the next start records the attempt as aborted`);
          return undefined;
        }
        if (tries === 1 || tries % STORAGE_REPORT_EVERY === 0) {
          this.log.error({ err: error, tries, what }, 'the disk refused a write of the round\'s end; trying again until it has room');
        }
        await new Promise<void>((resolve) => this.host.timers.setTimeout(resolve, STORAGE_RETRY_MS));
      }
    }
  }

  private async settle(outcome: ComputeOutcome, extra: readonly OutboundFrame[] = []): Promise<void> {
    if (this.settled) return;
    const { host } = this;
    // Settled before anything is sent: a send that fails calls abort(), which must not settle again.
    this.settled = true;
    // Frames sent from here on (ABORT) are recorded but the round took in nothing more.
    if (extra.length > 0) this.send(extra);
    host.timers.clearTimeout(this.roundTimer);
    // The end is committed first: the peer may already hold our FINISH, and a crash while the
    // session drains must not turn a completed round into an aborted one here.
    host.metrics.roundsRunning.dec();
    let release = (): void => undefined;
    this.hold = new Promise<void>((resolve) => { release = resolve; });
    let finished: RoundRecord | undefined;
    try {
      finished = await this.whenStored('the attempt\'s end', () => finishAttempt(host, this.record, outcome, this.recorded, this.startedAt, this.roster, this.epoch));
    } finally {
      // Shutting down with the end unwritten: nothing queued leaves (no FINISH without its end on disk).
      if (finished === undefined) this.sendFailure ??= new Error('the attempt\'s end could not be written');
      this.hold = undefined;
      release();
    }
    if (finished === undefined) {
      // The next start aborts the attempt (node.md §6) with the frames the store holds.
      await withTimeout(this.session.close('round aborted: internal-error').then(() => undefined, () => undefined), DRAIN_MS, host.timers);
      this.detachCompute(false);
      this.resolveDone(host.store.round(this.record.row));
      return;
    }
    // Let FINISH or ABORT reach the peer before the CLOSE frame; bounded so a stuck peer cannot hold us.
    await withTimeout(this.sendChain, DRAIN_MS, host.timers);
    await withTimeout(this.session.close(outcome.status === 'aborted' ? `round aborted: ${outcome.reason}` : 'round finished').then(() => undefined, () => undefined), DRAIN_MS, host.timers);
    this.detachCompute(true);
    const line = {
      status: finished.status, reason: finished.reason, ...(finished.detail === null ? {} : { detail: finished.detail }),
      intersectionSize: finished.intersectionSize, peerSetSize: finished.peerSetSize,
      evaluationsSent: finished.evaluationsSent, evaluationsReceived: finished.evaluationsReceived, durationMs: host.now() - this.startedAt,
      elementsBlinded: finished.elementsBlinded, elementsEvaluated: finished.elementsEvaluated, workerCpuMs: finished.workerCpuMs === null ? null : Math.round(finished.workerCpuMs),
    };
    // A local fault is an error an operator must see; a refusal or a peer's abort is routine.
    if (finished.reason === 'internal-error') this.log.error(line, 'round attempt finished');
    else this.log.info(line, 'round attempt finished');
    this.resolveDone(finished);
  }
}

/**
 * Commits an attempt's end (node.md §2, audit.md §3): row, matches, peer head and log leaf in one
 * transaction; then a new signed head. `recorded` is what passed over the session; absent when no
 * session opened (the dial failed or the node restarted).
 */
export function finishAttempt(host: AttemptHost, record: RoundRecord, outcome: ComputeOutcome, recorded?: AttemptRecord, startedAt?: number, roster: InstalledRoster = host.roster, epoch?: AttemptEpoch): RoundRecord {
  const { store, config } = host;
  const peer = roster.peers.find((m) => m.id === record.peerId);
  const peerRole: RoundRole = record.role === 'initiator' ? 'responder' : 'initiator';
  let peerHead;
  if (outcome.peerLogHead !== null && peer !== undefined) {
    const head = { size: outcome.peerLogHead.size, root: outcome.peerLogHead.root, timestamp: outcome.peerLogHead.timestamp, signature: outcome.peerLogHead.signature };
    if (verifyTreeHead(head, peer.id, peer.identityKey)) {
      peerHead = { peerId: peer.id, treeSize: head.size, root: head.root, timestamp: head.timestamp, signature: head.signature };
    } else {
      host.logger.warn({ roundId: hex(record.roundId), peer: peer.id }, 'peer log head in OFFER does not verify; not stored');
    }
  }
  const initiatorId = record.role === 'initiator' ? config.id : record.peerId;
  const responderId = record.role === 'initiator' ? record.peerId : config.id;
  const ownSetSize = outcome.ownSetSize ?? recorded?.setSizes[record.role] ?? undefined;
  const peerSetSize = outcome.peerSetSize ?? recorded?.setSizes[peerRole] ?? undefined;
  // audit.md §3: what each side declared and served, as recorded (the same counts the store charged).
  const accounts = leafAccounts(record.role, recorded);
  let finished: RoundRecord;
  if (outcome.status === 'aborted') {
    // Record the peer's own code when it aborted, so both logs name the same cause.
    const endedByPeer = outcome.peerReason !== undefined || outcome.endedBy === 'peer';
    const reason = kebab(outcome.peerReason ?? outcome.reason);
    const detail = outcome.peerReason === undefined ? outcome.detail : `aborted by ${record.peerId}: ${outcome.detail}`;
    const served = store.round(record.row).evaluationsSent;
    const abandoned = served > 0 && (endedByPeer || !LOCAL_REASONS.has(reason));
    const endedBy: RoundRole = endedByPeer ? peerRole : record.role;
    const attemptHash = recorded?.attemptHash() ?? new Uint8Array(0);
    finished = store.finishRound(record.row, {
      status: 'aborted', reason, detail, localSetSize: ownSetSize, peerSetSize, peerHead, endedBy, abandoned, phases: outcome.phases, cost: outcome.cost,
      transcriptHash: attemptHash.length === 0 ? undefined : attemptHash,
      logLeaf: (row) => encodeRoundRecord({
        roundId: row.roundId, attempt: row.attempt, rosterDigest: roster.digest, slot: row.slot, initiatorId, responderId,
        status: 'aborted', reason, transcriptHash: attemptHash, initiatorClaim: null, responderClaim: null, timestamp: host.now(),
        ...accounts, endedBy,
      }),
    });
  } else {
    const ownClaim = outcome.intersectionSize;
    const peerClaim = outcome.peerIntersectionSize;
    finished = store.finishRound(record.row, {
      status: outcome.status, mode: outcome.mode, localSetSize: outcome.ownSetSize, peerSetSize: outcome.peerSetSize, intersectionSize: ownClaim, peerClaimedSize: peerClaim,
      transcriptHash: outcome.transcriptHash, peerHead, reason: outcome.status === 'disputed' ? 'size-mismatch' : undefined,
      detail: outcome.status === 'disputed' ? `this node computed ${ownClaim}, ${record.peerId} claimed ${peerClaim}` : undefined,
      // The round worker staged the matches (node.md §2); the end checks their count.
      stagedMatches: outcome.stagedMatches, phases: outcome.phases, cost: outcome.cost,
      // SPEC §13.2: a key epoch's state moves only when a round completed, with the round's end.
      within: epoch === undefined || outcome.epoch === undefined || outcome.status !== 'completed'
        ? undefined
        : (row) => epoch.manager.apply(epoch.plan, row.row, outcome.epoch!),
      logLeaf: (row) => encodeRoundRecord({
        roundId: row.roundId, attempt: row.attempt, rosterDigest: roster.digest, slot: row.slot, initiatorId, responderId,
        status: outcome.status, reason: outcome.status === 'disputed' ? 'size-mismatch' : '', transcriptHash: outcome.transcriptHash,
        initiatorClaim: record.role === 'initiator' ? ownClaim : peerClaim, responderClaim: record.role === 'initiator' ? peerClaim : ownClaim,
        timestamp: host.now(), ...accounts, endedBy: null,
      }),
    });
  }
  host.signHead();
  host.metrics.rounds.inc({ peer: finished.peerId, status: finished.status, role: finished.role, origin: finished.origin });
  if (startedAt !== undefined) host.metrics.roundDuration.observe({ status: finished.status }, (host.now() - startedAt) / 1000);
  host.events.emit('final', hex(finished.roundId), finished);
  host.attemptFinished(finished, peer);
  return finished;
}

/** audit.md §3: the set sizes and evaluation counts of a leaf, by role, from what was recorded. */
function leafAccounts(role: RoundRole, recorded: AttemptRecord | undefined): Pick<AuditRecord, 'initiatorSetSize' | 'responderSetSize' | 'initiatorEvaluations' | 'responderEvaluations'> {
  if (recorded === undefined) return { initiatorSetSize: null, responderSetSize: null, initiatorEvaluations: 0, responderEvaluations: 0 };
  const mine = recorded.evaluationsSent;
  const theirs = recorded.evaluationsReceived;
  return {
    initiatorSetSize: recorded.setSizes.initiator, responderSetSize: recorded.setSizes.responder,
    initiatorEvaluations: role === 'initiator' ? mine : theirs, responderEvaluations: role === 'initiator' ? theirs : mine,
  };
}

/**
 * An attempt a previous process left open, aborted at start-up (node.md §6): its record rebuilt
 * from the frames the store holds, the same frames its transcript bundle will show.
 */
export function recordFromStore(store: Store, record: RoundRecord): AttemptRecord {
  const recorded = new AttemptRecord(record.role);
  for (const entry of store.transcript(record.row)) recorded.add(entry.direction, entry.message, frameInfoOf(entry.message));
  return recorded;
}

/**
 * node.md §6: an attempt a previous process left `scheduled` or `running` is aborted with reason
 * `daemon-restart` and gets its leaf, in one transaction; it is never resumed (its keys are gone).
 */
export function abortAfterRestart(host: Pick<AttemptHost, 'config' | 'roster' | 'now' | 'store'>, record: RoundRecord): RoundRecord {
  const initiatorId = record.role === 'initiator' ? host.config.id : record.peerId;
  const responderId = record.role === 'initiator' ? record.peerId : host.config.id;
  const recorded = recordFromStore(host.store, record);
  const attemptHash = recorded.attemptHash();
  const peerRole: RoundRole = record.role === 'initiator' ? 'responder' : 'initiator';
  const reason = 'daemon-restart';
  return host.store.finishRound(record.row, {
    status: 'aborted', reason, detail: 'the node restarted during the round', endedBy: record.role, abandoned: false,
    localSetSize: recorded.setSizes[record.role] ?? undefined, peerSetSize: recorded.setSizes[peerRole] ?? undefined,
    transcriptHash: attemptHash.length === 0 ? undefined : attemptHash,
    logLeaf: (row) => encodeRoundRecord({
      roundId: row.roundId, attempt: row.attempt, rosterDigest: host.roster.digest, slot: row.slot, initiatorId, responderId,
      status: 'aborted', reason, transcriptHash: attemptHash, initiatorClaim: null, responderClaim: null,
      timestamp: host.now(), ...leafAccounts(record.role, recorded), endedBy: record.role,
    }),
  });
}

export function kebab(reason: string): string {
  const cleaned = reason.toLowerCase().replace(/[^a-z0-9-]+/g, '-').replace(/^-+|-+$/g, '').slice(0, 63);
  return cleaned === '' ? 'unknown' : cleaned;
}

function transportOutcome(error: unknown, context: string): ComputeOutcome {
  const code = error instanceof VennError ? error.code : 'connection-lost';
  const detail = `${context}: ${(error as Error).message}`;
  return { status: 'aborted', reason: code === 'normal' ? 'connection-lost' : kebab(code), detail, peerLogHead: null, endedBy: 'peer' };
}

function withTimeout(promise: Promise<unknown>, ms: number, timers: Timers): Promise<void> {
  return new Promise((resolve) => {
    const handle = timers.setTimeout(resolve, ms);
    void promise.then(() => undefined, () => undefined).then(() => {
      timers.clearTimeout(handle);
      resolve();
    });
  });
}
