/**
 * The main thread's handle on one round running in a worker thread: messages in (with an
 * acknowledgement per message, so socket reading pauses while the worker is busy), messages out,
 * progress, and the outcome. The worker side is round-worker.ts.
 */
import type { Worker } from 'node:worker_threads';
import type { LabelField, RoundMode } from './config.js';
import type { EpochDelta } from './epoch-store.js';

export interface LabelValues {
  readonly category?: string;
  readonly firstSeen?: string;
  readonly reason?: string;
}

export interface WireLogHead {
  readonly size: number;
  readonly root: Uint8Array;
  readonly timestamp: number;
  readonly signature: Uint8Array;
}

/** Everything the worker needs to run one attempt; structured-cloned into the worker. */
export interface ComputeJob {
  readonly role: 'initiator' | 'responder';
  readonly roundId: Uint8Array;
  readonly rosterDigest: Uint8Array;
  readonly selfId: string;
  readonly peerId: string;
  /** The round's mode; 'offered' for the responder of an ad-hoc round (SPEC §4.1). */
  readonly mode: RoundMode | 'offered';
  /** The identifier rules string this node's lists were built under (identifiers.md §13), sent in the OFFER. */
  readonly identifierRules: string;
  readonly policy: {
    readonly maxPeerSetSize: number;
    /** This attempt's evaluation allowance (node.md §5.2), at most maxPeerSetSize. */
    readonly evaluationAllowance: number;
    readonly modes: readonly RoundMode[];
    readonly labelFields: readonly LabelField[];
    readonly semiHonestCardinality: boolean;
    readonly allowIdentifierRulesMismatch: boolean;
  };
  /** The node's store: the worker reads the own set (distinct digests and labels) from it. */
  readonly storePath: string;
  /**
   * The attempt's row: the worker records every frame of the attempt there, and charges the
   * evaluations of an EVALUATED chunk, in its own connection before it hands the frame over to be
   * sent (node.md §5.2, §6), so the commits and their fsyncs never hold the main thread.
   */
  readonly row: number;
  readonly signingKey: Uint8Array;
  readonly peerPublicKey: Uint8Array;
  readonly logHead: WireLogHead | null;
  /** A round of a key epoch (SPEC §13, node.md §10); absent for a plain round. */
  readonly epoch?: EpochJob;
}

/** What the worker needs of a key epoch for one of its rounds (node.md §10.4). */
export interface EpochJob {
  readonly epochRow: number;
  readonly id: Uint8Array;
  readonly index: number;
  readonly previousHash: Uint8Array;
  /** k_X, read from the key store for this round; the worker wipes it when the round ends */
  readonly key: Uint8Array;
  readonly peerKey: Uint8Array | null;
  readonly ownCount: number;
  readonly peerCount: number;
  readonly intersectionSize: number;
  readonly maxPeerEpochSetSize: number;
  /** the most additions this round carries (MAX_SET_SIZE, or less for what the peer's caps allow) */
  readonly maxAdditions: number;
}

/**
 * What a completed epoch round changed, as its worker reports it to the main thread: the counts
 * and the epoch row's new values (epoch-store.ts EpochDelta). The changes themselves are staged
 * in the store by the worker (node.md §10.4).
 */
export type EpochOutcome = EpochDelta;

export type ComputeOutcome =
  | {
      readonly status: 'completed' | 'disputed';
      readonly mode: RoundMode;
      readonly intersectionSize: number;
      readonly peerIntersectionSize: number;
      readonly ownSetSize: number;
      readonly peerSetSize: number;
      readonly transcriptHash: Uint8Array;
      /**
       * How many matches (own digests the peer also holds, with the peer's labels) the round
       * worker wrote in the store, staged for this attempt, before it reported the outcome
       * (node.md §2): the end's transaction checks that exactly these rows are present.
       */
      readonly stagedMatches: number;
      readonly peerLogHead: WireLogHead | null;
      readonly phases?: PhaseTimings;
      readonly cost?: RoundCost;
      /** A round of a key epoch: what it changed (node.md §10.4). */
      readonly epoch?: EpochOutcome;
    }
  | {
      readonly status: 'aborted';
      readonly reason: string;
      /** The peer's own code when it sent ABORT. */
      readonly peerReason?: string;
      readonly detail: string;
      readonly ownSetSize?: number;
      readonly peerSetSize?: number;
      readonly peerLogHead: WireLogHead | null;
      /** Who ended the attempt when the outcome does not say it otherwise (a peer's ABORT names the peer). */
      readonly endedBy?: 'self' | 'peer';
      /** The phases that ran before the abort. */
      readonly phases?: PhaseTimings;
      /** What the attempt cost until it ended, when its worker reported it. */
      readonly cost?: RoundCost;
    };

/**
 * What one attempt cost this node in its worker (node.md §2): the elements it blinded (its own,
 * one scalar multiplication each) and evaluated (the peer's, one each), counted as computed, and
 * the CPU time of the worker thread from the attempt's start to its end (null where the
 * platform does not tell a thread's CPU time).
 */
export interface RoundCost {
  readonly blinded: number;
  readonly evaluated: number;
  readonly cpuMs: number | null;
}

/** Milliseconds spent in each protocol phase (@venn/protocol's Phase names) of one attempt. */
export type PhaseTimings = Readonly<Record<string, number>>;

export type ToWorker =
  | { readonly type: 'start'; readonly job: ComputeJob }
  | { readonly type: 'receive'; readonly seq: number; readonly bytes: Uint8Array }
  | { readonly type: 'cancel'; readonly reason: string; readonly detail: string };

/**
 * What the worker knows of a frame it produced or processed, so the main thread can record it and
 * charge evaluations without decoding peer bytes itself (node.md §5.2, §6).
 */
export interface FrameInfo {
  /** The message type, or null for a received frame that did not decode (SPEC §5.1). */
  readonly kind: 'offer' | 'blinded' | 'evaluated' | 'proof' | 'labels' | 'finish' | 'abort' | 'removed' | null;
  /** Points of a BLINDED, EVALUATED or REMOVED chunk; 0 otherwise. */
  readonly points: number;
  /** `n` of an OFFER; null otherwise. */
  readonly setSize: number | null;
  /** An OFFER of a round of a key epoch (it carries `ep`, SPEC §13.3). */
  readonly epoch?: true;
}

export interface OutboundFrame extends FrameInfo {
  readonly bytes: Uint8Array;
}

export type FromWorker =
  | { readonly type: 'send'; readonly messages: readonly OutboundFrame[] }
  /** `processed`: the round took the frame in (it is part of the attempt's record); false after the round ended. */
  | {
      readonly type: 'consumed'; readonly seq: number; readonly processed: boolean; readonly info: FrameInfo;
      /** What processing the frame made the round send. */
      readonly messages?: readonly OutboundFrame[];
      /** The round's outcome, when this frame ended it. */
      readonly outcome?: ComputeOutcome;
    }
  | { readonly type: 'progress'; readonly processed: number; readonly total: number }
  /** The store refused to record (or charge) frames: nothing of them was handed over; the attempt must end. */
  | { readonly type: 'record-failed'; readonly code: string; readonly message: string }
  | { readonly type: 'outcome'; readonly outcome: ComputeOutcome }
  | { readonly type: 'failed'; readonly message: string };

export interface ComputeEvents {
  /** Messages to send to the peer, in order; the worker has recorded (and charged) them already. */
  onSend(messages: readonly OutboundFrame[]): void;
  /** A received frame the round processed (or ignored, `processed` false, once it had ended); the worker recorded a processed one. */
  onConsumed(bytes: Uint8Array, processed: boolean, info: FrameInfo): void;
  onProgress(processed: number, total: number): void;
  /** The worker could not record frames it was about to hand over (node.md §5.2): the attempt ends with `code`. */
  onRecordFailed(code: string, message: string): void;
  onOutcome(outcome: ComputeOutcome): void;
}

export class RoundCompute {
  private seq = 0;
  private readonly pending = new Map<number, { readonly bytes: Uint8Array; readonly resolve: () => void }>();
  private finished = false;
  /** True once the worker itself reported the outcome: it is in a clean state for reuse. */
  private clean = false;
  private readonly onMessage: (message: FromWorker) => void;
  private readonly onError: (error: Error) => void;
  private readonly onExit: (code: number) => void;

  constructor(private readonly worker: Worker, private readonly events: ComputeEvents) {
    this.onMessage = (message) => this.handle(message);
    this.onError = (error) => this.fail(`round worker error: ${error.message}`);
    this.onExit = (code) => this.fail(`round worker exited with code ${code}`);
    worker.on('message', this.onMessage);
    worker.on('error', this.onError);
    worker.on('exit', this.onExit);
    worker.ref();
  }

  start(job: ComputeJob): void {
    this.post({ type: 'start', job });
  }

  /** Resolves once the worker has processed the message (or the round has ended). */
  receive(bytes: Uint8Array): Promise<void> {
    if (this.finished) return Promise.resolve();
    const seq = ++this.seq;
    return new Promise((resolve) => {
      this.pending.set(seq, { bytes, resolve });
      this.post({ type: 'receive', seq, bytes });
    });
  }

  cancel(reason: string, detail: string): void {
    if (!this.finished) this.post({ type: 'cancel', reason, detail });
  }

  /** Detaches from the worker; returns whether it can serve another round. */
  detach(): boolean {
    this.worker.off('message', this.onMessage);
    this.worker.off('error', this.onError);
    this.worker.off('exit', this.onExit);
    this.worker.unref();
    this.releaseAll();
    return this.clean;
  }

  private post(message: ToWorker): void {
    this.worker.postMessage(message);
  }

  /** Frames the worker never got to are not part of the attempt's record (node.md §6). */
  private releaseAll(): void {
    for (const { resolve } of this.pending.values()) resolve();
    this.pending.clear();
  }

  private handle(message: FromWorker): void {
    switch (message.type) {
      case 'send':
        this.events.onSend(message.messages);
        return;
      case 'consumed': {
        const entry = this.pending.get(message.seq);
        this.pending.delete(message.seq);
        if (entry !== undefined) this.events.onConsumed(entry.bytes, message.processed, message.info);
        if (message.messages !== undefined) this.events.onSend(message.messages);
        if (message.outcome !== undefined) this.finish(message.outcome);
        entry?.resolve();
        return;
      }
      case 'progress':
        this.events.onProgress(message.processed, message.total);
        return;
      case 'record-failed':
        this.events.onRecordFailed(message.code, message.message);
        return;
      case 'outcome':
        this.finish(message.outcome);
        return;
      case 'failed':
        this.fail(message.message);
        return;
    }
  }

  private finish(outcome: ComputeOutcome): void {
    if (this.finished) return;
    this.finished = true;
    this.clean = true;
    this.releaseAll();
    this.events.onOutcome(outcome);
  }

  private fail(detail: string): void {
    if (this.finished) return;
    this.finished = true;
    this.releaseAll();
    this.events.onOutcome({ status: 'aborted', reason: 'internal-error', detail, peerLogHead: null });
  }
}
