/**
 * Mutation survivors of src/internal/round.ts (first half): the exact error code and message of
 * each refusal SPEC §4.5/§9 names, the epoch-round option checks (SPEC §13.1), local faults while
 * reading or blinding the own set, a non-crypto failure inside a point check, an own set whose
 * labelOf lives on a prototype, and a BLINDED stream of more than one chunk in an epoch round.
 */
import { InternalError, ProtocolError, ValidationError } from '@venn/errors';
import { createRound, type AbortedResult, type LoadedOwnSet, type Round } from '@venn/protocol';
import { decodeMessage, encodeMessage, type LabelsMessage, type Message, type MessageKind, type OfferMessage } from '@venn/wire';
import { describe, expect, it } from 'vitest';
import { seededRng } from '../scripts/seeded-rng.js';
import { EpochParty, element, runEpochRound, unloadedEpochInput } from './epoch-harness.js';
import { digest, options, pair, policy, pump, roundId, thrown, type InFlight } from './harness.js';

const setA = ['s1', 'a1', 'a2'].map(digest);
const setB = ['s1', 'b1'].map(digest);

function aborted(round: Round): AbortedResult {
  const result = round.result;
  if (result?.status !== 'aborted') throw new Error(`expected an aborted round, got ${result?.status}`);
  return result;
}

/** The round aborted with `reason` and `detail`, and its ABORT in `out` says the same. */
function expectAbort(round: Round, out: readonly { kind: MessageKind; bytes: Uint8Array }[] | undefined, reason: string, detail: string): void {
  const result = aborted(round);
  expect(result.reason).toBe(reason);
  expect(result.detail).toBe(detail);
  expect(result.error).toBeInstanceOf(ProtocolError);
  expect(result.error?.code).toBe(reason);
  expect(result.error?.message).toBe(detail);
  if (out !== undefined) {
    expect(out.map((m) => m.kind)).toEqual(['abort']);
    expect(decodeMessage(out[0]!.bytes)).toMatchObject({ kind: 'abort', reason, detail });
  }
}

/** Rewrites the first message of `kind` from `from`. */
function rewrite(from: 'initiator' | 'responder', kind: MessageKind, change: (message: Message, bytes: Uint8Array) => Uint8Array[]) {
  let done = false;
  return (message: InFlight): Uint8Array[] => {
    if (done || message.from !== from || message.kind !== kind) return [message.bytes];
    done = true;
    return change(decodeMessage(message.bytes), message.bytes);
  };
}

/** A started initiator that has not yet had the responder's OFFER. */
function startedInitiator(): Round {
  const round = createRound(options('initiator', setA));
  round.start();
  return round;
}

/** A responder that accepted the initiator's OFFER (and answered it). */
function responderAfterOffer(): Round {
  const { initiator, responder } = pair(setA, setB);
  responder.receive(initiator.start()[0]!.bytes);
  expect(responder.done).toBe(false);
  return responder;
}

const point = (): Uint8Array => new Uint8Array(32);

describe('epoch round options (SPEC §13.1)', () => {
  it('an epoch round in cardinality mode is refused at construction with invalid-option', () => {
    const error = thrown(() => createRound(options('initiator', setA, { mode: 'cardinality', epoch: unloadedEpochInput })));
    expect(error).toBeInstanceOf(ValidationError);
    expect(error.code).toBe('invalid-option');
    expect(error.message).toBe('"mode" expected intersection in an epoch round, got cardinality');
  });

  it('an invalid epoch input is refused at construction, before anything is drawn or sent', () => {
    const error = thrown(() => createRound(options('initiator', setA, { epoch: { ...unloadedEpochInput, key: new Uint8Array(31) } })));
    expect(error).toBeInstanceOf(ValidationError);
    expect(error.code).toBe('invalid-option');
    expect(error.message).toMatch(/^"epoch\.key" expected/);
  });
});

describe('local faults', () => {
  it('an ownSet.load() that throws a plain Error: start() rethrows it and the round ends internal-error, the cause chain kept', () => {
    const failure = new Error('disk gone');
    const round = createRound(options('initiator', setA, { ownSet: { size: 3, load: () => { throw failure; } } }));
    expect(() => round.start()).toThrow(failure);
    const result = aborted(round);
    expect(result.reason).toBe('internal-error');
    expect(result.detail).toBe('Error: disk gone');
    expect(result.error).toBeInstanceOf(ProtocolError);
    expect(result.error?.code).toBe('internal-error');
    expect(result.error?.message).toBe('Error: disk gone');
    const cause = result.error?.cause;
    expect(cause).toBeInstanceOf(InternalError);
    expect((cause as InternalError).code).toBe('internal-error');
    expect((cause as InternalError).cause).toBe(failure);
  });

  it('blinding that fails in precompute() returns the ABORT and ends the round internal-error', () => {
    let broken = false;
    const rng = seededRng('precompute-fails');
    const round = createRound(options('initiator', setA, { rng: (length: number) => { if (broken) throw new Error('entropy gone'); return rng(length); } }));
    expect(round.start().map((m) => m.kind)).toEqual(['offer']);
    broken = true;
    const out = round.precompute();
    expect(out.map((m) => m.kind)).toEqual(['abort']);
    expect(decodeMessage(out[0]!.bytes)).toMatchObject({ kind: 'abort', reason: 'internal-error', detail: 'internal error' });
    expect(aborted(round).reason).toBe('internal-error');
  });

  it('a phase timer that fails while a BLINDED chunk is evaluated is internal-error, not bad-point', () => {
    const { initiator } = pair(setA, setB);
    const responder = createRound(
      options('responder', setB, {
        phaseTimer: (phase, work) => {
          if (phase === 'evaluate') throw new Error('timer broke');
          return work();
        },
      }),
    );
    const toResponder = initiator.start();
    const toInitiator = responder.receive(toResponder[0]!.bytes);
    expect(toInitiator.map((m) => m.kind)).toEqual(['offer', 'blinded']);
    const back = initiator.receive(toInitiator[0]!.bytes);
    expect(back.map((m) => m.kind)).toEqual(['blinded']);
    const out = responder.receive(back[0]!.bytes);
    expect(out.map((m) => m.kind)).toEqual(['abort']);
    const result = aborted(responder);
    expect(result.reason).toBe('internal-error');
    expect(result.error?.code).toBe('internal-error');
    expect(result.error?.message).toBe('Error: timer broke');
  });

  it('receive() after the end names the status in its message', () => {
    const round = startedInitiator();
    round.abort('cancelled');
    const error = thrown(() => round.receive(Uint8Array.of(0x80)));
    expect(error).toBeInstanceOf(ProtocolError);
    expect(error.code).toBe('unexpected-message');
    expect(error.message).toBe('the round is already aborted; no message is expected');
  });
});

describe('an own set whose labelOf is a method of its class', () => {
  it('the labels are still sent: the loaded set is used as load() returned it', () => {
    class Loaded implements LoadedOwnSet {
      constructor(readonly digests: Uint8Array) {}
      labelOf(): { reason: string } {
        return { reason: 'from the prototype' };
      }
    }
    const sorted = [...setA].sort((x, y) => Buffer.compare(x, y));
    const packed = new Uint8Array(sorted.length * 32);
    sorted.forEach((d, i) => packed.set(d, i * 32));
    const labelled = { both: { policy: policy({ labelFields: ['reason'] }) } };
    const { responder } = pair(setA, setB, labelled);
    const initiator = createRound(options('initiator', setA, { ...labelled.both, ownSet: { size: sorted.length, load: () => new Loaded(packed) } }));
    pump(initiator, responder);
    expect(responder.result?.status).toBe('completed');
    if (responder.result?.status !== 'completed') return;
    expect([...responder.result.peerLabels.values()]).toEqual([{ reason: 'from the prototype' }]);
  });
});

describe('exact refusals (SPEC §4.5, §9)', () => {
  it('round-mismatch names the kind of the message', () => {
    const initiator = createRound(options('initiator', setA));
    const responder = createRound(options('responder', setB, { roundId: new Uint8Array(32).fill(0x33) }));
    const out = responder.receive(initiator.start()[0]!.bytes);
    expectAbort(responder, out, 'round-mismatch', "offer carries a round id other than this round's");
  });

  const beforeOffer: [string, Message][] = [
    ['BLINDED', { kind: 'blinded', roundId, seq: 0, points: point() }],
    ['REMOVED', { kind: 'removed', roundId, seq: 0, points: point() }],
    ['EVALUATED', { kind: 'evaluated', roundId, seq: 0, points: point(), proof: new Uint8Array(64) }],
    ['PROOF', { kind: 'proof', roundId, proof: new Uint8Array(64) }],
    ['LABELS', { kind: 'labels', roundId, seq: 0, end: true, entries: [] } as LabelsMessage],
    ['FINISH', { kind: 'finish', roundId, intersectionSize: 0, signature: new Uint8Array(64) }],
  ];
  for (const [kind, message] of beforeOffer) {
    it(`${kind} before the peer's OFFER is unexpected-message naming ${kind}`, () => {
      const round = startedInitiator();
      const out = round.receive(encodeMessage(message));
      expectAbort(round, out, 'unexpected-message', `${kind} arrived before the peer's OFFER`);
    });
  }

  it('a BLINDED chunk that skips one is unexpected-message naming both chunks', () => {
    const { initiator, responder } = pair(setA, setB);
    const offer = decodeMessage(initiator.start()[0]!.bytes) as OfferMessage;
    // The peer declares two chunks' worth of points, then sends chunk 1 first.
    responder.receive(encodeMessage({ ...offer, setSize: 4097 }));
    expect(responder.done).toBe(false);
    const out = responder.receive(encodeMessage({ kind: 'blinded', roundId, seq: 1, points: point() }));
    expectAbort(responder, out, 'unexpected-message', 'BLINDED chunk 1 arrived before chunk 0');
  });

  it('REMOVED in a plain round is unexpected-message', () => {
    const responder = responderAfterOffer();
    const out = responder.receive(encodeMessage({ kind: 'removed', roundId, seq: 0, points: point() }));
    expectAbort(responder, out, 'unexpected-message', 'REMOVED arrived in a round outside any epoch');
  });

  it('an EVALUATED chunk without pi in intersection mode is bad-proof naming both lengths', () => {
    const { initiator, responder } = pair(setA, setB);
    pump(initiator, responder, { intercept: rewrite('initiator', 'evaluated', (m) => [encodeMessage({ ...m, proof: new Uint8Array(0) } as Message)]) });
    expectAbort(responder, undefined, 'bad-proof', 'EVALUATED chunk 0 carries a pi of 0 bytes, expected 64 in intersection mode');
  });

  describe('PROOF (cardinality)', () => {
    const cardinality = { both: { mode: 'cardinality' as const } };

    it('a second PROOF is unexpected-message', () => {
      const { initiator, responder } = pair(setA, setB, cardinality);
      pump(initiator, responder, { intercept: rewrite('initiator', 'proof', (_, bytes) => [bytes, bytes]) });
      expectAbort(responder, undefined, 'unexpected-message', 'a second PROOF arrived');
    });

    it('PROOF before the peer\'s BLINDED stream is complete is count-mismatch', () => {
      const { initiator, responder } = pair(setA, setB, cardinality);
      const fromResponder = responder.receive(initiator.start()[0]!.bytes);
      initiator.receive(fromResponder[0]!.bytes);
      const out = initiator.receive(encodeMessage({ kind: 'proof', roundId, proof: new Uint8Array(64) }));
      expectAbort(initiator, out, 'count-mismatch', 'PROOF arrived after 0 of 1 BLINDED chunks');
    });

    it('PROOF before every EVALUATED chunk is count-mismatch', () => {
      const { initiator, responder } = pair(setA, setB, cardinality);
      const fromResponder = responder.receive(initiator.start()[0]!.bytes);
      for (const m of fromResponder) initiator.receive(m.bytes);
      expect(initiator.done).toBe(false);
      const out = initiator.receive(encodeMessage({ kind: 'proof', roundId, proof: new Uint8Array(64) }));
      expectAbort(initiator, out, 'count-mismatch', 'PROOF arrived after 0 of 1 EVALUATED chunks');
    });

    it('an empty PROOF for a non-empty list is bad-proof naming both lengths', () => {
      const { initiator, responder } = pair(setA, setB, cardinality);
      pump(initiator, responder, { intercept: rewrite('initiator', 'proof', (m) => [encodeMessage({ ...m, proof: new Uint8Array(0) } as Message)]) });
      expectAbort(responder, undefined, 'bad-proof', 'PROOF carries 0 bytes, expected 64');
    });
  });

  describe('LABELS', () => {
    it('LABELS when no fields were agreed is unexpected-message', () => {
      const responder = responderAfterOffer();
      const out = responder.receive(encodeMessage({ kind: 'labels', roundId, seq: 0, end: true, entries: [] } as LabelsMessage));
      expectAbort(responder, out, 'unexpected-message', 'LABELS arrived but no label fields were agreed');
    });

    it('a LABELS entry keyed by a value that did not match is bad-label', () => {
      const { initiator, responder } = pair(setA, setB, { both: { policy: policy({ labelFields: ['reason'] }) } });
      pump(initiator, responder, {
        intercept: rewrite('initiator', 'labels', (m) => [encodeMessage({ ...m, entries: [{ key: new Uint8Array(32).fill(5), reason: 'guess' }] } as Message)]),
      });
      expectAbort(responder, undefined, 'bad-label', 'LABELS entry keyed by a value that is not a matched item');
    });

    it('a LABELS entry with a field not agreed is bad-label naming the field', () => {
      const labels = setA.map(() => ({ reason: 'card testing', category: 'fraud' }));
      const { initiator, responder } = pair(setA, setB, {
        initiator: { labels, policy: policy({ labelFields: ['reason'] }) },
        responder: { policy: policy({ labelFields: ['category', 'reason'] }) },
      });
      pump(initiator, responder, {
        intercept: rewrite('initiator', 'labels', (m) => [encodeMessage({ ...m, entries: (m as LabelsMessage).entries.map((e) => ({ ...e, category: 'fraud' })) } as Message)]),
      });
      expectAbort(responder, undefined, 'bad-label', 'LABELS entry carries category, which was not agreed');
    });
  });

  describe('FINISH', () => {
    it('FINISH right after the OFFER, in a round without labels, is unexpected-message', () => {
      const responder = responderAfterOffer();
      const out = responder.receive(encodeMessage({ kind: 'finish', roundId, intersectionSize: 0, signature: new Uint8Array(64) }));
      expectAbort(responder, out, 'unexpected-message', "FINISH arrived before this party had the peer's evaluations, proofs and LABELS");
    });

    it('a FINISH whose signature does not verify is bad-signature', () => {
      const { initiator, responder } = pair(setA, setB);
      pump(initiator, responder, {
        intercept: rewrite('initiator', 'finish', (m) => {
          const signature = (m as { signature: Uint8Array }).signature.slice();
          signature[0] = signature[0]! ^ 1;
          return [encodeMessage({ ...m, signature } as Message)];
        }),
      });
      expectAbort(responder, undefined, 'bad-signature', "FINISH signature does not verify under the peer's roster key");
    });
  });
});

describe('an epoch round whose BLINDED stream has two chunks (SPEC §13.6 checks 6–7 per chunk)', () => {
  it('a second round in which the responder adds 4097 elements (two chunks) completes on both sides', () => {
    const a = new EpochParty('initiator', 'two-chunks-a');
    const b = new EpochParty('responder', 'two-chunks-b');
    const first = runEpochRound(a, b, { initiator: [element('i', 0), element('s', 0)], responder: [element('r', 0), element('s', 0)] });
    expect(first.results.initiator?.status).toBe('completed');
    const many = Array.from({ length: 4097 }, (_, i) => element('big', i));
    const second = runEpochRound(a, b, { initiator: [element('i', 0), element('s', 0)], responder: [element('r', 0), element('s', 0), ...many] });
    expect(second.results.initiator?.status).toBe('completed');
    expect(second.results.responder?.status).toBe('completed');
    expect(second.results.initiator?.peerSetSize).toBe(4097);
    expect(second.results.initiator?.intersectionSize).toBe(first.results.initiator?.intersectionSize);
  });
});
