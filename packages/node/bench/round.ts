/**
 * bench:round — two daemons as separate processes on loopback run one full mutual round of
 * n × n elements (lists from venn synth, loaded with venn ingest); prints wall time, CPU time
 * and peak RSS per daemon, bytes on the wire, the admin endpoint's latency during the round, and
 * each daemon's event-loop lag scraped about once a second (its maximum, the window it fell in,
 * and how many windows exceeded 50 ms). The last line is the report as JSON.
 *
 *   npm run bench:round -- --n 100000 [--overlap 0.1] [--mode intersection|cardinality] [--profile DIR]
 *
 * --profile DIR runs the daemons under `node --cpu-prof` (profiles in DIR/<lab>/) and prints each
 * thread's top frames by self time and the main thread's long tasks (over 50 ms without an idle
 * sample), with the frames that filled them.
 */
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { Store } from '@venn/node';
import { lagFigures, lagLine, lagWindow, scrapeMainThread, type LagFigures, type LagWindow } from './lag.js';
import { printProfile, summariseProfiles } from './profile.js';
import { sealedFrameLength } from '@venn/transport';
import { loopbackPort as freePort } from '@venn/node';

const here = dirname(fileURLToPath(import.meta.url));
const cli = join(here, '../../dist/cli.js');

// `pnpm run bench:round -- --n 10` forwards the "--" itself; drop it.
const { values } = parseArgs({
  args: process.argv.slice(2).filter((arg) => arg !== '--'),
  options: {
    n: { type: 'string', default: '100000' },
    overlap: { type: 'string', default: '0.1' },
    mode: { type: 'string', default: 'intersection' },
    'sample-ms': { type: 'string', default: '50' },
    keep: { type: 'boolean', default: false },
    profile: { type: 'string' },
  },
});
const n = Number(values.n);
const overlap = Number(values.overlap);
const sampleMs = Number(values['sample-ms']);
if (!Number.isSafeInteger(n) || n < 1) throw new Error(`--n expected a positive integer, got ${values.n}`);
if (!(overlap >= 0 && overlap <= 1)) throw new Error(`--overlap expected a fraction in [0, 1], got ${values.overlap}`);

/** How often the event-loop lag is scraped during the round (prom-client resets its maximum at each scrape). */
const LAG_WINDOW_MS = 1000;

function run(args: string[]): string {
  const result = spawnSync(process.execPath, [cli, ...args], { encoding: 'utf8' });
  if (result.status !== 0) throw new Error(`venn ${args.join(' ')} failed: ${result.stderr}`);
  return result.stdout;
}


/** utime + stime of a process in seconds, its peak RSS (VmHWM) and its RSS now (VmRSS) in MiB, from /proc. */
function usage(pid: number): { cpuSeconds: number; peakRssMiB: number; rssMiB: number } {
  const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
  const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  const ticks = Number(fields[11]) + Number(fields[12]);
  const hwm = /VmHWM:\s+(\d+) kB/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
  const rss = /VmRSS:\s+(\d+) kB/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
  return { cpuSeconds: ticks / 100, peakRssMiB: Number(hwm?.[1] ?? 0) / 1024, rssMiB: Number(rss?.[1] ?? 0) / 1024 };
}

/** Both labs' lists from venn synth (n identifiers each, `overlap` of them shared), loaded with venn ingest as a lab would. */
function seed(root: string): number {
  const data = join(root, 'data');
  run(['synth', '--out', data, '--labs', '2', '--size', String(n), '--seed', '1', '--overlap', String(overlap)]);
  const truth = JSON.parse(readFileSync(join(data, 'ground-truth.json'), 'utf8')) as { files: Array<{ lab: string; path: string; ingest: string[] }>; groups: Array<{ size: number }> };
  for (const file of truth.files) run(['ingest', '--dir', join(root, file.lab), ...file.ingest, join(data, file.path)]);
  return truth.groups.reduce((sum, group) => sum + group.size, 0);
}

async function admin(port: number, method: string, path: string, body?: unknown, token?: string): Promise<{ status: number; body: any; ms: number }> {
  const started = performance.now();
  const response = await fetch(`http://127.0.0.1:${port}${path}`, {
    method,
    headers: { 'content-type': 'application/json', ...(token === undefined ? {} : { authorization: `Bearer ${token}` }) },
    ...(body === undefined ? {} : { body: JSON.stringify(body) }),
  });
  const text = await response.text();
  return { status: response.status, body: text === '' ? null : JSON.parse(text), ms: performance.now() - started };
}

/** Bytes of one round message on the wire: sealed frame plus the WebSocket frame header (client frames masked). */
function wireBytes(payload: number, fromClient: boolean): number {
  const frame = sealedFrameLength(payload);
  const header = frame < 126 ? 2 : frame < 65_536 ? 4 : 10;
  return frame + header + (fromClient ? 4 : 0);
}

async function main(): Promise<void> {
  const root = mkdtempSync(join(tmpdir(), 'venn-bench-round-'));
  const daemons: ChildProcess[] = [];
  try {
    const ids = ['lab-a', 'lab-b'] as const;
    const ports = { 'lab-a': { listen: await freePort(), admin: await freePort() }, 'lab-b': { listen: await freePort(), admin: await freePort() } };
    const entries: string[] = [];
    for (const id of ids) {
      const entry = run(['init', '--dir', join(root, id), '--id', id, '--listen', `127.0.0.1:${ports[id].listen}`, '--admin', `127.0.0.1:${ports[id].admin}`, '--max-peer-set-size', String(Math.max(n, 1))]);
      const path = join(root, `${id}.json`);
      writeFileSync(path, entry);
      entries.push(path);
    }
    run(['roster', 'build', '--name', 'bench', '--schedule', '0 0 1 1 *', '--out', join(root, 'roster.json'), ...entries]);
    for (const id of ids) run(['roster', 'use', '--dir', join(root, id), join(root, 'roster.json')]);
    const shared = seed(root);

    const pids: Record<string, number> = {};
    for (const id of ids) {
      const profiling = values.profile === undefined ? [] : ['--cpu-prof', `--cpu-prof-dir=${join(resolve(values.profile), id)}`];
      const child = spawn(process.execPath, [...profiling, cli, 'start', '--dir', join(root, id)], { stdio: ['ignore', 'ignore', 'inherit'], env: { ...process.env } });
      daemons.push(child);
      pids[id] = child.pid!;
    }
    for (const id of ids) {
      for (let i = 0; ; i++) {
        try {
          if ((await admin(ports[id].admin, 'GET', '/healthz')).status === 200) break;
        } catch {
          if (i > 200) throw new Error(`${id} did not start`);
        }
        await new Promise((resolve) => setTimeout(resolve, 50));
      }
    }
    const before = { 'lab-a': usage(pids['lab-a']!), 'lab-b': usage(pids['lab-b']!) };
    const tokens = Object.fromEntries(ids.map((id) => [id, readFileSync(join(root, id, 'admin.token'), 'utf8').trim()]));
    const token = tokens['lab-a'];

    // prom-client resets its event-loop histogram at each scrape: start measuring from here.
    for (const id of ids) await scrapeMainThread(ports[id].admin, tokens[id]!);
    const started = performance.now();
    const request = await admin(ports['lab-a'].admin, 'POST', '/v1/rounds', { peer: 'lab-b', mode: values.mode }, token);
    if (request.status !== 202) throw new Error(`round refused: ${JSON.stringify(request.body)}`);
    const roundId = request.body.roundId as string;
    const latencies: Record<string, number[]> = { 'lab-a': [], 'lab-b': [] };
    // Event-loop lag per scrape window (about a second each): where in the round a stall happened.
    const lagWindows: Record<string, LagWindow[]> = { 'lab-a': [], 'lab-b': [] };
    const scrapeLag = async (id: (typeof ids)[number]): Promise<void> => {
      const scrape = await scrapeMainThread(ports[id].admin, tokens[id]!);
      lagWindows[id]!.push(lagWindow(scrape, (performance.now() - started) / 1000));
    };
    let lastScrape = performance.now();
    let finished: any;
    while (finished === undefined) {
      for (const id of ids) latencies[id]!.push((await admin(ports[id].admin, 'GET', '/healthz')).ms);
      if (performance.now() - lastScrape >= LAG_WINDOW_MS) {
        lastScrape = performance.now();
        for (const id of ids) await scrapeLag(id);
      }
      const status = await admin(ports['lab-a'].admin, 'GET', `/v1/rounds/${roundId}`, undefined, token);
      if (status.body.status !== 'running' && status.body.status !== 'scheduled') finished = status.body;
      else await new Promise((resolve) => setTimeout(resolve, sampleMs));
    }
    // The responder commits its end a moment after the initiator.
    let responder: any;
    for (;;) {
      responder = (await admin(ports['lab-b'].admin, 'GET', `/v1/rounds/${roundId}?wait=30`, undefined, tokens['lab-b'])).body;
      if (responder.status !== 'running') break;
    }
    const wallSeconds = (performance.now() - started) / 1000;
    const after = { 'lab-a': usage(pids['lab-a']!), 'lab-b': usage(pids['lab-b']!) };
    // The main thread's stalls (event-loop delay), the last window ending after both ends are committed.
    for (const id of ids) await scrapeLag(id);
    const lag = Object.fromEntries(ids.map((id) => [id, lagFigures(lagWindows[id]!)])) as Record<(typeof ids)[number], LagFigures>;
    for (const child of daemons) child.kill('SIGTERM');
    await Promise.all(daemons.map((child) => new Promise((resolve) => child.once('exit', resolve))));

    const store = Store.open(join(root, 'lab-a', 'venn.db'));
    const row = store.attempts(new Uint8Array(Buffer.from(roundId, 'hex'))).at(-1)!;
    let payload = 0;
    let wire = 0;
    let messages = 0;
    for (const message of store.transcript(row.row)) {
      payload += message.message.length;
      // lab-a dialed, so what it sent went out as masked client frames.
      wire += wireBytes(message.message.length, message.direction === 'sent');
      messages++;
    }
    store.close();

    const percentile = (list: number[], p: number): number => [...list].sort((x, y) => x - y)[Math.min(list.length - 1, Math.floor((p / 100) * list.length))] ?? 0;
    const report = {
      n, overlap, mode: values.mode, roundId,
      status: { 'lab-a': finished.status, 'lab-b': responder.status },
      reason: finished.reason, intersectionSize: finished.intersectionSize, expectedIntersection: shared,
      wallSeconds: Number(wallSeconds.toFixed(2)),
      cpuSeconds: Object.fromEntries(ids.map((id) => [id, Number((after[id].cpuSeconds - before[id].cpuSeconds).toFixed(2))])),
      peakRssMiB: Object.fromEntries(ids.map((id) => [id, Number(after[id].peakRssMiB.toFixed(1))])),
      rssBeforeMiB: Object.fromEntries(ids.map((id) => [id, Number(before[id].rssMiB.toFixed(1))])),
      // Peak RSS over the RSS the idle daemon had before the round, per element of its own side.
      rssGrowthBytesPerElement: Object.fromEntries(ids.map((id) => [id, Math.round(((after[id].peakRssMiB - before[id].rssMiB) * 1024 * 1024) / n)])),
      wire: { messages, payloadBytes: payload, bytesOnTheWire: wire },
      eventLoopLagMaxMs: Object.fromEntries(ids.map((id) => [id, lag[id].maxMs])),
      // Scrape windows (about 1 s) whose event-loop lag exceeded 50 ms, and how many windows there were.
      eventLoopLagWindowsOver50Ms: Object.fromEntries(ids.map((id) => [id, lag[id].over50.length])),
      eventLoopLagWindows: Object.fromEntries(ids.map((id) => [id, lag[id].windows])),
      // What the lag is made of (Linux): the main thread's longest own work between two 10 ms
      // readings, the windows where it exceeded 50 ms, the longest stall of its virtual CPU (time
      // the host took the CPU away, charged to it as run and left out of the work) and the windows
      // where that exceeded 50 ms, its longest wait for a CPU and longest time blocked in a system call.
      mainThreadWorkMaxMs: Object.fromEntries(ids.map((id) => [id, lag[id].maxRunMs])),
      mainThreadWorkWindowsOver50Ms: Object.fromEntries(ids.map((id) => [id, lag[id].runOver50])),
      mainThreadStallMaxMs: Object.fromEntries(ids.map((id) => [id, lag[id].maxStallMs])),
      mainThreadStallWindowsOver50Ms: Object.fromEntries(ids.map((id) => [id, lag[id].stallOver50])),
      mainThreadWaitMaxMs: Object.fromEntries(ids.map((id) => [id, lag[id].maxWaitMs])),
      mainThreadBlockedMaxMs: Object.fromEntries(ids.map((id) => [id, lag[id].maxBlockedMs])),
      adminLatencyMs: Object.fromEntries(ids.map((id) => [id, {
        samples: latencies[id]!.length, p50: Number(percentile(latencies[id]!, 50).toFixed(1)), p99: Number(percentile(latencies[id]!, 99).toFixed(1)), max: Number(Math.max(...latencies[id]!).toFixed(1)),
      }])),
    };
    console.log(`bench:round n=${n} per side, overlap ${overlap} (${shared} shared), mode ${values.mode}`);
    console.log(`  outcome           ${report.status['lab-a']} / ${report.status['lab-b']}${report.reason === null ? '' : ` (${report.reason})`}, intersection ${report.intersectionSize} (expected ${shared})`);
    console.log(`  wall time         ${report.wallSeconds} s`);
    console.log(`  load average      ${(await import('node:os')).loadavg().map((v) => v.toFixed(2)).join(' ')} (2 cores)`);
    for (const id of ids) {
      console.log(`  ${id}             ${lagLine(lag[id])}`);
      console.log(`  ${id}             RSS ${report.rssBeforeMiB[id]} MiB before the round, peak ${report.peakRssMiB[id]} MiB: ${report.rssGrowthBytesPerElement[id]} bytes of growth per element`);
      console.log(`  ${id}             CPU ${report.cpuSeconds[id]} s, peak RSS ${report.peakRssMiB[id]} MiB, admin /healthz p50 ${report.adminLatencyMs[id]!.p50} ms, p99 ${report.adminLatencyMs[id]!.p99} ms, max ${report.adminLatencyMs[id]!.max} ms over ${report.adminLatencyMs[id]!.samples} samples`);
    }
    console.log(`  on the wire       ${messages} messages, ${(wire / 1e6).toFixed(2)} MB (${(payload / 1e6).toFixed(2)} MB payload; handshake not counted)`);
    if (values.profile !== undefined) {
      // The profiles are written as the daemons exit (SIGTERM above).
      for (const id of ids) {
        for (const summary of summariseProfiles(join(resolve(values.profile), id))) printProfile(summary, `${id} ${summary.file.split('.').slice(-3, -2)[0] === '0' ? 'main thread' : 'worker'}`);
      }
    }
    console.log(JSON.stringify(report));
    if (finished.status !== 'completed') process.exitCode = 1;
  } finally {
    for (const child of daemons) if (child.exitCode === null) child.kill('SIGKILL');
    if (values.keep !== true) rmSync(root, { recursive: true, force: true });
    else console.log(`kept ${root}`);
  }
}

await main();
