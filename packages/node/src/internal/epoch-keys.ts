/**
 * The key store of key epochs (node.md §10.4): one file per open epoch holding its secret scalar
 * k_X, sealed (XSalsa20-Poly1305) under a key derived from the node's identity seed, so an epoch
 * key is exactly as protected as the identity key file: behind the passphrase when that file is
 * sealed, behind mode 0600 otherwise. Never in the SQLite store, never logged; overwritten and
 * removed when the epoch ends.
 */
import { closeSync, fsyncSync, mkdirSync, openSync, readFileSync, readdirSync, statSync, unlinkSync, writeSync } from 'node:fs';
import { join } from 'node:path';
import { randomScalar, scalarBaseMult, wipe, type Rng } from '@venn/crypto';
import { CryptoError, InternalError, ValidationError } from '@venn/errors';
import { sodiumReady } from './keyfile.js';

const FILE_TYPE = 'venn-epoch-key-ristretto255';
/** BLAKE2b personal input of the sealing key's derivation (node.md §10.4). */
const SEAL_CONTEXT = new TextEncoder().encode('venn/epoch-key-store/v1');
const HEX = (length: number): RegExp => new RegExp(`^[0-9a-f]{${2 * length}}$`);

interface EpochKeyDocument {
  readonly version: 1;
  readonly type: typeof FILE_TYPE;
  readonly epochId: string;
  readonly publicKey: string;
  readonly sealed: { readonly cipher: 'xsalsa20poly1305'; readonly nonce: string; readonly ciphertext: string };
}

const toHex = (bytes: Uint8Array): string => Buffer.from(bytes).toString('hex');
const fromHex = (text: string): Uint8Array => new Uint8Array(Buffer.from(text, 'hex'));

export class EpochKeyStore {
  private sealKey: Uint8Array | undefined;

  private constructor(readonly dir: string, sealKey: Uint8Array, private readonly sodium: Awaited<ReturnType<typeof sodiumReady>>) {
    this.sealKey = sealKey;
  }

  /**
   * Opens (creating, mode 0700) the key store directory. `identitySecretKey` is the node's
   * Ed25519 secret key (seed || public key): the sealing key is BLAKE2b-256 keyed with the seed.
   */
  static async open(dir: string, identitySecretKey: Uint8Array): Promise<EpochKeyStore> {
    const sodium = await sodiumReady();
    mkdirSync(dir, { recursive: true, mode: 0o700 });
    const mode = statSync(dir).mode & 0o777;
    if ((mode & 0o077) !== 0) throw new ValidationError('key-store-permissions', `"epoch key store" ${dir} expected mode 0700, got ${mode.toString(8).padStart(4, '0')} (run chmod 700)`);
    const seed = identitySecretKey.subarray(0, 32);
    const sealKey = sodium.crypto_generichash(32, SEAL_CONTEXT, seed);
    return new EpochKeyStore(dir, sealKey, sodium);
  }

  private path(epochId: Uint8Array): string {
    return join(this.dir, `${toHex(epochId)}.key`);
  }

  private key(): Uint8Array {
    if (this.sealKey === undefined) throw new InternalError('key-store-closed', '"epoch key store" was closed');
    return this.sealKey;
  }

  /** Draws a new epoch key (SPEC §13.1), writes it sealed (mode 0600, fsynced) and returns K = k·G. */
  create(epochId: Uint8Array, rng: Rng): Uint8Array {
    const k = randomScalar(rng);
    try {
      const publicKey = scalarBaseMult(k);
      const nonce = rng(this.sodium.crypto_secretbox_NONCEBYTES);
      const ciphertext = this.sodium.crypto_secretbox_easy(k, nonce, this.key());
      const document: EpochKeyDocument = {
        version: 1, type: FILE_TYPE, epochId: toHex(epochId), publicKey: toHex(publicKey),
        sealed: { cipher: 'xsalsa20poly1305', nonce: toHex(nonce), ciphertext: toHex(ciphertext) },
      };
      // 'wx': an epoch never gets a second key.
      const fd = openSync(this.path(epochId), 'wx', 0o600);
      try {
        writeSync(fd, `${JSON.stringify(document)}\n`);
        fsyncSync(fd);
      } finally {
        closeSync(fd);
      }
      this.syncDir();
      return publicKey;
    } finally {
      wipe(k);
    }
  }

  /** Whether the epoch's key file exists. */
  has(epochId: Uint8Array): boolean {
    try {
      statSync(this.path(epochId));
      return true;
    } catch {
      return false;
    }
  }

  /**
   * The epoch key k_X, checked against the K recorded beside it (and, if given, the K the store
   * holds for the epoch). The caller wipes it after use.
   */
  read(epochId: Uint8Array, expectedPublicKey?: Uint8Array): Uint8Array {
    const path = this.path(epochId);
    let text: string;
    try {
      const mode = statSync(path).mode & 0o777;
      if ((mode & 0o077) !== 0) throw new ValidationError('key-file-permissions', `"epoch key" ${path} expected mode 0600, got ${mode.toString(8).padStart(4, '0')}`);
      text = readFileSync(path, 'utf8');
    } catch (cause) {
      if (cause instanceof ValidationError) throw cause;
      throw new ValidationError('epoch-key-unavailable', `"epoch key" expected a readable key file at ${path}, got ${(cause as NodeJS.ErrnoException).code ?? String(cause)}`, { cause });
    }
    // errors.md §6.7a: a file that is read but is not JSON is an invalid key file, not an unavailable one.
    let document: Partial<EpochKeyDocument>;
    try {
      document = JSON.parse(text) as Partial<EpochKeyDocument>;
    } catch (cause) {
      throw new ValidationError('invalid-key-file', `"epoch key" ${path} expected a JSON ${FILE_TYPE} file, got unparsable content`, { cause });
    }
    const sealed = typeof document === 'object' && document !== null && !Array.isArray(document) ? document.sealed : undefined;
    if (sealed === undefined || document.version !== 1 || document.type !== FILE_TYPE || document.epochId !== toHex(epochId) || typeof document.publicKey !== 'string' || !HEX(32).test(document.publicKey)
      || typeof sealed !== 'object' || sealed === null || sealed.cipher !== 'xsalsa20poly1305' || !HEX(24).test(sealed.nonce) || !HEX(48).test(sealed.ciphertext)) {
      throw new ValidationError('invalid-key-file', `"epoch key" ${path} expected a ${FILE_TYPE} version 1 file for epoch ${toHex(epochId)}`);
    }
    let k: Uint8Array;
    try {
      k = this.sodium.crypto_secretbox_open_easy(fromHex(sealed.ciphertext), fromHex(sealed.nonce), this.key());
    } catch (cause) {
      throw new CryptoError('epoch-key-unavailable', `"epoch key" ${path} does not open under this node's identity (another identity, or an altered file)`, { cause });
    }
    const publicKey = scalarBaseMult(k);
    const recorded = fromHex(document.publicKey);
    if (Buffer.compare(publicKey, recorded) !== 0 || (expectedPublicKey !== undefined && Buffer.compare(publicKey, expectedPublicKey) !== 0)) {
      wipe(k);
      throw new CryptoError('epoch-key-unavailable', `"epoch key" ${path} holds a key other than the epoch's K`);
    }
    return k;
  }

  /** node.md §10.4: erases an epoch's key: the file is overwritten with zeros, synced, then removed. */
  erase(epochId: Uint8Array): void {
    const path = this.path(epochId);
    let size: number;
    try {
      size = statSync(path).size;
    } catch {
      return;
    }
    const fd = openSync(path, 'r+');
    try {
      writeSync(fd, Buffer.alloc(size), 0, size, 0);
      fsyncSync(fd);
    } finally {
      closeSync(fd);
    }
    unlinkSync(path);
    this.syncDir();
  }

  /** Epoch ids (hex) with a key file: left by epochs that ended while the node was down are erased at start. */
  epochIds(): string[] {
    return readdirSync(this.dir).filter((name) => /^[0-9a-f]{64}\.key$/.test(name)).map((name) => name.slice(0, 64));
  }

  close(): void {
    if (this.sealKey !== undefined) wipe(this.sealKey);
    this.sealKey = undefined;
  }

  private syncDir(): void {
    const fd = openSync(this.dir, 'r');
    try {
      fsyncSync(fd);
    } finally {
      closeSync(fd);
    }
  }
}
