/**
 * SPEC §4.4 S3 → S5: in intersection mode a party matches, sends LABELS and FINISH only once it has
 * sent every EVALUATED chunk it owes and accepted every one the peer owes it. Two real rounds are
 * driven frame by frame, with two chunks on a side (4,097 elements, the fewest that take two), and
 * each party's output is pinned after each peer EVALUATED chunk: after the first of two, only the
 * EVALUATED chunk the release rule now allows, no match, no LABELS, no FINISH, no result; after the
 * last, the match and LABELS, then FINISH once the peer's LABELS are in, and the right intersection.
 *
 * The other way to be short, every peer chunk accepted but an own chunk still unsent, cannot occur
 * where the round checks it (right after sending what the rule allows): own chunk a goes once
 * need(a) = ceil((a + 1)·c_X / c_Y) − 1 of the peer's c_X chunks are in, and need(a) ≤
 * need(c_Y − 1) = c_X − 1, so a party still holding an own chunk back has accepted at most c_X − 2
 * of the peer's. Whatever the peer sends, the call that accepts its last chunk has sent every own
 * chunk by then; the tests check that this call sends no EVALUATED chunk.
 */
import { type CompletedResult, type Phase, type Round } from '@venn/protocol';
import { MAX_CHUNK_POINTS, decodeMessage, pointChunkCount, type LabelValues } from '@venn/wire';
import { describe, expect, it } from 'vitest';
import { digest, pair, policy } from './harness.js';

const hex = (bytes: Uint8Array): string => Buffer.from(bytes).toString('hex');

/** One party under test: the frames it sent so far, in order, and how often it matched. */
interface Party {
  readonly round: Round;
  readonly sent: Uint8Array[];
  readonly matches: { count: number };
}

function party(round: Round, matches: { count: number }): Party {
  return { round, sent: [], matches };
}

/** What a call returned, as kind and seq: 'evaluated 1', 'labels 0', 'finish'. */
function describeOut(out: readonly { bytes: Uint8Array }[]): string[] {
  return out.map(({ bytes }) => {
    const message = decodeMessage(bytes);
    return 'seq' in message ? `${message.kind} ${message.seq}` : message.kind;
  });
}

/** Delivers `frame` to `to`, records what it sent, and returns that as describeOut does. */
function deliver(to: Party, frame: Uint8Array): string[] {
  const out = to.round.receive(frame);
  to.sent.push(...out.map(({ bytes }) => bytes));
  return describeOut(out);
}

/** The frame `from` sent of `kind` (and `seq`), for delivery to the peer. */
function frameOf(from: Party, kind: string, seq?: number): Uint8Array {
  const found = from.sent.find((bytes) => {
    const message = decodeMessage(bytes);
    return message.kind === kind && (seq === undefined || ('seq' in message && message.seq === seq));
  });
  if (found === undefined) throw new Error(`no ${kind} ${seq ?? ''} was sent`);
  return found;
}

function completed(round: Round): CompletedResult {
  const result = round.result;
  if (result?.status !== 'completed') throw new Error(`round ended ${result?.status}: ${result?.status === 'aborted' ? result.detail : ''}`);
  return result;
}

/** Each label names its side and its element's index, so a label that reached the peer shows which element it came with. */
const labelled = (elements: readonly Uint8Array[], side: string): LabelValues[] => elements.map((_, i) => ({ reason: `${side}-${i}` }));

/**
 * Two rounds with the label field `reason` agreed and the first `shared` elements in common on
 * both sides; a side of 4,097 elements has two BLINDED chunks, one of at most 4,096 one. Returns
 * both parties after start() and the initiator's precompute(), the initiator's OFFER sent.
 */
function setUp(initiatorSize: number, responderSize: number, shared: number) {
  const common = Array.from({ length: shared }, (_, i) => digest(`shared-${i}`));
  const a = [...common, ...Array.from({ length: initiatorSize - shared }, (_, i) => digest(`a-${i}`))];
  const b = [...common, ...Array.from({ length: responderSize - shared }, (_, i) => digest(`b-${i}`))];
  const counts = { initiator: { count: 0 }, responder: { count: 0 } };
  const timer = (role: 'initiator' | 'responder') => <T>(phase: Phase, work: () => T): T => {
    if (phase === 'match') counts[role].count++;
    return work();
  };
  const both = { policy: policy({ labelFields: ['reason'] }) };
  const rounds = pair(a, b, {
    both,
    initiator: { labels: labelled(a, 'a'), phaseTimer: timer('initiator') },
    responder: { labels: labelled(b, 'b'), phaseTimer: timer('responder') },
  });
  const initiator = party(rounds.initiator, counts.initiator);
  const responder = party(rounds.responder, counts.responder);
  initiator.sent.push(...rounds.initiator.start().map(({ bytes }) => bytes));
  expect(rounds.initiator.precompute()).toEqual([]);
  return { a, b, common, initiator, responder };
}

/** Not matched, nothing of S5 or S6 sent, no result. */
function expectStillWaiting(p: Party): void {
  expect(p.matches.count).toBe(0);
  expect(p.round.done).toBe(false);
  expect(p.round.result).toBeUndefined();
  expect(describeOut(p.sent.map((bytes) => ({ bytes }))).filter((kind) => kind.startsWith('labels') || kind === 'finish')).toEqual([]);
}

/**
 * Both completed with the shared elements as the intersection, each carrying the peer's label for
 * it (the shared elements come first on both sides, so shared element i is index i of either list).
 */
function expectIntersection(initiator: Party, responder: Party, sizes: { initiator: number; responder: number }, common: readonly Uint8Array[]): void {
  for (const [p, own, peer, peerSide] of [
    [initiator, sizes.initiator, sizes.responder, 'b'],
    [responder, sizes.responder, sizes.initiator, 'a'],
  ] as const) {
    const result = completed(p.round);
    expect(result.intersectionSize).toBe(common.length);
    expect(result.peerIntersectionSize).toBe(common.length);
    expect(result.evaluationsReceived).toBe(own);
    expect(result.evaluationsSent).toBe(peer);
    const labels = new Map(Array.from(result.matches, (index, i) => [hex(result.matchedDigests.subarray(i * 32, i * 32 + 32)), result.peerLabels.get(index)]));
    expect(labels).toEqual(new Map(common.map((element, i) => [hex(element), { reason: `${peerSide}-${i}` }])));
    expect(result.peerLabels.size).toBe(common.length);
    expect(p.matches.count).toBe(1);
  }
}

describe('an intersection round does not match or finish before every EVALUATED chunk has been exchanged (SPEC §4.4)', () => {
  it('two chunks against two: after the peer\'s first EVALUATED chunk only its own second one goes, no LABELS, no FINISH, no result', () => {
    const size = MAX_CHUNK_POINTS + 1;
    expect(pointChunkCount(size)).toBe(2);
    const { a, b, common, initiator, responder } = setUp(size, size, 5);

    expect(deliver(responder, frameOf(initiator, 'offer'))).toEqual(['offer', 'blinded 0', 'blinded 1']);
    expect(deliver(initiator, frameOf(responder, 'offer'))).toEqual(['blinded 0', 'blinded 1']);
    // need(0) = 0: chunk 0 answers the peer's list as soon as it is complete; need(1) = 1.
    expect(deliver(initiator, frameOf(responder, 'blinded', 0))).toEqual([]);
    expect(deliver(initiator, frameOf(responder, 'blinded', 1))).toEqual(['evaluated 0']);
    expect(deliver(responder, frameOf(initiator, 'blinded', 0))).toEqual([]);
    expect(deliver(responder, frameOf(initiator, 'blinded', 1))).toEqual(['evaluated 0']);

    // The peer's first EVALUATED chunk of two: each party has now sent all it owes, yet waits.
    expect(deliver(initiator, frameOf(responder, 'evaluated', 0))).toEqual(['evaluated 1']);
    expectStillWaiting(initiator);
    expect(deliver(responder, frameOf(initiator, 'evaluated', 0))).toEqual(['evaluated 1']);
    expectStillWaiting(responder);

    // The last one: the match and LABELS (FINISH once the peer's LABELS are in), no EVALUATED chunk left to send.
    expect(deliver(initiator, frameOf(responder, 'evaluated', 1))).toEqual(['labels 0']);
    expect(initiator.matches.count).toBe(1);
    expect(initiator.round.done).toBe(false);
    expect(deliver(responder, frameOf(initiator, 'evaluated', 1))).toEqual(['labels 0']);
    expect(deliver(initiator, frameOf(responder, 'labels', 0))).toEqual(['finish']);
    expect(deliver(responder, frameOf(initiator, 'labels', 0))).toEqual(['finish']);
    expect(deliver(initiator, frameOf(responder, 'finish'))).toEqual([]);
    expect(deliver(responder, frameOf(initiator, 'finish'))).toEqual([]);
    expectIntersection(initiator, responder, { initiator: a.length, responder: b.length }, common);
  }, 60_000);

  it('two own chunks against one: the party sends its only EVALUATED chunk after the peer\'s first, then waits for the second', () => {
    const { a, b, common, initiator, responder } = setUp(MAX_CHUNK_POINTS + 1, 3, 2);

    expect(deliver(responder, frameOf(initiator, 'offer'))).toEqual(['offer', 'blinded 0']);
    expect(deliver(initiator, frameOf(responder, 'offer'))).toEqual(['blinded 0', 'blinded 1']);
    // The initiator (c_X = 2, c_Y = 1): need(0) = 1, so nothing goes before a peer chunk is in.
    expect(deliver(initiator, frameOf(responder, 'blinded', 0))).toEqual([]);
    // The responder (c_X = 1, c_Y = 2): need(0) = need(1) = 0, both at once; it waits for the one it is owed.
    expect(deliver(responder, frameOf(initiator, 'blinded', 0))).toEqual([]);
    expect(deliver(responder, frameOf(initiator, 'blinded', 1))).toEqual(['evaluated 0', 'evaluated 1']);
    expectStillWaiting(responder);

    // The first of the two chunks the initiator is owed: it sends all it owes, and waits.
    expect(deliver(initiator, frameOf(responder, 'evaluated', 0))).toEqual(['evaluated 0']);
    expectStillWaiting(initiator);
    expect(deliver(initiator, frameOf(responder, 'evaluated', 1))).toEqual(['labels 0']);

    expect(deliver(responder, frameOf(initiator, 'evaluated', 0))).toEqual(['labels 0']);
    expect(deliver(initiator, frameOf(responder, 'labels', 0))).toEqual(['finish']);
    expect(deliver(responder, frameOf(initiator, 'labels', 0))).toEqual(['finish']);
    expect(deliver(initiator, frameOf(responder, 'finish'))).toEqual([]);
    expect(deliver(responder, frameOf(initiator, 'finish'))).toEqual([]);
    expectIntersection(initiator, responder, { initiator: a.length, responder: b.length }, common);
  }, 60_000);
});
