/** Labels, empty sets, option validation and the audit view of a round (SPEC §4, §5.7, §7). */
import { ValidationError } from '@venn/errors';
import { ed25519Sign, ed25519Verify, sumPacked, verifyProof } from '@venn/crypto';
import {
  GENERATOR,
  Transcript,
  createRound,
  finishSignatureInput,
  proofContextString,
  verifyRoundProof,
  type CompletedResult,
  type Round,
  type RoundOptions,
  type TranscriptRecord,
} from '@venn/protocol';
import { MAX_SET_SIZE, decodeMessage, encodeMessage, type Message, type Mode } from '@venn/wire';
import { describe, expect, it } from 'vitest';
import { digest, keys, options, pair, pump } from './harness.js';

const hex = (bytes: Uint8Array): string => Buffer.from(bytes).toString('hex');

function completed(round: Round): CompletedResult {
  const result = round.result;
  if (result?.status !== 'completed') throw new Error(`expected a completed round, got ${result?.status}`);
  return result;
}

describe('labels (SPEC §5.7)', () => {
  const a = ['s1', 's2', 's3', 'a1'].map(digest);
  const b = ['b1', 's3', 's2', 's1', 'b2'].map(digest);

  it('shares only fields both offered, only for matched items, and attaches them to the peer\'s matches', () => {
    const { initiator, responder } = pair(a, b, {
      initiator: {
        policy: { maxPeerSetSize: 100, modes: ['intersection'], labelFields: ['category', 'first_seen', 'reason'] },
        labels: [
          { category: 'distillation', firstSeen: '2025-10-01', reason: 'scripted' },
          undefined,
          { reason: 'shared card' },
          { category: 'never sent: a1 is not shared', reason: 'x' },
        ],
      },
      responder: {
        policy: { maxPeerSetSize: 100, modes: ['intersection'], labelFields: ['first_seen', 'reason'] },
        labels: [{ reason: 'b1' }, undefined, undefined, { firstSeen: '2024-01-02' }, undefined],
      },
    });
    const sentLabels: Message[] = [];
    pump(initiator, responder, {
      intercept: (m) => {
        if (m.kind === 'labels') sentLabels.push(decodeMessage(m.bytes));
        return [m.bytes];
      },
    });
    const ri = completed(initiator);
    const rr = completed(responder);
    expect(ri.ownOffer.labelFields).toEqual(['category', 'first_seen', 'reason']);
    expect(rr.ownOffer.labelFields).toEqual(['first_seen', 'reason']);
    // The responder sees the initiator's labels on its own matched elements, category stripped.
    const byElement = new Map(rr.matches.map((m) => [hex(m.element), m.peerLabel]));
    expect(byElement.get(hex(digest('s1')))).toEqual({ firstSeen: '2025-10-01', reason: 'scripted' });
    expect(byElement.get(hex(digest('s2')))).toBeUndefined();
    expect(byElement.get(hex(digest('s3')))).toEqual({ reason: 'shared card' });
    expect(rr.matches.map((m) => m.index)).toEqual([1, 2, 3]);
    const initiatorView = new Map(ri.matches.map((m) => [hex(m.element), m.peerLabel]));
    expect(initiatorView.get(hex(digest('s1')))).toEqual({ firstSeen: '2024-01-02' });
    expect([...initiatorView.values()].filter((label) => label !== undefined)).toHaveLength(1);
    // One LABELS message each; no entry for the unmatched a1 / b1.
    expect(sentLabels.map((m) => m.kind === 'labels' && [m.entries.length, m.end]).sort()).toEqual([[1, true], [2, true]]);
  });

  it('sends no LABELS when either side shares no field', () => {
    const { initiator, responder } = pair(a, b, {
      initiator: { policy: { maxPeerSetSize: 100, modes: ['intersection'], labelFields: ['reason'] }, labels: a.map(() => ({ reason: 'r' })) },
      responder: { policy: { maxPeerSetSize: 100, modes: ['intersection'], labelFields: ['category'] } },
    });
    const kinds: string[] = [];
    pump(initiator, responder, { intercept: (m) => (kinds.push(m.kind), [m.bytes]) });
    expect(kinds).not.toContain('labels');
    expect(completed(responder).matches.every((m) => m.peerLabel === undefined)).toBe(true);
  });

  it('splits more than 512 labelled matches into full chunks and a last one', () => {
    const shared = Array.from({ length: 600 }, (_, i) => digest(`shared-${i}`));
    const policy = { maxPeerSetSize: 1000, modes: ['intersection' as const], labelFields: ['category' as const] };
    const { initiator, responder } = pair(shared, shared, {
      both: { policy },
      initiator: { labels: shared.map((_, i) => ({ category: `c${i}` })) },
    });
    const chunks: number[] = [];
    pump(initiator, responder, {
      intercept: (m) => {
        const message = decodeMessage(m.bytes);
        if (message.kind === 'labels' && m.from === 'initiator') chunks.push(message.entries.length);
        return [m.bytes];
      },
    });
    expect(chunks).toEqual([512, 88]);
    const rr = completed(responder);
    expect(rr.matches.filter((m) => m.peerLabel !== undefined)).toHaveLength(600);
    for (const m of rr.matches) expect(m.peerLabel).toEqual({ category: `c${m.index}` });
  });
});

describe('FINISH and disputes (SPEC §8)', () => {
  it('a validly signed FINISH claiming another size makes the round disputed, not aborted', () => {
    const a = ['s1', 's2', 'a1'].map(digest);
    const b = ['s1', 's2', 'b1'].map(digest);
    // Same seeds, same transcript: learn TH_final from an honest run first.
    const honest = pair(a, b);
    pump(honest.initiator, honest.responder);
    const transcriptHash = completed(honest.initiator).transcriptHash;
    expect(completed(honest.initiator).intersectionSize).toBe(2);
    // The responder lies about its size but signs the lie with its own roster key.
    const second = pair(a, b);
    pump(second.initiator, second.responder, {
      intercept: (m) => {
        const message = decodeMessage(m.bytes);
        if (m.from !== 'responder' || message.kind !== 'finish') return [m.bytes];
        const input = finishSignatureInput('responder', message.roundId, transcriptHash, 3);
        return [encodeMessage({ ...message, intersectionSize: 3, signature: ed25519Sign(keys.responder.secretKey, input) })];
      },
    });
    const result = second.initiator.result;
    expect(result?.status).toBe('disputed');
    if (result?.status === 'disputed') {
      expect(result.intersectionSize).toBe(2);
      expect(result.peerIntersectionSize).toBe(3);
      expect(result.matches).toHaveLength(2);
    }
    expect(second.responder.result?.status).toBe('completed');
  });

  it('cardinality mode sends no LABELS and no label fields even when both policies list them', () => {
    const policy = { maxPeerSetSize: 100, modes: ['cardinality' as const], labelFields: ['reason' as const] };
    const a = ['s1', 'a1'].map(digest);
    const { initiator, responder } = pair(a, ['s1', 'b1'].map(digest), {
      both: { mode: 'cardinality', policy },
      initiator: { labels: a.map(() => ({ reason: 'r' })) },
    });
    const kinds: string[] = [];
    pump(initiator, responder, { intercept: (m) => (kinds.push(m.kind), [m.bytes]) });
    expect(kinds).not.toContain('labels');
    expect(completed(initiator).ownOffer.labelFields).toEqual([]);
    expect(completed(responder).intersectionSize).toBe(1);
  });
});

describe('set sizes', () => {
  it.each<[string, number, number, Mode]>([
    ['both empty', 0, 0, 'intersection'],
    ['initiator empty', 0, 5, 'intersection'],
    ['responder empty', 5, 0, 'intersection'],
    ['both empty (cardinality)', 0, 0, 'cardinality'],
    ['responder empty (cardinality)', 4, 0, 'cardinality'],
    ['one element each, shared', 1, 1, 'intersection'],
  ])('%s', (_, sizeA, sizeB, mode) => {
    const a = Array.from({ length: sizeA }, (_, i) => digest(`x${i}`));
    const b = Array.from({ length: sizeB }, (_, i) => digest(`x${i}`));
    const { initiator, responder } = pair(a, b, { both: { mode } });
    pump(initiator, responder);
    const expected = Math.min(sizeA, sizeB);
    expect(completed(initiator).intersectionSize).toBe(expected);
    expect(completed(responder).intersectionSize).toBe(expected);
  });

  it('runs across chunk boundaries (4097 against 4096 elements)', () => {
    const a = Array.from({ length: 4097 }, (_, i) => digest(`e${i}`));
    const b = Array.from({ length: 4096 }, (_, i) => digest(`e${i + 3000}`));
    const { initiator, responder } = pair(a, b);
    const chunks: Array<[string, string, number]> = [];
    pump(initiator, responder, {
      intercept: (m) => {
        const message = decodeMessage(m.bytes);
        if (message.kind === 'blinded' || message.kind === 'evaluated') chunks.push([m.from, m.kind, message.points.length / 32]);
        return [m.bytes];
      },
    });
    expect(completed(initiator).intersectionSize).toBe(1097);
    expect(completed(responder).intersectionSize).toBe(1097);
    expect(chunks.filter(([from, kind]) => from === 'initiator' && kind === 'blinded').map(([, , n]) => n)).toEqual([4096, 1]);
    expect(chunks.filter(([from, kind]) => from === 'responder' && kind === 'evaluated').map(([, , n]) => n)).toEqual([4096, 1]);
  }, 120_000);
});

describe('audit view (SPEC §7, §8)', () => {
  it('recorded frames reproduce the transcript hash, both proofs and both FINISH signatures', () => {
    const records: TranscriptRecord[] = [];
    const a = ['s1', 's2', 'a1'].map(digest);
    const b = ['s2', 's1', 'b1', 'b2'].map(digest);
    const { initiator, responder } = pair(a, b, { initiator: { onMessage: (r) => records.push(r) } });
    pump(initiator, responder);
    const ri = completed(initiator);
    // An auditor holding only the initiator's records rebuilds everything.
    const transcript = new Transcript();
    const bySender = { initiator: [] as Message[], responder: [] as Message[] };
    for (const record of records) {
      const message = decodeMessage(record.bytes);
      expect(record.kind).toBe(message.kind);
      expect(record.direction).toBe(record.sender === 'initiator' ? 'sent' : 'received');
      bySender[record.sender].push(message);
      if (message.kind !== 'finish' && message.kind !== 'abort') transcript.absorb(record.sender, message.kind, record.bytes);
    }
    const packed = (sender: 'initiator' | 'responder', kind: 'blinded' | 'evaluated'): Uint8Array =>
      Buffer.concat(bySender[sender].flatMap((m) => (m.kind === kind ? [m.points] : [])));
    const offer = (sender: 'initiator' | 'responder') => bySender[sender].find((m) => m.kind === 'offer') as Extract<Message, { kind: 'offer' }>;
    const proof = (sender: 'initiator' | 'responder') => (bySender[sender].find((m) => m.kind === 'proof') as Extract<Message, { kind: 'proof' }>).proof;
    const thProofI = transcript.proofHash('initiator');
    const thProofR = transcript.proofHash('responder');
    const check = (prover: 'initiator' | 'responder', proofTranscriptHash: Uint8Array) =>
      verifyRoundProof({
        mode: 'intersection',
        publicKey: offer(prover).publicKey,
        blinded: packed(prover === 'initiator' ? 'responder' : 'initiator', 'blinded'),
        evaluated: packed(prover, 'evaluated'),
        proof: proof(prover),
        proofTranscriptHash,
      });
    expect(check('initiator', thProofI)).toEqual({ valid: true, segments: 1 });
    expect(check('responder', thProofR)).toEqual({ valid: true, segments: 1 });
    // The proofs are bound to their own transcript hash, not the other one.
    expect(check('initiator', thProofR)).toMatchObject({ valid: false, fault: 'prover', code: 'bad-proof', segment: 0 });
    // A one-segment proof is exactly RFC 9497's, with the context of segment 0.
    expect(
      verifyProof(GENERATOR, offer('initiator').publicKey, packed('responder', 'blinded'), packed('initiator', 'evaluated'), proof('initiator'), proofContextString(thProofI, 0)),
    ).toBe(true);
    expect(
      verifyProof(GENERATOR, offer('initiator').publicKey, packed('responder', 'blinded'), packed('initiator', 'evaluated'), proof('initiator'), proofContextString(thProofI, 1)),
    ).toBe(false);
    const th = transcript.finalHash();
    expect(hex(th)).toBe(hex(ri.transcriptHash));
    const finishes = records.filter((r) => r.kind === 'finish').map((r) => [r.sender, decodeMessage(r.bytes)] as const);
    expect(finishes).toHaveLength(2);
    for (const [sender, finish] of finishes) {
      if (finish.kind !== 'finish') throw new Error('unreachable');
      expect(finish.intersectionSize).toBe(2);
      expect(ed25519Verify(keys[sender].publicKey, finishSignatureInput(sender, ri.roundId, th, 2), finish.signature)).toBe(true);
      expect(ed25519Verify(keys[sender].publicKey, finishSignatureInput(sender, ri.roundId, th, 3), finish.signature)).toBe(false);
    }
  });

  it('cardinality proofs cover the sums of the lists (SPEC §6.3)', () => {
    const records: TranscriptRecord[] = [];
    const a = ['s1', 's2', 'a1'].map(digest);
    const b = ['s2', 's1', 'b1', 'b2'].map(digest);
    const { initiator, responder } = pair(a, b, { both: { mode: 'cardinality' }, responder: { onMessage: (r) => records.push(r) } });
    pump(initiator, responder);
    expect(completed(responder).intersectionSize).toBe(2);
    const transcript = new Transcript();
    const messages = records.map((r) => [r.sender, decodeMessage(r.bytes)] as const);
    for (const record of records) {
      if (record.kind !== 'finish' && record.kind !== 'abort' && record.kind !== undefined) {
        transcript.absorb(record.sender, record.kind, record.bytes);
      }
    }
    const points = (sender: string, kind: string) =>
      Buffer.concat(messages.flatMap(([s, m]) => (s === sender && m.kind === kind && 'points' in m ? [m.points] : [])));
    const K = (messages.find(([s, m]) => s === 'responder' && m.kind === 'offer')![1] as Extract<Message, { kind: 'offer' }>).publicKey;
    const pi = (messages.find(([s, m]) => s === 'responder' && m.kind === 'proof')![1] as Extract<Message, { kind: 'proof' }>).proof;
    const context = proofContextString(transcript.proofHash('responder'), 0);
    const C = points('initiator', 'blinded');
    const D = points('responder', 'evaluated');
    expect(verifyProof(GENERATOR, K, sumPacked(C), sumPacked(D), pi, context)).toBe(true);
    const input = { mode: 'cardinality' as const, publicKey: K, blinded: C, evaluated: D, proof: pi, proofTranscriptHash: transcript.proofHash('responder') };
    expect(verifyRoundProof(input)).toEqual({ valid: true, segments: 1 });
    // The per-pair relation is not what was proven: the shuffled lists do not pair up.
    expect(verifyProof(GENERATOR, K, C, D, new Uint8Array(pi), context)).toBe(false);
    expect(verifyRoundProof({ ...input, mode: 'intersection' })).toMatchObject({ valid: false, fault: 'prover', code: 'bad-proof', segment: 0 });
  });

  it('is deterministic for fixed seeds: the same inputs give the same transcript', () => {
    const run = () => {
      const { initiator, responder } = pair(['x', 'y'].map(digest), ['y', 'z'].map(digest));
      pump(initiator, responder);
      return hex(completed(responder).transcriptHash);
    };
    expect(run()).toBe(run());
  });
});

/** `count` distinct 32-byte digests as views of one buffer: the index, big-endian, in the first 4 bytes. */
function distinctDigests(count: number): Uint8Array[] {
  const buffer = new Uint8Array(count * 32);
  const view = new DataView(buffer.buffer);
  return Array.from({ length: count }, (_, i) => {
    view.setUint32(i * 32, i);
    return buffer.subarray(i * 32, i * 32 + 32);
  });
}

describe('options (junk table)', () => {
  const base = options('initiator', [digest('x')]);
  const cases: Array<[string, Partial<Record<keyof RoundOptions, unknown>>]> = [
    ['role', { role: 'observer' }],
    ['roundId of 31 bytes', { roundId: new Uint8Array(31) }],
    ['roundId as a string', { roundId: 'a'.repeat(32) }],
    ['rosterDigest of 33 bytes', { rosterDigest: new Uint8Array(33) }],
    ['empty selfId', { selfId: '' }],
    ['selfId of 129 bytes', { selfId: 's'.repeat(129) }],
    ['peerId equal to selfId', { peerId: 'lab-a' }],
    ['unknown mode', { mode: 'union' }],
    ['mode not allowed by policy', { policy: { maxPeerSetSize: 10, modes: ['cardinality'], labelFields: [] } }],
    ['negative cap', { policy: { maxPeerSetSize: -1, modes: ['intersection'], labelFields: [] } }],
    ['cap over the protocol maximum', { policy: { maxPeerSetSize: MAX_SET_SIZE + 1, modes: ['intersection'], labelFields: [] } }],
    ['unknown label field', { policy: { maxPeerSetSize: 10, modes: ['intersection'], labelFields: ['email'] } }],
    ['elements not an array', { elements: new Uint8Array(32) }],
    ['an element of 31 bytes', { elements: [new Uint8Array(31)] }],
    ['an element that is a string', { elements: ['x'.repeat(32)] }],
    ['more than 1,048,576 distinct elements', { elements: distinctDigests(MAX_SET_SIZE + 1) }],
    ['labels not aligned with elements', { labels: [] }],
    ['a label with an unknown field', { labels: [{ email: 'a@b' }] }],
    ['a label with a 65-byte category', { labels: [{ category: 'c'.repeat(65) }] }],
    ['a label with a bad date', { labels: [{ firstSeen: '2025-02-30T00:00' }] }],
    ['rng not a function', { rng: new Uint8Array(64) }],
    ['signingKey of 32 bytes', { signingKey: new Uint8Array(32) }],
    ['peerPublicKey of 64 bytes', { peerPublicKey: new Uint8Array(64) }],
    ['logHead without signature', { logHead: { size: 1, root: new Uint8Array(32), timestamp: 1 } }],
    ['phaseTimer not a function', { phaseTimer: 'yes' }],
  ];
  it.each(cases)('rejects %s with a ValidationError', (_, override) => {
    expect(() => createRound({ ...base, ...override } as RoundOptions)).toThrow(ValidationError);
  });

  it('accepts a log head and carries it in the OFFER', () => {
    const logHead = { size: 7, root: new Uint8Array(32).fill(1), timestamp: 1_767_225_600_000, signature: new Uint8Array(64).fill(2) };
    const round = createRound({ ...base, logHead });
    const offer = decodeMessage(round.start()[0]!.bytes);
    expect(offer.kind === 'offer' && offer.logHead).toEqual(logHead);
  });

  it('refuses start() twice and receive() before the initiator started', () => {
    const round = createRound(base);
    expect(() => round.receive(Uint8Array.of(0x80))).toThrow(/start\(\)/);
    round.start();
    expect(() => round.start()).toThrow(/already/);
  });
});
