import { readFileSync } from 'node:fs';
import sodium from 'libsodium-wrappers-sumo';
import { beforeAll, describe, expect, it } from 'vitest';
import { TransportError } from '@venn/errors';
import { parseRoster } from '../src/index.js';
import { FRAME_KIND_CLOSE, FrameOpener, FrameSealer, decodeCloseBody } from '../src/internal/frames.js';
import { InitiatorHandshake, ResponderHandshake } from '../src/internal/handshake.js';
import { transportReady } from '../src/internal/primitives.js';
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

  it.each((v.invalid as { description: string; step: string; message: string; error: string }[]).map((c) => [c.description, c] as const))(
    'refuses: %s',
    (_, c) => {
      const { initiator, responder } = parties();
      const hello = initiator.hello();
      const message = bytes(c.message);
      if (c.step === 'responder-reads-hello') {
        expect(errorCode(() => responder.readHello(message))).toBe(c.error);
      } else if (c.step === 'initiator-reads-response') {
        responder.readHello(hello);
        expect(errorCode(() => initiator.readResponse(message))).toBe(c.error);
      } else if (c.step === 'responder-reads-auth') {
        initiator.readResponse(responder.readHello(hello));
        expect(errorCode(() => responder.readAuth(message))).toBe(c.error);
      } else {
        expect(c.step).toBe('responder-opens-frame');
        expect(errorCode(() => new FrameOpener(bytes(v.steps.trafficKeyI2R)).open(message))).toBe(c.error);
      }
    },
  );
});
