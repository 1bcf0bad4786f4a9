/** SPEC §9: every abort reason, raised where the spec says, with the ABORT the peer receives. */
import { ProtocolError } from '@venn/errors';
import { ABORT_REASONS, createRound, type AbortReason, type Phase, type Round, type Role } from '@venn/protocol';
import { decodeMessage, encodeMessage, type LabelsMessage, type Message, type MessageKind } from '@venn/wire';
import { describe, expect, it } from 'vitest';
import { IDENTIFIER_RULES, digest, options, pair, policy, pump, type InFlight } from './harness.js';

const setA = ['s1', 's2', 's3', 'a1', 'a2', 'a3'].map(digest);
const setB = ['s1', 's2', 's3', 'b1', 'b2', 'b3', 'b4'].map(digest);

function reasonOf(round: Round): string | undefined {
  const result = round.result;
  return result?.status === 'aborted' ? result.reason : undefined;
}

/** `honest` aborted with `reason`; `other` got the ABORT, unless it had already completed (`otherMayComplete`). */
function expectAbort(honest: Round, other: Round, reason: AbortReason, otherMayComplete = false): void {
  const result = honest.result;
  expect(result?.status).toBe('aborted');
  if (result?.status !== 'aborted') return;
  expect(result.reason).toBe(reason);
  expect(result.error).toBeInstanceOf(ProtocolError);
  expect(result.error?.code).toBe(reason);
  if (otherMayComplete && other.result?.status === 'completed') return;
  // The other side got the ABORT and ended too.
  expect(other.result?.status).toBe('aborted');
  if (other.result?.status === 'aborted') {
    expect(other.result.reason).toBe('peer-abort');
    expect(other.result.peerReason).toBe(reason);
  }
}

/** Flips one bit of s in an EVALUATED chunk's or a PROOF's pi. */
function tamperedProof(m: Message): Uint8Array[] {
  const proof = (m as { proof: Uint8Array }).proof.slice();
  proof[40] = proof[40]! ^ 1;
  return [encodeMessage({ ...m, proof } as Message)];
}

/** Rewrites the first message of `kind` from `from` (the rewrite returns the frames to deliver). */
function rewrite(from: Role, kind: MessageKind, change: (message: Message, bytes: Uint8Array) => Uint8Array[]) {
  let done = false;
  return (message: InFlight): Uint8Array[] => {
    if (done || message.from !== from || message.kind !== kind) return [message.bytes];
    done = true;
    return change(decodeMessage(message.bytes), message.bytes);
  };
}

/**
 * Counts the work phases each side completes, to show refusals happen before any evaluation: a
 * phase that throws (an evaluation refusing a chunk's invalid point before it uses the key) is
 * not counted; `started` counts every call.
 */
function phaseCounter(): { timer: <T>(phase: Phase, work: () => T) => T; counts: Map<Phase, number>; started: Map<Phase, number> } {
  const counts = new Map<Phase, number>();
  const started = new Map<Phase, number>();
  return {
    counts,
    started,
    timer: (phase, work) => {
      started.set(phase, (started.get(phase) ?? 0) + 1);
      const value = work();
      counts.set(phase, (counts.get(phase) ?? 0) + 1);
      return value;
    },
  };
}

describe('abort reasons', () => {
  it('lists every reason once', () => {
    expect(new Set(ABORT_REASONS).size).toBe(ABORT_REASONS.length);
  });

  it('version-mismatch: an OFFER of another version', () => {
    const { initiator, responder } = pair(setA, setB);
    pump(initiator, responder, {
      intercept: rewrite('initiator', 'offer', (_, bytes) => {
        const frame = bytes.slice();
        // Canonical OFFER: fixmap, "t" 01, "v" 02 — the version byte is at offset 6. Version 1 is withdrawn.
        expect([frame[4], frame[5], frame[6]]).toEqual([0xa1, 0x76, 0x02]);
        frame[6] = 0x01;
        return [frame];
      }),
    });
    expectAbort(responder, initiator, 'version-mismatch');
  });

  it('round-mismatch: a message carrying another round id', () => {
    const { initiator, responder } = pair(setA, setB);
    pump(initiator, responder, {
      intercept: rewrite('responder', 'blinded', (m) => [encodeMessage({ ...m, roundId: new Uint8Array(32).fill(9) })]),
    });
    expectAbort(initiator, responder, 'round-mismatch');
  });

  it('roster-mismatch: another roster digest', () => {
    const { initiator, responder } = pair(setA, setB, { responder: { rosterDigest: new Uint8Array(32).fill(7) } });
    pump(initiator, responder);
    expectAbort(responder, initiator, 'roster-mismatch');
  });

  it('roster-mismatch: an OFFER from a member other than the expected peer', () => {
    const { initiator, responder } = pair(setA, setB, { responder: { peerId: 'lab-c' } });
    pump(initiator, responder);
    expectAbort(responder, initiator, 'roster-mismatch');
  });

  it('policy-mismatch: the two sides run different modes', () => {
    const { initiator, responder } = pair(setA, setB, { responder: { mode: 'cardinality' } });
    pump(initiator, responder);
    expectAbort(responder, initiator, 'policy-mismatch');
  });

  it("policy-mismatch: an ad-hoc responder refuses a mode its policy does not list, before reading its set", () => {
    let loads = 0;
    const { initiator } = pair(setA, setB, { initiator: { mode: 'cardinality' } });
    const responder = createRound({
      ...options('responder', setB, { mode: 'offered', policy: policy({ modes: ['intersection'] }) }),
      ownSet: { size: setB.length, load: () => ((loads += 1), { digests: new Uint8Array(32 * setB.length) }) },
    });
    pump(initiator, responder);
    expectAbort(responder, initiator, 'policy-mismatch');
    expect(loads).toBe(0);
  });

  it('an ad-hoc responder runs the mode of the OFFER when its policy allows it', () => {
    for (const mode of ['intersection', 'cardinality'] as const) {
      const { initiator, responder } = pair(setA, setB, { initiator: { mode }, responder: { mode: 'offered' } });
      pump(initiator, responder);
      expect(responder.result).toMatchObject({ status: 'completed', mode, intersectionSize: 3 });
      expect(responder.result?.ownOffer?.mode).toBe(mode);
    }
  });

  it('identifier-rules-mismatch: an OFFER built under other rules is refused before any evaluation, unless policy allows it', () => {
    const phases = phaseCounter();
    let loads = 0;
    const { initiator } = pair(setA, setB, { initiator: { identifierRules: 'venn-identifiers/2 hygiene/1 phone-metadata/1' } });
    const responder = createRound({
      ...options('responder', setB, { phaseTimer: phases.timer }),
      ownSet: { size: setB.length, load: () => ((loads += 1), { digests: new Uint8Array(32 * setB.length) }) },
    });
    pump(initiator, responder);
    expectAbort(responder, initiator, 'identifier-rules-mismatch');
    expect(responder.result?.status === 'aborted' && responder.result.detail).toContain(IDENTIFIER_RULES);
    expect(loads).toBe(0);
    expect(phases.counts.size).toBe(0);
    const allowed = pair(setA, setB, {
      initiator: { identifierRules: 'venn-identifiers/2 hygiene/1 phone-metadata/1', policy: policy({ allowIdentifierRulesMismatch: true }) },
      responder: { policy: policy({ allowIdentifierRulesMismatch: true }) },
    });
    pump(allowed.initiator, allowed.responder);
    expect(allowed.responder.result).toMatchObject({ status: 'completed', intersectionSize: 3 });
  });

  it('policy-mismatch: label fields offered in cardinality mode', () => {
    const { initiator, responder } = pair(setA, setB, { both: { mode: 'cardinality' } });
    pump(initiator, responder, {
      intercept: rewrite('initiator', 'offer', (m) => [encodeMessage({ ...m, labelFields: ['reason'] } as Message)]),
    });
    expectAbort(responder, initiator, 'policy-mismatch');
  });

  it('set-too-large: a peer set over the cap is refused at OFFER, before any evaluation', () => {
    const responderPhases = phaseCounter();
    const sent: MessageKind[] = [];
    const { initiator, responder } = pair(setA, setB, {
      responder: { policy: policy({ maxPeerSetSize: setA.length - 1 }), phaseTimer: responderPhases.timer },
    });
    pump(initiator, responder, {
      intercept: (m) => {
        if (m.from === 'responder') sent.push(m.kind);
        return [m.bytes];
      },
    });
    expectAbort(responder, initiator, 'set-too-large');
    expect(sent).toEqual(['abort']);
    expect(responderPhases.counts.size).toBe(0);
  });

  it("set-too-large: the initiator refuses a responder set over its own cap", () => {
    const { initiator, responder } = pair(setA, setB, {
      initiator: { policy: policy({ maxPeerSetSize: setB.length - 1 }) },
    });
    pump(initiator, responder);
    // The responder already knows the initiator's cap from its OFFER and refuses first.
    expectAbort(responder, initiator, 'set-too-large');
  });

  it('budget-exceeded: a peer set within maxPeerSetSize but over this attempt\'s allowance is refused at OFFER, before any evaluation', () => {
    const phases = phaseCounter();
    let loads = 0;
    const sent: MessageKind[] = [];
    const { initiator } = pair(setA, setB);
    const responder = createRound({
      ...options('responder', setB, { policy: policy({ maxPeerSetSize: 100, evaluationAllowance: setA.length - 1 }), phaseTimer: phases.timer }),
      ownSet: { size: setB.length, load: () => ((loads += 1), { digests: new Uint8Array(32 * setB.length) }) },
    });
    pump(initiator, responder, {
      intercept: (m) => {
        if (m.from === 'responder') sent.push(m.kind);
        return [m.bytes];
      },
    });
    expectAbort(responder, initiator, 'budget-exceeded');
    expect(sent).toEqual(['abort']);
    expect(loads).toBe(0);
    expect(phases.counts.size).toBe(0);
    // The peer learns the allowance from the cap of an OFFER: here the initiator's, which the responder respects.
    const capped = pair(setA, setB, { initiator: { policy: policy({ maxPeerSetSize: 100, evaluationAllowance: setB.length - 1 }) } });
    pump(capped.initiator, capped.responder);
    expect(capped.initiator.result?.ownOffer?.maxPeerSetSize).toBe(setB.length - 1);
    expectAbort(capped.responder, capped.initiator, 'set-too-large');
  });

  it('malformed-message: a frame that does not decode', () => {
    const { initiator, responder } = pair(setA, setB);
    pump(initiator, responder, { intercept: rewrite('responder', 'blinded', () => [Uint8Array.of(0x81, 0xa1, 0x74)]) });
    expectAbort(initiator, responder, 'malformed-message');
  });

  it('unexpected-message: BLINDED before the OFFER', () => {
    const { initiator, responder } = pair(setA, setB);
    pump(initiator, responder, {
      intercept: rewrite('initiator', 'offer', (m) => [
        encodeMessage({ kind: 'blinded', roundId: m.roundId, seq: 0, points: (m as { publicKey: Uint8Array }).publicKey }),
      ]),
    });
    expectAbort(responder, initiator, 'unexpected-message');
  });

  it('unexpected-message: a second OFFER', () => {
    const { initiator, responder } = pair(setA, setB);
    pump(initiator, responder, { intercept: rewrite('initiator', 'offer', (_, bytes) => [bytes, bytes]) });
    expectAbort(responder, initiator, 'unexpected-message');
  });

  it('unexpected-message: a BLINDED chunk that skips one', () => {
    const big = Array.from({ length: 4097 }, (_, i) => digest(`big-${i}`));
    const { initiator, responder } = pair(big, setB);
    pump(initiator, responder, { intercept: rewrite('initiator', 'blinded', () => []) });
    expectAbort(responder, initiator, 'unexpected-message');
  });

  it('unexpected-message: FINISH before the EVALUATED chunks', () => {
    const { initiator, responder } = pair(setA, setB);
    pump(initiator, responder, {
      intercept: rewrite('responder', 'evaluated', (m) => [
        encodeMessage({ kind: 'finish', roundId: m.roundId, intersectionSize: 3, signature: new Uint8Array(64) }),
      ]),
    });
    expectAbort(initiator, responder, 'unexpected-message');
  });

  it('unexpected-message: LABELS when no label fields were agreed', () => {
    const { initiator, responder } = pair(setA, setB);
    pump(initiator, responder, {
      intercept: rewrite('responder', 'evaluated', (m, bytes) => [
        bytes,
        encodeMessage({ kind: 'labels', roundId: m.roundId, seq: 0, end: true, entries: [] }),
      ]),
    });
    expectAbort(initiator, responder, 'unexpected-message', true);
  });

  it('unexpected-message: LABELS before the result (an EVALUATED chunk still missing)', () => {
    const both = { policy: policy({ labelFields: ['reason'] }) };
    const { initiator, responder } = pair(setA, setB, { both, responder: { labels: setB.map(() => ({ reason: 'r' })) } });
    pump(initiator, responder, {
      intercept: rewrite('responder', 'evaluated', (m) => [encodeMessage({ kind: 'labels', roundId: m.roundId, seq: 0, end: true, entries: [] })]),
    });
    expectAbort(initiator, responder, 'unexpected-message');
  });

  it('unexpected-message: a PROOF in intersection mode, where each chunk carries its proof', () => {
    const { initiator, responder } = pair(setA, setB);
    pump(initiator, responder, {
      intercept: rewrite('responder', 'evaluated', (m, bytes) => [bytes, encodeMessage({ kind: 'proof', roundId: m.roundId, proof: (m as { proof: Uint8Array }).proof })]),
    });
    expectAbort(initiator, responder, 'unexpected-message', true);
    expect(initiator.result?.status === 'aborted' && initiator.result.detail).toMatch(/PROOF.*intersection/);
  });

  it("unexpected-message: an EVALUATED chunk before the sender's last BLINDED chunk", () => {
    const big = Array.from({ length: 4097 }, (_, i) => digest(`big-${i}`));
    const { initiator, responder } = pair(setA, big);
    pump(initiator, responder, {
      // The responder's second and last BLINDED chunk is replaced by an EVALUATED chunk.
      intercept: (m) => {
        if (m.from !== 'responder' || m.kind !== 'blinded' || (decodeMessage(m.bytes) as { seq: number }).seq !== 1) return [m.bytes];
        const { roundId, points } = decodeMessage(m.bytes) as { roundId: Uint8Array; points: Uint8Array };
        return [encodeMessage({ kind: 'evaluated', roundId, seq: 0, points: points.subarray(0, 32 * setA.length), proof: new Uint8Array(64) })];
      },
    });
    expectAbort(initiator, responder, 'unexpected-message');
    expect(initiator.result?.status === 'aborted' && initiator.result.detail).toBe("EVALUATED arrived after 1 of the peer's 2 BLINDED chunks");
  });

  it('duplicate-chunk: the same BLINDED chunk twice', () => {
    const { initiator, responder } = pair(setA, setB);
    pump(initiator, responder, { intercept: rewrite('responder', 'blinded', (_, bytes) => [bytes, bytes]) });
    expectAbort(initiator, responder, 'duplicate-chunk');
  });

  it('duplicate-chunk: the same EVALUATED chunk twice', () => {
    const { initiator, responder } = pair(setA, setB);
    pump(initiator, responder, { intercept: rewrite('responder', 'evaluated', (_, bytes) => [bytes, bytes]) });
    // The responder may already hold everything it needs, and the initiator's FINISH.
    expectAbort(initiator, responder, 'duplicate-chunk', true);
  });

  it('count-mismatch: a BLINDED stream longer than declared aborts before the excess is evaluated', () => {
    const phases = phaseCounter();
    const { initiator, responder } = pair(setA, setB, { responder: { phaseTimer: phases.timer } });
    pump(initiator, responder, {
      intercept: rewrite('initiator', 'blinded', (m) => {
        const chunk = m as { points: Uint8Array };
        const longer = new Uint8Array(chunk.points.length + 32);
        longer.set(chunk.points);
        longer.set(chunk.points.subarray(0, 32), chunk.points.length);
        return [encodeMessage({ ...m, points: longer } as Message)];
      }),
    });
    expectAbort(responder, initiator, 'count-mismatch');
    expect(phases.counts.get('evaluate')).toBeUndefined();
  });

  it('count-mismatch: an extra BLINDED chunk after the declared set', () => {
    const { initiator, responder } = pair(setA, setB);
    pump(initiator, responder, {
      intercept: rewrite('initiator', 'blinded', (m, bytes) => [bytes, encodeMessage({ ...m, seq: 1 } as Message)]),
    });
    expectAbort(responder, initiator, 'count-mismatch');
  });

  it('count-mismatch: PROOF before every EVALUATED chunk arrived (cardinality)', () => {
    const { initiator, responder } = pair(setA, setB, { both: { mode: 'cardinality' } });
    pump(initiator, responder, { intercept: rewrite('responder', 'evaluated', () => []) });
    expectAbort(initiator, responder, 'count-mismatch');
  });

  it('bad-point: the identity inside a BLINDED chunk', () => {
    const phases = phaseCounter();
    const { initiator, responder } = pair(setA, setB, { responder: { phaseTimer: phases.timer } });
    pump(initiator, responder, {
      intercept: rewrite('initiator', 'blinded', (m) => {
        const points = (m as { points: Uint8Array }).points.slice();
        points.fill(0, 64, 96);
        return [encodeMessage({ ...m, points } as Message)];
      }),
    });
    expectAbort(responder, initiator, 'bad-point');
    expect(responder.result?.status === 'aborted' && responder.result.detail).toMatch(/BLINDED\[0\]\[2\].*identity/);
    expect(phases.counts.get('evaluate')).toBeUndefined();
  });

  it('bad-point: a non-canonical encoding inside an EVALUATED chunk', () => {
    const { initiator, responder } = pair(setA, setB);
    pump(initiator, responder, {
      intercept: rewrite('responder', 'evaluated', (m) => {
        const points = (m as { points: Uint8Array }).points.slice();
        points.fill(0xff, 0, 32);
        return [encodeMessage({ ...m, points } as Message)];
      }),
    });
    expectAbort(initiator, responder, 'bad-point');
  });

  // In intersection mode the proof's verification decodes the EVALUATED points (check 5 folded
  // into step 7); a chunk that fails check 5 is still refused as bad-point, whatever else is wrong.
  describe('bad-point before bad-proof: an EVALUATED chunk with an invalid point', () => {
    const invalidAt = (m: Message, index: number, fill: number): Uint8Array => {
      const points = (m as { points: Uint8Array }).points.slice();
      points.fill(fill, index * 32, index * 32 + 32);
      return points;
    };
    it.each([
      ['an intact pi', (m: Message) => ({ ...m, points: invalidAt(m, 3, 0xff) }), /^EVALUATED chunk 0: "EVALUATED\[0\]\[3\]" expected a canonical ristretto255 encoding/],
      ['the identity and an intact pi', (m: Message) => ({ ...m, points: invalidAt(m, 5, 0) }), /^EVALUATED chunk 0: "EVALUATED\[0\]\[5\]" expected a non-identity ristretto255 element/],
      ['a pi of the wrong length (step 6)', (m: Message) => ({ ...m, points: invalidAt(m, 3, 0xff), proof: new Uint8Array(0) }), /"EVALUATED\[0\]\[3\]"/],
      ['a pi whose scalars are not canonical', (m: Message) => ({ ...m, points: invalidAt(m, 3, 0xff), proof: new Uint8Array(64).fill(0xff) }), /"EVALUATED\[0\]\[3\]"/],
      ['a tampered pi', (m: Message) => ({ ...(decodeMessage(tamperedProof(m)[0]!) as Message), points: invalidAt(m, 0, 0xff) }), /"EVALUATED\[0\]\[0\]"/],
    ] as const)('with %s', (_label, change, detail) => {
      const { initiator, responder } = pair(setA, setB);
      pump(initiator, responder, { intercept: rewrite('initiator', 'evaluated', (m) => [encodeMessage(change(m) as Message)]) });
      expectAbort(responder, initiator, 'bad-point');
      expect(responder.result?.status === 'aborted' && responder.result.detail).toMatch(detail);
    });

    it('with an intact pi, the points are decoded by the verification alone: one verify started, then bad-point', () => {
      const phases = phaseCounter();
      const { initiator, responder } = pair(setA, setB, { responder: { phaseTimer: phases.timer } });
      pump(initiator, responder, { intercept: rewrite('initiator', 'evaluated', (m) => [encodeMessage({ ...m, points: invalidAt(m, 3, 0xff) } as Message)]) });
      expectAbort(responder, initiator, 'bad-point');
      // Step 7 ran over the chunk (and failed) before check 5 was applied on its own.
      expect(phases.started.get('verify')).toBe(1);
      expect(phases.counts.get('verify')).toBe(1);
    });

    it('an intact chunk whose pi was tampered with is bad-proof', () => {
      const { initiator, responder } = pair(setA, setB);
      pump(initiator, responder, { intercept: rewrite('initiator', 'evaluated', (m) => tamperedProof(m)) });
      expectAbort(responder, initiator, 'bad-proof');
      expect(responder.result?.status === 'aborted' && responder.result.detail).toMatch(/^the peer's proof of EVALUATED chunk 0 does not verify/);
    });
  });

  // In cardinality mode no chunk proof decodes the points, so check 5 is applied to each chunk on arrival.
  describe('bad-point: an EVALUATED chunk with an invalid point in cardinality mode', () => {
    const withPoint = (m: Message, index: number, fill: number): Message => {
      const points = (m as { points: Uint8Array }).points.slice();
      points.fill(fill, index * 32, index * 32 + 32);
      return { ...m, points } as Message;
    };
    it.each([
      ['a non-canonical encoding', 3, 0xff, 'EVALUATED chunk 0: "EVALUATED[0][3]" expected a canonical ristretto255 encoding'],
      ['the identity', 5, 0, 'EVALUATED chunk 0: "EVALUATED[0][5]" expected a non-identity ristretto255 element'],
    ] as const)('%s is refused on arrival, before the PROOF', (_label, index, fill, detail) => {
      const phases = phaseCounter();
      const { initiator, responder } = pair(setA, setB, { both: { mode: 'cardinality' }, responder: { phaseTimer: phases.timer } });
      const after: MessageKind[] = [];
      pump(initiator, responder, {
        intercept: rewrite('initiator', 'evaluated', (m) => [encodeMessage(withPoint(m, index, fill))]),
        onDelivered: (to, frame, out) => {
          if (to === 'responder' && decodeMessage(frame).kind === 'evaluated') after.push(...out.map((o) => o.kind));
        },
      });
      expectAbort(responder, initiator, 'bad-point');
      const result = responder.result;
      expect(result?.status === 'aborted' && result.detail.startsWith(detail)).toBe(true);
      expect(after).toEqual(['abort']);
      expect(phases.started.get('verify')).toBeUndefined();
      expect(result?.evaluationsReceived).toBe(0);
    });
  });

  it('bad-point: an OFFER whose K is the identity', () => {
    const { initiator, responder } = pair(setA, setB);
    pump(initiator, responder, {
      intercept: rewrite('initiator', 'offer', (m) => [encodeMessage({ ...m, publicKey: new Uint8Array(32) } as Message)]),
    });
    expectAbort(responder, initiator, 'bad-point');
  });

  it('bad-proof: a tampered chunk proof, before the receiver releases anything more', () => {
    const { initiator, responder } = pair(setA, setB);
    const after: MessageKind[] = [];
    pump(initiator, responder, {
      intercept: rewrite('initiator', 'evaluated', (m) => tamperedProof(m)),
      onDelivered: (to, frame, out) => {
        if (to === 'responder' && decodeMessage(frame).kind === 'evaluated') after.push(...out.map((o) => o.kind));
      },
    });
    expectAbort(responder, initiator, 'bad-proof');
    expect(after).toEqual(['abort']);
  });

  it('bad-proof: a chunk proof whose scalar is not canonical', () => {
    const { initiator, responder } = pair(setA, setB);
    pump(initiator, responder, {
      intercept: rewrite('initiator', 'evaluated', (m) => [encodeMessage({ ...m, proof: new Uint8Array(64).fill(0xff) } as Message)]),
    });
    expectAbort(responder, initiator, 'bad-proof');
  });

  it('bad-proof: an EVALUATED chunk without pi in intersection mode, refused before any verification work', () => {
    const phases = phaseCounter();
    const { initiator, responder } = pair(setA, setB, { responder: { phaseTimer: phases.timer } });
    pump(initiator, responder, {
      intercept: rewrite('initiator', 'evaluated', (m) => [encodeMessage({ ...m, proof: new Uint8Array(0) } as Message)]),
    });
    expectAbort(responder, initiator, 'bad-proof');
    expect(phases.counts.get('verify')).toBeUndefined();
  });

  it('bad-proof: an EVALUATED chunk with a 64-byte pi in cardinality mode', () => {
    const { initiator, responder } = pair(setA, setB, { both: { mode: 'cardinality' } });
    pump(initiator, responder, {
      intercept: rewrite('initiator', 'evaluated', (m) => [encodeMessage({ ...m, proof: new Uint8Array(64).fill(1) } as Message)]),
    });
    expectAbort(responder, initiator, 'bad-proof');
  });

  it('bad-proof: a tampered sum proof (cardinality)', () => {
    const { initiator, responder } = pair(setA, setB, { both: { mode: 'cardinality' } });
    pump(initiator, responder, { intercept: rewrite('initiator', 'proof', (m) => tamperedProof(m)) });
    expectAbort(responder, initiator, 'bad-proof');
    expect(responder.result?.status === 'aborted' && responder.result.detail).toBe("the peer's sum proof does not verify over this party's blinded list: the sum proof does not verify");
  });

  it('bad-proof: an empty PROOF for a non-empty list (cardinality), refused before any verification work', () => {
    const phases = phaseCounter();
    const { initiator, responder } = pair(setA, setB, { both: { mode: 'cardinality' }, responder: { phaseTimer: phases.timer } });
    pump(initiator, responder, {
      intercept: rewrite('initiator', 'proof', (m) => [encodeMessage({ ...m, proof: new Uint8Array(0) } as Message)]),
    });
    expectAbort(responder, initiator, 'bad-proof');
    expect(phases.counts.get('verify')).toBeUndefined();
  });

  it('bad-proof: a chunk proof replayed from another round', () => {
    const first = pair(setA, setB);
    let replayed: Uint8Array | undefined;
    pump(first.initiator, first.responder, {
      intercept: (m) => {
        const message = decodeMessage(m.bytes);
        if (message.kind === 'evaluated' && m.from === 'initiator') replayed = message.proof;
        return [m.bytes];
      },
    });
    // Same keys and sets, another round id: only the transcript binding tells the rounds apart.
    const second = pair(setA, setB, { both: { roundId: new Uint8Array(32).fill(0x5e) } });
    pump(second.initiator, second.responder, {
      intercept: rewrite('initiator', 'evaluated', (m) => [encodeMessage({ ...m, proof: replayed! } as Message)]),
    });
    expect(replayed).toHaveLength(64);
    expectAbort(second.responder, second.initiator, 'bad-proof');
  });

  it('bad-label: a label keyed by a value that did not match', () => {
    const { initiator, responder } = pair(setA, setB, { both: { policy: policy({ labelFields: ['reason'] }) } });
    pump(initiator, responder, {
      intercept: rewrite('initiator', 'labels', (m) => [
        encodeMessage({ ...m, entries: [{ key: new Uint8Array(32).fill(5), reason: 'guess' }] } as Message),
      ]),
    });
    expectAbort(responder, initiator, 'bad-label');
  });

  it('bad-label: a field the parties did not agree on', () => {
    const labels = setA.map(() => ({ reason: 'card testing', category: 'fraud' }));
    const { initiator, responder } = pair(setA, setB, {
      initiator: { labels, policy: policy({ labelFields: ['reason'] }) },
      responder: { policy: policy({ labelFields: ['category', 'reason'] }) },
    });
    pump(initiator, responder, {
      intercept: rewrite('initiator', 'labels', (m) => {
        const entries = (m as LabelsMessage).entries;
        // Only the agreed field was sent; a cheating sender adds the other one.
        expect(entries.map((e) => Object.keys(e).sort())).toEqual(entries.map(() => ['key', 'reason']));
        return [encodeMessage({ ...m, entries: entries.map((e) => ({ ...e, category: 'fraud' })) } as Message)];
      }),
    });
    expectAbort(responder, initiator, 'bad-label');
  });

  it('bad-label: the same key twice', () => {
    const labels = setA.map(() => ({ reason: 'card testing' }));
    const { initiator, responder } = pair(setA, setB, { initiator: { labels }, both: { policy: policy({ labelFields: ['reason'] }) } });
    pump(initiator, responder, {
      intercept: rewrite('initiator', 'labels', (m) => {
        const entries = (m as LabelsMessage).entries;
        expect(entries.length).toBe(3);
        return [encodeMessage({ ...m, entries: [...entries, entries[0]!] } as Message)];
      }),
    });
    expectAbort(responder, initiator, 'bad-label');
    expect(responder.result?.status === 'aborted' && responder.result.detail).toBe('LABELS entry repeats a key');
  });

  it('bad-signature: a FINISH that does not verify', () => {
    const { initiator, responder } = pair(setA, setB);
    pump(initiator, responder, {
      intercept: rewrite('responder', 'finish', (m) => [
        encodeMessage({ ...m, signature: new Uint8Array(64).fill(3) } as Message),
      ]),
    });
    const result = initiator.result;
    expect(result?.status).toBe('aborted');
    if (result?.status === 'aborted') expect(result.reason).toBe('bad-signature');
    // The responder may already have completed: it verified the initiator's valid FINISH.
    expect(responder.result?.status).toBe('completed');
  });

  it('bad-signature: a FINISH signed by a key other than the roster key', () => {
    const { initiator, responder } = pair(setA, setB, { initiator: { peerPublicKey: options('initiator', []).signingKey.slice(32) } });
    pump(initiator, responder);
    expect(reasonOf(initiator)).toBe('bad-signature');
  });

  it('timeout and cancelled: local aborts send an ABORT and end the round', () => {
    for (const reason of ['timeout', 'cancelled'] as const) {
      const { initiator, responder } = pair(setA, setB);
      const offer = initiator.start();
      responder.receive(offer[0]!.bytes);
      expect(responder.result).toBeUndefined();
      const abort = initiator.abort(reason, 'no answer in 30 s');
      expect(abort.map((m) => m.kind)).toEqual(['abort']);
      expect(reasonOf(initiator)).toBe(reason);
      expect(responder.receive(abort[0]!.bytes)).toEqual([]);
      expect(responder.result?.status === 'aborted' && responder.result.peerReason).toBe(reason);
      expect(initiator.abort('cancelled')).toEqual([]);
    }
  });

  it('internal-error: a failing hook ends the round with an ABORT instead of half-way', () => {
    const { initiator } = pair(setA, setB);
    const responder = createRound(
      options('responder', setB, {
        onMessage: (record) => {
          if (record.direction === 'received') throw new Error('disk full');
        },
      }),
    );
    const out = responder.receive(initiator.start()[0]!.bytes);
    expect(out.map((m) => m.kind)).toEqual(['abort']);
    expect(reasonOf(responder)).toBe('internal-error');
  });

  it('malformed-message: something that is not bytes at all', () => {
    for (const junk of [null, undefined, 'offer', 42, { t: 1 }, [0x80]]) {
      const responder = createRound(options('responder', setB));
      const out = responder.receive(junk as unknown as Uint8Array);
      expect(out.map((m) => m.kind)).toEqual(['abort']);
      expect(reasonOf(responder)).toBe('malformed-message');
    }
  });

  it('a finished round refuses further frames with a ProtocolError', () => {
    const { initiator, responder } = pair(setA, setB);
    pump(initiator, responder);
    expect(() => initiator.receive(Uint8Array.of(0x80))).toThrow(ProtocolError);
  });
});
