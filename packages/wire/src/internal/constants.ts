/** Venn protocol v2 constants (protocol-spec/SPEC.md §2 and §5); the transport sizes its frames from these. */

/** SPEC §5.1: the only protocol version this implementation speaks. */
export const PROTOCOL_VERSION = 2;

/** SPEC §2.1: encoded ristretto255 element (RFC 9496 §4.3.2) and scalar length. */
export const POINT_BYTES = 32;

/** SPEC §5.2: round ids and roster digests are 32 opaque bytes. */
export const ROUND_ID_BYTES = 32;
export const ROSTER_DIGEST_BYTES = 32;

/** SPEC §6: one proof (an RFC 9497 §2.2.1 batched DLEQ proof) is c || s, two 32-byte scalars. */
export const PROOF_BYTES = 64;

/** Ed25519 signature length (RFC 8032 §5.1.6). */
export const SIGNATURE_BYTES = 64;

/**
 * SPEC §5.4: every BLINDED/EVALUATED chunk but the last carries exactly this many points (128 KiB);
 * in `intersection` mode one chunk proof covers one EVALUATED chunk (SPEC §6.1).
 */
export const MAX_CHUNK_POINTS = 4096;

/**
 * SPEC §5.3: the largest set a party may declare (2^20). It bounds a party's point buffers to
 * 128 MiB and a point stream to 256 chunks.
 */
export const MAX_SET_SIZE = 1_048_576;

/** SPEC §5.7: every LABELS chunk but the last carries exactly this many entries. */
export const MAX_LABEL_ENTRIES = 512;

/** SPEC §5.7: UTF-8 byte bounds of label values. */
export const MAX_CATEGORY_BYTES = 64;
export const FIRST_SEEN_BYTES = 10;
export const MAX_REASON_BYTES = 256;

/** SPEC §5.3: member ids are 1..128 bytes of UTF-8. */
export const MAX_MEMBER_ID_BYTES = 128;

/** SPEC §5.3: the OFFER's identifier rules string `idr` is 1..128 bytes of printable ASCII (0x20..0x7e). */
export const MAX_IDENTIFIER_RULES_BYTES = 128;

/** SPEC §5.9: ABORT reason code and detail bounds. */
export const MAX_ABORT_CODE_BYTES = 64;
export const MAX_ABORT_DETAIL_BYTES = 256;

/**
 * SPEC §5.1: the largest frame (one encoded message) a receiver accepts. A full BLINDED or
 * EVALUATED chunk is just over 128 KiB and a full LABELS chunk just under 194 KiB, so 256 KiB
 * covers every valid message.
 */
export const MAX_FRAME_BYTES = 262_144;

/** SPEC §5.1: the deepest nesting of msgpack containers in a valid message (LABELS entries). */
export const MAX_NESTING_DEPTH = 3;

/**
 * SPEC §5.1: the most entries of any map in a valid message (OFFER's 14 keys, with the optional
 * epoch map `ep` of SPEC §13.3), and the most items
 * of any array (a LABELS chunk). A larger container is refused from its header alone.
 */
export const MAX_MAP_ENTRIES = 14;
export const MAX_ARRAY_ITEMS = MAX_LABEL_ENTRIES;

/**
 * SPEC §13: the most elements one side may hold in a key epoch (2^24). Additions per round stay
 * within MAX_SET_SIZE; an epoch accumulates them, and FINISH claims the epoch's intersection.
 */
export const MAX_EPOCH_SET_SIZE = 16_777_216;

/** SPEC §13.3: the index of a round within its epoch is a u32. */
export const MAX_EPOCH_INDEX = 0xffff_ffff;

/** SPEC §7.3: a transcript hash (SHA-512), the epoch chain link `prev` (SPEC §13.3). */
export const TRANSCRIPT_HASH_BYTES = 64;

/** SPEC §13.3: the epoch id is 32 bytes. */
export const EPOCH_ID_BYTES = 32;
