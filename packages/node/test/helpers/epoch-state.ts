/**
 * A store with one open key epoch and attempts recorded as its rounds, for the tests of how an
 * epoch round's state is staged and applied (node.md §10.4). Directories are removed by
 * removeEpochStores(), which a file calls in afterAll.
 */
import { createHash } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { EpochStore } from '../../src/internal/epoch-store.js';
import { Store } from '../../src/internal/store.js';

export const sha = (text: string): Uint8Array => new Uint8Array(createHash('sha256').update(text).digest());

/** 32-byte values packed one after another, as the round engine hands them over. */
export function pack(values: readonly Uint8Array[]): Uint8Array {
  const out = new Uint8Array(values.length * 32);
  values.forEach((value, i) => out.set(value, i * 32));
  return out;
}

export const NONE = new Uint8Array(0);

const dirs: string[] = [];

export function removeEpochStores(): void {
  for (const dir of dirs.splice(0)) rmSync(dir, { recursive: true, force: true });
}

/** A fresh store file with an open epoch with lab-b, this node its initiator. */
export function openEpochStore(): { path: string; store: Store; epochs: EpochStore; epochRow: number } {
  const dir = mkdtempSync(join(tmpdir(), 'venn-epoch-state-'));
  dirs.push(dir);
  const path = join(dir, 'venn.db');
  const store = Store.open(path);
  const epochs = new EpochStore(store);
  const epoch = epochs.createEpoch({ epochId: sha('epoch'), peerId: 'lab-b', role: 'initiator', slotStart: 0, generation: 0, endsAt: Date.now() + 86_400_000, ownKey: sha('K') });
  return { path, store, epochs, epochRow: epoch.row };
}

/** A running attempt recorded as round `index` of the epoch; returns its row. */
export function epochAttempt(store: Store, epochs: EpochStore, epochRow: number, index: number): number {
  const round = store.createRound({ roundId: sha(`round ${index}`), peerId: 'lab-b', role: 'initiator', origin: 'scheduled', slot: null, mode: 'intersection' });
  store.markRunning(round.row, 0);
  epochs.recordEpochRound(round.row, epochRow, index, index === 0 ? 'start' : 'incremental');
  return round.row;
}
