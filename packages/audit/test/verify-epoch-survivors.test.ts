/**
 * audit.md §9.4: the key-epoch checks (`epoch`, `epoch-chain`) and the epoch replay (SPEC §13.7) at
 * their edges, on party views built by hand: an epoch OFFER answered with a plain one, a round of
 * another epoch, a slot or round id the epoch does not give, an epoch start that does not start from
 * nothing, an epoch set over the peer's cap, a chain link between other parties or with a round of a
 * party that sent no epoch OFFER, and a removal of a value never added. Each pins the full detail.
 */
import type { Role } from '@venn/protocol';
import type { EpochOffer } from '@venn/wire';
import { describe, expect, it } from 'vitest';
import type { AuditRoster } from '../src/index.js';
import type { RoundRecord } from '../src/internal/round-record.js';
import { Checks, type PartyView } from '../src/internal/verify-bundle.js';
import { epochChainCheck, epochCheck, repeatedAddition, replayEpoch, type EpochChainLink } from '../src/internal/verify-epoch.js';
import { auditRoster, epochRoundId, epochSchedule, initiatorEpochId } from './round-harness.js';

const roster: AuditRoster = { ...auditRoster(), schedule: epochSchedule };
const epochId = initiatorEpochId('audit-test/epoch-survivors');
const epochHex = Buffer.from(epochId).toString('hex').slice(0, 16);
const ids: Record<Role, string> = { initiator: 'lab-a', responder: 'lab-b' };
const ZERO = new Uint8Array(64);
const KEY: Record<Role, Uint8Array> = { initiator: new Uint8Array(32).fill(0xa1), responder: new Uint8Array(32).fill(0xb1) };

const epoch = (fields: Partial<EpochOffer> = {}): EpochOffer => ({ id: epochId, index: 0, previousHash: ZERO, accumulated: 3, removals: 0, epochCap: 100, ...fields });

/** 32-byte point `n`. */
const point = (n: number): Uint8Array => new Uint8Array(32).fill(n);
const points = (...ns: number[]): Uint8Array => Buffer.concat(ns.map(point));

interface ViewSpec {
  offer?: { setSize?: number; epoch?: EpochOffer | undefined; publicKey?: Uint8Array } | null;
  id?: string;
  evaluatedPoints?: Uint8Array[];
  removedPoints?: Uint8Array[];
  blindedPoints?: Uint8Array[];
}

/** The view the bundle verifier takes of `role`'s frames, with the fields the epoch checks read. */
function view(role: Role, spec: ViewSpec = {}): PartyView {
  const offer = spec.offer === null ? undefined : {
    message: { kind: 'offer', setSize: spec.offer?.setSize ?? 3, publicKey: spec.offer?.publicKey ?? KEY[role], ...(spec.offer && 'epoch' in spec.offer ? (spec.offer.epoch === undefined ? {} : { epoch: spec.offer.epoch }) : { epoch: epoch() }) },
    bytes: new Uint8Array(0),
  };
  return {
    role, id: spec.id ?? ids[role], bundle: {} as PartyView['bundle'], messages: [], decodeError: null,
    ...(offer === undefined ? {} : { offer: offer as unknown as PartyView['offer'] }),
    blinded: [], blindedPoints: spec.blindedPoints ?? [], evaluated: [], evaluatedPoints: spec.evaluatedPoints ?? [], evaluatedProofs: [],
    removed: [], removedPoints: spec.removedPoints ?? [], violation: null,
  } as PartyView;
}

const parties = (initiator: ViewSpec = {}, responder: ViewSpec = {}): Record<Role, PartyView> => ({ initiator: view('initiator', initiator), responder: view('responder', responder) });

const record = (fields: Partial<RoundRecord> = {}, index = 0): RoundRecord => ({
  roundId: epochRoundId(epochId, index), slot: null, initiatorId: 'lab-a', responderId: 'lab-b', ...fields,
}) as RoundRecord;

function runEpochCheck(p: Record<Role, PartyView>, rec: RoundRecord = record(), r: AuditRoster = roster) {
  const checks = new Checks();
  checks.members = { initiator: 'lab-a', responder: 'lab-b' };
  epochCheck(checks, rec, p, r);
  expect(checks.list).toHaveLength(1);
  return checks.list[0]!;
}

describe('the epoch check (audit.md §9.4)', () => {
  it('passes an honest epoch start, with both counts', () => {
    expect(runEpochCheck(parties())).toEqual({ name: 'epoch', status: 'pass', party: null, member: null, detail: `round 0 of epoch ${epochHex}…, round id and initiator from the epoch id; acc 3 / 3, rem 0 / 0` });
  });

  it('names the responder that answered an epoch OFFER with a plain one [epoch-mismatch]', () => {
    expect(runEpochCheck(parties({}, { offer: { epoch: undefined } }))).toEqual({
      name: 'epoch', status: 'fail', party: 'responder', member: 'lab-b', detail: 'lab-b answered an epoch OFFER with a plain one [epoch-mismatch]',
    });
  });

  it('names the responder that answered a plain OFFER with an epoch one [epoch-mismatch]', () => {
    expect(runEpochCheck(parties({ offer: { epoch: undefined } }, {}))).toEqual({
      name: 'epoch', status: 'fail', party: 'responder', member: 'lab-b', detail: 'lab-b answered a plain OFFER with an epoch one [epoch-mismatch]',
    });
  });

  it('names the responder that answered with a round of another epoch, showing both epoch ids and indexes', () => {
    const other = new Uint8Array(32).fill(0x3c);
    expect(runEpochCheck(parties({}, { offer: { epoch: epoch({ id: other, index: 2 }) } }))).toEqual({
      name: 'epoch', status: 'fail', party: 'responder', member: 'lab-b',
      detail: `lab-b answered round 0 of epoch ${epochHex}… with round 2 of epoch ${'3c'.repeat(8)}… [epoch-mismatch]`,
    });
  });

  it('blames the exporter for a leaf that logs a slot for a round of a key epoch', () => {
    expect(runEpochCheck(parties(), record({ slot: 1_700_000_000 }))).toEqual({
      name: 'epoch', status: 'fail', party: 'exporter', member: null, detail: 'the leaf logs a slot for a round of a key epoch, which has none (node.md §10.2)',
    });
  });

  it('names the initiator of a round whose round id is not the epoch\'s, with both round ids', () => {
    const wrong = new Uint8Array(32).fill(0x77);
    expect(runEpochCheck(parties(), record({ roundId: wrong }))).toEqual({
      name: 'epoch', status: 'fail', party: 'initiator', member: 'lab-a',
      detail: `lab-a ran round ${'77'.repeat(32)} as round 0 of epoch ${epochHex}…, whose round id is ${Buffer.from(epochRoundId(epochId, 0)).toString('hex')}`,
    });
  });

  describe('an epoch start that does not start from nothing (SPEC §13.3)', () => {
    it('with removals, its count otherwise right', () => {
      expect(runEpochCheck(parties({}, { offer: { epoch: epoch({ removals: 1 }) } }))).toEqual({
        name: 'epoch', status: 'fail', party: 'responder', member: 'lab-b', detail: "lab-b's OFFER of the epoch's start states prev zero, rem 1, acc 3 for 3 additions; an epoch starts empty [epoch-mismatch]",
      });
    });

    it('with acc other than its additions', () => {
      expect(runEpochCheck(parties({ offer: { epoch: epoch({ accumulated: 4 }) } }))).toEqual({
        name: 'epoch', status: 'fail', party: 'initiator', member: 'lab-a', detail: "lab-a's OFFER of the epoch's start states prev zero, rem 0, acc 4 for 3 additions; an epoch starts empty [epoch-mismatch]",
      });
    });

    it('with a non-zero prev', () => {
      expect(runEpochCheck(parties({ offer: { epoch: epoch({ previousHash: new Uint8Array(64).fill(1) }) } }))).toEqual({
        name: 'epoch', status: 'fail', party: 'initiator', member: 'lab-a', detail: "lab-a's OFFER of the epoch's start states prev non-zero, rem 0, acc 3 for 3 additions; an epoch starts empty [epoch-mismatch]",
      });
    });
  });

  describe('an epoch set over the peer\'s epoch cap (SPEC §13.6 check 15): the responder, which had to refuse it', () => {
    it('the initiator\'s set over the responder\'s cap, within its own', () => {
      const p = parties({ offer: { setSize: 5, epoch: epoch({ accumulated: 5, epochCap: 10 }) } }, { offer: { epoch: epoch({ epochCap: 4 }) } });
      expect(runEpochCheck(p)).toEqual({
        name: 'epoch', status: 'fail', party: 'responder', member: 'lab-b', detail: "lab-a holds 5 elements in the epoch, over lab-b's epoch cap of 4 [set-too-large]",
      });
    });

    it('the responder\'s set over the initiator\'s cap, within its own', () => {
      const p = parties({ offer: { epoch: epoch({ epochCap: 4 }) } }, { offer: { setSize: 5, epoch: epoch({ accumulated: 5, epochCap: 10 }) } });
      expect(runEpochCheck(p)).toEqual({
        name: 'epoch', status: 'fail', party: 'responder', member: 'lab-b', detail: "lab-b holds 5 elements in the epoch, over lab-a's epoch cap of 4 [set-too-large]",
      });
    });

    it('a set exactly at the cap passes', () => {
      const p = parties({ offer: { setSize: 5, epoch: epoch({ accumulated: 5, epochCap: 5 }) } }, { offer: { setSize: 5, epoch: epoch({ accumulated: 5, epochCap: 5 }) } });
      expect(runEpochCheck(p)).toMatchObject({ status: 'pass', detail: `round 0 of epoch ${epochHex}…, round id and initiator from the epoch id; acc 5 / 5, rem 0 / 0` });
    });
  });
});

/** Round 0 of the epoch as a previous bundle gives it, between `initiator` and `responder`. */
const TH0 = new Uint8Array(64).fill(0xe0);
const link = (fields: Partial<EpochChainLink> = {}, spec: { initiator?: ViewSpec; responder?: ViewSpec } = {}): EpochChainLink => ({
  record: record(), parties: parties(spec.initiator, spec.responder), transcriptHash: TH0, completed: true, ...fields,
});
/** An epoch OFFER of round 1 that follows round 0 (acc 3 + 1 − 1). */
const next = (fields: Partial<EpochOffer> = {}): EpochOffer => epoch({ index: 1, previousHash: TH0, accumulated: 3, removals: 1, ...fields });

function runChain(p: Record<Role, PartyView>, chain: EpochChainLink[], ep: EpochOffer | undefined = next(), given = true) {
  const checks = new Checks();
  checks.members = { initiator: 'lab-a', responder: 'lab-b' };
  epochChainCheck(checks, p, ep, chain, given);
  expect(checks.list).toHaveLength(1);
  return checks.list[0]!;
}

describe('the epoch-chain check (audit.md §9.4)', () => {
  const round1 = (initiator: ViewSpec = {}, responder: ViewSpec = {}) => parties({ offer: { setSize: 1, epoch: next() }, ...initiator }, { offer: { setSize: 1, epoch: next() }, ...responder });

  it('passes a link that follows round 0, showing its TH_final', () => {
    expect(runChain(round1(), [link()])).toEqual({ name: 'epoch-chain', status: 'pass', party: null, member: null, detail: `follows round 0: prev is its TH_final ${'e0'.repeat(8)}…, the same keys, counts that add up` });
  });

  it('without round 0, names the responder that answered a link to another previous round than the initiator\'s', () => {
    const p = round1({}, { offer: { setSize: 1, epoch: next({ previousHash: new Uint8Array(64).fill(2) }) } });
    expect(runChain(p, [])).toEqual({
      name: 'epoch-chain', status: 'fail', party: 'responder', member: 'lab-b', detail: 'the two OFFERs name different previous rounds; lab-b answered a link it had to refuse [epoch-mismatch]',
    });
  });

  it('without round 0 and without the initiator\'s OFFER, is skipped', () => {
    expect(runChain(round1({ offer: null }), [])).toEqual({ name: 'epoch-chain', status: 'skip', party: null, member: null, detail: 'needs the bundle of round 0 of the epoch (none of the bundles given is)' });
  });

  it('fails a round 0 that has no TH_final, though completed', () => {
    expect(runChain(round1(), [link({ transcriptHash: null })])).toEqual({
      name: 'epoch-chain', status: 'fail', party: null, member: null, detail: 'round 0 of the epoch did not complete in the bundle given, so no round can follow it',
    });
  });

  it('fails a round 0 between other parties, naming them', () => {
    expect(runChain(round1(), [link({}, { responder: { id: 'lab-c' } })])).toEqual({
      name: 'epoch-chain', status: 'fail', party: null, member: null, detail: 'round 0 ran between other parties or roles (lab-a → lab-c)',
    });
  });

  it('judges the link of the party that sent an epoch OFFER when the other sent none, or a plain one', () => {
    expect(runChain(round1({ offer: null }), [link()])).toMatchObject({ status: 'pass' });
    expect(runChain(round1({ offer: { setSize: 1, epoch: undefined } }), [link()])).toMatchObject({ status: 'pass' });
    const broken = round1({ offer: null }, { offer: { setSize: 1, epoch: next({ accumulated: 4 }) } });
    expect(runChain(broken, [link()])).toMatchObject({ status: 'fail', party: 'responder', detail: "lab-b's OFFER states acc 4 after 1 additions and 1 removals, from 3 in round 0 [epoch-mismatch]" });
  });

  it('names the responder when the two OFFERs name different previous rounds, with round 0 given', () => {
    const p = round1({ offer: { setSize: 1, epoch: next({ previousHash: new Uint8Array(64).fill(0x4d) }) } });
    expect(runChain(p, [link()])).toEqual({
      name: 'epoch-chain', status: 'fail', party: 'responder', member: 'lab-b', detail: 'the two OFFERs name different previous rounds; lab-b answered a link it had to refuse [epoch-mismatch]',
    });
  });

  it('skips, naming both TH_final values, when the one OFFER given links to another attempt of round 0 (audit.md §9.4)', () => {
    const p = round1({ offer: { setSize: 1, epoch: next({ previousHash: new Uint8Array(64).fill(0x4d) }) } }, { offer: null });
    expect(runChain(p, [link()])).toEqual({
      name: 'epoch-chain', status: 'skip', party: null, member: null,
      detail: `needs the attempt of round 0 the OFFERs link to (TH_final ${'4d'.repeat(8)}…); the one given has TH_final ${'e0'.repeat(8)}…, another attempt or another account of that round`,
    });
  });

  it('names the party whose key K is not the one of round 0', () => {
    const p = round1({}, { offer: { setSize: 1, epoch: next(), publicKey: new Uint8Array(32).fill(9) } });
    expect(runChain(p, [link()])).toEqual({
      name: 'epoch-chain', status: 'fail', party: 'responder', member: 'lab-b', detail: "lab-b's OFFER carries another key K than in round 0 of the epoch: one key per epoch (SPEC §13.1) [epoch-mismatch]",
    });
  });
});

describe('the epoch replay (SPEC §13.7)', () => {
  it('places the round by the responder\'s OFFER when the initiator sent none', () => {
    expect(replayEpoch(parties({ offer: null }, {}), 0, [])).toEqual({ initiator: 0, responder: 0 });
  });

  it('says which earlier round it lacks', () => {
    expect(replayEpoch(parties({ offer: { epoch: next() } }, { offer: { epoch: next() } }), 1, [])).toBe("the epoch's intersection takes every earlier round of the epoch; round 0 is missing or incomplete");
  });

  it('counts a removal of a value added before, and names a party that removes a value it never added [bad-removal]', () => {
    const zero = link({}, { initiator: { evaluatedPoints: [points(1, 2, 3)] }, responder: { evaluatedPoints: [points(4, 5, 6)] } });
    // Round 0 leaves lab-a 4, 5, 6 and lab-b 1, 2, 3; in round 1 lab-b removes 2 and adds 7.
    const ok = parties({ offer: { setSize: 0, epoch: next() }, evaluatedPoints: [points(7)] }, { offer: { epoch: next() }, removedPoints: [point(2)] });
    expect(replayEpoch(ok, 1, [zero])).toEqual({ initiator: 0, responder: 0 });
    const shared = parties({ offer: { epoch: next() }, evaluatedPoints: [points(4)] }, { offer: { epoch: next() }, removedPoints: [points(3)], evaluatedPoints: [] });
    expect(replayEpoch(shared, 1, [link({}, { initiator: { evaluatedPoints: [points(1, 2, 3)] }, responder: { evaluatedPoints: [points(1, 5, 6)] } })])).toEqual({ initiator: 1, responder: 1 });
    const bad = parties({ offer: { epoch: next() } }, { offer: { epoch: next() }, removedPoints: [points(2, 9)] });
    expect(replayEpoch(bad, 1, [zero])).toEqual({ fault: 'responder', detail: 'removed, in round 1, a value it never added [bad-removal]' });
  });

  it('takes the round 0 whose TH_final both OFFERs name, and no other (audit.md §9.4)', () => {
    const zero = link({}, { initiator: { evaluatedPoints: [points(1, 2, 3)] }, responder: { evaluatedPoints: [points(4, 5, 6)] } });
    const other = link({ transcriptHash: new Uint8Array(64).fill(0xe1) }, { initiator: { evaluatedPoints: [points(7)] }, responder: { evaluatedPoints: [points(7)] } });
    const round = parties({ offer: { setSize: 0, epoch: next() }, evaluatedPoints: [points(7)] }, { offer: { epoch: next() }, removedPoints: [point(2)] });
    // `other` alone: another attempt of round 0, not the one round 1 links to.
    expect(replayEpoch(round, 1, [other])).toBe("the epoch's intersection takes every earlier round of the epoch; round 1 does not follow round 0 among the bundles given");
    // Given first, `other` is passed over for the one linked to (its values would make lab-a's 7 a repeat).
    expect(replayEpoch(round, 1, [other, zero])).toEqual({ initiator: 0, responder: 0 });
  });

  it('a duplicate-addition judgement of a round whose peer OFFER the bundle lacks looks round 0 up by the adder\'s link', () => {
    // The adder's one point is a point it added in round 0, whose value lab-b still holds.
    const zero = link({}, { initiator: { blindedPoints: [points(1)] }, responder: { evaluatedPoints: [points(9)] } });
    const round = parties({ offer: { epoch: next() }, blindedPoints: [points(1)] }, { offer: null });
    expect(repeatedAddition(round, 'initiator', [zero])).toMatchObject({ detail: expect.stringMatching(/\[duplicate-addition\]$/) });
  });

  it('is skipped when the two OFFERs of the round name different previous rounds', () => {
    const zero = link({}, { initiator: { evaluatedPoints: [points(1, 2, 3)] }, responder: { evaluatedPoints: [points(4, 5, 6)] } });
    const round = parties({ offer: { epoch: next() } }, { offer: { epoch: next({ previousHash: new Uint8Array(64).fill(0x4d) }) } });
    expect(replayEpoch(round, 1, [zero])).toBe("the epoch's intersection takes every earlier round of the epoch; the OFFERs of round 1 name different previous rounds");
  });
});

describe('the previous bundles the chain looks round i − 1 up in', () => {
  const round1 = () => parties({ offer: { setSize: 1, epoch: next() } }, { offer: { setSize: 1, epoch: next() } });

  it('a bundle of round 0 that holds the initiator\'s OFFER alone is round 0, not completed', () => {
    expect(runChain(round1(), [link({ completed: false }, { responder: { offer: null } })])).toMatchObject({ status: 'fail', detail: 'round 0 of the epoch did not complete in the bundle given, so no round can follow it' });
  });

  it('a bundle whose OFFER is a plain one is no round of the epoch: the next bundle given is taken', () => {
    expect(runChain(round1(), [link({}, { initiator: { offer: { epoch: undefined } } }), link()])).toMatchObject({ status: 'pass' });
  });

  it('a bundle that holds no OFFER at all is no round of the epoch: the chain is skipped', () => {
    expect(runChain(round1(), [link({ completed: false }, { initiator: { offer: null }, responder: { offer: null } })])).toEqual({
      name: 'epoch-chain', status: 'skip', party: null, member: null, detail: 'needs the bundle of round 0 of the epoch (none of the bundles given is)',
    });
  });
});
