/** The daemon's Prometheus metrics (prom-client), in a registry of its own. */
import { Counter, Gauge, Histogram, Registry, collectDefaultMetrics } from 'prom-client';
import { LIST_COUNT_SQL, type ListCount } from './checkpointer.js';
import type { MainThreadMonitor } from './main-thread-monitor.js';
import { CLOSE_REASONS } from '@venn/transport';
import type { Store } from './store.js';
import { VERSION } from './version.js';

export interface TransportCounters {
  sessionsOpen(): number;
  /** Connection ends by reason, cumulative. */
  closes(): Readonly<Record<string, number>>;
}

/** What the budget gauges read at scrape time (node.md §5.2–§5.3). */
export interface PeerBudget {
  readonly id: string;
  readonly budget: { readonly limit: number; readonly used: number; readonly left: number };
  readonly abandonments: { readonly last24h: number; readonly suspended: boolean };
}
/** Reasons a node refuses a round before evaluating (node.md §5); each series exists from start, at 0. */
export const REFUSAL_REASONS = ['quota-exceeded', 'round-replayed', 'not-initiator', 'round-in-progress', 'policy-mismatch', 'round-mismatch', 'shutting-down', 'attempts-exhausted', 'peer-suspended', 'budget-exceeded'] as const;
const FINAL_STATUSES = ['completed', 'aborted', 'disputed'] as const;
/** Dial failures whose series exist from start for every peer, at 0. */
const DIAL_FAILURE_REASONS = ['peer-unreachable', 'tls-failed'] as const;
/**
 * prom-client's defaults name three gauges `*_total`, which Prometheus reserves for counters;
 * their per-type series (nodejs_active_handles{type}, ...) stay, and sum() gives the totals.
 */
const DROPPED_DEFAULTS = ['nodejs_active_handles_total', 'nodejs_active_requests_total', 'nodejs_active_resources_total'];
/** List sizes are counted at most this often (a scrape should not walk a large store each time). */
const LIST_COUNT_TTL_MS = 30_000;

export class NodeMetrics {
  readonly registry = new Registry();
  readonly rounds: Counter<'peer' | 'status' | 'role' | 'origin'>;
  readonly roundDuration: Histogram<'status'>;
  readonly elementsProcessed: Counter;
  readonly roundsRunning: Gauge;
  readonly roundRefusals: Counter<'reason'>;
  readonly adminRequests: Counter<'route' | 'code'>;
  readonly roundBytes: Counter<'direction'>;
  readonly roundMessages: Counter<'direction'>;
  /** node.md §5.2: evaluations served to each peer, charged before they left. */
  readonly evaluationsServed: Counter<'peer'>;
  /** node.md §5.3: attempts in which the peer took evaluations and left. */
  readonly abandonments: Counter<'peer'>;
  /** node.md §6: attempts this node initiated whose dial opened no session, by the attempt's reason. */
  readonly dialFailures: Counter<'peer' | 'reason'>;
  private transport: TransportCounters | undefined;
  private peers: (() => readonly PeerBudget[]) | undefined;
  private store: Store | undefined;
  private listCounts: { at: number; rows: readonly ListCount[] } | undefined;
  private listCounter: (() => Promise<ListCount[] | undefined>) | undefined;
  private mainThread: MainThreadMonitor | undefined;

  constructor(labels: { node: string }) {
    this.registry.setDefaultLabels(labels);
    // The standard process_* and nodejs_* names, as every Node dashboard expects them.
    collectDefaultMetrics({ register: this.registry });
    for (const name of DROPPED_DEFAULTS) this.registry.removeSingleMetric(name);
    new Gauge({ name: 'venn_build_info', help: 'This build: 1, with its version as a label', labelNames: ['version'], registers: [this.registry] }).set({ version: VERSION }, 1);
    this.rounds = new Counter({ name: 'venn_rounds_total', help: 'Round attempts that ended, by peer and final status', labelNames: ['peer', 'status', 'role', 'origin'], registers: [this.registry] });
    this.roundDuration = new Histogram({
      name: 'venn_round_duration_seconds', help: 'Wall time of round attempts from start to end', labelNames: ['status'],
      buckets: [0.1, 0.5, 1, 2, 5, 10, 30, 60, 120, 300, 600, 1800], registers: [this.registry],
    });
    this.elementsProcessed = new Counter({ name: 'venn_elements_processed_total', help: 'Set elements blinded or evaluated by this node', registers: [this.registry] });
    this.roundsRunning = new Gauge({ name: 'venn_rounds_running', help: 'Round attempts in progress', registers: [this.registry] });
    this.roundRefusals = new Counter({ name: 'venn_round_refusals_total', help: 'Rounds this node refused before evaluating, by reason', labelNames: ['reason'], registers: [this.registry] });
    for (const reason of REFUSAL_REASONS) this.roundRefusals.inc({ reason }, 0);
    this.roundBytes = new Counter({ name: 'venn_round_bytes_total', help: 'Round message bytes (application payload, before session encryption) by direction', labelNames: ['direction'], registers: [this.registry] });
    this.roundMessages = new Counter({ name: 'venn_round_messages_total', help: 'Round messages by direction', labelNames: ['direction'], registers: [this.registry] });
    for (const direction of ['sent', 'received']) {
      this.roundBytes.inc({ direction }, 0);
      this.roundMessages.inc({ direction }, 0);
    }
    this.adminRequests = new Counter({ name: 'venn_admin_requests_total', help: 'Admin endpoint requests', labelNames: ['route', 'code'], registers: [this.registry] });
    this.evaluationsServed = new Counter({ name: 'venn_evaluations_served_total', help: 'Evaluations served to each peer (points of EVALUATED chunks sent), every attempt counted', labelNames: ['peer'], registers: [this.registry] });
    this.dialFailures = new Counter({ name: 'venn_dial_failures_total', help: 'Round attempts this node initiated whose dial opened no session, by peer and the attempt\'s reason (peer-unreachable, tls-failed, a refusal code)', labelNames: ['peer', 'reason'], registers: [this.registry] });
    this.abandonments = new Counter({ name: 'venn_peer_abandonments_total', help: 'Attempts in which the peer took evaluations and left before the round completed', labelNames: ['peer'], registers: [this.registry] });
    const self = this;
    const peerGauge = (name: string, help: string, read: (peer: PeerBudget) => number): void => {
      new Gauge({
        name, help, labelNames: ['peer'], registers: [this.registry],
        collect() {
          this.reset();
          for (const peer of self.peers?.() ?? []) this.set({ peer: peer.id }, read(peer));
        },
      });
    };
    peerGauge('venn_evaluation_budget_limit', 'Evaluations this node serves each peer per rolling 24 hours (maxEvaluationsPerDay)', (p) => p.budget.limit);
    peerGauge('venn_evaluation_budget_used', 'Evaluations served to each peer in the last 24 hours plus those reserved by running attempts', (p) => p.budget.used);
    peerGauge('venn_evaluation_budget_remaining', 'Evaluations left for each peer in the rolling 24-hour budget', (p) => p.budget.left);
    peerGauge('venn_peer_abandonments_24h', 'Abandoned attempts by each peer in the last 24 hours', (p) => p.abandonments.last24h);
    peerGauge('venn_peer_suspended', '1 while the peer is suspended after too many abandonments, until an operator clears it', (p) => (p.abandonments.suspended ? 1 : 0));
    // main-thread-monitor.ts: what the event-loop lag is made of: the thread's own work, a stall of its virtual CPU, its wait for a CPU, its time blocked.
    const mainThreadGauge = (name: string, help: string, take: (monitor: MainThreadMonitor) => number): void => {
      new Gauge({
        name, help, registers: [this.registry],
        collect() {
          this.reset();
          if (self.mainThread !== undefined) this.set(take(self.mainThread) / 1000);
        },
      });
    };
    mainThreadGauge('venn_main_thread_run_max_seconds', 'Longest CPU time the main thread ran between two 10 ms readings since the last scrape: its own work, stalls left out (Linux)', (m) => m.takeMaxRunMs());
    mainThreadGauge('venn_main_thread_stall_max_seconds', 'Longest time the kernel charged the main thread as run between two 10 ms readings since the last scrape while its CPU accounted none: the virtual CPU was taken away by the host (Linux)', (m) => m.takeMaxStallMs());
    mainThreadGauge('venn_main_thread_wait_max_seconds', 'Longest time the main thread waited, runnable, for a CPU between two 10 ms readings since the last scrape (Linux)', (m) => m.takeMaxWaitMs());
    mainThreadGauge('venn_main_thread_blocked_max_seconds', 'Longest time the main thread was blocked in a system call (neither running nor waiting for a CPU) between two 10 ms readings since the last scrape (Linux)', (m) => m.takeMaxBlockedMs());
    new Gauge({
      name: 'venn_peers_connected', help: 'Authenticated peer sessions open', registers: [this.registry],
      collect() {
        this.set(self.transport?.sessionsOpen() ?? 0);
      },
    });
    new Counter({
      name: 'venn_rejected_connections_total', help: 'Peer connections that ended other than normally, by transport reason', labelNames: ['reason'], registers: [this.registry],
      collect() {
        // The transport keeps the cumulative counts; mirror them at scrape time, every reason from 0.
        this.reset();
        const closes = self.transport?.closes() ?? {};
        // A dial that reached no one is no connection: venn_dial_failures_total counts it, by peer.
        for (const reason of CLOSE_REASONS) if (reason !== 'normal' && reason !== 'connect-failed') this.inc({ reason }, closes[reason] ?? 0);
      },
    });
    new Gauge({
      name: 'venn_list_items', help: 'Items (digest and account) in each identifier list', labelNames: ['list', 'kind'], registers: [this.registry],
      async collect() {
        const rows = await self.lists();
        this.reset();
        for (const row of rows) this.set({ list: row.name, kind: row.kind }, row.items);
      },
    });
  }

  attachTransport(counters: TransportCounters): void {
    this.transport = counters;
  }

  attachPeers(read: () => readonly PeerBudget[]): void {
    this.peers = read;
  }

  attachStore(store: Store): void {
    this.store = store;
  }

  /** Creates every venn_rounds_total series of these peers at 0, so rates and absences alert from start. */
  knownPeers(peers: readonly string[]): void {
    for (const peer of peers) {
      for (const reason of DIAL_FAILURE_REASONS) this.dialFailures.inc({ peer, reason }, 0);
      for (const status of FINAL_STATUSES) {
        for (const role of ['initiator', 'responder']) {
          for (const origin of ['scheduled', 'ad-hoc']) this.rounds.inc({ peer, status, role, origin }, 0);
        }
      }
    }
  }

  /** The main thread's run, stall, wait and blocked maxima (main-thread-monitor.ts), read and reset at each scrape. */
  attachMainThread(monitor: MainThreadMonitor): void {
    this.mainThread = monitor;
  }

  /** Counts list items off the main thread (the checkpoint thread); without it the main thread counts. */
  attachListCounter(count: () => Promise<ListCount[] | undefined>): void {
    this.listCounter = count;
  }

  private async lists(): Promise<readonly ListCount[]> {
    const store = this.store;
    if (store === undefined || !store.db.open) return [];
    const now = Date.now();
    if (this.listCounts === undefined || now - this.listCounts.at > LIST_COUNT_TTL_MS) {
      const counted = await this.listCounter?.();
      // The store may have closed while the thread counted (a scrape during shutdown).
      const rows = counted ?? (store.db.open ? store.db.prepare(LIST_COUNT_SQL).all() as ListCount[] : []);
      this.listCounts = { at: now, rows };
    }
    return this.listCounts.rows;
  }

  /** Forgets cached list sizes (after a list changed through the admin endpoint). */
  listsChanged(): void {
    this.listCounts = undefined;
  }

  text(): Promise<string> {
    return this.registry.metrics();
  }

  get contentType(): string {
    return this.registry.contentType;
  }
}
