/**
 * `venn demo`: the whole job in one command. Three labs (by default) with synthetic exports,
 * real nodes set up through the same commands an operator types, three daemons on loopback,
 * one scheduled slot with every pair, a per-lab report checked against the planted truth,
 * an audit of the result, and a clean shutdown.
 */
import { mkdirSync, mkdtempSync, readFileSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, relative, resolve } from 'node:path';
import { InternalError, ValidationError } from '@venn/errors';
import { identifierDigest } from '@venn/identifiers';
import type { RosterSchedule } from '@venn/transport';
import { MAX_SET_SIZE } from '@venn/wire';
import type { CommandIo } from '../main.js';
import { formatTable, integerOption, parseCommand, stringOption, type CommandSpec } from '../internal/command.js';
import type { LabelField } from '../internal/config.js';
import { DemoDaemon, type LogLine } from '../internal/demo-daemons.js';
import {
  EPOCH_ROUND_HEADERS, ROUND_HEADERS, checkLab, epochRoundLines, formatDuration, labelLines, matchView, matchesByKind, pairCpuMs, pairDurationMs, pairElements, percentOf,
  roundLines, roundSeconds, type EpochPairRound, type LabCheck, type MatchJson, type RoundView,
} from '../internal/demo-report.js';
import { writePrivateFile } from '../internal/private-file.js';
import { nextSlot } from '../internal/schedule.js';
import { DEFAULT_SYNTH_KINDS, MAX_SYNTH_LABS, writeSynth, type GroundTruth } from '../internal/synth.js';
import { fractionOption } from './synth.js';
import { loopbackPort as freePort } from '../internal/loopback-port.js';
import { CLI_PATH } from '../internal/package-root.js';

export const spec: CommandSpec = {
  name: 'demo',
  summary: 'Run a whole Venn federation on this machine: synthetic exports for N labs (venn synth), venn init, roster build and use, venn ingest, N daemons on loopback, one scheduled slot in which every pair runs a round, a per-lab report checked against the planted ground truth, an audit of one round, a switch to key epochs in which a newly flagged account reaches its peer in a small incremental round, and a clean shutdown. Exits 0 when every check passes.',
  synopsis: '',
  positionals: { min: 0, max: 0 },
  details: 'The node clocks start a few seconds before the roster\'s next slot (venn start --clock-start), so the demo does not wait hours for it; the key epochs\' rounds are run at once with venn epochs look, the same look the daemons take every incrementalMinutes. Everything lives in a temporary directory, removed at the end unless --keep or --dir is given or a check fails. With --keep the daemons stay up after the checks, with the analyst console\'s address printed, until Ctrl-C.',
  options: {
    labs: { type: 'string', value: 'N', description: `number of labs, 2 to ${MAX_SYNTH_LABS} (default 3)` },
    size: { type: 'string', value: 'N', description: `distinct identifiers per lab, 1 to ${MAX_SET_SIZE} (default 3000)` },
    seed: { type: 'string', value: 'N', description: 'seed of the synthetic data (default 1)' },
    overlap: { type: 'string', value: 'R', description: 'fraction of each lab\'s identifiers that peers also hold (default 0.1)' },
    dir: { type: 'string', value: 'DIR', description: 'work in DIR (new or empty) instead of a temporary directory; implies --keep' },
    keep: { type: 'boolean', description: 'keep the directory and leave the daemons running (analyst console at the printed address) until Ctrl-C' },
  },
};

/** Label policies the labs publish, in turn: so the report shows full, partial and pairwise-agreed sharing. */
const LABEL_POLICIES: ReadonlyArray<readonly LabelField[]> = [['category', 'first_seen', 'reason'], ['category', 'first_seen'], ['category', 'reason']];
const SCHEDULE: RosterSchedule = { cron: '0 */6 * * *', windowMinutes: 30, timezone: 'UTC' };
/** The key epochs the labs switch to (roster.md §1): one-day epochs, incremental rounds every five minutes. */
const EPOCHS = { days: 1, incrementalMinutes: 5 } as const;
/** How long the epoch starts, and then the incremental rounds, may take: as long as the slot may. */
const epochTimeoutMs = (labs: number, size: number): number => slotTimeoutMs(labs, size);
/** How long before the slot the node clocks start: time for every daemon to come up. */
const LEAD_MS = 4000;
/** How long the slot may take: generous for the defaults, growing with the work (about 3 ms per element and pair on 2 cores). */
function slotTimeoutMs(labs: number, size: number): number {
  return Math.max(170_000, ((labs * (labs - 1)) / 2) * size * 3);
}

type Run = (argv: string[], io: CommandIo) => Promise<number>;
// The demo runs its subcommands in-process, exactly as the CLI dispatches them.
const SUBCOMMANDS: Readonly<Record<string, () => Promise<{ run: Run }>>> = {
  init: () => import('./init.js'),
  roster: () => import('./roster.js'),
  ingest: () => import('./ingest.js'),
  matches: () => import('./matches.js'),
  rounds: () => import('./rounds.js'),
  audit: () => import('./audit.js'),
  epochs: () => import('./epochs.js'),
};

class Capture {
  text = '';
  write(chunk: string | Uint8Array): boolean {
    this.text += typeof chunk === 'string' ? chunk : Buffer.from(chunk).toString('utf8');
    return true;
  }
}


const n = (value: number): string => value.toLocaleString('en-US');
const seconds = (ms: number): string => `${(ms / 1000).toFixed(1)} s`;

/** The demo's running commentary on stdout; progress is redrawn in place on a terminal. */
class Narrator {
  readonly tty: boolean;
  private readonly begun = performance.now();
  /** The step under way: its title and when it began. */
  private step: { title: string; begun: number } | undefined;

  constructor(private readonly io: CommandIo, private readonly root: string) {
    this.tty = (io.stdout as NodeJS.WriteStream).isTTY === true;
  }

  line(text = ''): void {
    this.io.stdout.write(`${text}\n`);
  }

  raw(text: string): void {
    this.io.stdout.write(text);
  }

  /** Starts a step; the one before it ends with a line giving its own duration. */
  section(title: string): void {
    this.endSection();
    this.line();
    this.line(`${this.tty ? '\x1b[1m' : ''}${title}${this.tty ? '\x1b[0m' : ''}`);
    this.step = { title, begun: performance.now() };
  }

  /** Ends the step under way: "  (step 3 took 2.4 s)". */
  endSection(): void {
    if (this.step === undefined) return;
    const number = /^(\d+)\./.exec(this.step.title)?.[1];
    this.line(`  (${number === undefined ? 'this step' : `step ${number}`} took ${seconds(performance.now() - this.step.begun)})`);
    this.step = undefined;
  }

  /** The whole run so far. */
  elapsed(): string {
    return seconds(performance.now() - this.begun);
  }

  /** Echoes a command as the user would type it, paths relative to the demo directory. */
  command(args: readonly string[]): void {
    const shown = args.map((arg) => {
      const rel = arg.startsWith(this.root) ? relative(this.root, arg) || '.' : arg;
      return /^[A-Za-z0-9_./:,=@+-]+$/.test(rel) ? rel : `'${rel.replace(/'/g, `'\\''`)}'`;
    });
    this.line(`  $ venn ${shown.join(' ')}`);
  }

  indent(text: string, by = 4): void {
    for (const line of text.replace(/\n$/, '').split('\n')) this.line(`${' '.repeat(by)}${line}`);
  }
}

interface Lab {
  readonly id: string;
  readonly dir: string;
  readonly listenPort: number;
  readonly adminPort: number;
  readonly shareLabels: readonly LabelField[];
  readonly identifiers: number;
  daemon?: DemoDaemon;
}

interface PairState {
  readonly key: string;
  readonly labs: readonly [string, string];
  initiator: string | null;
  attempts: number;
  /** Per lab: the finished line of its latest attempt. */
  readonly finished: Map<string, LogLine>;
  /** Per lab: elements processed / total in the running attempt. */
  readonly progress: Map<string, { processed: number; total: number }>;
  note: string;
}

export async function run(argv: string[], io: CommandIo): Promise<number> {
  const parsed = parseCommand(spec, argv, io);
  if (parsed === null) return 0;
  const { values } = parsed;
  const labCount = integerOption(values, 'labs', spec, 2, MAX_SYNTH_LABS) ?? 3;
  // A round carries at most MAX_SET_SIZE elements per side (SPEC §5.3).
  const size = integerOption(values, 'size', spec, 1, MAX_SET_SIZE) ?? 3000;
  const seed = integerOption(values, 'seed', spec, 0, Number.MAX_SAFE_INTEGER) ?? 1;
  const overlap = fractionOption(stringOption(values, 'overlap', spec, true), 'overlap') ?? 0.1;
  const chosenDir = stringOption(values, 'dir', spec, true);
  const keepRunning = values['keep'] === true;
  let keep = keepRunning || chosenDir !== undefined;

  let root: string;
  if (chosenDir === undefined) {
    root = mkdtempSync(join(tmpdir(), 'venn-demo-'));
  } else {
    root = resolve(chosenDir);
    mkdirSync(root, { recursive: true });
    if (readdirSync(root).length > 0) throw new ValidationError('demo-dir-not-empty', `"--dir" expected a new or empty directory, got ${root} with ${readdirSync(root).length} entries`);
  }
  const say = new Narrator(io, root);
  const labs: Lab[] = [];
  const killAll = (): void => {
    for (const lab of labs) lab.daemon?.kill();
  };
  // Whatever happens to the demo, no daemon outlives it.
  process.once('exit', killAll);
  const interrupted = (): void => {
    killAll();
    io.stderr.write(`\nvenn demo: interrupted; the daemons were stopped and ${root} was kept\n`);
    process.exit(130);
  };
  process.once('SIGINT', interrupted);
  process.once('SIGTERM', interrupted);

  const failures: string[] = [];
  const check = (ok: boolean, what: string): void => {
    say.line(`    ${ok ? '✓' : '✗'} ${what}`);
    if (!ok) failures.push(what);
  };
  const vennResult = async (args: string[], echo = true): Promise<{ code: number; stdout: string; stderr: string }> => {
    if (echo) say.command(args);
    const [name = '', ...rest] = args;
    const load = SUBCOMMANDS[name];
    if (load === undefined) throw new InternalError('demo-command', `demo step expected a known venn command, got ${JSON.stringify(name)}`);
    const stdout = new Capture();
    const stderr = new Capture();
    const code = await (await load()).run(rest, { stdout: stdout as unknown as NodeJS.WritableStream, stderr: stderr as unknown as NodeJS.WritableStream });
    return { code, stdout: stdout.text, stderr: stderr.text };
  };
  const venn = async (args: string[], echo = true): Promise<string> => {
    const result = await vennResult(args, echo);
    if (result.code !== 0) throw new InternalError('demo-step-failed', `venn ${args.join(' ')} expected exit code 0, got ${result.code}: ${result.stderr.trim()}`);
    return result.stdout;
  };

  try {
    say.line(`Venn demo: ${labCount} labs, ${n(size)} identifiers each, seed ${seed}, overlap ${overlap}`);
    say.line(`working in ${root}${keep ? '' : ' (removed at the end; --keep keeps it)'}`);

    // ---- 1. data ----------------------------------------------------------------------------
    say.section('1. Synthetic exports with planted overlaps');
    const data = join(root, 'data');
    const synthArgs = ['synth', '--out', data, '--labs', String(labCount), '--size', String(size), '--seed', String(seed), '--overlap', String(overlap), '--kinds', DEFAULT_SYNTH_KINDS.join(',')];
    say.command(synthArgs);
    const truth: GroundTruth = writeSynth(data, { labs: labCount, size, seed, overlap, kinds: DEFAULT_SYNTH_KINDS });
    const ring = truth.groups.find((g) => g.name === 'ring');
    say.line(`    planted: a "distillation ring" of ${n(ring?.size ?? 0)} identifiers held by every lab${truth.groups.length > 1 ? `, and ${n(truth.groups[1]?.size ?? 0)} more shared by each pair of labs` : ''}`);
    for (const id of truth.labs) {
      const files = truth.files.filter((f) => f.lab === id);
      say.line(`    ${id}: ${files.map((f) => `${f.path.split('/')[1]} (${n(f.rows)} rows)`).join(', ')}`);
    }
    const example = truth.files.find((f) => f.lab === truth.labs[0] && f.kind === 'email') ?? truth.files[0];
    if (example !== undefined) say.line(`    messy like real exports, e.g. ${example.path}: ${example.quirks.join('; ')}`);

    // ---- 2. nodes ---------------------------------------------------------------------------
    say.section('2. One node per lab: identity key, config, store; then a roster everyone pins');
    const entries: string[] = [];
    for (const [index, id] of truth.labs.entries()) {
      const lab: Lab = { id, dir: join(root, id), listenPort: await freePort(), adminPort: await freePort(), shareLabels: LABEL_POLICIES[index % LABEL_POLICIES.length]!, identifiers: truth.expected[id]?.identifiers ?? 0 };
      labs.push(lab);
      const entry = await venn(['init', '--dir', lab.dir, '--id', id, '--listen', `127.0.0.1:${lab.listenPort}`, '--admin', `127.0.0.1:${lab.adminPort}`, '--share-labels', lab.shareLabels.join(',')]);
      const entryPath = join(root, `${id}.entry.json`);
      writeFileSync(entryPath, entry);
      entries.push(entryPath);
      const parsedEntry = JSON.parse(entry) as { identityKey: string; endpoint: string };
      say.line(`    ${id}: identity key ${parsedEntry.identityKey.slice(0, 16)}…, endpoint ${parsedEntry.endpoint}, shares labels: ${lab.shareLabels.join(', ')}`);
    }
    const rosterPath = join(root, 'roster.json');
    const digest = (await venn(['roster', 'build', '--name', 'venn-demo', '--schedule', SCHEDULE.cron, '--window', String(SCHEDULE.windowMinutes), '--out', rosterPath, ...entries])).trim();
    say.line(`    roster digest ${digest}`);
    for (const lab of labs) await venn(['roster', 'use', '--dir', lab.dir, rosterPath]);

    // ---- 3. ingest --------------------------------------------------------------------------
    say.section('3. Ingest: canonical forms and digests only; the raw values stay in the exports');
    const ingested: string[][] = [];
    for (const [index, file] of truth.files.entries()) {
      const lab = labs.find((l) => l.id === file.lab)!;
      if (index === 1) say.line(`    (and likewise for each lab's other exports; each row's identifier is canonicalized, hashed and stored)`);
      const counts = JSON.parse(await venn(['ingest', '--dir', lab.dir, ...file.ingest, '--json', join(data, file.path)], index === 0)) as { rows: number; accepted: number; duplicates: number; rejected: number };
      const asPlanted = counts.rows === file.rows && counts.accepted === file.accepted && counts.duplicates === file.duplicates && counts.rejected === file.rejected;
      if (!asPlanted) failures.push(`ingest of ${file.path}: got ${counts.accepted}/${counts.duplicates}/${counts.rejected}, planted ${file.accepted}/${file.duplicates}/${file.rejected}`);
      ingested.push([file.path, n(counts.rows), n(counts.accepted), String(counts.duplicates), `${counts.rejected} (${Object.keys(file.rejectReasons).sort().join(', ')})`, asPlanted ? '✓' : '✗']);
    }
    say.indent(formatTable(['EXPORT', 'ROWS', 'ACCEPTED', 'REPEATED', 'REJECTED (REASONS; ROWS IN FILE.rejects.csv)', 'AS PLANTED'], ingested));

    // ---- 4. daemons -------------------------------------------------------------------------
    say.section(`4. Start ${labCount} daemons on loopback`);
    const slot = nextSlot(SCHEDULE, Date.now());
    if (slot === null) throw new InternalError('demo-schedule', `cron ${SCHEDULE.cron} expected a next slot, got none`);
    const slotIso = new Date(slot.start * 1000).toISOString();
    const origin = Date.now();
    for (const lab of labs) {
      // Same clock on every node: each starts LEAD_MS before the slot, corrected for spawn order.
      const clockStart = new Date(slot.start * 1000 - LEAD_MS + (Date.now() - origin)).toISOString();
      lab.daemon = new DemoDaemon(lab.id, lab.dir, lab.adminPort);
      say.command(['start', '--dir', lab.dir, '--clock-start', clockStart]);
      lab.daemon.start(CLI_PATH, clockStart);
    }
    await Promise.all(labs.map(async (lab) => {
      const line = await lab.daemon!.started();
      say.line(`    ${lab.id}: pid ${lab.daemon!.pid}, peers on ${String(line['listen'])}, admin on 127.0.0.1:${lab.adminPort}, next slot ${String(line['nextSlot'] ?? slotIso)}`);
    }));
    say.line(`    the roster's cron "${SCHEDULE.cron}" (UTC) next fires at ${slotIso}; the node clocks were started`);
    say.line(`    ${LEAD_MS / 1000} s before it (--clock-start) so the demo need not wait; logs: ${relative(root, join(labs[0]!.dir, 'daemon.log'))} etc.`);

    // ---- 5. the slot ------------------------------------------------------------------------
    const pairs = new Map<string, PairState>();
    for (let i = 0; i < labs.length; i++) {
      for (let j = i + 1; j < labs.length; j++) {
        const key = `${labs[i]!.id} ⇄ ${labs[j]!.id}`;
        pairs.set(`${labs[i]!.id}|${labs[j]!.id}`, { key, labs: [labs[i]!.id, labs[j]!.id], initiator: null, attempts: 0, finished: new Map(), progress: new Map(), note: 'waiting for the slot' });
      }
    }
    say.section(`5. Scheduled slot ${slotIso}: ${pairs.size} pair${pairs.size === 1 ? '' : 's'}, each a mutual PSI round`);
    const pairOf = (a: string, b: string): PairState | undefined => pairs.get(a < b ? `${a}|${b}` : `${b}|${a}`);
    await followSlot(say, labs, pairs, pairOf);

    // ---- 6. report --------------------------------------------------------------------------
    say.section('6. What each lab learned');
    const shareLabels = Object.fromEntries(labs.map((lab) => [lab.id, lab.shareLabels]));
    const checks: LabCheck[] = [];
    const roundsByLab = new Map<string, RoundView[]>();
    for (const lab of labs) {
      const matches = (JSON.parse(await venn(['matches', '--dir', lab.dir, '--format', 'json'], false)) as MatchJson[]).map(matchView);
      const rounds = JSON.parse(await venn(['rounds', '--dir', lab.dir, '--json'], false)) as RoundView[];
      roundsByLab.set(lab.id, rounds);
      const peers = labs.filter((l) => l !== lab).map((l) => l.id);
      say.line();
      say.line(`  ${lab.id}: ${n(truth.expected[lab.id]?.identifiers ?? 0)} identifiers; ${n(matches.length)} of them are also held by a peer   (venn matches --dir ${lab.id})`);
      const table = matchesByKind(matches, peers);
      say.indent(formatTable(table.headers, table.rows));
      say.line('    peer labels (fields both labs agreed to share):');
      for (const text of labelLines(lab.id, matches, peers, shareLabels)) say.line(`      ${text}`);
      say.line('    rounds (venn rounds):');
      say.indent(formatTable(ROUND_HEADERS, roundLines(rounds.filter((r) => r.status === 'completed'))), 6);
      const result = checkLab(lab.id, matches, truth, shareLabels);
      checks.push(result);
      check(result.ok, result.ok
        ? `ground truth: all ${n(result.expected)} planted matches found, with the right peers and labels; nothing else matched`
        : `ground truth: ${result.missing.length} missing, ${result.unexpected.length} unexpected, ${result.wrongPeers.length} with wrong peers, ${result.wrongLabels.length} with wrong labels (e.g. ${[...result.missing, ...result.unexpected, ...result.wrongPeers, ...result.wrongLabels].slice(0, 3).join('; ')})`);
    }
    say.line();
    for (const pair of pairs.values()) {
      const [a, b] = pair.labs;
      const ra = roundsByLab.get(a)?.find((r) => r.peer === b && r.status === 'completed');
      const rb = roundsByLab.get(b)?.find((r) => r.peer === a && r.status === 'completed');
      const planted = truth.expected[a]?.matches.filter((m) => m.peers.includes(b)).length ?? 0;
      check(ra !== undefined && rb !== undefined && ra.roundId === rb.roundId && ra.transcriptHash === rb.transcriptHash && ra.intersectionSize === planted && rb.intersectionSize === planted,
        `${pair.key}: both sides recorded round ${ra?.roundId.slice(0, 12) ?? '?'}… with the same transcript hash and intersection ${ra?.intersectionSize ?? '?'} (planted ${planted})`);
    }

    // ---- 7. audit ---------------------------------------------------------------------------
    say.section('7. Audit: what an auditor receives and re-checks, without seeing an identifier');
    await audit(labs, truth, rosterPath, join(root, 'audit'), roundsByLab, { say, vennResult, venn, check });

    // ---- 8. key epochs ------------------------------------------------------------------------
    say.section('8. Key epochs: an epoch start, then a newly flagged account carried by a small incremental round');
    await keyEpochs(labs, { entries, root, data, seed, size, plainRounds: roundsByLab }, { say, vennResult, venn, check });

    // ---- 9. the analyst console (--keep) ------------------------------------------------------
    let next = 9;
    if (keepRunning) {
      say.section(`${next++}. The analyst console: the daemons keep running`);
      for (const lab of labs) say.line(`    ${lab.id}: http://127.0.0.1:${lab.adminPort}/console/   (admin token: ${join(lab.dir, 'admin.token')})`);
      say.line(`    log in with the token file's contents; each lab's triage queue holds the planted matches it found`);
      say.line(`    try: venn round --dir ${labs[0]!.dir} --peer ${labs[1]!.id}   (the open queue updates when it ends)`);
      say.line('    Ctrl-C stops the daemons and ends the demo.');
      await untilSignalled(interrupted);
    }

    // ---- shutdown -----------------------------------------------------------------------------
    say.section(`${next}. Shut down (SIGTERM)`);
    const exits = await Promise.all(labs.map(async (lab) => ({ lab, exit: await lab.daemon!.stop() })));
    for (const { lab, exit } of exits) {
      const last = lab.daemon!.logs.at(-1);
      check(exit.code === 0 && last?.msg === 'venn node stopped', `${lab.id}: exit code ${exit.code ?? `signal ${exit.signal}`}, last log line "${last?.msg ?? ''}"`);
    }

    const slowest = Math.max(0, ...[...roundsByLab.values()].flat().map((r) => roundSeconds(r) ?? 0));
    say.line();
    if (failures.length === 0) {
      say.endSection();
      say.line(`Done in ${say.elapsed()}: every check passed (slowest round ${slowest.toFixed(1)} s).`);
    } else {
      keep = true;
      say.endSection();
      say.line(`Done in ${say.elapsed()}: ${failures.length} check${failures.length === 1 ? '' : 's'} failed.`);
    }
    if (keep) {
      say.line(`Kept ${root}. Look around:`);
      say.line(`  venn status --dir ${join(root, labs[0]!.id)}`);
      say.line(`  venn matches --dir ${join(root, labs[0]!.id)}`);
      say.line(`  venn rounds --dir ${join(root, labs[0]!.id)}`);
    }
    if (!keepRunning) say.line(`The analyst console: npm run demo -- --keep leaves the daemons up and prints its address (http://127.0.0.1:PORT/console/).`);
    return failures.length === 0 ? 0 : 1;
  } catch (error) {
    keep = true;
    killAll();
    io.stderr.write(`venn demo: kept ${root} for inspection (daemon logs in LAB/daemon.log)\n`);
    throw error;
  } finally {
    killAll();
    process.off('exit', killAll);
    process.off('SIGINT', interrupted);
    process.off('SIGTERM', interrupted);
    if (!keep) rmSync(root, { recursive: true, force: true });
  }
}

/**
 * Waits for SIGINT or SIGTERM, which then stop the demo gracefully instead of through
 * `interrupted` (which kills the daemons at once).
 */
function untilSignalled(interrupted: () => void): Promise<void> {
  return new Promise((resolve) => {
    process.off('SIGINT', interrupted);
    process.off('SIGTERM', interrupted);
    const stop = (): void => {
      process.off('SIGINT', stop);
      process.off('SIGTERM', stop);
      process.once('SIGINT', interrupted);
      process.once('SIGTERM', interrupted);
      resolve();
    };
    process.once('SIGINT', stop);
    process.once('SIGTERM', stop);
  });
}

/** Follows the slot from the daemons' logs and admin status until every pair completed on both sides. */
async function followSlot(say: Narrator, labs: readonly Lab[], pairs: Map<string, PairState>, pairOf: (a: string, b: string) => PairState | undefined): Promise<void> {
  const events: string[] = [];
  const emit = (text: string): void => {
    if (say.tty) events.push(text);
    else say.line(`    ${text}`);
  };
  let slotSeen = false;
  const done = (pair: PairState): boolean => pair.labs.every((id) => pair.finished.get(id)?.['status'] === 'completed');
  const offs = labs.map((lab) => lab.daemon!.onLog((line) => {
    if (line.msg === 'slot started' && !slotSeen) {
      slotSeen = true;
      emit(`slot ${String(line['slot'])} started at ${lab.id}${line['catchUp'] === true ? ' (caught up at start-up)' : ''}; each pair's initiator follows from the round id`);
    }
    const peer = typeof line['peer'] === 'string' ? line['peer'] : undefined;
    if (peer === undefined) return;
    const pair = pairOf(lab.id, peer);
    if (pair === undefined) return;
    if (line.msg === 'round attempt starting') {
      pair.initiator = lab.id;
      pair.attempts = Number(line['attempt'] ?? pair.attempts + 1);
      pair.note = `${lab.id} initiates, attempt ${pair.attempts}`;
      emit(`${pair.key}: ${pair.note} (round ${String(line['roundId']).slice(0, 12)}…)`);
    } else if (line.msg === 'round attempt finished') {
      pair.finished.set(lab.id, line);
      pair.progress.delete(lab.id);
      if (line['status'] === 'completed') {
        if (done(pair)) {
          pair.note = `completed: intersection ${String(line['intersectionSize'])}, ${(Number(line['durationMs'] ?? 0) / 1000).toFixed(1)} s`;
          emit(`${pair.key}: ${pair.note}`);
        }
      } else {
        pair.note = `attempt ${String(line['attempt'])} ${String(line['status'])} (${String(line['reason'])}) at ${lab.id}; the initiator retries within the slot window`;
        emit(`${pair.key}: ${pair.note}`);
      }
    }
  }));

  const timeoutMs = slotTimeoutMs(labs.length, Math.max(...labs.map((lab) => lab.identifiers)));
  const deadline = Date.now() + timeoutMs;
  let drawn = 0;
  const marks = new Map<string, number>();
  // Each side's share: 1 once its attempt completed (its progress entry is gone then), else what
  // its status endpoint last reported; a completed pair is at 100%.
  const fractionOf = (pair: PairState): number => {
    if (done(pair)) return 1;
    let sum = 0;
    for (const lab of pair.labs) {
      if (pair.finished.get(lab)?.['status'] === 'completed') sum += 1;
      else {
        const p = pair.progress.get(lab);
        if (p !== undefined && p.total > 0) sum += Math.min(1, p.processed / p.total);
      }
    }
    return sum / 2;
  };
  const draw = (): void => {
    const lines = [...pairs.values()].map((pair) => {
      const fraction = fractionOf(pair);
      const bar = `[${'#'.repeat(Math.round(fraction * 24)).padEnd(24, '.')}] ${String(Math.round(fraction * 100)).padStart(3)}%`;
      return `    ${pair.key.padEnd(18)} ${bar}  ${pair.note}`;
    });
    if (say.tty) {
      // Events scroll above; the pair lines below them are redrawn in place.
      let text = drawn > 0 ? `\x1b[${drawn}A` : '';
      for (const event of events.splice(0)) text += `\r\x1b[2K    ${event}\n`;
      for (const line of lines) text += `\r\x1b[2K${line}\n`;
      say.raw(text);
      drawn = lines.length;
    } else {
      // Plain output (CI logs): a line at each quarter of a pair's progress, 100% included.
      for (const pair of pairs.values()) {
        const quarter = Math.floor(fractionOf(pair) * 4);
        if (quarter > (marks.get(pair.key) ?? 0)) {
          marks.set(pair.key, quarter);
          say.line(`    ${pair.key}: ${quarter * 25}% of the elements blinded and evaluated`);
        }
      }
    }
  };
  try {
    while (![...pairs.values()].every(done)) {
      if (Date.now() > deadline) {
        const open = [...pairs.values()].filter((p) => !done(p)).map((p) => `${p.key} (${p.note})`);
        throw new InternalError('demo-slot-timeout', `every pair expected to complete within ${Math.round(timeoutMs / 1000)} s, still open: ${open.join('; ')}`);
      }
      for (const lab of labs) {
        if (lab.daemon!.exitResult !== undefined) throw new InternalError('demo-daemon-exited', `${lab.id} expected to keep running, exited with code ${lab.daemon!.exitResult.code}: ${lab.daemon!.errorOutput.trim()}`);
      }
      const statuses = await Promise.all(labs.map(async (lab) => [lab, await lab.daemon!.admin('/v1/status')] as const));
      for (const [lab, status] of statuses) {
        const running = (status as { runningRounds?: Array<{ peer: string; processed: number; total: number }> } | null)?.runningRounds ?? [];
        for (const round of running) pairOf(lab.id, round.peer)?.progress.set(lab.id, { processed: round.processed, total: round.total });
      }
      draw();
      await new Promise((wake) => setTimeout(wake, 250));
    }
    draw();
  } finally {
    for (const off of offs) off();
  }
}

interface Steps {
  readonly say: Narrator;
  readonly venn: (args: string[], echo?: boolean) => Promise<string>;
  readonly vennResult: (args: string[], echo?: boolean) => Promise<{ code: number; stdout: string; stderr: string }>;
  readonly check: (ok: boolean, what: string) => void;
}

/**
 * One round's transcript bundle exported by a lab and re-verified against the roster; the same
 * bundle with one byte changed fails; two labs' logs cross-checked for missing rounds and split views.
 */
async function audit(labs: readonly Lab[], truth: GroundTruth, rosterPath: string, dir: string, roundsByLab: ReadonlyMap<string, readonly RoundView[]>, steps: Steps): Promise<void> {
  const { say, venn, vennResult, check } = steps;
  mkdirSync(dir, { recursive: true });
  const [first, second] = labs as [Lab, Lab];
  const round = roundsByLab.get(first.id)?.find((r) => r.peer === second.id && r.status === 'completed');
  if (round === undefined) {
    check(false, `a completed round of ${first.id} with ${second.id} to audit`);
    return;
  }
  const bundlePath = join(dir, `${first.id}-${second.id}.bundle`);
  await venn(['audit', 'export', '--dir', first.dir, '--round', round.roundId.slice(0, 16), '--out', bundlePath]);
  const bundle = readFileSync(bundlePath);
  // The bundle carries blinded points, proofs and signatures: no identifier and no identifier digest.
  const leaked = (truth.expected[first.id]?.matches ?? []).filter((m) => bundle.includes(Buffer.from(m.canonical)) || bundle.includes(Buffer.from(identifierDigest(m.kind, m.canonical))));
  check(leaked.length === 0, `${n(bundle.length)} bytes; none of ${first.id}'s matched identifiers, in clear or as a digest, occurs in it`);

  const verified = await vennResult(['audit', 'verify', '--roster', rosterPath, '--json', bundlePath]);
  const report = JSON.parse(verified.stdout) as { valid: boolean; checks: Array<{ name: string; status: string }> };
  const passed = report.checks.filter((c) => c.status === 'pass').map((c) => c.name);
  check(verified.code === 0 && report.valid, `verify: ${passed.length} checks passed (${passed.join(', ')})`);

  // An auditor's copy altered in transit (or by a lab): one flipped bit in the middle of the frames.
  const tampered = join(dir, `${first.id}-${second.id}.tampered.bundle`);
  const altered = Buffer.from(bundle);
  altered[Math.floor(altered.length / 2)]! ^= 0x01;
  writeFileSync(tampered, altered);
  const refused = await vennResult(['audit', 'verify', '--roster', rosterPath, '--json', tampered]);
  const failure = (JSON.parse(refused.stdout) as { failure: { name: string } | null }).failure;
  check(refused.code === 1 && failure !== null, `the same bundle with one bit flipped is refused (exit ${refused.code}): check "${failure?.name ?? '?'}" failed`);

  const logs: string[] = [];
  for (const lab of [first, second]) {
    const path = join(dir, `${lab.id}.log`);
    await venn(['audit', 'export-log', '--dir', lab.dir, '--out', path]);
    logs.push(path);
  }
  const crossed = await vennResult(['audit', 'cross-check', '--roster', rosterPath, '--json', ...logs]);
  const cross = JSON.parse(crossed.stdout) as { consistent: boolean; matchedRounds: number; issues: unknown[]; logs: Array<{ id: string; peerHeadsOfOther: number }> };
  check(crossed.code === 0 && cross.consistent, `cross-check: ${cross.matchedRounds} round${cross.matchedRounds === 1 ? '' : 's'} in both logs with equal records; the heads each lab received from the other (${cross.logs.map((l) => `${l.peerHeadsOfOther} in ${l.id}'s log`).join(', ')}) are consistent with the other's log; ${cross.issues.length === 0 ? 'no issue' : `${cross.issues.length} issues`}`);
}

/** The account each lab files the demo's newly flagged identifier under. */
export function newFlagAccount(lab: string): string {
  return `acct_new_flag_${lab}`;
}

/** The demo's newly flagged identifier: an email on a domain no synthetic export uses, so no lab holds it before. */
export function newFlagEmail(seed: number): string {
  return `ring-recruit-${seed}@flagged.example`;
}

/** How each lab ingests its one-row file of the new flag. */
const NEW_FLAG_INGEST = ['--kind', 'email', '--list', 'new-flags', '--column', 'email', '--account-column', 'account_id', '--category-column', 'category', '--reason-column', 'reason'];

/**
 * The labs' epoch rounds of every pair in `pairs`, at round `index`, once both sides completed
 * it; undefined for a pair until then. Read from each lab's store (`venn rounds --json`).
 */
async function epochRoundsAt(labs: readonly Lab[], pairs: ReadonlyArray<readonly [Lab, Lab]>, index: number, venn: Steps['venn']): Promise<Map<string, EpochPairRound | undefined>> {
  const rows = new Map<string, RoundView[]>();
  for (const lab of labs) rows.set(lab.id, JSON.parse(await venn(['rounds', '--dir', lab.dir, '--json'], false)) as RoundView[]);
  const out = new Map<string, EpochPairRound | undefined>();
  for (const [a, b] of pairs) {
    const find = (lab: Lab, peer: Lab): RoundView | undefined => rows.get(lab.id)?.find((r) => r.peer === peer.id && r.status === 'completed' && r.epoch?.index === index);
    const ra = find(a, b);
    const rb = find(b, a);
    out.set(`${a.id} ⇄ ${b.id}`, ra === undefined || rb === undefined ? undefined : { pair: `${a.id} ⇄ ${b.id}`, labs: [a.id, b.id], rows: [ra, rb] });
  }
  return out;
}

/** Polls the labs' stores until every pair completed its epoch round `index` on both sides; false if time ran out. */
async function awaitEpochRounds(labs: readonly Lab[], pairs: ReadonlyArray<readonly [Lab, Lab]>, index: number, timeoutMs: number, steps: Steps): Promise<Map<string, EpochPairRound> | undefined> {
  const deadline = Date.now() + timeoutMs;
  const reported = new Set<string>();
  for (;;) {
    for (const lab of labs) {
      if (lab.daemon!.exitResult !== undefined) throw new InternalError('demo-daemon-exited', `${lab.id} expected to keep running, exited with code ${lab.daemon!.exitResult.code}: ${lab.daemon!.errorOutput.trim()}`);
    }
    const rounds = await epochRoundsAt(labs, pairs, index, steps.venn);
    for (const [key, round] of rounds) {
      if (round === undefined || reported.has(key)) continue;
      reported.add(key);
      const [a] = round.rows;
      steps.say.line(`    ${key}: ${a.epoch?.kind ?? 'epoch'} round #${index} completed on both sides: intersection ${a.intersectionSize ?? '?'}, ${n(a.epoch?.newMatches ?? 0)} new match${a.epoch?.newMatches === 1 ? '' : 'es'}, ${formatDuration(pairDurationMs(round))}`);
    }
    if ([...rounds.values()].every((round) => round !== undefined)) return rounds as Map<string, EpochPairRound>;
    if (Date.now() > deadline) {
      const open = [...rounds.entries()].filter(([, round]) => round === undefined).map(([key]) => key);
      steps.check(false, `epoch round #${index} expected to complete within ${Math.round(timeoutMs / 1000)} s, still open: ${open.join('; ')}`);
      return undefined;
    }
    await new Promise((wake) => setTimeout(wake, 250));
  }
}

/**
 * node.md §10: the labs install a roster with key epochs; every pair runs an epoch start (each
 * side's whole set, once); then one lab flags an identifier a peer already holds, and the next
 * round of its epochs carries that one addition: the match surfaces at both labs, for a small
 * fraction of the start's cost.
 */
async function keyEpochs(labs: readonly Lab[], setup: { entries: readonly string[]; root: string; data: string; seed: number; size: number; plainRounds: ReadonlyMap<string, readonly RoundView[]> }, steps: Steps): Promise<void> {
  const { say, venn, check } = steps;
  const [flagger, holder] = labs as [Lab, Lab];
  const email = newFlagEmail(setup.seed);
  const pairs: Array<readonly [Lab, Lab]> = [];
  for (let i = 0; i < labs.length; i++) for (let j = i + 1; j < labs.length; j++) pairs.push([labs[i]!, labs[j]!]);
  const timeoutMs = epochTimeoutMs(labs.length, setup.size);

  say.line(`    ${holder.id} flagged one more account before the switch: ${email}, which no other lab holds yet`);
  const holderFile = writePrivateFile(join(setup.data, holder.id, 'new-flag.csv'), `email,account_id,category,reason\n${email},${newFlagAccount(holder.id)},distillation,joined the ring last week\n`);
  await venn(['ingest', '--dir', holder.dir, ...NEW_FLAG_INGEST, holderFile]);

  // The same members and schedule, a higher federation epoch, and key epochs (roster.md §1).
  const rosterPath = join(setup.root, 'roster-epochs.json');
  await venn(['roster', 'build', '--name', 'venn-demo', '--epoch', '2', '--schedule', SCHEDULE.cron, '--window', String(SCHEDULE.windowMinutes),
    '--epoch-days', String(EPOCHS.days), '--incremental-minutes', String(EPOCHS.incrementalMinutes), '--out', rosterPath, ...setup.entries]);
  for (const lab of labs) await venn(['roster', 'use', '--dir', lab.dir, rosterPath]);
  say.line(`    each daemon reloaded the roster: every pair now runs key epochs of ${EPOCHS.days} day: an epoch start carries each lab's whole set once, then a round every`);
  say.line(`    ${EPOCHS.incrementalMinutes} minutes carries only what was ingested or removed since; venn epochs look takes that look now instead of at the next tick`);
  for (const lab of labs) say.indent(await venn(['epochs', 'look', '--dir', lab.dir]), 6);
  const starts = await awaitEpochRounds(labs, pairs, 0, timeoutMs, steps);
  if (starts === undefined) return;
  // The epoch start finds what the pair's plain round found: the holder's new flag is held by no peer yet.
  const plainOf = (round: EpochPairRound): number | null | undefined => setup.plainRounds.get(round.labs[0])?.find((r) => r.peer === round.labs[1] && r.status === 'completed' && r.epoch === undefined)?.intersectionSize;
  const asPlain = [...starts.values()].every((round) => round.rows.every((row) => row.epoch?.kind === 'start' && row.intersectionSize === plainOf(round)));
  check(asPlain, `epoch start: every pair's round #0 completed on both sides with the intersection of its plain round (${[...starts.values()].map((round) => `${round.pair} ${round.rows[0].intersectionSize ?? '?'}/${plainOf(round) ?? '?'}`).join(', ')})`);

  say.line(`    today ${flagger.id} flags the same identifier; the next look carries it to every peer of ${flagger.id}`);
  const flaggerFile = writePrivateFile(join(setup.data, flagger.id, 'new-flag.csv'), `email,account_id,category,reason\n${email},${newFlagAccount(flagger.id)},distillation,flagged after the epoch started\n`);
  await venn(['ingest', '--dir', flagger.dir, ...NEW_FLAG_INGEST, flaggerFile]);
  say.indent(await venn(['epochs', 'look', '--dir', flagger.dir]), 6);
  const flaggerPairs = pairs.filter(([a, b]) => a === flagger || b === flagger);
  const incremental = await awaitEpochRounds(labs, flaggerPairs, 1, timeoutMs, steps);
  if (incremental === undefined) return;

  say.line('    the epochs\' rounds (venn rounds: kind, what each lab carried, and what the round cost both labs):');
  const table = [...pairs.flatMap((pair) => [starts.get(`${pair[0].id} ⇄ ${pair[1].id}`), incremental.get(`${pair[0].id} ⇄ ${pair[1].id}`)])].filter((round): round is EpochPairRound => round !== undefined);
  say.indent(formatTable(EPOCH_ROUND_HEADERS, epochRoundLines(table)), 6);

  // The new match, at both labs, from the incremental round of the flagger and the holder.
  const key = flagger.id < holder.id ? `${flagger.id} ⇄ ${holder.id}` : `${holder.id} ⇄ ${flagger.id}`;
  const round = incremental.get(key)!;
  const start = starts.get(key)!;
  const side = (lab: Lab): RoundView => round.rows[round.labs[0] === lab.id ? 0 : 1];
  const roundId = side(flagger).roundId;
  const matched = async (lab: Lab, peer: Lab): Promise<boolean> => {
    const rows = JSON.parse(await venn(['matches', '--dir', lab.dir, '--round', roundId.slice(0, 16), '--format', 'json'], false)) as MatchJson[];
    return rows.length === 1 && rows[0]!.accountRef === newFlagAccount(lab.id) && rows[0]!.kind === 'email' && rows[0]!.peers.includes(peer.id);
  };
  const atFlagger = await matched(flagger, holder);
  const atHolder = await matched(holder, flagger);
  // Only the change travelled: the flagger blinded one element, the holder evaluated one.
  const onlyTheChange = side(flagger).elementsBlinded === 1 && side(holder).elementsEvaluated === 1 && side(flagger).epoch?.kind === 'incremental';
  const cpu = pairCpuMs(round);
  const startCpu = pairCpuMs(start);
  const elements = pairElements(round) ?? 0;
  const startElements = pairElements(start) ?? 0;
  const cost = cpu !== null && startCpu !== null
    ? `worker CPU ${formatDuration(cpu)}, ${percentOf(cpu, startCpu)} of the epoch start's ${formatDuration(startCpu)}`
    : `${formatDuration(pairDurationMs(round))}, ${percentOf(pairDurationMs(round) ?? 0, pairDurationMs(start) ?? 0)} of the epoch start's ${formatDuration(pairDurationMs(start))}`;
  check(atFlagger && atHolder && onlyTheChange,
    `epoch incremental round surfaces a new flag: ${flagger.id}'s ${newFlagAccount(flagger.id)} matched ${holder.id} and ${holder.id}'s ${newFlagAccount(holder.id)} matched ${flagger.id} in round ${roundId.slice(0, 12)}… (#${side(flagger).epoch?.index ?? '?'}, ${side(flagger).epoch?.kind ?? '?'}); it cost ${cost}, and ${n(elements)} of its ${n(startElements)} elements blinded and evaluated (${percentOf(elements, startElements)})`);
}
