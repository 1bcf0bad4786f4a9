/** The Charts page's data: new matches per UTC day by peer and by kind, and round durations over time. */
import type { Store } from '../store.js';
import { ARCHIVED_ONLY } from './queue.js';

export interface ChartsView {
  /** UTC days (ms at midnight) with at least one new match, ascending. */
  readonly days: number[];
  /** Per peer, new identifier-and-peer matches on each of `days`. */
  readonly byPeer: Record<string, number[]>;
  /** Per identifier kind, new identifier-and-peer matches on each of `days`. */
  readonly byKind: Record<string, number[]>;
  /** Finished attempts that ran (started), oldest first: finish time, peer, status, duration. */
  readonly durations: Array<{ readonly at: number; readonly peer: string; readonly status: string; readonly ms: number }>;
}

export function chartsView(store: Store): ChartsView {
  // A match is new on the day of the first completed round that matched that identifier with that peer.
  const firsts = store.db.prepare(`SELECT kind, peer_id, min(finished_at) AS at FROM (
        SELECT l.kind, l.name AS list, m.digest, i.account_ref, r.peer_id, r.finished_at
        FROM matches m JOIN rounds r ON r.id = m.round_row JOIN list_items i ON i.digest = m.digest JOIN lists l ON l.id = i.list_id
        WHERE r.status = 'completed'
        UNION ALL
        SELECT a.kind, a.list, m.digest, a.account_ref, r.peer_id, r.finished_at
        FROM matches m JOIN rounds r ON r.id = m.round_row JOIN matched_items a ON a.digest = m.digest
        WHERE r.status = 'completed' AND ${ARCHIVED_ONLY})
      GROUP BY list, digest, account_ref, peer_id`).all() as Array<{ kind: string; peer_id: string; at: number }>;
  const dayOf = (ms: number): number => ms - (ms % 86_400_000);
  const days = [...new Set(firsts.map((row) => dayOf(row.at)))].sort((a, b) => a - b);
  const index = new Map(days.map((day, i) => [day, i]));
  const byPeer: Record<string, number[]> = {};
  const byKind: Record<string, number[]> = {};
  for (const row of firsts) {
    const i = index.get(dayOf(row.at))!;
    (byPeer[row.peer_id] ??= new Array<number>(days.length).fill(0))[i]!++;
    (byKind[row.kind] ??= new Array<number>(days.length).fill(0))[i]!++;
  }
  const durations = (store.db.prepare(`SELECT finished_at, peer_id, status, finished_at - started_at AS ms FROM rounds
      WHERE finished_at IS NOT NULL AND started_at IS NOT NULL ORDER BY finished_at, id`).all() as Array<{ finished_at: number; peer_id: string; status: string; ms: number }>)
    .map((row) => ({ at: row.finished_at, peer: row.peer_id, status: row.status, ms: row.ms }));
  return { days, byPeer, byKind, durations };
}
