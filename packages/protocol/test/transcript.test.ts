/**
 * SPEC §7 and §13.5, the Transcript class on its own (src/internal/transcript.ts): stream indices,
 * frame headers, S_j, TH(purpose, J) recomputed independently with SHA-512, which streams each
 * named hash covers, that a closed stream refuses more messages (InternalError 'transcript-closed',
 * a path no honest or malicious round reaches, since the chunk checks refuse late chunks first), and
 * the guards on purpose and stream lists (InternalError 'invalid-purpose' / 'invalid-streams').
 */
import { sha512 } from '@noble/hashes/sha2.js';
import { InternalError } from '@venn/errors';
import {
  EPOCH_STREAM_COUNT,
  PURPOSE_ATTEMPT,
  PURPOSE_EPOCH_ATTEMPT,
  PURPOSE_EPOCH_FINISH,
  PURPOSE_EPOCH_PRE,
  PURPOSE_FINISH,
  PURPOSE_PRE,
  PURPOSE_PROOF,
  STREAM_COUNT,
  STREAM_LABEL,
  TRANSCRIPT_LABEL,
  Transcript,
  frameHeader,
  streamIndex,
  type Role,
  type TranscriptKind,
} from '@venn/protocol';
import { describe, expect, it } from 'vitest';
import { thrown } from './harness.js';

const hex = (bytes: Uint8Array): string => Buffer.from(bytes).toString('hex');
const ascii = (text: string): Uint8Array => new TextEncoder().encode(text);

const KINDS: readonly TranscriptKind[] = ['offer', 'blinded', 'evaluated', 'proof', 'labels', 'removed'];
const ROLES: readonly Role[] = ['initiator', 'responder'];

/** One message per (role, kind), distinct bodies; the removed streams only when `epoch`. */
function messages(epoch: boolean): Array<[Role, TranscriptKind, Uint8Array]> {
  const out: Array<[Role, TranscriptKind, Uint8Array]> = [];
  for (const kind of KINDS) {
    if (kind === 'removed' && !epoch) continue;
    for (const role of ROLES) out.push([role, kind, ascii(`${role}/${kind}`)]);
  }
  // A second message on one stream, so a stream is more than its first frame.
  out.push(['responder', 'blinded', ascii('responder/blinded/2')]);
  return out;
}

function filled(epoch = true): Transcript {
  const transcript = new Transcript();
  for (const [role, kind, body] of messages(epoch)) transcript.absorb(role, kind, body);
  return transcript;
}

/** S_j recomputed: SHA-512(STREAM_LABEL || j || for each frame: sender || type || len32 || body). */
function expectedStream(j: number, epoch = true): Uint8Array {
  const parts: Uint8Array[] = [ascii('VENN-V02-STREAM'), Uint8Array.of(j)];
  const types: Record<TranscriptKind, number> = { offer: 1, blinded: 2, evaluated: 3, proof: 4, labels: 5, removed: 8 };
  for (const [role, kind, body] of messages(epoch)) {
    if (streamIndex(role, kind) !== j) continue;
    const length = Buffer.alloc(4);
    length.writeUInt32BE(body.length);
    parts.push(Uint8Array.of(role === 'initiator' ? 1 : 2, types[kind]), length, body);
  }
  return sha512(Buffer.concat(parts));
}

/** TH(purpose, J) recomputed from the expected stream digests. */
function expectedHash(purpose: number, streams: readonly number[], epoch = true): Uint8Array {
  const parts: Uint8Array[] = [ascii('VENN-V02-TRANSCRIPT'), Uint8Array.of(purpose)];
  for (const j of streams) parts.push(Uint8Array.of(j), expectedStream(j, epoch));
  return sha512(Buffer.concat(parts));
}

const range = (n: number): number[] => Array.from({ length: n }, (_, j) => j);

describe('stream indices and frame headers (SPEC §7.1–§7.2, §13.5)', () => {
  it('numbers the streams 2·kind + role, REMOVED as 10 and 11', () => {
    const table = Object.fromEntries(KINDS.map((kind) => [kind, ROLES.map((role) => streamIndex(role, kind))]));
    expect(table).toEqual({ offer: [0, 1], blinded: [2, 3], evaluated: [4, 5], proof: [6, 7], labels: [8, 9], removed: [10, 11] });
    expect(STREAM_COUNT).toBe(10);
    expect(EPOCH_STREAM_COUNT).toBe(12);
  });

  it('frames a message as sender || type || I2OSP(len, 4)', () => {
    expect(hex(frameHeader('initiator', 'offer', 0))).toBe('010100000000');
    expect(hex(frameHeader('responder', 'labels', 0x01020304))).toBe('020501020304');
    expect(hex(frameHeader('responder', 'removed', 300))).toBe('02080000012c');
    expect(hex(frameHeader('initiator', 'finish', 0xffffffff))).toBe('0106ffffffff');
  });

  it('uses the SPEC labels', () => {
    expect(Buffer.from(STREAM_LABEL).toString()).toBe('VENN-V02-STREAM');
    expect(Buffer.from(TRANSCRIPT_LABEL).toString()).toBe('VENN-V02-TRANSCRIPT');
    expect([PURPOSE_PROOF, PURPOSE_FINISH, PURPOSE_ATTEMPT, PURPOSE_PRE, PURPOSE_EPOCH_PRE, PURPOSE_EPOCH_FINISH, PURPOSE_EPOCH_ATTEMPT]).toEqual([1, 2, 3, 4, 5, 6, 7]);
  });
});

describe('stream digests and transcript hashes (SPEC §7.3)', () => {
  it('S_j is SHA-512 over the label, j and every framed message of the stream; an untouched stream is the label and j alone', () => {
    const transcript = filled();
    for (const j of range(EPOCH_STREAM_COUNT)) expect(hex(transcript.streamDigest(j)), `S_${j}`).toBe(hex(expectedStream(j)));
    expect(hex(new Transcript().streamDigest(7))).toBe(hex(sha512(Buffer.concat([ascii('VENN-V02-STREAM'), Uint8Array.of(7)]))));
  });

  it('streamDigest is stable once taken: the same digest on every call', () => {
    const transcript = filled();
    const first = transcript.streamDigest(3);
    expect(hex(transcript.streamDigest(3))).toBe(hex(first));
    expect(hex(transcript.hash(PURPOSE_PRE, [3]))).toBe(hex(expectedHash(PURPOSE_PRE, [3])));
  });

  it.each<[string, (t: Transcript) => Uint8Array, number, number[]]>([
    ['preHash (TH_pre)', (t) => t.preHash(), PURPOSE_PRE, [0, 1, 2, 3]],
    ['proofHash(initiator)', (t) => t.proofHash('initiator'), PURPOSE_PROOF, [0, 1, 2, 3, 4]],
    ['proofHash(responder)', (t) => t.proofHash('responder'), PURPOSE_PROOF, [0, 1, 2, 3, 5]],
    ['finalHash (TH_final)', (t) => t.finalHash(), PURPOSE_FINISH, range(10)],
    ['attemptHash', (t) => t.attemptHash(), PURPOSE_ATTEMPT, range(10)],
    ['epochPreHash', (t) => t.epochPreHash(), PURPOSE_EPOCH_PRE, [0, 1, 2, 3, 10, 11]],
    ['epochFinalHash', (t) => t.epochFinalHash(), PURPOSE_EPOCH_FINISH, range(12)],
    ['epochAttemptHash', (t) => t.epochAttemptHash(), PURPOSE_EPOCH_ATTEMPT, range(12)],
  ])('%s is TH over its purpose and streams', (_, compute, purpose, streams) => {
    expect(hex(compute(filled()))).toBe(hex(expectedHash(purpose, streams)));
  });

  it('accepts the extreme purposes and stream indices, and an empty stream list', () => {
    const transcript = filled();
    expect(hex(transcript.hash(0, [0]))).toBe(hex(expectedHash(0, [0])));
    expect(hex(transcript.hash(255, [11]))).toBe(hex(expectedHash(255, [11])));
    expect(hex(new Transcript().hash(9, []))).toBe(hex(sha512(Buffer.concat([ascii('VENN-V02-TRANSCRIPT'), Uint8Array.of(9)]))));
  });
});

describe('closed streams', () => {
  function closedError(call: () => void): InternalError {
    const error = thrown(call);
    expect(error).toBeInstanceOf(InternalError);
    return error as InternalError;
  }

  it('a stream whose digest was taken refuses another message with transcript-closed, naming the stream', () => {
    const transcript = filled();
    transcript.streamDigest(5);
    const error = closedError(() => transcript.absorb('responder', 'evaluated', ascii('late')));
    expect(error.code).toBe('transcript-closed');
    expect(error.message).toBe('transcript stream 5 (responder evaluated) is already closed');
    // The stream is unchanged by the refused message.
    expect(hex(transcript.streamDigest(5))).toBe(hex(expectedStream(5)));
  });

  it('TH_pre closes exactly the streams it covers: OFFER and BLINDED refuse, EVALUATED still takes messages', () => {
    const transcript = filled(false);
    transcript.preHash();
    for (const [role, kind] of [['initiator', 'offer'], ['responder', 'offer'], ['initiator', 'blinded'], ['responder', 'blinded']] as const) {
      expect(closedError(() => transcript.absorb(role, kind, ascii('late'))).code).toBe('transcript-closed');
    }
    transcript.absorb('initiator', 'evaluated', ascii('after TH_pre'));
    transcript.absorb('responder', 'removed', ascii('after TH_pre'));
    const framed = (role: number, type: number, body: string): Buffer => Buffer.concat([Uint8Array.of(role, type, 0, 0, 0, body.length), ascii(body)]);
    const s4 = sha512(Buffer.concat([ascii('VENN-V02-STREAM'), Uint8Array.of(4), framed(1, 3, 'initiator/evaluated'), framed(1, 3, 'after TH_pre')]));
    expect(hex(transcript.streamDigest(4))).toBe(hex(s4));
  });

  it('a stream never written to is closed by a hash too (as empty)', () => {
    const transcript = new Transcript();
    transcript.epochPreHash();
    expect(closedError(() => transcript.absorb('responder', 'removed', ascii('late'))).code).toBe('transcript-closed');
    transcript.absorb('initiator', 'proof', ascii('fine'));
  });
});

describe('TH guards', () => {
  it.each([-1, 256, 1.5, Number.NaN, 2 ** 53])('refuses purpose %s with invalid-purpose', (purpose) => {
    const transcript = new Transcript();
    let error: unknown;
    try {
      transcript.hash(purpose, [0]);
    } catch (caught) {
      error = caught;
    }
    expect(error).toBeInstanceOf(InternalError);
    expect((error as InternalError).code).toBe('invalid-purpose');
    expect((error as InternalError).message).toBe(`"purpose" expected an integer in 0..255, got ${String(purpose)}`);
  });

  it.each<[string, number[]]>([
    ['a negative index', [-1]],
    ['index 12', [12]],
    ['a fractional index', [0.5]],
    ['a repeated index', [1, 1]],
    ['descending indices', [3, 2]],
    ['a repeat after ascending ones', [0, 4, 9, 9]],
    ['a bad index after good ones', [0, 1, 12]],
  ])('refuses %s with invalid-streams, before closing any stream', (_, streams) => {
    const transcript = new Transcript();
    let error: unknown;
    try {
      transcript.hash(PURPOSE_FINISH, streams);
    } catch (caught) {
      error = caught;
    }
    expect(error).toBeInstanceOf(InternalError);
    expect((error as InternalError).code).toBe('invalid-streams');
    expect((error as InternalError).message).toBe(`"streams" expected ascending stream indices in 0..11, got ${streams.join(', ')}`);
    // Nothing was closed by the refused call.
    for (const j of range(EPOCH_STREAM_COUNT)) {
      const role: Role = j % 2 === 0 ? 'initiator' : 'responder';
      const kind = j >= 10 ? 'removed' : KINDS[j >> 1]!;
      transcript.absorb(role, kind, ascii('still open'));
    }
  });
});
