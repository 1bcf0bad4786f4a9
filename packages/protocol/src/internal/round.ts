/**
 * The Venn round (protocol-spec/SPEC.md §4) as a sans-I/O state machine: feed it frames, it returns
 * frames to send, and finally a result. No sockets, no clocks, randomness only from options.rng.
 * It never waits: after each call it returns everything the sending rules of SPEC §4.4 allow.
 */
import { CodecError, CryptoError, InternalError, ProtocolError, ValidationError, VennError } from '@venn/errors';
import {
  decodePoint,
  ed25519Sign,
  ed25519Verify,
  hashToGroupMany,
  randomScalar,
  scalarBaseMult,
  scalarMultPacked,
  validatePackedPoints,
  wipe,
} from '@venn/crypto';
import {
  MAX_ABORT_DETAIL_BYTES,
  MAX_CHUNK_POINTS,
  MAX_LABEL_ENTRIES,
  POINT_BYTES,
  PROOF_BYTES,
  PROTOCOL_VERSION,
  decodeMessage,
  encodeMessage,
  pointChunkCount,
  pointChunkLength,
  type BlindedMessage,
  type EvaluatedMessage,
  type FinishMessage,
  type LabelEntry,
  type LabelField,
  type LabelValues,
  type LabelsMessage,
  type Message,
  type Mode,
  type OfferMessage,
  type ProofMessage,
  type RemovedMessage,
} from '@venn/wire';
import type { AbortReason } from './abort.js';
import { HASH_TO_GROUP_DST } from './constants.js';
import { EpochBook, checkEpochOffer, checkEpochState, validateEpochInput, type EpochRoundInput, type EpochRoundResult, type EpochState } from './epoch.js';
import { finishSignatureInput } from './finish.js';
import { canonicalLabelFields, runnableModes, validateLabel, validateOptions } from './options.js';
import { checkLoadedOwnSet, type LoadedOwnSet } from './own-set.js';
import { PointTable } from './point-table.js';
import { generateChunkProof, generateSumProof, verifyChunkProof, verifySumProof } from './proof.js';
import { releaseNeed } from './release.js';
import { otherRole, type Role } from './roles.js';
import { randomPermutation } from './shuffle.js';
import { Transcript, type TranscriptKind } from './transcript.js';
import type { AbortedResult, CompletedResult, Outbound, PhaseTimer, RoundOptions, RoundResult } from './types.js';

export interface Round {
  readonly role: Role;
  /** true once `result` is set */
  readonly done: boolean;
  readonly result: RoundResult | undefined;
  /**
   * The initiator draws its round key, reads its own set (`ownSet.load()`, checked) and returns
   * its OFFER; a set that fails the checks throws a ValidationError before anything is sent (the
   * round then ends aborted with internal-error, its key wiped). The
   * responder gets nothing and may skip calling it: it reads its set only once the initiator's
   * OFFER passed every check (SPEC §4.4).
   */
  start(): Outbound[];
  /**
   * Blinds the own set now if SPEC §4.4 allows it (the initiator, after start()), so that the
   * blinding overlaps the peer's work; otherwise a no-op. Without it the initiator blinds when
   * the responder's OFFER is accepted. Returns an ABORT to send if blinding fails.
   */
  precompute(): Outbound[];
  /**
   * Processes one frame from the peer. Returns what to send, in order. A peer that breaks the
   * rules gets an ABORT in the returned list and the round ends with an 'aborted' result; this
   * method throws only for local misuse (before start, after the end).
   */
  receive(frame: Uint8Array): Outbound[];
  /** Ends the round locally (timeout, shutdown); returns the ABORT to send, or nothing if already done. */
  abort(reason: AbortReason, detail?: string): Outbound[];
}

export function createRound(options: RoundOptions): Round {
  return new VennRound(options);
}

const untimed: PhaseTimer = (_phase, work) => work();
const utf8 = new TextEncoder();
const CHUNK_BYTES = MAX_CHUNK_POINTS * POINT_BYTES;

function truncateUtf8(text: string, maxBytes: number): string {
  if (utf8.encode(text).length <= maxBytes) return text;
  let cut = text.slice(0, maxBytes);
  while (utf8.encode(cut).length > maxBytes) cut = cut.slice(0, -1);
  return cut;
}

/** Chunk `seq` of a packed stream of `total` points, without copying. */
function chunkOf(points: Uint8Array, total: number, seq: number): Uint8Array {
  const start = seq * CHUNK_BYTES;
  return points.subarray(start, start + pointChunkLength(total, seq) * POINT_BYTES);
}

const EMPTY = new Uint8Array(0);

class VennRound implements Round {
  readonly role: Role;
  private readonly peerRole: Role;
  private readonly options: RoundOptions;
  private readonly time: PhaseTimer;
  private readonly transcript = new Transcript();
  private readonly labelPolicy: LabelField[];
  /** n_X, known before the set is read; in an epoch round the responder may lower it to the peer's caps (SPEC §13.6) */
  private ownCount: number;
  /** SPEC §13: the epoch this round belongs to, if any */
  private readonly epochInput: EpochRoundInput | undefined;
  private epochState: EpochState | undefined;
  private epochBook: EpochBook | undefined;
  private ownRemovedSent = false;
  private peerRemovedChunks = 0;
  private epochOutcome: Omit<EpochRoundResult, 'newMatchLabels'> | undefined;
  /** epoch rounds: the own addition behind each new match (j), or −1 for an element already in the epoch */
  private newMatchAddition: Int32Array = new Int32Array(0);
  private epochMatches: Uint8Array = EMPTY; // epoch rounds: the new matches' digests

  private started = false;
  private finished: RoundResult | undefined;
  /** the round's mode: fixed by the options, or taken from the accepted OFFER ('offered') */
  private mode: Mode | undefined;

  // Own side. Position p of the blinded list carries digest order[p] (SPEC §4.2 π).
  private own: LoadedOwnSet | undefined;
  private order: Uint32Array = new Uint32Array(0);
  private key: Uint8Array | undefined; // k, the per-round secret scalar (SPEC §3.3)
  private publicKey: Uint8Array = EMPTY; // K = k·G
  private ownBlinded: Uint8Array | undefined; // C_X, packed, in stream order
  private ownOffer: OfferMessage | undefined;
  private ownBlindedSent = false;

  // Peer side.
  private peerOffer: OfferMessage | undefined;
  private labelFields: LabelField[] = []; // agreed fields, SPEC §5.7
  private peerBlinded: Uint8Array = EMPTY; // C_Y, in its stream order
  private peerBlindedChunks = 0;
  private evaluations: Uint8Array = EMPTY; // E_X = k·C_Y, computed as C_Y arrives
  private preHash: Uint8Array | undefined; // TH_pre, once both BLINDED streams are complete
  private evaluatedSent = 0; // own EVALUATED chunks sent
  private proofSent = false; // cardinality: own PROOF
  private returned: Uint8Array = EMPTY; // D_X = k_Y·C_X, as the peer returned it
  private returnedChunks = 0; // peer EVALUATED chunks accepted
  private peerProofVerified = false; // cardinality: the peer's PROOF
  private evaluationsSent = 0;
  private evaluationsReceived = 0;

  // Result, labels, FINISH.
  private matched = false;
  private intersectionSize = 0;
  private matchedPositions: Uint32Array = new Uint32Array(0); // own blinded positions p, ascending
  private matchedValues: PointTable | undefined; // D_X[p] of matched p (epoch: of new matches), for LABELS keys
  private epochMatchValues: Uint8Array = EMPTY; // epoch rounds: D of each new match, in new-match order
  private labelsSent = false;
  private peerLabelChunks = 0;
  private peerLabelsDone = false;
  private peerLabels = new Map<number, LabelValues>(); // by own index
  private transcriptHash: Uint8Array | undefined;
  private ownFinish: FinishMessage | undefined;

  constructor(options: RoundOptions) {
    validateOptions(options);
    this.options = options;
    this.role = options.role;
    this.peerRole = otherRole(options.role);
    this.time = options.phaseTimer ?? untimed;
    this.labelPolicy = canonicalLabelFields(options.policy.labelFields);
    this.ownCount = options.ownSet.size;
    if (options.mode !== 'offered') this.mode = options.mode;
    this.epochInput = options.epoch;
    if (this.epochInput !== undefined) {
      validateEpochInput(this.epochInput);
      // SPEC §13.1: epochs run in intersection mode only.
      if (options.mode !== 'intersection') throw new ValidationError('invalid-option', `"mode" expected intersection in an epoch round, got ${String(options.mode)}`);
    }
  }

  get done(): boolean {
    return this.finished !== undefined;
  }

  get result(): RoundResult | undefined {
    return this.finished;
  }

  start(): Outbound[] {
    if (this.started) throw new InternalError('round-already-started', 'start() was already called');
    if (this.finished) throw new InternalError('round-closed', `the round is already ${this.finished.status}`);
    this.started = true;
    if (this.role === 'responder') return [];
    // SPEC §4.4 S1. Appendix A: k is the first draw; the set is read once the OFFER is certain to go.
    this.ownOffer = this.buildOffer();
    try {
      this.loadOwnSet();
    } catch (error) {
      // Nothing was sent: end the round here, without the key, and report the local fault.
      const cause = error instanceof VennError ? error : new InternalError('internal-error', String(error), { cause: error });
      this.finished = this.abortedResult('internal-error', cause.message, new ProtocolError('internal-error', cause.message, { cause }));
      this.release();
      throw error;
    }
    const out: Outbound[] = [];
    this.send(out, this.ownOffer);
    return this.emit(out);
  }

  precompute(): Outbound[] {
    if (this.finished || !this.started || this.own === undefined || this.ownBlinded !== undefined) return [];
    try {
      this.blindOwnSet();
    } catch (error) {
      return this.emit(this.failFrom(error));
    }
    return [];
  }

  receive(frame: Uint8Array): Outbound[] {
    if (this.finished) {
      throw new ProtocolError('unexpected-message', `the round is already ${this.finished.status}; no message is expected`);
    }
    if (!this.started) {
      if (this.role === 'initiator') throw new InternalError('round-not-started', 'the initiator must call start() first');
      this.started = true;
    }
    const out: Outbound[] = [];
    let message: Message | undefined;
    try {
      try {
        message = decodeMessage(frame);
      } finally {
        // A copy: the caller may reuse its receive buffer once this call returns.
        this.options.onMessage?.({ direction: 'received', sender: this.peerRole, kind: message?.kind, bytes: frame instanceof Uint8Array ? frame.slice() : new Uint8Array(0) });
      }
      this.dispatch(message, frame, out);
    } catch (error) {
      return this.emit(this.failFrom(error));
    }
    return this.emit(out);
  }

  abort(reason: AbortReason, detail = ''): Outbound[] {
    if (this.finished) return [];
    return this.emit(this.fail(reason, detail, undefined));
  }

  /** Reports what is about to be sent, only once it is certain to be sent. */
  private emit(out: Outbound[]): Outbound[] {
    for (const { kind, bytes } of out) this.options.onMessage?.({ direction: 'sent', sender: this.role, kind, bytes });
    return out;
  }

  // --- own side (SPEC §3.3, §4.2 steps 1–2) ---

  /**
   * Draws k (SPEC §3.3: fresh per attempt, never stored), or in an epoch round takes a copy of the
   * epoch key (SPEC §13.2), and builds the OFFER in the round's mode.
   */
  private buildOffer(): OfferMessage {
    const epoch = this.epochInput;
    const key = epoch === undefined ? randomScalar(this.options.rng) : epoch.key.slice();
    this.key = key;
    this.publicKey = scalarBaseMult(key);
    const { policy } = this.options;
    const mode = this.mode!;
    return {
      kind: 'offer',
      version: PROTOCOL_VERSION,
      roundId: this.options.roundId,
      rosterDigest: this.options.rosterDigest,
      sender: this.options.selfId,
      receiver: this.options.peerId,
      mode,
      setSize: this.ownCount,
      // SPEC §4.3: the cap states what this attempt's policy and budget allow.
      maxPeerSetSize: Math.min(policy.maxPeerSetSize, policy.evaluationAllowance),
      // SPEC §5.3: no labels in cardinality mode.
      labelFields: mode === 'cardinality' ? [] : this.labelPolicy,
      identifierRules: this.options.identifierRules,
      publicKey: this.publicKey,
      logHead: this.options.logHead ?? null,
      ...(epoch === undefined
        ? {}
        : {
            epoch: {
              id: epoch.id,
              index: epoch.index,
              previousHash: epoch.previousHash,
              accumulated: epoch.ownCount - epoch.removals + this.ownCount,
              removals: epoch.removals,
              epochCap: epoch.maxPeerEpochSetSize,
            },
          }),
    };
  }

  /** Reads the own set and checks it (length, strict ascending order); a local fault if it fails. */
  private loadOwnSet(): void {
    const loaded = this.options.ownSet.load();
    checkLoadedOwnSet(loaded, this.options.ownSet.size);
    // An epoch responder may add fewer than it has pending (SPEC §13.6): the first ones, in digest order.
    this.own = this.ownCount === this.options.ownSet.size ? loaded : { ...loaded, digests: loaded.digests.subarray(0, this.ownCount * POINT_BYTES) };
    if (this.epochInput !== undefined) {
      const state = this.epochInput.load();
      checkEpochState(state, this.epochInput);
      this.epochState = state;
    }
  }

  /** SPEC §4.2 steps 1–2: π, then C_X[p] = k·H(e_π(p)), one chunk of hashing at a time. */
  private blindOwnSet(): void {
    const n = this.ownCount;
    const key = this.requireKey();
    const digests = this.own!.digests;
    // SPEC §4.2, Appendix A: the blinded list is sent in a uniformly random order, drawn after k.
    this.order = randomPermutation(n, this.options.rng);
    const blinded = new Uint8Array(n * POINT_BYTES);
    for (let seq = 0; seq < pointChunkCount(n); seq++) {
      const first = seq * MAX_CHUNK_POINTS;
      const count = pointChunkLength(n, seq);
      // Views, not copies, and only one chunk's worth at a time.
      const chunk = Array.from({ length: count }, (_, i) => {
        const index = this.order[first + i]!;
        return digests.subarray(index * POINT_BYTES, (index + 1) * POINT_BYTES);
      });
      const hashed = this.time('hash-to-group', () => hashToGroupMany(chunk, HASH_TO_GROUP_DST));
      blinded.set(this.time('blind', () => scalarMultPacked(key, hashed)), first * POINT_BYTES);
    }
    this.ownBlinded = blinded;
  }

  // --- receiving (SPEC §4.5) ---

  private dispatch(message: Message, frame: Uint8Array, out: Outbound[]): void {
    // SPEC §4.5 step 2: every message carries the round id.
    if (Buffer.compare(message.roundId, this.options.roundId) !== 0) {
      throw new ProtocolError('round-mismatch', `${message.kind} carries a round id other than this round's`);
    }
    switch (message.kind) {
      case 'abort':
        this.finished = this.abortedResult('peer-abort', message.detail, undefined, message.reason);
        this.release();
        return;
      case 'offer':
        this.onOffer(message, frame);
        break;
      case 'blinded':
        this.onBlinded(message, frame);
        break;
      case 'evaluated':
        this.onEvaluated(message, frame);
        break;
      case 'proof':
        this.onProof(message, frame);
        break;
      case 'labels':
        this.onLabels(message, frame);
        break;
      case 'finish':
        this.onFinish(message);
        break;
      case 'removed':
        this.onRemoved(message, frame);
        break;
    }
    this.advance(out);
  }

  /** SPEC §4.5 OFFER checks 1–9, in order; nothing of the own set is read before they pass. */
  private onOffer(offer: OfferMessage, frame: Uint8Array): void {
    if (this.peerOffer !== undefined) throw new ProtocolError('unexpected-message', 'a second OFFER arrived');
    const { policy } = this.options;
    if (Buffer.compare(offer.rosterDigest, this.options.rosterDigest) !== 0) {
      throw new ProtocolError('roster-mismatch', 'OFFER names a roster digest other than the pinned one');
    }
    if (offer.sender !== this.options.peerId || offer.receiver !== this.options.selfId) {
      throw new ProtocolError(
        'roster-mismatch',
        `OFFER is from ${JSON.stringify(offer.sender)} to ${JSON.stringify(offer.receiver)}, expected from ${JSON.stringify(this.options.peerId)} to ${JSON.stringify(this.options.selfId)}`,
      );
    }
    // Check 3: the round's mode, or for an ad-hoc responder any mode its policy runs for this peer.
    if (this.mode !== undefined) {
      if (offer.mode !== this.mode) throw new ProtocolError('policy-mismatch', `OFFER mode is ${offer.mode}, this party runs ${this.mode}`);
    } else if (!runnableModes(policy).includes(offer.mode)) {
      const why =
        offer.mode === 'cardinality' && policy.modes.includes('cardinality')
          ? 'this party does not accept a semi-honest mode (SPEC §10.4)'
          : `this party's policy runs ${runnableModes(policy).join(', ') || 'no mode'}`;
      throw new ProtocolError('policy-mismatch', `OFFER mode is ${offer.mode}; ${why}`);
    }
    if (offer.mode === 'cardinality' && offer.labelFields.length > 0) {
      throw new ProtocolError('policy-mismatch', 'OFFER lists label fields in cardinality mode');
    }
    if (offer.identifierRules !== this.options.identifierRules && !policy.allowIdentifierRulesMismatch) {
      throw new ProtocolError(
        'identifier-rules-mismatch',
        `OFFER idr ${JSON.stringify(offer.identifierRules)} differs from this party's ${JSON.stringify(this.options.identifierRules)}`,
      );
    }
    // SPEC §13.6: an epoch responder adds no more than the initiator's cap and ecap leave room for.
    const epoch = this.epochInput;
    if (epoch !== undefined && this.role === 'responder' && offer.epoch !== undefined) {
      const room = offer.epoch.epochCap - (epoch.ownCount - epoch.removals);
      this.ownCount = Math.max(0, Math.min(this.ownCount, offer.maxPeerSetSize, room));
    }
    // Checks 6–8: caps and budget, enforced by the evaluating side before any evaluation.
    if (offer.setSize > policy.maxPeerSetSize) {
      throw new ProtocolError('set-too-large', `peer set size ${offer.setSize} exceeds this party's maxPeerSetSize ${policy.maxPeerSetSize}`);
    }
    if (offer.setSize > policy.evaluationAllowance) {
      throw new ProtocolError('budget-exceeded', `peer set size ${offer.setSize} exceeds this attempt's evaluation allowance ${policy.evaluationAllowance}`);
    }
    if (this.ownCount > offer.maxPeerSetSize) {
      throw new ProtocolError('set-too-large', `own set size ${this.ownCount} exceeds the peer's maxPeerSetSize ${offer.maxPeerSetSize}`);
    }
    try {
      decodePoint(offer.publicKey, 'K');
    } catch (cause) {
      throw new ProtocolError('bad-point', 'OFFER K is not a valid ristretto255 element', { cause });
    }
    // Checks 10–15 (SPEC §13.6): the epoch, the chain link, the key, the counts and the epoch caps.
    checkEpochOffer(offer, epoch, epoch === undefined ? 0 : epoch.ownCount - epoch.removals + this.ownCount);
    this.peerOffer = offer;
    this.mode = offer.mode;
    this.transcript.absorb(this.peerRole, 'offer', frame);
    if (this.role === 'responder') {
      // Appendix A: k, then π. The set is read only now that the OFFER is accepted (SPEC §4.4).
      this.ownOffer = this.buildOffer();
      this.loadOwnSet();
    }
    this.labelFields = this.ownOffer!.labelFields.filter((field) => offer.labelFields.includes(field));
    if (epoch !== undefined) {
      this.epochBook = new EpochBook(epoch, this.epochState!, offer.epoch!.removals);
      this.epochBook.checkAdditions(this.own!.digests);
    }
    const n = offer.setSize;
    this.peerBlinded = new Uint8Array(n * POINT_BYTES);
    this.evaluations = new Uint8Array(n * POINT_BYTES);
    this.returned = new Uint8Array(this.ownCount * POINT_BYTES);
  }

  /**
   * SPEC §4.5 chunk checks 1–4: chunk `seq` of a stream of `total` points must be the next one, of
   * the fixed length. Check 5, valid points, is the caller's: checkChunkPoints, or a step that
   * decodes every point anyway (the evaluation of a BLINDED chunk, the proof of an EVALUATED one).
   */
  private checkChunk(kind: string, seq: number, received: number, total: number, points: Uint8Array): void {
    if (seq < received) throw new ProtocolError('duplicate-chunk', `${kind} chunk ${seq} arrived twice`);
    if (seq >= pointChunkCount(total)) {
      throw new ProtocolError('count-mismatch', `${kind} chunk ${seq} exceeds the declared ${total} points`);
    }
    if (seq > received) throw new ProtocolError('unexpected-message', `${kind} chunk ${seq} arrived before chunk ${received}`);
    const expected = pointChunkLength(total, seq);
    const count = points.length / POINT_BYTES;
    if (count !== expected) {
      throw new ProtocolError('count-mismatch', `${kind} chunk ${seq} carries ${count} points, expected ${expected}`);
    }
  }

  /** SPEC §4.5 chunk check 5 (§5.1 step 5): every point canonical and not the identity; the first refused one is named. */
  private checkChunkPoints(kind: string, seq: number, points: Uint8Array): void {
    this.pointChecked(kind, seq, () => validatePackedPoints(points, `${kind}[${seq}]`));
  }

  /** Runs `work`, whose point refusals (CryptoError, naming `${kind}[${seq}][i]`) are check 5's bad-point. */
  private pointChecked<T>(kind: string, seq: number, work: () => T): T {
    try {
      return work();
    } catch (cause) {
      if (cause instanceof CryptoError) throw new ProtocolError('bad-point', `${kind} chunk ${seq}: ${cause.message}`, { cause });
      throw cause;
    }
  }

  private onBlinded(chunk: BlindedMessage, frame: Uint8Array): void {
    const offer = this.requirePeerOffer('BLINDED');
    this.checkChunk('BLINDED', chunk.seq, this.peerBlindedChunks, offer.setSize, chunk.points);
    // SPEC §4.4: evaluations may be computed as chunks arrive; the release rule decides when they go.
    // Check 5 is the evaluation itself: it decodes every point before the key is touched and refuses
    // the first invalid one exactly as validatePackedPoints would, so the points are decoded once.
    const key = this.requireKey();
    const evaluated = this.pointChecked('BLINDED', chunk.seq, () => this.time('evaluate', () => scalarMultPacked(key, chunk.points, `BLINDED[${chunk.seq}]`)));
    const at = chunk.seq * CHUNK_BYTES;
    this.peerBlinded.set(chunk.points, at);
    this.peerBlindedChunks++;
    this.transcript.absorb(this.peerRole, 'blinded', frame);
    this.evaluations.set(evaluated, at);
    if (this.epochBook !== undefined) {
      // SPEC §13.6 BLINDED checks 6–7, before anything of the round is released.
      const count = chunk.points.length / POINT_BYTES;
      this.epochBook.checkPeerAdditions(this.evaluations, at / POINT_BYTES, count, chunk.seq);
      if (this.peerBlindedChunks === pointChunkCount(offer.setSize)) this.epochBook.checkPeerAdditionsDistinct(this.evaluations);
    }
  }

  /** SPEC §13.6 REMOVED: after the peer's whole BLINDED stream, chunked like it, each value one the peer holds. */
  private onRemoved(chunk: RemovedMessage, frame: Uint8Array): void {
    const offer = this.requirePeerOffer('REMOVED');
    if (this.epochBook === undefined || offer.epoch === undefined) throw new ProtocolError('unexpected-message', 'REMOVED arrived in a round outside any epoch');
    if (this.peerBlindedChunks !== pointChunkCount(offer.setSize)) {
      throw new ProtocolError('unexpected-message', `REMOVED arrived after ${this.peerBlindedChunks} of the peer's ${pointChunkCount(offer.setSize)} BLINDED chunks`);
    }
    // Checks 1–4 as for BLINDED; the values are checked against T, which implies they are valid points.
    this.checkChunk('REMOVED', chunk.seq, this.peerRemovedChunks, offer.epoch.removals, chunk.points);
    this.epochBook.acceptPeerRemovals(chunk.points, chunk.seq * MAX_CHUNK_POINTS, chunk.seq);
    this.peerRemovedChunks++;
    this.transcript.absorb(this.peerRole, 'removed', frame);
  }

  private onEvaluated(chunk: EvaluatedMessage, frame: Uint8Array): void {
    const offer = this.requirePeerOffer('EVALUATED');
    // The sender evaluates only once its own blinded list (and, in an epoch round, its removals) is complete.
    if (this.peerBlindedChunks !== pointChunkCount(offer.setSize)) {
      throw new ProtocolError('unexpected-message', `EVALUATED arrived after ${this.peerBlindedChunks} of the peer's ${pointChunkCount(offer.setSize)} BLINDED chunks`);
    }
    if (offer.epoch !== undefined && this.peerRemovedChunks !== pointChunkCount(offer.epoch.removals)) {
      throw new ProtocolError('unexpected-message', `EVALUATED arrived after ${this.peerRemovedChunks} of the peer's ${pointChunkCount(offer.epoch.removals)} REMOVED chunks`);
    }
    // In intersection mode check 5 is folded into step 7: verifying the chunk's proof decodes every
    // point and fails on an invalid one, so the points are checked on their own only when the chunk
    // fails step 6 or 7, and a chunk failing check 5 is still refused as bad-point, first.
    const verified = this.mode === 'intersection';
    this.checkChunk('EVALUATED', chunk.seq, this.returnedChunks, this.ownCount, chunk.points);
    if (!verified) this.checkChunkPoints('EVALUATED', chunk.seq, chunk.points);
    // Step 6: the length the mode fixes, before any verification work.
    const expected = verified ? PROOF_BYTES : 0;
    if (chunk.proof.length !== expected) {
      if (verified) this.checkChunkPoints('EVALUATED', chunk.seq, chunk.points);
      throw new ProtocolError('bad-proof', `EVALUATED chunk ${chunk.seq} carries a pi of ${chunk.proof.length} bytes, expected ${expected} in ${this.mode} mode`);
    }
    if (verified) {
      // Step 7: every chunk is checked on arrival, before this party releases anything more.
      const preTranscriptHash = this.requirePreHash();
      const verdict = this.time('verify', () =>
        verifyChunkProof({
          publicKey: offer.publicKey,
          prover: this.peerRole,
          preTranscriptHash,
          index: chunk.seq,
          blinded: chunkOf(this.ownBlinded!, this.ownCount, chunk.seq),
          evaluated: chunk.points,
          proof: chunk.proof,
        }),
      );
      if (!verdict.valid) {
        this.checkChunkPoints('EVALUATED', chunk.seq, chunk.points);
        throw new ProtocolError('bad-proof', `the peer's proof of EVALUATED chunk ${chunk.seq} does not verify over this party's BLINDED chunk: ${verdict.detail}`);
      }
    }
    this.returned.set(chunk.points, chunk.seq * CHUNK_BYTES);
    this.returnedChunks++;
    this.evaluationsReceived += chunk.points.length / POINT_BYTES;
    this.transcript.absorb(this.peerRole, 'evaluated', frame);
  }

  private onProof(message: ProofMessage, frame: Uint8Array): void {
    const offer = this.requirePeerOffer('PROOF');
    if (this.mode === 'intersection') throw new ProtocolError('unexpected-message', 'PROOF arrived in intersection mode, where each EVALUATED chunk carries its own proof');
    if (this.peerProofVerified) throw new ProtocolError('unexpected-message', 'a second PROOF arrived');
    if (this.peerBlindedChunks !== pointChunkCount(offer.setSize)) {
      throw new ProtocolError('count-mismatch', `PROOF arrived after ${this.peerBlindedChunks} of ${pointChunkCount(offer.setSize)} BLINDED chunks`);
    }
    if (this.returnedChunks !== pointChunkCount(this.ownCount)) {
      throw new ProtocolError('count-mismatch', `PROOF arrived after ${this.returnedChunks} of ${pointChunkCount(this.ownCount)} EVALUATED chunks`);
    }
    // SPEC §4.5 PROOF: 64 bytes, or none for an empty own list, before any verification work.
    const expected = this.ownCount === 0 ? 0 : PROOF_BYTES;
    if (message.proof.length !== expected) {
      throw new ProtocolError('bad-proof', `PROOF carries ${message.proof.length} bytes, expected ${expected}`);
    }
    const verdict = this.time('verify', () =>
      verifySumProof({
        publicKey: offer.publicKey,
        proofTranscriptHash: this.transcript.proofHash(this.peerRole),
        blinded: this.ownBlinded!,
        evaluated: this.returned,
        proof: message.proof,
      }),
    );
    if (!verdict.valid) {
      throw new ProtocolError('bad-proof', `the peer's sum proof does not verify over this party's blinded list: ${verdict.detail}`);
    }
    this.peerProofVerified = true;
    this.transcript.absorb(this.peerRole, 'proof', frame);
  }

  private onLabels(message: LabelsMessage, frame: Uint8Array): void {
    this.requirePeerOffer('LABELS');
    if (this.labelFields.length === 0) throw new ProtocolError('unexpected-message', 'LABELS arrived but no label fields were agreed');
    if (!this.matched) throw new ProtocolError('unexpected-message', "LABELS arrived before this party had the peer's evaluations of its whole list");
    if (this.peerLabelsDone) throw new ProtocolError('unexpected-message', 'LABELS arrived after the last LABELS chunk');
    if (message.seq < this.peerLabelChunks) throw new ProtocolError('duplicate-chunk', `LABELS chunk ${message.seq} arrived twice`);
    if (message.seq > this.peerLabelChunks) {
      throw new ProtocolError('unexpected-message', `LABELS chunk ${message.seq} arrived before chunk ${this.peerLabelChunks}`);
    }
    for (const entry of message.entries) {
      // SPEC §5.7: keys name matched items, each at most once, and only agreed fields are sent.
      const found = this.matchedValues!.find(entry.key, 0);
      if (found < 0) throw new ProtocolError('bad-label', 'LABELS entry keyed by a value that is not a matched item');
      // Plain rounds key labels by own index, epoch rounds by index into the new matches (SPEC §13.7).
      const index = this.epochBook === undefined ? this.order[this.matchedPositions[found]!]! : found;
      if (this.peerLabels.has(index)) throw new ProtocolError('bad-label', 'LABELS entry repeats a key');
      const label: { category?: string; firstSeen?: string; reason?: string } = {};
      for (const [field, value] of [
        ['category', entry.category],
        ['first_seen', entry.firstSeen],
        ['reason', entry.reason],
      ] as const) {
        if (value === undefined) continue;
        if (!this.labelFields.includes(field)) throw new ProtocolError('bad-label', `LABELS entry carries ${field}, which was not agreed`);
        if (field === 'category') label.category = value;
        else if (field === 'first_seen') label.firstSeen = value;
        else label.reason = value;
      }
      this.peerLabels.set(index, label);
    }
    this.peerLabelChunks++;
    if (message.end) this.peerLabelsDone = true;
    this.transcript.absorb(this.peerRole, 'labels', frame);
  }

  private onFinish(message: FinishMessage): void {
    this.requirePeerOffer('FINISH');
    // SPEC §4.5 FINISH: comes last; by then this party has sent its own FINISH.
    if (!this.matched || (this.labelFields.length > 0 && !this.peerLabelsDone) || this.ownFinish === undefined) {
      throw new ProtocolError('unexpected-message', "FINISH arrived before this party had the peer's evaluations, proofs and LABELS");
    }
    const input = finishSignatureInput(this.peerRole, this.options.roundId, this.transcriptHash!, message.intersectionSize);
    if (!ed25519Verify(this.options.peerPublicKey, input, message.signature)) {
      throw new ProtocolError('bad-signature', "FINISH signature does not verify under the peer's roster key");
    }
    this.complete(message);
  }

  private requirePeerOffer(kind: string): OfferMessage {
    if (this.peerOffer === undefined) throw new ProtocolError('unexpected-message', `${kind} arrived before the peer's OFFER`);
    return this.peerOffer;
  }

  private requireKey(): Uint8Array {
    if (this.key === undefined) throw new InternalError('key-wiped', 'the round key is needed after it was wiped');
    return this.key;
  }

  /** SPEC §7.3 TH_pre (§13.5 in an epoch round): computable once both BLINDED (and REMOVED) streams are complete (rule S3). */
  private requirePreHash(): Uint8Array {
    this.preHash ??= this.epochInput === undefined ? this.transcript.preHash() : this.transcript.epochPreHash();
    return this.preHash;
  }

  // --- sending: everything that has become possible, in SPEC §4.4 order ---

  private advance(out: Outbound[]): void {
    if (this.finished || this.peerOffer === undefined) return;
    const roundId = this.options.roundId;
    const ownChunks = pointChunkCount(this.ownCount);
    const peerChunks = pointChunkCount(this.peerOffer.setSize);
    // S2: the responder's OFFER, then both: the whole own blinded list.
    if (!this.ownBlindedSent) {
      if (this.role === 'responder') this.send(out, this.ownOffer!);
      if (this.ownBlinded === undefined) this.blindOwnSet();
      for (let seq = 0; seq < ownChunks; seq++) {
        this.send(out, { kind: 'blinded', roundId, seq, points: chunkOf(this.ownBlinded!, this.ownCount, seq) });
      }
      this.ownBlindedSent = true;
    }
    if (this.epochBook !== undefined && !this.ownRemovedSent) {
      // SPEC §13.4: then the removals, in ascending order of their doubly blinded values.
      const removed = this.epochBook.ownRemovedValues();
      const total = removed.length / POINT_BYTES;
      for (let seq = 0; seq < pointChunkCount(total); seq++) this.send(out, { kind: 'removed', roundId, seq, points: chunkOf(removed, total, seq) });
      this.ownRemovedSent = true;
    }
    if (this.peerBlindedChunks !== peerChunks) return;
    if (this.peerOffer.epoch !== undefined && this.peerRemovedChunks !== pointChunkCount(this.peerOffer.epoch.removals)) return;
    if (this.mode === 'intersection') {
      // S3: chunk a goes once need(a) of the peer's chunks have been accepted with verified proofs.
      while (this.evaluatedSent < peerChunks && releaseNeed(ownChunks, peerChunks, this.evaluatedSent) <= this.returnedChunks) {
        this.sendEvaluatedChunk(out, this.evaluatedSent);
      }
      // SPEC §3.3: k is not needed after the last proof.
      if (this.evaluatedSent === peerChunks) this.wipeKey();
      if (this.evaluatedSent < peerChunks || this.returnedChunks < ownChunks) return;
    } else {
      // S4: the shuffled evaluations, then the proof over the sums.
      if (!this.proofSent) this.sendShuffledEvaluations(out);
      if (this.returnedChunks < ownChunks || !this.peerProofVerified) return;
    }
    // S5: the result, then LABELS.
    if (!this.matched) this.time('match', () => this.match());
    if (this.labelFields.length > 0 && !this.labelsSent) {
      this.sendLabels(out);
      this.labelsSent = true;
    }
    if (this.labelFields.length > 0 && !this.peerLabelsDone) return;
    // S6: FINISH.
    if (this.ownFinish === undefined) {
      this.transcriptHash = this.epochBook === undefined ? this.transcript.finalHash() : this.transcript.epochFinalHash();
      const input = finishSignatureInput(this.role, roundId, this.transcriptHash, this.intersectionSize);
      this.ownFinish = {
        kind: 'finish',
        roundId,
        intersectionSize: this.intersectionSize,
        signature: ed25519Sign(this.options.signingKey, input),
      };
      this.send(out, this.ownFinish);
    }
  }

  /** SPEC §5.5, §6.1: EVALUATED chunk a answers the peer's BLINDED chunk a, point for point, with its proof. */
  private sendEvaluatedChunk(out: Outbound[], seq: number): void {
    const n = this.peerOffer!.setSize;
    const points = chunkOf(this.evaluations, n, seq);
    const key = this.requireKey();
    const proof = this.time('prove', () =>
      generateChunkProof(
        key,
        {
          publicKey: this.publicKey,
          prover: this.role,
          preTranscriptHash: this.requirePreHash(),
          index: seq,
          blinded: chunkOf(this.peerBlinded, n, seq),
          evaluated: points,
        },
        this.options.rng,
      ),
    );
    this.send(out, { kind: 'evaluated', roundId: this.options.roundId, seq, points, proof });
    this.evaluatedSent++;
    this.evaluationsSent += points.length / POINT_BYTES;
  }

  /** SPEC §5.5, §6.3: in cardinality mode the evaluations go back in a fresh random order, then one proof over the sums. */
  private sendShuffledEvaluations(out: Outbound[]): void {
    const n = this.peerOffer!.setSize;
    const roundId = this.options.roundId;
    const order = randomPermutation(n, this.options.rng);
    const shuffled = new Uint8Array(n * POINT_BYTES);
    for (let p = 0; p < n; p++) {
      const from = order[p]! * POINT_BYTES;
      shuffled.set(this.evaluations.subarray(from, from + POINT_BYTES), p * POINT_BYTES);
    }
    for (let seq = 0; seq < pointChunkCount(n); seq++) {
      const points = chunkOf(shuffled, n, seq);
      this.send(out, { kind: 'evaluated', roundId, seq, points, proof: EMPTY });
      this.evaluatedSent++;
      this.evaluationsSent += points.length / POINT_BYTES;
    }
    const key = this.requireKey();
    let proof: Uint8Array;
    try {
      proof = this.time('prove', () =>
        generateSumProof(
          key,
          { publicKey: this.publicKey, proofTranscriptHash: this.transcript.proofHash(this.role), blinded: this.peerBlinded, evaluated: shuffled },
          this.options.rng,
        ),
      );
    } catch (cause) {
      // SPEC §6.3: only a crafted peer list sums to the identity.
      if (cause instanceof CryptoError) throw new ProtocolError('bad-point', "the peer's blinded points sum to the identity", { cause });
      throw cause;
    }
    this.send(out, { kind: 'proof', roundId, proof });
    this.proofSent = true;
    this.wipeKey();
  }

  /** SPEC §4.2 step 4: own position p matches iff the value returned for it is among this party's evaluations. */
  private match(): void {
    if (this.epochBook !== undefined) {
      this.matchEpoch(this.epochBook);
      return;
    }
    const table = new PointTable(this.evaluations);
    const positions: number[] = [];
    for (let p = 0; p < this.ownCount; p++) {
      if (table.find(this.returned, p * POINT_BYTES) < 0) continue;
      this.intersectionSize++;
      if (this.mode === 'intersection') positions.push(p);
    }
    this.matchedPositions = Uint32Array.from(positions);
    if (this.labelFields.length > 0) {
      // LABELS keys are D_X[p] of matched p: index them so each entry is one lookup.
      const matchedValues = new Uint8Array(positions.length * POINT_BYTES);
      positions.forEach((p, i) => matchedValues.set(this.returned.subarray(p * POINT_BYTES, (p + 1) * POINT_BYTES), i * POINT_BYTES));
      this.matchedValues = new PointTable(matchedValues);
    }
    this.matched = true;
  }

  /**
   * SPEC §13.7: the epoch's intersection after this round, from the accumulated state, this
   * round's additions on both sides (D of the own ones as the peer returned them) and removals.
   */
  private matchEpoch(book: EpochBook): void {
    const n = this.ownCount;
    const digests = this.own!.digests;
    // D of addition j (ascending digest order), from the value returned at its blinded position.
    const addedValues = new Uint8Array(n * POINT_BYTES);
    for (let p = 0; p < n; p++) addedValues.set(this.returned.subarray(p * POINT_BYTES, (p + 1) * POINT_BYTES), this.order[p]! * POINT_BYTES);
    const outcome = book.result(digests, addedValues, this.evaluations);
    this.intersectionSize = outcome.intersectionSize;
    this.newMatchAddition = outcome.newMatchAddition;
    this.epochMatches = outcome.newMatches;
    this.matchedValues = new PointTable(outcome.newMatchValues);
    const peerOffer = this.peerOffer!;
    const epoch = this.epochInput!;
    this.epochOutcome = {
      id: epoch.id,
      index: epoch.index,
      ownKey: this.publicKey,
      peerKey: peerOffer.publicKey,
      ownCount: this.ownOffer!.epoch!.accumulated,
      peerCount: peerOffer.epoch!.accumulated,
      added: { digests: digests.slice(), values: addedValues },
      removed: book.removedDigests(),
      peerAdded: this.evaluations,
      peerRemoved: book.peerRemoved(),
      newMatches: outcome.newMatches,
      endedMatches: outcome.endedMatches,
      intersectionSize: outcome.intersectionSize,
    };
    this.epochMatchValues = outcome.newMatchValues;
    this.matched = true;
  }

  /** SPEC §13.7: labels of new matches, in ascending order of their key (the doubly blinded value). */
  private epochLabelEntries(): LabelEntry[] {
    const values = this.epochMatchValues;
    const count = values.length / POINT_BYTES;
    const order = Array.from({ length: count }, (_, k) => k).sort((a, b) => Buffer.compare(values.subarray(a * POINT_BYTES, (a + 1) * POINT_BYTES), values.subarray(b * POINT_BYTES, (b + 1) * POINT_BYTES)));
    const entries: LabelEntry[] = [];
    for (const k of order) {
      const addition = this.newMatchAddition[k]!;
      const label = addition >= 0
        ? this.own?.labelOf?.call(this.own, addition)
        : this.epochState?.labelOf?.call(this.epochState, this.epochMatches.subarray(k * POINT_BYTES, (k + 1) * POINT_BYTES));
      const entry = this.labelEntry(values.slice(k * POINT_BYTES, (k + 1) * POINT_BYTES), label, `labelOf(new match ${k})`);
      if (entry !== undefined) entries.push(entry);
    }
    return entries;
  }

  /** A LABELS entry of the agreed fields of `label`, or undefined when none is left. */
  private labelEntry(key: Uint8Array, label: LabelValues | undefined, field: string): LabelEntry | undefined {
    if (label === undefined) return undefined;
    validateLabel(label, field);
    const entry: { key: Uint8Array; category?: string; firstSeen?: string; reason?: string } = { key };
    if (label.category !== undefined && this.labelFields.includes('category')) entry.category = label.category;
    if (label.firstSeen !== undefined && this.labelFields.includes('first_seen')) entry.firstSeen = label.firstSeen;
    if (label.reason !== undefined && this.labelFields.includes('reason')) entry.reason = label.reason;
    return entry.category !== undefined || entry.firstSeen !== undefined || entry.reason !== undefined ? entry : undefined;
  }

  /** SPEC §5.7: labels of matched items in ascending own blinded position, keyed by D_X[p], agreed fields only. */
  private sendLabels(out: Outbound[]): void {
    const entries: LabelEntry[] = this.epochBook === undefined ? [] : this.epochLabelEntries();
    const labelOf = this.own?.labelOf;
    for (const p of this.matchedPositions) {
      const index = this.order[p]!;
      const entry = this.labelEntry(this.returned.slice(p * POINT_BYTES, (p + 1) * POINT_BYTES), labelOf?.call(this.own, index), `ownSet.labelOf(${index})`);
      if (entry !== undefined) entries.push(entry);
    }
    const chunks = Math.max(1, Math.ceil(entries.length / MAX_LABEL_ENTRIES));
    for (let seq = 0; seq < chunks; seq++) {
      this.send(out, {
        kind: 'labels',
        roundId: this.options.roundId,
        seq,
        end: seq === chunks - 1,
        entries: entries.slice(seq * MAX_LABEL_ENTRIES, (seq + 1) * MAX_LABEL_ENTRIES),
      });
    }
  }

  private send(out: Outbound[], message: Message): void {
    const bytes = encodeMessage(message);
    if (message.kind !== 'finish' && message.kind !== 'abort') {
      this.transcript.absorb(this.role, message.kind as TranscriptKind, bytes);
    }
    out.push({ kind: message.kind, bytes });
  }

  // --- endings ---

  private complete(peerFinish: FinishMessage): void {
    const epoch = this.epochOutcome;
    const matches = epoch !== undefined ? new Uint32Array(0) : Uint32Array.from(this.matchedPositions, (p) => this.order[p]!).sort();
    const digests = this.own!.digests;
    let matchedDigests: Uint8Array = new Uint8Array(matches.length * POINT_BYTES);
    matches.forEach((index, i) => matchedDigests.set(digests.subarray(index * POINT_BYTES, (index + 1) * POINT_BYTES), i * POINT_BYTES));
    if (epoch !== undefined) matchedDigests = epoch.newMatches;
    const result: CompletedResult = {
      // SPEC §8: unequal claimed sizes mark the round disputed.
      status: peerFinish.intersectionSize === this.intersectionSize ? 'completed' : 'disputed',
      role: this.role,
      mode: this.mode!,
      roundId: this.options.roundId,
      ownOffer: this.ownOffer!,
      peerOffer: this.peerOffer!,
      matches,
      matchedDigests,
      peerLabels: epoch === undefined ? this.peerLabels : new Map(),
      intersectionSize: this.intersectionSize,
      peerIntersectionSize: peerFinish.intersectionSize,
      ownSetSize: this.ownCount,
      peerSetSize: this.peerOffer!.setSize,
      evaluationsSent: this.evaluationsSent,
      evaluationsReceived: this.evaluationsReceived,
      transcriptHash: this.transcriptHash!,
      ownFinish: this.ownFinish!,
      peerFinish,
      ...(epoch === undefined ? {} : { epoch: { ...epoch, newMatchLabels: this.peerLabels } }),
    };
    this.finished = result;
    this.release();
  }

  private abortedResult(reason: AbortReason, detail: string, error?: ProtocolError, peerReason?: string): AbortedResult {
    return {
      status: 'aborted',
      role: this.role,
      mode: this.mode,
      roundId: this.options.roundId,
      ownOffer: this.ownOffer,
      peerOffer: this.peerOffer,
      ownSetSize: this.ownCount,
      peerSetSize: this.peerOffer?.setSize,
      evaluationsSent: this.evaluationsSent,
      evaluationsReceived: this.evaluationsReceived,
      reason,
      detail,
      ...(peerReason === undefined ? {} : { peerReason }),
      ...(error === undefined ? {} : { error }),
    };
  }

  private failFrom(error: unknown): Outbound[] {
    if (error instanceof ProtocolError) return this.fail(error.code as AbortReason, error.message, error);
    if (error instanceof CodecError) {
      // SPEC §9: an OFFER of another version is reported as such; anything else undecodable is malformed.
      const reason: AbortReason = error.code === 'unsupported-version' ? 'version-mismatch' : 'malformed-message';
      return this.fail(reason, error.message, new ProtocolError(reason, error.message, { cause: error }));
    }
    const cause = error instanceof VennError ? error : new InternalError('internal-error', String(error), { cause: error });
    return this.fail('internal-error', 'internal error', new ProtocolError('internal-error', cause.message, { cause }));
  }

  /** Ends the round with an ABORT to the peer (SPEC §9); whatever was queued is not sent. */
  private fail(reason: AbortReason, detail: string, error: ProtocolError | undefined): Outbound[] {
    const abort: Message = {
      kind: 'abort',
      roundId: this.options.roundId,
      reason,
      detail: truncateUtf8(detail, MAX_ABORT_DETAIL_BYTES),
    };
    const out: Outbound[] = [];
    this.send(out, abort);
    this.finished = this.abortedResult(reason, abort.detail, error);
    this.release();
    return out;
  }

  private wipeKey(): void {
    if (this.key !== undefined) {
      wipe(this.key);
      this.key = undefined;
    }
  }

  /** Drops the secret key and the large buffers once the round has ended. */
  private release(): void {
    this.wipeKey();
    this.own = undefined;
    this.order = new Uint32Array(0);
    this.ownBlinded = undefined;
    this.peerBlinded = EMPTY;
    this.evaluations = EMPTY;
    this.returned = EMPTY;
    this.matchedValues = undefined;
    this.epochState = undefined;
    this.epochBook = undefined;
    this.epochOutcome = undefined;
    this.epochMatchValues = EMPTY;
    this.epochMatches = EMPTY;
  }
}
