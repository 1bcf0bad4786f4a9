/**
 * The matching node daemon: transport listener, slot scheduler, round runner, admin endpoint.
 * One instance per node directory; `venn start` runs it in the foreground.
 */
import { EventEmitter } from 'node:events';
import { X509Certificate, createHash, randomBytes, randomInt } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { encodeRoundRecord, signTreeHead, verifyTreeHead } from '@venn/audit';
import { ready as cryptoReady } from '@venn/crypto';
import { VennError } from '@venn/errors';
import {
  SessionError, TransportMetrics, connect, createServer, type PurposeDecision, type RosterMember, type Session, type TransportServer,
} from '@venn/transport';
import { MAX_FRAME_BYTES, decodeMessage, encodeMessage } from '@venn/wire';
import { startAdminServer, type AdminReply, type AdminServer } from './admin-server.js';
import { systemTimers, type TimerHandle, type Timers } from './clock.js';
import { hex } from './command.js';
import { CONFIG_FILE, ConfigError, dialTls, loadConfig, policyFor, tlsRosterIssues, type NodeConfig, type RoundMode } from './config.js';
import { PASSPHRASE_ENV, loadKeyFile, type Identity } from './keyfile.js';
import { listRequestReply, retentionOverrides } from './list-writer.js';
import { createLogger, type Logger, type LogFormat } from './logger.js';
import { NodeMetrics } from './metrics.js';
import { NodeLock } from './node-lock.js';
import { planReload, type TlsFingerprint } from './reload.js';
import { startRetention, type Retention } from './retention.js';
import { checkScheduleQuota, nodeQuotaHolders } from './schedule-quota.js';
import { loadInstalledRoster, type InstalledRoster } from './roster.js';
import { RoundCompute, type ComputeJob, type ComputeOutcome, type WireLogHead } from './round-compute.js';
import { adHocRoundId, backoffDelayMs, matchScheduledRound, scheduledInitiator, scheduledRoundId, type Slot } from './schedule.js';
import { Scheduler } from './scheduler.js';
import { Store, type RoundOrigin, type RoundRecord } from './store.js';
import { WorkerPool } from './worker-pool.js';
import type { DestinationStream } from 'pino';

export interface DaemonOptions {
  readonly dir: string;
  /** The node's clock (Unix ms); defaults to Date.now. */
  readonly now?: () => number;
  readonly timers?: Timers;
  /** Uniform [0, 1) for retry jitter. */
  readonly random?: () => number;
  /** Secret randomness (ad-hoc round nonces, transport ephemerals). */
  readonly rng?: (n: number) => Uint8Array;
  /** Defaults to the VENN_KEY_PASSPHRASE environment variable. */
  readonly passphrase?: string | undefined;
  readonly logDestination?: DestinationStream;
  /** JSON lines (the default) or pino-pretty's coloured text for terminals. */
  readonly logFormat?: LogFormat;
}

/** Reasons after which the initiator tries the slot's round again (fresh keys, new attempt). */
const RETRYABLE = new Set([
  'daemon-restart', 'peer-unreachable', 'connection-lost', 'timeout', 'round-in-progress', 'heartbeat-timeout', 'idle-timeout',
  'handshake-timeout', 'internal-error', 'shutdown', 'shutting-down', 'too-many-sessions', 'too-many-unauthenticated', 'cancelled',
  // A certificate may be renewed within the window; each retry backs off.
  'tls-failed',
]);

interface ActiveRound {
  readonly record: RoundRecord;
  readonly startedAt: number;
  processed: number;
  total: number;
  /** Ends the attempt now with `reason` (ABORT to the peer, session closed, row aborted). */
  abort(reason: string, detail: string): void;
  readonly done: Promise<RoundRecord>;
}

interface Claim {
  readonly origin: RoundOrigin;
  readonly slot: number | null;
}

/** How long before expiry the start-up log warns about the listener's certificate. */
const CERTIFICATE_RENEWAL_MS = 14 * 86_400_000;

/** Transport close reasons that mean the peer could not be reached at all. */
const UNREACHABLE = new Set(['connection-lost', 'handshake-timeout', 'handshake-malformed']);

export class Daemon {
  /** Replaced by reload(); a running attempt keeps what it started with. */
  config: NodeConfig;
  readonly store: Store;
  readonly logger: Logger;
  readonly metrics: NodeMetrics;
  roster: InstalledRoster;
  private readonly identity: Identity;
  private lock: NodeLock | undefined;
  private retention: Retention | undefined;
  private tlsFingerprint: TlsFingerprint = null;
  private readonly now: () => number;
  private readonly timers: Timers;
  private readonly random: () => number;
  private readonly rng: (n: number) => Uint8Array;
  private readonly pool: WorkerPool;
  private readonly transportMetrics = new TransportMetrics();
  private readonly events = new EventEmitter();
  private readonly active = new Map<number, ActiveRound>();
  private readonly claims = new Map<string, Claim>();
  private readonly retries = new Set<TimerHandle>();
  private scheduler: Scheduler | undefined;
  private server: TransportServer | undefined;
  private admin: AdminServer | undefined;
  private stopping = false;
  private stopped: Promise<void> | undefined;
  readonly startedAt: number;

  private constructor(config: NodeConfig, store: Store, identity: Identity, roster: InstalledRoster, logger: Logger, options: DaemonOptions) {
    this.config = config;
    this.store = store;
    this.identity = identity;
    this.roster = roster;
    this.logger = logger;
    this.now = options.now ?? Date.now;
    this.timers = options.timers ?? systemTimers;
    this.random = options.random ?? (() => randomInt(0, 2 ** 32) / 2 ** 32);
    this.rng = options.rng ?? ((n) => new Uint8Array(randomBytes(n)));
    this.metrics = new NodeMetrics({ node: config.id });
    this.pool = new WorkerPool(config.workers);
    this.startedAt = this.now();
    this.events.setMaxListeners(0);
  }

  /** Loads the node directory, recovers from any crash, and starts listening, scheduling and serving admin requests. */
  static async start(options: DaemonOptions): Promise<Daemon> {
    const config = loadConfig(options.dir);
    const now = options.now ?? Date.now;
    const logger = createLogger({ level: config.logLevel, node: config.id, now, format: options.logFormat ?? 'json', ...(options.logDestination === undefined ? {} : { destination: options.logDestination }) });
    await cryptoReady();
    const identity = await loadKeyFile(config.paths.identityKey, { passphrase: options.passphrase ?? process.env[PASSPHRASE_ENV] });
    const roster = loadInstalledRoster(config, identity.publicKey);
    const tlsIssues = tlsRosterIssues(config.tls, roster.self, roster.peers);
    if (tlsIssues.length > 0) throw new ConfigError(join(options.dir, CONFIG_FILE), tlsIssues);
    checkScheduleQuota(roster.roster.schedule, nodeQuotaHolders(roster.self, roster.peers, (peer) => policyFor(config, peer)), now());
    // node.md §1.4: the directory is this process's before the store is opened or recovered.
    const lock = NodeLock.acquire(options.dir, 'start');
    let store: Store;
    try {
      store = Store.open(config.paths.store, { now });
    } catch (error) {
      lock.release();
      throw error;
    }
    const daemon = new Daemon(config, store, identity, roster, logger, options);
    daemon.lock = lock;
    try {
      await daemon.boot();
    } catch (error) {
      await daemon.stop('start-failed').catch(() => undefined);
      throw error;
    }
    return daemon;
  }

  private async boot(): Promise<void> {
    const { config, logger } = this;
    // node.md §6: rounds a previous process left open are aborted, never resumed: their keys are gone.
    for (const record of this.store.abortUnfinished('daemon-restart', 'the node restarted during the round')) {
      this.appendAbortLeaf(record);
      logger.warn({ roundId: hex(record.roundId), attempt: record.attempt, peer: record.peerId, reason: 'daemon-restart' }, 'round left open by a previous run marked aborted');
    }
    this.signHeadIfBehind();
    this.metrics.attachTransport({ sessionsOpen: () => this.transportMetrics.sessionsOpen, closes: () => this.transportMetrics.snapshot().closes });
    this.metrics.attachStore(this.store);
    this.metrics.knownPeers(this.roster.peers.map((m) => m.id));
    this.retention = startRetention({ store: this.store, now: this.now, timers: this.timers, logger, overrides: () => retentionOverrides(this.config) });
    this.tlsFingerprint = tlsFingerprint(config);

    const token = readFileSync(config.paths.adminToken, 'utf8').trim();
    this.admin = await startAdminServer({
      host: config.admin.host, port: config.admin.port, token, metrics: this.metrics, logger,
      handlers: {
        health: () => this.health(),
        status: () => this.statusReport(),
        startRound: (request) => this.startAdHoc(request),
        roundStatus: (id, waitMs) => this.roundStatus(id, waitMs),
        lists: (request) => {
          const reply = listRequestReply(this.store, request, { logger: this.logger.child({ component: 'lists' }), overrides: retentionOverrides(this.config) });
          this.metrics.listsChanged();
          return reply;
        },
        reload: () => this.reload('admin'),
      },
    });
    const transportLogger = logger.child({ component: 'transport' });
    this.server = await createServer({
      host: config.listen.host, port: config.listen.port, roster: this.roster.roster,
      identity: { id: config.id, secretKey: this.identity.secretKey },
      acceptPurpose: (peerId, purpose) => this.acceptPurpose(peerId, purpose),
      onSession: (session) => this.onSession(session),
      ...(config.tls.server === null ? {} : { tls: config.tls.server }),
      limits: { maxMessageBytes: MAX_FRAME_BYTES },
      logger: transportLogger, metrics: this.transportMetrics, timers: this.timers, now: this.now, rng: this.rng,
    });
    this.scheduler = new Scheduler({
      schedule: this.roster.roster.schedule, now: this.now, timers: this.timers,
      onSlot: (slot, catchUp) => this.onSlot(slot, catchUp),
      onError: (error, slot) => logger.error({ err: error, slot: new Date(slot.start * 1000).toISOString() }, 'slot handler failed'),
    });
    this.scheduler.start();
    this.checkCertificateDates();
    logger.info({
      listen: `${this.server.host}:${this.server.port}`, tls: config.tls.server !== null, endpoint: this.roster.self.endpoint,
      admin: `${this.admin.host}:${this.admin.port}`, rosterDigest: hex(this.roster.digest),
      peers: this.roster.peers.map((m) => m.id), nextSlot: this.nextSlotIso(),
    }, 'venn node started');
  }

  /** Peers refuse a certificate outside its validity period; say so at start rather than per dial. */
  private checkCertificateDates(): void {
    if (this.config.tls.server === null) return;
    const leaf = new X509Certificate(readFileSync(this.config.tls.server.certFile));
    const notBefore = Date.parse(leaf.validFrom);
    const notAfter = Date.parse(leaf.validTo);
    const now = this.now();
    const fields = { certFile: this.config.tls.server.certFile, notBefore: new Date(notBefore).toISOString(), notAfter: new Date(notAfter).toISOString() };
    if (now < notBefore || now > notAfter) this.logger.warn(fields, 'TLS certificate is not valid now; peers will refuse it (tls-failed)');
    else if (notAfter - now < CERTIFICATE_RENEWAL_MS) this.logger.warn(fields, 'TLS certificate expires soon; renew it and restart');
  }

  get listenPort(): number {
    return this.server?.port ?? 0;
  }

  get adminPort(): number {
    return this.admin?.port ?? 0;
  }

  private nextSlotIso(): string | null {
    const next = this.scheduler?.next;
    return next === null || next === undefined ? null : new Date(next.start * 1000).toISOString();
  }

  // ---- scheduling ---------------------------------------------------------------------------

  /** node.md §4: every slot runs every pair this node belongs to; the initiator of each is derived. */
  private onSlot(slot: Slot, catchUp: boolean): void {
    if (this.stopping) return;
    const slotIso = new Date(slot.start * 1000).toISOString();
    this.logger.info({ slot: slotIso, catchUp }, 'slot started');
    for (const peer of this.roster.peers) {
      const roundId = scheduledRoundId(this.roster.digest, slot.start, this.config.id, peer.id);
      if (scheduledInitiator(roundId, this.config.id, peer.id) !== this.config.id) continue;
      void this.initiate({ peer, roundId, origin: 'scheduled', slot: slot.start, mode: null }).catch((error: unknown) => {
        this.logger.error({ err: error, roundId: hex(roundId), peer: peer.id }, 'scheduled round failed to start');
      });
    }
  }

  /** Intersection if both policies allow it, else cardinality, else none. */
  private commonMode(peer: RosterMember): RoundMode | null {
    const ours = policyFor(this.config, peer.id).modes;
    for (const mode of ['intersection', 'cardinality'] as const) {
      if (ours.includes(mode) && peer.policy.modes.includes(mode)) return mode;
    }
    return null;
  }

  /** After a failed scheduled attempt: try again within the slot's window, with backoff and jitter. */
  private scheduleRetry(record: RoundRecord, peer: RosterMember): void {
    if (this.stopping || record.origin !== 'scheduled' || record.role !== 'initiator' || record.slot === null) return;
    if (record.status !== 'aborted' || !RETRYABLE.has(record.reason ?? '')) return;
    const windowEnd = (record.slot + this.roster.roster.schedule.windowMinutes * 60) * 1000;
    const delay = backoffDelayMs(record.attempt, this.config.retry, this.random);
    const log = this.logger.child({ roundId: hex(record.roundId), peer: peer.id });
    if (this.now() + delay >= windowEnd) {
      log.warn({ attempt: record.attempt, reason: record.reason }, 'slot window closes before another attempt; giving up on this slot');
      return;
    }
    log.info({ attempt: record.attempt + 1, delayMs: delay }, 'retrying round');
    const handle = this.timers.setTimeout(() => {
      this.retries.delete(handle);
      void this.initiate({ peer, roundId: record.roundId, origin: 'scheduled', slot: record.slot, mode: null }).catch((error: unknown) => log.error({ err: error }, 'retry failed to start'));
    }, delay);
    this.retries.add(handle);
  }

  // ---- initiator ----------------------------------------------------------------------------

  /**
   * Runs one attempt as initiator. Returns the finished record, or a refusal (no attempt made)
   * when the round is already done or running, the quota is used up, or no mode is shared.
   */
  async initiate(params: { peer: RosterMember; roundId: Uint8Array; origin: RoundOrigin; slot: number | null; mode: RoundMode | null }): Promise<RoundRecord | { refused: string; detail: string }> {
    const { peer, roundId, origin, slot } = params;
    // The attempt runs under the roster it started with, even if a reload replaces it meanwhile.
    const roster = this.roster;
    const log = this.logger.child({ roundId: hex(roundId), peer: peer.id, role: 'initiator', origin });
    const refuse = (reason: string, detail: string): { refused: string; detail: string } => {
      log.warn({ reason, detail }, 'round not started');
      this.metrics.roundRefusals.inc({ reason });
      return { refused: reason, detail };
    };
    if (this.stopping) return refuse('shutting-down', 'the node is shutting down');
    if (this.store.isFinalized(roundId)) return { refused: 'round-complete', detail: 'the round already completed' };
    if (this.store.isActive(roundId) || this.claims.has(hex(roundId))) return refuse('round-in-progress', 'an attempt of this round is running');
    const mode = params.mode ?? this.commonMode(peer);
    if (mode === null) return refuse('policy-mismatch', `no mode allowed by both this node's policy for ${peer.id} and ${peer.id}'s roster policy`);
    const policy = policyFor(this.config, peer.id);
    if (!policy.modes.includes(mode)) return refuse('policy-mismatch', `mode ${mode} is not allowed for ${peer.id} by this node's policy`);
    const quota = this.store.consumeQuota(roundId, peer.id, origin, policy);
    if (!quota.ok) return refuse(quota.reason, quota.detail);

    const record = this.store.createRound({ roundId, peerId: peer.id, role: 'initiator', origin, slot, mode });
    const attemptLog = log.child({ attempt: record.attempt });
    attemptLog.info({ mode, slot: slot === null ? null : new Date(slot * 1000).toISOString() }, 'round attempt starting');
    // The roster endpoint's scheme decides: wss:// is dialed with this node's trust anchors, ws:// in the clear.
    const tls = dialTls(this.config.tls, peer.endpoint);
    let session: Session;
    try {
      session = await connect({
        roster: roster.roster, identity: { id: this.config.id, secretKey: this.identity.secretKey }, peerId: peer.id, purpose: roundId,
        ...(tls === undefined ? {} : { tls }),
        limits: { maxMessageBytes: MAX_FRAME_BYTES }, logger: this.logger.child({ component: 'transport', roundId: hex(roundId), attempt: record.attempt }), metrics: this.transportMetrics,
        timers: this.timers, now: this.now, rng: this.rng,
      });
    } catch (error) {
      const { reason, detail } = connectFailure(error);
      attemptLog.warn({ reason, detail }, 'could not open a session with the peer');
      const finished = this.finalize(record, { status: 'aborted', reason, detail, peerLogHead: null }, undefined, roster);
      this.scheduleRetry(finished, peer);
      return finished;
    }
    const finished = await this.run(record, session, peer, mode, roster);
    this.scheduleRetry(finished, peer);
    return finished;
  }

  // ---- responder ----------------------------------------------------------------------------

  /**
   * node.md §5: the responder accepts a round id only if it names a current slot of this pair
   * (within the clock-skew tolerance) or fits the ad-hoc quota, never one that already completed.
   */
  private acceptPurpose(peerId: string, purpose: Uint8Array): PurposeDecision {
    const refuse = (code: string, detail: string): PurposeDecision => {
      this.metrics.roundRefusals.inc({ reason: code });
      this.logger.warn({ roundId: purpose.length === 32 ? hex(purpose) : null, peer: peerId, role: 'responder', reason: code, detail }, 'round refused');
      return { accept: false, code, detail };
    };
    if (this.stopping) return refuse('shutting-down', 'the node is shutting down');
    if (purpose.length !== 32) return refuse('round-mismatch', `round id expected 32 bytes, got ${purpose.length}`);
    const key = hex(purpose);
    if (this.store.isFinalized(purpose)) return refuse('round-replayed', `round ${key} already completed here; a round id never runs twice`);
    if (this.store.isActive(purpose) || this.claims.has(key)) return refuse('round-in-progress', `an attempt of round ${key} is already running here`);
    const policy = policyFor(this.config, peerId);
    if (policy.modes.length === 0) return refuse('policy-mismatch', `this node's policy allows no mode for ${peerId}`);
    const slot = matchScheduledRound(purpose, this.roster.digest, this.roster.roster.schedule, this.now(), this.config.clockSkewSeconds, this.config.id, peerId);
    let claim: Claim;
    if (slot !== null) {
      const initiator = scheduledInitiator(purpose, this.config.id, peerId);
      if (initiator !== peerId) return refuse('not-initiator', `${peerId} is not the initiator of this slot's round; ${initiator} is`);
      claim = { origin: 'scheduled', slot: slot.start };
    } else {
      claim = { origin: 'ad-hoc', slot: null };
    }
    const quota = this.store.consumeQuota(purpose, peerId, claim.origin, policy);
    if (!quota.ok) return refuse(quota.reason, quota.detail);
    this.claims.set(key, claim);
    return { accept: true };
  }

  /** Called by the transport with an accepted session; must not block (the transport awaits it). */
  private onSession(session: Session): void {
    const key = hex(session.purpose);
    const claim = this.claims.get(key);
    const peer = this.roster.peers.find((m) => m.id === session.peerId);
    if (claim === undefined || peer === undefined) {
      void session.close('no claim for this round');
      return;
    }
    let record: RoundRecord;
    try {
      record = this.store.createRound({ roundId: session.purpose, peerId: peer.id, role: 'responder', origin: claim.origin, slot: claim.slot, mode: null });
    } finally {
      this.claims.delete(key);
    }
    void this.run(record, session, peer, null, this.roster).catch((error: unknown) => this.logger.error({ err: error, roundId: key }, 'responder round failed'));
  }

  // ---- one attempt --------------------------------------------------------------------------

  /**
   * Runs one attempt over an open session: the protocol in a worker thread, messages pumped both
   * ways with backpressure, every message recorded for the transcript, and the end committed once.
   */
  private run(record: RoundRecord, session: Session, peer: RosterMember, initiatorMode: RoundMode | null, roster: InstalledRoster): Promise<RoundRecord> {
    const log = this.logger.child({ roundId: hex(record.roundId), attempt: record.attempt, peer: peer.id, role: record.role });
    // The own set is read by the worker from the store, so the main thread never walks it.
    this.store.markRunning(record.row, null);
    this.metrics.roundsRunning.inc();
    const startedAt = this.now();
    let compute: RoundCompute | undefined;
    let release: ((healthy: boolean) => void) | undefined;
    let settled = false;
    let sendChain: Promise<void> = Promise.resolve();
    let sendFailure: Error | undefined;
    let resolveDone!: (record: RoundRecord) => void;
    const done = new Promise<RoundRecord>((resolve) => { resolveDone = resolve; });
    const roundTimer = this.timers.setTimeout(() => abort('timeout', `round not finished within ${this.config.roundTimeoutSeconds} s`), this.config.roundTimeoutSeconds * 1000);
    let reported = 0;

    const send = (messages: readonly Uint8Array[]): void => {
      // One transaction (one fsync) per batch: a burst of BLINDED chunks must not stall the admin endpoint.
      this.store.appendTranscript(record.row, messages.map((message) => ({ direction: 'sent' as const, message })));
      for (const message of messages) {
        this.metrics.roundBytes.inc({ direction: 'sent' }, message.length);
        this.metrics.roundMessages.inc({ direction: 'sent' });
        // After a failed send nothing more is sent; the reader still drains what the peer sent
        // before its close (often an ABORT with its reason) and then settles the attempt.
        sendChain = sendChain.then(() => (sendFailure === undefined ? session.send(message) : undefined)).catch((error: unknown) => {
          sendFailure ??= error as Error;
        });
      }
    };

    const settle = async (outcome: ComputeOutcome, extra: readonly Uint8Array[] = []): Promise<void> => {
      if (settled) return;
      settled = true;
      this.timers.clearTimeout(roundTimer);
      if (extra.length > 0) send(extra);
      // Let FINISH or ABORT reach the peer before the CLOSE frame; bounded so a stuck peer cannot hold us.
      await withTimeout(sendChain, 5000, this.timers);
      await withTimeout(session.close(outcome.status === 'aborted' ? `round aborted: ${outcome.reason}` : 'round finished').then(() => undefined, () => undefined), 5000, this.timers);
      if (compute !== undefined) {
        const healthy = compute.detach();
        release?.(healthy);
      }
      this.metrics.roundsRunning.dec();
      this.active.delete(record.row);
      const finished = this.finalize(record, outcome, startedAt, roster);
      log.info({ status: finished.status, reason: finished.reason, intersectionSize: finished.intersectionSize, peerSetSize: finished.peerSetSize, durationMs: this.now() - startedAt }, 'round attempt finished');
      resolveDone(finished);
    };

    /** Local decision to stop (timeout, shutdown): ABORT to the peer, the worker is ended. */
    const abort = (reason: string, detail: string): void => {
      if (settled) return;
      compute?.cancel(reason, detail);
      const message = encodeMessage({ kind: 'abort', roundId: record.roundId, reason: reason === 'shutdown' ? 'cancelled' : reason, detail: detail.slice(0, 200) });
      // The worker may be deep in a batch; it is ended rather than waited for.
      if (compute !== undefined) {
        compute.detach();
        release?.(false);
        compute = undefined;
      }
      void settle({ status: 'aborted', reason, detail, peerLogHead: null }, [message]);
    };

    const active: ActiveRound = { record, startedAt, processed: 0, total: 0, abort, done };
    this.active.set(record.row, active);

    let computeMode: RoundMode | undefined;
    const startCompute = async (mode: RoundMode, prestart: boolean): Promise<void> => {
      computeMode = mode;
      const pooled = await this.pool.acquire();
      release = pooled.release;
      if (settled) {
        release(true);
        return;
      }
      compute = new RoundCompute(pooled.worker, {
        onSend: (messages) => send(messages),
        onProgress: (processed, total) => {
          active.processed = processed;
          active.total = total;
          if (processed > reported) this.metrics.elementsProcessed.inc(processed - reported);
          reported = processed;
        },
        onOutcome: (outcome) => void settle(outcome),
      });
      const policy = policyFor(this.config, peer.id);
      const head = this.store.latestTreeHead();
      const job: ComputeJob = {
        role: record.role, roundId: record.roundId, rosterDigest: roster.digest, selfId: this.config.id, peerId: peer.id, mode,
        policy: { maxPeerSetSize: policy.maxPeerSetSize, modes: policy.modes, labelFields: policy.shareLabels },
        storePath: this.config.paths.store, signingKey: this.identity.secretKey, peerPublicKey: peer.identityKey,
        logHead: head === undefined ? null : { size: head.treeSize, root: head.root, timestamp: head.timestamp, signature: head.signature },
        prestart,
      };
      compute.start(job);
    };

    const pump = async (): Promise<void> => {
      if (initiatorMode !== null) {
        await startCompute(initiatorMode, false);
      } else {
        // Responder: blind the own set now, while the initiator blinds its own, instead of after
        // its OFFER arrives; the mode is the one a scheduled round would use.
        await startCompute(this.commonMode(peer) ?? policyFor(this.config, peer.id).modes[0] ?? 'intersection', true);
      }
      let first = true;
      try {
        for await (const bytes of session) {
          if (settled) break;
          this.store.appendTranscript(record.row, [{ direction: 'received', message: bytes }]);
          this.metrics.roundBytes.inc({ direction: 'received' }, bytes.length);
          this.metrics.roundMessages.inc({ direction: 'received' });
          if (first && record.role === 'responder') {
            // The initiator's OFFER names the mode. An allowed mode other than the one prepared
            // restarts the computation; a refused one is left to the protocol (ABORT policy-mismatch).
            const offered = offeredMode(bytes);
            if (offered !== null && offered !== computeMode && policyFor(this.config, peer.id).modes.includes(offered)) {
              if (compute !== undefined) {
                compute.detach();
                release?.(false);
                compute = undefined;
              }
              await startCompute(offered, false);
            }
          }
          first = false;
          if (settled) break;
          await compute?.receive(bytes);
        }
        if (!settled) {
          await settle(sendFailure === undefined
            ? { status: 'aborted', reason: 'connection-lost', detail: `${peer.id} closed the session before the round finished`, peerLogHead: null }
            : transportOutcome(sendFailure, 'sending to the peer failed'));
        }
      } catch (error) {
        if (!settled) await settle(transportOutcome(error, 'the session failed'));
      }
    };
    void pump().catch((error: unknown) => {
      log.error({ err: error }, 'round pump failed');
      void settle({ status: 'aborted', reason: 'internal-error', detail: (error as Error).message, peerLogHead: null });
    });
    return done;
  }

  /** Commits the attempt's end: row, matches, peer head and log leaf in one transaction; then a new signed head. */
  private finalize(record: RoundRecord, outcome: ComputeOutcome, startedAt: number | undefined, roster: InstalledRoster): RoundRecord {
    const peer = roster.peers.find((m) => m.id === record.peerId);
    let peerHead;
    if (outcome.peerLogHead !== null && peer !== undefined) {
      const head = { size: outcome.peerLogHead.size, root: outcome.peerLogHead.root, timestamp: outcome.peerLogHead.timestamp, signature: outcome.peerLogHead.signature };
      if (verifyTreeHead(head, peer.id, peer.identityKey)) {
        peerHead = { peerId: peer.id, treeSize: head.size, root: head.root, timestamp: head.timestamp, signature: head.signature };
      } else {
        this.logger.warn({ roundId: hex(record.roundId), peer: peer.id }, 'peer log head in OFFER does not verify; not stored');
      }
    }
    const initiatorId = record.role === 'initiator' ? this.config.id : record.peerId;
    const responderId = record.role === 'initiator' ? record.peerId : this.config.id;
    let finished: RoundRecord;
    if (outcome.status === 'aborted') {
      // Record the peer's own code when it aborted, so both logs name the same cause.
      const reason = kebab(outcome.peerReason ?? outcome.reason);
      const detail = outcome.peerReason === undefined ? outcome.detail : `aborted by ${record.peerId}: ${outcome.detail}`;
      finished = this.store.finishRound(record.row, {
        status: 'aborted', reason, detail, localSetSize: outcome.ownSetSize, peerSetSize: outcome.peerSetSize, peerHead,
        logLeaf: (row) => encodeRoundRecord({
          roundId: row.roundId, attempt: row.attempt, rosterDigest: roster.digest, slot: row.slot, initiatorId, responderId,
          status: 'aborted', reason, transcriptHash: new Uint8Array(0), initiatorClaim: null, responderClaim: null, timestamp: this.now(),
        }),
      });
    } else {
      const ownClaim = outcome.intersectionSize;
      const peerClaim = outcome.peerIntersectionSize;
      finished = this.store.finishRound(record.row, {
        status: outcome.status, mode: outcome.mode, localSetSize: outcome.ownSetSize, peerSetSize: outcome.peerSetSize, intersectionSize: ownClaim, peerClaimedSize: peerClaim,
        transcriptHash: outcome.transcriptHash, peerHead, reason: outcome.status === 'disputed' ? 'size-mismatch' : undefined,
        detail: outcome.status === 'disputed' ? `this node computed ${ownClaim}, ${record.peerId} claimed ${peerClaim}` : undefined,
        matches: outcome.matches.map((match) => ({ digest: match.digest, peerLabels: match.peerLabel })),
        logLeaf: (row) => encodeRoundRecord({
          roundId: row.roundId, attempt: row.attempt, rosterDigest: roster.digest, slot: row.slot, initiatorId, responderId,
          status: outcome.status, reason: outcome.status === 'disputed' ? 'size-mismatch' : '', transcriptHash: outcome.transcriptHash,
          initiatorClaim: record.role === 'initiator' ? ownClaim : peerClaim, responderClaim: record.role === 'initiator' ? peerClaim : ownClaim,
          timestamp: this.now(),
        }),
      });
    }
    this.signHead();
    this.metrics.rounds.inc({ peer: finished.peerId, status: finished.status, role: finished.role, origin: finished.origin });
    if (startedAt !== undefined) this.metrics.roundDuration.observe({ status: finished.status }, (this.now() - startedAt) / 1000);
    this.events.emit('final', hex(finished.roundId), finished);
    return finished;
  }

  private appendAbortLeaf(record: RoundRecord): void {
    // Rows aborted at start-up get their leaf here (abortUnfinished has no roster at hand).
    const initiatorId = record.role === 'initiator' ? this.config.id : record.peerId;
    const responderId = record.role === 'initiator' ? record.peerId : this.config.id;
    const leaf = encodeRoundRecord({
      roundId: record.roundId, attempt: record.attempt, rosterDigest: this.roster.digest, slot: record.slot, initiatorId, responderId,
      status: 'aborted', reason: record.reason ?? 'daemon-restart', transcriptHash: new Uint8Array(0), initiatorClaim: null, responderClaim: null,
      timestamp: record.finishedAt ?? this.now(),
    });
    this.store.db.transaction(() => {
      const { index } = this.store.log.append(leaf);
      this.store.db.prepare('INSERT INTO log_rounds (idx, round_row) VALUES (?, ?)').run(index, record.row);
    }).immediate();
  }

  private signHead(): void {
    const head = signTreeHead(this.store.log.treeHead(this.now()), this.config.id, this.identity.secretKey);
    this.store.saveTreeHead({ treeSize: head.size, root: head.root, timestamp: head.timestamp, signature: head.signature });
  }

  private signHeadIfBehind(): void {
    const latest = this.store.latestTreeHead();
    if (latest === undefined || latest.treeSize !== this.store.logSize()) this.signHead();
  }

  // ---- admin API ----------------------------------------------------------------------------

  private health(): AdminReply {
    return this.stopping
      ? { status: 503, body: { status: 'stopping', node: this.config.id } }
      : { status: 200, body: { status: 'ok', node: this.config.id, uptimeSeconds: Math.round((this.now() - this.startedAt) / 1000) } };
  }

  statusReport(): Record<string, unknown> {
    return {
      node: this.config.id,
      pid: process.pid,
      startedAt: new Date(this.startedAt).toISOString(),
      rosterDigest: hex(this.roster.digest),
      listen: `${this.server?.host ?? this.config.listen.host}:${this.listenPort}`,
      peersConnected: this.transportMetrics.sessionsOpen,
      nextSlot: this.nextSlotIso(),
      workers: { size: this.config.workers, busy: this.pool.active, queued: this.pool.queued },
      runningRounds: [...this.active.values()].map((round) => ({
        roundId: hex(round.record.roundId), attempt: round.record.attempt, peer: round.record.peerId, role: round.record.role,
        startedAt: new Date(round.startedAt).toISOString(), processed: round.processed, total: round.total,
      })),
    };
  }

  private async startAdHoc(request: { peer: unknown; mode: unknown }): Promise<AdminReply> {
    const peer = this.roster.peers.find((m) => m.id === request.peer);
    if (peer === undefined) {
      return { status: 400, body: { error: { code: 'unknown-peer', message: `"peer" expected one of ${this.roster.peers.map((m) => m.id).join(', ')}, got ${JSON.stringify(request.peer)}` } } };
    }
    const mode = request.mode ?? 'intersection';
    if (mode !== 'intersection' && mode !== 'cardinality') {
      return { status: 400, body: { error: { code: 'invalid-mode', message: `"mode" expected intersection or cardinality, got ${JSON.stringify(mode)}` } } };
    }
    if (this.stopping) return { status: 503, body: { error: { code: 'shutting-down', message: 'the node is shutting down' } } };
    const roundId = adHocRoundId(this.roster.digest, this.config.id, peer.id, this.rng(16));
    let settledStart = false;
    const started = this.initiate({ peer, roundId, origin: 'ad-hoc', slot: null, mode }).finally(() => { settledStart = true; });
    // Answer once the attempt is recorded (or refused), not when it ends. initiate() records the
    // attempt within a few ticks of being called, before dialing.
    const first = await Promise.race([started, new Promise<'recorded'>((resolve) => {
      const check = (): void => {
        if (this.store.attempts(roundId).length > 0) resolve('recorded');
        else if (!settledStart) setImmediate(check);
      };
      check();
    })]);
    if (first !== 'recorded' && 'refused' in first) {
      const status = first.refused === 'quota-exceeded' ? 429 : 409;
      return { status, body: { error: { code: first.refused, message: first.detail } } };
    }
    void started.catch((error: unknown) => this.logger.error({ err: error, roundId: hex(roundId) }, 'ad-hoc round failed'));
    return { status: 202, body: { roundId: hex(roundId), peer: peer.id, mode } };
  }

  private async roundStatus(id: string, waitMs: number): Promise<AdminReply> {
    const roundId = new Uint8Array(Buffer.from(id, 'hex'));
    const latest = (): RoundRecord | undefined => this.store.attempts(roundId).at(-1);
    let record = latest();
    if (record === undefined) return { status: 404, body: { error: { code: 'unknown-round', message: `no round ${id} on this node` } } };
    if (waitMs > 0 && (record.status === 'scheduled' || record.status === 'running')) {
      await new Promise<void>((resolve) => {
        const timer = this.timers.setTimeout(() => { this.events.off('final', onFinal); resolve(); }, waitMs);
        const onFinal = (finalId: string): void => {
          if (finalId !== id) return;
          this.timers.clearTimeout(timer);
          this.events.off('final', onFinal);
          resolve();
        };
        this.events.on('final', onFinal);
      });
      record = latest() ?? record;
    }
    const running = this.active.get(record.row);
    return {
      status: 200,
      body: {
        roundId: id, attempt: record.attempt, peer: record.peerId, role: record.role, origin: record.origin, mode: record.mode, status: record.status,
        reason: record.reason, detail: record.detail, localSetSize: record.localSetSize, peerSetSize: record.peerSetSize,
        intersectionSize: record.intersectionSize, peerClaimedSize: record.peerClaimedSize, matches: this.store.matchCount(record.row),
        transcriptHash: record.transcriptHash === null ? null : hex(record.transcriptHash),
        progress: running === undefined ? null : { processed: running.processed, total: running.total },
      },
    };
  }

  // ---- reload (SIGHUP) ----------------------------------------------------------------------

  /**
   * node.md §6.1: re-reads the configuration, the installed roster and the TLS files and applies
   * what can change under a running daemon. A file that does not check out changes nothing.
   * Running attempts keep the roster and keys they started with.
   */
  reload(trigger: string): AdminReply {
    if (this.stopping) return { status: 503, body: { error: { code: 'shutting-down', message: 'the node is shutting down' } } };
    let plan;
    try {
      plan = planReload({ config: this.config, roster: this.roster, tlsFingerprint: this.tlsFingerprint }, this.identity.publicKey, this.now(), tlsFingerprint);
      if (plan.tls !== null) this.server?.update({ tls: plan.tls });
    } catch (error) {
      const detail = error instanceof Error ? error.message : String(error);
      this.logger.warn({ signal: trigger, code: error instanceof VennError ? error.code : 'internal-error', detail }, 'reload refused');
      return { status: 400, body: { error: { code: error instanceof VennError ? error.code : 'internal-error', message: detail } } };
    }
    const previous = this.roster;
    this.config = plan.config;
    this.logger.level = plan.config.logLevel;
    if (plan.tls !== null) this.tlsFingerprint = tlsFingerprint(plan.config);
    if (plan.roster !== null) {
      this.roster = plan.roster;
      this.server?.update({ roster: plan.roster.roster });
      this.scheduler?.stop();
      this.scheduler = new Scheduler({
        schedule: plan.roster.roster.schedule, now: this.now, timers: this.timers,
        onSlot: (slot, catchUp) => this.onSlot(slot, catchUp),
        onError: (error, slot) => this.logger.error({ err: error, slot: new Date(slot.start * 1000).toISOString() }, 'slot handler failed'),
      });
      this.scheduler.start();
      this.metrics.knownPeers(plan.roster.peers.map((m) => m.id));
    }
    const fields = {
      signal: trigger, changed: plan.changed, needsRestart: plan.needsRestart, rosterDigest: hex(this.roster.digest),
      ...(plan.roster === null ? {} : { previousRosterDigest: hex(previous.digest), peers: plan.roster.peers.map((m) => m.id), nextSlot: this.nextSlotIso() }),
    };
    this.logger.info(fields, 'reloaded');
    return { status: 200, body: fields };
  }

  // ---- shutdown -----------------------------------------------------------------------------

  /**
   * Graceful stop (SIGTERM): no new rounds; running ones are aborted with an ABORT to the peer and
   * recorded as aborted (reason "shutdown"); then listeners close and the store is closed cleanly.
   */
  stop(reason = 'shutdown'): Promise<void> {
    this.stopped ??= (async () => {
      this.stopping = true;
      this.logger.info({ reason, running: this.active.size }, 'venn node stopping');
      this.scheduler?.stop();
      this.retention?.stop();
      for (const handle of this.retries) this.timers.clearTimeout(handle);
      this.retries.clear();
      const running = [...this.active.values()];
      for (const round of running) round.abort('shutdown', 'the node is shutting down');
      await Promise.all(running.map((round) => round.done));
      await this.server?.close().catch(() => undefined);
      await this.admin?.close().catch(() => undefined);
      await this.pool.close();
      if (this.store.db.open) this.signHeadIfBehind();
      this.store.close();
      this.lock?.release();
      this.identity.secretKey.fill(0);
      this.logger.info({ reason }, 'venn node stopped');
    })();
    return this.stopped;
  }
}

/** The listener's certificate and key files as they are now, to notice a renewal on reload. */
function tlsFingerprint(config: NodeConfig): TlsFingerprint {
  if (config.tls.server === null) return null;
  try {
    return createHash('sha256').update(readFileSync(config.tls.server.certFile)).update(readFileSync(config.tls.server.keyFile)).digest('hex');
  } catch {
    return null;
  }
}

function kebab(reason: string): string {
  const cleaned = reason.toLowerCase().replace(/[^a-z0-9-]+/g, '-').replace(/^-+|-+$/g, '').slice(0, 63);
  return cleaned === '' ? 'unknown' : cleaned;
}

/** The mode named by an OFFER, if these bytes are one. */
function offeredMode(bytes: Uint8Array): RoundMode | null {
  try {
    const message = decodeMessage(bytes);
    return message.kind === 'offer' ? message.mode : null;
  } catch {
    return null; // the protocol will reject the bytes with a typed reason
  }
}

/** Maps a failed dial to a round abort reason: the responder's refusal code when it refused. */
function connectFailure(error: unknown): { reason: string; detail: string } {
  if (error instanceof SessionError) {
    // The responder's own refusal code travels in its authenticated CLOSE and is the error's code.
    if (error.reason === 'purpose-refused' && error.by === 'peer') return { reason: kebab(error.code), detail: `refused by peer: ${error.detail === '' ? error.code : error.detail}` };
    if (UNREACHABLE.has(error.reason)) return { reason: 'peer-unreachable', detail: error.message };
    if (error.reason === 'tls-failed') return { reason: 'tls-failed', detail: `${error.message}; this node's trust anchors are set by tls.caFile and tls.systemCa` };
    return { reason: kebab(error.code), detail: error.message };
  }
  if (error instanceof VennError) return { reason: kebab(error.code), detail: error.message };
  return { reason: 'peer-unreachable', detail: (error as Error).message };
}

function transportOutcome(error: unknown, context: string): ComputeOutcome {
  const code = error instanceof VennError ? error.code : 'connection-lost';
  const detail = `${context}: ${(error as Error).message}`;
  return { status: 'aborted', reason: code === 'normal' ? 'connection-lost' : kebab(code), detail, peerLogHead: null };
}

function withTimeout(promise: Promise<unknown>, ms: number, timers: Timers): Promise<void> {
  return new Promise((resolve) => {
    const handle = timers.setTimeout(resolve, ms);
    void promise.then(() => undefined, () => undefined).then(() => {
      timers.clearTimeout(handle);
      resolve();
    });
  });
}

export type { WireLogHead };
