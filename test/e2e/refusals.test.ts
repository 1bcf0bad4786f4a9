/**
 * What a federation refuses, as operators see it through the CLI: rounds with labs that are not
 * members (an unknown id, a stolen member id with another key) and a peer over the set-size cap
 * in a scheduled slot, while the other pairs of the slot complete.
 */
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Federation, byAccount, ensureCli, matchesOf, roundsOf, venn, vennJson, type LogLine } from './helpers.js';

const SLOT = Date.parse('2032-01-01T00:00:00Z');

function emails(prefix: string, from: number, to: number): string[] {
  return Array.from({ length: to - from }, (_, i) => `${prefix}${from + i}@example.com`);
}

/** Writes an email export with accounts and ingests it. */
async function ingest(federation: Federation, id: string, values: readonly string[]): Promise<void> {
  const path = join(federation.root, `${id}.csv`);
  writeFileSync(path, `email,account\n${values.map((v) => `${v},${id}:${v.split('@')[0]}`).join('\n')}\n`);
  const result = await venn(['ingest', '--dir', federation.node(id).dir, '--kind', 'email', '--account-column', 'account', path]);
  expect(result.code, result.stderr).toBe(0);
}

const finished = (line: LogLine): boolean => line.msg === 'round attempt finished';

describe('a scheduled slot with one pair over its cap', () => {
  let federation: Federation;
  // lab-c evaluates at most 50 elements from lab-a; lab-a holds 80.
  const lists = { 'lab-a': emails('u', 0, 80), 'lab-b': emails('u', 40, 100), 'lab-c': emails('u', 70, 140) };

  beforeAll(async () => {
    ensureCli();
    federation = await Federation.create({ ids: ['lab-a', 'lab-b', 'lab-c'], cron: '0 0 1 1 *', windowMinutes: 10, config: { 'lab-c': { peers: { 'lab-a': { maxPeerSetSize: 50 } } } } });
    for (const [id, values] of Object.entries(lists)) await ingest(federation, id, values);
    await federation.startAll(SLOT - 3000);
    await Promise.all(['lab-a', 'lab-b', 'lab-c'].map((id) => {
      const node = federation.node(id);
      return node.waitForLog(() => node.finishedRounds().length >= 2, 90_000, 'two finished rounds');
    }));
  }, 150_000);
  afterAll(() => federation.close());

  it('refuses the pair over the cap on both sides before any evaluation, recording reason and sizes', async () => {
    const roundsA = await roundsOf(federation.node('lab-a').dir);
    const roundsC = await roundsOf(federation.node('lab-c').dir);
    // Whichever side learns of the breach first refuses (the cap travels in lab-c's OFFER, the set
    // size in lab-a's), before any element is evaluated; both record the reason and the numbers.
    for (const round of [roundsC.find((r) => r.peer === 'lab-a'), roundsA.find((r) => r.peer === 'lab-c')]) {
      // audit.md §3: an aborted attempt logs its attempt hash over the frames recorded (the OFFERs here).
      expect(round).toMatchObject({ origin: 'scheduled', status: 'aborted', reason: 'set-too-large', intersectionSize: null, evaluationsSent: 0, evaluationsReceived: 0 });
      expect(round?.transcriptHash).toMatch(/^[0-9a-f]{128}$/);
      expect(round?.detail).toMatch(/set size 80 exceeds (this party's|the peer's) maxPeerSetSize 50$/);
    }
    const status = await vennJson<{ peers: Array<{ id: string; lastRound: { status: string; reason: string | null } | null }> }>(['status', '--dir', federation.node('lab-a').dir, '--json']);
    expect(status.peers.find((p) => p.id === 'lab-c')?.lastRound).toMatchObject({ status: 'aborted', reason: 'set-too-large' });
    // A refusal on policy is final for the slot: no attempt 2.
    for (const id of ['lab-a', 'lab-c']) {
      expect(federation.node(id).logs.filter((line) => line.msg === 'retrying round')).toEqual([]);
      expect((await roundsOf(federation.node(id).dir)).every((r) => r.attempt === 1)).toBe(true);
    }
  });

  it('completes the other pairs of the slot, and matches hold only the peers that ran', async () => {
    for (const id of ['lab-a', 'lab-b', 'lab-c']) {
      const statuses = federation.node(id).logs.filter(finished).map((line) => `${String(line['peer'])}:${String(line['status'])}`).sort();
      expect(statuses).toEqual({ 'lab-a': ['lab-b:completed', 'lab-c:aborted'], 'lab-b': ['lab-a:completed', 'lab-c:completed'], 'lab-c': ['lab-a:aborted', 'lab-b:completed'] }[id]);
    }
    const a = byAccount(await matchesOf(federation.node('lab-a').dir));
    expect([...a.values()].every((peers) => peers === 'lab-b')).toBe(true);
    expect(a.size).toBe(40);
    const c = byAccount(await matchesOf(federation.node('lab-c').dir));
    expect(c.size).toBe(30);
    expect([...c.values()].every((peers) => peers === 'lab-b')).toBe(true);
  });

  it('refuses a round with a lab that is not in the roster', async () => {
    const result = await venn(['round', '--dir', federation.node('lab-a').dir, '--peer', 'lab-z']);
    expect(result.code).toBe(1);
    expect(result.stderr.trim()).toBe('venn round: the daemon refused the round: "peer" expected one of lab-b, lab-c, got "lab-z" [unknown-peer]');
  });

  it('refuses a node that claims a member\'s id with another key, before any round', async () => {
    const impostor = await Federation.create({ ids: ['lab-b'] });
    try {
      const fake = impostor.node('lab-b');
      // The real roster pins the real lab-b key: the impostor cannot even install it.
      const installed = await venn(['roster', 'use', '--dir', fake.dir, federation.rosterPath]);
      expect(installed.code).toBe(1);
      expect(installed.stderr).toMatch(/roster member lab-b "identityKey" expected this node's public key [0-9a-f]{64}, got [0-9a-f]{64} \[roster-key-mismatch\]/);
      // So it forges a roster of its own with lab-a's genuine entry, and dials lab-a.
      const forged = join(impostor.root, 'forged-roster.json');
      const roster = JSON.parse(readFileSync(federation.rosterPath, 'utf8')) as { members: Array<{ id: string }> };
      const fakeEntry = JSON.parse(readFileSync(join(impostor.root, 'lab-b.entry.json'), 'utf8')) as { id: string };
      writeFileSync(forged, JSON.stringify({ ...roster, members: roster.members.map((m) => (m.id === 'lab-b' ? fakeEntry : m)) }));
      expect((await venn(['roster', 'use', '--dir', fake.dir, forged])).code).toBe(0);
      await ingest(impostor, 'lab-b', lists['lab-b']);
      await impostor.startAll(SLOT + 3600_000);
      const a = federation.node('lab-a');
      const before = (await roundsOf(a.dir)).length;
      const result = await venn(['round', '--dir', fake.dir, '--peer', 'lab-a']);
      expect(result.code).toBe(1);
      expect(result.stderr.trim().split('\n')).toHaveLength(1);
      expect(result.stderr).toMatch(/^venn round: round aborted: roster-mismatch: /);
      // lab-a closed the connection at the handshake: the forged roster's digest is not the one it pins.
      await a.waitForLog((line) => line['component'] === 'transport' && line['reason'] === 'roster-mismatch' && line['by'] === 'local', 10_000, 'handshake refusal');
      // Nothing of a round happened at lab-a, and the impostor learned nothing.
      expect((await roundsOf(a.dir)).length).toBe(before);
      expect(await matchesOf(fake.dir)).toEqual([]);
    } finally {
      await impostor.close();
    }
  }, 60_000);
});
