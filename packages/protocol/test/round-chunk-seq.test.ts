/**
 * SPEC §4.5 chunk checks 1–3, in their order: a chunk whose `seq` is at or beyond the declared
 * count is count-mismatch even when it arrives first (so it is not taken for an early chunk,
 * unexpected-message), a repeated chunk is duplicate-chunk, for BLINDED, EVALUATED, REMOVED (epoch
 * rounds) and LABELS. Each test has a malicious party change one frame and pins the honest party's
 * abort reason, its error's class and code, what the peer was told, and that nothing was evaluated.
 */
import { ProtocolError } from '@venn/errors';
import { type AbortReason, type AbortedResult, type Phase, type Round, type Role } from '@venn/protocol';
import { decodeMessage, encodeMessage, type Message, type MessageKind } from '@venn/wire';
import { describe, expect, it } from 'vitest';
import { EpochParty, element, runEpochRound } from './epoch-harness.js';
import { digest, pair, policy, pump, type InFlight } from './harness.js';

const setA = ['s1', 's2', 'a1', 'a2'].map(digest);
const setB = ['s1', 's2', 'b1', 'b2', 'b3'].map(digest);

function aborted(round: Round): AbortedResult {
  const result = round.result;
  if (result?.status !== 'aborted') throw new Error(`expected an aborted round, got ${result?.status}`);
  return result;
}

/**
 * `honest` aborted with `reason` (typed ProtocolError with that code); `peer` was told so by the
 * ABORT, unless it had already completed (`peerMayComplete`: the bad frame came after its FINISH).
 */
function expectAbort(honest: Round, peer: Round, reason: AbortReason, detail: RegExp, peerMayComplete = false): AbortedResult {
  const result = aborted(honest);
  expect(result.reason).toBe(reason);
  expect(result.error).toBeInstanceOf(ProtocolError);
  expect(result.error?.code).toBe(reason);
  expect(result.detail).toMatch(detail);
  if (peerMayComplete && peer.result?.status === 'completed') return result;
  const told = aborted(peer);
  expect(told.reason).toBe('peer-abort');
  expect(told.peerReason).toBe(reason);
  return result;
}

/** Replaces the first frame of `kind` from `from` with what `change` returns. */
function rewriteFirst(from: Role, kind: MessageKind, change: (message: Message, bytes: Uint8Array) => Uint8Array[]): (m: InFlight) => Uint8Array[] {
  let done = false;
  return (m) => {
    if (done || m.from !== from || m.kind !== kind) return [m.bytes];
    done = true;
    return change(decodeMessage(m.bytes), m.bytes);
  };
}

const withSeq = (seq: number) => (message: Message): Uint8Array[] => [encodeMessage({ ...message, seq } as Message)];

function phaseCounter(): { timer: <T>(phase: Phase, work: () => T) => T; counts: Map<Phase, number> } {
  const counts = new Map<Phase, number>();
  return { counts, timer: (phase, work) => { counts.set(phase, (counts.get(phase) ?? 0) + 1); return work(); } };
}

describe('BLINDED: a seq beyond the declared count', () => {
  it.each([1, 2, 255])('seq %i as the first (and only) chunk of a one-chunk stream is count-mismatch, not an early chunk', (seq) => {
    const phases = phaseCounter();
    const { initiator, responder } = pair(setA, setB, { responder: { phaseTimer: phases.timer } });
    pump(initiator, responder, { intercept: rewriteFirst('initiator', 'blinded', withSeq(seq)) });
    const result = expectAbort(responder, initiator, 'count-mismatch', new RegExp(`^BLINDED chunk ${seq} exceeds the declared ${setA.length} points$`));
    expect(result.evaluationsSent).toBe(0);
    expect(result.peerSetSize).toBe(setA.length);
    expect(phases.counts.get('evaluate')).toBeUndefined();
  });

  it('a BLINDED chunk from a peer that declared an empty set is count-mismatch', () => {
    const { initiator, responder } = pair(setA, []);
    const point = new Uint8Array(32);
    pump(initiator, responder, {
      intercept: rewriteFirst('responder', 'offer', (m, bytes) => [bytes, encodeMessage({ kind: 'blinded', roundId: m.roundId, seq: 0, points: point })]),
    });
    const result = expectAbort(initiator, responder, 'count-mismatch', /^BLINDED chunk 0 exceeds the declared 0 points$/);
    expect(result.peerSetSize).toBe(0);
  });

  it('seq 0 sent twice is duplicate-chunk, the repeat refused before it is evaluated again', () => {
    const phases = phaseCounter();
    const { initiator, responder } = pair(setA, setB, { responder: { phaseTimer: phases.timer } });
    pump(initiator, responder, { intercept: rewriteFirst('initiator', 'blinded', (_, bytes) => [bytes, bytes]) });
    expectAbort(responder, initiator, 'duplicate-chunk', /^BLINDED chunk 0 arrived twice$/);
    expect(phases.counts.get('evaluate')).toBe(1);
  });
});

describe('BLINDED: invalid points', () => {
  it('an invalid encoding is bad-point, with the crypto error as the cause', () => {
    const { initiator, responder } = pair(setA, setB);
    pump(initiator, responder, {
      intercept: rewriteFirst('initiator', 'blinded', (m) => {
        const points = (m as Extract<Message, { kind: 'blinded' }>).points.slice();
        points.fill(0xff, 32, 64);
        return [encodeMessage({ ...m, points } as Message)];
      }),
    });
    const result = expectAbort(responder, initiator, 'bad-point', /^BLINDED chunk 0: /);
    expect((result.error?.cause as { name: string }).name).toBe('CryptoError');
  });
});

describe('LABELS before the evaluations', () => {
  it('LABELS instead of the first EVALUATED chunk is unexpected-message', () => {
    const both = { policy: policy({ labelFields: ['reason'] }) };
    const { initiator, responder } = pair(setA, setB, { both, responder: { labels: setB.map(() => ({ reason: 'r' })) } });
    pump(initiator, responder, {
      intercept: rewriteFirst('responder', 'evaluated', (m) => [encodeMessage({ kind: 'labels', roundId: m.roundId, seq: 0, end: true, entries: [] })]),
    });
    expectAbort(initiator, responder, 'unexpected-message', /^LABELS arrived before this party had the peer's evaluations of its whole list$/);
  });
});

describe('EVALUATED: a seq beyond the declared count', () => {
  it.each([1, 7])('seq %i as the first EVALUATED chunk is count-mismatch before its proof is checked', (seq) => {
    const phases = phaseCounter();
    const { initiator, responder } = pair(setA, setB, { initiator: { phaseTimer: phases.timer } });
    pump(initiator, responder, { intercept: rewriteFirst('responder', 'evaluated', withSeq(seq)) });
    const result = expectAbort(initiator, responder, 'count-mismatch', new RegExp(`^EVALUATED chunk ${seq} exceeds the declared ${setA.length} points$`));
    expect(result.evaluationsReceived).toBe(0);
    expect(phases.counts.get('verify')).toBeUndefined();
  });

  it('in cardinality mode too, before the sum proof', () => {
    const { initiator, responder } = pair(setA, setB, { both: { mode: 'cardinality' } });
    pump(initiator, responder, { intercept: rewriteFirst('responder', 'evaluated', withSeq(1)) });
    const result = expectAbort(initiator, responder, 'count-mismatch', /^EVALUATED chunk 1 exceeds the declared 4 points$/);
    expect(result.evaluationsReceived).toBe(0);
  });

  it('an EVALUATED chunk with one point too many is count-mismatch naming both counts', () => {
    const { initiator, responder } = pair(setA, setB);
    pump(initiator, responder, {
      intercept: rewriteFirst('responder', 'evaluated', (m) => {
        const chunk = m as Extract<Message, { kind: 'evaluated' }>;
        return [encodeMessage({ ...chunk, points: Uint8Array.from([...chunk.points, ...chunk.points.subarray(0, 32)]) })];
      }),
    });
    expectAbort(initiator, responder, 'count-mismatch', /^EVALUATED chunk 0 carries 5 points, expected 4$/);
  });
});

describe('LABELS: the chunk order', () => {
  const labels = setA.map((_, i) => ({ reason: `r${i}` }));
  const both = { policy: policy({ labelFields: ['reason'] }) };

  it('LABELS seq 1 first is unexpected-message (LABELS has no declared count)', () => {
    const { initiator, responder } = pair(setA, setB, { both, initiator: { labels } });
    pump(initiator, responder, { intercept: rewriteFirst('initiator', 'labels', withSeq(1)) });
    expectAbort(responder, initiator, 'unexpected-message', /^LABELS chunk 1 arrived before chunk 0$/);
  });

  it('the last LABELS chunk sent twice is unexpected-message: the end is checked before the order', () => {
    const { initiator, responder } = pair(setA, setB, { both, initiator: { labels } });
    pump(initiator, responder, { intercept: rewriteFirst('initiator', 'labels', (_, bytes) => [bytes, bytes]) });
    expectAbort(responder, initiator, 'unexpected-message', /^LABELS arrived after the last LABELS chunk$/, true);
  });

  it('a LABELS chunk after the last one is unexpected-message', () => {
    const { initiator, responder } = pair(setA, setB, { both, initiator: { labels } });
    pump(initiator, responder, {
      intercept: rewriteFirst('initiator', 'labels', (m, bytes) => [bytes, encodeMessage({ ...(m as Extract<Message, { kind: 'labels' }>), seq: 1, entries: [] })]),
    });
    expectAbort(responder, initiator, 'unexpected-message', /^LABELS arrived after the last LABELS chunk$/, true);
  });
});

describe('REMOVED (epoch rounds): a seq beyond the declared removals', () => {
  const pool = (i: number): Uint8Array => element('chunk-seq', i);

  /** An epoch after its start (a holds 0..3, b holds 2..5); round 1 has a remove element 0. */
  function removalRound(change: (message: Message, bytes: Uint8Array) => Uint8Array[]) {
    const a = new EpochParty('initiator', 'chunk-seq-a');
    const b = new EpochParty('responder', 'chunk-seq-b');
    const first = runEpochRound(a, b, { initiator: [0, 1, 2, 3].map(pool), responder: [2, 3, 4, 5].map(pool) });
    expect(first.results.initiator?.status).toBe('completed');
    return runEpochRound(a, b, { initiator: [1, 2, 3].map(pool), responder: [2, 3, 4, 5].map(pool) }, { pump: { intercept: rewriteFirst('initiator', 'removed', change) } });
  }

  it('an honest removal round completes (the baseline the attacks change one frame of)', () => {
    const run = removalRound((_, bytes) => [bytes]);
    expect(run.results.initiator?.status).toBe('completed');
    expect(run.results.responder?.status).toBe('completed');
  });

  it.each([1, 3])('REMOVED seq %i as the first chunk is count-mismatch', (seq) => {
    const run = removalRound(withSeq(seq));
    const result = expectAbort(run.responder, run.initiator, 'count-mismatch', new RegExp(`^REMOVED chunk ${seq} exceeds the declared 1 points$`));
    expect(result.evaluationsSent).toBe(0);
  });

  it('REMOVED values are checked against the epoch, not as points: an invalid encoding is bad-removal, not bad-point', () => {
    const run = removalRound((m) => [encodeMessage({ ...(m as Extract<Message, { kind: 'removed' }>), points: new Uint8Array(32).fill(0xff) })]);
    expectAbort(run.responder, run.initiator, 'bad-removal', /./);
  });

  it('REMOVED seq 0 twice is duplicate-chunk', () => {
    const run = removalRound((_, bytes) => [bytes, bytes]);
    expectAbort(run.responder, run.initiator, 'duplicate-chunk', /^REMOVED chunk 0 arrived twice$/, true);
  });

  it('REMOVED before the last BLINDED chunk is unexpected-message', () => {
    const a = new EpochParty('initiator', 'chunk-seq-a');
    const b = new EpochParty('responder', 'chunk-seq-b');
    runEpochRound(a, b, { initiator: [0, 1, 2, 3].map(pool), responder: [2, 3, 4, 5].map(pool) });
    // Round 1: a adds element 6 and removes element 0; its REMOVED chunk overtakes its BLINDED chunk.
    let held: Uint8Array | undefined;
    const run = runEpochRound(a, b, { initiator: [1, 2, 3, 6].map(pool), responder: [2, 3, 4, 5].map(pool) }, {
      pump: {
        intercept: (m) => {
          if (m.from === 'initiator' && m.kind === 'blinded') {
            held = m.bytes;
            return [];
          }
          if (m.from === 'initiator' && m.kind === 'removed') return [m.bytes, held!];
          return [m.bytes];
        },
      },
    });
    expectAbort(run.responder, run.initiator, 'unexpected-message', /^REMOVED arrived after 0 of the peer's 1 BLINDED chunks$/);
  });
});

describe('REMOVED over two chunks (more than 4,096 removals)', () => {
  const pool = (i: number): Uint8Array => element('two-chunks', i);
  const many = Array.from({ length: 4100 }, (_, i) => i);

  /** a holds 0..4099 and b holds 0, 1, 4099, 4200; in round 1 a keeps 4098, 4099 and adds 5000, removing 4,098 elements: a chunk of 4,096 and one of 2. */
  function twoChunkRemoval(intercept?: (m: InFlight) => Uint8Array[]) {
    const a = new EpochParty('initiator', 'two-chunks-a');
    const b = new EpochParty('responder', 'two-chunks-b');
    const lists = { initiator: many.map(pool), responder: [0, 1, 4099, 4200].map(pool) };
    const first = runEpochRound(a, b, lists);
    expect(first.results.initiator?.intersectionSize).toBe(3);
    return runEpochRound(a, b, { initiator: [4098, 4099, 5000].map(pool), responder: lists.responder }, intercept === undefined ? {} : { pump: { intercept } });
  }

  it('an honest round completes with the right intersection, the stream\'s order checked across the chunk boundary', () => {
    const sizes: number[] = [];
    const run = twoChunkRemoval((m) => {
      if (m.from === 'initiator' && m.kind === 'removed') sizes.push((decodeMessage(m.bytes) as Extract<Message, { kind: 'removed' }>).points.length / 32);
      return [m.bytes];
    });
    expect(sizes).toEqual([4096, 2]);
    expect(run.results.initiator?.intersectionSize).toBe(1);
    expect(run.results.responder?.intersectionSize).toBe(1);
  });

  it('the first value of chunk 1 below the last of chunk 0 is bad-removal', () => {
    let held: Extract<Message, { kind: 'removed' }> | undefined;
    const run = twoChunkRemoval((m) => {
      if (m.from !== 'initiator' || m.kind !== 'removed') return [m.bytes];
      const chunk = decodeMessage(m.bytes) as Extract<Message, { kind: 'removed' }>;
      if (chunk.seq === 0) {
        held = chunk;
        return [];
      }
      // Swap the values either side of the boundary: each chunk stays ascending inside.
      const zero = Buffer.concat([held!.points.subarray(0, 4095 * 32), chunk.points.subarray(0, 32)]);
      const one = Buffer.concat([held!.points.subarray(4095 * 32), chunk.points.subarray(32)]);
      return [encodeMessage({ ...held!, points: zero }), encodeMessage({ ...chunk, points: one })];
    });
    const result = expectAbort(run.responder, run.initiator, 'bad-removal', /^REMOVED chunk 1 value 0 is not above the value before it/);
    expect(result.evaluationsSent).toBe(0);
  });
});

describe('LABELS: a repeated chunk', () => {
  it('LABELS chunk 0 sent twice before the last chunk is duplicate-chunk', () => {
    // 600 matches with a label: a chunk of 512 entries (not the last) and one of 88.
    const shared = Array.from({ length: 600 }, (_, i) => digest(`labelled-${i}`));
    const labels = shared.map((_, i) => ({ reason: `r${i}` }));
    const { initiator, responder } = pair(shared, shared, { both: { policy: policy({ labelFields: ['reason'] }) }, initiator: { labels } });
    const sent: number[] = [];
    pump(initiator, responder, {
      intercept: rewriteFirst('initiator', 'labels', (m, bytes) => {
        const chunk = m as Extract<Message, { kind: 'labels' }>;
        sent.push(chunk.seq, chunk.entries.length, Number(chunk.end));
        return [bytes, bytes];
      }),
    });
    expect(sent).toEqual([0, 512, 0]);
    expectAbort(responder, initiator, 'duplicate-chunk', /^LABELS chunk 0 arrived twice$/, true);
  });
});
