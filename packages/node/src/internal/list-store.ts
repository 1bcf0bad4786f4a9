/**
 * The life of an identifier list in the store (protocol-spec/node.md §2.1): ingests that either
 * finish or leave nothing behind, removal of items, dropping a list, and retention. Items a peer
 * already matched keep their local side in matched_items, so no recorded match loses its history.
 */
import { ValidationError } from '@venn/errors';
import type { Store } from './store.js';

export type RetentionBasis = 'ingest' | 'first_seen';

export interface Retention {
  readonly ttlSeconds: number;
  readonly basis: RetentionBasis;
  /** Where it comes from: the config's `lists.<name>` or the list itself (`venn ingest --ttl`). */
  readonly source: 'config' | 'list';
}

export interface IngestSource {
  readonly source: string;
  readonly sha256: string | null;
  readonly rows: number;
  readonly accepted: number;
  readonly duplicates: number;
  readonly rejected: number;
  readonly ingestedAt: number;
}

export interface ListDetail {
  readonly name: string;
  readonly kind: string;
  readonly items: number;
  readonly digests: number;
  readonly createdAt: number;
  readonly lastIngestedAt: number | null;
  readonly retention: Retention | null;
  /** identifiers.md §13: the rules string the list was ingested under; null when unknown (recorded before rules were). */
  readonly rules: string | null;
  /** The most recent ingests, newest first. */
  readonly ingests: readonly IngestSource[];
}

/** List names: what a file name or a metric label can carry. */
const LIST_NAME = /^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$/;

export function checkListName(name: string, field = '--list'): string {
  if (!LIST_NAME.test(name)) {
    throw new ValidationError('invalid-list-name', `"${field}" expected 1 to 64 characters A-Z, a-z, 0-9, ".", "_" and "-", starting with a letter or digit, got ${JSON.stringify(name.slice(0, 80))}`);
  }
  return name;
}

/** Retention set in the configuration, by list name. */
export type RetentionOverrides = Readonly<Record<string, { readonly ttlSeconds: number; readonly basis: RetentionBasis }>>;

interface ListRow { id: number; name: string; kind: string; created_at: number; ttl_seconds: number | null; ttl_basis: RetentionBasis; identifier_rules: string | null }

function listRow(store: Store, name: string): ListRow | undefined {
  return store.db.prepare('SELECT id, name, kind, created_at, ttl_seconds, ttl_basis, identifier_rules FROM lists WHERE name = ?').get(name) as ListRow | undefined;
}

function retentionOf(row: ListRow, overrides: RetentionOverrides): Retention | null {
  const configured = overrides[row.name];
  if (configured !== undefined) return { ...configured, source: 'config' };
  return row.ttl_seconds === null ? null : { ttlSeconds: row.ttl_seconds, basis: row.ttl_basis, source: 'list' };
}

export function listDetails(store: Store, overrides: RetentionOverrides = {}, recentIngests = 5): ListDetail[] {
  const rows = store.db.prepare('SELECT id, name, kind, created_at, ttl_seconds, ttl_basis, identifier_rules FROM lists ORDER BY name').all() as ListRow[];
  const counts = store.db.prepare('SELECT count(*) AS items, count(DISTINCT digest) AS digests FROM list_items WHERE list_id = ?');
  const ingests = store.db.prepare(`SELECT source, sha256, rows, accepted, duplicates, rejected, ingested_at FROM ingests
    WHERE list_id = ? AND finished_at IS NOT NULL ORDER BY id DESC LIMIT ?`);
  return rows.map((row) => {
    const { items, digests } = counts.get(row.id) as { items: number; digests: number };
    const recent = (ingests.all(row.id, recentIngests) as Array<{ source: string; sha256: string | null; rows: number; accepted: number; duplicates: number; rejected: number; ingested_at: number }>)
      .map((g) => ({ source: g.source, sha256: g.sha256, rows: g.rows, accepted: g.accepted, duplicates: g.duplicates, rejected: g.rejected, ingestedAt: g.ingested_at }));
    return {
      name: row.name, kind: row.kind, items, digests, createdAt: row.created_at, lastIngestedAt: recent[0]?.ingestedAt ?? null,
      retention: retentionOf(row, overrides), rules: row.identifier_rules, ingests: recent,
    };
  });
}

/**
 * The refusal of a round while lists are stale (node.md §2.1): which lists, the rules each was
 * ingested under, the rules in force, and the fix.
 */
export function staleListsDetail(stale: ReadonlyArray<{ name: string; rules: string | null }>, inForce: string): string {
  const lists = stale.map((l) => `${l.name} (${l.rules === null ? 'rules unknown: ingested before rules were recorded' : JSON.stringify(l.rules)})`).join(', ');
  const drops = stale.map((l) => `"venn lists drop ${l.name}"`).join(', ');
  return `${stale.length === 1 ? 'list' : 'lists'} ${lists} ${stale.length === 1 ? 'was' : 'were'} not ingested under the identifier rules in force ${JSON.stringify(inForce)}, which this node advertises; `
    + `no round runs until ${stale.length === 1 ? 'it is' : 'they are'} ingested again under them: ${drops}, then "venn ingest" the files again (identifiers.md §11)`;
}

/**
 * Starts an ingest under identifier rules `rules` (identifiers.md §13): creates the list if it is
 * new (a failed ingest removes it again, see abortIngest) and records the source. The list's kind
 * never changes, nor its rules: an ingest into a list built under other rules is refused.
 */
export function beginIngest(store: Store, input: { list: string; kind: string; source: string; sha256: string | null; rules: string; retention?: { ttlSeconds: number; basis: RetentionBasis } | undefined }): { ingestId: number; listId: number } {
  checkListName(input.list);
  return store.db.transaction(() => {
    const list = store.ensureList(input.list, input.kind, input.rules);
    const ingestId = store.beginIngest(list.id, input.source, input.sha256);
    return { ingestId, listId: list.id };
  }).immediate();
}

/** Marks the ingest finished with its counts, and applies a retention given with it. */
export function finishIngest(store: Store, ingestId: number, counts: { rows: number; accepted: number; duplicates: number; rejected: number; rejectsPath: string | null; sha256: string | null },
  retention?: { ttlSeconds: number; basis: RetentionBasis } | undefined): void {
  store.db.transaction(() => {
    store.finishIngest(ingestId, counts);
    if (retention !== undefined) {
      store.db.prepare('UPDATE lists SET ttl_seconds = ?, ttl_basis = ? WHERE id = (SELECT list_id FROM ingests WHERE id = ?)').run(retention.ttlSeconds, retention.basis, ingestId);
    }
  }).immediate();
}

/**
 * Undoes a failed ingest: the items it inserted, its record, and the list itself when the
 * ingest created it (nothing else in it and no other ingest of it).
 */
export function abortIngest(store: Store, ingestId: number): { removed: number; listDropped: boolean } {
  return store.db.transaction(() => {
    const ingest = store.db.prepare('SELECT list_id FROM ingests WHERE id = ?').get(ingestId) as { list_id: number } | undefined;
    if (ingest === undefined) return { removed: 0, listDropped: false };
    archiveMatched(store, 'i.ingest_id = ?', [ingestId]);
    const removed = store.db.prepare('DELETE FROM list_items WHERE ingest_id = ?').run(ingestId).changes;
    if (removed > 0) store.listsChanged();
    store.db.prepare('DELETE FROM ingests WHERE id = ?').run(ingestId);
    const left = store.db.prepare('SELECT (SELECT count(*) FROM list_items WHERE list_id = ?) + (SELECT count(*) FROM ingests WHERE list_id = ?) AS n').get(ingest.list_id, ingest.list_id) as { n: number };
    let listDropped = false;
    if (left.n === 0) {
      store.db.prepare('DELETE FROM lists WHERE id = ?').run(ingest.list_id);
      listDropped = true;
    }
    return { removed, listDropped };
  }).immediate();
}

/**
 * Rolls back ingests a killed process left unfinished. Only safe while holding the node lock
 * with no ingest running through this process (the daemon at start, a command that took the lock).
 */
export function abortUnfinishedIngests(store: Store): number {
  const ids = store.db.prepare('SELECT id FROM ingests WHERE finished_at IS NULL ORDER BY id').pluck().all() as number[];
  for (const id of ids) abortIngest(store, id);
  return ids.length;
}

/** Copies the local side (list, kind, account) of items about to be removed that a peer matched. */
function archiveMatched(store: Store, where: string, params: readonly unknown[]): void {
  store.db.prepare(`INSERT OR IGNORE INTO matched_items (digest, kind, list, account_ref, removed_at)
    SELECT i.digest, l.kind, l.name, i.account_ref, ? FROM list_items i JOIN lists l ON l.id = i.list_id
    WHERE ${where} AND EXISTS (SELECT 1 FROM matches m JOIN rounds r ON r.id = m.round_row WHERE m.digest = i.digest AND r.status = 'completed')`)
    .run(Date.now(), ...params);
}

function requireList(store: Store, name: string): ListRow {
  const row = listRow(store, name);
  if (row === undefined) {
    const names = (store.db.prepare('SELECT name FROM lists ORDER BY name').pluck().all() as string[]);
    throw new ValidationError('unknown-list', `"--list" expected one of this node's lists (${names.length === 0 ? 'none yet' : names.join(', ')}), got ${JSON.stringify(name)}`);
  }
  return row;
}

/** The kind of list `name` (for reading a removal file with the list's own rules). */
export function listKind(store: Store, name: string): string {
  return requireList(store, name).kind;
}

/** Removes every item of list `name` with one of these digests, whatever its account. */
export function removeItems(store: Store, name: string, digests: readonly Uint8Array[]): { removed: number; digestsFound: number } {
  const list = requireList(store, name);
  return store.db.transaction(() => {
    let removed = 0;
    let digestsFound = 0;
    const archive = store.db.prepare(`INSERT OR IGNORE INTO matched_items (digest, kind, list, account_ref, removed_at)
      SELECT i.digest, ?, ?, i.account_ref, ? FROM list_items i
      WHERE i.list_id = ? AND i.digest = ? AND EXISTS (SELECT 1 FROM matches m JOIN rounds r ON r.id = m.round_row WHERE m.digest = i.digest AND r.status = 'completed')`);
    const remove = store.db.prepare('DELETE FROM list_items WHERE list_id = ? AND digest = ?');
    const now = Date.now();
    for (const digest of digests) {
      const key = Buffer.from(digest.buffer, digest.byteOffset, digest.byteLength);
      archive.run(list.kind, list.name, now, list.id, key);
      const changes = remove.run(list.id, key).changes;
      removed += changes;
      if (changes > 0) digestsFound++;
    }
    store.db.prepare('UPDATE lists SET updated_at = ? WHERE id = ?').run(now, list.id);
    if (removed > 0) store.listsChanged();
    return { removed, digestsFound };
  }).immediate();
}

/** Removes list `name`, its items and its ingest records. Rounds and matches stay as they are. */
export function dropList(store: Store, name: string): { items: number; ingests: number } {
  const list = requireList(store, name);
  return store.db.transaction(() => {
    archiveMatched(store, 'i.list_id = ?', [list.id]);
    const items = store.db.prepare('DELETE FROM list_items WHERE list_id = ?').run(list.id).changes;
    if (items > 0) store.listsChanged();
    const ingests = store.db.prepare('DELETE FROM ingests WHERE list_id = ?').run(list.id).changes;
    store.db.prepare('DELETE FROM lists WHERE id = ?').run(list.id);
    return { items, ingests };
  }).immediate();
}

/**
 * Removes the items whose retention ran out at `nowMs`: by the last ingest that held them, or by
 * their `first_seen` label (items without a usable one fall back to their ingest time).
 */
export function expireItems(store: Store, nowMs: number, overrides: RetentionOverrides = {}): Array<{ list: string; removed: number }> {
  const rows = store.db.prepare('SELECT id, name, kind, created_at, ttl_seconds, ttl_basis, identifier_rules FROM lists ORDER BY name').all() as ListRow[];
  const out: Array<{ list: string; removed: number }> = [];
  for (const row of rows) {
    const retention = retentionOf(row, overrides);
    if (retention === null) continue;
    const cutoff = nowMs - retention.ttlSeconds * 1000;
    // unixepoch() reads RFC 3339 dates and date-times; it is NULL for anything else.
    const age = retention.basis === 'first_seen' ? 'coalesce(unixepoch(i.first_seen) * 1000, i.seen_at)' : 'i.seen_at';
    const removed = store.db.transaction(() => {
      archiveMatched(store, `i.list_id = ? AND ${age} < ?`, [row.id, cutoff]);
      const expired = store.db.prepare(`DELETE FROM list_items AS i WHERE i.list_id = ? AND ${age} < ?`).run(row.id, cutoff).changes;
      if (expired > 0) store.listsChanged();
      return expired;
    }).immediate();
    if (removed > 0) out.push({ list: row.name, removed });
  }
  return out;
}

/** "90d", "12h", "30m", "2w", "3600s" → seconds. */
export function parseDuration(text: string, field: string): number {
  const match = /^([1-9][0-9]{0,9})([smhdw])$/.exec(text.trim());
  const unit = match === null ? undefined : { s: 1, m: 60, h: 3600, d: 86_400, w: 604_800 }[match[2] as 's' | 'm' | 'h' | 'd' | 'w'];
  if (match === null || unit === undefined || Number(match[1]) * unit > 100 * 365 * 86_400) {
    throw new ValidationError('invalid-duration', `"${field}" expected a duration like 90d, 12h, 30m or 2w (at most 100 years), got ${JSON.stringify(text.slice(0, 40))}`);
  }
  return Number(match[1]) * unit;
}

/** 7776000 → "90d". */
export function formatDuration(seconds: number): string {
  for (const [unit, size] of [['w', 604_800], ['d', 86_400], ['h', 3600], ['m', 60]] as const) {
    if (seconds % size === 0) return `${seconds / size}${unit}`;
  }
  return `${seconds}s`;
}
