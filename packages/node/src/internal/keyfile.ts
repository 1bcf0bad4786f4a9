/**
 * The node's Ed25519 identity key file: JSON, mode 0600, holding the 32-byte seed either in clear
 * or sealed with a passphrase (Argon2id via crypto_pwhash, then XSalsa20-Poly1305 secretbox).
 */
import { chmodSync, closeSync, fsyncSync, openSync, readFileSync, statSync, writeSync } from 'node:fs';
import sodium from 'libsodium-wrappers-sumo';
import { CryptoError, ValidationError } from '@venn/errors';

/** Environment variable the CLI and daemon read the key passphrase from. */
export const PASSPHRASE_ENV = 'VENN_KEY_PASSPHRASE';
const FILE_TYPE = 'venn-identity-ed25519';
const HEX64 = /^[0-9a-f]{64}$/;

export type Rng = (length: number) => Uint8Array;

export interface Identity {
  readonly publicKey: Uint8Array;
  /** libsodium's 64-byte Ed25519 secret key (seed || public key). Wipe it when done. */
  readonly secretKey: Uint8Array;
}

export interface KdfParams {
  readonly opslimit: number;
  readonly memlimit: number;
}

interface SealedSeed {
  readonly kdf: 'argon2id13';
  readonly opslimit: number;
  readonly memlimit: number;
  readonly salt: string;
  readonly cipher: 'xsalsa20poly1305';
  readonly nonce: string;
  readonly ciphertext: string;
}

interface KeyFileDocument {
  readonly version: 1;
  readonly type: typeof FILE_TYPE;
  readonly publicKey: string;
  readonly seed?: string;
  readonly sealed?: SealedSeed;
}

export async function sodiumReady(): Promise<typeof sodium> {
  await sodium.ready;
  return sodium;
}

const toHex = (bytes: Uint8Array): string => Buffer.from(bytes).toString('hex');
const fromHex = (hex: string): Uint8Array => new Uint8Array(Buffer.from(hex, 'hex'));

/** Argon2id cost for new key files: libsodium's "moderate" profile (about 1 s, 256 MiB). */
export async function defaultKdfParams(): Promise<KdfParams> {
  const s = await sodiumReady();
  return { opslimit: s.crypto_pwhash_OPSLIMIT_MODERATE, memlimit: s.crypto_pwhash_MEMLIMIT_MODERATE };
}

function deriveKey(s: typeof sodium, passphrase: string, salt: Uint8Array, params: KdfParams): Uint8Array {
  return s.crypto_pwhash(s.crypto_secretbox_KEYBYTES, passphrase, salt, params.opslimit, params.memlimit, s.crypto_pwhash_ALG_ARGON2ID13);
}

/**
 * Creates a new identity key file at `path` (refusing to overwrite one) and returns the public
 * key. With a passphrase the seed is sealed; without, it is stored in clear behind mode 0600.
 */
export async function createKeyFile(path: string, options: { passphrase?: string | undefined; rng?: Rng; kdf?: KdfParams } = {}): Promise<Uint8Array> {
  const s = await sodiumReady();
  const rng: Rng = options.rng ?? ((n) => s.randombytes_buf(n));
  const seed = rng(s.crypto_sign_SEEDBYTES);
  if (seed.length !== s.crypto_sign_SEEDBYTES) throw new ValidationError('invalid-length', `"rng" expected ${s.crypto_sign_SEEDBYTES} bytes, got length=${seed.length}`);
  const pair = s.crypto_sign_seed_keypair(seed);
  let document: KeyFileDocument;
  if (options.passphrase !== undefined && options.passphrase !== '') {
    const kdf = options.kdf ?? (await defaultKdfParams());
    const salt = rng(s.crypto_pwhash_SALTBYTES);
    const nonce = rng(s.crypto_secretbox_NONCEBYTES);
    const key = deriveKey(s, options.passphrase, salt, kdf);
    const ciphertext = s.crypto_secretbox_easy(seed, nonce, key);
    s.memzero(key);
    document = {
      version: 1, type: FILE_TYPE, publicKey: toHex(pair.publicKey),
      sealed: { kdf: 'argon2id13', opslimit: kdf.opslimit, memlimit: kdf.memlimit, salt: toHex(salt), cipher: 'xsalsa20poly1305', nonce: toHex(nonce), ciphertext: toHex(ciphertext) },
    };
  } else {
    document = { version: 1, type: FILE_TYPE, publicKey: toHex(pair.publicKey), seed: toHex(seed) };
  }
  s.memzero(seed);
  s.memzero(pair.privateKey);
  // 'wx' refuses to replace an existing identity; the mode is set at creation, never widened.
  const fd = openSync(path, 'wx', 0o600);
  try {
    writeSync(fd, `${JSON.stringify(document, null, 2)}\n`);
    fsyncSync(fd);
  } finally {
    closeSync(fd);
  }
  chmodSync(path, 0o600); // a umask cannot widen it, but be explicit
  return pair.publicKey;
}

function readDocument(path: string): KeyFileDocument {
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (cause) {
    throw new ValidationError('key-file-unavailable', `"identityKey" expected a readable key file at ${path}, got ${(cause as NodeJS.ErrnoException).code ?? 'an error'}`, { cause });
  }
  let document: unknown;
  try {
    document = JSON.parse(text);
  } catch (cause) {
    throw new ValidationError('invalid-key-file', `"identityKey" expected a JSON key file at ${path}, got unparsable content`, { cause });
  }
  const doc = document as Partial<KeyFileDocument> | null;
  if (doc === null || typeof doc !== 'object' || doc.version !== 1 || doc.type !== FILE_TYPE) {
    throw new ValidationError('invalid-key-file', `"identityKey" expected a ${FILE_TYPE} version 1 file at ${path}, got something else`);
  }
  if (typeof doc.publicKey !== 'string' || !HEX64.test(doc.publicKey)) {
    throw new ValidationError('invalid-key-file', `"identityKey.publicKey" expected 64 hex characters in ${path}`);
  }
  const hasSeed = typeof doc.seed === 'string';
  const sealed = doc.sealed;
  if (hasSeed === (sealed !== undefined)) {
    throw new ValidationError('invalid-key-file', `"identityKey" expected exactly one of "seed" or "sealed" in ${path}`);
  }
  if (hasSeed && !HEX64.test(doc.seed!)) throw new ValidationError('invalid-key-file', `"identityKey.seed" expected 64 hex characters in ${path}`);
  if (sealed !== undefined) {
    const ok = sealed !== null && typeof sealed === 'object' && sealed.kdf === 'argon2id13' && sealed.cipher === 'xsalsa20poly1305'
      && Number.isSafeInteger(sealed.opslimit) && Number.isSafeInteger(sealed.memlimit) && sealed.opslimit > 0 && sealed.memlimit > 0
      && /^[0-9a-f]{32}$/.test(sealed.salt) && /^[0-9a-f]{48}$/.test(sealed.nonce) && /^[0-9a-f]{96}$/.test(sealed.ciphertext);
    if (!ok) throw new ValidationError('invalid-key-file', `"identityKey.sealed" expected argon2id13/xsalsa20poly1305 parameters with 16-byte salt, 24-byte nonce and 48-byte ciphertext in ${path}`);
    if (sealed.opslimit < KDF_LIMITS.minOpslimit || sealed.memlimit < KDF_LIMITS.minMemlimit) {
      throw new ValidationError('key-file-weak-kdf', `"identityKey.sealed" expected Argon2id opslimit >= ${KDF_LIMITS.minOpslimit} and memlimit >= ${KDF_LIMITS.minMemlimit} bytes in ${path}, got opslimit ${sealed.opslimit}, memlimit ${sealed.memlimit} (re-seal it: venn init writes opslimit 3, memlimit 268435456)`);
    }
    if (sealed.opslimit > KDF_LIMITS.maxOpslimit || sealed.memlimit > KDF_LIMITS.maxMemlimit) {
      throw new ValidationError('invalid-key-file', `"identityKey.sealed" expected Argon2id opslimit <= ${KDF_LIMITS.maxOpslimit} and memlimit <= ${KDF_LIMITS.maxMemlimit} bytes in ${path}, got opslimit ${sealed.opslimit}, memlimit ${sealed.memlimit}`);
    }
  }
  return doc as KeyFileDocument;
}

/**
 * node.md §1.2: the Argon2id cost a reader accepts. Below the minimum a stolen file would yield to
 * a cheap passphrase search; above the maximum, opening it would be a memory or CPU exhaustion.
 * The minimum is libsodium's "interactive" cost; `venn init` writes "moderate" (3, 256 MiB).
 */
export const KDF_LIMITS = { minOpslimit: 2, minMemlimit: 64 * 1024 * 1024, maxOpslimit: 64, maxMemlimit: 4 * 1024 * 1024 * 1024 } as const;

/** The public key recorded in the key file (no passphrase needed). */
export function readPublicKey(path: string): Uint8Array {
  return fromHex(readDocument(path).publicKey);
}

export function isSealed(path: string): boolean {
  return readDocument(path).sealed !== undefined;
}

/**
 * Loads the identity. Refuses a key file readable by group or others (like ssh does), a sealed
 * file without a passphrase, a wrong passphrase, and a seed that does not match the public key.
 */
export async function loadKeyFile(path: string, options: { passphrase?: string | undefined } = {}): Promise<Identity> {
  const s = await sodiumReady();
  const document = readDocument(path);
  const mode = statSync(path).mode & 0o777;
  if ((mode & 0o077) !== 0) {
    throw new ValidationError('key-file-permissions', `"identityKey" ${path} expected mode 0600, got ${mode.toString(8).padStart(4, '0')} (run chmod 600)`);
  }
  let seed: Uint8Array;
  if (document.sealed !== undefined) {
    if (options.passphrase === undefined || options.passphrase === '') {
      throw new ValidationError('passphrase-required', `"identityKey" ${path} is passphrase-protected; expected the passphrase in ${PASSPHRASE_ENV}, got none`);
    }
    const sealed = document.sealed;
    const key = deriveKey(s, options.passphrase, fromHex(sealed.salt), sealed);
    try {
      seed = s.crypto_secretbox_open_easy(fromHex(sealed.ciphertext), fromHex(sealed.nonce), key);
    } catch (cause) {
      throw new CryptoError('wrong-passphrase', `"${PASSPHRASE_ENV}" expected the passphrase of ${path}, got one that does not open it`, { cause });
    } finally {
      s.memzero(key);
    }
  } else {
    seed = fromHex(document.seed!);
  }
  const pair = s.crypto_sign_seed_keypair(seed);
  s.memzero(seed);
  if (!s.memcmp(pair.publicKey, fromHex(document.publicKey))) {
    s.memzero(pair.privateKey);
    throw new CryptoError('key-mismatch', `"identityKey.publicKey" in ${path} expected to match the key derived from its seed, got a different key`);
  }
  return { publicKey: pair.publicKey, secretKey: pair.privateKey };
}
