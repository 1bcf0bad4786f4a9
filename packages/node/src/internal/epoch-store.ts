/**
 * Key epochs in the node's store (node.md §10.4): one row per epoch with a peer, the state each
 * round of it leaves (own digests with their doubly blinded values, the peer's values), and the
 * rounds that ran in it. State changes only when a round completed (SPEC §13.2): the round worker
 * stages a completed round's changes, tagged with the round (stageRound), and the transaction that
 * commits the round marks them applied (applyRound, a few rows whatever their number). The worker
 * settles staged changes before it reads the state for the epoch's next round (settle), and reads
 * it through lookups, so a round costs work in proportion to the changes, not to the epoch's size.
 * No secret is ever stored here: the epoch keys live in the key store (epoch-keys.ts).
 */
import type Database from 'better-sqlite3';
import { InternalError } from '@venn/errors';
import type { RoundRole, Store } from './store.js';
import { WORKER_PACING, writePaced, type WritePacing } from './write-pacing.js';

export type EpochStatus = 'open' | 'ended';
export type EpochRoundKind = 'start' | 'fill' | 'incremental';

export interface EpochRecord {
  readonly row: number;
  readonly epochId: Uint8Array;
  readonly peerId: string;
  /** this node's role in every round of the epoch */
  readonly role: RoundRole;
  /** the epoch slot's start (Unix seconds) and the epoch's generation in it (node.md §10.2) */
  readonly slotStart: number;
  readonly generation: number;
  /** when the epoch slot ends (Unix ms): the epoch ends then at the latest */
  readonly endsAt: number;
  readonly status: EpochStatus;
  readonly endReason: string | null;
  /** K_X, K_Y (public); the peer's once round 0 completed */
  readonly ownKey: Uint8Array;
  readonly peerKey: Uint8Array | null;
  /** the index of the epoch's next round, and TH_final of its last completed one (zeros before) */
  readonly nextIndex: number;
  readonly previousHash: Uint8Array;
  readonly ownCount: number;
  readonly peerCount: number;
  readonly intersectionSize: number;
  /** the peer's `cap` and `ecap` in its last OFFER of the epoch, to size the next additions */
  readonly peerCap: number | null;
  readonly peerEpochCap: number | null;
  /** the lists' fingerprint when the last completed round started (listsMark) */
  readonly listsMark: string | null;
  /** either side had more changes than the last completed round carried */
  readonly ownMore: boolean;
  readonly peerMore: boolean;
  readonly createdAt: number;
  readonly endedAt: number | null;
}

interface EpochRowSql {
  id: number; epoch_id: Buffer; peer_id: string; role: RoundRole; slot_start: number; generation: number; ends_at: number; status: EpochStatus;
  end_reason: string | null; own_key: Buffer; peer_key: Buffer | null; next_index: number; prev_hash: Buffer; own_count: number; peer_count: number;
  intersection: number; peer_cap: number | null; peer_ecap: number | null; lists_mark: string | null; own_more: number; peer_more: number; created_at: number; ended_at: number | null;
}

function toEpoch(row: EpochRowSql): EpochRecord {
  return {
    row: row.id, epochId: new Uint8Array(row.epoch_id), peerId: row.peer_id, role: row.role, slotStart: row.slot_start, generation: row.generation,
    endsAt: row.ends_at, status: row.status, endReason: row.end_reason, ownKey: new Uint8Array(row.own_key),
    peerKey: row.peer_key === null ? null : new Uint8Array(row.peer_key), nextIndex: row.next_index, previousHash: new Uint8Array(row.prev_hash),
    ownCount: row.own_count, peerCount: row.peer_count, intersectionSize: row.intersection, peerCap: row.peer_cap, peerEpochCap: row.peer_ecap,
    listsMark: row.lists_mark, ownMore: row.own_more === 1, peerMore: row.peer_more === 1, createdAt: row.created_at, endedAt: row.ended_at,
  };
}

/** One round of an epoch as `venn rounds` shows it. */
export interface EpochRoundInfo {
  readonly roundRow: number;
  readonly epochRow: number;
  readonly epochId: Uint8Array;
  readonly index: number;
  readonly kind: EpochRoundKind;
  readonly additions: number | null;
  readonly removals: number | null;
  readonly peerAdditions: number | null;
  readonly peerRemovals: number | null;
  readonly newMatches: number | null;
  readonly endedMatches: number | null;
}

/** What a completed round changed (SPEC §13.7): the element changes the round worker stages (stageRound). */
export interface EpochChanges {
  /** own additions, ascending, with the values the peer returned (32 bytes each, aligned) */
  readonly addedDigests: Uint8Array;
  readonly addedValues: Uint8Array;
  readonly removedDigests: Uint8Array;
  readonly peerAdded: Uint8Array;
  readonly peerRemoved: Uint8Array;
  readonly endedMatches: Uint8Array;
}

/** What a completed round changed (SPEC §13.7), as the round worker reports it: counts and the epoch row's new values. */
export interface EpochDelta {
  readonly additions: number;
  readonly removals: number;
  readonly peerAdditions: number;
  readonly peerRemovals: number;
  readonly endedMatches: number;
  readonly newMatches: number;
  readonly ownCount: number;
  readonly peerCount: number;
  readonly intersectionSize: number;
  readonly peerKey: Uint8Array;
  readonly transcriptHash: Uint8Array;
  readonly peerCap: number;
  readonly peerEpochCap: number;
  /** this node has more changes than the round carried */
  readonly ownMore: boolean;
  /** the peer added as many as this node's cap allowed: it may have more */
  readonly peerMayHaveMore: boolean;
  /** the lists' fingerprint in the snapshot the round read its changes from (node.md §10.3) */
  readonly listsMark: string;
}

const ZERO_HASH = Buffer.alloc(64);

/**
 * Rows of ended epochs' state deleted per transaction (node.md §10.4): a few milliseconds of the
 * daemon's main thread each.
 */
export const EPOCH_SLICE = 2000;

/**
 * node.md §10.3: the lists' fingerprint, the counter of changes to the list items (raised by
 * every transaction that changes them, Store.listsChanged): one row, whatever the lists hold.
 */
function listsMarkOf(db: Database.Database): string {
  const counter = db.prepare('SELECT counter FROM lists_changes WHERE id = 1').pluck().get() as number | undefined;
  if (counter === undefined) throw new InternalError('lists-changes-missing', 'the store has no lists_changes row (schema version 10)');
  return `c${counter}`;
}

function bufferOf(values: Uint8Array): Buffer {
  return Buffer.from(values.buffer, values.byteOffset, values.length);
}

function each(values: Uint8Array, visit: (value: Buffer, at: number) => void): void {
  const buffer = bufferOf(values);
  for (let at = 0; at < values.length; at += 32) visit(buffer.subarray(at, at + 32), at);
}

/** The indexes of packed 32-byte values in the values' byte order. */
function valueOrder(values: Uint8Array): Uint32Array {
  const count = values.length / 32;
  const buffer = bufferOf(values);
  // The first four bytes order nearly every pair; the rest only ties.
  const prefix = new Uint32Array(count);
  for (let i = 0; i < count; i++) prefix[i] = buffer.readUInt32BE(i * 32);
  const order = Array.from({ length: count }, (_, i) => i);
  order.sort((a, b) => prefix[a]! - prefix[b]! || Buffer.compare(buffer.subarray(a * 32, a * 32 + 32), buffer.subarray(b * 32, b * 32 + 32)));
  return Uint32Array.from(order);
}

/** 32-byte values in byte order, as one packed array. */
function sortedValues(values: Uint8Array): Uint8Array {
  const list: Buffer[] = [];
  each(values, (value) => list.push(value));
  list.sort(Buffer.compare);
  const out = new Uint8Array(values.length);
  list.forEach((value, i) => out.set(value, i * 32));
  return out;
}

/** SQLite page cache (KiB) of a connection while it stages, settles or purges an epoch's state. */
const STATE_CACHE_KIB = 65536;

export class EpochStore {
  private readonly db: Database.Database;

  constructor(private readonly store: Store, private readonly now: () => number = Date.now) {
    this.db = store.db;
  }

  /** The peer's open epoch, if any (at most one is open per peer). */
  openEpoch(peerId: string): EpochRecord | undefined {
    const row = this.db.prepare("SELECT * FROM epochs WHERE peer_id = ? AND status = 'open' ORDER BY id DESC LIMIT 1").get(peerId) as EpochRowSql | undefined;
    return row === undefined ? undefined : toEpoch(row);
  }

  openEpochs(): EpochRecord[] {
    return (this.db.prepare("SELECT * FROM epochs WHERE status = 'open' ORDER BY id").all() as EpochRowSql[]).map(toEpoch);
  }

  epoch(row: number): EpochRecord {
    const found = this.db.prepare('SELECT * FROM epochs WHERE id = ?').get(row) as EpochRowSql | undefined;
    if (found === undefined) throw new InternalError('epoch-not-found', `epoch row ${row} expected to exist`);
    return toEpoch(found);
  }

  byEpochId(epochId: Uint8Array): EpochRecord | undefined {
    const row = this.db.prepare('SELECT * FROM epochs WHERE epoch_id = ?').get(Buffer.from(epochId)) as EpochRowSql | undefined;
    return row === undefined ? undefined : toEpoch(row);
  }

  /** The highest generation of the slot this node knows of with the peer, or −1. */
  lastGeneration(peerId: string, slotStart: number): number {
    const row = this.db.prepare('SELECT max(generation) AS g FROM epochs WHERE peer_id = ? AND slot_start = ?').get(peerId, slotStart) as { g: number | null };
    return row.g ?? -1;
  }

  /** Epochs started with the peer since `since` (ms), by either side (node.md §10.5). */
  startsSince(peerId: string, since: number): number {
    return (this.db.prepare('SELECT count(*) AS n FROM epochs WHERE peer_id = ? AND created_at > ?').get(peerId, since) as { n: number }).n;
  }

  /** Rounds of epochs with the peer whose attempt was recorded since `since` (ms). */
  roundsSince(peerId: string, since: number): number {
    return (this.db.prepare(`SELECT count(DISTINCT r.round_id) AS n FROM epoch_rounds e JOIN rounds r ON r.id = e.round_row
      WHERE r.peer_id = ? AND r.created_at > ?`).get(peerId, since) as { n: number }).n;
  }

  createEpoch(input: { epochId: Uint8Array; peerId: string; role: RoundRole; slotStart: number; generation: number; endsAt: number; ownKey: Uint8Array }): EpochRecord {
    const result = this.db.prepare(`INSERT INTO epochs (epoch_id, peer_id, role, slot_start, generation, ends_at, status, own_key, next_index, prev_hash, created_at)
      VALUES (?, ?, ?, ?, ?, ?, 'open', ?, 0, ?, ?)`).run(Buffer.from(input.epochId), input.peerId, input.role, input.slotStart, input.generation, input.endsAt, Buffer.from(input.ownKey), ZERO_HASH, this.now());
    return this.epoch(Number(result.lastInsertRowid));
  }

  /**
   * Ends an epoch: marked ended with its reason (the key file is erased by the key store). Its
   * state is no longer read and is deleted by purgeEnded, a slice at a time (node.md §10.4): in
   * one transaction here, up to 2^20 rows each of D_X and T_X would hold the daemon's main thread
   * for seconds, and a peer can make an epoch end (§10.5). Its rounds, matches and log leaves
   * stay: they are history.
   */
  endEpoch(row: number, reason: string): void {
    this.db.prepare("UPDATE epochs SET status = 'ended', end_reason = ?, ended_at = ? WHERE id = ? AND status = 'open'").run(reason.slice(0, 200), this.now(), row);
  }

  /**
   * Deletes up to `limit` rows of D_X (epoch_own, then epoch_own_values) and T_X of ended epochs,
   * in one transaction; returns how many it deleted (fewer than `limit`: none is left).
   */
  purgeEnded(limit: number): number {
    return this.bulk('normal', () => this.db.transaction(() => {
      const own = this.db.prepare(`DELETE FROM epoch_own WHERE (epoch_row, digest) IN (SELECT o.epoch_row, o.digest FROM epochs e JOIN epoch_own o ON o.epoch_row = e.id
        WHERE e.status = 'ended' LIMIT ?)`).run(limit).changes;
      if (own >= limit) return own;
      const values = this.db.prepare(`DELETE FROM epoch_own_values WHERE (epoch_row, value, digest) IN (SELECT v.epoch_row, v.value, v.digest FROM epochs e
        JOIN epoch_own_values v ON v.epoch_row = e.id WHERE e.status = 'ended' LIMIT ?)`).run(limit - own).changes;
      if (own + values >= limit) return own + values;
      return own + values + this.db.prepare(`DELETE FROM epoch_peer WHERE (epoch_row, value) IN (SELECT p.epoch_row, p.value FROM epochs e JOIN epoch_peer p ON p.epoch_row = e.id
        WHERE e.status = 'ended' LIMIT ?)`).run(limit - own - values).changes;
    }).immediate());
  }

  /** Marks an attempt as a round of an epoch (its row in `rounds` is created by Store.createRound). */
  recordEpochRound(roundRow: number, epochRow: number, index: number, kind: EpochRoundKind): void {
    this.db.prepare('INSERT INTO epoch_rounds (round_row, epoch_row, idx, kind) VALUES (?, ?, ?, ?)').run(roundRow, epochRow, index, kind);
  }

  epochRoundOf(roundRow: number): EpochRoundInfo | undefined {
    return this.roundInfo('WHERE e.round_row = ?', roundRow)[0];
  }

  /** Every epoch round of the given attempts, by round row. */
  epochRounds(roundRows?: readonly number[]): Map<number, EpochRoundInfo> {
    const rows = roundRows === undefined ? this.roundInfo('', undefined) : roundRows.length === 0 ? [] : this.roundInfo(`WHERE e.round_row IN (${roundRows.map(() => '?').join(',')})`, ...roundRows);
    return new Map(rows.map((info) => [info.roundRow, info]));
  }

  private roundInfo(where: string, ...params: unknown[]): EpochRoundInfo[] {
    const rows = this.db.prepare(`SELECT e.*, p.epoch_id AS epoch_id FROM epoch_rounds e JOIN epochs p ON p.id = e.epoch_row ${where} ORDER BY e.round_row`).all(...params.filter((p) => p !== undefined)) as Array<{
      round_row: number; epoch_row: number; epoch_id: Buffer; idx: number; kind: EpochRoundKind; additions: number | null; removals: number | null;
      peer_additions: number | null; peer_removals: number | null; new_matches: number | null; ended_matches: number | null;
    }>;
    return rows.map((row) => ({
      roundRow: row.round_row, epochRow: row.epoch_row, epochId: new Uint8Array(row.epoch_id), index: row.idx, kind: row.kind, additions: row.additions,
      removals: row.removals, peerAdditions: row.peer_additions, peerRemovals: row.peer_removals, newMatches: row.new_matches, endedMatches: row.ended_matches,
    }));
  }

  /**
   * node.md §10.4: the round worker, in its own connection, writes a completed round's changes
   * before it reports the outcome: additions tagged `added_in` (own ones also into
   * epoch_own_values, in value order), removals tagged `removed_in`, the
   * digests whose match ended. They count only once applyRound marks the round applied. They are
   * written in paced slices (write-pacing.ts), so another connection's write waits milliseconds,
   * not the seconds the whole of an epoch start takes; the first slice marks the round staged, so
   * that a crash or a refusal part-way leaves a staged round that is never applied and that
   * settle() undoes. Commits are fsynced in this thread (WritePacing.syncEveryMs). Returns false,
   * writing no further slice, when the epoch ended meanwhile (its rows are purged with it) or the
   * round was staged already (then nothing is written).
   */
  stageRound(epochRow: number, roundRow: number, changes: EpochChanges, pacing: WritePacing = WORKER_PACING): boolean {
    // In byte order: the inserts then walk the primary key's B-tree from left to right. Sorted
    // before any transaction begins, so the write lock is not held for the sort.
    const peerAdded = sortedValues(changes.peerAdded);
    const values = bufferOf(changes.addedValues);
    const addedDigests = bufferOf(changes.addedDigests);
    // epoch_own_values is keyed by value: its rows go in in value order (the additions come in digest order).
    const byValue = valueOrder(changes.addedValues);
    const insertOwn = this.db.prepare('INSERT INTO epoch_own (epoch_row, digest, value, added_in) VALUES (?, ?, ?, ?)');
    const insertOwnValue = this.db.prepare('INSERT INTO epoch_own_values (epoch_row, value, digest) VALUES (?, ?, ?)');
    const removeOwn = this.db.prepare('UPDATE epoch_own SET removed_in = ? WHERE epoch_row = ? AND digest = ? AND removed_in IS NULL');
    const insertPeer = this.db.prepare('INSERT INTO epoch_peer (epoch_row, value, added_in) VALUES (?, ?, ?)');
    const removePeer = this.db.prepare('UPDATE epoch_peer SET removed_in = ? WHERE epoch_row = ? AND value = ? AND removed_in IS NULL');
    const endMatch = this.db.prepare('INSERT OR IGNORE INTO epoch_match_ends (round_row, digest) VALUES (?, ?)');
    const epochStatus = this.db.prepare('SELECT status FROM epochs WHERE id = ?').pluck();
    // The batch, in this order: each part's 32-byte values and how one is written.
    const parts: Array<{ readonly values: Buffer; readonly write: (value: Buffer, at: number) => void }> = [
      { values: bufferOf(changes.removedDigests), write: (digest) => removeOwn.run(roundRow, epochRow, digest) },
      { values: addedDigests, write: (digest, at) => insertOwn.run(epochRow, digest, values.subarray(at, at + 32), roundRow) },
      {
        values: addedDigests,
        write: (_digest, at) => {
          const i = byValue[at / 32]! * 32;
          insertOwnValue.run(epochRow, values.subarray(i, i + 32), addedDigests.subarray(i, i + 32));
        },
      },
      { values: bufferOf(changes.peerRemoved), write: (value) => removePeer.run(roundRow, epochRow, value) },
      { values: bufferOf(peerAdded), write: (value) => insertPeer.run(epochRow, value, roundRow) },
      { values: bufferOf(changes.endedMatches), write: (digest) => endMatch.run(roundRow, digest) },
    ];
    const total = parts.reduce((sum, part) => sum + part.values.length / 32, 0);
    let part = 0;
    let at = 0;
    return this.bulk('full', () => writePaced(this.db, total, pacing, (first, rows) => {
      if (epochStatus.get(epochRow) !== 'open') return null;
      if (first) {
        const round = this.db.prepare('SELECT staged, additions FROM epoch_rounds WHERE round_row = ? AND epoch_row = ?').get(roundRow, epochRow) as { staged: number; additions: number | null } | undefined;
        if (round === undefined) throw new InternalError('epoch-round-not-found', `round row ${roundRow} is not a round of epoch row ${epochRow}`);
        if (round.staged !== 0 || round.additions !== null) return null;
        this.db.prepare('UPDATE epoch_rounds SET staged = 1 WHERE round_row = ?').run(roundRow);
      }
      let wrote = 0;
      while (wrote < rows) {
        const current = parts[part]!;
        if (at >= current.values.length) {
          part += 1;
          at = 0;
          continue;
        }
        current.write(current.values.subarray(at, at + 32), at);
        at += 32;
        wrote += 1;
      }
      return wrote;
    }));
  }

  /**
   * SPEC §13.2: a completed round's changes take effect in the transaction that commits the round
   * (Store.finishRound's `within`): its epoch_rounds row gets the counts, which marks the changes
   * the worker staged applied, and the epoch row moves to the next index. A handful of rows,
   * whatever the round carried.
   */
  applyRound(epochRow: number, roundRow: number, delta: EpochDelta): void {
    const epoch = this.epoch(epochRow);
    if (epoch.status !== 'open') throw new InternalError('epoch-not-open', `epoch row ${epochRow} is ${epoch.status}; a round of it cannot complete`);
    const staged = this.db.prepare('SELECT staged FROM epoch_rounds WHERE round_row = ? AND epoch_row = ? AND additions IS NULL').pluck().get(roundRow, epochRow) as number | undefined;
    if (staged !== 1) throw new InternalError('epoch-round-not-staged', `round row ${roundRow} of epoch row ${epochRow} has no staged changes to apply`);
    this.db.prepare(`UPDATE epochs SET next_index = next_index + 1, prev_hash = ?, own_count = ?, peer_count = ?, intersection = ?, peer_key = ?, peer_cap = ?, peer_ecap = ?,
      lists_mark = ?, own_more = ?, peer_more = ? WHERE id = ?`).run(Buffer.from(delta.transcriptHash), delta.ownCount, delta.peerCount, delta.intersectionSize, Buffer.from(delta.peerKey),
      delta.peerCap, delta.peerEpochCap, delta.listsMark, delta.ownMore ? 1 : 0, delta.peerMayHaveMore ? 1 : 0, epochRow);
    this.db.prepare(`UPDATE epoch_rounds SET additions = ?, removals = ?, peer_additions = ?, peer_removals = ?, new_matches = ?, ended_matches = ? WHERE round_row = ?`).run(
      delta.additions, delta.removals, delta.peerAdditions, delta.peerRemovals, delta.newMatches, delta.endedMatches, roundRow);
  }

  /**
   * node.md §10.4: run by the round worker before it reads the epoch's state for a round, in one
   * transaction. The changes of a staged round that was never applied (its attempt ended
   * otherwise, or the node stopped before the end was committed) are undone; the removals of
   * applied rounds are deleted. Afterwards every row of the epoch counts and none is tagged
   * removed. An epoch has one round at a time (its round ids name the index), so a staged round
   * that is still running here means the store is not what this node wrote: refused.
   */
  settle(epochRow: number): { discarded: number; removed: number } {
    return this.bulk('full', () => this.db.transaction(() => {
      const unapplied = this.db.prepare(`SELECT e.round_row AS row, r.status AS status FROM epoch_rounds e JOIN rounds r ON r.id = e.round_row
        WHERE e.epoch_row = ? AND e.staged = 1 AND e.additions IS NULL`).all(epochRow) as Array<{ row: number; status: string }>;
      for (const round of unapplied) {
        if (round.status === 'scheduled' || round.status === 'running') {
          throw new InternalError('epoch-round-pending', `round row ${round.row} of epoch row ${epochRow} staged changes and is still ${round.status}`);
        }
        this.db.prepare(`DELETE FROM epoch_own_values WHERE epoch_row = ? AND (value, digest) IN
          (SELECT value, digest FROM epoch_own WHERE epoch_row = ? AND added_in = ?)`).run(epochRow, epochRow, round.row);
        this.db.prepare('DELETE FROM epoch_own WHERE epoch_row = ? AND added_in = ?').run(epochRow, round.row);
        this.db.prepare('DELETE FROM epoch_peer WHERE epoch_row = ? AND added_in = ?').run(epochRow, round.row);
        this.db.prepare('UPDATE epoch_own SET removed_in = NULL WHERE epoch_row = ? AND removed_in = ?').run(epochRow, round.row);
        this.db.prepare('UPDATE epoch_peer SET removed_in = NULL WHERE epoch_row = ? AND removed_in = ?').run(epochRow, round.row);
        this.db.prepare('DELETE FROM epoch_match_ends WHERE round_row = ?').run(round.row);
        this.db.prepare('UPDATE epoch_rounds SET staged = 0 WHERE round_row = ?').run(round.row);
      }
      this.db.prepare(`DELETE FROM epoch_own_values WHERE epoch_row = ? AND (value, digest) IN
        (SELECT value, digest FROM epoch_own WHERE epoch_row = ? AND removed_in IS NOT NULL)`).run(epochRow, epochRow);
      const removed = this.db.prepare('DELETE FROM epoch_own WHERE epoch_row = ? AND removed_in IS NOT NULL').run(epochRow).changes
        + this.db.prepare('DELETE FROM epoch_peer WHERE epoch_row = ? AND removed_in IS NOT NULL').run(epochRow).changes;
      return { discarded: unapplied.length, removed };
    }).immediate());
  }

  /**
   * Runs `work` with this connection's automatic checkpoint off (the daemon's checkpoint thread
   * checkpoints) and a state-sized page cache, then restores both. `synchronous`:
   * - `'full'` for the round worker's transactions (settle; stageRound's paced slices choose
   *   FULL or NORMAL each, write-pacing.ts): the commit fsyncs the WAL in the worker's thread. Left
   *   unsynced, those pages (hundreds of MB at 2^20) would be synced by the next FULL commit of any
   *   connection, the daemon's main thread's end commit among them;
   * - `'normal'` (not fsynced; the WAL is synced by the next FULL commit or checkpoint) for the
   *   main thread's purge slices, rows whose loss in a power cut is harmless: a purge is resumed.
   */
  private bulk<T>(synchronous: 'full' | 'normal', work: () => T): T {
    const before = this.db.pragma('synchronous', { simple: true }) as number;
    const autocheckpoint = this.db.pragma('wal_autocheckpoint', { simple: true }) as number;
    const cache = this.db.pragma('cache_size', { simple: true }) as number;
    this.db.pragma(`synchronous = ${synchronous === 'full' ? 'FULL' : 'NORMAL'}`);
    this.db.pragma('wal_autocheckpoint = 0');
    // The state's B-trees: 2^20 random keys touch pages far beyond SQLite's default 2 MiB cache.
    this.db.pragma(`cache_size = ${-STATE_CACHE_KIB}`);
    try {
      return work();
    } finally {
      this.db.pragma(`synchronous = ${before}`);
      this.db.pragma(`wal_autocheckpoint = ${autocheckpoint}`);
      this.db.pragma(`cache_size = ${cache}`);
    }
  }

  /**
   * A fingerprint of the lists (node.md §10.3): it changes with every ingest (which sets seen_at),
   * removal, retention or drop, so an epoch runs a round only when something may have changed.
   */
  listsMark(): string {
    return listsMarkOf(this.db);
  }

  /** Digests whose match ended in each round (SPEC §13.7), for `venn matches`. */
  endedMatches(roundRows: readonly number[]): Map<number, Set<string>> {
    const out = new Map<number, Set<string>>();
    if (roundRows.length === 0) return out;
    const rows = this.db.prepare(`SELECT round_row, digest FROM epoch_match_ends WHERE round_row IN (${roundRows.map(() => '?').join(',')})`).all(...roundRows) as Array<{ round_row: number; digest: Buffer }>;
    for (const row of rows) {
      const set = out.get(row.round_row) ?? new Set<string>();
      set.add(row.digest.toString('hex'));
      out.set(row.round_row, set);
    }
    return out;
  }
}

/**
 * The round worker's view of an epoch's state (SPEC §13.2), over its own read-only connection:
 * this node's pending changes against its lists, and the batch lookups the round asks for.
 */
export class EpochStateReader {
  private readonly peerHasStatement: Database.Statement;
  private readonly ownByValueStatement: Database.Statement;
  private readonly ownHasStatement: Database.Statement;
  private readonly labelStatement: Database.Statement;

  constructor(private readonly db: Database.Database, private readonly epochRow: number) {
    this.peerHasStatement = db.prepare('SELECT 1 FROM epoch_peer WHERE epoch_row = ? AND value = ?').pluck();
    this.ownByValueStatement = db.prepare('SELECT digest FROM epoch_own_values WHERE epoch_row = ? AND value = ?').pluck();
    this.ownHasStatement = db.prepare('SELECT 1 FROM epoch_own WHERE epoch_row = ? AND digest = ?').pluck();
    this.labelStatement = db.prepare('SELECT category, first_seen, reason FROM list_items WHERE digest = ? ORDER BY list_id LIMIT 1');
  }

  /**
   * This node's changes since the epoch's last completed round (SPEC §13.3): digests its lists
   * hold that the epoch does not (at most `maxAdditions`, the first in byte order, and whether
   * more wait), and elements of the epoch its lists no longer hold (at most `maxRemovals`), with
   * their values.
   */
  changes(maxAdditions: number, maxRemovals: number): { additions: Uint8Array; more: boolean; removedDigests: Uint8Array; removedValues: Uint8Array; moreRemovals: boolean } {
    const additions = this.db.prepare(`SELECT DISTINCT i.digest FROM list_items i
      WHERE NOT EXISTS (SELECT 1 FROM epoch_own e WHERE e.epoch_row = ? AND e.digest = i.digest)
      ORDER BY i.digest LIMIT ?`).pluck().all(this.epochRow, maxAdditions + 1) as Buffer[];
    const removals = this.db.prepare(`SELECT e.digest, e.value FROM epoch_own e
      WHERE e.epoch_row = ? AND NOT EXISTS (SELECT 1 FROM list_items i WHERE i.digest = e.digest)
      ORDER BY e.digest LIMIT ?`).raw().all(this.epochRow, maxRemovals + 1) as Array<[Buffer, Buffer]>;
    const added = Math.min(additions.length, maxAdditions);
    const removed = Math.min(removals.length, maxRemovals);
    const packed = new Uint8Array(added * 32);
    for (let i = 0; i < added; i++) packed.set(additions[i]!, i * 32);
    const removedDigests = new Uint8Array(removed * 32);
    const removedValues = new Uint8Array(removed * 32);
    for (let i = 0; i < removed; i++) {
      removedDigests.set(removals[i]![0], i * 32);
      removedValues.set(removals[i]![1], i * 32);
    }
    return { additions: packed, more: additions.length > maxAdditions, removedDigests, removedValues, moreRemovals: removals.length > maxRemovals };
  }

  /** The lists' fingerprint (node.md §10.3), read in the same snapshot as changes() when called in its transaction. */
  listsMark(): string {
    return listsMarkOf(this.db);
  }

  peerHas(values: Uint8Array): Uint8Array {
    const flags = new Uint8Array(values.length / 32);
    const buffer = Buffer.from(values.buffer, values.byteOffset, values.length);
    for (let i = 0; i < flags.length; i++) flags[i] = this.peerHasStatement.get(this.epochRow, buffer.subarray(i * 32, i * 32 + 32)) === undefined ? 0 : 1;
    return flags;
  }

  ownWithValues(values: Uint8Array): { found: Uint8Array; digests: Uint8Array } {
    const found = new Uint8Array(values.length / 32);
    const digests = new Uint8Array(values.length);
    const buffer = Buffer.from(values.buffer, values.byteOffset, values.length);
    for (let i = 0; i < found.length; i++) {
      const digest = this.ownByValueStatement.get(this.epochRow, buffer.subarray(i * 32, i * 32 + 32)) as Buffer | undefined;
      if (digest === undefined) continue;
      found[i] = 1;
      digests.set(digest, i * 32);
    }
    return { found, digests };
  }

  ownHasDigests(digests: Uint8Array): Uint8Array {
    const flags = new Uint8Array(digests.length / 32);
    const buffer = Buffer.from(digests.buffer, digests.byteOffset, digests.length);
    for (let i = 0; i < flags.length; i++) flags[i] = this.ownHasStatement.get(this.epochRow, buffer.subarray(i * 32, i * 32 + 32)) === undefined ? 0 : 1;
    return flags;
  }

  /** The label of one own element: the first list's that labels it. */
  labelOf(digest: Uint8Array): { category?: string; firstSeen?: string; reason?: string } | undefined {
    const row = this.labelStatement.get(Buffer.from(digest.buffer, digest.byteOffset, digest.length)) as { category: string | null; first_seen: string | null; reason: string | null } | undefined;
    if (row === undefined || (row.category === null && row.first_seen === null && row.reason === null)) return undefined;
    return {
      ...(row.category === null ? {} : { category: row.category }),
      ...(row.first_seen === null ? {} : { firstSeen: row.first_seen }),
      ...(row.reason === null ? {} : { reason: row.reason }),
    };
  }
}
