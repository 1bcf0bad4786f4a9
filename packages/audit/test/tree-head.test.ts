/** Signed tree heads (audit.md §4): signing input layout, signature tamper tests, codec junk table. */
import { ed25519KeyPairFromSeed, ready } from '@venn/crypto';
import { CodecError, ValidationError } from '@venn/errors';
import { beforeAll, describe, expect, it } from 'vitest';
import {
  MemoryLogStorage,
  MerkleLog,
  SIGNED_TREE_HEAD_BYTES,
  decodeSignedTreeHead,
  encodeSignedTreeHead,
  signTreeHead,
  treeHeadSigningInput,
  verifyConsistency,
  verifyHeadConsistency,
  verifyTreeHead,
  type SignedTreeHead,
  type TreeHead,
} from '../src/index.js';

const hex = (b: Uint8Array): string => Buffer.from(b).toString('hex');

let owner: { publicKey: Uint8Array; secretKey: Uint8Array };
let stranger: { publicKey: Uint8Array; secretKey: Uint8Array };
let log: MerkleLog;
let head: TreeHead;
let signed: SignedTreeHead;

beforeAll(async () => {
  await ready();
  owner = ed25519KeyPairFromSeed(new Uint8Array(32).fill(1));
  stranger = ed25519KeyPairFromSeed(new Uint8Array(32).fill(2));
  log = new MerkleLog(new MemoryLogStorage());
  for (let i = 0; i < 300; i++) log.append(new TextEncoder().encode(`round ${i}`));
  head = log.treeHead(1_767_225_600_000);
  signed = signTreeHead(head, 'lab-a', owner.secretKey);
});

describe('tree head signing input', () => {
  it('is "VENN-V01-TREE-HEAD" || u64 size || root || u64 timestamp || u8 len || log id', () => {
    const size = Buffer.alloc(8);
    size.writeBigUInt64BE(300n);
    const timestamp = Buffer.alloc(8);
    timestamp.writeBigUInt64BE(1_767_225_600_000n);
    const expected = Buffer.concat([
      Buffer.from('VENN-V01-TREE-HEAD', 'ascii'),
      size,
      head.root,
      timestamp,
      Buffer.from([5]),
      Buffer.from('lab-a', 'ascii'),
    ]);
    expect(hex(treeHeadSigningInput(head, 'lab-a'))).toBe(expected.toString('hex'));
  });

  it('rejects malformed heads and log ids with ValidationError', () => {
    const bad: [string, unknown, unknown][] = [
      ['negative size', { ...head, size: -1 }, 'lab-a'],
      ['fractional size', { ...head, size: 1.5 }, 'lab-a'],
      ['short root', { ...head, root: new Uint8Array(31) }, 'lab-a'],
      ['unsafe timestamp', { ...head, timestamp: 2 ** 53 }, 'lab-a'],
      ['null head', null, 'lab-a'],
      ['empty log id', head, ''],
      ['log id with upper case', head, 'Lab-A'],
      ['log id of 64 characters', head, 'a'.repeat(64)],
    ];
    for (const [name, h, id] of bad) {
      expect(() => treeHeadSigningInput(h as TreeHead, id as string), name).toThrow(ValidationError);
    }
  });

  it('a head that is not an object is refused as invalid-type naming "head", before any of its fields', () => {
    for (const [h, got] of [[5, 'number 5'], ['head', '"head"'], [null, 'null'], [undefined, 'undefined']] as const) {
      let error: unknown;
      try {
        treeHeadSigningInput(h as unknown as TreeHead, 'lab-a');
      } catch (caught) {
        error = caught;
      }
      expect(error).toBeInstanceOf(ValidationError);
      expect({ code: (error as ValidationError).code, message: (error as ValidationError).message }).toEqual({ code: 'invalid-type', message: `"head" expected an object, got ${got}` });
    }
  });
});

describe('tree head signatures', () => {
  it('verify under the owner key and log id', () => {
    expect(signed.size).toBe(300);
    expect(hex(signed.root)).toBe(hex(log.root()));
    expect(verifyTreeHead(signed, 'lab-a', owner.publicKey)).toBe(true);
  });

  it('every field is bound: size, root, timestamp, log id, key and signature tampering all fail', () => {
    const tampered: [string, SignedTreeHead, string, Uint8Array][] = [
      ['size + 1', { ...signed, size: 301 }, 'lab-a', owner.publicKey],
      ['size - 1', { ...signed, size: 299 }, 'lab-a', owner.publicKey],
      ['timestamp + 1', { ...signed, timestamp: signed.timestamp + 1 }, 'lab-a', owner.publicKey],
      ['root of another size', { ...signed, root: log.root(299) }, 'lab-a', owner.publicKey],
      ['other log id', signed, 'lab-b', owner.publicKey],
      ['other key', signed, 'lab-a', stranger.publicKey],
      ['signed by another key', signTreeHead(head, 'lab-a', stranger.secretKey), 'lab-a', owner.publicKey],
    ];
    for (const [name, h, id, key] of tampered) expect(verifyTreeHead(h, id, key), name).toBe(false);

    let accepted = 0;
    for (let bit = 0; bit < 256; bit++) {
      const root = signed.root.slice();
      root[bit >>> 3]! ^= 1 << (bit & 7);
      if (verifyTreeHead({ ...signed, root }, 'lab-a', owner.publicKey)) accepted++;
    }
    for (let bit = 0; bit < 512; bit++) {
      const signature = signed.signature.slice();
      signature[bit >>> 3]! ^= 1 << (bit & 7);
      if (verifyTreeHead({ ...signed, signature }, 'lab-a', owner.publicKey)) accepted++;
    }
    expect(accepted).toBe(0);
  });

  it('rejects malformed signatures, keys and heads with ValidationError', () => {
    expect(() => verifyTreeHead({ ...signed, signature: new Uint8Array(63) }, 'lab-a', owner.publicKey)).toThrow(ValidationError);
    expect(() => verifyTreeHead({ ...head } as SignedTreeHead, 'lab-a', owner.publicKey)).toThrow(ValidationError);
    expect(() => verifyTreeHead(signed, 'lab-a', new Uint8Array(31))).toThrow(ValidationError);
    expect(() => verifyTreeHead(signed, 'LAB', owner.publicKey)).toThrow(ValidationError);
    expect(() => signTreeHead(head, 'lab-a', new Uint8Array(32))).toThrow(ValidationError);
    expect(() => signTreeHead({ ...head, root: new Uint8Array(0) }, 'lab-a', owner.secretKey)).toThrow(ValidationError);
    expect(() => verifyHeadConsistency(head, { ...head, size: -2 }, [])).toThrow(ValidationError);
  });

  it('signing is deterministic (Ed25519) and copies the root', () => {
    const again = signTreeHead(head, 'lab-a', owner.secretKey);
    expect(hex(again.signature)).toBe(hex(signed.signature));
    expect(again.root).not.toBe(head.root);
  });

  it('a relabelled size can pass the Merkle check, never the signature: take size and root from one signed head', () => {
    const newer = signTreeHead(log.treeHead(1_767_225_700_000), 'lab-a', owner.secretKey);
    // Find an older size whose proof also passes when the newer root is relabelled with size - 1.
    let found = 0;
    for (let m = 1; m < 299 && found === 0; m++) {
      if (verifyConsistency(m, 299, log.root(m), newer.root, log.consistencyProof(m, 300))) found = m;
    }
    expect(found).toBeGreaterThan(0);
    const older = signTreeHead(
      { size: found, root: log.root(found), timestamp: 1_767_225_500_000 },
      'lab-a',
      owner.secretKey,
    );
    const proof = log.consistencyProof(found, 300);
    expect(verifyHeadConsistency(older, newer, proof)).toBe(true);
    const relabelled = { ...newer, size: 299 };
    expect(verifyHeadConsistency(older, relabelled, proof)).toBe(true);
    expect(verifyTreeHead(relabelled, 'lab-a', owner.publicKey)).toBe(false);
  });

  it('heads of one log are consistent; a forked log at the same or a later size is not', () => {
    const older = log.treeHead(1);
    const fork = new MerkleLog(new MemoryLogStorage());
    for (let i = 0; i < 300; i++) fork.append(new TextEncoder().encode(i === 150 ? 'rewritten' : `round ${i}`));
    for (let i = 300; i < 310; i++) fork.append(new TextEncoder().encode(`round ${i}`));
    const honest = new MerkleLog(new MemoryLogStorage());
    for (let i = 0; i < 310; i++) honest.append(new TextEncoder().encode(`round ${i}`));

    expect(verifyHeadConsistency(older, honest.treeHead(2), honest.consistencyProof(300, 310))).toBe(true);
    expect(verifyHeadConsistency(older, fork.treeHead(2), fork.consistencyProof(300, 310))).toBe(false);
    const forkAtSameSize = { size: 300, root: fork.root(300), timestamp: 3 };
    expect(verifyHeadConsistency(older, forkAtSameSize, [])).toBe(false);
  });
});

describe('signed tree head codec', () => {
  it('round-trips in 113 bytes: version || size || root || timestamp || signature', () => {
    const encoded = encodeSignedTreeHead(signed);
    expect(encoded.length).toBe(SIGNED_TREE_HEAD_BYTES);
    expect(SIGNED_TREE_HEAD_BYTES).toBe(113);
    expect(encoded[0]).toBe(1);
    expect(hex(encoded.subarray(1, 9))).toBe('000000000000012c');
    expect(hex(encoded.subarray(9, 41))).toBe(hex(signed.root));
    expect(hex(encoded.subarray(49))).toBe(hex(signed.signature));
    const decoded = decodeSignedTreeHead(encoded);
    expect(decoded).toEqual(signed);
    expect(verifyTreeHead(decoded, 'lab-a', owner.publicKey)).toBe(true);
  });

  it('junk is a CodecError with a stable code', () => {
    const good = encodeSignedTreeHead(signed);
    const patched = (offset: number, ...values: number[]): Uint8Array => {
      const copy = good.slice();
      copy.set(values, offset);
      return copy;
    };
    const cases: [string, unknown, string][] = [
      ['a string', 'head', 'invalid-type'],
      ['null', null, 'invalid-type'],
      ['empty', new Uint8Array(0), 'truncated'],
      ['one byte short', good.slice(0, -1), 'truncated'],
      ['header only', good.slice(0, 9), 'truncated'],
      ['one byte long', Uint8Array.from([...good, 0]), 'too-large'],
      ['a megabyte', new Uint8Array(1 << 20), 'too-large'],
      ['version 0', patched(0, 0), 'unsupported-version'],
      ['version 2', patched(0, 2), 'unsupported-version'],
      ['size above 2^53', patched(1, 0x00, 0x20), 'out-of-range'],
      ['timestamp of 2^64 - 1', patched(41, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff), 'out-of-range'],
    ];
    for (let length = 0; length < good.length; length++) cases.push([`truncated to ${length}`, good.slice(0, length), 'truncated']);
    for (const [name, input, code] of cases) {
      let error: unknown;
      try {
        decodeSignedTreeHead(input as Uint8Array);
      } catch (caught) {
        error = caught;
      }
      expect(error, name).toBeInstanceOf(CodecError);
      expect((error as CodecError).code, name).toBe(code);
    }
  });

  it('encoding refuses malformed heads with ValidationError', () => {
    expect(() => encodeSignedTreeHead({ ...signed, signature: new Uint8Array(63) })).toThrow(ValidationError);
    expect(() => encodeSignedTreeHead({ ...signed, size: -1 })).toThrow(ValidationError);
    expect(() => encodeSignedTreeHead({ size: 1, root: new Uint8Array(32), timestamp: 1 } as SignedTreeHead)).toThrow(
      ValidationError,
    );
  });
});
