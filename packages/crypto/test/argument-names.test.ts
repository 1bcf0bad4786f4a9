/**
 * Every refusal of a bad argument names the argument (the project's rule: errors name the field
 * and what was expected). Each public function gets junk in each argument in turn, and the
 * ValidationError's message must start with that argument's name.
 */
import { ValidationError } from '@venn/errors';
import { beforeAll, describe, expect, it } from 'vitest';
import { elementFromUniformBytes } from '../src/hash.js';
import { aeadOpen, aeadSeal, decodePoint, keyedBlake2b, ready } from '../src/index.js';
import { refusal } from './vectors.js';

beforeAll(async () => {
  await ready();
});

const key = new Uint8Array(32).fill(1);
const nonce = new Uint8Array(24).fill(2);
const ad = new Uint8Array(3);
const text = new Uint8Array(5);
const sealed = (): Uint8Array => aeadSeal(key, nonce, ad, text);

describe('argument names in refusals', () => {
  it.each([
    ['aeadSeal', 'key', () => aeadSeal(new Uint8Array(31), nonce, ad, text)],
    ['aeadSeal', 'nonce', () => aeadSeal(key, new Uint8Array(12), ad, text)],
    ['aeadSeal', 'ad', () => aeadSeal(key, nonce, 'ad' as unknown as Uint8Array, text)],
    ['aeadSeal', 'plaintext', () => aeadSeal(key, nonce, ad, [1, 2] as unknown as Uint8Array)],
    ['aeadOpen', 'key', () => aeadOpen(new Uint8Array(33), nonce, ad, sealed())],
    ['aeadOpen', 'nonce', () => aeadOpen(key, new Uint8Array(23), ad, sealed())],
    ['aeadOpen', 'ad', () => aeadOpen(key, nonce, null as unknown as Uint8Array, sealed())],
    ['aeadOpen', 'ciphertext', () => aeadOpen(key, nonce, ad, {} as unknown as Uint8Array)],
    ['aeadOpen', 'ciphertext', () => aeadOpen(key, nonce, ad, new Uint8Array(15))],
    ['keyedBlake2b', 'key', () => keyedBlake2b(new Uint8Array(15), text, 32)],
    ['keyedBlake2b', 'message', () => keyedBlake2b(key, 'm' as unknown as Uint8Array, 32)],
    ['keyedBlake2b', 'outLength', () => keyedBlake2b(key, text, 65)],
    ['elementFromUniformBytes', 'uniform', () => elementFromUniformBytes(new Uint8Array(63))],
    ['decodePoint', 'point', () => decodePoint(new Uint8Array(31))],
  ] as const)('%s names "%s"', (_, field, call) => {
    const { error, code, message } = refusal(call);
    expect(error).toBeInstanceOf(ValidationError);
    expect(code).toBe('invalid-length');
    expect(message.startsWith(`"${field}" expected`)).toBe(true);
  });
});

describe('point refusals say what was wrong with the point', () => {
  it('the identity is refused as the identity, naming the field', () => {
    const { code, message } = refusal(() => decodePoint(new Uint8Array(32), 'K'));
    expect(code).toBe('identity-element');
    expect(message).toBe('"K" expected a non-identity ristretto255 element, got the identity');
  });

  it('bytes that do not decode are refused as non-canonical, naming the field', () => {
    const { code, message } = refusal(() => decodePoint(new Uint8Array(32).fill(0xff), 'K'));
    expect(code).toBe('non-canonical-point');
    expect(message).toBe('"K" expected a canonical ristretto255 encoding (RFC 9496 §4.3.1), got bytes that do not decode');
  });
});
