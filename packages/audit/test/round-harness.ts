/**
 * Real Venn rounds for the audit tests: two @venn/protocol parties pumped back to back, every frame
 * recorded as each node records it (sent, and received while the round is open), then a log with
 * the exporter's leaf, a signed head and the bundle, as `venn audit export` builds them.
 */
import { sha256, sha512 } from '@noble/hashes/sha2.js';
import { ed25519KeyPairFromSeed, ready, type Rng } from '@venn/crypto';
import { ValidationError } from '@venn/errors';
import { expect } from 'vitest';
import { createRound, ownSetFromDigests, type EpochRoundInput, type Role, type Round, type RoundOptions, type RoundResult } from '@venn/protocol';
import { decodeMessage, encodeMessage, type LabelField, type LabelValues, type Message, type MessageKind, type Mode } from '@venn/wire';
import {
  MemoryLogStorage,
  attemptAccounts,
  MerkleLog,
  buildTranscriptBundle,
  encodeRoundRecord,
  signTreeHead,
  type AuditRoster,
  type BundleReport,
  type RecordedMessage,
  type RoundRecord,
  type TranscriptBundle,
} from '../src/index.js';

await ready();

export const ids: Record<Role, string> = { initiator: 'lab-a', responder: 'lab-b' };
export const keys: Record<Role, { publicKey: Uint8Array; secretKey: Uint8Array }> = {
  initiator: ed25519KeyPairFromSeed(new Uint8Array(32).fill(0x0a)),
  responder: ed25519KeyPairFromSeed(new Uint8Array(32).fill(0x0b)),
};
export const rosterDigest = new Uint8Array(32).fill(0xd1);
export const adHocRoundId = sha256(new TextEncoder().encode('audit-test/ad-hoc-round'));
const encoder = new TextEncoder();

/** A deterministic byte stream (test randomness only): SHA-512 of seed || counter blocks. */
export function seededRng(seed: string): Rng {
  let counter = 0;
  let pool = new Uint8Array(0);
  return (length: number): Uint8Array => {
    while (pool.length < length) {
      const block = sha512(encoder.encode(`${seed}/${counter++}`));
      const next = new Uint8Array(pool.length + block.length);
      next.set(pool);
      next.set(block, pool.length);
      pool = next;
    }
    const out = pool.slice(0, length);
    pool = pool.slice(length);
    return out;
  };
}

export function digest(label: string): Uint8Array {
  return sha256(encoder.encode(`identifier:${label}`));
}

function u64(value: number): Uint8Array {
  const out = new Uint8Array(8);
  new DataView(out.buffer).setBigUint64(0, BigInt(value));
  return out;
}

function withLength(text: string): Uint8Array {
  const bytes = encoder.encode(text);
  return Uint8Array.of(bytes.length, ...bytes);
}

/** node.md §3–§4 for an hourly schedule: what the node builds from roster.json with croner. */
export const hourlySchedule: AuditRoster['schedule'] = {
  isSlot: (slot) => slot % 3600 === 0,
  scheduledRoundId: (slot, a, b) => {
    const [low, high] = a < b ? [a, b] : [b, a];
    return sha256(Buffer.concat([encoder.encode('venn/round-id/v1'), Uint8Array.of(0), rosterDigest, u64(slot), withLength(low), withLength(high)]));
  },
  scheduledInitiator: (roundId, a, b) => {
    const [low, high] = a < b ? [a, b] : [b, a];
    const score = (id: string): Buffer => Buffer.from(sha256(Buffer.concat([encoder.encode('venn/initiator/v1'), Uint8Array.of(0), roundId, withLength(id)])));
    return Buffer.compare(score(low), score(high)) <= 0 ? low : high;
  },
};

const u32 = (n: number): Uint8Array => Uint8Array.of(n >>> 24, (n >>> 16) & 0xff, (n >>> 8) & 0xff, n & 0xff);

/** node.md §10.2: the round id of round `index` of an epoch. */
export function epochRoundId(epochId: Uint8Array, index: number): Uint8Array {
  return sha256(Buffer.concat([encoder.encode('venn/epoch-round-id/v1'), Uint8Array.of(0), epochId, u32(index)]));
}

/** The hourly schedule with epoch round ids. */
export const epochSchedule: AuditRoster['schedule'] = { ...hourlySchedule, epochRoundId };

/** The first epoch id of `tag` whose initiator (node.md §4's rule on the epoch id) is lab-a. */
export function initiatorEpochId(tag: string): Uint8Array {
  for (let i = 0; ; i++) {
    const id = sha256(encoder.encode(`${tag}/${i}`));
    if (hourlySchedule.scheduledInitiator(id, ids.initiator, ids.responder) === ids.initiator) return id;
  }
}

export interface RosterPolicy {
  readonly maxPeerSetSize: number;
  readonly modes: readonly Mode[];
  readonly shareLabels: readonly LabelField[];
}

const openPolicy: RosterPolicy = { maxPeerSetSize: 1_000_000, modes: ['intersection', 'cardinality'], shareLabels: ['category', 'first_seen', 'reason'] };

export function auditRoster(policies: Partial<Record<Role, RosterPolicy>> = {}, digest = rosterDigest): AuditRoster {
  return {
    digest,
    members: (['initiator', 'responder'] as const).map((role) => ({ id: ids[role], identityKey: keys[role].publicKey, policy: policies[role] ?? openPolicy })),
    schedule: hourlySchedule,
  };
}

export interface InFlight {
  readonly from: Role;
  readonly kind: MessageKind;
  readonly bytes: Uint8Array;
}

export interface RoundSetup {
  readonly elements: Record<Role, readonly Uint8Array[]>;
  readonly mode?: Mode;
  readonly roundId?: Uint8Array;
  readonly labels?: Partial<Record<Role, ReadonlyArray<LabelValues | undefined>>>;
  readonly policy?: Partial<Record<Role, Partial<RoundOptions['policy']>>>;
  /** Replaces a frame in flight: what the sender "sends" is what this returns. */
  readonly intercept?: (message: InFlight) => Uint8Array;
  /** A round of a key epoch (SPEC §13): each party's epoch input; `elements` are then its additions. */
  readonly epoch?: Partial<Record<Role, EpochRoundInput>>;
}

export interface PlayedRound {
  readonly results: Record<Role, RoundResult>;
  /** Each side's record of the round, as the node's transcript_messages table holds it. */
  readonly records: Record<Role, RecordedMessage[]>;
  readonly roundId: Uint8Array;
}

export function playRound(setup: RoundSetup): PlayedRound {
  const roundId = setup.roundId ?? adHocRoundId;
  const records: Record<Role, RecordedMessage[]> = { initiator: [], responder: [] };
  const make = (role: Role): Round => {
    const peer: Role = role === 'initiator' ? 'responder' : 'initiator';
    return createRound({
      role,
      roundId,
      rosterDigest,
      selfId: ids[role],
      peerId: ids[peer],
      mode: setup.mode ?? 'intersection',
      policy: {
        maxPeerSetSize: 65_536,
        evaluationAllowance: setup.policy?.[role]?.maxPeerSetSize ?? 65_536,
        modes: ['intersection', 'cardinality'],
        labelFields: [],
        semiHonestCardinality: true,
        allowIdentifierRulesMismatch: false,
        ...setup.policy?.[role],
      },
      identifierRules: 'venn-identifiers/1',
      ownSet: ownSetFromDigests(setup.elements[role], setup.labels?.[role]),
      rng: seededRng(`round/${role}/${Buffer.from(roundId).toString('hex')}`),
      signingKey: keys[role].secretKey.slice(),
      peerPublicKey: keys[peer].publicKey,
      logHead: null,
      ...(setup.epoch?.[role] === undefined ? {} : { epoch: setup.epoch[role] }),
    });
  };
  const rounds: Record<Role, Round> = { initiator: make('initiator'), responder: make('responder') };
  const queues: Record<Role, Uint8Array[]> = { initiator: [], responder: [] };
  const send = (from: Role, outbound: ReadonlyArray<{ kind: MessageKind; bytes: Uint8Array }>): void => {
    for (const { kind, bytes } of outbound) {
      const wire = setup.intercept === undefined ? bytes : setup.intercept({ from, kind, bytes });
      records[from].push({ direction: 'sent', bytes: wire });
      queues[from === 'initiator' ? 'responder' : 'initiator'].push(wire);
    }
  };
  send('initiator', rounds.initiator.start());
  send('responder', rounds.responder.start());
  let turn: Role = 'responder';
  for (let step = 0; step < 100_000; step++) {
    if (queues.initiator.length === 0 && queues.responder.length === 0) break;
    turn = turn === 'initiator' ? 'responder' : 'initiator';
    if (queues[turn].length === 0) turn = turn === 'initiator' ? 'responder' : 'initiator';
    const frame = queues[turn].shift()!;
    // A finished party has closed its session: later frames never reach its store.
    if (rounds[turn].done) continue;
    records[turn].push({ direction: 'received', bytes: frame });
    send(turn, rounds[turn].receive(frame));
  }
  const results = { initiator: rounds.initiator.result!, responder: rounds.responder.result! };
  return { results, records, roundId };
}

/** The leaf a node logs for its side of the round (as the daemon's finalize builds it). */
export function leafRecord(played: PlayedRound, role: Role, overrides: Partial<RoundRecord> = {}): RoundRecord {
  const result = played.results[role];
  const base = { roundId: played.roundId, attempt: 1, rosterDigest, slot: null, initiatorId: ids.initiator, responderId: ids.responder, timestamp: 1_900_000_000_000 };
  if (result.status === 'aborted') {
    // audit.md §3: the attempt hash and the counts over what this side recorded.
    const peer: Role = role === 'initiator' ? 'responder' : 'initiator';
    const sent = played.records[role].filter((m) => m.direction === 'sent').map((m) => m.bytes);
    const received = played.records[role].filter((m) => m.direction === 'received').map((m) => m.bytes);
    const { attemptHash, ...accounts } = attemptAccounts({ [role]: { frames: sent }, [peer]: { frames: received } } as Record<Role, { frames: Uint8Array[] }>);
    return {
      ...base, status: 'aborted', reason: result.peerReason ?? result.reason, transcriptHash: attemptHash, initiatorClaim: null, responderClaim: null,
      ...accounts, endedBy: result.peerReason === undefined ? role : peer, ...overrides,
    };
  }
  const sizes = role === 'initiator' ? [result.ownSetSize, result.peerSetSize] : [result.peerSetSize, result.ownSetSize];
  const own = result.intersectionSize;
  const peer = result.peerIntersectionSize;
  return {
    ...base,
    status: result.status,
    reason: result.status === 'disputed' ? 'size-mismatch' : '',
    transcriptHash: result.transcriptHash,
    initiatorClaim: role === 'initiator' ? own : peer,
    responderClaim: role === 'initiator' ? peer : own,
    initiatorSetSize: sizes[0]!, responderSetSize: sizes[1]!, initiatorEvaluations: sizes[1]!, responderEvaluations: sizes[0]!, endedBy: null,
    ...overrides,
  };
}

export interface ExportOptions {
  /** Leaves logged before this round's (other rounds), so the inclusion proof is not trivial. */
  readonly earlierLeaves?: number;
  readonly laterLeaves?: number;
  readonly leaf?: Partial<RoundRecord>;
  /** Signs the head with this key instead of the exporter's. */
  readonly headKey?: Uint8Array;
}

/** The exporter's log, head and bundle for its side of `played`. */
export function exportBundle(played: PlayedRound, exporter: Role, options: ExportOptions = {}): TranscriptBundle {
  const log = new MerkleLog(new MemoryLogStorage());
  for (let i = 0; i < (options.earlierLeaves ?? 5); i++) log.append(encoder.encode(`earlier round ${i}`));
  const { index } = log.append(encodeRoundRecord(leafRecord(played, exporter, options.leaf)));
  for (let i = 0; i < (options.laterLeaves ?? 2); i++) log.append(encoder.encode(`later round ${i}`));
  const treeHead = signTreeHead(log.treeHead(1_900_000_100_000), ids[exporter], options.headKey ?? keys[exporter].secretKey.slice());
  return buildTranscriptBundle({
    exporter: ids[exporter],
    leaf: log.leaf(index),
    leafIndex: index,
    treeHead,
    inclusionProof: log.inclusionProof(index, treeHead.size),
    messages: played.records[exporter],
  });
}

/** Replaces point `index` of the first EVALUATED chunk `from` sends with another valid point. */
export function wrongEvaluation(from: 'initiator' | 'responder', index = 2): (message: InFlight) => Uint8Array {
  let done = false;
  return (message) => {
    if (done || message.from !== from || message.kind !== 'evaluated') return message.bytes;
    done = true;
    const chunk = decodeMessage(message.bytes) as Extract<Message, { kind: 'evaluated' }>;
    const points = chunk.points.slice();
    // Another evaluation of the same chunk: a valid point, just not the right one at this position.
    points.set(chunk.points.subarray(0, 32), index * 32);
    return encodeMessage({ ...chunk, points });
  };
}

/**
 * `bundle` (the initiator's, with the parties' parts as given) under the aborted leaf an honest
 * initiator logs over what it recorded: an exporter that records a peer frame breaking SPEC §4.5
 * aborts the round, and a completed leaf over such frames names the exporter (audit.md §9.1,
 * "A completed or disputed leaf").
 */
export function abortedExport(played: PlayedRound, bundle: TranscriptBundle, reason = 'unexpected-message'): TranscriptBundle {
  const { attemptHash, ...accounts } = attemptAccounts({
    initiator: { frames: bundle.initiator.frames, labelsDigest: bundle.initiator.labelsDigest },
    responder: { frames: bundle.responder.frames, labelsDigest: bundle.responder.labelsDigest },
  });
  const leaf = { status: 'aborted', reason, transcriptHash: attemptHash, initiatorClaim: null, responderClaim: null, endedBy: 'initiator' } as const;
  let aborted: TranscriptBundle;
  try {
    aborted = exportBundle(played, 'initiator', { leaf: { ...leaf, ...accounts } });
  } catch (error) {
    // Counts no record can hold (more evaluations than the other set's size): the leaf keeps the
    // honest round's, and check 12, after the frame walk, fails for the exporter.
    if (!(error instanceof ValidationError)) throw error;
    aborted = exportBundle(played, 'initiator', { leaf });
  }
  return { ...aborted, initiator: bundle.initiator, responder: bundle.responder };
}

/**
 * `party`'s frames as the initiator recorded them, replaced by `edit(frames)`: the initiator's
 * bundle; for the responder's frames (the exporter's peer), under the aborted leaf of
 * `abortedExport`.
 */
export function tamperedBundle(played: PlayedRound, party: Role, edit: (frames: Message[]) => Message[]): TranscriptBundle {
  const honest = exportBundle(played, 'initiator');
  const frames = edit(honest[party].frames.map((frame) => decodeMessage(frame))).map((message) => encodeMessage(message));
  const bundle = { ...honest, [party]: { ...honest[party], frames } };
  return party === 'initiator' ? bundle : abortedExport(played, bundle);
}

/** The bundle report fails the frame walk of `party`, blaming it, with exactly `detail` after its id. */
export function expectFrameFault(report: BundleReport, party: Role, detail: string): void {
  expect(report.valid).toBe(false);
  expect(report.failure).toMatchObject({ name: `messages-${party}`, status: 'fail', party, member: ids[party] });
  expect(report.failure!.detail).toBe(`${ids[party]} ${detail}`);
}

/** The error `action` throws, to assert its class, code and message; fails when it returns. */
export function caught(action: () => unknown): Error & { code: string } {
  try {
    action();
  } catch (error) {
    return error as Error & { code: string };
  }
  throw new Error('expected the action to throw');
}

/**
 * The code and exact message of the error `action` throws, checked to be an instance of one of
 * `classes` (a ValidationError unless given); fails when it returns.
 */
export function refusal(action: () => unknown, classes: readonly (abstract new (...args: never[]) => Error)[] = [ValidationError]): { code: string; message: string } {
  const error = caught(action);
  expect(classes.some((type) => error instanceof type), `${error.constructor.name}: ${error.message}`).toBe(true);
  return { code: error.code, message: error.message };
}
