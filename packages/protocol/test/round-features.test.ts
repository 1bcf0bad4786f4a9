/** Labels, empty sets, option validation and the audit view of a round (SPEC §4, §5.7, §7). */
import { ValidationError } from '@venn/errors';
import { ed25519Sign, ed25519Verify, sumPacked, verifyProof } from '@venn/crypto';
import {
  GENERATOR,
  Transcript,
  chunkContextString,
  chunkTranscriptHash,
  createRound,
  finishSignatureInput,
  ownSetFromDigests,
  sumContextString,
  verifyChunkProof,
  verifySumProof,
  type CompletedResult,
  type Round,
  type RoundOptions,
  type TranscriptRecord,
} from '@venn/protocol';
import { MAX_SET_SIZE, decodeMessage, encodeMessage, type LabelValues, type Message, type Mode } from '@venn/wire';
import { describe, expect, it } from 'vitest';
import { digest, keys, options, pair, policy, pump } from './harness.js';

const hex = (bytes: Uint8Array): string => Buffer.from(bytes).toString('hex');

/** The peer's label for each matched digest (hex), undefined where none came. */
function labelsByDigest(result: CompletedResult): Map<string, LabelValues | undefined> {
  return new Map(Array.from(result.matches, (index, i) => [hex(result.matchedDigests.subarray(i * 32, i * 32 + 32)), result.peerLabels.get(index)]));
}

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
        policy: policy({ labelFields: ['category', 'first_seen', 'reason'] }),
        labels: [
          { category: 'distillation', firstSeen: '2025-10-01', reason: 'scripted' },
          undefined,
          { reason: 'shared card' },
          { category: 'never sent: a1 is not shared', reason: 'x' },
        ],
      },
      responder: {
        policy: policy({ labelFields: ['first_seen', 'reason'] }),
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
    const byElement = labelsByDigest(rr);
    expect([...byElement.keys()].sort()).toEqual(['s1', 's2', 's3'].map((x) => hex(digest(x))).sort());
    expect(byElement.get(hex(digest('s1')))).toEqual({ firstSeen: '2025-10-01', reason: 'scripted' });
    expect(byElement.get(hex(digest('s2')))).toBeUndefined();
    expect(byElement.get(hex(digest('s3')))).toEqual({ reason: 'shared card' });
    expect(rr.peerLabels.size).toBe(2);
    const initiatorView = labelsByDigest(ri);
    expect(initiatorView.get(hex(digest('s1')))).toEqual({ firstSeen: '2024-01-02' });
    expect(ri.peerLabels.size).toBe(1);
    // One LABELS message each; no entry for the unmatched a1 / b1.
    expect(sentLabels.map((m) => m.kind === 'labels' && [m.entries.length, m.end]).sort()).toEqual([[1, true], [2, true]]);
  });

  it('sends no LABELS when either side shares no field', () => {
    const { initiator, responder } = pair(a, b, {
      initiator: { policy: policy({ labelFields: ['reason'] }), labels: a.map(() => ({ reason: 'r' })) },
      responder: { policy: policy({ labelFields: ['category'] }) },
    });
    const kinds: string[] = [];
    pump(initiator, responder, { intercept: (m) => (kinds.push(m.kind), [m.bytes]) });
    expect(kinds).not.toContain('labels');
    expect(completed(responder).matches).toHaveLength(3);
    expect(completed(responder).peerLabels.size).toBe(0);
  });

  it('lists entries in ascending order of the own blinded position (SPEC §5.7)', () => {
    const shared = Array.from({ length: 40 }, (_, i) => digest(`ordered-${i}`));
    const own = [...shared, ...Array.from({ length: 40 }, (_, i) => digest(`own-only-${i}`))];
    const records: TranscriptRecord[] = [];
    const { initiator, responder } = pair(own, shared, {
      both: { policy: policy({ labelFields: ['reason'] }) },
      initiator: { labels: own.map((_, i) => ({ reason: `r${i}` })), onMessage: (r) => records.push(r) },
    });
    pump(initiator, responder);
    const entries = records.filter((r) => r.sender === 'initiator').flatMap((r) => {
      const m = decodeMessage(r.bytes);
      return m.kind === 'labels' ? m.entries : [];
    });
    const returned = Buffer.concat(records.filter((r) => r.sender === 'responder').flatMap((r) => {
      const m = decodeMessage(r.bytes);
      return m.kind === 'evaluated' ? [m.points] : [];
    }));
    // Position p of the initiator's list is answered by returned[p]: the keys must follow p.
    const positions = entries.map((e) => returned.indexOf(Buffer.from(e.key)) / 32);
    expect(positions).toHaveLength(40);
    expect(positions.every((p) => Number.isInteger(p) && p >= 0)).toBe(true);
    expect(positions).toEqual([...positions].sort((x, y) => x - y));
    // The blinded list is shuffled, so this is not the input order of the labelled elements.
    const inputOrder = entries.map((e) => Number(e.reason!.slice(1)));
    expect(inputOrder).not.toEqual([...inputOrder].sort((x, y) => x - y));
    expect(labelsByDigest(completed(responder)).get(hex(shared[7]!))).toEqual({ reason: 'r7' });
  });

  it('splits more than 512 labelled matches into full chunks and a last one', () => {
    const shared = Array.from({ length: 600 }, (_, i) => digest(`shared-${i}`));
    const { initiator, responder } = pair(shared, shared, {
      both: { policy: policy({ labelFields: ['category'] }) },
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
    expect(rr.peerLabels.size).toBe(600);
    const byDigest = labelsByDigest(rr);
    shared.forEach((d, i) => expect(byDigest.get(hex(d))).toEqual({ category: `c${i}` }));
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
    const a = ['s1', 'a1'].map(digest);
    const { initiator, responder } = pair(a, ['s1', 'b1'].map(digest), {
      both: { mode: 'cardinality', policy: policy({ labelFields: ['reason'] }) },
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
    // SPEC §4.4: the responder (one own chunk, two to answer) sends both at once; the initiator
    // answers the responder's only chunk after verifying one of its two.
    const order = chunks.filter(([, kind]) => kind === 'evaluated').map(([from]) => from);
    expect(order).toEqual(['responder', 'responder', 'initiator']);
  }, 120_000);
});

describe('audit view (SPEC §6, §7, §8)', () => {
  it('recorded frames reproduce TH_pre, every chunk proof, the transcript hash and both FINISH signatures', () => {
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
    expect([...bySender.initiator, ...bySender.responder].some((m) => m.kind === 'proof')).toBe(false);
    const blinded = (sender: 'initiator' | 'responder'): Uint8Array => Buffer.concat(bySender[sender].flatMap((m) => (m.kind === 'blinded' ? [m.points] : [])));
    const evaluated = (sender: 'initiator' | 'responder') => bySender[sender].find((m) => m.kind === 'evaluated') as Extract<Message, { kind: 'evaluated' }>;
    const offer = (sender: 'initiator' | 'responder') => bySender[sender].find((m) => m.kind === 'offer') as Extract<Message, { kind: 'offer' }>;
    const preTranscriptHash = transcript.preHash();
    const check = (prover: 'initiator' | 'responder', claimedProver: 'initiator' | 'responder', index = 0) =>
      verifyChunkProof({
        publicKey: offer(prover).publicKey,
        prover: claimedProver,
        preTranscriptHash,
        index,
        blinded: blinded(prover === 'initiator' ? 'responder' : 'initiator'),
        evaluated: evaluated(prover).points,
        proof: evaluated(prover).proof,
      });
    expect(check('initiator', 'initiator')).toEqual({ valid: true });
    expect(check('responder', 'responder')).toEqual({ valid: true });
    // Bound to the prover's role and to the chunk index (SPEC §6.1).
    expect(check('initiator', 'responder')).toMatchObject({ valid: false, fault: 'prover', code: 'bad-proof' });
    expect(check('initiator', 'initiator', 1)).toMatchObject({ valid: false, fault: 'prover', code: 'bad-proof' });
    // A chunk proof is exactly RFC 9497's, with the chunk's own context string.
    const chunkHash = chunkTranscriptHash('initiator', preTranscriptHash, 0, evaluated('initiator').points);
    const context = chunkContextString(chunkHash, 0);
    expect(context).toHaveLength(80);
    expect(verifyProof(GENERATOR, offer('initiator').publicKey, blinded('responder'), evaluated('initiator').points, evaluated('initiator').proof, context)).toBe(true);
    expect(verifyProof(GENERATOR, offer('initiator').publicKey, blinded('responder'), evaluated('initiator').points, evaluated('initiator').proof, chunkContextString(chunkHash, 1))).toBe(false);
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
    // EVALUATED chunks carry no proof in this mode.
    expect(messages.every(([, m]) => m.kind !== 'evaluated' || m.proof.length === 0)).toBe(true);
    const points = (sender: string, kind: string) =>
      Buffer.concat(messages.flatMap(([s, m]) => (s === sender && m.kind === kind && 'points' in m ? [m.points] : [])));
    const K = (messages.find(([s, m]) => s === 'responder' && m.kind === 'offer')![1] as Extract<Message, { kind: 'offer' }>).publicKey;
    const pi = (messages.find(([s, m]) => s === 'responder' && m.kind === 'proof')![1] as Extract<Message, { kind: 'proof' }>).proof;
    const proofTranscriptHash = transcript.proofHash('responder');
    const context = sumContextString(proofTranscriptHash);
    const C = points('initiator', 'blinded');
    const D = points('responder', 'evaluated');
    expect(verifyProof(GENERATOR, K, sumPacked(C), sumPacked(D), pi, context)).toBe(true);
    const input = { publicKey: K, blinded: C, evaluated: D, proof: pi, proofTranscriptHash };
    expect(verifySumProof(input)).toEqual({ valid: true });
    // The per-pair relation is not what was proven: the shuffled lists do not pair up.
    expect(verifyProof(GENERATOR, K, C, D, new Uint8Array(pi), context)).toBe(false);
    expect(verifySumProof({ ...input, proofTranscriptHash: transcript.proofHash('initiator') })).toMatchObject({ valid: false, fault: 'prover', code: 'bad-proof' });
  });

  it('cardinality mode: the evaluations served and accepted are counted point by point, across chunks', () => {
    // 4,097 initiator elements: two BLINDED chunks, so the responder's shuffled EVALUATED stream has two chunks.
    const a = distinctDigests(4097);
    const b = [a[0]!, a[4096]!, digest('b-only')];
    const { initiator, responder } = pair(a, b, { both: { mode: 'cardinality' } });
    pump(initiator, responder);
    const r = completed(responder);
    const i = completed(initiator);
    expect(r.intersectionSize).toBe(2);
    expect(i.intersectionSize).toBe(2);
    expect([r.evaluationsSent, r.evaluationsReceived]).toEqual([4097, 3]);
    expect([i.evaluationsSent, i.evaluationsReceived]).toEqual([3, 4097]);
  });

  it('cardinality mode: the sum proof is verified once, timed as the "verify" phase', () => {
    const phases: string[] = [];
    const timer = <T>(phase: string, work: () => T): T => {
      phases.push(phase);
      return work();
    };
    const { initiator, responder } = pair(['s1', 'a1'].map(digest), ['s1', 'b1', 'b2'].map(digest), {
      both: { mode: 'cardinality' },
      responder: { phaseTimer: timer },
    });
    pump(initiator, responder);
    expect(completed(responder).intersectionSize).toBe(1);
    expect(phases.filter((phase) => phase === 'verify')).toHaveLength(1);
    expect(phases.filter((phase) => phase === 'prove')).toHaveLength(1);
    expect(new Set(phases)).toEqual(new Set(['hash-to-group', 'blind', 'evaluate', 'prove', 'verify', 'match']));
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
  const open = policy();
  const cases: Array<[string, Partial<Record<keyof RoundOptions, unknown>>]> = [
    ['role', { role: 'observer' }],
    ['roundId of 31 bytes', { roundId: new Uint8Array(31) }],
    ['roundId as a string', { roundId: 'a'.repeat(32) }],
    ['rosterDigest of 33 bytes', { rosterDigest: new Uint8Array(33) }],
    ['empty selfId', { selfId: '' }],
    ['selfId of 129 bytes', { selfId: 's'.repeat(129) }],
    ['peerId equal to selfId', { peerId: 'lab-a' }],
    ['unknown mode', { mode: 'union' }],
    ["mode 'offered' for the initiator", { mode: 'offered' }],
    ['mode not allowed by policy', { policy: { ...open, modes: ['cardinality'] } }],
    ['cardinality without semiHonestCardinality', { mode: 'cardinality', policy: { ...open, semiHonestCardinality: false } }],
    ['negative cap', { policy: { ...open, maxPeerSetSize: -1 } }],
    ['cap over the protocol maximum', { policy: { ...open, maxPeerSetSize: MAX_SET_SIZE + 1, evaluationAllowance: 0 } }],
    ['an allowance above maxPeerSetSize', { policy: { ...open, maxPeerSetSize: 10, evaluationAllowance: 11 } }],
    ['no allowance', { policy: { ...open, evaluationAllowance: undefined } }],
    ['semiHonestCardinality missing', { policy: { ...open, semiHonestCardinality: undefined } }],
    ['allowIdentifierRulesMismatch as a string', { policy: { ...open, allowIdentifierRulesMismatch: 'yes' } }],
    ['unknown label field', { policy: { ...open, labelFields: ['email'] } }],
    ['empty identifierRules', { identifierRules: '' }],
    ['identifierRules of 129 bytes', { identifierRules: 'r'.repeat(129) }],
    ['identifierRules with a newline', { identifierRules: 'rules\n' }],
    ['identifierRules not ASCII', { identifierRules: 'règles' }],
    ['ownSet missing', { ownSet: undefined }],
    ['ownSet as an array', { ownSet: [new Uint8Array(32)] }],
    ['ownSet size negative', { ownSet: { size: -1, load: () => ({ digests: new Uint8Array(0) }) } }],
    ['ownSet size over the protocol maximum', { ownSet: { size: MAX_SET_SIZE + 1, load: () => ({ digests: new Uint8Array(0) }) } }],
    ['ownSet without load', { ownSet: { size: 0 } }],
    ['rng not a function', { rng: new Uint8Array(64) }],
    ['signingKey of 32 bytes', { signingKey: new Uint8Array(32) }],
    ['peerPublicKey of 64 bytes', { peerPublicKey: new Uint8Array(64) }],
    ['logHead without signature', { logHead: { size: 1, root: new Uint8Array(32), timestamp: 1 } }],
    ['phaseTimer not a function', { phaseTimer: 'yes' }],
  ];
  it.each(cases)('rejects %s with a ValidationError', (_, override) => {
    expect(() => createRound({ ...base, ...override } as RoundOptions)).toThrow(ValidationError);
  });

  const sorted = (count: number): Uint8Array => {
    const digests = new Uint8Array(32 * count);
    for (let i = 0; i < count; i++) digests[32 * i] = i + 1;
    return digests;
  };
  const loadCases: Array<[string, number, () => unknown]> = [
    ['digests of the wrong length', 3, () => ({ digests: sorted(2) })],
    ['digests that are not bytes', 2, () => ({ digests: [new Uint8Array(32), new Uint8Array(32)] })],
    ['a repeated digest', 3, () => ({ digests: (() => { const d = sorted(3); d.copyWithin(64, 32, 64); return d; })() })],
    ['digests out of order', 3, () => ({ digests: sorted(3).reverse() })],
    ['labelOf that is not a function', 2, () => ({ digests: sorted(2), labelOf: 'x' })],
    ['nothing', 2, () => undefined],
  ];
  it.each(loadCases)('the initiator\'s start() refuses a loaded set with %s, before sending anything', (_, size, load) => {
    const sent: TranscriptRecord[] = [];
    const round = createRound({ ...base, ownSet: { size, load } as RoundOptions['ownSet'], onMessage: (r) => sent.push(r) });
    let caught: unknown;
    try {
      round.start();
    } catch (error) {
      caught = error;
    }
    expect(caught).toBeInstanceOf(ValidationError);
    expect((caught as ValidationError).code).toBe('invalid-own-set');
    expect(sent).toEqual([]);
    // The round is over: nothing more to send, not even an ABORT the peer never expected.
    expect(round.result?.status === 'aborted' && round.result.reason).toBe('internal-error');
    expect(round.abort('cancelled')).toEqual([]);
  });

  it('the responder refuses a bad loaded set with an internal-error ABORT, after the OFFER passed', () => {
    const initiator = createRound(options('initiator', [digest('x')]));
    const responder = createRound({ ...options('responder', [digest('y')]), ownSet: { size: 2, load: () => ({ digests: sorted(2).reverse() }) } });
    const out = responder.receive(initiator.start()[0]!.bytes);
    expect(out.map((m) => m.kind)).toEqual(['abort']);
    const result = responder.result;
    expect(result?.status === 'aborted' && result.reason).toBe('internal-error');
    expect(result?.status === 'aborted' && (result.error?.cause as ValidationError).code).toBe('invalid-own-set');
  });

  it('ownSetFromDigests refuses junk with a ValidationError', () => {
    for (const junk of [new Uint8Array(32), [new Uint8Array(31)], ['x'.repeat(32)]]) {
      expect(() => ownSetFromDigests(junk as unknown as Uint8Array[])).toThrow(ValidationError);
    }
    expect(() => ownSetFromDigests([digest('x')], [])).toThrow(ValidationError);
    expect(() => ownSetFromDigests(distinctDigests(MAX_SET_SIZE + 1))).toThrow(ValidationError);
    // Repeats are kept once, sorted, with the label of their first occurrence.
    const own = ownSetFromDigests([digest('b'), digest('a'), digest('b')], [{ reason: 'first' }, undefined, { reason: 'second' }]);
    expect(own.size).toBe(2);
    const loaded = own.load();
    expect(Buffer.compare(loaded.digests.subarray(0, 32), loaded.digests.subarray(32))).toBeLessThan(0);
    const indexOfB = hex(loaded.digests.subarray(0, 32)) === hex(digest('b')) ? 0 : 1;
    expect(loaded.labelOf?.(indexOfB)).toEqual({ reason: 'first' });
  });

  it('accepts a log head and carries it in the OFFER', () => {
    const logHead = { size: 7, root: new Uint8Array(32).fill(1), timestamp: 1_767_225_600_000, signature: new Uint8Array(64).fill(2) };
    const round = createRound({ ...base, logHead });
    const offer = decodeMessage(round.start()[0]!.bytes);
    expect(offer.kind === 'offer' && offer.logHead).toEqual(logHead);
  });

  it('states cap = min(maxPeerSetSize, evaluationAllowance) and its identifier rules in the OFFER', () => {
    const round = createRound({ ...base, policy: policy({ maxPeerSetSize: 500, evaluationAllowance: 120 }), identifierRules: 'rules v9' });
    const offer = decodeMessage(round.start()[0]!.bytes);
    expect(offer.kind === 'offer' && [offer.version, offer.maxPeerSetSize, offer.identifierRules]).toEqual([2, 120, 'rules v9']);
  });

  it('refuses start() twice and receive() before the initiator started', () => {
    const round = createRound(base);
    expect(() => round.receive(Uint8Array.of(0x80))).toThrow(/start\(\)/);
    round.start();
    expect(() => round.start()).toThrow(/already/);
  });
});
