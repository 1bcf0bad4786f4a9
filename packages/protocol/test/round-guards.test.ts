/**
 * The round's local-misuse guards and how it ends (src/internal/round.ts): which typed error and
 * `code` each misuse throws (start twice, start after the end, receive before start, receive after
 * the end), what a local abort, a peer's ABORT and an internal failure leave in `result` (reason,
 * detail, peerReason, error and its cause chain), and the ABORT detail cut to 256 UTF-8 bytes at a
 * character boundary.
 */
import { InternalError, ProtocolError, ValidationError, VennError } from '@venn/errors';
import { createRound, type AbortedResult, type Phase, type Round, type TranscriptRecord } from '@venn/protocol';
import { MAX_ABORT_DETAIL_BYTES, decodeMessage } from '@venn/wire';
import { describe, expect, it } from 'vitest';
import { digest, options, pair, thrown } from './harness.js';

const setA = ['s1', 'a1', 'a2'].map(digest);
const setB = ['s1', 'b1'].map(digest);

function aborted(round: Round): AbortedResult {
  const result = round.result;
  if (result?.status !== 'aborted') throw new Error(`expected an aborted round, got ${result?.status}`);
  return result;
}

describe('local misuse', () => {
  it('the initiator\'s receive() before start() is InternalError round-not-started and leaves the round usable', () => {
    const { initiator, responder } = pair(setA, setB);
    const error = thrown(() => initiator.receive(Uint8Array.of(0x80)));
    expect(error).toBeInstanceOf(InternalError);
    expect(error.code).toBe('round-not-started');
    expect(initiator.done).toBe(false);
    expect(initiator.result).toBeUndefined();
    // Still startable: the OFFER goes out and the responder answers it.
    const offer = initiator.start();
    expect(offer.map((m) => m.kind)).toEqual(['offer']);
    expect(responder.receive(offer[0]!.bytes).map((m) => m.kind)).toEqual(['offer', 'blinded']);
  });

  it('start() twice is InternalError round-already-started, for either role', () => {
    const { initiator, responder } = pair(setA, setB);
    initiator.start();
    expect(responder.start()).toEqual([]);
    for (const round of [initiator, responder]) {
      const error = thrown(() => round.start());
      expect(error).toBeInstanceOf(InternalError);
      expect(error.code).toBe('round-already-started');
    }
  });

  it('start() after the round ended is InternalError round-closed', () => {
    const { initiator, responder } = pair(setA, setB);
    responder.abort('cancelled');
    initiator.abort('timeout');
    for (const [round, status] of [[initiator, 'aborted'], [responder, 'aborted']] as const) {
      const error = thrown(() => round.start());
      expect(error).toBeInstanceOf(InternalError);
      expect(error.code).toBe('round-closed');
      expect(error.message).toBe(`the round is already ${status}`);
    }
  });

  it('receive() after the end is ProtocolError unexpected-message, and the result stays as it was', () => {
    const { initiator } = pair(setA, setB);
    initiator.start();
    initiator.abort('timeout');
    const before = initiator.result;
    const error = thrown(() => initiator.receive(Uint8Array.of(0x80)));
    expect(error).toBeInstanceOf(ProtocolError);
    expect(error.code).toBe('unexpected-message');
    expect(initiator.result).toBe(before);
  });

  it('precompute() is a no-op before start(), for the responder, and once blinded', () => {
    const { initiator, responder } = pair(setA, setB);
    expect(initiator.precompute()).toEqual([]);
    expect(responder.precompute()).toEqual([]);
    initiator.start();
    expect(initiator.precompute()).toEqual([]);
    expect(initiator.precompute()).toEqual([]);
    expect(initiator.done).toBe(false);
  });
});

describe('precompute and start bookkeeping', () => {
  it('precompute() blinds the initiator\'s set now, once, and changes nothing the peer sees', () => {
    const counts = new Map<Phase, number>();
    const timer = <T>(phase: Phase, work: () => T): T => { counts.set(phase, (counts.get(phase) ?? 0) + 1); return work(); };
    const once = pair(setA, setB, { initiator: { phaseTimer: timer } });
    const twice = pair(setA, setB);
    const offer = once.initiator.start();
    expect(counts.get('blind')).toBeUndefined();
    expect(once.initiator.precompute()).toEqual([]);
    expect(counts.get('blind')).toBe(1);
    expect(counts.get('hash-to-group')).toBe(1);
    expect(once.initiator.precompute()).toEqual([]);
    expect(counts.get('blind')).toBe(1);
    twice.initiator.start();
    twice.initiator.precompute();
    twice.initiator.precompute();
    // Same seeds: the same blinded list goes out whether precompute() ran once or twice.
    const answer = once.responder.receive(offer[0]!.bytes);
    const blindedOnce = once.initiator.receive(answer[0]!.bytes);
    const blindedTwice = twice.initiator.receive(twice.responder.receive(offer[0]!.bytes)[0]!.bytes);
    expect(blindedOnce.map((m) => Buffer.from(m.bytes).toString('hex'))).toEqual(blindedTwice.map((m) => Buffer.from(m.bytes).toString('hex')));
    expect(blindedOnce.map((m) => m.kind)).toEqual(['blinded']);
  });

  it('the responder\'s precompute() after start() and before the OFFER is a no-op', () => {
    const { responder } = pair(setA, setB);
    expect(responder.start()).toEqual([]);
    expect(responder.precompute()).toEqual([]);
    expect(responder.done).toBe(false);
  });

  it('a responder that received a frame counts as started: start() afterwards is round-already-started', () => {
    const { initiator, responder } = pair(setA, setB);
    responder.receive(initiator.start()[0]!.bytes);
    const error = thrown(() => responder.start());
    expect(error).toBeInstanceOf(InternalError);
    expect(error.code).toBe('round-already-started');
  });
});

describe('how a round ends', () => {
  it('a local abort: the reason and detail, no error, no peerReason, nothing evaluated, the peer told the same', () => {
    const { initiator, responder } = pair(setA, setB);
    responder.receive(initiator.start()[0]!.bytes);
    const out = initiator.abort('timeout', 'no answer in 30 s');
    expect(out.map((m) => m.kind)).toEqual(['abort']);
    const message = decodeMessage(out[0]!.bytes);
    expect(message.kind === 'abort' && [message.reason, message.detail]).toEqual(['timeout', 'no answer in 30 s']);
    const result = aborted(initiator);
    expect(result).toMatchObject({ status: 'aborted', role: 'initiator', mode: 'intersection', reason: 'timeout', detail: 'no answer in 30 s', ownSetSize: 3, evaluationsSent: 0, evaluationsReceived: 0 });
    expect('error' in result).toBe(false);
    expect('peerReason' in result).toBe(false);
    expect(result.peerSetSize).toBeUndefined();
    expect(result.ownOffer?.setSize).toBe(3);
    expect(responder.receive(out[0]!.bytes)).toEqual([]);
    const told = aborted(responder);
    expect(told).toMatchObject({ reason: 'peer-abort', peerReason: 'timeout', detail: 'no answer in 30 s', peerSetSize: 3, ownSetSize: 2 });
    expect('error' in told).toBe(false);
  });

  it('a local abort without a detail sends an empty one', () => {
    const { initiator } = pair(setA, setB);
    initiator.start();
    const out = initiator.abort('cancelled');
    const message = decodeMessage(out[0]!.bytes);
    expect(message.kind === 'abort' && message.detail).toBe('');
    expect(aborted(initiator).detail).toBe('');
  });

  it('cuts an ABORT detail to 256 bytes of UTF-8, never inside a character', () => {
    expect(MAX_ABORT_DETAIL_BYTES).toBe(256);
    for (const [detail, expected] of [
      ['x'.repeat(256), 'x'.repeat(256)],
      ['x'.repeat(300), 'x'.repeat(256)],
      ['é'.repeat(200), 'é'.repeat(128)],
      [`x${'é'.repeat(200)}`, `x${'é'.repeat(127)}`],
      ['€'.repeat(100), '€'.repeat(85)],
    ] as const) {
      const { initiator } = pair(setA, setB);
      initiator.start();
      const out = initiator.abort('timeout', detail);
      const message = decodeMessage(out[0]!.bytes);
      expect(message.kind === 'abort' && message.detail).toBe(expected);
      expect(aborted(initiator).detail).toBe(expected);
    }
  });

  it('an exception of a hook is internal-error: detail "internal error", the error wrapped twice down to the thrown one', () => {
    const { initiator } = pair(setA, setB);
    const boom = new Error('disk full');
    const responder = createRound(options('responder', setB, { onMessage: (record) => { if (record.direction === 'received') throw boom; } }));
    const out = responder.receive(initiator.start()[0]!.bytes);
    expect(out.map((m) => m.kind)).toEqual(['abort']);
    const message = decodeMessage(out[0]!.bytes);
    expect(message.kind === 'abort' && [message.reason, message.detail]).toEqual(['internal-error', 'internal error']);
    const result = aborted(responder);
    expect(result.reason).toBe('internal-error');
    expect(result.detail).toBe('internal error');
    expect(result.error).toBeInstanceOf(ProtocolError);
    expect(result.error?.code).toBe('internal-error');
    expect(result.error?.message).toBe('Error: disk full');
    const cause = result.error?.cause as InternalError;
    expect(cause).toBeInstanceOf(InternalError);
    expect(cause.code).toBe('internal-error');
    expect(cause.cause).toBe(boom);
  });

  it('a typed error of a hook is internal-error with that error as the cause', () => {
    const { initiator } = pair(setA, setB);
    const typed = new ValidationError('hook-refused', 'the store refused the record');
    const responder = createRound(options('responder', setB, { onMessage: (record) => { if (record.direction === 'received') throw typed; } }));
    responder.receive(initiator.start()[0]!.bytes);
    const result = aborted(responder);
    expect(result.reason).toBe('internal-error');
    expect(result.detail).toBe('internal error');
    expect(result.error?.code).toBe('internal-error');
    expect(result.error?.message).toBe('the store refused the record');
    expect(result.error?.cause).toBe(typed);
  });

  it('an undecodable frame is malformed-message, its CodecError the cause', () => {
    const responder = createRound(options('responder', setB));
    const out = responder.receive(Uint8Array.of(0x80));
    expect(out.map((m) => m.kind)).toEqual(['abort']);
    const result = aborted(responder);
    expect(result.reason).toBe('malformed-message');
    expect(result.error?.code).toBe('malformed-message');
    expect(result.error?.cause).toBeInstanceOf(VennError);
    expect((result.error?.cause as VennError).name).toBe('CodecError');
    expect(result.detail).toBe((result.error?.cause as VennError).message);
    expect(result.mode).toBe('intersection');
    expect(result.ownOffer).toBeUndefined();
  });

  it('records a received frame it cannot decode as a copy with no kind, then the ABORT it sends', () => {
    const records: TranscriptRecord[] = [];
    const responder = createRound(options('responder', setB, { onMessage: (record) => records.push(record) }));
    const frame = Uint8Array.of(0x80, 0x01);
    responder.receive(frame);
    frame[0] = 0xff;
    expect(records.map((r) => [r.direction, r.sender, r.kind])).toEqual([['received', 'initiator', undefined], ['sent', 'responder', 'abort']]);
    expect(Array.from(records[0]!.bytes)).toEqual([0x80, 0x01]);
    expect(decodeMessage(records[1]!.bytes).kind).toBe('abort');
  });

  it('records a frame that is not bytes as empty bytes', () => {
    const records: TranscriptRecord[] = [];
    const responder = createRound(options('responder', setB, { onMessage: (record) => records.push(record) }));
    responder.receive(null as unknown as Uint8Array);
    expect(records[0]).toEqual({ direction: 'received', sender: 'initiator', kind: undefined, bytes: new Uint8Array(0) });
    expect(aborted(responder).reason).toBe('malformed-message');
  });
});
