/** Test harness: two rounds wired back to back, with optional interception of frames in flight. */
import { ed25519KeyPairFromSeed, ready } from '@venn/crypto';
import { createRound, type Round, type RoundOptions, type Role } from '@venn/protocol';
import type { MessageKind, Mode } from '@venn/wire';
import { seededRng } from '../scripts/seeded-rng.js';

await ready();

export const keys = {
  initiator: ed25519KeyPairFromSeed(new Uint8Array(32).fill(1)),
  responder: ed25519KeyPairFromSeed(new Uint8Array(32).fill(2)),
};

export const roundId = new Uint8Array(32).fill(0xa1);
export const rosterDigest = new Uint8Array(32).fill(0xb2);

export function digest(label: string): Uint8Array {
  const out = new Uint8Array(32);
  const bytes = new TextEncoder().encode(label);
  for (let i = 0; i < bytes.length; i++) out[i % 32] = out[i % 32]! ^ bytes[i]! ^ ((i * 131) & 0xff);
  out[31] = bytes.length;
  return out;
}

export function options(role: Role, elements: readonly Uint8Array[], overrides: Partial<RoundOptions> = {}): RoundOptions {
  const mode: Mode = overrides.mode ?? 'intersection';
  const self = role === 'initiator' ? 'lab-a' : 'lab-b';
  const peer = role === 'initiator' ? 'lab-b' : 'lab-a';
  const peerRole: Role = role === 'initiator' ? 'responder' : 'initiator';
  return {
    role,
    roundId,
    rosterDigest,
    selfId: self,
    peerId: peer,
    mode,
    policy: { maxPeerSetSize: 65_536, modes: ['intersection', 'cardinality'], labelFields: [] },
    elements,
    rng: seededRng(`rng-${role}`),
    signingKey: keys[role].secretKey,
    peerPublicKey: keys[peerRole].publicKey,
    ...overrides,
  };
}

export interface InFlight {
  readonly from: Role;
  readonly kind: MessageKind;
  readonly bytes: Uint8Array;
  /** index of this message among those `from` sent */
  readonly index: number;
}

/** Returns the frames to deliver instead of `message` (none to drop it). */
export type Intercept = (message: InFlight) => Uint8Array[];

export interface PumpOptions {
  readonly intercept?: Intercept;
  /** picks which direction delivers next when both have frames in flight; default alternates */
  readonly pickInitiatorFirst?: () => boolean;
}

/** Runs both rounds to the end. Frames to a party that is already done are dropped, as a closed connection would. */
export function pump(initiator: Round, responder: Round, pumpOptions: PumpOptions = {}): void {
  const toResponder: Uint8Array[] = [];
  const toInitiator: Uint8Array[] = [];
  const sent = { initiator: 0, responder: 0 };
  const enqueue = (from: Role, outbound: readonly { kind: MessageKind; bytes: Uint8Array }[]): void => {
    for (const { kind, bytes } of outbound) {
      const message: InFlight = { from, kind, bytes, index: sent[from]++ };
      const frames = pumpOptions.intercept ? pumpOptions.intercept(message) : [bytes];
      (from === 'initiator' ? toResponder : toInitiator).push(...frames);
    }
  };
  enqueue('initiator', initiator.start());
  enqueue('responder', responder.start());
  let turn = false;
  for (let steps = 0; steps < 100_000; steps++) {
    const canI = toInitiator.length > 0;
    const canR = toResponder.length > 0;
    if (!canI && !canR) return;
    turn = pumpOptions.pickInitiatorFirst ? pumpOptions.pickInitiatorFirst() : !turn;
    const deliverToInitiator = canI && (!canR || turn);
    if (deliverToInitiator) {
      const frame = toInitiator.shift()!;
      if (!initiator.done) enqueue('initiator', initiator.receive(frame));
    } else {
      const frame = toResponder.shift()!;
      if (!responder.done) enqueue('responder', responder.receive(frame));
    }
  }
  throw new Error('pump did not settle');
}

export function pair(
  initiatorElements: readonly Uint8Array[],
  responderElements: readonly Uint8Array[],
  overrides: { initiator?: Partial<RoundOptions>; responder?: Partial<RoundOptions>; both?: Partial<RoundOptions> } = {},
): { initiator: Round; responder: Round } {
  return {
    initiator: createRound(options('initiator', initiatorElements, { ...overrides.both, ...overrides.initiator })),
    responder: createRound(options('responder', responderElements, { ...overrides.both, ...overrides.responder })),
  };
}
