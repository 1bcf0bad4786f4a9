/**
 * Worker thread entry: runs one @venn/protocol round at a time for the main thread (see
 * round-compute.ts). All scalar multiplications of a round happen here, off the main thread.
 */
import { parentPort, workerData } from 'node:worker_threads';
import { setPriority } from 'node:os';
import { randomBytes } from 'node:crypto';
import { ProtocolError } from '@venn/errors';
import { ready, wipe } from '@venn/crypto';
import { MAX_SET_SIZE, decodeMessage, encodeMessage, type LogHead } from '@venn/wire';
import { createRound, isAbortReason, type Outbound, type OwnSet, type Round, type RoundResult } from '@venn/protocol';
import { epochChangesOf, epochOutcomeOf, epochRoundParts, type EpochRoundParts } from './epoch-worker.js';
import { EpochStore } from './epoch-store.js';
import { frameInfoOf } from './frame-info.js';
import type { ComputeJob, ComputeOutcome, FromWorker, LabelValues, RoundCost, ToWorker } from './round-compute.js';
import { Store, type PackedMatches } from './store.js';
import { threadCpuMs } from './thread-cpu.js';

const port = parentPort;
if (port === null) throw new Error('round-worker.js must run in a worker thread');

let round: Round | undefined;
let job: ComputeJob | undefined;
let processed = 0;
let total = 0;
let reported = false;
/** The peer's OFFER as decoded here, kept for the record even when the round rejects it. */
let peerOffer: { setSize: number; logHead: LogHead | null } | undefined;
let ownSetSize: number | undefined;
/** Time spent in each protocol phase of the current round (ms), reported with its outcome. */
let phases: Record<string, number> = {};
/** A round of a key epoch: its store connection and key, until the round ends (node.md §10.4). */
let epochParts: EpochRoundParts | undefined;
/** The current round's cost so far: points blinded and evaluated here, this thread's CPU time at its start. */
let blinded = 0;
let evaluated = 0;
let cpuAtStart: number | null = null;

/** What the round cost until now (node.md §2): one worker serves one round at a time, so this thread's CPU is the round's. */
function costNow(): RoundCost {
  const cpu = threadCpuMs();
  return { blinded, evaluated, cpuMs: cpu === null || cpuAtStart === null ? null : Math.max(0, cpu - cpuAtStart) };
}

function post(message: FromWorker): void {
  port!.postMessage(message);
}

const frameInfo = frameInfoOf;

/** At most this many message bytes (two full chunks) per record transaction and 'send' post. */
const SEND_POST_BYTES = 1 << 18;

/**
 * node.md §5.2, §6: this thread's own connection to the store, in which every frame of the
 * attempt is recorded, and the evaluations of EVALUATED chunks charged, before the frame is
 * handed to the main thread to be sent. The commits (synchronous FULL: an fsync each) happen
 * here, so they never stall the main thread's sessions and admin endpoint.
 */
let recorder: Store | undefined;
/** The store refused once: nothing more of this attempt is handed over. */
let recordFailed = false;

type Frame = ReturnType<typeof frameInfo> & { bytes: Uint8Array };

/** Records and charges `frames`; false (and the main thread told) if the store refused them. */
function recordSent(frames: readonly Frame[]): boolean {
  if (recordFailed || recorder === undefined || job === undefined) return false;
  try {
    recorder.recordSent(job.row, frames.map((frame) => ({ message: frame.bytes, evaluations: frame.kind === 'evaluated' ? frame.points : 0 })));
    return true;
  } catch (error) {
    recordFailed = true;
    const code = (error as { code?: unknown }).code;
    post({ type: 'record-failed', code: typeof code === 'string' ? code : 'internal-error', message: error instanceof Error ? error.message : String(error) });
    return false;
  }
}

function sendAll(out: readonly Outbound[]): void {
  let batch: Frame[] = [];
  let bytes = 0;
  const flush = (): boolean => {
    if (batch.length === 0) return true;
    if (!recordSent(batch)) return false;
    post({ type: 'send', messages: batch });
    batch = [];
    bytes = 0;
    return true;
  };
  for (const o of out) {
    if (batch.length > 0 && bytes + o.bytes.length > SEND_POST_BYTES && !flush()) return;
    batch.push({ bytes: o.bytes, ...frameInfo(o.bytes) });
    bytes += o.bytes.length;
  }
  flush();
}

/** The frame being received was recorded (so a failure after that does not record it twice). */
let receivedRecorded = false;

function closeRecorder(): void {
  recorder?.close();
  recorder = undefined;
}

function progress(): void {
  post({ type: 'progress', processed, total });
}

function logHeadOf(head: LogHead | null | undefined): ComputeOutcome['peerLogHead'] {
  return head === null || head === undefined ? null : { size: head.size, root: head.root, timestamp: head.timestamp, signature: head.signature };
}

/** The matches of a finished round, packed: own digests the peer also holds, with the peer's labels by index. */
function matchesOf(result: Extract<RoundResult, { status: 'completed' | 'disputed' }>): PackedMatches {
  // SPEC §13.7: an epoch round's matches are its new matches, with labels by index.
  const epoch = result.epoch;
  const labels = new Map<number, LabelValues>();
  if (epoch === undefined) {
    result.matches.forEach((index, i) => {
      const peerLabel = result.peerLabels.get(index);
      if (peerLabel !== undefined) labels.set(i, peerLabel as LabelValues);
    });
    return { digests: result.matchedDigests.subarray(0, result.matches.length * 32), labels };
  }
  for (const [i, peerLabel] of epoch.newMatchLabels) labels.set(i, peerLabel as LabelValues);
  return { digests: epoch.newMatches, labels };
}

function abortedOutcome(reason: string, detail: string, result?: RoundResult): ComputeOutcome {
  const peerReason = result?.status === 'aborted' ? result.peerReason : undefined;
  return {
    status: 'aborted', reason, detail,
    ...(peerReason === undefined ? {} : { peerReason }),
    ...(ownSetSize === undefined ? {} : { ownSetSize }),
    ...(peerOffer === undefined ? {} : { peerSetSize: peerOffer.setSize }),
    ...(result?.mode === undefined ? {} : { mode: result.mode }),
    peerLogHead: logHeadOf(peerOffer?.logHead),
    phases: { ...phases },
    cost: costNow(),
  };
}

function outcomeOf(result: RoundResult, stagedMatches: number): ComputeOutcome {
  if (result.status === 'aborted') return abortedOutcome(result.reason, result.detail, result);
  return {
    status: result.status, mode: result.mode, intersectionSize: result.intersectionSize, peerIntersectionSize: result.peerIntersectionSize,
    ownSetSize: result.ownSetSize, peerSetSize: result.peerSetSize, transcriptHash: result.transcriptHash,
    stagedMatches,
    peerLogHead: logHeadOf(result.peerOffer.logHead),
    phases: { ...phases },
    cost: costNow(),
    ...(result.epoch === undefined ? {} : { epoch: epochOutcomeOf(result, epochParts?.more ?? false, epochParts?.ownSet.size ?? 0, epochParts?.listsMark ?? '') }),
  };
}

/**
 * The round's outcome once it has one, reported once; the worker then drops the round and its key.
 * A finished round's matches are written first, staged in this thread's connection (node.md §2),
 * with a completed epoch round's state changes (§10.4), so the main thread's commit of the end
 * only checks their count and marks them applied. `last` are the frames the
 * round's final step made it send (its FINISH): recorded after the matches, and only if the store
 * took them; if it refused, the attempt ends aborted (internal-error) and they are not sent.
 */
function takeOutcome(last: readonly Frame[] = []): { outcome: ComputeOutcome; last: readonly Frame[] } | undefined {
  if (round === undefined || reported || !round.done || round.result === undefined) return undefined;
  reported = true;
  const result = round.result;
  let outcome: ComputeOutcome;
  let leaving = last;
  if (result.status === 'aborted') {
    outcome = outcomeOf(result, 0);
  } else {
    try {
      if (recorder === undefined || job === undefined) throw new Error('the round has no store connection');
      const staged = recorder.stagePackedMatches(job.row, matchesOf(result));
      // node.md §10.4: a completed epoch round's changes are staged here too; the end applies them.
      if (result.status === 'completed' && result.epoch !== undefined && job.epoch !== undefined) {
        new EpochStore(recorder).stageRound(job.epoch.epochRow, job.row, epochChangesOf(result));
      }
      outcome = outcomeOf(result, staged);
    } catch (error) {
      outcome = abortedOutcome('internal-error', `recording the round's matches and changes failed: ${error instanceof Error ? error.message : String(error)}`.slice(0, 200));
      leaving = [];
    }
  }
  if (leaving.length > 0 && !recordSent(leaving)) leaving = [];
  if (job !== undefined) wipe(job.signingKey);
  closeRecorder();
  epochParts?.close();
  epochParts = undefined;
  round = undefined;
  return { outcome, last: leaving };
}

function finishIfDone(): void {
  const taken = takeOutcome();
  if (taken !== undefined) post({ type: 'outcome', outcome: taken.outcome });
}

/**
 * The own set, read from the store by the worker when the round asks for it: the initiator at
 * start(), the responder only once the initiator's OFFER passed every check (SPEC §4.4). The
 * size comes from a count, so nothing is read for a peer that is refused.
 */
function ownSetOf(next: ComputeJob): OwnSet {
  const store = Store.open(next.storePath, { readonly: true });
  let size: number;
  try {
    size = store.distinctDigestCount();
  } finally {
    store.close();
  }
  if (size > MAX_SET_SIZE) {
    // SPEC §3.1: a round carries at most MAX_SET_SIZE elements per side; say so instead of failing inside the round.
    throw new ProtocolError('set-too-large', `own lists hold ${size} distinct digests; a round carries at most ${MAX_SET_SIZE} (SPEC §3.1)`);
  }
  return {
    size,
    load: () => {
      const snapshot = Store.open(next.storePath, { readonly: true });
      try {
        // One read transaction, digests in ascending byte order (distinct), labels by digest.
        const own = snapshot.localElements(next.identifierRules);
        if (own.count !== size) throw new ProtocolError('internal-error', `own lists changed between count (${size}) and read (${own.count}); the next attempt reads them again`);
        const labels = next.policy.labelFields.length > 0 && own.labels.size > 0 ? own.labels : undefined;
        return {
          digests: own.digests,
          ...(labels === undefined ? {} : { labelOf: (index: number) => labels.get(Buffer.from(own.digests.subarray(index * 32, index * 32 + 32)).toString('hex')) }),
        };
      } finally {
        snapshot.close();
      }
    },
  };
}

function start(next: ComputeJob): void {
  cpuAtStart = threadCpuMs();
  blinded = 0;
  evaluated = 0;
  job = next;
  closeRecorder();
  recordFailed = false;
  recorder = Store.open(next.storePath);
  processed = 0;
  reported = false;
  peerOffer = undefined;
  phases = {};
  epochParts?.close();
  epochParts = next.epoch === undefined ? undefined : epochRoundParts(next.storePath, next.epoch, recorder);
  const ownSet = epochParts?.ownSet ?? ownSetOf(next);
  ownSetSize = ownSet.size;
  total = ownSet.size;
  round = createRound({
    role: next.role, roundId: next.roundId, rosterDigest: next.rosterDigest, selfId: next.selfId, peerId: next.peerId, mode: next.mode,
    // The config schema bounds maxPeerSetSize by MAX_SET_SIZE; the allowance bounds it further (node.md §5.2).
    policy: {
      maxPeerSetSize: next.policy.maxPeerSetSize, evaluationAllowance: Math.min(next.policy.evaluationAllowance, next.policy.maxPeerSetSize),
      modes: [...next.policy.modes], labelFields: [...next.policy.labelFields], semiHonestCardinality: next.policy.semiHonestCardinality,
      allowIdentifierRulesMismatch: next.policy.allowIdentifierRulesMismatch,
    },
    identifierRules: next.identifierRules, ownSet, signingKey: next.signingKey, peerPublicKey: next.peerPublicKey, logHead: next.logHead,
    ...(epochParts === undefined ? {} : { epoch: epochParts.epoch }),
    rng: (n) => new Uint8Array(randomBytes(n)),
    phaseTimer: (phase, work) => {
      const began = performance.now();
      const value = work();
      phases[phase] = (phases[phase] ?? 0) + (performance.now() - began);
      // Progress counts points: this party's own, blinded chunk by chunk, then the peer's, evaluated.
      if ((phase === 'blind' || phase === 'evaluate') && value instanceof Uint8Array) {
        processed += value.length / 32;
        if (phase === 'blind') blinded += value.length / 32;
        else evaluated += value.length / 32;
        progress();
      }
      return value;
    },
    onMessage: (record) => {
      if (record.direction !== 'received') return;
      if (record.kind === 'offer' || record.kind === 'blinded') {
        try {
          const message = decodeMessage(record.bytes);
          if (message.kind === 'offer') {
            total = ownSet.size + message.setSize;
            peerOffer = { setSize: message.setSize, logHead: message.logHead };
          }
        } catch {
          // The round itself rejects undecodable bytes with a typed abort.
        }
      }
    },
  });
  if (next.role === 'initiator') {
    sendAll(round.start());
    // Blind now, while the responder checks the OFFER and blinds its own set.
    sendAll(round.precompute());
    finishIfDone();
  }
}

/**
 * node.md §1 `workerNice`: on Linux a thread has its own nice value, and setpriority(2) on pid 0
 * sets the calling thread's alone, so this thread yields to the daemon's main thread. Elsewhere
 * pid 0 would be the whole process, so nothing is changed.
 */
function lowerPriority(nice: unknown): void {
  if (process.platform !== 'linux' || typeof nice !== 'number' || !Number.isInteger(nice) || nice <= 0) return;
  try {
    setPriority(0, Math.min(19, nice));
  } catch {
    // Not permitted here (a sandbox): the worker runs at the daemon's priority.
  }
}

function fail(error: unknown): void {
  // A local error (invalid options, a bug): end the round with an ABORT the peer can read.
  const message = error instanceof Error ? error.message : String(error);
  const code = (error as { code?: unknown }).code;
  const reason = typeof code === 'string' && isAbortReason(code) ? code : 'internal-error';
  if (round !== undefined && !round.done) sendAll(round.abort(reason, message.slice(0, 200)));
  else if (round === undefined && job !== undefined && !reported) {
    // The round could not even be created: still tell the peer, in its own language.
    const frames: Frame[] = [{ bytes: encodeMessage({ kind: 'abort', roundId: job.roundId, reason, detail: message.slice(0, 200) }), kind: 'abort', points: 0, setSize: null }];
    if (recordSent(frames)) post({ type: 'send', messages: frames });
  }
  if (!reported) {
    reported = true;
    post({ type: 'outcome', outcome: { status: 'aborted', reason, detail: message, peerLogHead: null, phases: { ...phases }, cost: costNow() } });
  }
  closeRecorder();
  epochParts?.close();
  epochParts = undefined;
  if (job?.epoch !== undefined) wipe(job.epoch.key);
  round = undefined;
}

lowerPriority((workerData as { nice?: unknown } | null)?.nice);
await ready();
port.on('message', (message: ToWorker) => {
  try {
    switch (message.type) {
      case 'start':
        start(message.job);
        return;
      case 'receive': {
        // Only frames the round takes in are part of the attempt's record (node.md §6).
        const live = round !== undefined && !round.done;
        const info = frameInfo(message.bytes);
        receivedRecorded = false;
        const out = live ? round!.receive(message.bytes) : [];
        // A frame that ended the round: its last frames (FINISH) travel with the outcome in one
        // message, so the main thread commits the end before they leave.
        let last: Frame[] | undefined;
        if (live) {
          progress();
          // The frame the round took in is recorded first, then what it made the round send.
          recorder?.recordReceived(job!.row, { message: message.bytes, evaluations: info.kind === 'evaluated' ? info.points : 0 });
          receivedRecorded = true;
          if (round!.done) last = out.map((o) => ({ bytes: o.bytes, ...frameInfo(o.bytes) }));
          else sendAll(out);
        }
        // Last, one message: the frame as processed and the outcome if it ended the round, with
        // its last frames (recorded in takeOutcome). The main thread settles before it reads the
        // next frame, so a peer that closes right after cannot race the outcome.
        const taken = live ? takeOutcome(last) : undefined;
        post({
          type: 'consumed', seq: message.seq, processed: live, info,
          ...(taken === undefined || taken.last.length === 0 ? {} : { messages: taken.last }),
          ...(taken === undefined ? {} : { outcome: taken.outcome }),
        });
        return;
      }
      case 'cancel':
        // The main thread sends (and records) its own ABORT and stops listening: nothing of this
        // round's abort is handed over, so nothing of it is recorded here.
        if (round !== undefined && !round.done) {
          round.abort(isAbortReason(message.reason) ? message.reason : 'cancelled', message.detail);
          finishIfDone();
        }
        return;
    }
  } catch (error) {
    if (message.type === 'receive') {
      // The main thread counts the frame as processed: the store holds it as well.
      if (!receivedRecorded && job !== undefined) {
        try {
          recorder?.recordReceived(job.row, { message: message.bytes, evaluations: 0 });
        } catch {
          // The store refused it too; the attempt ends with fail() below either way.
        }
      }
      post({ type: 'consumed', seq: message.seq, processed: true, info: frameInfo(message.bytes) });
    }
    fail(error);
  }
});
