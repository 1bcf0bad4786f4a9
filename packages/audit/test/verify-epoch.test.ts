/**
 * audit.md §9.4: the verifier on rounds of a key epoch (SPEC §13). An incremental round verifies on
 * its own (its proofs under the epoch's keys), against the round before it (the chain), and with
 * every earlier round (the epoch's intersection). Tampered transcripts fail with the party at
 * fault named: a dropped addition, a broken chain link, an evaluation under another key.
 */
import { sha256 } from '@noble/hashes/sha2.js';
import { randomScalar, scalarBaseMult } from '@venn/crypto';
import type { CompletedResult, EpochRoundInput, Role } from '@venn/protocol';
import { decodeMessage, encodeMessage, type Message } from '@venn/wire';
import { beforeAll, describe, expect, it } from 'vitest';
import { MapEpochState } from '../../protocol/scripts/epoch-state.js';
import { decodeRoundRecord, encodeTranscriptBundle, verifyTranscriptBundle, type AuditRoster, type BundleReport, type TranscriptBundle } from '../src/index.js';
import { auditRoster, digest, epochRoundId, epochSchedule, exportBundle, hourlySchedule, initiatorEpochId, playRound, seededRng, type InFlight, type PlayedRound } from './round-harness.js';

const roster: AuditRoster = { ...auditRoster(), schedule: epochSchedule };
/** An epoch id whose initiator is lab-a. */
const epochId = initiatorEpochId('audit-test/epoch');

const lists: ReadonlyArray<Record<Role, string[]>> = [
  { initiator: ['s1', 's2', 's3', 'a1', 'a2'], responder: ['s1', 's2', 's3', 'b1', 'b2', 'later'] },
  { initiator: ['s2', 's3', 'a1', 'later', 'a3'], responder: ['s1', 's3', 'b1', 'b2', 'later', 'b3'] },
  { initiator: ['s2', 's3', 'later', 'a3', 'both'], responder: ['s1', 's2', 's3', 'b2', 'later', 'b3', 'both'] },
];

interface EpochRun {
  readonly states: Record<Role, MapEpochState>;
  readonly played: PlayedRound[];
  readonly bundles: TranscriptBundle[];
}

/** Plays rounds 0 … upTo − 1; `tweak(index)` may change a round's inputs or frames in flight. */
function runEpoch(upTo: number, tweak: (index: number) => { epoch?: Partial<Record<Role, Partial<EpochRoundInput>>>; intercept?: (m: InFlight) => Uint8Array } = () => ({}), roundLists = lists): EpochRun {
  const states = { initiator: new MapEpochState(epochId, 'audit/epoch/a'), responder: new MapEpochState(epochId, 'audit/epoch/b') };
  const played: PlayedRound[] = [];
  const bundles: TranscriptBundle[] = [];
  for (let index = 0; index < upTo; index++) {
    const changes = tweak(index);
    const inputs = (['initiator', 'responder'] as const).map((role) => states[role].next(roundLists[index]![role].map(digest), changes.epoch?.[role]));
    const round = playRound({
      roundId: epochRoundId(epochId, index),
      elements: { initiator: inputs[0]!.additions, responder: inputs[1]!.additions },
      epoch: { initiator: inputs[0]!.epoch, responder: inputs[1]!.epoch },
      ...(changes.intercept === undefined ? {} : { intercept: changes.intercept }),
    });
    played.push(round);
    bundles.push(exportBundle(round, 'initiator'));
    if (round.results.initiator.status !== 'aborted' && round.results.responder.status !== 'aborted') {
      states.initiator.apply(round.results.initiator as CompletedResult);
      states.responder.apply(round.results.responder as CompletedResult);
    }
  }
  return { states, played, bundles };
}

const statusOf = (report: BundleReport, name: string): string => report.checks.find((check) => check.name === name)!.status;
const check = (report: BundleReport, name: string) => report.checks.find((c) => c.name === name)!;

/** Rewrites the first frame of `kind` from `from` in a round. */
function rewrite(from: Role, kind: Message['kind'], change: (message: Message) => Message): (m: InFlight) => Uint8Array {
  let done = false;
  return (m) => {
    if (done || m.from !== from || m.kind !== kind) return m.bytes;
    done = true;
    return encodeMessage(change(decodeMessage(m.bytes)));
  };
}

let honest: EpochRun;
beforeAll(() => {
  honest = runEpoch(3);
});

describe('an honest epoch', () => {
  it('verifies round by round; each incremental round alone passes every check it can make', () => {
    for (const [index, bundle] of honest.bundles.entries()) {
      const report = verifyTranscriptBundle(encodeTranscriptBundle(bundle), roster);
      expect(report.failure).toBeNull();
      expect(report.summary.epoch).toMatchObject({ index });
      if (index === 0) {
        expect(report.checks.every((c) => c.status === 'pass')).toBe(true);
        expect(report.summary.recomputed).toEqual({ initiator: 3, responder: 3 });
      } else {
        // Alone, an incremental round cannot show its chain or the epoch's intersection.
        expect(statusOf(report, 'epoch-chain')).toBe('skip');
        expect(statusOf(report, 'intersection-size')).toBe('skip');
        expect(statusOf(report, 'proof-initiator')).toBe('pass');
        expect(statusOf(report, 'proof-responder')).toBe('pass');
      }
    }
  });

  it('verifies the chain and recomputes the epoch intersection given the earlier rounds', () => {
    const report = verifyTranscriptBundle(honest.bundles[2]!, roster, { previous: [honest.bundles[1]!, honest.bundles[0]!] });
    expect(report.failure).toBeNull();
    expect(report.checks.every((c) => c.status === 'pass')).toBe(true);
    // s2, s3, later and both: the plain intersection of the current lists.
    expect(report.summary.recomputed).toEqual({ initiator: 4, responder: 4 });
    expect(report.summary.claims).toEqual({ initiator: 4, responder: 4 });
    expect(check(report, 'epoch-chain').detail).toMatch(/follows round 1/);
  });

  it('a party that removes every element it held: removals equal to its count so far are a valid chain', () => {
    const run = runEpoch(2, () => ({}), [
      { initiator: ['x1', 'x2', 's1'], responder: ['s1', 'b1'] },
      { initiator: ['y1'], responder: ['s1', 'b1', 'b2'] },
    ]);
    // The initiator held x1, x2 and s1 and removed all three: its own state is y1 alone.
    expect(run.states.initiator.own.size).toBe(1);
    const report = verifyTranscriptBundle(run.bundles[1]!, roster, { previous: [run.bundles[0]!] });
    expect(report.failure).toBeNull();
    expect(statusOf(report, 'epoch-chain')).toBe('pass');
  });

  it('needs only round i − 1 for the chain; the intersection takes every earlier round', () => {
    const report = verifyTranscriptBundle(honest.bundles[2]!, roster, { previous: [honest.bundles[1]!] });
    expect(statusOf(report, 'epoch-chain')).toBe('pass');
    expect(statusOf(report, 'intersection-size')).toBe('skip');
  });
});

describe('the epoch check\'s pass detail', () => {
  const epochHex = Buffer.from(epochId).toString('hex').slice(0, 16);

  it('says the round id and initiator follow from the epoch id when the schedule gives epoch round ids', () => {
    expect(check(verifyTranscriptBundle(honest.bundles[0]!, roster), 'epoch')).toEqual({
      name: 'epoch', status: 'pass', party: null, member: null, detail: `round 0 of epoch ${epochHex}…, round id and initiator from the epoch id; acc 5 / 6, rem 0 / 0`,
    });
    // Round 1: lab-a removed s1 and a2 and added later and a3; lab-b removed s2 and added b3.
    expect(check(verifyTranscriptBundle(honest.bundles[1]!, roster), 'epoch').detail).toBe(`round 1 of epoch ${epochHex}…, round id and initiator from the epoch id; acc 5 / 6, rem 2 / 1`);
  });

  it('says nothing of the round id when the schedule gives no epoch round ids', () => {
    const report = verifyTranscriptBundle(honest.bundles[1]!, { ...roster, schedule: hourlySchedule });
    expect(check(report, 'epoch')).toEqual({ name: 'epoch', status: 'pass', party: null, member: null, detail: `round 1 of epoch ${epochHex}…; acc 5 / 6, rem 2 / 1` });
  });

  it('shows a dash for the counts of a party that sent no OFFER', () => {
    // Round 0 as a bundle holds it when lab-b never answered: lab-a's OFFER alone.
    const bundle = honest.bundles[0]!;
    const alone: TranscriptBundle = { ...bundle, responder: { ...bundle.responder, frames: [] } };
    expect(check(verifyTranscriptBundle(alone, roster), 'epoch').detail).toBe(`round 0 of epoch ${epochHex}…, round id and initiator from the epoch id; acc 5 / —, rem 0 / —`);
  });
});

describe('a previous bundle whose round did not complete cannot carry the chain (audit.md §9.1 check 11, §9.4)', () => {
  /** Round 0's bundle with `party`'s frames edited; its leaf still records a completed round. */
  const roundZero = (party: Role, edit: (frames: Message[]) => Message[]): TranscriptBundle => {
    const bundle = honest.bundles[0]!;
    const frames = edit(bundle[party].frames.map((frame) => decodeMessage(frame))).map((message) => encodeMessage(message));
    return { ...bundle, [party]: { ...bundle[party], frames } };
  };
  const incomplete = { name: 'epoch-chain', status: 'fail', party: null, member: null, detail: 'round 0 of the epoch did not complete in the bundle given, so no round can follow it' };

  it('the untouched round 0 carries the chain to round 1', () => {
    const report = verifyTranscriptBundle(honest.bundles[1]!, roster, { previous: [honest.bundles[0]!] });
    expect(report.failure).toBeNull();
    expect(check(report, 'epoch-chain').detail).toMatch(/^follows round 0: prev is its TH_final /);
  });

  it('without the responder\'s FINISH', () => {
    const previous = roundZero('responder', (frames) => frames.filter((frame) => frame.kind !== 'finish'));
    expect(decodeRoundRecord(previous.leaf).status).toBe('completed');
    const report = verifyTranscriptBundle(honest.bundles[1]!, roster, { previous: [previous] });
    expect(report.failure).toEqual(incomplete);
    expect(check(report, 'intersection-size').status).toBe('skip');
  });

  it('without the responder\'s OFFER', () => {
    const previous = roundZero('responder', (frames) => frames.filter((frame) => frame.kind !== 'offer'));
    const report = verifyTranscriptBundle(honest.bundles[1]!, roster, { previous: [previous] });
    expect(report.failure).toEqual(incomplete);
  });

  it('whose frames are whole but whose leaf logs the round aborted', () => {
    // Round 0's frames as played, logged by lab-a as an attempt it ended on a timeout.
    const previous = exportBundle(honest.played[0]!, 'initiator', {
      leaf: { status: 'aborted', reason: 'timeout', initiatorClaim: null, responderClaim: null, endedBy: 'initiator' },
    });
    expect(decodeRoundRecord(previous.leaf).status).toBe('aborted');
    expect(previous.initiator.frames.map((frame) => frame.length)).toEqual(honest.bundles[0]!.initiator.frames.map((frame) => frame.length));
    const report = verifyTranscriptBundle(honest.bundles[1]!, roster, { previous: [previous] });
    expect(report.failure).toEqual(incomplete);
    expect(check(report, 'intersection-size').status).toBe('skip');
  });

  it('with a frame the responder sent after its FINISH (a violation of its frame walk, lab-a\'s account under its completed leaf)', () => {
    const previous = roundZero('responder', (frames) => [...frames, frames.find((frame) => frame.kind === 'blinded')!]);
    // lab-a logs round 0 completed: lab-b's FINISH verifies, but it covers lab-b's streams, not the
    // order and presence of its frames, so a frame after it is lab-a's account (audit.md §9.1, "A
    // completed or disputed leaf").
    expect(verifyTranscriptBundle(previous, roster).failure).toEqual({
      name: 'messages-responder', status: 'fail', party: 'exporter', member: 'lab-a',
      detail: 'the leaf logs the round completed, but lab-b\'s FINISH signature covers its streams, not this: the order and presence of its frames are lab-a\'s account; an exporter that finished the round had checked them (lab-b frame 4: sent BLINDED after its FINISH [unexpected-message])',
    });
    const report = verifyTranscriptBundle(honest.bundles[1]!, roster, { previous: [previous] });
    expect(report.failure).toEqual(incomplete);
  });
});

describe('the chain without the round before', () => {
  it('is skipped, saying the bundles given hold no round i − 1, or that none was given', () => {
    // Round 0 is no link for round 2: the chain needs round 1.
    const given = verifyTranscriptBundle(honest.bundles[2]!, roster, { previous: [honest.bundles[0]!] });
    expect(check(given, 'epoch-chain')).toEqual({ name: 'epoch-chain', status: 'skip', party: null, member: null, detail: 'needs the bundle of round 1 of the epoch (none of the bundles given is)' });
    const none = verifyTranscriptBundle(honest.bundles[2]!, roster);
    expect(check(none, 'epoch-chain')).toEqual({ name: 'epoch-chain', status: 'skip', party: null, member: null, detail: 'needs the bundle of round 1 of the epoch (--previous)' });
    const empty = verifyTranscriptBundle(honest.bundles[2]!, roster, { previous: [] });
    expect(check(empty, 'epoch-chain').detail).toBe('needs the bundle of round 1 of the epoch (--previous)');
  });
});

describe('tampered incremental transcripts name the party at fault', () => {
  it('a dropped addition (one point fewer than the OFFER declares): the sender', () => {
    const run = runEpoch(3, (index) => (index === 2 ? {
      intercept: rewrite('responder', 'blinded', (message) => {
        const chunk = message as Extract<Message, { kind: 'blinded' }>;
        return { ...chunk, points: chunk.points.subarray(0, chunk.points.length - 32) };
      }),
    } : {}));
    const report = verifyTranscriptBundle(run.bundles[2]!, roster, { previous: run.bundles.slice(0, 2) });
    expect(report.failure).toMatchObject({ name: 'messages-responder', party: 'responder', member: 'lab-b' });
    expect(report.failure!.detail).toMatch(/count-mismatch/);
  });

  it('a dropped addition left out of the count (acc): the sender, from the chain', () => {
    // Both parties run round 2 with lab-b stating one element fewer than it holds; the round completes.
    const run = runEpoch(3, (index) => (index === 2 ? {
      intercept: rewrite('responder', 'offer', (message) => {
        const offer = message as Extract<Message, { kind: 'offer' }>;
        return { ...offer, epoch: { ...offer.epoch!, accumulated: offer.epoch!.accumulated - 1 } };
      }),
    } : {}));
    // lab-a refuses it at once (SPEC §13.6 check 14); an auditor blames lab-b from the chain.
    expect(run.played[2]!.results.initiator.status).toBe('aborted');
    const report = verifyTranscriptBundle(run.bundles[2]!, roster, { previous: run.bundles.slice(0, 2) });
    expect(report.failure).toMatchObject({ name: 'epoch-chain', party: 'responder', member: 'lab-b' });
    expect(report.failure!.detail).toMatch(/acc/);
  });

  it('removals beyond what the sender held, with a count that adds up: the sender, from the chain', () => {
    // lab-b held 2 elements after round 0; in round 1 it states 3 removals, and acc 2 + 1 − 3 = 0 to match.
    const run = runEpoch(2, (index) => (index === 1 ? {
      intercept: rewrite('responder', 'offer', (message) => {
        const offer = message as Extract<Message, { kind: 'offer' }>;
        return { ...offer, epoch: { ...offer.epoch!, removals: 3, accumulated: 0 } };
      }),
    } : {}), [
      { initiator: ['x1', 'x2', 's1'], responder: ['s1', 'b1'] },
      { initiator: ['y1'], responder: ['s1', 'b1', 'b2'] },
    ]);
    const report = verifyTranscriptBundle(run.bundles[1]!, roster, { previous: [run.bundles[0]!] });
    expect(report.failure).toMatchObject({ name: 'epoch-chain', party: 'responder', member: 'lab-b' });
    expect(report.failure!.detail).toMatch(/acc 0 after 1 additions and 3 removals, from 2 in round 0/);
  });

  it('a chain link both parties signed to a round 1 other than the one given: skipped, never a fault (audit.md §9.4)', () => {
    // Both OFFERs name the same prev, and the round 1 given is another: another attempt of round 1
    // may be the one both completed (a party can withhold its FINISH and sign an attempt later), so
    // the bundles cannot show who broke the chain. `venn audit verify` exits 1 on the skip.
    const forged = new Uint8Array(64).fill(0x5c);
    const run = runEpoch(3, (index) => (index === 2 ? { epoch: { initiator: { previousHash: forged }, responder: { previousHash: forged } } } : {}));
    expect(run.played[2]!.results.initiator.status).toBe('completed');
    expect(verifyTranscriptBundle(run.bundles[2]!, roster).failure).toBeNull();
    const report = verifyTranscriptBundle(run.bundles[2]!, roster, { previous: run.bundles.slice(0, 2) });
    expect(report.failure).toBeNull();
    const chain = report.checks.find((check) => check.name === 'epoch-chain')!;
    expect(chain.status).toBe('skip');
    expect(chain.detail).toMatch(new RegExp(`^needs the attempt of round 1 the OFFERs link to \\(TH_final ${'5c'.repeat(8)}…\\); the one given has TH_final [0-9a-f]{16}…, another attempt or another account of that round$`));
  });

  it('a chain link the peer refused: skipped, and the refusal (epoch-mismatch) is undetermined', () => {
    const run = runEpoch(3, (index) => (index === 2 ? { epoch: { initiator: { previousHash: new Uint8Array(64).fill(1) } } } : {}));
    expect(run.played[2]!.results.responder).toMatchObject({ status: 'aborted', reason: 'epoch-mismatch' });
    const report = verifyTranscriptBundle(run.bundles[2]!, roster, { previous: run.bundles.slice(0, 2) });
    expect(report.checks.find((check) => check.name === 'epoch-chain')!.status).toBe('skip');
    expect(report.failure).toMatchObject({ name: 'completed', party: null });
  });

  it('an evaluation under another key than the OFFER states: the prover, by its chunk proof', () => {
    const otherKey = randomScalar(seededRng('audit/epoch/other-key'));
    const epochK = scalarBaseMult(honest.states.initiator.key);
    const run = runEpoch(3, (index) => (index === 2 ? {
      epoch: { initiator: { key: otherKey } },
      // The OFFER still states the epoch's K.
      intercept: rewrite('initiator', 'offer', (message) => ({ ...(message as Extract<Message, { kind: 'offer' }>), publicKey: epochK })),
    } : {}));
    const report = verifyTranscriptBundle(run.bundles[2]!, roster, { previous: run.bundles.slice(0, 2) });
    expect(report.failure).toMatchObject({ name: 'proof-initiator', party: 'initiator', member: 'lab-a' });
    expect(report.failure!.detail).toMatch(/bad-proof/);
  });

  it('a key changed mid-epoch, with proofs under the new key: the party that changed it, from the chain', () => {
    const run = runEpoch(3, (index) => (index === 2 ? { epoch: { initiator: { key: randomScalar(seededRng('audit/epoch/new-key')) } } } : {}));
    const report = verifyTranscriptBundle(run.bundles[2]!, roster, { previous: run.bundles.slice(0, 2) });
    expect(report.failure).toMatchObject({ name: 'epoch-chain', party: 'initiator' });
    expect(report.failure!.detail).toMatch(/another key/);
  });

  it('a round id that is not the epoch\'s: the initiator', () => {
    const run = runEpoch(1);
    const report = verifyTranscriptBundle(run.bundles[0]!, { ...roster, schedule: { ...roster.schedule, epochRoundId: (id, index) => epochRoundId(id, index + 1) } });
    expect(report.failure).toMatchObject({ name: 'epoch', party: 'initiator' });
  });
});

describe('the epoch\'s intersection replayed over every round (SPEC §13.7)', () => {
  it('names a party that added, in a later round, an element the epoch already held, when both stores let it through', () => {
    // lab-b's store no longer knows it holds b1 and adds it again in round 1; lab-a's store does not
    // recognise the value it already holds from lab-b. The round completes; only the replay shows it.
    const replayEpochId = initiatorEpochId('audit-test/epoch-replay');
    const states = { initiator: new MapEpochState(replayEpochId, 'audit/replay/a'), responder: new MapEpochState(replayEpochId, 'audit/replay/b') };
    const rounds = [{ initiator: ['s1', 'a1'], responder: ['s1', 'b1'] }, { initiator: ['s1', 'a1', 'a2'], responder: ['s1', 'b1', 'b2'] }];
    const bundles: TranscriptBundle[] = [];
    for (const [index, list] of rounds.entries()) {
      const [initiator, responder] = (['initiator', 'responder'] as const).map((role) => states[role].next(list[role].map(digest)));
      /** The store's lookups with some replaced by ones that find nothing. */
      const forgetful = (input: EpochRoundInput, lookups: Partial<ReturnType<EpochRoundInput['load']>>): EpochRoundInput => ({ ...input, load: () => ({ ...input.load(), ...lookups }) });
      const nothing = (packed: Uint8Array): Uint8Array => new Uint8Array(packed.length / 32);
      const epoch = index === 0 ? { initiator: initiator!.epoch, responder: responder!.epoch } : {
        initiator: forgetful(initiator!.epoch, { peerHas: nothing }),
        responder: forgetful(responder!.epoch, { ownHasDigests: nothing }),
      };
      const played = playRound({
        roundId: epochRoundId(replayEpochId, index),
        elements: { initiator: initiator!.additions, responder: index === 0 ? responder!.additions : [...responder!.additions, digest('b1')] },
        epoch,
      });
      expect([played.results.initiator.status, played.results.responder.status]).toEqual(['completed', 'completed']);
      bundles.push(exportBundle(played, 'initiator'));
      if (index === 0) {
        states.initiator.apply(played.results.initiator as CompletedResult);
        states.responder.apply(played.results.responder as CompletedResult);
      }
    }
    // Alone, and with the chain only, round 1 verifies as far as it can tell.
    expect(verifyTranscriptBundle(bundles[1]!, roster).failure).toBeNull();
    const report = verifyTranscriptBundle(bundles[1]!, roster, { previous: [bundles[0]!] });
    expect(report.checks.filter((c) => c.status !== 'pass')).toEqual([{
      name: 'intersection-size', status: 'fail', party: 'responder', member: 'lab-b', detail: 'lab-b added, in round 1, an element already in the epoch [duplicate-addition]',
    }]);
  });
});

describe('a bundle that lacks the initiator\'s epoch OFFER', () => {
  it('is judged without a crash: the responder\'s OFFER alone places the round, and the summary has no epoch counts', () => {
    // Round 0 as lab-b exports it, with none of lab-a's frames: as if lab-a never sent its OFFER.
    const bundle = exportBundle(honest.played[0]!, 'responder');
    const report = verifyTranscriptBundle({ ...bundle, initiator: { ...bundle.initiator, frames: [] } }, roster);
    expect(report.valid).toBe(false);
    expect(check(report, 'epoch')).toEqual({
      name: 'epoch', status: 'pass', party: null, member: null,
      detail: `round 0 of epoch ${Buffer.from(epochId).toString('hex').slice(0, 16)}…, round id and initiator from the epoch id; acc — / 6, rem — / 0`,
    });
    expect(report.summary.epoch).toBeNull();
    // audit.md §9.1 checks 6–7: lab-b's EVALUATED chunks need lab-a's OFFER in the bundle.
    expect(report.failure).toEqual({ name: 'messages-responder', status: 'fail', party: 'responder', member: 'lab-b', detail: 'lab-b frame 2: EVALUATED without an OFFER from lab-a [unexpected-message]' });
    expect(check(report, 'transcript')).toMatchObject({ status: 'skip', detail: 'no transcript: the initiator sent no OFFER' });
    expect(check(report, 'epoch-chain')).toMatchObject({ status: 'pass', detail: "the epoch's start: the chain begins here" });
  });
});

describe('an epoch round opened by the party that is not the epoch\'s initiator', () => {
  it('fails the epoch check against the initiator, naming the epoch and its initiator [not-initiator]', () => {
    // An epoch id whose initiator (node.md §4's rule on the epoch id) is lab-b, run with lab-a initiating.
    let otherEpoch = sha256(new TextEncoder().encode('audit-test/epoch-of-lab-b/0'));
    for (let i = 1; hourlySchedule.scheduledInitiator(otherEpoch, 'lab-a', 'lab-b') !== 'lab-b'; i++) otherEpoch = sha256(new TextEncoder().encode(`audit-test/epoch-of-lab-b/${i}`));
    const states = { initiator: new MapEpochState(otherEpoch, 'audit/epoch-b/a'), responder: new MapEpochState(otherEpoch, 'audit/epoch-b/b') };
    const inputs = (['initiator', 'responder'] as const).map((role) => states[role].next(lists[0]![role].map(digest)));
    const played = playRound({
      roundId: epochRoundId(otherEpoch, 0),
      elements: { initiator: inputs[0]!.additions, responder: inputs[1]!.additions },
      epoch: { initiator: inputs[0]!.epoch, responder: inputs[1]!.epoch },
    });
    const report = verifyTranscriptBundle(exportBundle(played, 'responder'), roster);
    expect(report.checks.filter((c) => c.status !== 'pass')).toEqual([{
      name: 'epoch', status: 'fail', party: 'initiator', member: 'lab-a',
      detail: `lab-a opened a round of epoch ${Buffer.from(otherEpoch).toString('hex').slice(0, 16)}…, whose initiator is lab-b [not-initiator]`,
    }]);
  });
});
