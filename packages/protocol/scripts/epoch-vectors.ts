/**
 * vectors/venn-epoch.json (SPEC §13.10): one key epoch of three rounds between two parties, run by
 * @venn/protocol under lockstep delivery with each party's state kept as SPEC §13.2 says, and the
 * epoch's negative cases. test/epoch-vectors.test.ts rebuilds every byte from the text.
 */
import { ed25519KeyPairFromSeed, hashToGroup, randomScalar, scalarBaseMult, scalarMult } from '@venn/crypto';
import {
  HASH_TO_GROUP_DST,
  Transcript,
  chunkContextString,
  chunkTranscriptHash,
  createRound,
  finishSignatureInput,
  ownSetFromDigests,
  type CompletedResult,
  type Role,
  type Round,
} from '@venn/protocol';
import { decodeMessage, encodeMessage, type LabelField, type LabelValues, type Message, type MessageKind } from '@venn/wire';
import { MapEpochState } from './epoch-state.js';
import { seededRng } from './seeded-rng.js';
import { sha256 } from '@noble/hashes/sha2.js';
import { SOURCE, VECTOR_VERSION, lockstep, proofNonce, specLabel, type Delivered } from './venn-vectors.js';

const hex = (bytes: Uint8Array): string => Buffer.from(bytes).toString('hex');
/** SHA-256("venn-vector/" || label), as in venn-vectors.ts (defined here: EPOCH_SETUP needs it at load). */
const tagged = (label: string): Uint8Array => sha256(new TextEncoder().encode(`venn-vector/${label}`));
const other = (role: Role): Role => (role === 'initiator' ? 'responder' : 'initiator');
const SIDES: readonly Role[] = ['initiator', 'responder'];
/** node.md §10.2: the round id of round i of epoch eid, SHA-256("venn/epoch-round-id/v1" || 0x00 || eid || u32(i)). */
const epochRoundId = (epochId: Uint8Array, index: number): Uint8Array =>
  sha256(Uint8Array.from([...new TextEncoder().encode('venn/epoch-round-id/v1'), 0, ...epochId, index >>> 24, (index >>> 16) & 0xff, (index >>> 8) & 0xff, index & 0xff]));
const EPOCH_ID = tagged('epoch/id');

interface EpochPartySetup {
  readonly id: string;
  readonly rngSeed: string;
  readonly identitySeed: Uint8Array;
  readonly labelFields: readonly LabelField[];
  readonly maxPeerSetSize: number;
  readonly maxPeerEpochSetSize: number;
  /** the party's list at each round, by element name (digest = SHA-256("venn-vector/" || name)) */
  readonly lists: ReadonlyArray<readonly string[]>;
  /** labels by element name */
  readonly labels: Readonly<Record<string, LabelValues>>;
}

const RULES = 'venn-identifiers/1';

export const EPOCH_SETUP = {
  epochId: EPOCH_ID,
  rosterDigest: tagged('roster-digest'),
  // node.md §10.2, so that the rounds are those a node runs and verify as an epoch (audit.md §9.4).
  roundIds: [0, 1, 2].map((i) => epochRoundId(EPOCH_ID, i)),
  initiator: {
    id: 'lab-a',
    rngSeed: 'venn-vector/epoch/initiator',
    identitySeed: tagged('identity/lab-a'),
    labelFields: ['category', 'reason'],
    maxPeerSetSize: 1000,
    maxPeerEpochSetSize: 100,
    lists: [
      ['shared-1', 'shared-2', 'shared-3', 'a-only-1', 'a-only-2'],
      // round 1: adds later-shared (b holds it since round 0) and a-only-3; removes shared-1 and a-only-2
      ['shared-2', 'shared-3', 'a-only-1', 'later-shared', 'a-only-3'],
      // round 2: adds both-new (b adds it too); removes a-only-1
      ['shared-2', 'shared-3', 'later-shared', 'a-only-3', 'both-new'],
    ],
    labels: { 'later-shared': { category: 'distillation' }, 'both-new': { category: 'resale', reason: 'card ring' } },
  },
  responder: {
    id: 'lab-b',
    rngSeed: 'venn-vector/epoch/responder',
    identitySeed: tagged('identity/lab-b'),
    labelFields: ['category'],
    maxPeerSetSize: 1000,
    maxPeerEpochSetSize: 8,
    lists: [
      ['shared-1', 'shared-2', 'shared-3', 'b-only-1', 'b-only-2', 'later-shared'],
      // round 1: removes shared-2, adds b-only-3
      ['shared-1', 'shared-3', 'b-only-1', 'b-only-2', 'later-shared', 'b-only-3'],
      // round 2: adds shared-2 again and both-new; removes b-only-1
      ['shared-1', 'shared-2', 'shared-3', 'b-only-2', 'later-shared', 'b-only-3', 'both-new'],
    ],
    labels: { 'shared-2': { category: 'fraud-ring' }, 'later-shared': { category: 'chargebacks' } },
  },
} as const satisfies Record<Role, EpochPartySetup> & { epochId: Uint8Array; rosterDigest: Uint8Array; roundIds: readonly Uint8Array[] };

export type EpochSetup = typeof EPOCH_SETUP;

/** The party's state before round 0. */
export function epochParty(role: Role): MapEpochState {
  const setup = EPOCH_SETUP[role];
  return new MapEpochState(EPOCH_SETUP.epochId, setup.rngSeed, setup.maxPeerEpochSetSize);
}

/** Creates round `index` of the epoch for one party, from its state and its list at that round. */
export function epochRound(role: Role, state: MapEpochState, index: number): Round {
  const self = EPOCH_SETUP[role];
  const peer = EPOCH_SETUP[other(role)];
  const list = self.lists[index]!.map((name) => tagged(name));
  const { epoch, additions } = state.next(list);
  const byDigest = new Map(self.lists[index]!.map((name) => [hex(tagged(name)), (self.labels as Record<string, LabelValues>)[name]]));
  return createRound({
    role,
    roundId: EPOCH_SETUP.roundIds[index]!,
    rosterDigest: EPOCH_SETUP.rosterDigest,
    selfId: self.id,
    peerId: peer.id,
    mode: 'intersection',
    policy: { maxPeerSetSize: self.maxPeerSetSize, evaluationAllowance: self.maxPeerSetSize, modes: ['intersection'], labelFields: self.labelFields, semiHonestCardinality: false, allowIdentifierRulesMismatch: false },
    identifierRules: RULES,
    ownSet: ownSetFromDigests(additions, additions.map((digest) => byDigest.get(hex(digest)))),
    // Appendix A: a round of an epoch draws π, then one nonce per EVALUATED chunk, from its own stream.
    rng: seededRng(`${self.rngSeed}/round/${index}`),
    signingKey: ed25519KeyPairFromSeed(self.identitySeed).secretKey,
    peerPublicKey: ed25519KeyPairFromSeed(peer.identitySeed).publicKey,
    logHead: null,
    epoch: { ...epoch, load: () => ({ ...epoch.load(), labelOf: (digest: Uint8Array) => byDigest.get(hex(digest)) }) },
  });
}

function completed(round: Round): CompletedResult {
  if (round.result?.status !== 'completed') throw new Error(`epoch vector round did not complete: ${JSON.stringify(round.result && { status: round.result.status, reason: 'reason' in round.result ? round.result.reason : undefined, detail: 'detail' in round.result ? round.result.detail : undefined })}`);
  return round.result;
}

/** Runs the epoch's rounds; `replace` may substitute a frame of round `at`. */
export function runEpoch(
  upTo = EPOCH_SETUP.roundIds.length,
  replace?: { round: number; swap: (from: Role, kind: MessageKind, index: number, bytes: Uint8Array) => Uint8Array },
): { states: Record<Role, MapEpochState>; runs: Array<{ initiator: Round; responder: Round; sent: Delivered[] }> } {
  const states = { initiator: epochParty('initiator'), responder: epochParty('responder') };
  const runs: Array<{ initiator: Round; responder: Round; sent: Delivered[] }> = [];
  for (let index = 0; index < upTo; index++) {
    const run = lockstep(epochRound('initiator', states.initiator, index), epochRound('responder', states.responder, index), replace?.round === index ? replace.swap : undefined);
    runs.push(run);
    if (replace?.round === index) break;
    states.initiator.apply(completed(run.initiator));
    states.responder.apply(completed(run.responder));
  }
  return { states, runs };
}

const names = (role: Role, digests: Uint8Array, index: number): string[] => {
  const all = new Map(EPOCH_SETUP[role].lists.flat().concat(EPOCH_SETUP[other(role)].lists.flat()).map((name) => [hex(tagged(name)), name]));
  return Array.from({ length: digests.length / 32 }, (_, i) => all.get(hex(digests.subarray(i * 32, i * 32 + 32))) ?? `?${index}`);
};

function roundVector(index: number, run: { initiator: Round; responder: Round; sent: Delivered[] }, before: Record<Role, { additions: string[]; removals: string[] }>, after: Record<Role, MapEpochState>): object {
  const transcript = new Transcript();
  for (const m of run.sent) if (m.kind !== 'finish' && m.kind !== 'abort') transcript.absorb(m.from, m.kind as 'offer', m.bytes);
  const streams = Array.from({ length: 12 }, (_, j) => hex(transcript.streamDigest(j)));
  const pre = transcript.epochPreHash();
  const thFinal = transcript.epochFinalHash();
  const results = { initiator: completed(run.initiator), responder: completed(run.responder) };
  for (const role of SIDES) if (hex(results[role].transcriptHash) !== hex(thFinal)) throw new Error('epoch transcript mismatch');
  const party = (role: Role): object => {
    const messages = run.sent.filter((m) => m.from === role).map((m) => decodeMessage(m.bytes));
    const state = after[role];
    const key = state.key;
    const result = results[role];
    const epoch = result.epoch!;
    return {
      additions: before[role].additions,
      removals: before[role].removals,
      // π over the additions in ascending digest order; one nonce per EVALUATED chunk.
      secrets: {
        permutation: permutationOf(messages, key, before[role].additions),
        proof_nonces: messages.flatMap((m) => (m.kind === 'evaluated' ? [proofNonce(m.proof, key)] : [])),
      },
      chunk_proofs: messages.flatMap((m) => {
        if (m.kind !== 'evaluated') return [];
        const chunkHash = chunkTranscriptHash(role, pre, m.seq, m.points);
        return [{ index: m.seq, pairs: m.points.length / 32, th_chunk: hex(chunkHash), context_string: hex(chunkContextString(chunkHash, m.seq)) }];
      }),
      messages: run.sent.filter((m) => m.from === role).map((m) => {
        const message = decodeMessage(m.bytes);
        return { kind: m.kind, ...('seq' in message ? { seq: message.seq } : {}), hex: hex(m.bytes) };
      }),
      finish_input: hex(finishSignatureInput(role, EPOCH_SETUP.roundIds[index]!, thFinal, result.intersectionSize)),
      result: {
        status: result.status,
        intersection_size: result.intersectionSize,
        peer_intersection_size: result.peerIntersectionSize,
        evaluations_sent: result.evaluationsSent,
        evaluations_received: result.evaluationsReceived,
        new_matches: names(role, epoch.newMatches, index),
        ended_matches: names(role, epoch.endedMatches, index),
        new_match_labels: Array.from({ length: epoch.newMatches.length / 32 }, (_, i) => specLabel(epoch.newMatchLabels.get(i))),
      },
      state_after: {
        acc: state.own.size,
        peer_acc: state.peer.size,
        own: [...state.own.entries()].sort(([x], [y]) => (x < y ? -1 : 1)).map(([digest, value]) => ({ element: names(role, Buffer.from(digest, 'hex'), index)[0], value: hex(value) })),
        peer: [...state.peer].sort(),
      },
    };
  };
  return {
    index,
    round_id: hex(EPOCH_SETUP.roundIds[index]!),
    lists: { initiator: EPOCH_SETUP.initiator.lists[index], responder: EPOCH_SETUP.responder.lists[index] },
    initiator: party('initiator'),
    responder: party('responder'),
    stream_digests: streams,
    th_pre: hex(pre),
    th_final: hex(thFinal),
  };
}

/** π of a round: position p of the own BLINDED stream carries addition π(p) (additions in ascending digest order). */
function permutationOf(messages: readonly Message[], key: Uint8Array, additions: readonly string[]): number[] {
  const blinded = Buffer.concat(messages.flatMap((m) => (m.kind === 'blinded' ? [m.points] : [])));
  const points = additions.map((name) => hex(scalarMult(key, hashToGroup(tagged(name), HASH_TO_GROUP_DST))));
  const permutation = Array.from({ length: blinded.length / 32 }, (_, p) => points.indexOf(hex(blinded.subarray(p * 32, p * 32 + 32))));
  if (permutation.includes(-1)) throw new Error('blinded additions do not match the epoch key');
  return permutation;
}

interface EpochNegative {
  readonly name: string;
  readonly round: number;
  readonly from: Role;
  readonly kind: MessageKind;
  readonly index: number;
  readonly frame: Uint8Array;
  readonly abort: string;
}

function negativeCases(runs: ReadonlyArray<{ sent: Delivered[] }>): EpochNegative[] {
  const first = <K extends MessageKind>(round: number, from: Role, kind: K): Extract<Message, { kind: K }> =>
    decodeMessage(runs[round]!.sent.find((m) => m.from === from && m.kind === kind)!.bytes) as Extract<Message, { kind: K }>;
  const offer = first(1, 'initiator', 'offer');
  const ep = offer.epoch!;
  const cases: EpochNegative[] = [];
  const add = (name: string, round: number, kind: MessageKind, message: Message, abort: string): void => {
    cases.push({ name, round, from: 'initiator', kind, index: 0, frame: encodeMessage(message), abort });
  };
  const { epoch: _, ...plain } = offer;
  add('OFFER check 10: no ep in an epoch round', 1, 'offer', plain, 'epoch-mismatch');
  add('OFFER check 11: another epoch id', 1, 'offer', { ...offer, epoch: { ...ep, id: tagged('epoch/another-id') } }, 'epoch-mismatch');
  add('OFFER check 11: another round of the epoch', 1, 'offer', { ...offer, epoch: { ...ep, index: 2 } }, 'epoch-mismatch');
  add('OFFER check 12: a forged chain link (prev)', 1, 'offer', { ...offer, epoch: { ...ep, previousHash: new Uint8Array(64).fill(0x42) } }, 'epoch-mismatch');
  add('OFFER check 13: another K than the epoch start\'s', 1, 'offer', { ...offer, publicKey: scalarBaseMult(randomScalar(seededRng('venn-vector/epoch/another-key'))) }, 'epoch-mismatch');
  add('OFFER check 14: acc that does not follow from the epoch', 1, 'offer', { ...offer, epoch: { ...ep, accumulated: ep.accumulated + 1 } }, 'epoch-mismatch');
  add('OFFER check 14: rem above what the sender holds', 1, 'offer', { ...offer, setSize: offer.setSize + 5, epoch: { ...ep, removals: 7, accumulated: 5 + offer.setSize + 5 - 7 } }, 'epoch-mismatch');
  add('OFFER check 15: acc over the receiver\'s epoch cap (8)', 1, 'offer', { ...offer, setSize: offer.setSize + 4, epoch: { ...ep, accumulated: ep.accumulated + 4 } }, 'set-too-large');
  // Round 1 BLINDED: a's first addition replaced by its round-0 blinded shared-1, which b already holds.
  const oldBlinded = first(0, 'initiator', 'blinded').points.slice(0, 32);
  const blinded = first(1, 'initiator', 'blinded');
  const resent = blinded.points.slice();
  resent.set(oldBlinded, 0);
  add('BLINDED check 6: an element added in an earlier round, sent again', 1, 'blinded', { ...blinded, points: resent }, 'duplicate-addition');
  const repeated = blinded.points.slice();
  repeated.set(blinded.points.subarray(0, 32), 32);
  add('BLINDED check 7: one addition twice in the round', 1, 'blinded', { ...blinded, points: repeated }, 'duplicate-addition');
  const removed = first(1, 'initiator', 'removed');
  const swapped = removed.points.slice();
  swapped.set(removed.points.subarray(32, 64), 0);
  swapped.set(removed.points.subarray(0, 32), 32);
  add('REMOVED check 5: values out of ascending order', 1, 'removed', { ...removed, points: swapped }, 'bad-removal');
  const never = removed.points.slice();
  never.set(oldBlinded, 32); // a point, but no value of b's T
  add('REMOVED check 6: a value never added', 1, 'removed', { ...removed, points: never }, 'bad-removal');
  return cases;
}

export function epochVectors(): object {
  const { runs } = runEpoch();
  // Replay to capture each round's state and changes.
  const states = { initiator: epochParty('initiator'), responder: epochParty('responder') };
  const rounds = runs.map((run, index) => {
    const before = Object.fromEntries(SIDES.map((role) => {
      const { additions, removals } = states[role].changes(EPOCH_SETUP[role].lists[index]!.map((name) => tagged(name)));
      return [role, { additions: names(role, Uint8Array.from(Buffer.concat(additions)), index), removals: names(role, Uint8Array.from(Buffer.concat(removals)), index) }];
    })) as Record<Role, { additions: string[]; removals: string[] }>;
    states.initiator.apply(completed(run.initiator));
    states.responder.apply(completed(run.responder));
    return roundVector(index, run, before, states);
  });
  const party = (role: Role): object => {
    const setup = EPOCH_SETUP[role];
    const state = epochParty(role);
    return {
      id: setup.id,
      rng_seed: setup.rngSeed,
      identity_seed: hex(setup.identitySeed),
      identity_public_key: hex(ed25519KeyPairFromSeed(setup.identitySeed).publicKey),
      identifier_rules: RULES,
      policy: { max_peer_set_size: setup.maxPeerSetSize, evaluation_allowance: setup.maxPeerSetSize, label_fields: setup.labelFields, max_peer_epoch_set_size: setup.maxPeerEpochSetSize },
      epoch_key: { k: hex(state.key), K: hex(scalarBaseMult(state.key)) },
      labels: Object.fromEntries(Object.entries(setup.labels).map(([name, label]) => [name, specLabel(label)])),
    };
  };
  const elements = [...new Set([...EPOCH_SETUP.initiator.lists.flat(), ...EPOCH_SETUP.responder.lists.flat()])].sort();
  return {
    source: SOURCE,
    version: VECTOR_VERSION,
    note:
      'One key epoch (SPEC §13) between lab-a (initiator of every round) and lab-b, under lockstep delivery (SPEC §12). The round id of round i is that of node.md §10.2, SHA-256("venn/epoch-round-id/v1" || 0x00 || epoch_id || u32(i)), and lab-a is the initiator that the rule of node.md §4 picks with the epoch id. Elements are named: digest = SHA-256("venn-vector/" || name). Each party draws its epoch key k from the stream of rng_seed || "/epoch-key" (Appendix A: RandomScalar) before round 0, and round i from the stream rng_seed || "/round/" || i (ASCII decimal): π over its additions in ascending digest order, then one proof nonce per EVALUATED chunk in seq order. additions and removals are what the lists give against the state before the round; state_after lists S_X with D_X (by element), T_X (sorted hex) and the counts; new_matches and ended_matches name elements; chain lists TH_final of each round, which is the prev of the next. Negative cases: run rounds 0 … round − 1, then round `round` replacing the first message of `kind` sent by `from` with `frame`; the receiver MUST end the round with ABORT code `abort`.',
    epoch_id: hex(EPOCH_SETUP.epochId),
    roster_digest: hex(EPOCH_SETUP.rosterDigest),
    elements: Object.fromEntries(elements.map((name) => [name, hex(tagged(name))])),
    initiator: party('initiator'),
    responder: party('responder'),
    rounds,
    chain: rounds.map((round) => (round as { th_final: string }).th_final),
    negative: negativeCases(runs).map((c) => ({ name: c.name, round: c.round, from: c.from, kind: c.kind, index: c.index, frame: hex(c.frame), abort: c.abort })),
  };
}
