/** The daemon's Prometheus metrics (prom-client), in a registry of its own. */
import { Counter, Gauge, Histogram, Registry, collectDefaultMetrics } from 'prom-client';

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

export class NodeMetrics {
  readonly registry = new Registry();
  readonly rounds: Counter<'status' | 'role' | 'origin'>;
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
  private transport: TransportCounters | undefined;
  private peers: (() => readonly PeerBudget[]) | undefined;

  constructor(labels: { node: string }) {
    this.registry.setDefaultLabels(labels);
    collectDefaultMetrics({ register: this.registry, prefix: 'venn_' });
    this.rounds = new Counter({ name: 'venn_rounds_total', help: 'Round attempts that ended, by final status', labelNames: ['status', 'role', 'origin'], registers: [this.registry] });
    this.roundDuration = new Histogram({
      name: 'venn_round_duration_seconds', help: 'Wall time of round attempts from start to end', labelNames: ['status'],
      buckets: [0.1, 0.5, 1, 2, 5, 10, 30, 60, 120, 300, 600, 1800], registers: [this.registry],
    });
    this.elementsProcessed = new Counter({ name: 'venn_elements_processed_total', help: 'Set elements blinded or evaluated by this node', registers: [this.registry] });
    this.roundsRunning = new Gauge({ name: 'venn_rounds_running', help: 'Round attempts in progress', registers: [this.registry] });
    this.roundRefusals = new Counter({ name: 'venn_round_refusals_total', help: 'Rounds this node refused before evaluating, by reason', labelNames: ['reason'], registers: [this.registry] });
    this.roundBytes = new Counter({ name: 'venn_round_bytes_total', help: 'Round message bytes (application payload, before session encryption) by direction', labelNames: ['direction'], registers: [this.registry] });
    this.roundMessages = new Counter({ name: 'venn_round_messages_total', help: 'Round messages by direction', labelNames: ['direction'], registers: [this.registry] });
    this.adminRequests = new Counter({ name: 'venn_admin_requests_total', help: 'Admin endpoint requests', labelNames: ['route', 'code'], registers: [this.registry] });
    this.evaluationsServed = new Counter({ name: 'venn_evaluations_served_total', help: 'Evaluations served to each peer (points of EVALUATED chunks sent), every attempt counted', labelNames: ['peer'], registers: [this.registry] });
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
    new Gauge({
      name: 'venn_peers_connected', help: 'Authenticated peer sessions open', registers: [this.registry],
      collect() {
        this.set(self.transport?.sessionsOpen() ?? 0);
      },
    });
    new Counter({
      name: 'venn_rejected_connections_total', help: 'Peer connections that ended other than normally, by transport reason', labelNames: ['reason'], registers: [this.registry],
      collect() {
        // The transport keeps the cumulative counts; mirror them at scrape time.
        this.reset();
        for (const [reason, count] of Object.entries(self.transport?.closes() ?? {})) {
          if (reason !== 'normal' && count > 0) this.inc({ reason }, count);
        }
      },
    });
  }

  attachTransport(counters: TransportCounters): void {
    this.transport = counters;
  }

  attachPeers(read: () => readonly PeerBudget[]): void {
    this.peers = read;
  }

  text(): Promise<string> {
    return this.registry.metrics();
  }

  get contentType(): string {
    return this.registry.contentType;
  }
}
