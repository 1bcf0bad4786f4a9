/**
 * node.md §1.2: the identity key file of identity-key-file-v1.json, written by a third party's
 * tooling, must be read by loadKeyFile, and venn init's writer must produce it byte for byte.
 */
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { VennError } from '@venn/errors';
import { createKeyFile, loadKeyFile } from '../src/internal/keyfile.js';
// The generator derives the sealed form with noble's Argon2id, not the libsodium the node uses.
import { builders } from '../scripts/generate-vectors.mjs';

interface KeyFileVectors {
  source: string;
  seed: string;
  publicKey: string;
  clear: { file: string };
  sealed: { passphrase: string; passphraseUtf8: string; argon2id: { t: number; mKiB: number }; derivedKey: string; file: string };
  invalid: { description: string; file: string; passphrase?: string; mode: string; error: string }[];
}

const vectors = JSON.parse(readFileSync(new URL('../../../protocol-spec/vectors/identity-key-file-v1.json', import.meta.url), 'utf8')) as KeyFileVectors;
const dir = mkdtempSync(join(tmpdir(), 'venn-key-vectors-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));
let counter = 0;
const write = (text: string, mode = 0o600): string => {
  const path = join(dir, `vector-${++counter}.key`);
  writeFileSync(path, text, { mode });
  return path;
};
const hex = (b: Uint8Array): string => Buffer.from(b).toString('hex');
const bytes = (h: string): Uint8Array => new Uint8Array(Buffer.from(h, 'hex'));
const sealedDocument = JSON.parse(vectors.sealed.file) as { sealed: { salt: string; nonce: string; opslimit: number; memlimit: number } };

/** Replays the vector's seed, then its salt and nonce: the order in which createKeyFile draws them. */
function replay(...draws: Uint8Array[]): (n: number) => Uint8Array {
  return (n) => {
    const next = draws.shift();
    if (next === undefined || next.length !== n) throw new Error(`unexpected draw of ${n} bytes`);
    return next;
  };
}

describe('identity-key-file-v1.json', () => {
  it('has provenance and is exactly what the seeded generator produces', async () => {
    expect(vectors.source).toMatch(/generate-vectors\.mjs/);
    expect(vectors).toEqual(await builders['identity-key-file-v1.json']());
  });

  it('loadKeyFile reads the clear form', async () => {
    const identity = await loadKeyFile(write(vectors.clear.file));
    expect(hex(identity.publicKey)).toBe(vectors.publicKey);
    expect(hex(identity.secretKey)).toBe(vectors.seed + vectors.publicKey);
  });

  it('loadKeyFile reads the sealed form with the passphrase, encoded as UTF-8', async () => {
    expect(hex(new TextEncoder().encode(vectors.sealed.passphrase))).toBe(vectors.sealed.passphraseUtf8);
    const identity = await loadKeyFile(write(vectors.sealed.file), { passphrase: vectors.sealed.passphrase });
    expect(hex(identity.secretKey)).toBe(vectors.seed + vectors.publicKey);
  });

  it('reads any JSON spelling of the same document: other member order, no whitespace', async () => {
    const document = JSON.parse(vectors.clear.file) as Record<string, unknown>;
    const reordered = JSON.stringify(Object.fromEntries(Object.entries(document).reverse()));
    expect(hex((await loadKeyFile(write(reordered))).publicKey)).toBe(vectors.publicKey);
  });

  it('venn init writes the clear form byte for byte', async () => {
    const path = join(dir, 'written-clear.key');
    await createKeyFile(path, { rng: replay(bytes(vectors.seed)) });
    expect(readFileSync(path, 'utf8')).toBe(vectors.clear.file);
  });

  it('venn init writes the sealed form byte for byte from the same seed, salt, nonce and cost', async () => {
    const path = join(dir, 'written-sealed.key');
    const { salt, nonce, opslimit, memlimit } = sealedDocument.sealed;
    await createKeyFile(path, { passphrase: vectors.sealed.passphrase, kdf: { opslimit, memlimit }, rng: replay(bytes(vectors.seed), bytes(salt), bytes(nonce)) });
    expect(readFileSync(path, 'utf8')).toBe(vectors.sealed.file);
  });

  it.each(vectors.invalid.map((c) => [c.description, c] as const))('refuses: %s', async (_, c) => {
    const path = write(c.file, Number.parseInt(c.mode, 8));
    const error = await loadKeyFile(path, c.passphrase === undefined ? {} : { passphrase: c.passphrase }).then(() => undefined, (e: unknown) => e);
    expect(error).toBeInstanceOf(VennError);
    expect((error as VennError).code).toBe(c.error);
  });
});
