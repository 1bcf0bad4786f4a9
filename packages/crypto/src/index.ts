/** @venn/crypto: ristretto255 (RFC 9496), hash-to-group (RFC 9380), batched DLEQ proofs (RFC 9497 §2.2), Ed25519. */
export { ready } from './internal/sodium.js';
export { POINT_BYTES, SCALAR_BYTES, PROOF_BYTES } from './internal/check.js';
export {
  type Rng,
  systemRng,
  randomScalar,
  scalarBaseMult,
  scalarMult,
  scalarMultPacked,
  decodePoint,
  validatePackedPoints,
  sumPacked,
} from './ristretto255.js';
export { expandMessageXmd, hashToGroup, hashToGroupMany, hashToScalar } from './hash.js';
export { MAX_PROOF_PAIRS, generateProof, verifyProof } from './dleq.js';
export { constantTimeEqual, wipe } from './bytes.js';
export { ed25519KeyPairFromSeed, ed25519Sign, ed25519Verify } from './ed25519.js';
export {
  AEAD_KEY_BYTES,
  AEAD_NONCE_BYTES,
  AEAD_TAG_BYTES,
  BLAKE2B_KEY_BYTES_MIN,
  BLAKE2B_KEY_BYTES_MAX,
  BLAKE2B_OUT_BYTES_MIN,
  BLAKE2B_OUT_BYTES_MAX,
  aeadSeal,
  aeadOpen,
  keyedBlake2b,
} from './symmetric.js';
