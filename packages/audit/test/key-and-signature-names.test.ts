/**
 * Two field names the schema-edge tests leave: a map key the reader cannot read as a key is named
 * "<map> key", and a tree head's signature of the wrong length handed to verifyTreeHead is named
 * "signature".
 */
import { CodecError, ValidationError } from '@venn/errors';
import { describe, expect, it } from 'vitest';
import { MemoryLogStorage, MerkleLog, signTreeHead, verifyTreeHead } from '../src/index.js';
import { StrictReader } from '../src/internal/msgpack.js';
import { keys, refusal } from './round-harness.js';

describe('the strict reader names a map key it cannot read', () => {
  it('a key that is no string is refused as "<map> key"', () => {
    const read = new StrictReader(Uint8Array.from([0x81, 0x07, 0x01]), 'test file');
    const map = read.map('top', ['fmt']);
    expect(refusal(() => map.key('fmt'), [CodecError])).toMatchObject({ message: expect.stringMatching(/^test file "top key" expected str/) });
  });

  it('a key longer than 64 bytes is refused as "<map> key"', () => {
    const long = Array.from({ length: 65 }, () => 0x61);
    const read = new StrictReader(Uint8Array.from([0x81, 0xd9, 65, ...long, 0x01]), 'test file');
    const map = read.map('top', ['fmt']);
    expect(refusal(() => map.key('fmt'), [CodecError]).message).toMatch(/^test file "top key" /);
  });
});

describe('verifyTreeHead names a signature of the wrong length', () => {
  it('63 bytes: wrong-length, "signature"', () => {
    const log = new MerkleLog(new MemoryLogStorage());
    log.append(Uint8Array.of(1));
    const head = signTreeHead(log.treeHead(1_900_000_000_000), 'lab-a', keys.initiator.secretKey.slice());
    expect(refusal(() => verifyTreeHead({ ...head, signature: head.signature.slice(0, 63) }, 'lab-a', keys.initiator.publicKey), [ValidationError])).toEqual({
      code: 'wrong-length', message: '"signature" expected Uint8Array of length 64, got length=63',
    });
  });
});
