/**
 * The matching node daemon: transport listener, slot scheduler, round runner, admin endpoint.
 * One instance per node directory; `venn start` runs it in the foreground.
 */
import { EventEmitter } from 'node:events';
import { X509Certificate, createHash, randomBytes, randomInt } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { signTreeHead } from '@venn/audit';
import { ready as cryptoReady } from '@venn/crypto';
import { VennError } from '@venn/errors';
import {
  SessionError, TransportMetrics, connect, createServer, type PurposeDecision, type RosterMember, type Session, type TransportServer,
} from '@venn/transport';
import { MAX_FRAME_BYTES } from '@venn/wire';
import { loadAdminToken } from './admin-client.js';
import { RefusalLog } from './refusal-log.js';
import { Attempt, abortAfterRestart, finishAttempt, isStorageFault, kebab, type AttemptEpoch, type AttemptHost } from './attempt.js';
import { Checkpointer } from './checkpointer.js';
import { epochRoundId } from './epoch-ids.js';
import { EpochManager, type EpochAdmission, type EpochRoundPlan } from './epoch-manager.js';
import { EPOCH_SLICE, type EpochRecord, type EpochRoundInfo, type EpochRoundKind } from './epoch-store.js';
import { startAdminServer, type AdminReply, type AdminServer } from './admin-server.js';
import { systemTimers, type TimerHandle, type Timers } from './clock.js';
import { hex } from './command.js';
import { createConsole, type AnalystConsole } from './console/console.js';
import { CONFIG_FILE, ConfigError, dialTls, loadConfig, policyFor, tlsRosterIssues, type NodeConfig, type PeerPolicy, type RoundMode } from './config.js';
import { PASSPHRASE_ENV, loadKeyFile, type Identity } from './keyfile.js';
import { hygieneFor } from './hygiene.js';
import { listRequestReply, retentionOverrides } from './list-writer.js';
import { staleListsDetail } from './list-store.js';
import { createLogger, type Logger, type LogFormat } from './logger.js';
import { NodeMetrics } from './metrics.js';
import { NodeLock } from './node-lock.js';
import { peerReports, type PeerReport } from './peer-report.js';
import { checkWatermark, readWatermark, watermarkPath, writeWatermark } from './log-watermark.js';
import { planReload, rosterChanges, type TlsFingerprint } from './reload.js';
import { startRetention, type Retention } from './retention.js';
import { checkScheduleQuota, nodeQuotaHolders } from './schedule-quota.js';
import { loadInstalledRoster, type InstalledRoster } from './roster.js';
import type { WireLogHead } from './round-compute.js';
import { adHocRoundId, backoffDelayMs, matchScheduledRound, scheduledInitiator, scheduledRoundId, scheduledSlotNear, type Slot } from './schedule.js';
import { Scheduler } from './scheduler.js';
import { openCheckedStore } from './store-integrity.js';
import type { RoundOrigin, RoundRecord, Store } from './store.js';
import { WorkerPool } from './worker-pool.js';
import { MainThreadMonitor } from './main-thread-monitor.js';
import type { DestinationStream } from 'pino';

/**
 * What a look at a peer's key epoch did (node.md §10.3): dialed the epoch's next round (this node
 * initiates it), nudged the initiator to run it, left it for when the round being settled with
 * the peer has settled, or nothing (no changes to carry, or no epoch allowed with the peer).
 */
export type EpochLook =
  | { readonly action: 'round'; readonly epochId: string; readonly index: number; readonly kind: EpochRoundKind; readonly roundId: string }
  | { readonly action: 'nudge'; readonly epochId: string; readonly index: number; readonly roundId: string }
  | { readonly action: 'pending' }
  | { readonly action: 'none' };

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
  /**
   * The identifier rules string sent in OFFERs (identifiers.md §13); derived from the installed
   * code, roster and config unless given (tests of two nodes on different rules).
   */
  readonly identifierRules?: string;
  /** JSON lines (the default) or pino-pretty's coloured text for terminals. */
  readonly logFormat?: LogFormat;
}

/** Reasons after which the initiator tries the slot's round again (fresh keys, new attempt). */
const RETRYABLE = new Set([
  'daemon-restart', 'peer-unreachable', 'connection-lost', 'timeout', 'round-in-progress', 'heartbeat-timeout', 'idle-timeout',
  'handshake-timeout', 'internal-error', 'shutdown', 'shutting-down', 'too-many-sessions', 'too-many-unauthenticated', 'cancelled',
  // A certificate may be renewed within the window; each retry backs off.
  'tls-failed',
  // Something other than the node answered the dial (a proxy whose node restarts); retried as it was when counted unreachable.
  'handshake-malformed',
]);

interface Claim {
  readonly origin: RoundOrigin;
  readonly slot: number | null;
  /** A round of a key epoch this node accepted as responder (node.md §10.5). */
  readonly epoch?: EpochRoundPlan;
}

/** How long before expiry the start-up log warns about the listener's certificate. */
const CERTIFICATE_RENEWAL_MS = 14 * 86_400_000;
/** How soon a signed tree head the disk refused is signed again. */
const HEAD_RETRY_MS = 5000;

/**
 * Transport close reasons of a dial that mean the peer could not be reached at all: nothing
 * answered the upgrade, the connection dropped, or no handshake finished in time. An answer that
 * is not a Venn handshake (`handshake-malformed`) keeps its own reason.
 */
const UNREACHABLE = new Set(['connect-failed', 'connection-lost', 'handshake-timeout']);

export class Daemon implements AttemptHost {
  /** Replaced by reload(); a running attempt keeps what it started with. */
  config: NodeConfig;
  readonly store: Store;
  readonly logger: Logger;
  readonly metrics: NodeMetrics;
  /** What holds the main thread: its own work, a wait for a CPU or a blocking system call (GET /metrics). */
  private readonly mainThread = new MainThreadMonitor();
  roster: InstalledRoster;
  readonly identity: Identity;
  private lock: NodeLock | undefined;
  private retention: Retention | undefined;
  /** node.md §2: WAL checkpoints run on their own thread, not inside the daemon's commits. */
  private checkpointer: Checkpointer | undefined;
  /** node.md §5.4: refusals, recorded without waiting for the store's write lock. */
  private readonly refusals: RefusalLog;
  private tlsFingerprint: TlsFingerprint = null;
  readonly now: () => number;
  readonly timers: Timers;
  private readonly random: () => number;
  private readonly rng: (n: number) => Uint8Array;
  readonly pool: WorkerPool;
  private readonly transportMetrics = new TransportMetrics();
  readonly events = new EventEmitter();
  /**
   * identifiers.md §13: the identifier rules string this node sends in its OFFERs: the rules in
   * force (installed code and roster), read again when a reload installs a new roster.
   */
  identifierRules: string;
  /** Rules given by the caller (tests of two nodes on different rules): kept across reloads. */
  private readonly fixedRules: boolean;
  private readonly active = new Map<number, Attempt>();
  private readonly claims = new Map<string, Claim>();
  private readonly retries = new Set<TimerHandle>();
  /** Dials under way; each settles once its attempt is running or recorded aborted (stop() waits for them). */
  private readonly dialing = new Set<Promise<void>>();
  private scheduler: Scheduler | undefined;
  /** Key epochs (node.md §10): null until boot, and when the roster sets none they stay idle. */
  private epochs: EpochManager | undefined;
  private epochTimer: TimerHandle | undefined;
  /** The next slice of ended epochs' state to delete (node.md §10.4), while some is left. */
  private epochPurge: TimerHandle | undefined;
  /** Peers with an epoch round or a nudge in flight from this node. */
  private readonly epochBusy = new Set<string>();
  /** Peers whose epoch wants another look once the step in flight ends. */
  /** Peers whose epoch step came while a round with them was settling: true when only eager steps came. */
  private readonly epochPending = new Map<string, boolean>();
  private server: TransportServer | undefined;
  private admin: AdminServer | undefined;
  private console: AnalystConsole | undefined;
  private stopping = false;
  /** A signed head the disk refused is signed again (signHead). */
  private headRetry: TimerHandle | undefined;
  private stopped: Promise<void> | undefined;
  readonly startedAt: number;
  private readonly adminToken: string;

  private constructor(config: NodeConfig, store: Store, identity: Identity, roster: InstalledRoster, logger: Logger, options: DaemonOptions, adminToken: string) {
    this.adminToken = adminToken;
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
    this.refusals = new RefusalLog(store, this.timers, logger.child({ component: 'refusals' }), this.now);
    this.identifierRules = options.identifierRules ?? hygieneFor(config).rules;
    this.fixedRules = options.identifierRules !== undefined;
    this.pool = new WorkerPool(config.workers, undefined, config.workerNice);
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
    const adminToken = loadAdminToken(config.paths.adminToken);
    const roster = loadInstalledRoster(config, identity.publicKey);
    const tlsIssues = tlsRosterIssues(config.tls, roster.self, roster.peers);
    if (tlsIssues.length > 0) throw new ConfigError(join(options.dir, CONFIG_FILE), tlsIssues);
    checkScheduleQuota(roster.roster.schedule, nodeQuotaHolders(roster.self, roster.peers, (peer) => policyFor(config, peer)), now());
    // node.md §1.4: the directory is this process's before the store is opened or recovered.
    const lock = NodeLock.acquire(options.dir, 'start');
    let store: Store;
    try {
      // node.md §2.2: a damaged store, or one whose log lacks heads this node signed, is refused.
      store = openCheckedStore(config.paths.store, { now });
    } catch (error) {
      lock.release();
      throw error;
    }
    try {
      checkWatermark(store, readWatermark(watermarkPath(config.paths.dir)), watermarkPath(config.paths.dir));
    } catch (error) {
      store.close();
      lock.release();
      throw error;
    }
    const daemon = new Daemon(config, store, identity, roster, logger, options, adminToken);
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
    for (const unfinished of this.store.unfinishedRounds()) {
      const record = abortAfterRestart(this, unfinished);
      logger.warn({ roundId: hex(record.roundId), attempt: record.attempt, peer: record.peerId, reason: 'daemon-restart' }, 'round left open by a previous run marked aborted');
    }
    this.signHeadIfBehind();
    // node.md §10.6: open key epochs resume if their keys open, or end.
    this.epochs = await EpochManager.open({
      store: this.store, logger, now: this.now, rng: this.rng, config: () => this.config, roster: () => this.roster,
    }, join(config.paths.dir, 'epoch-keys'), this.identity.secretKey);
    this.epochs.onEnded = () => this.purgeEndedEpochs();
    this.epochs.boot();
    // What a previous process left of ended epochs' state is purged too.
    this.purgeEndedEpochs();
    this.metrics.attachTransport({ sessionsOpen: () => this.transportMetrics.sessionsOpen, closes: () => this.transportMetrics.snapshot().closes });
    this.metrics.attachPeers(() => this.peerReports());
    this.metrics.attachStore(this.store);
    this.metrics.knownPeers(this.roster.peers.map((m) => m.id));
    if (this.mainThread.start()) this.metrics.attachMainThread(this.mainThread);
    this.retention = startRetention({ store: this.store, now: this.now, timers: this.timers, logger, overrides: () => retentionOverrides(this.config) });
    this.checkpointer = await Checkpointer.start(this.store, config.paths.store, logger.child({ component: 'checkpoint' }), undefined, config.workerNice).catch(() => undefined);
    const checkpointer = this.checkpointer;
    if (checkpointer !== undefined) this.metrics.attachListCounter(() => checkpointer.countLists());
    this.tlsFingerprint = tlsFingerprint(config);

    this.console = createConsole({
      config, roster: this.roster, store: this.store, token: this.adminToken, publicKey: this.identity.publicKey, now: this.now, rng: this.rng, timers: this.timers, logger,
      statusReport: () => this.statusReport(),
      onRoundFinished: (listener) => {
        const onFinal = (_id: string, round: RoundRecord): void => listener(round);
        this.events.on('final', onFinal);
        return () => this.events.off('final', onFinal);
      },
    });
    this.admin = await startAdminServer({
      host: config.admin.host, port: config.admin.port, token: this.adminToken, allowedHosts: config.admin.allowedHosts, mounts: [this.console], metrics: this.metrics, logger,
      handlers: {
        health: () => this.health(),
        status: () => this.statusReport(),
        startRound: (request) => this.startAdHoc(request),
        roundStatus: (id, waitMs) => this.roundStatus(id, waitMs),
        peers: () => ({ status: 200, body: { peers: this.peerReports() } }),
        clearPeer: (peerId, by) => this.clearPeer(peerId, by),
        lists: (request) => {
          const reply = listRequestReply(this.store, request, { logger: this.logger.child({ component: 'lists' }), overrides: retentionOverrides(this.config), rules: this.identifierRules });
          this.metrics.listsChanged();
          return reply;
        },
        reload: () => this.reload('admin'),
        epochLook: (request) => this.lookAtEpochs(request),
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
    // node.md §10.3: an epoch starts (or resumes its rounds) right away, then on every tick.
    if (this.epochs.enabled) this.timers.setTimeout(() => { for (const peer of this.roster.peers) this.runEpochAction(peer, false); }, 0);
    this.scheduleEpochTick();
    this.checkCertificateDates();
    this.warnStaleLists();
    logger.info({
      listen: `${this.server.host}:${this.server.port}`, tls: config.tls.server !== null, endpoint: this.roster.self.endpoint,
      admin: `${this.admin.host}:${this.admin.port}`, rosterDigest: hex(this.roster.digest),
      peers: this.roster.peers.map((m) => m.id), nextSlot: this.nextSlotIso(), identifierRules: this.identifierRules,
    }, 'venn node started');
  }

  /**
   * node.md §2.1: lists ingested under other identifier rules than those in force (after an
   * upgrade or a roster change) hold no round until they are ingested again; say so at start.
   */
  private warnStaleLists(): void {
    const stale = this.store.staleLists(this.identifierRules);
    if (stale.length > 0) {
      this.logger.warn({ code: 'identifier-rules-stale', lists: stale, identifierRules: this.identifierRules, detail: staleListsDetail(stale, this.identifierRules) }, 'lists built under other identifier rules: no round runs until they are ingested again');
    }
  }

  /**
   * identifiers.md §13, node.md §2.1: a round never runs over a list built under other rules than
   * the ones this node advertises. `detail` names the lists (for this node's log and operator);
   * `peerDetail` is what the peer is told, without them.
   */
  private staleRefusal(): { code: string; detail: string; peerDetail: string } | null {
    const stale = this.store.staleLists(this.identifierRules);
    if (stale.length === 0) return null;
    return {
      code: 'identifier-rules-stale', detail: staleListsDetail(stale, this.identifierRules),
      peerDetail: `this node holds lists not yet ingested again under the identifier rules it advertises (${this.identifierRules}); it runs no round until its operator re-ingests them`,
    };
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
    // node.md §10.1: with key epochs, pairs run epochs instead of the cron's rounds.
    if (this.epochs?.enabled === true) return;
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
   * when the round is already done or running, has no attempts left, the peer is suspended, the
   * quota is used up, the budget is spent, or no mode is shared (node.md §5.1).
   */
  async initiate(params: { peer: RosterMember; roundId: Uint8Array; origin: RoundOrigin; slot: number | null; mode: RoundMode | null; epoch?: EpochRoundPlan }): Promise<RoundRecord | { refused: string; detail: string }> {
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
    const stale = this.staleRefusal();
    if (stale !== null) return refuse(stale.code, stale.detail);
    if (this.store.isActive(roundId) || this.claims.has(hex(roundId))) return refuse('round-in-progress', 'an attempt of this round is running');
    const policy = policyFor(this.config, peer.id);
    const admission = this.admissionRefusal(peer.id, roundId, policy);
    if (admission !== null) return refuse(admission.code, admission.detail);
    const mode = params.mode ?? this.commonMode(peer);
    if (mode === null) return refuse('policy-mismatch', `no mode allowed by both this node's policy for ${peer.id} and ${peer.id}'s roster policy`);
    if (!policy.modes.includes(mode)) return refuse('policy-mismatch', `mode ${mode} is not allowed for ${peer.id} by this node's policy`);
    // node.md §5.1: with nothing left to evaluate for the peer, dialing would only be refused at OFFER.
    const allowance = this.store.allowanceFor(peer.id, roundId, policy);
    if (allowance === 0 && params.epoch === undefined && this.store.distinctDigestCount() > 0) {
      return refuse('budget-exceeded', `the evaluation budget for ${peer.id} is spent: ${this.budgetDetail(peer.id, roundId)}`);
    }
    // node.md §10.5: epoch rounds count against the epoch quotas, not against maxRoundsPerDay.
    let counted: string | null = null;
    if (params.epoch === undefined) {
      const quota = this.store.consumeQuota(roundId, peer.id, origin, policy);
      if (!quota.ok) return refuse(quota.reason, quota.detail);
      if (quota.counted) counted = quota.day;
    } else if (this.epochs!.epochs.roundsSince(peer.id, this.now() - 86_400_000) >= policy.maxEpochRoundsPerDay) {
      return refuse('quota-exceeded', `"maxEpochRoundsPerDay" for ${peer.id} expected at most ${policy.maxEpochRoundsPerDay} epoch rounds in 24 hours`);
    }

    const record = this.store.createRound({ roundId, peerId: peer.id, role: 'initiator', origin, slot, mode, budget: policy });
    if (params.epoch !== undefined) this.epochs!.epochs.recordEpochRound(record.row, params.epoch.epoch.row, params.epoch.index, params.epoch.kind);
    const attemptLog = log.child({ attempt: record.attempt });
    attemptLog.info({ mode, slot: slot === null ? null : new Date(slot * 1000).toISOString(), allowance: record.allowance }, 'round attempt starting');
    // The roster endpoint's scheme decides: wss:// is dialed with this node's trust anchors, ws:// in the clear.
    const tls = dialTls(this.config.tls, peer.endpoint);
    let session: Session;
    let dialed!: () => void;
    const dial = new Promise<void>((resolve) => { dialed = resolve; });
    this.dialing.add(dial);
    try {
      session = await connect({
        roster: roster.roster, identity: { id: this.config.id, secretKey: this.identity.secretKey }, peerId: peer.id, purpose: roundId,
        ...(tls === undefined ? {} : { tls }),
        limits: { maxMessageBytes: MAX_FRAME_BYTES }, logger: this.logger.child({ component: 'transport', roundId: hex(roundId), attempt: record.attempt }), metrics: this.transportMetrics,
        timers: this.timers, now: this.now, rng: this.rng,
      });
    } catch (error) {
      const { reason, detail } = connectFailure(error);
      // node.md §5.1 step 10: a dial that opened no session is not one of the day's rounds.
      if (counted !== null) this.store.releaseQuota(roundId, peer.id, origin, counted);
      this.metrics.dialFailures.inc({ peer: peer.id, reason });
      attemptLog.warn({ reason, detail }, 'could not open a session with the peer');
      // node.md §6: an unreachable peer never spoke; the attempt is this node's giving up.
      const endedBy = reason === 'peer-unreachable' ? 'self' : 'peer';
      const finished = finishAttempt(this, record, { status: 'aborted', reason, detail, peerLogHead: null, endedBy }, undefined, undefined, roster);
      this.scheduleRetry(finished, peer);
      return finished;
    } finally {
      this.dialing.delete(dial);
      dialed();
    }
    if (this.stopping) {
      // node.md §6: a session that opened while the node was stopping carries no round.
      void session.close('the node is shutting down').catch(() => undefined);
      return finishAttempt(this, record, { status: 'aborted', reason: 'shutdown', detail: 'the node is shutting down', peerLogHead: null });
    }
    const epoch: AttemptEpoch | undefined = params.epoch === undefined ? undefined : { plan: params.epoch, manager: this.epochs! };
    const finished = await this.runAttempt(record, session, peer, mode, roster, epoch);
    this.scheduleRetry(finished, peer);
    return finished;
  }

  /**
   * node.md §5.1 steps 5–6, shared by both roles: the round id has attempts left and the peer is
   * not suspended. Null when admitted.
   */
  private admissionRefusal(peerId: string, roundId: Uint8Array, policy: PeerPolicy): { code: string; detail: string } | null {
    const attempts = this.store.attemptCount(roundId);
    if (attempts >= policy.maxAttemptsPerRound) {
      return { code: 'attempts-exhausted', detail: `round ${hex(roundId)} had ${attempts} attempts here; "maxAttemptsPerRound" for ${peerId} is ${policy.maxAttemptsPerRound}` };
    }
    const suspension = this.store.openSuspension(peerId);
    if (suspension !== undefined) {
      return { code: 'peer-suspended', detail: `${peerId} is suspended since ${new Date(suspension.suspendedAt).toISOString()} after ${suspension.abandonments} abandoned rounds; an operator clears it with "venn peers clear ${peerId}"` };
    }
    return null;
  }

  private budgetDetail(peerId: string, roundId: Uint8Array): string {
    const policy = policyFor(this.config, peerId);
    const usage = this.store.budgetUsage(peerId);
    return `${usage.used} of "maxEvaluationsPerDay" ${policy.maxEvaluationsPerDay} used in the last 24 hours, ${this.store.roundEvaluations(roundId)} of "maxEvaluationsPerRound" ${policy.maxEvaluationsPerRound} on this round id`;
  }

  // ---- responder ----------------------------------------------------------------------------

  /**
   * node.md §5.1: the responder accepts a round id only if it names a current slot of this pair
   * (within the clock-skew tolerance) or fits the ad-hoc quota, has attempts left, and the peer is
   * not suspended; never one that already completed. Every refusal is recorded (node.md §5.4).
   */
  private acceptPurpose(peerId: string, purpose: Uint8Array): PurposeDecision {
    const refuse = (code: string, detail: string, peerDetail = detail): PurposeDecision => {
      this.metrics.roundRefusals.inc({ reason: code });
      this.logger.warn({ roundId: purpose.length === 32 ? hex(purpose) : null, peer: peerId, role: 'responder', reason: code, detail }, 'round refused');
      if (this.store.db.open) this.refusals.record(peerId, purpose, code, detail);
      return { accept: false, code, detail: peerDetail };
    };
    if (this.stopping) return refuse('shutting-down', 'the node is shutting down');
    if (purpose.length !== 32) return refuse('round-mismatch', `round id expected 32 bytes, got ${purpose.length}`);
    // node.md §10.5: the round ids and nudges of key epochs come first.
    const epochAdmission = this.epochs?.recognize(peerId, purpose);
    if (epochAdmission?.kind === 'nudge') return this.onNudge(peerId, epochAdmission.index);
    if (epochAdmission?.kind === 'refuse') return refuse(epochAdmission.code, epochAdmission.detail);
    const key = hex(purpose);
    if (this.store.isFinalized(purpose)) return refuse('round-replayed', `round ${key} already completed here; a round id never runs twice`);
    if (this.store.isActive(purpose) || this.claims.has(key)) return refuse('round-in-progress', `an attempt of round ${key} is already running here`);
    const stale = this.staleRefusal();
    if (stale !== null) return refuse(stale.code, stale.detail, stale.peerDetail);
    const policy = policyFor(this.config, peerId);
    const admission = this.admissionRefusal(peerId, purpose, policy);
    if (admission !== null) return refuse(admission.code, admission.detail);
    if (policy.modes.length === 0) return refuse('policy-mismatch', `this node's policy allows no mode for ${peerId}`);
    if (epochAdmission !== undefined) return this.acceptEpochRound(key, epochAdmission);
    const slot = matchScheduledRound(purpose, this.roster.digest, this.roster.roster.schedule, this.now(), this.config.clockSkewSeconds, this.config.id, peerId);
    let claim: Claim;
    if (slot !== null) {
      const initiator = scheduledInitiator(purpose, this.config.id, peerId);
      if (initiator !== peerId) return refuse('not-initiator', `${peerId} is not the initiator of this slot's round; ${initiator} is`);
      claim = { origin: 'scheduled', slot: slot.start };
    } else if (scheduledSlotNear(purpose, this.roster.digest, this.roster.roster.schedule, this.now(), this.config.id, peerId) !== null) {
      // node.md §5.1 step 8: taken as ad-hoc, it would be logged without its slot while the initiator logs one.
      return refuse('slot-not-open', `round ${key} is this pair's scheduled round of a slot whose window is not open on this node's clock (${new Date(this.now()).toISOString()}, "clockSkewSeconds" ${this.config.clockSkewSeconds}): one of the two clocks is off`);
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
    if (this.stopping) {
      // Accepted just before the stop began: no attempt is recorded for a round that cannot run.
      this.claims.delete(key);
      void session.close('the node is shutting down').catch(() => undefined);
      return;
    }
    let record: RoundRecord;
    try {
      // node.md §5.1: the attempt and its reserved allowance are recorded before any round message.
      record = this.store.createRound({ roundId: session.purpose, peerId: peer.id, role: 'responder', origin: claim.origin, slot: claim.slot, mode: claim.epoch === undefined ? null : 'intersection', budget: policyFor(this.config, peer.id) });
      if (claim.epoch !== undefined) this.epochs!.epochs.recordEpochRound(record.row, claim.epoch.epoch.row, claim.epoch.index, claim.epoch.kind);
    } finally {
      this.claims.delete(key);
    }
    // A scheduled round runs the mode both derive from the roster; an ad-hoc one the mode offered (SPEC §4.1); an epoch's, intersection (SPEC §13.1).
    const mode = claim.epoch !== undefined ? 'intersection' : claim.origin === 'scheduled' ? this.commonMode(peer) : null;
    const epoch: AttemptEpoch | undefined = claim.epoch === undefined ? undefined : { plan: claim.epoch, manager: this.epochs! };
    if (epoch !== undefined) this.epochBusy.add(peer.id);
    void this.runAttempt(record, session, peer, mode, this.roster, epoch).catch((error: unknown) => this.logger.error({ err: error, roundId: key }, 'responder round failed'))
      .finally(() => {
        if (epoch === undefined) return;
        this.epochBusy.delete(peer.id);
        this.runPendingEpochAction(peer);
      });
  }

  // ---- key epochs (node.md §10) ---------------------------------------------------------------

  /**
   * node.md §10.4: the state of ended epochs is deleted EPOCH_SLICE rows per transaction, one
   * slice per turn of the event loop, so an epoch of 2^20 elements ending (a peer can make it end,
   * §10.5) never holds this thread for long. A slice the disk refuses is tried again later.
   */
  private purgeEndedEpochs(delayMs = 0): void {
    if (this.stopping || this.epochPurge !== undefined || this.epochs === undefined) return;
    this.epochPurge = this.timers.setTimeout(() => {
      this.epochPurge = undefined;
      if (this.stopping || this.epochs === undefined) return;
      let deleted: number;
      try {
        deleted = this.epochs.epochs.purgeEnded(EPOCH_SLICE);
      } catch (error) {
        this.logger.error({ err: error }, 'deleting the state of ended key epochs failed; trying again in a minute');
        this.purgeEndedEpochs(60_000);
        return;
      }
      if (deleted >= EPOCH_SLICE) this.purgeEndedEpochs();
      else if (deleted > 0) this.logger.info('the state of ended key epochs is deleted');
    }, delayMs);
  }

  /** node.md §10.3: epoch ticks fall every incrementalMinutes from the epoch slot's start. */
  private scheduleEpochTick(): void {
    if (this.stopping || this.epochs === undefined || !this.epochs.enabled) return;
    const interval = this.epochs.intervalMs;
    const now = this.now();
    const next = Math.floor(now / interval) * interval + interval;
    this.epochTimer = this.timers.setTimeout(() => {
      this.epochTimer = undefined;
      for (const peer of this.roster.peers) this.runEpochAction(peer, false);
      this.scheduleEpochTick();
    }, Math.max(0, next - now));
  }

  /** The open key epoch with the peer, if any (node.md §10.4). */
  epochState(peerId: string): EpochRecord | undefined {
    return this.epochs?.epochs.openEpoch(peerId);
  }

  /** What an attempt was in its epoch, if it was a round of one. */
  epochRoundInfo(row: number): EpochRoundInfo | undefined {
    return this.epochs?.epochs.epochRoundOf(row);
  }

  /**
   * node.md §10.3: an operator's look (`POST /v1/epochs/look`, `venn epochs look`): each peer, or
   * the one named, looked at now exactly as at an interval tick.
   */
  private lookAtEpochs(request: { peer: unknown }): AdminReply {
    if (this.stopping) return { status: 503, body: { error: { code: 'shutting-down', message: 'the node is shutting down' } } };
    if (this.epochs === undefined || !this.epochs.enabled) {
      return { status: 409, body: { error: { code: 'key-epochs-off', message: 'the installed roster sets no key epochs (schedule.epochDays and incrementalMinutes, roster.md §1); its pairs run the cron\'s rounds' } } };
    }
    let peers = this.roster.peers;
    if (request.peer !== undefined && request.peer !== null) {
      const peer = peers.find((m) => m.id === request.peer);
      if (peer === undefined) {
        return { status: 400, body: { error: { code: 'unknown-peer', message: `"peer" expected one of ${peers.map((m) => m.id).join(', ')}, got ${JSON.stringify(request.peer)}` } } };
      }
      peers = [peer];
    }
    const looks = peers.map((peer) => ({ peer: peer.id, ...this.runEpochAction(peer, false) }));
    this.logger.info({ looks }, 'key epochs looked at on request');
    return { status: 200, body: { looks } };
  }

  /**
   * Runs what the epoch with `peer` needs now: its next round as initiator, or a nudge; says what
   * it did (`pending`: a round with the peer is still being settled, and the look is taken once it
   * has; `none`: nothing to do).
   */
  private runEpochAction(peer: RosterMember, eager: boolean): EpochLook {
    if (this.stopping || this.epochs === undefined || !this.epochs.enabled) return { action: 'none' };
    if (this.epochBusy.has(peer.id)) {
      // A round that just ended is still being settled: look again once it is. A tick is kept as
      // a tick (not folded into an eager step), so an epoch's end or a nudge due at it is not lost.
      const pending = this.epochPending.get(peer.id);
      this.epochPending.set(peer.id, (pending ?? true) && eager);
      return { action: 'pending' };
    }
    let action;
    try {
      action = this.epochs.actionFor(peer, eager);
    } catch (error) {
      this.logger.error({ err: error, peer: peer.id }, 'key epoch step failed');
      return { action: 'none' };
    }
    if (action === undefined) return { action: 'none' };
    this.epochBusy.add(peer.id);
    const done = (): void => {
      this.epochBusy.delete(peer.id);
      this.runPendingEpochAction(peer);
    };
    if (action.kind === 'round') {
      const plan = action.plan;
      void this.initiate({ peer, roundId: plan.roundId, origin: 'scheduled', slot: null, mode: 'intersection', epoch: plan })
        .then((result) => {
          // A round this node could not even try (no attempts left, say) ends the epoch as a failed one would.
          if ('refused' in result) this.epochs?.refused(plan, result.refused, result.detail);
        })
        .catch((error: unknown) => this.logger.error({ err: error, peer: peer.id }, 'epoch round failed to start'))
        .finally(done);
      return { action: 'round', epochId: hex(plan.epoch.epochId), index: plan.index, kind: plan.kind, roundId: hex(plan.roundId) };
    }
    void this.dialNudge(peer, action.purpose).finally(done);
    return { action: 'nudge', epochId: hex(action.epochId), index: action.index, roundId: hex(epochRoundId(action.epochId, action.index)) };
  }

  /** Runs the epoch step that came for `peer` while a round with it was settling, if one did. */
  private runPendingEpochAction(peer: RosterMember): void {
    const eager = this.epochPending.get(peer.id);
    if (eager === undefined) return;
    this.epochPending.delete(peer.id);
    this.timers.setTimeout(() => this.runEpochAction(peer, eager), 0);
  }

  /**
   * node.md §10.3: a responder with changes dials the epoch initiator with the nudge purpose; the
   * initiator refuses it with `epoch-nudge-noted` and runs the epoch's next round.
   */
  private async dialNudge(peer: RosterMember, purpose: Uint8Array): Promise<void> {
    const tls = dialTls(this.config.tls, peer.endpoint);
    try {
      const session = await connect({
        roster: this.roster.roster, identity: { id: this.config.id, secretKey: this.identity.secretKey }, peerId: peer.id, purpose,
        ...(tls === undefined ? {} : { tls }),
        limits: { maxMessageBytes: MAX_FRAME_BYTES }, logger: this.logger.child({ component: 'transport', nudge: hex(purpose) }), metrics: this.transportMetrics,
        timers: this.timers, now: this.now, rng: this.rng,
      });
      await session.close('nudge');
    } catch (error) {
      const noted = error instanceof SessionError && error.code === 'epoch-nudge-noted';
      if (!noted) this.logger.debug({ peer: peer.id, err: error }, 'epoch nudge not delivered');
      else this.logger.debug({ peer: peer.id }, 'epoch nudge delivered');
    }
  }

  /** A peer's nudge: not a round, so nothing is recorded; the epoch's next round runs at once. */
  private onNudge(peerId: string, index: number): PurposeDecision {
    const peer = this.roster.peers.find((m) => m.id === peerId);
    const delay = peer === undefined ? undefined : this.epochs!.noteNudge(peerId, index);
    if (delay !== undefined) {
      this.timers.setTimeout(() => {
        this.epochs?.nudgeRan(peerId);
        this.runEpochAction(peer!, true);
      }, delay);
    }
    return { accept: false, code: 'epoch-nudge-noted', detail: 'the next round of the epoch runs now' };
  }

  /** node.md §10.5: admits a round of an epoch (or an epoch's start) after the checks of §5.1 steps 1–6. */
  private acceptEpochRound(key: string, admission: Extract<EpochAdmission, { kind: 'round' | 'start' }>): PurposeDecision {
    const plan = admission.kind === 'start' ? this.epochs!.acceptStart(admission) : admission.plan;
    this.claims.set(key, { origin: 'scheduled', slot: null, epoch: plan });
    return { accept: true };
  }

  // ---- one attempt --------------------------------------------------------------------------

  /** `roster`: the roster in force when the attempt was decided; a reload does not change it (node.md §6.1). */
  private runAttempt(record: RoundRecord, session: Session, peer: RosterMember, mode: RoundMode | null, roster: InstalledRoster, epoch?: AttemptEpoch): Promise<RoundRecord> {
    const attempt = new Attempt(this, record, peer, session, roster, epoch);
    this.active.set(record.row, attempt);
    return attempt.run(mode);
  }

  /** AttemptHost: the attempt's end is committed. */
  attemptFinished(record: RoundRecord, peer: RosterMember | undefined): void {
    this.active.delete(record.row);
    // node.md §10.6: how an epoch's round ended decides its next step; more changes run at once.
    const epochNext = this.epochs?.roundFinished(record);
    if (epochNext?.eager === true && peer !== undefined) this.timers.setTimeout(() => this.runEpochAction(peer, true), 0);
    if (!record.abandoned || peer === undefined) return;
    this.metrics.abandonments.inc({ peer: peer.id });
    // node.md §5.3: too many abandonments in 24 hours suspend the peer until an operator clears it.
    const policy = policyFor(this.config, peer.id);
    const count = this.store.abandonments(peer.id);
    this.logger.warn({ roundId: hex(record.roundId), attempt: record.attempt, peer: peer.id, reason: record.reason, evaluationsSent: record.evaluationsSent, evaluationsReceived: record.evaluationsReceived, abandonments24h: count }, 'peer took evaluations and left');
    if (count >= policy.maxAbandonmentsPerDay && this.store.openSuspension(peer.id) === undefined) {
      this.store.suspend(peer.id, count, `${count} abandoned rounds in 24 hours, the last ${hex(record.roundId)} attempt ${record.attempt} (${record.reason ?? 'aborted'})`);
      this.logger.warn({ peer: peer.id, abandonments24h: count, limit: policy.maxAbandonmentsPerDay }, 'peer suspended; clear it with "venn peers clear"');
    }
  }

  /** AttemptHost: whether the daemon is shutting down. */
  isStopping(): boolean {
    return this.stopping;
  }

  signHead(): void {
    const head = signTreeHead(this.store.log.treeHead(this.now()), this.config.id, this.identity.secretKey);
    try {
      this.store.saveTreeHead({ treeSize: head.size, root: head.root, timestamp: head.timestamp, signature: head.signature });
    } catch (error) {
      if (!isStorageFault(error)) throw error;
      // The leaves are committed; only their head is not. The last saved head stays the one peers
      // see, and a head over everything is signed again shortly (or by the next commit, or at stop).
      this.logger.error({ err: error, treeSize: head.size }, 'the disk refused the signed tree head; signing again in a few seconds');
      // At shutdown the next start signs it (node.md §6).
      if (this.stopping) return;
      this.headRetry ??= this.timers.setTimeout(() => {
        this.headRetry = undefined;
        if (this.store.db.open && !this.stopping) this.signHeadIfBehind();
      }, HEAD_RETRY_MS);
      return;
    }
    // After the head is committed and before any peer can receive it (node.md §2.2). A failed
    // write (a full disk) leaves the previous mark, which the next signed head replaces.
    try {
      writeWatermark(watermarkPath(this.config.paths.dir), this.config.id, head);
    } catch (error) {
      this.logger.error({ err: error, treeSize: head.size }, 'could not record the log high-water mark');
    }
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
      identifierRules: this.identifierRules,
      listen: `${this.server?.host ?? this.config.listen.host}:${this.listenPort}`,
      peersConnected: this.transportMetrics.sessionsOpen,
      nextSlot: this.nextSlotIso(),
      workers: { size: this.config.workers, busy: this.pool.active, queued: this.pool.queued },
      runningRounds: [...this.active.values()].map((round) => ({
        roundId: hex(round.record.roundId), attempt: round.record.attempt, peer: round.record.peerId, role: round.record.role,
        startedAt: new Date(round.startedAt).toISOString(), processed: round.processed, total: round.total,
      })),
      peers: this.peerReports(),
    };
  }

  /** Per peer: last attempt, quota, evaluation budget and abandonments (node.md §5.2–§5.3). */
  peerReports(): PeerReport[] {
    if (!this.store.db.open) return [];
    return peerReports(this.store, this.config, this.roster.peers, this.now());
  }

  /** node.md §5.3: an operator clears a peer's suspension. */
  private clearPeer(peerId: string, by: string): AdminReply {
    if (this.roster.peers.find((m) => m.id === peerId) === undefined) {
      return { status: 404, body: { error: { code: 'unknown-peer', message: `"peer" expected one of ${this.roster.peers.map((m) => m.id).join(', ')}, got ${JSON.stringify(peerId)}` } } };
    }
    const cleared = this.store.clearSuspension(peerId, by);
    if (cleared === undefined) return { status: 409, body: { error: { code: 'not-suspended', message: `${peerId} is not suspended` } } };
    this.logger.warn({ peer: peerId, by, suspendedAt: new Date(cleared.suspendedAt).toISOString() }, 'peer suspension cleared');
    return { status: 200, body: { peer: peerId, clearedAt: new Date(cleared.clearedAt ?? this.now()).toISOString(), suspendedAt: new Date(cleared.suspendedAt).toISOString() } };
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
    let rules = this.identifierRules;
    try {
      plan = planReload({ config: this.config, roster: this.roster, tlsFingerprint: this.tlsFingerprint }, this.identity.publicKey, this.now(), tlsFingerprint);
      // identifiers.md §13: the roster's hygiene additions are part of the rules in force.
      if (plan.roster !== null && !this.fixedRules) rules = hygieneFor(plan.config).rules;
      if (plan.tls !== null) this.server?.update({ tls: plan.tls });
    } catch (error) {
      const detail = error instanceof Error ? error.message : String(error);
      this.logger.warn({ signal: trigger, code: error instanceof VennError ? error.code : 'internal-error', detail }, 'reload refused');
      return { status: 400, body: { error: { code: error instanceof VennError ? error.code : 'internal-error', message: detail } } };
    }
    const previous = this.roster;
    const previousRules = this.identifierRules;
    this.identifierRules = rules;
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
      // node.md §6.1, §10.3: the key epochs' ticks follow the new roster (on, off, another interval).
      if (this.epochTimer !== undefined) this.timers.clearTimeout(this.epochTimer);
      this.epochTimer = undefined;
      if (this.epochPurge !== undefined) this.timers.clearTimeout(this.epochPurge);
      this.epochPurge = undefined;
      this.scheduleEpochTick();
      this.metrics.knownPeers(plan.roster.peers.map((m) => m.id));
    }
    const fields = {
      signal: trigger, changed: plan.changed, needsRestart: plan.needsRestart, rosterDigest: hex(this.roster.digest),
      ...(plan.roster === null ? {} : {
        previousRosterDigest: hex(previous.digest), rosterChanged: rosterChanges(previous.roster, plan.roster.roster),
        schedule: plan.roster.roster.schedule, previousSchedule: previous.roster.schedule,
        peers: plan.roster.peers.map((m) => m.id), nextSlot: this.nextSlotIso(),
      }),
      identifierRules: this.identifierRules, ...(rules === previousRules ? {} : { previousIdentifierRules: previousRules }),
    };
    this.logger.info(fields, 'reloaded');
    if (rules !== previousRules) this.warnStaleLists();
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
      if (this.epochTimer !== undefined) this.timers.clearTimeout(this.epochTimer);
      this.epochTimer = undefined;
      if (this.epochPurge !== undefined) this.timers.clearTimeout(this.epochPurge);
      this.epochPurge = undefined;
      this.retention?.stop();
      this.mainThread.stop();
      for (const handle of this.retries) this.timers.clearTimeout(handle);
      this.retries.clear();
      if (this.headRetry !== undefined) this.timers.clearTimeout(this.headRetry);
      const running = [...this.active.values()];
      for (const round of running) round.abort('shutdown', 'the node is shutting down');
      // Dials under way end within the handshake timeout; their attempts are recorded before the store closes.
      await Promise.all([...this.dialing]);
      await Promise.all(running.map((round) => round.done));
      await this.server?.close().catch(() => undefined);
      this.console?.close();
      await this.admin?.close().catch(() => undefined);
      await this.pool.close();
      if (this.store.db.open) this.signHeadIfBehind();
      if (this.store.db.open) this.refusals.close();
      this.epochs?.close();
      await this.checkpointer?.close();
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

export type { WireLogHead };
