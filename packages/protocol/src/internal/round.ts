/**
 * The Venn round (protocol-spec/SPEC.md §4) as a sans-I/O state machine: feed it frames, it returns
 * frames to send, and finally a result. No sockets, no clocks, randomness only from options.rng.
 */
import { CodecError, CryptoError, InternalError, ProtocolError, VennError } from '@venn/errors';
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
  type OfferMessage,
  type ProofMessage,
} from '@venn/wire';
import type { AbortReason } from './abort.js';
import { HASH_TO_GROUP_DST } from './constants.js';
import { finishSignatureInput } from './finish.js';
import { canonicalLabelFields, dedupe, validateOptions } from './options.js';
import { otherRole, type Role } from './roles.js';
import { generateRoundProof, roundProofLength, verifyRoundProof } from './proof.js';
import { randomPermutation } from './shuffle.js';
import { Transcript, type TranscriptKind } from './transcript.js';
import type {
  AbortedResult,
  CompletedResult,
  Outbound,
  Phase,
  PhaseTimer,
  RoundMatch,
  RoundOptions,
  RoundResult,
} from './types.js';

export interface Round {
  readonly role: Role;
  /** true once `result` is set */
  readonly done: boolean;
  readonly result: RoundResult | undefined;
  /**
   * Draws the round key and blinds the own set (the costly step that needs nothing from the peer).
   * The initiator gets its OFFER to send; the responder gets nothing and may skip calling it.
   */
  start(): Outbound[];
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

/** Point bytes as a Map/Set key (public data: evaluated values are compared in variable time). */
function pointKey(packed: Uint8Array, position: number): string {
  return Buffer.from(packed.buffer, packed.byteOffset + position * POINT_BYTES, POINT_BYTES).toString('latin1');
}

function truncateUtf8(text: string, maxBytes: number): string {
  if (utf8.encode(text).length <= maxBytes) return text;
  let cut = text.slice(0, maxBytes);
  while (utf8.encode(cut).length > maxBytes) cut = cut.slice(0, -1);
  return cut;
}

class VennRound implements Round {
  readonly role: Role;
  private readonly peerRole: Role;
  private readonly options: RoundOptions;
  private readonly time: PhaseTimer;
  private readonly transcript = new Transcript();
  private readonly labelPolicy: LabelField[];

  private started = false;
  private prepared = false;
  private finished: RoundResult | undefined;

  // Own set, in stream order after the shuffle: position p carries distinct element order[p].
  private digests: Uint8Array[] = [];
  private firstIndex: number[] = [];
  private order: Uint32Array = new Uint32Array(0);
  private key: Uint8Array | undefined; // k, the per-round secret scalar (SPEC §3.3)
  private publicKey: Uint8Array = new Uint8Array(0); // K = k·G
  private ownBlinded: Uint8Array = new Uint8Array(0); // C: own blinded elements
  private ownOffer: OfferMessage | undefined;

  private peerOffer: OfferMessage | undefined;
  private labelFields: LabelField[] = []; // both parties' fields, SPEC §5.7
  private peerBlinded: Uint8Array = new Uint8Array(0); // the peer's C, in its stream order
  private peerBlindedChunks = 0;
  private evaluations: Uint8Array = new Uint8Array(0); // E = k·(peer C), in the peer's stream order
  private ownBlindedSent = false;
  private evaluatedSent = false;
  private returned: Uint8Array = new Uint8Array(0); // D = k_peer·(own C), as the peer returned it
  private returnedChunks = 0;

  private proofSent = false;
  private peerProofVerified = false;
  private matched = false;
  private intersectionSize = 0;
  private matchedPositions: number[] = [];
  private matchedByValue = new Map<string, number>(); // doubly blinded value -> own position
  private labelsSent = false;
  private peerLabelChunks = 0;
  private peerLabelsDone = false;
  private peerLabels = new Map<number, LabelValues>();
  private transcriptHash: Uint8Array | undefined;
  private ownFinish: FinishMessage | undefined;

  constructor(options: RoundOptions) {
    validateOptions(options);
    this.options = options;
    this.role = options.role;
    this.peerRole = otherRole(options.role);
    this.time = options.phaseTimer ?? untimed;
    this.labelPolicy = canonicalLabelFields(options.policy.labelFields);
    const { digests, indices } = dedupe(options.elements);
    this.digests = digests;
    this.firstIndex = indices;
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
    this.prepare();
    const out: Outbound[] = [];
    if (this.role === 'initiator') this.send(out, this.ownOffer!);
    return this.emit(out);
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
      this.prepare();
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

  // --- preparation (SPEC §4.2 steps 1–2, own side only) ---

  private prepare(): void {
    if (this.prepared) return;
    this.prepared = true;
    const { rng } = this.options;
    const n = this.digests.length;
    // SPEC §3.3: a fresh k for every round, from the injected rng, never stored.
    this.key = randomScalar(rng);
    this.publicKey = scalarBaseMult(this.key);
    // SPEC §4.2: the blinded list is sent in a uniformly random order.
    this.order = randomPermutation(n, rng);
    const shuffled = Array.from(this.order, (i) => this.digests[i]!);
    const hashed = this.time('hash-to-group', () => hashToGroupMany(shuffled, HASH_TO_GROUP_DST));
    const key = this.key;
    this.ownBlinded = n === 0 ? new Uint8Array(0) : this.time('blind', () => scalarMultPacked(key, hashed));
    const mode = this.options.mode;
    this.ownOffer = {
      kind: 'offer',
      version: PROTOCOL_VERSION,
      roundId: this.options.roundId,
      rosterDigest: this.options.rosterDigest,
      sender: this.options.selfId,
      receiver: this.options.peerId,
      mode,
      setSize: n,
      maxPeerSetSize: this.options.policy.maxPeerSetSize,
      // SPEC §5.3: no labels in cardinality mode.
      labelFields: mode === 'cardinality' ? [] : this.labelPolicy,
      publicKey: this.publicKey,
      logHead: this.options.logHead ?? null,
    };
  }

  // --- receiving ---

  private dispatch(message: Message, frame: Uint8Array, out: Outbound[]): void {
    // SPEC §5.2: every message carries the round id.
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
        this.onBlinded(message, frame, out);
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
    }
    this.advance(out);
  }

  private onOffer(offer: OfferMessage, frame: Uint8Array): void {
    // SPEC §4.5: exactly one OFFER from each side; the initiator's comes first.
    if (this.peerOffer !== undefined) throw new ProtocolError('unexpected-message', 'a second OFFER arrived');
    const own = this.ownOffer!;
    if (Buffer.compare(offer.rosterDigest, own.rosterDigest) !== 0) {
      throw new ProtocolError('roster-mismatch', 'OFFER names a roster digest other than the pinned one');
    }
    if (offer.sender !== this.options.peerId || offer.receiver !== this.options.selfId) {
      throw new ProtocolError(
        'roster-mismatch',
        `OFFER is from ${JSON.stringify(offer.sender)} to ${JSON.stringify(offer.receiver)}, expected from ${JSON.stringify(this.options.peerId)} to ${JSON.stringify(this.options.selfId)}`,
      );
    }
    // SPEC §4.3: both sides run the round in the mode of the schedule, which their policy allows.
    if (offer.mode !== own.mode) {
      throw new ProtocolError('policy-mismatch', `OFFER mode is ${offer.mode}, this party runs ${own.mode}`);
    }
    if (offer.mode === 'cardinality' && offer.labelFields.length > 0) {
      throw new ProtocolError('policy-mismatch', 'OFFER lists label fields in cardinality mode');
    }
    // SPEC §4.3: the cap is enforced by the evaluating side, before any evaluation.
    if (offer.setSize > this.options.policy.maxPeerSetSize) {
      throw new ProtocolError(
        'set-too-large',
        `peer set size ${offer.setSize} exceeds this party's cap ${this.options.policy.maxPeerSetSize}`,
      );
    }
    if (own.setSize > offer.maxPeerSetSize) {
      throw new ProtocolError('set-too-large', `own set size ${own.setSize} exceeds the peer's cap ${offer.maxPeerSetSize}`);
    }
    try {
      decodePoint(offer.publicKey, 'K');
    } catch (cause) {
      throw new ProtocolError('bad-point', `OFFER K is not a valid ristretto255 element`, { cause });
    }
    this.peerOffer = offer;
    this.labelFields = own.labelFields.filter((field) => offer.labelFields.includes(field));
    const n = offer.setSize;
    this.peerBlinded = new Uint8Array(n * POINT_BYTES);
    this.evaluations = new Uint8Array(n * POINT_BYTES);
    this.returned = new Uint8Array(own.setSize * POINT_BYTES);
    this.transcript.absorb(this.peerRole, 'offer', frame);
  }

  /** SPEC §5.4: chunk `seq` of a stream of `total` points must be the next one and of the fixed length. */
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
    try {
      // SPEC §5.1: canonical point checks come last, after size and schema.
      validatePackedPoints(points, `${kind}[${seq}]`);
    } catch (cause) {
      throw new ProtocolError('bad-point', `${kind} chunk ${seq}: ${(cause as Error).message}`, { cause });
    }
  }

  private onBlinded(chunk: BlindedMessage, frame: Uint8Array, out: Outbound[]): void {
    const offer = this.requirePeerOffer('BLINDED');
    this.checkChunk('BLINDED', chunk.seq, this.peerBlindedChunks, offer.setSize, chunk.points);
    const at = chunk.seq * MAX_CHUNK_POINTS * POINT_BYTES;
    this.peerBlinded.set(chunk.points, at);
    this.peerBlindedChunks++;
    this.transcript.absorb(this.peerRole, 'blinded', frame);
    // SPEC §4.4: evaluate each chunk as it arrives.
    const key = this.requireKey();
    const evaluated = this.time('evaluate', () => scalarMultPacked(key, chunk.points));
    this.evaluations.set(evaluated, at);
    if (this.options.mode === 'intersection') {
      // SPEC §5.5: in intersection mode, EVALUATED chunk i answers BLINDED chunk i, in order.
      this.send(out, { kind: 'evaluated', roundId: this.options.roundId, seq: chunk.seq, points: evaluated });
    }
  }

  private onEvaluated(chunk: EvaluatedMessage, frame: Uint8Array): void {
    this.requirePeerOffer('EVALUATED');
    this.checkChunk('EVALUATED', chunk.seq, this.returnedChunks, this.digests.length, chunk.points);
    this.returned.set(chunk.points, chunk.seq * MAX_CHUNK_POINTS * POINT_BYTES);
    this.returnedChunks++;
    this.transcript.absorb(this.peerRole, 'evaluated', frame);
  }

  private onProof(message: ProofMessage, frame: Uint8Array): void {
    const offer = this.requirePeerOffer('PROOF');
    if (this.peerProofVerified) throw new ProtocolError('unexpected-message', 'a second PROOF arrived');
    // SPEC §4.4: the peer sends PROOF after all its BLINDED and EVALUATED chunks.
    if (this.peerBlindedChunks !== pointChunkCount(offer.setSize)) {
      throw new ProtocolError('count-mismatch', `PROOF arrived after ${this.peerBlindedChunks} of ${pointChunkCount(offer.setSize)} BLINDED chunks`);
    }
    const ownCount = this.digests.length;
    if (this.returnedChunks !== pointChunkCount(ownCount)) {
      throw new ProtocolError('count-mismatch', `PROOF arrived after ${this.returnedChunks} of ${pointChunkCount(ownCount)} EVALUATED chunks`);
    }
    // SPEC §4.5, §5.6: 64 bytes per segment of the own list, checked before any verification work.
    const expectedLength = roundProofLength(this.options.mode, ownCount);
    if (message.proof.length !== expectedLength) {
      throw new ProtocolError('bad-proof', `PROOF carries ${message.proof.length} bytes, expected ${expectedLength}`);
    }
    const verdict = this.time('verify', () =>
      verifyRoundProof({
        mode: this.options.mode,
        publicKey: offer.publicKey,
        blinded: this.ownBlinded,
        evaluated: this.returned,
        proof: message.proof,
        proofTranscriptHash: this.transcript.proofHash(this.peerRole),
      }),
    );
    if (!verdict.valid) {
      throw new ProtocolError('bad-proof', `the peer's DLEQ proof does not verify over this party's blinded list: ${verdict.detail}`);
    }
    this.peerProofVerified = true;
    this.transcript.absorb(this.peerRole, 'proof', frame);
  }

  private onLabels(message: LabelsMessage, frame: Uint8Array): void {
    this.requirePeerOffer('LABELS');
    if (this.labelFields.length === 0) throw new ProtocolError('unexpected-message', 'LABELS arrived but no label fields were agreed');
    if (!this.peerProofVerified) throw new ProtocolError('unexpected-message', 'LABELS arrived before PROOF');
    if (this.peerLabelsDone) throw new ProtocolError('unexpected-message', 'LABELS arrived after the last LABELS chunk');
    if (message.seq < this.peerLabelChunks) throw new ProtocolError('duplicate-chunk', `LABELS chunk ${message.seq} arrived twice`);
    if (message.seq > this.peerLabelChunks) {
      throw new ProtocolError('unexpected-message', `LABELS chunk ${message.seq} arrived before chunk ${this.peerLabelChunks}`);
    }
    for (const entry of message.entries) {
      // SPEC §5.7: keys name matched items, each at most once, and only agreed fields are sent.
      const position = this.matchedByValue.get(pointKey(entry.key, 0));
      if (position === undefined) throw new ProtocolError('bad-label', 'LABELS entry keyed by a value that is not a matched item');
      if (this.peerLabels.has(position)) throw new ProtocolError('bad-label', 'LABELS entry repeats a key');
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
      this.peerLabels.set(position, label);
    }
    this.peerLabelChunks++;
    if (message.end) this.peerLabelsDone = true;
    this.transcript.absorb(this.peerRole, 'labels', frame);
  }

  private onFinish(message: FinishMessage): void {
    this.requirePeerOffer('FINISH');
    // SPEC §4.4: FINISH comes last; by then this party has sent its own FINISH.
    if (!this.peerProofVerified || (this.labelFields.length > 0 && !this.peerLabelsDone) || this.ownFinish === undefined) {
      throw new ProtocolError('unexpected-message', 'FINISH arrived before the peer\'s PROOF and LABELS were complete');
    }
    const input = finishSignatureInput(this.peerRole, this.options.roundId, this.transcriptHash!, message.intersectionSize);
    if (!ed25519Verify(this.options.peerPublicKey, input, message.signature)) {
      throw new ProtocolError('bad-signature', 'FINISH signature does not verify under the peer\'s roster key');
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

  // --- sending: everything that has become possible, in SPEC §4.4 order ---

  private advance(out: Outbound[]): void {
    if (this.finished || this.peerOffer === undefined) return;
    const offer = this.peerOffer;
    const roundId = this.options.roundId;
    if (!this.ownBlindedSent) {
      if (this.role === 'responder') this.send(out, this.ownOffer!);
      for (let seq = 0; seq < pointChunkCount(this.digests.length); seq++) {
        const start = seq * MAX_CHUNK_POINTS * POINT_BYTES;
        const points = this.ownBlinded.subarray(start, start + pointChunkLength(this.digests.length, seq) * POINT_BYTES);
        this.send(out, { kind: 'blinded', roundId, seq, points });
      }
      this.ownBlindedSent = true;
    }
    const peerBlindedDone = this.peerBlindedChunks === pointChunkCount(offer.setSize);
    if (!peerBlindedDone) return;
    if (!this.evaluatedSent) {
      if (this.options.mode === 'cardinality') this.sendShuffledEvaluations(out);
      this.evaluatedSent = true;
    }
    if (!this.proofSent) {
      this.send(out, { kind: 'proof', roundId, proof: this.prove(offer) });
      this.proofSent = true;
    }
    if (!this.peerProofVerified) return;
    if (!this.matched) this.time('match', () => this.match());
    if (this.labelFields.length > 0 && !this.labelsSent) {
      this.sendLabels(out);
      this.labelsSent = true;
    }
    if (this.labelFields.length > 0 && !this.peerLabelsDone) return;
    if (this.ownFinish === undefined) {
      this.transcriptHash = this.transcript.finalHash();
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

  /** SPEC §5.5: in cardinality mode the evaluations go back in a fresh uniformly random order. */
  private sendShuffledEvaluations(out: Outbound[]): void {
    const n = this.peerOffer!.setSize;
    const order = randomPermutation(n, this.options.rng);
    const shuffled = new Uint8Array(n * POINT_BYTES);
    for (let p = 0; p < n; p++) {
      const from = order[p]! * POINT_BYTES;
      shuffled.set(this.evaluations.subarray(from, from + POINT_BYTES), p * POINT_BYTES);
    }
    for (let seq = 0; seq < pointChunkCount(n); seq++) {
      const start = seq * MAX_CHUNK_POINTS * POINT_BYTES;
      const points = shuffled.subarray(start, start + pointChunkLength(n, seq) * POINT_BYTES);
      this.send(out, { kind: 'evaluated', roundId: this.options.roundId, seq, points });
    }
  }

  /** SPEC §6: the segmented DLEQ proof that E = k·C for the peer's list, under K = k·G. */
  private prove(offer: OfferMessage): Uint8Array {
    const key = this.requireKey();
    try {
      if (offer.setSize === 0) return new Uint8Array(0);
      const proofTranscriptHash = this.transcript.proofHash(this.role);
      return this.time('prove', () => {
        try {
          return generateRoundProof(key, this.options.mode, this.publicKey, this.peerBlinded, this.evaluations, proofTranscriptHash, this.options.rng);
        } catch (cause) {
          // SPEC §6.3: only a crafted peer list sums to the identity (cardinality mode).
          if (cause instanceof CryptoError && this.options.mode === 'cardinality') {
            throw new ProtocolError('bad-point', 'the peer\'s blinded points sum to the identity', { cause });
          }
          throw cause;
        }
      });
    } finally {
      // SPEC §3.3: k is not needed after the proof; wipe it now.
      wipe(key);
      this.key = undefined;
    }
  }

  /** SPEC §4.2 step 5: own position p matches iff the value returned for it is among the peer's evaluations. */
  private match(): void {
    const peerValues = new Set<string>();
    const n = this.peerOffer!.setSize;
    for (let j = 0; j < n; j++) peerValues.add(pointKey(this.evaluations, j));
    for (let p = 0; p < this.digests.length; p++) {
      const value = pointKey(this.returned, p);
      if (!peerValues.has(value)) continue;
      this.intersectionSize++;
      if (this.options.mode === 'intersection') {
        this.matchedPositions.push(p);
        this.matchedByValue.set(value, p);
      }
    }
    this.matched = true;
  }

  /** SPEC §5.7: labels of matched items, keyed by their doubly blinded value, agreed fields only. */
  private sendLabels(out: Outbound[]): void {
    const entries: LabelEntry[] = [];
    for (const p of this.matchedPositions) {
      const label = this.options.labels?.[this.firstIndex[this.order[p]!]!];
      if (label === undefined) continue;
      const entry: { key: Uint8Array; category?: string; firstSeen?: string; reason?: string } = {
        key: this.returned.slice(p * POINT_BYTES, (p + 1) * POINT_BYTES),
      };
      if (label.category !== undefined && this.labelFields.includes('category')) entry.category = label.category;
      if (label.firstSeen !== undefined && this.labelFields.includes('first_seen')) entry.firstSeen = label.firstSeen;
      if (label.reason !== undefined && this.labelFields.includes('reason')) entry.reason = label.reason;
      if (entry.category !== undefined || entry.firstSeen !== undefined || entry.reason !== undefined) entries.push(entry);
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
    const matches: RoundMatch[] = this.matchedPositions.map((p) => {
      const distinct = this.order[p]!;
      const peerLabel = this.peerLabels.get(p);
      return {
        index: this.firstIndex[distinct]!,
        element: this.digests[distinct]!.slice(),
        ...(peerLabel === undefined ? {} : { peerLabel }),
      };
    });
    matches.sort((a, b) => a.index - b.index);
    const result: CompletedResult = {
      // SPEC §8: unequal claimed sizes mark the round disputed.
      status: peerFinish.intersectionSize === this.intersectionSize ? 'completed' : 'disputed',
      role: this.role,
      mode: this.options.mode,
      roundId: this.options.roundId,
      ownOffer: this.ownOffer!,
      peerOffer: this.peerOffer!,
      matches,
      intersectionSize: this.intersectionSize,
      peerIntersectionSize: peerFinish.intersectionSize,
      ownSetSize: this.digests.length,
      peerSetSize: this.peerOffer!.setSize,
      transcriptHash: this.transcriptHash!,
      ownFinish: this.ownFinish!,
      peerFinish,
    };
    this.finished = result;
    this.release();
  }

  private abortedResult(reason: AbortReason, detail: string, error?: ProtocolError, peerReason?: string): AbortedResult {
    return {
      status: 'aborted',
      role: this.role,
      mode: this.options.mode,
      roundId: this.options.roundId,
      ownOffer: this.ownOffer,
      peerOffer: this.peerOffer,
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

  /** Drops the secret key and the large buffers once the round has ended. */
  private release(): void {
    if (this.key !== undefined) {
      wipe(this.key);
      this.key = undefined;
    }
    this.ownBlinded = new Uint8Array(0);
    this.peerBlinded = new Uint8Array(0);
    this.evaluations = new Uint8Array(0);
    this.returned = new Uint8Array(0);
    this.matchedByValue.clear();
  }
}
