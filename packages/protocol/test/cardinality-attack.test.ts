/**
 * SPEC §10.4: `cardinality` mode hides nothing from a malicious peer. The attacker M blinds each
 * of its guesses with its own scalar r_j instead of one key; the victim V (the real round engine)
 * cannot tell, returns its shuffled evaluations k_V·r_j·H(g_j) and its blinded list k_V·H(v), and
 * M tests every guess with r_j·C_V[p]. M's own evaluations and sum proof are honest, so V
 * completes the round believing it revealed a count.
 */
import {
  ed25519Sign,
  hashToGroup,
  randomScalar,
  scalarBaseMult,
  scalarMult,
  scalarMultPacked,
} from '@venn/crypto';
import { ValidationError } from '@venn/errors';
import {
  HASH_TO_GROUP_DST,
  Transcript,
  createRound,
  finishSignatureInput,
  generateSumProof,
  type Phase,
  type Round,
} from '@venn/protocol';
import { MAX_CHUNK_POINTS, decodeMessage, encodeMessage, type Message } from '@venn/wire';
import { describe, expect, it } from 'vitest';
import { seededRng } from '../scripts/seeded-rng.js';
import { IDENTIFIER_RULES, digest, keys, options, policy, rosterDigest, roundId } from './harness.js';

const hex = (bytes: Uint8Array): string => Buffer.from(bytes).toString('hex');

const victimSet = ['s1', 's2', 's3', 'v1', 'v2', 'v3', 'v4'].map(digest);
/** M's guesses: three the victim holds, four it does not. */
const guesses = ['x1', 's2', 'x2', 's3', 'x3', 's1', 'x4'].map(digest);

/** M as the initiator of a cardinality round against `victim`, with per-element blinding; returns the guesses M found in V's list. */
function attack(victim: Round): { learned: string[] } {
  const rng = seededRng('cardinality-attack/m');
  const k = randomScalar(rng);
  const K = scalarBaseMult(k);
  const scalars = guesses.map(() => randomScalar(rng));
  // C_M[j] = r_j·H(g_j): each a valid, non-identity point, as an honest blinded list would be.
  const blinded = Uint8Array.from(Buffer.concat(guesses.map((g, j) => scalarMult(scalars[j]!, hashToGroup(g, HASH_TO_GROUP_DST)))));
  const transcript = new Transcript();
  const toVictim: Uint8Array[] = [];
  const send = (message: Message): void => {
    const bytes = encodeMessage(message);
    if (message.kind !== 'finish' && message.kind !== 'abort') transcript.absorb('initiator', message.kind, bytes);
    toVictim.push(bytes);
  };
  send({
    kind: 'offer',
    version: 2,
    roundId,
    rosterDigest,
    sender: 'lab-a',
    receiver: 'lab-b',
    mode: 'cardinality',
    setSize: guesses.length,
    maxPeerSetSize: 65_536,
    labelFields: [],
    identifierRules: IDENTIFIER_RULES,
    publicKey: K,
    logHead: null,
  });
  send({ kind: 'blinded', roundId, seq: 0, points: blinded });
  const fromVictim: Message[] = [];
  const deliver = (): void => {
    while (toVictim.length > 0 && !victim.done) {
      for (const { kind, bytes } of victim.receive(toVictim.shift()!)) {
        const message = decodeMessage(bytes);
        fromVictim.push(message);
        if (kind !== 'finish' && kind !== 'abort') transcript.absorb('responder', kind as 'offer', bytes);
      }
    }
  };
  deliver();
  const points = (kind: 'blinded' | 'evaluated'): Uint8Array =>
    Uint8Array.from(Buffer.concat(fromVictim.flatMap((m) => (m.kind === kind ? [m.points] : []))));
  const victimBlinded = points('blinded');
  const victimEvaluations = points('evaluated');
  // M answers honestly: E_M = k·C_V and a valid sum proof, so every check V makes passes.
  const evaluations = scalarMultPacked(k, victimBlinded);
  for (let seq = 0; seq * MAX_CHUNK_POINTS * 32 < evaluations.length; seq++) {
    send({ kind: 'evaluated', roundId, seq, points: evaluations.subarray(seq * MAX_CHUNK_POINTS * 32, (seq + 1) * MAX_CHUNK_POINTS * 32), proof: new Uint8Array(0) });
  }
  const proofTranscriptHash = transcript.proofHash('initiator');
  send({ kind: 'proof', roundId, proof: generateSumProof(k, { publicKey: K, proofTranscriptHash, blinded: victimBlinded, evaluated: evaluations }, rng) });
  deliver();
  // The test: g_j is in V's list iff r_j·C_V[p] = k_V·r_j·H(v_p) is among V's evaluations of C_M.
  const returned = new Set(Array.from({ length: victimEvaluations.length / 32 }, (_, i) => hex(victimEvaluations.subarray(i * 32, i * 32 + 32))));
  const learned = guesses
    .filter((_, j) =>
      Array.from({ length: victimBlinded.length / 32 }, (_, p) => victimBlinded.subarray(p * 32, p * 32 + 32)).some((point) =>
        returned.has(hex(scalarMult(scalars[j]!, point))),
      ),
    )
    .map(hex);
  // M claims what an honest count over its lists gives (none match), so both claims agree.
  const th = transcript.finalHash();
  send({ kind: 'finish', roundId, intersectionSize: 0, signature: ed25519Sign(keys.initiator.secretKey, finishSignatureInput('initiator', roundId, th, 0)) });
  deliver();
  return { learned };
}

function phaseCounter(): { timer: <T>(phase: Phase, work: () => T) => T; counts: Map<Phase, number> } {
  const counts = new Map<Phase, number>();
  return {
    counts,
    timer: (phase, work) => {
      counts.set(phase, (counts.get(phase) ?? 0) + 1);
      return work();
    },
  };
}

describe('the cardinality attack (SPEC §10.4)', () => {
  it('where both sides accept semi-honest cardinality, a peer blinding each element with its own scalar learns exactly which of its elements matched, and the victim completes', () => {
    // This documents the leak: the mode is safe only against an honest-but-curious peer.
    const victim = createRound(options('responder', victimSet, { mode: 'offered', policy: policy({ semiHonestCardinality: true }) }));
    const { learned } = attack(victim);
    const expected = guesses.filter((g) => victimSet.some((v) => hex(v) === hex(g))).map(hex);
    expect(expected).toHaveLength(3);
    expect(learned.sort()).toEqual(expected.sort());
    // Nothing the victim checks tells per-element blinding from honest blinding.
    expect(victim.result?.status).toBe('completed');
    expect(victim.result?.status === 'completed' && [victim.result.mode, victim.result.intersectionSize]).toEqual(['cardinality', 0]);
  });

  it('a default policy refuses a cardinality round at the OFFER, before reading, blinding or evaluating anything', () => {
    const phases = phaseCounter();
    let loads = 0;
    const victim = createRound({
      ...options('responder', victimSet, {
        mode: 'offered',
        policy: policy({ modes: ['intersection', 'cardinality'], semiHonestCardinality: false }),
        phaseTimer: phases.timer,
      }),
      ownSet: { size: victimSet.length, load: () => ((loads += 1), { digests: new Uint8Array(32 * victimSet.length) }) },
    });
    const { learned } = attack(victim);
    expect(learned).toEqual([]);
    expect(victim.result?.status).toBe('aborted');
    expect(victim.result?.status === 'aborted' && victim.result.reason).toBe('policy-mismatch');
    expect(victim.result?.status === 'aborted' && victim.result.detail).toContain('semi-honest');
    expect(victim.result?.evaluationsSent).toBe(0);
    expect(loads).toBe(0);
    expect(phases.counts.size).toBe(0);
  });

  it('a round cannot even be set up in cardinality mode without an explicit semi-honest acceptance', () => {
    expect(() => createRound(options('responder', victimSet, { mode: 'cardinality', policy: policy({ semiHonestCardinality: false }) }))).toThrow(ValidationError);
    expect(() => createRound(options('initiator', victimSet, { mode: 'cardinality', policy: policy({ semiHonestCardinality: false }) }))).toThrow(/semiHonestCardinality/);
  });
});
