/**
 * The node's SQLite store (better-sqlite3): WAL journal with synchronous=FULL, so a transaction
 * that returned has reached the disk and survives kill -9 or power loss.
 */
import { accessSync, constants, existsSync } from 'node:fs';
import { dirname } from 'node:path';
import Database from 'better-sqlite3';
import { MerkleLog, type LogAppend, type LogStorage } from '@venn/audit';
import { EnvironmentError, InternalError, ValidationError } from '@venn/errors';
import { migrations, type Migration } from './migrations.js';
import type { PeerPolicy, RoundMode } from './config.js';
import { WORKER_PACING, writePaced, type WritePacing } from './write-pacing.js';

export type RoundStatus = 'scheduled' | 'running' | 'completed' | 'aborted' | 'disputed';
export type RoundRole = 'initiator' | 'responder';
export type RoundOrigin = 'scheduled' | 'ad-hoc';
export const FINAL_STATUSES: readonly RoundStatus[] = ['completed', 'aborted', 'disputed'];

export interface RoundRecord {
  readonly row: number;
  readonly roundId: Uint8Array;
  readonly attempt: number;
  readonly peerId: string;
  readonly role: RoundRole;
  readonly origin: RoundOrigin;
  /** Slot start in Unix seconds; null for ad-hoc rounds. */
  readonly slot: number | null;
  /** Null until a responder has read the OFFER. */
  readonly mode: RoundMode | null;
  readonly status: RoundStatus;
  readonly reason: string | null;
  readonly detail: string | null;
  readonly createdAt: number;
  readonly startedAt: number | null;
  readonly finishedAt: number | null;
  readonly localSetSize: number | null;
  readonly peerSetSize: number | null;
  readonly intersectionSize: number | null;
  readonly peerClaimedSize: number | null;
  /** TH_final of a round with both FINISH messages; otherwise the attempt hash (audit.md §3), or null before any frame. */
  readonly transcriptHash: Uint8Array | null;
  /** Evaluations reserved for the peer when the attempt was recorded (node.md §5.2). */
  readonly allowance: number;
  /** Points of EVALUATED chunks this node sent, charged before they left. */
  readonly evaluationsSent: number;
  /** Points of EVALUATED chunks the peer sent that this node's round processed. */
  readonly evaluationsReceived: number;
  /** When the last evaluation was charged (Unix ms); null if none was. */
  readonly chargedAt: number | null;
  /** The party that ended an aborted attempt, as this node saw it. */
  readonly endedBy: RoundRole | null;
  /** The peer took evaluations and left (node.md §5.3). */
  readonly abandoned: boolean;
  /** Own elements this node blinded in the attempt; null when its worker reported nothing (node.md §2). */
  readonly elementsBlinded: number | null;
  /** The peer's elements this node evaluated (computed, sent or not); null when its worker reported nothing. */
  readonly elementsEvaluated: number | null;
  /** CPU time (ms) of the worker thread that ran the attempt; null when not measured. */
  readonly workerCpuMs: number | null;
}

/** What this node grants one peer in evaluations and attempts (node.md §1.1, §5). */
export interface BudgetLimits {
  readonly maxPeerSetSize: number;
  readonly maxEvaluationsPerDay: number;
  readonly maxEvaluationsPerRound: number;
}

/** A peer's evaluation budget at one instant (node.md §5.2). */
export interface BudgetUsage {
  /** Evaluations served by finished attempts whose last charge is in the last 24 hours. */
  readonly served: number;
  /** Allowances of attempts still scheduled or running. */
  readonly reserved: number;
  /** served + reserved: what counts against maxEvaluationsPerDay. */
  readonly used: number;
}

export interface SuspensionRecord {
  readonly id: number;
  readonly peerId: string;
  readonly suspendedAt: number;
  readonly abandonments: number;
  readonly detail: string;
  readonly clearedAt: number | null;
  readonly clearedBy: string | null;
}

/** Refusals of one (peer, round id, code), decided between firstAt and lastAt (node.md §5.4). */
export interface RefusalRecord {
  readonly peerId: string;
  readonly roundId: Uint8Array;
  readonly code: string;
  readonly detail: string;
  readonly count: number;
  readonly firstAt: number;
  readonly lastAt: number;
}

/** One recorded frame of an attempt, with the evaluations it carries. */
export interface RecordedFrame {
  readonly message: Uint8Array;
  /** Points of an EVALUATED chunk; 0 for any other frame. */
  readonly evaluations: number;
}

export const DAY_MS = 86_400_000;

export interface ListItem {
  readonly digest: Uint8Array;
  readonly accountRef?: string | undefined;
  readonly category?: string | undefined;
  readonly firstSeen?: string | undefined;
  readonly reason?: string | undefined;
}

export interface ListSummary {
  readonly name: string;
  readonly kind: string;
  readonly items: number;
  readonly digests: number;
  /** identifiers.md §13: the rules string the list was ingested under; null when unknown (a list from before it was recorded). */
  readonly rules: string | null;
}

export interface MatchInput {
  readonly digest: Uint8Array;
  readonly peerLabels?: { readonly category?: string | undefined; readonly firstSeen?: string | undefined; readonly reason?: string | undefined } | undefined;
}

/** A round's matches as the round engine hands them over: digests packed 32 bytes each, the peer's labels by index. */
export interface PackedMatches {
  readonly digests: Uint8Array;
  readonly labels: ReadonlyMap<number, NonNullable<MatchInput['peerLabels']>>;
}

/** One local identifier (list item) matched in one round. */
export interface MatchRecord {
  readonly kind: string;
  readonly list: string;
  readonly accountRef: string | null;
  readonly digest: Uint8Array;
  readonly peerId: string;
  readonly roundId: Uint8Array;
  readonly attempt: number;
  readonly finishedAt: number;
  readonly peerLabels: { readonly category?: string; readonly firstSeen?: string; readonly reason?: string };
}

export interface PeerHead {
  readonly peerId: string;
  readonly treeSize: number;
  readonly root: Uint8Array;
  readonly timestamp: number;
  readonly signature: Uint8Array;
}

export interface TreeHeadRecord {
  readonly treeSize: number;
  readonly root: Uint8Array;
  readonly timestamp: number;
  readonly signature: Uint8Array;
}

export interface RoundOutcome {
  readonly status: 'completed' | 'aborted' | 'disputed';
  /** The mode the round ran in, when it was not known at creation (responder). */
  readonly mode?: RoundMode | undefined;
  readonly reason?: string | undefined;
  readonly detail?: string | undefined;
  readonly localSetSize?: number | undefined;
  readonly peerSetSize?: number | undefined;
  readonly intersectionSize?: number | undefined;
  readonly peerClaimedSize?: number | undefined;
  readonly transcriptHash?: Uint8Array | undefined;
  /** The party that ended an aborted attempt (node.md §5.3). */
  readonly endedBy?: RoundRole | undefined;
  /** Whether the attempt is an abandonment by the peer (node.md §5.3). */
  readonly abandoned?: boolean | undefined;
  readonly matches?: readonly MatchInput[] | undefined;
  /**
   * How many matches `stagePackedMatches` wrote for this attempt before its end (completed or
   * disputed): checked against the rows present, which become visible with the final status.
   */
  readonly stagedMatches?: number | undefined;
  readonly peerHead?: PeerHead | undefined;
  /** Encodes the audit-log leaf of the finished attempt; appended in the same transaction. */
  readonly logLeaf?: ((finished: RoundRecord) => Uint8Array) | undefined;
  /** Milliseconds per protocol phase, as timed by the round worker. */
  readonly phases?: Readonly<Record<string, number>> | undefined;
  /** What the attempt cost in its worker: elements blinded and evaluated, the thread's CPU time (ms). */
  readonly cost?: { readonly blinded: number; readonly evaluated: number; readonly cpuMs: number | null } | undefined;
  /** More writes committed with the attempt's final status, in the same transaction: a key epoch's state (node.md §10.4). */
  readonly within?: ((finished: RoundRecord) => void) | undefined;
}

interface SuspensionRowSql {
  id: number; peer_id: string; suspended_at: number; abandonments: number; detail: string; cleared_at: number | null; cleared_by: string | null;
}

function toSuspension(row: SuspensionRowSql): SuspensionRecord {
  return { id: row.id, peerId: row.peer_id, suspendedAt: row.suspended_at, abandonments: row.abandonments, detail: row.detail, clearedAt: row.cleared_at, clearedBy: row.cleared_by };
}

/** `day`: the UTC day the round id was counted on (or already counted on), to release it on. */
export type QuotaDecision = { readonly ok: true; readonly counted: boolean; readonly day: string } | { readonly ok: false; readonly reason: 'quota-exceeded'; readonly detail: string };

interface RoundRowSql {
  id: number; round_id: Buffer; attempt: number; peer_id: string; role: RoundRole; origin: RoundOrigin; slot: number | null;
  mode: RoundMode | null; status: RoundStatus; reason: string | null; detail: string | null; created_at: number; started_at: number | null;
  finished_at: number | null; local_set_size: number | null; peer_set_size: number | null; intersection_size: number | null;
  peer_claimed_size: number | null; transcript_hash: Buffer | null; allowance: number; evaluations_sent: number;
  evaluations_received: number; charged_at: number | null; ended_by: RoundRole | null; abandoned: number;
  elements_blinded: number | null; elements_evaluated: number | null; worker_cpu_ms: number | null;
}

function toRound(row: RoundRowSql): RoundRecord {
  return {
    row: row.id, roundId: new Uint8Array(row.round_id), attempt: row.attempt, peerId: row.peer_id, role: row.role, origin: row.origin,
    slot: row.slot, mode: row.mode, status: row.status, reason: row.reason, detail: row.detail, createdAt: row.created_at,
    startedAt: row.started_at, finishedAt: row.finished_at, localSetSize: row.local_set_size, peerSetSize: row.peer_set_size,
    intersectionSize: row.intersection_size, peerClaimedSize: row.peer_claimed_size,
    transcriptHash: row.transcript_hash === null ? null : new Uint8Array(row.transcript_hash),
    allowance: row.allowance, evaluationsSent: row.evaluations_sent, evaluationsReceived: row.evaluations_received,
    chargedAt: row.charged_at, endedBy: row.ended_by, abandoned: row.abandoned === 1,
    elementsBlinded: row.elements_blinded ?? null, elementsEvaluated: row.elements_evaluated ?? null, workerCpuMs: row.worker_cpu_ms ?? null,
  };
}

/** A CPU time as stored: finite and not negative, or null. */
function costMs(ms: number | null | undefined): number | null {
  return typeof ms === 'number' && Number.isFinite(ms) && ms >= 0 ? ms : null;
}

/** UTC calendar day of a millisecond timestamp, the unit of daily quotas. */
export function utcDay(ms: number): string {
  return new Date(ms).toISOString().slice(0, 10);
}

function bytes32(value: Uint8Array, field: string): Buffer {
  if (!(value instanceof Uint8Array) || value.length !== 32) {
    throw new ValidationError('invalid-length', `"${field}" expected Uint8Array of length 32, got ${value instanceof Uint8Array ? `length=${value.length}` : typeof value}`);
  }
  return Buffer.from(value.buffer, value.byteOffset, value.length);
}

/** SQLite result codes that mean the machine (permissions, disk) is in the way, not the data. */
const ENVIRONMENT_SQLITE = /^SQLITE_(READONLY|CANTOPEN|PERM|FULL|IOERR|AUTH)/;

function openFailure(path: string, cause: unknown, readonly: boolean): Error {
  if (cause instanceof Error && 'code' in cause && typeof cause.code === 'string') {
    if (ENVIRONMENT_SQLITE.test(cause.code) || cause.code === 'EACCES' || cause.code === 'EROFS') {
      const hint = cause.code === 'SQLITE_READONLY_DIRECTORY' || (readonly && cause.code.startsWith('SQLITE_CANTOPEN'))
        ? `; SQLite needs to create ${path}-shm beside it to read a WAL store: make ${dirname(path)} writable for this user, or read it while the daemon runs`
        : '';
      return new EnvironmentError('store-unavailable', `"store" expected a ${readonly ? 'readable' : 'writable'} SQLite file at ${path}, got ${cause.message} (${cause.code})${hint}`, { cause });
    }
  }
  if (cause instanceof ValidationError || cause instanceof InternalError || cause instanceof EnvironmentError) return cause;
  return new ValidationError('store-unavailable', `"store" expected a ${readonly ? 'readable' : 'writable'} SQLite file at ${path}, got ${(cause as Error).message}`, { cause });
}

/** Throws EnvironmentError naming the store file, WAL or shared-memory file this user cannot write. */
function checkWritable(path: string): void {
  const uid = process.getuid?.();
  const who = uid === undefined ? 'this user' : `this user (uid ${uid})`;
  const check = (file: string, what: string): void => {
    try {
      accessSync(file, constants.W_OK);
    } catch (cause) {
      const code = (cause as NodeJS.ErrnoException).code ?? 'an error';
      const message = `"store" expected ${what} ${file} to be writable by ${who}, got ${code}`;
      // Permissions and read-only mounts are the machine's; a path that does not exist is the config's.
      throw code === 'EACCES' || code === 'EPERM' || code === 'EROFS'
        ? new EnvironmentError('store-read-only', message, { cause })
        : new ValidationError('store-unavailable', message, { cause });
    }
  };
  if (!existsSync(path)) {
    check(dirname(path), 'the directory');
    return;
  }
  check(path, 'the store file');
  for (const [suffix, what] of [['-wal', 'the write-ahead log'], ['-shm', 'the shared-memory file']] as const) {
    // A -wal or -shm left read-only by an earlier process blocks every writer until it is fixed.
    if (existsSync(`${path}${suffix}`)) check(`${path}${suffix}`, `${what} (remove it while no venn process runs, or fix its owner and mode)`);
    else check(dirname(path), `the directory (for ${path}${suffix})`);
  }
}

export interface StoreOptions {
  readonly now?: () => number;
  readonly readonly?: boolean;
  /** For tests of the migration runner; production always uses the built-in list. */
  readonly migrations?: readonly Migration[];
}

export class Store {
  readonly path: string;
  readonly db: Database.Database;
  /** The RFC 9162 log of finished rounds, kept in this store. */
  readonly log: MerkleLog;
  private readonly now: () => number;

  private constructor(path: string, db: Database.Database, now: () => number) {
    this.path = path;
    this.db = db;
    this.now = now;
    this.log = new MerkleLog(this.logStorage());
  }

  /** Opens (creating if needed) the store at `path` and brings its schema up to date. */
  static open(path: string, options: StoreOptions = {}): Store {
    const readonly = options.readonly ?? false;
    // SQLite opens a file it cannot write read-only without a word, and fails at the first
    // write; name the file that stands in the way before anything is read.
    if (!readonly) checkWritable(path);
    let db: Database.Database;
    try {
      db = new Database(path, { readonly, fileMustExist: readonly });
    } catch (cause) {
      throw openFailure(path, cause, readonly);
    }
    try {
      db.pragma('busy_timeout = 10000');
      if (!readonly) {
        db.pragma('journal_mode = WAL');
        // FULL: the WAL is fsynced at every commit, so committed rows survive power loss too.
        db.pragma('synchronous = FULL');
      }
      db.pragma('foreign_keys = ON');
      const store = new Store(path, db, options.now ?? Date.now);
      if (!readonly) store.migrate(options.migrations ?? migrations);
      else store.checkVersion(options.migrations ?? migrations);
      return store;
    } catch (error) {
      db.close();
      throw openFailure(path, error, readonly);
    }
  }

  /**
   * Opens the store for a command that only reads it: read-only, so that it works on a store
   * this user cannot write. A store whose schema is behind this version is migrated first when
   * it can be written (a read-only one must be opened by a version that matches it).
   */
  static openForReading(path: string, options: Pick<StoreOptions, 'now'> = {}): Store {
    const store = Store.open(path, { ...options, readonly: true });
    if (store.schemaVersion() >= (migrations.at(-1)?.version ?? 0)) return store;
    store.close();
    try {
      Store.open(path, options).close();
    } catch (error) {
      if (error instanceof EnvironmentError) {
        throw new EnvironmentError('store-too-old', `"store" at ${path} has schema version ${store.schemaVersion()}, older than this Venn's ${migrations.at(-1)?.version ?? 0}, and cannot be migrated by this user: ${error.message}`, { cause: error });
      }
      throw error;
    }
    return Store.open(path, { ...options, readonly: true });
  }

  private checkVersion(list: readonly Migration[]): void {
    const latest = list.at(-1)?.version ?? 0;
    const current = this.schemaVersion();
    if (current > latest) {
      throw new ValidationError('store-too-new', `"store" expected schema version <= ${latest}, got ${current} (written by a newer Venn)`);
    }
  }

  private migrate(list: readonly Migration[]): void {
    this.db.exec(`CREATE TABLE IF NOT EXISTS schema_version (
      version INTEGER PRIMARY KEY, description TEXT NOT NULL, applied_at INTEGER NOT NULL) STRICT`);
    this.checkVersion(list);
    for (let i = 1; i < list.length; i++) {
      if (list[i]!.version !== list[i - 1]!.version + 1) throw new InternalError('bad-migrations', `migration versions expected consecutive, got ${list[i - 1]!.version} then ${list[i]!.version}`);
    }
    const apply = this.db.transaction((migration: Migration) => {
      this.db.exec(migration.sql);
      this.db.prepare('INSERT INTO schema_version (version, description, applied_at) VALUES (?, ?, ?)').run(migration.version, migration.description, this.now());
    });
    for (const migration of list) {
      // IMMEDIATE: two processes opening a fresh store at once must not both apply a migration.
      if (migration.version > this.schemaVersion()) apply.immediate(migration);
    }
  }

  schemaVersion(): number {
    const exists = this.db.prepare("SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = 'schema_version'").get();
    if (exists === undefined) return 0;
    const row = this.db.prepare('SELECT max(version) AS version FROM schema_version').get() as { version: number | null };
    return row.version ?? 0;
  }

  close(): void {
    if (this.db.open) this.db.close();
  }

  // ---- identifier lists -------------------------------------------------------------------

  /**
   * The list called `name`, created for `kind` if new; a list never changes kind. With `rules`
   * (identifiers.md §13), a new list records them and an existing one must have been built under
   * the same string: items canonicalized under other rules are never added to it (node.md §2.1).
   */
  ensureList(name: string, kind: string, rules?: string): { id: number; name: string; kind: string } {
    const existing = this.db.prepare('SELECT id, kind, identifier_rules FROM lists WHERE name = ?').get(name) as { id: number; kind: string; identifier_rules: string | null } | undefined;
    if (existing !== undefined) {
      if (existing.kind !== kind) throw new ValidationError('list-kind-mismatch', `"--list" ${JSON.stringify(name)} expected kind ${existing.kind} (the kind it was created with), got ${kind}`);
      if (rules !== undefined && existing.identifier_rules !== rules) {
        throw new ValidationError('identifier-rules-stale', `"--list" ${JSON.stringify(name)} was ingested under identifier rules ${existing.identifier_rules === null ? 'unknown (recorded before rules were)' : JSON.stringify(existing.identifier_rules)}, `
          + `not the rules in force ${JSON.stringify(rules)}; its items cannot be mixed with items canonicalized under other rules: "venn lists drop ${name}", then ingest its files again`);
      }
      return { id: existing.id, name, kind };
    }
    const now = this.now();
    const result = this.db.prepare('INSERT INTO lists (name, kind, created_at, updated_at, identifier_rules) VALUES (?, ?, ?, ?, ?)').run(name, kind, now, now, rules ?? null);
    return { id: Number(result.lastInsertRowid), name, kind };
  }

  /**
   * Inserts a batch of items in one transaction; an item already in the list counts as a
   * duplicate, and its `seen_at` moves to now (retention by ingest time counts from the last
   * ingest that held it).
   */
  addItems(listId: number, items: readonly ListItem[], ingestId: number | null = null): { inserted: number; duplicates: number } {
    const insert = this.db.prepare(`INSERT OR IGNORE INTO list_items (list_id, digest, account_ref, category, first_seen, reason, ingest_id, seen_at)
      VALUES (?, ?, ?, ?, ?, ?, ?, ?)`);
    const touch = this.db.prepare('UPDATE list_items SET seen_at = ? WHERE list_id = ? AND digest = ? AND account_ref = ?');
    // In digest order, the inserts walk each index once instead of hopping across it.
    const ordered = items.map((item) => ({ item, digest: bytes32(item.digest, 'digest') })).sort((x, y) => Buffer.compare(x.digest, y.digest));
    return this.db.transaction(() => {
      const now = this.now();
      let inserted = 0;
      for (const { item, digest } of ordered) {
        const result = insert.run(listId, digest, item.accountRef ?? '', item.category ?? null, item.firstSeen ?? null, item.reason ?? null, ingestId, now);
        if (result.changes > 0) inserted++;
        else touch.run(now, listId, digest, item.accountRef ?? '');
      }
      this.db.prepare('UPDATE lists SET updated_at = ? WHERE id = ?').run(now, listId);
      if (items.length > 0) this.listsChanged();
      return { inserted, duplicates: items.length - inserted };
    }).immediate();
  }

  /**
   * node.md §10.3: raises the counter of changes to the list items (`lists_changes`). Every
   * transaction that inserts, updates or deletes list items calls it, in that transaction.
   */
  listsChanged(): void {
    this.db.prepare('UPDATE lists_changes SET counter = counter + 1 WHERE id = 1').run();
  }

  beginIngest(listId: number, source: string, sha256: string | null = null): number {
    const result = this.db.prepare('INSERT INTO ingests (list_id, source, sha256, accepted, duplicates, rejected, rejects_path, ingested_at) VALUES (?, ?, ?, 0, 0, 0, NULL, ?)').run(listId, source, sha256, this.now());
    return Number(result.lastInsertRowid);
  }

  finishIngest(ingestId: number, counts: { rows?: number; accepted: number; duplicates: number; rejected: number; rejectsPath: string | null; sha256?: string | null }): void {
    this.db.prepare('UPDATE ingests SET rows = ?, accepted = ?, duplicates = ?, rejected = ?, rejects_path = ?, sha256 = coalesce(?, sha256), finished_at = ? WHERE id = ?')
      .run(counts.rows ?? counts.accepted + counts.duplicates + counts.rejected, counts.accepted, counts.duplicates, counts.rejected, counts.rejectsPath, counts.sha256 ?? null, this.now(), ingestId);
  }

  listSummaries(): ListSummary[] {
    return this.db.prepare(`SELECT l.name AS name, l.kind AS kind, count(i.digest) AS items, count(DISTINCT i.digest) AS digests, l.identifier_rules AS rules
      FROM lists l LEFT JOIN list_items i ON i.list_id = l.id GROUP BY l.id ORDER BY l.name`).all() as ListSummary[];
  }

  /**
   * identifiers.md §13, node.md §2.1: the lists not built under `rules` (the rules this node
   * advertises), with the rules they were built under (null: unknown). A round never runs over one.
   */
  staleLists(rules: string): Array<{ name: string; rules: string | null }> {
    return this.db.prepare('SELECT name, identifier_rules AS rules FROM lists WHERE identifier_rules IS NULL OR identifier_rules != ? ORDER BY name').all(rules) as Array<{ name: string; rules: string | null }>;
  }

  distinctDigestCount(): number {
    return (this.db.prepare('SELECT count(DISTINCT digest) AS n FROM list_items').get() as { n: number }).n;
  }

  /**
   * This node's round input: every distinct digest across all lists, packed 32 bytes each in
   * digest order, with the labels of one item per digest (the first list's, by list id).
   */
  localElements(rules?: string): { digests: Uint8Array; count: number; labels: Map<string, { category?: string; firstSeen?: string; reason?: string }> } {
    // One read transaction: the count and the rows come from the same snapshot while ingests run.
    return this.db.transaction(() => {
      // identifiers.md §13: with `rules`, the set a round sends under them holds no list built under others.
      const stale = rules === undefined ? [] : this.staleLists(rules);
      if (stale.length > 0) throw new ValidationError('identifier-rules-stale', `lists ${stale.map((l) => l.name).join(', ')} were not ingested under the identifier rules ${JSON.stringify(rules)} this round advertises`);
      return this.readLocalElements();
    }).deferred();
  }

  private readLocalElements(): { digests: Uint8Array; count: number; labels: Map<string, { category?: string; firstSeen?: string; reason?: string }> } {
    const count = this.distinctDigestCount();
    const digests = new Uint8Array(count * 32);
    const labels = new Map<string, { category?: string; firstSeen?: string; reason?: string }>();
    let i = 0;
    const rows = this.db.prepare('SELECT digest, category, first_seen, reason FROM list_items ORDER BY digest, list_id').raw().iterate() as IterableIterator<[Buffer, string | null, string | null, string | null]>;
    let previous: Buffer | undefined;
    for (const [digest, category, firstSeen, reason] of rows) {
      if (previous !== undefined && previous.equals(digest)) continue;
      previous = digest;
      digests.set(digest, i * 32);
      i++;
      if (category !== null || firstSeen !== null || reason !== null) {
        const entry: { category?: string; firstSeen?: string; reason?: string } = {};
        if (category !== null) entry.category = category;
        if (firstSeen !== null) entry.firstSeen = firstSeen;
        if (reason !== null) entry.reason = reason;
        labels.set(digest.toString('hex'), entry);
      }
    }
    if (i !== count) throw new InternalError('store-changed', `local elements expected ${count} distinct digests, read ${i}`);
    return { digests, count, labels };
  }

  // ---- rounds -----------------------------------------------------------------------------

  /**
   * Records a new attempt of `roundId` (attempt = previous attempts + 1) in state `scheduled` and,
   * in the same transaction, reserves its evaluation allowance (node.md §5.2): two attempts with
   * one peer cannot both spend the same budget.
   */
  createRound(input: { roundId: Uint8Array; peerId: string; role: RoundRole; origin: RoundOrigin; slot: number | null; mode: RoundMode | null; budget?: BudgetLimits }): RoundRecord {
    const roundId = bytes32(input.roundId, 'roundId');
    return this.db.transaction(() => {
      const now = this.now();
      const previous = this.db.prepare('SELECT max(attempt) AS attempt FROM rounds WHERE round_id = ?').get(roundId) as { attempt: number | null };
      const allowance = input.budget === undefined ? 0 : this.allowanceFor(input.peerId, input.roundId, input.budget, now);
      const result = this.db.prepare(`INSERT INTO rounds (round_id, attempt, peer_id, role, origin, slot, mode, status, created_at, allowance)
        VALUES (?, ?, ?, ?, ?, ?, ?, 'scheduled', ?, ?)`).run(roundId, (previous.attempt ?? 0) + 1, input.peerId, input.role, input.origin, input.slot, input.mode, now, allowance);
      return this.round(Number(result.lastInsertRowid));
    }).immediate();
  }

  // ---- evaluation budgets (node.md §5.2) ----------------------------------------------------

  /** What the peer's budget holds now: served in the last 24 hours plus reserved by open attempts. */
  budgetUsage(peerId: string, now = this.now()): BudgetUsage {
    const row = this.db.prepare(`SELECT
        coalesce(sum(CASE WHEN status IN ('scheduled', 'running') THEN 0 ELSE evaluations_sent END), 0) AS served,
        coalesce(sum(CASE WHEN status IN ('scheduled', 'running') THEN allowance ELSE 0 END), 0) AS reserved
      FROM rounds WHERE peer_id = ? AND (status IN ('scheduled', 'running') OR charged_at > ?)`).get(peerId, now - DAY_MS) as { served: number; reserved: number };
    return { served: row.served, reserved: row.reserved, used: row.served + row.reserved };
  }

  /** Evaluations spent on one round id over all its attempts (open ones at their allowance). */
  roundEvaluations(roundId: Uint8Array): number {
    const row = this.db.prepare(`SELECT coalesce(sum(CASE WHEN status IN ('scheduled', 'running') THEN allowance ELSE evaluations_sent END), 0) AS n
      FROM rounds WHERE round_id = ?`).get(bytes32(roundId, 'roundId')) as { n: number };
    return row.n;
  }

  /** The allowance a new attempt with the peer would get now (node.md §5.2). */
  allowanceFor(peerId: string, roundId: Uint8Array, limits: BudgetLimits, now = this.now()): number {
    const day = limits.maxEvaluationsPerDay - this.budgetUsage(peerId, now).used;
    const round = limits.maxEvaluationsPerRound - this.roundEvaluations(roundId);
    return Math.max(0, Math.min(limits.maxPeerSetSize, day, round));
  }

  /**
   * Attempts of `roundId` that opened a session with the peer, as either role, whatever their
   * outcome (node.md §5.1). A dial that never reached the peer is not one: it cost the peer nothing.
   */
  attemptCount(roundId: Uint8Array): number {
    return (this.db.prepare('SELECT count(*) AS n FROM rounds WHERE round_id = ? AND started_at IS NOT NULL').get(bytes32(roundId, 'roundId')) as { n: number }).n;
  }

  /**
   * Records frames this node is about to send and charges the evaluations they carry, in one
   * transaction: when it returns, the charge is on disk, and only then may the frames leave
   * (node.md §5.2). A charge beyond the attempt's allowance is refused by the database.
   */
  recordSent(row: number, frames: readonly RecordedFrame[]): void {
    if (frames.length === 0) return;
    const evaluations = frames.reduce((sum, frame) => sum + frame.evaluations, 0);
    this.db.transaction(() => {
      if (evaluations > 0) {
        try {
          const charged = this.db.prepare("UPDATE rounds SET evaluations_sent = evaluations_sent + ?, charged_at = ? WHERE id = ? AND status = 'running'").run(evaluations, this.now(), row);
          if (charged.changes !== 1) throw new InternalError('attempt-not-running', `evaluations can be charged only to a running attempt, row ${row}`);
        } catch (cause) {
          if (cause instanceof InternalError) throw cause;
          const current = this.round(row);
          throw new InternalError('budget-overrun', `sending ${evaluations} more evaluations would exceed the attempt's allowance (${current.evaluationsSent} of ${current.allowance} sent)`, { cause });
        }
      }
      this.insertTranscript(row, frames.map((frame) => ({ direction: 'sent' as const, message: frame.message })));
    }).immediate();
  }

  /** Records a frame of the peer that this node's round processed, and the evaluations it carries. */
  recordReceived(row: number, frame: RecordedFrame): void {
    this.db.transaction(() => {
      if (frame.evaluations > 0) this.db.prepare('UPDATE rounds SET evaluations_received = evaluations_received + ? WHERE id = ?').run(frame.evaluations, row);
      this.insertTranscript(row, [{ direction: 'received', message: frame.message }]);
    }).immediate();
  }

  // ---- abandonments and suspensions (node.md §5.3) -----------------------------------------

  /** Abandonments by the peer among attempts that ended in the 24 hours before `now`. */
  abandonments(peerId: string, now = this.now()): number {
    return (this.db.prepare('SELECT count(*) AS n FROM rounds WHERE peer_id = ? AND abandoned = 1 AND finished_at > ?').get(peerId, now - DAY_MS) as { n: number }).n;
  }

  /** The peer's suspension in force, if any. */
  openSuspension(peerId: string): SuspensionRecord | undefined {
    const row = this.db.prepare('SELECT * FROM peer_suspensions WHERE peer_id = ? AND cleared_at IS NULL ORDER BY id DESC LIMIT 1').get(peerId) as SuspensionRowSql | undefined;
    return row === undefined ? undefined : toSuspension(row);
  }

  /** Suspends the peer unless a suspension is already in force; returns the one in force. */
  suspend(peerId: string, abandonments: number, detail: string): SuspensionRecord {
    return this.db.transaction(() => {
      const open = this.openSuspension(peerId);
      if (open !== undefined) return open;
      const result = this.db.prepare('INSERT INTO peer_suspensions (peer_id, suspended_at, abandonments, detail) VALUES (?, ?, ?, ?)').run(peerId, this.now(), abandonments, detail.slice(0, 500));
      return toSuspension(this.db.prepare('SELECT * FROM peer_suspensions WHERE id = ?').get(Number(result.lastInsertRowid)) as SuspensionRowSql);
    }).immediate();
  }

  /** Clears the peer's suspension in force; returns it, or undefined if there was none. */
  clearSuspension(peerId: string, by: string): SuspensionRecord | undefined {
    return this.db.transaction(() => {
      const open = this.openSuspension(peerId);
      if (open === undefined) return undefined;
      this.db.prepare('UPDATE peer_suspensions SET cleared_at = ?, cleared_by = ? WHERE id = ?').run(this.now(), by.slice(0, 200), open.id);
      return toSuspension(this.db.prepare('SELECT * FROM peer_suspensions WHERE id = ?').get(open.id) as SuspensionRowSql);
    }).immediate();
  }

  suspensions(peerId?: string): SuspensionRecord[] {
    const rows = (peerId === undefined
      ? this.db.prepare('SELECT * FROM peer_suspensions ORDER BY id').all()
      : this.db.prepare('SELECT * FROM peer_suspensions WHERE peer_id = ? ORDER BY id').all(peerId)) as SuspensionRowSql[];
    return rows.map(toSuspension);
  }

  // ---- refusals (node.md §5.4) ---------------------------------------------------------------

  /**
   * Records refusals before any attempt (each possibly several of one key, merged) in one
   * transaction; a (peer, id, code) already stored adds its count. `wait` false:
   * SQLITE_BUSY at once when another connection holds the write lock, instead of waiting up to
   * the busy timeout (node.md §5.4: RefusalLog keeps them and tries again).
   */
  recordRefusals(entries: readonly RefusalRecord[], options: { wait: boolean }): void {
    const upsert = this.db.prepare(`INSERT INTO refusals (peer_id, round_id, code, detail, count, first_at, last_at) VALUES (?, ?, ?, ?, ?, ?, ?)
      ON CONFLICT (peer_id, round_id, code) DO UPDATE SET count = count + excluded.count, first_at = min(first_at, excluded.first_at),
        last_at = max(last_at, excluded.last_at), detail = CASE WHEN excluded.last_at >= last_at THEN excluded.detail ELSE detail END`);
    const write = this.db.transaction(() => {
      for (const entry of entries) {
        upsert.run(entry.peerId, Buffer.from(entry.roundId.subarray(0, 64)), entry.code, entry.detail.slice(0, 500), entry.count, entry.firstAt, entry.lastAt);
      }
    });
    if (options.wait) {
      write.immediate();
      return;
    }
    const timeout = this.db.pragma('busy_timeout', { simple: true }) as number;
    this.db.pragma('busy_timeout = 0');
    try {
      write.immediate();
    } finally {
      this.db.pragma(`busy_timeout = ${timeout}`);
    }
  }

  refusals(filter: { peerId?: string | undefined; limit?: number | undefined } = {}): RefusalRecord[] {
    const rows = (filter.peerId === undefined
      ? this.db.prepare('SELECT * FROM refusals ORDER BY last_at DESC LIMIT ?').all(filter.limit ?? 1000)
      : this.db.prepare('SELECT * FROM refusals WHERE peer_id = ? ORDER BY last_at DESC LIMIT ?').all(filter.peerId, filter.limit ?? 1000)) as Array<{
      peer_id: string; round_id: Buffer; code: string; detail: string; count: number; first_at: number; last_at: number;
    }>;
    return rows.map((row) => ({ peerId: row.peer_id, roundId: new Uint8Array(row.round_id), code: row.code, detail: row.detail, count: row.count, firstAt: row.first_at, lastAt: row.last_at }));
  }

  round(row: number): RoundRecord {
    const found = this.db.prepare('SELECT * FROM rounds WHERE id = ?').get(row) as RoundRowSql | undefined;
    if (found === undefined) throw new InternalError('round-not-found', `round row ${row} expected to exist`);
    return toRound(found);
  }

  markRunning(row: number, localSetSize: number | null): RoundRecord {
    this.db.prepare("UPDATE rounds SET status = 'running', started_at = ?, local_set_size = ? WHERE id = ?").run(this.now(), localSetSize, row);
    return this.round(row);
  }

  /**
   * Moves a round to its final state and, in the same transaction, stores its matches, the peer's
   * tree head and its audit-log leaf, so either all of it is committed or none.
   */
  finishRound(row: number, outcome: RoundOutcome): RoundRecord {
    return this.db.transaction(() => {
      const now = this.now();
      this.db.prepare(`UPDATE rounds SET status = ?, mode = coalesce(mode, ?), reason = ?, detail = ?, finished_at = ?,
        local_set_size = coalesce(?, local_set_size), peer_set_size = coalesce(?, peer_set_size),
        intersection_size = ?, peer_claimed_size = ?, transcript_hash = ?, ended_by = ?, abandoned = ?,
        elements_blinded = ?, elements_evaluated = ?, worker_cpu_ms = ? WHERE id = ?`).run(
        outcome.status, outcome.mode ?? null, outcome.reason ?? null, outcome.detail?.slice(0, 500) ?? null, now,
        outcome.localSetSize ?? null, outcome.peerSetSize ?? null,
        outcome.intersectionSize ?? null, outcome.peerClaimedSize ?? null,
        outcome.transcriptHash === undefined ? null : Buffer.from(outcome.transcriptHash), outcome.endedBy ?? null, outcome.abandoned === true ? 1 : 0,
        outcome.cost?.blinded ?? null, outcome.cost?.evaluated ?? null, costMs(outcome.cost?.cpuMs), row);
      if (outcome.status === 'aborted') {
        // Matches staged for an attempt that did not complete (a crash between staging and this
        // commit) never become visible.
        this.db.prepare('DELETE FROM matches WHERE round_row = ?').run(row);
      } else if (outcome.stagedMatches !== undefined) {
        // The count kept with the rows as they were staged (stagePackedMatches): O(1), where counting
        // the rows themselves reads every one of them on this thread.
        const present = this.db.prepare('SELECT staged_matches FROM rounds WHERE id = ?').pluck().get(row) as number;
        if (present !== outcome.stagedMatches) throw new InternalError('store-changed', `round ${row}: expected ${outcome.stagedMatches} staged matches, found ${present}`);
      }
      if (outcome.matches !== undefined && outcome.matches.length > 0) {
        this.insertMatches(row, outcome.matches);
      }
      if (outcome.peerHead !== undefined) this.recordPeerHead(outcome.peerHead, row);
      if (outcome.phases !== undefined) {
        const insert = this.db.prepare('INSERT INTO round_phases (round_row, phase, ms) VALUES (?, ?, ?)');
        for (const [phase, ms] of Object.entries(outcome.phases)) if (Number.isFinite(ms) && ms >= 0) insert.run(row, phase, ms);
      }
      const finished = this.round(row);
      outcome.within?.(finished);
      if (outcome.logLeaf !== undefined) {
        const { index } = this.log.append(outcome.logLeaf(finished));
        this.db.prepare('INSERT INTO log_rounds (idx, round_row) VALUES (?, ?)').run(index, row);
      }
      return finished;
    }).immediate();
  }

  /**
   * One slice of a running attempt's matches, written ahead of its end (stagePackedMatches), so
   * the commit of a round with many matches does not hold the daemon's thread (node.md §2).
   * Readers count matches of completed rounds only; an attempt that ends otherwise, or that a
   * restart finds running, has its staged rows deleted with its end.
   */
  private stageMatchSlice(row: number, matches: readonly MatchInput[]): void {
    const status = this.db.prepare('SELECT status FROM rounds WHERE id = ?').pluck().get(row) as string | undefined;
    if (status !== 'running') throw new InternalError('round-not-running', `round ${row}: matches are staged only while it runs, status is ${status ?? 'missing'}`);
    this.insertMatches(row, matches);
    this.db.prepare('UPDATE rounds SET staged_matches = staged_matches + ? WHERE id = ?').run(matches.length, row);
  }

  /**
   * Stages a round's matches in the packed form the round engine produces (32 bytes per digest,
   * the peer's labels by index), in paced slices (write-pacing.ts), so that no transaction holds
   * the write lock for long and another connection's write gets in between two slices (node.md
   * §2). The round engine hands them over in ascending digest order (the own set's, SPEC §13.7's
   * new matches), so each slice writes one contiguous run of the digest index, not pages all over
   * it (a short transaction per slice rewrites every page it touches). Returns how many were
   * written.
   */
  stagePackedMatches(row: number, matches: PackedMatches, pacing: WritePacing = WORKER_PACING): number {
    const count = matches.digests.length / 32;
    if (!Number.isInteger(count)) throw new ValidationError('invalid-length', `"matches.digests" expected a multiple of 32 bytes, got ${matches.digests.length}`);
    let at = 0;
    writePaced(this.db, count, pacing, (_first, rows) => {
      const slice: MatchInput[] = [];
      for (let i = at; i < at + rows; i++) {
        const peerLabels = matches.labels.get(i);
        slice.push({ digest: matches.digests.subarray(i * 32, i * 32 + 32), ...(peerLabels === undefined ? {} : { peerLabels }) });
      }
      this.stageMatchSlice(row, slice);
      at += rows;
      return rows;
    });
    return count;
  }

  private insertMatches(row: number, matches: readonly MatchInput[]): void {
    const insert = this.db.prepare('INSERT INTO matches (round_row, digest, peer_category, peer_first_seen, peer_reason) VALUES (?, ?, ?, ?, ?)');
    for (const match of matches) {
      insert.run(row, bytes32(match.digest, 'match.digest'), match.peerLabels?.category ?? null, match.peerLabels?.firstSeen ?? null, match.peerLabels?.reason ?? null);
    }
  }

  /** Attempts a previous process left scheduled or running (node.md §6), oldest first. */
  unfinishedRounds(): RoundRecord[] {
    return (this.db.prepare("SELECT * FROM rounds WHERE status IN ('scheduled', 'running') ORDER BY id").all() as RoundRowSql[]).map(toRound);
  }

  /** At start-up: every round a previous process left scheduled or running is aborted with `reason`. */
  abortUnfinished(reason: string, detail: string): RoundRecord[] {
    const rows = this.db.prepare("SELECT id FROM rounds WHERE status IN ('scheduled', 'running') ORDER BY id").pluck().all() as number[];
    return rows.map((row) => this.finishRound(row, { status: 'aborted', reason, detail }));
  }

  attempts(roundId: Uint8Array): RoundRecord[] {
    return (this.db.prepare('SELECT * FROM rounds WHERE round_id = ? ORDER BY attempt').all(bytes32(roundId, 'roundId')) as RoundRowSql[]).map(toRound);
  }

  /** True if some attempt of `roundId` completed (or was disputed): the id may never run again. */
  isFinalized(roundId: Uint8Array): boolean {
    return this.db.prepare("SELECT 1 FROM rounds WHERE round_id = ? AND status IN ('completed', 'disputed')").get(bytes32(roundId, 'roundId')) !== undefined;
  }

  /** True if an attempt of `roundId` is scheduled or running now. */
  isActive(roundId: Uint8Array): boolean {
    return this.db.prepare("SELECT 1 FROM rounds WHERE round_id = ? AND status IN ('scheduled', 'running')").get(bytes32(roundId, 'roundId')) !== undefined;
  }

  listRounds(filter: { peerId?: string | undefined; roundId?: Uint8Array | undefined; limit?: number | undefined } = {}): RoundRecord[] {
    const where: string[] = [];
    const params: unknown[] = [];
    if (filter.peerId !== undefined) { where.push('peer_id = ?'); params.push(filter.peerId); }
    if (filter.roundId !== undefined) { where.push('round_id = ?'); params.push(bytes32(filter.roundId, 'roundId')); }
    const sql = `SELECT * FROM rounds ${where.length > 0 ? `WHERE ${where.join(' AND ')}` : ''} ORDER BY id DESC LIMIT ?`;
    params.push(filter.limit ?? 1000);
    return (this.db.prepare(sql).all(...params) as RoundRowSql[]).map(toRound);
  }

  /** The round id whose hex form starts with `prefix` (at least 8 hex digits); typed error otherwise. */
  resolveRoundId(prefix: string): Uint8Array {
    if (!/^[0-9a-fA-F]{8,64}$/.test(prefix)) throw new ValidationError('invalid-round-id', `"round" expected 8 to 64 hex digits of a round id, got ${JSON.stringify(prefix.slice(0, 80))}`);
    const found = this.db.prepare("SELECT DISTINCT round_id FROM rounds WHERE hex(round_id) LIKE ? || '%' LIMIT 2").pluck().all(prefix.toUpperCase()) as Buffer[];
    if (found.length === 0) throw new ValidationError('unknown-round', `"round" expected the id of a round in this store, got ${prefix}`);
    if (found.length > 1) throw new ValidationError('ambiguous-round', `"round" expected a prefix matching one round, got ${prefix} which matches several`);
    return new Uint8Array(found[0]!);
  }

  /** The most recent attempt with each peer. */
  lastRoundByPeer(): Map<string, RoundRecord> {
    const rows = this.db.prepare('SELECT r.* FROM rounds r JOIN (SELECT peer_id, max(id) AS id FROM rounds GROUP BY peer_id) last ON last.id = r.id').all() as RoundRowSql[];
    return new Map(rows.map((row) => [row.peer_id, toRound(row)]));
  }

  // ---- matches ----------------------------------------------------------------------------

  /** One row per (local list item, round) matched; completed rounds only. */
  matches(filter: { peerId?: string | undefined; roundId?: Uint8Array | undefined } = {}): MatchRecord[] {
    const where = ["r.status = 'completed'"];
    const params: unknown[] = [];
    if (filter.peerId !== undefined) { where.push('r.peer_id = ?'); params.push(filter.peerId); }
    if (filter.roundId !== undefined) { where.push('r.round_id = ?'); params.push(bytes32(filter.roundId, 'roundId')); }
    // Items removed after they matched keep their local side in matched_items (migration 2).
    const columns = 'm.digest AS digest, r.peer_id AS peer_id, r.round_id AS round_id, r.attempt AS attempt, r.finished_at AS finished_at, m.peer_category AS peer_category, m.peer_first_seen AS peer_first_seen, m.peer_reason AS peer_reason, r.id AS round_row';
    const rows = this.db.prepare(`SELECT l.kind AS kind, l.name AS list, i.account_ref AS account_ref, ${columns}
      FROM matches m JOIN rounds r ON r.id = m.round_row JOIN list_items i ON i.digest = m.digest JOIN lists l ON l.id = i.list_id
      WHERE ${where.join(' AND ')}
      UNION
      SELECT a.kind AS kind, a.list AS list, a.account_ref AS account_ref, ${columns}
      FROM matches m JOIN rounds r ON r.id = m.round_row JOIN matched_items a ON a.digest = m.digest
      WHERE ${where.join(' AND ')}
      ORDER BY kind, account_ref, digest, round_row`).all(...params, ...params) as Array<{
      kind: string; list: string; account_ref: string; digest: Buffer; peer_id: string; round_id: Buffer; attempt: number; finished_at: number;
      peer_category: string | null; peer_first_seen: string | null; peer_reason: string | null;
    }>;
    return rows.map((row) => {
      const peerLabels: { category?: string; firstSeen?: string; reason?: string } = {};
      if (row.peer_category !== null) peerLabels.category = row.peer_category;
      if (row.peer_first_seen !== null) peerLabels.firstSeen = row.peer_first_seen;
      if (row.peer_reason !== null) peerLabels.reason = row.peer_reason;
      return {
        kind: row.kind, list: row.list, accountRef: row.account_ref === '' ? null : row.account_ref, digest: new Uint8Array(row.digest),
        peerId: row.peer_id, roundId: new Uint8Array(row.round_id), attempt: row.attempt, finishedAt: row.finished_at, peerLabels,
      };
    });
  }

  /** Milliseconds per protocol phase of one attempt (empty when the worker reported none). */
  roundPhases(row: number): Record<string, number> {
    const rows = this.db.prepare('SELECT phase, ms FROM round_phases WHERE round_row = ?').all(row) as Array<{ phase: string; ms: number }>;
    return Object.fromEntries(rows.map((entry) => [entry.phase, entry.ms]));
  }

  /**
   * For every matched digest: how many distinct local accounts of each list hold it (items
   * without an account reference count as one). Keyed by `list NUL hex digest`.
   */
  matchedDigestAccounts(): Map<string, number> {
    const rows = this.db.prepare(`SELECT l.name AS list, i.digest AS digest, count(DISTINCT i.account_ref) AS accounts
      FROM list_items i JOIN lists l ON l.id = i.list_id
      WHERE i.digest IN (SELECT m.digest FROM matches m JOIN rounds r ON r.id = m.round_row WHERE r.status = 'completed') GROUP BY i.list_id, i.digest`).all() as Array<{ list: string; digest: Buffer; accounts: number }>;
    return new Map(rows.map((row) => [`${row.list}\u0000${row.digest.toString('hex')}`, row.accounts]));
  }

  matchCount(row: number): number {
    return (this.db.prepare('SELECT count(*) AS n FROM matches WHERE round_row = ?').get(row) as { n: number }).n;
  }

  // ---- quotas -----------------------------------------------------------------------------

  /**
   * Counts `roundId` against the peer's daily quota unless it was counted on the same UTC day;
   * refuses when the day's allowance is used up. Check and increment are one transaction.
   */
  consumeQuota(roundId: Uint8Array, peerId: string, origin: RoundOrigin, policy: Pick<PeerPolicy, 'maxRoundsPerDay' | 'maxAdHocRoundsPerDay'>): QuotaDecision {
    const id = bytes32(roundId, 'roundId');
    return this.db.transaction((): QuotaDecision => {
      const day = utcDay(this.now());
      // A round id counts once per day it is accepted on (node.md §5.1): re-dialing yesterday's id is today's round.
      if (this.db.prepare('SELECT 1 FROM quota_rounds WHERE round_id = ? AND day = ?').get(id, day) !== undefined) return { ok: true, counted: false, day };
      const usage = (this.db.prepare('SELECT rounds, ad_hoc_rounds FROM quota_usage WHERE peer_id = ? AND day = ?').get(peerId, day) as { rounds: number; ad_hoc_rounds: number } | undefined) ?? { rounds: 0, ad_hoc_rounds: 0 };
      if (usage.rounds >= policy.maxRoundsPerDay) {
        return { ok: false, reason: 'quota-exceeded', detail: `"maxRoundsPerDay" for ${peerId} expected at most ${policy.maxRoundsPerDay} rounds on ${day}, got round ${usage.rounds + 1}` };
      }
      if (origin === 'ad-hoc' && usage.ad_hoc_rounds >= policy.maxAdHocRoundsPerDay) {
        return { ok: false, reason: 'quota-exceeded', detail: `"maxAdHocRoundsPerDay" for ${peerId} expected at most ${policy.maxAdHocRoundsPerDay} ad-hoc rounds on ${day}, got round ${usage.ad_hoc_rounds + 1}` };
      }
      this.db.prepare('INSERT INTO quota_rounds (round_id, peer_id, day) VALUES (?, ?, ?)').run(id, peerId, day);
      this.db.prepare(`INSERT INTO quota_usage (peer_id, day, rounds, ad_hoc_rounds) VALUES (?, ?, 1, ?)
        ON CONFLICT (peer_id, day) DO UPDATE SET rounds = rounds + 1, ad_hoc_rounds = ad_hoc_rounds + excluded.ad_hoc_rounds`).run(peerId, day, origin === 'ad-hoc' ? 1 : 0);
      return { ok: true, counted: true, day };
    }).immediate();
  }

  /**
   * Takes back a count `consumeQuota` made on `day` for an initiator's dial that opened no
   * session (node.md §5.1 step 10): the round did not happen with the peer, so it is not one of
   * the day's rounds. Does nothing if the round id is not counted on that day.
   */
  releaseQuota(roundId: Uint8Array, peerId: string, origin: RoundOrigin, day: string): void {
    const id = bytes32(roundId, 'roundId');
    this.db.transaction(() => {
      if (this.db.prepare('DELETE FROM quota_rounds WHERE round_id = ? AND peer_id = ? AND day = ?').run(id, peerId, day).changes === 0) return;
      this.db.prepare(`UPDATE quota_usage SET rounds = max(rounds - 1, 0), ad_hoc_rounds = max(ad_hoc_rounds - ?, 0)
        WHERE peer_id = ? AND day = ?`).run(origin === 'ad-hoc' ? 1 : 0, peerId, day);
    }).immediate();
  }

  quotaUsage(peerId: string, day: string): { rounds: number; adHocRounds: number } {
    const usage = this.db.prepare('SELECT rounds, ad_hoc_rounds FROM quota_usage WHERE peer_id = ? AND day = ?').get(peerId, day) as { rounds: number; ad_hoc_rounds: number } | undefined;
    return { rounds: usage?.rounds ?? 0, adHocRounds: usage?.ad_hoc_rounds ?? 0 };
  }

  // ---- transcripts ------------------------------------------------------------------------

  appendTranscript(row: number, messages: ReadonlyArray<{ direction: 'sent' | 'received'; message: Uint8Array }>): void {
    if (messages.length === 0) return;
    this.db.transaction(() => this.insertTranscript(row, messages)).immediate();
  }

  private insertTranscript(row: number, messages: ReadonlyArray<{ direction: 'sent' | 'received'; message: Uint8Array }>): void {
    const next = (this.db.prepare('SELECT coalesce(max(seq), -1) + 1 AS seq FROM transcript_messages WHERE round_row = ?').get(row) as { seq: number }).seq;
    const insert = this.db.prepare('INSERT INTO transcript_messages (round_row, seq, direction, message) VALUES (?, ?, ?, ?)');
    messages.forEach((entry, i) => insert.run(row, next + i, entry.direction, Buffer.from(entry.message.buffer, entry.message.byteOffset, entry.message.length)));
  }

  transcript(row: number): Array<{ seq: number; direction: 'sent' | 'received'; message: Uint8Array }> {
    return (this.db.prepare('SELECT seq, direction, message FROM transcript_messages WHERE round_row = ? ORDER BY seq').all(row) as Array<{ seq: number; direction: 'sent' | 'received'; message: Buffer }>)
      .map((entry) => ({ seq: entry.seq, direction: entry.direction, message: new Uint8Array(entry.message) }));
  }

  // ---- peer heads -------------------------------------------------------------------------

  recordPeerHead(head: PeerHead, row: number | null): void {
    this.db.prepare(`INSERT OR IGNORE INTO peer_heads (peer_id, tree_size, root, timestamp, signature, round_row, received_at) VALUES (?, ?, ?, ?, ?, ?, ?)`)
      .run(head.peerId, head.treeSize, Buffer.from(head.root), head.timestamp, Buffer.from(head.signature), row, this.now());
  }

  peerHeads(peerId?: string): PeerHead[] {
    const rows = (peerId === undefined
      ? this.db.prepare('SELECT * FROM peer_heads ORDER BY peer_id, tree_size, timestamp').all()
      : this.db.prepare('SELECT * FROM peer_heads WHERE peer_id = ? ORDER BY tree_size, timestamp').all(peerId)) as Array<{ peer_id: string; tree_size: number; root: Buffer; timestamp: number; signature: Buffer }>;
    return rows.map((row) => ({ peerId: row.peer_id, treeSize: row.tree_size, root: new Uint8Array(row.root), timestamp: row.timestamp, signature: new Uint8Array(row.signature) }));
  }

  // ---- the audit log (storage only; hashing and proofs live in @venn/audit) ----------------

  logSize(): number {
    // Indexes are dense from 0 (append refuses gaps), so max+1 is the size, read from the B-tree edge.
    return (this.db.prepare('SELECT coalesce(max(idx) + 1, 0) AS n FROM log_leaves').get() as { n: number }).n;
  }

  logIndexOfRound(row: number): number | undefined {
    return this.db.prepare('SELECT idx FROM log_rounds WHERE round_row = ?').pluck().get(row) as number | undefined;
  }

  roundOfLogIndex(index: number): number | undefined {
    return this.db.prepare('SELECT round_row FROM log_rounds WHERE idx = ?').pluck().get(index) as number | undefined;
  }

  /**
   * @venn/audit's LogStorage over the log tables. append is one transaction (a savepoint when the
   * caller already holds one) and refuses any index but the current size, so the log cannot fork.
   */
  private logStorage(): LogStorage {
    const size = (): number => this.logSize();
    return {
      size,
      leaf: (index) => {
        const found = this.db.prepare('SELECT leaf FROM log_leaves WHERE idx = ?').pluck().get(index) as Buffer | undefined;
        if (found === undefined) throw new ValidationError('out-of-range', `"index" expected < ${size()}, got ${index}`);
        return new Uint8Array(found);
      },
      node: (level, index) => {
        const found = this.db.prepare('SELECT hash FROM log_nodes WHERE level = ? AND idx = ?').pluck().get(level, index) as Buffer | undefined;
        if (found === undefined) throw new InternalError('missing-node', `log storage has no subtree hash at level=${level} index=${index}`);
        return new Uint8Array(found);
      },
      append: this.db.transaction((entry: LogAppend) => {
        const current = size();
        if (entry.index !== current) throw new InternalError('append-conflict', `"index" expected the current log size ${current}, got ${entry.index}`);
        this.db.prepare('INSERT INTO log_leaves (idx, leaf, appended_at) VALUES (?, ?, ?)').run(entry.index, Buffer.from(entry.leaf), this.now());
        const insert = this.db.prepare('INSERT INTO log_nodes (level, idx, hash) VALUES (?, ?, ?)');
        for (const node of entry.nodes) insert.run(node.level, node.index, bytes32(node.hash, 'node hash'));
      }),
    };
  }

  saveTreeHead(head: TreeHeadRecord): void {
    this.db.prepare('INSERT OR REPLACE INTO tree_heads (tree_size, root, timestamp, signature) VALUES (?, ?, ?, ?)')
      .run(head.treeSize, Buffer.from(head.root), head.timestamp, Buffer.from(head.signature));
  }

  latestTreeHead(): TreeHeadRecord | undefined {
    const row = this.db.prepare('SELECT * FROM tree_heads ORDER BY tree_size DESC LIMIT 1').get() as { tree_size: number; root: Buffer; timestamp: number; signature: Buffer } | undefined;
    return row === undefined ? undefined : { treeSize: row.tree_size, root: new Uint8Array(row.root), timestamp: row.timestamp, signature: new Uint8Array(row.signature) };
  }

  treeHead(size: number): TreeHeadRecord | undefined {
    const row = this.db.prepare('SELECT * FROM tree_heads WHERE tree_size = ?').get(size) as { tree_size: number; root: Buffer; timestamp: number; signature: Buffer } | undefined;
    return row === undefined ? undefined : { treeSize: row.tree_size, root: new Uint8Array(row.root), timestamp: row.timestamp, signature: new Uint8Array(row.signature) };
  }
}
