/** `wallet` (protocol-spec/identifiers.md §7.5): EVM addresses (EIP-55) and bech32/bech32m (BIP-173, BIP-350). */
import { keccak_256 } from '@noble/hashes/sha3.js';
import { bech32, bech32m } from '@scure/base';
import { reject } from './text.js';

// §7.5: the prefix in either case, as the hex digits are.
const EVM = /^(?:0[xX])?([0-9a-fA-F]{40})$/;
const HAS_LOWER = /[a-f]/;
const HAS_UPPER = /[A-F]/;
// BIP-173: hrp of 1-83 characters U+0021-U+007E, separator "1" (the last one, since the data
// alphabet has no "1"), at least 6 data characters.
const BECH32_SHAPE = /^[\x21-\x7e]{1,83}1[qpzry9x8gf2tvdw0s3jn54khce6mua7l]{6,}$/;
const MAX_BECH32_LENGTH = 128;

/** EIP-55: hex letter i is uppercase iff nibble i of keccak256(lowercase hex) is >= 8. */
export function eip55Checksum(lowerHex: string): string {
  const hash = keccak_256(new TextEncoder().encode(lowerHex));
  let out = '';
  for (let i = 0; i < lowerHex.length; i++) {
    const ch = lowerHex[i] ?? '';
    const byte = hash[i >> 1] ?? 0;
    const nibble = i % 2 === 0 ? byte >> 4 : byte & 0x0f;
    out += nibble >= 8 ? ch.toUpperCase() : ch;
  }
  return out;
}

export function canonicalWallet(trimmed: string): string {
  const evm = EVM.exec(trimmed);
  if (evm !== null) {
    const digits = evm[1] ?? '';
    const lower = digits.toLowerCase();
    if (HAS_LOWER.test(digits) && HAS_UPPER.test(digits) && eip55Checksum(lower) !== digits) {
      reject('wallet', 'wallet-checksum', trimmed, 'mixed-case EVM address does not match its EIP-55 checksum');
    }
    return `0x${lower}`;
  }
  const lower = trimmed.toLowerCase();
  // BIP-173: decoders MUST NOT accept mixed case.
  if (trimmed !== lower && trimmed !== trimmed.toUpperCase()) {
    reject('wallet', 'wallet-syntax', trimmed, 'neither an EVM address nor a single-case bech32 string');
  }
  if (lower.length > MAX_BECH32_LENGTH || !BECH32_SHAPE.test(lower)) {
    reject('wallet', 'wallet-syntax', trimmed, `neither an EVM address nor a bech32 string of at most ${MAX_BECH32_LENGTH} characters`);
  }
  if (bech32.decodeUnsafe(lower, MAX_BECH32_LENGTH) === undefined && bech32m.decodeUnsafe(lower, MAX_BECH32_LENGTH) === undefined) {
    reject('wallet', 'wallet-checksum', trimmed, 'bech32 string whose checksum verifies under neither bech32 nor bech32m');
  }
  return lower;
}
