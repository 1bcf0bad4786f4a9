/**
 * audit.md §3 attempt accounts, against the protocol's own transcript (SPEC §7.3, §13.5) as the
 * reference: the attempt hash is TH(0x03, {0..9}) over every recorded frame that decodes, FINISH and
 * ABORT excluded, or TH(0x07, {0..11}) once an OFFER carries an epoch; a LABELS stream given as its
 * digest stands for those frames; the set sizes are each party's first OFFER and the evaluation
 * counts the points of its EVALUATED chunks. A lab that pads its record with junk frames, a second
 * OFFER or a FINISH cannot change what its leaf must say.
 */
import { MapEpochState } from '../../protocol/scripts/epoch-state.js';
import { Transcript, type Role, type TranscriptKind } from '@venn/protocol';
import { decodeMessage, encodeMessage, type Message } from '@venn/wire';
import { describe, expect, it } from 'vitest';
import { PURPOSE_ATTEMPT, PURPOSE_EPOCH_ATTEMPT, attemptAccounts } from '../src/index.js';
import { digest, epochRoundId, initiatorEpochId, playRound, type PlayedRound } from './round-harness.js';

const roles = ['initiator', 'responder'] as const;

/** Each party's frames as sent (the frames the exporter recorded from both sides). */
function sentFrames(played: PlayedRound): Record<Role, Uint8Array[]> {
  return {
    initiator: played.records.initiator.filter((m) => m.direction === 'sent').map((m) => m.bytes),
    responder: played.records.responder.filter((m) => m.direction === 'sent').map((m) => m.bytes),
  };
}

/** The reference: the protocol's Transcript over the same frames. */
function reference(frames: Record<Role, Uint8Array[]>, epoch: boolean): Uint8Array {
  const transcript = new Transcript();
  for (const sender of roles) {
    for (const frame of frames[sender]) {
      let message: Message;
      try {
        message = decodeMessage(frame);
      } catch {
        continue;
      }
      if (message.kind === 'finish' || message.kind === 'abort') continue;
      transcript.absorb(sender, message.kind as TranscriptKind, frame);
    }
  }
  return epoch ? transcript.epochAttemptHash() : transcript.attemptHash();
}

const hex = (bytes: Uint8Array): string => Buffer.from(bytes).toString('hex');
const elements = { initiator: ['a', 'b', 'c'].map(digest), responder: ['b', 'c', 'd', 'e', 'f'].map(digest) };
const played = playRound({ elements, policy: { initiator: { labelFields: [] }, responder: { labelFields: [] } } });
const frames = sentFrames(played);

describe('attempt accounts of a whole round', () => {
  it('match the protocol transcript, the OFFERs set sizes and the points of the EVALUATED chunks', () => {
    const accounts = attemptAccounts({ initiator: { frames: frames.initiator }, responder: { frames: frames.responder } });
    expect(accounts.initiatorSetSize).toBe(3);
    expect(accounts.responderSetSize).toBe(5);
    // Each party evaluates the other's blinded set: the initiator 5 points, the responder 3.
    expect(accounts.initiatorEvaluations).toBe(5);
    expect(accounts.responderEvaluations).toBe(3);
    expect(accounts.attemptHash.length).toBe(64);
    expect(hex(accounts.attemptHash)).toBe(hex(reference(frames, false)));
    expect(PURPOSE_ATTEMPT).toBe(0x03);
  });

  it('swapping whose frames are whose changes the hash and the counts', () => {
    const swapped = attemptAccounts({ initiator: { frames: frames.responder }, responder: { frames: frames.initiator } });
    expect(swapped.initiatorSetSize).toBe(5);
    expect(swapped.responderSetSize).toBe(3);
    expect(swapped.initiatorEvaluations).toBe(3);
    expect(swapped.responderEvaluations).toBe(5);
    expect(hex(swapped.attemptHash)).not.toBe(hex(reference(frames, false)));
  });

  it('leaves out FINISH, ABORT and frames that do not decode, whoever recorded them', () => {
    const finish = frames.initiator.filter((frame) => decodeMessage(frame).kind === 'finish');
    expect(finish.length).toBe(1);
    const junk = Uint8Array.of(0xc1, 0x00, 0x01);
    const abort = encodeMessage({ kind: 'abort', roundId: played.roundId, reason: 'timeout', detail: '' });
    const padded = {
      initiator: [junk, ...frames.initiator, abort],
      responder: [...frames.responder, junk, ...finish],
    };
    const accounts = attemptAccounts({ initiator: { frames: padded.initiator }, responder: { frames: padded.responder } });
    expect(hex(accounts.attemptHash)).toBe(hex(reference(frames, false)));
    const withoutFinish = { initiator: frames.initiator.filter((frame) => decodeMessage(frame).kind !== 'finish'), responder: frames.responder };
    expect(hex(attemptAccounts({ initiator: { frames: withoutFinish.initiator }, responder: { frames: withoutFinish.responder } }).attemptHash)).toBe(hex(reference(frames, false)));
  });

  it('a second OFFER enters the stream but does not change the declared set size', () => {
    const offer = decodeMessage(frames.responder[0]!);
    expect(offer.kind).toBe('offer');
    const second = encodeMessage({ ...offer, setSize: 9 } as Message);
    const doubled = { initiator: frames.initiator, responder: [frames.responder[0]!, second, ...frames.responder.slice(1)] };
    const accounts = attemptAccounts({ initiator: { frames: doubled.initiator }, responder: { frames: doubled.responder } });
    expect(accounts.responderSetSize).toBe(5);
    expect(hex(accounts.attemptHash)).toBe(hex(reference(doubled, false)));
    expect(hex(accounts.attemptHash)).not.toBe(hex(reference(frames, false)));
  });

  it('no frame at all: empty hash, no set sizes, no evaluations', () => {
    const none = attemptAccounts({ initiator: { frames: [] }, responder: { frames: [] } });
    expect(none).toEqual({ initiatorSetSize: null, responderSetSize: null, initiatorEvaluations: 0, responderEvaluations: 0, attemptHash: new Uint8Array(0) });
    // Only frames that enter no stream: still empty.
    const finish = frames.initiator.filter((frame) => decodeMessage(frame).kind === 'finish');
    expect(attemptAccounts({ initiator: { frames: finish }, responder: { frames: [Uint8Array.of(0xc1)] } }).attemptHash.length).toBe(0);
  });

  it('one OFFER alone is an attempt: its hash is the reference over that one frame', () => {
    const one = { initiator: [frames.initiator[0]!], responder: [] as Uint8Array[] };
    const accounts = attemptAccounts({ initiator: { frames: one.initiator }, responder: { frames: one.responder } });
    expect(accounts.initiatorSetSize).toBe(3);
    expect(accounts.responderSetSize).toBeNull();
    expect(hex(accounts.attemptHash)).toBe(hex(reference(one, false)));
  });

  it('a party whose record holds frames but no OFFER declared no set size', () => {
    const noOffer = { initiator: frames.initiator, responder: frames.responder.filter((frame) => decodeMessage(frame).kind !== 'offer') };
    expect(noOffer.responder.length).toBeGreaterThan(0);
    const accounts = attemptAccounts({ initiator: { frames: noOffer.initiator }, responder: { frames: noOffer.responder } });
    expect(accounts.responderSetSize).toBeNull();
    expect(accounts.initiatorSetSize).toBe(3);
  });
});

describe('LABELS given as their stream digest', () => {
  const labelled = playRound({
    elements,
    labels: { initiator: [{ category: 'x' }, undefined, undefined], responder: [undefined, { category: 'y' }, { category: 'z' }, undefined, undefined] },
    policy: { initiator: { labelFields: ['category'] }, responder: { labelFields: ['category'] } },
  });
  const all = sentFrames(labelled);
  const isLabels = (frame: Uint8Array): boolean => decodeMessage(frame).kind === 'labels';

  /** S_8 or S_9 over `sender`'s LABELS frames, by the protocol transcript. */
  function labelsDigest(sender: Role, labels: Uint8Array[]): Uint8Array {
    const transcript = new Transcript();
    for (const frame of labels) transcript.absorb(sender, 'labels', frame);
    return transcript.streamDigest(sender === 'initiator' ? 8 : 9);
  }

  it('stand for the LABELS frames of each party, in their own stream', () => {
    expect(all.initiator.some(isLabels) && all.responder.some(isLabels)).toBe(true);
    const expected = hex(reference(all, false));
    const parties = Object.fromEntries(roles.map((role) => [role, {
      frames: all[role].filter((frame) => !isLabels(frame)),
      labelsDigest: labelsDigest(role, all[role].filter(isLabels)),
    }])) as Record<Role, { frames: Uint8Array[]; labelsDigest: Uint8Array }>;
    expect(hex(attemptAccounts(parties).attemptHash)).toBe(expected);
    // The digests in each other's place give another hash.
    const crossed = { initiator: { ...parties.initiator, labelsDigest: parties.responder.labelsDigest }, responder: { ...parties.responder, labelsDigest: parties.initiator.labelsDigest } };
    expect(hex(attemptAccounts(crossed).attemptHash)).not.toBe(expected);
  });

  it('a LABELS digest with no frame: the empty stream is no attempt, any other digest is', () => {
    const empty = { initiator: { frames: [], labelsDigest: labelsDigest('initiator', []) }, responder: { frames: [], labelsDigest: labelsDigest('responder', []) } };
    expect(attemptAccounts(empty).attemptHash.length).toBe(0);
    const responderLabels = all.responder.filter(isLabels);
    const some = { initiator: { frames: [], labelsDigest: labelsDigest('initiator', []) }, responder: { frames: [], labelsDigest: labelsDigest('responder', responderLabels) } };
    const hash = attemptAccounts(some).attemptHash;
    expect(hex(hash)).toBe(hex(reference({ initiator: [], responder: responderLabels }, false)));
    // The initiator's empty digest given under the responder is not the responder's empty stream.
    const misplaced = { initiator: { frames: [] }, responder: { frames: [], labelsDigest: labelsDigest('initiator', []) } };
    expect(attemptAccounts(misplaced).attemptHash.length).toBe(64);
  });
});

describe('an epoch round', () => {
  const epochId = initiatorEpochId('audit-test/attempt-accounts');
  const states = { initiator: new MapEpochState(epochId, 'attempt/epoch/a'), responder: new MapEpochState(epochId, 'attempt/epoch/b') };
  const inputs = roles.map((role) => states[role].next((role === 'initiator' ? ['p', 'q', 'r'] : ['q', 'r', 's', 't']).map(digest)));
  const epochPlayed = playRound({
    roundId: epochRoundId(epochId, 0),
    elements: { initiator: inputs[0]!.additions, responder: inputs[1]!.additions },
    epoch: { initiator: inputs[0]!.epoch, responder: inputs[1]!.epoch },
  });
  const epochFrames = sentFrames(epochPlayed);

  it('is hashed with purpose 0x07 over twelve streams', () => {
    expect(PURPOSE_EPOCH_ATTEMPT).toBe(0x07);
    const accounts = attemptAccounts({ initiator: { frames: epochFrames.initiator }, responder: { frames: epochFrames.responder } });
    expect(hex(accounts.attemptHash)).toBe(hex(reference(epochFrames, true)));
    expect(hex(accounts.attemptHash)).not.toBe(hex(reference(epochFrames, false)));
  });

  it('one OFFER with an epoch makes it an epoch attempt, from either party', () => {
    const responderOffer = { initiator: [] as Uint8Array[], responder: [epochFrames.responder[0]!] };
    expect(decodeMessage(responderOffer.responder[0]!)).toMatchObject({ kind: 'offer' });
    expect(hex(attemptAccounts({ initiator: { frames: [] }, responder: { frames: responderOffer.responder } }).attemptHash)).toBe(hex(reference(responderOffer, true)));
    const initiatorOffer = { initiator: [epochFrames.initiator[0]!], responder: [] as Uint8Array[] };
    expect(hex(attemptAccounts({ initiator: { frames: initiatorOffer.initiator }, responder: { frames: [] } }).attemptHash)).toBe(hex(reference(initiatorOffer, true)));
  });
});
