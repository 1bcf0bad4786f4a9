/**
 * The shared input checks (src/internal/bytes.ts) through the public API: non-negative safe
 * integers for timestamps, indices and receipts (ValidationError `invalid-integer`), and byte
 * equality that refuses a prefix (an aborted leaf with an empty attempt hash while the bundle holds
 * frames). Each test asserts the error class and its code, or the verifier's check and party.
 */
import { ValidationError } from '@venn/errors';
import { describe, expect, it } from 'vitest';
import { MemoryLogStorage, MerkleLog, encodeExportedLog, signTreeHead, verifyConsistency, verifyInclusion, verifyTranscriptBundle } from '../src/index.js';
import { auditRoster, digest, exportBundle, keys, playRound, refusal } from './round-harness.js';

function expectCode(action: () => unknown, code: string): void {
  let caught: unknown;
  try {
    action();
  } catch (error) {
    caught = error;
  }
  expect(caught).toBeInstanceOf(ValidationError);
  expect((caught as ValidationError).code).toBe(code);
}

describe('non-negative safe integers', () => {
  const log = new MerkleLog(new MemoryLogStorage());
  log.append(new TextEncoder().encode('leaf 0'));

  it.each([-1, 1.5, 2 ** 53, Number.NaN, Number.POSITIVE_INFINITY, '7', null])('a timestamp of %s is refused with invalid-integer', (value) => {
    expectCode(() => log.treeHead(value as number), 'invalid-integer');
  });

  it('0 and 2^53 − 1 are accepted as timestamps', () => {
    expect(log.treeHead(0)).toMatchObject({ size: 1, timestamp: 0 });
    expect(log.treeHead(2 ** 53 - 1)).toMatchObject({ size: 1, timestamp: 2 ** 53 - 1 });
  });

  it('a negative or fractional index is refused with invalid-integer, not read', () => {
    expectCode(() => log.leaf(-1), 'invalid-integer');
    expectCode(() => log.inclusionProof(0.5, 1), 'invalid-integer');
    expectCode(() => log.consistencyProof(-1, 1), 'invalid-integer');
  });

  it('a peer head receipt with a negative opening time or leaf index does not encode', () => {
    const head = signTreeHead(log.treeHead(1000), 'lab-b', keys.responder.secretKey.slice());
    const base = { logId: 'lab-a', leaves: [], heads: [], peerHeads: [{ peerId: 'lab-b', head, opened: 5, leafIndex: 0 }] };
    expect(encodeExportedLog(base)).toBeInstanceOf(Uint8Array);
    expectCode(() => encodeExportedLog({ ...base, peerHeads: [{ ...base.peerHeads[0]!, opened: -5 }] }), 'invalid-integer');
    expectCode(() => encodeExportedLog({ ...base, peerHeads: [{ ...base.peerHeads[0]!, leafIndex: -1 }] }), 'invalid-integer');
  });
});

describe('the Merkle log\'s refusals name the argument and its bound', () => {
  const log = new MerkleLog(new MemoryLogStorage());
  for (let i = 0; i < 3; i++) log.append(new TextEncoder().encode(`leaf ${i}`));

  it('a leaf that is not bytes', () => {
    expect(refusal(() => log.append('leaf 3' as unknown as Uint8Array))).toEqual({ code: 'invalid-type', message: '"leaf" expected Uint8Array, got "leaf 3"' });
    expect(log.size).toBe(3);
  });

  it('an index at or past the size, for a leaf, its hash or its inclusion proof', () => {
    expect(refusal(() => log.leaf(3))).toEqual({ code: 'out-of-range', message: '"index" expected < tree size 3, got 3' });
    expect(refusal(() => log.leafHash(7))).toEqual({ code: 'out-of-range', message: '"index" expected < tree size 3, got 7' });
    expect(refusal(() => log.inclusionProof(2, 2))).toEqual({ code: 'out-of-range', message: '"index" expected < tree size 2, got 2' });
    expect(refusal(() => log.leafHash(-1))).toEqual({ code: 'invalid-integer', message: '"index" expected a non-negative safe integer, got number -1' });
  });

  it('a size past the log\'s, for a root, an inclusion proof or a consistency proof', () => {
    expect(refusal(() => log.root(4))).toEqual({ code: 'out-of-range', message: '"size" expected <= log size 3, got 4' });
    expect(refusal(() => log.inclusionProof(0, 4))).toEqual({ code: 'out-of-range', message: '"size" expected <= log size 3, got 4' });
    expect(refusal(() => log.consistencyProof(1, 4))).toEqual({ code: 'out-of-range', message: '"second" expected <= log size 3, got 4' });
  });

  it('a timestamp that is not a non-negative safe integer', () => {
    expect(refusal(() => log.treeHead(-5))).toEqual({ code: 'invalid-integer', message: '"timestamp" expected a non-negative safe integer, got number -5' });
  });

  it('a consistency proof from a first size that is not an integer, or past the second', () => {
    expect(refusal(() => log.consistencyProof(0.5, 2))).toEqual({ code: 'invalid-integer', message: '"first" expected a non-negative safe integer, got number 0.5' });
    expect(refusal(() => log.consistencyProof(3, 2))).toEqual({ code: 'out-of-range', message: '"first" expected <= second (2), got 3' });
  });

  it('a consistency proof between equal sizes, or from size 0, is empty', () => {
    for (const size of [0, 1, 2, 3]) expect(log.consistencyProof(size, size)).toEqual([]);
    expect(log.consistencyProof(0, 3)).toEqual([]);
    expect(log.consistencyProof(2, 3).length).toBeGreaterThan(0);
  });
});

describe('the proof verifiers name the hash argument of the wrong length', () => {
  const hash = new Uint8Array(32).fill(7);

  it('an inclusion proof of a leaf hash one byte short', () => {
    expect(verifyInclusion(hash, 0, 1, [], hash)).toBe(true);
    let thrown: unknown;
    try {
      verifyInclusion(new Uint8Array(31), 0, 1, [], hash);
    } catch (error) {
      thrown = error;
    }
    expect(thrown).toBeInstanceOf(ValidationError);
    expect(thrown).toMatchObject({ code: 'wrong-length', message: '"leafHash" expected Uint8Array of length 32, got length=31' });
  });

  it('a consistency proof to a second root one byte too long', () => {
    expect(verifyConsistency(1, 1, hash, hash, [])).toBe(true);
    let thrown: unknown;
    try {
      verifyConsistency(1, 1, hash, new Uint8Array(33), []);
    } catch (error) {
      thrown = error;
    }
    expect(thrown).toBeInstanceOf(ValidationError);
    expect(thrown).toMatchObject({ code: 'wrong-length', message: '"secondRoot" expected Uint8Array of length 32, got length=33' });
  });
});

describe('byte equality refuses a prefix', () => {
  it('an aborted leaf with an empty attempt hash, while the bundle holds frames, fails the transcript check', () => {
    const a = ['s1', 's2', 's3', 'a1', 'a2'].map(digest);
    const b = ['b1', 's3', 'b2', 's1', 's2', 'b3'].map(digest);
    const played = playRound({ elements: { initiator: a, responder: b }, policy: { responder: { maxPeerSetSize: 4 } } });
    expect(played.results.responder).toMatchObject({ status: 'aborted', reason: 'set-too-large' });
    expect(verifyTranscriptBundle(exportBundle(played, 'responder'), auditRoster()).checks.find((check) => check.name === 'transcript')!.status).toBe('pass');
    const report = verifyTranscriptBundle(exportBundle(played, 'responder', { leaf: { transcriptHash: new Uint8Array(0) } }), auditRoster());
    expect(report.failure).toMatchObject({ name: 'transcript', status: 'fail', party: 'exporter', member: 'lab-b' });
    expect(report.failure!.detail).toMatch(/^lab-b's leaf misstates the attempt: the attempt hash recomputed from the frames \([0-9a-f]{16}…\) differs from the one logged \(none…\)$/);
  });
});
