/**
 * Commands that change identifier lists (ingest, remove, lists drop) write through a ListWriter:
 * straight into the store under the node lock when no daemon runs, or through the running
 * daemon's admin endpoint (POST /v1/lists, admin token) when it holds the lock (node.md §1.4).
 */
import { ValidationError, VennError } from '@venn/errors';
import { adminRequest, readAdminToken } from './admin-client.js';
import type { AdminReply } from './admin-server.js';
import type { NodeConfig } from './config.js';
import {
  abortIngest, abortUnfinishedIngests, beginIngest, dropList, finishIngest, listKind, removeItems, type RetentionBasis, type RetentionOverrides,
} from './list-store.js';
import type { Logger } from './logger.js';
import { NodeLock, NodeLockedError } from './node-lock.js';
import { Store, type ListItem } from './store.js';

export interface IngestCounts {
  readonly rows: number;
  readonly accepted: number;
  readonly duplicates: number;
  readonly rejected: number;
  readonly rejectsPath: string | null;
  readonly sha256: string | null;
}

export interface RetentionInput {
  readonly ttlSeconds: number;
  readonly basis: RetentionBasis;
}

export interface ListWriter {
  /** Where the writes go: this process's store, or the running daemon. */
  readonly via: 'store' | 'daemon';
  /** How many items a caller hands addItems at once: one transaction, or one admin request, each. */
  readonly batchSize: number;
  /** `rules`: the identifier rules string the items are canonicalized under (identifiers.md §13). */
  beginIngest(input: { list: string; kind: string; source: string; sha256: string | null; rules: string }): Promise<number>;
  addItems(ingestId: number, items: readonly ListItem[]): Promise<{ inserted: number; duplicates: number }>;
  finishIngest(ingestId: number, counts: IngestCounts, retention?: RetentionInput): Promise<{ listSize: number }>;
  abortIngest(ingestId: number): Promise<void>;
  listKind(list: string): Promise<string>;
  removeItems(list: string, digests: readonly Uint8Array[]): Promise<{ removed: number; digestsFound: number; listSize: number }>;
  dropList(list: string): Promise<{ items: number; ingests: number }>;
  close(): void;
}

/** Retention from the configuration's `lists` section. */
export function retentionOverrides(config: NodeConfig): RetentionOverrides {
  const out: Record<string, { ttlSeconds: number; basis: RetentionBasis }> = {};
  for (const [name, list] of Object.entries(config.lists)) {
    if (list.ttlSeconds !== undefined) out[name] = { ttlSeconds: list.ttlSeconds, basis: list.ttlFrom };
  }
  return out;
}

const listSize = (store: Store, list: string): number =>
  (store.db.prepare('SELECT count(*) AS n FROM list_items i JOIN lists l ON l.id = i.list_id WHERE l.name = ?').get(list) as { n: number }).n;

// ---- the operations themselves, on a store (this process's, or the daemon's) -------------------

type Operation =
  | { op: 'ingest-begin'; list: string; kind: string; source: string; sha256: string | null; rules: string }
  | { op: 'ingest-items'; ingestId: number; items: readonly WireItem[] }
  | { op: 'ingest-finish'; ingestId: number; counts: IngestCounts; retention?: RetentionInput }
  | { op: 'ingest-abort'; ingestId: number }
  | { op: 'list-kind'; list: string }
  | { op: 'remove'; list: string; digests: string[] }
  | { op: 'drop'; list: string };

/** One item on the admin wire: hex digest and the optional metadata, short keys. */
interface WireItem { d: string; a?: string; c?: string; f?: string; r?: string }

const toWire = (item: ListItem): WireItem => ({
  d: Buffer.from(item.digest).toString('hex'),
  ...(item.accountRef === undefined ? {} : { a: item.accountRef }), ...(item.category === undefined ? {} : { c: item.category }),
  ...(item.firstSeen === undefined ? {} : { f: item.firstSeen }), ...(item.reason === undefined ? {} : { r: item.reason }),
});

const HEX64 = /^[0-9a-f]{64}$/;
const optionalString = (value: unknown, field: string): string | undefined => {
  if (value === undefined) return undefined;
  if (typeof value !== 'string' || value.length > 1024) throw new ValidationError('invalid-request', `"${field}" expected a string of at most 1024 characters, got ${typeof value}`);
  return value;
};

function fromWire(value: unknown, index: number): ListItem {
  const item = value as Partial<WireItem> | null;
  if (typeof item !== 'object' || item === null || typeof item.d !== 'string' || !HEX64.test(item.d)) {
    throw new ValidationError('invalid-request', `"items[${index}].d" expected 64 lowercase hex digits`);
  }
  return {
    digest: new Uint8Array(Buffer.from(item.d, 'hex')), accountRef: optionalString(item.a, `items[${index}].a`), category: optionalString(item.c, `items[${index}].c`),
    firstSeen: optionalString(item.f, `items[${index}].f`), reason: optionalString(item.r, `items[${index}].r`),
  };
}

const count = (value: unknown, field: string): number => {
  if (!Number.isSafeInteger(value) || (value as number) < 0) throw new ValidationError('invalid-request', `"${field}" expected a non-negative integer`);
  return value as number;
};

function checkedCounts(value: unknown): IngestCounts {
  const c = value as Partial<Record<keyof IngestCounts, unknown>> | null;
  if (typeof c !== 'object' || c === null) throw new ValidationError('invalid-request', '"counts" expected an object');
  const nullableText = (field: 'rejectsPath' | 'sha256', pattern: RegExp): string | null => {
    const text = c[field];
    if (text === null || text === undefined) return null;
    if (typeof text !== 'string' || !pattern.test(text)) throw new ValidationError('invalid-request', `"counts.${field}" expected ${field === 'sha256' ? '64 lowercase hex digits' : 'a path'} or null`);
    return text;
  };
  return {
    rows: count(c.rows, 'counts.rows'), accepted: count(c.accepted, 'counts.accepted'), duplicates: count(c.duplicates, 'counts.duplicates'),
    rejected: count(c.rejected, 'counts.rejected'), rejectsPath: nullableText('rejectsPath', /^.{1,4096}$/s), sha256: nullableText('sha256', HEX64),
  };
}

function checkedRetention(value: unknown): RetentionInput | undefined {
  if (value === undefined || value === null) return undefined;
  const r = value as Partial<Record<keyof RetentionInput, unknown>>;
  if (typeof r !== 'object' || !Number.isSafeInteger(r.ttlSeconds) || (r.ttlSeconds as number) <= 0 || (r.basis !== 'ingest' && r.basis !== 'first_seen')) {
    throw new ValidationError('invalid-request', '"retention" expected {ttlSeconds: a positive integer, basis: "ingest" or "first_seen"}');
  }
  return { ttlSeconds: r.ttlSeconds as number, basis: r.basis };
}

export interface ListContext {
  readonly logger?: Logger;
  readonly overrides?: RetentionOverrides;
  /** The running daemon's identifier rules in force (identifiers.md §13): an ingest under other rules is refused. */
  readonly rules?: string;
}

/** Runs one list operation on `store`; the daemon calls this for POST /v1/lists. */
export function applyListOperation(store: Store, request: unknown, context: ListContext = {}): unknown {
  const body = request as Partial<Operation> & Record<string, unknown>;
  if (typeof body !== 'object' || body === null || typeof body.op !== 'string') throw new ValidationError('invalid-request', '"op" expected a list operation name');
  const id = (): number => {
    if (!Number.isSafeInteger(body['ingestId'])) throw new ValidationError('invalid-request', '"ingestId" expected an integer');
    return body['ingestId'] as number;
  };
  const text = (field: string): string => {
    const value = body[field];
    if (typeof value !== 'string' || value.length === 0 || value.length > 4096) throw new ValidationError('invalid-request', `"${field}" expected a non-empty string`);
    return value;
  };
  switch (body.op) {
    case 'ingest-begin': {
      const sha256 = body['sha256'] === null || body['sha256'] === undefined ? null : text('sha256');
      const rules = text('rules');
      if (context.rules !== undefined && rules !== context.rules) {
        throw new ValidationError('identifier-rules-stale', `"rules" of this ingest are ${JSON.stringify(rules.slice(0, 128))} (the installed roster and code), but the running daemon advertises ${JSON.stringify(context.rules)}; `
          + 'a list ingested now would not match its rounds: reload the daemon (SIGHUP, or "venn roster use") or restart it, then ingest');
      }
      return beginIngest(store, { list: text('list'), kind: text('kind'), source: text('source'), sha256, rules });
    }
    case 'ingest-items': {
      if (!Array.isArray(body['items']) || body['items'].length > 100_000) throw new ValidationError('invalid-request', '"items" expected an array of at most 100000 items');
      const ingest = store.db.prepare('SELECT list_id FROM ingests WHERE id = ? AND finished_at IS NULL').get(id()) as { list_id: number } | undefined;
      if (ingest === undefined) throw new ValidationError('unknown-ingest', `"ingestId" expected an ingest in progress, got ${id()}`);
      return store.addItems(ingest.list_id, (body['items'] as unknown[]).map(fromWire), id());
    }
    case 'ingest-finish': {
      const counts = checkedCounts(body['counts']);
      const retention = checkedRetention(body['retention']);
      finishIngest(store, id(), counts, retention);
      const list = store.db.prepare('SELECT l.name FROM ingests g JOIN lists l ON l.id = g.list_id WHERE g.id = ?').pluck().get(id()) as string;
      context.logger?.info({ list, ingestId: id(), rows: counts.rows, accepted: counts.accepted, duplicates: counts.duplicates, rejected: counts.rejected }, 'list items added');
      return { listSize: listSize(store, list) };
    }
    case 'ingest-abort':
      return abortIngest(store, id());
    case 'list-kind':
      return { kind: listKind(store, text('list')) };
    case 'remove': {
      const digests = body['digests'];
      if (!Array.isArray(digests) || digests.length > 100_000 || !digests.every((d) => typeof d === 'string' && HEX64.test(d))) {
        throw new ValidationError('invalid-request', '"digests" expected an array of at most 100000 digests of 64 lowercase hex digits');
      }
      const list = text('list');
      const result = removeItems(store, list, digests.map((d: string) => new Uint8Array(Buffer.from(d, 'hex'))));
      context.logger?.info({ list, removed: result.removed }, 'list items removed');
      return { ...result, listSize: listSize(store, list) };
    }
    case 'drop': {
      const list = text('list');
      const result = dropList(store, list);
      context.logger?.info({ list, ...result }, 'list dropped');
      return result;
    }
    default:
      throw new ValidationError('invalid-request', `"op" expected a list operation, got ${JSON.stringify(String(body.op).slice(0, 40))}`);
  }
}

/** The daemon's POST /v1/lists: a list operation, or a 400 with its typed error. */
export function listRequestReply(store: Store, request: unknown, context: ListContext): AdminReply {
  try {
    return { status: 200, body: applyListOperation(store, request, context) ?? {} };
  } catch (error) {
    if (error instanceof VennError) return { status: 400, body: { error: { code: error.code, message: error.message } } };
    throw error;
  }
}

/**
 * Items per call when writing straight into the store: sorted by digest (Store.addItems), a
 * batch walks each index once, and it bounds what the command holds in memory.
 */
export const STORE_BATCH = 100_000;

/**
 * Straight into the store, under the node lock. An ingest's items go in one transaction, from
 * its first batch to its end: digests land all over the indexes, so every commit rewrites most of
 * their pages. Committing every 5,000 items, a 4,000,000-row ingest wrote about 100 GB and took
 * 8 minutes; in one transaction each page reaches the WAL about once. Other readers see the items
 * once the ingest finished; an ingest that fails or is killed leaves none.
 */
class StoreListWriter implements ListWriter {
  readonly via = 'store' as const;
  readonly batchSize = STORE_BATCH;
  /** the ingest whose transaction is open */
  private open: number | undefined;

  constructor(private readonly store: Store, private readonly lock: NodeLock) {}

  private run<T>(operation: Operation): Promise<T> {
    return Promise.resolve(applyListOperation(this.store, operation) as T);
  }

  async beginIngest(input: { list: string; kind: string; source: string; sha256: string | null; rules: string }): Promise<number> {
    const ingestId = (await this.run<{ ingestId: number }>({ op: 'ingest-begin', ...input })).ingestId;
    if (this.open === undefined && !this.store.db.inTransaction) {
      this.store.db.exec('BEGIN IMMEDIATE');
      this.open = ingestId;
    }
    return ingestId;
  }

  addItems(ingestId: number, items: readonly ListItem[]): Promise<{ inserted: number; duplicates: number }> {
    const ingest = this.store.db.prepare('SELECT list_id FROM ingests WHERE id = ?').get(ingestId) as { list_id: number };
    return Promise.resolve(this.store.addItems(ingest.list_id, items, ingestId));
  }

  async finishIngest(ingestId: number, counts: IngestCounts, retention?: RetentionInput): Promise<{ listSize: number }> {
    const result = await this.run<{ listSize: number }>({ op: 'ingest-finish', ingestId, counts, ...(retention === undefined ? {} : { retention }) });
    if (this.open === ingestId) {
      this.store.db.exec('COMMIT');
      this.open = undefined;
    }
    return result;
  }

  async abortIngest(ingestId: number): Promise<void> {
    this.rollback(ingestId);
    await this.run({ op: 'ingest-abort', ingestId });
  }

  private rollback(ingestId?: number): void {
    if (this.open === undefined || (ingestId !== undefined && this.open !== ingestId)) return;
    if (this.store.db.inTransaction) this.store.db.exec('ROLLBACK');
    this.open = undefined;
  }

  async listKind(list: string): Promise<string> {
    return (await this.run<{ kind: string }>({ op: 'list-kind', list })).kind;
  }

  removeItems(list: string, digests: readonly Uint8Array[]): Promise<{ removed: number; digestsFound: number; listSize: number }> {
    return this.run({ op: 'remove', list, digests: digests.map((d) => Buffer.from(d).toString('hex')) });
  }

  dropList(list: string): Promise<{ items: number; ingests: number }> {
    return this.run({ op: 'drop', list });
  }

  close(): void {
    this.rollback();
    this.store.close();
    this.lock.release();
  }
}

/** Batches sent per request: about 150 bytes of JSON an item, well under the route's body limit. */
export const ADMIN_BATCH = 5000;

class DaemonListWriter implements ListWriter {
  readonly via = 'daemon' as const;
  readonly batchSize = ADMIN_BATCH;

  constructor(private readonly config: NodeConfig, private readonly token: string) {}

  private async run<T>(operation: Operation): Promise<T> {
    const response = await adminRequest(this.config, 'POST', '/v1/lists', { body: operation, token: this.token, timeoutMs: 120_000 });
    if (response.status === 200) return response.body as T;
    const error = (response.body as { error?: { code?: unknown; message?: unknown } } | null)?.error;
    const code = typeof error?.code === 'string' ? error.code : 'admin-error';
    const message = typeof error?.message === 'string' ? error.message : `the daemon answered ${response.status}`;
    throw new ValidationError(code, message);
  }

  async beginIngest(input: { list: string; kind: string; source: string; sha256: string | null; rules: string }): Promise<number> {
    return (await this.run<{ ingestId: number }>({ op: 'ingest-begin', ...input })).ingestId;
  }

  addItems(ingestId: number, items: readonly ListItem[]): Promise<{ inserted: number; duplicates: number }> {
    return this.run({ op: 'ingest-items', ingestId, items: items.map(toWire) });
  }

  finishIngest(ingestId: number, counts: IngestCounts, retention?: RetentionInput): Promise<{ listSize: number }> {
    return this.run({ op: 'ingest-finish', ingestId, counts, ...(retention === undefined ? {} : { retention }) });
  }

  async abortIngest(ingestId: number): Promise<void> {
    await this.run({ op: 'ingest-abort', ingestId });
  }

  async listKind(list: string): Promise<string> {
    return (await this.run<{ kind: string }>({ op: 'list-kind', list })).kind;
  }

  removeItems(list: string, digests: readonly Uint8Array[]): Promise<{ removed: number; digestsFound: number; listSize: number }> {
    return this.run({ op: 'remove', list, digests: digests.map((d) => Buffer.from(d).toString('hex')) });
  }

  dropList(list: string): Promise<{ items: number; ingests: number }> {
    return this.run({ op: 'drop', list });
  }

  close(): void {
    // Nothing held locally.
  }
}

/**
 * A writer for `command` on the node in `config`: the store under the node lock, or the daemon
 * that holds the lock. Any other holder is a NodeLockedError naming it.
 */
export async function openListWriter(config: NodeConfig, command: string): Promise<ListWriter> {
  const attempt = NodeLock.tryAcquire(config.paths.dir, command);
  if (attempt instanceof NodeLock) {
    try {
      const store = Store.open(config.paths.store);
      // This process owns the directory now: an ingest still open was left by a killed process.
      abortUnfinishedIngests(store);
      return new StoreListWriter(store, attempt);
    } catch (error) {
      attempt.release();
      throw error;
    }
  }
  const holder = attempt.holder;
  if (holder === null || holder.command === 'start') {
    let status: { node?: unknown; pid?: unknown } | undefined;
    try {
      const response = await adminRequest(config, 'GET', '/v1/status', { timeoutMs: 5000 });
      if (response.status === 200) status = response.body as { node?: unknown; pid?: unknown };
    } catch {
      // Not answering: reported below as the lock holder.
    }
    if (status !== undefined && status.node === config.id && (holder === null || status.pid === holder.pid)) {
      return new DaemonListWriter(config, readAdminToken(config));
    }
  }
  throw new NodeLockedError(config.paths.dir, holder);
}
