/**
 * node.md §10.4: the epoch key store on real files: keys sealed under the identity, mode 0600,
 * checked against K on every read, erased for good; and junk or altered key files refused with
 * their codes.
 */
import { chmodSync, existsSync, mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeAll, describe, expect, it } from 'vitest';
import { ed25519KeyPairFromSeed, ready, scalarBaseMult, systemRng } from '@venn/crypto';
import { Writable } from 'node:stream';
import { EpochKeyStore } from '../src/internal/epoch-keys.js';
import { EpochManager } from '../src/internal/epoch-manager.js';
import { createLogger } from '../src/internal/logger.js';
import { DAY_MS, Store } from '../src/internal/store.js';

const epochId = new Uint8Array(32).fill(7);
const otherEpoch = new Uint8Array(32).fill(8);
let dirs: string[] = [];
let identity: Uint8Array;
let stranger: Uint8Array;

beforeAll(async () => {
  await ready();
  identity = ed25519KeyPairFromSeed(new Uint8Array(32).fill(1)).secretKey;
  stranger = ed25519KeyPairFromSeed(new Uint8Array(32).fill(2)).secretKey;
});

afterEach(() => {
  for (const dir of dirs) rmSync(dir, { recursive: true, force: true });
  dirs = [];
});

function keyDir(): string {
  const root = mkdtempSync(join(tmpdir(), 'venn-epoch-keys-'));
  dirs.push(root);
  return join(root, 'epoch-keys');
}

const fileOf = (dir: string, id: Uint8Array): string => join(dir, `${Buffer.from(id).toString('hex')}.key`);

describe('the epoch key store', () => {
  it('seals a new key (0700 directory, 0600 file, no plain scalar) and reads it back under the same identity', async () => {
    const dir = keyDir();
    const keys = await EpochKeyStore.open(dir, identity);
    const K = keys.create(epochId, systemRng);
    expect(statSync(dir).mode & 0o777).toBe(0o700);
    expect(statSync(fileOf(dir, epochId)).mode & 0o777).toBe(0o600);
    const k = keys.read(epochId, K);
    expect(Buffer.from(scalarBaseMult(k)).equals(Buffer.from(K))).toBe(true);
    const text = readFileSync(fileOf(dir, epochId));
    expect(text.includes(Buffer.from(k).toString('hex'))).toBe(false);
    expect(text.includes(Buffer.from(k))).toBe(false);
    // An epoch never gets a second key.
    expect(() => keys.create(epochId, systemRng)).toThrow();
    keys.close();
  });

  it('erases a key: the file is gone and the key can no longer be read', async () => {
    const dir = keyDir();
    const keys = await EpochKeyStore.open(dir, identity);
    const K = keys.create(epochId, systemRng);
    keys.erase(epochId);
    expect(existsSync(fileOf(dir, epochId))).toBe(false);
    expect(keys.epochIds()).toEqual([]);
    expect(() => keys.read(epochId, K)).toThrow(expect.objectContaining({ code: 'epoch-key-unavailable' }) as Error);
    keys.close();
  });

  it('refuses a key file another identity sealed, one for another epoch, one whose K differs from the store\'s, and an open directory', async () => {
    const dir = keyDir();
    const theirs = await EpochKeyStore.open(dir, stranger);
    const K = theirs.create(epochId, systemRng);
    theirs.close();
    const mine = await EpochKeyStore.open(dir, identity);
    expect(() => mine.read(epochId, K)).toThrow(expect.objectContaining({ code: 'epoch-key-unavailable', message: expect.stringContaining('does not open under this node\'s identity') as string }) as Error);
    mine.close();

    const dir2 = keyDir();
    const keys = await EpochKeyStore.open(dir2, identity);
    const K2 = keys.create(epochId, systemRng);
    // The file of epoch 7 copied under epoch 8's name.
    writeFileSync(fileOf(dir2, otherEpoch), readFileSync(fileOf(dir2, epochId)), { mode: 0o600 });
    expect(() => keys.read(otherEpoch)).toThrow(expect.objectContaining({ code: 'invalid-key-file' }) as Error);
    expect(() => keys.read(epochId, scalarBaseMult(new Uint8Array(32).fill(3)))).toThrow(expect.objectContaining({ code: 'epoch-key-unavailable', message: expect.stringContaining("other than the epoch's K") as string }) as Error);
    expect(Buffer.from(scalarBaseMult(keys.read(epochId))).equals(Buffer.from(K2))).toBe(true);
    chmodSync(fileOf(dir2, epochId), 0o644);
    expect(() => keys.read(epochId, K2)).toThrow(expect.objectContaining({ code: 'key-file-permissions' }) as Error);
    keys.close();
    chmodSync(dir2, 0o755);
    await expect(EpochKeyStore.open(dir2, identity)).rejects.toMatchObject({ code: 'key-store-permissions' });
  });

  it('refuses junk key files with invalid-key-file, naming the file', async () => {
    const dir = keyDir();
    const keys = await EpochKeyStore.open(dir, identity);
    const K = keys.create(epochId, systemRng);
    const good = JSON.parse(readFileSync(fileOf(dir, epochId), 'utf8')) as Record<string, unknown> & { sealed: Record<string, unknown> };
    const junk: unknown[] = [
      null, 42, 'text', [], {}, { ...good, version: 2 }, { ...good, type: 'venn-identity' }, { ...good, publicKey: 'zz' }, { ...good, sealed: null },
      { ...good, sealed: { ...good.sealed, cipher: 'aes' } }, { ...good, sealed: { ...good.sealed, nonce: '00' } }, { ...good, sealed: { ...good.sealed, ciphertext: 'ab'.repeat(47) } },
    ];
    for (const value of junk) {
      writeFileSync(fileOf(dir, epochId), JSON.stringify(value), { mode: 0o600 });
      expect(() => keys.read(epochId, K), JSON.stringify(value)).toThrow(expect.objectContaining({ code: 'invalid-key-file', message: expect.stringContaining(fileOf(dir, epochId)) as string }) as Error);
    }
    // Not JSON is an invalid key file too (errors.md §6.7a); only a file that cannot be read is unavailable.
    for (const text of ['', '{', '\u0000\u0001', 'not json']) {
      writeFileSync(fileOf(dir, epochId), text, { mode: 0o600 });
      expect(() => keys.read(epochId, K)).toThrow(expect.objectContaining({ code: 'invalid-key-file', message: expect.stringContaining(fileOf(dir, epochId)) as string }) as Error);
    }
    // One flipped bit of the ciphertext: the seal does not open.
    const flipped = { ...good, sealed: { ...good.sealed, ciphertext: `${(good.sealed['ciphertext'] as string).slice(0, -2)}${((parseInt((good.sealed['ciphertext'] as string).slice(-2), 16) ^ 1) & 0xff).toString(16).padStart(2, '0')}` } };
    writeFileSync(fileOf(dir, epochId), JSON.stringify(flipped), { mode: 0o600 });
    expect(() => keys.read(epochId, K)).toThrow(expect.objectContaining({ code: 'epoch-key-unavailable' }) as Error);
    keys.close();
  });
});

describe('an epoch that ends while its round runs', () => {
  it('keeps the round but not its changes: applying them to the ended epoch neither throws nor revives its state', async () => {
    const root = mkdtempSync(join(tmpdir(), 'venn-epoch-end-'));
    dirs.push(root);
    const store = Store.open(join(root, 'venn.db'));
    const lines: string[] = [];
    const logger = createLogger({ level: 'info', node: 'lab-a', destination: new Writable({ write: (chunk, _encoding, done) => { lines.push(String(chunk)); done(); } }) });
    const unused = (): never => { throw new Error('not used here'); };
    const manager = await EpochManager.open({ store, logger, now: Date.now, rng: systemRng, config: unused, roster: unused }, join(root, 'epoch-keys'), identity);
    const ownKey = manager.keys.create(epochId, systemRng);
    const epoch = manager.epochs.createEpoch({ epochId, peerId: 'lab-b', role: 'initiator', slotStart: 0, generation: 0, endsAt: Date.now() + DAY_MS, ownKey });
    manager.end(epoch, 'epoch-over');
    const outcome = {
      listsMark: 'mark', additions: 1, removals: 0, peerAdditions: 1, peerRemovals: 0, endedMatches: 0,
      newMatches: 1, ownCount: 1, peerCount: 1, intersectionSize: 1, peerKey: ownKey, transcriptHash: new Uint8Array(64), peerCap: 10, peerEpochCap: 10, ownMore: false, peerMayHaveMore: false,
    };
    expect(() => manager.apply({ epoch, index: 0, roundId: epochId, kind: 'start' }, 1, outcome)).not.toThrow();
    expect(manager.epochs.epoch(epoch.row)).toMatchObject({ status: 'ended', nextIndex: 0, ownCount: 0 });
    expect(store.db.prepare('SELECT count(*) FROM epoch_own').pluck().get()).toBe(0);
    expect(lines.join('')).toContain('a round of an epoch that ended meanwhile completed');
    manager.close();
    store.close();
  });
});
