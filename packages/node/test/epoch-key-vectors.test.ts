/**
 * node.md §10.4: the epoch key file of epoch-key-file-v1.json, written by a third party's tooling,
 * must be read by the node's key store, and every invalid case refused with its code
 * (errors.md §6.7a).
 */
import { chmodSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ready } from '@venn/crypto';
import { VennError } from '@venn/errors';
import { EpochKeyStore } from '../src/internal/epoch-keys.js';
import { builders } from '../scripts/generate-vectors.mjs';

interface EpochKeyFileVectors {
  source: string;
  identitySeed: string;
  identityPublicKey: string;
  epochId: string;
  k: string;
  publicKey: string;
  file: string;
  invalid: { description: string; file: string; mode: string; storeMode: string; expectedPublicKey?: string; error: string }[];
}

const vectors = JSON.parse(readFileSync(new URL('../../../protocol-spec/vectors/epoch-key-file-v1.json', import.meta.url), 'utf8')) as EpochKeyFileVectors;
const root = mkdtempSync(join(tmpdir(), 'venn-epoch-key-vectors-'));
beforeAll(async () => {
  await ready();
});
afterAll(() => rmSync(root, { recursive: true, force: true }));
const hex = (b: Uint8Array): string => Buffer.from(b).toString('hex');
const bytes = (h: string): Uint8Array => new Uint8Array(Buffer.from(h, 'hex'));
const secretKey = bytes(vectors.identitySeed + vectors.identityPublicKey);
let counter = 0;

/** A node directory's `epoch-keys` holding the file, with the modes the case gives. */
function keyStoreDir(file: string, mode = '0600', storeMode = '0700'): string {
  const dir = join(root, `node-${++counter}`, 'epoch-keys');
  mkdirSync(dir, { recursive: true, mode: 0o700 });
  const path = join(dir, `${vectors.epochId}.key`);
  writeFileSync(path, file, { mode: 0o600 });
  chmodSync(path, Number.parseInt(mode, 8));
  chmodSync(dir, Number.parseInt(storeMode, 8));
  return dir;
}

describe('epoch-key-file-v1.json', () => {
  it('has provenance and is exactly what the seeded generator produces', async () => {
    expect(vectors.source).toMatch(/generate-vectors\.mjs/);
    expect(vectors).toEqual(await builders['epoch-key-file-v1.json']());
  });

  it("the key store opens the file under the identity and returns k, checked against K", async () => {
    const store = await EpochKeyStore.open(keyStoreDir(vectors.file), secretKey);
    try {
      expect(hex(store.read(bytes(vectors.epochId), bytes(vectors.publicKey)))).toBe(vectors.k);
    } finally {
      store.close();
    }
  });

  it.each(vectors.invalid.map((c) => [c.description, c] as const))('refused: %s', async (_name, c) => {
    let thrown: unknown;
    try {
      const store = await EpochKeyStore.open(keyStoreDir(c.file, c.mode, c.storeMode), secretKey);
      try {
        store.read(bytes(vectors.epochId), c.expectedPublicKey === undefined ? undefined : bytes(c.expectedPublicKey));
      } finally {
        store.close();
      }
    } catch (error) {
      thrown = error;
    }
    expect(thrown).toBeInstanceOf(VennError);
    expect(thrown).toMatchObject({ code: c.error });
  });
});
