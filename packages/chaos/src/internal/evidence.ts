/**
 * What the chaos run reads from the daemons' stores (never from their log lines): finished
 * attempts with a fingerprint of their matches, the audit log's leaves and signed heads, quota
 * rows. Snapshots are taken while the daemons run; the final read after they quiesce.
 */
import { createHash } from 'node:crypto';
import Database from 'better-sqlite3';

export interface AttemptRow {
  readonly row: number;
  readonly roundId: string;
  readonly attempt: number;
  readonly peer: string;
  readonly role: 'initiator' | 'responder';
  readonly origin: 'scheduled' | 'ad-hoc';
  readonly status: string;
  readonly reason: string | null;
  readonly transcriptHash: string | null;
  readonly intersectionSize: number | null;
  readonly peerClaimedSize: number | null;
  readonly allowance: number;
  readonly evaluationsSent: number;
  readonly evaluationsReceived: number;
  /** SHA-256 over the sorted matched digests and their peer labels. */
  readonly matchesHash: string;
  readonly matchCount: number;
}

export interface HeadRow {
  readonly size: number;
  readonly root: string;
}

export interface QuotaRow {
  readonly peer: string;
  readonly day: string;
  readonly rounds: number;
  readonly adHocRounds: number;
}

export interface StoreSnapshot {
  readonly node: string;
  readonly takenAt: number;
  /** Finished attempts by row id. */
  readonly attempts: ReadonlyMap<number, AttemptRow>;
  /** SHA-256 of each leaf, by log index. */
  readonly leaves: readonly string[];
  readonly heads: readonly HeadRow[];
  readonly quotas: readonly QuotaRow[];
  /** Attempts still scheduled or running when the snapshot was taken. */
  readonly open: number;
}

/** Per completed attempt: the matched local identifiers as kind:account. */
export type MatchKeys = ReadonlyMap<number, readonly string[]>;

const hex = (bytes: Buffer | Uint8Array | null): string | null => (bytes === null ? null : Buffer.from(bytes).toString('hex'));

interface RoundSql {
  id: number; round_id: Buffer; attempt: number; peer_id: string; role: 'initiator' | 'responder'; origin: 'scheduled' | 'ad-hoc'; status: string;
  reason: string | null; transcript_hash: Buffer | null; intersection_size: number | null; peer_claimed_size: number | null; allowance: number;
  evaluations_sent: number; evaluations_received: number;
}

/** One consistent read (a read transaction) of a store that a daemon may be writing. */
export function readSnapshot(node: string, storePath: string): StoreSnapshot {
  const db = new Database(storePath, { readonly: true, fileMustExist: true });
  try {
    db.pragma('busy_timeout = 10000');
    return db.transaction(() => {
      const matchHashes = new Map<number, { hash: ReturnType<typeof createHash>; count: number }>();
      const matches = db.prepare('SELECT round_row, digest, peer_category, peer_first_seen, peer_reason FROM matches ORDER BY round_row, digest').iterate() as IterableIterator<{ round_row: number; digest: Buffer; peer_category: string | null; peer_first_seen: string | null; peer_reason: string | null }>;
      for (const match of matches) {
        let entry = matchHashes.get(match.round_row);
        if (entry === undefined) {
          entry = { hash: createHash('sha256'), count: 0 };
          matchHashes.set(match.round_row, entry);
        }
        entry.hash.update(match.digest).update(JSON.stringify([match.peer_category, match.peer_first_seen, match.peer_reason]));
        entry.count += 1;
      }
      const attempts = new Map<number, AttemptRow>();
      const rows = db.prepare("SELECT * FROM rounds WHERE status IN ('completed', 'aborted', 'disputed') ORDER BY id").all() as RoundSql[];
      for (const r of rows) {
        const entry = matchHashes.get(r.id);
        attempts.set(r.id, {
          row: r.id, roundId: hex(r.round_id)!, attempt: r.attempt, peer: r.peer_id, role: r.role, origin: r.origin, status: r.status, reason: r.reason,
          transcriptHash: hex(r.transcript_hash), intersectionSize: r.intersection_size, peerClaimedSize: r.peer_claimed_size, allowance: r.allowance,
          evaluationsSent: r.evaluations_sent, evaluationsReceived: r.evaluations_received,
          matchesHash: entry === undefined ? '' : entry.hash.digest('hex'), matchCount: entry?.count ?? 0,
        });
      }
      const leaves = (db.prepare('SELECT leaf FROM log_leaves ORDER BY idx').pluck().all() as Buffer[]).map((leaf) => createHash('sha256').update(leaf).digest('hex'));
      const heads = (db.prepare('SELECT tree_size, root FROM tree_heads ORDER BY tree_size').all() as Array<{ tree_size: number; root: Buffer }>).map((h) => ({ size: h.tree_size, root: hex(h.root)! }));
      const quotas = (db.prepare('SELECT peer_id, day, rounds, ad_hoc_rounds FROM quota_usage').all() as Array<{ peer_id: string; day: string; rounds: number; ad_hoc_rounds: number }>)
        .map((q) => ({ peer: q.peer_id, day: q.day, rounds: q.rounds, adHocRounds: q.ad_hoc_rounds }));
      const open = db.prepare("SELECT count(*) FROM rounds WHERE status IN ('scheduled', 'running')").pluck().get() as number;
      return { node, takenAt: Date.now(), attempts, leaves, heads, quotas, open };
    })();
  } finally {
    db.close();
  }
}

/** kind:account of every local identifier each completed attempt matched. */
export function readMatchKeys(storePath: string): MatchKeys {
  const db = new Database(storePath, { readonly: true, fileMustExist: true });
  try {
    const rows = db.prepare(`SELECT DISTINCT m.round_row AS row, l.kind AS kind, i.account_ref AS account FROM matches m
      JOIN list_items i ON i.digest = m.digest JOIN lists l ON l.id = i.list_id ORDER BY m.round_row`).all() as Array<{ row: number; kind: string; account: string }>;
    const out = new Map<number, string[]>();
    for (const r of rows) {
      const list = out.get(r.row) ?? [];
      list.push(`${r.kind}:${r.account}`);
      out.set(r.row, list);
    }
    for (const list of out.values()) list.sort();
    return out;
  } finally {
    db.close();
  }
}
