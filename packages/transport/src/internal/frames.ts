/**
 * Sealed frames (transport.md §5): after the handshake every WebSocket message is
 * 0x10 || u64 counter || XChaCha20-Poly1305(kind || body). Counters start at 0 per direction and
 * must arrive exactly in order, so replayed, reordered, dropped or altered frames are all refused.
 */
import { TransportError } from '@venn/errors';
import { concatBytes, decodeUtf8, readU64be, u64be, utf8 } from './bytes.js';
import { AEAD_NONCE_BYTES, AEAD_TAG_BYTES, aeadOpen, aeadSeal, wipe } from './primitives.js';
import { MSG_SEALED } from './handshake.js';

export const FRAME_HEADER_BYTES = 9;
export const FRAME_KIND_ACCEPT = 0x01;
export const FRAME_KIND_DATA = 0x02;
export const FRAME_KIND_CLOSE = 0x03;
export type FrameKind = typeof FRAME_KIND_ACCEPT | typeof FRAME_KIND_DATA | typeof FRAME_KIND_CLOSE;

const MIN_FRAME_BYTES = FRAME_HEADER_BYTES + 1 + AEAD_TAG_BYTES;
export const MAX_CLOSE_DETAIL_BYTES = 512;
const REASON_CODE = /^[a-z0-9](?:[a-z0-9-]{0,63})$/;

/** Bytes on the wire for an application payload of `payloadLength` bytes. */
export function sealedFrameLength(payloadLength: number): number {
  return FRAME_HEADER_BYTES + 1 + payloadLength + AEAD_TAG_BYTES;
}

/** transport.md §5.1: the nonce is the counter, big-endian, in the last 8 of 24 bytes. */
function nonceFor(counterBytes: Uint8Array): Uint8Array {
  const nonce = new Uint8Array(AEAD_NONCE_BYTES);
  nonce.set(counterBytes, AEAD_NONCE_BYTES - 8);
  return nonce;
}

export class FrameSealer {
  private counter = 0;

  constructor(private readonly key: Uint8Array) {}

  /** How many frames this side has sealed (the next counter). */
  get sent(): number {
    return this.counter;
  }

  seal(kind: FrameKind, body: Uint8Array): Uint8Array {
    const counterBytes = u64be(this.counter);
    const header = concatBytes(new Uint8Array([MSG_SEALED]), counterBytes);
    const plaintext = new Uint8Array(1 + body.length);
    plaintext[0] = kind;
    plaintext.set(body, 1);
    const sealed = aeadSeal(plaintext, header, nonceFor(counterBytes), this.key);
    // Counters are never reused under one key: a nonce repeat would break XChaCha20-Poly1305.
    this.counter += 1;
    return concatBytes(header, sealed);
  }

  dispose(): void {
    wipe(this.key);
  }
}

export interface OpenedFrame {
  readonly kind: FrameKind;
  readonly body: Uint8Array;
}

function reject(reason: 'frame-malformed' | 'frame-replayed' | 'frame-out-of-order' | 'frame-auth-failed', message: string): TransportError {
  return new TransportError(reason, message);
}

export class FrameOpener {
  private expected = 0;

  constructor(private readonly key: Uint8Array) {}

  get received(): number {
    return this.expected;
  }

  /** Checks framing and counter before any decryption, then authenticates (transport.md §5.2). */
  open(frame: Uint8Array): OpenedFrame {
    if (frame.length < MIN_FRAME_BYTES || frame[0] !== MSG_SEALED) {
      throw reject('frame-malformed', `sealed frame expected type 0x10 and at least ${MIN_FRAME_BYTES} bytes, got ${frame.length === 0 ? 'an empty message' : `type ${frame[0]} and ${frame.length} bytes`}`);
    }
    const counter = readU64be(frame, 1);
    if (counter < this.expected) {
      throw reject('frame-replayed', `sealed frame counter ${counter} was already used (expected ${this.expected})`);
    }
    if (counter > this.expected) {
      throw reject('frame-out-of-order', `sealed frame counter ${counter} skips ahead of ${this.expected}: a frame was dropped or reordered`);
    }
    const header = frame.subarray(0, FRAME_HEADER_BYTES);
    const plaintext = aeadOpen(frame.subarray(FRAME_HEADER_BYTES), header, nonceFor(frame.subarray(1, FRAME_HEADER_BYTES)), this.key);
    if (plaintext === undefined) {
      throw reject('frame-auth-failed', `sealed frame ${counter} does not authenticate: it was altered or truncated`);
    }
    this.expected += 1;
    const kind = plaintext[0];
    if (kind !== FRAME_KIND_ACCEPT && kind !== FRAME_KIND_DATA && kind !== FRAME_KIND_CLOSE) {
      throw reject('frame-malformed', `sealed frame ${counter} has unknown kind ${kind}`);
    }
    return { kind, body: plaintext.subarray(1) };
  }

  dispose(): void {
    wipe(this.key);
  }
}

/** CLOSE body (transport.md §5.3): u8 length || reason code (ASCII kebab-case) || detail (UTF-8). */
export function encodeCloseBody(code: string, detail: string): Uint8Array {
  if (!REASON_CODE.test(code)) throw new TransportError('invalid-close-code', `"code" expected kebab-case of 1 to 64 characters, got ${JSON.stringify(code)}`);
  let detailBytes = utf8(detail);
  if (detailBytes.length > MAX_CLOSE_DETAIL_BYTES) {
    // Cut on a character boundary so the peer can still decode the detail strictly.
    let end = MAX_CLOSE_DETAIL_BYTES;
    while (end > 0 && ((detailBytes[end] ?? 0) & 0xc0) === 0x80) end -= 1;
    detailBytes = detailBytes.subarray(0, end);
  }
  return concatBytes(new Uint8Array([code.length]), utf8(code), detailBytes);
}

export function decodeCloseBody(body: Uint8Array): { code: string; detail: string } {
  const length = body[0] ?? 0;
  const code = decodeUtf8(body.subarray(1, 1 + length));
  const detailBytes = body.subarray(1 + length);
  const detail = decodeUtf8(detailBytes);
  if (body.length < 1 + length || code === undefined || !REASON_CODE.test(code) || detail === undefined || detailBytes.length > MAX_CLOSE_DETAIL_BYTES) {
    throw reject('frame-malformed', `CLOSE body expected u8 length, a kebab-case reason code and UTF-8 detail, got ${body.length} bytes`);
  }
  return { code, detail };
}
