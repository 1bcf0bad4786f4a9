import sodium from 'libsodium-wrappers-sumo';
import { beforeAll, describe, expect, it } from 'vitest';
import { TransportError } from '@venn/errors';
import { parseRoster, type Roster } from '../src/index.js';
import { InitiatorHandshake, MAX_HANDSHAKE_MESSAGE_BYTES, ResponderHandshake } from '../src/internal/handshake.js';
import { transportReady } from '../src/internal/primitives.js';
import { makeFederation } from './helpers/federation.js';

beforeAll(transportReady);

const code = (f: () => unknown): string => {
  try {
    f();
  } catch (e) {
    expect(e).toBeInstanceOf(TransportError);
    return (e as TransportError).code;
  }
  return 'accepted';
};

function run(roster: Roster, initiatorIdentity: { id: string; secretKey: Uint8Array }, peerId: string, responderIdentity: { id: string; secretKey: Uint8Array }, responderRoster = roster) {
  const initiator = new InitiatorHandshake({ roster, identity: initiatorIdentity, peerId, purpose: new Uint8Array([1, 2, 3]), ephemeralSecret: sodium.randombytes_buf(32) });
  const responder = new ResponderHandshake({ roster: responderRoster, identity: responderIdentity, ephemeralSecret: sodium.randombytes_buf(32) });
  return { initiator, responder, hello: initiator.hello() };
}

describe('handshake (sans-I/O)', () => {
  it('agrees on keys and transcript with fresh ephemerals, and two runs never share keys', () => {
    const f = makeFederation(['lab-a', 'lab-b']);
    const keys = [0, 1].map(() => {
      const { initiator, responder, hello } = run(f.roster, f.identity('lab-a'), 'lab-b', f.identity('lab-b'));
      const r = responder.readAuth(initiator.readResponse(responder.readHello(hello)));
      const i = initiator.result();
      expect(i.sendKey).toEqual(r.receiveKey);
      expect(i.receiveKey).toEqual(r.sendKey);
      expect(i.handshakeHash).toEqual(r.handshakeHash);
      expect(i.sendKey).not.toEqual(i.receiveKey);
      return Buffer.from(i.sendKey).toString('hex');
    });
    expect(keys[0]).not.toBe(keys[1]);
  });

  it('refuses an initiator that is not in the roster', () => {
    const f = makeFederation(['lab-a', 'lab-b', 'lab-x']);
    const responderRoster = parseRoster({ ...f.rosterJson, members: f.rosterJson.members.filter((m) => m.id !== 'lab-x') });
    // Same roster digest is needed to get past HELLO, so the outsider reuses the responder's roster.
    const { initiator, responder, hello } = run(responderRoster, f.identity('lab-x'), 'lab-b', f.identity('lab-b'));
    expect(code(() => responder.readAuth(initiator.readResponse(responder.readHello(hello))))).toBe('unknown-identity');
  });

  it('refuses a member whose signature is made with the wrong key', () => {
    const f = makeFederation(['lab-a', 'lab-b']);
    const forged = { id: 'lab-a', secretKey: sodium.crypto_sign_keypair().privateKey };
    const { initiator, responder, hello } = run(f.roster, forged, 'lab-b', f.identity('lab-b'));
    expect(code(() => responder.readAuth(initiator.readResponse(responder.readHello(hello))))).toBe('bad-signature');
  });

  it('refuses a responder impersonating another member, and a responder that is someone else', () => {
    const f = makeFederation(['lab-a', 'lab-b', 'lab-c']);
    const impostor = { id: 'lab-b', secretKey: f.identity('lab-c').secretKey };
    const first = run(f.roster, f.identity('lab-a'), 'lab-b', impostor);
    expect(code(() => first.initiator.readResponse(first.responder.readHello(first.hello)))).toBe('bad-signature');
    const second = run(f.roster, f.identity('lab-a'), 'lab-b', f.identity('lab-c'));
    expect(code(() => second.initiator.readResponse(second.responder.readHello(second.hello)))).toBe('unexpected-peer');
  });

  it('refuses a node that dials itself', () => {
    const f = makeFederation(['lab-a', 'lab-b']);
    const { initiator, responder, hello } = run(f.roster, f.identity('lab-a'), 'lab-a', f.identity('lab-a'));
    expect(code(() => responder.readAuth(initiator.readResponse(responder.readHello(hello))))).toBe('unexpected-peer');
  });

  it('a replayed AUTH does not authenticate against a new responder ephemeral', () => {
    const f = makeFederation(['lab-a', 'lab-b']);
    const first = run(f.roster, f.identity('lab-a'), 'lab-b', f.identity('lab-b'));
    const auth = first.initiator.readResponse(first.responder.readHello(first.hello));
    const replay = new ResponderHandshake({ roster: f.roster, identity: f.identity('lab-b'), ephemeralSecret: sodium.randombytes_buf(32) });
    replay.readHello(first.hello);
    expect(code(() => replay.readAuth(auth))).toBe('handshake-decrypt-failed');
  });

  it('refuses messages out of order', () => {
    const f = makeFederation(['lab-a', 'lab-b']);
    const { initiator, responder, hello } = run(f.roster, f.identity('lab-a'), 'lab-b', f.identity('lab-b'));
    expect(code(() => responder.readAuth(hello))).toBe('protocol-violation');
    responder.readHello(hello);
    expect(code(() => responder.readHello(hello))).toBe('protocol-violation');
    expect(code(() => initiator.result())).toBe('protocol-violation');
  });

  it.each([
    ['empty', new Uint8Array(0)],
    ['type only', new Uint8Array([1])],
    ['a sealed frame', new Uint8Array([0x10, ...new Uint8Array(40)])],
    ['oversized', new Uint8Array(MAX_HANDSHAKE_MESSAGE_BYTES + 1).fill(1)],
    ['purpose longer than declared', new Uint8Array([1, 1, ...new Uint8Array(64), 1, 5, 6])],
    ['purpose of 65 bytes', new Uint8Array([1, 1, ...new Uint8Array(64), 65, ...new Uint8Array(65)])],
  ])('junk HELLO: %s → typed error', (_, junk) => {
    const f = makeFederation(['lab-a', 'lab-b']);
    const responder = new ResponderHandshake({ roster: f.roster, identity: f.identity('lab-b'), ephemeralSecret: sodium.randombytes_buf(32) });
    expect(['handshake-malformed', 'roster-mismatch']).toContain(code(() => responder.readHello(junk)));
  });

  it.each([
    ['empty', new Uint8Array(0)],
    ['prefix only', new Uint8Array([2, ...new Uint8Array(32)])],
    ['oversized', new Uint8Array(MAX_HANDSHAKE_MESSAGE_BYTES + 1).fill(2)],
    ['random', new Uint8Array(150).map((_, i) => (i * 91 + 2) & 0xff)],
  ])('junk RESPONSE: %s → typed error', (_, junk) => {
    const f = makeFederation(['lab-a', 'lab-b']);
    const { initiator } = run(f.roster, f.identity('lab-a'), 'lab-b', f.identity('lab-b'));
    expect(['handshake-malformed', 'handshake-decrypt-failed', 'x25519-low-order']).toContain(code(() => initiator.readResponse(junk)));
  });

  it('refuses a purpose that is empty or longer than 64 bytes', () => {
    const f = makeFederation(['lab-a', 'lab-b']);
    for (const purpose of [new Uint8Array(0), new Uint8Array(65)]) {
      expect(() => new InitiatorHandshake({ roster: f.roster, identity: f.identity('lab-a'), peerId: 'lab-b', purpose, ephemeralSecret: sodium.randombytes_buf(32) })).toThrow(TransportError);
    }
  });
});
