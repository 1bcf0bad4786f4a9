/**
 * The bundle verifier's walk over one party's frames (audit.md §9.1 checks 6–7, SPEC §4.4–§4.5):
 * each ordering, count and format rule, broken once in an otherwise honest round's recorded frames.
 * Each test pins the failing check, the party at fault, its member id and the exact detail with its
 * bracketed error code; a few pin the rules' edges that must still pass (an ABORT after FINISH).
 */
import { decodeMessage, type Message } from '@venn/wire';
import { describe, expect, it } from 'vitest';
import { decodeRoundRecord, verifyTranscriptBundle, type BundleReport } from '../src/index.js';
import { abortedExport, auditRoster, digest, expectFrameFault as expectFault, exportBundle, playRound, tamperedBundle as tampered } from './round-harness.js';

const a = ['s1', 's2', 's3', 'a1', 'a2'].map(digest);
const b = ['b1', 's3', 'b2', 's1', 's2', 'b3'].map(digest);
const intersection = playRound({ elements: { initiator: a, responder: b } });
const cardinality = playRound({ elements: { initiator: a, responder: b }, mode: 'cardinality' });
const hex = (bytes: Uint8Array): string => Buffer.from(bytes).toString('hex');
const check = (report: BundleReport, name: string) => report.checks.find((entry) => entry.name === name)!;

const kind = <K extends Message['kind']>(frames: Message[], k: K): Extract<Message, { kind: K }> => frames.find((frame) => frame.kind === k) as Extract<Message, { kind: K }>;

describe('the honest frames', () => {
  it('are OFFER, BLINDED, EVALUATED, FINISH in intersection mode and add a PROOF in cardinality mode', () => {
    expect(exportBundle(intersection, 'initiator').responder.frames.map((frame) => decodeMessage(frame).kind)).toEqual(['offer', 'blinded', 'evaluated', 'finish']);
    expect(exportBundle(cardinality, 'initiator').responder.frames.map((frame) => decodeMessage(frame).kind)).toEqual(['offer', 'blinded', 'evaluated', 'proof', 'finish']);
    const report = verifyTranscriptBundle(exportBundle(intersection, 'initiator'), auditRoster());
    expect(check(report, 'messages-responder')).toEqual({ name: 'messages-responder', status: 'pass', party: null, member: null, detail: '4 frames in order: an OFFER, 1 BLINDED, 1 EVALUATED, no PROOF, a FINISH' });
    expect(check(verifyTranscriptBundle(exportBundle(cardinality, 'initiator'), auditRoster()), 'messages-responder').detail).toBe('5 frames in order: an OFFER, 1 BLINDED, 1 EVALUATED, a PROOF, a FINISH');
  });
});

describe('OFFER (SPEC §4.5 OFFER steps 1–2 and 7)', () => {
  it('a second OFFER', () => {
    const report = verifyTranscriptBundle(tampered(intersection, 'responder', (f) => [f[0]!, f[0]!, ...f.slice(1)]), auditRoster());
    expectFault(report, 'responder', 'frame 1: a second OFFER [unexpected-message]');
  });

  it('an OFFER naming another roster', () => {
    const other = new Uint8Array(32).fill(0x77);
    const report = verifyTranscriptBundle(tampered(intersection, 'responder', (f) => [{ ...kind(f, 'offer'), rosterDigest: other }, ...f.slice(1)]), auditRoster());
    expectFault(report, 'responder', `frame 0: OFFER names roster ${hex(other)} [roster-mismatch]`);
  });

  it('an OFFER from another sender, or to another receiver', () => {
    const sender = verifyTranscriptBundle(tampered(intersection, 'responder', (f) => [{ ...kind(f, 'offer'), sender: 'lab-c' }, ...f.slice(1)]), auditRoster());
    expectFault(sender, 'responder', 'frame 0: OFFER from "lab-c" to "lab-a", expected from lab-b to lab-a [roster-mismatch]');
    const receiver = verifyTranscriptBundle(tampered(intersection, 'initiator', (f) => [{ ...kind(f, 'offer'), receiver: 'lab-c' }, ...f.slice(1)]), auditRoster());
    expectFault(receiver, 'initiator', 'frame 0: OFFER from "lab-a" to "lab-c", expected from lab-a to lab-b [roster-mismatch]');
  });

  it('an OFFER whose key K is not a valid element', () => {
    const report = verifyTranscriptBundle(tampered(intersection, 'responder', (f) => [{ ...kind(f, 'offer'), publicKey: new Uint8Array(32).fill(0xff) }, ...f.slice(1)]), auditRoster());
    expect(report.failure).toMatchObject({ name: 'messages-responder', party: 'responder', member: 'lab-b' });
    expect(report.failure!.detail).toMatch(/^lab-b frame 0: OFFER key K is not a valid element: .+ \[[a-z-]+\] \[bad-point\]$/);
  });

  it('a frame before the OFFER', () => {
    const report = verifyTranscriptBundle(tampered(intersection, 'responder', (f) => [f[1]!, f[0]!, ...f.slice(2)]), auditRoster());
    expectFault(report, 'responder', 'frame 0: sent BLINDED before its OFFER [unexpected-message]');
  });

  it('a frame naming another round is round-mismatch, while the leaf\'s round is in other frames', () => {
    const other = new Uint8Array(32).fill(0x42);
    const report = verifyTranscriptBundle(tampered(intersection, 'responder', (f) => [f[0]!, { ...kind(f, 'blinded'), roundId: other }, ...f.slice(2)]), auditRoster());
    expect(check(report, 'round-record').status).toBe('pass');
    expectFault(report, 'responder', `frame 1: BLINDED names round ${hex(other)} [round-mismatch]`);
  });
});

describe('after ABORT or FINISH', () => {
  it('a frame after the party\'s ABORT', () => {
    const abort: Message = { kind: 'abort', roundId: intersection.roundId, reason: 'timeout', detail: '' };
    const report = verifyTranscriptBundle(tampered(intersection, 'responder', (f) => [f[0]!, abort, f[1]!]), auditRoster());
    expectFault(report, 'responder', 'frame 2: sent BLINDED after its ABORT [unexpected-message]');
  });

  it('a frame after the party\'s FINISH; an ABORT after it is allowed', () => {
    const report = verifyTranscriptBundle(tampered(intersection, 'responder', (f) => [...f, f[1]!]), auditRoster());
    expectFault(report, 'responder', 'frame 4: sent BLINDED after its FINISH [unexpected-message]');
    const abort: Message = { kind: 'abort', roundId: intersection.roundId, reason: 'cancelled', detail: '' };
    const late = verifyTranscriptBundle(tampered(intersection, 'responder', (f) => [...f, abort]), auditRoster());
    expect(check(late, 'messages-responder')).toMatchObject({ status: 'pass', detail: '5 frames in order: an OFFER, 1 BLINDED, 1 EVALUATED, no PROOF, a FINISH, ABORT cancelled' });
    expect(late.summary.aborts).toEqual({ initiator: null, responder: 'cancelled' });
  });

  it('an ABORT as the only frame passes the walk: the party sent no OFFER but said why', () => {
    const abort: Message = { kind: 'abort', roundId: intersection.roundId, reason: 'timeout', detail: '' };
    const report = verifyTranscriptBundle(tampered(intersection, 'responder', () => [abort]), auditRoster());
    expect(check(report, 'messages-responder')).toMatchObject({ status: 'pass', detail: '1 frame in order: no OFFER, 0 BLINDED, 0 EVALUATED, no PROOF, no FINISH, ABORT timeout' });
  });
});

describe('BLINDED and EVALUATED chunks (SPEC §4.4, §4.5 chunk steps 1–6)', () => {
  it('a BLINDED chunk after an EVALUATED chunk', () => {
    const report = verifyTranscriptBundle(tampered(intersection, 'responder', (f) => [f[0]!, f[1]!, f[2]!, f[1]!, f[3]!]), auditRoster());
    expectFault(report, 'responder', 'frame 3: BLINDED chunk 0 after an EVALUATED chunk [unexpected-message]');
  });

  it('an EVALUATED chunk before the party\'s own last BLINDED chunk', () => {
    const report = verifyTranscriptBundle(tampered(intersection, 'responder', (f) => [f[0]!, f[2]!, f[1]!, f[3]!]), auditRoster());
    expectFault(report, 'responder', 'frame 1: EVALUATED chunk 0 before its own last BLINDED chunk (0 of 1 sent) [unexpected-message]');
  });

  it('an EVALUATED chunk without the peer\'s whole BLINDED list', () => {
    // The initiator's BLINDED chunk is missing: its own walk fails first, and the responder's evaluations answer nothing.
    // Under an aborted leaf: in a completed one, a walk fault of the peer's is the exporter's (the next test).
    const report = verifyTranscriptBundle(abortedExport(intersection, tampered(intersection, 'initiator', (f) => f.filter((m) => m.kind !== 'blinded'))), auditRoster());
    expect(report.failure).toMatchObject({ name: 'messages-initiator', party: 'initiator' });
    expect(check(report, 'messages-responder')).toMatchObject({ status: 'fail', party: 'responder', member: 'lab-b', detail: 'lab-b frame 2: EVALUATED chunk 0 without the whole BLINDED list of lab-a it answers [unexpected-message]' });
  });

  it('the same frames under the completed leaf: the responder\'s walk fault is the exporter\'s, whose own BLINDED chunk is missing (audit.md §9.1)', () => {
    const report = verifyTranscriptBundle(tampered(intersection, 'initiator', (f) => f.filter((m) => m.kind !== 'blinded')), auditRoster());
    expect(check(report, 'messages-responder')).toEqual({
      name: 'messages-responder', status: 'fail', party: 'exporter', member: 'lab-a',
      detail: 'the leaf logs the round completed, but no FINISH signature of lab-b verifies over the recomputed TH_final, so its frames are lab-a\'s account; an exporter that finished the round had checked them (lab-b frame 2: EVALUATED chunk 0 without the whole BLINDED list of lab-a it answers [unexpected-message])',
    });
  });

  it('a repeated sequence number', () => {
    const report = verifyTranscriptBundle(tampered(intersection, 'responder', (f) => [f[0]!, f[1]!, f[1]!, ...f.slice(2)]), auditRoster());
    expectFault(report, 'responder', 'frame 2: BLINDED chunk 0 repeats a sequence number [duplicate-chunk]');
  });

  it('a sequence number beyond the chunks the set needs', () => {
    const report = verifyTranscriptBundle(tampered(intersection, 'responder', (f) => [f[0]!, { ...kind(f, 'blinded'), seq: 1 }, ...f.slice(2)]), auditRoster());
    expectFault(report, 'responder', 'frame 1: BLINDED chunk 1 beyond the 1 chunks of 6 points [count-mismatch]');
  });

  it('a sequence number that skips a chunk', () => {
    // The OFFER states 5,000 elements (two chunks); the first BLINDED chunk sent is chunk 1.
    const report = verifyTranscriptBundle(tampered(intersection, 'responder', (f) => [{ ...kind(f, 'offer'), setSize: 5000 }, { ...kind(f, 'blinded'), seq: 1 }]), auditRoster());
    // The initiator's evaluations of 6 points no longer answer 5,000: its walk fails first.
    expect(report.failure).toMatchObject({ name: 'messages-initiator', party: 'initiator' });
    expect(check(report, 'messages-responder')).toMatchObject({ status: 'fail', party: 'responder', member: 'lab-b', detail: 'lab-b frame 1: BLINDED chunk 1 skips chunk 0 [unexpected-message]' });
  });

  it('a chunk with a point too few, and the last chunk of a longer list with one too many', () => {
    const short = verifyTranscriptBundle(tampered(intersection, 'responder', (f) => {
      const blinded = kind(f, 'blinded');
      return [f[0]!, { ...blinded, points: blinded.points.slice(32) }, ...f.slice(2)];
    }), auditRoster());
    expectFault(short, 'responder', 'frame 1: BLINDED chunk 0 carries 5 points, expected 6 [count-mismatch]');
    const evaluatedShort = verifyTranscriptBundle(tampered(intersection, 'responder', (f) => {
      const evaluated = kind(f, 'evaluated');
      return [f[0]!, f[1]!, { ...evaluated, points: evaluated.points.slice(32) }, f[3]!];
    }), auditRoster());
    expectFault(evaluatedShort, 'responder', 'frame 2: EVALUATED chunk 0 carries 4 points, expected 5 [count-mismatch]');
  });

  it('a chunk carrying a point that does not decode, or the identity, names the chunk and the point', () => {
    // Point 2 of the responder's BLINDED chunk 0 is not a canonical encoding.
    const blinded = verifyTranscriptBundle(tampered(intersection, 'responder', (f) => {
      const chunk = kind(f, 'blinded');
      const points = chunk.points.slice();
      points.fill(0xff, 2 * 32, 3 * 32);
      return [f[0]!, { ...chunk, points }, ...f.slice(2)];
    }), auditRoster());
    expectFault(blinded, 'responder', 'frame 1: "blinded chunk 0[2]" expected a canonical ristretto255 encoding (RFC 9496 §4.3.1), got bytes that do not decode [non-canonical-point] [bad-point]');
    // Point 0 of the responder's EVALUATED chunk 0 is the identity.
    const evaluated = verifyTranscriptBundle(tampered(intersection, 'responder', (f) => {
      const chunk = kind(f, 'evaluated');
      const points = chunk.points.slice();
      points.fill(0, 0, 32);
      return [f[0]!, f[1]!, { ...chunk, points }, f[3]!];
    }), auditRoster());
    expectFault(evaluated, 'responder', 'frame 2: "evaluated chunk 0[0]" expected a non-identity ristretto255 element, got the identity [identity-element] [bad-point]');
  });

  it('a chunk proof in cardinality mode', () => {
    const report = verifyTranscriptBundle(tampered(cardinality, 'responder', (f) => f.map((m) => (m.kind === 'evaluated' ? { ...m, proof: new Uint8Array(64).fill(3) } : m))), auditRoster());
    expectFault(report, 'responder', 'frame 2: EVALUATED chunk 0 carries a pi of 64 bytes, expected 0 in cardinality mode [bad-proof]');
  });
});

describe('PROOF and FINISH (SPEC §4.4 S5–S6, §4.5 PROOF)', () => {
  it('an EVALUATED chunk after the PROOF', () => {
    const report = verifyTranscriptBundle(tampered(cardinality, 'responder', (f) => [f[0]!, f[1]!, f[2]!, f[3]!, f[2]!]), auditRoster());
    expectFault(report, 'responder', 'frame 4: EVALUATED after its PROOF [unexpected-message]');
  });

  it('a second PROOF', () => {
    const report = verifyTranscriptBundle(tampered(cardinality, 'responder', (f) => [f[0]!, f[1]!, f[2]!, f[3]!, f[3]!, f[4]!]), auditRoster());
    expectFault(report, 'responder', 'frame 4: a second PROOF [unexpected-message]');
  });

  it('a PROOF before the EVALUATED chunks', () => {
    const report = verifyTranscriptBundle(tampered(cardinality, 'responder', (f) => [f[0]!, f[1]!, f[3]!]), auditRoster());
    expectFault(report, 'responder', 'frame 2: PROOF after 1/1 BLINDED and 0/1 EVALUATED chunks [count-mismatch]');
  });

  it('an empty PROOF for a peer set that is not empty', () => {
    const report = verifyTranscriptBundle(tampered(cardinality, 'responder', (f) => f.map((m) => (m.kind === 'proof' ? { ...m, proof: new Uint8Array(0) } : m))), auditRoster());
    expectFault(report, 'responder', 'frame 3: PROOF of 0 bytes for a peer set of 5, expected 64 [bad-proof]');
  });

  it('a FINISH before the EVALUATED chunks', () => {
    const report = verifyTranscriptBundle(tampered(intersection, 'responder', (f) => [f[0]!, f[1]!, f[3]!]), auditRoster());
    expectFault(report, 'responder', 'frame 2: FINISH before its last BLINDED and EVALUATED chunks (0 of 1 EVALUATED) [unexpected-message]');
  });

  it('a FINISH before the PROOF in cardinality mode', () => {
    const report = verifyTranscriptBundle(tampered(cardinality, 'responder', (f) => [f[0]!, f[1]!, f[2]!, f[4]!]), auditRoster());
    expectFault(report, 'responder', 'frame 3: FINISH before its PROOF [unexpected-message]');
  });
});

describe('frames the exporter could not decode', () => {
  it('a rejected frame\'s digest blames its sender, after frames that break no rule', () => {
    const honest = exportBundle(intersection, 'initiator');
    const rejected = new Uint8Array(64).fill(0xab);
    // Under the aborted leaf an honest exporter logs (a frame that does not decode aborts the round, SPEC §5.1).
    const report = verifyTranscriptBundle(abortedExport(intersection, { ...honest, responder: { ...honest.responder, rejectedFrameDigest: rejected } }, 'malformed-message'), auditRoster());
    expectFault(report, 'responder', 'sent a frame that does not decode as a Venn message (SHA-512 abababababababab…, as the exporter recorded it) [malformed-message]');
  });
});

describe('the bundle\'s round', () => {
  it('the leaf of a round the frames name passes the round-record check, with its attempt and exporter', () => {
    const bundle = exportBundle(intersection, 'initiator');
    const record = decodeRoundRecord(bundle.leaf);
    expect(check(verifyTranscriptBundle(bundle, auditRoster()), 'round-record').detail).toBe(`round ${hex(record.roundId)} attempt 1, completed, logged by lab-a`);
  });
});
