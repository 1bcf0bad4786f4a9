/** SPEC §4: the round against a naive intersection, over random sets, modes and interleavings. */
import { ProtocolError } from '@venn/errors';
import { GENERATOR, type CompletedResult, type Round } from '@venn/protocol';
import { decodeMessage, encodeMessage, type Mode } from '@venn/wire';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { pair, pump, type InFlight } from './harness.js';

const hex = (bytes: Uint8Array): string => Buffer.from(bytes).toString('hex');

/** Two sets with a random overlap, plus repeats that the round must drop. */
const setPair = fc
  .record({
    shared: fc.integer({ min: 0, max: 300 }),
    onlyA: fc.integer({ min: 0, max: 300 }),
    onlyB: fc.integer({ min: 0, max: 300 }),
    repeats: fc.integer({ min: 0, max: 3 }),
    seed: fc.integer({ min: 0, max: 2 ** 31 - 1 }),
  })
  .filter(({ shared, onlyA, onlyB }) => shared + onlyA <= 300 && shared + onlyB <= 300)
  .map(({ shared, onlyA, onlyB, repeats, seed }) => {
    const element = (tag: string, i: number): Uint8Array => {
      const out = new Uint8Array(32);
      new DataView(out.buffer).setUint32(0, seed);
      new DataView(out.buffer).setUint32(4, i);
      out.set(new TextEncoder().encode(tag), 8);
      return out;
    };
    const common = Array.from({ length: shared }, (_, i) => element('shared', i));
    const a = [...Array.from({ length: onlyA }, (_, i) => element('a', i)), ...common];
    const b = [...common, ...Array.from({ length: onlyB }, (_, i) => element('b', i))];
    // Repeats (copies, not the same object) exercise deduplication.
    for (let r = 0; r < repeats && a.length > 0; r++) a.push(a[(seed + r) % a.length]!.slice());
    for (let r = 0; r < repeats && b.length > 0; r++) b.splice((seed + r) % b.length, 0, b[(seed * 7 + r) % b.length]!.slice());
    return { a, b };
  });

/** The matched digests of a result, as hex, from its packed `matchedDigests`. */
function matchedHex(result: CompletedResult): string[] {
  return Array.from(result.matches, (_, i) => hex(result.matchedDigests.subarray(i * 32, i * 32 + 32)));
}

function naiveMatches(own: readonly Uint8Array[], peer: readonly Uint8Array[]): string[] {
  const peerSet = new Set(peer.map(hex));
  return [...new Set(own.map(hex))].filter((x) => peerSet.has(x)).sort();
}

function completed(round: Round): CompletedResult {
  const result = round.result;
  if (result?.status !== 'completed') throw new Error(`round ended ${JSON.stringify(result && { ...result, error: String((result as { error?: unknown }).error) })}`);
  return result;
}

/** A delivery order drawn from a seed, so both directions interleave differently per run. */
function interleaving(seed: number): () => boolean {
  let state = seed >>> 0 || 1;
  return () => {
    state ^= state << 13;
    state ^= state >>> 17;
    state ^= state << 5;
    return (state & 1) === 1;
  };
}

describe.each<Mode>(['intersection', 'cardinality'])('%s mode', (mode) => {
  it('each side learns exactly the naive intersection, and both agree (property)', () => {
    fc.assert(
      fc.property(setPair, fc.integer(), ({ a, b }, order) => {
        const { initiator, responder } = pair(a, b, { both: { mode } });
        pump(initiator, responder, { pickInitiatorFirst: interleaving(order) });
        const ri = completed(initiator);
        const rr = completed(responder);
        const expected = naiveMatches(a, b);
        expect(ri.intersectionSize).toBe(expected.length);
        expect(rr.intersectionSize).toBe(expected.length);
        expect(ri.peerIntersectionSize).toBe(rr.intersectionSize);
        expect(hex(ri.transcriptHash)).toBe(hex(rr.transcriptHash));
        expect(ri.ownSetSize).toBe(new Set(a.map(hex)).size);
        expect(ri.peerSetSize).toBe(new Set(b.map(hex)).size);
        // Every evaluation went out and came back: each side served exactly the peer's set.
        expect([ri.evaluationsSent, ri.evaluationsReceived]).toEqual([rr.ownSetSize, ri.ownSetSize]);
        expect([rr.evaluationsSent, rr.evaluationsReceived]).toEqual([ri.ownSetSize, rr.ownSetSize]);
        if (mode === 'intersection') {
          // Own indices, ascending, into the sorted distinct set, so the digests come out sorted.
          expect(matchedHex(ri)).toEqual(expected);
          expect(matchedHex(rr)).toEqual(naiveMatches(b, a));
          expect([...ri.matches]).toEqual([...ri.matches].sort((x, y) => x - y));
        } else {
          expect(ri.matches).toHaveLength(0);
          expect(rr.matches).toHaveLength(0);
          expect(ri.matchedDigests).toHaveLength(0);
        }
      }),
      { numRuns: 20 },
    );
  });

  it('the transcript hash does not depend on how the two directions interleave (property)', () => {
    fc.assert(
      fc.property(fc.integer({ min: 0, max: 40 }), fc.integer(), fc.integer(), (size, first, second) => {
        const elements = Array.from({ length: size }, (_, i) => Uint8Array.of(i, ...new Uint8Array(31)));
        const run = (order: number): string => {
          const { initiator, responder } = pair(elements, elements.slice(size >> 1), { both: { mode } });
          pump(initiator, responder, { pickInitiatorFirst: interleaving(order) });
          return hex(completed(initiator).transcriptHash);
        };
        expect(run(first)).toBe(run(second));
      }),
      { numRuns: 10 },
    );
  });

  type Tamper = 'alter' | 'swap' | 'drop';
  const tampers: Tamper[] = mode === 'intersection' ? ['alter', 'swap', 'drop'] : ['alter', 'drop'];

  it(`the receiver aborts bad-proof or count-mismatch when one evaluation is ${tampers.join(', ')} (property)`, () => {
    fc.assert(
      fc.property(
        setPair.filter(({ a, b }) => a.length >= 2 && b.length >= 2),
        fc.constantFrom(...tampers),
        fc.constantFrom('initiator' as const, 'responder' as const),
        fc.nat(),
        ({ a, b }, tamper, cheater, at) => {
          const { initiator, responder } = pair(a, b, { both: { mode } });
          let tampered = false;
          const intercept = (message: InFlight): Uint8Array[] => {
            if (tampered || message.from !== cheater || message.kind !== 'evaluated') return [message.bytes];
            const chunk = decodeMessage(message.bytes);
            if (chunk.kind !== 'evaluated') throw new Error('unreachable');
            const count = chunk.points.length / 32;
            if (count < 2) return [message.bytes];
            const points = chunk.points.slice();
            const i = at % count;
            const j = (i + 1 + (at % (count - 1))) % count;
            if (tamper === 'alter') points.set(GENERATOR, i * 32);
            if (tamper === 'swap') {
              points.set(chunk.points.subarray(j * 32, j * 32 + 32), i * 32);
              points.set(chunk.points.subarray(i * 32, i * 32 + 32), j * 32);
            }
            tampered = true;
            const altered = tamper === 'drop' ? points.subarray(0, points.length - 32) : points;
            return [encodeMessage({ ...chunk, points: altered })];
          };
          pump(initiator, responder, { intercept });
          if (!tampered) return; // every chunk had a single point: nothing to tamper with
          const honest = cheater === 'initiator' ? responder : initiator;
          const result = honest.result;
          expect(result?.status).toBe('aborted');
          if (result?.status !== 'aborted') return;
          expect(result.reason).toBe(tamper === 'drop' ? 'count-mismatch' : 'bad-proof');
          expect(result.error).toBeInstanceOf(ProtocolError);
          // The cheater learns of it through the honest side's ABORT.
          const other = cheater === 'initiator' ? initiator : responder;
          expect(other.result?.status).toBe('aborted');
          if (other.result?.status === 'aborted') {
            expect(other.result.reason).toBe('peer-abort');
            expect(other.result.peerReason).toBe(result.reason);
          }
        },
      ),
      { numRuns: 20 },
    );
  });
});
