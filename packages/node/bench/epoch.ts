/**
 * bench:epoch — key epochs (SPEC §13, node.md §10) between real daemons: `venn start` child
 * processes on 127.0.0.1 with their own SQLite stores, lists loaded with `venn ingest`, churn with
 * `venn ingest` and `venn remove` through the running daemons, and the incremental round the
 * daemons run at their next tick (every `incrementalMinutes`; nothing starts an epoch round sooner,
 * node.md §10.3). CPU time and peak RSS come from /proc, per daemon process (all its threads).
 *
 *   npm run bench:epoch -- [--scenario churn|latency|asymmetric|all] [--n 1000000] [--overlap 0.1]
 *       [--churn 0.01] [--small 25000] [--large 4000000] [--round-cap 1048576] [--latency-n 2000]
 *       [--epoch-days 7] [--interval-minutes 1] [--first-tick SECONDS] [--keep] [--cpu-prof]
 *
 * churn       two daemons, n identifiers each (`overlap` of them shared): the epoch's start, then
 *             `churn` of each list changed (half additions, some of them held by the peer; half
 *             removals, some of them matched) and the incremental round that carries it; the
 *             matches each side holds afterwards are checked against the exact intersection.
 * latency     three daemons, `latency-n` identifiers each: once their epochs settled, one lab adds
 *             an identifier the two others hold, right after a tick (the worst phase); how long
 *             until `venn matches` shows it at each lab.
 * asymmetric  `small` against `large` identifiers: an epoch start of several rounds (a round adds
 *             at most `round-cap`, the small side's maxPeerSetSize), a 1 % churn round, and a
 *             projection of the per-element costs to a large side of 10^8.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { appendFileSync, closeSync, existsSync, mkdirSync, mkdtempSync, openSync, readFileSync, readdirSync, rmSync, statSync, writeFileSync, writeSync } from 'node:fs';
import { availableParallelism, loadavg, tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import Database from 'better-sqlite3';
import { hashIdentifier } from '@venn/identifiers';
import { epochId, epochSlotStart, scheduledInitiator } from '@venn/node';
import { parseRoster, rosterDigest } from '@venn/transport';
import { MAX_EPOCH_SET_SIZE, MAX_SET_SIZE } from '@venn/wire';
import { loopbackPort as freePort } from '@venn/node';
import { lagFigures, lagLine, lagWindow, scrapeMainThread, type LagFigures, type LagWindow } from './lag.js';

const here = dirname(fileURLToPath(import.meta.url));
const cli = join(here, '../../dist/cli.js');
const LIST = 'bench';

// ---- options ------------------------------------------------------------------------------------

const USAGE = `usage: npm run bench:epoch -- [--scenario churn|latency|asymmetric|all] [--n N] [--overlap F] [--churn F]
       [--small N] [--large N] [--round-cap N] [--latency-n N] [--epoch-days D] [--interval-minutes M]
       [--first-tick SECONDS] [--churn-margin SECONDS] [--poll-ms MS] [--timeout-minutes M] [--keep] [--cpu-prof]`;

class OptionError extends Error {}

function options(argv: string[]) {
  let values;
  try {
    ({ values } = parseArgs({
      // `pnpm run bench:epoch -- --n 10` forwards the "--" itself; drop it.
      args: argv.filter((arg) => arg !== '--'),
      strict: true,
      options: {
        scenario: { type: 'string', default: 'churn' },
        n: { type: 'string', default: '1000000' },
        overlap: { type: 'string', default: '0.1' },
        churn: { type: 'string', default: '0.01' },
        small: { type: 'string', default: '25000' },
        large: { type: 'string', default: '4000000' },
        'round-cap': { type: 'string', default: String(MAX_SET_SIZE) },
        'latency-n': { type: 'string', default: '2000' },
        'epoch-days': { type: 'string', default: '7' },
        'interval-minutes': { type: 'string', default: '1' },
        'first-tick': { type: 'string' },
        'churn-margin': { type: 'string', default: '15' },
        'poll-ms': { type: 'string', default: '500' },
        'timeout-minutes': { type: 'string', default: '120' },
        'cpu-prof': { type: 'boolean', default: false },
        keep: { type: 'boolean', default: false },
        help: { type: 'boolean', default: false },
      },
    }));
  } catch (error) {
    throw new OptionError((error as Error).message);
  }
  const integer = (name: keyof typeof values, min: number, max: number): number => {
    const text = values[name] as string;
    const value = Number(text);
    if (!/^[0-9]+$/.test(text) || !Number.isSafeInteger(value) || value < min || value > max) {
      throw new OptionError(`"--${name}" expected an integer from ${min} to ${max}, got ${JSON.stringify(text)}`);
    }
    return value;
  };
  const fraction = (name: keyof typeof values, min: number, max: number): number => {
    const text = values[name] as string;
    const value = Number(text);
    if (text.trim() === '' || !Number.isFinite(value) || value < min || value > max) throw new OptionError(`"--${name}" expected a number from ${min} to ${max}, got ${JSON.stringify(text)}`);
    return value;
  };
  const scenarios = ['churn', 'latency', 'asymmetric', 'all'] as const;
  if (!(scenarios as readonly string[]).includes(values.scenario!)) throw new OptionError(`"--scenario" expected one of ${scenarios.join(', ')}, got ${JSON.stringify(values.scenario)}`);
  const parsed = {
    help: values.help === true,
    scenario: values.scenario as (typeof scenarios)[number],
    n: integer('n', 10, MAX_SET_SIZE),
    overlap: fraction('overlap', 0, 1),
    churn: fraction('churn', 0, 0.5),
    small: integer('small', 10, MAX_SET_SIZE),
    large: integer('large', 10, MAX_EPOCH_SET_SIZE),
    roundCap: integer('round-cap', 1, MAX_SET_SIZE),
    latencyN: integer('latency-n', 100, MAX_SET_SIZE),
    epochDays: integer('epoch-days', 1, 28),
    intervalMinutes: integer('interval-minutes', 1, 1440),
    firstTick: values['first-tick'] === undefined ? undefined : integer('first-tick', 1, 86_400),
    churnMargin: integer('churn-margin', 1, 3600),
    pollMs: integer('poll-ms', 50, 10_000),
    timeoutMinutes: integer('timeout-minutes', 1, 24 * 60),
    cpuProf: values['cpu-prof'] === true,
    keep: values.keep === true,
  };
  if (parsed.small >= parsed.large) throw new OptionError(`"--small" expected fewer identifiers than --large (${parsed.large}), got ${parsed.small}`);
  if (parsed.firstTick !== undefined && parsed.firstTick >= parsed.intervalMinutes * 60) {
    throw new OptionError(`"--first-tick" expected fewer seconds than one interval (${parsed.intervalMinutes * 60}), got ${parsed.firstTick}`);
  }
  return parsed;
}

type Options = ReturnType<typeof options>;

// ---- identifier layouts and the exact intersection -----------------------------------------------

/** Sorted, disjoint half-open index intervals. */
class Ranges {
  private spans: Array<[number, number]> = [];

  static of(from: number, to: number): Ranges {
    return new Ranges().add(from, to);
  }

  get size(): number {
    return this.spans.reduce((sum, [from, to]) => sum + to - from, 0);
  }

  add(from: number, to: number): this {
    if (to <= from) return this;
    const out: Array<[number, number]> = [];
    let merged: [number, number] = [from, to];
    for (const span of this.spans) {
      if (span[1] < merged[0] || span[0] > merged[1]) out.push(span);
      else merged = [Math.min(span[0], merged[0]), Math.max(span[1], merged[1])];
    }
    out.push(merged);
    this.spans = out.sort((x, y) => x[0] - y[0]);
    return this;
  }

  remove(from: number, to: number): this {
    if (to <= from) return this;
    const out: Array<[number, number]> = [];
    for (const [a, b] of this.spans) {
      if (b <= from || a >= to) out.push([a, b]);
      else {
        if (a < from) out.push([a, from]);
        if (b > to) out.push([to, b]);
      }
    }
    this.spans = out;
    return this;
  }

  intersect(other: Ranges): Ranges {
    const out = new Ranges();
    for (const [a, b] of this.spans) for (const [c, d] of other.spans) out.add(Math.max(a, c), Math.min(b, d));
    return out;
  }

  clone(): Ranges {
    const out = new Ranges();
    out.spans = this.spans.map(([a, b]) => [a, b]);
    return out;
  }

  *[Symbol.iterator](): Iterator<number> {
    for (const [from, to] of this.spans) for (let i = from; i < to; i++) yield i;
  }
}

/** A lab's list: index ranges per identifier prefix; identifier i of prefix p is `p-i@example.com`. */
type Layout = Map<string, Ranges>;

const identifier = (prefix: string, index: number): string => `${prefix}-${index}@example.com`;
const layoutSize = (layout: Layout): number => [...layout.values()].reduce((sum, r) => sum + r.size, 0);
const layoutOf = (entries: Array<[string, number, number]>): Layout => {
  const out: Layout = new Map();
  for (const [prefix, from, to] of entries) (out.get(prefix) ?? out.set(prefix, new Ranges()).get(prefix)!).add(from, to);
  return out;
};
const cloneLayout = (layout: Layout): Layout => new Map([...layout].map(([p, r]) => [p, r.clone()]));

function intersectLayouts(x: Layout, y: Layout): Layout {
  const out: Layout = new Map();
  for (const [prefix, ranges] of x) {
    const other = y.get(prefix);
    if (other !== undefined) out.set(prefix, ranges.intersect(other));
  }
  return out;
}

function applyChange(layout: Layout, change: { add: Layout; remove: Layout }): Layout {
  const out = cloneLayout(layout);
  for (const [prefix, ranges] of change.remove) {
    const target = out.get(prefix);
    if (target !== undefined) for (const span of spansOf(ranges)) target.remove(span[0], span[1]);
  }
  for (const [prefix, ranges] of change.add) {
    const target = out.get(prefix) ?? out.set(prefix, new Ranges()).get(prefix)!;
    for (const span of spansOf(ranges)) target.add(span[0], span[1]);
  }
  return out;
}

function spansOf(ranges: Ranges): Array<[number, number]> {
  const out: Array<[number, number]> = [];
  let start = -1;
  let last = -2;
  for (const i of ranges) {
    if (i !== last + 1) {
      if (start >= 0) out.push([start, last + 1]);
      start = i;
    }
    last = i;
  }
  if (start >= 0) out.push([start, last + 1]);
  return out;
}

/** The exact intersection as hex digests (identifiers.md §10), the ground truth of the matches. */
function digestsOf(layout: Layout): Set<string> {
  const out = new Set<string>();
  for (const [prefix, ranges] of layout) for (const i of ranges) out.add(Buffer.from(hashIdentifier('email', identifier(prefix, i)).digest).toString('hex'));
  return out;
}

/** Writes a list as CSV (header `email`), streamed in chunks, mode 0600: it holds raw identifiers. */
function writeList(path: string, layout: Layout): number {
  const fd = openSync(path, 'w', 0o600);
  let rows = 0;
  try {
    let chunk = 'email\n';
    for (const [prefix, ranges] of layout) {
      for (const i of ranges) {
        chunk += `${identifier(prefix, i)}\n`;
        rows++;
        if (chunk.length >= 1 << 20) {
          writeSync(fd, chunk);
          chunk = '';
        }
      }
    }
    writeSync(fd, chunk);
  } finally {
    closeSync(fd);
  }
  return rows;
}

interface Change {
  readonly add: Layout;
  readonly remove: Layout;
}

/**
 * Churn of two lists: side X has `own[X]` only it holds, both hold `s`. Each side changes about
 * `changes[X]` identifiers: half additions (a third of them identifiers the peer holds alone, a
 * third new identifiers the peer adds in the same round, the rest new to both) and half removals
 * (half of them matched identifiers, the rest its own). The blocks are disjoint, so every new and
 * ended match is planted on purpose.
 */
function planChurn(layouts: Record<'x' | 'y', Layout>, own: Record<'x' | 'y', string>, changes: Record<'x' | 'y', number>): Record<'x' | 'y', Change> {
  const shared = layouts.x.get('s')?.size ?? 0;
  const ownSize = { x: layouts.x.get(own.x)!.size, y: layouts.y.get(own.y)!.size };
  const additions = { x: Math.floor(changes.x / 2), y: Math.floor(changes.y / 2) };
  const removals = { x: changes.x - additions.x, y: changes.y - additions.y };
  const removeShared = { x: Math.min(Math.floor(removals.x / 2), shared), y: 0 };
  removeShared.y = Math.min(Math.floor(removals.y / 2), shared - removeShared.x);
  const removeOwn = { x: Math.min(removals.x - removeShared.x, ownSize.x), y: Math.min(removals.y - removeShared.y, ownSize.y) };
  const fromPeer = { x: Math.min(Math.floor(additions.x / 3), ownSize.y - removeOwn.y), y: Math.min(Math.floor(additions.y / 3), ownSize.x - removeOwn.x) };
  const both = { x: Math.floor(additions.x / 3), y: Math.floor(additions.y / 3) };
  const fresh = { x: additions.x - fromPeer.x - both.x, y: additions.y - fromPeer.y - both.y };
  return {
    x: {
      add: layoutOf([[own.y, ownSize.y - fromPeer.x, ownSize.y], ['n', 0, both.x], [`f${own.x}`, 0, fresh.x]]),
      remove: layoutOf([['s', 0, removeShared.x], [own.x, 0, removeOwn.x]]),
    },
    y: {
      add: layoutOf([[own.x, ownSize.x - fromPeer.y, ownSize.x], ['n', 0, both.y], [`f${own.y}`, 0, fresh.y]]),
      remove: layoutOf([['s', removeShared.x, removeShared.x + removeShared.y], [own.y, 0, removeOwn.y]]),
    },
  };
}

// ---- processes ----------------------------------------------------------------------------------

const sleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, Math.max(0, ms)));

interface CliRun {
  readonly stdout: string;
  readonly seconds: number;
  /** the command's peak RSS as last sampled from /proc while it ran, MiB */
  readonly peakRssMiB: number;
}

function venn(args: string[]): Promise<CliRun> {
  return new Promise((resolve, reject) => {
    const started = performance.now();
    const child = spawn(process.execPath, [cli, ...args], { stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    let peak = 0;
    const sampler = setInterval(() => {
      try {
        peak = Math.max(peak, usage(child.pid!).peakRssMiB);
      } catch {
        // exited between two samples
      }
    }, 200);
    child.stdout.on('data', (chunk: Buffer) => { stdout += chunk.toString(); });
    child.stderr.on('data', (chunk: Buffer) => { stderr += chunk.toString(); });
    child.on('error', (error) => {
      clearInterval(sampler);
      reject(error);
    });
    child.on('close', (code) => {
      clearInterval(sampler);
      if (code === 0) resolve({ stdout, seconds: (performance.now() - started) / 1000, peakRssMiB: peak });
      else reject(new Error(`venn ${args.join(' ')} exited with ${code}: ${stderr.trim().split('\n').slice(-5).join('\n')}`));
    });
  });
}


/** utime + stime of a process (all its threads) in seconds, and its peak RSS (VmHWM) in MiB, from /proc. */
function usage(pid: number): { cpuSeconds: number; peakRssMiB: number } {
  const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
  const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  const ticks = Number(fields[11]) + Number(fields[12]);
  const hwm = /VmHWM:\s+(\d+) kB/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
  return { cpuSeconds: ticks / 100, peakRssMiB: Number(hwm?.[1] ?? 0) / 1024 };
}

/** Resets a process's peak RSS to its current RSS (Linux clear_refs "5"), so a later peak is that phase's own. */
function resetPeak(pid: number): boolean {
  try {
    writeFileSync(`/proc/${pid}/clear_refs`, '5');
    return true;
  } catch {
    return false;
  }
}

// ---- the store, read-only, as the daemon writes it (node.md §2, §10.4) ---------------------------

interface EpochRow {
  readonly row: number;
  readonly epochId: string;
  readonly role: string;
  readonly nextIndex: number;
  readonly ownCount: number;
  readonly peerCount: number;
  readonly intersection: number;
  readonly ownMore: boolean;
  readonly peerMore: boolean;
}

interface EpochRoundRow {
  readonly roundRow: number;
  readonly idx: number;
  readonly kind: string;
  readonly status: string;
  readonly reason: string | null;
  readonly additions: number | null;
  readonly removals: number | null;
  readonly peerAdditions: number | null;
  readonly peerRemovals: number | null;
  readonly newMatches: number | null;
  readonly endedMatches: number | null;
  readonly startedAt: number | null;
  readonly finishedAt: number | null;
  readonly intersectionSize: number | null;
}

class StoreView {
  private readonly db: Database.Database;

  constructor(path: string) {
    this.db = new Database(path, { readonly: true, fileMustExist: true });
  }

  openEpoch(peer: string): EpochRow | undefined {
    const row = this.db.prepare(`SELECT id, epoch_id, role, next_index, own_count, peer_count, intersection, own_more, peer_more FROM epochs
      WHERE peer_id = ? AND status = 'open' ORDER BY id DESC LIMIT 1`).get(peer) as {
      id: number; epoch_id: Buffer; role: string; next_index: number; own_count: number; peer_count: number; intersection: number; own_more: number; peer_more: number;
    } | undefined;
    return row === undefined ? undefined : {
      row: row.id, epochId: row.epoch_id.toString('hex'), role: row.role, nextIndex: row.next_index, ownCount: row.own_count, peerCount: row.peer_count,
      intersection: row.intersection, ownMore: row.own_more === 1, peerMore: row.peer_more === 1,
    };
  }

  /** Epochs with the peer that ended, and why (to explain a failure). */
  endedEpochs(peer: string): string[] {
    return (this.db.prepare("SELECT end_reason FROM epochs WHERE peer_id = ? AND status = 'ended' ORDER BY id").pluck().all(peer) as Array<string | null>).map((r) => r ?? 'ended');
  }

  /** Attempts not yet finished (scheduled or running). */
  unfinished(): number {
    return (this.db.prepare("SELECT count(*) FROM rounds WHERE status IN ('scheduled', 'running')").pluck().get() as number);
  }

  rounds(epochRow: number): EpochRoundRow[] {
    const rows = this.db.prepare(`SELECT e.round_row, e.idx, e.kind, r.status, r.reason, e.additions, e.removals, e.peer_additions, e.peer_removals,
        e.new_matches, e.ended_matches, r.started_at, r.finished_at, r.intersection_size
      FROM epoch_rounds e JOIN rounds r ON r.id = e.round_row WHERE e.epoch_row = ? ORDER BY e.round_row`).all(epochRow) as Array<Record<string, unknown>>;
    return rows.map((r) => ({
      roundRow: r['round_row'] as number, idx: r['idx'] as number, kind: r['kind'] as string, status: r['status'] as string, reason: r['reason'] as string | null,
      additions: r['additions'] as number | null, removals: r['removals'] as number | null, peerAdditions: r['peer_additions'] as number | null,
      peerRemovals: r['peer_removals'] as number | null, newMatches: r['new_matches'] as number | null, endedMatches: r['ended_matches'] as number | null,
      startedAt: r['started_at'] as number | null, finishedAt: r['finished_at'] as number | null, intersectionSize: r['intersection_size'] as number | null,
    }));
  }

  /**
   * node.md §10.4: the epoch's current matches, from what its completed rounds recorded: each
   * round's new matches (its `matches` rows) added, the digests whose match ended in it removed.
   */
  currentMatches(epochRow: number): Set<string> {
    const current = new Set<string>();
    const added = this.db.prepare('SELECT digest FROM matches WHERE round_row = ?').pluck();
    const ended = this.db.prepare('SELECT digest FROM epoch_match_ends WHERE round_row = ?').pluck();
    for (const round of this.rounds(epochRow)) {
      if (round.status !== 'completed') continue;
      for (const digest of added.all(round.roundRow) as Buffer[]) current.add(digest.toString('hex'));
      for (const digest of ended.all(round.roundRow) as Buffer[]) current.delete(digest.toString('hex'));
    }
    return current;
  }

  /** The peers whose completed rounds matched this digest: the `peers` of its `venn matches` row. */
  matchPeers(digest: Buffer): string[] {
    return this.db.prepare(`SELECT DISTINCT r.peer_id FROM matches m JOIN rounds r ON r.id = m.round_row
      WHERE m.digest = ? AND r.status = 'completed' ORDER BY r.peer_id`).pluck().all(digest) as string[];
  }

  close(): void {
    this.db.close();
  }
}

// ---- labs ---------------------------------------------------------------------------------------

interface Lab {
  readonly id: string;
  readonly dir: string;
  readonly listen: number;
  readonly admin: number;
  readonly log: string;
  token: string;
  child?: ChildProcess;
  view?: StoreView | undefined;
  /**
   * The daemon's clock minus real time (ms), measured: the largest `time` of its log lines (the
   * daemon's clock, node.md §8) minus when each line arrived here. --clock-start starts the clock
   * once the process runs, a moment after the spawn, so this is what places its ticks.
   */
  clockOffsetMs?: number;
}

class Bench {
  readonly labs = new Map<string, Lab>();
  /** daemon clock minus real time, ms (venn start --clock-start), so ticks fall when the bench expects them */
  clockOffsetMs = 0;
  readonly intervalMs: number;
  readonly deadline: number;
  rosterPath = '';

  constructor(readonly root: string, readonly opts: Options) {
    this.intervalMs = opts.intervalMinutes * 60_000;
    this.deadline = Date.now() + opts.timeoutMinutes * 60_000;
  }

  lab(id: string): Lab {
    return this.labs.get(id)!;
  }

  /** `venn init` per lab, policy fields set in its config, one roster with key epochs, installed everywhere. */
  async setup(ids: string[], policy: Record<string, { maxPeerSetSize: number; config?: Record<string, number> }>): Promise<void> {
    const entries: string[] = [];
    for (const id of ids) {
      const lab: Lab = { id, dir: join(this.root, id), listen: await freePort(), admin: await freePort(), log: join(this.root, `${id}.log`), token: '' };
      this.labs.set(id, lab);
      const entry = await venn(['init', '--dir', lab.dir, '--id', id, '--listen', `127.0.0.1:${lab.listen}`, '--admin', `127.0.0.1:${lab.admin}`, '--max-peer-set-size', String(policy[id]!.maxPeerSetSize)]);
      const path = join(this.root, `${id}.entry.json`);
      writeFileSync(path, entry.stdout);
      entries.push(path);
      lab.token = readFileSync(join(lab.dir, 'admin.token'), 'utf8').trim();
      const extra = policy[id]!.config;
      if (extra !== undefined) {
        const configPath = join(lab.dir, 'venn.config.json');
        const config = JSON.parse(readFileSync(configPath, 'utf8')) as { policy: Record<string, unknown> };
        Object.assign(config.policy, extra);
        writeFileSync(configPath, `${JSON.stringify(config, null, 2)}\n`);
      }
    }
    this.rosterPath = join(this.root, 'roster.json');
    await venn(['roster', 'build', '--name', 'bench-epoch', '--schedule', '0 0 1 1 *', '--epoch-days', String(this.opts.epochDays),
      '--incremental-minutes', String(this.opts.intervalMinutes), '--out', this.rosterPath, ...entries]);
    for (const id of ids) await venn(['roster', 'use', '--dir', this.lab(id).dir, this.rosterPath]);
  }

  /** Loads a lab's list with venn ingest (before its daemon starts: straight into the store under the node lock). */
  async ingest(id: string, path: string, expected: number): Promise<CliRun> {
    const run = await venn(['ingest', '--dir', this.lab(id).dir, '--kind', 'email', '--list', LIST, '--json', path]);
    const report = JSON.parse(run.stdout) as { accepted: number; rejected: number; rejectsPath: string | null };
    if (report.accepted !== expected || report.rejected !== 0) throw new Error(`${id}: venn ingest ${path} accepted ${report.accepted} of ${expected} rows (${report.rejected} rejected${report.rejectsPath === null ? '' : `, see ${report.rejectsPath}`})`);
    return run;
  }

  async remove(id: string, path: string, expected: number): Promise<CliRun> {
    const run = await venn(['remove', '--dir', this.lab(id).dir, '--list', LIST, '--json', path]);
    const report = JSON.parse(run.stdout) as { removed: number };
    if (report.removed !== expected) throw new Error(`${id}: venn remove ${path} removed ${report.removed} of ${expected} identifiers`);
    return run;
  }

  /**
   * Chooses the daemons' clock: the system clock, or (--first-tick) one offset by less than an
   * interval so that the first tick falls that many seconds from now; and, when the epoch slot ends
   * within six hours, six hours earlier, so that no epoch ends during the run (node.md §10.1).
   */
  chooseClock(): void {
    let offset = 0;
    if (this.opts.firstTick !== undefined) {
      const target = Date.now() + this.opts.firstTick * 1000;
      offset = Math.ceil(target / this.intervalMs) * this.intervalMs - target;
    }
    const now = Date.now() + offset;
    const slotEnd = (epochSlotStart(now, this.opts.epochDays) + this.opts.epochDays * 86_400) * 1000;
    if (slotEnd - now < 6 * 3_600_000) {
      offset -= Math.ceil((6 * 3_600_000) / this.intervalMs) * this.intervalMs;
      console.log(`  (the epoch slot ends at ${new Date(slotEnd).toISOString()}: the daemons' clocks run ${(offset / 3_600_000).toFixed(2)} h off so no epoch ends mid-run)`);
    }
    this.clockOffsetMs = offset;
  }

  /**
   * Real time (ms) of the next tick after now (node.md §10.3: multiples of the interval from Unix
   * time 0 on the daemon's clock) of the given daemons: the earliest of their next ticks.
   */
  nextTick(ids: readonly string[] = [...this.labs.keys()]): number {
    const real = Date.now();
    return Math.min(...ids.map((id) => {
      const offset = this.lab(id).clockOffsetMs ?? this.clockOffsetMs;
      return Math.floor((real + offset) / this.intervalMs) * this.intervalMs + this.intervalMs - offset;
    }));
  }

  /** The initiator of the pair's first epoch in the current slot (node.md §10.2). */
  initiator(a: string, b: string): string {
    const digest = rosterDigest(parseRoster(readFileSync(this.rosterPath, 'utf8')));
    const slot = epochSlotStart(Date.now() + this.clockOffsetMs, this.opts.epochDays);
    return scheduledInitiator(epochId(digest, slot, 0, a, b), a, b);
  }

  async start(id: string): Promise<{ cpuSeconds: number; peakRssMiB: number }> {
    const lab = this.lab(id);
    const fd = openSync(lab.log, 'a', 0o600);
    const profile = this.opts.cpuProf ? ['--cpu-prof', '--cpu-prof-dir', join(this.root, 'profiles', id)] : [];
    const clock = this.clockOffsetMs === 0 ? [] : ['--clock-start', new Date(Date.now() + this.clockOffsetMs).toISOString()];
    lab.child = spawn(process.execPath, [...profile, cli, 'start', '--dir', lab.dir, ...clock], { stdio: ['ignore', 'pipe', fd] });
    closeSync(fd);
    let pending = '';
    lab.child.stdout!.on('data', (chunk: Buffer) => {
      const arrived = Date.now();
      appendFileSync(lab.log, chunk, { mode: 0o600 });
      const lines = (pending + chunk.toString()).split('\n');
      pending = lines.pop() ?? '';
      for (const line of lines) {
        const time = /"time":"([^"]+)"/.exec(line)?.[1];
        const offset = time === undefined ? NaN : Date.parse(time) - arrived;
        if (Number.isFinite(offset)) lab.clockOffsetMs = Math.max(lab.clockOffsetMs ?? -Infinity, offset);
      }
    });
    for (;;) {
      if (lab.child.exitCode !== null) throw new Error(`${id}: venn start exited with ${lab.child.exitCode}: ${this.logTail(id)}`);
      try {
        if ((await fetch(`http://127.0.0.1:${lab.admin}/healthz`)).status === 200) break;
      } catch {
        // not listening yet
      }
      if (Date.now() > this.deadline) throw new Error(`${id}: no /healthz answer`);
      await sleep(10);
    }
    lab.view ??= new StoreView(join(lab.dir, 'venn.db'));
    return usage(lab.child.pid!);
  }

  usage(id: string): { cpuSeconds: number; peakRssMiB: number } {
    return usage(this.lab(id).child!.pid!);
  }

  /**
   * Scrapes each daemon's event-loop lag about once a second until the returned stop() (prom-client
   * resets its maximum at each scrape), so a main-thread stall is placed in the rounds measured.
   * The first scrape, at once, only resets the maximum (a daemon's start-up is not a round's).
   */
  async watchLag(ids: readonly string[]): Promise<() => Promise<Record<string, LagFigures>>> {
    const windows: Record<string, LagWindow[]> = Object.fromEntries(ids.map((id) => [id, []]));
    const started = performance.now();
    const scrape = async (id: string) => scrapeMainThread(this.lab(id).admin, this.lab(id).token);
    for (const id of ids) await scrape(id);
    let stopping = false;
    const loop = (async () => {
      while (!stopping) {
        await sleep(1000);
        for (const id of ids) windows[id]!.push(lagWindow(await scrape(id), (performance.now() - started) / 1000));
      }
    })();
    return async () => {
      stopping = true;
      await loop;
      return Object.fromEntries(ids.map((id) => [id, lagFigures(windows[id]!)]));
    };
  }

  resetPeak(id: string): boolean {
    return resetPeak(this.lab(id).child!.pid!);
  }

  logTail(id: string): string {
    try {
      return readFileSync(this.lab(id).log, 'utf8').trim().split('\n').slice(-5).join('\n');
    } catch {
      return '(no log)';
    }
  }

  async stopAll(): Promise<void> {
    await Promise.all([...this.labs.values()].map(async (lab) => {
      lab.view?.close();
      lab.view = undefined;
      const child = lab.child;
      if (child === undefined || child.exitCode !== null || child.signalCode !== null) return;
      const exited = new Promise((resolve) => child.once('exit', resolve));
      child.kill('SIGTERM');
      const timer = setTimeout(() => child.kill('SIGKILL'), 60_000);
      await exited;
      clearTimeout(timer);
    }));
  }

  /** Polls until `done` holds; fails on the deadline or when a daemon exited. */
  async until(what: string, done: () => boolean, pollMs = 250): Promise<void> {
    while (!done()) {
      for (const lab of this.labs.values()) {
        if (lab.child !== undefined && lab.child.exitCode !== null) throw new Error(`${lab.id} exited with ${lab.child.exitCode} while waiting for ${what}: ${this.logTail(lab.id)}`);
      }
      if (Date.now() > this.deadline) throw new Error(`timed out (--timeout-minutes ${this.opts.timeoutMinutes}) waiting for ${what}`);
      await sleep(pollMs);
    }
  }

  /**
   * Whether the pair's epoch settled: open on both sides at the same index after round 0, each
   * side's count equal to its list, nothing more waiting on either side (neither its own changes
   * nor what the peer may still add) and no attempt running at either.
   */
  settled(x: string, y: string, sizes: Record<string, number>): boolean {
    const ex = this.lab(x).view!.openEpoch(y);
    const ey = this.lab(y).view!.openEpoch(x);
    if (ex === undefined || ey === undefined || ex.epochId !== ey.epochId) {
      this.checkNotBroken(x, y);
      return false;
    }
    return ex.nextIndex >= 1 && ex.nextIndex === ey.nextIndex && ex.ownCount === sizes[x] && ey.ownCount === sizes[y] && ex.peerCount === sizes[y]
      && ey.peerCount === sizes[x] && !ex.ownMore && !ey.ownMore && !ex.peerMore && !ey.peerMore && this.lab(x).view!.unfinished() === 0 && this.lab(y).view!.unfinished() === 0;
  }

  /** An epoch that ended (a broken round, node.md §10.6) ends the run: say why. */
  private checkNotBroken(x: string, y: string): void {
    for (const [a, b] of [[x, y], [y, x]] as const) {
      const ended = this.lab(a).view!.endedEpochs(b);
      if (ended.length > 0) throw new Error(`${a}: its key epoch with ${b} ended (${ended.join(', ')}); see ${this.lab(a).log}`);
    }
  }

  /** Waits until `real` (ms) or fails past the deadline. */
  async sleepUntil(real: number): Promise<void> {
    if (real > this.deadline) throw new Error(`timed out (--timeout-minutes ${this.opts.timeoutMinutes}) before ${new Date(real).toISOString()}`);
    await sleep(real - Date.now());
  }
}

// ---- figures ------------------------------------------------------------------------------------

const round1 = (x: number): number => Number(x.toFixed(1));
const round2 = (x: number): number => Number(x.toFixed(2));
const load = (): string => `${loadavg().map((v) => v.toFixed(2)).join(' ')} (${availableParallelism()} cores)`;
const fmt = (x: number): string => x.toLocaleString('en-US');
const abortedText = (aborted: EpochRoundRow[]): string => (aborted.length === 0 ? '' : `; ${aborted.length} aborted attempt(s), run again: ${aborted.map((r) => `#${r.idx} ${r.reason ?? r.status}`).join(', ')}`);

interface SideFigures {
  cpuSeconds: number;
  peakRssMiB: number;
  /** the daemon's event-loop lag over the rounds measured, by one-second scrape window */
  lag?: LagFigures;
}


const lagText = (lag: LagFigures | undefined): string => (lag === undefined ? '' : `; ${lagLine(lag)}`);

/** Measures one pair's epoch start: the responder started first, then the initiator, until the epoch settled. */
async function epochStart(bench: Bench, ids: [string, string], sizes: Record<string, number>): Promise<{
  initiator: string; wallSeconds: number; rounds: EpochRoundRow[]; aborted: EpochRoundRow[]; sides: Record<string, SideFigures>; epoch: EpochRow;
}> {
  const initiator = bench.initiator(ids[0], ids[1]);
  const responder = initiator === ids[0] ? ids[1] : ids[0];
  // The responder first, so the initiator's first dial (at its start, node.md §10.3) finds it listening.
  const before: Record<string, { cpuSeconds: number }> = {};
  before[responder] = await bench.start(responder);
  before[initiator] = await bench.start(initiator);
  const stopLag = await bench.watchLag(ids);
  await bench.until('the epoch start', () => bench.settled(ids[0], ids[1], sizes));
  const lag = await stopLag();
  const sides: Record<string, SideFigures> = {};
  for (const id of ids) {
    const after = bench.usage(id);
    sides[id] = { cpuSeconds: round2(after.cpuSeconds - before[id]!.cpuSeconds), peakRssMiB: round1(after.peakRssMiB), lag: lag[id]! };
  }
  const epoch = bench.lab(initiator).view!.openEpoch(responder)!;
  const attempts = bench.lab(initiator).view!.rounds(epoch.row);
  // One completed attempt per round; aborted attempts (run again by the daemon) are reported apart, their CPU counted.
  const rounds = attempts.filter((r) => r.status === 'completed');
  const aborted = attempts.filter((r) => r.status !== 'completed');
  const started = Math.min(...attempts.map((r) => r.startedAt ?? Infinity));
  const finished = Math.max(...ids.map((id) => Math.max(...bench.lab(id).view!.rounds(bench.lab(id).view!.openEpoch(id === initiator ? responder : initiator)!.row).map((r) => r.finishedAt ?? 0))));
  return { initiator, wallSeconds: round2((finished - started) / 1000), rounds, aborted, sides, epoch };
}

/**
 * Applies the churn through the running daemons (venn ingest, venn remove) between two ticks,
 * then measures the incremental round the next tick runs: CPU per daemon across that round only
 * (sampled a second before the tick and once both sides committed it), and its peak RSS.
 */
async function churnRound(bench: Bench, ids: [string, string], changes: Record<string, Change>, files: Record<string, { add: string; remove: string }>, sizes: Record<string, number>): Promise<{
  index: number; sides: Record<string, SideFigures & { idleCpuPerSecond: number; churnApplySeconds: number; churnApplyCpuSeconds: number }>; rounds: Record<string, EpochRoundRow>; wallSeconds: number; peakReset: boolean;
}> {
  const [x, y] = ids;
  const index = bench.lab(x).view!.openEpoch(y)!.nextIndex;
  // Leave the churn a whole margin before the next tick, so the round carries all of it.
  if (bench.nextTick() - Date.now() < bench.opts.churnMargin * 1000) {
    await bench.sleepUntil(bench.nextTick() + 2000);
    await bench.until('the tick after the epoch start', () => bench.settled(x, y, sizes));
  }
  const applied: Record<string, { seconds: number; cpuSeconds: number }> = {};
  for (const id of ids) {
    const cpu = bench.usage(id).cpuSeconds;
    const started = performance.now();
    const add = layoutSize(changes[id]!.add);
    const remove = layoutSize(changes[id]!.remove);
    if (add > 0) await bench.ingest(id, files[id]!.add, add);
    if (remove > 0) await bench.remove(id, files[id]!.remove, remove);
    applied[id] = { seconds: (performance.now() - started) / 1000, cpuSeconds: bench.usage(id).cpuSeconds - cpu };
  }
  const tick = bench.nextTick();
  const now = bench.lab(x).view!.openEpoch(y)!;
  if (now.nextIndex !== index || bench.lab(x).view!.unfinished() + bench.lab(y).view!.unfinished() > 0 || tick - Date.now() < 1500) {
    throw new Error(`a tick fell while the churn was applied (it took ${Object.values(applied).map((a) => a.seconds.toFixed(1)).join(' s and ')} s): raise --churn-margin (now ${bench.opts.churnMargin} s)`);
  }
  // Idle CPU over five seconds before the tick, to show what the window adds that is not the round.
  const idleFrom = tick - 6000;
  await bench.sleepUntil(idleFrom);
  const idle = Object.fromEntries(ids.map((id) => [id, bench.usage(id).cpuSeconds]));
  const idleAt = performance.now();
  await bench.sleepUntil(tick - 1000);
  const before = Object.fromEntries(ids.map((id) => [id, bench.usage(id).cpuSeconds]));
  const idleSeconds = (performance.now() - idleAt) / 1000;
  const peakReset = ids.every((id) => bench.resetPeak(id));
  const doneIndex = (id: string, peer: string): boolean => {
    const epoch = bench.lab(id).view!.openEpoch(peer);
    return epoch !== undefined && epoch.nextIndex > index && bench.lab(id).view!.unfinished() === 0;
  };
  await bench.until(`incremental round ${index}`, () => {
    if (bench.lab(x).view!.openEpoch(y) === undefined || bench.lab(y).view!.openEpoch(x) === undefined) {
      throw new Error(`the key epoch ended during incremental round ${index}: ${bench.lab(x).view!.endedEpochs(y).join(', ')} / ${bench.lab(y).view!.endedEpochs(x).join(', ')}`);
    }
    return doneIndex(x, y) && doneIndex(y, x);
  }, 100);
  const sides: Record<string, SideFigures & { idleCpuPerSecond: number; churnApplySeconds: number; churnApplyCpuSeconds: number }> = {};
  const rounds: Record<string, EpochRoundRow> = {};
  for (const id of ids) {
    const after = bench.usage(id);
    const peer = id === x ? y : x;
    sides[id] = {
      cpuSeconds: round2(after.cpuSeconds - before[id]!), peakRssMiB: round1(after.peakRssMiB), idleCpuPerSecond: round2((before[id]! - idle[id]!) / idleSeconds),
      churnApplySeconds: round2(applied[id]!.seconds), churnApplyCpuSeconds: round2(applied[id]!.cpuSeconds),
    };
    const epoch = bench.lab(id).view!.openEpoch(peer)!;
    const all = bench.lab(id).view!.rounds(epoch.row).filter((r) => r.idx === index);
    const list = all.filter((r) => r.status === 'completed');
    if (list.length !== 1) throw new Error(`${id}: expected one completed attempt of round ${index}, found ${list.length}`);
    // An aborted attempt (run again at once) is part of what the round cost; say so.
    if (all.length > 1) console.log(`  ${id}             round ${index} took ${all.length} attempts: ${all.filter((r) => r.status !== 'completed').map((r) => r.reason ?? r.status).join(', ')} before it completed`);
    rounds[id] = list[0]!;
    if (epoch.nextIndex !== index + 1) throw new Error(`${id}: the tick ran ${epoch.nextIndex - index} rounds; expected one incremental round`);
  }
  const all = Object.values(rounds);
  const wallSeconds = round2((Math.max(...all.map((r) => r.finishedAt ?? 0)) - Math.min(...all.map((r) => r.startedAt ?? Infinity))) / 1000);
  return { index, sides, rounds, wallSeconds, peakReset };
}

/** Checks each side's current matches (new minus ended, node.md §10.4) against the exact intersection. */
function exactness(bench: Bench, ids: [string, string], truth: Set<string>): { ok: boolean; expected: number; sides: Record<string, { matches: number; missing: number; extra: number; counter: number }> } {
  const sides: Record<string, { matches: number; missing: number; extra: number; counter: number }> = {};
  let ok = true;
  for (const id of ids) {
    const peer = id === ids[0] ? ids[1] : ids[0];
    const epoch = bench.lab(id).view!.openEpoch(peer)!;
    const current = bench.lab(id).view!.currentMatches(epoch.row);
    let missing = 0;
    for (const digest of truth) if (!current.has(digest)) missing++;
    let extra = 0;
    for (const digest of current) if (!truth.has(digest)) extra++;
    sides[id] = { matches: current.size, missing, extra, counter: epoch.intersection };
    if (missing !== 0 || extra !== 0 || epoch.intersection !== truth.size) ok = false;
  }
  return { ok, expected: truth.size, sides };
}

/** The expected carriage of the churn round, from the plan; the round must carry all of it. */
function checkCarried(round: Record<string, EpochRoundRow>, ids: [string, string], changes: Record<string, Change>): void {
  for (const id of ids) {
    const peer = id === ids[0] ? ids[1] : ids[0];
    const r = round[id]!;
    const expected = [layoutSize(changes[id]!.add), layoutSize(changes[id]!.remove), layoutSize(changes[peer]!.add), layoutSize(changes[peer]!.remove)];
    const carried = [r.additions, r.removals, r.peerAdditions, r.peerRemovals];
    if (carried.some((value, i) => value !== expected[i])) throw new Error(`${id}: the incremental round carried +${carried[0]} -${carried[1]} (peer +${carried[2]} -${carried[3]}), expected +${expected[0]} -${expected[1]} (peer +${expected[2]} -${expected[3]})`);
  }
}

function writeChurnFiles(root: string, changes: Record<string, Change>): Record<string, { add: string; remove: string }> {
  const files: Record<string, { add: string; remove: string }> = {};
  for (const [id, change] of Object.entries(changes)) {
    files[id] = { add: join(root, `${id}.churn-add.csv`), remove: join(root, `${id}.churn-remove.csv`) };
    writeList(files[id]!.add, change.add);
    writeList(files[id]!.remove, change.remove);
  }
  return files;
}

// ---- scenarios ----------------------------------------------------------------------------------

/** Two labs: `x` holds s[0, shared) and a[0, nx − shared), `y` s[0, shared) and b[0, ny − shared). */
function twoLists(nx: number, ny: number, shared: number): Record<'x' | 'y', Layout> {
  return { x: layoutOf([['s', 0, shared], ['a', 0, nx - shared]]), y: layoutOf([['s', 0, shared], ['b', 0, ny - shared]]) };
}

async function loadLists(bench: Bench, layouts: Record<string, Layout>): Promise<Record<string, { rows: number; seconds: number; peakRssMiB: number }>> {
  const out: Record<string, { rows: number; seconds: number; peakRssMiB: number }> = {};
  for (const [id, layout] of Object.entries(layouts)) {
    const path = join(bench.root, `${id}.list.csv`);
    const rows = writeList(path, layout);
    const run = await bench.ingest(id, path, rows);
    out[id] = { rows, seconds: round1(run.seconds), peakRssMiB: round1(run.peakRssMiB) };
    rmSync(path);
  }
  return out;
}

async function churnScenario(root: string, opts: Options): Promise<Record<string, unknown>> {
  const bench = new Bench(root, opts);
  const ids: [string, string] = ['lab-a', 'lab-b'];
  const n = opts.n;
  const shared = Math.round(n * opts.overlap);
  const changes = Math.max(2, Math.round(n * opts.churn));
  console.log(`bench:epoch churn: n=${fmt(n)} per side, overlap ${opts.overlap} (${fmt(shared)} shared), churn ${opts.churn} (${fmt(changes)} changes per side), epochDays ${opts.epochDays}, incrementalMinutes ${opts.intervalMinutes}`);
  try {
    const cap = Math.min(MAX_SET_SIZE, n + changes);
    await bench.setup(ids, Object.fromEntries(ids.map((id) => [id, { maxPeerSetSize: cap, config: { maxPeerEpochSetSize: Math.min(MAX_EPOCH_SET_SIZE, 2 * (n + changes)) } }])));
    const lists = twoLists(n, n, shared);
    const layouts = { 'lab-a': lists.x, 'lab-b': lists.y };
    const ingested = await loadLists(bench, layouts);
    console.log(`  lists loaded      ${ids.map((id) => `${id} ${fmt(ingested[id]!.rows)} rows in ${ingested[id]!.seconds} s (venn ingest peak RSS ${ingested[id]!.peakRssMiB} MiB)`).join('; ')}`);
    const plan = planChurn(lists, { x: 'a', y: 'b' }, { x: changes, y: changes });
    const churn = { 'lab-a': plan.x, 'lab-b': plan.y };
    const files = writeChurnFiles(root, churn);
    const after = { 'lab-a': applyChange(lists.x, plan.x), 'lab-b': applyChange(lists.y, plan.y) };
    const truthStart = layoutSize(intersectLayouts(lists.x, lists.y));
    const truth = digestsOf(intersectLayouts(after['lab-a'], after['lab-b']));

    bench.chooseClock();
    const start = await epochStart(bench, ids, { 'lab-a': n, 'lab-b': n });
    const startOk = start.epoch.intersection === truthStart;
    console.log(`  epoch start       ${start.rounds.length} round(s) (${start.rounds.map((r) => `${r.kind} #${r.idx}`).join(', ')}${abortedText(start.aborted)}), wall ${start.wallSeconds} s, intersection ${fmt(start.epoch.intersection)} (expected ${fmt(truthStart)}), initiator ${start.initiator}`);
    for (const id of ids) console.log(`  ${id}             epoch start CPU ${start.sides[id]!.cpuSeconds} s, peak RSS ${start.sides[id]!.peakRssMiB} MiB${lagText(start.sides[id]!.lag)}`);
    console.log(`  load average      ${load()}`);

    const sizes = { 'lab-a': layoutSize(after['lab-a']), 'lab-b': layoutSize(after['lab-b']) };
    const incremental = await churnRound(bench, ids, churn, files, { 'lab-a': n, 'lab-b': n });
    checkCarried(incremental.rounds, ids, churn);
    await bench.until('the incremental round to settle', () => bench.settled(ids[0], ids[1], sizes));
    const exact = exactness(bench, ids, truth);
    const r = incremental.rounds['lab-a']!;
    console.log(`  incremental #${incremental.index}    wall ${incremental.wallSeconds} s; lab-a carried +${r.additions} -${r.removals}, lab-b +${r.peerAdditions} -${r.peerRemovals}; new matches ${r.newMatches}, ended ${r.endedMatches}`);
    const ratios: Record<string, number> = {};
    for (const id of ids) {
      const side = incremental.sides[id]!;
      ratios[id] = round2((side.cpuSeconds / start.sides[id]!.cpuSeconds) * 100);
      console.log(`  ${id}             incremental CPU ${side.cpuSeconds} s = ${ratios[id]} % of its epoch start (target <= 3 %), peak RSS in the round ${side.peakRssMiB} MiB${incremental.peakReset ? '' : ' (process peak: clear_refs refused)'}, idle ${side.idleCpuPerSecond} CPU-s/s; churn applied through the daemon in ${side.churnApplySeconds} s (${side.churnApplyCpuSeconds} s daemon CPU)`);
    }
    console.log(`  exactness         ${exact.ok ? 'OK' : 'FAIL'}: expected ${fmt(exact.expected)} matches; ${ids.map((id) => `${id} holds ${fmt(exact.sides[id]!.matches)} (missing ${exact.sides[id]!.missing}, extra ${exact.sides[id]!.extra}, epoch counter ${fmt(exact.sides[id]!.counter)})`).join('; ')}`);
    console.log(`  load average      ${load()}`);
    return {
      scenario: 'churn', n, overlap: opts.overlap, churn: opts.churn, changesPerSide: changes, epochDays: opts.epochDays, intervalMinutes: opts.intervalMinutes,
      ingest: ingested,
      start: { rounds: start.rounds.map((x) => ({ idx: x.idx, kind: x.kind, status: x.status })), abortedAttempts: start.aborted.map((x) => ({ idx: x.idx, reason: x.reason })), wallSeconds: start.wallSeconds, intersection: start.epoch.intersection, expectedIntersection: truthStart, ok: startOk, sides: start.sides },
      incremental: {
        index: incremental.index, wallSeconds: incremental.wallSeconds, sides: incremental.sides, cpuPercentOfStart: ratios,
        carried: { additions: r.additions, removals: r.removals, peerAdditions: r.peerAdditions, peerRemovals: r.peerRemovals, newMatches: r.newMatches, endedMatches: r.endedMatches },
      },
      exactness: exact,
      ok: exact.ok && startOk,
      loadAverage: loadavg().map(round2),
    };
  } finally {
    await finish(bench);
  }
}

async function asymmetricScenario(root: string, opts: Options): Promise<Record<string, unknown>> {
  const bench = new Bench(root, opts);
  const ids: [string, string] = ['small', 'large'];
  const { small, large } = opts;
  const shared = Math.round(small * opts.overlap);
  const changes = { small: Math.max(2, Math.round(small * opts.churn)), large: Math.max(2, Math.round(large * opts.churn)) };
  console.log(`bench:epoch asymmetric: ${fmt(small)} against ${fmt(large)} identifiers, ${fmt(shared)} shared; a round adds at most ${fmt(opts.roundCap)} (the small side's maxPeerSetSize); churn ${opts.churn} (${fmt(changes.small)} / ${fmt(changes.large)} changes)`);
  try {
    const epochCap = Math.min(MAX_EPOCH_SET_SIZE, large + changes.large);
    await bench.setup(ids, {
      // The small side evaluates the large side's whole set once per epoch: its caps and budget allow it (node.md §10.5).
      small: { maxPeerSetSize: opts.roundCap, config: { maxPeerEpochSetSize: epochCap, maxEvaluationsPerDay: 2 * (large + changes.large), maxEvaluationsPerRound: opts.roundCap } },
      large: { maxPeerSetSize: Math.min(MAX_SET_SIZE, small + changes.small), config: { maxPeerEpochSetSize: Math.min(MAX_EPOCH_SET_SIZE, 2 * (small + changes.small)) } },
    });
    const lists = twoLists(small, large, shared);
    const layouts = { small: lists.x, large: lists.y };
    const ingested = await loadLists(bench, layouts);
    console.log(`  lists loaded      ${ids.map((id) => `${id} ${fmt(ingested[id]!.rows)} rows in ${ingested[id]!.seconds} s (venn ingest peak RSS ${ingested[id]!.peakRssMiB} MiB)`).join('; ')}`);
    const plan = planChurn(lists, { x: 'a', y: 'b' }, { x: changes.small, y: changes.large });
    const churn = { small: plan.x, large: plan.y };
    const files = writeChurnFiles(root, churn);
    const after = { small: applyChange(lists.x, plan.x), large: applyChange(lists.y, plan.y) };
    const truthStart = layoutSize(intersectLayouts(lists.x, lists.y));
    const truth = digestsOf(intersectLayouts(after.small, after.large));

    bench.chooseClock();
    const start = await epochStart(bench, ids, { small, large });
    const expectedRounds = Math.ceil(large / Math.min(MAX_SET_SIZE, opts.roundCap));
    const startOk = start.epoch.intersection === truthStart && start.rounds.length === expectedRounds;
    const dbBytes = (id: string): number => ['venn.db', 'venn.db-wal'].reduce((sum, f) => sum + (existsSync(join(bench.lab(id).dir, f)) ? statSync(join(bench.lab(id).dir, f)).size : 0), 0);
    console.log(`  epoch start       ${start.rounds.length} round(s) (${start.rounds.map((r) => `${r.kind} #${r.idx}`).join(', ')}${abortedText(start.aborted)}; ceil(${fmt(large)} / ${fmt(Math.min(MAX_SET_SIZE, opts.roundCap))}) = ${expectedRounds}), wall ${start.wallSeconds} s, intersection ${fmt(start.epoch.intersection)} (expected ${fmt(truthStart)})`);
    for (const id of ids) console.log(`  ${id.padEnd(6)}            epoch start CPU ${start.sides[id]!.cpuSeconds} s, peak RSS ${start.sides[id]!.peakRssMiB} MiB (target <= 1536 MiB), store ${(dbBytes(id) / 2 ** 20).toFixed(0)} MiB${lagText(start.sides[id]!.lag)}`);
    console.log(`  load average      ${load()}`);

    const sizes = { small: layoutSize(after.small), large: layoutSize(after.large) };
    const incremental = await churnRound(bench, ids, churn, files, { small, large });
    checkCarried(incremental.rounds, ids, churn);
    await bench.until('the churn round to settle', () => bench.settled(ids[0], ids[1], sizes));
    const exact = exactness(bench, ids, truth);
    const r = incremental.rounds['small']!;
    console.log(`  churn round #${incremental.index}    wall ${incremental.wallSeconds} s; small carried +${r.additions} -${r.removals}, large +${r.peerAdditions} -${r.peerRemovals}; new matches ${r.newMatches}, ended ${r.endedMatches}`);
    for (const id of ids) {
      const side = incremental.sides[id]!;
      console.log(`  ${id.padEnd(6)}            churn round CPU ${side.cpuSeconds} s (${round2((side.cpuSeconds / start.sides[id]!.cpuSeconds) * 100)} % of its epoch start), peak RSS in the round ${side.peakRssMiB} MiB${incremental.peakReset ? '' : ' (process peak)'}; churn applied through the daemon in ${side.churnApplySeconds} s (${side.churnApplyCpuSeconds} s daemon CPU)`);
    }
    console.log(`  exactness         ${exact.ok ? 'OK' : 'FAIL'}: expected ${fmt(exact.expected)} matches; ${ids.map((id) => `${id} holds ${fmt(exact.sides[id]!.matches)} (missing ${exact.sides[id]!.missing}, extra ${exact.sides[id]!.extra})`).join('; ')}`);

    // Projection: per-element CPU as measured, times the sizes (SPEC §13.8's table).
    const perPeerElement = start.sides['small']!.cpuSeconds / large; // S evaluates and proves each of L's elements once
    const perOwnElement = start.sides['large']!.cpuSeconds / large; // L blinds and verifies each of its own elements once
    const totalChanges = changes.small + changes.large;
    const perChange = { small: incremental.sides['small']!.cpuSeconds / totalChanges, large: incremental.sides['large']!.cpuSeconds / totalChanges };
    const target = 1e8;
    const epochsNeeded = Math.ceil(target / MAX_EPOCH_SET_SIZE);
    const projection = {
      formula: 'epoch start CPU(side) ≈ (measured epoch start CPU(side) / n_L) × n_L′ (n_S fixed at the measured size; n_S’s own share is attributed to n_L, an upper bound); churn round CPU(side) ≈ (measured churn round CPU(side) / changes on both sides) × changes′, changes′ = 1 % of n_S′ + 1 % of n_L′',
      smallPerLargeElementMicroseconds: round2(perPeerElement * 1e6), largePerOwnElementMicroseconds: round2(perOwnElement * 1e6),
      churnPerChangeMicroseconds: { small: round2(perChange.small * 1e6), large: round2(perChange.large * 1e6) },
      at: Object.fromEntries([large, target].map((nL) => [String(nL), {
        startCpuSeconds: { small: Math.round(perPeerElement * nL), large: Math.round(perOwnElement * nL) },
        churnRoundCpuSeconds: { small: round1(perChange.small * (0.01 * small + 0.01 * nL)), large: round1(perChange.large * (0.01 * small + 0.01 * nL)) },
        rounds: Math.ceil(nL / Math.min(MAX_SET_SIZE, opts.roundCap)),
      }])),
      limit: `10^8 is beyond an epoch's limit of 2^24 = ${fmt(MAX_EPOCH_SET_SIZE)} elements per side (SPEC §13.8): it is a projection beyond the limit; 10^8 would need ${epochsNeeded} epochs' worth of elements (the large list split into ${epochsNeeded} parts, each its own pair), ${Math.ceil(target / MAX_SET_SIZE)} rounds of 2^20 in all`,
    };
    console.log(`  projection        ${projection.formula}`);
    console.log(`                    small: ${projection.smallPerLargeElementMicroseconds} µs CPU per large-side element at the start; large: ${projection.largePerOwnElementMicroseconds} µs per own element; churn: ${projection.churnPerChangeMicroseconds.small} / ${projection.churnPerChangeMicroseconds.large} µs per change`);
    for (const [nL, p] of Object.entries(projection.at)) {
      console.log(`                    ${fmt(small)} vs ${fmt(Number(nL))}: start ${fmt(p.startCpuSeconds.small)} s (small) / ${fmt(p.startCpuSeconds.large)} s (large) CPU over ${p.rounds} rounds; a 1 % churn round ${p.churnRoundCpuSeconds.small} s / ${p.churnRoundCpuSeconds.large} s`);
    }
    console.log(`                    ${projection.limit}`);
    console.log(`  load average      ${load()}`);
    const rssOk = ids.every((id) => start.sides[id]!.peakRssMiB <= 1536 && incremental.sides[id]!.peakRssMiB <= 1536);
    return {
      scenario: 'asymmetric', small, large, overlap: opts.overlap, churn: opts.churn, changes, roundCap: opts.roundCap, ingest: ingested,
      start: { rounds: start.rounds.length, expectedRounds, kinds: start.rounds.map((x) => x.kind), abortedAttempts: start.aborted.map((x) => ({ idx: x.idx, reason: x.reason })), wallSeconds: start.wallSeconds, intersection: start.epoch.intersection, expectedIntersection: truthStart, ok: startOk, sides: start.sides, storeMiB: Object.fromEntries(ids.map((id) => [id, round1(dbBytes(id) / 2 ** 20)])) },
      churnRound: {
        index: incremental.index, wallSeconds: incremental.wallSeconds, sides: incremental.sides,
        carried: { small: { additions: r.additions, removals: r.removals }, large: { additions: r.peerAdditions, removals: r.peerRemovals }, newMatches: r.newMatches, endedMatches: r.endedMatches },
      },
      rssTargetMet: rssOk,
      exactness: exact,
      projection,
      ok: exact.ok && startOk,
      loadAverage: loadavg().map(round2),
    };
  } finally {
    await finish(bench);
  }
}

async function latencyScenario(root: string, opts: Options): Promise<Record<string, unknown>> {
  const bench = new Bench(root, opts);
  const ids = ['lab-a', 'lab-b', 'lab-c'];
  const n = opts.latencyN;
  const all = Math.round(n / 10);
  const pair = Math.round(n / 20);
  const own = n - all - 2 * pair;
  const layouts: Record<string, Layout> = {
    'lab-a': layoutOf([['s', 0, all], ['ab', 0, pair], ['ac', 0, pair], ['a', 0, own]]),
    'lab-b': layoutOf([['s', 0, all], ['ab', 0, pair], ['bc', 0, pair], ['b', 0, own]]),
    'lab-c': layoutOf([['s', 0, all], ['ac', 0, pair], ['bc', 0, pair], ['c', 0, own]]),
  };
  // lab-a adds one identifier lab-b and lab-c both hold already.
  const added = identifier('bc', 0);
  const digest = Buffer.from(hashIdentifier('email', added).digest);
  console.log(`bench:epoch latency: 3 labs, ${fmt(n)} identifiers each, incrementalMinutes ${opts.intervalMinutes}; lab-a adds one identifier lab-b and lab-c hold, right after a tick`);
  try {
    await bench.setup(ids, Object.fromEntries(ids.map((id) => [id, { maxPeerSetSize: Math.min(MAX_SET_SIZE, 2 * n) }])));
    await loadLists(bench, layouts);
    bench.chooseClock();
    // All three at once: a first dial that finds its peer not yet listening is attempted again, or the peer's nudge brings it (node.md §10.3).
    await Promise.all(ids.map((id) => bench.start(id)));
    const sizes = Object.fromEntries(ids.map((id) => [id, n]));
    const pairs: Array<[string, string]> = [['lab-a', 'lab-b'], ['lab-a', 'lab-c'], ['lab-b', 'lab-c']];
    await bench.until('the three epochs to start', () => pairs.every(([x, y]) => bench.settled(x, y, sizes)));
    // The worst phase: the identifier arrives just after a tick, so it waits a whole interval.
    const tick = bench.nextTick(['lab-a']);
    await bench.sleepUntil(tick + 1500);
    await bench.until('the tick to pass quietly', () => pairs.every(([x, y]) => bench.settled(x, y, sizes)));
    const path = join(root, 'lab-a.added.csv');
    writeList(path, layoutOf([['bc', 0, 1]]));
    const t0 = performance.now();
    const sinceTick = (Date.now() - tick) / 1000;
    const ingest = await bench.ingest('lab-a', path, 1);
    const expected: Record<string, string[]> = { 'lab-a': ['lab-b', 'lab-c'], 'lab-b': ['lab-a'], 'lab-c': ['lab-a'] };
    const seen: Record<string, number> = {};
    await bench.until('the identifier to show in venn matches at all three labs', () => {
      for (const id of ids) {
        if (seen[id] !== undefined) continue;
        const peers = bench.lab(id).view!.matchPeers(digest);
        if (expected[id]!.every((p) => peers.includes(p))) seen[id] = (performance.now() - t0) / 1000;
      }
      return ids.every((id) => seen[id] !== undefined);
    }, opts.pollMs);
    // The same, as `venn matches` prints it.
    const confirmed: Record<string, string[]> = {};
    for (const id of ids) {
      const rows = JSON.parse((await venn(['matches', '--dir', bench.lab(id).dir, '--json'])).stdout) as Array<{ digest: string; peers: string[] }>;
      confirmed[id] = rows.find((row) => row.digest === digest.toString('hex'))?.peers ?? [];
    }
    const ok = ids.every((id) => expected[id]!.every((p) => confirmed[id]!.includes(p)));
    const max = Math.max(...Object.values(seen));
    console.log(`  ingest            ${added} at lab-a ${sinceTick.toFixed(1)} s after a tick; venn ingest took ${ingest.seconds.toFixed(2)} s`);
    for (const id of ids) console.log(`  ${id}             in venn matches after ${seen[id]!.toFixed(1)} s (with ${expected[id]!.join(', ')}; venn matches --json: ${confirmed[id]!.join(', ') || 'none'})`);
    console.log(`  max               ${max.toFixed(1)} s (target <= 90 s; interval ${opts.intervalMinutes * 60} s, polled every ${opts.pollMs} ms) ${ok ? 'OK' : 'FAIL'}`);
    console.log(`  load average      ${load()}`);
    return {
      scenario: 'latency', n, intervalMinutes: opts.intervalMinutes, secondsAfterTick: round1(sinceTick), ingestSeconds: round2(ingest.seconds),
      latencySeconds: Object.fromEntries(ids.map((id) => [id, round1(seen[id]!)])), maxSeconds: round1(max), targetMet: max <= 90, vennMatches: confirmed, ok, loadAverage: loadavg().map(round2),
    };
  } finally {
    await finish(bench);
  }
}

/** Stops the daemons and, with --cpu-prof, prints where each daemon thread spent its CPU. */
async function finish(bench: Bench): Promise<void> {
  await bench.stopAll();
  if (!bench.opts.cpuProf) return;
  const dir = join(bench.root, 'profiles');
  if (!existsSync(dir)) return;
  for (const id of readdirSync(dir)) {
    for (const file of readdirSync(join(dir, id)).filter((f) => f.endsWith('.cpuprofile'))) {
      const top = profileTop(join(dir, id, file), 12);
      if (top.totalSeconds < 1) continue;
      console.log(`  cpu profile ${id} ${file}: ${top.totalSeconds.toFixed(1)} s sampled`);
      for (const line of top.lines) console.log(`    ${line}`);
    }
  }
}

/** The functions with the most self time in a .cpuprofile. */
function profileTop(path: string, count: number): { totalSeconds: number; lines: string[] } {
  const profile = JSON.parse(readFileSync(path, 'utf8')) as {
    nodes: Array<{ id: number; callFrame: { functionName: string; url: string; lineNumber: number } }>; samples: number[]; timeDeltas: number[];
  };
  const byNode = new Map(profile.nodes.map((node) => [node.id, node]));
  const self = new Map<string, number>();
  let total = 0;
  for (let i = 0; i < profile.samples.length; i++) {
    const node = byNode.get(profile.samples[i]!)!;
    const delta = profile.timeDeltas[i] ?? 0;
    total += delta;
    const frame = node.callFrame;
    const key = `${frame.functionName || '(anonymous)'} ${frame.url.replace(/^.*\/(packages|node_modules)\//, '$1/')}:${frame.lineNumber + 1}`;
    self.set(key, (self.get(key) ?? 0) + delta);
  }
  const lines = [...self].sort((a, b) => b[1] - a[1]).slice(0, count).map(([key, us]) => `${(us / 1e6).toFixed(1).padStart(8)} s ${((us / total) * 100).toFixed(1).padStart(5)} %  ${key}`);
  return { totalSeconds: total / 1e6, lines };
}

// ---- main ---------------------------------------------------------------------------------------

async function main(): Promise<void> {
  let opts: Options;
  try {
    opts = options(process.argv.slice(2));
  } catch (error) {
    if (!(error instanceof OptionError)) throw error;
    console.error(`bench:epoch: ${error.message}\n${USAGE}`);
    process.exitCode = 2;
    return;
  }
  if (opts.help) {
    console.log(USAGE);
    return;
  }
  const root = mkdtempSync(join(tmpdir(), 'venn-bench-epoch-'));
  const scenarios = opts.scenario === 'all' ? (['churn', 'latency', 'asymmetric'] as const) : [opts.scenario];
  const results: Array<Record<string, unknown>> = [];
  let failed = false;
  console.log(`bench:epoch scenarios ${scenarios.join(', ')}; load average ${load()}`);
  try {
    for (const scenario of scenarios) {
      const dir = join(root, scenario);
      mkdirSync(dir, { mode: 0o700 });
      const run = scenario === 'churn' ? churnScenario : scenario === 'latency' ? latencyScenario : asymmetricScenario;
      try {
        const result = await run(dir, opts);
        results.push(result);
        if (result['ok'] !== true) failed = true;
      } catch (error) {
        failed = true;
        const message = error instanceof Error ? error.message : String(error);
        console.log(`  FAIL              ${message}`);
        results.push({ scenario, ok: false, error: message });
      }
    }
  } finally {
    if (!opts.keep) rmSync(root, { recursive: true, force: true });
    else console.log(`kept ${root}`);
  }
  console.log(JSON.stringify({ bench: 'epoch', ok: !failed, results, loadAverage: loadavg().map(round2), cores: availableParallelism() }));
  if (failed) process.exitCode = 1;
}

await main();
