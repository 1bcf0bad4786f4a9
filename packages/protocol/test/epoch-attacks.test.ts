/**
 * SPEC §13.6, §13.9: a malicious roster member inside an epoch. Each test plays one attack on the
 * honest peer's round and checks that the round refuses it before serving anything it should not.
 */
import { GENERATOR, type AbortedResult, type Round } from '@venn/protocol';
import { randomScalar, scalarMult } from '@venn/crypto';
import { decodeMessage, encodeMessage, type Message } from '@venn/wire';
import { describe, expect, it } from 'vitest';
import { seededRng } from '../scripts/seeded-rng.js';
import { EpochParty, element, epochId, runEpochRound } from './epoch-harness.js';
import type { InFlight } from './harness.js';

const pool = (i: number): Uint8Array => element('attack', i);
const listA0 = [0, 1, 2, 3].map(pool);
const listB0 = [2, 3, 4, 5].map(pool);

/** An epoch after its start: a holds {0..3}, b holds {2..5}; the frames a sent in round 0. */
function started(): { a: EpochParty; b: EpochParty; roundZero: InFlight[] } {
  const a = new EpochParty('initiator', 'attack-a');
  const b = new EpochParty('responder', 'attack-b');
  const roundZero: InFlight[] = [];
  runEpochRound(a, b, { initiator: listA0, responder: listB0 }, { pump: { intercept: (m) => { roundZero.push(m); return [m.bytes]; } } });
  expect(a.index).toBe(1);
  return { a, b, roundZero };
}

function aborted(round: Round): AbortedResult {
  const result = round.result;
  if (result?.status !== 'aborted') throw new Error(`expected an aborted round, got ${result?.status}`);
  return result;
}

/** Replaces the frames of one kind from the initiator with `rewrite(message)`. */
function rewriting(kind: Message['kind'], rewrite: (message: Message, index: number) => Message | Uint8Array): { intercept: (m: InFlight) => Uint8Array[] } {
  let index = 0;
  return {
    intercept: (m) => {
      if (m.from !== 'initiator' || m.kind !== kind) return [m.bytes];
      const out = rewrite(decodeMessage(m.bytes), index++);
      return [out instanceof Uint8Array ? out : encodeMessage(out)];
    },
  };
}

describe('a peer that re-sends additions to have them evaluated again', () => {
  it('is refused with duplicate-addition before any evaluation is served', () => {
    const { a, b, roundZero } = started();
    // a's round-0 blinded point of one of its elements, under the same epoch key.
    const old = roundZero.find((m) => m.from === 'initiator' && m.kind === 'blinded')!;
    const oldPoint = (decodeMessage(old.bytes) as Extract<Message, { kind: 'blinded' }>).points.slice(0, 32);
    const run = runEpochRound(a, b, { initiator: [...listA0, pool(9)], responder: listB0 }, {
      pump: rewriting('blinded', (message) => ({ ...(message as Extract<Message, { kind: 'blinded' }>), points: oldPoint })),
    });
    const result = aborted(run.responder);
    expect(result.reason).toBe('duplicate-addition');
    expect(result.evaluationsSent).toBe(0);
  });

  it('is refused when one round repeats an addition', () => {
    const { a, b } = started();
    const run = runEpochRound(a, b, { initiator: [...listA0, pool(9), pool(10)], responder: listB0 }, {
      pump: rewriting('blinded', (message) => {
        const chunk = message as Extract<Message, { kind: 'blinded' }>;
        const points = chunk.points.slice();
        points.set(points.subarray(0, 32), 32);
        return { ...chunk, points };
      }),
    });
    expect(aborted(run.responder).reason).toBe('duplicate-addition');
    expect(aborted(run.responder).evaluationsSent).toBe(0);
  });

  it('pays for a re-blinded element: a new point is a new query, evaluated and counted', () => {
    const { a, b, roundZero } = started();
    const old = roundZero.find((m) => m.from === 'initiator' && m.kind === 'blinded')!;
    const r = randomScalar(seededRng('attack/reblind'));
    const reblinded = scalarMult(r, (decodeMessage(old.bytes) as Extract<Message, { kind: 'blinded' }>).points.slice(0, 32));
    const run = runEpochRound(a, b, { initiator: [...listA0, pool(9)], responder: listB0 }, {
      pump: rewriting('blinded', (message) => ({ ...(message as Extract<Message, { kind: 'blinded' }>), points: reblinded })),
    });
    // b evaluates it (it cannot tell it from a fresh element) and counts it like any evaluation.
    const served = run.responder.result!.evaluationsSent;
    expect(served).toBe(1);
  });
});

describe('a peer that breaks the chain', () => {
  it('forges the chain link (prev): epoch-mismatch, nothing evaluated', () => {
    const { a, b } = started();
    const run = runEpochRound(a, b, { initiator: [...listA0, pool(9)], responder: listB0 }, { initiator: { epoch: { previousHash: new Uint8Array(64).fill(7) } } });
    expect(aborted(run.responder).reason).toBe('epoch-mismatch');
    expect(aborted(run.responder).evaluationsSent).toBe(0);
  });

  it('changes its key mid-epoch: epoch-mismatch', () => {
    const { a, b } = started();
    const run = runEpochRound(a, b, { initiator: [...listA0, pool(9)], responder: listB0 }, { initiator: { epoch: { key: randomScalar(seededRng('attack/other-key')) } } });
    const result = aborted(run.responder);
    expect(result.reason).toBe('epoch-mismatch');
    expect(result.detail).toMatch(/K differs/);
  });

  it('names another epoch, or another round of it: epoch-mismatch', () => {
    for (const epoch of [{ id: new Uint8Array(32).fill(1) }, { index: 5 }]) {
      const { a, b } = started();
      const run = runEpochRound(a, b, { initiator: listA0, responder: listB0 }, { initiator: { epoch } });
      expect(aborted(run.responder).reason).toBe('epoch-mismatch');
    }
  });

  it('states a count that does not follow from its additions and removals: epoch-mismatch', () => {
    const { a, b } = started();
    const run = runEpochRound(a, b, { initiator: [...listA0, pool(9)], responder: listB0 }, {
      pump: rewriting('offer', (message) => {
        const offer = message as Extract<Message, { kind: 'offer' }>;
        return { ...offer, epoch: { ...offer.epoch!, accumulated: offer.epoch!.accumulated + 1 } };
      }),
    });
    expect(aborted(run.responder).reason).toBe('epoch-mismatch');
  });

  it('sends a plain OFFER into an epoch round, or an epoch OFFER into a plain one: epoch-mismatch', () => {
    const { a, b } = started();
    const run = runEpochRound(a, b, { initiator: listA0, responder: listB0 }, {
      pump: rewriting('offer', (message) => {
        const { epoch: _, ...plain } = message as Extract<Message, { kind: 'offer' }>;
        return plain;
      }),
    });
    expect(aborted(run.responder).reason).toBe('epoch-mismatch');
  });

  it('removes more than it holds: epoch-mismatch', () => {
    const { a, b } = started();
    // a holds 4, adds 2 and removes 1 (acc 5); the rewritten OFFER removes 5 with a matching acc of 1.
    const run = runEpochRound(a, b, { initiator: [...listA0.slice(1), pool(9), pool(10)], responder: listB0 }, {
      pump: rewriting('offer', (message) => {
        const offer = message as Extract<Message, { kind: 'offer' }>;
        return { ...offer, epoch: { ...offer.epoch!, removals: 5, accumulated: 1 } };
      }),
    });
    expect(aborted(run.responder).detail).toMatch(/removes 5 elements but the peer holds 4/);
    expect(aborted(run.responder).reason).toBe('epoch-mismatch');
  });
});

describe('a peer that removes what it never added', () => {
  it('a value outside the epoch: bad-removal', () => {
    const { a, b } = started();
    const run = runEpochRound(a, b, { initiator: listA0.slice(1), responder: listB0 }, {
      pump: rewriting('removed', (message) => ({ ...(message as Extract<Message, { kind: 'removed' }>), points: GENERATOR })),
    });
    expect(aborted(run.responder).reason).toBe('bad-removal');
    expect(aborted(run.responder).evaluationsSent).toBe(0);
  });

  it('a value twice, or out of order: bad-removal', () => {
    const { a, b } = started();
    const run = runEpochRound(a, b, { initiator: listA0.slice(2), responder: listB0 }, {
      pump: rewriting('removed', (message) => {
        const chunk = message as Extract<Message, { kind: 'removed' }>;
        const points = chunk.points.slice();
        points.set(chunk.points.subarray(0, 32), 32);
        return { ...chunk, points };
      }),
    });
    expect(aborted(run.responder).reason).toBe('bad-removal');
  });

  it('EVALUATED before the REMOVED stream it declared: unexpected-message, nothing accepted', () => {
    const { a, b } = started();
    // a drops element 0 and adds 9: its OFFER declares one removal; an EVALUATED chunk goes ahead of its REMOVED chunk.
    const run = runEpochRound(a, b, { initiator: [...listA0.slice(1), pool(9)], responder: listB0 }, {
      pump: {
        intercept: (m) => {
          if (m.from !== 'initiator' || m.kind !== 'removed') return [m.bytes];
          const early = encodeMessage({ kind: 'evaluated', roundId: decodeMessage(m.bytes).roundId, seq: 0, points: GENERATOR, proof: new Uint8Array(64) });
          return [early, m.bytes];
        },
      },
    });
    const result = aborted(run.responder);
    expect(result.reason).toBe('unexpected-message');
    expect(result.detail).toBe("EVALUATED arrived after 0 of the peer's 1 REMOVED chunks");
    expect(result.evaluationsReceived).toBe(0);
    expect(aborted(run.initiator).peerReason).toBe('unexpected-message');
  });

  it('REMOVED in a round outside any epoch: unexpected-message', async () => {
    const { pair, pump } = await import('./harness.js');
    const rounds = pair(listA0, listB0);
    let injected = false;
    pump(rounds.initiator, rounds.responder, {
      intercept: (m) => {
        if (m.from !== 'initiator' || m.kind !== 'blinded' || injected) return [m.bytes];
        injected = true;
        const removed = encodeMessage({ kind: 'removed', roundId: decodeMessage(m.bytes).roundId, seq: 0, points: GENERATOR });
        return [m.bytes, removed];
      },
    });
    expect(aborted(rounds.responder).reason).toBe('unexpected-message');
  });
});

describe('state that diverged', () => {
  it('a party whose stored intersection size is off claims another size: the round is disputed', () => {
    const { a, b } = started();
    a.intersectionSize += 1;
    const run = runEpochRound(a, b, { initiator: listA0, responder: listB0 });
    expect(run.initiator.result?.status).toBe('disputed');
    expect(run.responder.result?.status).toBe('disputed');
  });

  it('a party whose state lost a value of T refuses the peer\'s removal of it (bad-removal)', () => {
    const { a, b } = started();
    // a forgets b's element 2 (a match), then b removes it.
    const matched = [...a.own.values()].map((value) => Buffer.from(value).toString('hex')).find((value) => a.peer.has(value))!;
    a.peer.delete(matched);
    a.peer.add(Buffer.from(GENERATOR).toString('hex'));
    const run = runEpochRound(a, b, { initiator: listA0, responder: listB0.filter((digest) => Buffer.from(digest).toString('hex') !== Buffer.from(pool(2)).toString('hex') && Buffer.from(digest).toString('hex') !== Buffer.from(pool(3)).toString('hex')) });
    expect(aborted(run.initiator).reason).toBe('bad-removal');
  });

  it('the epoch id in the OFFER is the one given', () => {
    const { a, b } = started();
    let seen: Uint8Array | undefined;
    runEpochRound(a, b, { initiator: listA0, responder: listB0 }, {
      pump: { intercept: (m) => { if (m.kind === 'offer' && m.from === 'responder') seen = (decodeMessage(m.bytes) as Extract<Message, { kind: 'offer' }>).epoch!.id; return [m.bytes]; } },
    });
    expect(Buffer.from(seen!).equals(Buffer.from(epochId))).toBe(true);
  });
});
