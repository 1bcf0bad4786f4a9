import { readFileSync } from 'node:fs';
import type { AddressInfo } from 'node:net';
import sodium from 'libsodium-wrappers-sumo';
import { WebSocketServer, type WebSocket } from 'ws';
import { afterEach, beforeAll, describe, expect, it } from 'vitest';
import { TransportError } from '@venn/errors';
import { CLOSE_CODES, SessionError, connect, createServer, parseRoster, type CloseReason, type TransportServer } from '../src/index.js';
import { FRAME_KIND_ACCEPT, FRAME_KIND_CLOSE, FrameOpener, FrameSealer, decodeCloseBody } from '../src/internal/frames.js';
import { InitiatorHandshake, MAX_HANDSHAKE_MESSAGE_BYTES, ResponderHandshake } from '../src/internal/handshake.js';
import { transportReady } from '../src/internal/primitives.js';
import { openRaw } from './helpers/raw.js';
// The generator is the independent, primitive-by-primitive reading of the spec.
import { buildVectors } from '../scripts/generate-vectors.mjs';

const vectorsUrl = (name: string) => new URL(`../../../protocol-spec/vectors/${name}`, import.meta.url);
const v = JSON.parse(readFileSync(vectorsUrl('transport-handshake-v1.json'), 'utf8'));
const bytes = (hex: string) => Uint8Array.from(Buffer.from(hex, 'hex'));
const hex = (b: Uint8Array) => Buffer.from(b).toString('hex');

beforeAll(transportReady);

function parties() {
  const roster = parseRoster(v.roster);
  const identity = (seed: string, id: string) => ({ id, secretKey: sodium.crypto_sign_seed_keypair(bytes(seed)).privateKey });
  const initiator = new InitiatorHandshake({
    roster,
    identity: identity(v.initiator.seed, 'lab-a'),
    peerId: 'lab-b',
    purpose: bytes(v.purpose),
    ephemeralSecret: bytes(v.initiator.ephemeralSecret),
  });
  const responder = new ResponderHandshake({ roster, identity: identity(v.responder.seed, 'lab-b'), ephemeralSecret: bytes(v.responder.ephemeralSecret) });
  return { initiator, responder };
}

function errorCode(f: () => unknown): string | undefined {
  try {
    f();
  } catch (e) {
    expect(e).toBeInstanceOf(TransportError);
    return (e as TransportError).code;
  }
  return undefined;
}

describe('transport.md handshake vectors', () => {
  it('the committed vector files are exactly what the seeded generator produces', async () => {
    const built = await buildVectors();
    for (const [name, value] of Object.entries(built)) {
      expect(JSON.parse(readFileSync(vectorsUrl(name), 'utf8'))).toEqual(value);
    }
  });

  it('reproduces HELLO, RESPONSE, AUTH and the final transcript hash byte for byte', () => {
    const { initiator, responder } = parties();
    const hello = initiator.hello();
    expect(hex(hello)).toBe(v.steps.hello);
    const response = responder.readHello(hello);
    expect(hex(response)).toBe(v.steps.response);
    const auth = initiator.readResponse(response);
    expect(hex(auth)).toBe(v.steps.auth);
    const atResponder = responder.readAuth(auth);
    const atInitiator = initiator.result();
    expect(hex(atResponder.handshakeHash)).toBe(v.steps.thC);
    expect(hex(atInitiator.handshakeHash)).toBe(v.steps.thC);
    expect(atResponder.peerId).toBe('lab-a');
    expect(atInitiator.peerId).toBe('lab-b');
    expect(hex(atResponder.purpose)).toBe(v.purpose);
    expect(hex(atInitiator.sendKey)).toBe(v.steps.trafficKeyI2R);
    expect(hex(atInitiator.receiveKey)).toBe(v.steps.trafficKeyR2I);
    expect(hex(atResponder.sendKey)).toBe(v.steps.trafficKeyR2I);
    expect(hex(atResponder.receiveKey)).toBe(v.steps.trafficKeyI2R);
  });

  it('reproduces the sealed frames in both directions and opens them', () => {
    const keys = { i2r: bytes(v.steps.trafficKeyI2R), r2i: bytes(v.steps.trafficKeyR2I) };
    const sealers = { i2r: new FrameSealer(keys.i2r.slice()), r2i: new FrameSealer(keys.r2i.slice()) };
    const openers = { i2r: new FrameOpener(keys.i2r.slice()), r2i: new FrameOpener(keys.r2i.slice()) };
    for (const f of v.frames as { direction: 'i2r' | 'r2i'; counter: number; kind: 1 | 2 | 3; body: string; frame: string }[]) {
      const frame = sealers[f.direction].seal(f.kind, bytes(f.body));
      expect(hex(frame)).toBe(f.frame);
      const opened = openers[f.direction].open(frame);
      expect(opened.kind).toBe(f.kind);
      expect(hex(opened.body)).toBe(f.body);
      if (f.kind === FRAME_KIND_CLOSE) expect(decodeCloseBody(opened.body)).toEqual({ code: 'normal', detail: 'round finished' });
    }
  });

});

interface InvalidCase {
  description: string;
  step: 'responder-reads-hello' | 'initiator-reads-response' | 'responder-reads-auth' | 'responder-receives-frame' | 'initiator-receives-frame';
  precededBy?: string[];
  message: string;
  error: CloseReason;
  code?: string;
}
const invalid = v.invalid as InvalidCase[];

/**
 * transport.md §4 and §5 as one receiver, without sockets: the 177-byte rule first (§4), then the
 * handshake step, or for frames the §5.2 checks and the §5.3 kind rules of a responder whose
 * session is open.
 */
function receiveSansIo(c: InvalidCase): string | undefined {
  const { initiator, responder } = parties();
  const hello = initiator.hello();
  const message = bytes(c.message);
  const handshakeMessage = (read: () => unknown): string | undefined =>
    message.length > MAX_HANDSHAKE_MESSAGE_BYTES ? 'frame-too-large' : errorCode(read);
  if (c.step === 'responder-reads-hello') return handshakeMessage(() => responder.readHello(message));
  if (c.step === 'initiator-reads-response') {
    responder.readHello(hello);
    return handshakeMessage(() => initiator.readResponse(message));
  }
  if (c.step === 'responder-reads-auth') {
    initiator.readResponse(responder.readHello(hello));
    return handshakeMessage(() => responder.readAuth(message));
  }
  expect(c.step).toBe('responder-receives-frame');
  const opener = new FrameOpener(bytes(v.steps.trafficKeyI2R));
  for (const frame of c.precededBy ?? []) opener.open(bytes(frame));
  return errorCode(() => {
    const opened = opener.open(message);
    if (opened.kind === FRAME_KIND_ACCEPT) throw new TransportError('protocol-violation', 'ACCEPT from the initiator');
    if (opened.kind === FRAME_KIND_CLOSE) decodeCloseBody(opened.body);
  });
}

describe('transport.md invalid messages, without sockets', () => {
  it('cover every reason a handshake or frame receiver produces', () => {
    expect(new Set(invalid.map((c) => c.error))).toEqual(new Set([
      'handshake-malformed', 'unsupported-version', 'roster-mismatch', 'x25519-low-order', 'frame-too-large',
      'handshake-decrypt-failed', 'unknown-identity', 'unexpected-peer', 'bad-signature',
      'frame-malformed', 'frame-auth-failed', 'frame-out-of-order', 'frame-replayed', 'protocol-violation', 'purpose-refused',
    ]));
  });

  it.each(invalid.filter((c) => c.step !== 'initiator-receives-frame').map((c) => [c.description, c] as const))('refuses: %s', (_, c) => {
    expect(receiveSansIo(c)).toBe(c.error);
  });
});

// ---- the same cases over real sockets: the daemon's own server and client, and a raw peer that replays the vector bytes.

const servers: TransportServer[] = [];
const rawServers: WebSocketServer[] = [];
afterEach(async () => {
  await Promise.all(servers.splice(0).map((server) => server.close()));
  await Promise.all(rawServers.splice(0).map((wss) => new Promise<void>((resolve) => {
    for (const client of wss.clients) client.terminate();
    wss.close(() => resolve());
  })));
});

const identityOf = (seed: string, id: string) => ({ id, secretKey: sodium.crypto_sign_seed_keypair(bytes(seed)).privateKey });
const fixed = (secret: string) => () => bytes(secret);

/** The responder of the vectors (lab-b, its fixed ephemeral), as a real transport server. */
async function vectorResponder(): Promise<TransportServer> {
  const server = await createServer({ roster: parseRoster(v.roster), identity: identityOf(v.responder.seed, 'lab-b'), onSession: () => undefined, rng: fixed(v.responder.ephemeralSecret) });
  servers.push(server);
  return server;
}

/** The close code and text a raw initiator sees when it plays the vector handshake up to `c.step` and then sends `c.message`. */
async function replayToResponder(c: InvalidCase): Promise<{ code: number; reason: string }> {
  const server = await vectorResponder();
  const raw = openRaw(server.url);
  await raw.opened;
  if (c.step !== 'responder-reads-hello') {
    raw.send(bytes(v.steps.hello));
    expect(hex(await raw.next())).toBe(v.steps.response);
  }
  if (c.step === 'responder-receives-frame') {
    raw.send(bytes(v.steps.auth));
    expect(hex(await raw.next())).toBe(v.frames[0].frame);
    for (const frame of c.precededBy ?? []) raw.send(bytes(frame));
  }
  raw.send(bytes(c.message));
  return raw.closed;
}

/** The vector initiator (lab-a, its fixed ephemeral) dialing a raw peer that answers HELLO with the vector RESPONSE or `c.message`. */
async function replayToInitiator(c: InvalidCase): Promise<{ error: SessionError; closed: { code: number; reason: string } }> {
  const wss = new WebSocketServer({ host: '127.0.0.1', port: 0 });
  rawServers.push(wss);
  await new Promise<void>((resolve) => wss.once('listening', () => resolve()));
  const closed = new Promise<{ code: number; reason: string }>((resolve) => {
    wss.on('connection', (ws: WebSocket) => {
      ws.on('close', (code, reason) => resolve({ code, reason: reason.toString() }));
      let step = 0;
      ws.on('message', (data: Buffer) => {
        step += 1;
        if (step === 1) {
          expect(hex(data)).toBe(v.steps.hello);
          ws.send(c.step === 'initiator-reads-response' ? bytes(c.message) : bytes(v.steps.response));
        } else if (step === 2) {
          expect(hex(data)).toBe(v.steps.auth);
          for (const frame of c.precededBy ?? []) ws.send(bytes(frame));
          ws.send(bytes(c.message));
        }
      });
    });
  });
  const url = `ws://127.0.0.1:${(wss.address() as AddressInfo).port}`;
  const error = await connect({ roster: parseRoster(v.roster), identity: identityOf(v.initiator.seed, 'lab-a'), peerId: 'lab-b', purpose: bytes(v.purpose), url, rng: fixed(v.initiator.ephemeralSecret) })
    .then(() => undefined, (e: unknown) => e);
  expect(error).toBeInstanceOf(SessionError);
  return { error: error as SessionError, closed: await closed };
}

describe('transport.md invalid messages, over real sockets', () => {
  it.each(invalid.filter((c) => c.step.startsWith('responder')).map((c) => [c.description, c] as const))('the responder closes: %s', async (_, c) => {
    const closed = await replayToResponder(c);
    expect(closed.code).toBe(CLOSE_CODES[c.error]);
    // §4.1: a roster mismatch carries the responder's digest in the close text.
    expect(closed.reason).toBe(c.error === 'roster-mismatch' ? `roster-mismatch ${v.rosterDigest}` : c.error);
  });

  it.each(invalid.filter((c) => c.step.startsWith('initiator')).map((c) => [c.description, c] as const))('the initiator fails: %s', async (_, c) => {
    const { error, closed } = await replayToInitiator(c);
    expect(error.reason).toBe(c.error);
    if (c.code !== undefined) {
      // A refusal arrives in the responder's authenticated CLOSE: its code is reported as the error's code.
      expect(error).toMatchObject({ code: c.code, by: 'peer' });
      expect(closed.code).toBe(CLOSE_CODES.normal);
    } else {
      expect(error.by).toBe('local');
      expect(closed.code).toBe(CLOSE_CODES[c.error]);
    }
  });
});
