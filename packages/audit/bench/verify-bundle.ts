/**
 * bench:audit — the auditor's verification of an n × n comparison (default 100,000 per side).
 *
 * One round carries at most MAX_SET_SIZE (2^20) elements per side (SPEC §5.3), so n elements per
 * side take ceil(n / 2^20)² rounds over parts of equal size: 100k × 100k is one round.
 * The bundles come from real rounds run in this process with @venn/protocol (cached on disk, since
 * producing them costs far more than checking them). Verification runs in fresh child processes, so
 * time and peak RSS are the verifier's alone: `--jobs` processes (default one per core) each verify
 * their share of the bundles, one bundle at a time, as an auditor would run `venn audit verify` on
 * each file.
 *
 *   npm run bench:audit -- [--n 100000] [--jobs N] [--overlap 0.1] [--mode intersection|cardinality] [--cache DIR]
 */
import { spawn } from 'node:child_process';
import { createHash } from 'node:crypto';
import { existsSync, mkdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { availableParallelism, tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { ed25519KeyPairFromSeed, ready, systemRng } from '@venn/crypto';
import { createRound, ownSetFromDigests, type Role, type Round } from '@venn/protocol';
import { MAX_SET_SIZE, type Mode } from '@venn/wire';
import {
  MemoryLogStorage,
  MerkleLog,
  buildTranscriptBundle,
  encodeRoundRecord,
  encodeTranscriptBundle,
  signTreeHead,
  verifyTranscriptBundle,
  type AuditRoster,
  type RecordedMessage,
} from '@venn/audit';

const ids: Record<Role, string> = { initiator: 'lab-a', responder: 'lab-b' };
const seeds: Record<Role, Uint8Array> = { initiator: new Uint8Array(32).fill(0x11), responder: new Uint8Array(32).fill(0x22) };
const rosterDigest = new Uint8Array(32).fill(0x5e);

interface Args {
  readonly n: number;
  readonly overlap: number;
  readonly mode: Mode;
  readonly cache: string;
  readonly jobs: number;
}

function parseArgs(argv: readonly string[]): Args {
  const values = new Map<string, string>();
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i]!;
    if (arg === '--') continue;
    const [key, inline] = arg.split('=', 2) as [string, string | undefined];
    if (key.startsWith('--')) values.set(key, inline ?? argv[++i] ?? '');
  }
  const n = Number(values.get('--n') ?? 100_000);
  const overlap = Number(values.get('--overlap') ?? 0.1);
  const mode = (values.get('--mode') ?? 'intersection') as Mode;
  if (!Number.isSafeInteger(n) || n < 1 || n > 1_000_000) throw new Error(`--n expected an integer in 1..1000000, got ${values.get('--n')}`);
  if (!(overlap >= 0 && overlap <= 1)) throw new Error(`--overlap expected a fraction in 0..1, got ${values.get('--overlap')}`);
  if (mode !== 'intersection' && mode !== 'cardinality') throw new Error(`--mode expected intersection or cardinality, got ${mode}`);
  const cache = values.get('--cache') ?? join(tmpdir(), `venn-bench-audit-v2-${n}-${overlap}-${mode}`);
  const jobs = Number(values.get('--jobs') ?? availableParallelism());
  if (!Number.isSafeInteger(jobs) || jobs < 1 || jobs > 64) throw new Error(`--jobs expected an integer in 1..64, got ${values.get('--jobs')}`);
  return { n, overlap, mode, cache, jobs };
}

/** The roster the bundles verify against: both labs' keys, open policies, an hourly schedule (ad-hoc rounds do not use it). */
function benchRoster(): AuditRoster {
  const policy = { maxPeerSetSize: MAX_SET_SIZE, modes: ['intersection', 'cardinality'] as Mode[], shareLabels: [] };
  return {
    digest: rosterDigest,
    members: (['initiator', 'responder'] as const).map((role) => ({ id: ids[role], identityKey: ed25519KeyPairFromSeed(seeds[role]).publicKey, policy })),
    schedule: {
      isSlot: (slot) => slot % 3600 === 0,
      scheduledRoundId: () => new Uint8Array(32),
      scheduledInitiator: (_roundId, a) => a,
    },
  };
}

const digest = (label: string): Uint8Array => new Uint8Array(createHash('sha256').update(label).digest());

/** n digests per side, the first overlap·n common to both; each side is cut into `parts` equal parts. */
function sides(n: number, overlap: number): Record<Role, Uint8Array[]> {
  const shared = Math.round(n * overlap);
  const out: Record<Role, Uint8Array[]> = { initiator: [], responder: [] };
  for (let i = 0; i < n; i++) {
    out.initiator.push(digest(i < shared ? `bench/shared/${i}` : `bench/a/${i}`));
    // The shared items sit at other positions on the other side, so they fall into other parts too.
    out.responder.push(digest(i < shared ? `bench/shared/${(i * 7919) % shared}` : `bench/b/${i}`));
  }
  return out;
}

function split<T>(items: readonly T[], parts: number): T[][] {
  const size = Math.ceil(items.length / parts);
  return Array.from({ length: parts }, (_, p) => items.slice(p * size, (p + 1) * size));
}

/** Runs one round between the two parts on this thread and returns the initiator's records. */
function playRound(roundId: Uint8Array, elements: Record<Role, Uint8Array[]>, mode: Mode): { records: RecordedMessage[]; size: number; transcriptHash: Uint8Array } {
  const make = (role: Role): Round => createRound({
    role, roundId, rosterDigest, selfId: ids[role], peerId: ids[role === 'initiator' ? 'responder' : 'initiator'], mode,
    policy: { maxPeerSetSize: MAX_SET_SIZE, evaluationAllowance: MAX_SET_SIZE, modes: [mode], labelFields: [], semiHonestCardinality: mode === 'cardinality', allowIdentifierRulesMismatch: false },
    identifierRules: 'venn-identifiers/1', ownSet: ownSetFromDigests(elements[role]), rng: systemRng,
    signingKey: ed25519KeyPairFromSeed(seeds[role]).secretKey, peerPublicKey: ed25519KeyPairFromSeed(seeds[role === 'initiator' ? 'responder' : 'initiator']).publicKey, logHead: null,
  });
  const rounds = { initiator: make('initiator'), responder: make('responder') };
  const records: RecordedMessage[] = [];
  const inbox: Record<Role, Uint8Array[]> = { initiator: [], responder: [] };
  const send = (from: Role, out: ReadonlyArray<{ bytes: Uint8Array }>): void => {
    for (const { bytes } of out) {
      if (from === 'initiator') records.push({ direction: 'sent', bytes });
      inbox[from === 'initiator' ? 'responder' : 'initiator'].push(bytes);
    }
  };
  send('initiator', rounds.initiator.start());
  send('responder', rounds.responder.start());
  let turn: Role = 'responder';
  while (inbox.initiator.length > 0 || inbox.responder.length > 0) {
    const frame = inbox[turn].shift();
    if (frame !== undefined && !rounds[turn].done) {
      if (turn === 'initiator') records.push({ direction: 'received', bytes: frame });
      send(turn, rounds[turn].receive(frame));
    }
    turn = turn === 'initiator' ? 'responder' : 'initiator';
  }
  const result = rounds.initiator.result!;
  if (result.status !== 'completed') throw new Error(`bench round ended ${result.status}`);
  return { records, size: result.intersectionSize, transcriptHash: result.transcriptHash };
}

/** The bundles of the comparison (generated once per cache directory). */
function bundles(args: Args): { files: string[]; parts: number; expected: number } {
  const parts = Math.ceil(args.n / MAX_SET_SIZE);
  const manifest = join(args.cache, 'manifest.json');
  if (existsSync(manifest)) {
    const cached = JSON.parse(readFileSync(manifest, 'utf8')) as { files: string[]; parts: number; expected: number };
    if (cached.files.every((file) => existsSync(file))) {
      console.log(`bundles: ${cached.files.length} cached in ${args.cache}`);
      return cached;
    }
  }
  mkdirSync(args.cache, { recursive: true });
  const data = sides(args.n, args.overlap);
  const [a, b] = [split(data.initiator, parts), split(data.responder, parts)];
  const log = new MerkleLog(new MemoryLogStorage());
  const played: Array<{ index: number; records: RecordedMessage[]; file: string }> = [];
  let expected = 0;
  for (let i = 0; i < parts; i++) {
    for (let j = 0; j < parts; j++) {
      const roundId = digest(`bench/round/${args.n}/${i}/${j}`);
      const started = performance.now();
      const round = playRound(roundId, { initiator: a[i]!, responder: b[j]! }, args.mode);
      expected += round.size;
      console.log(`round ${i}×${j}: ${a[i]!.length} × ${b[j]!.length}, intersection ${round.size}, played in ${((performance.now() - started) / 1000).toFixed(1)} s`);
      const { index } = log.append(encodeRoundRecord({
        roundId, attempt: 1, rosterDigest, slot: null, initiatorId: ids.initiator, responderId: ids.responder, status: 'completed', reason: '',
        transcriptHash: round.transcriptHash, initiatorClaim: round.size, responderClaim: round.size, timestamp: Date.now(),
        initiatorSetSize: a[i]!.length, responderSetSize: b[j]!.length, initiatorEvaluations: b[j]!.length, responderEvaluations: a[i]!.length, endedBy: null,
      }));
      played.push({ index, records: round.records, file: join(args.cache, `round-${i}-${j}.bundle`) });
    }
  }
  const head = signTreeHead(log.treeHead(Date.now()), ids.initiator, ed25519KeyPairFromSeed(seeds.initiator).secretKey);
  for (const { index, records, file } of played) {
    const bundle = buildTranscriptBundle({ exporter: ids.initiator, leaf: log.leaf(index), leafIndex: index, treeHead: head, inclusionProof: log.inclusionProof(index, head.size), messages: records });
    writeFileSync(file, encodeTranscriptBundle(bundle));
  }
  const result = { files: played.map((p) => p.file), parts, expected };
  writeFileSync(manifest, JSON.stringify(result));
  return result;
}

/** Child: verify each bundle file in turn, then report times and peak RSS as one JSON line. */
async function verifyChild(files: readonly string[]): Promise<void> {
  const started = performance.now();
  await ready();
  const roster = benchRoster();
  const perBundle: Array<{ file: string; ms: number; bytes: number; valid: boolean; sizes: [number | null, number | null]; failure: string | null }> = [];
  for (const file of files) {
    const t0 = performance.now();
    const bytes = new Uint8Array(readFileSync(file));
    const report = verifyTranscriptBundle(bytes, roster);
    perBundle.push({
      file, ms: performance.now() - t0, bytes: bytes.length, valid: report.valid, sizes: [report.summary.recomputed.initiator, report.summary.recomputed.responder],
      failure: report.failure === null ? null : `${report.failure.name}: ${report.failure.detail}`,
    });
  }
  const totalMs = performance.now() - started;
  // maxRSS is in KiB: the peak resident set of this process, the verifier alone.
  process.stdout.write(`${JSON.stringify({ totalMs, peakRssMiB: process.resourceUsage().maxRSS / 1024, perBundle })}\n`);
}

interface ChildResult {
  readonly totalMs: number;
  readonly peakRssMiB: number;
  readonly perBundle: Array<{ file: string; ms: number; bytes: number; valid: boolean; sizes: [number | null, number | null]; failure: string | null }>;
}

function runChild(files: readonly string[]): Promise<ChildResult> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [fileURLToPath(import.meta.url), '--verify-child', ...files], { stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (chunk: Buffer) => { stdout += chunk.toString(); });
    child.stderr.on('data', (chunk: Buffer) => { stderr += chunk.toString(); });
    child.on('error', reject);
    child.on('close', (code) => (code === 0 ? resolve(JSON.parse(stdout.trim().split('\n').at(-1)!) as ChildResult) : reject(new Error(`verifier process failed: ${stderr}`))));
  });
}

async function main(): Promise<void> {
  const argv = process.argv.slice(2);
  if (argv[0] === '--verify-child') return verifyChild(argv.slice(1));
  const args = parseArgs(argv);
  await ready();
  console.log(`bench:audit  n = ${args.n} per side, overlap ${args.overlap}, mode ${args.mode}; node ${process.version}, ${availableParallelism()} cores`);
  const { files, parts, expected } = bundles(args);
  const jobs = Math.min(args.jobs, files.length);
  const shares = Array.from({ length: jobs }, (_, j) => files.filter((_, i) => i % jobs === j));
  const started = performance.now();
  const results = await Promise.all(shares.map(runChild));
  const wallMs = performance.now() - started;
  const perBundle = results.flatMap((result) => result.perBundle);
  for (const bundle of perBundle) {
    console.log(`verified ${bundle.file.split('/').at(-1)}: ${(bundle.bytes / 1024 / 1024).toFixed(1)} MiB in ${(bundle.ms / 1000).toFixed(2)} s, ${bundle.valid ? 'valid' : `INVALID (${bundle.failure})`}, intersection ${bundle.sizes[0]}`);
  }
  const found = perBundle.reduce((sum, bundle) => sum + (bundle.sizes[0] ?? 0), 0);
  const allValid = perBundle.every((bundle) => bundle.valid);
  const totalBytes = files.reduce((sum, file) => sum + statSync(file).size, 0);
  const serialMs = perBundle.reduce((sum, bundle) => sum + bundle.ms, 0);
  console.log(`\n${args.n} × ${args.n} as ${parts}×${parts} rounds (${files.length} bundles, ${(totalBytes / 1024 / 1024).toFixed(1)} MiB), ${jobs} verifier process${jobs === 1 ? '' : 'es'}: `
    + `verified in ${(wallMs / 1000).toFixed(1)} s wall (target ≤ 90 s; ${(serialMs / 1000).toFixed(1)} s of verification in total), `
    + `peak RSS ${Math.max(...results.map((result) => result.peakRssMiB)).toFixed(0)} MiB per process; `
    + `${allValid ? 'all valid' : 'NOT ALL VALID'}, intersection ${found} (expected ${expected})`);
  if (!allValid || found !== expected) process.exitCode = 1;
}

await main();
