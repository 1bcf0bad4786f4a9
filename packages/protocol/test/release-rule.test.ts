/**
 * SPEC §4.4 release rule: party X sends its EVALUATED chunk a only once it has accepted
 * need_X(a) = ceil((a + 1)·c_X / c_Y) − 1 of the peer's chunks, each with a verified proof. The
 * rule itself, a message-level model of two parties following it, and the real round engine.
 */
import { InternalError } from '@venn/errors';
import { releaseNeed, type CompletedResult, type Role, type Round } from '@venn/protocol';
import { MAX_CHUNK_POINTS, decodeMessage, encodeMessage, type MessageKind } from '@venn/wire';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { GENERATOR } from '@venn/protocol';
import { pair, pump } from './harness.js';

const hex = (bytes: Uint8Array): string => Buffer.from(bytes).toString('hex');
const other = (role: Role): Role => (role === 'initiator' ? 'responder' : 'initiator');

describe('need_X(a) (SPEC §4.4)', () => {
  it.each<[string, number, number, number[]]>([
    ['equal chunk counts go in lockstep', 3, 3, [0, 1, 2]],
    ['an empty own set sends everything at once', 0, 4, [-1, -1, -1, -1]],
    ['one peer chunk against many own: all but one of the peer\'s first', 5, 1, [4]],
    ['one own chunk against many peer chunks: everything at once', 1, 4, [0, 0, 0, 0]],
    ['three own chunks against two', 3, 2, [1, 2]],
    ['two own chunks against three', 2, 3, [0, 1, 1]],
    ['the largest lists', 256, 256, Array.from({ length: 256 }, (_, a) => a)],
  ])('%s (c_X = %i, c_Y = %i)', (_, own, peer, needs) => {
    expect(Array.from({ length: peer }, (_, a) => releaseNeed(own, peer, a))).toEqual(needs);
  });

  it.each<[string, number, number, number]>([
    ['a chunk beyond the peer list', 2, 2, 2],
    ['a negative chunk', 2, 2, -1],
    ['more than 256 chunks', 257, 2, 0],
    ['a fractional chunk count', 1.5, 2, 0],
  ])('refuses %s', (_, own, peer, index) => {
    expect(() => releaseNeed(own, peer, index)).toThrow(InternalError);
  });

  /**
   * Two parties that follow the rule, exchanging chunks through queues delivered in an arbitrary
   * order: returns the order of sends, or throws if they stall with chunks left to send.
   */
  function simulate(chunks: Record<Role, number>, pick: (options: Role[]) => Role): Array<[Role, number]> {
    const sent: Record<Role, number> = { initiator: 0, responder: 0 };
    const accepted: Record<Role, number> = { initiator: 0, responder: 0 };
    const inFlight: Record<Role, number> = { initiator: 0, responder: 0 }; // chunks on their way to this role
    const log: Array<[Role, number]> = [];
    const release = (x: Role): void => {
      // X's EVALUATED stream answers the peer's list: c_Y chunks; X's own list has c_X.
      while (sent[x] < chunks[other(x)] && releaseNeed(chunks[x], chunks[other(x)], sent[x]) <= accepted[x]) {
        // The guarantee of SPEC §4.4: (a + 1)/c_Y ≤ (accepted + 1)/c_X.
        expect((sent[x] + 1) * chunks[x]).toBeLessThanOrEqual((accepted[x] + 1) * chunks[other(x)]);
        log.push([x, sent[x]]);
        sent[x]++;
        inFlight[other(x)]++;
      }
    };
    release('initiator');
    release('responder');
    for (;;) {
      const ready = (['initiator', 'responder'] as const).filter((r) => inFlight[r] > 0);
      if (ready.length === 0) break;
      const to = pick(ready);
      inFlight[to]--;
      accepted[to]++;
      release(to);
    }
    if (sent.initiator !== chunks.responder || sent.responder !== chunks.initiator) {
      throw new Error(`stalled: sent ${sent.initiator}/${chunks.responder} and ${sent.responder}/${chunks.initiator}`);
    }
    return log;
  }

  it('two parties following it never stall and never run more than one own chunk ahead (property, any delivery order)', () => {
    fc.assert(
      fc.property(fc.integer({ min: 0, max: 256 }), fc.integer({ min: 0, max: 256 }), fc.infiniteStream(fc.boolean()), (cI, cR, coins) => {
        const flips = coins[Symbol.iterator]();
        const log = simulate({ initiator: cI, responder: cR }, (ready) => (ready.length === 1 ? ready[0]! : flips.next().value ? ready[0]! : ready[1]!));
        expect(log).toHaveLength(cI + cR);
      }),
      { numRuns: 300 },
    );
  });
});

/** Sizes of 0 … 3 chunks per side, at most 4 chunks in all, so each real round stays a few seconds. */
const chunkedSizes = fc
  .record({
    initiator: fc.integer({ min: 0, max: 3 }),
    responder: fc.integer({ min: 0, max: 3 }),
    tailI: fc.integer({ min: 1, max: 40 }),
    tailR: fc.integer({ min: 1, max: 40 }),
    shared: fc.integer({ min: 0, max: 30 }),
    seed: fc.integer({ min: 0, max: 2 ** 31 - 1 }),
  })
  .filter(({ initiator, responder }) => initiator + responder <= 4)
  .map(({ initiator, responder, tailI, tailR, shared, seed }) => {
    const size = (chunks: number, tail: number): number => (chunks === 0 ? 0 : (chunks - 1) * MAX_CHUNK_POINTS + tail);
    const element = (tag: number, i: number): Uint8Array => {
      const out = new Uint8Array(32);
      new DataView(out.buffer).setUint32(0, seed);
      new DataView(out.buffer).setUint32(4, i);
      out[8] = tag;
      return out;
    };
    const nI = size(initiator, tailI);
    const nR = size(responder, tailR);
    const common = Math.min(shared, nI, nR);
    return {
      a: Array.from({ length: nI }, (_, i) => element(i < common ? 0 : 1, i)),
      b: Array.from({ length: nR }, (_, i) => element(i < common ? 0 : 2, i)),
      seed,
    };
  });

function completed(round: Round): CompletedResult {
  const result = round.result;
  if (result?.status !== 'completed') throw new Error(`round ended ${result?.status}: ${result?.status === 'aborted' ? result.detail : ''}`);
  return result;
}

describe('the round engine follows the release rule', () => {
  it('never sends chunk a before need(a) of the peer\'s chunks arrived, never stalls, and ends with the naive intersection (property)', () => {
    fc.assert(
      fc.property(chunkedSizes, ({ a, b, seed }) => {
        const { initiator, responder } = pair(a, b);
        const received: Record<Role, number> = { initiator: 0, responder: 0 };
        const chunkCount = { initiator: Math.ceil(a.length / MAX_CHUNK_POINTS), responder: Math.ceil(b.length / MAX_CHUNK_POINTS) };
        const sentChunks: Record<Role, number[]> = { initiator: [], responder: [] };
        const check = (from: Role, out: readonly { kind: MessageKind; bytes: Uint8Array }[]): void => {
          for (const { kind, bytes } of out) {
            if (kind !== 'evaluated') continue;
            const message = decodeMessage(bytes);
            if (message.kind !== 'evaluated') continue;
            sentChunks[from].push(message.seq);
            expect(received[from]).toBeGreaterThanOrEqual(releaseNeed(chunkCount[from], chunkCount[other(from)], message.seq));
          }
        };
        let state = seed || 1;
        pump(initiator, responder, {
          pickInitiatorFirst: () => {
            state ^= state << 13;
            state ^= state >>> 17;
            state ^= state << 5;
            return (state & 1) === 1;
          },
          onDelivered: (to, frame, out) => {
            if (decodeMessage(frame).kind === 'evaluated') received[to]++;
            check(to, out);
          },
        });
        const ri = completed(initiator);
        const rr = completed(responder);
        const peerOf = new Set(b.map(hex));
        const expected = a.map(hex).filter((x) => peerOf.has(x)).sort();
        expect(ri.intersectionSize).toBe(expected.length);
        expect(rr.intersectionSize).toBe(expected.length);
        expect(Array.from(ri.matches, (_, i) => hex(ri.matchedDigests.subarray(i * 32, i * 32 + 32)))).toEqual(expected);
        expect(sentChunks.initiator).toEqual(Array.from({ length: chunkCount.responder }, (_, i) => i));
        expect(sentChunks.responder).toEqual(Array.from({ length: chunkCount.initiator }, (_, i) => i));
      }),
      { numRuns: 6 },
    );
  }, 300_000);

  it('a receiver accepts EVALUATED chunks that arrive earlier than the sender\'s rule allowed (SPEC §4.4)', () => {
    const a = Array.from({ length: MAX_CHUNK_POINTS + 1 }, (_, i) => Uint8Array.of(3, i >> 8, i & 0xff, ...new Uint8Array(29)));
    const b = Array.from({ length: MAX_CHUNK_POINTS + 1 }, (_, i) => Uint8Array.of(i < 7 ? 3 : 4, i >> 8, i & 0xff, ...new Uint8Array(29)));
    // Frames depend only on the seeds, not on the interleaving: record the responder's chunks once.
    const honest = pair(a, b);
    const chunks: Uint8Array[] = [];
    pump(honest.initiator, honest.responder, {
      intercept: (m) => {
        if (m.from === 'responder' && m.kind === 'evaluated') chunks.push(m.bytes);
        return [m.bytes];
      },
    });
    expect(chunks).toHaveLength(2);
    // Again, but the responder sends both chunks at once, before it verified any of the initiator's.
    const { initiator, responder } = pair(a, b);
    let initiatorSentBeforeEarlyChunk = -1;
    const initiatorSent: number[] = [];
    pump(initiator, responder, {
      intercept: (m) => {
        if (m.from === 'initiator' && m.kind === 'evaluated') initiatorSent.push((decodeMessage(m.bytes) as { seq: number }).seq);
        if (m.from !== 'responder' || m.kind !== 'evaluated') return [m.bytes];
        const seq = (decodeMessage(m.bytes) as { seq: number }).seq;
        if (seq === 0) {
          initiatorSentBeforeEarlyChunk = initiatorSent.length;
          return [m.bytes, chunks[1]!];
        }
        return []; // its own chunk 1, when its rule allows it, was already delivered
      },
    });
    expect(initiatorSentBeforeEarlyChunk).toBe(1);
    expect(completed(initiator).intersectionSize).toBe(7);
    expect(completed(responder).intersectionSize).toBe(7);
    expect(completed(initiator).evaluationsReceived).toBe(MAX_CHUNK_POINTS + 1);
  }, 180_000);

  it('a peer that sends junk evaluations with a bad proof gets nothing more: bad-proof before any further release', () => {
    const a = Array.from({ length: MAX_CHUNK_POINTS + 1 }, (_, i) => Uint8Array.of(1, i >> 8, i & 0xff, ...new Uint8Array(29)));
    const b = Array.from({ length: MAX_CHUNK_POINTS + 1 }, (_, i) => Uint8Array.of(i < 100 ? 1 : 2, i >> 8, i & 0xff, ...new Uint8Array(29)));
    const { initiator, responder } = pair(a, b);
    const victimSent: MessageKind[] = [];
    let junkDelivered = false;
    pump(initiator, responder, {
      // The responder answers the initiator's first chunk with junk points under a proof that cannot cover them.
      intercept: (m) => {
        if (m.from !== 'responder' || m.kind !== 'evaluated') return [m.bytes];
        const chunk = decodeMessage(m.bytes);
        if (chunk.kind !== 'evaluated' || chunk.seq !== 0) return [m.bytes];
        const points = chunk.points.slice();
        for (let at = 0; at < points.length; at += 32) points.set(GENERATOR, at);
        return [encodeMessage({ ...chunk, points })];
      },
      onDelivered: (to, frame, out) => {
        if (to !== 'initiator') return;
        if (decodeMessage(frame).kind === 'evaluated') junkDelivered = true;
        if (junkDelivered) victimSent.push(...out.map((o) => o.kind));
      },
    });
    expect(junkDelivered).toBe(true);
    expect(victimSent).toEqual(['abort']);
    const victim = initiator.result;
    expect(victim?.status === 'aborted' && victim.reason).toBe('bad-proof');
    // Only the chunk the rule allowed before any proof was checked: one of the victim's two.
    expect(victim?.evaluationsSent).toBe(MAX_CHUNK_POINTS);
    expect(victim?.evaluationsReceived).toBe(0);
    const cheater = responder.result;
    expect(cheater?.status === 'aborted' && [cheater.reason, cheater.peerReason]).toEqual(['peer-abort', 'bad-proof']);
    expect(cheater?.evaluationsReceived).toBe(MAX_CHUNK_POINTS);
  }, 120_000);
});
