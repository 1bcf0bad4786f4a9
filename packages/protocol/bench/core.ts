/**
 * bench:core — one mutual verifiable Venn round at n elements per side against @openmined/psi.js
 * 2.0.6 (one direction, Raw structure) on the same data, measured (a) on one thread and (b) with
 * each party in its own worker thread.
 *
 *   npm run bench:core -- --n 10000 [--overlap 0.1] [--mode intersection|cardinality] [--only a|b] [--no-psi] [--memory] [--threads 1,2] [--profile]
 *
 * --memory adds (m): the peak memory the two rounds retain (full garbage collection before each
 * sample, untimed), per element per side.
 * --threads 1,2 adds (t): one party's blind + evaluate throughput with 1, 2, ... worker threads
 * sharing the n elements (a daemon runs one round per worker, `workers` in its config).
 * --profile runs (a) under the V8 CPU profiler and prints its top frames by self time.
 */
import { availableParallelism, cpus, loadavg } from 'node:os';
import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';
import { Session } from 'node:inspector';
import { Worker } from 'node:worker_threads';
import { HASH_TO_GROUP_DST } from '@venn/protocol';
import { ed25519KeyPairFromSeed, ready, systemRng } from '@venn/crypto';
import { createRound, ownSetFromDigests, type Outbound, type Phase, type Role, type Round } from '@venn/protocol';
import { MAX_SET_SIZE, type Mode } from '@venn/wire';
import {
  PHASES,
  benchPolicy,
  benchSets,
  hexStrings,
  loadPsi,
  pack,
  phaseRecorder,
  processCpuMs,
  threadCpuMs,
} from './common.js';
import type { ScaleInit } from './scale-worker.js';
import type { FromWorker, ToWorker, WorkerInit } from './worker.js';

/** (t) One party's blind + evaluate over `elements`, split evenly across `threads` worker threads started together. */
async function scaling(elements: readonly Uint8Array[], threads: number): Promise<{ wallMs: number; cpuMs: number | undefined }> {
  const share = Math.ceil(elements.length / threads);
  const workers = await Promise.all(Array.from({ length: threads }, (_, t) => {
    const init: ScaleInit = { elements: elements.slice(t * share, (t + 1) * share), dst: HASH_TO_GROUP_DST, chunk: 4096 };
    const worker = new Worker(new URL('./scale-worker.js', import.meta.url), { workerData: init });
    return new Promise<Worker>((resolve, reject) => {
      worker.once('error', reject);
      worker.once('message', () => resolve(worker));
    });
  }));
  const started = performance.now();
  const results = await Promise.all(workers.map((worker) => new Promise<{ cpuMs: number | undefined }>((resolve, reject) => {
    worker.once('error', reject);
    worker.once('message', (message: { cpuMs: number | undefined }) => resolve(message));
    worker.postMessage('go');
  })));
  const wallMs = performance.now() - started;
  await Promise.all(workers.map((worker) => worker.terminate()));
  const cpu = results.map((r) => r.cpuMs);
  return { wallMs, cpuMs: cpu.every((c) => c !== undefined) ? cpu.reduce((x, y) => x! + y!, 0) : undefined };
}

/** Runs `work` under the V8 CPU profiler of this thread and returns it with the profile's top frames by self time. */
async function profiled<T>(work: () => T): Promise<{ value: T; top: Array<{ frame: string; ms: number; share: number }> }> {
  const session = new Session();
  session.connect();
  const post = (method: string, params?: object): Promise<any> => new Promise((resolve, reject) => session.post(method, params ?? {}, (error, result) => (error ? reject(error) : resolve(result))));
  await post('Profiler.enable');
  await post('Profiler.setSamplingInterval', { interval: 200 });
  await post('Profiler.start');
  const value = work();
  const { profile } = await post('Profiler.stop') as { profile: { nodes: Array<{ id: number; callFrame: { functionName: string; url: string; lineNumber: number } }>; samples: number[]; timeDeltas: number[] } };
  session.disconnect();
  const byId = new Map(profile.nodes.map((node) => [node.id, node]));
  const self = new Map<string, number>();
  let total = 0;
  profile.samples.forEach((id, i) => {
    const { functionName, url, lineNumber } = byId.get(id)!.callFrame;
    if (functionName === '(idle)' || functionName === '(program)') return;
    const frame = `${functionName === '' ? '(anonymous)' : functionName}${url === '' ? '' : ` ${url.split('/').slice(-2).join('/')}:${lineNumber + 1}`}`;
    const delta = profile.timeDeltas[i] ?? 0;
    self.set(frame, (self.get(frame) ?? 0) + delta);
    total += delta;
  });
  const top = [...self].sort((a, b) => b[1] - a[1]).slice(0, 15).map(([frame, us]) => ({ frame, ms: us / 1000, share: us / total }));
  return { value, top };
}

interface Args {
  readonly n: number;
  readonly overlap: number;
  readonly mode: Mode;
  readonly psi: boolean;
  /** which measurements to run: 'a' (one thread), 'b' (worker threads) or both */
  readonly only: 'a' | 'b' | undefined;
  readonly memory: boolean;
  /** thread counts for (t); empty: (t) is not run */
  readonly threads: readonly number[];
  readonly profile: boolean;
}

function parseArgs(argv: readonly string[]): Args {
  const values = new Map<string, string>();
  const flags = new Set<string>();
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i]!;
    if (arg === '--') continue;
    const [key, inline] = arg.split('=', 2) as [string, string | undefined];
    if (key === '--no-psi' || key === '--memory' || key === '--profile') flags.add(key);
    else if (key.startsWith('--')) values.set(key, inline ?? argv[++i] ?? '');
  }
  const n = Number(values.get('--n') ?? 10_000);
  const overlap = Number(values.get('--overlap') ?? 0.1);
  const mode = (values.get('--mode') ?? 'intersection') as Mode;
  if (!Number.isSafeInteger(n) || n < 1 || n > MAX_SET_SIZE) throw new Error(`--n expected an integer in 1..${MAX_SET_SIZE}, got ${values.get('--n')}`);
  if (!(overlap >= 0 && overlap <= 1)) throw new Error(`--overlap expected a fraction in 0..1, got ${values.get('--overlap')}`);
  if (mode !== 'intersection' && mode !== 'cardinality') throw new Error(`--mode expected intersection or cardinality, got ${mode}`);
  const only = values.get('--only');
  if (only !== undefined && only !== 'a' && only !== 'b') throw new Error(`--only expected a or b, got ${only}`);
  const threadsText = values.get('--threads');
  const threads = threadsText === undefined ? [] : threadsText.split(',').map(Number);
  if (threads.some((t) => !Number.isSafeInteger(t) || t < 1 || t > 64)) throw new Error(`--threads expected a comma-separated list of integers in 1..64, got ${threadsText}`);
  return { n, overlap, mode, psi: !flags.has('--no-psi'), only, memory: flags.has('--memory'), threads, profile: flags.has('--profile') };
}

interface PartyStats {
  busyMs: number;
  cpuMs: number | undefined;
  phases: Record<Phase, number>;
  intersectionSize: number;
  status: string;
}

interface VennRun {
  wallMs: number;
  initiator: PartyStats;
  responder: PartyStats;
}

interface PsiRun {
  wallMs: number;
  steps: Record<'setup' | 'request' | 'process' | 'intersection', number>;
  serverCpuMs: number | undefined;
  clientCpuMs: number | undefined;
  size: number;
}

const signingSeeds = { initiator: new Uint8Array(32).fill(0x11), responder: new Uint8Array(32).fill(0x22) };

/** (a) Both parties on this thread, frames passed one at a time, alternating directions. */
function vennOneThread(sets: { initiator: Uint8Array[]; responder: Uint8Array[] }, mode: Mode): VennRun {
  const stats: Record<Role, PartyStats> = {
    initiator: { busyMs: 0, cpuMs: 0, phases: {} as Record<Phase, number>, intersectionSize: -1, status: '' },
    responder: { busyMs: 0, cpuMs: 0, phases: {} as Record<Phase, number>, intersectionSize: -1, status: '' },
  };
  const make = (role: Role): Round => {
    const recorder = phaseRecorder();
    stats[role].phases = recorder.totals;
    const peer: Role = role === 'initiator' ? 'responder' : 'initiator';
    return createRound({
      role,
      roundId: new Uint8Array(32).fill(7),
      rosterDigest: new Uint8Array(32).fill(8),
      selfId: role === 'initiator' ? 'lab-a' : 'lab-b',
      peerId: role === 'initiator' ? 'lab-b' : 'lab-a',
      mode,
      policy: benchPolicy(mode),
      identifierRules: 'venn-identifiers/1',
      ownSet: ownSetFromDigests(sets[role]),
      rng: systemRng,
      signingKey: ed25519KeyPairFromSeed(signingSeeds[role]).secretKey,
      peerPublicKey: ed25519KeyPairFromSeed(signingSeeds[peer]).publicKey,
      phaseTimer: recorder.timer,
    });
  };
  const rounds: Record<Role, Round> = { initiator: make('initiator'), responder: make('responder') };
  const inbox: Record<Role, Uint8Array[]> = { initiator: [], responder: [] };
  const call = (role: Role, work: () => Outbound[]): void => {
    const started = performance.now();
    const cpu = processCpuMs();
    const out = work();
    stats[role].busyMs += performance.now() - started;
    stats[role].cpuMs! += processCpuMs() - cpu;
    inbox[role === 'initiator' ? 'responder' : 'initiator'].push(...out.map((o) => o.bytes));
  };
  const started = performance.now();
  call('initiator', () => rounds.initiator.start());
  call('initiator', () => rounds.initiator.precompute());
  call('responder', () => rounds.responder.start());
  let turn: Role = 'responder';
  while (inbox.initiator.length > 0 || inbox.responder.length > 0) {
    const frame = inbox[turn].shift();
    if (frame !== undefined && !rounds[turn].done) call(turn, () => rounds[turn].receive(frame));
    turn = turn === 'initiator' ? 'responder' : 'initiator';
  }
  const wallMs = performance.now() - started;
  for (const role of ['initiator', 'responder'] as const) {
    const result = rounds[role].result!;
    stats[role].status = result.status;
    stats[role].intersectionSize = result.status === 'aborted' ? -1 : result.intersectionSize;
  }
  return { wallMs, ...stats };
}

/**
 * (m) The memory a round retains, untimed: both parties on this thread, a full garbage collection
 * before each sample, after every call and every unit of work. The inputs (arrays of digests) are
 * the benchmark's; the rounds' own sets are packed copies and count.
 */
function vennMemory(sets: { initiator: Uint8Array[]; responder: Uint8Array[] }, mode: Mode): { peakBytes: number; status: string } {
  setFlagsFromString('--expose-gc');
  const gc = runInNewContext('gc') as () => void;
  const inUse = (): number => {
    // Two collections: the second waits for the first to finish freeing ArrayBuffer backing stores.
    gc();
    gc();
    const { heapUsed, arrayBuffers } = process.memoryUsage();
    return heapUsed + arrayBuffers;
  };
  const before = inUse();
  let peak = before;
  const sample = (): void => {
    peak = Math.max(peak, inUse());
  };
  const make = (role: Role): Round =>
    createRound({
      role,
      roundId: new Uint8Array(32).fill(7),
      rosterDigest: new Uint8Array(32).fill(8),
      selfId: role === 'initiator' ? 'lab-a' : 'lab-b',
      peerId: role === 'initiator' ? 'lab-b' : 'lab-a',
      mode,
      policy: benchPolicy(mode),
      identifierRules: 'venn-identifiers/1',
      ownSet: ownSetFromDigests(sets[role]),
      rng: systemRng,
      signingKey: ed25519KeyPairFromSeed(signingSeeds[role]).secretKey,
      peerPublicKey: ed25519KeyPairFromSeed(signingSeeds[role === 'initiator' ? 'responder' : 'initiator']).publicKey,
      phaseTimer: (_phase, work) => {
        const value = work();
        sample();
        return value;
      },
    });
  const rounds: Record<Role, Round> = { initiator: make('initiator'), responder: make('responder') };
  const inbox: Record<Role, Uint8Array[]> = { initiator: [], responder: [] };
  const call = (role: Role, out: Outbound[]): void => {
    inbox[role === 'initiator' ? 'responder' : 'initiator'].push(...out.map((o) => o.bytes));
    sample();
  };
  call('initiator', rounds.initiator.start());
  for (let turn: Role = 'responder'; inbox.initiator.length + inbox.responder.length > 0; turn = turn === 'initiator' ? 'responder' : 'initiator') {
    const frame = inbox[turn].shift();
    if (frame !== undefined && !rounds[turn].done) call(turn, rounds[turn].receive(frame));
  }
  return { peakBytes: peak - before, status: rounds.responder.result!.status };
}

function spawn(init: WorkerInit): Promise<Worker> {
  const worker = new Worker(new URL('./worker.js', import.meta.url), { workerData: init });
  return new Promise((resolve, reject) => {
    worker.once('error', reject);
    worker.once('message', (message: FromWorker) => (message.type === 'ready' ? resolve(worker) : reject(new Error('worker did not start'))));
  });
}

/** (b) Each party in its own worker thread; this thread only relays frames. */
async function vennWorkers(sets: { initiator: Uint8Array[]; responder: Uint8Array[] }, mode: Mode): Promise<VennRun> {
  const init = (role: Role): WorkerInit => ({
    kind: 'venn',
    role,
    mode,
    elements: pack(sets[role]),
    signingSeed: signingSeeds[role],
    peerSigningSeed: signingSeeds[role === 'initiator' ? 'responder' : 'initiator'],
  });
  const workers: Record<Role, Worker> = { initiator: await spawn(init('initiator')), responder: await spawn(init('responder')) };
  const done: Partial<Record<Role, PartyStats>> = {};
  const started = performance.now();
  const finished = new Promise<number>((resolve, reject) => {
    for (const role of ['initiator', 'responder'] as const) {
      const peer = workers[role === 'initiator' ? 'responder' : 'initiator'];
      workers[role].on('error', reject);
      workers[role].on('message', (message: FromWorker) => {
        if (message.type === 'frames') {
          for (const bytes of message.frames) peer.postMessage({ type: 'frame', bytes } satisfies ToWorker);
        } else if (message.type === 'venn-done') {
          done[role] = {
            busyMs: message.busyMs,
            cpuMs: message.cpuMs,
            phases: message.phases as Record<Phase, number>,
            intersectionSize: message.intersectionSize,
            status: message.status,
          };
          if (done.initiator && done.responder) resolve(performance.now() - started);
        }
      });
    }
  });
  workers.initiator.postMessage({ type: 'start' } satisfies ToWorker);
  workers.responder.postMessage({ type: 'start' } satisfies ToWorker);
  const wallMs = await finished;
  await Promise.all([workers.initiator.terminate(), workers.responder.terminate()]);
  return { wallMs, initiator: done.initiator!, responder: done.responder! };
}

/** (a) psi.js on this thread: the initiator's set is the client's, the responder's the server's. */
async function psiOneThread(sets: { initiator: Uint8Array[]; responder: Uint8Array[] }): Promise<PsiRun> {
  const psi = await loadPsi();
  const server = psi.server.createWithNewKey(true);
  const client = psi.client.createWithNewKey(true);
  const serverSet = hexStrings(sets.responder);
  const clientSet = hexStrings(sets.initiator);
  const steps = { setup: 0, request: 0, process: 0, intersection: 0 };
  const cpu = { server: 0, client: 0 };
  const timed = <T>(step: keyof typeof steps, side: 'server' | 'client', work: () => T): T => {
    const started = performance.now();
    const cpuStart = processCpuMs();
    const value = work();
    steps[step] = performance.now() - started;
    cpu[side] += processCpuMs() - cpuStart;
    return value;
  };
  const started = performance.now();
  const setup = timed('setup', 'server', () => server.createSetupMessage(0.0, -1, serverSet, psi.dataStructure.Raw));
  const request = timed('request', 'client', () => client.createRequest(clientSet));
  const response = timed('process', 'server', () => server.processRequest(request));
  const size = timed('intersection', 'client', () => client.getIntersection(setup, response).length);
  return { wallMs: performance.now() - started, steps, serverCpuMs: cpu.server, clientCpuMs: cpu.client, size };
}

/** (b) psi.js with server setup and client request in parallel workers, then process, then intersect. */
async function psiWorkers(sets: { initiator: Uint8Array[]; responder: Uint8Array[] }): Promise<PsiRun> {
  const server = await spawn({ kind: 'psi-server', elements: pack(sets.responder) });
  const client = await spawn({ kind: 'psi-client', elements: pack(sets.initiator) });
  const steps = { setup: 0, request: 0, process: 0, intersection: 0 };
  const cpu: { server: number | undefined; client: number | undefined } = { server: undefined, client: undefined };
  const started = performance.now();
  const size = await new Promise<number>((resolve, reject) => {
    let setup: Uint8Array | undefined;
    let response: Uint8Array | undefined;
    const finishIfReady = (): void => {
      if (setup && response) client.postMessage({ type: 'psi-finish', setup, response } satisfies ToWorker);
    };
    for (const worker of [server, client]) {
      worker.on('error', reject);
      worker.on('message', (message: FromWorker) => {
        if (message.type === 'psi-message') {
          steps[message.step as keyof typeof steps] = message.ms;
          if (message.step === 'setup') setup = message.bytes;
          if (message.step === 'request') server.postMessage({ type: 'psi-request', bytes: message.bytes } satisfies ToWorker);
          if (message.step === 'process') response = message.bytes;
          finishIfReady();
        } else if (message.type === 'psi-done') {
          if (worker === server) cpu.server = message.cpuMs;
          else {
            cpu.client = message.cpuMs;
            resolve(message.size);
          }
        }
      });
    }
    server.postMessage({ type: 'start' } satisfies ToWorker);
    client.postMessage({ type: 'start' } satisfies ToWorker);
  });
  const wallMs = performance.now() - started;
  await Promise.all([server.terminate(), client.terminate()]);
  return { wallMs, steps, serverCpuMs: cpu.server, clientCpuMs: cpu.client, size };
}

// --- report ---

const s = (ms: number | undefined): string => (ms === undefined ? 'n/a' : `${(ms / 1000).toFixed(2)} s`);
const pad = (text: string, width: number): string => text.padStart(width);

function printVenn(run: VennRun, n: number): void {
  console.log(`  Venn    wall ${s(run.wallMs)}   (${((run.wallMs * 1000) / n).toFixed(0)} µs per element of one side)`);
  console.log(`          ${'party'.padEnd(10)}${pad('busy', 10)}${pad('CPU', 10)}${pad('µs/elem', 9)}${PHASES.map((p) => pad(p, 15)).join('')}${pad('other', 9)}`);
  for (const role of ['initiator', 'responder'] as const) {
    const party = run[role];
    const phaseSum = PHASES.reduce((sum, p) => sum + party.phases[p], 0);
    console.log(
      `          ${role.padEnd(10)}${pad(s(party.busyMs), 10)}${pad(s(party.cpuMs), 10)}${pad(((party.busyMs * 1000) / n).toFixed(0), 9)}${PHASES.map((p) => pad(`${party.phases[p].toFixed(0)} ms`, 15)).join('')}${pad(`${(party.busyMs - phaseSum).toFixed(0)} ms`, 9)}`,
    );
  }
}

function printPsi(run: PsiRun, parallel: boolean): void {
  const { setup, request, process, intersection } = run.steps;
  const shape = parallel ? `setup ${s(setup)} ‖ request ${s(request)}, then` : `setup ${s(setup)}, request ${s(request)},`;
  console.log(`  psi.js  wall ${s(run.wallMs)}   (${shape} process ${s(process)}, intersection ${s(intersection)})`);
  console.log(`          server CPU ${s(run.serverCpuMs)}, client CPU ${s(run.clientCpuMs)}`);
}

/** Wall-clock ratio, plus the CPU ratio, which other load on the machine distorts less. */
function printRatios(psi: PsiRun, venn: VennRun): void {
  const vennCpu = venn.initiator.cpuMs !== undefined && venn.responder.cpuMs !== undefined ? venn.initiator.cpuMs + venn.responder.cpuMs : undefined;
  const psiCpu = psi.serverCpuMs !== undefined && psi.clientCpuMs !== undefined ? psi.serverCpuMs + psi.clientCpuMs : undefined;
  const cpu = vennCpu !== undefined && psiCpu !== undefined ? `; CPU psi.js / Venn = ${(psiCpu / vennCpu).toFixed(2)} (${s(psiCpu)} / ${s(vennCpu)})` : '';
  console.log(`  ratio psi.js / Venn = ${(psi.wallMs / venn.wallMs).toFixed(2)} (wall)${cpu}`);
}

async function main(): Promise<void> {
  const args = parseArgs(process.argv.slice(2));
  await ready();
  const shared = Math.round(args.n * args.overlap);
  const sets = benchSets(args.n, shared);
  console.log(`load average (1 min) at the start: ${loadavg()[0]!.toFixed(2)} on ${availableParallelism()} CPUs`);
  console.log(
    `bench:core  n = ${args.n} per side, ${shared} shared, mode ${args.mode}; Node ${process.version}, ${availableParallelism()} CPUs (${cpus()[0]?.model.trim() ?? 'unknown'})`,
  );
  console.log('Venn v2: mutual (both sides learn), verifiable (a batched DLEQ proof per EVALUATED chunk both ways, released under SPEC §4.4), signed FINISH. psi.js 2.0.6: one direction (client learns), Raw, unverified.');
  if (threadCpuMs() === undefined) console.log('(per-thread CPU time is not available on this platform: worker CPU shows n/a)');

  const runs: Array<{ venn: VennRun; psi: PsiRun | undefined }> = [];
  if (args.only !== 'b') {
    console.log('\n(a) one thread: both Venn parties on this thread; psi.js server and client on this thread');
    let venn: VennRun;
    if (args.profile) {
      const { value, top } = await profiled(() => vennOneThread(sets, args.mode));
      venn = value;
      printVenn(venn, args.n);
      console.log('  profile of (a), top frames by self time (wasm-function[i] are the WebAssembly modules: libsodium, wasm/ristretto.c, wasm/msm.c):');
      for (const entry of top) console.log(`    ${entry.ms.toFixed(0).padStart(7)} ms ${(100 * entry.share).toFixed(1).padStart(5)} %  ${entry.frame}`);
    } else {
      venn = vennOneThread(sets, args.mode);
      printVenn(venn, args.n);
    }
    const psi = args.psi ? await psiOneThread(sets) : undefined;
    if (psi) {
      printPsi(psi, false);
      printRatios(psi, venn);
    }
    runs.push({ venn, psi });
  }
  if (args.only !== 'a') {
    console.log('\n(b) parallel: each Venn party in its own worker thread; psi.js server setup and client request in parallel workers');
    const venn = await vennWorkers(sets, args.mode);
    printVenn(venn, args.n);
    const psi = args.psi ? await psiWorkers(sets) : undefined;
    if (psi) {
      printPsi(psi, true);
      printRatios(psi, venn);
    }
    runs.push({ venn, psi });
  }

  if (args.threads.length > 0) {
    console.log(`\n(t) thread scaling: one party's blind + evaluate (hash to group, k·H(x), k'·(k·H(x))) of ${args.n} elements split across worker threads`);
    let base: number | undefined;
    for (const threads of args.threads) {
      const run = await scaling(sets.initiator, threads);
      const rate = args.n / (run.wallMs / 1000);
      base ??= rate;
      console.log(`  ${String(threads).padStart(2)} thread${threads === 1 ? ' ' : 's'}  wall ${s(run.wallMs)}, CPU ${s(run.cpuMs)}, ${rate.toFixed(0)} elements/s, ×${(rate / base).toFixed(2)} of the first`);
    }
  }

  if (args.memory) {
    console.log('\n(m) memory: both Venn parties on this thread, a full garbage collection before each sample (untimed)');
    const { peakBytes, status } = vennMemory(sets, args.mode);
    console.log(`  peak retained heap + array buffers of both rounds: ${(peakBytes / 2 ** 20).toFixed(1)} MiB, ${(peakBytes / (2 * args.n)).toFixed(0)} bytes per element per side (round ${status})`);
  }

  const first = runs[0]!.venn;
  const totals = PHASES.map((p) => [p, first.initiator.phases[p] + first.responder.phases[p]] as const).sort((x, y) => y[1] - x[1]);
  const busy = first.initiator.busyMs + first.responder.busyMs;
  console.log(
    `\nVenn phase shares (${args.only ?? 'a'}): ${totals.map(([p, ms]) => `${p} ${((100 * ms) / busy).toFixed(0)}%`).join(', ')}, other ${((100 * (busy - totals.reduce((x, [, ms]) => x + ms, 0))) / busy).toFixed(0)}%`,
  );
  const sizes = runs.flatMap(({ venn }) => [venn.initiator.intersectionSize, venn.responder.intersectionSize]);
  const psiSizes = runs.flatMap(({ psi }) => (psi ? [psi.size] : []));
  const ok = sizes.every((x) => x === shared) && psiSizes.every((x) => x === shared);
  console.log(`intersection sizes: Venn ${sizes.join('/')}, psi.js ${psiSizes.join('/') || 'skipped'}, expected ${shared}: ${ok ? 'ok' : 'MISMATCH'}`);
  // Other processes on the machine distort wall times; the load average shows how much.
  console.log(`load average (1 min) at the end: ${loadavg()[0]!.toFixed(2)} on ${availableParallelism()} CPUs`);
  if (!ok) process.exitCode = 1;
}

await main();
