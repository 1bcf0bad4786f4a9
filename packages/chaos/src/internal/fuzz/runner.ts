/**
 * Runs a fuzz target: input i is drawn from a generator seeded by (seed, i) alone, so any input
 * can be drawn again without running the ones before it (a hang is reported by its index). Every
 * input must end in a value or a VennError within 1 s; anything else is a finding, minimised and
 * written to the corpus directory that the test suite replays.
 */
import { createHash } from 'node:crypto';
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { VennError } from '@venn/errors';
import { SeededRandom } from '../random.js';
import { mutate } from './mutate.js';
import { FuzzFinding, type FuzzTarget } from './targets.js';

/** An input slower than this is a hang (the bound). */
export const SLOW_INPUT_MS = 1000;

export type Outcome =
  | { readonly kind: 'valid'; readonly ms: number }
  | { readonly kind: 'rejected'; readonly code: string; readonly ms: number }
  | { readonly kind: 'finding'; readonly finding: string; readonly error: string; readonly ms: number };

export interface Finding {
  readonly finding: string;
  readonly error: string;
  readonly index: number;
  readonly input: Uint8Array;
  readonly path: string | null;
}

export interface FuzzStats {
  readonly target: string;
  inputs: number;
  valid: number;
  rejected: number;
  /** Typed error codes and how often each ended an input. */
  readonly codes: Record<string, number>;
  readonly findings: Finding[];
  slowestMs: number;
  slowestIndex: number;
  elapsedMs: number;
}

/** The i-th input of a run: the seeds first, as they are, then mutants. */
export function inputAt(target: FuzzTarget, seed: number, index: number): Uint8Array {
  if (index < target.seeds.length) return target.seeds[index]!;
  const random = new SeededRandom((Math.imul(seed, 0x9e3779b1) ^ index) >>> 0);
  if (target.generate !== undefined) return target.generate(random);
  return mutate(random, target.structure, random.pick(target.seeds), target.seeds);
}

/** Runs of an input over the bound before it is a finding: a pause of a loaded machine or of the GC is not the decoder's. */
const SLOW_CONFIRMATIONS = 3;

/** Runs one input and says how it ended; an input over the time bound is run again and is slow only if every run is. */
export async function classify(target: FuzzTarget, input: Uint8Array): Promise<Outcome> {
  let outcome = await classifyOnce(target, input);
  for (let run = 1; run < SLOW_CONFIRMATIONS && outcome.kind === 'finding' && outcome.finding === 'slow-input'; run++) {
    const again = await classifyOnce(target, input);
    if (again.kind !== 'finding' || again.finding !== 'slow-input') return again;
    if (again.ms < outcome.ms) outcome = again;
  }
  return outcome;
}

async function classifyOnce(target: FuzzTarget, input: Uint8Array): Promise<Outcome> {
  const started = performance.now();
  let outcome: Outcome;
  try {
    const result = target.run(input);
    if (result instanceof Promise) await result;
    outcome = { kind: 'valid', ms: 0 };
  } catch (error) {
    if (error instanceof FuzzFinding) outcome = { kind: 'finding', finding: error.kind, error: error.message, ms: 0 };
    else if (error instanceof VennError) outcome = { kind: 'rejected', code: error.code, ms: 0 };
    else outcome = { kind: 'finding', finding: 'untyped-exception', error: `${(error as Error)?.name ?? typeof error}: ${(error as Error)?.message ?? String(error)}`, ms: 0 };
  }
  const ms = performance.now() - started;
  if (outcome.kind !== 'finding' && ms > SLOW_INPUT_MS) return { kind: 'finding', finding: 'slow-input', error: `took ${ms.toFixed(0)} ms (bound ${SLOW_INPUT_MS} ms)`, ms };
  return { ...outcome, ms };
}

/** Deletes chunks of the input while the same kind of finding persists (delta debugging, bounded). */
export async function minimise(target: FuzzTarget, input: Uint8Array, finding: string, budget = 400): Promise<Uint8Array> {
  let current = input;
  let tries = 0;
  for (let chunk = Math.max(1, current.length >> 1); chunk >= 1 && tries < budget; chunk >>= 1) {
    let at = 0;
    while (at < current.length && tries < budget) {
      const candidate = new Uint8Array(current.length - Math.min(chunk, current.length - at));
      candidate.set(current.subarray(0, at));
      candidate.set(current.subarray(at + chunk), at);
      tries += 1;
      const outcome = await classify(target, candidate);
      if (outcome.kind === 'finding' && outcome.finding === finding) current = candidate;
      else at += chunk;
    }
  }
  return current;
}

/**
 * Stores a run's slowest input at `path` (a target's `slowest.bin`, which the suite replays) unless
 * the input already there is as slow. Both are timed now, in turn after a warm-up run of each (the
 * least of `runs` runs each: a pause of the machine makes a run slower, never faster); the new one
 * replaces the stored one only when it takes more than `margin` times as long and at least
 * `minGainMs` longer. A run that found nothing slower leaves the file, tracked in the repository,
 * as it was.
 */
export async function keepSlowest(
  target: FuzzTarget, path: string, candidate: Uint8Array, options: { margin?: number; minGainMs?: number; runs?: number } = {},
): Promise<{ action: 'written' | 'replaced' | 'kept'; storedMs: number | null; candidateMs: number | null }> {
  const { margin = 1.25, minGainMs = 1, runs = 5 } = options;
  let stored: Uint8Array | undefined;
  try {
    stored = new Uint8Array(readFileSync(path));
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== 'ENOENT') throw error;
  }
  // The same input again: nothing to time or write.
  if (stored !== undefined && Buffer.compare(stored, candidate) === 0) return { action: 'kept', storedMs: null, candidateMs: null };
  const inputs = stored === undefined ? [candidate] : [stored, candidate];
  const best = inputs.map(() => Infinity);
  for (const input of inputs) await classifyOnce(target, input);
  for (let run = 0; run < runs; run++) {
    for (let i = 0; i < inputs.length; i++) best[i] = Math.min(best[i]!, (await classifyOnce(target, inputs[i]!)).ms);
  }
  const candidateMs = best.at(-1)!;
  if (stored === undefined) {
    mkdirSync(dirname(path), { recursive: true });
    writeFileSync(path, candidate);
    return { action: 'written', storedMs: null, candidateMs };
  }
  const storedMs = best[0]!;
  if (candidateMs > storedMs * margin && candidateMs - storedMs >= minGainMs) {
    writeFileSync(path, candidate);
    return { action: 'replaced', storedMs, candidateMs };
  }
  return { action: 'kept', storedMs, candidateMs };
}

export function writeCorpus(corpusDir: string, target: string, finding: string, input: Uint8Array): string {
  const dir = join(corpusDir, target);
  mkdirSync(dir, { recursive: true });
  const path = join(dir, `${finding}-${createHash('sha256').update(input).digest('hex').slice(0, 16)}.bin`);
  writeFileSync(path, input);
  return path;
}

export function emptyStats(target: string): FuzzStats {
  return { target, inputs: 0, valid: 0, rejected: 0, codes: {}, findings: [], slowestMs: 0, slowestIndex: -1, elapsedMs: 0 };
}

export interface FuzzOptions {
  readonly seed: number;
  readonly runs: number;
  /** First input index (to resume after a hang). */
  readonly from?: number;
  /** Where minimised findings go; null writes nothing. */
  readonly corpusDir: string | null;
  /** Called with the index about to run (the hang watchdog reads it). */
  readonly onInput?: (index: number) => void;
  readonly maxFindings?: number;
}

export async function fuzzTarget(target: FuzzTarget, options: FuzzOptions, stats: FuzzStats = emptyStats(target.name)): Promise<FuzzStats> {
  const started = performance.now();
  const maxFindings = options.maxFindings ?? 20;
  const seen = new Set(stats.findings.map((f) => `${f.finding}:${f.error.split('\n')[0]}`));
  for (let index = options.from ?? 0; index < options.runs; index++) {
    options.onInput?.(index);
    const input = inputAt(target, options.seed, index);
    const outcome = await classify(target, input);
    stats.inputs += 1;
    if (outcome.ms > stats.slowestMs) {
      stats.slowestMs = outcome.ms;
      stats.slowestIndex = index;
    }
    if (outcome.kind === 'valid') stats.valid += 1;
    else if (outcome.kind === 'rejected') {
      stats.rejected += 1;
      stats.codes[outcome.code] = (stats.codes[outcome.code] ?? 0) + 1;
    } else {
      const key = `${outcome.finding}:${outcome.error.split('\n')[0]}`;
      if (seen.has(key) || stats.findings.length >= maxFindings) continue;
      seen.add(key);
      const small = outcome.finding === 'slow-input' ? input : await minimise(target, input, outcome.finding);
      const path = options.corpusDir === null ? null : writeCorpus(options.corpusDir, target.name, outcome.finding, small);
      stats.findings.push({ finding: outcome.finding, error: outcome.error, index, input: small, path });
    }
  }
  stats.elapsedMs += performance.now() - started;
  return stats;
}
