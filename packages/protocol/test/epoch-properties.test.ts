/**
 * SPEC §13: after any sequence of incremental rounds, each side's matches equal a fresh full
 * round's over the current lists: random additions and removals on both sides, over several rounds.
 */
import { createRound, type CompletedResult } from '@venn/protocol';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { EpochParty, element, hex, naiveIntersection, runEpochRound } from './epoch-harness.js';
import { options, pump } from './harness.js';

/** A fresh plain round over two lists: the reference the epoch must agree with. */
function freshRound(a: readonly Uint8Array[], b: readonly Uint8Array[]): { initiator: string[]; responder: string[] } {
  const initiator = createRound(options('initiator', a));
  const responder = createRound(options('responder', b));
  pump(initiator, responder);
  const matched = (result: CompletedResult | undefined): string[] => {
    if (result === undefined) throw new Error('fresh round did not complete');
    return Array.from({ length: result.matchedDigests.length / 32 }, (_, i) => hex(result.matchedDigests.subarray(i * 32, i * 32 + 32))).sort();
  };
  const done = (round: typeof initiator): CompletedResult | undefined => (round.result?.status === 'completed' ? round.result : undefined);
  return { initiator: matched(done(initiator)), responder: matched(done(responder)) };
}

/** One step of a list's life: add or remove elements from a pool shared with the other side. */
const step = fc.record({
  addA: fc.array(fc.integer({ min: 0, max: 59 }), { maxLength: 12 }),
  removeA: fc.array(fc.integer({ min: 0, max: 59 }), { maxLength: 8 }),
  addB: fc.array(fc.integer({ min: 0, max: 59 }), { maxLength: 12 }),
  removeB: fc.array(fc.integer({ min: 0, max: 59 }), { maxLength: 8 }),
});

function apply(list: Set<number>, add: readonly number[], remove: readonly number[]): void {
  for (const i of add) list.add(i);
  for (const i of remove) list.delete(i);
}

describe('incremental rounds of an epoch (SPEC §13.7)', () => {
  it('match exactly what a fresh full round over the current lists matches (property)', () => {
    fc.assert(
      fc.property(
        fc.array(fc.integer({ min: 0, max: 59 }), { maxLength: 30 }),
        fc.array(fc.integer({ min: 0, max: 59 }), { maxLength: 30 }),
        fc.array(step, { minLength: 1, maxLength: 4 }),
        (startA, startB, steps) => {
          const a = new EpochParty('initiator', 'prop-a');
          const b = new EpochParty('responder', 'prop-b');
          const listA = new Set(startA);
          const listB = new Set(startB);
          // Elements drawn from one pool of 60, so the two lists overlap and re-add what they removed.
          const lists = () => ({ initiator: [...listA].map((i) => element('pool', i)), responder: [...listB].map((i) => element('pool', i)) });
          for (const change of [null, ...steps]) {
            if (change !== null) {
              apply(listA, change.addA, change.removeA);
              apply(listB, change.addB, change.removeB);
            }
            const current = lists();
            const run = runEpochRound(a, b, current);
            expect(run.results.initiator?.status).toBe('completed');
            expect(run.results.responder?.status).toBe('completed');
            const expected = naiveIntersection(current.initiator, current.responder);
            expect([...a.matches].sort()).toEqual(expected);
            expect([...b.matches].sort()).toEqual(expected);
            expect(run.results.initiator!.intersectionSize).toBe(expected.length);
            expect(run.results.responder!.peerIntersectionSize).toBe(expected.length);
          }
          const fresh = freshRound(lists().initiator, lists().responder);
          expect([...a.matches].sort()).toEqual(fresh.initiator);
          expect([...b.matches].sort()).toEqual(fresh.responder);
        },
      ),
      { numRuns: 25 },
    );
  });

  it('reports new and ended matches of each round, and only evaluates additions', () => {
    const a = new EpochParty('initiator', 'steps-a');
    const b = new EpochParty('responder', 'steps-b');
    const pool = (i: number): Uint8Array => element('steps', i);
    const digestsOf = (result: CompletedResult | undefined, field: 'newMatches' | 'endedMatches'): string[] => {
      const bytes = result!.epoch![field];
      return Array.from({ length: bytes.length / 32 }, (_, i) => hex(bytes.subarray(i * 32, i * 32 + 32)));
    };
    // Round 0: {0..9} against {5..14}.
    let run = runEpochRound(a, b, { initiator: [0, 1, 2, 3, 4, 5, 6, 7, 8, 9].map(pool), responder: [5, 6, 7, 8, 9, 10, 11, 12, 13, 14].map(pool) });
    expect(digestsOf(run.results.initiator, 'newMatches')).toEqual([5, 6, 7, 8, 9].map((i) => hex(pool(i))).sort());
    expect(run.results.initiator!.evaluationsSent).toBe(10);
    // Round 1: a adds 10 (held by b: a new match for both, from an old element of b), drops 5; b drops 6, adds 20.
    run = runEpochRound(a, b, { initiator: [0, 1, 2, 3, 4, 6, 7, 8, 9, 10].map(pool), responder: [5, 7, 8, 9, 10, 11, 12, 13, 14, 20].map(pool) });
    expect(digestsOf(run.results.initiator, 'newMatches')).toEqual([hex(pool(10))]);
    expect(digestsOf(run.results.responder, 'newMatches')).toEqual([hex(pool(10))]);
    expect(digestsOf(run.results.initiator, 'endedMatches').sort()).toEqual([hex(pool(5)), hex(pool(6))].sort());
    expect(digestsOf(run.results.responder, 'endedMatches').sort()).toEqual([hex(pool(5)), hex(pool(6))].sort());
    expect(run.results.initiator!.intersectionSize).toBe(4);
    // Only the additions were evaluated: one each way.
    expect(run.results.initiator!.evaluationsSent).toBe(1);
    expect(run.results.responder!.evaluationsSent).toBe(1);
    expect(run.results.initiator!.epoch!.ownCount).toBe(10);
    // Round 2: nothing changed on either side; a round still completes, with nothing evaluated.
    run = runEpochRound(a, b, { initiator: [0, 1, 2, 3, 4, 6, 7, 8, 9, 10].map(pool), responder: [5, 7, 8, 9, 10, 11, 12, 13, 14, 20].map(pool) });
    expect(run.results.initiator!.evaluationsSent + run.results.responder!.evaluationsSent).toBe(0);
    expect(run.results.initiator!.intersectionSize).toBe(4);
    // Round 3: a re-adds 5, which b removed: no match; b re-adds 6, which a removed: no match.
    run = runEpochRound(a, b, { initiator: [0, 1, 2, 3, 4, 5, 7, 8, 9, 10].map(pool), responder: [6, 7, 8, 9, 10, 11, 12, 13, 14, 20].map(pool) });
    expect(digestsOf(run.results.initiator, 'newMatches')).toEqual([]);
    expect(run.results.initiator!.intersectionSize).toBe(4);
  });

  it('carries labels of new matches, from an old element as well as from an addition', () => {
    const a = new EpochParty('initiator', 'labels-a');
    const b = new EpochParty('responder', 'labels-b');
    const listA = [element('l', 1), element('l', 2)];
    const labelsA = [{ category: 'distillation' }, { reason: 'card ring' }];
    const both = { labelFields: ['category', 'reason'] as const };
    const tweak = {
      initiator: { labels: labelsA, policy: { maxPeerSetSize: 100, evaluationAllowance: 100, modes: ['intersection' as const], labelFields: [...both.labelFields], semiHonestCardinality: false, allowIdentifierRulesMismatch: false } },
      responder: { policy: { maxPeerSetSize: 100, evaluationAllowance: 100, modes: ['intersection' as const], labelFields: [...both.labelFields], semiHonestCardinality: false, allowIdentifierRulesMismatch: false } },
    };
    runEpochRound(a, b, { initiator: listA, responder: [element('l', 2)] }, tweak);
    expect(b.labels.get(hex(element('l', 2)))).toEqual({ reason: 'card ring' });
    // b now adds element 1, an old element of a: a sends its label in this round.
    runEpochRound(a, b, { initiator: listA, responder: [element('l', 2), element('l', 1)] }, tweak);
    expect(b.labels.get(hex(element('l', 1)))).toEqual({ category: 'distillation' });
    expect([...b.matches].sort()).toEqual([hex(element('l', 1)), hex(element('l', 2))].sort());
  });

  it('lets a responder add only what the initiator caps allow, the rest in later rounds', () => {
    const a = new EpochParty('initiator', 'cap-a');
    const b = new EpochParty('responder', 'cap-b');
    const big = Array.from({ length: 50 }, (_, i) => element('big', i));
    const small = [element('big', 3), element('big', 47), element('small', 0)];
    const capped = { policy: { maxPeerSetSize: 20, evaluationAllowance: 20, modes: ['intersection' as const], labelFields: [], semiHonestCardinality: false, allowIdentifierRulesMismatch: false } };
    const added: number[] = [];
    for (let round = 0; round < 4; round++) {
      const run = runEpochRound(a, b, { initiator: small, responder: big }, { initiator: capped });
      added.push(run.results.responder!.epoch!.added.digests.length / 32);
    }
    expect(added).toEqual([20, 20, 10, 0]);
    expect([...a.matches].sort()).toEqual(naiveIntersection(small, big));
    expect([...b.matches].sort()).toEqual(naiveIntersection(big, small));
  });
});
