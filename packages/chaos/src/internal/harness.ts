/**
 * The chaos run: three real daemons (real SQLite stores on small real filesystems, real sockets)
 * behind fault-injecting proxies, scheduled and ad-hoc rounds all along, and seeded faults of
 * every kind at once. At the end the daemons quiesce and the invariants are checked from the
 * stores, the exported logs and the audit commands.
 */
import { spawnSync } from 'node:child_process';
import { copyFileSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { MemoryLogStorage, MerkleLog } from '@venn/audit';
import { InternalError } from '@venn/errors';
import { DaemonProcess, freePort, venn, type ExitInfo } from './daemons.js';
import { clearDisk, fillDisk, mountTmpfs, unmount } from './disk.js';
import { readMatchKeys, readSnapshot, type MatchKeys, type StoreSnapshot } from './evidence.js';
import { checkInvariants, lostLastFinish, type CrossCheckOutcome, type ExitRecord, type Limits, type ProofOutcome, type RestartRecord, type RunEvidence, type Violation } from './invariants.js';
import { FaultProxy } from './proxy.js';
import { SeededRandom } from './random.js';

export const FAULT_KINDS = [
  'kill-9', 'sigterm', 'clock-jump', 'net-reset', 'net-stall', 'net-latency', 'net-throttle', 'net-partition', 'disappear', 'disk-full', 'torn-write', 'online-backup',
] as const;
export type FaultKind = (typeof FAULT_KINDS)[number];

export interface ChaosOptions {
  readonly seed: number;
  readonly minutes: number;
  /** Distinct identifiers per lab (venn synth --size). */
  readonly size: number;
  /** Mean seconds between kill -9s (at least 50 in a default 10-minute run). */
  readonly killEverySeconds: number;
  /** Mean seconds between the other faults. */
  readonly faultEverySeconds: number;
  /** Mean seconds between ad-hoc round requests. */
  readonly adHocEverySeconds: number;
  /** How long a vanished peer stays away, in seconds [min, max]. */
  readonly disappearSeconds: readonly [number, number];
  /** How long a stall holds a connection (past the heartbeat and round timeouts). */
  readonly stallSeconds: readonly [number, number];
  readonly rssLimitMiB: number;
  /** Identifier kinds of the synthetic lists (venn synth --kinds). */
  readonly kinds: string;
  /** Heads per lab checked with venn audit prove --from/--to. */
  readonly proofsPerLab: number;
  /** Keep the work directory (stores, logs) after the run. */
  readonly keep: boolean;
  readonly log: (line: string) => void;
}

export const DEFAULT_OPTIONS: Omit<ChaosOptions, 'seed' | 'log'> = {
  minutes: 10, size: 120, killEverySeconds: 7, faultEverySeconds: 6, adHocEverySeconds: 1.5, disappearSeconds: [60, 120], stallSeconds: [35, 50],
  rssLimitMiB: 768, kinds: 'email,phone,device_id,payment_fingerprint,ip', proofsPerLab: 6, keep: false,
};

export interface ChaosResult {
  readonly seed: number;
  readonly minutes: number;
  readonly workDir: string;
  readonly faults: Readonly<Record<string, number>>;
  readonly roundsAttempted: number;
  readonly roundsCompleted: number;
  readonly attempts: number;
  readonly attemptsCompleted: number;
  readonly abortedByReason: Readonly<Record<string, number>>;
  readonly retries: number;
  readonly adHoc: { readonly requested: number; readonly accepted: number; readonly refused: Readonly<Record<string, number>> };
  readonly healthyAfterKillMs: readonly number[];
  readonly healthyAfterDiskFullMs: readonly number[];
  readonly diskFull: { readonly available: boolean; readonly detail: string };
  /** Daemons that exited while their disk was full (each also an `unexpected-exit` violation, node.md §6). */
  readonly exitsOnFullDisk: readonly string[];
  /** Round ids completed on one side while the other side's attempt was cut short by a crash or a cut connection. */
  readonly lostLastFinish: number;
  /** Scheduled events skipped because their lab was busy with another fault, down or unreachable. */
  readonly skipped: number;
  readonly peakRssMiB: Readonly<Record<string, number>>;
  readonly snapshots: number;
  readonly crossChecks: number;
  readonly proofs: number;
  readonly violations: readonly Violation[];
  /** Seconds spent in setup, the faulty run, quiescing and checking. */
  readonly phases: Readonly<Record<string, number>>;
}

const LABS = ['lab-a', 'lab-b', 'lab-c'] as const;
const TMPFS_MIB = 48;
const HEALTH_TIMEOUT_MS = 90_000;

interface Lab {
  readonly id: string;
  readonly dir: string;
  readonly mount: string;
  daemon: DaemonProcess;
}

function quantile(values: readonly number[], q: number): number | null {
  if (values.length === 0) return null;
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.min(sorted.length - 1, Math.floor(q * sorted.length))]!;
}

export { quantile };

/** Runs the tasks with at most `limit` under way at once. */
async function inParallel(tasks: ReadonlyArray<() => Promise<void>>, limit: number): Promise<void> {
  const queue = [...tasks];
  await Promise.all(Array.from({ length: Math.min(limit, queue.length) }, async () => {
    for (let task = queue.shift(); task !== undefined; task = queue.shift()) await task();
  }));
}

export class ChaosRun {
  /** The generator of the event being scheduled; every event gets its own, drawn from the seed alone. */
  private random: SeededRandom;
  private skipped = 0;
  private readonly diskFullExits: string[] = [];
  private readonly labs: Lab[] = [];
  private readonly faults: Record<string, number> = Object.fromEntries(FAULT_KINDS.map((k) => [k, 0]));
  private readonly snapshots: StoreSnapshot[] = [];
  private readonly restarts: RestartRecord[] = [];
  private readonly exits: ExitRecord[] = [];
  private readonly healthyAfterKill: number[] = [];
  private readonly healthyAfterDisk: number[] = [];
  private readonly adHoc = { requested: 0, accepted: 0, refused: {} as Record<string, number> };
  private readonly limits: Record<string, Record<string, Limits>> = {};
  private readonly expected: Record<string, Record<string, string[]>> = {};
  private readonly timers = new Set<NodeJS.Timeout>();
  private readonly pending = new Set<Promise<unknown>>();
  private diskAvailable = { available: false, detail: 'not tried' };
  private ending = false;
  /** When the fault phase ends: a kill still waiting for its lab then is skipped. */
  private faultsEnd = Infinity;
  private readonly root: string;
  private readonly extraViolations: Violation[] = [];
  private readonly phases: Record<string, number> = {};
  private phaseStart = performance.now();

  private phase(name: string): void {
    const now = performance.now();
    this.phases[name] = Math.round((now - this.phaseStart) / 100) / 10;
    this.phaseStart = now;
  }

  constructor(private readonly options: ChaosOptions) {
    this.random = new SeededRandom(options.seed);
    this.root = mkdtempSync(join(tmpdir(), `venn-chaos-${options.seed}-`));
  }

  private log(line: string): void {
    this.options.log(`[${new Date().toISOString().slice(11, 19)}] ${line}`);
  }

  private count(kind: FaultKind): void {
    this.faults[kind] = (this.faults[kind] ?? 0) + 1;
  }

  /** Runs `task` without awaiting it here; the run waits for every such task before it checks. */
  private spawnTask(task: () => Promise<unknown>): void {
    const promise = task().catch((error: unknown) => {
      this.extraViolations.push({ invariant: 'unexpected-exit', node: null, detail: `harness task failed: ${(error as Error).stack ?? String(error)}` });
    }).finally(() => this.pending.delete(promise));
    this.pending.add(promise);
  }

  private after(ms: number, action: () => void): void {
    const timer = setTimeout(() => {
      this.timers.delete(timer);
      action();
    }, ms);
    this.timers.add(timer);
  }

  private sleep(ms: number): Promise<void> {
    return new Promise((resolve) => this.after(ms, resolve));
  }

  // ---- setup --------------------------------------------------------------------------------

  private async cli(args: readonly string[]): Promise<string> {
    const result = await venn(args);
    if (result.code !== 0) throw new InternalError('chaos-setup', `venn ${args.join(' ')} exited ${result.code}: ${result.stderr.trim()}`);
    return result.stdout;
  }

  async setup(): Promise<void> {
    const synthDir = join(this.root, 'synth');
    await this.cli(['synth', '--out', synthDir, '--labs', String(LABS.length), '--size', String(this.options.size), '--seed', String(this.options.seed), '--overlap', '0.3', '--kinds', this.options.kinds]);
    const truth = JSON.parse(readFileSync(join(synthDir, 'ground-truth.json'), 'utf8')) as {
      labs: string[]; files: Array<{ lab: string; path: string; ingest: string[] }>;
      expected: Record<string, { matches: Array<{ kind: string; account: string; peers: string[] }> }>;
    };
    if (truth.labs.join() !== LABS.join()) throw new InternalError('chaos-setup', `venn synth expected labs ${LABS.join(', ')}, got ${truth.labs.join(', ')}`);
    const ports = new Map<string, { listen: number; admin: number; proxy: number }>();
    for (const id of LABS) ports.set(id, { listen: await freePort(), admin: await freePort(), proxy: await freePort() });
    const entries: string[] = [];
    for (const id of LABS) {
      const mount = join(this.root, `${id}-fs`);
      const mounted = mountTmpfs(mount, TMPFS_MIB);
      if (id === LABS[0]) this.diskAvailable = { available: mounted.mounted, detail: mounted.detail };
      else if (!mounted.mounted) this.diskAvailable = { available: false, detail: mounted.detail };
      const dir = join(mount, 'node');
      const p = ports.get(id)!;
      const proxy = new FaultProxy(id, p.listen, this.random.fork(`proxy-${id}`));
      await proxy.listen(p.proxy);
      const daemon = new DaemonProcess(id, dir, p.listen, p.admin, proxy, join(this.root, `${id}.log`), (d, info) => this.onExit(d, info));
      this.labs.push({ id, dir, mount, daemon });
      entries.push(join(this.root, `${id}.entry.json`));
    }
    // Labs are set up side by side: each is its own directory and store.
    await Promise.all(this.labs.map(async (lab) => {
      const p = ports.get(lab.id)!;
      const entry = await this.cli(['init', '--dir', lab.dir, '--id', lab.id, '--listen', `127.0.0.1:${p.listen}`, '--admin', `127.0.0.1:${p.admin}`,
        '--endpoint', `ws://127.0.0.1:${p.proxy}`, '--max-rounds-per-day', '1440']);
      writeFileSync(join(this.root, `${lab.id}.entry.json`), entry);
      for (const file of truth.files.filter((f) => f.lab === lab.id)) await this.cli(['ingest', '--dir', lab.dir, ...file.ingest, join(synthDir, file.path)]);
    }));
    const setSizes = new Map(this.labs.map((lab) => [lab.id, this.setSize(lab)]));
    // Budgets: lab-c grants lab-a a budget the run spends, so the limit is exercised under faults
    // and clock jumps; the other pairs are generous.
    for (const lab of this.labs) {
      const configPath = join(lab.dir, 'venn.config.json');
      const config = JSON.parse(readFileSync(configPath, 'utf8')) as Record<string, unknown>;
      const base: Limits = { maxEvaluationsPerDay: 10_000_000, maxEvaluationsPerRound: 100_000, maxRoundsPerDay: 1440, maxAdHocRoundsPerDay: 100_000 };
      const peers: Record<string, unknown> = {};
      this.limits[lab.id] = {};
      this.expected[lab.id] = {};
      for (const peer of LABS.filter((p) => p !== lab.id)) {
        const peerSize = setSizes.get(peer)!;
        const limits: Limits = lab.id === 'lab-c' && peer === 'lab-a'
          ? { ...base, maxEvaluationsPerDay: peerSize * Math.max(8, Math.round(this.options.minutes * 6)), maxEvaluationsPerRound: peerSize * 3 }
          : base;
        this.limits[lab.id]![peer] = limits;
        peers[peer] = { maxEvaluationsPerDay: limits.maxEvaluationsPerDay, maxEvaluationsPerRound: limits.maxEvaluationsPerRound };
        this.expected[lab.id]![peer] = (truth.expected[lab.id]?.matches ?? []).filter((m) => m.peers.includes(peer)).map((m) => `${m.kind}:${m.account}`).sort();
      }
      writeFileSync(configPath, JSON.stringify({
        ...config, logLevel: 'info', workers: 1, roundTimeoutSeconds: 40,
        retry: { initialDelaySeconds: 1, maxDelaySeconds: 5, multiplier: 2 },
        policy: { ...(config['policy'] as object), maxAdHocRoundsPerDay: base.maxAdHocRoundsPerDay, maxAbandonmentsPerDay: 10_000, maxAttemptsPerRound: 6, maxEvaluationsPerDay: base.maxEvaluationsPerDay, maxEvaluationsPerRound: base.maxEvaluationsPerRound },
        peers,
      }, null, 2));
    }
    const rosterPath = join(this.root, 'roster.json');
    await this.cli(['roster', 'build', '--name', 'venn-chaos', '--schedule', '* * * * *', '--window', '1', '--out', rosterPath, ...entries]);
    await Promise.all(this.labs.map((lab) => this.cli(['roster', 'use', '--dir', lab.dir, rosterPath])));
    this.log(`setup: ${LABS.length} labs of ${[...setSizes.values()].join('/')} identifiers, disk faults ${this.diskAvailable.available ? `on ${this.diskAvailable.detail}` : `unavailable (${this.diskAvailable.detail})`}, work dir ${this.root}`);
  }

  private setSize(lab: Lab): number {
    const db = new Database(join(lab.dir, 'venn.db'), { readonly: true });
    try {
      return db.prepare('SELECT count(DISTINCT digest) FROM list_items').pluck().get() as number;
    } finally {
      db.close();
    }
  }

  // ---- processes ----------------------------------------------------------------------------

  private onExit(daemon: DaemonProcess, info: ExitInfo): void {
    const expected = daemon.expectExit !== undefined;
    const stderr = info.stderr.trim().split('\n').filter((line) => line.trim() !== '').slice(0, 2).join(' ').slice(0, 300);
    const said = stderr !== '' ? stderr : (daemon.lastFatal() ?? 'nothing on stderr, no fatal line in its log');
    if (daemon.expectExit === 'disk full') {
      // node.md §6: a full disk does not end the daemon; it waits for room and writes then.
      this.diskFullExits.push(`${daemon.id} exit ${info.code}: ${said}`);
      this.extraViolations.push({ invariant: 'unexpected-exit', node: daemon.id, detail: `exited while its disk was full: exit ${info.code}: ${said}` });
    }
    this.exits.push({ node: daemon.id, code: info.code, signal: info.signal, expected, detail: daemon.expectExit ?? said });
    if (!expected) {
      this.log(`${daemon.id} exited on its own (code ${info.code}, signal ${info.signal}): ${info.stderr.trim().split('\n').slice(-1)[0] ?? ''}`);
      // Bring it back, as systemd would, and see that it comes back healthy.
      if (!this.ending) this.spawnTask(() => this.restart(daemon, 'unexpected exit'));
    }
  }

  /** Starts the daemon and records how long it took to answer /healthz. */
  private async restart(daemon: DaemonProcess, cause: string): Promise<number | null> {
    daemon.expectExit = undefined;
    daemon.start();
    const ms = await daemon.waitHealthy(HEALTH_TIMEOUT_MS);
    this.restarts.push({ node: daemon.id, cause, healthyMs: ms });
    if (ms === null) this.log(`${daemon.id} did not become healthy after ${cause}: ${daemon.lastExit?.stderr.trim().split('\n').slice(-1)[0] ?? 'no answer'}`);
    return ms;
  }

  private snapshot(lab: Lab): void {
    try {
      this.snapshots.push(readSnapshot(lab.id, join(lab.dir, 'venn.db')));
    } catch (error) {
      this.log(`snapshot of ${lab.id} failed: ${(error as Error).message}`);
    }
  }

  private pickLab(filter: (lab: Lab) => boolean = (lab) => !lab.daemon.busy && lab.daemon.running): Lab | undefined {
    // The lab is drawn from all labs, so the draw does not depend on timing; a busy one skips the event.
    const lab = this.random.pick(this.labs);
    if (filter(lab)) return lab;
    this.skipped += 1;
    return undefined;
  }

  /** Waits (bounded) until the daemon reports a running attempt, so a fault lands mid-round. */
  private async midRound(daemon: DaemonProcess, withinMs: number): Promise<void> {
    const deadline = Date.now() + withinMs;
    while (Date.now() < deadline && daemon.running) {
      if ((await daemon.runningRounds()) > 0) return;
      await this.sleep(100);
    }
  }

  /**
   * Waits until no other fault holds the lab and its daemon runs, then starts `fault` at once (it
   * marks the lab busy before its first await). A fault still waiting when the faults end is skipped.
   */
  private async whenFree(lab: Lab, fault: () => Promise<void>): Promise<void> {
    while (lab.daemon.busy || !lab.daemon.running) {
      if (Date.now() >= this.faultsEnd) {
        this.skipped += 1;
        return;
      }
      await this.sleep(200);
    }
    await fault();
  }

  private async kill9(lab: Lab, midRound: boolean, delayMs: number): Promise<void> {
    const daemon = lab.daemon;
    daemon.busy = true;
    try {
      if (midRound) await this.midRound(daemon, 4000);
      await this.sleep(delayMs);
      if (!daemon.running) return;
      this.snapshot(lab);
      daemon.expectExit = 'kill -9';
      daemon.signal('SIGKILL');
      await daemon.exited();
      this.count('kill-9');
      const ms = await this.restart(daemon, 'kill -9');
      if (ms !== null) this.healthyAfterKill.push(ms);
    } finally {
      daemon.busy = false;
    }
  }

  private async sigterm(lab: Lab, clockJumpMs = 0): Promise<void> {
    const daemon = lab.daemon;
    daemon.busy = true;
    try {
      await this.midRound(daemon, 6000);
      if (!daemon.running) return;
      daemon.expectExit = clockJumpMs === 0 ? 'SIGTERM' : 'SIGTERM for a clock jump';
      daemon.signal('SIGTERM');
      const exit = await daemon.exited(60_000);
      if (exit === undefined) {
        this.extraViolations.push({ invariant: 'unexpected-exit', node: lab.id, detail: 'SIGTERM did not stop the daemon within 60 s' });
        daemon.signal('SIGKILL');
        await daemon.exited();
      } else if (exit.code !== 0) {
        this.extraViolations.push({ invariant: 'unexpected-exit', node: lab.id, detail: `SIGTERM: exit code ${exit.code} signal ${exit.signal}: ${exit.stderr.trim().split('\n').slice(-1)[0] ?? ''}` });
      }
      this.count(clockJumpMs === 0 ? 'sigterm' : 'clock-jump');
      // The jump was drawn before the fault waited for its lab: kept within ±20 minutes of real time now.
      daemon.clockOffsetMs = Math.abs(daemon.clockOffsetMs + clockJumpMs) > 20 * 60_000 ? daemon.clockOffsetMs - clockJumpMs : daemon.clockOffsetMs + clockJumpMs;
      await this.restart(daemon, clockJumpMs === 0 ? 'SIGTERM' : `clock jump of ${Math.round(clockJumpMs / 60_000)} min`);
    } finally {
      daemon.busy = false;
    }
  }

  /** A peer that disappears: frozen (SIGSTOP) and unreachable for minutes, then back. */
  private async disappear(lab: Lab, ms: number): Promise<void> {
    const daemon = lab.daemon;
    daemon.busy = true;
    try {
      this.count('disappear');
      lab.daemon.proxy.refusing = true;
      lab.daemon.proxy.dropAll();
      daemon.signal('SIGSTOP');
      await this.sleep(ms);
      daemon.signal('SIGCONT');
      lab.daemon.proxy.refusing = false;
      const healthy = await daemon.waitHealthy(HEALTH_TIMEOUT_MS);
      this.restarts.push({ node: lab.id, cause: 'disappearance', healthyMs: healthy });
    } finally {
      daemon.busy = false;
    }
  }

  private finishedCount(lab: Lab): number {
    const db = new Database(join(lab.dir, 'venn.db'), { readonly: true });
    try {
      db.pragma('busy_timeout = 5000');
      return db.prepare("SELECT count(*) FROM rounds WHERE status IN ('completed', 'aborted', 'disputed')").pluck().get() as number;
    } finally {
      db.close();
    }
  }

  /** The node's filesystem fills up while rounds run; then it clears. */
  private async diskFull(lab: Lab, ms: number): Promise<void> {
    const daemon = lab.daemon;
    daemon.busy = true;
    try {
      this.count('disk-full');
      daemon.expectExit = 'disk full';
      const bytes = fillDisk(lab.mount);
      this.log(`${lab.id}: disk full (${(bytes / 2 ** 20).toFixed(1)} MiB of ballast) for ${(ms / 1000).toFixed(0)} s`);
      await this.sleep(ms);
      const before = this.finishedCount(lab);
      clearDisk(lab.mount);
      const cleared = performance.now();
      let healthy: number | null;
      if (!daemon.running) {
        healthy = await this.restart(daemon, 'disk full');
      } else {
        daemon.expectExit = undefined;
        healthy = await daemon.waitHealthy(HEALTH_TIMEOUT_MS);
        this.restarts.push({ node: lab.id, cause: 'disk full (stayed up)', healthyMs: healthy });
      }
      // Healthy means writing again: the first attempt the node finishes after the disk cleared.
      const deadline = cleared + HEALTH_TIMEOUT_MS;
      while (performance.now() < deadline && daemon.running && this.finishedCount(lab) <= before) await this.sleep(100);
      if (this.finishedCount(lab) > before && healthy !== null) this.healthyAfterDisk.push(performance.now() - cleared);
    } finally {
      daemon.busy = false;
    }
  }

  /** A rewrite of the config or the key file torn by a crash: the daemon must refuse it with a typed error, then run once it is whole. */
  private async tornWrite(lab: Lab, config: boolean, cutFraction: number): Promise<void> {
    const daemon = lab.daemon;
    daemon.busy = true;
    try {
      this.count('torn-write');
      const file = join(lab.dir, config ? 'venn.config.json' : 'identity.key');
      const whole = readFileSync(file);
      const keep = join(this.root, `${lab.id}.intact`);
      copyFileSync(file, keep);
      daemon.expectExit = 'kill -9 before a torn rewrite';
      daemon.signal('SIGKILL');
      await daemon.exited();
      const cut = Math.floor(cutFraction * Math.max(1, whole.length - 2));
      writeFileSync(file, whole.subarray(0, cut));
      daemon.expectExit = `start on ${file} torn at byte ${cut}`;
      daemon.start();
      const exit = await daemon.exited(HEALTH_TIMEOUT_MS);
      if (exit === undefined) {
        this.extraViolations.push({ invariant: 'unexpected-exit', node: lab.id, detail: `started on ${file} torn at byte ${cut} of ${whole.length}` });
        daemon.signal('SIGKILL');
        await daemon.exited();
      } else if (exit.code !== 1 || !/\[[a-z0-9-]+\]\s*$/.test(exit.stderr.trim())) {
        this.extraViolations.push({ invariant: 'unexpected-exit', node: lab.id, detail: `on ${file} torn at byte ${cut}: exit ${exit.code}, expected 1 with a typed error; stderr ${exit.stderr.trim().slice(-300)}` });
      }
      writeFileSync(file, whole);
      rmSync(keep, { force: true });
      await this.restart(daemon, 'torn write repaired');
    } finally {
      daemon.busy = false;
    }
  }

  /** `venn backup` while the daemon runs: the copy's log is a prefix of the live log. */
  private async onlineBackup(lab: Lab): Promise<void> {
    this.count('online-backup');
    // A file of its own: a backup of the lab may still be running (backups do not hold the lab).
    const out = join(this.root, `${lab.id}-backup-${this.faults['online-backup']}.db`);
    const result = await venn(['backup', '--dir', lab.dir, '--out', out, '--json']);
    if (result.code !== 0) {
      // A backup that fails while the disk is full or the node is being killed is not a violation; a crash is.
      if (result.code !== 1) this.extraViolations.push({ invariant: 'unexpected-exit', node: lab.id, detail: `venn backup exited ${result.code}: ${result.stderr.trim()}` });
      return;
    }
    const copy = readSnapshot(`${lab.id}-backup`, out);
    const live = readSnapshot(lab.id, join(lab.dir, 'venn.db'));
    for (let i = 0; i < copy.leaves.length; i++) {
      if (copy.leaves[i] !== live.leaves[i]) {
        this.extraViolations.push({ invariant: 'log-append-only', node: lab.id, detail: `online backup's leaf ${i} differs from the live log's` });
        break;
      }
    }
    rmSync(out, { force: true });
  }

  private networkFault(lab: Lab): void {
    const proxy = lab.daemon.proxy;
    const kind = this.random.weighted({ 'net-reset': 5, 'net-stall': 1, 'net-latency': 2, 'net-throttle': 2, 'net-partition': 2 });
    const seconds = this.random.int(10, 40);
    this.count(kind);
    switch (kind) {
      case 'net-reset':
        proxy.resetOpen(65_536);
        proxy.resetChance = 0.3;
        this.after(seconds * 1000, () => { proxy.resetChance = 0; });
        break;
      case 'net-stall': {
        const [min, max] = this.options.stallSeconds;
        proxy.stallOpen(this.random.int(min, max) * 1000);
        break;
      }
      case 'net-latency':
        proxy.latencyMs = this.random.int(20, 400);
        proxy.jitterMs = this.random.int(0, 300);
        this.after(seconds * 1000, () => { proxy.latencyMs = 0; proxy.jitterMs = 0; });
        break;
      case 'net-throttle':
        proxy.bytesPerSecond = this.random.int(16, 256) * 1024;
        this.after(seconds * 1000, () => { proxy.bytesPerSecond = undefined; });
        break;
      case 'net-partition': {
        const direction = this.random.chance(0.5) ? 'inbound' : 'outbound';
        proxy.setPartition(direction, true);
        this.after(seconds * 1000, () => proxy.setPartition(direction, false));
        break;
      }
    }
  }

  private otherFault(): void {
    const kind = this.random.weighted({ network: 10, sigterm: 2, 'clock-jump': 1.5, disappear: 0.4, 'disk-full': 1, 'torn-write': 1, 'online-backup': 1.5 });
    if (kind === 'network') {
      const lab = this.pickLab((l) => l.daemon.running);
      if (lab !== undefined) this.networkFault(lab);
      return;
    }
    // A process or disk fault waits for its lab, as a kill does (whenFree).
    const lab = this.pickLab(() => true);
    if (lab === undefined) return;
    switch (kind) {
      case 'sigterm':
        this.spawnTask(() => this.whenFree(lab, () => this.sigterm(lab)));
        break;
      case 'clock-jump': {
        // Back or forward by minutes; the offset stays within ±20 minutes of real time.
        let jump = this.random.int(1, 10) * 60_000 * (this.random.chance(0.6) ? -1 : 1);
        if (Math.abs(lab.daemon.clockOffsetMs + jump) > 20 * 60_000) jump = -jump;
        this.spawnTask(() => this.whenFree(lab, () => this.sigterm(lab, jump)));
        break;
      }
      case 'disappear': {
        if (this.labs.some((l) => l.daemon.proxy.refusing)) return;
        const [min, max] = this.options.disappearSeconds;
        const ms = this.random.int(min, max) * 1000;
        this.spawnTask(() => this.whenFree(lab, () => this.disappear(lab, ms)));
        break;
      }
      case 'disk-full':
        if (!this.diskAvailable.available) return;
        {
          const ms = this.random.int(10, 30) * 1000;
          this.spawnTask(() => this.whenFree(lab, () => this.diskFull(lab, ms)));
        }
        break;
      case 'torn-write':
        {
          const config = this.random.chance(0.5);
          const fraction = this.random.next();
          this.spawnTask(() => this.whenFree(lab, () => this.tornWrite(lab, config, fraction)));
        }
        break;
      case 'online-backup':
        this.spawnTask(() => this.whenFree(lab, () => this.onlineBackup(lab)));
        break;
    }
  }

  private requestAdHoc(): void {
    const initiator = this.pickLab((l) => l.daemon.running && !l.daemon.proxy.refusing);
    if (initiator === undefined) return;
    const peer = this.random.pick(LABS.filter((id) => id !== initiator.id));
    this.adHoc.requested += 1;
    this.spawnTask(async () => {
      try {
        const { status, body } = await initiator.daemon.admin('/v1/rounds', { method: 'POST', body: { peer }, timeoutMs: 10_000 });
        if (status === 202) this.adHoc.accepted += 1;
        else {
          const code = (body as { error?: { code?: string } }).error?.code ?? `http-${status}`;
          this.adHoc.refused[code] = (this.adHoc.refused[code] ?? 0) + 1;
        }
      } catch {
        this.adHoc.refused['no-answer'] = (this.adHoc.refused['no-answer'] ?? 0) + 1;
      }
    });
  }

  // ---- the run ------------------------------------------------------------------------------

  async run(): Promise<ChaosResult> {
    await this.setup();
    for (const lab of this.labs) lab.daemon.start();
    for (const lab of this.labs) {
      const ms = await lab.daemon.waitHealthy(HEALTH_TIMEOUT_MS);
      if (ms === null) throw new InternalError('chaos-setup', `${lab.id} did not start: ${lab.daemon.lastExit?.stderr ?? 'no answer'}`);
    }
    this.phase('setup');
    const started = Date.now();
    const end = started + this.options.minutes * 60_000;
    this.faultsEnd = end;
    this.log(`running for ${this.options.minutes} min with seed ${this.options.seed}`);
    // The whole schedule comes from the seed before anything runs: event i of each stream has its
    // time and its own generator, so a replay draws the same events whatever the timing of the processes.
    const streams = { kill: this.random.fork('kill'), fault: this.random.fork('fault'), adHoc: this.random.fork('ad-hoc') };
    const exp = (random: SeededRandom, mean: number): number => -Math.log(1 - random.next()) * mean * 1000;
    const nextOf = (random: SeededRandom, mean: number, from: number): { at: number; random: SeededRandom } => ({ at: from + exp(random, mean), random: new SeededRandom(random.uint32()) });
    let nextKill = nextOf(streams.kill, this.options.killEverySeconds, started);
    let nextFault = nextOf(streams.fault, this.options.faultEverySeconds, started);
    let nextAdHoc = nextOf(streams.adHoc, this.options.adHocEverySeconds, started);
    let nextSnapshot = started + 5000;
    let nextReport = started + 60_000;
    while (Date.now() < end) {
      const now = Date.now();
      if (now >= nextKill.at) {
        this.random = nextKill.random;
        // A kill waits for its lab if another fault holds it: under load, restarts are slow and
        // skipping would leave a run with far fewer kills than drawn.
        const lab = this.pickLab(() => true);
        const midRound = this.random.chance(0.6);
        const delay = this.random.int(0, 400);
        if (lab !== undefined) this.spawnTask(() => this.whenFree(lab, () => this.kill9(lab, midRound, delay)));
        nextKill = nextOf(streams.kill, this.options.killEverySeconds, nextKill.at);
      }
      if (now >= nextFault.at) {
        this.random = nextFault.random;
        this.otherFault();
        nextFault = nextOf(streams.fault, this.options.faultEverySeconds, nextFault.at);
      }
      if (now >= nextAdHoc.at) {
        this.random = nextAdHoc.random;
        this.requestAdHoc();
        nextAdHoc = nextOf(streams.adHoc, this.options.adHocEverySeconds, nextAdHoc.at);
      }
      if (now >= nextSnapshot) {
        for (const lab of this.labs) {
          lab.daemon.sampleRss();
          this.snapshot(lab);
        }
        nextSnapshot = now + 10_000;
      }
      if (now >= nextReport) {
        this.log(`${Math.round((now - started) / 1000)} s: faults ${Object.entries(this.faults).filter(([, n]) => n > 0).map(([k, n]) => `${k} ${n}`).join(', ')}`);
        nextReport = now + 60_000;
      }
      await this.sleep(100);
    }
    this.phase('faults');
    return this.quiesceAndCheck();
  }

  /** Ends every fault, brings every daemon back, waits for rounds to end, stops them, checks. */
  private async quiesceAndCheck(): Promise<ChaosResult> {
    this.log('quiescing: faults end, daemons come back, running rounds finish');
    // Faults already under way run to their end (restarts included).
    while (this.pending.size > 0) await Promise.race([...this.pending]);
    for (const lab of this.labs) {
      lab.daemon.proxy.heal();
      clearDisk(lab.mount);
      if (!lab.daemon.running) await this.restart(lab.daemon, 'quiesce');
    }
    const quietSince = new Map<string, number>();
    const deadline = Date.now() + 180_000;
    while (Date.now() < deadline) {
      let busy = false;
      for (const lab of this.labs) if ((await lab.daemon.runningRounds()) > 0) busy = true;
      if (!busy) break;
      await this.sleep(250);
    }
    quietSince.clear();
    this.ending = true;
    for (const lab of this.labs) {
      lab.daemon.sampleRss();
      lab.daemon.expectExit = 'SIGTERM at the end of the run';
      lab.daemon.signal('SIGTERM');
    }
    for (const lab of this.labs) {
      const exit = await lab.daemon.exited(60_000);
      if (exit?.code !== 0) this.extraViolations.push({ invariant: 'unexpected-exit', node: lab.id, detail: `final SIGTERM: ${exit === undefined ? 'did not stop in 60 s' : `exit ${exit.code} signal ${exit.signal}`}` });
    }
    for (const timer of this.timers) clearTimeout(timer);
    this.timers.clear();
    for (const lab of this.labs) await lab.daemon.proxy.close();
    this.phase('quiesce');
    return this.check();
  }

  private async check(): Promise<ChaosResult> {
    const final = new Map<string, StoreSnapshot>();
    const matchKeys = new Map<string, MatchKeys>();
    const rootsAt = new Map<string, Map<number, string>>();
    const proofs: ProofOutcome[] = [];
    for (const lab of this.labs) {
      const store = join(lab.dir, 'venn.db');
      final.set(lab.id, readSnapshot(lab.id, store));
      matchKeys.set(lab.id, readMatchKeys(store));
      rootsAt.set(lab.id, this.rootsOf(store, lab.id));
    }
    // venn audit prove --from/--to on a spread of the heads each lab signed, and export-log; two commands at a time.
    const exported = new Map<string, string>();
    const commands: Array<() => Promise<void>> = [];
    for (const lab of this.labs) {
      const out = join(this.root, `${lab.id}.log.bin`);
      exported.set(lab.id, out);
      commands.push(async () => { await this.cli(['audit', 'export-log', '--dir', lab.dir, '--out', out]); });
      const sizes = [...new Set([...this.snapshots.filter((s) => s.node === lab.id), final.get(lab.id)!].flatMap((s) => s.heads.map((h) => h.size)))].sort((a, b) => a - b);
      const to = sizes.at(-1);
      if (to === undefined) continue;
      const picks = new Set<number>();
      const n = this.options.proofsPerLab;
      for (let i = 0; i < n && sizes.length > 0; i++) picks.add(sizes[Math.floor((i * (sizes.length - 1)) / Math.max(1, n - 1))]!);
      for (const from of picks) {
        commands.push(async () => {
          const result = await venn(['audit', 'prove', '--dir', lab.dir, '--from', String(from), '--to', String(to), '--json']);
          let parsed: { verified?: boolean; from?: { root?: string } } = {};
          try { parsed = JSON.parse(result.stdout) as typeof parsed; } catch { /* reported as not verified */ }
          proofs.push({ node: lab.id, from, to, fromRoot: parsed.from?.root ?? '', verified: result.code === 0 && parsed.verified === true });
        });
      }
    }
    await inParallel(commands, 2);
    const crossChecks: CrossCheckOutcome[] = [];
    const pairs: Array<() => Promise<void>> = [];
    for (let i = 0; i < this.labs.length; i++) {
      for (let j = i + 1; j < this.labs.length; j++) {
        const a = this.labs[i]!.id;
        const b = this.labs[j]!.id;
        pairs.push(async () => {
          const result = await venn(['audit', 'cross-check', exported.get(a)!, exported.get(b)!, '--roster', join(this.root, 'roster.json'), '--json']);
          let issues: CrossCheckOutcome['issues'] = [];
          try {
            const report = JSON.parse(result.stdout) as { issues?: Array<{ kind: string; lab?: string | null; roundId?: string | null; detail: string }> };
            issues = (report.issues ?? []).map((issue) => ({ kind: issue.kind, roundId: issue.roundId ?? null, detail: `${issue.lab === undefined || issue.lab === null ? '' : `(${issue.lab}) `}${issue.detail}` }));
          } catch {
            issues = [{ kind: 'unreadable-report', roundId: null, detail: result.stderr.trim().slice(0, 300) }];
          }
          crossChecks.push({ a, b, exitCode: result.code, issues });
        });
      }
    }
    await inParallel(pairs, 2);
    crossChecks.sort((x, y) => `${x.a}${x.b}`.localeCompare(`${y.a}${y.b}`));
    const peakRssMiB = Object.fromEntries(this.labs.map((lab) => [lab.id, lab.daemon.peakRssMiB]));
    const evidence: RunEvidence = {
      nodes: [...LABS], snapshots: this.snapshots, final, matchKeys, expected: this.expected, limits: this.limits, rootsAt, proofs, crossChecks,
      restarts: this.restarts, exits: this.exits, peakRssMiB, rssLimitMiB: this.options.rssLimitMiB,
    };
    const violations = [...this.extraViolations, ...checkInvariants(evidence)];
    this.phase('check');
    const result = this.summarize(final, evidence, violations);
    this.cleanup();
    return result;
  }

  /** Roots of the final log at every size, from its leaves alone (@venn/audit, RFC 9162). */
  private rootsOf(storePath: string, node: string): Map<number, string> {
    const db = new Database(storePath, { readonly: true });
    const leaves = db.prepare('SELECT leaf FROM log_leaves ORDER BY idx').pluck().all() as Buffer[];
    db.close();
    const sizes = new Set<number>();
    for (const snapshot of [...this.snapshots.filter((s) => s.node === node)]) for (const head of snapshot.heads) sizes.add(head.size);
    const final = readSnapshot(node, storePath);
    for (const head of final.heads) sizes.add(head.size);
    const log = new MerkleLog(new MemoryLogStorage());
    const roots = new Map<number, string>();
    if (sizes.has(0)) roots.set(0, Buffer.from(log.root(0)).toString('hex'));
    for (let i = 0; i < leaves.length; i++) {
      log.append(new Uint8Array(leaves[i]!));
      if (sizes.has(i + 1)) roots.set(i + 1, Buffer.from(log.root(i + 1)).toString('hex'));
    }
    return roots;
  }

  private summarize(final: ReadonlyMap<string, StoreSnapshot>, evidence: RunEvidence, violations: readonly Violation[]): ChaosResult {
    const roundIds = new Set<string>();
    const completedIds = new Set<string>();
    const abortedByReason: Record<string, number> = {};
    let attempts = 0;
    let attemptsCompleted = 0;
    let retries = 0;
    for (const snapshot of final.values()) {
      for (const attempt of snapshot.attempts.values()) {
        attempts += 1;
        roundIds.add(attempt.roundId);
        if (attempt.status === 'completed') {
          completedIds.add(attempt.roundId);
          attemptsCompleted += 1;
        }
        if (attempt.status === 'aborted') abortedByReason[attempt.reason ?? 'none'] = (abortedByReason[attempt.reason ?? 'none'] ?? 0) + 1;
        if (attempt.role === 'initiator' && attempt.attempt > 1) retries += 1;
      }
    }
    return {
      seed: this.options.seed, minutes: this.options.minutes, workDir: this.root, faults: { ...this.faults },
      roundsAttempted: roundIds.size, roundsCompleted: completedIds.size, attempts, attemptsCompleted, abortedByReason, retries,
      adHoc: { requested: this.adHoc.requested, accepted: this.adHoc.accepted, refused: { ...this.adHoc.refused } },
      healthyAfterKillMs: this.healthyAfterKill, healthyAfterDiskFullMs: this.healthyAfterDisk, diskFull: this.diskAvailable,
      exitsOnFullDisk: this.diskFullExits,
      lostLastFinish: lostLastFinish(evidence).size, skipped: this.skipped,
      peakRssMiB: evidence.peakRssMiB, snapshots: this.snapshots.length, crossChecks: evidence.crossChecks.length, proofs: evidence.proofs.length, violations,
      phases: { ...this.phases },
    };
  }

  private cleanup(): void {
    for (const lab of this.labs) {
      if (lab.daemon.running) lab.daemon.signal('SIGKILL');
    }
    if (this.options.keep) {
      // Copy what matters off the small filesystems before they go.
      for (const lab of this.labs) {
        const keep = join(this.root, `${lab.id}-kept`);
        mkdirSync(keep, { recursive: true });
        spawnSync('cp', ['-a', `${lab.dir}/.`, keep]);
      }
    }
    for (const lab of this.labs) unmount(lab.mount);
    if (!this.options.keep) rmSync(this.root, { recursive: true, force: true });
  }

  /** Stops everything after a failure in the harness itself. */
  async abortRun(): Promise<void> {
    this.ending = true;
    for (const timer of this.timers) clearTimeout(timer);
    for (const lab of this.labs) {
      lab.daemon.expectExit = 'harness stopped';
      if (lab.daemon.running) {
        lab.daemon.signal('SIGCONT');
        lab.daemon.signal('SIGKILL');
        await lab.daemon.exited(10_000);
      }
      await lab.daemon.proxy.close();
    }
    for (const lab of this.labs) unmount(lab.mount);
    if (!this.options.keep) rmSync(this.root, { recursive: true, force: true });
  }
}

/** One seeded run, start to verdict. */
export async function runChaos(options: ChaosOptions): Promise<ChaosResult> {
  const run = new ChaosRun(options);
  try {
    return await run.run();
  } catch (error) {
    await run.abortRun();
    throw error;
  }
}
