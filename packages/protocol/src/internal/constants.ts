/** Venn protocol v1 domain separation strings and fixed encodings (protocol-spec/SPEC.md §2, §6–§8). */

const ascii = (text: string): Uint8Array => new TextEncoder().encode(text);

/**
 * SPEC §3.2: DST for hash_to_ristretto255 of an identifier digest, following the RFC 9380 §3.1
 * "<application>-V<xx>-CS<yy>-with-<suite>" convention for suite ristretto255_XMD:SHA-512_R255MAP_RO_.
 */
export const HASH_TO_GROUP_DST = ascii('VENN-V01-CS01-with-ristretto255_XMD:SHA-512_R255MAP_RO_');

/** SPEC §6.1: the RFC 9497 contextString of a proof is this prefix followed by the 64-byte TH_proof. */
export const DLEQ_CONTEXT_PREFIX = ascii('VENN-V01-DLEQ-');

/** SPEC §7.2: the initial input of every stream digest. */
export const STREAM_LABEL = ascii('VENN-V01-STREAM');

/** SPEC §7.3: the initial input of every transcript hash. */
export const TRANSCRIPT_LABEL = ascii('VENN-V01-TRANSCRIPT');

/** SPEC §8: the first bytes of every FINISH signature input. */
export const FINISH_LABEL = ascii('VENN-V01-FINISH');

/** SPEC §7.3: purpose bytes of the two transcript hashes. */
export const PURPOSE_PROOF = 0x01;
export const PURPOSE_FINISH = 0x02;

/** RFC 9496 §4.4 / Appendix A.1: the canonical encoding of the ristretto255 generator B. */
export const GENERATOR = Uint8Array.from(
  Buffer.from('e2f2ae0a6abc4e71a884a961c500515f58e30b6aa582dd8db6a65945e08d2d76', 'hex'),
);
