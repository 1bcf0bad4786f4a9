/**
 * bench:decode — the worst decode time of Venn's decoders of untrusted bytes on adversarial inputs
 * of the largest size each accepts: frames (decodeMessage, SPEC §5.1, 262,144 bytes), a transcript
 * bundle (decodeTranscriptBundle, then decodeMessage on every frame as the verifier does, audit.md
 * §8.2, §9) and exported logs (decodeExportedLog, audit.md §10.1, 256 MiB). Target: ≤ 50 ms for any
 * frame, so one peer's frame cannot stall a daemon's main thread.
 *
 *   npm run bench:decode -- [--reps 15] [--bundle-frames 784] [--log-mib 256] [--skip-files]
 */
import { loadavg, cpus } from 'node:os';
import { CodecError } from '@venn/errors';
import { MAX_FRAME_BYTES, MessageType, decodeMessage, type MessageKind } from '@venn/wire';
import { MAX_BUNDLE_FRAMES, decodeExportedLog, decodeTranscriptBundle } from '@venn/audit';
import { adversarialFrames, largestBundle, largestExportedLog, type AdversarialFrame, type LogShape } from './adversarial.js';

const FRAME_TARGET_MS = 50;

interface Args {
  readonly reps: number;
  readonly bundleFrames: number;
  readonly logMib: number;
  readonly skipFiles: boolean;
}

function parseArgs(argv: readonly string[]): Args {
  const values = new Map<string, string>();
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i]!;
    if (arg === '--') continue;
    if (arg === '--skip-files') values.set(arg, 'true');
    else if (arg.startsWith('--')) values.set(arg, argv[++i] ?? '');
  }
  const int = (key: string, fallback: number, max: number): number => {
    const value = Number(values.get(key) ?? fallback);
    if (!Number.isSafeInteger(value) || value < 1 || value > max) throw new Error(`${key} expected an integer in 1..${max}, got ${values.get(key)}`);
    return value;
  };
  return {
    reps: int('--reps', 15, 1000),
    bundleFrames: int('--bundle-frames', MAX_BUNDLE_FRAMES, MAX_BUNDLE_FRAMES),
    logMib: int('--log-mib', 256, 256),
    skipFiles: values.has('--skip-files'),
  };
}

function outcome(run: () => unknown): string {
  try {
    run();
    return 'accepted';
  } catch (error) {
    if (error instanceof CodecError) return error.code;
    throw error;
  }
}

/**
 * Times `run` up to `reps` times (fewer once 10 s are spent): the outcome, the median and worst wall
 * time, and the worst CPU time of this process (user + system, so time the scheduler gave to other
 * processes on a shared machine does not count; V8's GC threads do).
 */
function time(run: () => unknown, reps: number): { outcome: string; median: number; worst: number; worstCpu: number } {
  const result = outcome(run); // also the warm-up
  const times: number[] = [];
  let worstCpu = 0;
  let spent = 0;
  while (times.length < reps && spent < 10_000) {
    const cpu = process.cpuUsage();
    const started = performance.now();
    outcome(run);
    const elapsed = performance.now() - started;
    const used = process.cpuUsage(cpu);
    worstCpu = Math.max(worstCpu, (used.user + used.system) / 1000);
    times.push(elapsed);
    spent += elapsed;
  }
  times.sort((a, b) => a - b);
  return { outcome: result, median: times[Math.floor(times.length / 2)]!, worst: times.at(-1)!, worstCpu };
}

const ms = (value: number): string => (value < 10 ? value.toFixed(3) : value.toFixed(1)).padStart(9);
const load = (): string => loadavg().map((x) => x.toFixed(2)).join(' ');

function main(): void {
  const args = parseArgs(process.argv.slice(2));
  console.log(`bench:decode  node ${process.version}, ${cpus().length} cpus, load average ${load()}`);
  console.log(`\nframes (decodeMessage, at most ${MAX_FRAME_BYTES} bytes), ${args.reps} runs each after one warm-up:`);
  console.log(`${'input'.padEnd(64)} ${'bytes'.padStart(7)}  ${'outcome'.padEnd(22)} ${'median ms'.padStart(9)} ${'worst ms'.padStart(9)} ${'worst cpu'.padStart(9)}`);
  const frames = adversarialFrames();
  const results: Array<{ frame: AdversarialFrame; worst: number; worstCpu: number; outcome: string }> = [];
  for (const frame of frames) {
    const r = time(() => decodeMessage(frame.bytes), args.reps);
    results.push({ frame, worst: r.worst, worstCpu: r.worstCpu, outcome: r.outcome });
    console.log(`${`${frame.kind === 'any' ? '' : `[${frame.kind}] `}${frame.name}`.padEnd(64)} ${String(frame.bytes.length).padStart(7)}  ${r.outcome.padEnd(22)} ${ms(r.median)} ${ms(r.worst)} ${ms(r.worstCpu)}`);
  }
  console.log('\nworst per message kind, CPU ms (wall ms); the structural attacks count for every kind, since they are refused before `t` is read:');
  const kinds = Object.keys(MessageType) as MessageKind[];
  let overall = 0;
  let overallWall = 0;
  for (const kind of kinds) {
    const candidates = results.filter((r) => r.frame.kind === kind || r.frame.kind === 'any');
    const worst = candidates.reduce((a, b) => (b.worstCpu > a.worstCpu ? b : a));
    const wall = Math.max(...candidates.map((r) => r.worst));
    overall = Math.max(overall, worst.worstCpu);
    overallWall = Math.max(overallWall, wall);
    console.log(`  ${kind.padEnd(10)} ${ms(worst.worstCpu)} ms  (${ms(wall).trim()} wall)  ${worst.frame.name}: ${worst.outcome}`);
  }
  console.log(`  every frame within ${FRAME_TARGET_MS} ms of CPU: ${overall <= FRAME_TARGET_MS ? 'yes' : 'NO'} (worst ${overall.toFixed(2)} ms CPU, ${overallWall.toFixed(2)} ms wall at load ${load()})`);

  if (!args.skipFiles) {
    // The slowest frame a verifier decodes in full is the largest valid one; a failing frame ends its party's decoding.
    const slowestValid = results.filter((r) => r.outcome === 'accepted').reduce((a, b) => (b.worst > a.worst ? b : a));
    const slowestInvalid = results.filter((r) => r.outcome !== 'accepted').reduce((a, b) => (b.worst > a.worst ? b : a));
    console.log(`\ntranscript bundles (${args.bundleFrames} frames per party), one run each:`);
    for (const { frame } of [slowestValid, slowestInvalid]) {
      const bundle = largestBundle(frame.bytes, args.bundleFrames);
      let started = performance.now();
      const decoded = decodeTranscriptBundle(bundle);
      const decodeMs = performance.now() - started;
      started = performance.now();
      let decodedFrames = 0;
      for (const party of [decoded.initiator, decoded.responder]) {
        for (const bytes of party.frames) {
          decodedFrames++;
          if (outcome(() => decodeMessage(bytes)) !== 'accepted') break; // as the verifier does (audit.md §9)
        }
      }
      const framesMs = performance.now() - started;
      console.log(`  ${`frames: ${frame.name}`.padEnd(70)} ${String(bundle.length).padStart(10)} bytes  bundle ${ms(decodeMs)} ms  + ${decodedFrames} frames ${ms(framesMs)} ms`);
    }
    console.log(`\nexported logs (~${args.logMib} MiB), one run each:`);
    for (const shape of ['leaves', 'heads', 'peers'] as LogShape[]) {
      const file = largestExportedLog(shape, args.logMib * 1024 * 1024);
      const before = process.memoryUsage().rss;
      const started = performance.now();
      const log = decodeExportedLog(file);
      const elapsed = performance.now() - started;
      const grown = (process.memoryUsage().rss - before) / 1024 / 1024;
      const count = shape === 'leaves' ? log.leaves.length : shape === 'heads' ? log.heads.length : log.peerHeads.length;
      console.log(`  ${`${count} ${shape}`.padEnd(24)} ${String(file.length).padStart(10)} bytes  ${ms(elapsed)} ms  (${(elapsed * 1e6 / file.length).toFixed(1)} ns/byte, RSS +${grown.toFixed(0)} MiB)`);
    }
  }
  console.log(`\nload average at the end: ${load()}`);
}

main();
