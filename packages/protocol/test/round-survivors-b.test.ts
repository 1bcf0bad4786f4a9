/**
 * Round behaviour pinned for surviving mutants of round.ts (advance, sending, matching, labels,
 * endings): LABELS carry agreed fields only and no empty entries (SPEC §5.7), matches in
 * ascending index order, cardinality reveals no positions (SPEC §5.5), an identity-sum peer list
 * is a bad point (SPEC §6.3), and the epoch result's labels and matched digests (SPEC §13.7).
 */
import { hashToGroup, scalarMult } from '@venn/crypto';
import { HASH_TO_GROUP_DST, createRound, type CompletedResult, type EpochRoundInput, type OwnSet, type Round } from '@venn/protocol';
import { decodeMessage, encodeMessage, type LabelValues } from '@venn/wire';
import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';
import { describe, expect, it } from 'vitest';
import { seededRng } from '../scripts/seeded-rng.js';
import { EpochParty, element, epochRoundId, hex } from './epoch-harness.js';
import { digest, options, pair, policy, pump } from './harness.js';

const completed = (round: Round): CompletedResult => {
  expect(round.result?.status).toBe('completed');
  return round.result as CompletedResult;
};

describe('plain intersection round: matches, labels and timing', () => {
  const common = ['m0', 'm1', 'm2', 'm3', 'm4', 'm5'].map(digest);
    const initiatorSet = common.flatMap((m, i) => [digest(`a${i}`), m]);
  // Own indices are positions in ascending digest order (ownSetFromDigests).
  const sortedInitiator = initiatorSet.map(hex).sort();
  const indexOf = (d: Uint8Array): number => sortedInitiator.indexOf(hex(d));
  const responderSet = [...common, ...['b0', 'b1', 'b2'].map(digest)];
  const responderLabels: (LabelValues | undefined)[] = [
    { category: 'c0', firstSeen: '2024-01-01', reason: 'r0' },
    { firstSeen: '2024-01-02' }, // only a field that was not agreed: no entry at all
    { reason: 'r2' },
    { category: 'c3' },
    undefined,
    { category: 'c5', reason: 'r5', firstSeen: '2024-01-05' },
    undefined,
    undefined,
    undefined,
  ];

  function run(): { initiator: Round; responder: Round; phases: string[]; labelFrames: Uint8Array[] } {
    const phases: string[] = [];
    const { initiator, responder } = pair(initiatorSet, responderSet, {
      initiator: {
        policy: policy({ labelFields: ['category', 'reason'] }),
        phaseTimer: (phase, work) => {
          phases.push(phase);
          return work();
        },
      },
      responder: { policy: policy({ labelFields: ['category', 'first_seen', 'reason'] }), labels: responderLabels },
    });
    const labelFrames: Uint8Array[] = [];
    pump(initiator, responder, {
      intercept: (m) => {
        if (m.from === 'responder' && m.kind === 'labels') labelFrames.push(m.bytes);
        return [m.bytes];
      },
    });
    return { initiator, responder, phases, labelFrames };
  }

  it('reports matches in ascending own index order with their digests, and no epoch part', () => {
    const { initiator } = run();
    const result = completed(initiator);
    const expected = common.map(indexOf).sort((x, y) => x - y);
    expect(expected).not.toEqual(common.map(indexOf));
    expect([...result.matches]).toEqual(expected);
    expect(hex(result.matchedDigests)).toBe(expected.map((i) => sortedInitiator[i]).join(''));
    expect(result.intersectionSize).toBe(6);
    expect(result.epoch).toBeUndefined();
    expect('epoch' in result).toBe(false);
  });

  it('receives only agreed label fields, and no entry for a label without any (SPEC §5.7)', () => {
    const { initiator, labelFrames } = run();
    const result = completed(initiator);
    expect(result.peerLabels).toStrictEqual(
      new Map<number, LabelValues>([
        [indexOf(common[0]!), { category: 'c0', reason: 'r0' }],
        [indexOf(common[2]!), { reason: 'r2' }],
        [indexOf(common[3]!), { category: 'c3' }],
        [indexOf(common[5]!), { category: 'c5', reason: 'r5' }],
      ]),
    );
    const entries = labelFrames.flatMap((bytes) => {
      const message = decodeMessage(bytes);
      return message.kind === 'labels' ? message.entries : [];
    });
    expect(entries).toHaveLength(4);
    for (const entry of entries) expect(entry.firstSeen).toBeUndefined();
  });

  it('does not send a reason that was not agreed', () => {
    const { initiator, responder } = pair(initiatorSet, responderSet, {
      initiator: { policy: policy({ labelFields: ['category'] }) },
      responder: { policy: policy({ labelFields: ['category', 'reason'] }), labels: responderLabels },
    });
    pump(initiator, responder);
    expect(completed(initiator).peerLabels).toStrictEqual(
      new Map<number, LabelValues>([
        [indexOf(common[0]!), { category: 'c0' }],
        [indexOf(common[3]!), { category: 'c3' }],
        [indexOf(common[5]!), { category: 'c5' }],
      ]),
    );
  });

  it('times one blinding of the precomputed own set and one proof per EVALUATED chunk', () => {
    const { phases } = run();
    expect(phases.filter((phase) => phase === 'blind')).toHaveLength(1);
    expect(phases.filter((phase) => phase === 'prove')).toHaveLength(1);
  });

  it('names the own-set label at fault when ownSet.labelOf returns an invalid label', () => {
    const digests = Uint8Array.from(Buffer.concat(common.map(hex).sort().map((h) => Buffer.from(h, 'hex'))));
    const ownSet: OwnSet = { size: common.length, load: () => ({ digests, labelOf: () => ({ category: 'x'.repeat(100_000) }) }) };
    const { initiator, responder } = pair(initiatorSet, [], {
      both: { policy: policy({ labelFields: ['category'] }) },
      responder: { ownSet },
    });
    pump(initiator, responder);
    const result = responder.result!;
    expect(result.status).toBe('aborted');
    if (result.status !== 'aborted') return;
    // A local fault (SPEC §9 internal-error), naming the own-set index whose label is invalid.
    expect(result.reason).toBe('internal-error');
    expect(result.error?.message).toBe('"ownSet.labelOf(2).category" expected a string of 1..64 UTF-8 bytes, got string of length 100000');
  });
});

describe('an ended round', () => {
  it('no longer holds the loaded own set', async () => {
    setFlagsFromString('--expose-gc');
    const gc = runInNewContext('gc') as () => void;
    const elements = ['g0', 'g1', 'g2'].map(digest);
    let loaded: WeakRef<Uint8Array> | undefined;
    const ownSet: OwnSet = {
      size: elements.length,
      load: () => {
        const digests = Uint8Array.from(Buffer.concat(elements.map(hex).sort().map((h) => Buffer.from(h, 'hex'))));
        loaded = new WeakRef(digests);
        return { digests };
      },
    };
    const { initiator, responder } = pair(elements, elements, { initiator: { ownSet } });
    pump(initiator, responder);
    expect(completed(initiator).intersectionSize).toBe(3);
    await new Promise((resolve) => setTimeout(resolve, 0));
    gc();
    expect(loaded).toBeDefined();
    expect(loaded!.deref()).toBeUndefined();
    expect(initiator.done).toBe(true);
  });
});

describe('cardinality round', () => {
  it('reveals a count, not positions or digests (SPEC §5.5)', () => {
    const common = ['m0', 'm1', 'm2'].map(digest);
    const { initiator, responder } = pair([digest('x'), ...common], [...common, digest('y')], { both: { mode: 'cardinality' } });
    pump(initiator, responder);
    for (const round of [initiator, responder]) {
      const result = completed(round);
      expect(result.intersectionSize).toBe(3);
      expect(result.matches).toHaveLength(0);
      expect(result.matchedDigests).toHaveLength(0);
    }
  });

  it('aborts with bad-point when the peer blinded list sums to the identity (SPEC §6.3)', () => {
    const p = hashToGroup(digest('p'), HASH_TO_GROUP_DST);
    // l − 1, little endian: (l − 1)·P = −P.
    const lMinus1 = Uint8Array.from(Buffer.from('ecd3f55c1a631258d69cf7a2def9de1400000000000000000000000000000010', 'hex'));
    const points = Uint8Array.from(Buffer.concat([p, scalarMult(lMinus1, p)]));
    const { initiator, responder } = pair([digest('i0'), digest('i1')], [digest('r0'), digest('r1')], { both: { mode: 'cardinality' } });
    pump(initiator, responder, {
      intercept: (m) => {
        if (m.from !== 'initiator' || m.kind !== 'blinded') return [m.bytes];
        const message = decodeMessage(m.bytes);
        return message.kind === 'blinded' ? [encodeMessage({ ...message, points })] : [m.bytes];
      },
    });
    const result = responder.result!;
    expect(result.status).toBe('aborted');
    if (result.status !== 'aborted') return;
    expect(result.reason).toBe('bad-point');
    expect(result.detail).toBe("the peer's blinded points sum to the identity");
    expect(result.error?.code).toBe('bad-point');
    expect(result.error?.message).toBe("the peer's blinded points sum to the identity");
    expect(result.error?.cause).toBeDefined();
  });

  it('reports a local rng failure while proving as an internal error, not a bad point of the peer', () => {
    let proving = false;
    const base = seededRng('round-b/rng');
    const { initiator, responder } = pair([digest('i0'), digest('i1')], [digest('r0'), digest('i1')], {
      both: { mode: 'cardinality' },
      responder: {
        rng: (length) => {
          if (proving) throw new Error('rng unavailable');
          return base(length);
        },
        phaseTimer: (phase, work) => {
          if (phase === 'prove') proving = true;
          return work();
        },
      },
    });
    pump(initiator, responder);
    const result = responder.result!;
    expect(result.status).toBe('aborted');
    if (result.status !== 'aborted') return;
    expect(result.reason).toBe('internal-error');
    expect(result.error?.code).toBe('internal-error');
    expect(result.error?.message).toBe('Error: rng unavailable');
  });
});

describe('epoch round labels and results (SPEC §13.7)', () => {
  const e = (tag: string, n: number): Uint8Array[] => Array.from({ length: n }, (_, i) => element(tag, i));
  const labelOf = (d: Uint8Array): LabelValues => ({ category: `cat-${hex(d).slice(0, 8)}` });
  const round1 = { initiator: [...e('a', 3), ...e('s', 3)], responder: [...e('b', 3), ...e('t', 3)] };
  // Round 2: each side adds what the other had since round 1, and both add n*.
  const round2 = { initiator: [...round1.initiator, ...e('t', 3), ...e('n', 3)], responder: [...round1.responder, ...e('s', 3), ...e('n', 3)] };

  type StateLabels = 'known' | 'none';
  function runRound(a: EpochParty, b: EpochParty, lists: typeof round1, stateLabels: StateLabels, known: readonly Uint8Array[][]): { initiator: Round; responder: Round; labelFrames: Uint8Array[] } {
    const build = (party: EpochParty, role: 'initiator' | 'responder', previous: readonly Uint8Array[]): Round => {
      const { epoch, additions } = party.next(lists[role]);
      const inState = new Set(previous.map(hex));
      const input: EpochRoundInput =
        stateLabels === 'none'
          ? epoch
          : { ...epoch, load: () => ({ ...epoch.load(), labelOf: (d: Uint8Array) => (inState.has(hex(d)) ? labelOf(d) : undefined) }) };
      return createRound(options(role, additions, {
        roundId: epochRoundId(party.index),
        rng: seededRng(`round-b/${role}/${party.index}`),
        policy: policy({ labelFields: ['category'] }),
        epoch: input,
        labels: additions.map(labelOf),
      }));
    };
    const initiator = build(a, 'initiator', known[0]!);
    const responder = build(b, 'responder', known[1]!);
    const labelFrames: Uint8Array[] = [];
    pump(initiator, responder, {
      intercept: (m) => {
        if (m.kind === 'labels') labelFrames.push(m.bytes);
        return [m.bytes];
      },
    });
    return { initiator, responder, labelFrames };
  }

  function twoRounds(stateLabels: StateLabels): ReturnType<typeof runRound> {
    const a = new EpochParty('initiator', 'round-b/a');
    const b = new EpochParty('responder', 'round-b/b');
    const first = runRound(a, b, round1, stateLabels, [[], []]);
    a.apply(completed(first.initiator));
    b.apply(completed(first.responder));
    return runRound(a, b, round2, stateLabels, [round1.initiator, round1.responder]);
  }

  it('labels new matches from the own set (additions) and the epoch state (earlier elements)', () => {
    const { initiator, responder, labelFrames } = twoRounds('known');
    for (const round of [initiator, responder]) {
      const result = completed(round);
      const newMatches = result.epoch!.newMatches;
      expect(newMatches.length / 32).toBe(9);
      expect(hex(result.matchedDigests)).toBe(hex(newMatches));
      expect(result.matches).toHaveLength(0);
      expect(result.peerLabels).toStrictEqual(new Map());
      const expected = new Map<number, LabelValues>();
      for (let i = 0; i < newMatches.length / 32; i++) expected.set(i, labelOf(newMatches.subarray(i * 32, (i + 1) * 32)));
      expect(result.epoch!.newMatchLabels).toStrictEqual(expected);
    }
    // LABELS entries of an epoch round go in ascending order of their key.
    for (const bytes of labelFrames) {
      const message = decodeMessage(bytes);
      if (message.kind !== 'labels') continue;
      const keys = message.entries.map((entry) => hex(entry.key));
      expect(keys).toHaveLength(9);
      expect(keys).toEqual([...keys].sort());
    }
  });

  it('completes without labels of earlier elements when the epoch state has no labelOf', () => {
    const { initiator, responder } = twoRounds('none');
    for (const round of [initiator, responder]) {
      const result = completed(round);
      // Only the 6 new matches that are this round's additions on the labelling side are labelled.
      expect(result.epoch!.newMatchLabels.size).toBe(6);
    }
  });

  it('names the new match at fault when the epoch state returns an invalid label', () => {
    const a = new EpochParty('initiator', 'round-b/e');
    const b = new EpochParty('responder', 'round-b/f');
    const first = runRound(a, b, round1, 'known', [[], []]);
    a.apply(completed(first.initiator));
    b.apply(completed(first.responder));
    // Round 2: the responder's earlier t* are new matches labelled from its epoch state, which fails.
    const lists = { initiator: [...round1.initiator, ...e('t', 3)], responder: round1.responder };
    const { epoch: ei, additions: ai } = a.next(lists.initiator);
    const { epoch: eb, additions: ab } = b.next(lists.responder);
    const bad: EpochRoundInput = { ...eb, load: () => ({ ...eb.load(), labelOf: () => ({ category: 'x'.repeat(100_000) }) }) };
    const common = { policy: policy({ labelFields: ['category'] }) };
    const initiator = createRound(options('initiator', ai, { ...common, roundId: epochRoundId(a.index), rng: seededRng('round-b/e2'), epoch: ei }));
    const responder = createRound(options('responder', ab, { ...common, roundId: epochRoundId(b.index), rng: seededRng('round-b/f2'), epoch: bad }));
    pump(initiator, responder);
    const result = responder.result!;
    expect(result.status).toBe('aborted');
    if (result.status !== 'aborted') return;
    expect(result.reason).toBe('internal-error');
    expect(result.error?.message).toBe('"labelOf(new match 1).category" expected a string of 1..64 UTF-8 bytes, got string of length 100000');
  });

  it("keeps the result's added digests when the caller reuses the loaded digest buffer", () => {
    const a = new EpochParty('initiator', 'round-b/c');
    const b = new EpochParty('responder', 'round-b/d');
    const { epoch, additions } = a.next(round1.initiator);
    const buffer = Uint8Array.from(Buffer.concat(additions));
    const ownSet: OwnSet = { size: additions.length, load: () => ({ digests: buffer }) };
    const initiator = createRound(options('initiator', [], { roundId: epochRoundId(a.index), rng: seededRng('round-b/c'), epoch, ownSet }));
    const next = b.next(round1.responder);
    const responder = createRound(options('responder', next.additions, { roundId: epochRoundId(b.index), rng: seededRng('round-b/d'), epoch: next.epoch }));
    pump(initiator, responder);
    const result = completed(initiator);
    const before = hex(result.epoch!.added.digests);
    expect(before).toBe(additions.map(hex).join(''));
    buffer.fill(0);
    expect(hex(result.epoch!.added.digests)).toBe(before);
  });
});
