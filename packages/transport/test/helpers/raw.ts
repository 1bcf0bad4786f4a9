/**
 * A hand-driven initiator over a plain ws socket, for tests that must misbehave on purpose:
 * it runs the real handshake code but lets the test change, replay or withhold any message.
 */
import sodium from 'libsodium-wrappers-sumo';
import WebSocket from 'ws';
import { FRAME_KIND_ACCEPT, FrameOpener, FrameSealer } from '../../src/internal/frames.js';
import { InitiatorHandshake, type HandshakeResult } from '../../src/internal/handshake.js';
import type { Roster } from '../../src/index.js';

export interface Closed {
  code: number;
  reason: string;
}

export function openRaw(url: string, options: WebSocket.ClientOptions = {}) {
  const ws = new WebSocket(url, { perMessageDeflate: false, ...options });
  const inbox: Uint8Array[] = [];
  const waiters: ((m: Uint8Array) => void)[] = [];
  const closed = new Promise<Closed>((resolve) => ws.on('close', (code, reason) => resolve({ code, reason: reason.toString() })));
  ws.on('error', () => undefined);
  ws.on('message', (data: Buffer) => {
    const bytes = new Uint8Array(data);
    const waiter = waiters.shift();
    if (waiter !== undefined) waiter(bytes);
    else inbox.push(bytes);
  });
  const opened = new Promise<void>((resolve, reject) => {
    ws.once('open', () => resolve());
    ws.once('close', () => reject(new Error('closed before open')));
  });
  opened.catch(() => undefined);
  return {
    ws,
    opened,
    closed,
    next: (): Promise<Uint8Array> => {
      const queued = inbox.shift();
      if (queued !== undefined) return Promise.resolve(queued);
      return new Promise((resolve, reject) => {
        waiters.push(resolve);
        void closed.then(() => reject(new Error('socket closed while waiting for a message')));
      });
    },
    send: (bytes: Uint8Array) => ws.send(bytes),
  };
}

export interface RawSession {
  raw: ReturnType<typeof openRaw>;
  hello: Uint8Array;
  auth: Uint8Array;
  result: HandshakeResult;
  sealer: FrameSealer;
  opener: FrameOpener;
}

/** Runs the honest handshake by hand up to ACCEPT. */
export async function rawSession(url: string, roster: Roster, identity: { id: string; secretKey: Uint8Array }, peerId: string, purpose = new Uint8Array([7])): Promise<RawSession> {
  const raw = openRaw(url);
  await raw.opened;
  const handshake = new InitiatorHandshake({ roster, identity, peerId, purpose, ephemeralSecret: sodium.randombytes_buf(32) });
  const hello = handshake.hello();
  raw.send(hello);
  const auth = handshake.readResponse(await raw.next());
  raw.send(auth);
  const result = handshake.result();
  const opener = new FrameOpener(result.receiveKey.slice());
  const accept = opener.open(await raw.next());
  if (accept.kind !== FRAME_KIND_ACCEPT) throw new Error('expected ACCEPT');
  return { raw, hello, auth, result, sealer: new FrameSealer(result.sendKey.slice()), opener };
}
