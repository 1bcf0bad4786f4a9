/**
 * The verifier's checks of key epochs (audit.md §9.4, SPEC §13): that a round belongs to its epoch
 * and is placed in it as its OFFERs say, that it follows the epoch's previous round (the chain:
 * the same keys, `prev` = TH_final of the round before, counts that add up), and, given every
 * earlier round, the epoch's intersection that both FINISH messages claim.
 */
import type { Role } from '@venn/protocol';
import { POINT_BYTES, TRANSCRIPT_HASH_BYTES, type EpochOffer } from '@venn/wire';
import type { AuditRoster } from './audit-roster.js';
import { bytesEqual } from './bytes.js';
import type { RoundRecord } from './round-record.js';
import type { Checks, PartyView } from './verify-bundle.js';

const ROLES: readonly Role[] = ['initiator', 'responder'];
const hex = (bytes: Uint8Array): string => Buffer.from(bytes).toString('hex');
const ZERO_HASH = new Uint8Array(TRANSCRIPT_HASH_BYTES);

/** An earlier round of the epoch, as a previous bundle gives it. */
export interface EpochChainLink {
  readonly record: RoundRecord;
  readonly parties: Readonly<Record<Role, PartyView>>;
  /** TH_final recomputed from the bundle's frames; null if the bundle lacks a complete round */
  readonly transcriptHash: Uint8Array | null;
  /** both FINISH messages, both signatures verifying under the roster keys over transcriptHash, and the leaf not aborted */
  readonly completed: boolean;
}

const epochOf = (party: PartyView): EpochOffer | undefined => party.offer?.message.epoch;

/**
 * audit.md §9.4 check `epoch`: the two OFFERs name the same epoch and round, the round id and the
 * initiator follow from the epoch id (node.md §10.2), an epoch start starts from nothing, and each
 * party's epoch set fits the other's epoch cap.
 */
export function epochCheck(checks: Checks, record: RoundRecord, parties: Readonly<Record<Role, PartyView>>, roster: AuditRoster): void {
  const eps = { initiator: epochOf(parties.initiator), responder: epochOf(parties.responder) };
  const present = ROLES.filter((role) => eps[role] !== undefined);
  if (present.length === 0) return checks.pass('epoch', 'a plain round: no key epoch');
  const both = parties.initiator.offer !== undefined && parties.responder.offer !== undefined;
  // SPEC §13.6 check 10: the responder sends its OFFER only after accepting the initiator's.
  if (both && present.length === 1) {
    return checks.fail('epoch', 'responder', `${parties.responder.id} answered ${present[0] === 'initiator' ? 'an epoch OFFER with a plain one' : 'a plain OFFER with an epoch one'} [epoch-mismatch]`);
  }
  const ep = eps[present[0]!]!;
  if (both && (!bytesEqual(eps.initiator!.id, eps.responder!.id) || eps.initiator!.index !== eps.responder!.index)) {
    return checks.fail('epoch', 'responder', `${parties.responder.id} answered round ${eps.initiator!.index} of epoch ${hex(eps.initiator!.id).slice(0, 16)}… with round ${eps.responder!.index} of epoch ${hex(eps.responder!.id).slice(0, 16)}… [epoch-mismatch]`);
  }
  if (record.slot !== null) return checks.fail('epoch', 'exporter', `the leaf logs a slot for a round of a key epoch, which has none (node.md §10.2)`);
  // node.md §10.2: the round id follows from the epoch id and the index; the epoch's initiator from its id.
  const expectedId = roster.schedule.epochRoundId?.(ep.id, ep.index);
  if (expectedId !== undefined && !bytesEqual(expectedId, record.roundId)) {
    return checks.fail('epoch', 'initiator', `${parties.initiator.id} ran round ${hex(record.roundId)} as round ${ep.index} of epoch ${hex(ep.id).slice(0, 16)}…, whose round id is ${hex(expectedId)}`);
  }
  const initiator = roster.schedule.scheduledInitiator(ep.id, record.initiatorId, record.responderId);
  if (initiator !== record.initiatorId) return checks.fail('epoch', 'initiator', `${record.initiatorId} opened a round of epoch ${hex(ep.id).slice(0, 16)}…, whose initiator is ${initiator} [not-initiator]`);
  for (const role of present) {
    const own = eps[role]!;
    const n = parties[role].offer!.message.setSize;
    // SPEC §13.3: round 0 starts the epoch from nothing.
    if (ep.index === 0 && (!bytesEqual(own.previousHash, ZERO_HASH) || own.removals !== 0 || own.accumulated !== n)) {
      return checks.fail('epoch', role, `${parties[role].id}'s OFFER of the epoch's start states prev ${bytesEqual(own.previousHash, ZERO_HASH) ? 'zero' : 'non-zero'}, rem ${own.removals}, acc ${own.accumulated} for ${n} additions; an epoch starts empty [epoch-mismatch]`);
    }
  }
  if (both) {
    // SPEC §13.6 check 15, as the responder had to apply it before answering.
    for (const role of ROLES) {
      const peer = role === 'initiator' ? 'responder' : 'initiator';
      if (eps[role]!.accumulated > eps[peer]!.epochCap) {
        return checks.fail('epoch', 'responder', `${parties[role].id} holds ${eps[role]!.accumulated} elements in the epoch, over ${parties[peer].id}'s epoch cap of ${eps[peer]!.epochCap} [set-too-large]`);
      }
    }
  }
  checks.pass('epoch', `round ${ep.index} of epoch ${hex(ep.id).slice(0, 16)}…${expectedId === undefined ? '' : ', round id and initiator from the epoch id'}; acc ${ROLES.map((role) => eps[role]?.accumulated ?? '—').join(' / ')}, rem ${ROLES.map((role) => eps[role]?.removals ?? '—').join(' / ')}`);
}

/**
 * audit.md §9.4 check `epoch-chain`: round i against round i − 1 of the same epoch. Two OFFERs
 * with different `prev` are the responder's fault (it had to refuse). Otherwise the attempt of
 * round i − 1 whose recomputed TH_final both name is looked for among the completed bundles given
 * (another attempt both signed is no evidence: a party may withhold its FINISH and sign later);
 * against it, the same parties in the same roles, each party's key unchanged and `acc` = the
 * previous `acc` + `n` − `rem`. A changed key or a count that does not add up is the fault of the
 * party whose OFFER states it.
 */
export function epochChainCheck(checks: Checks, parties: Readonly<Record<Role, PartyView>>, ep: EpochOffer | undefined, chain: readonly EpochChainLink[], given: boolean): void {
  if (ep === undefined) return checks.pass('epoch-chain', 'a plain round: no chain');
  if (ep.index === 0) return checks.pass('epoch-chain', "the epoch's start: the chain begins here");
  // `ep` is one of the two OFFERs' (its caller takes it from them), so `prev` is undefined only for
  // two OFFERs that name different previous rounds: the responder had to refuse the initiator's
  // link (SPEC §13.6), with or without the previous round's bundle.
  const prev = linkedPrevious(parties);
  if (prev === undefined) {
    return checks.fail('epoch-chain', 'responder', `the two OFFERs name different previous rounds; ${parties.responder.id} answered a link it had to refuse [epoch-mismatch]`);
  }
  const link = findLink(chain, ep.id, ep.index - 1, prev);
  if (link === undefined) {
    return checks.skip('epoch-chain', `needs the bundle of round ${ep.index - 1} of the epoch${given ? ' (none of the bundles given is)' : ' (--previous)'}`);
  }
  if (!link.completed || link.transcriptHash === null) return checks.fail('epoch-chain', null, `round ${ep.index - 1} of the epoch did not complete in the bundle given, so no round can follow it`);
  if (!bytesEqual(prev, link.transcriptHash)) {
    // Both parties signing an attempt does not make it the attempt both completed: a party that
    // withholds its FINISH can sign one later (audit.md §9.4). The link is judged against the
    // attempt it names, not against another one.
    return checks.skip('epoch-chain', `needs the attempt of round ${ep.index - 1} the OFFERs link to (TH_final ${hex(prev).slice(0, 16)}…); the one given has TH_final ${hex(link.transcriptHash).slice(0, 16)}…, another attempt or another account of that round`);
  }
  for (const role of ROLES) {
    if (link.parties[role].id !== parties[role].id) return checks.fail('epoch-chain', null, `round ${ep.index - 1} ran between other parties or roles (${link.parties.initiator.id} → ${link.parties.responder.id})`);
  }
  for (const role of ROLES) {
    const offer = parties[role].offer?.message;
    const own = offer?.epoch;
    const before = link.parties[role].offer!.message;
    if (offer === undefined || own === undefined) continue;
    const id = parties[role].id;
    if (!bytesEqual(offer.publicKey, before.publicKey)) {
      return checks.fail('epoch-chain', role, `${id}'s OFFER carries another key K than in round ${ep.index - 1} of the epoch: one key per epoch (SPEC §13.1) [epoch-mismatch]`);
    }
    const previous = before.epoch!.accumulated;
    if (own.removals > previous || own.accumulated !== previous + offer.setSize - own.removals) {
      return checks.fail('epoch-chain', role, `${id}'s OFFER states acc ${own.accumulated} after ${offer.setSize} additions and ${own.removals} removals, from ${previous} in round ${ep.index - 1} [epoch-mismatch]`);
    }
  }
  checks.pass('epoch-chain', `follows round ${ep.index - 1}: prev is its TH_final ${hex(link.transcriptHash).slice(0, 16)}…, the same keys, counts that add up`);
}

/** The `prev` the OFFERs of a round name, or undefined when its two OFFERs name different ones. */
function linkedPrevious(parties: Readonly<Record<Role, PartyView>>): Uint8Array | undefined {
  const prevs = ROLES.flatMap((role) => epochOf(parties[role])?.previousHash ?? []);
  return prevs.every((prev) => bytesEqual(prev, prevs[0]!)) ? prevs[0] : undefined;
}

/**
 * The parties of rounds 0 … index − 1 of the epoch from the bundles given, or which round is
 * missing, incomplete or not linked. Walked back from `parties`, the round being verified: each
 * round taken is the completed bundle whose TH_final the round after it names as `prev` (audit.md
 * §9.4: a bundle both parties signed need not be the attempt both completed).
 */
function earlierRounds(parties: Readonly<Record<Role, PartyView>>, id: Uint8Array, index: number, chain: readonly EpochChainLink[]): string | Array<Readonly<Record<Role, PartyView>>> {
  const rounds: Array<Readonly<Record<Role, PartyView>>> = [];
  let after = parties;
  for (let j = index - 1; j >= 0; j--) {
    const prev = linkedPrevious(after);
    if (prev === undefined) return `the OFFERs of round ${j + 1} name different previous rounds`;
    const link = findLink(chain, id, j, prev);
    if (link === undefined || !link.completed) return `round ${j} is missing or incomplete`;
    // Each round follows the one before: both OFFERs' prev is its TH_final (SPEC §13.4).
    if (!bytesEqual(prev, link.transcriptHash!)) return `round ${j + 1} does not follow round ${j} among the bundles given`;
    rounds.unshift(link.parties);
    after = link.parties;
  }
  return rounds;
}

/** A packed point as a map key (public values: a plain string is fine). */
const key = (points: Uint8Array, i: number): string => Buffer.from(points.buffer, points.byteOffset + i * POINT_BYTES, POINT_BYTES).toString('latin1');
const concat = (chunks: readonly Uint8Array[]): Uint8Array => Buffer.concat(chunks);

/**
 * SPEC §13.6 BLINDED checks 6–7 from the frames, for an ABORT duplicate-addition (audit.md §9.1
 * check 19, §9.4): does `adder`'s BLINDED stream of this round, as far as the bundle holds it,
 * repeat itself, or repeat an addition of an earlier round of the epoch whose value the peer still
 * holds? The peer's evaluations under its one epoch key are equal iff the (canonical) points are,
 * so a repeat within the round is two equal BLINDED points. For an earlier round, the peer's
 * EVALUATED stream of that round gives each of `adder`'s BLINDED points its value; the peer holds
 * it (T of SPEC §13.1) until `adder` removes it, and an element removed may be added again.
 * Returns the repeat, null when the bundles show none (or the round is no round of an epoch), or
 * why the earlier rounds are needed and not given.
 */
export function repeatedAddition(parties: Readonly<Record<Role, PartyView>>, adder: Role, chain: readonly EpochChainLink[]): string | { detail: string } | null {
  const ep = epochOf(parties[adder]);
  if (ep === undefined) return null;
  const points = concat(parties[adder].blindedPoints);
  const count = points.length / POINT_BYTES;
  const first = new Map<string, number>();
  for (let q = 0; q < count; q++) {
    const p = first.get(key(points, q));
    if (p !== undefined) return { detail: `repeated an addition within round ${ep.index}: point ${q} of its BLINDED stream is point ${p} again [duplicate-addition]` };
    first.set(key(points, q), q);
  }
  if (ep.index === 0 || count === 0) return null;
  const earlier = earlierRounds(parties, ep.id, ep.index, chain);
  if (typeof earlier === 'string') return `whether an addition of ${parties[adder].id} was already in the epoch takes every earlier round of the epoch; ${earlier}`;
  const peer: Role = adder === 'initiator' ? 'responder' : 'initiator';
  // adder's BLINDED point → the peer's evaluation of it and the round that added it; the values the peer holds.
  const added = new Map<string, { value: string; round: number }>();
  const held = new Set<string>();
  for (const [round, views] of earlier.entries()) {
    for (const removed of views[adder].removedPoints) for (let i = 0; i < removed.length / POINT_BYTES; i++) held.delete(key(removed, i));
    const blinded = concat(views[adder].blindedPoints);
    const evaluated = concat(views[peer].evaluatedPoints);
    for (let i = 0; i < Math.min(blinded.length, evaluated.length) / POINT_BYTES; i++) {
      added.set(key(blinded, i), { value: key(evaluated, i), round });
      held.add(key(evaluated, i));
    }
  }
  for (let q = 0; q < count; q++) {
    const before = added.get(key(points, q));
    if (before !== undefined && held.has(before.value)) {
      return { detail: `added, in round ${ep.index}, an element already in the epoch: point ${q} of its BLINDED stream is its addition of round ${before.round} [duplicate-addition]` };
    }
  }
  return null;
}

function findLink(chain: readonly EpochChainLink[], id: Uint8Array, index: number, transcriptHash: Uint8Array): EpochChainLink | undefined {
  // Every OFFER the bundle holds must name the round (a completed round holds both); of several
  // bundles of one round, one both parties signed is taken first, whatever the order the bundles
  // were given in, and of those the one whose TH_final is `transcriptHash` (audit.md §9.4).
  const names = (link: EpochChainLink): boolean => {
    const offers = ROLES.map((role) => link.parties[role].offer?.message).filter((offer) => offer !== undefined);
    return offers.length > 0 && offers.every(({ epoch: ep }) => ep !== undefined && ep.index === index && bytesEqual(ep.id, id));
  };
  const signed = (link: EpochChainLink): boolean => link.completed && names(link);
  const linked = chain.find((link) => signed(link) && link.transcriptHash !== null && bytesEqual(link.transcriptHash, transcriptHash));
  return linked ?? chain.find(signed) ?? chain.find(names);
}

/**
 * SPEC §13.7 from the frames alone: for each party X the set of its elements' doubly blinded
 * values (the peer's evaluations of X's additions, less X's removals), over rounds 0 … index;
 * the epoch's intersection is the number of values the two sets share. Returns why it cannot
 * (a string), the party whose frames break the epoch, or both parties' size.
 */
export function replayEpoch(
  parties: Readonly<Record<Role, PartyView>>,
  index: number,
  chain: readonly EpochChainLink[],
): string | { fault: Role; detail: string } | Record<Role, number> {
  const ep = epochOf(parties.initiator) ?? epochOf(parties.responder)!;
  const earlier = earlierRounds(parties, ep.id, index, chain);
  if (typeof earlier === 'string') return `the epoch's intersection takes every earlier round of the epoch; ${earlier}`;
  const rounds = [...earlier, parties];
  const values: Record<Role, Set<string>> = { initiator: new Set(), responder: new Set() };
  for (const [round, views] of rounds.entries()) {
    for (const role of ROLES) {
      const peer: Role = role === 'initiator' ? 'responder' : 'initiator';
      const own = values[role];
      // SPEC §13.6: an addition whose value the epoch already holds, or that the round repeats, was sent again.
      const added = new Set<string>();
      for (const points of views[peer].evaluatedPoints) {
        for (let i = 0; i < points.length / POINT_BYTES; i++) {
          const value = key(points, i);
          if (own.has(value) || added.has(value)) return { fault: role, detail: `added, in round ${round}, an element already in the epoch [duplicate-addition]` };
          added.add(value);
        }
      }
      for (const points of views[role].removedPoints) {
        for (let i = 0; i < points.length / POINT_BYTES; i++) {
          if (!own.has(key(points, i))) return { fault: role, detail: `removed, in round ${round}, a value it never added [bad-removal]` };
        }
      }
    }
    for (const role of ROLES) {
      const peer: Role = role === 'initiator' ? 'responder' : 'initiator';
      for (const points of views[role].removedPoints) for (let i = 0; i < points.length / POINT_BYTES; i++) values[role].delete(key(points, i));
      for (const points of views[peer].evaluatedPoints) for (let i = 0; i < points.length / POINT_BYTES; i++) values[role].add(key(points, i));
    }
  }
  let shared = 0;
  for (const value of values.initiator) if (values.responder.has(value)) shared++;
  return { initiator: shared, responder: shared };
}
