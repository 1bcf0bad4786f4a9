/**
 * The main thread's handle on one round running in a worker thread: messages in (with an
 * acknowledgement per message, so socket reading pauses while the worker is busy), messages out,
 * progress, and the outcome. The worker side is round-worker.ts.
 */
import type { Worker } from 'node:worker_threads';
import type { LabelField, RoundMode } from './config.js';

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
  readonly mode: RoundMode;
  readonly policy: { readonly maxPeerSetSize: number; readonly modes: readonly RoundMode[]; readonly labelFields: readonly LabelField[] };
  /** The node's store: the worker reads the own set (distinct digests and labels) from it. */
  readonly storePath: string;
  readonly signingKey: Uint8Array;
  readonly peerPublicKey: Uint8Array;
  readonly logHead: WireLogHead | null;
  /** Responder: blind the own set before the peer's OFFER arrives. */
  readonly prestart: boolean;
}

export type ComputeOutcome =
  | {
      readonly status: 'completed' | 'disputed';
      readonly mode: RoundMode;
      readonly intersectionSize: number;
      readonly peerIntersectionSize: number;
      readonly ownSetSize: number;
      readonly peerSetSize: number;
      readonly transcriptHash: Uint8Array;
      /** Own digests the peer also holds, with the peer's labels. */
      readonly matches: ReadonlyArray<{ readonly digest: Uint8Array; readonly peerLabel?: LabelValues }>;
      readonly peerLogHead: WireLogHead | null;
      readonly phases?: PhaseTimings;
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
      /** The phases that ran before the abort. */
      readonly phases?: PhaseTimings;
    };

/** Milliseconds spent in each protocol phase (@venn/protocol's Phase names) of one attempt. */
export type PhaseTimings = Readonly<Record<string, number>>;

export type ToWorker =
  | { readonly type: 'start'; readonly job: ComputeJob }
  | { readonly type: 'receive'; readonly seq: number; readonly bytes: Uint8Array }
  | { readonly type: 'cancel'; readonly reason: string; readonly detail: string };

export type FromWorker =
  | { readonly type: 'send'; readonly messages: readonly Uint8Array[] }
  | { readonly type: 'consumed'; readonly seq: number }
  | { readonly type: 'progress'; readonly processed: number; readonly total: number }
  | { readonly type: 'outcome'; readonly outcome: ComputeOutcome }
  | { readonly type: 'failed'; readonly message: string };

export interface ComputeEvents {
  /** Messages to send to the peer, in order. */
  onSend(messages: readonly Uint8Array[]): void;
  onProgress(processed: number, total: number): void;
  onOutcome(outcome: ComputeOutcome): void;
}

export class RoundCompute {
  private seq = 0;
  private readonly pending = new Map<number, () => void>();
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
      this.pending.set(seq, resolve);
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

  private releaseAll(): void {
    for (const resolve of this.pending.values()) resolve();
    this.pending.clear();
  }

  private handle(message: FromWorker): void {
    switch (message.type) {
      case 'send':
        this.events.onSend(message.messages);
        return;
      case 'consumed': {
        const resolve = this.pending.get(message.seq);
        this.pending.delete(message.seq);
        resolve?.();
        return;
      }
      case 'progress':
        this.events.onProgress(message.processed, message.total);
        return;
      case 'outcome':
        if (this.finished) return;
        this.finished = true;
        this.clean = true;
        this.releaseAll();
        this.events.onOutcome(message.outcome);
        return;
      case 'failed':
        this.fail(message.message);
        return;
    }
  }

  private fail(detail: string): void {
    if (this.finished) return;
    this.finished = true;
    this.releaseAll();
    this.events.onOutcome({ status: 'aborted', reason: 'internal-error', detail, peerLogHead: null });
  }
}
