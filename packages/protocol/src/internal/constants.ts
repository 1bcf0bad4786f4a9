/** Venn protocol v2 domain separation strings and fixed encodings (protocol-spec/SPEC.md §2, §6–§8, §11). */

const ascii = (text: string): Uint8Array => new TextEncoder().encode(text);

/**
 * SPEC §3.2: DST for hash_to_ristretto255 of an identifier digest, following the RFC 9380 §3.1
 * "<application>-V<xx>-CS<yy>-with-<suite>" convention for suite ristretto255_XMD:SHA-512_R255MAP_RO_.
 */
export const HASH_TO_GROUP_DST = ascii('VENN-V02-CS01-with-ristretto255_XMD:SHA-512_R255MAP_RO_');

/** SPEC §6.1: the RFC 9497 contextString of every proof starts with this prefix (14 bytes). */
export const DLEQ_CONTEXT_PREFIX = ascii('VENN-V02-DLEQ-');

/** SPEC §6.1: the first input of TH_chunk, which binds a chunk proof to its chunk (14 bytes). */
export const CHUNK_LABEL = ascii('VENN-V02-CHUNK');

/** SPEC §7.2: the initial input of every stream digest. */
export const STREAM_LABEL = ascii('VENN-V02-STREAM');

/** SPEC §7.3: the initial input of every transcript hash. */
export const TRANSCRIPT_LABEL = ascii('VENN-V02-TRANSCRIPT');

/** SPEC §8: the first bytes of every FINISH signature input. */
export const FINISH_LABEL = ascii('VENN-V02-FINISH');

/** SPEC §7.3: purpose bytes of the transcript hashes. */
export const PURPOSE_PROOF = 0x01;
export const PURPOSE_FINISH = 0x02;
/** audit.md §3: the attempt hash of an attempt that ended before both FINISH messages. */
export const PURPOSE_ATTEMPT = 0x03;
export const PURPOSE_PRE = 0x04;
/** SPEC §13.5: the transcript hashes of an epoch round, which add the REMOVED streams 10 and 11. */
export const PURPOSE_EPOCH_PRE = 0x05;
export const PURPOSE_EPOCH_FINISH = 0x06;
export const PURPOSE_EPOCH_ATTEMPT = 0x07;

/** RFC 9496 §4.4 / Appendix A.1: the canonical encoding of the ristretto255 generator B. */
export const GENERATOR = Uint8Array.from(
  Buffer.from('e2f2ae0a6abc4e71a884a961c500515f58e30b6aa582dd8db6a65945e08d2d76', 'hex'),
);
