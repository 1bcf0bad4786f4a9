/**
 * A round's memory (SPEC §5.3 "Memory"): packed point lists and a packed own set, no per-element
 * objects, so the peak it retains stays under 400 bytes per element per side. Measured with a full
 * garbage collection before each sample, after every call and every unit of work.
 */
import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';
import { createRound, type Round } from '@venn/protocol';
import { MAX_CHUNK_POINTS } from '@venn/wire';
import { describe, expect, it } from 'vitest';
import { options } from './harness.js';

setFlagsFromString('--expose-gc');
const gc = runInNewContext('gc') as () => void;

/** `n` distinct digests, packed and ascending: the index, big-endian, then a tag. */
function packedSet(n: number, tag: number, shared: number): Uint8Array {
  const digests = new Uint8Array(32 * n);
  const view = new DataView(digests.buffer);
  for (let i = 0; i < n; i++) {
    view.setUint8(32 * i, i < shared ? 0 : tag);
    view.setUint32(32 * i + 1, i);
  }
  return digests;
}

function inUse(): number {
  // Two collections: the second waits for the first to finish freeing ArrayBuffer backing stores.
  gc();
  gc();
  const { heapUsed, arrayBuffers } = process.memoryUsage();
  return heapUsed + arrayBuffers;
}

describe('memory', () => {
  it('a round of three chunks each retains at most 400 bytes per element per side, own set included', () => {
    const n = 2 * MAX_CHUNK_POINTS + 1;
    const before = inUse();
    let peak = before;
    const sample = (): void => {
      peak = Math.max(peak, inUse());
    };
    const sets = { initiator: packedSet(n, 1, 50), responder: packedSet(n, 2, 50) };
    const make = (role: 'initiator' | 'responder'): Round =>
      createRound({
        ...options(role, []),
        ownSet: { size: n, load: () => ({ digests: sets[role] }) },
        phaseTimer: (_phase, work) => {
          const value = work();
          sample();
          return value;
        },
      });
    const rounds = { initiator: make('initiator'), responder: make('responder') };
    const inbox: Record<'initiator' | 'responder', Uint8Array[]> = { initiator: [], responder: [] };
    for (const { bytes } of rounds.initiator.start()) inbox.responder.push(bytes);
    sample();
    for (let turn: 'initiator' | 'responder' = 'responder'; inbox.initiator.length + inbox.responder.length > 0; turn = turn === 'initiator' ? 'responder' : 'initiator') {
      const frame = inbox[turn].shift();
      if (frame === undefined || rounds[turn].done) continue;
      for (const { bytes } of rounds[turn].receive(frame)) inbox[turn === 'initiator' ? 'responder' : 'initiator'].push(bytes);
      sample();
    }
    expect(rounds.initiator.result?.status === 'completed' && rounds.initiator.result.intersectionSize).toBe(50);
    const perElement = (peak - before) / (2 * n);
    // Four packed lists (128 B), the permutation (4 B), the own set (32 B), the match table
    // (at most 16 B) and frames in flight (32 B) come to about 212 B; at this size one chunk's
    // hashing views and the test runner add about 100 B (measured: about 316 B).
    expect(perElement).toBeLessThan(400);
    expect(perElement).toBeGreaterThan(150);
  }, 300_000);
});
