/**
 * The auditor's verifier (audit.md §9): re-checks one transcript bundle against the pinned roster
 * and names the first failing check and the party it shows at fault. Everything here is public
 * data (frames, proofs, signatures), so early exits and variable-time comparisons leak nothing.
 */
import { sha512 } from '@noble/hashes/sha2.js';
import { decodePoint, ed25519Verify, sumPacked, validatePackedPoints } from '@venn/crypto';
import { CodecError, VennError } from '@venn/errors';
import {
  PURPOSE_EPOCH_FINISH,
  PURPOSE_FINISH,
  TRANSCRIPT_LABEL,
  Transcript,
  finishSignatureInput,
  streamIndex,
  verifyChunkProof,
  verifySumProof,
  type ProofVerdict,
  type Role,
  type TranscriptKind,
} from '@venn/protocol';
import {
  MAX_CHUNK_POINTS,
  MAX_SET_SIZE,
  POINT_BYTES,
  PROOF_BYTES,
  decodeMessage,
  type AbortMessage,
  type FinishMessage,
  type LabelField,
  type Message,
  type OfferMessage,
  type ProofMessage,
} from '@venn/wire';
import { epochChainCheck, epochCheck, repeatedAddition, replayEpoch, type EpochChainLink } from './verify-epoch.js';
import { checkRoster, rosterMember, type AuditRoster } from './audit-roster.js';
import { decodeTranscriptBundle, emptyLabelsDigest, encodeTranscriptBundle, type BundleParty, type TranscriptBundle } from './bundle.js';
import { LAST_DATE_MS, bytesEqual, isoTime } from './bytes.js';
import { hashLeaf } from './hash.js';
import { decodeRoundRecord, type RoundRecord } from './round-record.js';
import { attemptAccounts } from './attempt-accounts.js';
import { verifyTreeHead } from './tree-head.js';
import { verifyInclusion } from './verify.js';

/** The checks, in the order they run; the first that fails is the verdict (audit.md §9.2). */
export const BUNDLE_CHECKS = [
  'bundle',
  'round-record',
  'roster',
  'tree-head',
  'log-inclusion',
  'messages-initiator',
  'messages-responder',
  'policy',
  'slot',
  'epoch',
  'epoch-chain',
  'transcript',
  'proof-initiator',
  'proof-responder',
  'finish-initiator',
  'finish-responder',
  'intersection-size',
  'record-status',
  'completed',
] as const;
export type BundleCheckName = (typeof BUNDLE_CHECKS)[number];

/** Whom a failed check shows at fault: a party of the round, or the lab that exported the bundle. */
export type FaultParty = 'initiator' | 'responder' | 'exporter';

export interface BundleCheck {
  readonly name: BundleCheckName;
  readonly status: 'pass' | 'fail' | 'skip';
  /** On failure: who the bundle shows at fault; null when it cannot tell (e.g. a timeout): the verdict names no party, printed `undetermined` (audit.md §9). */
  readonly party: FaultParty | null;
  /** The roster member id of `party`, when known. */
  readonly member: string | null;
  readonly detail: string;
}

export interface BundleSummary {
  readonly roundId: string | null;
  readonly attempt: number | null;
  readonly exporter: string | null;
  readonly initiator: string | null;
  readonly responder: string | null;
  /** The status the exporter logged. */
  readonly status: string | null;
  readonly reason: string | null;
  /** Slot start (Unix seconds), null for an ad-hoc round. */
  readonly slot: number | null;
  readonly mode: string | null;
  readonly setSizes: Readonly<Record<Role, number | null>>;
  readonly caps: Readonly<Record<Role, number | null>>;
  /** Intersection sizes claimed in each party's FINISH. */
  readonly claims: Readonly<Record<Role, number | null>>;
  /** Intersection sizes recomputed from the two EVALUATED streams. */
  readonly recomputed: Readonly<Record<Role, number | null>>;
  /** SPEC §7.3 TH_final recomputed from the bundle (hex). */
  readonly transcriptHash: string | null;
  readonly leafIndex: number | null;
  readonly treeHead: { readonly size: number; readonly root: string; readonly timestamp: number } | null;
  /** ABORT codes each party sent, if any. */
  readonly aborts: Readonly<Record<Role, string | null>>;
  /** A round of a key epoch (SPEC §13): its epoch id (hex), index and each party's `acc` and `rem`. */
  readonly epoch: { readonly id: string; readonly index: number; readonly accumulated: Readonly<Record<Role, number>>; readonly removals: Readonly<Record<Role, number>> } | null;
}

/** What verifyTranscriptBundle may be given besides the bundle (audit.md §9.4). */
export interface VerifyOptions {
  /**
   * For a round of a key epoch: bundles of earlier rounds of the same epoch, in any order. The
   * bundle of round i − 1 lets the chain be checked; those of rounds 0 … i − 1 together let the
   * epoch's intersection after round i be recomputed.
   */
  readonly previous?: ReadonlyArray<Uint8Array | TranscriptBundle>;
}

export interface BundleReport {
  /** True iff every check passed: the round completed (or was disputed) and is fully re-verified. */
  readonly valid: boolean;
  /** The first failing check, or null when valid. */
  readonly failure: BundleCheck | null;
  readonly checks: readonly BundleCheck[];
  readonly summary: BundleSummary;
}

const ROLES: readonly Role[] = ['initiator', 'responder'];
const other = (role: Role): Role => (role === 'initiator' ? 'responder' : 'initiator');
const hex = (bytes: Uint8Array): string => Buffer.from(bytes).toString('hex');
const chunkCount = (total: number): number => Math.ceil(total / MAX_CHUNK_POINTS);

/**
 * ABORT codes that name a fault in the peer's frames (SPEC §9), which the bundle holds. An ABORT
 * with one of them while the bundle shows the peer did nothing of the kind is a fault of the party
 * that aborted. `duplicate-addition` (SPEC §13.6) is judged apart, by repeatedAddition: it may
 * take the bundles of the epoch's earlier rounds. Other codes (timeout, cancelled, set-too-large
 * against a cap the refusing party never stated, node-level policy) cannot be checked and blame
 * nobody.
 */
const CHECKABLE_ABORTS = new Set(['duplicate-chunk', 'count-mismatch', 'bad-point', 'bad-proof', 'bad-signature', 'round-mismatch']);
/** Of those, the causes a LABELS chunk can give (SPEC §4.5 step 2, LABELS): the bundle cannot show them once the peer sent LABELS. */
const LABELS_ABORTS = new Set(['duplicate-chunk', 'round-mismatch']);

/** What the verifier reconstructs of one party from its frames. */
export interface PartyView {
  readonly role: Role;
  readonly id: string;
  readonly bundle: BundleParty;
  /** Decoded frames in sending order, or the decoding error of the first that failed. */
  readonly messages: Array<{ readonly message: Message; readonly bytes: Uint8Array }>;
  decodeError: string | null;
  offer?: { readonly message: OfferMessage; readonly bytes: Uint8Array };
  readonly blinded: Uint8Array[];
  readonly blindedPoints: Uint8Array[];
  readonly evaluated: Uint8Array[];
  readonly evaluatedPoints: Uint8Array[];
  /** the `pi` of each EVALUATED chunk, in `seq` order */
  readonly evaluatedProofs: Uint8Array[];
  /** REMOVED chunks (SPEC §13.4), frames and points */
  readonly removed: Uint8Array[];
  readonly removedPoints: Uint8Array[];
  proof?: { readonly message: ProofMessage; readonly bytes: Uint8Array };
  finish?: FinishMessage;
  abort?: AbortMessage;
  /** The first rule of SPEC §4–§5 this party's frames break, if any. */
  violation: string | null;
}

export class Checks {
  readonly list: BundleCheck[] = [];
  members: Partial<Record<FaultParty, string>> = {};

  pass(name: BundleCheckName, detail: string): void {
    this.list.push({ name, status: 'pass', party: null, member: null, detail });
  }

  skip(name: BundleCheckName, detail: string): void {
    this.list.push({ name, status: 'skip', party: null, member: null, detail });
  }

  fail(name: BundleCheckName, party: FaultParty | null, detail: string): void {
    this.list.push({ name, status: 'fail', party, member: party === null ? null : this.members[party] ?? null, detail });
  }

  failed(name: BundleCheckName): boolean {
    return this.list.some((check) => check.name === name && check.status === 'fail');
  }
}

function describeError(error: unknown): string {
  if (error instanceof VennError) return `${error.message} [${error.code}]`;
  throw error;
}

/** TH(0x02, {0..9}) of SPEC §7.3 with the two LABELS stream digests given rather than hashed. */
/** The leaf's set sizes and evaluation counts against what the frames give (audit.md §3, §9.1 check 12), each mismatch named. */
function countMismatches(record: RoundRecord, accounts: ReturnType<typeof attemptAccounts>): string[] {
  const fields = ['initiatorSetSize', 'responderSetSize', 'initiatorEvaluations', 'responderEvaluations'] as const;
  return fields.filter((field) => record[field] !== accounts[field]).map((field) => `"${field}" is ${String(record[field])} in the leaf, ${String(accounts[field])} in the frames`);
}

/**
 * audit.md §3: an aborted attempt's leaf carries the attempt hash over the frames the exporter
 * recorded, the set sizes both OFFERs declared and the evaluations each party sent. All of it must
 * be what the bundle's frames give; the summary states how many evaluations each side asked for
 * and received, which is what an auditor of an abandoned attempt wants to know.
 */
function checkAttemptRecord(checks: Checks, bundle: TranscriptBundle, record: RoundRecord, summary: Record<string, unknown>): void {
  const accounts = attemptAccounts({
    initiator: { frames: bundle.initiator.frames, labelsDigest: bundle.initiator.labelsDigest },
    responder: { frames: bundle.responder.frames, labelsDigest: bundle.responder.labelsDigest },
  });
  summary.evaluations = {
    initiatorAskedFor: accounts.initiatorSetSize, initiatorReceived: accounts.responderEvaluations,
    responderAskedFor: accounts.responderSetSize, responderReceived: accounts.initiatorEvaluations, endedBy: record.endedBy,
  };
  const mismatches = countMismatches(record, accounts);
  if (!bytesEqual(record.transcriptHash, accounts.attemptHash)) {
    mismatches.push(`the attempt hash recomputed from the frames (${hex(accounts.attemptHash).slice(0, 16) || 'none'}…) differs from the one logged (${hex(record.transcriptHash).slice(0, 16) || 'none'}…)`);
  }
  if (mismatches.length > 0) {
    checks.fail('transcript', 'exporter', `${bundle.exporter}'s leaf misstates the attempt: ${mismatches.join('; ')}`);
    return;
  }
  checks.pass('transcript', `attempt hash ${hex(accounts.attemptHash).slice(0, 16) || '(none: no frame)'}… recomputed from the frames equals the logged one; the initiator ${askedFor(accounts.initiatorSetSize)} and received ${accounts.responderEvaluations}, the responder ${askedFor(accounts.responderSetSize)} and received ${accounts.initiatorEvaluations}; ended by the ${record.endedBy ?? 'nobody'}`);
}

/** SPEC §7.3 TH_final (§13.5 over twelve streams for an epoch round) with the two LABELS stream digests given rather than hashed. */
export function finalTranscriptHash(transcript: Transcript, labels: Readonly<Record<Role, Uint8Array>>, epoch = false): Uint8Array {
  const hasher = sha512.create();
  hasher.update(TRANSCRIPT_LABEL);
  hasher.update(Uint8Array.of(epoch ? PURPOSE_EPOCH_FINISH : PURPOSE_FINISH));
  for (let j = 0; j < (epoch ? 12 : 10); j++) {
    hasher.update(Uint8Array.of(j));
    if (j === streamIndex('initiator', 'labels')) hasher.update(labels.initiator);
    else if (j === streamIndex('responder', 'labels')) hasher.update(labels.responder);
    else hasher.update(transcript.streamDigest(j));
  }
  return hasher.digest();
}

function concatPoints(chunks: readonly Uint8Array[]): Uint8Array {
  return Buffer.concat(chunks);
}

/** |{ p : own[p] ∈ set(peer) }| over packed points, the count SPEC §4.2 step 5 defines. */
export function countMatches(own: Uint8Array, peer: Uint8Array): number {
  // Doubly blinded values are public to both parties and the auditor; plain string keys are fine.
  const peerBuffer = Buffer.from(peer.buffer, peer.byteOffset, peer.length);
  const set = new Set<string>();
  for (let at = 0; at < peer.length; at += POINT_BYTES) set.add(peerBuffer.toString('latin1', at, at + POINT_BYTES));
  const ownBuffer = Buffer.from(own.buffer, own.byteOffset, own.length);
  let count = 0;
  for (let at = 0; at < own.length; at += POINT_BYTES) if (set.has(ownBuffer.toString('latin1', at, at + POINT_BYTES))) count++;
  return count;
}

/**
 * Verifies a transcript bundle (encoded, or already decoded) against the roster. Never throws for
 * bad bundles: every problem becomes a failed check. Call @venn/crypto's ready() first.
 */
export function verifyTranscriptBundle(input: Uint8Array | TranscriptBundle, roster: AuditRoster, options: VerifyOptions = {}): BundleReport {
  checkRoster(roster);
  const checks = new Checks();
  let bundle: TranscriptBundle;
  try {
    // A decoded bundle passes through the codec too, so both forms meet the same schema checks.
    bundle = decodeTranscriptBundle(input instanceof Uint8Array ? input : encodeTranscriptBundle(input));
  } catch (error) {
    checks.fail('bundle', 'exporter', `the bundle does not decode: ${describeError(error)}`);
    return finish(checks, emptySummary(), 'the bundle did not decode');
  }
  checks.members.exporter = bundle.exporter;
  const summary = mutableSummary(bundle);

  // ---- the exporter's account: its log leaf under its signed head ----------------------------
  const decoded = ROLES.map((role) => decodeParty(role, bundle[role]));
  const labelsInClear = decoded.some((party) => party.messages.some(({ message }) => message.kind === 'labels'));
  if (labelsInClear) {
    checks.fail('bundle', 'exporter', 'a LABELS frame appears in clear; bundles carry only the LABELS stream digests (audit.md §8.1)');
    return finish(checks, summary, 'the bundle is malformed');
  }
  checks.pass('bundle', `format v1; ${bundle.initiator.frames.length} initiator and ${bundle.responder.frames.length} responder frames`);

  let record: RoundRecord;
  try {
    record = decodeRoundRecord(bundle.leaf);
  } catch (error) {
    checks.fail('round-record', 'exporter', `the exporter's log leaf does not decode: ${describeError(error)}`);
    return finish(checks, summary, 'the log leaf did not decode');
  }
  Object.assign(summary, {
    roundId: hex(record.roundId), attempt: record.attempt, initiator: record.initiatorId, responder: record.responderId,
    status: record.status, reason: record.reason === '' ? null : record.reason, slot: record.slot,
  });
  checks.members.initiator = record.initiatorId;
  checks.members.responder = record.responderId;
  const [initiator, responder] = decoded as [PartyView, PartyView];
  const parties: Record<Role, PartyView> = { initiator: { ...initiator, id: record.initiatorId }, responder: { ...responder, id: record.responderId } };
  const frameRoundIds = ROLES.flatMap((role) => parties[role].messages.map(({ message }) => message.roundId));
  if (bundle.exporter !== record.initiatorId && bundle.exporter !== record.responderId) {
    checks.fail('round-record', 'exporter', `the exporter ${bundle.exporter} is neither party of the logged round (${record.initiatorId}, ${record.responderId})`);
  } else if (frameRoundIds.length > 0 && !frameRoundIds.some((rid) => bytesEqual(rid, record.roundId))) {
    // Every frame names another round: the leaf, not the parties, is what does not belong.
    checks.fail('round-record', 'exporter', `the leaf records round ${hex(record.roundId)}, but every frame carries another round id (${hex(frameRoundIds[0]!)})`);
  } else {
    checks.pass('round-record', `round ${hex(record.roundId)} attempt ${record.attempt}, ${record.status}, logged by ${bundle.exporter}`);
  }

  const exporterMember = rosterMember(roster, bundle.exporter);
  if (!bytesEqual(record.rosterDigest, roster.digest)) {
    // Either the auditor holds another roster or the exporter logged a foreign one: the bundle cannot say which.
    checks.fail('roster', null, `the round ran under roster ${hex(record.rosterDigest)}, the given roster has digest ${hex(roster.digest)}`);
  } else if (rosterMember(roster, record.initiatorId) === undefined || rosterMember(roster, record.responderId) === undefined) {
    // audit.md §9.1 check 3 holds the leaf's two parties to the roster; an exporter that is neither
    // party already failed round-record. Past both checks the exporter is a party, so a member.
    checks.fail('roster', 'exporter', `the leaf names a lab that is not a roster member (${[record.initiatorId, record.responderId].filter((id) => rosterMember(roster, id) === undefined).join(', ')})`);
  } else {
    checks.pass('roster', `roster ${hex(roster.digest)}; ${record.initiatorId} and ${record.responderId} are members`);
  }
  if (checks.failed('round-record') || checks.failed('roster')) return finish(checks, summary, 'the round record or roster check failed');

  // audit.md §4: a head is used only after its signature verifies under the roster key of its log.
  const head = bundle.treeHead;
  summary.treeHead = { size: head.size, root: hex(head.root), timestamp: head.timestamp };
  summary.leafIndex = bundle.leafIndex;
  if (verifyTreeHead(head, bundle.exporter, exporterMember!.identityKey)) {
    checks.pass('tree-head', `${bundle.exporter}'s head of size ${head.size} at ${isoTime(head.timestamp)} is signed by its roster key`);
  } else {
    checks.fail('tree-head', 'exporter', `the tree head (size ${head.size}) is not signed by ${bundle.exporter}'s roster identity key`);
  }
  // audit.md §2.4: size and root from the one verified head.
  if (verifyInclusion(hashLeaf(bundle.leaf), bundle.leafIndex, head.size, bundle.inclusionProof, head.root)) {
    checks.pass('log-inclusion', `leaf ${bundle.leafIndex} is in ${bundle.exporter}'s log of size ${head.size}`);
  } else {
    checks.fail('log-inclusion', 'exporter', `the inclusion proof of leaf ${bundle.leafIndex} does not verify against the head of size ${head.size}`);
  }

  // ---- the round as the two parties' frames show it -----------------------------------------
  for (const role of ROLES) checkPartyMessages(parties[role], parties[other(role)], record);
  // Which party's frames break the walk itself (order, presence, counts), as against the label rule below.
  const walkFault = { initiator: parties.initiator.violation !== null, responder: parties.responder.violation !== null };
  const offers = { initiator: parties.initiator.offer?.message, responder: parties.responder.offer?.message };
  const mode = offers.initiator?.mode ?? offers.responder?.mode;
  const agreed: LabelField[] = offers.initiator !== undefined && offers.responder !== undefined && mode === 'intersection'
    ? offers.initiator.labelFields.filter((field) => offers.responder!.labelFields.includes(field))
    : [];
  for (const role of ROLES) {
    const party = parties[role];
    if (party.violation !== null) continue;
    const empty = bytesEqual(party.bundle.labelsDigest, emptyLabelsDigest(role));
    // SPEC §5.7: LABELS flow iff at least one field is agreed, and then before FINISH. Fields are
    // agreed only between two OFFERs: without both in the bundle none is, and no LABELS may flow.
    if (agreed.length === 0 && !empty) party.violation = 'sent LABELS although no label field was agreed [unexpected-message]';
    if (agreed.length > 0 && empty && party.finish !== undefined) party.violation = `sent FINISH without LABELS although label fields ${agreed.join(', ')} were agreed [unexpected-message]`;
  }
  for (const role of ROLES) {
    const party = parties[role];
    summary.setSizes[role] = party.offer?.message.setSize ?? null;
    summary.caps[role] = party.offer?.message.maxPeerSetSize ?? null;
    summary.claims[role] = party.finish?.intersectionSize ?? null;
    summary.aborts[role] = party.abort?.reason ?? null;
    if (party.violation === null) {
      checks.pass(`messages-${role}`, `${party.messages.length} frame${party.messages.length === 1 ? '' : 's'} in order: ${party.offer === undefined ? 'no' : 'an'} OFFER, ${party.blinded.length} BLINDED, ${party.evaluated.length} EVALUATED, ${party.proof === undefined ? 'no' : 'a'} PROOF, ${party.finish === undefined ? 'no' : 'a'} FINISH${party.abort === undefined ? '' : `, ABORT ${party.abort.reason}`}`);
    } else {
      checks.fail(`messages-${role}`, role, `${party.id} ${party.violation}`);
    }
  }
  summary.mode = mode ?? null;

  checkPolicy(checks, parties, roster);
  checkSlot(checks, record, roster);
  const epoch = offers.initiator?.epoch ?? offers.responder?.epoch;
  epochCheck(checks, record, parties, roster);
  if (epoch !== undefined && offers.initiator?.epoch !== undefined && offers.responder?.epoch !== undefined) {
    summary.epoch = {
      id: hex(epoch.id), index: epoch.index,
      accumulated: { initiator: offers.initiator.epoch.accumulated, responder: offers.responder.epoch.accumulated },
      removals: { initiator: offers.initiator.epoch.removals, responder: offers.responder.epoch.removals },
    };
  }
  const chain: EpochChainLink[] = epoch === undefined ? [] : (options.previous ?? []).flatMap((previous) => {
    try {
      return [previousLink(previous, roster)];
    } catch (error) {
      if (error instanceof VennError) return [];
      throw error;
    }
  });
  epochChainCheck(checks, parties, epoch, chain, options.previous !== undefined && options.previous.length > 0);

  // ---- transcript, proofs, signatures and sizes --------------------------------------------
  let transcript: Transcript | undefined;
  let finalHash: Uint8Array | undefined;
  if (parties.initiator.offer !== undefined && parties.responder.offer !== undefined) {
    transcript = new Transcript();
    for (const role of ROLES) transcript.absorb(role, 'offer', parties[role].offer!.bytes);
    for (const kind of ['blinded', 'evaluated', 'removed'] as const) {
      for (const role of ROLES) for (const bytes of parties[role][kind]) transcript.absorb(role, kind, bytes);
    }
    for (const role of ROLES) if (parties[role].proof !== undefined) transcript.absorb(role, 'proof', parties[role].proof!.bytes);
    finalHash = finalTranscriptHash(transcript, { initiator: parties.initiator.bundle.labelsDigest, responder: parties.responder.bundle.labelsDigest }, epoch !== undefined);
    summary.transcriptHash = hex(finalHash);
  }
  if (record.status === 'aborted') {
    checkAttemptRecord(checks, bundle, record, summary);
  } else if (finalHash === undefined) {
    checks.skip('transcript', `no transcript: ${parties.initiator.offer === undefined ? 'the initiator' : 'the responder'} sent no OFFER`);
  } else if (!bytesEqual(record.transcriptHash, finalHash)) {
    checks.fail('transcript', 'exporter', `TH_final recomputed from the frames (${hex(finalHash).slice(0, 16)}…) differs from the hash ${bundle.exporter} logged (${hex(record.transcriptHash).slice(0, 16)}…)`);
  } else {
    const counts = countMismatches(record, attemptAccounts({ initiator: { frames: bundle.initiator.frames, labelsDigest: bundle.initiator.labelsDigest }, responder: { frames: bundle.responder.frames, labelsDigest: bundle.responder.labelsDigest } }));
    if (counts.length > 0) checks.fail('transcript', 'exporter', `${bundle.exporter}'s leaf misstates the round: ${counts.join('; ')}`);
    else checks.pass('transcript', `TH_final ${hex(finalHash).slice(0, 16)}… recomputed from the frames equals the logged transcript hash, and the leaf's set sizes and evaluation counts are the frames'`);
  }

  for (const role of ROLES) checkProof(checks, role, parties, transcript);
  for (const role of ROLES) {
    const party = parties[role];
    const name = `finish-${role}` as const;
    if (party.finish === undefined) {
      checks.skip(name, `${party.id} sent no FINISH`);
    } else if (finalHash === undefined) {
      checks.skip(name, 'no transcript hash to check the signature against');
    } else {
      const input = finishSignatureInput(role, record.roundId, finalHash, party.finish.intersectionSize);
      // SPEC §8: the signature covers role, round id, TH_final and the claimed size, under the roster key.
      if (ed25519Verify(rosterMember(roster, party.id)!.identityKey, input, party.finish.signature)) {
        checks.pass(name, `${party.id} signed TH_final and size ${party.finish.intersectionSize} with its roster key`);
      } else {
        checks.fail(name, role, `${party.id}'s FINISH signature (size ${party.finish.intersectionSize}) does not verify over the recomputed transcript under its roster key`);
      }
    }
  }

  checkSizes(checks, parties, summary, epoch === undefined ? undefined : { index: epoch.index, chain });
  checkRecordStatus(checks, record, parties);
  // Before check 19, which quotes a failed frame walk and holds an ABORT against its sender only
  // when no earlier check blames a party; again after it, for check 19's own failure.
  // Computed once: both passes ask it of the same peer.
  let signedWalkResult: { fault: string | null } | undefined;
  const signedWalk = (peer: Role): string | null => (signedWalkResult ??= { fault: signedWalkFault(bundle, parties, peer, record, roster, epoch !== undefined) }).fault;
  attributeFinishedRound(checks, record, bundle.exporter, parties, walkFault, signedWalk);
  checkCompleted(checks, record, parties, chain);
  attributeFinishedRound(checks, record, bundle.exporter, parties, walkFault, signedWalk);
  return finish(checks, summary, null);
}

/**
 * audit.md §9.1, "A completed or disputed leaf". The exporter logged the round finished: it
 * checked each of its peer's frames on receipt (SPEC §4.5) and verified the peer's FINISH before
 * it did, and only the peer's FINISH signature makes the peer's frames more than the exporter's
 * account (§8.4). A failure that names the peer stands only when that signature covers what the
 * failure rests on: for a fault of the frame walk, `signedWalk` (the walk over the streams the
 * peer signed); for any other, the signature over the recomputed TH_final (check 15 or 16).
 * Every other failure naming the peer names the exporter.
 */
function attributeFinishedRound(checks: Checks, record: RoundRecord, exporter: string, parties: Record<Role, PartyView>, walkFault: Record<Role, boolean>, signedWalk: (peer: Role) => string | null): void {
  if (record.status === 'aborted') return;
  const peer = other(exporter === record.initiatorId ? 'initiator' : 'responder');
  const peerId = parties[peer].id;
  const signed = checks.list.some((check) => check.name === `finish-${peer}` && check.status === 'pass');
  for (const [i, check] of checks.list.entries()) {
    if (check.party !== peer) continue; // only a failing check names a party
    const walk = check.name === `messages-${peer}` && walkFault[peer];
    if (walk) {
      const fault = signedWalk(peer);
      if (fault !== null) {
        // The peer signed streams that break this rule, whatever order the bundle gives them in.
        if (fault !== parties[peer].violation) checks.list[i] = { ...check, detail: `${peerId} ${fault} (its stream frames in stream order, as its FINISH signature covers them)` };
        continue;
      }
    } else if (signed) {
      continue;
    }
    const why = signed
      ? `${peerId}'s FINISH signature covers its streams, not this: the order and presence of its frames are ${exporter}'s account`
      : `no FINISH signature of ${peerId} verifies over the recomputed TH_final, so its frames are ${exporter}'s account`;
    checks.list[i] = { ...check, party: 'exporter', member: exporter, detail: `the leaf logs the round ${record.status}, but ${why}; an exporter that finished the round had checked them (${check.detail})` };
  }
}

const STREAM_RANK: Readonly<Partial<Record<Message['kind'], number>>> = { offer: 0, blinded: 1, removed: 2, evaluated: 3, proof: 4 };

/**
 * audit.md §9.1, "A completed or disputed leaf", for a fault of `peer`'s frame walk: the rule its
 * signed streams break, or null. They are signed when the peer's first FINISH frame verifies under
 * its roster key over TH_final computed from every frame of both parties that decodes, each in its
 * stream in bundle order (not only the frames the walk absorbed before it stopped). The walk is
 * then run again over the peer's stream frames alone (OFFER, BLINDED, REMOVED, EVALUATED, PROOF),
 * in stream order, without FINISH, ABORT, undecodable frames or the rejected digest, which no
 * signature covers: a rule that walk still breaks is one the peer signed.
 */
function signedWalkFault(bundle: TranscriptBundle, parties: Record<Role, PartyView>, peer: Role, record: RoundRecord, roster: AuditRoster, epoch: boolean): string | null {
  const decodable = (role: Role): Array<{ message: Message; bytes: Uint8Array }> => bundle[role].frames.flatMap((bytes) => {
    try {
      return [{ message: decodeMessage(bytes), bytes }];
    } catch (error) {
      if (error instanceof CodecError) return [];
      throw error;
    }
  });
  const frames: Record<Role, Array<{ message: Message; bytes: Uint8Array }>> = { initiator: decodable('initiator'), responder: decodable('responder') };
  const transcript = new Transcript();
  for (const role of ROLES) {
    for (const { message, bytes } of frames[role]) if (STREAM_RANK[message.kind] !== undefined) transcript.absorb(role, message.kind as TranscriptKind, bytes);
  }
  const finish = frames[peer].find(({ message }) => message.kind === 'finish')?.message as FinishMessage | undefined;
  if (finish === undefined) return null;
  const hash = finalTranscriptHash(transcript, { initiator: bundle.initiator.labelsDigest, responder: bundle.responder.labelsDigest }, epoch);
  const key = rosterMember(roster, parties[peer].id)!.identityKey;
  if (!ed25519Verify(key, finishSignatureInput(peer, record.roundId, hash, finish.intersectionSize), finish.signature)) return null;
  const streams = frames[peer].filter(({ message }) => STREAM_RANK[message.kind] !== undefined).sort((x, y) => STREAM_RANK[x.message.kind]! - STREAM_RANK[y.message.kind]!);
  const view: PartyView = { ...decodeParty(peer, { frames: streams.map(({ bytes }) => bytes), labelsDigest: bundle[peer].labelsDigest, rejectedFrameDigest: null }), id: parties[peer].id };
  // Against what the peer saw and signed: the exporter's frames as they entered TH_final (not cut
  // at a frame that does not decode), and the roster its OFFER names rather than the leaf's, which
  // is the exporter's word alone.
  const own = other(peer);
  const ownOffer = frames[own].find(({ message }) => message.kind === 'offer')?.message as OfferMessage | undefined;
  checkPartyMessages(view, { ...parties[own], messages: frames[own] }, ownOffer === undefined ? record : { ...record, rosterDigest: ownOffer.rosterDigest });
  return view.violation;
}

export function decodeParty(role: Role, party: BundleParty): PartyView {
  const view: PartyView = {
    role, id: '', bundle: party, messages: [], decodeError: null, blinded: [], blindedPoints: [], evaluated: [], evaluatedPoints: [], evaluatedProofs: [], removed: [], removedPoints: [], violation: null,
  };
  for (let i = 0; i < party.frames.length; i++) {
    const bytes = party.frames[i]!;
    try {
      view.messages.push({ message: decodeMessage(bytes), bytes });
    } catch (error) {
      if (!(error instanceof CodecError)) throw error;
      view.decodeError = `frame ${i} does not decode: ${error.message} [${error.code} → malformed-message]`;
      break;
    }
  }
  return view;
}

/**
 * Walks one party's frames through the sender's side of SPEC §4.4–§4.5: order, counts against the
 * OFFERs, chunk sizes, canonical non-identity points, proof length. Records the first rule broken.
 */
function checkPartyMessages(party: PartyView, peer: PartyView, record: RoundRecord): void {
  const violate = (detail: string): void => {
    party.violation ??= detail;
  };
  // The peer's OFFER fixes the EVALUATED totals; find it independently of the walk order.
  const peerOffer = peer.messages.find(({ message }) => message.kind === 'offer')?.message as OfferMessage | undefined;
  let position = 0;
  for (const { message, bytes } of party.messages) {
    const at = `frame ${position++}`;
    if (party.violation !== null) break;
    if (!bytesEqual(message.roundId, record.roundId)) {
      violate(`${at}: ${message.kind.toUpperCase()} names round ${hex(message.roundId)} [round-mismatch]`);
      break;
    }
    if (party.abort !== undefined) {
      violate(`${at}: sent ${message.kind.toUpperCase()} after its ABORT [unexpected-message]`);
      break;
    }
    if (message.kind !== 'abort' && party.finish !== undefined) {
      violate(`${at}: sent ${message.kind.toUpperCase()} after its FINISH [unexpected-message]`);
      break;
    }
    if (message.kind !== 'offer' && message.kind !== 'abort' && party.offer === undefined) {
      violate(`${at}: sent ${message.kind.toUpperCase()} before its OFFER [unexpected-message]`);
      break;
    }
    switch (message.kind) {
      case 'offer': {
        if (party.offer !== undefined) return violate(`${at}: a second OFFER [unexpected-message]`);
        // SPEC §4.5 OFFER steps 1–2 and 7.
        if (!bytesEqual(message.rosterDigest, record.rosterDigest)) return violate(`${at}: OFFER names roster ${hex(message.rosterDigest)} [roster-mismatch]`);
        if (message.sender !== party.id || message.receiver !== peer.id) {
          return violate(`${at}: OFFER from ${JSON.stringify(message.sender)} to ${JSON.stringify(message.receiver)}, expected from ${party.id} to ${peer.id} [roster-mismatch]`);
        }
        try {
          decodePoint(message.publicKey, 'K');
        } catch (error) {
          return violate(`${at}: OFFER key K is not a valid element: ${describeError(error)} [bad-point]`);
        }
        // SPEC §13.1: epochs run in intersection mode only.
        if (message.epoch !== undefined && message.mode !== 'intersection') return violate(`${at}: OFFER of an epoch round in ${message.mode} mode [policy-mismatch]`);
        party.offer = { message, bytes };
        break;
      }
      case 'removed': {
        // SPEC §13.4, §13.6: epoch rounds only, after the sender's whole BLINDED list, before any EVALUATED chunk.
        const epoch = party.offer!.message.epoch;
        if (epoch === undefined) return violate(`${at}: REMOVED in a round outside any epoch [unexpected-message]`);
        const own = chunkCount(party.offer!.message.setSize);
        if (party.blinded.length !== own || party.evaluated.length > 0) return violate(`${at}: REMOVED chunk ${message.seq} out of place (after ${party.blinded.length} of ${own} BLINDED and ${party.evaluated.length} EVALUATED chunks) [unexpected-message]`);
        const total = epoch.removals;
        if (message.seq < party.removed.length) return violate(`${at}: REMOVED chunk ${message.seq} repeats a sequence number [duplicate-chunk]`);
        if (message.seq >= chunkCount(total)) return violate(`${at}: REMOVED chunk ${message.seq} beyond the ${chunkCount(total)} chunks of ${total} removals [count-mismatch]`);
        if (message.seq > party.removed.length) return violate(`${at}: REMOVED chunk ${message.seq} skips chunk ${party.removed.length} [unexpected-message]`);
        const expected = Math.min(MAX_CHUNK_POINTS, total - MAX_CHUNK_POINTS * message.seq);
        if (message.points.length !== expected * POINT_BYTES) return violate(`${at}: REMOVED chunk ${message.seq} carries ${message.points.length / POINT_BYTES} values, expected ${expected} [count-mismatch]`);
        // Strictly ascending over the whole stream (SPEC §13.6 REMOVED check 5).
        const last = party.removedPoints.at(-1);
        for (let i = 0; i < message.points.length / POINT_BYTES; i++) {
          const before = i > 0 ? message.points.subarray((i - 1) * POINT_BYTES, i * POINT_BYTES) : last?.subarray(last.length - POINT_BYTES);
          if (before !== undefined && Buffer.compare(before, message.points.subarray(i * POINT_BYTES, (i + 1) * POINT_BYTES)) >= 0) {
            return violate(`${at}: REMOVED chunk ${message.seq} value ${i} is not above the value before it [bad-removal]`);
          }
        }
        party.removed.push(bytes);
        party.removedPoints.push(message.points);
        break;
      }
      case 'blinded':
      case 'evaluated': {
        if (party.proof !== undefined) return violate(`${at}: ${message.kind.toUpperCase()} after its PROOF [unexpected-message]`);
        const stream = message.kind === 'blinded' ? party.blinded : party.evaluated;
        const points = message.kind === 'blinded' ? party.blindedPoints : party.evaluatedPoints;
        const mode = party.offer!.message.mode;
        let total: number;
        if (message.kind === 'blinded') {
          // SPEC §4.4: a party sends its whole blinded list before any evaluation.
          if (party.evaluated.length > 0) return violate(`${at}: BLINDED chunk ${message.seq} after an EVALUATED chunk [unexpected-message]`);
          total = party.offer!.message.setSize;
        } else {
          if (peerOffer === undefined) return violate(`${at}: EVALUATED without an OFFER from ${peer.id} [unexpected-message]`);
          total = peerOffer.setSize;
          // SPEC §4.4 S3–S4: evaluations go only once the own blinded list is out and the peer's is complete.
          const own = chunkCount(party.offer!.message.setSize);
          if (party.blinded.length !== own) return violate(`${at}: EVALUATED chunk ${message.seq} before its own last BLINDED chunk (${party.blinded.length} of ${own} sent) [unexpected-message]`);
          const peerChunks = peer.messages.filter((m) => m.message.kind === 'blinded').length;
          if (peerChunks < chunkCount(total)) return violate(`${at}: EVALUATED chunk ${message.seq} without the whole BLINDED list of ${peer.id} it answers [unexpected-message]`);
          // SPEC §13.6: in an epoch round, also after the own and the peer's whole REMOVED streams.
          const ownRemovals = party.offer!.message.epoch?.removals;
          if (ownRemovals !== undefined && party.removed.length !== chunkCount(ownRemovals)) return violate(`${at}: EVALUATED chunk ${message.seq} before its own last REMOVED chunk [unexpected-message]`);
          const peerRemovals = peerOffer.epoch?.removals;
          if (peerRemovals !== undefined && peer.messages.filter((m) => m.message.kind === 'removed').length < chunkCount(peerRemovals)) {
            return violate(`${at}: EVALUATED chunk ${message.seq} without the whole REMOVED stream of ${peer.id} [unexpected-message]`);
          }
        }
        // SPEC §4.5 chunk steps 1–5, in that order.
        if (message.seq < stream.length) return violate(`${at}: ${message.kind.toUpperCase()} chunk ${message.seq} repeats a sequence number [duplicate-chunk]`);
        if (message.seq >= chunkCount(total)) return violate(`${at}: ${message.kind.toUpperCase()} chunk ${message.seq} beyond the ${chunkCount(total)} chunks of ${total} points [count-mismatch]`);
        if (message.seq > stream.length) return violate(`${at}: ${message.kind.toUpperCase()} chunk ${message.seq} skips chunk ${stream.length} [unexpected-message]`);
        const expected = Math.min(MAX_CHUNK_POINTS, total - MAX_CHUNK_POINTS * message.seq);
        if (message.points.length !== expected * POINT_BYTES) {
          return violate(`${at}: ${message.kind.toUpperCase()} chunk ${message.seq} carries ${message.points.length / POINT_BYTES} points, expected ${expected} [count-mismatch]`);
        }
        try {
          validatePackedPoints(message.points, `${message.kind} chunk ${message.seq}`);
        } catch (error) {
          return violate(`${at}: ${describeError(error)} [bad-point]`);
        }
        if (message.kind === 'evaluated') {
          // SPEC §4.5 EVALUATED step 6: a 64-byte chunk proof in intersection mode, none in cardinality mode.
          const proofLength = mode === 'intersection' ? PROOF_BYTES : 0;
          if (message.proof.length !== proofLength) {
            return violate(`${at}: EVALUATED chunk ${message.seq} carries a pi of ${message.proof.length} bytes, expected ${proofLength} in ${mode} mode [bad-proof]`);
          }
          party.evaluatedProofs.push(message.proof);
        }
        stream.push(bytes);
        points.push(message.points);
        break;
      }
      case 'proof': {
        // SPEC §4.5 PROOF: cardinality mode only.
        if (party.offer!.message.mode === 'intersection') return violate(`${at}: a PROOF in intersection mode, where each EVALUATED chunk carries its own proof [unexpected-message]`);
        if (party.proof !== undefined) return violate(`${at}: a second PROOF [unexpected-message]`);
        if (peerOffer === undefined) return violate(`${at}: PROOF without an OFFER from ${peer.id} [unexpected-message]`);
        const own = chunkCount(party.offer!.message.setSize);
        const evaluated = chunkCount(peerOffer.setSize);
        if (party.blinded.length !== own || party.evaluated.length !== evaluated) {
          return violate(`${at}: PROOF after ${party.blinded.length}/${own} BLINDED and ${party.evaluated.length}/${evaluated} EVALUATED chunks [count-mismatch]`);
        }
        // SPEC §4.5 PROOF: 64 bytes, none for an empty peer set.
        const expectedProof = peerOffer.setSize === 0 ? 0 : PROOF_BYTES;
        if (message.proof.length !== expectedProof) return violate(`${at}: PROOF of ${message.proof.length} bytes for a peer set of ${peerOffer.setSize}, expected ${expectedProof} [bad-proof]`);
        party.proof = { message, bytes };
        break;
      }
      case 'labels':
        // decodeParty's caller refuses bundles with LABELS in clear before this walk.
        return violate(`${at}: LABELS in clear`);
      case 'finish': {
        // SPEC §4.4 S5–S6: FINISH follows the sender's last EVALUATED chunk (and PROOF in cardinality mode).
        const evaluated = peerOffer === undefined ? 0 : chunkCount(peerOffer.setSize);
        if (peerOffer === undefined || party.blinded.length !== chunkCount(party.offer!.message.setSize) || party.evaluated.length !== evaluated) {
          return violate(`${at}: FINISH before its last BLINDED and EVALUATED chunks (${party.evaluated.length} of ${evaluated} EVALUATED) [unexpected-message]`);
        }
        if (party.offer!.message.mode === 'cardinality' && party.proof === undefined) return violate(`${at}: FINISH before its PROOF [unexpected-message]`);
        const removals = party.offer!.message.epoch?.removals;
        if (removals !== undefined && party.removed.length !== chunkCount(removals)) return violate(`${at}: FINISH before its last REMOVED chunk [unexpected-message]`);
        party.finish = message;
        break;
      }
      case 'abort':
        party.abort = message;
        break;
    }
  }
  if (party.violation === null && party.decodeError !== null) violate(party.decodeError);
  if (party.violation === null && party.bundle.rejectedFrameDigest !== null) {
    violate(`sent a frame that does not decode as a Venn message (SHA-512 ${hex(party.bundle.rejectedFrameDigest).slice(0, 16)}…, as the exporter recorded it) [malformed-message]`);
  }
  if (party.violation === null && party.messages.length > 0 && party.offer === undefined && party.abort === undefined) {
    violate('sent no OFFER [unexpected-message]');
  }
}

function checkPolicy(checks: Checks, parties: Record<Role, PartyView>, roster: AuditRoster): void {
  const offers = { initiator: parties.initiator.offer?.message, responder: parties.responder.offer?.message };
  if (offers.initiator === undefined && offers.responder === undefined) {
    checks.skip('policy', 'no OFFER in the bundle');
    return;
  }
  for (const role of ROLES) {
    const offer = offers[role];
    if (offer === undefined) continue;
    const id = parties[role].id;
    const policy = rosterMember(roster, id)!.policy;
    // roster.md §1: the member's published policy bounds what its OFFER states; cardinality mode is
    // semi-honest only (SPEC §10.4), so a member runs it only where its roster policy lists it.
    if (!policy.modes.includes(offer.mode)) return checks.fail('policy', role, `${id} offered mode ${offer.mode}, which its roster policy does not allow (${policy.modes.join(', ')})${offer.mode === 'cardinality' ? ': cardinality mode is semi-honest only (SPEC §10.4)' : ''} [policy-mismatch]`);
    if (offer.mode === 'cardinality' && offer.labelFields.length > 0) return checks.fail('policy', role, `${id} offered label fields in cardinality mode [policy-mismatch]`);
    const unshared = offer.labelFields.filter((field) => !policy.shareLabels.includes(field));
    if (unshared.length > 0) return checks.fail('policy', role, `${id} offered label fields ${unshared.join(', ')} that its roster policy does not share`);
    const cap = Math.min(policy.maxPeerSetSize, MAX_SET_SIZE);
    if (offer.maxPeerSetSize > cap) return checks.fail('policy', role, `${id} stated a cap of ${offer.maxPeerSetSize}, above its roster policy's ${cap}`);
  }
  if (offers.initiator !== undefined && offers.responder !== undefined) {
    // SPEC §4.5 OFFER step 3: the responder answers only an OFFER in its own mode.
    if (offers.initiator.mode !== offers.responder.mode) {
      return checks.fail('policy', 'responder', `${parties.responder.id} answered an OFFER in ${offers.initiator.mode} mode with one in ${offers.responder.mode} mode [policy-mismatch]`);
    }
    // SPEC §4.5 OFFER steps 5–6: the responder sends its OFFER only after accepting the initiator's,
    // so an OFFER pair over a cap means the responder went on where it had to refuse.
    const responderId = parties.responder.id;
    if (offers.initiator.setSize > offers.responder.maxPeerSetSize) {
      return checks.fail('policy', 'responder', `${responderId} accepted ${parties.initiator.id}'s ${offers.initiator.setSize} elements over its own cap of ${offers.responder.maxPeerSetSize} [set-too-large]`);
    }
    if (offers.responder.setSize > offers.initiator.maxPeerSetSize) {
      return checks.fail('policy', 'responder', `${responderId} put ${offers.responder.setSize} elements into the round, over ${parties.initiator.id}'s cap of ${offers.initiator.maxPeerSetSize} [set-too-large]`);
    }
  }
  const stated = ROLES.flatMap((role) => (offers[role] === undefined ? [] : [`${parties[role].id} n=${offers[role].setSize} cap=${offers[role].maxPeerSetSize}`]));
  checks.pass('policy', `mode ${(offers.initiator ?? offers.responder)!.mode}; ${stated.join('; ')}; within both roster policies`);
}

function checkSlot(checks: Checks, record: RoundRecord, roster: AuditRoster): void {
  if (record.slot === null) {
    checks.pass('slot', 'ad-hoc round: not bound to a scheduled slot');
    return;
  }
  // A slot is a u64 of seconds (audit.md §3); one a date cannot hold is no instant of any schedule.
  if (record.slot * 1000 >= LAST_DATE_MS) return checks.fail('slot', 'exporter', `the leaf's slot ${record.slot} s is not before ${LAST_DATE_MS / 1000} s (${isoTime(LAST_DATE_MS)}), where the time a schedule can name ends`);
  const iso = new Date(record.slot * 1000).toISOString();
  // node.md §3–§4: a scheduled round's id and initiator follow from the roster, the slot and the pair.
  if (!roster.schedule.isSlot(record.slot)) return checks.fail('slot', 'exporter', `the leaf's slot ${iso} is not an instant of the roster schedule`);
  const expected = roster.schedule.scheduledRoundId(record.slot, record.initiatorId, record.responderId);
  if (!bytesEqual(expected, record.roundId)) return checks.fail('slot', 'exporter', `round ${hex(record.roundId)} is logged for slot ${iso}, whose round id is ${hex(expected)}`);
  const initiator = roster.schedule.scheduledInitiator(record.roundId, record.initiatorId, record.responderId);
  if (initiator !== record.initiatorId) return checks.fail('slot', 'initiator', `${record.initiatorId} opened the round of slot ${iso}, whose initiator is ${initiator} [not-initiator]`);
  checks.pass('slot', `scheduled slot ${iso}; round id and initiator follow from the roster`);
}

function checkProof(checks: Checks, prover: Role, parties: Record<Role, PartyView>, transcript: Transcript | undefined): void {
  const name = `proof-${prover}` as const;
  const x = parties[prover];
  const y = parties[other(prover)];
  const mode = x.offer?.message.mode;
  if (mode === undefined || y.offer === undefined) return checks.skip(name, 'the bundle lacks an OFFER the proofs need');
  const n = y.offer.message.setSize;
  if (mode === 'intersection' && x.evaluated.length === 0) {
    return n === 0 ? checks.pass(name, `${y.id}'s set is empty: nothing to evaluate or prove`) : checks.skip(name, `${x.id} sent no EVALUATED chunk`);
  }
  if (mode === 'cardinality' && x.proof === undefined) return checks.skip(name, `${x.id} sent no PROOF`);
  if (x.violation !== null || y.violation !== null || transcript === undefined) return checks.skip(name, 'the messages the proof covers failed their own checks');
  // SPEC §13.5: TH_pre of an epoch round needs both REMOVED streams whole.
  const removals = (party: PartyView): boolean => party.offer?.message.epoch === undefined || party.removed.length === chunkCount(party.offer.message.epoch.removals);
  if (!removals(x) || !removals(y)) return checks.skip(name, 'the bundle lacks part of a REMOVED stream the proofs bind');
  if (y.blinded.length !== chunkCount(n)) return checks.skip(name, `the bundle lacks part of ${y.id}'s BLINDED stream`);
  if (n === 0) return checks.pass(name, `${y.id}'s set is empty: nothing to prove, and the proof is empty`);
  const publicKey = x.offer!.message.publicKey;
  if (mode === 'intersection') {
    // SPEC §6.1: each EVALUATED chunk has its own proof, bound to TH_pre, the prover's role and the chunk.
    const preTranscriptHash = x.offer!.message.epoch === undefined ? transcript.preHash() : transcript.epochPreHash();
    for (let a = 0; a < x.evaluated.length; a++) {
      let verdict: ProofVerdict;
      try {
        verdict = verifyChunkProof({ publicKey, prover, preTranscriptHash, index: a, blinded: y.blindedPoints[a]!, evaluated: x.evaluatedPoints[a]!, proof: x.evaluatedProofs[a]! });
      } catch (error) {
        return checks.fail(name, prover, `${x.id}'s proof of EVALUATED chunk ${a} cannot be checked: ${describeError(error)} [bad-proof]`);
      }
      if (!verdict.valid) {
        return checks.fail(name, prover, `${x.id}'s EVALUATED chunk ${a} is not its committed key applied to ${y.id}'s BLINDED chunk ${a} (${verdict.detail}) [bad-proof]`);
      }
    }
    const all = x.evaluated.length === chunkCount(n);
    return checks.pass(name, `${x.id} evaluated ${all ? `all ${n}` : `${Math.min(n, x.evaluated.length * MAX_CHUNK_POINTS)} of the ${n}`} points of ${y.id} with the key in its OFFER (${x.evaluated.length} chunk proof${x.evaluated.length === 1 ? '' : 's'}, SPEC §6)`);
  }
  // SPEC §6.1, §6.3: cardinality mode proves the sums only, bound to TH_proof of the prover.
  let verdict: ProofVerdict;
  try {
    verdict = verifySumProof({ publicKey, proofTranscriptHash: transcript.proofHash(prover), blinded: concatPoints(y.blindedPoints), evaluated: concatPoints(x.evaluatedPoints), proof: x.proof!.message.proof });
  } catch (error) {
    return checks.fail(name, prover, `${x.id}'s proof cannot be checked: ${describeError(error)} [bad-proof]`);
  }
  if (verdict.valid) return checks.pass(name, `${x.id}'s evaluations sum to its committed key times the sum of ${y.id}'s ${n} points (cardinality mode proves the sum only, SPEC §6.3)`);
  // SPEC §6.3: only a crafted list sums to the identity; the prover should have aborted.
  if (verdict.fault === 'verifier') return checks.fail(name, other(prover), `${y.id}'s BLINDED points sum to no usable element (${verdict.detail}); ${x.id} should have aborted [bad-point]`);
  return checks.fail(name, prover, `${x.id}'s cardinality proof does not verify: the sum of its evaluations is not its committed key times the sum of ${y.id}'s points (${verdict.detail}) [bad-proof]`);
}

function checkSizes(checks: Checks, parties: Record<Role, PartyView>, summary: MutableSummary, epoch?: { index: number; chain: readonly EpochChainLink[] }): void {
  const complete = (role: Role): boolean => {
    const party = parties[role];
    const peer = parties[other(role)];
    return party.violation === null && peer.offer !== undefined && party.evaluated.length === chunkCount(peer.offer.message.setSize);
  };
  if (!complete('initiator') || !complete('responder')) {
    checks.skip('intersection-size', 'the bundle lacks a complete EVALUATED stream from each party');
    return;
  }
  let recomputed: Record<Role, number>;
  if (epoch !== undefined) {
    // SPEC §13.7: an incremental round's claim is the epoch's intersection, which takes every
    // earlier round of the epoch to recompute. The epoch's start needs none, but is replayed all
    // the same: its additions must not repeat one another either (SPEC §13.6 BLINDED check 7).
    const replayed = replayEpoch(parties, epoch.index, epoch.chain);
    if (typeof replayed === 'string') return checks.skip('intersection-size', replayed);
    if ('fault' in replayed) return checks.fail('intersection-size', replayed.fault, `${parties[replayed.fault].id} ${replayed.detail}`);
    recomputed = replayed;
  } else {
    const evaluations = { initiator: concatPoints(parties.initiator.evaluatedPoints), responder: concatPoints(parties.responder.evaluatedPoints) };
    // SPEC §4.2 step 5: X's size counts X's own items (the peer's evaluations of X's list) found among
    // the values X computed (its evaluations of the peer's list).
    recomputed = {
      initiator: countMatches(evaluations.responder, evaluations.initiator),
      responder: countMatches(evaluations.initiator, evaluations.responder),
    };
  }
  summary.recomputed.initiator = recomputed.initiator;
  summary.recomputed.responder = recomputed.responder;
  for (const role of ROLES) {
    const claim = parties[role].finish?.intersectionSize;
    if (claim !== undefined && claim !== recomputed[role]) {
      return checks.fail('intersection-size', role, `${parties[role].id} claimed ${claim} in FINISH, the evaluations give ${recomputed[role]}`);
    }
  }
  const claims = ROLES.filter((role) => parties[role].finish !== undefined);
  if (claims.length === 0) return checks.skip('intersection-size', `recomputed ${recomputed.initiator} (initiator) and ${recomputed.responder} (responder); no FINISH claims them`);
  checks.pass('intersection-size', `recomputed ${recomputed.initiator} (initiator) and ${recomputed.responder} (responder), as claimed in ${claims.length === 2 ? 'both FINISH messages' : `${parties[claims[0]!].id}'s FINISH`}`);
}

/** audit.md §3: the exporter's leaf must say what its bundle shows. */
function checkRecordStatus(checks: Checks, record: RoundRecord, parties: Record<Role, PartyView>): void {
  const claims = { initiator: parties.initiator.finish?.intersectionSize, responder: parties.responder.finish?.intersectionSize };
  const logged = { initiator: record.initiatorClaim, responder: record.responderClaim };
  for (const role of ROLES) {
    if (logged[role] !== null && logged[role] !== claims[role]) {
      const finish = claims[role] === undefined ? `the bundle holds no valid FINISH from ${parties[role].id}` : `${parties[role].id}'s FINISH claims ${claims[role]}`;
      return checks.fail('record-status', 'exporter', `the leaf logs the ${role}'s claim as ${logged[role]}, but ${finish}`);
    }
  }
  const both = claims.initiator !== undefined && claims.responder !== undefined;
  if (record.status === 'completed' && !(both && claims.initiator === claims.responder)) {
    return checks.fail('record-status', 'exporter', 'the leaf logs the round completed, but the bundle lacks two FINISH messages with equal sizes');
  }
  if (record.status === 'disputed' && !(both && claims.initiator !== claims.responder)) {
    return checks.fail('record-status', 'exporter', 'the leaf logs the round disputed, but the bundle lacks two FINISH messages with different sizes');
  }
  checks.pass('record-status', `the leaf's status (${record.status}) and claims agree with the bundle`);
}

function checkCompleted(checks: Checks, record: RoundRecord, parties: Record<Role, PartyView>, chain: readonly EpochChainLink[]): void {
  if (record.status !== 'aborted' && parties.initiator.finish !== undefined && parties.responder.finish !== undefined) {
    checks.pass('completed', `the round ${record.status === 'disputed' ? 'ended disputed' : 'completed'} with both FINISH messages`);
    return;
  }
  const aborts = ROLES.filter((role) => parties[role].abort !== undefined);
  const sent = aborts.map((role) => `${parties[role].id} sent ABORT ${parties[role].abort!.reason}`);
  let how: string;
  if (record.status === 'aborted') {
    how = `the round was aborted: ${checks.members.exporter ?? 'the exporter'} logged reason ${record.reason}, ended by the ${record.endedBy ?? 'exporter'}; ${sent.length === 0 ? 'no party sent an ABORT' : sent.join('; ')}`;
  } else {
    // The leaf logs a completion the frames do not show. A frame that breaks the rules hides every
    // frame after it, a FINISH included: name the check that failed on that party's frames.
    const missing = ROLES.filter((role) => parties[role].finish === undefined).map((role) => {
      const failed = checks.list.find((check) => check.name === `messages-${role}` && check.status === 'fail');
      return failed === undefined ? `${parties[role].id} (the ${role})` : `${parties[role].id} (the ${role}), whose frames failed check "${failed.name}": ${failed.detail}`;
    });
    how = `the leaf logs the round ${record.status}, but the bundle holds no valid FINISH from ${missing.join(', nor from ')}${sent.length === 0 ? '' : `; ${sent.join('; ')}`}`;
  }
  // An ABORT whose cause the bundle could show, while it shows nothing of the kind: the aborting
  // party ended the round without the cause it named. A duplicate-addition ABORT whose cause the
  // bundles show names the peer, whose frames pass every other check (SPEC §13.6 BLINDED checks
  // 6–7 are the receiver's checks on the epoch, not rules of the sender's frames alone).
  const blamed = checks.list.some((check) => check.status === 'fail' && (check.party === 'initiator' || check.party === 'responder'));
  let unsettled: string | undefined;
  if (!blamed) {
    for (const role of aborts) {
      const reason = parties[role].abort!.reason;
      const peer = other(role);
      const unfounded = `${how}; the bundle shows no ${reason} by ${parties[peer].id}`;
      if (reason === 'duplicate-addition') {
        const shown = repeatedAddition(parties, peer, chain);
        if (shown === null) return checks.fail('completed', role, unfounded);
        if (typeof shown !== 'string') return checks.fail('completed', peer, `${how}; ${parties[peer].id} ${shown.detail}`);
        unsettled ??= shown;
      } else if (LABELS_ABORTS.has(reason) && !bytesEqual(parties[peer].bundle.labelsDigest, emptyLabelsDigest(peer))) {
        // A LABELS chunk may cause it (SPEC §4.5), and the bundle holds LABELS only as a digest (audit.md §8.1).
        unsettled ??= `${parties[peer].id} sent LABELS, which the bundle holds only as their digest: whether a LABELS chunk caused the ${reason} it cannot show`;
      } else if (CHECKABLE_ABORTS.has(reason) && !identitySum(parties[peer], reason)) {
        return checks.fail('completed', role, unfounded);
      }
    }
  }
  checks.fail('completed', null, unsettled === undefined ? how : `${how}; ${unsettled}`);
}

/**
 * SPEC §6.3: in cardinality mode a prover aborts with bad-point when the peer's BLINDED points sum to
 * the identity, a cause the bundle shows although no proof was made. An empty list is no such cause:
 * there is nothing to prove, and the prover sends an empty PROOF (SPEC §6.3, empty list).
 */
function identitySum(peer: PartyView, code: string): boolean {
  if (code !== 'bad-point' || peer.offer?.message.mode !== 'cardinality' || peer.offer.message.setSize === 0) return false;
  if (peer.blinded.length !== chunkCount(peer.offer.message.setSize)) return false;
  try {
    sumPacked(concatPoints(peer.blindedPoints));
    return false;
  } catch (error) {
    if (error instanceof VennError) return true;
    throw error;
  }
}

/**
 * A previous bundle of the epoch as the chain needs it (audit.md §9.4). It counts as a completed
 * round only when both parties signed it: both FINISH signatures verify under the parties' roster
 * keys over the TH_final recomputed from its frames. Nothing else of a previous bundle is trusted
 * (its leaf and head are the exporter's word), and a bundle whose frames were altered, or whose
 * parties are not roster members, is an incomplete round: no verdict rests on it.
 */
function previousLink(input: Uint8Array | TranscriptBundle, roster: AuditRoster): EpochChainLink {
  const bundle = decodeTranscriptBundle(input instanceof Uint8Array ? input : encodeTranscriptBundle(input));
  const record = decodeRoundRecord(bundle.leaf);
  const parties = { initiator: { ...decodeParty('initiator', bundle.initiator), id: record.initiatorId }, responder: { ...decodeParty('responder', bundle.responder), id: record.responderId } };
  for (const role of ROLES) checkPartyMessages(parties[role], parties[other(role)], record);
  const transcript = new Transcript();
  const complete = ROLES.every((role) => parties[role].offer !== undefined && parties[role].finish !== undefined && parties[role].violation === null);
  let transcriptHash: Uint8Array | null = null;
  let signed = false;
  if (complete) {
    for (const role of ROLES) transcript.absorb(role, 'offer', parties[role].offer!.bytes);
    for (const kind of ['blinded', 'evaluated', 'removed'] as const) for (const role of ROLES) for (const bytes of parties[role][kind]) transcript.absorb(role, kind, bytes);
    const hash = finalTranscriptHash(transcript, { initiator: bundle.initiator.labelsDigest, responder: bundle.responder.labelsDigest }, true);
    transcriptHash = hash;
    signed = ROLES.every((role) => {
      const member = rosterMember(roster, parties[role].id);
      const finish = parties[role].finish!;
      return member !== undefined && ed25519Verify(member.identityKey, finishSignatureInput(role, record.roundId, hash, finish.intersectionSize), finish.signature);
    });
  }
  return { record, parties, transcriptHash, completed: complete && signed && record.status !== 'aborted' };
}

type MutableSummary = { -readonly [K in keyof BundleSummary]: BundleSummary[K] extends Readonly<Record<Role, infer V>> ? Record<Role, V> : BundleSummary[K] };

function emptySummary(): MutableSummary {
  return {
    roundId: null, attempt: null, exporter: null, initiator: null, responder: null, status: null, reason: null, slot: null, mode: null,
    setSizes: { initiator: null, responder: null }, caps: { initiator: null, responder: null }, claims: { initiator: null, responder: null },
    recomputed: { initiator: null, responder: null }, transcriptHash: null, leafIndex: null, treeHead: null, aborts: { initiator: null, responder: null }, epoch: null,
  };
}

function mutableSummary(bundle: TranscriptBundle): MutableSummary {
  return { ...emptySummary(), exporter: bundle.exporter };
}

function finish(checks: Checks, summary: MutableSummary, skipReason: string | null): BundleReport {
  const ran = new Set(checks.list.map((check) => check.name));
  for (const name of BUNDLE_CHECKS) if (!ran.has(name)) checks.skip(name, skipReason ?? 'not reached');
  const ordered = BUNDLE_CHECKS.map((name) => checks.list.find((check) => check.name === name)!);
  const failure = ordered.find((check) => check.status === 'fail') ?? null;
  return { valid: failure === null, failure, checks: ordered, summary };
}

/** What a party's OFFER asked for, as the transcript check reports it: its `n`, or no OFFER recorded. */
function askedFor(setSize: number | null | undefined): string {
  return setSize === null || setSize === undefined ? 'recorded no OFFER (so asked for no evaluations)' : `asked for ${setSize} evaluation${setSize === 1 ? '' : 's'}`;
}
