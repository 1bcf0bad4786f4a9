/**
 * Worker thread entry: runs one @venn/protocol round at a time for the main thread (see
 * round-compute.ts). All scalar multiplications of a round happen here, off the main thread.
 */
import { parentPort } from 'node:worker_threads';
import { randomBytes } from 'node:crypto';
import { ProtocolError } from '@venn/errors';
import { ready, wipe } from '@venn/crypto';
import { MAX_SET_SIZE, decodeMessage, encodeMessage, type LogHead } from '@venn/wire';
import { createRound, isAbortReason, type Outbound, type Round, type RoundResult } from '@venn/protocol';
import { frameInfoOf } from './frame-info.js';
import type { ComputeJob, ComputeOutcome, FromWorker, LabelValues, ToWorker } from './round-compute.js';
import { Store } from './store.js';

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

function post(message: FromWorker): void {
  port!.postMessage(message);
}

const frameInfo = frameInfoOf;

function sendAll(out: readonly Outbound[]): void {
  if (out.length > 0) post({ type: 'send', messages: out.map((o) => ({ bytes: o.bytes, ...frameInfo(o.bytes) })) });
}

function progress(): void {
  post({ type: 'progress', processed, total });
}

function logHeadOf(head: LogHead | null | undefined): ComputeOutcome['peerLogHead'] {
  return head === null || head === undefined ? null : { size: head.size, root: head.root, timestamp: head.timestamp, signature: head.signature };
}

function outcomeOf(result: RoundResult): ComputeOutcome {
  if (result.status === 'aborted') {
    return {
      status: 'aborted', reason: result.reason, detail: result.detail,
      ...(result.peerReason === undefined ? {} : { peerReason: result.peerReason }),
      ...(ownSetSize === undefined ? {} : { ownSetSize }),
      ...(peerOffer === undefined ? {} : { peerSetSize: peerOffer.setSize }),
      peerLogHead: logHeadOf(peerOffer?.logHead),
      phases: { ...phases },
    };
  }
  return {
    status: result.status, mode: result.mode, intersectionSize: result.intersectionSize, peerIntersectionSize: result.peerIntersectionSize,
    ownSetSize: result.ownSetSize, peerSetSize: result.peerSetSize, transcriptHash: result.transcriptHash,
    matches: result.matches.map((match) => (match.peerLabel === undefined ? { digest: match.element } : { digest: match.element, peerLabel: match.peerLabel as LabelValues })),
    peerLogHead: logHeadOf(result.peerOffer.logHead),
    phases: { ...phases },
  };
}

/** The round's outcome once it has one, reported once; the worker then drops the round and its key. */
function takeOutcome(): ComputeOutcome | undefined {
  if (round === undefined || reported || !round.done || round.result === undefined) return undefined;
  reported = true;
  const outcome = outcomeOf(round.result);
  if (job !== undefined) wipe(job.signingKey);
  round = undefined;
  return outcome;
}

function finishIfDone(): void {
  const outcome = takeOutcome();
  if (outcome !== undefined) post({ type: 'outcome', outcome });
}

/** The mode an ad-hoc responder runs: the initiator's, if its policy allows it (SPEC §4.1). */
function offeredMode(next: ComputeJob, first: Uint8Array): 'intersection' | 'cardinality' {
  try {
    const message = decodeMessage(first);
    if (message.kind === 'offer' && next.policy.modes.includes(message.mode) && (message.mode !== 'cardinality' || next.policy.semiHonestCardinality)) return message.mode;
  } catch {
    // The round refuses undecodable bytes with a typed abort.
  }
  // Not allowed: the round refuses the OFFER with policy-mismatch (SPEC §4.5 check 3).
  return next.policy.modes.find((mode) => mode !== 'cardinality' || next.policy.semiHonestCardinality) ?? 'intersection';
}

function start(next: ComputeJob, first?: Uint8Array): void {
  job = next;
  processed = 0;
  reported = false;
  peerOffer = undefined;
  ownSetSize = undefined;
  // The responder builds its round on the initiator's OFFER, not before (SPEC §4.4).
  if (next.role === 'responder' && first === undefined) return;
  const mode = next.mode === 'offered' ? offeredMode(next, first!) : next.mode;
  phases = {};
  // Read the own set here, off the main thread: one snapshot of every distinct digest.
  const store = Store.open(next.storePath, { readonly: true });
  let own;
  try {
    own = store.localElements();
  } finally {
    store.close();
  }
  const count = own.count;
  if (count > MAX_SET_SIZE) {
    // SPEC §3.1: a round carries at most MAX_SET_SIZE elements per side; say so instead of failing inside the round.
    throw new ProtocolError('set-too-large', `own lists hold ${count} distinct digests; a round carries at most ${MAX_SET_SIZE} (SPEC §3.1)`);
  }
  ownSetSize = count;
  total = count;
  const elements: Uint8Array[] = [];
  for (let i = 0; i < count; i++) elements.push(own.digests.subarray(i * 32, i * 32 + 32));
  let labels: Array<LabelValues | undefined> | undefined;
  if (next.policy.labelFields.length > 0 && own.labels.size > 0) {
    labels = new Array<LabelValues | undefined>(count).fill(undefined);
    for (let i = 0; i < count; i++) {
      const found = own.labels.get(Buffer.from(elements[i]!).toString('hex'));
      if (found !== undefined) labels[i] = found;
    }
  }
  round = createRound({
    role: next.role, roundId: next.roundId, rosterDigest: next.rosterDigest, selfId: next.selfId, peerId: next.peerId, mode,
    // The config schema bounds maxPeerSetSize by MAX_SET_SIZE; the allowance bounds it further (node.md §5.2).
    policy: { maxPeerSetSize: Math.min(next.policy.maxPeerSetSize, next.policy.evaluationAllowance), modes: [...next.policy.modes], labelFields: [...next.policy.labelFields] },
    elements, ...(labels === undefined ? {} : { labels }), signingKey: next.signingKey, peerPublicKey: next.peerPublicKey, logHead: next.logHead,
    rng: (n) => new Uint8Array(randomBytes(n)),
    phaseTimer: (phase, work) => {
      const began = performance.now();
      const value = work();
      phases[phase] = (phases[phase] ?? 0) + (performance.now() - began);
      if (phase === 'blind') {
        processed += count;
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
            total = count + message.setSize;
            peerOffer = { setSize: message.setSize, logHead: message.logHead };
          }
          if (message.kind === 'blinded') processed += message.points.length / 32;
        } catch {
          // The round itself rejects undecodable bytes with a typed abort.
        }
      }
    },
  });
  if (next.role === 'initiator') {
    sendAll(round.start());
    finishIfDone();
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
    post({ type: 'send', messages: [{ bytes: encodeMessage({ kind: 'abort', roundId: job.roundId, reason, detail: message.slice(0, 200) }), kind: 'abort', points: 0, setSize: null }] });
  }
  if (!reported) {
    reported = true;
    post({ type: 'outcome', outcome: { status: 'aborted', reason, detail: message, peerLogHead: null, phases: { ...phases } } });
  }
  round = undefined;
}

await ready();
port.on('message', (message: ToWorker) => {
  try {
    switch (message.type) {
      case 'start':
        start(message.job);
        return;
      case 'receive': {
        if (round === undefined && job !== undefined && !reported && job.role === 'responder') start(job, message.bytes);
        // Only frames the round takes in are part of the attempt's record (node.md §6).
        const live = round !== undefined && !round.done;
        const info = frameInfo(message.bytes);
        const out = live ? round!.receive(message.bytes) : [];
        if (live) progress();
        // One message: the frame as processed, what it made the round send, and the outcome if it
        // ended the round. The main thread records them in that order and settles before it reads
        // the next frame, so a peer that closes right after cannot race the outcome.
        const outcome = live ? takeOutcome() : undefined;
        post({
          type: 'consumed', seq: message.seq, processed: live, info,
          ...(out.length === 0 ? {} : { messages: out.map((o) => ({ bytes: o.bytes, ...frameInfo(o.bytes) })) }),
          ...(outcome === undefined ? {} : { outcome }),
        });
        return;
      }
      case 'cancel':
        if (round !== undefined && !round.done) {
          sendAll(round.abort(isAbortReason(message.reason) ? message.reason : 'cancelled', message.detail));
          finishIfDone();
        }
        return;
    }
  } catch (error) {
    if (message.type === 'receive') post({ type: 'consumed', seq: message.seq, processed: true, info: frameInfo(message.bytes) });
    fail(error);
  }
});
