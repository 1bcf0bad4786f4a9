/**
 * SPEC §4.5 OFFER checks 1–9 as the receiving round applies them (src/internal/round.ts onOffer):
 * each refusal with its abort reason and its detail, each cap and allowance accepted at its end
 * and refused one past it, and an ad-hoc responder's refusal of a mode telling a mode its policy
 * does not list from a semi-honest mode it has not accepted.
 */
import { CryptoError } from '@venn/errors';
import { createRound, type AbortedResult, type Round } from '@venn/protocol';
import { decodeMessage, encodeMessage, type Message } from '@venn/wire';
import { describe, expect, it } from 'vitest';
import { digest, options, pair, policy, pump, type InFlight } from './harness.js';

const setA = ['s1', 's2', 'a1', 'a2'].map(digest);
const setB = ['s1', 's2', 'b1'].map(digest);

function aborted(round: Round): AbortedResult {
  const result = round.result;
  if (result?.status !== 'aborted') throw new Error(`expected an aborted round, got ${result?.status}`);
  return result;
}

/** Rewrites the initiator's OFFER before the responder sees it. */
function offerRewrite(change: (offer: Extract<Message, { kind: 'offer' }>) => Message): { intercept: (m: InFlight) => Uint8Array[] } {
  return {
    intercept: (m) => (m.from === 'initiator' && m.kind === 'offer' ? [encodeMessage(change(decodeMessage(m.bytes) as Extract<Message, { kind: 'offer' }>))] : [m.bytes]),
  };
}

describe('an ad-hoc responder refusing the OFFER\'s mode says why', () => {
  const adHoc = (modes: Array<'intersection' | 'cardinality'>, semiHonestCardinality: boolean): Round =>
    createRound(options('responder', setB, { mode: 'offered', policy: policy({ modes, semiHonestCardinality }) }));

  it('cardinality listed but not accepted as semi-honest', () => {
    const initiator = createRound(options('initiator', setA, { mode: 'cardinality' }));
    const responder = adHoc(['intersection', 'cardinality'], false);
    pump(initiator, responder);
    expect(aborted(responder).reason).toBe('policy-mismatch');
    expect(aborted(responder).detail).toBe('OFFER mode is cardinality; this party does not accept a semi-honest mode (SPEC §10.4)');
    expect(responder.result?.evaluationsSent).toBe(0);
  });

  it('cardinality not listed: the policy\'s modes are named', () => {
    const initiator = createRound(options('initiator', setA, { mode: 'cardinality' }));
    const responder = adHoc(['intersection'], true);
    pump(initiator, responder);
    expect(aborted(responder).reason).toBe('policy-mismatch');
    expect(aborted(responder).detail).toBe('OFFER mode is cardinality; this party\'s policy runs intersection');
  });

  it('intersection not listed, and a policy that runs no mode at all', () => {
    const initiator = createRound(options('initiator', setA, { mode: 'intersection' }));
    const responder = adHoc(['cardinality'], false);
    pump(initiator, responder);
    expect(aborted(responder).detail).toBe('OFFER mode is intersection; this party\'s policy runs no mode');
    const second = createRound(options('initiator', setA, { mode: 'intersection' }));
    const other = adHoc(['cardinality'], true);
    pump(second, other);
    expect(aborted(other).reason).toBe('policy-mismatch');
    expect(aborted(other).detail).toBe('OFFER mode is intersection; this party\'s policy runs cardinality');
  });

  it('a responder with a fixed mode names both modes', () => {
    const { initiator, responder } = pair(setA, setB, { initiator: { mode: 'cardinality' } });
    pump(initiator, responder);
    expect(aborted(responder).reason).toBe('policy-mismatch');
    expect(aborted(responder).detail).toBe('OFFER mode is cardinality, this party runs intersection');
  });
});

describe('OFFER checks 1–2: the roster and the two members', () => {
  it('names who sent the OFFER to whom', () => {
    const { initiator, responder } = pair(setA, setB, { responder: { peerId: 'lab-c' } });
    pump(initiator, responder);
    expect(aborted(responder).reason).toBe('roster-mismatch');
    expect(aborted(responder).detail).toBe('OFFER is from "lab-a" to "lab-b", expected from "lab-c" to "lab-b"');
  });

  it('an OFFER addressed to another member is refused even from the right sender', () => {
    const { initiator, responder } = pair(setA, setB);
    pump(initiator, responder, offerRewrite((offer) => ({ ...offer, receiver: 'lab-c' })));
    expect(aborted(responder).reason).toBe('roster-mismatch');
    expect(aborted(responder).detail).toBe('OFFER is from "lab-a" to "lab-c", expected from "lab-a" to "lab-b"');
  });

  it('another roster digest', () => {
    const { initiator, responder } = pair(setA, setB);
    pump(initiator, responder, offerRewrite((offer) => ({ ...offer, rosterDigest: new Uint8Array(32).fill(0xb3) })));
    expect(aborted(responder).reason).toBe('roster-mismatch');
    expect(aborted(responder).detail).toBe('OFFER names a roster digest other than the pinned one');
  });
});

describe('OFFER checks 6–8: caps and the evaluation allowance at their ends', () => {
  it('a peer set exactly at maxPeerSetSize and at the allowance is served', () => {
    const { initiator, responder } = pair(setA, setB, { responder: { policy: policy({ maxPeerSetSize: 4, evaluationAllowance: 4 }) } });
    pump(initiator, responder);
    expect(responder.result).toMatchObject({ status: 'completed', intersectionSize: 2, evaluationsSent: 4 });
  });

  it('one over maxPeerSetSize: set-too-large, nothing evaluated', () => {
    const { initiator, responder } = pair(setA, setB, { responder: { policy: policy({ maxPeerSetSize: 3, evaluationAllowance: 3 }) } });
    pump(initiator, responder);
    expect(aborted(responder).reason).toBe('set-too-large');
    expect(aborted(responder).detail).toBe('peer set size 4 exceeds this party\'s maxPeerSetSize 3');
    expect(aborted(responder).evaluationsSent).toBe(0);
  });

  it('one over the allowance: budget-exceeded, nothing evaluated', () => {
    const { initiator, responder } = pair(setA, setB, { responder: { policy: policy({ maxPeerSetSize: 10, evaluationAllowance: 3 }) } });
    pump(initiator, responder);
    expect(aborted(responder).reason).toBe('budget-exceeded');
    expect(aborted(responder).detail).toBe('peer set size 4 exceeds this attempt\'s evaluation allowance 3');
    expect(aborted(responder).evaluationsSent).toBe(0);
  });

  it('an own set over the peer\'s stated cap: set-too-large at the initiator too', () => {
    // The responder states cap 2 (min of its maxPeerSetSize and allowance); the initiator holds 4.
    const { initiator, responder } = pair(setA, setB, { responder: { policy: policy({ maxPeerSetSize: 10, evaluationAllowance: 10 }) } });
    pump(initiator, responder, {
      intercept: (m) => (m.from === 'responder' && m.kind === 'offer'
        ? [encodeMessage({ ...(decodeMessage(m.bytes) as Extract<Message, { kind: 'offer' }>), maxPeerSetSize: 3 })]
        : [m.bytes]),
    });
    expect(aborted(initiator).reason).toBe('set-too-large');
    expect(aborted(initiator).detail).toBe('own set size 4 exceeds the peer\'s maxPeerSetSize 3');
    expect(aborted(initiator).evaluationsSent).toBe(0);
  });

  it('an own set exactly at the peer\'s stated cap is sent', () => {
    const { initiator, responder } = pair(setA, setB, { responder: { policy: policy({ maxPeerSetSize: 10, evaluationAllowance: 4 }) } });
    pump(initiator, responder);
    expect(initiator.result).toMatchObject({ status: 'completed', intersectionSize: 2 });
  });
});

describe('OFFER check 5 and 9', () => {
  it('other identifier rules are named in the detail', () => {
    const { initiator, responder } = pair(setA, setB, { initiator: { identifierRules: 'rules/2' } });
    pump(initiator, responder);
    expect(aborted(responder).reason).toBe('identifier-rules-mismatch');
    expect(aborted(responder).detail).toBe('OFFER idr "rules/2" differs from this party\'s "venn-identifiers/1 hygiene/1 phone-metadata/1"');
  });

  it('a K that is not a ristretto255 element: bad-point', () => {
    const { initiator, responder } = pair(setA, setB);
    pump(initiator, responder, offerRewrite((offer) => ({ ...offer, publicKey: new Uint8Array(32).fill(0xff) })));
    expect(aborted(responder).reason).toBe('bad-point');
    expect(aborted(responder).detail).toBe('OFFER K is not a valid ristretto255 element');
    expect(aborted(responder).evaluationsSent).toBe(0);
    // The cause is the point check, naming the field.
    const cause = aborted(responder).error?.cause;
    expect(cause).toBeInstanceOf(CryptoError);
    expect((cause as CryptoError).message).toMatch(/^"K" expected /);
  });

  it('the identity as K: bad-point, its cause naming K', () => {
    const { initiator, responder } = pair(setA, setB);
    pump(initiator, responder, offerRewrite((offer) => ({ ...offer, publicKey: new Uint8Array(32) })));
    expect(aborted(responder).reason).toBe('bad-point');
    expect((aborted(responder).error?.cause as CryptoError).message).toBe('"K" expected a non-identity ristretto255 element, got the identity');
  });

  it('label fields in a cardinality OFFER: policy-mismatch, said so', () => {
    const { initiator, responder } = pair(setA, setB, { both: { mode: 'cardinality' } });
    pump(initiator, responder, offerRewrite((offer) => ({ ...offer, labelFields: ['reason'] })));
    expect(aborted(responder).reason).toBe('policy-mismatch');
    expect(aborted(responder).detail).toBe('OFFER lists label fields in cardinality mode');
  });

  it('an epoch OFFER into a plain round: epoch-mismatch, nothing evaluated', () => {
    const { initiator, responder } = pair(setA, setB);
    pump(initiator, responder, offerRewrite((offer) => ({
      ...offer,
      epoch: { id: new Uint8Array(32).fill(5), index: 0, previousHash: new Uint8Array(64), accumulated: offer.setSize, removals: 0, epochCap: 100 },
    })));
    expect(aborted(responder).reason).toBe('epoch-mismatch');
    expect(aborted(responder).detail).toBe('OFFER carries an epoch (ep) but this party runs a plain round');
    expect(aborted(responder).evaluationsSent).toBe(0);
  });

  it('a second OFFER is unexpected-message', () => {
    const { initiator, responder } = pair(setA, setB);
    let offer: Uint8Array | undefined;
    pump(initiator, responder, {
      intercept: (m) => {
        if (m.from !== 'initiator' || m.kind !== 'offer') return [m.bytes];
        offer = m.bytes;
        return [m.bytes, m.bytes];
      },
    });
    expect(offer).toBeDefined();
    expect(aborted(responder).reason).toBe('unexpected-message');
    expect(aborted(responder).detail).toBe('a second OFFER arrived');
  });
});
