/** Public types of a Venn round (SPEC §4): options in, messages and a result out. */
import type { ProtocolError } from '@venn/errors';
import type { Rng } from '@venn/crypto';
import type { FinishMessage, LabelField, LabelValues, LogHead, MessageKind, Mode, OfferMessage } from '@venn/wire';
import type { AbortReason } from './abort.js';
import type { EpochRoundInput, EpochRoundResult } from './epoch.js';
import type { OwnSet } from './own-set.js';
import type { Role } from './roles.js';

/** SPEC §4.3: what a party accepts from a peer. Both sides enforce their own policy on the peer's OFFER. */
export interface RoundPolicy {
  /** the largest peer set this party evaluates in a round, 0 … MAX_SET_SIZE */
  readonly maxPeerSetSize: number;
  /**
   * how many of this peer's elements this party still evaluates in this attempt, 0 …
   * maxPeerSetSize (from the node's evaluation budgets); the OFFER states
   * cap = min(maxPeerSetSize, evaluationAllowance), and a larger peer set is refused with
   * budget-exceeded before any evaluation
   */
  readonly evaluationAllowance: number;
  /** modes this party takes part in */
  readonly modes: readonly Mode[];
  /** label fields this party shares and accepts; the fields used are those both offer */
  readonly labelFields: readonly LabelField[];
  /**
   * SPEC §4.3, §10.4: `cardinality` mode is secure only against an honest-but-curious peer; it
   * runs only when this is true (and `modes` lists it)
   */
  readonly semiHonestCardinality: boolean;
  /** SPEC §4.3: go on with a peer whose identifier rules (`idr`) differ from own; otherwise identifier-rules-mismatch */
  readonly allowIdentifierRulesMismatch: boolean;
}

/** The work phases a benchmark can time (SPEC §4.2). */
export type Phase = 'hash-to-group' | 'blind' | 'evaluate' | 'prove' | 'verify' | 'match';

/**
 * Wraps each unit of work of `phase` and returns what it returns. The round owns no clock: a
 * benchmark passes a timer that reads its own.
 */
export type PhaseTimer = <T>(phase: Phase, work: () => T) => T;

/** One message as it crossed the wire, for the transcript bundle (SPEC §7). */
export interface TranscriptRecord {
  readonly direction: 'sent' | 'received';
  readonly sender: Role;
  /** undefined for a received frame that did not decode */
  readonly kind: MessageKind | undefined;
  readonly bytes: Uint8Array;
}

export interface RoundOptions {
  readonly role: Role;
  /** 32 bytes, fixed by the schedule; every message carries it */
  readonly roundId: Uint8Array;
  /** 32 bytes, digest of the roster both parties pinned */
  readonly rosterDigest: Uint8Array;
  readonly selfId: string;
  readonly peerId: string;
  /**
   * the round's mode (SPEC §4.1), which `policy` must allow; or, for the responder of an ad-hoc
   * round only, 'offered': run the mode of the initiator's OFFER if `policy` allows it
   * (`cardinality` only with `policy.semiHonestCardinality`), else refuse with policy-mismatch
   */
  readonly mode: Mode | 'offered';
  readonly policy: RoundPolicy;
  /** own identifier rules string (SPEC §5.3 `idr`): 1 … 128 bytes of printable ASCII */
  readonly identifierRules: string;
  /**
   * the own set: its size now, its digests through `load()`, which the round calls only once the
   * peer's OFFER passed its checks (responder) or in `start()` (initiator), SPEC §4.4
   */
  readonly ownSet: OwnSet;
  /** source of secret randomness: the round key, shuffles and the proof nonces */
  readonly rng: Rng;
  /** own Ed25519 identity secret key, seed || public key (64 bytes), signs FINISH */
  readonly signingKey: Uint8Array;
  /** the peer's Ed25519 identity public key from the roster (32 bytes), checks its FINISH */
  readonly peerPublicKey: Uint8Array;
  /** own latest signed log head, sent in OFFER so split views surface across labs */
  readonly logHead?: LogHead | null;
  readonly phaseTimer?: PhaseTimer;
  /** called with every message sent or received, in order, before it is acted on */
  readonly onMessage?: (record: TranscriptRecord) => void;
  /**
   * Present for a round of a key epoch (SPEC §13): `ownSet` then holds only the own additions
   * since the previous round (none of them already in the epoch), the key is the epoch's, and the
   * mode must be `intersection`. A responder adds at most as many as the initiator's `cap` and
   * `ecap` allow; the rest wait for a later round.
   */
  readonly epoch?: EpochRoundInput;
}

/** Bytes to send to the peer, in order. */
export interface Outbound {
  readonly kind: MessageKind;
  readonly bytes: Uint8Array;
}

interface ResultBase {
  readonly role: Role;
  readonly roundId: Uint8Array;
  readonly ownOffer: OfferMessage | undefined;
  readonly peerOffer: OfferMessage | undefined;
  /** `ownSet.size` */
  readonly ownSetSize: number;
  /** points this party sent in EVALUATED chunks: evaluations it served the peer */
  readonly evaluationsSent: number;
  /** points in the peer's EVALUATED chunks this party accepted (with verified proofs in `intersection` mode) */
  readonly evaluationsReceived: number;
}

export interface CompletedResult extends ResultBase {
  /** 'disputed' when the two FINISH messages claim different sizes */
  readonly status: 'completed' | 'disputed';
  readonly mode: Mode;
  readonly ownOffer: OfferMessage;
  readonly peerOffer: OfferMessage;
  /** indices into the own set's digests of the elements the peer also holds, ascending; empty in cardinality mode */
  readonly matches: Uint32Array;
  /** the matched digests, 32 bytes each, packed in the order of `matches` */
  readonly matchedDigests: Uint8Array;
  /** the peer's label for a matched own index, where it sent one */
  readonly peerLabels: ReadonlyMap<number, LabelValues>;
  /** the intersection size this party computed and signed */
  readonly intersectionSize: number;
  /** the size the peer claimed in its FINISH */
  readonly peerIntersectionSize: number;
  /** the peer's declared (and delivered) set size */
  readonly peerSetSize: number;
  /** TH_final (SPEC §7.3), signed by both FINISH messages */
  readonly transcriptHash: Uint8Array;
  readonly ownFinish: FinishMessage;
  readonly peerFinish: FinishMessage;
  /**
   * Epoch rounds only (SPEC §13.7): what the round changed. `matches` and `peerLabels` are then
   * empty and `matchedDigests` holds the new matches (`epoch.newMatches`); `intersectionSize` is
   * the epoch's intersection after the round.
   */
  readonly epoch?: EpochRoundResult;
}

export interface AbortedResult extends ResultBase {
  readonly status: 'aborted';
  /** the round's mode, once known (a responder with mode 'offered' learns it from the accepted OFFER) */
  readonly mode: Mode | undefined;
  /** the `n` of the peer's OFFER, if one was decoded and accepted */
  readonly peerSetSize: number | undefined;
  /** own reason, or 'peer-abort' when the peer sent ABORT */
  readonly reason: AbortReason;
  /** the peer's reason code when reason is 'peer-abort' */
  readonly peerReason?: string;
  readonly detail: string;
  /** the error behind an abort this party raised */
  readonly error?: ProtocolError;
}

export type RoundResult = CompletedResult | AbortedResult;
