/**
 * node.md §10.4: a key epoch round's state changes are staged by its round worker and take effect
 * in the transaction that commits the round, which writes a few rows whatever the round carried.
 * Staged changes of an attempt that did not complete never count; settle() undoes them before
 * the epoch's next round reads its state.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { EpochStateReader, EpochStore, type EpochChanges, type EpochDelta } from '../src/internal/epoch-store.js';
import { migrations } from '../src/internal/migrations.js';
import { Store } from '../src/internal/store.js';
import { NONE, epochAttempt, openEpochStore, pack, removeEpochStores, sha } from './helpers/epoch-state.js';

afterAll(removeEpochStores);

const open = openEpochStore;
const attempt = epochAttempt;
const digests = (prefix: string, n: number): Uint8Array[] => Array.from({ length: n }, (_, i) => sha(`${prefix}${i}`));
const sorted = (values: Uint8Array[]): Uint8Array[] => [...values].sort((a, b) => Buffer.compare(a, b));

function deltaOf(changes: EpochChanges, counts: { ownCount: number; peerCount: number }): EpochDelta {
  return {
    additions: changes.addedDigests.length / 32, removals: changes.removedDigests.length / 32, peerAdditions: changes.peerAdded.length / 32,
    peerRemovals: changes.peerRemoved.length / 32, endedMatches: changes.endedMatches.length / 32, newMatches: 0, ...counts, intersectionSize: 0,
    peerKey: sha('K_Y'), transcriptHash: new Uint8Array(64).fill(7), peerCap: 10, peerEpochCap: 10, ownMore: false, peerMayHaveMore: false, listsMark: 'mark',
  };
}

/** Completes the attempt the way the daemon does: the round's end and the apply in one transaction. */
function complete(store: Store, epochs: EpochStore, epochRow: number, row: number, delta: EpochDelta): number {
  const totalChanges = store.db.prepare('SELECT total_changes()').pluck();
  let applyWrites = 0;
  store.finishRound(row, {
    status: 'completed', intersectionSize: 0, peerClaimedSize: 0, transcriptHash: new Uint8Array(64), stagedMatches: 0,
    within: () => {
      const before = totalChanges.get() as number;
      epochs.applyRound(epochRow, row, delta);
      applyWrites = (totalChanges.get() as number) - before;
    },
  });
  return applyWrites;
}

/** The epoch state as the next round reads it, once settled: own digests and peer values, hex. */
function state(store: Store, epochRow: number): { own: string[]; peer: string[] } {
  const own = (store.db.prepare('SELECT digest FROM epoch_own WHERE epoch_row = ? ORDER BY digest').pluck().all(epochRow) as Buffer[]).map((b) => b.toString('hex'));
  const peer = (store.db.prepare('SELECT value FROM epoch_peer WHERE epoch_row = ? ORDER BY value').pluck().all(epochRow) as Buffer[]).map((b) => b.toString('hex'));
  return { own, peer };
}
/** The same through the store's views (node.md §10.4), which count staged rows by their rounds without settling. */
function view(store: Store, epochRow: number): { own: string[]; peer: string[] } {
  const own = (store.db.prepare('SELECT digest FROM epoch_own_state WHERE epoch_row = ? ORDER BY digest').pluck().all(epochRow) as Buffer[]).map((b) => b.toString('hex'));
  const peer = (store.db.prepare('SELECT value FROM epoch_peer_state WHERE epoch_row = ? ORDER BY value').pluck().all(epochRow) as Buffer[]).map((b) => b.toString('hex'));
  return { own, peer };
}
const hexes = (values: Uint8Array[]): string[] => sorted(values).map((v) => Buffer.from(v).toString('hex'));

/** D_X as (value, digest) pairs, hex, from epoch_own and from epoch_own_values: the two must hold the same pairs (node.md §10.4). */
function ownPairs(store: Store, epochRow: number): string[] {
  return (store.db.prepare('SELECT hex(value) || hex(digest) FROM epoch_own WHERE epoch_row = ? ORDER BY 1').pluck().all(epochRow) as string[]);
}
function byValue(store: Store, epochRow: number): string[] {
  return (store.db.prepare('SELECT hex(value) || hex(digest) FROM epoch_own_values WHERE epoch_row = ? ORDER BY 1').pluck().all(epochRow) as string[]);
}

describe('epoch state: staged by the worker, applied by the round end', () => {
  it('applies a round of 20,000 additions each way with 2 row writes in the end transaction', () => {
    const { store, epochs, epochRow } = open();
    const row = attempt(store, epochs, epochRow, 0);
    const own = sorted(digests('own', 20_000));
    const peer = digests('peer', 20_000);
    const changes: EpochChanges = { addedDigests: pack(own), addedValues: pack(digests('D', 20_000)), removedDigests: NONE, peerAdded: pack(peer), peerRemoved: NONE, endedMatches: NONE };
    // In fixed slices of 4,096 rows without pauses (write-pacing.test.ts tests the pacing).
    expect(epochs.stageRound(epochRow, row, changes, { holdMs: 0, pauseMs: 0, firstRows: 4096, syncEveryMs: 1e9 })).toBe(true);
    // The epoch row and the round's row; nothing proportional to the round.
    expect(complete(store, epochs, epochRow, row, deltaOf(changes, { ownCount: 20_000, peerCount: 20_000 }))).toBe(2);
    expect(epochs.settle(epochRow)).toEqual({ discarded: 0, removed: 0 });
    expect(state(store, epochRow)).toEqual({ own: hexes(own), peer: hexes(peer) });
    expect(byValue(store, epochRow)).toEqual(ownPairs(store, epochRow));
    expect(ownPairs(store, epochRow)).toHaveLength(20_000);
    expect(epochs.epoch(epochRow)).toMatchObject({ nextIndex: 1, ownCount: 20_000, peerCount: 20_000 });
    store.close();
  });

  it('undoes the staged changes of an attempt that ended without completing (the node stopped before its end was committed)', () => {
    const { store, epochs, epochRow } = open();
    const first = attempt(store, epochs, epochRow, 0);
    const kept = sorted(digests('kept', 3));
    const peerKept = digests('peer kept', 3);
    const base: EpochChanges = { addedDigests: pack(kept), addedValues: pack(digests('Dk', 3)), removedDigests: NONE, peerAdded: pack(peerKept), peerRemoved: NONE, endedMatches: NONE };
    epochs.stageRound(epochRow, first, base);
    complete(store, epochs, epochRow, first, deltaOf(base, { ownCount: 3, peerCount: 3 }));
    epochs.settle(epochRow);

    // Round 1 stages additions and removals on both sides, then its attempt ends aborted.
    const second = attempt(store, epochs, epochRow, 1);
    const added = sorted(digests('lost', 4));
    const changes: EpochChanges = {
      addedDigests: pack(added), addedValues: pack(digests('Dl', 4)), removedDigests: pack([kept[0]!]),
      peerAdded: pack(digests('peer lost', 2)), peerRemoved: pack([peerKept[1]!]), endedMatches: pack([kept[0]!]),
    };
    expect(epochs.stageRound(epochRow, second, changes)).toBe(true);
    // Staged twice: refused, nothing written twice.
    expect(epochs.stageRound(epochRow, second, changes)).toBe(false);
    // While it runs, the next settle refuses: an epoch has one round at a time.
    expect(() => epochs.settle(epochRow)).toThrow(expect.objectContaining({ code: 'epoch-round-pending' }) as Error);
    // Staged, not applied: the state is still round 0's.
    expect(view(store, epochRow)).toEqual({ own: hexes(kept), peer: hexes(peerKept) });
    store.finishRound(second, { status: 'aborted', reason: 'daemon-restart', detail: 'the node restarted during the round' });

    expect(epochs.settle(epochRow)).toEqual({ discarded: 1, removed: 0 });
    expect(state(store, epochRow)).toEqual({ own: hexes(kept), peer: hexes(peerKept) });
    expect(byValue(store, epochRow)).toEqual(ownPairs(store, epochRow));
    expect(ownPairs(store, epochRow)).toHaveLength(3);
    expect(store.db.prepare('SELECT count(*) FROM epoch_own WHERE removed_in IS NOT NULL OR epoch_row <> ?').pluck().get(epochRow)).toBe(0);
    expect(store.db.prepare('SELECT count(*) FROM epoch_match_ends WHERE round_row = ?').pluck().get(second)).toBe(0);
    expect(epochs.epoch(epochRow)).toMatchObject({ nextIndex: 1, ownCount: 3, peerCount: 3 });
    // Settled twice: nothing more to do.
    expect(epochs.settle(epochRow)).toEqual({ discarded: 0, removed: 0 });

    // The next attempt of round 1 may stage the same additions again and complete.
    const third = attempt(store, epochs, epochRow, 1);
    expect(epochs.stageRound(epochRow, third, changes)).toBe(true);
    complete(store, epochs, epochRow, third, deltaOf(changes, { ownCount: 6, peerCount: 4 }));
    const applied = view(store, epochRow);
    expect(epochs.settle(epochRow)).toEqual({ discarded: 0, removed: 2 });
    // The removed own row is gone from the lookup by value too.
    expect(byValue(store, epochRow)).toEqual(ownPairs(store, epochRow));
    expect(ownPairs(store, epochRow)).toHaveLength(6);
    expect(view(store, epochRow)).toEqual(applied);
    expect(state(store, epochRow)).toEqual(applied);
    expect(state(store, epochRow)).toEqual({ own: hexes([...kept.slice(1), ...added]), peer: hexes([peerKept[0]!, peerKept[2]!, ...digests('peer lost', 2)]) });
    expect(store.db.prepare('SELECT count(*) FROM epoch_match_ends WHERE round_row = ?').pluck().get(third)).toBe(1);
    store.close();
  });

  it('has an applied round\'s removal gone from the state once settled', () => {
    const { store, epochs, epochRow } = open();
    const first = attempt(store, epochs, epochRow, 0);
    const own = sorted(digests('own', 2));
    const base: EpochChanges = { addedDigests: pack(own), addedValues: pack(digests('D', 2)), removedDigests: NONE, peerAdded: NONE, peerRemoved: NONE, endedMatches: NONE };
    epochs.stageRound(epochRow, first, base);
    complete(store, epochs, epochRow, first, deltaOf(base, { ownCount: 2, peerCount: 0 }));
    const second = attempt(store, epochs, epochRow, 1);
    const removal: EpochChanges = { ...base, addedDigests: NONE, addedValues: NONE, removedDigests: pack([own[0]!]) };
    epochs.stageRound(epochRow, second, removal);
    complete(store, epochs, epochRow, second, deltaOf(removal, { ownCount: 1, peerCount: 0 }));
    const reader = new EpochStateReader(store.db, epochRow);
    epochs.settle(epochRow);
    expect([...reader.ownHasDigests(pack(own))]).toEqual([0, 1]);
    // Looked up by value (the peer's removals and additions are values): the removed one is not found.
    const values = digests('D', 2);
    const owners = reader.ownWithValues(pack(values));
    expect([...owners.found]).toEqual([0, 1]);
    expect(Buffer.from(owners.digests.subarray(32, 64)).equals(Buffer.from(own[1]!))).toBe(true);
    store.close();
  });

  it('stages nothing for an epoch that ended while its round ran, and applies nothing unstaged', () => {
    const { store, epochs, epochRow } = open();
    const row = attempt(store, epochs, epochRow, 0);
    const changes: EpochChanges = { addedDigests: pack([sha('a')]), addedValues: pack([sha('d')]), removedDigests: NONE, peerAdded: NONE, peerRemoved: NONE, endedMatches: NONE };
    expect(() => epochs.applyRound(epochRow, row, deltaOf(changes, { ownCount: 1, peerCount: 0 }))).toThrow(expect.objectContaining({ code: 'epoch-round-not-staged' }) as Error);
    expect(() => epochs.stageRound(epochRow, row + 1, changes)).toThrow(expect.objectContaining({ code: 'epoch-round-not-found' }) as Error);
    epochs.endEpoch(epochRow, 'epoch-over');
    expect(epochs.stageRound(epochRow, row, changes)).toBe(false);
    expect(store.db.prepare('SELECT count(*) FROM epoch_own').pluck().get()).toBe(0);
    expect(store.db.prepare('SELECT staged FROM epoch_rounds WHERE round_row = ?').pluck().get(row)).toBe(0);
    store.close();
  });
});

describe('schema 11: the own values of a store from before it', () => {
  it('are copied into epoch_own_values, and the index that took random inserts is gone', () => {
    const dir = mkdtempSync(join(tmpdir(), 'venn-epoch-schema11-'));
    try {
      const path = join(dir, 'venn.db');
      const old = Store.open(path, { migrations: migrations.filter((m) => m.version < 11) });
      const oldEpochs = new EpochStore(old);
      const epoch = oldEpochs.createEpoch({ epochId: sha('epoch'), peerId: 'lab-b', role: 'initiator', slotStart: 0, generation: 0, endsAt: Date.now() + 86_400_000, ownKey: sha('K') });
      const own = sorted(digests('own', 5));
      const insert = old.db.prepare('INSERT INTO epoch_own (epoch_row, digest, value) VALUES (?, ?, ?)');
      own.forEach((digest, i) => insert.run(epoch.row, digest, sha(`D${i}`)));
      old.close();
      const store = Store.open(path);
      try {
        expect(byValue(store, epoch.row)).toEqual(ownPairs(store, epoch.row));
        expect(byValue(store, epoch.row)).toHaveLength(5);
        expect(store.db.prepare("SELECT count(*) FROM sqlite_schema WHERE name = 'epoch_own_value'").pluck().get()).toBe(0);
        const owners = new EpochStateReader(store.db, epoch.row).ownWithValues(pack([sha('D3'), sha('none')]));
        expect([...owners.found]).toEqual([1, 0]);
        expect(Buffer.from(owners.digests.subarray(0, 32)).equals(Buffer.from(own[3]!))).toBe(true);
      } finally {
        store.close();
      }
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});

describe('an ended epoch\'s state: deleted a slice at a time', () => {
  it('ends at once, keeps the rows until purged, and purges only ended epochs, at most `limit` rows per call', () => {
    const { store, epochs, epochRow } = open();
    const row = attempt(store, epochs, epochRow, 0);
    const changes: EpochChanges = { addedDigests: pack(sorted(digests('own', 7))), addedValues: pack(digests('D', 7)), removedDigests: NONE, peerAdded: pack(digests('peer', 5)), peerRemoved: NONE, endedMatches: NONE };
    epochs.stageRound(epochRow, row, changes);
    complete(store, epochs, epochRow, row, deltaOf(changes, { ownCount: 7, peerCount: 5 }));
    const other = epochs.createEpoch({ epochId: sha('other'), peerId: 'lab-c', role: 'responder', slotStart: 0, generation: 0, endsAt: Date.now() + 86_400_000, ownKey: sha('K2') });
    const otherRow = attempt(store, epochs, other.row, 0);
    const otherChanges: EpochChanges = { ...changes, addedDigests: pack(sorted(digests('other', 3))), addedValues: pack(digests('D2', 3)), peerAdded: NONE };
    epochs.stageRound(other.row, otherRow, otherChanges);
    complete(store, epochs, other.row, otherRow, deltaOf(otherChanges, { ownCount: 3, peerCount: 0 }));

    expect(epochs.purgeEnded(100)).toBe(0);
    const totalChanges = store.db.prepare('SELECT total_changes()').pluck();
    const before = totalChanges.get() as number;
    epochs.endEpoch(epochRow, 'epoch-over');
    expect((totalChanges.get() as number) - before).toBe(1);
    expect(epochs.epoch(epochRow).status).toBe('ended');
    const rows = (epoch: number): number => store.db.prepare(`SELECT (SELECT count(*) FROM epoch_own WHERE epoch_row = ?) + (SELECT count(*) FROM epoch_own_values WHERE epoch_row = ?)
      + (SELECT count(*) FROM epoch_peer WHERE epoch_row = ?)`).pluck().get(epoch, epoch, epoch) as number;
    expect(rows(epochRow)).toBe(19);
    // 7 own rows, their 7 rows by value, then 5 peer rows, 5 at a time: 5, 5 (2 own + 3 by value), 5 (4 by value + 1 peer), 4, then nothing.
    expect([epochs.purgeEnded(5), epochs.purgeEnded(5), epochs.purgeEnded(5), epochs.purgeEnded(5), epochs.purgeEnded(5)]).toEqual([5, 5, 5, 4, 0]);
    expect(rows(epochRow)).toBe(0);
    // The open epoch keeps its state.
    expect(rows(other.row)).toBe(6);
    expect(byValue(store, other.row)).toEqual(ownPairs(store, other.row));
    store.close();
  });
});
