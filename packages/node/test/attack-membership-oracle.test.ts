/**
 * Attack 1 of SPEC §10.3 against a real daemon: a malicious roster member uses the victim as a
 * membership oracle. As initiator it re-dials one round id with fresh batches of guesses and
 * leaves each attempt as soon as the victim has answered; as responder it answers the victim's
 * scheduled dials with guesses and ABORT `internal-error`, which the victim retries. On the
 * main of 6923adc both learned the victim's whole list (every attempt was free); the evaluation
 * budget (node.md §5.2) bounds what they learn, every answer is on the victim's record, and the
 * abandonments suspend the peer (node.md §5.3).
 */
import { randomBytes } from 'node:crypto';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { rosterDigest } from '@venn/transport';
import { emailDigests, listenAsResponder, loadMember, probeAsInitiator, type ProbeResult } from '../bench/attack-client.js';
import { scheduledInitiator, scheduledRoundId } from '../src/internal/schedule.js';
import { ensureBuilt } from './helpers/build.js';
import { venn } from './helpers/cli.js';
import { Federation, emails } from './helpers/federation.js';

beforeAll(() => ensureBuilt());

const CLOCK = Date.parse('2030-06-01T12:00:00Z');
/** The victim's list: six accounts the attacker wants to find. */
const MEMBERS = emails(7000, 7006);
/** Guess batch i: 99 addresses the victim does not hold and member i. */
const batch = (i: number): Uint8Array[] => emailDigests([...emails(10_000 + 100 * i, 10_000 + 100 * i + 99), MEMBERS[i]!]);

interface VictimAttempt { attempt: number; status: string; reason: string | null; evaluations_sent: number; peer_set_size: number | null; abandoned: number; ended_by: string | null }

function victimRecord(dir: string): { attempts: VictimAttempt[]; suspended: number; refusals: Array<{ code: string; count: number }> } {
  const db = new Database(join(dir, 'venn.db'), { readonly: true });
  try {
    return {
      attempts: db.prepare('SELECT attempt, status, reason, evaluations_sent, peer_set_size, abandoned, ended_by FROM rounds ORDER BY id').all() as VictimAttempt[],
      suspended: (db.prepare('SELECT count(*) AS n FROM peer_suspensions WHERE cleared_at IS NULL').get() as { n: number }).n,
      refusals: db.prepare('SELECT code, count FROM refusals').all() as Array<{ code: string; count: number }>,
    };
  } finally {
    db.close();
  }
}

describe('attack 1: one-sided membership oracle through re-dials of one round id', () => {
  let federation: Federation;
  // The victim's quotas as in the report: one round a day, one ad-hoc; a cap of 100 per round.
  const policy = { maxPeerSetSize: 100, maxRoundsPerDay: 1, maxAdHocRoundsPerDay: 1 };

  beforeAll(async () => {
    federation = await Federation.create({ ids: ['lab-v', 'lab-m'], cron: '0 0 1 1 *', config: { 'lab-v': { policy } } });
    await federation.ingest('lab-v', MEMBERS);
    const victim = federation.node('lab-v');
    victim.clockOffsetMs = CLOCK - Date.now();
    victim.start();
    await victim.started();
  }, 60_000);
  afterAll(() => federation.close());

  it('learns at most the budget (2 × 100 a day by default), and the victim records every answer', async () => {
    const member = await loadMember(federation.node('lab-m').dir);
    const roundId = new Uint8Array(randomBytes(32));
    const probes: ProbeResult[] = [];
    for (let i = 0; i < MEMBERS.length; i++) probes.push(await probeAsInitiator({ member, victimId: 'lab-v', roundId, guesses: batch(i) }));
    const answered = probes.reduce((n, p) => n + p.answered, 0);
    const learned = probes.reduce((n, p) => n + p.members.length, 0);
    // The budget, not the number of re-dials, is what the attacker gets.
    expect(answered).toBeLessThanOrEqual(200);
    expect(learned).toBeLessThanOrEqual(2);
    expect(learned).toBeGreaterThan(0); // the probe works: answered guesses do reveal members
    const record = victimRecord(federation.node('lab-v').dir);
    // Every evaluation the attacker received is on the victim's record, attempt by attempt.
    expect(record.attempts.reduce((n, a) => n + a.evaluations_sent, 0)).toBe(answered);
    for (const attempt of record.attempts.filter((a) => a.evaluations_sent > 0)) {
      expect(attempt).toMatchObject({ status: 'aborted', peer_set_size: 100, abandoned: 1, ended_by: 'initiator' });
    }
    // Later dials were refused: at OFFER once the budget was spent, before the session once the id had no attempts left.
    const refusedCodes = new Set([...probes.map((p) => p.refused?.code ?? p.victimAbort), ...record.attempts.map((a) => a.reason)]);
    expect([...refusedCodes].some((code) => code === 'set-too-large' || code === 'budget-exceeded' || code === 'attempts-exhausted' || code === 'peer-suspended')).toBe(true);
    expect(record.attempts.length).toBeLessThanOrEqual(4);
  }, 120_000);
});

describe('attack 1, variant: a malicious responder that ABORTs with a transient code to be retried', () => {
  /**
   * The first yearly slot (cron "0 0 1 1 *") from 2031 on whose round lab-v initiates, and so
   * retries: the initiator follows from the roster digest and the slot (node.md §4).
   */
  function victimSlot(member: { roster: Parameters<typeof rosterDigest>[0] }): number {
    const digest = rosterDigest(member.roster);
    for (let year = 2031; year < 2100; year++) {
      const slot = Date.UTC(year, 0, 1) / 1000;
      if (scheduledInitiator(scheduledRoundId(digest, slot, 'lab-v', 'lab-m'), 'lab-v', 'lab-m') === 'lab-v') return slot;
    }
    throw new Error('lab-v initiates no yearly slot before 2100');
  }

  async function victimInitiates(config: Record<string, unknown>): Promise<Federation> {
    return Federation.create({ ids: ['lab-v', 'lab-m'], cron: '0 0 1 1 *', windowMinutes: 10, config: { 'lab-v': config } });
  }

  /** Runs the slot with the attacker on lab-m's endpoint until `stopped` shows in lab-v's log. */
  async function attack(federation: Federation, stopped: (line: Record<string, unknown>) => boolean): Promise<ProbeResult[]> {
    await federation.ingest('lab-v', MEMBERS);
    const member = await loadMember(federation.node('lab-m').dir);
    const slot = victimSlot(member);
    const probes: ProbeResult[] = [];
    let next = 0;
    const server = await listenAsResponder({
      member, host: '127.0.0.1', port: federation.node('lab-m').port, abortCode: 'internal-error',
      nextGuesses: () => batch(next++ % MEMBERS.length), onProbe: (result) => probes.push(result),
    });
    try {
      const victim = federation.node('lab-v');
      victim.clockOffsetMs = slot * 1000 - 2000 - Date.now();
      victim.start();
      await victim.started();
      await victim.waitForLog(stopped, 60_000, 'the victim to stop retrying');
      return probes;
    } finally {
      await server.close();
    }
  }

  const retry = { initialDelaySeconds: 0.2, maxDelaySeconds: 0.5, multiplier: 1 };

  it('gets at most the default budget (2 × the cap of 100) however often the victim would retry', async () => {
    const federation = await victimInitiates({ policy: { maxPeerSetSize: 100 }, retry });
    try {
      const probes = await attack(federation, (line) => line['msg'] === 'round not started' && line['reason'] === 'budget-exceeded');
      const answered = probes.reduce((n, p) => n + p.answered, 0);
      expect(answered).toBeLessThanOrEqual(200);
      expect(probes.reduce((n, p) => n + p.members.length, 0)).toBeLessThanOrEqual(2);
      const record = victimRecord(federation.node('lab-v').dir);
      expect(record.attempts.reduce((n, a) => n + a.evaluations_sent, 0)).toBe(answered);
      // The peer's ABORT ended the attempts that took evaluations: abandonments by the responder.
      for (const attempt of record.attempts.filter((a) => a.evaluations_sent > 0)) {
        expect(attempt).toMatchObject({ status: 'aborted', reason: 'internal-error', abandoned: 1, ended_by: 'responder' });
      }
    } finally {
      await federation.close();
    }
  }, 180_000);

  it('is suspended after three abandonments when the budget would allow more', async () => {
    const policy = { maxPeerSetSize: 100, maxEvaluationsPerDay: 1000, maxEvaluationsPerRound: 1000, maxAttemptsPerRound: 10 };
    const federation = await victimInitiates({ policy, retry });
    try {
      const probes = await attack(federation, (line) => line['msg'] === 'round not started' && line['reason'] === 'peer-suspended');
      expect(probes.reduce((n, p) => n + p.answered, 0)).toBe(300);
      const record = victimRecord(federation.node('lab-v').dir);
      expect(record.suspended).toBe(1);
      expect(record.attempts.filter((a) => a.abandoned === 1)).toHaveLength(3);
      // Suspended until an operator clears it: venn peers shows it, and clearing it lets rounds run again.
      const victim = federation.node('lab-v');
      const peers = await venn(['peers', '--dir', victim.dir, '--json']);
      expect(JSON.parse(peers.stdout)).toMatchObject([{ id: 'lab-m', abandonments: { last24h: 3, suspended: true } }]);
      const cleared = await venn(['peers', 'clear', 'lab-m', '--dir', victim.dir]);
      expect(cleared.code).toBe(0);
      expect(victimRecord(victim.dir).suspended).toBe(0);
    } finally {
      await federation.close();
    }
  }, 180_000);
});
