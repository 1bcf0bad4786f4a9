/**
 * npm run attack — attack 1 of SPEC §10.3 and its variant, run by a malicious roster member
 * against two real victim daemons for one simulated day, with the victims' clocks stepped
 * through the day by restarting them (`venn start --clock-start`):
 *
 *   - as initiator, it re-dials one round id (and fresh ad-hoc ids) with new batches of guesses
 *     and leaves each attempt once the victim has answered;
 *   - as responder, it answers the victims' scheduled dials with guesses and ABORT
 *     `internal-error`, which an honest initiator treats as transient and retries.
 *
 * It prints, per victim: guesses attempted, guesses answered, members learned, the budget, and
 * what the victim recorded; and it exits 1 if any victim answered more than its budget B.
 *
 *   npm run attack -- --budget 500 [--batch 100] [--members 20] [--bursts 8] [--dials 6]
 */
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { loadavg, tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { randomBytes } from 'node:crypto';
import Database from 'better-sqlite3';
import { emailDigests, listenAsResponder, loadMember, probeAsInitiator, type Member, type ProbeResult } from './attack-client.js';
import { loopbackPort as freePort } from '@venn/node';

const here = dirname(fileURLToPath(import.meta.url));
const cli = join(here, '../../dist/cli.js');

const { values } = parseArgs({
  args: process.argv.slice(2).filter((arg) => arg !== '--'),
  options: {
    budget: { type: 'string', default: '500' },
    batch: { type: 'string', default: '100' },
    members: { type: 'string', default: '20' },
    bursts: { type: 'string', default: '8' },
    dials: { type: 'string', default: '6' },
    abandonments: { type: 'string', default: '1000' },
    keep: { type: 'boolean', default: false },
  },
});
const positive = (name: string, text: string | undefined): number => {
  const value = Number(text);
  if (!Number.isSafeInteger(value) || value < 1) throw new Error(`--${name} expected a positive integer, got ${text}`);
  return value;
};
const BUDGET = positive('budget', values.budget);
const BATCH = positive('batch', values.batch);
const MEMBERS = positive('members', values.members);
const BURSTS = positive('bursts', values.bursts);
const DIALS = positive('dials', values.dials);
const ABANDONMENTS = positive('abandonments', values.abandonments);
const DAY_START = Date.parse('2030-03-01T00:00:00Z');
const VICTIMS = ['lab-v1', 'lab-v2'] as const;

function run(args: string[]): string {
  const result = spawnSync(process.execPath, [cli, ...args], { encoding: 'utf8' });
  if (result.status !== 0) throw new Error(`venn ${args.join(' ')} failed: ${result.stderr}`);
  return result.stdout;
}


/** Each victim holds MEMBERS accounts; guess batch i of a victim holds BATCH − 1 misses and member i. */
const memberEmail = (victim: string, i: number): string => `${victim}-member-${i}@example.com`;
function batchFor(victim: string, i: number): Uint8Array[] {
  const misses = Array.from({ length: BATCH - 1 }, (_, j) => `guess-${victim}-${i}-${j}@example.com`);
  return emailDigests([...misses, memberEmail(victim, i % MEMBERS)]);
}

interface Tally { attempted: number; answered: number; learned: Set<string>; dials: number; refused: Map<string, number> }
const tallies = new Map<string, Tally>(VICTIMS.map((id) => [id, { attempted: 0, answered: 0, learned: new Set<string>(), dials: 0, refused: new Map() }]));

function count(victim: string, guesses: number, result: ProbeResult): void {
  const tally = tallies.get(victim)!;
  tally.dials++;
  tally.attempted += guesses;
  tally.answered += result.answered;
  for (const member of result.members) tally.learned.add(Buffer.from(member).toString('hex'));
  const refusal = result.refused?.code ?? (result.answered === 0 ? result.victimAbort ?? 'no-answer' : null);
  if (refusal !== null) tally.refused.set(refusal, (tally.refused.get(refusal) ?? 0) + 1);
}

function waitForHealth(port: number): Promise<void> {
  return new Promise((resolve, reject) => {
    let tries = 0;
    const poll = (): void => {
      fetch(`http://127.0.0.1:${port}/healthz`).then((r) => (r.status === 200 ? resolve() : setTimeout(poll, 50)), () => {
        if (++tries > 400) reject(new Error(`daemon on admin port ${port} did not start`));
        else setTimeout(poll, 50);
      });
    };
    poll();
  });
}

function stop(child: ChildProcess): Promise<void> {
  return new Promise((resolve) => {
    if (child.exitCode !== null) return resolve();
    child.once('exit', () => resolve());
    child.kill('SIGTERM');
  });
}

async function main(): Promise<void> {
  const root = mkdtempSync(join(tmpdir(), 'venn-attack-'));
  const ports = new Map<string, { listen: number; admin: number }>();
  try {
    const ids = [...VICTIMS, 'lab-m'];
    const entries: string[] = [];
    for (const id of ids) {
      ports.set(id, { listen: await freePort(), admin: await freePort() });
      const p = ports.get(id)!;
      const entry = run(['init', '--dir', join(root, id), '--id', id, '--listen', `127.0.0.1:${p.listen}`, '--admin', `127.0.0.1:${p.admin}`, '--max-peer-set-size', String(BATCH)]);
      writeFileSync(join(root, `${id}.json`), entry);
      entries.push(join(root, `${id}.json`));
    }
    // One slot every 3 hours (8 a day, within the default maxRoundsPerDay): the victims initiate some
    // of them, and the attacker answers those.
    run(['roster', 'build', '--name', 'attack', '--schedule', '0 */3 * * *', '--window', '30', '--out', join(root, 'roster.json'), ...entries]);
    for (const id of ids) run(['roster', 'use', '--dir', join(root, id), join(root, 'roster.json')]);
    for (const victim of VICTIMS) {
      const configPath = join(root, victim, 'venn.config.json');
      const config = JSON.parse(readFileSync(configPath, 'utf8')) as Record<string, unknown>;
      config['policy'] = {
        ...(config['policy'] as object), maxPeerSetSize: BATCH, maxEvaluationsPerDay: BUDGET, maxEvaluationsPerRound: BUDGET,
        maxRoundsPerDay: 12, maxAdHocRoundsPerDay: 1, maxAbandonmentsPerDay: ABANDONMENTS,
      };
      config['retry'] = { initialDelaySeconds: 0.2, maxDelaySeconds: 1, multiplier: 1 };
      writeFileSync(configPath, JSON.stringify(config, null, 2));
      const csv = join(root, `${victim}.csv`);
      writeFileSync(csv, `email\n${Array.from({ length: MEMBERS }, (_, i) => memberEmail(victim, i)).join('\n')}\n`, { mode: 0o600 });
      run(['ingest', '--dir', join(root, victim), '--kind', 'email', '--list', 'flagged', csv]);
    }
    const member: Member = await loadMember(join(root, 'lab-m'));
    const next = new Map<string, number>(VICTIMS.map((id) => [id, 0]));
    // The variant: answer every dial with a fresh batch and ABORT internal-error.
    let dialer = 'lab-v1';
    const server = await listenAsResponder({
      member, host: '127.0.0.1', port: ports.get('lab-m')!.listen, abortCode: 'internal-error',
      nextGuesses: () => batchFor(dialer, (next.set(dialer, next.get(dialer)! + 1).get(dialer)! - 1)),
      onProbe: (result) => count(dialer, BATCH, result),
    });
    const sameId = new Map<string, Uint8Array>(VICTIMS.map((id) => [id, new Uint8Array(randomBytes(32))]));
    const rows: string[][] = [];
    try {
      for (let burst = 0; burst < BURSTS; burst++) {
        const at = DAY_START + burst * (24 * 3_600_000 / BURSTS);
        for (const victim of VICTIMS) {
          dialer = victim;
          // The victim's clock reads 2 s before the burst's slot: its scheduler fires the slot.
          const child = spawn(process.execPath, [cli, 'start', '--dir', join(root, victim), '--clock-start', new Date(at - 2000).toISOString()], { stdio: ['ignore', 'ignore', 'inherit'] });
          try {
            await waitForHealth(ports.get(victim)!.admin);
            // Attack 1: re-dial one round id, and a fresh ad-hoc id each time, with new guesses.
            for (let dial = 0; dial < DIALS; dial++) {
              const index = next.get(victim)!;
              next.set(victim, index + 1);
              const roundId = dial % 2 === 0 ? sameId.get(victim)! : new Uint8Array(randomBytes(32));
              count(victim, BATCH, await probeAsInitiator({ member, victimId: victim, roundId, guesses: batchFor(victim, index), timeoutMs: 10_000 }));
            }
            // Let the slot's own round (and its retries) run.
            await new Promise((resolve) => setTimeout(resolve, 4000));
          } finally {
            await stop(child);
          }
          const tally = tallies.get(victim)!;
          rows.push([new Date(at).toISOString().slice(11, 16), victim, String(tally.dials), String(tally.attempted), String(tally.answered), String(tally.learned.size)]);
        }
      }
    } finally {
      await server.close();
    }

    const load = loadavg().map((x) => x.toFixed(2)).join(' ');
    console.log(`attack harness: budget B = ${BUDGET} evaluations per victim per rolling 24 h, batches of ${BATCH} guesses, ${MEMBERS} members per victim, ${BURSTS} bursts over one simulated day, ${DIALS} dials per burst plus the victims' own scheduled dials; load average ${load}\n`);
    console.log(['time', 'victim', 'dials', 'attempted', 'answered', 'learned'].join('\t'));
    for (const row of rows) console.log(row.join('\t'));
    let exceeded = false;
    console.log('');
    for (const victim of VICTIMS) {
      const tally = tallies.get(victim)!;
      const db = new Database(join(root, victim, 'venn.db'), { readonly: true });
      const served = (db.prepare("SELECT coalesce(sum(evaluations_sent), 0) AS n FROM rounds WHERE peer_id = 'lab-m'").get() as { n: number }).n;
      const attempts = (db.prepare("SELECT count(*) AS n FROM rounds WHERE peer_id = 'lab-m'").get() as { n: number }).n;
      const abandoned = (db.prepare('SELECT count(*) AS n FROM rounds WHERE abandoned = 1').get() as { n: number }).n;
      const refusals = (db.prepare('SELECT coalesce(sum(count), 0) AS n FROM refusals').get() as { n: number }).n;
      db.close();
      const refused = [...tally.refused.entries()].map(([code, n]) => `${code} ×${n}`).join(', ');
      console.log(`${victim}: guesses attempted ${tally.attempted}, answered ${tally.answered}, members learned ${tally.learned.size} of ${MEMBERS}, budget ${BUDGET}`);
      console.log(`  victim's record: ${attempts} attempts, ${served} evaluations served (charged before sending), ${abandoned} abandoned, ${refusals} refusals before an attempt; refused or unanswered dials: ${refused || 'none'}`);
      if (tally.answered > BUDGET || served !== tally.answered) exceeded = true;
    }
    console.log(exceeded ? '\nFAIL: a victim answered more than its budget, or its record differs from what the attacker received' : '\nOK: no victim answered more than its budget B, and every answer is on its record');
    process.exitCode = exceeded ? 1 : 0;
  } finally {
    if (values.keep) console.log(`kept ${root}`);
    else rmSync(root, { recursive: true, force: true });
  }
}

await main();
