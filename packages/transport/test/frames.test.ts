import fc from 'fast-check';
import { beforeAll, describe, expect, it } from 'vitest';
import { TransportError } from '@venn/errors';
import { FRAME_KIND_DATA, FrameOpener, FrameSealer, decodeCloseBody, encodeCloseBody, sealedFrameLength } from '../src/internal/frames.js';
import { transportReady } from '../src/internal/primitives.js';

beforeAll(transportReady);

const key = () => new Uint8Array(32).fill(7);
const code = (f: () => unknown): string => {
  try {
    f();
  } catch (e) {
    expect(e).toBeInstanceOf(TransportError);
    return (e as TransportError).code;
  }
  return 'accepted';
};

describe('sealed frames', () => {
  it('property: frames open in order with their kind and body, and have the advertised length', () => {
    fc.assert(
      fc.property(fc.array(fc.uint8Array({ maxLength: 300 }), { maxLength: 12 }), (bodies) => {
        const sealer = new FrameSealer(key());
        const opener = new FrameOpener(key());
        for (const body of bodies) {
          const frame = sealer.seal(FRAME_KIND_DATA, body);
          expect(frame.length).toBe(sealedFrameLength(body.length));
          const opened = opener.open(frame);
          expect(opened.kind).toBe(FRAME_KIND_DATA);
          expect(Buffer.from(opened.body).equals(Buffer.from(body))).toBe(true);
        }
        return opener.received === bodies.length;
      }),
      { numRuns: 40 },
    );
  });

  it('property: flipping any single bit of a frame is detected', () => {
    const frame = new FrameSealer(key()).seal(FRAME_KIND_DATA, new TextEncoder().encode('blinded chunk'));
    fc.assert(
      fc.property(fc.integer({ min: 0, max: frame.length * 8 - 1 }), (bit) => {
        const copy = frame.slice();
        copy[bit >> 3]! ^= 1 << (bit & 7);
        return ['frame-malformed', 'frame-replayed', 'frame-out-of-order', 'frame-auth-failed'].includes(code(() => new FrameOpener(key()).open(copy)));
      }),
    );
  });

  it('detects replay, reordering, truncation and a frame under the wrong key', () => {
    const sealer = new FrameSealer(key());
    const [f0, f1, f2] = [0, 1, 2].map((i) => sealer.seal(FRAME_KIND_DATA, new Uint8Array([i])));
    const opener = new FrameOpener(key());
    opener.open(f0!);
    expect(code(() => opener.open(f0!))).toBe('frame-replayed');
    expect(code(() => opener.open(f2!))).toBe('frame-out-of-order');
    expect(code(() => opener.open(f1!.subarray(0, f1!.length - 1)))).toBe('frame-auth-failed');
    expect(code(() => new FrameOpener(new Uint8Array(32).fill(8)).open(f0!))).toBe('frame-auth-failed');
    // The failed attempts did not advance the counter: the genuine next frame still opens.
    expect(opener.open(f1!).body).toEqual(new Uint8Array([1]));
  });

  it.each([
    ['empty', new Uint8Array(0)],
    ['one byte', new Uint8Array([0x10])],
    ['header only', new Uint8Array(9).fill(0x10)],
    ['wrong type byte', new Uint8Array(40).fill(0x11)],
    ['a handshake message', new Uint8Array([0x01, 0x01, ...new Uint8Array(70)])],
    ['counter at 2^64-1', new Uint8Array([0x10, ...new Uint8Array(8).fill(0xff), ...new Uint8Array(20)])],
    ['patterned bytes', new Uint8Array(64).map((_, i) => (i * 37) & 0xff)],
  ])('junk: %s → typed error', (_, junk) => {
    expect(code(() => new FrameOpener(key()).open(junk))).not.toBe('accepted');
  });
});

describe('CLOSE body', () => {
  it('round-trips and cuts long details on a character boundary', () => {
    expect(decodeCloseBody(encodeCloseBody('purpose-refused', 'outside the schedule window'))).toEqual({ code: 'purpose-refused', detail: 'outside the schedule window' });
    const long = decodeCloseBody(encodeCloseBody('normal', 'é'.repeat(400)));
    expect(long.detail).toBe('é'.repeat(256));
  });

  it.each([
    ['empty', new Uint8Array(0)],
    ['length past the end', new Uint8Array([10, 0x61])],
    ['upper-case code', new Uint8Array([1, 0x41])],
    ['invalid UTF-8 detail', new Uint8Array([1, 0x61, 0xff])],
  ])('junk: %s → frame-malformed', (_, junk) => {
    expect(code(() => decodeCloseBody(junk))).toBe('frame-malformed');
  });

  it('refuses codes that are not kebab-case', () => {
    expect(() => encodeCloseBody('Not OK', '')).toThrow(TransportError);
  });
});
