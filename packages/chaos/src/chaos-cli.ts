/**
 * npm run chaos -- --seed S --minutes M [--size N] [--keep]
 *
 * Three real daemons behind fault-injecting proxies, faults of every kind at random from the seed,
 * then the invariants. Exit 0 when no invariant was violated, 1 otherwise; the same seed replays
 * the same fault schedule.
 */
import { parseArgs } from 'node:util';
import { DEFAULT_OPTIONS, runChaos } from './internal/harness.js';
import { formatChaosReport } from './internal/report.js';

const { values } = parseArgs({
  // `pnpm run chaos -- --seed 1` forwards the "--" itself; drop it.
  args: process.argv.slice(2).filter((arg) => arg !== '--'),
  options: {
    seed: { type: 'string', default: String(Date.now() % 1_000_000) },
    minutes: { type: 'string', default: String(DEFAULT_OPTIONS.minutes) },
    size: { type: 'string', default: String(DEFAULT_OPTIONS.size) },
    'kill-every': { type: 'string', default: String(DEFAULT_OPTIONS.killEverySeconds) },
    keep: { type: 'boolean', default: false },
    quiet: { type: 'boolean', default: false },
    help: { type: 'boolean', default: false },
  },
});

if (values.help) {
  process.stdout.write(`usage: npm run chaos -- [--seed S] [--minutes M] [--size N] [--kill-every SECONDS] [--keep] [--quiet]

Starts three venn daemons (real SQLite stores on small tmpfs filesystems, real sockets) behind
fault-injecting TCP proxies on loopback, runs scheduled and ad-hoc rounds for M minutes while
injecting seeded faults (connection resets, stalls, latency, throttling, one-way partitions, a
vanished peer, kill -9, SIGTERM, clock jumps, disk full, torn config and key files, online
backups), then checks the invariants from the stores and prints a table. Exit 0 iff there is no
violation. The same seed replays the same fault schedule. Defaults: seed from the clock, 10
minutes, 120 identifiers per lab, a kill -9 every 7 s on average. Needs root for the tmpfs
mounts; without them disk-full faults are left out and the report says so.
`);
  process.exit(0);
}

function positive(name: string, text: string): number {
  const value = Number(text);
  if (!Number.isFinite(value) || value <= 0) {
    process.stderr.write(`chaos: "--${name}" expected a positive number, got ${JSON.stringify(text)}\n`);
    process.exit(2);
  }
  return value;
}

const seed = Math.floor(positive('seed', values.seed));
const options = {
  ...DEFAULT_OPTIONS,
  seed,
  minutes: positive('minutes', values.minutes),
  size: Math.floor(positive('size', values.size)),
  killEverySeconds: positive('kill-every', values['kill-every']),
  keep: values.keep,
  log: (line: string): void => { if (!values.quiet) process.stderr.write(`${line}\n`); },
};
process.stderr.write(`chaos: seed ${seed} (replay with --seed ${seed})\n`);
const result = await runChaos(options);
process.stdout.write(formatChaosReport(result));
if (options.keep) process.stdout.write(`work directory kept: ${result.workDir}\n`);
process.exitCode = result.violations.length === 0 ? 0 : 1;
