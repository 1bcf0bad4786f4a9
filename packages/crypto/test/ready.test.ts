/** Initialisation: everything refuses to run before ready(), which is idempotent. */
import { describe, expect, it } from 'vitest';
import { InternalError } from '@venn/errors';
import { hashToGroup, hashToGroupMany, ready, scalarBaseMult, scalarMultPacked, systemRng } from '../src/index.js';
import { scalarOf } from './vectors.js';

describe('ready()', () => {
  it('is required first, then idempotent', async () => {
    expect(() => scalarBaseMult(scalarOf(1))).toThrow(InternalError);
    expect(() => systemRng(8)).toThrow(expect.objectContaining({ code: 'not-ready' }));
    // The batched WebAssembly module (hash-to-group, packed scalar multiplication) waits for ready() too.
    expect(() => hashToGroupMany([new Uint8Array(1), new Uint8Array(2)], new Uint8Array([1]))).toThrow(
      expect.objectContaining({ code: 'not-ready' }),
    );
    expect(() => scalarMultPacked(scalarOf(1), new Uint8Array(64))).toThrow(expect.objectContaining({ code: 'not-ready' }));
    const first = ready();
    const second = ready();
    expect(second).toBe(first);
    await first;
    await ready();
    expect(scalarBaseMult(scalarOf(1))).toHaveLength(32);
    expect(hashToGroup(new Uint8Array(1), new Uint8Array([1]))).toHaveLength(32);
    expect(systemRng(16)).toHaveLength(16);
  });
});
