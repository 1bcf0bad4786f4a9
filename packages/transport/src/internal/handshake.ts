/**
 * The Venn session handshake (transport.md §3-4): SIGMA-I in shape, three messages, ephemeral
 * X25519 for forward secrecy, Ed25519 identity signatures over a running BLAKE2b transcript, keys
 * derived with keyed BLAKE2b. Sans-I/O: feed it bytes, it returns bytes or throws a typed error.
 */
import { TransportError, VennError } from '@venn/errors';
import { concatBytes, decodeUtf8, equalPublicBytes, toHex, utf8 } from './bytes.js';
import {
  AEAD_NONCE_BYTES,
  AEAD_TAG_BYTES,
  SIGNATURE_BYTES,
  aeadOpen,
  aeadSeal,
  blake2b256,
  ed25519Sign,
  ed25519Verify,
  wipe,
  x25519,
  x25519KeyPair,
} from './primitives.js';
import { isCloseReason, type CloseReason } from './reasons.js';
import { findMember, rosterDigest, type Roster } from './roster.js';

export const PROTOCOL_NAME = 'venn-transport/1';
export const PROTOCOL_VERSION = 1;

export const MSG_HELLO = 0x01;
export const MSG_RESPONSE = 0x02;
export const MSG_AUTH = 0x03;
export const MSG_SEALED = 0x10;

export const MAX_PURPOSE_BYTES = 64;
const MAX_ID_BYTES = 63;
const HELLO_FIXED_BYTES = 1 + 1 + 32 + 32 + 1;
const RESPONSE_PREFIX_BYTES = 1 + 32;
const MIN_IDENTITY_PAYLOAD = 1 + 1 + SIGNATURE_BYTES;
/** Largest legal handshake message (a RESPONSE with a 63-byte id); anything longer is refused unread. */
export const MAX_HANDSHAKE_MESSAGE_BYTES = RESPONSE_PREFIX_BYTES + 1 + MAX_ID_BYTES + SIGNATURE_BYTES + AEAD_TAG_BYTES;

export const LABEL_HANDSHAKE_R2I = `${PROTOCOL_NAME} handshake r2i`;
export const LABEL_HANDSHAKE_I2R = `${PROTOCOL_NAME} handshake i2r`;
export const LABEL_MASTER = `${PROTOCOL_NAME} master`;
export const LABEL_TRAFFIC_I2R = `${PROTOCOL_NAME} traffic i2r`;
export const LABEL_TRAFFIC_R2I = `${PROTOCOL_NAME} traffic r2i`;
export const LABEL_SIGNATURE_R = `${PROTOCOL_NAME} responder signature`;
export const LABEL_SIGNATURE_I = `${PROTOCOL_NAME} initiator signature`;

/** A node's own identity: its roster id and its 64-byte libsodium Ed25519 secret key (seed || public). */
export interface NodeIdentity {
  readonly id: string;
  readonly secretKey: Uint8Array;
}

/** What a finished handshake hands to the session: directional traffic keys and the bound values. */
export interface HandshakeResult {
  readonly peerId: string;
  readonly purpose: Uint8Array;
  /** The final transcript hash th_c: a channel binding that names this session and nothing else. */
  readonly handshakeHash: Uint8Array;
  readonly sendKey: Uint8Array;
  readonly receiveKey: Uint8Array;
}

function fail(reason: CloseReason, message: string, cause?: unknown): TransportError {
  return new TransportError(reason, message, cause === undefined ? undefined : { cause });
}

/** transport.md §3.1: every handshake byte on the wire is hashed, in order, into th. */
class Transcript {
  hash: Uint8Array = blake2b256(utf8(PROTOCOL_NAME));

  mixHash(bytes: Uint8Array): Uint8Array {
    this.hash = blake2b256(concatBytes(this.hash, bytes));
    return this.hash;
  }
}

const ZERO_NONCE = new Uint8Array(AEAD_NONCE_BYTES);

function kdf(key: Uint8Array, label: string, context: Uint8Array = new Uint8Array(0)): Uint8Array {
  return blake2b256(concatBytes(utf8(label), context), key);
}

function signedContent(label: string, transcriptHash: Uint8Array, id: string): Uint8Array {
  const idBytes = utf8(id);
  return concatBytes(utf8(label), new Uint8Array([0]), transcriptHash, new Uint8Array([idBytes.length]), idBytes);
}

function identityPayload(label: string, transcriptHash: Uint8Array, identity: NodeIdentity): Uint8Array {
  const idBytes = utf8(identity.id);
  const signature = ed25519Sign(signedContent(label, transcriptHash, identity.id), identity.secretKey);
  return concatBytes(new Uint8Array([idBytes.length]), idBytes, signature);
}

const MEMBER_ID = /^[a-z0-9](?:[a-z0-9-]{0,62})$/;

function parseIdentityPayload(payload: Uint8Array): { id: string; signature: Uint8Array } {
  const length = payload[0] ?? 0;
  const id = decodeUtf8(payload.subarray(1, 1 + length));
  if (length === 0 || length > MAX_ID_BYTES || payload.length !== 1 + length + SIGNATURE_BYTES || id === undefined || !MEMBER_ID.test(id)) {
    throw fail('handshake-malformed', `identity payload expected u8 id length, a roster id and a 64-byte signature, got ${payload.length} bytes`);
  }
  return { id, signature: payload.subarray(1 + length) };
}

/** Looks up and authenticates the peer: unknown ids are refused before any signature work. */
function verifyPeer(roster: Roster, id: string, signature: Uint8Array, content: Uint8Array): void {
  const member = findMember(roster, id);
  if (member === undefined) throw fail('unknown-identity', `peer id "${id}" is not a member of the roster`);
  if (!ed25519Verify(signature, content, member.identityKey)) {
    throw fail('bad-signature', `handshake signature of "${id}" does not verify under its roster identity key`);
  }
}

function dh(secretKey: Uint8Array, peerPublicKey: Uint8Array): Uint8Array {
  try {
    return x25519(secretKey, peerPublicKey);
  } catch (cause) {
    throw fail('x25519-low-order', 'peer ephemeral X25519 key is of low order (RFC 7748 §6.1)', cause);
  }
}

/** Handshake keys from the DH output, salted with the transcript so far (transport.md §3.3). */
function handshakeKeys(shared: Uint8Array, thA: Uint8Array) {
  const hs = blake2b256(shared, thA);
  return { hs, r2i: kdf(hs, LABEL_HANDSHAKE_R2I), i2r: kdf(hs, LABEL_HANDSHAKE_I2R) };
}

function trafficKeys(hs: Uint8Array, thC: Uint8Array) {
  const master = kdf(hs, LABEL_MASTER, thC);
  const keys = { i2r: kdf(master, LABEL_TRAFFIC_I2R), r2i: kdf(master, LABEL_TRAFFIC_R2I) };
  wipe(master);
  return keys;
}

function checkPurpose(purpose: Uint8Array): void {
  if (!(purpose instanceof Uint8Array) || purpose.length === 0 || purpose.length > MAX_PURPOSE_BYTES) {
    throw new TransportError('invalid-purpose', `"purpose" expected 1 to ${MAX_PURPOSE_BYTES} bytes, got ${purpose instanceof Uint8Array ? `length=${purpose.length}` : typeof purpose}`);
  }
}

export interface InitiatorOptions {
  readonly roster: Roster;
  readonly identity: NodeIdentity;
  /** The roster id of the node being dialed; any other responder identity is refused. */
  readonly peerId: string;
  readonly purpose: Uint8Array;
  /** 32 fresh random bytes: the ephemeral X25519 secret, wiped once used. */
  readonly ephemeralSecret: Uint8Array;
}

type InitiatorState = 'start' | 'sent-hello' | 'done' | 'failed';

/** Initiator side: hello() → HELLO; readResponse(RESPONSE) → AUTH; then result(). */
export class InitiatorHandshake {
  private state: InitiatorState = 'start';
  private readonly transcript = new Transcript();
  private readonly ephemeral;
  private readonly digest: Uint8Array;
  private outcome: HandshakeResult | undefined;

  constructor(private readonly options: InitiatorOptions) {
    checkPurpose(options.purpose);
    this.ephemeral = x25519KeyPair(options.ephemeralSecret);
    this.digest = rosterDigest(options.roster);
  }

  /** transport.md §4.1: HELLO = 0x01 || version || rosterDigest || e_I || u8 len || purpose. */
  hello(): Uint8Array {
    if (this.state !== 'start') throw fail('protocol-violation', 'hello() called twice');
    const { purpose } = this.options;
    const message = concatBytes(
      new Uint8Array([MSG_HELLO, PROTOCOL_VERSION]),
      this.digest,
      this.ephemeral.publicKey,
      new Uint8Array([purpose.length]),
      purpose,
    );
    this.transcript.mixHash(message);
    this.state = 'sent-hello';
    return message;
  }

  /** Reads RESPONSE, authenticates the responder and returns AUTH (transport.md §4.2-4.3). */
  readResponse(message: Uint8Array): Uint8Array {
    if (this.state !== 'sent-hello') throw fail('protocol-violation', 'RESPONSE received out of order');
    this.state = 'failed';
    const { roster, identity, peerId, purpose } = this.options;
    if (message[0] !== MSG_RESPONSE || message.length < RESPONSE_PREFIX_BYTES + MIN_IDENTITY_PAYLOAD + AEAD_TAG_BYTES || message.length > MAX_HANDSHAKE_MESSAGE_BYTES) {
      throw fail('handshake-malformed', `RESPONSE expected type 0x02 and ${RESPONSE_PREFIX_BYTES + MIN_IDENTITY_PAYLOAD + AEAD_TAG_BYTES} to ${MAX_HANDSHAKE_MESSAGE_BYTES} bytes, got type ${message[0]} and ${message.length} bytes`);
    }
    const responderEphemeral = message.subarray(1, RESPONSE_PREFIX_BYTES);
    const shared = dh(this.ephemeral.secretKey, responderEphemeral);
    wipe(this.ephemeral.secretKey);
    const thA = this.transcript.mixHash(message.subarray(0, RESPONSE_PREFIX_BYTES));
    const keys = handshakeKeys(shared, thA);
    wipe(shared);
    try {
      const sealed = message.subarray(RESPONSE_PREFIX_BYTES);
      const payload = aeadOpen(sealed, thA, ZERO_NONCE, keys.r2i);
      if (payload === undefined) {
        throw fail('handshake-decrypt-failed', 'RESPONSE identity payload does not decrypt under the handshake key');
      }
      const responder = parseIdentityPayload(payload);
      if (findMember(roster, responder.id) !== undefined && responder.id !== peerId) {
        throw fail('unexpected-peer', `dialed "${peerId}" but the responder authenticated as "${responder.id}"`);
      }
      verifyPeer(roster, responder.id, responder.signature, signedContent(LABEL_SIGNATURE_R, thA, responder.id));
      const thB = this.transcript.mixHash(sealed);
      const auth = concatBytes(
        new Uint8Array([MSG_AUTH]),
        aeadSeal(identityPayload(LABEL_SIGNATURE_I, thB, identity), thB, ZERO_NONCE, keys.i2r),
      );
      const thC = this.transcript.mixHash(auth);
      const traffic = trafficKeys(keys.hs, thC);
      this.outcome = { peerId, purpose, handshakeHash: thC, sendKey: traffic.i2r, receiveKey: traffic.r2i };
      this.state = 'done';
      return auth;
    } finally {
      wipe(keys.hs, keys.r2i, keys.i2r);
    }
  }

  result(): HandshakeResult {
    if (this.outcome === undefined) throw fail('protocol-violation', 'handshake not finished');
    return this.outcome;
  }

  /** Wipes the ephemeral secret when the handshake is abandoned before RESPONSE arrives. */
  dispose(): void {
    wipe(this.ephemeral.secretKey);
  }
}

export interface ResponderOptions {
  readonly roster: Roster;
  readonly identity: NodeIdentity;
  /** 32 fresh random bytes: the ephemeral X25519 secret, wiped once used. */
  readonly ephemeralSecret: Uint8Array;
}

type ResponderState = 'start' | 'sent-response' | 'done' | 'failed';

/** Responder side: readHello(HELLO) → RESPONSE; readAuth(AUTH) → result. */
export class ResponderHandshake {
  private state: ResponderState = 'start';
  private readonly transcript = new Transcript();
  private readonly digest: Uint8Array;
  private hs: Uint8Array | undefined;
  private i2r: Uint8Array | undefined;
  private purposeBytes: Uint8Array | undefined;

  constructor(private readonly options: ResponderOptions) {
    this.digest = rosterDigest(options.roster);
  }

  /** The purpose the initiator asked for, known once HELLO is read (not yet authenticated). */
  get purpose(): Uint8Array | undefined {
    return this.purposeBytes;
  }

  /** Reads HELLO (transport.md §4.1) and returns RESPONSE (§4.2). */
  readHello(message: Uint8Array): Uint8Array {
    if (this.state !== 'start') throw fail('protocol-violation', 'HELLO received twice');
    this.state = 'failed';
    if (message[0] !== MSG_HELLO || message.length < 2) {
      throw fail('handshake-malformed', `HELLO expected type 0x01, got ${message.length === 0 ? 'an empty message' : `type ${message[0]}`}`);
    }
    if (message[1] !== PROTOCOL_VERSION) {
      throw fail('unsupported-version', `HELLO expected protocol version ${PROTOCOL_VERSION}, got ${message[1]}`);
    }
    const purposeLength = message[HELLO_FIXED_BYTES - 1] ?? 0;
    if (message.length < HELLO_FIXED_BYTES || purposeLength === 0 || purposeLength > MAX_PURPOSE_BYTES || message.length !== HELLO_FIXED_BYTES + purposeLength) {
      throw fail('handshake-malformed', `HELLO expected ${HELLO_FIXED_BYTES} bytes plus a purpose of 1 to ${MAX_PURPOSE_BYTES} bytes, got ${message.length} bytes`);
    }
    // Roster digests travel in clear, so a plain comparison leaks nothing.
    const peerDigest = message.subarray(2, 34);
    if (!equalPublicBytes(peerDigest, this.digest)) {
      throw fail('roster-mismatch', `peer roster digest ${toHex(peerDigest)} differs from ours ${toHex(this.digest)}: both nodes must load the same roster`);
    }
    const initiatorEphemeral = message.subarray(34, 66);
    this.purposeBytes = message.slice(HELLO_FIXED_BYTES);
    this.transcript.mixHash(message);
    const ephemeral = x25519KeyPair(this.options.ephemeralSecret);
    const shared = dh(ephemeral.secretKey, initiatorEphemeral);
    wipe(ephemeral.secretKey);
    const prefix = concatBytes(new Uint8Array([MSG_RESPONSE]), ephemeral.publicKey);
    const thA = this.transcript.mixHash(prefix);
    const keys = handshakeKeys(shared, thA);
    wipe(shared);
    const sealed = aeadSeal(identityPayload(LABEL_SIGNATURE_R, thA, this.options.identity), thA, ZERO_NONCE, keys.r2i);
    wipe(keys.r2i);
    this.transcript.mixHash(sealed);
    this.hs = keys.hs;
    this.i2r = keys.i2r;
    this.state = 'sent-response';
    return concatBytes(prefix, sealed);
  }

  /** Reads AUTH (transport.md §4.3): the initiator is authenticated or a typed error is thrown. */
  readAuth(message: Uint8Array): HandshakeResult {
    if (this.state !== 'sent-response' || this.hs === undefined || this.i2r === undefined || this.purposeBytes === undefined) {
      throw fail('protocol-violation', 'AUTH received out of order');
    }
    this.state = 'failed';
    const { hs, i2r } = this;
    this.hs = undefined;
    this.i2r = undefined;
    try {
      if (message[0] !== MSG_AUTH || message.length < 1 + MIN_IDENTITY_PAYLOAD + AEAD_TAG_BYTES || message.length > MAX_HANDSHAKE_MESSAGE_BYTES) {
        throw fail('handshake-malformed', `AUTH expected type 0x03 and ${1 + MIN_IDENTITY_PAYLOAD + AEAD_TAG_BYTES} to ${MAX_HANDSHAKE_MESSAGE_BYTES} bytes, got type ${message[0]} and ${message.length} bytes`);
      }
      const thB = this.transcript.hash;
      const payload = aeadOpen(message.subarray(1), thB, ZERO_NONCE, i2r);
      if (payload === undefined) {
        // Also what a replayed AUTH hits: our fresh ephemeral makes every session's keys new.
        throw fail('handshake-decrypt-failed', 'AUTH identity payload does not decrypt under the handshake key');
      }
      const initiator = parseIdentityPayload(payload);
      if (initiator.id === this.options.identity.id) {
        throw fail('unexpected-peer', `initiator authenticated as this node's own id "${initiator.id}"`);
      }
      verifyPeer(this.options.roster, initiator.id, initiator.signature, signedContent(LABEL_SIGNATURE_I, thB, initiator.id));
      const thC = this.transcript.mixHash(message);
      const traffic = trafficKeys(hs, thC);
      this.state = 'done';
      return { peerId: initiator.id, purpose: this.purposeBytes, handshakeHash: thC, sendKey: traffic.r2i, receiveKey: traffic.i2r };
    } finally {
      wipe(hs, i2r);
    }
  }
}

/** Maps any failure during a handshake step to the close reason it is reported with. */
export function handshakeFailureReason(error: unknown): CloseReason {
  return error instanceof VennError && isCloseReason(error.code) ? error.code : 'internal-error';
}
