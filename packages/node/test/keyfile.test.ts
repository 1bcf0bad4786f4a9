import { chmodSync, mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { CryptoError, ValidationError } from '@venn/errors';
import { createKeyFile, isSealed, loadKeyFile, readPublicKey, sodiumReady } from '../src/internal/keyfile.js';

const dir = mkdtempSync(join(tmpdir(), 'venn-key-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));
let counter = 0;
const freshPath = (): string => join(dir, `identity-${++counter}.key`);

// RFC 8032 §7.1 TEST 1: this seed has this public key.
const RFC8032_SEED = '9d61b19deffd5a60ba844af492ec2cc44449c5697b326919703bac031cae7f60';
const RFC8032_PUBLIC = 'd75a980182b10ab7d54bfed3c964073a0ee172f3daa62325af021a68f707511a';
const hex = (bytes: Uint8Array): string => Buffer.from(bytes).toString('hex');
/** Replays the seed first, then a counter pattern for salt and nonce. */
function replayRng(): (n: number) => Uint8Array {
  let calls = 0;
  return (n) => (calls++ === 0 ? new Uint8Array(Buffer.from(RFC8032_SEED, 'hex')) : new Uint8Array(n).map((_, i) => (i + calls) & 0xff));
}
/** The weakest Argon2id cost a sealed key file may carry (node.md §1.2): fast enough for tests. */
const fastKdf = { opslimit: 2, memlimit: 64 * 1024 * 1024 };

describe('identity key file', () => {
  it('derives the RFC 8032 public key from an injected seed and writes mode 0600', async () => {
    const path = freshPath();
    const publicKey = await createKeyFile(path, { rng: replayRng() });
    expect(hex(publicKey)).toBe(RFC8032_PUBLIC);
    expect(statSync(path).mode & 0o777).toBe(0o600);
    expect(hex(readPublicKey(path))).toBe(RFC8032_PUBLIC);
    const identity = await loadKeyFile(path);
    expect(hex(identity.publicKey)).toBe(RFC8032_PUBLIC);
    expect(hex(identity.secretKey)).toBe(RFC8032_SEED + RFC8032_PUBLIC);
    // The secret key signs the RFC 8032 TEST 1 message (empty) to the RFC's signature.
    const sodium = await sodiumReady();
    expect(hex(sodium.crypto_sign_detached(new Uint8Array(0), identity.secretKey))).toBe(
      'e5564300c360ac729086e2cc806e828a84877f1eb8e5d974d873e065224901555fb8821590a33bacc61e39701cf9b46bd25bf5f0595bbe24655141438e7a100b');
  });

  it('seals the seed with a passphrase so the file never holds it in clear', async () => {
    const path = freshPath();
    await createKeyFile(path, { rng: replayRng(), passphrase: 'correct horse', kdf: fastKdf });
    const text = readFileSync(path, 'utf8');
    expect(text).not.toContain(RFC8032_SEED);
    expect(isSealed(path)).toBe(true);
    expect(hex((await loadKeyFile(path, { passphrase: 'correct horse' })).publicKey)).toBe(RFC8032_PUBLIC);
    await expect(loadKeyFile(path)).rejects.toMatchObject({ code: 'passphrase-required' });
    await expect(loadKeyFile(path, { passphrase: 'wrong horse' })).rejects.toBeInstanceOf(CryptoError);
    await expect(loadKeyFile(path, { passphrase: 'wrong horse' })).rejects.toMatchObject({ code: 'wrong-passphrase' });
  });

  it('refuses a sealed key file whose Argon2id cost is below the minimum, naming both limits', async () => {
    const path = freshPath();
    await createKeyFile(path, { rng: replayRng(), passphrase: 'correct horse', kdf: fastKdf });
    const document = JSON.parse(readFileSync(path, 'utf8')) as { sealed: Record<string, unknown> };
    for (const weak of [{ memlimit: 8 * 1024 * 1024 }, { opslimit: 1 }]) {
      writeFileSync(path, JSON.stringify({ ...document, sealed: { ...document.sealed, ...weak } }), { mode: 0o600 });
      const refused = loadKeyFile(path, { passphrase: 'correct horse' });
      await expect(refused).rejects.toMatchObject({ code: 'key-file-weak-kdf' });
      await expect(refused).rejects.toThrow(/expected Argon2id opslimit >= 2 and memlimit >= 67108864 bytes/);
    }
  });

  it('fresh keys differ with the system rng', async () => {
    const a = await createKeyFile(freshPath());
    const b = await createKeyFile(freshPath());
    expect(hex(a)).not.toBe(hex(b));
  });

  it('refuses to overwrite an existing identity', async () => {
    const path = freshPath();
    await createKeyFile(path);
    await expect(createKeyFile(path)).rejects.toMatchObject({ code: 'EEXIST' });
  });

  it('refuses a key file readable by group or others', async () => {
    const path = freshPath();
    await createKeyFile(path);
    chmodSync(path, 0o644);
    await expect(loadKeyFile(path)).rejects.toMatchObject({ code: 'key-file-permissions', message: expect.stringContaining('expected mode 0600, got 0644') as string });
  });

  it('detects a tampered sealed seed and a public key that does not match the seed', async () => {
    const sealedPath = freshPath();
    await createKeyFile(sealedPath, { passphrase: 'p', kdf: fastKdf });
    const sealed = JSON.parse(readFileSync(sealedPath, 'utf8')) as { sealed: { ciphertext: string } };
    const flipped = sealed.sealed.ciphertext.replace(/^./, (c) => (c === '0' ? '1' : '0'));
    writeFileSync(sealedPath, JSON.stringify({ ...sealed, sealed: { ...sealed.sealed, ciphertext: flipped } }), { mode: 0o600 });
    await expect(loadKeyFile(sealedPath, { passphrase: 'p' })).rejects.toMatchObject({ code: 'wrong-passphrase' });

    const clearPath = freshPath();
    await createKeyFile(clearPath, { rng: replayRng() });
    const clear = JSON.parse(readFileSync(clearPath, 'utf8')) as Record<string, string>;
    writeFileSync(clearPath, JSON.stringify({ ...clear, publicKey: '00'.repeat(32) }), { mode: 0o600 });
    await expect(loadKeyFile(clearPath)).rejects.toMatchObject({ code: 'key-mismatch' });
  });

  const junk: Array<[string, string]> = [
    ['empty file', ''],
    ['not JSON', 'seed=abc'],
    ['null', 'null'],
    ['wrong type', JSON.stringify({ version: 1, type: 'ssh-ed25519', publicKey: RFC8032_PUBLIC, seed: RFC8032_SEED })],
    ['wrong version', JSON.stringify({ version: 2, type: 'venn-identity-ed25519', publicKey: RFC8032_PUBLIC, seed: RFC8032_SEED })],
    ['short public key', JSON.stringify({ version: 1, type: 'venn-identity-ed25519', publicKey: 'abcd', seed: RFC8032_SEED })],
    ['uppercase seed', JSON.stringify({ version: 1, type: 'venn-identity-ed25519', publicKey: RFC8032_PUBLIC, seed: RFC8032_SEED.toUpperCase() })],
    ['neither seed nor sealed', JSON.stringify({ version: 1, type: 'venn-identity-ed25519', publicKey: RFC8032_PUBLIC })],
    ['both seed and sealed', JSON.stringify({ version: 1, type: 'venn-identity-ed25519', publicKey: RFC8032_PUBLIC, seed: RFC8032_SEED, sealed: {} })],
    ['sealed with a short nonce', JSON.stringify({ version: 1, type: 'venn-identity-ed25519', publicKey: RFC8032_PUBLIC,
      sealed: { kdf: 'argon2id13', opslimit: 2, memlimit: 8388608, salt: '00'.repeat(16), cipher: 'xsalsa20poly1305', nonce: '00'.repeat(8), ciphertext: '00'.repeat(48) } })],
    ['sealed with a huge opslimit type', JSON.stringify({ version: 1, type: 'venn-identity-ed25519', publicKey: RFC8032_PUBLIC,
      sealed: { kdf: 'argon2id13', opslimit: 'many', memlimit: 8388608, salt: '00'.repeat(16), cipher: 'xsalsa20poly1305', nonce: '00'.repeat(24), ciphertext: '00'.repeat(48) } })],
  ];
  it.each(junk)('rejects a junk key file: %s', async (_name, content) => {
    const path = freshPath();
    writeFileSync(path, content, { mode: 0o600 });
    await expect(loadKeyFile(path, { passphrase: 'p' })).rejects.toBeInstanceOf(ValidationError);
    await expect(loadKeyFile(path, { passphrase: 'p' })).rejects.toMatchObject({ code: expect.stringMatching(/^invalid-key-file$/) as string });
  });

  it('names a missing key file', async () => {
    await expect(loadKeyFile(join(dir, 'nope.key'))).rejects.toMatchObject({ code: 'key-file-unavailable' });
  });
});
