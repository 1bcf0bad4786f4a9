/** Every public function that takes bytes, fed junk: each must throw a typed VennError, nothing else. */
import { describe, expect, it } from 'vitest';
import { CryptoError, ValidationError, VennError } from '@venn/errors';
import {
  constantTimeEqual,
  decodePoint,
  ed25519KeyPairFromSeed,
  ed25519Sign,
  ed25519Verify,
  expandMessageXmd,
  generateProof,
  hashToGroup,
  hashToGroupMany,
  hashToScalar,
  randomScalar,
  ready,
  scalarBaseMult,
  scalarMult,
  scalarMultPacked,
  sumPacked,
  systemRng,
  validatePackedPoints,
  verifyProof,
  wipe,
} from '../src/index.js';
import { L, concatBytes, scalarOf, unhex } from './vectors.js';

await ready();

const encoder = new TextEncoder();
const G = scalarBaseMult(scalarOf(1));
const P2 = scalarBaseMult(scalarOf(2));
const IDENTITY = new Uint8Array(32);
const NON_CANONICAL = unhex('edffffffffffffffffffffffffffffffffffffffffffffffffffffffffffff7f');
const NEGATIVE = unhex('0100000000000000000000000000000000000000000000000000000000000000');
const HUGE = new Uint8Array((1 << 20) + 1);
const k = scalarOf(3);
const K = scalarBaseMult(k);
const C = concatBytes(G, P2);
const D = scalarMultPacked(k, C);
const CONTEXT = encoder.encode('VENN-V1-junk');
const proof = generateProof(k, G, K, C, D, CONTEXT, () => new Uint8Array(64).fill(4));
const DST = encoder.encode('DST');
const keys = ed25519KeyPairFromSeed(new Uint8Array(32).fill(1));
const signature = ed25519Sign(keys.secretKey, encoder.encode('m'));

type Expectation = readonly [kind: typeof ValidationError | typeof CryptoError, code: string];
const LENGTH: Expectation = [ValidationError, 'invalid-length'];
const IDENT: Expectation = [CryptoError, 'identity-element'];
const NONCANON: Expectation = [CryptoError, 'non-canonical-point'];
const SCALAR: Expectation = [CryptoError, 'invalid-scalar'];

/** Values that are not a Uint8Array at all. */
const NOT_BYTES: readonly [string, unknown][] = [
  ['undefined', undefined],
  ['null', null],
  ['string', 'e2f2ae0a6abc4e71a884a961c500515f58e30b6aa582dd8db6a65945e08d2d76'],
  ['number', 32],
  ['array of numbers', Array.from(G)],
  ['object', { length: 32 }],
  ['ArrayBuffer', new ArrayBuffer(32)],
  ['Uint16Array', new Uint16Array(16)],
];

function fixedLengthJunk(length: number, expectation: Expectation = LENGTH): [string, unknown, Expectation][] {
  return [
    ...NOT_BYTES.map(([name, value]): [string, unknown, Expectation] => [name, value, expectation]),
    ['empty', new Uint8Array(0), expectation],
    ['one short', new Uint8Array(length - 1), expectation],
    ['one long', new Uint8Array(length + 1), expectation],
    ['huge', HUGE, expectation],
  ];
}

const pointJunk: [string, unknown, Expectation][] = [
  ...fixedLengthJunk(32),
  ['identity', IDENTITY, IDENT],
  ['non-canonical field element', NON_CANONICAL, NONCANON],
  ['negative field element', NEGATIVE, NONCANON],
];

const scalarJunk: [string, unknown, Expectation][] = [
  ...fixedLengthJunk(32),
  ['zero', scalarOf(0), SCALAR],
  ['L', scalarOf(L), SCALAR],
  ['L + 1', scalarOf(L + 1n), SCALAR],
  ['2^256 - 1', new Uint8Array(32).fill(0xff), SCALAR],
];

const packedJunk: [string, unknown, Expectation][] = [
  ...NOT_BYTES.map(([name, value]): [string, unknown, Expectation] => [name, value, LENGTH]),
  ['31 bytes', new Uint8Array(31), LENGTH],
  ['65 bytes', new Uint8Array(65), LENGTH],
  ['huge, not a multiple of 32', new Uint8Array(32 * 50_000 + 1), LENGTH],
  ['identity at index 1', concatBytes(G, IDENTITY), IDENT],
  ['non-canonical at index 1', concatBytes(G, NON_CANONICAL), NONCANON],
];

const messageJunk: [string, unknown, Expectation][] = NOT_BYTES.map(([name, value]) => [name, value, LENGTH]);

const dstJunk: [string, unknown, Expectation][] = [
  ...messageJunk,
  ['empty DST', new Uint8Array(0), LENGTH],
  ['256-byte DST', new Uint8Array(256), LENGTH],
];

const contextJunk: [string, unknown, Expectation][] = [
  ...messageJunk,
  ['empty context', new Uint8Array(0), LENGTH],
  ['context too long for the DST', new Uint8Array(243), LENGTH],
];

const proofJunk: [string, unknown, Expectation][] = [
  ...fixedLengthJunk(64, [ValidationError, 'proof-length']),
  ['c = L', concatBytes(scalarOf(L), proof.subarray(32)), SCALAR],
  ['s = 2^256 - 1', concatBytes(proof.subarray(0, 32), new Uint8Array(32).fill(0xff)), SCALAR],
];

const rngJunk: [string, unknown, Expectation][] = [
  ['not a function', new Uint8Array(64), [ValidationError, 'invalid-rng']],
  ['returns 32 bytes', () => new Uint8Array(32), LENGTH],
  ['returns a string', () => 'x'.repeat(64), LENGTH],
  ['returns zeros forever', () => new Uint8Array(64), SCALAR],
];

/** Calls a function with argument `index` replaced by junk. */
interface Target {
  name: string;
  call: (args: unknown[]) => unknown;
  args: unknown[];
  params: [index: number, field: string, junk: [string, unknown, Expectation][]][];
}

const any = (fn: (...args: never[]) => unknown) => (args: unknown[]) => (fn as (...a: unknown[]) => unknown)(...args);

const targets: Target[] = [
  { name: 'decodePoint', call: any(decodePoint), args: [G, 'peerKey'], params: [[0, 'peerKey', pointJunk]] },
  { name: 'validatePackedPoints', call: any(validatePackedPoints), args: [C, 'blinded'], params: [[0, 'blinded', packedJunk]] },
  { name: 'sumPacked', call: any(sumPacked), args: [C], params: [[0, 'points', [...packedJunk, ['empty', new Uint8Array(0), LENGTH]]]] },
  { name: 'scalarBaseMult', call: any(scalarBaseMult), args: [k], params: [[0, 'k', scalarJunk]] },
  { name: 'scalarMult', call: any(scalarMult), args: [k, G], params: [[0, 'k', scalarJunk], [1, 'point', pointJunk]] },
  { name: 'scalarMultPacked', call: any(scalarMultPacked), args: [k, C], params: [[0, 'k', scalarJunk], [1, 'points', packedJunk]] },
  { name: 'randomScalar', call: any(randomScalar), args: [systemRng], params: [[0, 'rng', rngJunk]] },
  {
    name: 'expandMessageXmd',
    call: any(expandMessageXmd),
    args: [G, DST, 32],
    params: [[0, 'msg', messageJunk], [1, 'dst', dstJunk], [2, 'lenInBytes', [['string', '32', LENGTH], ['negative', -1, LENGTH], ['too long', 16321, LENGTH]]]],
  },
  { name: 'hashToGroup', call: any(hashToGroup), args: [G, DST], params: [[0, 'msg', messageJunk], [1, 'dst', dstJunk]] },
  {
    name: 'hashToGroupMany',
    call: any(hashToGroupMany),
    args: [[G, G], DST],
    params: [
      [0, 'msgs', [['not an array', G, LENGTH], ['string', 'abc', LENGTH], ['array with a non-bytes item', [G, 'x'], LENGTH], ['null', null, LENGTH]]],
      [1, 'dst', dstJunk],
    ],
  },
  { name: 'hashToScalar', call: any(hashToScalar), args: [G, DST], params: [[0, 'msg', messageJunk], [1, 'dst', dstJunk]] },
  {
    name: 'generateProof',
    call: any(generateProof),
    args: [k, G, K, C, D, CONTEXT, () => new Uint8Array(64).fill(4)],
    params: [
      [0, 'k', scalarJunk],
      [1, 'A', pointJunk],
      [2, 'B', pointJunk],
      [3, 'C', [...packedJunk, ['empty', new Uint8Array(0), LENGTH], ['one point for two D', G, LENGTH]]],
      [4, 'D', [...packedJunk, ['empty', new Uint8Array(0), LENGTH], ['three points for two C', concatBytes(D, G), LENGTH]]],
      [5, 'contextString', contextJunk],
      [6, 'rng', rngJunk],
    ],
  },
  {
    name: 'verifyProof',
    call: any(verifyProof),
    args: [G, K, C, D, proof, CONTEXT],
    params: [
      [0, 'A', pointJunk],
      [1, 'B', pointJunk],
      [2, 'C', [...packedJunk, ['empty', new Uint8Array(0), LENGTH]]],
      [3, 'D', [...packedJunk, ['three points for two C', concatBytes(D, G), LENGTH]]],
      [4, 'proof', proofJunk],
      [5, 'contextString', contextJunk],
    ],
  },
  { name: 'constantTimeEqual', call: any(constantTimeEqual), args: [G, G], params: [[0, 'a', messageJunk], [1, 'b', messageJunk]] },
  { name: 'wipe', call: any(wipe), args: [new Uint8Array(4)], params: [[0, 'bytes', messageJunk]] },
  { name: 'ed25519KeyPairFromSeed', call: any(ed25519KeyPairFromSeed), args: [new Uint8Array(32)], params: [[0, 'seed', fixedLengthJunk(32)]] },
  {
    name: 'ed25519Sign',
    call: any(ed25519Sign),
    args: [keys.secretKey, encoder.encode('m')],
    params: [
      [0, 'secretKey', [...fixedLengthJunk(64), ['public half of another key', concatBytes(keys.secretKey.subarray(0, 32), G), [CryptoError, 'invalid-key']]]],
      [1, 'message', messageJunk],
    ],
  },
  {
    name: 'ed25519Verify',
    call: any(ed25519Verify),
    args: [keys.publicKey, encoder.encode('m'), signature],
    params: [
      [0, 'publicKey', fixedLengthJunk(32)],
      [1, 'message', messageJunk],
      [2, 'signature', fixedLengthJunk(64)],
    ],
  },
  {
    name: 'systemRng',
    call: any(systemRng),
    args: [32],
    params: [[0, 'length', [['negative', -1, LENGTH], ['fractional', 1.5, LENGTH], ['NaN', Number.NaN, LENGTH], ['string', '32', LENGTH]]]],
  },
];

const rows = targets.flatMap((target) =>
  target.params.flatMap(([index, field, junk]) =>
    junk.map(([label, value, expectation]) => [`${target.name} ${field}: ${label}`, target, index, field, value, expectation] as const),
  ),
);

describe('junk inputs', () => {
  it('every baseline call succeeds, so each row isolates one bad argument', () => {
    for (const target of targets) expect(() => target.call(target.args)).not.toThrow();
    expect(verifyProof(G, K, C, D, proof, CONTEXT)).toBe(true);
  });

  it.each(rows)('%s', (_label, target, index, field, value, [kind, code]) => {
    const args = target.args.slice();
    args[index] = value;
    let caught: unknown;
    try {
      target.call(args);
    } catch (error) {
      caught = error;
    }
    expect(caught).toBeInstanceOf(VennError);
    expect(caught).toBeInstanceOf(kind);
    expect((caught as VennError).code).toBe(code);
    if (field !== 'length' && field !== 'lenInBytes') expect((caught as Error).message).toMatch(new RegExp(`"${field}`));
  });
});
