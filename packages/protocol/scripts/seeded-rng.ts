/**
 * A deterministic byte stream for tests and vectors (SPEC Appendix A): block i is
 * SHA-512("VENN-V02-TEST-RNG" || seed || I2OSP(i, 8)); calls consume the stream in order.
 * Never use it for a real round.
 */
import { sha512 } from '@noble/hashes/sha2.js';
import type { Rng } from '@venn/crypto';

const LABEL = new TextEncoder().encode('VENN-V02-TEST-RNG');

export function seededRng(seed: string | Uint8Array): Rng {
  const seedBytes = typeof seed === 'string' ? new TextEncoder().encode(seed) : seed;
  let counter = 0;
  let pool = new Uint8Array(0);
  let used = 0;
  const refill = (): void => {
    const input = new Uint8Array(LABEL.length + seedBytes.length + 8);
    input.set(LABEL);
    input.set(seedBytes, LABEL.length);
    new DataView(input.buffer).setBigUint64(LABEL.length + seedBytes.length, BigInt(counter++));
    const block = sha512(input);
    const next = new Uint8Array(pool.length - used + block.length);
    next.set(pool.subarray(used));
    next.set(block, pool.length - used);
    pool = next;
    used = 0;
  };
  return (length: number): Uint8Array => {
    while (pool.length - used < length) refill();
    // A fresh copy each call: the crypto layer wipes what it is given.
    const out = pool.slice(used, used + length);
    used += length;
    return out;
  };
}
