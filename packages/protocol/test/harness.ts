/** Test harness: two rounds wired back to back, with optional interception of frames in flight. */
import { ed25519KeyPairFromSeed, ready } from '@venn/crypto';
import { VennError } from '@venn/errors';
import { createRound, ownSetFromDigests, type Round, type RoundOptions, type RoundPolicy, type Role } from '@venn/protocol';
import type { LabelValues, MessageKind } from '@venn/wire';
import { expect } from 'vitest';
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

export const IDENTIFIER_RULES = 'venn-identifiers/1 hygiene/1 phone-metadata/1';

/** An open test policy: both modes, cardinality accepted as semi-honest, so tests opt out of what they check. */
export function policy(overrides: Partial<RoundPolicy> = {}): RoundPolicy {
  return {
    maxPeerSetSize: 65_536,
    evaluationAllowance: overrides.maxPeerSetSize ?? 65_536,
    modes: ['intersection', 'cardinality'],
    labelFields: [],
    semiHonestCardinality: true,
    allowIdentifierRulesMismatch: false,
    ...overrides,
  };
}

/** Options beyond RoundOptions that the harness turns into an own set. */
export interface Extra {
  /** labels aligned with the elements given */
  readonly labels?: ReadonlyArray<LabelValues | undefined>;
}

export function options(role: Role, elements: readonly Uint8Array[], overrides: Partial<RoundOptions> & Extra = {}): RoundOptions {
  const { labels, ...rest } = overrides;
  const self = role === 'initiator' ? 'lab-a' : 'lab-b';
  const peer = role === 'initiator' ? 'lab-b' : 'lab-a';
  const peerRole: Role = role === 'initiator' ? 'responder' : 'initiator';
  return {
    role,
    roundId,
    rosterDigest,
    selfId: self,
    peerId: peer,
    mode: 'intersection',
    policy: policy(),
    identifierRules: IDENTIFIER_RULES,
    ownSet: ownSetFromDigests(elements, labels),
    rng: seededRng(`rng-${role}`),
    signingKey: keys[role].secretKey,
    peerPublicKey: keys[peerRole].publicKey,
    ...rest,
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
  /** called after each delivery with the receiver and what it sent back */
  readonly onDelivered?: (to: Role, frame: Uint8Array, sent: readonly { kind: MessageKind; bytes: Uint8Array }[]) => void;
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
  enqueue('initiator', initiator.precompute());
  enqueue('responder', responder.start());
  let turn = false;
  for (let steps = 0; steps < 100_000; steps++) {
    const canI = toInitiator.length > 0;
    const canR = toResponder.length > 0;
    if (!canI && !canR) return;
    turn = pumpOptions.pickInitiatorFirst ? pumpOptions.pickInitiatorFirst() : !turn;
    const deliverToInitiator = canI && (!canR || turn);
    const to: Role = deliverToInitiator ? 'initiator' : 'responder';
    const round = deliverToInitiator ? initiator : responder;
    const frame = (deliverToInitiator ? toInitiator : toResponder).shift()!;
    if (round.done) continue;
    const out = round.receive(frame);
    pumpOptions.onDelivered?.(to, frame, out);
    enqueue(to, out);
  }
  throw new Error('pump did not settle');
}

type Overrides = Partial<RoundOptions> & Extra;

export function pair(
  initiatorElements: readonly Uint8Array[],
  responderElements: readonly Uint8Array[],
  overrides: { initiator?: Overrides; responder?: Overrides; both?: Overrides } = {},
): { initiator: Round; responder: Round } {
  return {
    initiator: createRound(options('initiator', initiatorElements, { ...overrides.both, ...overrides.initiator })),
    responder: createRound(options('responder', responderElements, { ...overrides.both, ...overrides.responder })),
  };
}

/** Runs `call`, expects it to throw a VennError, and returns it (for its class, code and cause). */
export function thrown(call: () => unknown): VennError {
  try {
    call();
  } catch (error) {
    expect(error).toBeInstanceOf(VennError);
    return error as VennError;
  }
  throw new Error('expected a throw');
}
