/** Public types of a Venn round (SPEC §4): options in, messages and a result out. */
import type { ProtocolError } from '@venn/errors';
import type { Rng } from '@venn/crypto';
import type {
  FinishMessage,
  LabelField,
  LabelValues,
  LogHead,
  MessageKind,
  Mode,
  OfferMessage,
} from '@venn/wire';
import type { AbortReason } from './abort.js';
import type { Role } from './roles.js';

/** SPEC §4.3: what a party accepts from a peer. Both sides enforce their own policy. */
export interface RoundPolicy {
  /** the largest peer set this party evaluates; larger offers are refused before any evaluation */
  readonly maxPeerSetSize: number;
  /** modes this party takes part in */
  readonly modes: readonly Mode[];
  /** label fields this party shares and accepts; the fields used are those both offer */
  readonly labelFields: readonly LabelField[];
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
  readonly mode: Mode;
  readonly policy: RoundPolicy;
  /** own identifier digests, 32 bytes each; duplicates are dropped, order is irrelevant */
  readonly elements: readonly Uint8Array[];
  /** optional labels, aligned with `elements`; shared only for matched items and allowed fields */
  readonly labels?: ReadonlyArray<LabelValues | undefined>;
  /** source of secret randomness: the round key, shuffles and the proof nonce */
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
}

/** Bytes to send to the peer, in order. */
export interface Outbound {
  readonly kind: MessageKind;
  readonly bytes: Uint8Array;
}

export interface RoundMatch {
  /** index into `options.elements` (first occurrence if the element was given twice) */
  readonly index: number;
  readonly element: Uint8Array;
  /** the peer's label for this item, if it sent one */
  readonly peerLabel?: LabelValues;
}

interface ResultBase {
  readonly role: Role;
  readonly mode: Mode;
  readonly roundId: Uint8Array;
  readonly ownOffer: OfferMessage | undefined;
  readonly peerOffer: OfferMessage | undefined;
}

export interface CompletedResult extends ResultBase {
  /** 'disputed' when the two FINISH messages claim different sizes */
  readonly status: 'completed' | 'disputed';
  readonly ownOffer: OfferMessage;
  readonly peerOffer: OfferMessage;
  /** own elements the peer also holds; empty in cardinality mode */
  readonly matches: readonly RoundMatch[];
  /** the intersection size this party computed and signed */
  readonly intersectionSize: number;
  /** the size the peer claimed in its FINISH */
  readonly peerIntersectionSize: number;
  /** distinct own elements blinded */
  readonly ownSetSize: number;
  /** the peer's declared (and delivered) set size */
  readonly peerSetSize: number;
  /** TH_final (SPEC §7.3), signed by both FINISH messages */
  readonly transcriptHash: Uint8Array;
  readonly ownFinish: FinishMessage;
  readonly peerFinish: FinishMessage;
}

export interface AbortedResult extends ResultBase {
  readonly status: 'aborted';
  /** own reason, or 'peer-abort' when the peer sent ABORT */
  readonly reason: AbortReason;
  /** the peer's reason code when reason is 'peer-abort' */
  readonly peerReason?: string;
  readonly detail: string;
  /** the error behind an abort this party raised */
  readonly error?: ProtocolError;
}

export type RoundResult = CompletedResult | AbortedResult;
