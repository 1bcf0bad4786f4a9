/** Venn protocol v2 message types (protocol-spec/SPEC.md §5), as seen by code on either side of the codec. */

/** SPEC §5.1: the numeric `t` of each message on the wire, also the type byte of its transcript frame. */
export const MessageType = {
  offer: 1,
  blinded: 2,
  evaluated: 3,
  proof: 4,
  labels: 5,
  finish: 6,
  abort: 7,
  /** SPEC §13.4: epoch rounds only. */
  removed: 8,
} as const;

export type MessageKind = keyof typeof MessageType;

/** SPEC §4: what the round reveals. */
export type Mode = 'intersection' | 'cardinality';
export const MODES: readonly Mode[] = ['intersection', 'cardinality'];

/** SPEC §5.7: label fields a party may share for matched items, in canonical order. */
export type LabelField = 'category' | 'first_seen' | 'reason';
export const LABEL_FIELDS: readonly LabelField[] = ['category', 'first_seen', 'reason'];

/** SPEC §5.3: the sender's latest signed log head (RFC 9162 style tree head), carried verbatim. */
export interface LogHead {
  /** number of leaves in the sender's transcript log */
  readonly size: number;
  /** Merkle tree root, 32 bytes */
  readonly root: Uint8Array;
  /** milliseconds since the Unix epoch */
  readonly timestamp: number;
  /** Ed25519 signature by the sender's identity key, 64 bytes */
  readonly signature: Uint8Array;
}

export interface OfferMessage {
  readonly kind: 'offer';
  readonly version: number;
  readonly roundId: Uint8Array;
  readonly rosterDigest: Uint8Array;
  readonly sender: string;
  readonly receiver: string;
  readonly mode: Mode;
  /** number of distinct elements the sender will blind */
  readonly setSize: number;
  /**
   * `cap`: the largest peer set the sender evaluates in this attempt, min(maxPeerSetSize,
   * evaluation allowance) (SPEC §4.3), recorded in the transcript
   */
  readonly maxPeerSetSize: number;
  /** label fields the sender is willing to share, in LABEL_FIELDS order */
  readonly labelFields: readonly LabelField[];
  /** `idr`: the rules the sender's set was built under, 1..128 bytes of printable ASCII (SPEC §5.3) */
  readonly identifierRules: string;
  /** K = k·G, the sender's per-round public key */
  readonly publicKey: Uint8Array;
  readonly logHead: LogHead | null;
  /** `ep`: present only in an epoch round (SPEC §13.3) */
  readonly epoch?: EpochOffer;
}

/** SPEC §13.3: the OFFER's `ep` map, which places a round in its key epoch and chains it to the previous one. */
export interface EpochOffer {
  /** `id`: the epoch id, 32 bytes */
  readonly id: Uint8Array;
  /** `i`: the round's index in the epoch, 0 for the epoch start */
  readonly index: number;
  /** `prev`: TH_final of round i − 1 of the epoch, 64 bytes; 64 zero bytes for i = 0 */
  readonly previousHash: Uint8Array;
  /** `acc`: the sender's element count in the epoch once this round completes */
  readonly accumulated: number;
  /** `rem`: how many of its elements the sender removes in this round (its REMOVED stream) */
  readonly removals: number;
  /** `ecap`: the largest accumulated peer set the sender holds in this epoch */
  readonly epochCap: number;
}

/** A chunk of the sender's own blinded elements, k·H(x), packed as 32·m bytes. */
export interface BlindedMessage {
  readonly kind: 'blinded';
  readonly roundId: Uint8Array;
  readonly seq: number;
  readonly points: Uint8Array;
}

/**
 * The sender's key applied to the peer's BLINDED chunk `seq` (`intersection`), or chunk `seq` of
 * its shuffled evaluations (`cardinality`), packed as 32·m bytes.
 */
export interface EvaluatedMessage {
  readonly kind: 'evaluated';
  readonly roundId: Uint8Array;
  readonly seq: number;
  readonly points: Uint8Array;
  /** `pi`: the chunk's DLEQ proof c || s (64 bytes) in `intersection` mode, empty in `cardinality` mode (SPEC §5.5) */
  readonly proof: Uint8Array;
}

/** `cardinality` mode only: the DLEQ proof over the sums, c || s (64 bytes), or empty when the peer's set is empty. */
export interface ProofMessage {
  readonly kind: 'proof';
  readonly roundId: Uint8Array;
  readonly proof: Uint8Array;
}

/**
 * SPEC §13.4: a chunk of the doubly blinded values of elements the sender removes from the
 * epoch, packed as 32·m bytes, the whole stream in ascending byte order.
 */
export interface RemovedMessage {
  readonly kind: 'removed';
  readonly roundId: Uint8Array;
  readonly seq: number;
  readonly points: Uint8Array;
}

export interface LabelValues {
  readonly category?: string;
  /** RFC 3339 full-date, YYYY-MM-DD */
  readonly firstSeen?: string;
  readonly reason?: string;
}

export interface LabelEntry extends LabelValues {
  /** the doubly blinded value of the matched item */
  readonly key: Uint8Array;
}

export interface LabelsMessage {
  readonly kind: 'labels';
  readonly roundId: Uint8Array;
  readonly seq: number;
  /** true on the sender's last LABELS chunk */
  readonly end: boolean;
  readonly entries: readonly LabelEntry[];
}

export interface FinishMessage {
  readonly kind: 'finish';
  readonly roundId: Uint8Array;
  /** the intersection size the sender computed */
  readonly intersectionSize: number;
  /** Ed25519 signature over the FINISH input (SPEC §8) */
  readonly signature: Uint8Array;
}

export interface AbortMessage {
  readonly kind: 'abort';
  readonly roundId: Uint8Array;
  /** kebab-case reason code (SPEC §9) */
  readonly reason: string;
  /** short human-readable detail; never secret material */
  readonly detail: string;
}

export type Message =
  | OfferMessage
  | BlindedMessage
  | EvaluatedMessage
  | ProofMessage
  | LabelsMessage
  | FinishMessage
  | AbortMessage
  | RemovedMessage;
