/**
 * The msgpack subset of audit files (audit.md §8.1) at the edges msgpack-mutants.test.ts leaves
 * open: strings are decoded as strict UTF-8 that keeps a leading byte order mark (so "\uFEFFfmt"
 * is not "fmt" and a file has one encoding), a 64-bit integer above 2^53 - 1 is refused as such,
 * and the writer refuses to hand out a buffer it did not fill.
 *
 * The module is imported inside each test, not at the top of the file: its strict UTF-8 decoder is
 * built when it loads, so a broken decoder fails these tests rather than only the file's import.
 */
import { CodecError, InternalError } from '@venn/errors';
import { describe, expect, it } from 'vitest';

/** The code and message of the error `action` throws, which must be one of `classes`. (Not round-harness's refusal: that file imports the package, and with it this module, on load.) */
function refusal(action: () => unknown, classes: readonly (abstract new (...args: never[]) => Error)[]): { code: string; message: string } {
  try {
    action();
  } catch (error) {
    expect(classes.some((type) => error instanceof type), String(error)).toBe(true);
    return { code: (error as CodecError).code, message: (error as Error).message };
  }
  throw new Error('expected the action to throw');
}

const msgpack = () => import('../src/internal/msgpack.js');
const audit = () => import('../src/index.js');
const BOM = [0xef, 0xbb, 0xbf];

describe('strings are strict UTF-8, a byte order mark included', () => {
  it('the reader loads and refuses bytes that are not UTF-8', async () => {
    const { StrictReader } = await msgpack();
    expect(new StrictReader(Uint8Array.from([0xa2, 0x68, 0x69]), 'test file').str('s', 64)).toBe('hi');
    expect(refusal(() => new StrictReader(Uint8Array.from([0xa2, 0xc3, 0x28]), 'test file').str('s', 64), [CodecError])).toEqual({
      code: 'invalid-utf8',
      message: 'test file "s" expected UTF-8 text',
    });
  });

  it('a leading byte order mark is kept as U+FEFF, not dropped', async () => {
    const { StrictReader } = await msgpack();
    const read = new StrictReader(Uint8Array.from([0xa4, ...BOM, 0x61]), 'test file');
    expect(read.str('s', 64)).toBe('\uFEFFa');
    read.end();
  });

  it('a map key with a byte order mark before it is an unknown key, not the key it hides', async () => {
    const { StrictReader } = await msgpack();
    const read = new StrictReader(Uint8Array.from([0x81, 0xa6, ...BOM, 0x66, 0x6d, 0x74, 0x01]), 'test file');
    const keys = read.map('top', ['fmt']);
    expect(refusal(() => keys.key('fmt'), [CodecError])).toEqual({ code: 'unknown-field', message: 'test file "top" expected key "fmt", got unknown key "\uFEFFfmt"' });
  });

  it('an exported log whose format or log id starts with a byte order mark is refused', async () => {
    const { writeCanonical, OrderedMap } = await msgpack();
    const { EXPORTED_LOG_FORMAT, EXPORTED_LOG_VERSION, decodeExportedLog } = await audit();
    const file = (fmt: string, log: string): Uint8Array =>
      writeCanonical(new OrderedMap([['fmt', fmt], ['v', EXPORTED_LOG_VERSION], ['log', log], ['leaves', []], ['heads', []], ['peers', []]]));
    expect(decodeExportedLog(file(EXPORTED_LOG_FORMAT, 'lab-a')).logId).toBe('lab-a');
    expect(refusal(() => decodeExportedLog(file(`\uFEFF${EXPORTED_LOG_FORMAT}`, 'lab-a')), [CodecError])).toEqual({
      code: 'wrong-format',
      message: `exported log "fmt" expected "venn-log", got "\uFEFFvenn-log"`,
    });
    expect(refusal(() => decodeExportedLog(file(EXPORTED_LOG_FORMAT, '\uFEFFlab-a')), [CodecError])).toEqual({
      code: 'invalid-field',
      message: 'exported log "log" expected to match ^[a-z0-9][a-z0-9-]{0,62}$, got "\uFEFFlab-a"',
    });
  });
});

describe('64-bit integers', () => {
  it.each([
    ['2^53', [0x00, 0x20, 0, 0, 0, 0, 0, 0], '9007199254740992'],
    ['2^64 - 1', [0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff], '18446744073709551615'],
  ])('a uint64 of %s is refused as beyond 2^53 - 1, with its exact value', async (_, bytes, value) => {
    const { StrictReader } = await msgpack();
    const read = new StrictReader(Uint8Array.from([0xcf, ...bytes]), 'test file');
    expect(refusal(() => read.uint('n', Number.MAX_SAFE_INTEGER), [CodecError])).toEqual({
      code: 'out-of-range',
      message: `test file "n" expected at most 2^53 - 1, got ${value}`,
    });
  });

  it('2^53 - 1 itself is read', async () => {
    const { StrictReader } = await msgpack();
    const read = new StrictReader(Uint8Array.from([0xcf, 0x00, 0x1f, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff]), 'test file');
    expect(read.uint('n', Number.MAX_SAFE_INTEGER)).toBe(Number.MAX_SAFE_INTEGER);
    read.end();
  });
});

describe('the writer fills exactly the buffer it sized', () => {
  it('a value that shrinks between sizing and writing is an internal error, not a buffer with zeros at the end', async () => {
    const { writeCanonical } = await msgpack();
    // An array whose one item reads as "abcd" when sized and as "a" when written.
    let reads = 0;
    const shifty: string[] = [''];
    Object.defineProperty(shifty, 0, { get: () => (reads++ === 0 ? 'abcd' : 'a'), enumerable: true });
    expect(refusal(() => writeCanonical(shifty), [InternalError])).toEqual({ code: 'encoder-size', message: 'audit encoder wrote 3 bytes, sized 6' });
    expect(reads).toBe(2);
  });
});
