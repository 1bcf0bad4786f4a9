/**
 * What an operator's Prometheus, terminal and container runtime see of a running node: metric
 * names as Prometheus users expect them (and as docs/venn-alerts.yml uses them), series that
 * exist from the start, quota use in venn status, log fields and label names, the container
 * health check and the pretty log format.
 */
import { spawn, spawnSync } from 'node:child_process';
import { join } from 'node:path';
import { readFileSync } from 'node:fs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ensureBuilt, repoRoot, cliPath } from './helpers/build.js';
import { venn } from './helpers/cli.js';
import { Federation, emails, type NodeProcess } from './helpers/federation.js';

// Skipped only where promtool is missing and .ci/run did not promise it (VENN_REQUIRE_SYSTEM_TOOLS): CI runs it.
const promtool = process.env['VENN_REQUIRE_SYSTEM_TOOLS'] === '1' || spawnSync('promtool', ['--version']).status === 0;

function healthcheck(dir: string): { status: number | null; stderr: string } {
  const result = spawnSync(process.execPath, [join(repoRoot, 'deploy/healthcheck.mjs')], { env: { ...process.env, VENN_DIR: dir }, encoding: 'utf8' });
  return { status: result.status, stderr: result.stderr };
}

describe('a running node as monitoring sees it', () => {
  let federation: Federation;
  let a: NodeProcess;
  let b: NodeProcess;
  let metrics: string;

  beforeAll(async () => {
    ensureBuilt();
    const share = ['--share-labels', 'category,first_seen'];
    federation = await Federation.create({ ids: ['lab-a', 'lab-b'], initArgs: { 'lab-a': share, 'lab-b': share } });
    a = federation.node('lab-a');
    b = federation.node('lab-b');
    await federation.ingest('lab-a', emails(0, 40));
    const path = join(federation.root, 'b.csv');
    const { writeFileSync } = await import('node:fs');
    writeFileSync(path, `email,account,category,first_seen\n${emails(20, 60).map((e, i) => `${e},b-${i},ring,2026-10-0${(i % 9) + 1}`).join('\n')}\n`);
    const ingested = await venn(['ingest', '--dir', b.dir, '--kind', 'email', '--list', 'ring', '--account-column', 'account', '--category-column', 'category', '--first-seen-column', 'first_seen', path]);
    expect(ingested.code, ingested.stderr).toBe(0);
    await federation.startAll(Date.now());
    metrics = String((await a.admin('/metrics')).body);
  }, 120_000);
  afterAll(() => federation.close());

  it('uses prom-client\'s standard process_* and nodejs_* names, a build info gauge, and no _total on gauges', () => {
    expect(metrics).toMatch(/^process_cpu_seconds_total\{node="lab-a"\} /m);
    expect(metrics).toMatch(/^process_resident_memory_bytes\{node="lab-a"\} /m);
    expect(metrics).toMatch(/^nodejs_eventloop_lag_seconds\{node="lab-a"\} /m);
    expect(metrics).not.toMatch(/^venn_(process|nodejs)_/m);
    expect(metrics).toMatch(/^venn_build_info\{version="\d+\.\d+\.\d+",node="lab-a"\} 1$/m);
    const gauges = [...metrics.matchAll(/^# TYPE (\S+) gauge$/gm)].map((m) => m[1]);
    expect(gauges.length).toBeGreaterThan(5);
    expect(gauges.filter((name) => name?.endsWith('_total'))).toEqual([]);
  });

  it('tells the event-loop lag apart: the main thread\'s longest own work, wait for a CPU and time blocked, reset by each scrape', async () => {
    const value = (text: string, name: string): number => Number(new RegExp(`^${name}\\{node="lab-a"\\} (\\S+)$`, 'm').exec(text)?.[1]);
    expect(metrics).toMatch(/^# TYPE venn_main_thread_run_max_seconds gauge$/m);
    expect(metrics).toMatch(/^# TYPE venn_main_thread_wait_max_seconds gauge$/m);
    expect(metrics).toMatch(/^# TYPE venn_main_thread_stall_max_seconds gauge$/m);
    expect(value(metrics, 'venn_main_thread_stall_max_seconds')).toBeGreaterThanOrEqual(0);
    expect(metrics).toMatch(/^# TYPE venn_main_thread_blocked_max_seconds gauge$/m);
    expect(value(metrics, 'venn_main_thread_blocked_max_seconds')).toBeGreaterThanOrEqual(0);
    // The daemon's start-up ran on its main thread before the first scrape (Linux: schedstat is there).
    expect(value(metrics, 'venn_main_thread_run_max_seconds')).toBeGreaterThan(0);
    expect(value(metrics, 'venn_main_thread_wait_max_seconds')).toBeGreaterThanOrEqual(0);
    await new Promise((resolve) => setTimeout(resolve, 300));
    const idle = String((await a.admin('/metrics')).body);
    // An idle node's main thread does nothing for long between two readings.
    expect(value(idle, 'venn_main_thread_run_max_seconds')).toBeLessThan(0.05);
  });

  it('has every refusal, rejected-connection and per-peer round series at 0 from the start, and list sizes', () => {
    for (const reason of ['quota-exceeded', 'round-replayed', 'not-initiator', 'round-in-progress', 'policy-mismatch']) {
      expect(metrics).toContain(`venn_round_refusals_total{reason="${reason}",node="lab-a"} 0`);
    }
    for (const reason of ['roster-mismatch', 'tls-failed', 'handshake-malformed']) {
      expect(metrics).toContain(`venn_rejected_connections_total{reason="${reason}",node="lab-a"} 0`);
    }
    for (const status of ['completed', 'aborted', 'disputed']) {
      expect(metrics).toMatch(new RegExp(`^venn_rounds_total\\{peer="lab-b",status="${status}",role="initiator",origin="scheduled",node="lab-a"\\} 0$`, 'm'));
    }
    expect(metrics).toContain('venn_list_items{list="suspicious",kind="email",node="lab-a"} 40');
  });

  it.skipIf(!promtool)('passes promtool check metrics', () => {
    const result = spawnSync('promtool', ['check', 'metrics'], { input: metrics, encoding: 'utf8' });
    expect(result.stdout + result.stderr).toBe('');
    expect(result.status).toBe(0);
  });

  it('the example alert rules are valid and name only metrics the node serves', () => {
    const rulesPath = join(repoRoot, 'docs/venn-alerts.yml');
    if (promtool) {
      const check = spawnSync('promtool', ['check', 'rules', rulesPath], { encoding: 'utf8' });
      expect(check.stdout).toMatch(/SUCCESS: \d+ rules found/);
      expect(check.status).toBe(0);
    }
    const rules = readFileSync(rulesPath, 'utf8');
    const named = new Set([...rules.matchAll(/\b(venn_[a-z_]+)\b/g)].map((m) => m[1]));
    expect(named.size).toBeGreaterThan(3);
    for (const name of named) expect(metrics, name).toMatch(new RegExp(`^${name}\\{`, 'm'));
  });

  it('after a round: the per-peer counter, quota used and left in venn status, peer in log fields, first_seen in matches', async () => {
    const result = await venn(['round', '--dir', a.dir, '--peer', 'lab-b', '--json']);
    expect(result.stderr).toBe('');
    expect(JSON.parse(result.stdout)).toMatchObject({ status: 'completed', intersectionSize: 20 });
    expect(String((await a.admin('/metrics')).body)).toMatch(/^venn_rounds_total\{peer="lab-b",status="completed",role="initiator",origin="ad-hoc",node="lab-a"\} 1$/m);

    const status = await venn(['status', '--dir', a.dir, '--json']);
    const report = JSON.parse(status.stdout) as { peers: Array<{ id: string; quota: unknown }> };
    expect(report.peers[0]).toMatchObject({ id: 'lab-b', quota: { rounds: { used: 1, limit: 8, left: 7 }, adHocRounds: { used: 1, limit: 4, left: 3 } } });
    const text = await venn(['status', '--dir', a.dir]);
    expect(text.stdout).toMatch(/PEER\s+LAST ROUND\s+STATUS\s+REASON\s+FINISHED\s+ROUNDS TODAY\s+AD-HOC TODAY\s+LEFT TODAY\s+EVALUATIONS 24H\s+ABANDONED 24H/);
    const served = (report.peers[0] as unknown as { budget: { used: number; limit: number; left: number } }).budget;
    expect(served.used).toBeGreaterThan(0);
    expect(served.left).toBe(served.limit - served.used);
    expect(text.stdout).toMatch(new RegExp(`lab-b\\s+[0-9a-f]{16}\\s+completed\\s+\\S+\\s+1/8\\s+1/4\\s+7 \\(ad hoc 3\\)\\s+${served.used}/${served.limit} \\(${served.left} left\\)\\s+0/3\\s*\\n`));

    for (const node of [a, b]) {
      const lines = node.logs.filter((line) => line.msg === 'round attempt finished' || line.msg === 'session established');
      expect(lines.length).toBeGreaterThan(0);
      expect(node.logs.filter((line) => 'peerId' in line)).toEqual([]);
      expect(lines.every((line) => line['peer'] === (node === a ? 'lab-b' : 'lab-a'))).toBe(true);
    }
    const matches = JSON.parse((await venn(['matches', '--dir', a.dir, '--json'])).stdout) as Array<{ peerLabels: Record<string, Record<string, string>> }>;
    expect(matches).toHaveLength(20);
    expect(matches.every((m) => /^2026-10-0\d$/.test(m.peerLabels['lab-b']?.['first_seen'] ?? ''))).toBe(true);
    expect(JSON.stringify(matches)).not.toContain('firstSeen');
  }, 60_000);

  it('the container health check follows /healthz', async () => {
    expect(healthcheck(a.dir)).toMatchObject({ status: 0 });
    await b.stop();
    const down = healthcheck(b.dir);
    expect(down.status).toBe(1);
    expect(down.stderr).toMatch(/healthcheck: http:\/\/127\.0\.0\.1:\d+\/healthz/);
  });

  it('--log-format pretty prints the same events as text for a terminal', async () => {
    const child = spawn(process.execPath, [cliPath, 'start', '--dir', b.dir, '--log-format', 'pretty'], { stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    await new Promise<void>((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`no start line: ${out}`)), 30_000);
      child.stdout.on('data', (chunk: Buffer) => {
        out += chunk.toString();
        if (out.includes('venn node started')) {
          clearTimeout(timer);
          resolve();
        }
      });
    });
    child.kill('SIGTERM');
    const code = await new Promise<number | null>((resolve) => child.on('exit', resolve));
    expect(code).toBe(0);
    expect(out).toMatch(/INFO.*venn node started/);
    expect(out).toContain('venn node stopped');
    // Text, not JSON lines.
    expect(out.split('\n').filter((line) => line.startsWith('{'))).toEqual([]);
  }, 60_000);
});
