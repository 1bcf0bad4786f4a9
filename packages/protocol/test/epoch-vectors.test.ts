/**
 * protocol-spec/vectors/venn-epoch.json (SPEC §13.10): every byte of the epoch's rounds follows
 * from SPEC §13 (with §4–§8 and Appendix A) as re-implemented here from the text, with primitives,
 * the wire codec and state kept in plain maps; none of @venn/protocol's epoch code runs here except
 * for the negative cases, which run the round engine as venn-negative.json's test does.
 */
import { readFileSync } from 'node:fs';
import { sha256, sha512 } from '@noble/hashes/sha2.js';
import {
  ed25519KeyPairFromSeed,
  generateProof,
  hashToGroupMany,
  randomScalar,
  ready,
  scalarBaseMult,
  scalarMultPacked,
  verifyProof,
} from '@venn/crypto';
import { decodeMessage, encodeMessage, type LabelField, type Message } from '@venn/wire';
import { beforeAll, describe, expect, it } from 'vitest';
import { runEpoch } from '../scripts/epoch-vectors.js';
import { seededRng } from '../scripts/seeded-rng.js';

const vectorsDir = new URL('../../../protocol-spec/vectors/', import.meta.url);
const file = JSON.parse(readFileSync(new URL('venn-epoch.json', vectorsDir), 'utf8')) as EpochFile;
const fromHex = (text: string): Uint8Array => Uint8Array.from(Buffer.from(text, 'hex'));
const hex = (bytes: Uint8Array): string => Buffer.from(bytes).toString('hex');
const ascii = (text: string): Uint8Array => new TextEncoder().encode(text);
const cat = (...parts: Uint8Array[]): Uint8Array => Uint8Array.from(Buffer.concat(parts));
const u8 = (n: number): Uint8Array => Uint8Array.of(n);
const u16 = (n: number): Uint8Array => Uint8Array.of(n >>> 8, n & 0xff);
const u32 = (n: number): Uint8Array => Uint8Array.of(n >>> 24, (n >>> 16) & 0xff, (n >>> 8) & 0xff, n & 0xff);
const at = (bytes: Uint8Array, i: number): Uint8Array => bytes.subarray(i * 32, i * 32 + 32);

const DST_H2G = ascii('VENN-V02-CS01-with-ristretto255_XMD:SHA-512_R255MAP_RO_');
const G = fromHex('e2f2ae0a6abc4e71a884a961c500515f58e30b6aa582dd8db6a65945e08d2d76');
const ROLE_BYTE = { initiator: 1, responder: 2 } as const;
type Side = 'initiator' | 'responder';
const SIDES: readonly Side[] = ['initiator', 'responder'];
const other = (role: Side): Side => (role === 'initiator' ? 'responder' : 'initiator');

type SpecLabel = { category?: string; first_seen?: string; reason?: string };
interface PartySetup {
  id: string;
  rng_seed: string;
  identity_seed: string;
  identifier_rules: string;
  policy: { max_peer_set_size: number; evaluation_allowance: number; label_fields: LabelField[]; max_peer_epoch_set_size: number };
  epoch_key: { k: string; K: string };
  labels: Record<string, SpecLabel>;
}
interface PartyRound {
  additions: string[];
  removals: string[];
  secrets: { permutation: number[]; proof_nonces: string[] };
  chunk_proofs: Array<{ index: number; pairs: number; th_chunk: string; context_string: string }>;
  messages: Array<{ kind: string; seq?: number; hex: string }>;
  finish_input: string;
  result: { status: string; intersection_size: number; peer_intersection_size: number; evaluations_sent: number; evaluations_received: number; new_matches: string[]; ended_matches: string[]; new_match_labels: Array<SpecLabel | null> };
  state_after: { acc: number; peer_acc: number; own: Array<{ element: string; value: string }>; peer: string[] };
}
interface EpochFile {
  source: string;
  version: number;
  epoch_id: string;
  roster_digest: string;
  elements: Record<string, string>;
  initiator: PartySetup;
  responder: PartySetup;
  rounds: Array<{ index: number; round_id: string; lists: Record<Side, string[]>; initiator: PartyRound; responder: PartyRound; stream_digests: string[]; th_pre: string; th_final: string }>;
  chain: string[];
  negative: Array<{ name: string; round: number; from: Side; kind: string; index: number; frame: string; abort: string }>;
}

/** SPEC Appendix A: Fisher–Yates over the seeded stream. */
function appendixPermutation(draw: (n: number) => Uint8Array, n: number): number[] {
  const order = Array.from({ length: n }, (_, i) => i);
  for (let i = n - 1; i > 0; i--) {
    const bound = i + 1;
    const limit = 2 ** 32 - (2 ** 32 % bound);
    let u: number;
    do {
      u = Buffer.from(draw(4)).readUInt32BE(0);
    } while (u >= limit);
    const j = u % bound;
    [order[i], order[j]] = [order[j]!, order[i]!];
  }
  return order;
}

/** SPEC §7.2, §13.5: S_j over per-stream frame lists; streams 10 and 11 carry REMOVED (t = 8). */
const STREAM_OF: ReadonlyArray<[Side, string, number]> = [
  ['initiator', 'offer', 1], ['responder', 'offer', 1], ['initiator', 'blinded', 2], ['responder', 'blinded', 2],
  ['initiator', 'evaluated', 3], ['responder', 'evaluated', 3], ['initiator', 'proof', 4], ['responder', 'proof', 4],
  ['initiator', 'labels', 5], ['responder', 'labels', 5], ['initiator', 'removed', 8], ['responder', 'removed', 8],
];
function streams(frames: Record<Side, Record<string, Uint8Array[]>>): Uint8Array[] {
  return STREAM_OF.map(([role, kind, t], j) => {
    const h = sha512.create().update(ascii('VENN-V02-STREAM')).update(u8(j));
    for (const body of frames[role][kind] ?? []) h.update(cat(u8(ROLE_BYTE[role]), u8(t), u32(body.length), body));
    return h.digest();
  });
}
function transcriptHash(purpose: number, list: readonly number[], digests: readonly Uint8Array[]): Uint8Array {
  const h = sha512.create().update(ascii('VENN-V02-TRANSCRIPT')).update(u8(purpose));
  for (const j of list) h.update(u8(j)).update(digests[j]!);
  return h.digest();
}
const packed = (values: readonly Uint8Array[]): Uint8Array => cat(...values);
const chunk = (points: Uint8Array, seq: number): Uint8Array => points.subarray(seq * 4096 * 32, Math.min(points.length, (seq + 1) * 4096 * 32));
const chunkCount = (points: Uint8Array): number => Math.ceil(points.length / 32 / 4096);

/** A party's epoch state as SPEC §13.2 describes it. */
interface TextState {
  own: Map<string, Uint8Array>; // digest hex → D
  peer: Set<string>; // T
  size: number; // the epoch's intersection
  prev: Uint8Array;
  peerK: Uint8Array | null;
}

/** One round rebuilt from the text, for both parties; updates both states. */
function rebuildRound(index: number, states: Record<Side, TextState>) {
  const round = file.rounds[index]!;
  const roundId = fromHex(round.round_id);
  const digestOf = (name: string): Uint8Array => fromHex(file.elements[name]!);
  const nameOf = new Map(Object.entries(file.elements).map(([name, digest]) => [digest, name]));
  const party = Object.fromEntries(SIDES.map((role) => {
    const setup = file[role];
    const state = states[role];
    const list = round.lists[role].map(digestOf);
    const current = new Set(list.map(hex));
    // §13.3: additions are new to S_X, removals left the list; both in ascending digest order.
    const additions = [...current].filter((d) => !state.own.has(d)).sort().map(fromHex);
    const removals = [...state.own.keys()].filter((d) => !current.has(d)).sort().map(fromHex);
    const k = randomScalar(seededRng(`${setup.rng_seed}/epoch-key`));
    const draw = seededRng(`${setup.rng_seed}/round/${index}`);
    const pi = appendixPermutation(draw, additions.length);
    return [role, { setup, state, additions, removals, k, K: scalarBaseMult(k), draw, pi }];
  })) as Record<Side, { setup: PartySetup; state: TextState; additions: Uint8Array[]; removals: Uint8Array[]; k: Uint8Array; K: Uint8Array; draw: (n: number) => Uint8Array; pi: number[] }>;

  const frames: Record<Side, Record<string, Uint8Array[]>> = { initiator: {}, responder: {} };
  const blinded: Record<Side, Uint8Array> = { initiator: new Uint8Array(0), responder: new Uint8Array(0) };
  const offers = {} as Record<Side, Extract<Message, { kind: 'offer' }>>;
  for (const role of SIDES) {
    const { setup, state, additions, removals, K, k, pi } = party[role];
    offers[role] = {
      kind: 'offer', version: 2, roundId, rosterDigest: fromHex(file.roster_digest), sender: setup.id, receiver: file[other(role)].id, mode: 'intersection',
      setSize: additions.length, maxPeerSetSize: Math.min(setup.policy.max_peer_set_size, setup.policy.evaluation_allowance), labelFields: setup.policy.label_fields,
      identifierRules: setup.identifier_rules, publicKey: K, logHead: null,
      epoch: { id: fromHex(file.epoch_id), index, previousHash: state.prev, accumulated: state.own.size + additions.length - removals.length, removals: removals.length, epochCap: setup.policy.max_peer_epoch_set_size },
    };
    frames[role].offer = [encodeMessage(offers[role])];
    blinded[role] = additions.length === 0 ? new Uint8Array(0) : scalarMultPacked(k, hashToGroupMany(pi.map((i) => additions[i]!), DST_H2G));
    frames[role].blinded = Array.from({ length: chunkCount(blinded[role]) }, (_, seq) => encodeMessage({ kind: 'blinded', roundId, seq, points: chunk(blinded[role], seq) }));
    // §13.4: D of each removal, in ascending byte order of the values.
    const removedValues = packed(removals.map((d) => state.own.get(hex(d))!).sort((x, y) => Buffer.compare(x, y)));
    frames[role].removed = Array.from({ length: chunkCount(removedValues) }, (_, seq) => encodeMessage({ kind: 'removed', roundId, seq, points: chunk(removedValues, seq) }));
  }
  const thPre = transcriptHash(0x05, [0, 1, 2, 3, 10, 11], streams(frames));

  // EVALUATED with one proof per chunk, context from the epoch's TH_pre (§6.1, §13.5).
  const evaluated: Record<Side, Uint8Array> = { initiator: new Uint8Array(0), responder: new Uint8Array(0) };
  const nonces: Record<Side, string[]> = { initiator: [], responder: [] };
  const chunkProofs: Record<Side, Array<{ index: number; pairs: number; th_chunk: string; context_string: string }>> = { initiator: [], responder: [] };
  for (const role of SIDES) {
    const { k, K, draw } = party[role];
    const C = blinded[other(role)];
    evaluated[role] = C.length === 0 ? new Uint8Array(0) : scalarMultPacked(k, C);
    frames[role].evaluated = Array.from({ length: chunkCount(evaluated[role]) }, (_, a) => {
      const pts = chunk(evaluated[role], a);
      const thChunk = sha512(cat(ascii('VENN-V02-CHUNK'), u8(ROLE_BYTE[role]), thPre, u16(a), pts));
      const context = cat(ascii('VENN-V02-DLEQ-'), thChunk, u16(a));
      const nonce = hex(randomScalar(draw));
      nonces[role].push(nonce);
      const proof = generateProof(k, G, K, chunk(C, a), pts, context, () => cat(fromHex(nonce), new Uint8Array(32)));
      expect(verifyProof(G, K, chunk(C, a), pts, proof, context)).toBe(true);
      chunkProofs[role].push({ index: a, pairs: pts.length / 32, th_chunk: hex(thChunk), context_string: hex(context) });
      return encodeMessage({ kind: 'evaluated', roundId, seq: a, points: pts, proof });
    });
  }

  // §13.7: the result, from each party's state, its changes and the peer's.
  const results = Object.fromEntries(SIDES.map((role) => {
    const { state, additions, removals, pi } = party[role];
    const returned = evaluated[other(role)]; // D of own additions, at their blinded positions
    const addedValue = new Map<string, Uint8Array>();
    pi.forEach((i, p) => addedValue.set(hex(additions[i]!), at(returned, p).slice()));
    const fresh = new Set(Array.from({ length: evaluated[role].length / 32 }, (_, j) => hex(at(evaluated[role], j))));
    const peerRemoved = new Set(party[other(role)].removals.map((d) => hex(party[other(role)].state.own.get(hex(d))!)));
    const removed = new Set(removals.map(hex));
    const newMatches: string[] = [];
    const ended: string[] = [];
    for (const digest of additions) {
      const value = hex(addedValue.get(hex(digest))!);
      if ((state.peer.has(value) && !peerRemoved.has(value)) || fresh.has(value)) newMatches.push(hex(digest));
    }
    for (const [digest, value] of state.own) {
      const v = hex(value);
      if (removed.has(digest)) {
        if (state.peer.has(v)) ended.push(digest);
      } else if (fresh.has(v)) newMatches.push(digest);
      else if (peerRemoved.has(v)) ended.push(digest);
    }
    newMatches.sort();
    ended.sort();
    return [role, { addedValue, fresh, peerRemoved, removed, newMatches, ended, size: state.size + newMatches.length - ended.length }];
  })) as Record<Side, { addedValue: Map<string, Uint8Array>; fresh: Set<string>; peerRemoved: Set<string>; removed: Set<string>; newMatches: string[]; ended: string[]; size: number }>;

  // LABELS (§13.6): new matches with a label, agreed fields only, by ascending key.
  const agreed = offers.initiator.labelFields.filter((field) => offers.responder.labelFields.includes(field));
  if (agreed.length > 0) {
    for (const role of SIDES) {
      const labels = party[role].setup.labels;
      const entries = results[role].newMatches.flatMap((digest) => {
        const value = results[role].addedValue.get(digest) ?? party[role].state.own.get(digest)!;
        const label = labels[nameOf.get(digest)!];
        const entry: { key: Uint8Array; category?: string; firstSeen?: string; reason?: string } = { key: value };
        if (label?.category !== undefined && agreed.includes('category')) entry.category = label.category;
        if (label?.first_seen !== undefined && agreed.includes('first_seen')) entry.firstSeen = label.first_seen;
        if (label?.reason !== undefined && agreed.includes('reason')) entry.reason = label.reason;
        return Object.keys(entry).length > 1 ? [entry] : [];
      }).sort((x, y) => Buffer.compare(x.key, y.key));
      const count = Math.max(1, Math.ceil(entries.length / 512));
      frames[role].labels = Array.from({ length: count }, (_, seq) => encodeMessage({ kind: 'labels', roundId, seq, end: seq === count - 1, entries: entries.slice(seq * 512, (seq + 1) * 512) }));
    }
  }
  const digests = streams(frames);
  const thFinal = transcriptHash(0x06, Array.from({ length: 12 }, (_, j) => j), digests);
  const finish = Object.fromEntries(SIDES.map((role) => {
    const input = cat(ascii('VENN-V02-FINISH'), u8(ROLE_BYTE[role]), roundId, thFinal, u32(results[role].size));
    const signature = ed25519SignFor(party[role].setup.identity_seed, input);
    return [role, { input, bytes: encodeMessage({ kind: 'finish', roundId, intersectionSize: results[role].size, signature }) }];
  })) as Record<Side, { input: Uint8Array; bytes: Uint8Array }>;
  // Per sender, in the order of §4.4 and §13.6: OFFER, BLINDED, REMOVED, EVALUATED, LABELS, FINISH.
  const messages = Object.fromEntries(SIDES.map((role) => [role, [...['offer', 'blinded', 'removed', 'evaluated', 'labels'].flatMap((kind) => frames[role][kind] ?? []), finish[role].bytes]])) as Record<Side, Uint8Array[]>;

  // §13.2: state after a completed round.
  for (const role of SIDES) {
    const { state, additions } = party[role];
    const result = results[role];
    for (const digest of result.removed) state.own.delete(digest);
    for (const digest of additions) state.own.set(hex(digest), result.addedValue.get(hex(digest))!);
    for (const value of result.peerRemoved) state.peer.delete(value);
    for (const value of result.fresh) state.peer.add(value);
    state.size = result.size;
    state.prev = thFinal;
    state.peerK = party[other(role)].K;
  }
  const stateAfter = Object.fromEntries(SIDES.map((role) => [role, { own: new Map(party[role].state.own), peer: new Set(party[role].state.peer) }])) as Record<Side, { own: Map<string, Uint8Array>; peer: Set<string> }>;
  return { party, results, nonces, chunkProofs, digests, thPre, thFinal, finish, messages, nameOf, stateAfter };
}

let ed25519Sign: (secretKey: Uint8Array, message: Uint8Array) => Uint8Array;
const ed25519SignFor = (seed: string, message: Uint8Array): Uint8Array => ed25519Sign(ed25519KeyPairFromSeed(fromHex(seed)).secretKey, message);

beforeAll(async () => {
  await ready();
  ed25519Sign = (await import('@venn/crypto')).ed25519Sign;
});

describe('venn-epoch.json: every byte of an epoch from the seeds, the lists and SPEC §13', () => {
  it('is a version 2 Venn vector file with three rounds and a chain', () => {
    expect(file.version).toBe(2);
    expect(file.source).toMatch(/generated by packages\/protocol\/scripts/);
    expect(file.rounds.map((r) => r.index)).toEqual([0, 1, 2]);
    expect(file.chain).toEqual(file.rounds.map((r) => r.th_final));
    for (const [name, digest] of Object.entries(file.elements)) expect(hex(sha256(ascii(`venn-vector/${name}`)))).toBe(digest);
    // The epoch covers a match from an old element, one from an addition on both sides, and
    // matches ended by either side's removal.
    const all = file.rounds.flatMap((r) => [r.initiator.result, r.responder.result]);
    expect(all.some((r) => r.ended_matches.length >= 2)).toBe(true);
    expect(file.rounds[2]!.initiator.result.new_matches).toContain('both-new');
  });

  it('round ids are those of node.md §10.2 for the epoch id, and lab-a is the epoch\'s initiator (node.md §4)', () => {
    const u32 = (n: number): Uint8Array => Uint8Array.of(n >>> 24, (n >>> 16) & 0xff, (n >>> 8) & 0xff, n & 0xff);
    const epochId = Buffer.from(file.epoch_id, 'hex');
    for (const round of file.rounds) {
      expect(round.round_id).toBe(hex(sha256(Buffer.concat([ascii('venn/epoch-round-id/v1'), Uint8Array.of(0), epochId, u32(round.index)]))));
    }
    const score = (id: string): Buffer => Buffer.from(sha256(Buffer.concat([ascii('venn/initiator/v1'), Uint8Array.of(0), epochId, Uint8Array.of(id.length), ascii(id)])));
    expect(Buffer.compare(score('lab-a'), score('lab-b'))).toBeLessThan(0);
  });

  let rebuilt: Array<ReturnType<typeof rebuildRound>>;
  beforeAll(() => {
    const state = (): TextState => ({ own: new Map(), peer: new Set(), size: 0, prev: new Uint8Array(64), peerK: null });
    const states = { initiator: state(), responder: state() };
    rebuilt = file.rounds.map((_, index) => {
      const before = { initiator: states.initiator.peerK, responder: states.responder.peerK };
      const out = rebuildRound(index, states);
      // §13.5: one key per epoch, so every round's K is round 0's.
      for (const role of SIDES) if (before[role] !== null) expect(hex(before[role]!)).toBe(hex(out.party[other(role)].K));
      return out;
    });
  });

  describe.each(file.rounds.map((round) => [round.index, round] as const))('round %i', (index, round) => {
    it('the epoch key, π and the proof nonces are what the seed streams yield (Appendix A, §13.10)', () => {
      for (const role of SIDES) {
        const { k, K, pi } = rebuilt[index]!.party[role];
        expect([hex(k), hex(K)]).toEqual([file[role].epoch_key.k, file[role].epoch_key.K]);
        expect(pi).toEqual(round[role].secrets.permutation);
        expect(round[role].secrets.proof_nonces).toEqual(rebuilt[index]!.nonces[role]);
        expect(round[role].chunk_proofs).toEqual(rebuilt[index]!.chunkProofs[role]);
      }
    });

    it('additions and removals are what the lists give against the state (§13.3)', () => {
      for (const role of SIDES) {
        const { additions, removals } = rebuilt[index]!.party[role];
        const names = (list: Uint8Array[]): string[] => list.map((d) => rebuilt[index]!.nameOf.get(hex(d))!);
        expect(round[role].additions).toEqual(names(additions));
        expect(round[role].removals).toEqual(names(removals));
      }
    });

    it('every message of each party is the one the text gives (§13.3–§13.6)', () => {
      for (const role of SIDES) {
        expect(round[role].messages.map((m) => m.hex)).toEqual(rebuilt[index]!.messages[role].map(hex));
        expect(round[role].messages.map((m) => m.kind)).toEqual(rebuilt[index]!.messages[role].map((bytes) => decodeMessage(bytes).kind));
      }
    });

    it('stream digests, TH_pre, TH_final (the chain) and the FINISH inputs follow §7, §8 and §13.5', () => {
      expect(rebuilt[index]!.digests.map(hex)).toEqual(round.stream_digests);
      expect(hex(rebuilt[index]!.thPre)).toBe(round.th_pre);
      expect(hex(rebuilt[index]!.thFinal)).toBe(round.th_final);
      if (index > 0) {
        const offer = decodeMessage(fromHex(round.initiator.messages[0]!.hex)) as Extract<Message, { kind: 'offer' }>;
        expect(hex(offer.epoch!.previousHash)).toBe(file.rounds[index - 1]!.th_final);
      }
      for (const role of SIDES) expect(hex(rebuilt[index]!.finish[role].input)).toBe(round[role].finish_input);
    });

    it('results: new and ended matches, the epoch intersection on both sides, and evaluations of additions only (§13.7)', () => {
      const names = (list: string[]): string[] => list.map((d) => rebuilt[index]!.nameOf.get(d)!);
      for (const role of SIDES) {
        const result = round[role].result;
        const mine = rebuilt[index]!.results[role];
        expect(result.status).toBe('completed');
        // Both lists in ascending digest order.
        expect(result.new_matches).toEqual(names(mine.newMatches));
        expect(result.ended_matches).toEqual(names(mine.ended));
        expect([result.intersection_size, result.peer_intersection_size]).toEqual([mine.size, rebuilt[index]!.results[other(role)].size]);
        expect([result.evaluations_sent, result.evaluations_received]).toEqual([rebuilt[index]!.party[other(role)].additions.length, rebuilt[index]!.party[role].additions.length]);
        // The epoch intersection is the plain intersection of the current lists.
        const lists = round.lists;
        expect(result.intersection_size).toBe(lists.initiator.filter((name) => lists.responder.includes(name)).length);
      }
    });

    it('the state after the round (§13.2)', () => {
      for (const role of SIDES) {
        const state = rebuilt[index]!.stateAfter[role];
        const after = round[role].state_after;
        expect([after.acc, after.peer_acc]).toEqual([state.own.size, state.peer.size]);
        expect(after.own.map((entry) => [file.elements[entry.element!], entry.value])).toEqual([...state.own.entries()].sort(([x], [y]) => (x < y ? -1 : 1)).map(([d, v]) => [d, hex(v)]));
        expect(after.peer).toEqual([...state.peer].sort());
      }
    });
  });
});

describe('venn-epoch.json negative cases (SPEC §13.6)', () => {
  it('cover every epoch OFFER check and every epoch abort code', () => {
    for (let check = 10; check <= 15; check++) expect(file.negative.some((c) => c.name.startsWith(`OFFER check ${check}:`))).toBe(true);
    expect(new Set(file.negative.map((c) => c.abort))).toEqual(new Set(['epoch-mismatch', 'set-too-large', 'duplicate-addition', 'bad-removal']));
  });

  it.each(file.negative.map((c) => [c.name, c] as const))('%s', (_, c) => {
    let replaced = false;
    const { runs } = runEpoch(c.round + 1, {
      round: c.round,
      swap: (from, kind, index, bytes) => {
        if (from !== c.from || kind !== c.kind || index !== c.index) return bytes;
        replaced = true;
        return fromHex(c.frame);
      },
    });
    expect(replaced).toBe(true);
    const run = runs[c.round]!;
    const receiver = c.from === 'initiator' ? run.responder : run.initiator;
    expect(receiver.result?.status).toBe('aborted');
    expect(receiver.result?.status === 'aborted' && receiver.result.reason).toBe(c.abort);
    // Nothing of the round was evaluated for the sender of the bad frame.
    expect(receiver.result!.evaluationsSent).toBe(0);
  });
});
